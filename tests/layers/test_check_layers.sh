#!/usr/bin/env bash
# scripts/check_layers.sh passes on the tree, and fails on a copy of it with one include that points
# up (io → gan), with an unknown folder, and with the umbrella header included from a layer.
# usage: test_check_layers.sh SOURCE_DIR
set -euo pipefail
src=$1
check=$src/scripts/check_layers.sh
"$check" "$src"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fresh_copy() { rm -rf "$tmp/tree"; mkdir -p "$tmp/tree"; cp -r "$src/src" "$src/include" "$tmp/tree/"; }
expect_failure() {  # WHAT PATTERN: the check must fail and print PATTERN
  local out
  if out=$("$check" "$tmp/tree" 2>&1); then echo "check_layers passed with $1" >&2; exit 1; fi
  grep -q "$2" <<<"$out" || { echo "check_layers did not say '$2' for $1: $out" >&2; exit 1; }
}
fresh_copy
echo '#include "advnet/gan/trainer.hpp"' >> "$tmp/tree/src/io/png.cpp"
expect_failure "io including gan" "src/io/png.cpp:[0-9]*: io includes advnet/gan"
fresh_copy
sed -i '1i #include "advnet/run/config.hpp"' "$tmp/tree/include/advnet/nn/net.hpp"
expect_failure "nn including run in a header" "include/advnet/nn/net.hpp:1: nn includes advnet/run"
fresh_copy
echo '#include "advnet/advnet.hpp"' >> "$tmp/tree/src/gan/noise.cpp"
expect_failure "the umbrella header in gan" "gan includes advnet/advnet.hpp"
fresh_copy
mkdir "$tmp/tree/src/extra"
expect_failure "a folder with no row" "src/extra/ is not in the table"
echo "check_layers: passes on the tree, fails on each of 4 wrong copies"
