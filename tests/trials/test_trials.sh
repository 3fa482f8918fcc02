#!/usr/bin/env bash
# scripts/trials.py end to end on a small ring: two seeds finish and are summarised; a second run skips
# them; a trial stopped after its first epoch resumes and ends with the result of an unbroken trial.
# usage: test_trials.sh ADVNET SOURCE_DIR WORK_DIR
set -euo pipefail
advnet=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
trials() { ADVNET=$advnet /usr/bin/python3 "$src/scripts/trials.py" "$src/configs/ring8.toml" --set data.size=2000 --set training.epochs=2 "$@"; }
fail() { echo "test_trials: FAILED: $*"; exit 1; }

trials --seeds 1..2 --out "$work/a" > "$work/first.txt"
grep -q "seed 1: starting" "$work/first.txt" || fail "seed 1 did not start: $(cat "$work/first.txt")"
/usr/bin/python3 - "$work/a/summary.json" <<'PY' || fail "summary"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["finished"] == [1, 2] and s["seeds"] == [1, 2], s
m = s["metrics"]["high_quality"]
v = list(m["per_seed"].values())
assert abs(m["mean"] - sum(v) / 2) < 1e-12, m
assert abs(m["se"] - abs(v[0] - v[1]) / 2) < 1e-12, m  # n = 2: sd / sqrt(2) = |a - b| / 2
assert "modes" in s["metrics"] and len(s["commit"]) == 40, s
PY
trials --seeds 1..2 --out "$work/a" > "$work/second.txt"
[[ $(grep -c "finished, skipped" "$work/second.txt") == 2 ]] || fail "finished trials were not skipped: $(cat "$work/second.txt")"

# Seed 1 stopped after epoch 1 (as a session's end leaves it), then the runner: resumed to epoch 2.
"$advnet" train "$src/configs/ring8.toml" --out "$work/b/seed-1" --seed 1 --threads 1 --epochs 1 --set data.size=2000 > /dev/null
trials --seeds 1 --out "$work/b" > "$work/third.txt"
grep -q "seed 1: resuming" "$work/third.txt" || fail "the stopped trial was not resumed: $(cat "$work/third.txt")"
/usr/bin/python3 - "$work/a/seed-1/result.json" "$work/b/seed-1/result.json" <<'PY' || fail "a resumed trial differs from an unbroken one"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for k in ("modes", "high_quality", "reverse_kl", "counts"):
    assert a[k] == b[k], (k, a[k], b[k])
PY
cmp -s "$work/a/seed-1/checkpoints/latest.safetensors" "$work/b/seed-1/checkpoints/latest.safetensors" ||
  fail "the resumed trial's checkpoint is not byte-identical to the unbroken one's"
# --bn-refresh: a BatchNorm G (PacGAN's ring) scored a second time after its statistics are re-estimated,
# into bn_refresh_* keys equal to eval modes --bn-refresh's own; a finished trial without them gets them.
ptrials() { ADVNET=$advnet /usr/bin/python3 "$src/scripts/trials.py" "$src/configs/pacgan_ring8.toml" --set data.size=2000 --set training.epochs=1 "$@"; }
ptrials --seeds 1 --out "$work/d" > "$work/d1.txt"
ptrials --seeds 1 --out "$work/d" --bn-refresh 20 > "$work/d2.txt"
grep -q "seed 1: finished; scored again" "$work/d2.txt" || fail "a finished trial was not scored again: $(cat "$work/d2.txt")"
"$advnet" eval modes "$work/d/seed-1/checkpoints/latest.safetensors" --threads 1 --bn-refresh 20 --json | tail -n 1 > "$work/d-direct.json"
/usr/bin/python3 - "$work/d/seed-1/result.json" "$work/d-direct.json" "$work/d/summary.json" <<'PY' || fail "--bn-refresh results"
import json, sys
r, direct, summary = (json.load(open(p)) for p in sys.argv[1:])
assert r["bn_refresh_batches"] == 20, r
for k in ("modes", "high_quality", "reverse_kl", "counts"):
    assert r["bn_refresh_" + k] == direct[k], (k, r["bn_refresh_" + k], direct[k])
assert "bn_refresh_high_quality" in summary["metrics"] and "high_quality" in summary["metrics"], summary["metrics"].keys()
assert "bn_refresh_batches" not in summary["metrics"] and summary["bn_refresh"] == 20, summary
PY
# The config logs each epoch's mode coverage (eval.modes_every = 1, refreshed from 50 batches): result.json's
# by_epoch carries it, equal to eval modes --bn-refresh 50 of the epoch's checkpoint; ring8.toml's trials have none.
"$advnet" eval modes "$work/d/seed-1/checkpoints/latest.safetensors" --threads 1 --bn-refresh 50 --json | tail -n 1 > "$work/d-50.json"
/usr/bin/python3 - "$work/d/seed-1/result.json" "$work/d-50.json" "$work/a/seed-1/result.json" <<'PY' || fail "by_epoch"
import json, sys
r, direct, plain = (json.load(open(p)) for p in sys.argv[1:])
e = r["by_epoch"]
assert e["epoch"] == [1], e
for k in ("modes", "high_quality", "reverse_kl"):
    assert e[k] == [direct[k]], (k, e[k], direct[k])
assert "by_epoch" not in plain, plain
PY
ptrials --seeds 1 --out "$work/d" --bn-refresh 20 > "$work/d3.txt"
grep -q "seed 1: finished, skipped" "$work/d3.txt" || fail "a trial scored with the same B was scored again: $(cat "$work/d3.txt")"
ptrials --seeds 1 --out "$work/d" --bn-refresh 30 > "$work/d4.txt"
grep -q "seed 1: finished; scored again" "$work/d4.txt" || fail "a trial scored with another B was not scored again: $(cat "$work/d4.txt")"
grep -q '"bn_refresh_batches": 30' "$work/d/seed-1/result.json" || fail "B = 30 not recorded: $(cat "$work/d/seed-1/result.json")"
# The ring's G has no BatchNorm: the second score fails and says why.
set +e
out=$(trials --seeds 1 --out "$work/a" --bn-refresh 5 2>&1); rc=$?
set -e
[[ $rc == 1 && $out == *"no BatchNorm layer"* ]] || fail "--bn-refresh on a G without BatchNorm: rc $rc: $out"

# Bad arguments: one line, exit 2.
set +e
out=$(trials --seeds 5..1 --out "$work/c" 2>&1); rc=$?
set -e
[[ $rc == 2 && $out == *"--seeds 5..1: expected FIRST..LAST"* ]] || fail "bad --seeds: rc $rc: $out"
echo "test_trials: ok"
