#!/usr/bin/env python3
"""scripts/pacgan_epochs.py on fixed results: each trial's row (the last epoch's modes, min / median / max over
the last N epochs, the share of epochs with every mode), one SVG line per seed, results without a series left out.
usage: test_pacgan_epochs.py SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

SOURCE = sys.argv.pop(1) if len(sys.argv) > 1 else "."


def write(d, row, seed, result):
    os.makedirs(os.path.join(d, row), exist_ok=True)
    with open(os.path.join(d, row, f"seed-{seed}.json"), "w") as f:
        json.dump(result, f)


def series(modes):
    n = len(modes)
    return {"by_epoch": {"epoch": list(range(1, n + 1)), "modes": modes, "high_quality": [0.9] * n,
                         "reverse_kl": [0.1] * n}}


class Epochs(unittest.TestCase):
    def test_rows_and_chart(self):
        with tempfile.TemporaryDirectory() as d:
            write(d, "ring8_pac2", 1, series([8, 8, 7, 5, 8, 6]))
            write(d, "ring8_pac2", 2, series([3, 8, 8, 8]))
            write(d, "ring8_pac2", 3, {"modes": 8})  # trained before the per-epoch score: left out
            write(d, "grid25_pac2", 4, series([25, 24]))
            run = subprocess.run([sys.executable, os.path.join(SOURCE, "scripts", "pacgan_epochs.py"), "--results", d,
                                  "--svg", d, "--last", "4"], capture_output=True, text=True, check=True)
            out = run.stdout.splitlines()
            ring = ET.parse(os.path.join(d, "ring8_pac2_modes_by_epoch.svg")).getroot()
            self.assertTrue(os.path.exists(os.path.join(d, "grid25_pac2_modes_by_epoch.svg")))
        self.assertEqual(out[2], "| grid25_pac2 | 4 | 1–2 (2) | 24 of 25 | 24 / 24.5 / 25 | 50 % |")
        # Seed 1's last 4 epochs: 7, 5, 8, 6 (median 6.5); every mode at 3 of its 6 epochs.
        self.assertEqual(out[3], "| ring8_pac2 | 1 | 1–6 (6) | 6 of 8 | 5 / 6.5 / 8 | 50 % |")
        self.assertEqual(out[4], "| ring8_pac2 | 2 | 1–4 (4) | 8 of 8 | 3 / 8 / 8 | 75 % |")
        self.assertEqual(len(out), 5, out)
        lines = ring.findall("{http://www.w3.org/2000/svg}polyline")
        self.assertEqual(len(lines), 2)
        first = [tuple(map(float, p.split(","))) for p in lines[0].get("points").split()]
        self.assertEqual(len(first), 6)
        ys = [y for _, y in first]
        # 8 modes at the top, 5 lowest: y grows downwards.
        self.assertEqual(ys[0], min(ys))
        self.assertEqual(ys[3], max(ys))

    def test_no_series_is_an_error(self):
        with tempfile.TemporaryDirectory() as d:
            write(d, "ring8_gan", 1, {"modes": 8})
            run = subprocess.run([sys.executable, os.path.join(SOURCE, "scripts", "pacgan_epochs.py"), "--results", d],
                                 capture_output=True, text=True)
        self.assertEqual(run.returncode, 1)
        self.assertIn("carries a by_epoch series", run.stderr)


if __name__ == "__main__":
    unittest.main()
