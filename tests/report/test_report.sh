#!/usr/bin/env bash
# Renders a real run's report.html in headless Chromium (Debian's chromium) and checks that the page
# ran without errors, drew every chart with one point per epoch, and saves a screenshot.
# usage: test_report.sh ADVNET SOURCE_DIR OUT_DIR
set -euo pipefail
advnet=$1 src=$2 out=$3
chromium=$(command -v chromium || true)
if [[ -z "$chromium" ]]; then
  echo "report test: chromium is missing; scripts/setup.sh --for-tests installs it (make test does)" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
epochs=3
"$advnet" train "$src/configs/paper_mnist.toml" --out "$tmp/run" --epochs $epochs --threads 2 \
  --set data.path="$src/data/mnist" --set "data.train_range=[0,500]" --set "data.valid_range=[50000,50300]" \
  --set eval.parzen_every=1 --set eval.parzen_samples=300 --set eval.parzen_valid=300 > "$tmp/train.log"
test -f "$tmp/run/report.html"
if grep -Eq '<(script|link|img)[^>]+(src|href)="https?:' "$tmp/run/report.html"; then
  echo "report test: the page loads something from the network" >&2; exit 1
fi
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
       --disable-sync --no-first-run --disable-quic --user-data-dir="$tmp/profile" --virtual-time-budget=5000)
timeout 120 "$chromium" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom "file://$tmp/run/report.html" \
  > "$tmp/dom.html" 2> "$tmp/console.log"
mkdir -p "$out"
timeout 120 "$chromium" "${flags[@]}" --hide-scrollbars --window-size=1200,1600 \
  --screenshot="$out/report_screenshot.png" "file://$tmp/run/report.html" > /dev/null 2>&1
fail=0
grep -q 'data-ready="1"' "$tmp/dom.html" || { echo "report test: the page's script did not finish" >&2; fail=1; }
# The page logs nothing itself: any console message (console.error, an uncaught exception) is a failure.
if grep -qE 'CONSOLE|Uncaught' "$tmp/console.log"; then
  echo "report test: console messages:" >&2; grep -E 'CONSOLE|Uncaught' "$tmp/console.log" >&2; fail=1
fi
grep -q '<div id="errors"></div>' "$tmp/dom.html" || { echo "report test: window.onerror caught something" >&2; fail=1; }
# Charts: losses, D outputs, error rates, lr, momentum, Parzen, throughput; each with one point per epoch.
charts=$(grep -o 'data-charts="[0-9]*"' "$tmp/dom.html" | grep -o '[0-9]*')
[[ "$charts" == 7 ]] || { echo "report test: $charts charts, expected 7" >&2; fail=1; }
points=$(grep -o 'data-points="[0-9]*"' "$tmp/dom.html" | sort -u)
[[ "$points" == "data-points=\"$epochs\"" ]] || { echo "report test: chart points $points, expected $epochs" >&2; fail=1; }
canvases=$(grep -o '<canvas' "$tmp/dom.html" | wc -l)
[[ "$canvases" == 7 ]] || { echo "report test: $canvases canvases drawn, expected 7" >&2; fail=1; }
[[ $(stat -c %s "$out/report_screenshot.png") -gt 20000 ]] || { echo "report test: empty screenshot" >&2; fail=1; }
grep -q 'Parzen' "$tmp/train.log" || { echo "report test: no Parzen line in the training log" >&2; fail=1; }
((fail == 0)) && echo "report test: OK ($charts charts of $epochs points; screenshot $out/report_screenshot.png)"
exit $fail
