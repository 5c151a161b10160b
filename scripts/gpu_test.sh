#!/usr/bin/env bash
# scripts/gpu_test.sh OUT: the one command for the GPU machine: build with the CUDA backend
# (sm_90), run the C suite with the CPU as default device, the GPU family (GPU vs CPU backend),
# the whole C suite with the GPU as default device, and the GPU benchmark beside PyTorch.
# Logs go to OUT (default $OUT or ./gpu-logs); summary.txt collects the closing lines.
set -u
cd "$(dirname "$0")/.."
OUT=${1:-${OUT:-gpu-logs}}
mkdir -p "$OUT"
S="$OUT/summary.txt"
: > "$S"
{ nvidia-smi; command -v cmake gcc nvcc python3; cmake --version; nvcc --version;
  python3 -c 'import torch, numpy; print("torch", torch.__version__, "numpy", numpy.__version__)'; } \
  > "$OUT/env.txt" 2>&1
export PATH="$PATH:/usr/local/cuda/bin"
ok_cmake=0
if command -v cmake >/dev/null 2>&1; then
  v=$(cmake --version | head -1 | awk '{print $3}')
  case "$v" in 3.2[5-9]*|3.[3-9]*|[4-9].*) ok_cmake=1 ;; esac
fi
t0=$(date +%s)
if [ $ok_cmake = 1 ]; then
  { cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCMLX_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
      -DCMLX_PYTHON=ON -DPython3_EXECUTABLE="$(command -v python3)" -DCMLX_REFBLAS=ON && cmake --build build-gpu -j"$(nproc)"; } > "$OUT/build.log" 2>&1
else
  bash scripts/gpu_build_nocmake.sh build-gpu > "$OUT/build.log" 2>&1
fi
rc=$?
echo "build: rc=$rc in $(( $(date +%s) - t0 )) s (cmake=$ok_cmake)" | tee -a "$S"
if [ $rc != 0 ]; then tail -40 "$OUT/build.log"; exit 1; fi

run() { # name, command...
  local name=$1; shift
  timeout 900 "$@" > "$OUT/$name.log" 2>&1
  echo "$name: rc=$? $(tail -1 "$OUT/$name.log")" | tee -a "$S"
}
MX_DEFAULT_DEVICE=cpu run c_tests_cpu_default build-gpu/cmlx_tests
run c_tests_gpu_family build-gpu/cmlx_tests gpu gpu_streams gpu_misc cuda_jit fast fast_norm compile_call
run c_tests_gpu_default build-gpu/cmlx_tests
grep -E "FAIL" "$OUT/c_tests_gpu_default.log" | head -200 >> "$S"
if ls python/cmlx/_core*.so >/dev/null 2>&1 && python3 -m pytest --version >/dev/null 2>&1; then
  MX_DEFAULT_DEVICE=cpu PYTHONPATH=python run py_tests_cpu_default python3 -m pytest tests/python -q -p no:cacheprovider
  DEVICE=gpu PYTHONPATH=python run py_tests_cuda python3 -m pytest tests/python/test_cuda.py -q -p no:cacheprovider
  DEVICE=gpu PYTHONPATH=python run py_tests_gpu_default python3 -m pytest tests/python -q -p no:cacheprovider
else
  echo "python: extension or pytest unavailable here; skipped" | tee -a "$S"
fi
run bench_gpu python3 bench/bench_gpu.py build-gpu/bench_gpu
PYTHONPATH=python run bench_graphs python3 bench/bench_graphs.py
cat "$OUT/bench_graphs.log" >> "$OUT/bench_gpu.log"
cat "$OUT/bench_gpu.log"
cat "$S"
# the device tool brings back at most 8 files: keep summary + bench, pack the rest
( cd "$OUT" && tar czf logs.tar.gz --exclude=summary.txt --exclude=logs.tar.gz --exclude=bench_gpu.log *.log env.txt \
  && find . -maxdepth 1 -name '*.log' ! -name bench_gpu.log -delete && rm -f env.txt )
