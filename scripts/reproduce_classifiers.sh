#!/usr/bin/env bash
# Retrains the shipped classifiers (models/classifier_*.safetensors) with the command recorded in each
# file's metadata and compares (out of make test: about 15 + 20 minutes on a quiet core):
#   - on the CPU model, oneDNN instruction set and thread count recorded in the file: the retrained file must be
#     identical, byte for byte. oneDNN picks its kernels, and so their rounding, by instruction set (and cache):
#     CPUs of one model name may differ in it (a VM may hide AVX-512), so the retraining runs with
#     ONEDNN_MAX_CPU_ISA set to the recorded one (a wider CPU then runs the same kernels), and the retrained
#     file records the set it really used;
#   - otherwise: the test accuracy within 0.1 point. The features themselves are not comparable: training is
#     chaotic, and a different rounding moves the weights far (retrained with AVX-512 kernels instead of the
#     recorded AVX2, classifier_mnist's test accuracy was 99.48 % against 99.46 %, while its features of the
#     test images differed by 0.60 of their largest value, 0.20 on average against a mean of 1.75).
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
    print(json.loads(f.read(n))["__metadata__"].get(sys.argv[2], "unknown"))
PY
}
status=0
for name in "${names[@]}"; do
  shipped=models/$name.safetensors
  cmd=$(meta "$shipped" command)   # advnet classifier train CONFIG --out DIR --threads T
  out=$(sed -E 's/.*--out ([^ ]+).*/\1/' <<<"$cmd")
  threads=$(meta "$shipped" threads); cpu=$(meta "$shipped" cpu); isa=$(meta "$shipped" isa)
  here_cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')
  [[ -e $out ]] && { echo "reproduce: $out exists; move it away first" >&2; exit 2; }
  echo "reproduce: $name: ONEDNN_MAX_CPU_ISA=$isa ${cmd/advnet/$advnet}"
  if [[ $isa == unknown ]]; then ${cmd/advnet/$advnet} > "/tmp/reproduce-$name.log"
  else ONEDNN_MAX_CPU_ISA=$isa ${cmd/advnet/$advnet} > "/tmp/reproduce-$name.log"; fi
  fresh=$out/classifier.safetensors
  here_isa=$(meta "$fresh" isa)
  # The recorded command names its --threads, so the retraining runs with the recorded thread count.
  if [[ $cpu == "$here_cpu" && $isa == "$here_isa" ]]; then
    if cmp -s "$shipped" "$fresh"; then echo "reproduce: $name: identical bytes (CPU $cpu, $isa, $threads threads)"
    else echo "reproduce: $name: FAILED: the same CPU model, instruction set and thread count gave other bytes"; status=1; fi
  else
    echo "reproduce: $name: trained on '$cpu' ($isa) with $threads threads, here '$here_cpu' ($here_isa): comparing numbers"
    data=$(sed -n 's/^path = "\(.*\)"/\1/p' "$(awk '{print $4}' <<<"$cmd")")
    a=$("$advnet" classifier eval "$shipped" --data "$data" --json | tail -1)
    b=$("$advnet" classifier eval "$fresh" --data "$data" --json | tail -1)
    /usr/bin/python3 - "$a" "$b" <<'PY' || status=1
import json, sys
a, b = json.loads(sys.argv[1])["accuracy"], json.loads(sys.argv[2])["accuracy"]
ok = abs(a - b) <= 0.001
print(f"reproduce: accuracy {a:.4f} shipped, {b:.4f} retrained: {'ok' if ok else 'FAILED'} (within 0.1 point)")
sys.exit(0 if ok else 1)
PY
  fi
done
exit $status
