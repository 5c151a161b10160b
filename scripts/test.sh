#!/usr/bin/env bash
# scripts/test.sh: the project's test command (README; .ci/run calls exactly this).
#   1. installs missing dependencies
#   2. release build + the C suite (ctest)
#   3. AddressSanitizer + UBSan build of the C suite
#   4. the Python extension + the pytest suite against NumPy (Debian's /usr/bin/python3)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
PY=/usr/bin/python3
JOBS=$(nproc)

echo "== release build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=$PY >/dev/null
cmake --build build -j"$JOBS"
echo "== C tests"
(cd build && ctest --output-on-failure)

echo "== sanitizer build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMLX_SANITIZE=ON -DCMLX_PYTHON=OFF -DCMLX_CUDA=OFF >/dev/null
cmake --build build-asan -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build-asan/cmlx_tests

echo "== Python tests"
if [ -d tests/python ] && ls tests/python/test_*.py >/dev/null 2>&1; then
  PYTHONPATH=python $PY -m pytest tests/python -q
else
  echo "no Python tests yet"
fi
