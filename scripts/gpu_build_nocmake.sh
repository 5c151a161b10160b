#!/usr/bin/env bash
# scripts/gpu_build_nocmake.sh DIR: build libcmlx (with the CUDA backend), the C tests and the GPU
# benchmark without CMake, for machines that lack it (the lent GPU machine may). Uses gcc and nvcc
# directly; OpenBLAS if its cblas.h is installed, else the reference GEMM in src/backend/cpu/refblas.
set -eu
B=${1:-build-gpu}
mkdir -p "$B/obj"
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
CUDA_HOME=${CUDA_HOME:-$(dirname "$(dirname "$NVCC")")}
ARCH=${CUDA_ARCH:-90}
CBLAS=""
BLASLIB=""
for d in /usr/include/x86_64-linux-gnu/openblas-pthread /usr/include/openblas /usr/include; do
  if [ -f "$d/cblas.h" ] && ls /usr/lib/x86_64-linux-gnu/libopenblas.so* >/dev/null 2>&1; then
    CBLAS=$d
    BLASLIB=-lopenblas
    break
  fi
done
EXTRA_SRC=""
if [ -z "$CBLAS" ]; then CBLAS=src/backend/cpu/refblas; EXTRA_SRC=src/backend/cpu/refblas/refblas.c; fi
CFLAGS="-std=gnu11 -O3 -march=native -fPIC -fwrapv -fno-math-errno -Iinclude -Isrc -I$CBLAS -I$CUDA_HOME/include -DCMLX_HAVE_CUDA=1 -DCMLX_HAVE_BLAS=1"
SRCS=$(ls src/core/*.c src/prims/*.c src/ops/*.c src/io/*.c src/transforms/*.c src/backend/cpu/*.c src/backend/cuda/*.c) 
SRCS="$SRCS $EXTRA_SRC"
echo "$SRCS" | tr ' ' '\n' | grep -v '^$' | xargs -P "$(nproc)" -I{} sh -c \
  'o='"$B"'/obj/$(echo {} | tr / _).o; gcc '"$CFLAGS"' -c {} -o $o'
ls src/backend/cuda/*.cu | xargs -P "$(nproc)" -I{} sh -c \
  'o='"$B"'/obj/$(echo {} | tr / _).o; '"$NVCC"' -std=c++17 -O3 -arch=sm_'"$ARCH"' --expt-relaxed-constexpr -diag-suppress=186,68,550,177 -Xcompiler -fPIC -Iinclude -c {} -o $o'
gcc -shared -o "$B/libcmlx.so" "$B"/obj/*.o -L"$CUDA_HOME/lib64" -lcudart -lcublas -lcublasLt $BLASLIB -lpthread -lm -ldl \
  -Wl,-rpath,"$CUDA_HOME/lib64"
gcc -std=gnu11 -O2 -Iinclude -Isrc -Itests/c tests/c/main.c tests/c/test_*.c -L"$B" -lcmlx -lm -Wl,-rpath,"$PWD/$B" -o "$B/cmlx_tests"
gcc -std=gnu11 -O2 -Iinclude bench/bench_gpu.c -L"$B" -lcmlx -lm -Wl,-rpath,"$PWD/$B" -o "$B/bench_gpu"
echo "built $B/libcmlx.so, $B/cmlx_tests, $B/bench_gpu"
