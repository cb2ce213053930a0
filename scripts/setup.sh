#!/usr/bin/env bash
# Set up gptq-mlir on a Debian 12 machine: system packages, a Python virtual
# environment for the test tooling, CMake + Ninja configure, build.
#
#   scripts/setup.sh            install, configure, build
#   scripts/setup.sh --run      ... then run the main job (scripts/main.sh)
#   scripts/setup.sh --test     ... then run the whole test suite
#
# Idempotent: installed packages are not reinstalled, an existing build tree
# is reused (ccache speeds rebuilds when present). Environment:
#   BUILD_DIR (default: build)   JOBS (default: all cores)
#   GPTQ_SKIP_APT=1 to skip the package step, GPTQ_SKIP_PIP=1 the venv step.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
JOBS="${JOBS:-$(nproc)}"
LLVM_PREFIX=/usr/lib/llvm-22
MODE="${1:-}"

log() { printf '[setup] %s\n' "$*"; }

# --- System packages --------------------------------------------------------
PACKAGES=(
  build-essential cmake ninja-build ccache git python3 python3-venv python3-pip
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  libopenblas-dev liblapacke-dev nlohmann-json3-dev libgtest-dev
)

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return
  fi
  log "installing: ${missing[*]}"
  local SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/gptq-apt.log 2>&1; then
    $SUDO apt-get update -qq >>/tmp/gptq-apt.log 2>&1
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/gptq-apt.log 2>&1 || {
      tail -n 30 /tmp/gptq-apt.log
      echo "error: apt-get install failed (log: /tmp/gptq-apt.log)" >&2
      exit 1
    }
  fi
}

# --- Python tooling for tests (numpy, onnx, onnxruntime, safetensors) --------
setup_venv() {
  local venv="$ROOT/.venv"
  if [ ! -x "$venv/bin/python" ]; then
    log "creating $venv"
    python3 -m venv "$venv"
  fi
  if ! "$venv/bin/python" -c "import numpy, onnx, onnxruntime, safetensors" 2>/dev/null; then
    log "installing Python test tooling into .venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check \
      -r "$ROOT/scripts/requirements-test.txt" ||
      log "warning: pip install failed; tests that need these packages will be skipped"
  fi
}

[ "${GPTQ_SKIP_APT:-0}" = 1 ] || install_packages
[ "${GPTQ_SKIP_PIP:-0}" = 1 ] || setup_venv

# --- Configure and build ------------------------------------------------------
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || PY="$(command -v python3)"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  log "configuring $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR="$LLVM_PREFIX/lib/cmake/mlir" \
    -DLLVM_EXTERNAL_LIT="$LLVM_PREFIX/bin/lit" \
    -DPython3_EXECUTABLE="$PY" >/dev/null
fi
log "building ($JOBS jobs)"
cmake --build "$BUILD_DIR" -j "$JOBS"

case "$MODE" in
  --run) exec "$ROOT/scripts/main.sh" ;;
  --test) exec "$ROOT/scripts/test.sh" ;;
  "") ;;
  *) echo "unknown option: $MODE (use --run or --test)" >&2; exit 2 ;;
esac
