#!/usr/bin/env bash
# The main job (scripts/setup.sh --run): quantize the bundled stories260k model
# (Llama-2 architecture, 35 linear layers + head) with GPTQ - 4 bits, group 32,
# the 128 calibration sequences of 256 tokens in data/tinystories-calib.npy -
# and compare the perplexity of float / RTN / GPTQ on all of
# data/tinystories-eval.npy (537 windows of 256 tokens). About 1.5 minutes on
# 2 cores; EVAL_MAX_WINDOWS=N evaluates only the first N windows.
#
# Outputs in out/stories260k/: model.mlirbc, model.onnx (+ model.onnx.data),
# gptq/ (model.safetensors, quantize_config.json), report.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
BIN="$BUILD_DIR/bin"
OUT="${OUT_DIR:-$ROOT/out}"
WINDOWS="${EVAL_MAX_WINDOWS:-0}"

echo "== gptq-quantize models/stories260k/model.onnx (GPTQ 4-bit, group 32) =="
"$BIN/gptq-quantize" "$ROOT/models/stories260k/model.onnx" \
  --calibration "$ROOT/data/tinystories-calib.npy" --bits 4 --group-size 32 \
  --eval "$ROOT/data/tinystories-eval.npy" --eval-max-windows "$WINDOWS" \
  --compare-rtn --force -o "$OUT/stories260k"

echo
echo "== perplexity (lower is better) =="
# The report's table: float / RTN / GPTQ and the windows it was measured on.
sed -n '/^## Perplexity/,/^## Layers/p' "$OUT/stories260k/report.md" | sed '1d;$d'
echo "Report: $OUT/stories260k/report.md"
