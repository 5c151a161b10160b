// src/backend/cuda/cu_sort.cu: SORT and ARGSORT of the rows of a row-contiguous (rows, n) array
// on the GPU. Each element becomes an unsigned key whose order is NumPy's (and the CPU kernel's,
// src/backend/cpu/sort.c): signed integers flip the sign bit; floats (float16 / bfloat16 through
// float) map -0.0 to +0.0 and then to the usual order-preserving bit pattern, every NaN to the
// largest key; complex64 is (real key, imag key) in 64 bits, NaN in either part largest. The
// (key, position) pairs of every row are sorted by CUB's stable segmented sort, so equal keys
// keep their order (argsort is stable, NaNs stay in input order at the end). ARGSORT writes the
// positions (uint32); SORT gathers the original elements by them (so -0.0 and 0.0 keep their
// bits). Rows are processed in chunks of at most 2^30 elements.
#include <cuda_runtime.h>

#include <cub/device/device_segmented_sort.cuh>

#include "cu_api.h"
#include "cu_scalar.cuh"
#include "cu_util.cuh"
#include "mx/dtype.h"

namespace {

__device__ inline uint32_t float_key(float f) {
    if (isnan(f)) return 0xFFFFFFFFu;
    if (f == 0.0f) f = 0.0f; // -0.0 == 0.0
    uint32_t u = __float_as_uint(f);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

template <class S> struct key_of;
template <> struct key_of<bool> {
    using K = uint32_t;
    __device__ static K get(bool v) { return v ? 1u : 0u; }
};
template <> struct key_of<uint8_t> {
    using K = uint32_t;
    __device__ static K get(uint8_t v) { return v; }
};
template <> struct key_of<uint16_t> {
    using K = uint32_t;
    __device__ static K get(uint16_t v) { return v; }
};
template <> struct key_of<uint32_t> {
    using K = uint32_t;
    __device__ static K get(uint32_t v) { return v; }
};
template <> struct key_of<uint64_t> {
    using K = uint64_t;
    __device__ static K get(uint64_t v) { return v; }
};
template <> struct key_of<int8_t> {
    using K = uint32_t;
    __device__ static K get(int8_t v) { return (uint32_t)(int32_t)v ^ 0x80000000u; }
};
template <> struct key_of<int16_t> {
    using K = uint32_t;
    __device__ static K get(int16_t v) { return (uint32_t)(int32_t)v ^ 0x80000000u; }
};
template <> struct key_of<int32_t> {
    using K = uint32_t;
    __device__ static K get(int32_t v) { return (uint32_t)v ^ 0x80000000u; }
};
template <> struct key_of<int64_t> {
    using K = uint64_t;
    __device__ static K get(int64_t v) { return (uint64_t)v ^ 0x8000000000000000ull; }
};
template <> struct key_of<float> {
    using K = uint32_t;
    __device__ static K get(float v) { return float_key(v); }
};
template <> struct key_of<f16s> {
    using K = uint32_t;
    __device__ static K get(f16s v) { return float_key(mx_ld(v)); }
};
template <> struct key_of<bf16s> {
    using K = uint32_t;
    __device__ static K get(bf16s v) { return float_key(mx_ld(v)); }
};
template <> struct key_of<c64> {
    using K = uint64_t;
    __device__ static K get(c64 v) {
        if (isnan(v.re) || isnan(v.im)) return ~0ull;
        return ((uint64_t)float_key(v.re) << 32) | (uint64_t)float_key(v.im);
    }
};

template <class S, class K>
__global__ void make_keys(K *keys, uint32_t *pos, const S *in, int64_t total, int64_t n) {
    MX_CU_GRID_LOOP(i, total) {
        keys[i] = key_of<S>::get(in[i]);
        pos[i] = (uint32_t)(i % n);
    }
}

__global__ void make_offsets(int64_t *off, int64_t rows, int64_t n) {
    MX_CU_GRID_LOOP(r, rows + 1) off[r] = r * n;
}

template <class S>
__global__ void gather_rows(S *out, const S *in, const uint32_t *pos, int64_t total, int64_t n) {
    MX_CU_GRID_LOOP(i, total) {
        int64_t row = i / n;
        uint32_t p = pos[i];
        out[i] = in[row * n + (p < (uint64_t)n ? (int64_t)p : 0)];
    }
}

template <class S>
int sort_rows(int arg, void *out, const void *in, int64_t rows, int64_t n, cudaStream_t s) {
    using K = typename key_of<S>::K;
    const int64_t cap = (int64_t)1 << 30;
    if (n > cap) return (int)cudaErrorInvalidValue; // a row longer than 2^30 elements
    int64_t chunk_rows = cap / n;
    if (chunk_rows > rows) chunk_rows = rows;
    int64_t items = chunk_rows * n;
    K *k_in = nullptr, *k_out = nullptr;
    uint32_t *p_in = nullptr, *p_out = nullptr;
    int64_t *offs = nullptr;
    void *temp = nullptr;
    size_t temp_bytes = 0;
    cudaError_t e = cudaSuccess;
    MX_CU_TRY_DONE(cudaMallocAsync((void **)&k_in, sizeof(K) * (size_t)items, s));
    MX_CU_TRY_DONE(cudaMallocAsync((void **)&k_out, sizeof(K) * (size_t)items, s));
    MX_CU_TRY_DONE(cudaMallocAsync((void **)&p_in, sizeof(uint32_t) * (size_t)items, s));
    MX_CU_TRY_DONE(cudaMallocAsync((void **)&p_out, sizeof(uint32_t) * (size_t)items, s));
    MX_CU_TRY_DONE(cudaMallocAsync((void **)&offs, sizeof(int64_t) * (size_t)(chunk_rows + 1), s));
    make_offsets<<<mx_cu_grid(chunk_rows + 1), 256, 0, s>>>(offs, chunk_rows, n);
    MX_CU_TRY_DONE(cudaGetLastError());
    MX_CU_TRY_DONE(cub::DeviceSegmentedSort::StableSortPairs(nullptr, temp_bytes, k_in, k_out, p_in,
                                                             p_out, items, chunk_rows, offs,
                                                             offs + 1, s));
    MX_CU_TRY_DONE(cudaMallocAsync(&temp, temp_bytes ? temp_bytes : 1, s));
    for (int64_t r0 = 0; r0 < rows; r0 += chunk_rows) {
        int64_t rn = rows - r0 < chunk_rows ? rows - r0 : chunk_rows, m = rn * n;
        const S *src = (const S *)in + r0 * n;
        make_keys<S, K><<<mx_cu_grid(m), 256, 0, s>>>(k_in, p_in, src, m, n);
        MX_CU_TRY_DONE(cudaGetLastError());
        size_t tb = 0;
        MX_CU_TRY_DONE(cub::DeviceSegmentedSort::StableSortPairs(nullptr, tb, k_in, k_out, p_in,
                                                                 p_out, m, rn, offs, offs + 1, s));
        if (tb > temp_bytes) { // never seen: a smaller last chunk needing more scratch
            cudaFreeAsync(temp, s);
            temp = nullptr;
            temp_bytes = tb;
            MX_CU_TRY_DONE(cudaMallocAsync(&temp, temp_bytes, s));
        }
        tb = temp_bytes;
        MX_CU_TRY_DONE(cub::DeviceSegmentedSort::StableSortPairs(temp, tb, k_in, k_out, p_in, p_out,
                                                                 m, rn, offs, offs + 1, s));
        if (arg) {
            MX_CU_TRY_DONE(cudaMemcpyAsync((uint32_t *)out + r0 * n, p_out,
                                           sizeof(uint32_t) * (size_t)m, cudaMemcpyDeviceToDevice,
                                           s));
        } else {
            gather_rows<S><<<mx_cu_grid(m), 256, 0, s>>>((S *)out + r0 * n, src, p_out, m, n);
            MX_CU_TRY_DONE(cudaGetLastError());
        }
    }
done:
    if (temp) cudaFreeAsync(temp, s);
    if (offs) cudaFreeAsync(offs, s);
    if (p_out) cudaFreeAsync(p_out, s);
    if (p_in) cudaFreeAsync(p_in, s);
    if (k_out) cudaFreeAsync(k_out, s);
    if (k_in) cudaFreeAsync(k_in, s);
    return (int)e;
}

} // namespace

extern "C" int mx_cu_sort_rows(int dtype, int arg, void *out, const void *in, int64_t rows,
                               int64_t n, void *stream) {
    if (rows <= 0 || n <= 0) return 0;
    cudaStream_t s = (cudaStream_t)stream;
    switch (dtype) {
    case MX_BOOL: return sort_rows<bool>(arg, out, in, rows, n, s);
    case MX_UINT8: return sort_rows<uint8_t>(arg, out, in, rows, n, s);
    case MX_UINT16: return sort_rows<uint16_t>(arg, out, in, rows, n, s);
    case MX_UINT32: return sort_rows<uint32_t>(arg, out, in, rows, n, s);
    case MX_UINT64: return sort_rows<uint64_t>(arg, out, in, rows, n, s);
    case MX_INT8: return sort_rows<int8_t>(arg, out, in, rows, n, s);
    case MX_INT16: return sort_rows<int16_t>(arg, out, in, rows, n, s);
    case MX_INT32: return sort_rows<int32_t>(arg, out, in, rows, n, s);
    case MX_INT64: return sort_rows<int64_t>(arg, out, in, rows, n, s);
    case MX_FLOAT16: return sort_rows<f16s>(arg, out, in, rows, n, s);
    case MX_FLOAT32: return sort_rows<float>(arg, out, in, rows, n, s);
    case MX_BFLOAT16: return sort_rows<bf16s>(arg, out, in, rows, n, s);
    case MX_COMPLEX64: return sort_rows<c64>(arg, out, in, rows, n, s);
    default: return (int)cudaErrorInvalidValue;
    }
}
