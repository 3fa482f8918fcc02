#!/usr/bin/env bash
# scripts/carry_trials.py end to end on a small ring: a trial stopped after epoch 1 is saved to a carry
# folder, the runs folder is lost (as a session's end loses runs/), the trial is restored into a new one
# and the runner resumes it to the bytes of an unbroken trial; a metrics.jsonl one epoch ahead of the
# checkpoint (save copies the two while the trainer writes them) is cut back to the checkpoint, so the
# resumed trial logs each epoch once; a finished trial's carried copy is removed
# at the next save; restore never overwrites a checkpoint.
# usage: test_carry.sh ADVNET SOURCE_DIR WORK_DIR
set -euo pipefail
advnet=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
trials() { ADVNET=$advnet /usr/bin/python3 "$src/scripts/trials.py" "$src/configs/ring8.toml" --set data.size=2000 --set training.epochs=2 "$@"; }
carry() { /usr/bin/python3 "$src/scripts/carry_trials.py" "$@"; }
fail() { echo "test_carry: FAILED: $*"; exit 1; }

trials --seeds 1 --out "$work/unbroken/row" > /dev/null
"$advnet" train "$src/configs/ring8.toml" --out "$work/old/row/seed-1" --seed 1 --threads 1 --epochs 1 --set data.size=2000 > /dev/null
# The race: the trainer has appended epoch 2's line but not yet written its checkpoint.
sed -n 2p "$work/unbroken/row/seed-1/metrics.jsonl" >> "$work/old/row/seed-1/metrics.jsonl"
carry save --runs "$work/old" --carry "$work/carry" > "$work/save.txt"
grep -q "row/seed-1: saved at epoch 1 (metrics.jsonl cut back to it: 1 line(s) past it dropped)" "$work/save.txt" ||
  fail "save: $(cat "$work/save.txt")"
rm -rf "$work/old"
carry restore --carry "$work/carry" --runs "$work/new" > "$work/restore.txt"
grep -q "row/seed-1: restored at epoch 1" "$work/restore.txt" || fail "restore: $(cat "$work/restore.txt")"
carry restore --carry "$work/carry" --runs "$work/new" > "$work/again.txt"
grep -q "left as it is" "$work/again.txt" || fail "a second restore did not leave the checkpoint alone: $(cat "$work/again.txt")"
trials --seeds 1 --out "$work/new/row" > "$work/resume.txt"
grep -q "seed 1: resuming" "$work/resume.txt" || fail "the restored trial was not resumed: $(cat "$work/resume.txt")"
cmp -s "$work/unbroken/row/seed-1/checkpoints/latest.safetensors" "$work/new/row/seed-1/checkpoints/latest.safetensors" ||
  fail "the carried trial's checkpoint is not byte-identical to the unbroken one's"
epochs=$(grep -o '"epoch":[0-9]*' "$work/new/row/seed-1/metrics.jsonl" | paste -sd ' ')
[[ $epochs == '"epoch":1 "epoch":2' ]] || fail "the resumed trial's metrics.jsonl logs epochs $epochs, not 1 and 2 once each"
carry save --runs "$work/new" --carry "$work/carry" > "$work/save2.txt"
grep -q "row/seed-1: finished, its carried copy removed" "$work/save2.txt" || fail "second save: $(cat "$work/save2.txt")"
[[ ! -e $work/carry/row/seed-1 ]] || fail "the finished trial is still carried"
echo "test_carry: ok"
