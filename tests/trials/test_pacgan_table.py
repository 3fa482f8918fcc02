#!/usr/bin/env python3
"""scripts/pacgan_table.py on fixed results: the cells are mean ± standard error of each set's seeds, the
refreshed row reads the bn_refresh_* keys, a set without results says so, the seeds are named.
usage: test_pacgan_table.py SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SOURCE = sys.argv.pop(1) if len(sys.argv) > 1 else "."


def result(modes, hq, kl, r_modes, r_hq, r_kl):
    return {"modes": modes, "high_quality": hq, "reverse_kl": kl,
            "bn_refresh_modes": r_modes, "bn_refresh_high_quality": r_hq, "bn_refresh_reverse_kl": r_kl}


class Table(unittest.TestCase):
    def test_rows(self):
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "ring8_gan"))
            for s, r in ((1, result(6, 0.90, 0.30, 7, 0.96, 0.20)), (3, result(8, 0.80, 0.10, 8, 0.98, 0.10))):
                with open(os.path.join(d, "ring8_gan", f"seed-{s}.json"), "w") as f:
                    json.dump(r, f)
            out = subprocess.run([sys.executable, os.path.join(SOURCE, "scripts", "pacgan_table.py"), "--results", d],
                                 capture_output=True, text=True, check=True).stdout.splitlines()
        self.assertEqual(len(out), 4, out)
        # n = 2: the standard error is |a − b| / 2.
        configs = "configs/pacgan_ring8.toml, pacgan_grid25.toml"
        self.assertEqual(out[0], f"| GAN, advnet at β₁ 0.8, BatchNorm refreshed, as PacGAN scores ({configs}, pack 1; "
                                 "400 epochs; ring: seeds 1, 3; grid: none) | 7.5 ± 0.5 | 97.0 ± 1.0 % | 0.15 ± 0.05 "
                                 "| not yet |  |  |")
        self.assertEqual(out[1], f"| GAN, advnet at β₁ 0.8, as trained ({configs}, pack 1; 400 epochs; ring: seeds 1, 3; "
                                 "grid: none) | 7.0 ± 1.0 | 85.0 ± 5.0 % | 0.20 ± 0.10 | not yet |  |  |")
        self.assertTrue(out[2].startswith(f"| PacGAN2, advnet at β₁ 0.8, BatchNorm refreshed, as PacGAN scores ({configs}, "
                                          "--set training.pack=2;") and "not yet" in out[2], out[2])

    def test_an_undefined_kl_and_a_trial_without_refresh_are_named(self):
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "grid25_gan"))
            for s, r in ((2, result(0, 0.0, None, 3, 0.5, 1.0)), (5, {"modes": 9, "high_quality": 0.5, "reverse_kl": 1.0})):
                with open(os.path.join(d, "grid25_gan", f"seed-{s}.json"), "w") as f:
                    json.dump(r, f)
            out = subprocess.run([sys.executable, os.path.join(SOURCE, "scripts", "pacgan_table.py"), "--results", d],
                                 capture_output=True, text=True, check=True).stdout.splitlines()
        self.assertTrue(out[0].endswith("| not scored so: seed 5 | not scored so: seed 5 | not scored so: seed 5 |"), out[0])
        self.assertTrue(out[1].endswith("| 4.5 ± 4.5 | 25.0 ± 25.0 % | undefined for seed 2 |"), out[1])


if __name__ == "__main__":
    unittest.main()
