#!/usr/bin/env bash
# Retrains the shipped classifiers (models/classifier_*.safetensors) with the command recorded in each
# file's metadata and compares (out of make test: about 15 + 20 minutes on 2 cores):
#   - on the CPU model and thread count recorded in the file: the retrained file must be identical, byte for byte
#     (oneDNN picks its kernels, and so its rounding, by instruction set and cache: another CPU model, even of
#     the same machine kind, may round differently);
#   - otherwise: the test accuracy within 0.1 point, and the features of the 10 000 test images within a
#     relative 1e-2 (max |a - b| / max |a|; training is chaotic, so a different rounding moves the weights).
# usage: scripts/reproduce_classifiers.sh [NAME...]   (default: classifier_mnist classifier_fashion_mnist)
set -euo pipefail
cd "$(dirname "$0")/.."
advnet=${ADVNET:-build/advnet}
[[ -x $advnet ]] || { echo "reproduce: $advnet is missing: run make build-cli" >&2; exit 2; }
names=("$@"); ((${#names[@]})) || names=(classifier_mnist classifier_fashion_mnist)
meta() {  # meta FILE KEY: a __metadata__ value
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    print(json.loads(f.read(n))["__metadata__"][sys.argv[2]])
PY
}
status=0
for name in "${names[@]}"; do
  shipped=models/$name.safetensors
  cmd=$(meta "$shipped" command)   # advnet classifier train CONFIG --out DIR --threads T
  out=$(sed -E 's/.*--out ([^ ]+).*/\1/' <<<"$cmd")
  threads=$(meta "$shipped" threads); cpu=$(meta "$shipped" cpu)
  here_cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')
  [[ -e $out ]] && { echo "reproduce: $out exists; move it away first" >&2; exit 2; }
  echo "reproduce: $name: ${cmd/advnet/$advnet}"
  ${cmd/advnet/$advnet} > "/tmp/reproduce-$name.log"
  fresh=$out/classifier.safetensors
  # The recorded command names its --threads, so the retraining runs with the recorded thread count.
  if [[ $cpu == "$here_cpu" ]]; then
    if cmp -s "$shipped" "$fresh"; then echo "reproduce: $name: identical bytes (CPU $cpu, $threads threads)"
    else echo "reproduce: $name: FAILED: the same CPU model and thread count gave other bytes"; status=1; fi
  else
    echo "reproduce: $name: trained on '$cpu' with $threads threads, here '$here_cpu': comparing numbers"
    data=$(sed -n 's/^path = "\(.*\)"/\1/p' "$(awk '{print $4}' <<<"$cmd")")
    a=$("$advnet" classifier eval "$shipped" --data "$data" --json | tail -1)
    b=$("$advnet" classifier eval "$fresh" --data "$data" --json | tail -1)
    rm -rf "/tmp/reproduce-$name-"*  # the reference files of earlier runs belong to other classifiers
    for c in "$shipped" "$fresh"; do
      "$advnet" eval metrics --data "$data" --classifier "$c" --data-samples --n 1000 --save-features "/tmp/reproduce-$name-$(basename "$(dirname "$c")")" \
        --reference-stats "/tmp/reproduce-$name-$(basename "$(dirname "$c")").ref" > /dev/null
    done
    /usr/bin/python3 - "$a" "$b" "/tmp/reproduce-$name-models/reference.npy" "/tmp/reproduce-$name-$(basename "$out")/reference.npy" <<'PY' || status=1
import json, sys
import numpy as np
a, b = json.loads(sys.argv[1])["accuracy"], json.loads(sys.argv[2])["accuracy"]
fa, fb = np.load(sys.argv[3]), np.load(sys.argv[4])
rel = float(np.abs(fa - fb).max() / np.abs(fa).max())
ok = abs(a - b) <= 0.001 and rel <= 1e-2
print(f"reproduce: accuracy {a:.4f} shipped, {b:.4f} retrained; features differ by {rel:.2e} relative: {'ok' if ok else 'FAILED'}")
sys.exit(0 if ok else 1)
PY
  fi
done
exit $status
