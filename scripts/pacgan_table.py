#!/usr/bin/python3
"""PacGAN's Table 1 as advnet's trials stand: markdown rows from the finished trials' results.

usage: scripts/pacgan_table.py [--results docs/pacgan]

Reads RESULTS/{ring8,grid25}_{gan,pac2}/seed-S.json (the result.json of each finished trial, copied there by
scripts/pacgan_runners.sh save) and prints, for GAN and PacGAN2, a row scored as PacGAN's code scores (G's
BatchNorm statistics re-estimated first: the bn_refresh_* keys) and a row as trained: mean ± standard error
(trials.py's mean_se) of the modes, the high-quality share and the reverse KL, ring then grid, each row naming
the configs, the packing, the epochs (all trials run the configs' 400) and the seeds. docs/pacgan.md's β₁ 0.8
rows are this script's output; the README's carry its numbers under shorter labels.
"""
import argparse
import glob
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trials import mean_se  # noqa: E402

# (row name, results folder suffix, how the configs run: the cells name it with the configs and the epochs)
MODELS = [("GAN", "gan", "pack 1"), ("PacGAN2", "pac2", "--set training.pack=2")]
SETS = [("ring8", 8), ("grid25", 25)]


def results(folder):
    """{seed: result} of folder/seed-S.json."""
    out = {}
    for path in glob.glob(os.path.join(folder, "seed-*.json")):
        m = re.fullmatch(r"seed-(\d+)\.json", os.path.basename(path))
        if m:
            with open(path) as f:
                out[int(m.group(1))] = json.load(f)
    return dict(sorted(out.items()))


def cells(rs, prefix):
    """The three cells of one set (modes, high quality, reverse KL) over the results rs."""
    if not rs:
        return ["not yet", "", ""]
    out = []
    for key, fmt in (("modes", "{:.1f}"), ("high_quality", "{:.1f}"), ("reverse_kl", "{:.2f}")):
        missing = [s for s, r in rs.items() if prefix + key not in r]
        undefined = [s for s, r in rs.items() if prefix + key in r and r[prefix + key] is None]
        if missing:  # a trial scored without --bn-refresh
            out.append("not scored so: seed " + ", ".join(map(str, missing)))
            continue
        if undefined:  # eval modes' reverse KL when no sample is high quality
            out.append("undefined for seed " + ", ".join(map(str, undefined)))
            continue
        mean, se = mean_se([r[prefix + key] * (100 if key == "high_quality" else 1) for r in rs.values()])
        text = fmt.format(mean) + (" ± " + fmt.format(se) if se is not None else "")
        out.append(text + (" %" if key == "high_quality" else ""))
    return out


def seeds_text(seeds):
    """[1, 2, 3] → '1–3'; [1, 3] → '1, 3'."""
    if seeds and seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(map(str, seeds))


def main():
    p = argparse.ArgumentParser(description="PacGAN's Table 1 rows from advnet's finished trials")
    p.add_argument("--results", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                     "docs", "pacgan"))
    a = p.parse_args()
    for name, tag, how in MODELS:
        per_set = [(s, results(os.path.join(a.results, f"{s}_{tag}"))) for s, _ in SETS]
        batches = {r.get("bn_refresh_batches") for _, rs in per_set for r in rs.values() if "bn_refresh_batches" in r}
        if len(batches) > 1:
            print(f"pacgan_table: {name}'s trials re-estimate BatchNorm with different numbers of batches "
                  f"({sorted(batches)}): score them alike first", file=sys.stderr)
            return 2
        trials = "; ".join(f"{s.rstrip('0123456789')}: " + (f"seed{'s' if len(rs) > 1 else ''} {seeds_text(list(rs))}" if rs else "none")
                           for s, rs in per_set)
        for label, prefix in (("BatchNorm refreshed, as PacGAN scores", "bn_refresh_"), ("as trained", "")):
            row = [f"{name}, advnet at β₁ 0.8, {label} (configs/pacgan_ring8.toml, pacgan_grid25.toml, {how}; "
                   f"400 epochs; {trials})"]
            for _, rs in per_set:
                row += cells(rs, prefix)
            print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
