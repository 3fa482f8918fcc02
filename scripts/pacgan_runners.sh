#!/usr/bin/env bash
# The PacGAN trials' background runners, in one command per step of a working session (docs/pacgan.md, Progress).
#   scripts/pacgan_runners.sh start    build the command, pin it as RUNS/bin/advnet-COMMIT, put back the trials
#                                      carried by the last session and the results of the finished ones
#                                      (docs/pacgan/ROW/seed-S.json), start each runner of the plan not already
#                                      running (nice 19, one thread; a runner runs its lines one after another)
#   scripts/pacgan_runners.sh status   each trial's last epoch and each runner's last line
#   scripts/pacgan_runners.sh save     carry the unfinished trials into experiments/carry/ (commit it) and copy the
#                                      finished trials' result.json of the plan's rows to docs/pacgan/ROW/seed-S.json
# Every session starts on a fresh checkout without runs/: start first thing, save before the session ends.
# PLAN (experiments/pacgan_runners.txt) and RUNS (runs/pacgan) may be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
plan=${PLAN:-experiments/pacgan_runners.txt}
runs=${RUNS:-runs/pacgan}

case ${1:-} in
start)
  make build-cli
  bin=$runs/bin/advnet-$(git rev-parse --short HEAD)
  mkdir -p "$runs/bin"
  [[ -e $bin ]] || { cp build/advnet "$bin.tmp" && mv "$bin.tmp" "$bin"; }  # never over a binary that runs
  python3 scripts/carry_trials.py restore --runs "$runs"
  for done in docs/pacgan/*/seed-*.json; do  # finished trials, so that the runners skip them
    [[ -e $done ]] || continue
    run=$runs/$(basename "$(dirname "$done")")/$(basename "$done" .json)
    [[ -e $run/result.json ]] || { mkdir -p "$run" && cp "$done" "$run/result.json"; }
  done
  mapfile -t ids < <(grep -v '^#' "$plan" | awk 'NF { print $1 }' | sort -u)
  for id in "${ids[@]}"; do
    pidfile=$runs/runner-$id.pid
    if [[ -e $pidfile ]] && kill -0 "$(cat "$pidfile")" 2> /dev/null; then
      echo "runners: $id: already running"; continue
    fi
    grep -v '^#' "$plan" | awk -v id="$id" '$1 == id' > "$runs/runner-$id.plan"
    # shellcheck disable=SC2016 # the inner script expands its own arguments
    setsid nohup nice -n 19 bash -c '
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
    [[ -e $log ]] && echo "$log: $(grep '^epoch' "$log" | tail -n 1 | cut -d' ' -f1-2)"
  done
  for log in "$runs"/*.runner-*.log; do [[ -e $log ]] && echo "$log: $(tail -n 1 "$log")"; done ;;
save)
  python3 scripts/carry_trials.py save --runs "$runs"
  mapfile -t rows < <(grep -v '^#' "$plan" | awk 'NF { print $2 }' | sort -u)
  for row in "${rows[@]}"; do  # the plan's rows only: a stray folder's results never pass for the plan's
    for result in "$runs/$row"/seed-*/result.json; do
      [[ -e $result ]] || continue
      mkdir -p "docs/pacgan/$row" && cp "$result" "docs/pacgan/$row/$(basename "$(dirname "$result")").json"
    done
  done
  echo "runners: saved; commit experiments/carry and docs/pacgan" ;;
*)
  echo "usage: scripts/pacgan_runners.sh start|status|save" >&2; exit 2 ;;
esac
