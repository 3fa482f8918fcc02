#!/usr/bin/python3
"""Each PacGAN trial's mode coverage epoch by epoch: markdown rows and one SVG chart per row of Table 1.

usage: scripts/pacgan_epochs.py [--results docs/pacgan] [--svg DIR] [--last 100]

Reads RESULTS/ROW/seed-S.json (the finished trials' result.json, copied by scripts/pacgan_runners.sh save) whose
`by_epoch` series exists: trials.py adds it for trainings that logged each epoch's score (eval.modes_every = 1,
from 2026-12-07; scored as `advnet eval modes EPOCH_CHECKPOINT --bn-refresh 50` scores). Prints, per trial, the
modes at the last epoch (the score Table 1's rows take), their minimum, median and maximum over the last LAST
epochs logged, and the share of all logged epochs at which every mode was captured; with --svg, writes
DIR/ROW_modes_by_epoch.svg, the modes of every seed of the row against the epoch. PacGAN's code logs the
same series (its MetricLogger) and does not say which epoch its table reports: these show how much the choice
could move a trial's number.
"""
import argparse
import glob
import json
import os
import re
import statistics
import sys
from xml.sax.saxutils import escape

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"]


def rows(results):
    """{row: {seed: by_epoch}} of RESULTS/ROW/seed-S.json files that carry a by_epoch series."""
    out = {}
    for path in sorted(glob.glob(os.path.join(results, "*", "seed-*.json"))):
        m = re.fullmatch(r"seed-(\d+)\.json", os.path.basename(path))
        if not m:
            continue
        with open(path) as f:
            series = json.load(f).get("by_epoch")
        if series and series.get("epoch"):
            out.setdefault(os.path.basename(os.path.dirname(path)), {})[int(m.group(1))] = series
    return {row: dict(sorted(seeds.items())) for row, seeds in sorted(out.items())}


def n_modes(row):
    """The modes of a row's data, from its name (ring8_*, grid25_*)."""
    m = re.match(r"(ring|grid)(\d+)_", row)
    if not m:
        raise ValueError(f"{row}: not a ring8_* or grid25_* row")
    return int(m.group(2))


def stats(series, modes, last):
    """(last epoch, its modes, min, median, max over the last `last` epochs logged, share of epochs with all modes)."""
    tail = series["modes"][-last:]
    full = sum(1 for v in series["modes"] if v == modes) / len(series["modes"])
    return series["epoch"][-1], series["modes"][-1], min(tail), statistics.median(tail), max(tail), full


def svg(row, seeds, modes, width=640, height=300):
    """A line per seed: modes captured (0..modes) against the epoch (1..the last logged)."""
    left, right, top, bottom = 48, 90, 28, 36
    last_epoch = max(s["epoch"][-1] for s in seeds.values())
    x = lambda e: left + (width - left - right) * (e - 1) / max(last_epoch - 1, 1)  # noqa: E731
    y = lambda v: top + (height - top - bottom) * (1 - v / modes)  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           f'font-size="11">', f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="13">{escape(row)}: modes captured per epoch '
           f'(eval modes --bn-refresh 50)</text>']
    for v in sorted({0, modes // 2, modes}):
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v}</text>')
    for e in sorted({1, (last_epoch + 1) // 2, last_epoch}):
        out.append(f'<text x="{x(e):.1f}" y="{height - bottom + 16}" text-anchor="middle">{e}</text>')
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - 6}" text-anchor="middle">epoch</text>')
    for i, (seed, s) in enumerate(seeds.items()):
        colour = COLOURS[i % len(COLOURS)]
        points = " ".join(f"{x(e):.1f},{y(v):.1f}" for e, v in zip(s["epoch"], s["modes"]))
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.2" points="{points}"/>')
        out.append(f'<text x="{width - right + 8}" y="{top + 14 * i + 4}" fill="{colour}">seed {seed}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser(description="PacGAN trials' mode coverage epoch by epoch")
    p.add_argument("--results", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "pacgan"))
    p.add_argument("--svg", help="write DIR/ROW_modes_by_epoch.svg for each row")
    p.add_argument("--last", type=int, default=100, help="the epochs (the last logged) of the min, median and max")
    a = p.parse_args()
    if a.last < 1:
        p.error("--last must be at least 1")
    found = rows(a.results)
    if not found:
        print(f"pacgan_epochs: no result under {a.results} carries a by_epoch series", file=sys.stderr)
        return 1
    print(f"| row | seed | epochs logged | modes at the last | min / median / max, last {a.last} | epochs with every mode |")
    print("|---|---|---|---|---|---|")
    for row, seeds in found.items():
        modes = n_modes(row)
        for seed, s in seeds.items():
            last, at_last, lo, med, hi, full = stats(s, modes, a.last)
            print(f"| {row} | {seed} | {s['epoch'][0]}–{last} ({len(s['epoch'])}) | {at_last} of {modes} | "
                  f"{lo} / {med:g} / {hi} | {100 * full:.0f} % |")
        if a.svg:
            path = os.path.join(a.svg, f"{row}_modes_by_epoch.svg")
            with open(path, "w") as f:
                f.write(svg(row, seeds, modes))
            print(f"pacgan_epochs: wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
