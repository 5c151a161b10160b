// src/backend/cuda/cu_reduce.cu: row reductions on the GPU (softmax is in cu_norm.cu).
// reduce_rows: a (rows, cols) row-contiguous input, one result per row. Many rows: one block per
// row. Few long rows: each row is spread over many blocks (reduce_spread, the grid sized to what
// is resident at once), with a second pass over the partial results; block reduction by warp
// shuffles. float16/bfloat16/float32 accumulate in float, integers in 64 bits,
// complex64 in complex.
#include <cuda_runtime.h>
#include <float.h>

#include "cu_api.h"
#include "cu_scalar.cuh"
#include "mx/dtype.h"

namespace {

enum { R_SUM = 0, R_PROD, R_MIN, R_MAX, R_AND, R_OR };

template <class A> struct ops {
    static __device__ A init(int kind) {
        switch (kind) {
        case R_PROD: return A(1);
        case R_AND: return A(1);
        case R_MIN:
            if constexpr (std::is_floating_point<A>::value) return A(INFINITY);
            else return std::is_signed<A>::value ? A(INT64_MAX) : A(UINT64_MAX);
        case R_MAX:
            if constexpr (std::is_floating_point<A>::value) return A(-INFINITY);
            else return std::is_signed<A>::value ? A(INT64_MIN) : A(0);
        default: return A(0);
        }
    }
    static __device__ A combine(int kind, A a, A b) {
        switch (kind) {
        case R_SUM: return a + b;
        case R_PROD: return a * b;
        case R_MIN:
            if constexpr (std::is_floating_point<A>::value)
                return isnan(a) ? a : (isnan(b) ? b : (a < b ? a : b));
            else return a < b ? a : b;
        case R_MAX:
            if constexpr (std::is_floating_point<A>::value)
                return isnan(a) ? a : (isnan(b) ? b : (a > b ? a : b));
            else return a > b ? a : b;
        case R_AND: return A((a != A(0)) && (b != A(0)));
        default: return A((a != A(0)) || (b != A(0)));
        }
    }
};
template <> struct ops<c64> {
    static __device__ c64 init(int kind) { return kind == R_PROD ? c64(1) : c64(0); }
    static __device__ c64 combine(int kind, c64 a, c64 b) { return kind == R_PROD ? a * b : a + b; }
};

template <class A> __device__ A shfl_down(A v, int d) {
    if constexpr (std::is_same<A, c64>::value)
        return c64(__shfl_down_sync(0xffffffffu, v.re, d), __shfl_down_sync(0xffffffffu, v.im, d));
    else return __shfl_down_sync(0xffffffffu, v, d);
}

template <class A> __device__ A block_reduce(int kind, A v) {
    /* raw storage: a __shared__ array of a type with constructors cannot be declared directly */
    __shared__ typename std::aligned_storage<sizeof(A), alignof(A)>::type warp_raw[32];
    A *warp_vals = reinterpret_cast<A *>(warp_raw);
    for (int d = 16; d > 0; d /= 2) v = ops<A>::combine(kind, v, shfl_down(v, d));
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    if (lane == 0) warp_vals[w] = v;
    __syncthreads();
    int nw = (blockDim.x + 31) / 32;
    v = threadIdx.x < nw ? warp_vals[threadIdx.x] : ops<A>::init(kind);
    if (w == 0)
        for (int d = 16; d > 0; d /= 2) v = ops<A>::combine(kind, v, shfl_down(v, d));
    return v;
}

// Elements per 16-byte vector of S, and the vector type.
template <class S> struct vec_of {
    static constexpr int N = sizeof(S) >= 16 ? 1 : (int)(16 / sizeof(S));
    struct alignas(sizeof(S) * N) type { S v[N]; };
};

// Fold the vectors rv[i], rv[i + step], ... below nv into acc, four 16-byte loads in flight per
// thread (four accumulators, combined at the end).
template <class S, class A, int kind>
__device__ A fold_vectors(A acc, const typename vec_of<S>::type *rv, int64_t i, int64_t nv,
                          int64_t step) {
    constexpr int N = vec_of<S>::N;
    A acc2 = ops<A>::init(kind), acc3 = acc2, acc4 = acc2;
    for (; i + 3 * step < nv; i += 4 * step) {
        auto x = rv[i], y = rv[i + step], z = rv[i + 2 * step], w = rv[i + 3 * step];
#pragma unroll
        for (int j = 0; j < N; j++) {
            acc = ops<A>::combine(kind, acc, A(mx_ld(x.v[j])));
            acc2 = ops<A>::combine(kind, acc2, A(mx_ld(y.v[j])));
            acc3 = ops<A>::combine(kind, acc3, A(mx_ld(z.v[j])));
            acc4 = ops<A>::combine(kind, acc4, A(mx_ld(w.v[j])));
        }
    }
    for (; i < nv; i += step) {
        auto x = rv[i];
#pragma unroll
        for (int j = 0; j < N; j++) acc = ops<A>::combine(kind, acc, A(mx_ld(x.v[j])));
    }
    acc2 = ops<A>::combine(kind, acc2, acc3);
    acc2 = ops<A>::combine(kind, acc2, acc4);
    return ops<A>::combine(kind, acc, acc2);
}

// pass 1: grid (chunks, rows); each block folds its chunk of its row into partial[row][chunk]
template <class S, class A, int kind> /* the kind is a template argument: the inner loop has no switch */
__global__ void reduce_pass(A *partial, const S *in, int64_t cols, int64_t chunk) {
    int64_t row = blockIdx.y, c0 = (int64_t)blockIdx.x * chunk;
    int64_t c1 = c0 + chunk < cols ? c0 + chunk : cols;
    const S *r = in + row * cols;
    A acc = ops<A>::init(kind);
    constexpr int N = vec_of<S>::N;
    int64_t c = c0;
    if (N > 1 && (((uintptr_t)(r + c0)) & 15) == 0) { /* 16-byte loads over the aligned body */
        int64_t nv = (c1 - c0) / N;
        const auto *rv = reinterpret_cast<const typename vec_of<S>::type *>(r + c0);
        acc = fold_vectors<S, A, kind>(acc, rv, threadIdx.x, nv, blockDim.x);
        c = c0 + nv * N;
    }
    for (c += threadIdx.x; c < c1; c += blockDim.x)
        acc = ops<A>::combine(kind, acc, A(mx_ld(r[c])));
    acc = block_reduce(kind, acc);
    if (threadIdx.x == 0) partial[row * gridDim.x + blockIdx.x] = acc;
}

// pass 1 for few long rows: grid (blocks, rows); the blocks of a row interleave over it (block b,
// thread t reads the 16-byte vectors b * blockDim + t + k * gridDim.x * blockDim), so every block
// has the same work and all of them are resident at once (the grid is sized from the occupancy):
// no second wave, no tail of idle SMs. Elements before the row's first 16-byte boundary and after
// its last whole vector are folded separately.
template <class S, class A, int kind>
__global__ void reduce_spread(A *partial, const S *in, int64_t cols) {
    int64_t row = blockIdx.y;
    const S *r = in + row * cols;
    constexpr int N = vec_of<S>::N;
    int64_t head = N > 1 ? (int64_t)(((16 - ((uintptr_t)r & 15)) & 15) / sizeof(S)) : 0;
    if (head > cols) head = cols;
    int64_t nv = (cols - head) / N;
    const auto *rv = reinterpret_cast<const typename vec_of<S>::type *>(r + head);
    int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x, step = (int64_t)gridDim.x * blockDim.x;
    A acc = fold_vectors<S, A, kind>(ops<A>::init(kind), rv, t, nv, step);
    if (t < head) acc = ops<A>::combine(kind, acc, A(mx_ld(r[t])));
    for (int64_t c = head + nv * N + t; c < cols; c += step)
        acc = ops<A>::combine(kind, acc, A(mx_ld(r[c])));
    acc = block_reduce(kind, acc);
    if (threadIdx.x == 0) partial[row * gridDim.x + blockIdx.x] = acc;
}

/* blocks of `threads` threads of kernel k that fit on the whole GPU at once */
template <class S, class A, int kind> static int64_t resident_blocks(int threads) {
    static int sms = 0;
    if (!sms && cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0) != cudaSuccess) {
        cudaGetLastError();
        sms = 80;
    }
    static int per_sm = 0; /* one per kernel (threads is always the same) */
    if (!per_sm && (cudaOccupancyMaxActiveBlocksPerMultiprocessor(
                        &per_sm, reduce_spread<S, A, kind>, threads, 0) != cudaSuccess ||
         per_sm < 1)) {
        cudaGetLastError();
        per_sm = 2;
    }
    return (int64_t)sms * per_sm;
}

