#!/usr/bin/env bash
# Perplexity of stories260k on the TinyStories eval tokens (windows of 256)
# in fp32 and quantized by RTN and by GPTQ (calibrated on the 128 x 256
# calibration rows) for the configurations of the README table.
#   bench/quant/ppl_table.sh [max windows, default all]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
BIN="$BUILD_DIR/bin"
MAXW="${1:-0}"
EVAL="$ROOT/data/tinystories-eval.npy"
CALIB="$ROOT/data/tinystories-calib.npy"
cmake --build "$BUILD_DIR" --target gptq-opt gptq-run gptq-translate >/dev/null
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
"$BIN/gptq-translate" --import-onnx "$ROOT/models/stories260k/model.onnx" -o "$TMP/fp32.mlirbc"
ppl() {
  "$BIN/gptq-run" "$1" --eval-ppl "$EVAL" --seq-len 256 --max-windows "$MAXW" |
    sed -n 's/^perplexity \([0-9.]*\) .*/\1/p'
}
FP32="$(ppl "$TMP/fp32.mlirbc")"
echo "stories260k perplexity on tinystories-eval.npy (windows of 256$([ "$MAXW" != 0 ] && echo ", first $MAXW"))"
echo
echo "| weights | fp32 | RTN | GPTQ |"
echo "|---|---|---|---|"
# label | options of both passes | GPTQ-only options (act-order changes
# nothing for round-to-nearest)
while IFS='|' read -r label opts gptqOpts; do
  "$BIN/gptq-opt" "$TMP/fp32.mlirbc" --gptq-rtn="$opts quiet=true" -o "$TMP/rtn.mlirbc"
  "$BIN/gptq-opt" "$TMP/fp32.mlirbc" \
    --gptq-quantize="calibration=$CALIB $opts $gptqOpts quiet=true" -o "$TMP/gptq.mlirbc"
  echo "| $label | $FP32 | $(ppl "$TMP/rtn.mlirbc") | $(ppl "$TMP/gptq.mlirbc") |"
done <<'ROWS'
w4 per-channel|bits=4 group-size=-1|
w4 g32|bits=4 group-size=32|
w3 g32|bits=3 group-size=32|
w4 g32 desc-act|bits=4 group-size=32|desc-act=true
w2 g32|bits=2 group-size=32|
ROWS
