#!/usr/bin/env python3
"""Carries unfinished trials across working sessions, through git.

usage: scripts/carry_trials.py save [--runs runs/pacgan] [--carry experiments/carry]
       scripts/carry_trials.py restore [--carry experiments/carry] [--runs runs/pacgan]

Every working session here starts on a fresh checkout: runs/ (ignored by git) is gone, and with it
the checkpoints of every trial still running when the last session stopped. `save` copies what a
trial needs to resume (checkpoints/latest.safetensors, config.toml, metrics.jsonl and the runner's
seed-S.log) of each unfinished trial, RUNS/ROW/seed-S without result.json, into CARRY/ROW/seed-S, to
be committed; it removes the carried copies of trials that have finished since. `restore` puts them
back where scripts/trials.py resumes them (never over a checkpoint already there). A trial resumed
from these files ends byte-identical to an unbroken one at the same thread count (the files are the
whole state of a run: checked by resuming a copy of them, 2026-12-07).

Each carried checkpoint is a few megabytes (PacGAN's 2-D nets: 10.7 MB with Adam's moments), so
only trials that cannot finish within the session are worth carrying.
"""
import argparse
import json
import os
import shutil
import struct
import sys

CARRIED = [("checkpoints/latest.safetensors", "latest.safetensors"), ("config.toml", "config.toml"),
           ("metrics.jsonl", "metrics.jsonl")]


def trials(root):
    """(row, seed-S) of every trial directory under root: root/ROW/seed-S."""
    if not os.path.isdir(root):
        return []
    return sorted((row, name) for row in os.listdir(root) if os.path.isdir(os.path.join(root, row))
                  for name in os.listdir(os.path.join(root, row))
                  if name.startswith("seed-") and os.path.isdir(os.path.join(root, row, name)))


def checkpoint_position(path):
    """(epochs completed, iterations into the next) of an advnet checkpoint: its __metadata__."""
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        meta = json.loads(f.read(size)).get("__metadata__", {})
    return int(meta["epoch"]), int(meta.get("batch", 0))


def keep_up_to(metrics_path, epoch):
    """Cuts a carried metrics.jsonl back to the carried checkpoint's completed epochs; returns how many
    lines it dropped.

    The trainer appends an epoch's line and then writes the checkpoint, and save copies the two while it
    runs, so the copied metrics may hold a line past the checkpoint, which the resumed trial would write
    again. Kept: every line of the epochs up to the checkpoint's (an earlier session's partial lines
    included). Dropped: the lines past it, a torn last line, and the partial line (completed: false) of
    the epoch a checkpoint stopped in: its iterations count from that session's start, the checkpoint's
    batch from the epoch's, so which of them the copy holds cannot be told apart; the resumed trial
    logs that epoch whole when it completes it, and the report reads completed lines only."""
    kept, dropped = [], 0
    with open(metrics_path) as f:
        for line in f:
            try:
                keep = int(json.loads(line)["epoch"]) <= epoch
            except (ValueError, KeyError, TypeError):
                keep = False
            if keep:
                kept.append(line if line.endswith("\n") else line + "\n")
            elif line.strip():
                dropped += 1
    with open(metrics_path, "w") as f:
        f.writelines(kept)
    return dropped


def save(runs, carry):
    for row, seed in trials(carry):  # finished since it was carried: its result lives in docs/
        if os.path.exists(os.path.join(runs, row, seed, "result.json")):
            shutil.rmtree(os.path.join(carry, row, seed))
            print(f"carry: {row}/{seed}: finished, its carried copy removed")
    for row, seed in trials(runs):
        run = os.path.join(runs, row, seed)
        if os.path.exists(os.path.join(run, "result.json")):
            continue
        if not os.path.exists(os.path.join(run, "checkpoints", "latest.safetensors")):
            print(f"carry: {row}/{seed}: no checkpoint yet, nothing to carry")
            continue
        dest = os.path.join(carry, row, seed)
        os.makedirs(dest, exist_ok=True)
        for src, name in CARRIED:  # the checkpoint first: the metrics copied after it can only be ahead
            shutil.copyfile(os.path.join(run, src), os.path.join(dest, name))
        epoch, batch = checkpoint_position(os.path.join(dest, "latest.safetensors"))
        dropped = keep_up_to(os.path.join(dest, "metrics.jsonl"), epoch)
        log = os.path.join(runs, row, f"{seed}.log")
        if os.path.exists(log):
            shutil.copyfile(log, os.path.join(dest, "runner.log"))
        ahead = f" (metrics.jsonl cut back to it: {dropped} line(s) past it dropped)" if dropped else ""
        print(f"carry: {row}/{seed}: saved at epoch {epoch}" + (f", {batch} batches into the next" if batch else "") + ahead)


def restore(carry, runs):
    for row, seed in trials(carry):
        src, run = os.path.join(carry, row, seed), os.path.join(runs, row, seed)
        if os.path.exists(os.path.join(run, "result.json")) or os.path.exists(os.path.join(run, "checkpoints", "latest.safetensors")):
            print(f"carry: {row}/{seed}: {run} already holds a checkpoint or a result; left as it is")
            continue
        os.makedirs(os.path.join(run, "checkpoints"), exist_ok=True)
        for dst, name in CARRIED:
            shutil.copyfile(os.path.join(src, name), os.path.join(run, dst))
        if os.path.exists(os.path.join(src, "runner.log")):
            shutil.copyfile(os.path.join(src, "runner.log"), os.path.join(runs, row, f"{seed}.log"))
        epoch, batch = checkpoint_position(os.path.join(run, "checkpoints", "latest.safetensors"))
        print(f"carry: {row}/{seed}: restored at epoch {epoch}" + (f", {batch} batches into the next" if batch else ""))


def main():
    p = argparse.ArgumentParser(description="carry unfinished trials across sessions through git")
    p.add_argument("action", choices=["save", "restore"])
    p.add_argument("--runs", default="runs/pacgan")
    p.add_argument("--carry", default="experiments/carry")
    a = p.parse_args()
    if a.action == "save":
        save(a.runs, a.carry)
    else:
        restore(a.carry, a.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
