#!/usr/bin/env bash
# The PacGAN trials' background runners, in one command per step of a working session (docs/pacgan.md, Progress).
#   scripts/pacgan_runners.sh start     build the command, pin it as RUNS/bin/advnet-COMMIT, put back the trials
#                                       carried by the last session and the results of the finished ones
#                                       (DOCS/ROW/seed-S.json), start each runner of the plan not already
#                                       running (nice NICE, one thread; a runner runs its lines one after another)
#   scripts/pacgan_runners.sh status    each trial's last epoch and each runner's last line
#   scripts/pacgan_runners.sh pause     SIGSTOP every runner with all it started (before a benchmark: the issue's
#   scripts/pacgan_runners.sh continue  rule), SIGCONT after it
#   scripts/pacgan_runners.sh stop      end every runner with all it started (SIGTERM: a training writes a checkpoint
#                                       at its iteration and ends; stop waits for that), so that the next start
#                                       resumes the trials with a newly pinned binary
#   scripts/pacgan_runners.sh save      carry the unfinished trials into CARRY (commit it) and copy the finished
#                                       trials' result.json of the plan's rows to DOCS/ROW/seed-S.json
# Every session starts on a fresh checkout without runs/: start first thing, save before the session ends.
# The environment may set PLAN (experiments/pacgan_runners.txt), RUNS (runs/pacgan), CARRY (experiments/carry),
# DOCS (docs/pacgan), NICE (19) and RUNNERS_BINARY (a binary to pin instead of building one: the test's).
set -euo pipefail
pinned=${RUNNERS_BINARY:+$(realpath "$RUNNERS_BINARY")}  # a path from where the command was given
cd "$(dirname "$0")/.."
plan=${PLAN:-experiments/pacgan_runners.txt}
runs=${RUNS:-runs/pacgan}
carry=${CARRY:-experiments/carry}
docs=${DOCS:-docs/pacgan}
niceness=${NICE:-19}  # the trials yield to any other work (the test runs them at 0, beside other tests)

# Whether the runner of pid file $1 runs: its process exists, is no zombie, and leads its own process group
# (setsid), so that a stale pid file whose pid went to some other process does not count.
alive() {
  local pid stat fields
  pid=$(cat "$1" 2> /dev/null) || return 1
  stat=$(cat "/proc/$pid/stat" 2> /dev/null) || return 1
  read -r -a fields <<< "${stat##*) }"  # after "PID (COMM) ": state ppid pgrp ...
  [[ ${fields[0]} != Z && ${fields[2]} == "$pid" ]]
}

# Whether any process of process group $1 (a runner and all it started) has yet to end (zombies have).
group_alive() {
  local stat line fields
  for stat in /proc/[0-9]*/stat; do
    line=$(cat "$stat" 2> /dev/null) || continue  # ended while listed
    read -r -a fields <<< "${line##*) }"  # after "PID (COMM) ": state ppid pgrp ...
    [[ ${fields[2]} == "$1" && ${fields[0]} != Z ]] && return 0
  done
  return 1
}

# The pid of each runner that is running, one per line.
running() {
  local pidfile
  for pidfile in "$runs"/runner-*.pid; do
    if alive "$pidfile"; then cat "$pidfile"; fi
  done
}

