#!/usr/bin/env bash
# f16 models computed in f32: the fp32 and fp16 twins of a model side by
# side, the fp16 one under each --half-compute scheme (f32: weights converted
# once when the plan is built; f32-per-use: weights kept in f16 and upcast
# before each use; native: f16 arithmetic, rounded after every op).
# Prints the perplexity, its wall time and the greedy decoding time (with the
# KV cache when the model has one) for each.
#
#   bench/lm/half_compute.sh [windows, default 32] [threads, default 2]
#   (PYTHON=... names a python with numpy and onnx, default .venv/bin/python;
#   REPEAT=N times each run, the fastest counts, default 3)
#
# Models: stories260k (models/, one input) and a synthetic decoder with
# past_key_values (test/Inputs/gen_tiny_decoder.py --size, 4096 vocab,
# hidden 512, 4 layers: 14.1 M parameters), written to a temporary folder.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
WINDOWS="${1:-32}"
THREADS="${2:-2}"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY=python3
RUN="$BUILD_DIR/bin/gptq-run"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

"$PY" "$ROOT/test/Inputs/onnx_to_fp16.py" "$ROOT/models/stories260k/model.onnx" "$TMP/s260k-fp16.onnx"
"$PY" "$ROOT/test/Inputs/gen_tiny_decoder.py" build "$TMP/dec-fp32.onnx" --size 4096,512,8,1376,4
"$PY" "$ROOT/test/Inputs/gen_tiny_decoder.py" build "$TMP/dec-fp16.onnx" --size 4096,512,8,1376,4 --dtype float16
"$PY" "$ROOT/test/Inputs/make_tokens.py" "$TMP/dec-tokens.npy" "$WINDOWS" 128 4096 7

# "seconds peak-KiB" of a command, the fastest of $REPEAT runs (its output
# in $TMP/out)
REPEAT="${REPEAT:-3}"
timed() {
  local t0 t1 best="" rss=0 i d
  for ((i = 0; i < REPEAT; i++)); do
    t0=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "$TMP/rss" "$@" >"$TMP/out" 2>&1 || { cat "$TMP/out"; exit 1; }
    t1=$(date +%s.%N)
    d=$(echo "$t1 - $t0" | bc)
    if [ -z "$best" ] || [ "$(echo "$d < $best" | bc)" = 1 ]; then best=$d; fi
    rss=$(cat "$TMP/rss")
  done
  echo "$best $rss"
}

row() { # name model mode tokens seqlen
  local name="$1" model="$2" mode="$3" tokens="$4" seq="$5" ppl_s ppl gen_s rss
  read -r ppl_s rss < <(timed "$RUN" "$model" --half-compute "$mode" --num-threads "$THREADS" \
    --eval-ppl "$tokens" --seq-len "$seq" --max-windows "$WINDOWS" --batch 8)
  ppl=$(sed -n 's/^perplexity \([0-9.]*\).*/\1/p' "$TMP/out")
  read -r gen_s _ < <(timed "$RUN" "$model" --half-compute "$mode" --num-threads "$THREADS" \
    --generate 64 --prompt-ids 1)
  printf '%-18s %-12s %11s %8.2f %10d %11.2f\n' "$name" "$mode" "$ppl" "$ppl_s" "$((rss / 1024))" "$gen_s"
}

printf '%-18s %-12s %11s %8s %10s %11s\n' model half-compute perplexity "ppl s" "ppl MiB" "generate s"
row "stories260k fp32" "$ROOT/models/stories260k/model.onnx" f32 "$ROOT/data/tinystories-eval.npy" 256
for mode in f32 f32-per-use native; do
  row "stories260k fp16" "$TMP/s260k-fp16.onnx" "$mode" "$ROOT/data/tinystories-eval.npy" 256
done
row "decoder-14M fp32" "$TMP/dec-fp32.onnx" f32 "$TMP/dec-tokens.npy" 128
for mode in f32 f32-per-use native; do
  row "decoder-14M fp16" "$TMP/dec-fp16.onnx" "$mode" "$TMP/dec-tokens.npy" 128
done
echo "(wall seconds of the whole command, fastest of $REPEAT; $WINDOWS windows of 256 / 128 tokens, batch 8;"
echo " ppl MiB: peak RSS of the perplexity run;"
echo " generate: 64 tokens from one, with the KV cache where the model has one; $THREADS threads)"
