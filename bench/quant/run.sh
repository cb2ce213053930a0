#!/usr/bin/env bash
# The GPTQ solver on one 4096 x 4096 layer (group 128, 4096 calibration
# tokens, 2 threads): bench-gptq next to a plain numpy implementation of the
# same algorithm on the same OpenBLAS, then the time to quantize all of
# stories260k with gptq-opt.
#   bench/quant/run.sh [threads, default 2]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
THREADS="${1:-2}"
cmake --build "$BUILD_DIR" --target bench-gptq gptq-opt gptq-translate >/dev/null
"$BUILD_DIR/bin/bench-gptq" --threads "$THREADS"
echo
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || PY=python3
if "$PY" -c "import numpy" 2>/dev/null; then
  OPENBLAS_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS" "$PY" "$ROOT/bench/quant/numpy_gptq.py"
else
  echo "numpy is not installed: no side-by-side numbers"
fi
echo
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
"$BUILD_DIR/bin/gptq-translate" --import-onnx "$ROOT/models/stories260k/model.onnx" -o "$TMP/model.mlirbc"
echo "stories260k, 35 layers, 128 x 256 calibration tokens, w4 g32:"
TIMER=(/usr/bin/time -f "  wall %e s, peak RSS %M KiB")
[ -x /usr/bin/time ] || TIMER=()
"${TIMER[@]}" "$BUILD_DIR/bin/gptq-opt" "$TMP/model.mlirbc" \
  --gptq-quantize="calibration=$ROOT/data/tinystories-calib.npy group-size=32 quiet=true report=$TMP/report.json" \
  -o "$TMP/q.mlirbc"
"$PY" - "$TMP/report.json" <<'PYEOF' 2>/dev/null || true
import json, sys
r = json.load(open(sys.argv[1]))
print("  solver %.3f s over %d layers, pass total %.2f s" % (
    sum(l["seconds"] for l in r["layers"]), len(r["layers"]), r["total_seconds"]))
PYEOF
