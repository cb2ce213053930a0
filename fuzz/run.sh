#!/usr/bin/env bash
# Builds the importer fuzzer with clang (libFuzzer + ASan + UBSan on our
# code) in build-fuzz/, seeds a corpus from the test fixtures and the bundled
# model, and runs it. Usage: fuzz/run.sh [seconds, default 600] [jobs]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_TO_RUN="${1:-600}"
BUILD="$ROOT/build-fuzz"
CLANG_VER="$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p')"
if ! [ -e "/usr/lib/llvm-$CLANG_VER/lib/clang/$CLANG_VER/lib/linux/libclang_rt.fuzzer-x86_64.a" ] &&
   ! ls /usr/lib/llvm-$CLANG_VER/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd=sudo
  $sudo_cmd apt-get install -y -qq clang "libclang-rt-$CLANG_VER-dev" >/dev/null 2>&1 || true
fi
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DGPTQ_ENABLE_FUZZERS=ON -DGPTQ_ENABLE_CUDA=OFF \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" >/dev/null
fi
cmake --build "$BUILD" --target gptq-import-fuzzer onnx-txt2pb
CORPUS="$BUILD/fuzz-corpus"
mkdir -p "$CORPUS"
for f in "$ROOT"/test/Import/*.onnxtxt "$ROOT"/test/Import/hostile/*.onnxtxt; do
  "$BUILD/bin/onnx-txt2pb" "$f" -o "$CORPUS/$(basename "$f" .onnxtxt).onnx" 2>/dev/null || true
done
cp "$ROOT/models/stories260k/model.onnx" "$CORPUS/stories260k.onnx"
echo "== fuzzing the ONNX importer for $SECONDS_TO_RUN s (corpus: $(ls "$CORPUS" | wc -l) files) =="
cd "$BUILD"
ASAN_OPTIONS=detect_leaks=0 "$BUILD/bin/gptq-import-fuzzer" "$CORPUS" \
  -max_total_time="$SECONDS_TO_RUN" -max_len=2000000 -timeout=30 -rss_limit_mb=4096 \
  -print_final_stats=1 2>&1 | tee "$BUILD/fuzz.log" | grep -E "^#[0-9]+ *(pulse|DONE|NEW)|stat::|ERROR|SUMMARY" | tail -n 40
