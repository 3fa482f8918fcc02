#!/usr/bin/env python3
"""scripts/trials.py's write_atomic when two processes write the same summary at once (two runners share a row's
folder): neither fails and the file is always one whole write.
usage: test_trials_write.py SOURCE_DIR
"""
import importlib.util
import multiprocessing
import os
import sys
import tempfile
import unittest

SOURCE = sys.argv.pop(1) if len(sys.argv) > 1 else "."


def load_trials():
    spec = importlib.util.spec_from_file_location("trials", os.path.join(SOURCE, "scripts", "trials.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def writer(path, text, rounds):
    trials = load_trials()
    for _ in range(rounds):
        trials.write_atomic(path, text)


class WriteAtomic(unittest.TestCase):
    def test_two_writers_at_once(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "summary.json")
            texts = ["a" * 5000 + "\n", "b" * 5000 + "\n"]
            procs = [multiprocessing.Process(target=writer, args=(path, t, 2000)) for t in texts]
            for p in procs:
                p.start()
            for p in procs:
                p.join()
            self.assertEqual([p.exitcode for p in procs], [0, 0])
            with open(path) as f:
                self.assertIn(f.read(), texts)
            self.assertEqual(os.listdir(d), ["summary.json"])  # no temporary file left behind


if __name__ == "__main__":
    unittest.main()
