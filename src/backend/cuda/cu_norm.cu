// src/backend/cuda/cu_norm.cu: rms_norm, layer_norm and softmax over the rows of a
// row-contiguous (rows, cols) array on the GPU (RMS_NORM / LAYER_NORM, whose C side is
// cuda_fast.c, and SOFTMAX, called from cuda_kernels.c).
//
// A group of threads normalises one row: a warp for short rows (several rows per block, no
// shared memory, warp shuffles only), the whole block for longer ones (warp shuffles, then one
// float per warp through shared memory). When the row, the output, the weight and the bias all
// start on 16-byte boundaries and cols is a multiple of the vector width, elements move as
// 16-byte vectors (4 floats, 8 halves); otherwise one element at a time. Each thread keeps its
// first K vectors of the row in registers, so a row that fits (K vectors per thread) is read
// from memory once; the rest of a longer row is read again in each pass.
//
// Statistics accumulate in float: rms_norm sums x^2; layer_norm takes the mean first and then
// sums (x - mean)^2 (two passes, numerically sound). Then inv = 1 / sqrtf(ms + eps) (IEEE sqrt
// and division) and y = ((x - mean) * inv, rounded to the dtype) * w (rounded) + b (rounded), with
// no FMA across those steps: the same arithmetic as the CPU kernel (src/backend/cpu/fast.c),
// which differs only by the order of the sums.
#include <cuda_runtime.h>

#include "cu_api.h"
#include "cu_norm.h"
#include "cu_scalar.cuh"
#include "mx/dtype.h"

namespace {

constexpr int K = 4;           // vectors each thread keeps in registers
constexpr int WARP_ROWS = 8;   // rows per block (one per warp) for short rows

template <class S> struct vec_width { static constexpr int value = 16 / sizeof(S); };

// V elements from p (16-byte aligned when V > 1) into f
template <class S, int V> __device__ inline void load(const S *p, float *f) {
    if constexpr (V == 1) {
        f[0] = (float)mx_ld(p[0]);
    } else {
        uint4 u = *reinterpret_cast<const uint4 *>(p);
        uint32_t q[4] = {u.x, u.y, u.z, u.w};
        if constexpr (std::is_same<S, float>::value) {
#pragma unroll
            for (int k = 0; k < 4; k++) f[k] = __uint_as_float(q[k]);
        } else {
#pragma unroll
            for (int k = 0; k < 4; k++) {
                f[2 * k] = mx_ld(S{(uint16_t)(q[k] & 0xffffu)});
                f[2 * k + 1] = mx_ld(S{(uint16_t)(q[k] >> 16)});
            }
        }
    }
}

// V values f, converted to S, to p (16-byte aligned when V > 1)
template <class S, int V> __device__ inline void store(S *p, const float *f) {
    if constexpr (V == 1) {
        p[0] = mx_st<S>(f[0]);
    } else {
        uint32_t q[4];
        if constexpr (std::is_same<S, float>::value) {
#pragma unroll
            for (int k = 0; k < 4; k++) q[k] = __float_as_uint(f[k]);
        } else {
#pragma unroll
            for (int k = 0; k < 4; k++)
                q[k] = (uint32_t)mx_st<S>(f[2 * k]).bits |
                       ((uint32_t)mx_st<S>(f[2 * k + 1]).bits << 16);
        }
        *reinterpret_cast<uint4 *>(p) = make_uint4(q[0], q[1], q[2], q[3]);
    }
}

// v rounded to the storage type S
template <class S> __device__ inline float round_to(float v) {
    if constexpr (std::is_same<S, float>::value) return v;
    else return mx_ld(mx_st<S>(v));
}

// the sum of v over the row's group: a warp (group == 32) or the whole block (red: one float per
// warp); every thread of the group gets the same total
__device__ inline float group_sum(float v, int group, float *red) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (group == 32) return v;
    int nw = blockDim.x / 32;
    if ((threadIdx.x & 31) == 0) red[threadIdx.x / 32] = v;
    __syncthreads();
    float t = 0;
    for (int i = 0; i < nw; i++) t += red[i];
    __syncthreads(); // red is reused by the next sum
    return t;
}

