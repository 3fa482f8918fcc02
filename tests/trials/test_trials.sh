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
# Bad arguments: one line, exit 2.
set +e
out=$(trials --seeds 5..1 --out "$work/c" 2>&1); rc=$?
set -e
[[ $rc == 2 && $out == *"--seeds 5..1: expected FIRST..LAST"* ]] || fail "bad --seeds: rc $rc: $out"
echo "test_trials: ok"