template <class S, class A, int kind>
static void launch_spread(A *partial, const S *in, int64_t rows, int64_t cols, int threads,
                          int64_t nblocks, cudaStream_t s) {
    for (int64_t r0 = 0; r0 < rows; r0 += 65535) {
        int64_t rn = rows - r0 < 65535 ? rows - r0 : 65535;
        dim3 grid((unsigned)nblocks, (unsigned)rn);
        reduce_spread<S, A, kind><<<grid, threads, 0, s>>>(partial + r0 * nblocks, in + r0 * cols,
                                                           cols);
    }
}

// pass 2: one block per row over its partial results, then store (with the mean division)
template <class A, class S>
__global__ void reduce_final(S *out, const A *partial, int64_t nchunks, int kind, int mean,
                             int64_t cols) {
    int64_t row = blockIdx.x;
    A acc = ops<A>::init(kind);
    for (int64_t c = threadIdx.x; c < nchunks; c += blockDim.x)
        acc = ops<A>::combine(kind, acc, partial[row * nchunks + c]);
    acc = block_reduce(kind, acc);
    if (threadIdx.x == 0) {
        if (mean) {
            if constexpr (std::is_same<A, c64>::value) acc = acc / (float)cols;
            else acc = acc / (A)cols;
        }
        out[row] = mx_st<S>(acc);
    }
}