// statistic term of one element: x (layer_norm's first pass), (x - c)^2 otherwise
template <int V> __device__ inline float term_sum(const float *f, bool square, float c) {
    float a = 0;
#pragma unroll
    for (int e = 0; e < V; e++) {
        float d = f[e] - c;
        a += square ? d * d : f[e];
    }
    return a;
}

// output of V elements starting at element j * V of the row
template <class S, int V>
__device__ inline void emit(S *y, const float *f, const S *w, const S *b, int64_t j, float c,
                            float inv) {
    float wv[V], bv[V], o[V];
    if (w) load<S, V>(w + j * V, wv);
    if (b) load<S, V>(b + j * V, bv);
#pragma unroll
    for (int e = 0; e < V; e++) {
        float v = __fmul_rn(__fsub_rn(f[e], c), inv);
        if (w) v = __fmul_rn(round_to<S>(v), wv[e]);
        if (b) v = __fadd_rn(round_to<S>(v), bv[e]);
        o[e] = v;
    }
    store<S, V>(y + j * V, o);
}

// one row per group of `group` threads (32, or blockDim.x with one row per block); at most 1024
// threads (the launch bound keeps the registers within what a 1024-thread block may use)
template <class S, int V, bool LAYER>
__global__ void __launch_bounds__(1024)
    norm_kernel(S *out, const S *x, const S *w, const S *b, int64_t rows, int64_t cols, int group,
                float eps) {
    __shared__ float red[32];
    const int lane = threadIdx.x % group;
    const int64_t row = (int64_t)blockIdx.x * (blockDim.x / group) + threadIdx.x / group;
    if (row >= rows) return; // a whole warp (group 32) or nothing (one row per block)
    const S *xr = x + row * cols;
    S *yr = out + row * cols;
    const int64_t nv = cols / V;
    float cache[K][V];

    // pass 1: sum x (layer_norm) or x^2 (rms_norm)
    float acc = 0;
#pragma unroll
    for (int k = 0; k < K; k++) {
        int64_t j = lane + (int64_t)k * group;
        if (j < nv) {
            load<S, V>(xr + j * V, cache[k]);
            acc += term_sum<V>(cache[k], !LAYER, 0.0f);
        }
    }
    for (int64_t j = lane + (int64_t)K * group; j < nv; j += group) {
        float f[V];
        load<S, V>(xr + j * V, f);
        acc += term_sum<V>(f, !LAYER, 0.0f);
    }
    float total = group_sum(acc, group, red);
    float c = 0, ms;
    if (LAYER) { // pass 2: sum (x - mean)^2
        c = total / (float)cols;
        acc = 0;
#pragma unroll
        for (int k = 0; k < K; k++)
            if (lane + (int64_t)k * group < nv) acc += term_sum<V>(cache[k], true, c);
        for (int64_t j = lane + (int64_t)K * group; j < nv; j += group) {
            float f[V];
            load<S, V>(xr + j * V, f);
            acc += term_sum<V>(f, true, c);
        }
        ms = group_sum(acc, group, red) / (float)cols;
    } else {
        ms = total / (float)cols;
    }
    const float inv = 1.0f / sqrtf(ms + eps);

    // pass 3: the output
#pragma unroll
    for (int k = 0; k < K; k++) {
        int64_t j = lane + (int64_t)k * group;
        if (j < nv) emit<S, V>(yr, cache[k], w, b, j, c, inv);
    }
    for (int64_t j = lane + (int64_t)K * group; j < nv; j += group) {
        float f[V];
        load<S, V>(xr + j * V, f);
        emit<S, V>(yr, f, w, b, j, c, inv);
    }
}

