#!/usr/bin/env bash
# The PacGAN trials' background runners, in one command per step of a working session (docs/pacgan.md, Progress).
#   scripts/pacgan_runners.sh start    build the command, pin it as runs/pacgan/bin/advnet-COMMIT, put back the
#                                      trials carried by the last session and the results of the finished ones
#                                      (docs/pacgan/ROW/seed-S.json), start each runner of
#                                      experiments/pacgan_runners.txt (nice 19, one thread) not already running
#   scripts/pacgan_runners.sh status   each trial's last epoch line and each runner's last line
#   scripts/pacgan_runners.sh save     carry the unfinished trials into experiments/carry/ (commit it) and copy the
#                                      finished trials' result.json to docs/pacgan/ROW/seed-S.json
# Every session starts on a fresh checkout without runs/: start first thing, save before the session ends.
set -euo pipefail
cd "$(dirname "$0")/.."
plan=experiments/pacgan_runners.txt

case ${1:-} in
start)
  make build-cli
  bin=runs/pacgan/bin/advnet-$(git rev-parse --short HEAD)
  mkdir -p runs/pacgan/bin && cp build/advnet "$bin"
  python3 scripts/carry_trials.py restore
  for done in docs/pacgan/*/seed-*.json; do  # finished trials, so that the runners skip them
    [[ -e $done ]] || continue
    run=runs/pacgan/$(basename "$(dirname "$done")")/$(basename "$done" .json)
    [[ -e $run/result.json ]] || { mkdir -p "$run" && cp "$done" "$run/result.json"; }
  done
  grep -v '^#' "$plan" | while read -r out config seeds more; do
    [[ -n $out ]] || continue
    if pgrep -f "trials.py $config --seeds $seeds .*--out runs/pacgan/$out " > /dev/null; then
      echo "runners: $out $seeds: already running"; continue
    fi
    # shellcheck disable=SC2086 # $more holds several arguments
    setsid nohup nice -n 19 python3 scripts/trials.py "$config" --seeds "$seeds" --out "runs/pacgan/$out" $more \
      --threads 1 --advnet "$bin" >> "runs/pacgan/$out.runner-$seeds.log" 2>&1 < /dev/null &
    echo "runners: $out $seeds: started with $bin"
  done ;;
status)
  for log in runs/pacgan/*/seed-*.log; do
    [[ -e $log ]] && echo "$log: $(grep '^epoch' "$log" | tail -n 1 | cut -d' ' -f1-2)"
  done
  for log in runs/pacgan/*.runner-*.log; do [[ -e $log ]] && echo "$log: $(tail -n 1 "$log")"; done ;;
save)
  python3 scripts/carry_trials.py save
  for result in runs/pacgan/*/seed-*/result.json; do
    [[ -e $result ]] || continue
    row=$(basename "$(dirname "$(dirname "$result")")") seed=$(basename "$(dirname "$result")")
    mkdir -p "docs/pacgan/$row" && cp "$result" "docs/pacgan/$row/$seed.json"
  done
  echo "runners: saved; commit experiments/carry and docs/pacgan" ;;
*)
  echo "usage: scripts/pacgan_runners.sh start|status|save" >&2; exit 2 ;;
esac
