#!/usr/bin/env bash
# Reproduces the paper's Table 1 row for adversarial nets on MNIST (and the same protocol on
# Fashion-MNIST): trains the reference configuration for 250 epochs (about 25 minutes per data set on
# 2 cores), keeps the best checkpoint by validation Parzen log-likelihood, then reports the test-set
# Parzen log-likelihood ± standard error with the reference protocol and draws Figures 2 and 3.
# usage: [EPOCHS=N] scripts/reproduce_table1.sh [mnist|fashion_mnist]...   (default: both)
# EPOCHS (default: the configuration's 250) trains longer; an existing run is resumed up to it.
set -euo pipefail
cd "$(dirname "$0")/.."
make build > /dev/null
for set in "${@:-mnist fashion_mnist}"; do
  for name in $set; do
    case "$name" in
      mnist) config=configs/paper_mnist.toml; data=data/mnist ;;
      fashion_mnist) config=configs/paper_fashion_mnist.toml; data=/usr/share/datasets/fashion-mnist ;;
      *) echo "unknown data set $name" >&2; exit 2 ;;
    esac
    run=runs/table1_$name
    epochs=()
    [[ -n ${EPOCHS:-} ]] && epochs=(--epochs "$EPOCHS")
    if [[ -f $run/checkpoints/latest.safetensors ]]; then
      build/advnet train --out "$run" --resume --threads 2 "${epochs[@]}"
    else
      build/advnet train "$config" --out "$run" --threads 2 "${epochs[@]}"
    fi
    build/advnet eval parzen "$run/checkpoints/best.safetensors" --data "$data" --threads 2 --json | tee "$run/parzen_test.txt"
    build/advnet figure samples "$run/checkpoints/best.safetensors" --out "$run/figure2.png"
    build/advnet figure interpolate "$run/checkpoints/best.safetensors" --out "$run/figure3.png"
  done
done
