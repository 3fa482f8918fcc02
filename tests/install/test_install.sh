#!/usr/bin/env bash
# Installs advnet into a temporary prefix, builds examples/embed_generator.cpp against the installed
# CMake package, trains a one-epoch run with the installed advnet command and has the example
# generate a PNG from its checkpoint.
# usage: test_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" > /dev/null
test -f "$tmp/prefix/include/advnet/advnet.hpp"
test -f "$tmp/prefix/lib/cmake/advnet/advnetConfig.cmake"
cmake -S "$src/examples" -B "$tmp/examples" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" > /dev/null
cmake --build "$tmp/examples" > /dev/null
"$tmp/prefix/bin/advnet" train "$src/configs/paper_mnist.toml" --out "$tmp/run" --epochs 1 --threads 2 \
  --set data.path="$src/data/mnist" --set "data.train_range=[0,500]" > /dev/null
"$tmp/examples/embed_generator" "$tmp/run/checkpoints/latest.safetensors" "$tmp/grid.png" 16 3
# A PNG: the signature, then an IHDR of 4·(28+2)+2 = 122 pixels square.
test "$(head -c 8 "$tmp/grid.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a"
test "$(od -An -tu1 -j16 -N8 "$tmp/grid.png" | tr -s ' ')" = " 0 0 0 122 0 0 0 122"
echo "install test: OK"
