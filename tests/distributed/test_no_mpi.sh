#!/usr/bin/env bash
# The build without MPI (cmake -DADVNET_MPI=OFF: the library and the advnet command, for people who
# embed advnet or have no libopenmpi-dev): it trains as one process, and refuses, with one line and
# exit code 2, to run as one of several ranks under mpirun, writing nothing. make test runs it.
# usage: test_no_mpi.sh ADVNET_BINARY SOURCE_DIR
set -euo pipefail
bin=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
args=("$src/configs/ring8.toml" --epochs 1 --threads 1 --set data.size=500)
"$bin" train "${args[@]}" --out "$tmp/one" > "$tmp/one.log" 2>&1 || { cat "$tmp/one.log"; echo "no-MPI build: one process failed" >&2; exit 1; }
[[ -f $tmp/one/checkpoints/latest.safetensors ]] || { echo "no-MPI build: no checkpoint" >&2; exit 1; }
if command -v mpirun > /dev/null; then
  rc=0
  env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none \
    mpirun --oversubscribe --bind-to none -np 2 "$bin" train "${args[@]}" --out "$tmp/two" > "$tmp/two.log" 2>&1 || rc=$?
  ((rc == 2)) || { cat "$tmp/two.log"; echo "no-MPI build under mpirun: exit $rc, expected 2" >&2; exit 1; }
  grep -q "built without MPI (CMake -DADVNET_MPI=OFF) and a launcher started it as rank" "$tmp/two.log" ||
    { cat "$tmp/two.log"; echo "no-MPI build under mpirun: not the expected message" >&2; exit 1; }
  [[ ! -e $tmp/two ]] || { echo "no-MPI build under mpirun wrote $tmp/two" >&2; exit 1; }
fi
echo "no-MPI build: trains as one process, refuses to run under mpirun (exit 2, nothing written)"
