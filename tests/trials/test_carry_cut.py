#!/usr/bin/env python3
"""scripts/carry_trials.py keep_up_to: which lines of a carried metrics.jsonl match the carried checkpoint.

A checkpoint at (epoch E, iteration B) keeps every line of epochs up to E (an earlier session's partial
lines included), the partial line of epoch E + 1 when B covers its iterations, and nothing else: not a
completed line past E, not a partial line past B, not a torn last line.
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
    def cut(self, epoch, batch):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "metrics.jsonl")
            with open(path, "w") as f:
                f.writelines(json.dumps(r) + "\n" for r in HISTORY)
                f.write('{"epo')  # torn: the copy caught the trainer mid-write
            dropped = carry_trials.keep_up_to(path, epoch, batch)
            with open(path) as f:
                kept = [json.loads(line) for line in f]
        self.assertEqual(dropped, len(HISTORY) + 1 - len(kept))
        return kept

    def test_a_completed_line_past_the_checkpoint_goes(self):
        self.assertEqual(self.cut(2, 0), HISTORY[:3])

    def test_the_partial_line_the_checkpoint_holds_stays(self):
        self.assertEqual(self.cut(2, 7), HISTORY[:4])

    def test_a_partial_line_past_the_checkpoint_goes(self):
        self.assertEqual(self.cut(2, 6), HISTORY[:3])

    def test_earlier_partial_lines_stay(self):
        self.assertEqual(self.cut(3, 0), HISTORY)

    def test_a_partial_line_ending_at_the_checkpoints_iteration_stays(self):
        self.assertEqual(self.cut(1, 5), HISTORY[:2])


if __name__ == "__main__":
    unittest.main()
