#!/usr/bin/env bash
# Layers of the code point one way (the table under "Layers point one way" in docs/architecture.md): a file in
# src/LAYER/ or include/advnet/LAYER/ may include advnet headers of its own layer and of the layers its row names,
# nothing else. Fails, naming each file, line and include, on any other; and on a folder of src/ or
# include/advnet/ that has no row. The umbrella header include/advnet/advnet.hpp is exempt.
# usage: scripts/check_layers.sh [ROOT]   (make test runs it)
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

declare -A allowed=(
  [core]=""
  [io]="core"
  [nn]="core"
  [data]="core io"
  [gan]="core nn data"
  [classify]="core nn data"
  [eval]="core io nn data gan"
  [run]="core io nn data gan eval classify"
  [mpi]="core"
  [cli]="core io nn data gan eval classify run mpi"
)

status=0
for dir in src/*/ include/advnet/*/; do
  layer=$(basename "$dir")
  if [[ -z ${allowed[$layer]+set} ]]; then
    echo "check_layers: $dir is not in the table of layers (scripts/check_layers.sh, docs/architecture.md)"
    status=1
    continue
  fi
  # file:line:#include "advnet/DEP/…" (and "advnet/advnet.hpp", the umbrella, which is no layer's)
  while IFS= read -r hit; do
    dep=$(sed -E 's|.*#[[:space:]]*include[[:space:]]*"advnet/([^/"]+).*|\1|' <<<"$hit")
    [[ $dep == "$layer" ]] && continue
    if [[ " ${allowed[$layer]} " != *" $dep "* ]]; then
      echo "check_layers: ${hit%%:#*}: $layer includes advnet/$dep (allowed: ${allowed[$layer]:-nothing but itself})"
      status=1
    fi
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"advnet/' "$dir" || true)
done
if ((status == 0)); then
  echo "check_layers: every include in src/ and include/advnet/ points down the table of layers"
fi
exit $status