// the maximum of v over the row's group (as group_sum)
__device__ inline float group_max(float v, int group, float *red) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    if (group == 32) return v;
    int nw = blockDim.x / 32;
    if ((threadIdx.x & 31) == 0) red[threadIdx.x / 32] = v;
    __syncthreads();
    float t = -INFINITY;
    for (int i = 0; i < nw; i++) t = fmaxf(t, red[i]);
    __syncthreads();
    return t;
}

// softmax of each row, in the same layout as norm_kernel: the maximum, the sum of exp(x - max)
// (the exponentials of the cached part stay in registers), then exp(x - max) / sum
template <class S, int V>
__global__ void __launch_bounds__(1024)
    softmax_kernel(S *out, const S *x, int64_t rows, int64_t cols, int group) {
    __shared__ float red[32];
    const int lane = threadIdx.x % group;
    const int64_t row = (int64_t)blockIdx.x * (blockDim.x / group) + threadIdx.x / group;
    if (row >= rows) return;
    const S *xr = x + row * cols;
    S *yr = out + row * cols;
    const int64_t nv = cols / V;
    float cache[K][V];
    float m = -INFINITY;
#pragma unroll
    for (int k = 0; k < K; k++) {
        int64_t j = lane + (int64_t)k * group;
        if (j < nv) {
            load<S, V>(xr + j * V, cache[k]);
#pragma unroll
            for (int e = 0; e < V; e++) m = fmaxf(m, cache[k][e]);
        }
    }
    for (int64_t j = lane + (int64_t)K * group; j < nv; j += group) {
        float f[V];
        load<S, V>(xr + j * V, f);
#pragma unroll
        for (int e = 0; e < V; e++) m = fmaxf(m, f[e]);
    }
    m = group_max(m, group, red);
    float acc = 0;
#pragma unroll
    for (int k = 0; k < K; k++)
        if (lane + (int64_t)k * group < nv)
#pragma unroll
            for (int e = 0; e < V; e++) acc += (cache[k][e] = __expf(cache[k][e] - m));
    for (int64_t j = lane + (int64_t)K * group; j < nv; j += group) {
        float f[V];
        load<S, V>(xr + j * V, f);
#pragma unroll
        for (int e = 0; e < V; e++) acc += __expf(f[e] - m);
    }
    const float inv = 1.0f / group_sum(acc, group, red);
#pragma unroll
    for (int k = 0; k < K; k++) {
        int64_t j = lane + (int64_t)k * group;
        if (j < nv) {
            float o[V];
#pragma unroll
            for (int e = 0; e < V; e++) o[e] = cache[k][e] * inv;
            store<S, V>(yr + j * V, o);
        }
    }
    for (int64_t j = lane + (int64_t)K * group; j < nv; j += group) {
        float f[V];
        load<S, V>(xr + j * V, f);
#pragma unroll
        for (int e = 0; e < V; e++) f[e] = __expf(f[e] - m) * inv;
        store<S, V>(yr + j * V, f);
    }
}

bool aligned16(const void *p) { return p == nullptr || ((uintptr_t)p & 15u) == 0; }

// threads per row group, per block, and rows per block for rows of nv vectors
void geometry(int64_t nv, int *group, int *threads, int64_t *rows_per_block) {
    if (nv <= (int64_t)K * 32) { // short rows: a warp each
        *group = 32;
        *threads = 32 * WARP_ROWS;
        *rows_per_block = WARP_ROWS;
    } else { // a block each, sized so that the row fits the registers when it can
        int64_t t = (nv + K - 1) / K;
        t = (t + 31) / 32 * 32;
        *threads = (int)(t < 64 ? 64 : (t > 1024 ? 1024 : t));
        *group = *threads;
        *rows_per_block = 1;
    }
}

