#!/usr/bin/env bash
# scripts/pacgan_runners.sh end to end on a small ring, in a work folder (PLAN, RUNS, CARRY, DOCS): start puts
# back a finished trial's result (skipped) and a carried trial (resumed), runs its two runners in the
# background, each its own seeds; pause stops every process of a runner and continue lets it go on; stop ends
# them and start resumes their trials; save
# copies the finished results into DOCS and drops the carried copy of a trial that has finished.
# usage: test_runners.sh ADVNET SOURCE_DIR WORK_DIR
set -euo pipefail
advnet=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
fail() { echo "test_runners: FAILED: $*"; exit 1; }
small=(--set data.size=2000)
# NICE=0: beside other tests (ctest -j2) a runner at nice 19 would hardly run.
export PLAN=$work/plan.txt RUNS=$work/runs CARRY=$work/carry DOCS=$work/docs RUNNERS_BINARY=$advnet NICE=0
runners() { "$src/scripts/pacgan_runners.sh" "$@"; }
# On any exit, no runner of this test outlives it (a failed test would leave them writing into WORK_DIR).
stop_runners() {
  local pidfile
  for pidfile in "$RUNS"/runner-*.pid; do
    [[ -e $pidfile ]] || continue
    kill -CONT -- "-$(cat "$pidfile")" 2> /dev/null || true  # gone already: nothing to stop
    kill -TERM -- "-$(cat "$pidfile")" 2> /dev/null || true
  done
  return 0
}
trap stop_runners EXIT
# The states (R, S, T, ...) of the processes of process group $1, from /proc (a fresh root may lack ps).
group_states() {
  local pgid=$1 stat line fields
  for stat in /proc/[0-9]*/stat; do
    line=$(cat "$stat" 2> /dev/null) || continue  # ended while listed
    read -r -a fields <<< "${line##*) }"  # after "PID (COMM) ": state ppid pgrp ...
    if [[ ${fields[2]} == "$pgid" ]]; then echo "${fields[0]}"; fi
  done | sort -u | paste -sd ' '
}
# Waits up to 120 s for the runners to end (the pid files of runners still running).
wait_runners() {
  for _ in $(seq 240); do
    local alive=0 pidfile
    for pidfile in "$RUNS"/runner-*.pid; do kill -0 "$(cat "$pidfile")" 2> /dev/null && alive=1; done
    [[ $alive == 0 ]] && return 0
    sleep 0.5
  done
  fail "the runners did not end within 120 s"
}

# Seed 3 finished in an earlier session (its result in DOCS); seed 2 was carried after epoch 1.
ADVNET=$advnet /usr/bin/python3 "$src/scripts/trials.py" "$src/configs/ring8.toml" "${small[@]}" --set training.epochs=2 \
  --seeds 3 --out "$work/earlier" > /dev/null
mkdir -p "$DOCS/row" && cp "$work/earlier/seed-3/result.json" "$DOCS/row/seed-3.json"
"$advnet" train "$src/configs/ring8.toml" --out "$work/old/row/seed-2" --seed 2 --threads 1 --epochs 1 "${small[@]}" \
  --set training.epochs=2 > /dev/null
/usr/bin/python3 "$src/scripts/carry_trials.py" save --runs "$work/old" --carry "$CARRY" > /dev/null

cat > "$PLAN" <<PLAN
# RUNNER  OUT  CONFIG  SEEDS  [more]
a  row  configs/ring8.toml  1,3  --set data.size=20000 --set training.epochs=100
b  row  configs/ring8.toml  2    --set data.size=2000 --set training.epochs=2
PLAN
runners start > "$work/start.txt"
grep -q "row/seed-2: restored at epoch 1" "$work/start.txt" || fail "start did not restore: $(cat "$work/start.txt")"
started=$(cat "$work/start.txt")
[[ $started == *"a: started"* && $started == *"b: started"* ]] || fail "start: $started"
[[ $(runners start) == *"a: already running"* ]] || fail "a second start did not see runner a running"
sleep 60 & stranger=$!  # alive, but no runner: it does not lead a process group of its own
echo "$stranger" > "$RUNS/runner-stale.pid"
paused=$(runners pause)
runners continue > /dev/null
kill "$stranger"; rm "$RUNS/runner-stale.pid"
# Counted, it would have been sent SIGSTOP as a group that does not exist.
[[ $paused != *"$stranger"* ]] || fail "pause counted a stale pid file: $paused"

# Runner a's seed 1 trains 100 epochs of 20 000 points (seconds): long enough to pause it.
for _ in $(seq 100); do [[ -s $RUNS/row/seed-1/metrics.jsonl ]] && break; sleep 0.2; done
runners pause > /dev/null
pgid=$(cat "$RUNS/runner-a.pid")
for _ in $(seq 20); do  # a stop lands when each process is next scheduled: up to 2 s on a busy machine
  states=$(group_states "$pgid")
  [[ $states == T ]] && break
  sleep 0.1
done
[[ $states == T ]] || { runners continue; fail "paused, runner a's processes are in states '$states', not T"; }
before=$(wc -l < "$RUNS/row/seed-1/metrics.jsonl"); sleep 1; after=$(wc -l < "$RUNS/row/seed-1/metrics.jsonl")
runners continue > /dev/null
[[ $before == "$after" ]] || fail "a paused runner went on training ($before → $after epochs)"
# stop ends a paused runner too, with all it started; start then resumes its trial.
for _ in $(seq 100); do [[ -e $RUNS/row/seed-1/checkpoints/latest.safetensors ]] && break; sleep 0.2; done
runners pause > /dev/null
[[ $(runners stop) == *"runner(s) stopped"* ]] || fail "stop did not say what it stopped"  # b may have ended
left=$(group_states "$pgid")  # Z: ended, not yet reaped by whoever adopted it
[[ -z ${left//[Z ]/} ]] || fail "after stop, runner a's processes are still there: $left"
runners start > /dev/null
wait_runners

grep -q "seed 3: finished, skipped" "$RUNS/row.runner-1,3.log" || fail "seed 3 was not skipped: $(cat "$RUNS/row.runner-1,3.log")"
grep -q "seed 1: starting" "$RUNS/row.runner-1,3.log" || fail "seed 1: $(cat "$RUNS/row.runner-1,3.log")"
grep -q "seed 2: resuming" "$RUNS/row.runner-2.log" || fail "seed 2 was not resumed: $(cat "$RUNS/row.runner-2.log")"
[[ $(grep -c "seed 1: resuming" "$RUNS/row.runner-1,3.log") == 1 ]] || fail "seed 1 was not resumed after stop: $(cat "$RUNS/row.runner-1,3.log")"
echo "trials: seed 9: starting" > "$RUNS/row/seed-9.log"  # a trial that has not logged an epoch yet
status=$(runners status)
[[ $status == *"row/seed-1.log: epoch 100/100"* && $status == *"row/seed-2.log: epoch 2/2"* &&
   $status == *"row/seed-9.log: "* && $status == *"row.runner-2.log: "* ]] || fail "status: $status"
runners save > "$work/save.txt"
for s in 1 2 3; do [[ -e $DOCS/row/seed-$s.json ]] || fail "save did not copy seed $s's result: $(cat "$work/save.txt")"; done
grep -q "row/seed-2: finished, its carried copy removed" "$work/save.txt" || fail "save: $(cat "$work/save.txt")"
[[ ! -e $CARRY/row/seed-2 ]] || fail "the finished trial is still carried"
echo "test_runners: ok"
