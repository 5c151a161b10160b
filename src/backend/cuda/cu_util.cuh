/* src/backend/cuda/cu_util.cuh: small device-side helpers shared by the .cu kernel files (not by
 * the NVRTC prelude of cuda_jit_src.c, which mirrors cu_scalar.cuh only): grid sizes and grid-stride loops, element offsets in an
 * mx_cu_nd iteration space (cu_api.h) and the error check of launchers that release their
 * temporary device memory at one exit. */
#ifndef MX_CU_UTIL_CUH
#define MX_CU_UTIL_CUH

#include <cuda_runtime.h>
#include <stdint.h>

#include "cu_api.h"

/* Blocks of `threads` threads covering n elements, at most 65535 * 16 (a grid-stride loop does the
 * rest) and at least one. */
inline unsigned mx_cu_grid(int64_t n, int threads = 256) {
    int64_t b = (n + threads - 1) / threads;
    if (b > 65535 * 16) b = 65535 * 16;
    return (unsigned)(b < 1 ? 1 : b);
}

/* for i over [0, n) in a grid-stride loop */
#define MX_CU_GRID_LOOP(i, n)                                                                      \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);                      \
         i += (int64_t)blockDim.x * gridDim.x)

/* Element offset of operand k at the row-major position i of the iteration space, through its
 * shape and strides (whether or not nd.contiguous). */
__device__ inline int64_t mx_cu_offset(const mx_cu_nd &nd, int k, int64_t i) {
    int64_t off = 0;
    for (int d = nd.ndim - 1; d >= 0; d--) {
        int64_t q = i / nd.shape[d];
        off += (i - q * nd.shape[d]) * nd.strides[k][d];
        i = q;
    }
    return off;
}

/* The same, through the flat stride when nd.contiguous. */
__device__ inline int64_t mx_cu_nd_offset(const mx_cu_nd &nd, int k, int64_t i) {
    if (nd.contiguous) return i * nd.flat_stride[k];
    return mx_cu_offset(nd, k, i);
}

/* In a launcher with a local `cudaError_t e` and a label `done:` where it frees its temporary
 * buffers: e = call, and on failure go to done (which returns e). */
#define MX_CU_TRY_DONE(call)                                                                       \
    do {                                                                                           \
        e = (call);                                                                                \
        if (e != cudaSuccess) goto done;                                                           \
    } while (0)

#endif
