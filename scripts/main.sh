#!/usr/bin/env bash
# The main job on the bundled default model.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
BIN="$BUILD_DIR/bin"
OUT="${OUT_DIR:-$ROOT/out}"
mkdir -p "$OUT"
echo "== round trip of a sample nn module through gptq-opt =="
"$BIN/gptq-opt" "$ROOT/scripts/sample.mlir" --nn-canonicalize -o "$OUT/sample.canon.mlir"
"$BIN/gptq-opt" "$OUT/sample.canon.mlir" --emit-bytecode -o "$OUT/sample.mlirbc"
"$BIN/gptq-opt" "$OUT/sample.mlirbc"
