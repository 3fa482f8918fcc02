#!/usr/bin/env python3
"""scripts/carry_trials.py keep_up_to: which lines of a carried metrics.jsonl match the carried checkpoint.

A checkpoint after epoch E keeps every line of epochs up to E (an earlier session's partial lines
included) and nothing else: not a completed line past E, not the partial line of epoch E + 1 (its
iterations and the checkpoint's batch count from different starts), not a torn last line.
usage: test_carry_cut.py SOURCE_DIR
"""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(sys.argv.pop(1) if len(sys.argv) > 1 else ".", "scripts"))
import carry_trials  # noqa: E402

# Epoch 2 was stopped at iteration 5 in one session and finished in the next; epoch 3 was stopped at 7.
HISTORY = [{"epoch": 1, "completed": True}, {"epoch": 2, "completed": False, "iterations": 5},
           {"epoch": 2, "completed": True}, {"epoch": 3, "completed": False, "iterations": 7},
           {"epoch": 3, "completed": True}]


class KeepUpTo(unittest.TestCase):
    def cut(self, epoch):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "metrics.jsonl")
            with open(path, "w") as f:
                f.writelines(json.dumps(r) + "\n" for r in HISTORY)
                f.write('{"epo')  # torn: the copy caught the trainer mid-write
            dropped = carry_trials.keep_up_to(path, epoch)
            with open(path) as f:
                kept = [json.loads(line) for line in f]
        self.assertEqual(dropped, len(HISTORY) + 1 - len(kept))
        return kept

    def test_lines_past_the_checkpoint_go(self):
        self.assertEqual(self.cut(1), HISTORY[:1])

    def test_the_partial_line_of_the_epoch_after_the_checkpoint_goes(self):
        self.assertEqual(self.cut(2), HISTORY[:3])

    def test_earlier_partial_lines_stay(self):
        self.assertEqual(self.cut(3), HISTORY)


if __name__ == "__main__":
    unittest.main()
