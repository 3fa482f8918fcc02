#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS seconds (two at a time), starting from fuzz/seeds/<target>,
# the inputs that once failed (fuzz/regressions/<target>/, so every run replays them under clang's
# sanitizers, which catch more than GCC's in the unit tests) and a working corpus in build-fuzz/corpus/<target>. A crash, a leak, a timeout (10 s per input) or
# an allocation over 2 GB (4.2 GB for image, see below) fails the run; the input is saved in fuzz/regressions/<target>/, which the
# unit tests replay. Prints execs/s and total execs per target.
# usage: scripts/fuzz.sh SECONDS
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
status=0
run() {
  local t=$1 log=build-fuzz/fuzz-$1.log
  mkdir -p "build-fuzz/corpus/$t" "fuzz/regressions/$t"
  # stb_image's zlib doubles its output buffer on some malformed PNG streams (virtually: the pages
  # are never touched, resident memory stays small, the load then fails with an error), so the image
  # target may reserve up to 4 GB; the resident limit stays 2 GB for every target.
  local malloc_mb=2048
  [[ $t == image ]] && malloc_mb=4200
  build-fuzz/fuzz/fuzz_$t -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=$malloc_mb -timeout=10 -print_final_stats=1 \
    -artifact_prefix="fuzz/regressions/$t/" "build-fuzz/corpus/$t" "fuzz/seeds/$t" "fuzz/regressions/$t" > "$log" 2>&1
  local rc=$?
  local execs speed
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$')
  speed=$(grep -o 'exec/s: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  if ((rc != 0)); then
    echo "fuzz $t: FAILED (exit $rc), see $log; the input is in fuzz/regressions/$t/"
    grep -E 'ERROR|SUMMARY' "$log" | head -3
    return 1
  fi
  echo "fuzz $t: ${execs:-?} inputs in ${seconds} s, ${speed:-?} execs/s, no crash"
}
for pair in "idx safetensors" "npy config" "cifar image"; do
  pids=()
  for t in $pair; do run "$t" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || status=1; done
done
exit $status
