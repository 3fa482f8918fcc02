#!/usr/bin/python3
"""Multi-seed trials of one configuration, resumable: the runner behind PacGAN's tables (docs/pacgan.md).

usage: scripts/trials.py CONFIG --seeds 1..5 --out DIR [--set key=value]... [--threads 1] [--eval modes|metrics]
                        [--bn-refresh B]

Each seed s is one trial in DIR/seed-s (an ordinary advnet run directory). A trial with DIR/seed-s/result.json
is finished and skipped; one with a checkpoint is resumed (`advnet train --out DIR/seed-s --resume --epochs E`,
E the configuration's training.epochs: a killed trial, or one whose session ended, goes on from its last
checkpoint, byte-identical to an unbroken one at the same thread count); otherwise it starts (`advnet train
CONFIG --out DIR/seed-s --seed s --set ...`). A finished training is scored from checkpoints/latest.safetensors:
`advnet eval modes` for 2-D rings and grids and Stacked MNIST, `advnet eval metrics --data PATH` (the configuration's data.path)
for images; its JSON line, with the commands that made it, is the trial's result.json. With --bn-refresh B
(`eval modes` only) the trial is scored a second time after G's BatchNorm running statistics are re-estimated
from B train-mode batches, as PacGAN's 2-D code does before it scores (`eval modes --bn-refresh B`); that score's
numbers join result.json prefixed `bn_refresh_` (bn_refresh_modes, ...), with bn_refresh_batches = B; a finished
trial scored with another B, or none, is scored again. A training that logged each epoch's mode coverage
(eval.modes_every) adds its series as result.json's `by_epoch` (epoch, modes, high_quality, reverse_kl).

Then DIR/summary.json (written whole, atomically) holds, for every numeric key of the results, `mean`, `se`
(the standard error: sample standard deviation / sqrt(n)) and `per_seed`; with the configuration (path and
the resolved text), the overrides, the seeds finished and asked for, and the git commit. One thread per trial
by default: two runners side by side fill this machine's two cores. Exit 0 when every trial is finished, 1 when
one failed (the others still run), 2 on bad arguments.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def seeds_of(text):
    """'1..5' or '1,3,7' or '4'."""
    try:
        if ".." in text:
            lo, hi = (int(v) for v in text.split(".."))
            seeds = list(range(lo, hi + 1))
        else:
            seeds = list(dict.fromkeys(int(v) for v in text.split(",")))  # each seed once, in order
        if not seeds or min(seeds) < 0:
            raise ValueError
        return seeds
    except ValueError:
        print(f"trials: --seeds {text}: expected FIRST..LAST or a comma-separated list of integers, none negative", file=sys.stderr)
        sys.exit(2)


def write_atomic(path, text):
    # A temporary name per process: two runners that share a row's folder (docs/pacgan.md) may both write its
    # summary at once, and a shared name let one rename the other's file away.
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description="multi-seed trials of one advnet configuration, resumable")
    p.add_argument("config")
    p.add_argument("--seeds", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--set", action="append", default=[], dest="sets")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--eval", choices=["modes", "metrics"])
    p.add_argument("--bn-refresh", type=int, default=0, dest="bn_refresh")
    p.add_argument("--advnet", default=os.environ.get("ADVNET", os.path.join(ROOT, "build", "advnet")))
    a = p.parse_args()
    seeds = seeds_of(a.seeds)
    sets = [x for s in a.sets for x in ("--set", s)]
    if a.bn_refresh < 0:
        print(f"trials: --bn-refresh {a.bn_refresh}: expected a number of batches, 0 or more", file=sys.stderr)
        return 2
    if not os.access(a.advnet, os.X_OK):
        print(f"trials: {a.advnet} is missing: run make build-cli", file=sys.stderr)
        return 2
    # The configuration as advnet reads it (every default written): its epochs, data kind and path.
    resolved = subprocess.run([a.advnet, "config", a.config, *sets], capture_output=True, text=True)
    if resolved.returncode != 0:
        print(resolved.stderr.strip() or resolved.stdout.strip(), file=sys.stderr)
        return 2
    cfg = tomllib.loads(resolved.stdout)
    epochs = cfg["training"]["epochs"]
    kind = cfg["data"]["kind"]
    evaluation = a.eval or ("modes" if kind in ("ring_2d", "grid_2d", "stacked_mnist") else "metrics")
    if a.bn_refresh and evaluation != "modes":
        print("trials: --bn-refresh goes with the modes evaluation (rings, grids, Stacked MNIST)", file=sys.stderr)
        return 2
    os.makedirs(a.out, exist_ok=True)
    failed = False
    for s in seeds:
        run = os.path.join(a.out, f"seed-{s}")
        result_path = os.path.join(run, "result.json")
        ckpt = os.path.join(run, "checkpoints", "latest.safetensors")
        if os.path.exists(result_path):
            with open(result_path) as f:
                result = json.load(f)
            if a.bn_refresh and result.get("bn_refresh_batches") != a.bn_refresh:
                if not add_refreshed_score(a, s, ckpt, result):
                    failed = True
                    continue
                write_atomic(result_path, json.dumps(result) + "\n")
                print(f"trials: seed {s}: finished; scored again after re-estimating BatchNorm's statistics")
            else:
                print(f"trials: seed {s}: finished, skipped")
            continue
        if os.path.exists(os.path.join(run, "checkpoints", "latest.safetensors")):
            train = [a.advnet, "train", "--out", run, "--resume", "--epochs", str(epochs), "--threads", str(a.threads)]
            print(f"trials: seed {s}: resuming")
        else:
            train = [a.advnet, "train", a.config, "--out", run, "--seed", str(s), "--threads", str(a.threads), *sets]
            print(f"trials: seed {s}: starting")
        sys.stdout.flush()
        with open(os.path.join(a.out, f"seed-{s}.log"), "a") as log:
            if subprocess.run(train, stdout=log, stderr=subprocess.STDOUT).returncode != 0:
                print(f"trials: seed {s}: training failed, see {a.out}/seed-{s}.log")
                failed = True
                continue
        if evaluation == "modes":
            score = [a.advnet, "eval", "modes", ckpt, "--threads", str(a.threads), "--json"]
        else:
            score = [a.advnet, "eval", "metrics", ckpt, "--data", cfg["data"]["path"], "--threads", str(a.threads), "--json"]
        r = subprocess.run(score, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"trials: seed {s}: evaluation failed: {r.stderr.strip()}")
            failed = True
            continue
        lines = r.stdout.strip().splitlines()
        if not lines:
            print(f"trials: seed {s}: evaluation printed nothing")
            failed = True
            continue
        result = json.loads(lines[-1])
        result["seed"] = s
        by_epoch = epoch_scores(run)
        if by_epoch:
            result["by_epoch"] = by_epoch
        result["commands"] = [" ".join(train), " ".join(score)]
        if a.bn_refresh and not add_refreshed_score(a, s, ckpt, result):
            failed = True
            continue
        write_atomic(result_path, json.dumps(result) + "\n")
        print(f"trials: seed {s}: {', '.join(f'{k} {v:.4g}' for k, v in result.items() if isinstance(v, float))}")
    summarise(a, seeds, sets, resolved.stdout)
    return 1 if failed else 0


def epoch_scores(run):
    """The mode coverage metrics.jsonl logged after each completed epoch (eval.modes_every), as lists; None if none."""
    keys = ("epoch", "modes", "high_quality", "reverse_kl")
    series = {k: [] for k in keys}
    with open(os.path.join(run, "metrics.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if r.get("completed") and "modes" in r:
                for k in keys:
                    series[k].append(r[k])
    return series if series["epoch"] else None


def add_refreshed_score(a, s, ckpt, result):
    """Scores ckpt with `eval modes --bn-refresh B` into result's bn_refresh_* keys; False (said) on failure."""
    score = [a.advnet, "eval", "modes", ckpt, "--threads", str(a.threads), "--bn-refresh", str(a.bn_refresh), "--json"]
    r = subprocess.run(score, capture_output=True, text=True)
    lines = r.stdout.strip().splitlines()
    if r.returncode != 0 or not lines:
        print(f"trials: seed {s}: evaluation after --bn-refresh failed: {r.stderr.strip() or 'it printed nothing'}")
        return False
    for k, v in json.loads(lines[-1]).items():
        if not k.startswith("n_"):
            result[f"bn_refresh_{k}"] = v
    result["bn_refresh_batches"] = a.bn_refresh
    result["commands"] = result.get("commands", []) + [" ".join(score)]
    return True


