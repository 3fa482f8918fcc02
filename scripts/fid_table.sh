#!/usr/bin/env bash
# The FID table (docs/evaluation.md, "The first FID table"): trains each shipped configuration below to its
# schedule (resuming a run that was stopped: runs are resumable, so this script is too) and scores its best
# checkpoint (the one Table 1 scores) with `advnet eval metrics` against the test split, with the shipped
# classifier of the data set:
#   dcgan_mnist           configs/dcgan_mnist.toml, 10 epochs                      (runs/fid_dcgan_mnist)
#   dcgan_fashion_mnist   configs/dcgan_fashion_mnist.toml, 10 epochs              (runs/fid_dcgan_fashion_mnist)
#   paper_mnist           configs/paper_mnist.toml + g_ema 0.99997 from epoch 25, 250 epochs: Table 1's bold
#                         row (`EMA=0.99997 scripts/reproduce_table1.sh mnist`)   (runs/fid_paper_mnist)
# Out of make test: about 20 + 20 + 100 minutes on one thread (the other core busy). Each result is the JSON line of eval metrics,
# in RUN/metrics_test.json; the last lines printed are that table's rows.
# usage: [THREADS=N] scripts/fid_table.sh [NAME...]   (default: all three; THREADS default 1, one per job)
set -euo pipefail
cd "$(dirname "$0")/.."
advnet=${ADVNET:-build/advnet}
[[ -x $advnet ]] || { echo "fid_table: $advnet is missing: run make build-cli" >&2; exit 2; }
threads=${THREADS:-1}
names=("$@"); ((${#names[@]})) || names=(dcgan_mnist dcgan_fashion_mnist paper_mnist)
rows=()
for name in "${names[@]}"; do
  extra=()
  case "$name" in
    dcgan_mnist) config=configs/dcgan_mnist.toml; data=data/mnist ;;
    dcgan_fashion_mnist) config=configs/dcgan_fashion_mnist.toml; data=/usr/share/datasets/fashion-mnist ;;
    paper_mnist) config=configs/paper_mnist.toml; data=data/mnist
                 extra=(--set training.g_ema=0.99997 --set training.g_ema_start_epoch=25) ;;
    *) echo "fid_table: unknown configuration $name" >&2; exit 2 ;;
  esac
  run=runs/fid_$name
  if [[ -f $run/checkpoints/latest.safetensors ]]; then
    "$advnet" train --out "$run" --resume --threads "$threads" "${extra[@]}"
  else
    "$advnet" train "$config" --out "$run" --threads "$threads" "${extra[@]}"
  fi
  "$advnet" eval metrics "$run/checkpoints/best.safetensors" --data "$data" --threads "$threads" --json |
    tail -1 > "$run/metrics_test.json"
  rows+=("$(/usr/bin/python3 - "$name" "$run/metrics_test.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[2]))
print(f"| {sys.argv[1]} | {m['fid']:.2f} | {m['kid']:.2f} ± {m['kid_std']:.1f} | {m['is']:.3f} | {m['precision']:.3f} | "
      f"{m['recall']:.3f} | {m['density']:.3f} | {m['coverage']:.3f} |")
PY
)")
done
echo "| configuration | FID | KID (± std) | IS | precision | recall | density | coverage |"
printf '%s\n' "${rows[@]}"