// launch(blocks, threads, r0, rn, group) for each chunk of rows [r0, r0 + rn) that one grid holds
template <class F> int over_row_chunks(int64_t rows, int64_t nv, F launch) {
    int group, threads;
    int64_t rows_per_block;
    geometry(nv, &group, &threads, &rows_per_block);
    const int64_t cap = ((int64_t)1 << 30) * rows_per_block;
    for (int64_t r0 = 0; r0 < rows; r0 += cap) {
        int64_t rn = rows - r0 < cap ? rows - r0 : cap;
        launch((unsigned)((rn + rows_per_block - 1) / rows_per_block), threads, r0, rn, group);
    }
    return (int)cudaGetLastError();
}

template <class S, int V>
int launch(int layer, S *out, const S *x, const S *w, const S *b, int64_t rows, int64_t cols,
           float eps, cudaStream_t s) {
    return over_row_chunks(rows, cols / V, [&](unsigned blocks, int threads, int64_t r0,
                                               int64_t rn, int group) {
        if (layer)
            norm_kernel<S, V, true><<<blocks, threads, 0, s>>>(out + r0 * cols, x + r0 * cols, w,
                                                                b, rn, cols, group, eps);
        else
            norm_kernel<S, V, false><<<blocks, threads, 0, s>>>(out + r0 * cols, x + r0 * cols, w,
                                                                 b, rn, cols, group, eps);
    });
}

template <class S>
int norm_rows(int layer, void *out, const void *x, const void *w, const void *b, int64_t rows,
              int64_t cols, float eps, cudaStream_t s) {
    constexpr int V = vec_width<S>::value;
    const S *xs = (const S *)x, *ws = (const S *)w, *bs = (const S *)b;
    if (cols % V == 0 && aligned16(out) && aligned16(x) && aligned16(w) && aligned16(b))
        return launch<S, V>(layer, (S *)out, xs, ws, bs, rows, cols, eps, s);
    return launch<S, 1>(layer, (S *)out, xs, ws, bs, rows, cols, eps, s);
}

template <class S, int V>
int launch_softmax(S *out, const S *x, int64_t rows, int64_t cols, cudaStream_t s) {
    return over_row_chunks(rows, cols / V, [&](unsigned blocks, int threads, int64_t r0,
                                               int64_t rn, int group) {
        softmax_kernel<S, V><<<blocks, threads, 0, s>>>(out + r0 * cols, x + r0 * cols, rn, cols,
                                                        group);
    });
}

template <class S> int softmax_rows(void *out, const void *x, int64_t rows, int64_t cols,
                                    cudaStream_t s) {
    constexpr int V = vec_width<S>::value;
    if (cols % V == 0 && aligned16(out) && aligned16(x))
        return launch_softmax<S, V>((S *)out, (const S *)x, rows, cols, s);
    return launch_softmax<S, 1>((S *)out, (const S *)x, rows, cols, s);
}

} // namespace

extern "C" int mx_cu_softmax_rows(int dtype, void *out, const void *in, int64_t rows, int64_t cols,
                                  void *stream) {
    cudaStream_t s = (cudaStream_t)stream;
    if (rows <= 0 || cols <= 0) return 0;
    switch (dtype) {
    case MX_FLOAT32: return softmax_rows<float>(out, in, rows, cols, s);
    case MX_FLOAT16: return softmax_rows<f16s>(out, in, rows, cols, s);
    case MX_BFLOAT16: return softmax_rows<bf16s>(out, in, rows, cols, s);
    default: return (int)cudaErrorInvalidValue;
    }
}

extern "C" int mx_cu_norm_rows(int layer, int dtype, void *out, const void *x, const void *w,
                               const void *b, int64_t rows, int64_t cols, float eps,
                               void *stream) {
    cudaStream_t s = (cudaStream_t)stream;
    if (rows <= 0 || cols <= 0) return 0;
    switch (dtype) {
    case MX_FLOAT32: return norm_rows<float>(layer, out, x, w, b, rows, cols, eps, s);
    case MX_FLOAT16: return norm_rows<f16s>(layer, out, x, w, b, rows, cols, eps, s);
    case MX_BFLOAT16: return norm_rows<bf16s>(layer, out, x, w, b, rows, cols, eps, s);
    default: return (int)cudaErrorInvalidValue;
    }
}
