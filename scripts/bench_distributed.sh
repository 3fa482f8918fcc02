#!/usr/bin/env bash
# Data-parallel scaling on one machine (docs/distributed.md): 2 ranks × 1 thread under mpirun against
# 1 process × 2 threads at the same global batch, for the DCGAN config and the paper's MLP (and the MLP
# at a 4× larger batch), repetitions alternating, each the second epoch of a short run (steady state:
# primitives cached, the first epoch's start-up excluded). Prints per repetition and the medians:
# examples/s of each, their ratio, and the share of a 2-rank iteration spent in the all-reduce. Then the
# DCGAN's 2 ranks × 1 thread against PyTorch DDP's (bench/reference/torch_ddp_dcgan_mnist.py, gloo), alternating
# (case dcgan_mnist_vs_torch_ddp).
# Pause background jobs first (kill -STOP), or the figures mean nothing.
# usage: scripts/bench_distributed.sh [ADVNET_BINARY] [REPS] [CASES]   (as root: sets OMPI_ALLOW_RUN_AS_ROOT*)
#   CASES: an extended regex of the case names to run (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/advnet} reps=${2:-5} only=${3:-.}
export OMP_WAIT_POLICY=passive OMPI_MCA_btl_vader_single_copy_mechanism=none
if [[ $(id -u) -eq 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
common=(--epochs 2 --set data.path=data/mnist --set eval.parzen_every=0 --set output.sample_every=0
        --set output.checkpoint_every=0)
# name | config | extra settings
cases=("dcgan_mnist|configs/dcgan_mnist.toml|--set data.train_range=[0,5120]"
       "dcgan_mnist_syncbn|configs/dcgan_mnist.toml|--set data.train_range=[0,5120] --set distributed.sync_batch_norm=true"
       "paper_mnist|configs/paper_mnist.toml|--set data.train_range=[0,5000]"
       "paper_mnist_batch400|configs/paper_mnist.toml|--set data.train_range=[0,20000] --set training.batch_size=400")
# The second epoch's line of metrics.jsonl: examples_per_s, seconds, iterations, allreduce_seconds.
epoch2() { /usr/bin/python3 -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1])][-1]; print(r['examples_per_s'], r.get('allreduce_seconds', 0), r['seconds'] / r['iterations'])" "$1"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "bench_distributed: $(git log -1 --format=%h), $(nproc) cores, $reps repetitions, $(date -u +%F)"
for c in "${cases[@]}"; do
  IFS='|' read -r name config extra <<< "$c"
  [[ $name =~ $only ]] || continue
  ratios=() shares=()
  for ((i = 1; i <= reps; i++)); do
    rm -rf "$tmp/one" "$tmp/two"
    # shellcheck disable=SC2086
    OMP_NUM_THREADS=2 "$bin" train "$config" --out "$tmp/one" --threads 2 "${common[@]}" $extra > /dev/null
    # shellcheck disable=SC2086
    OMP_NUM_THREADS=1 mpirun --oversubscribe --bind-to none --mca mpi_yield_when_idle 1 -np 2 \
      "$bin" train "$config" --out "$tmp/two" --threads 1 "${common[@]}" $extra > /dev/null
    read -r one _ one_it <<< "$(epoch2 "$tmp/one/metrics.jsonl")"
    read -r two ar two_it <<< "$(epoch2 "$tmp/two/metrics.jsonl")"
    ratio=$(awk -v a="$two" -v b="$one" 'BEGIN {printf "%.3f", a / b}')
    share=$(awk -v a="$ar" -v b="$two_it" 'BEGIN {printf "%.3f", a / b}')
    ratios+=("$ratio") shares+=("$share")
    printf '  %-22s rep %d: 1x2 %8.0f ex/s (%.1f ms/it)  2x1 %8.0f ex/s (%.1f ms/it, all-reduce %.1f ms)  ratio %s\n' \
      "$name" "$i" "$one" "$(awk -v x="$one_it" 'BEGIN {print 1000 * x}')" "$two" "$(awk -v x="$two_it" 'BEGIN {print 1000 * x}')" \
      "$(awk -v x="$ar" 'BEGIN {print 1000 * x}')" "$ratio"
  done
  r_sorted=$(printf '%s\n' "${ratios[@]}" | sort -g | tr '\n' ' ')
  printf '%-22s 2 ranks x 1 thread / 1 x 2 threads: median %s (all: %s), all-reduce share of a 2-rank iteration: median %s\n' \
    "$name" "$(printf '%s\n' "${ratios[@]}" | median)" "$r_sorted" "$(printf '%s\n' "${shares[@]}" | median)"
done

# advnet's 2 × 1 DCGAN (the second epoch, 40 iterations) against PyTorch DDP's 2 × 1 (40 iterations after 10).
name=dcgan_mnist_vs_torch_ddp
if [[ $name =~ $only ]]; then
  ratios=()
  for ((i = 1; i <= reps; i++)); do
    rm -rf "$tmp/two"
    OMP_NUM_THREADS=1 mpirun --oversubscribe --bind-to none --mca mpi_yield_when_idle 1 -np 2 \
      "$bin" train configs/dcgan_mnist.toml --out "$tmp/two" --threads 1 "${common[@]}" --set data.train_range=[0,5120] > /dev/null
    read -r two _ _ <<< "$(epoch2 "$tmp/two/metrics.jsonl")"
    torch=$(cd bench/reference && OMP_NUM_THREADS=1 /usr/bin/python3 torch_ddp_dcgan_mnist.py --data ../../data/mnist --ranks 2 \
      --threads 1 --iters 40 --warmup 10 | tail -n 1 | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['examples_per_s'])")
    ratio=$(awk -v a="$two" -v b="$torch" 'BEGIN {printf "%.3f", a / b}')
    ratios+=("$ratio")
    printf '  %-22s rep %d: advnet 2x1 %8.0f ex/s  PyTorch DDP 2x1 %8.0f ex/s  ratio %s\n' "$name" "$i" "$two" "$torch" "$ratio"
  done
  printf '%-22s advnet / PyTorch DDP, 2 ranks x 1 thread: median %s (all: %s)\n' "$name" \
    "$(printf '%s\n' "${ratios[@]}" | median)" "$(printf '%s\n' "${ratios[@]}" | sort -g | tr '\n' ' ')"
fi