case ${1:-} in
start)
  built=${pinned:-build/advnet}
  [[ -n $pinned ]] || make build-cli
  bin=$runs/bin/advnet-$(git rev-parse --short HEAD)
  mkdir -p "$runs/bin"
  [[ -e $bin ]] || { cp "$built" "$bin.tmp" && mv "$bin.tmp" "$bin"; }  # never over a binary that runs
  python3 scripts/carry_trials.py restore --carry "$carry" --runs "$runs"
  for done in "$docs"/*/seed-*.json; do  # finished trials, so that the runners skip them
    [[ -e $done ]] || continue
    run=$runs/$(basename "$(dirname "$done")")/$(basename "$done" .json)
    [[ -e $run/result.json ]] || { mkdir -p "$run" && cp "$done" "$run/result.json"; }
  done
  mapfile -t ids < <(grep -v '^#' "$plan" | awk 'NF { print $1 }' | sort -u)
  for id in "${ids[@]}"; do
    pidfile=$runs/runner-$id.pid
    if alive "$pidfile"; then
      echo "runners: $id: already running"; continue
    fi
    grep -v '^#' "$plan" | awk -v id="$id" '$1 == id' > "$runs/runner-$id.plan"
    # shellcheck disable=SC2016 # the inner script expands its own arguments
    setsid nohup nice -n "$niceness" bash -c '
      while read -r _ out config seeds more; do
        # shellcheck disable=SC2086 # $more holds several arguments
        python3 scripts/trials.py "$config" --seeds "$seeds" --out "$2/$out" $more --threads 1 --advnet "$1" \
          >> "$2/$out.runner-$seeds.log" 2>&1 < /dev/null
      done < "$3"' _ "$bin" "$runs" "$runs/runner-$id.plan" > /dev/null 2>&1 < /dev/null &
    echo $! > "$pidfile"
    echo "runners: $id: started with $bin: $(awk '{ print $2 " " $4 }' "$runs/runner-$id.plan" | paste -sd ';')"
  done ;;
status)
  for log in "$runs"/*/seed-*.log; do
    [[ -e $log ]] || continue
    last=$(grep '^epoch' "$log" | tail -n 1 | cut -d' ' -f1-2 || true)  # none yet: a trial just started
    trial=${log%.log}
    if [[ ! -e $trial/result.json && -e $trial/metrics.jsonl && $last =~ epoch\ ([0-9]+)/([0-9]+) ]]; then
      # the pace of the last 20 epochs, and when the trial ends at that pace
      last+=$(python3 - "$trial/metrics.jsonl" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" <<'PY'
import json, sys, time
secs = []
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("completed") and "seconds" in r:
        secs.append(r["seconds"])
pace = sum(secs[-20:]) / len(secs[-20:]) if secs else 0
left = (int(sys.argv[3]) - int(sys.argv[2])) * pace
print(f", {pace:.1f} s an epoch, ends ~{time.strftime('%H:%M', time.gmtime(time.time() + left))} UTC" if pace else "", end="")
PY
)
    fi
    echo "$log: $last"
  done
  for log in "$runs"/*.runner-*.log; do [[ -e $log ]] && echo "$log: $(tail -n 1 "$log")"; done ;;
pause | continue)
  signal=$([[ $1 == pause ]] && echo STOP || echo CONT)
  mapfile -t pids < <(running)
  for pid in "${pids[@]}"; do kill -"$signal" -- "-$pid" 2> /dev/null || echo "runners: $pid: ended meanwhile"; done
  echo "runners: ${#pids[@]} runner(s) sent SIG$signal" ;;
stop)
  mapfile -t pids < <(running)
  for pid in "${pids[@]}"; do  # a paused group acts on SIGTERM only once continued
    kill -CONT -- "-$pid" 2> /dev/null && kill -TERM -- "-$pid" 2> /dev/null || echo "runners: $pid: ended meanwhile"
  done
  # The leader may end before what it started: wait for every process of each group.
  left=("${pids[@]}")
  for _ in $(seq 60); do
    mapfile -t left < <(for pid in "${left[@]}"; do if group_alive "$pid"; then echo "$pid"; fi; done)
    ((${#left[@]} == 0)) && break
    sleep 0.5
  done
  ((${#left[@]} == 0)) || { echo "runners: still running 30 s after SIGTERM: ${left[*]}" >&2; exit 1; }
  echo "runners: ${#pids[@]} runner(s) stopped; start resumes their trials" ;;
save)
  python3 scripts/carry_trials.py save --runs "$runs" --carry "$carry"
  mapfile -t rows < <(grep -v '^#' "$plan" | awk 'NF { print $2 }' | sort -u)
  for row in "${rows[@]}"; do  # the plan's rows only: a stray folder's results never pass for the plan's
    for result in "$runs/$row"/seed-*/result.json; do
      [[ -e $result ]] || continue
      mkdir -p "$docs/$row" && cp "$result" "$docs/$row/$(basename "$(dirname "$result")").json"
    done
  done
  echo "runners: saved; commit $carry and $docs" ;;
*)
  echo "usage: scripts/pacgan_runners.sh start|status|pause|continue|stop|save" >&2; exit 2 ;;
esac