template <class S> struct acc_of {
    using type = typename std::conditional<
        std::is_same<S, c64>::value, c64,
        typename std::conditional<std::is_same<S, f16s>::value || std::is_same<S, bf16s>::value ||
                                      std::is_same<S, float>::value,
                                  float,
                                  typename std::conditional<std::is_same<S, double>::value, double,
                                                            typename std::conditional<std::is_unsigned<S>::value || std::is_same<S, bool>::value, uint64_t, int64_t>::type>::type>::type>::type;
};

template <class S>
int reduce_rows(int kind, int mean, void *out, const void *in, int64_t rows, int64_t cols,
                cudaStream_t s) {
    using A = typename acc_of<S>::type;
    if (rows == 0) return 0;
    int threads = 256;
    int64_t chunk = cols;
    int64_t nchunks = 1;
    bool spread = rows < 256 && cols > 8192; /* few long rows: spread each over many blocks */
    if (spread) {
        int64_t cap;
        switch (kind) { /* the grid: as many blocks as are resident at once, shared by the rows */
        case R_SUM: cap = resident_blocks<S, A, R_SUM>(threads); break;
        case R_PROD: cap = resident_blocks<S, A, R_PROD>(threads); break;
        case R_MIN: cap = resident_blocks<S, A, R_MIN>(threads); break;
        case R_MAX: cap = resident_blocks<S, A, R_MAX>(threads); break;
        case R_AND: cap = resident_blocks<S, A, R_AND>(threads); break;
        default: cap = resident_blocks<S, A, R_OR>(threads); break;
        }
        nchunks = cap / rows;
        if (nchunks > cols / 4096 + 1) nchunks = cols / 4096 + 1;
        if (nchunks < 1) nchunks = 1;
    }
    if (cols == 0) {
        chunk = 1;
        nchunks = 1;
    }
    A *partial = nullptr;
    cudaError_t e = cudaMallocAsync((void **)&partial, sizeof(A) * (size_t)(rows * nchunks), s);
    if (e != cudaSuccess) return (int)e;
    const S *src = (const S *)in;
    if (spread) {
        switch (kind) {
        case R_SUM: launch_spread<S, A, R_SUM>(partial, src, rows, cols, threads, nchunks, s); break;
        case R_PROD: launch_spread<S, A, R_PROD>(partial, src, rows, cols, threads, nchunks, s); break;
        case R_MIN: launch_spread<S, A, R_MIN>(partial, src, rows, cols, threads, nchunks, s); break;
        case R_MAX: launch_spread<S, A, R_MAX>(partial, src, rows, cols, threads, nchunks, s); break;
        case R_AND: launch_spread<S, A, R_AND>(partial, src, rows, cols, threads, nchunks, s); break;
        default: launch_spread<S, A, R_OR>(partial, src, rows, cols, threads, nchunks, s); break;
        }
    }
    for (int64_t r0 = 0; !spread && r0 < rows; r0 += 65535) {
        int64_t rn = rows - r0 < 65535 ? rows - r0 : 65535;
        dim3 grid((unsigned)nchunks, (unsigned)rn);
        A *pp = partial + r0 * nchunks;
        const S *ip = src + r0 * cols;
        switch (kind) {
        case R_SUM: reduce_pass<S, A, R_SUM><<<grid, threads, 0, s>>>(pp, ip, cols, chunk); break;
        case R_PROD: reduce_pass<S, A, R_PROD><<<grid, threads, 0, s>>>(pp, ip, cols, chunk); break;
        case R_MIN: reduce_pass<S, A, R_MIN><<<grid, threads, 0, s>>>(pp, ip, cols, chunk); break;
        case R_MAX: reduce_pass<S, A, R_MAX><<<grid, threads, 0, s>>>(pp, ip, cols, chunk); break;
        case R_AND: reduce_pass<S, A, R_AND><<<grid, threads, 0, s>>>(pp, ip, cols, chunk); break;
        default: reduce_pass<S, A, R_OR><<<grid, threads, 0, s>>>(pp, ip, cols, chunk); break;
        }
    }
    for (int64_t r0 = 0; r0 < rows; r0 += 1 << 30) {
        int64_t rn = rows - r0 < (1 << 30) ? rows - r0 : (1 << 30);
        reduce_final<A, S><<<(unsigned)rn, threads, 0, s>>>((S *)out + r0, partial + r0 * nchunks,
                                                              nchunks, kind, mean, cols);
    }
    e = cudaGetLastError();
    cudaFreeAsync(partial, s);
    return (int)e;
}

} // namespace

