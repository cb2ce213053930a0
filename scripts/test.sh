#!/usr/bin/env bash
# Run the whole test suite (lit + FileCheck tests and gtest unit tests) of an
# already configured build tree. Output ends with the pass/fail counts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
exec cmake --build "$BUILD_DIR" --target check-gptq
