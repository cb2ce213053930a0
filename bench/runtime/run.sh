#!/usr/bin/env bash
# Forward throughput of stories260k on the CPU: our runtime (tokens/s and
# MatMul time next to bare OpenBLAS sgemm of the same shapes) and
# onnxruntime's CPU session, in one run with the same thread count.
#   bench/runtime/run.sh [iters, default 20] [threads, default 2]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
ITERS="${1:-20}"
THREADS="${2:-2}"
MODEL="$ROOT/models/stories260k/model.onnx"
cmake --build "$BUILD_DIR" --target bench-forward >/dev/null
"$BUILD_DIR/bin/bench-forward" "$MODEL" --iters "$ITERS" --threads "$THREADS"
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || PY=python3
echo
if "$PY" -c "import onnxruntime, numpy" 2>/dev/null; then
  echo "onnxruntime $("$PY" -c 'import onnxruntime; print(onnxruntime.__version__)') CPU session, same model:"
  printf '%-8s %12s\n' batch tokens/s
  OMP_NUM_THREADS="$THREADS" "$PY" "$ROOT/bench/runtime/ort_forward.py" "$MODEL" "$ITERS" "$THREADS"
else
  echo "onnxruntime is not installed (pip install onnxruntime numpy): no side-by-side numbers"
fi