extern "C" int mx_cu_reduce_rows(int kind, int mean, int dtype, void *out, const void *in,
                                 int64_t rows, int64_t cols, void *stream) {
    cudaStream_t s = (cudaStream_t)stream;
    switch (dtype) {
    case MX_BOOL: return reduce_rows<bool>(kind, mean, out, in, rows, cols, s);
    case MX_UINT8: return reduce_rows<uint8_t>(kind, mean, out, in, rows, cols, s);
    case MX_UINT16: return reduce_rows<uint16_t>(kind, mean, out, in, rows, cols, s);
    case MX_UINT32: return reduce_rows<uint32_t>(kind, mean, out, in, rows, cols, s);
    case MX_UINT64: return reduce_rows<uint64_t>(kind, mean, out, in, rows, cols, s);
    case MX_INT8: return reduce_rows<int8_t>(kind, mean, out, in, rows, cols, s);
    case MX_INT16: return reduce_rows<int16_t>(kind, mean, out, in, rows, cols, s);
    case MX_INT32: return reduce_rows<int32_t>(kind, mean, out, in, rows, cols, s);
    case MX_INT64: return reduce_rows<int64_t>(kind, mean, out, in, rows, cols, s);
    case MX_FLOAT16: return reduce_rows<f16s>(kind, mean, out, in, rows, cols, s);
    case MX_FLOAT32: return reduce_rows<float>(kind, mean, out, in, rows, cols, s);
    case MX_BFLOAT16: return reduce_rows<bf16s>(kind, mean, out, in, rows, cols, s);
    case MX_COMPLEX64:
        if (kind > R_PROD) return (int)cudaErrorInvalidValue;
        return reduce_rows<c64>(kind, mean, out, in, rows, cols, s);
    default: return (int)cudaErrorInvalidValue;
    }
}