def mean_se(vals):
    """The mean and its standard error (sample standard deviation / sqrt(n); None for one value)."""
    n = len(vals)
    mean = sum(vals) / n
    return mean, math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1) / n) if n > 1 else None


def summarise(a, seeds, sets, resolved_text):
    results = {}
    for s in seeds:
        path = os.path.join(a.out, f"seed-{s}", "result.json")
        if os.path.exists(path):
            with open(path) as f:
                results[s] = json.load(f)
    metrics = {}
    # every numeric key of any result, but the seed and the protocol's sizes (n_samples, n_modes, ...)
    keys = []
    for r in results.values():
        keys += [k for k, v in r.items() if isinstance(v, (int, float)) and k not in ("seed", "bn_refresh_batches")
                 and not k.startswith("n_") and k not in keys]
    for k in keys:
        vals = [results[s].get(k) for s in results]
        if any(v is None for v in vals):  # e.g. a reverse KL undefined for a seed: no mean, the seeds listed
            metrics[k] = {"mean": None, "se": None, "per_seed": dict(zip(map(str, results), vals))}
            continue
        mean, se = mean_se(vals)
        metrics[k] = {"mean": mean, "se": se, "per_seed": dict(zip(map(str, results), vals))}
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    summary = {"config": a.config, "config_resolved": resolved_text, "overrides": a.sets, "seeds": seeds,
               "finished": sorted(results), "commit": commit, "threads": a.threads, "bn_refresh": a.bn_refresh,
               "metrics": metrics}
    write_atomic(os.path.join(a.out, "summary.json"), json.dumps(summary, indent=1) + "\n")
    for k, m in metrics.items():
        if m["mean"] is not None:
            se = f" ± {m['se']:.4g}" if m["se"] is not None else ""
            print(f"trials: {k} {m['mean']:.4g}{se} over {len(results)} of {len(seeds)} seeds")
    print(f"trials: wrote {os.path.join(a.out, 'summary.json')}")


if __name__ == "__main__":
    sys.exit(main())
