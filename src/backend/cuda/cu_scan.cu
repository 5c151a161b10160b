// src/backend/cuda/cu_scan.cu: ARG_REDUCE and SCAN on the GPU.
// arg_reduce: argmin / argmax along a strided run per output position. Short runs: one thread per
// position; long runs: one block per position, reducing (value, index) pairs with a rule that is
// associative and gives the CPU's answer (the first NaN wins, else the best value with the
// smallest index). scan: a row-contiguous (outer, n, inner) array; one thread per (outer, inner)
// lane walks the n steps sequentially (neighbouring threads read neighbouring elements when inner
// > 1). float16 / bfloat16 / float32 accumulate in float, integers wrap (unsigned arithmetic),
// complex64 sums and products in complex, as src/backend/cpu/scan.c.
#include <cuda_runtime.h>

#include <limits>

#include "../../prims/reduce_params.h"
#include "cu_api.h"
#include "cu_scalar.cuh"
#include "cu_util.cuh"
#include "mx/dtype.h"

namespace {

template <class T> __device__ inline bool is_nan_v(T v) {
    if constexpr (std::is_floating_point<T>::value) return isnan(v);
    else return false;
}

// ---- arg reduce ----
__device__ inline int64_t row_offset(const mx_cu_rows &r, int64_t o) {
    int64_t off = 0;
    for (int d = r.ndim - 1; d >= 0; d--) {
        int64_t q = o / r.shape[d];
        off += (o - q * r.shape[d]) * r.strides[d];
        o = q;
    }
    return off;
}

// the CPU's sequential answer over [0, n) (used per thread for short runs)
template <class S> __device__ uint32_t arg_seq(const S *x, int64_t n, int64_t st, bool is_max) {
    using C = typename mx_compute<S>::type;
    C best = (C)mx_ld(x[0]);
    if (is_nan_v(best)) return 0;
    int64_t bi = 0;
    for (int64_t i = 1; i < n; i++) {
        C v = (C)mx_ld(x[i * st]);
        if (is_nan_v(v)) return (uint32_t)i;
        if (is_max ? v > best : v < best) {
            best = v;
            bi = i;
        }
    }
    return (uint32_t)bi;
}

template <class S>
__global__ void arg_thread_kernel(uint32_t *out, const S *in, mx_cu_rows r, int is_max) {
    for (int64_t o = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; o < r.rows;
         o += (int64_t)blockDim.x * gridDim.x)
        out[o] = arg_seq(in + row_offset(r, o), r.n, r.stride, is_max != 0);
}

// (value, index) with idx = -1 for "nothing yet"; better(a, b): does a win over b?
template <class C> struct arg_pair {
    C       v;
    int64_t i;
};
template <class C> __device__ inline arg_pair<C> arg_pick(arg_pair<C> a, arg_pair<C> b, bool mx) {
    if (a.i < 0) return b;
    if (b.i < 0) return a;
    bool an = is_nan_v(a.v), bn = is_nan_v(b.v);
    if (an || bn) {
        if (an && bn) return a.i < b.i ? a : b;
        return an ? a : b;
    }
    if (mx ? a.v > b.v : a.v < b.v) return a;
    if (mx ? b.v > a.v : b.v < a.v) return b;
    return a.i < b.i ? a : b;
}

template <class S>
__global__ void arg_block_kernel(uint32_t *out, const S *in, mx_cu_rows r, int is_max) {
    using C = typename mx_compute<S>::type;
    __shared__ C sv[256];
    __shared__ int64_t si[256];
    bool mx = is_max != 0;
    for (int64_t o = blockIdx.x; o < r.rows; o += gridDim.x) {
        const S *x = in + row_offset(r, o);
        arg_pair<C> acc{C(0), -1};
        for (int64_t i = threadIdx.x; i < r.n; i += blockDim.x) {
            arg_pair<C> c{(C)mx_ld(x[i * r.stride]), i};
            acc = arg_pick(acc, c, mx);
        }
        sv[threadIdx.x] = acc.v;
        si[threadIdx.x] = acc.i;
        __syncthreads();
        for (int w = blockDim.x / 2; w > 0; w /= 2) {
            if ((int)threadIdx.x < w) {
                arg_pair<C> a{sv[threadIdx.x], si[threadIdx.x]};
                arg_pair<C> b{sv[threadIdx.x + w], si[threadIdx.x + w]};
                a = arg_pick(a, b, mx);
                sv[threadIdx.x] = a.v;
                si[threadIdx.x] = a.i;
            }
            __syncthreads();
        }
        if (threadIdx.x == 0) out[o] = (uint32_t)(si[0] < 0 ? 0 : si[0]);
        __syncthreads(); // the shared arrays are reused by the next row
    }
}

template <class S>
int arg_launch(int is_max, uint32_t *out, const void *in, const mx_cu_rows *r, cudaStream_t s) {
    if (r->n >= 512 && r->rows < (int64_t)1 << 20) {
        arg_block_kernel<S><<<mx_cu_grid(r->rows, 1), 256, 0, s>>>(out, (const S *)in, *r, is_max);
    } else {
        arg_thread_kernel<S><<<mx_cu_grid(r->rows, 256), 256, 0, s>>>(out, (const S *)in, *r, is_max);
    }
    return (int)cudaGetLastError();
}

// ---- scan ----
template <class A> __device__ inline A wrap_add(A a, A b) {
    if constexpr (std::is_integral<A>::value) return (A)((uint64_t)a + (uint64_t)b);
    else return a + b;
}
template <class A> __device__ inline A wrap_mul(A a, A b) {
    if constexpr (std::is_same<A, bool>::value) return a && b;
    else if constexpr (std::is_integral<A>::value) return (A)((uint64_t)a * (uint64_t)b);
    else return a * b;
}

template <class A> struct scan_op {
    int kind;
    __device__ A init() const {
        switch (kind) {
        case MX_SCAN_PROD: return A(1);
        case MX_SCAN_MAX:
            if constexpr (std::is_floating_point<A>::value) return A(-INFINITY);
            else if constexpr (std::is_same<A, bool>::value) return false;
            else return std::numeric_limits<A>::lowest();
        case MX_SCAN_MIN:
            if constexpr (std::is_floating_point<A>::value) return A(INFINITY);
            else if constexpr (std::is_same<A, bool>::value) return true;
            else return std::numeric_limits<A>::max();
        case MX_SCAN_LOGADDEXP:
            if constexpr (std::is_floating_point<A>::value) return A(-INFINITY);
            else return A(0);
        default: return A(0);
        }
    }
    __device__ A apply(A a, A b) const {
        switch (kind) {
        case MX_SCAN_PROD: return wrap_mul(a, b);
        case MX_SCAN_MAX: // NaN sticks (the CPU's OP_FMAX)
            if constexpr (std::is_floating_point<A>::value) return (b > a || b != b) ? b : a;
            else return b > a ? b : a;
        case MX_SCAN_MIN:
            if constexpr (std::is_floating_point<A>::value) return (b < a || b != b) ? b : a;
            else return b < a ? b : a;
        case MX_SCAN_LOGADDEXP:
            if constexpr (std::is_floating_point<A>::value) return mx_logaddexp(a, b);
            else return a;
        default: return wrap_add(a, b);
        }
    }
};
template <> struct scan_op<c64> {
    int kind;
    __device__ c64 init() const { return kind == MX_SCAN_PROD ? c64(1) : c64(0); }
    __device__ c64 apply(c64 a, c64 b) const { return kind == MX_SCAN_PROD ? a * b : a + b; }
};

template <class S>
__global__ void scan_kernel(S *out, const S *in, int64_t outer, int64_t n, int64_t inner, int kind,
                            int reverse, int inclusive) {
    using A = typename mx_compute<S>::type;
    scan_op<A> op{kind};
    int64_t lanes = outer * inner;
    for (int64_t l = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; l < lanes;
         l += (int64_t)blockDim.x * gridDim.x) {
        int64_t o = l / inner, c = l - o * inner;
        int64_t base = o * n * inner + c;
        A acc = op.init();
        for (int64_t k = 0; k < n; k++) {
            int64_t i = base + (reverse ? n - 1 - k : k) * inner;
            A v = (A)mx_ld(in[i]);
            if (inclusive) {
                acc = op.apply(acc, v);
                out[i] = mx_st<S>(acc);
            } else {
                out[i] = mx_st<S>(acc);
                acc = op.apply(acc, v);
            }
        }
    }
}

template <class S>
int scan_launch(int kind, int reverse, int inclusive, void *out, const void *in, int64_t outer,
                int64_t n, int64_t inner, cudaStream_t s) {
    int64_t lanes = outer * inner;
    int threads = lanes < 128 ? 32 : 128;
    scan_kernel<S><<<mx_cu_grid(lanes, threads), threads, 0, s>>>((S *)out, (const S *)in, outer, n,
                                                               inner, kind, reverse, inclusive);
    return (int)cudaGetLastError();
}

bool is_int_dtype(int t) { return t >= MX_UINT8 && t <= MX_INT64; }
bool is_float_dtype(int t) { return t == MX_FLOAT16 || t == MX_BFLOAT16 || t == MX_FLOAT32; }

} // namespace

extern "C" int mx_cu_arg_reduce(int dtype, int is_max, uint32_t *out, const void *in,
                                const mx_cu_rows *r, void *stream) {
    if (r->rows <= 0) return 0;
    cudaStream_t s = (cudaStream_t)stream;
    if (r->n <= 0) return (int)cudaMemsetAsync(out, 0, sizeof(uint32_t) * (size_t)r->rows, s);
    switch (dtype) {
    case MX_BOOL: return arg_launch<bool>(is_max, out, in, r, s);
    case MX_UINT8: return arg_launch<uint8_t>(is_max, out, in, r, s);
    case MX_UINT16: return arg_launch<uint16_t>(is_max, out, in, r, s);
    case MX_UINT32: return arg_launch<uint32_t>(is_max, out, in, r, s);
    case MX_UINT64: return arg_launch<uint64_t>(is_max, out, in, r, s);
    case MX_INT8: return arg_launch<int8_t>(is_max, out, in, r, s);
    case MX_INT16: return arg_launch<int16_t>(is_max, out, in, r, s);
    case MX_INT32: return arg_launch<int32_t>(is_max, out, in, r, s);
    case MX_INT64: return arg_launch<int64_t>(is_max, out, in, r, s);
    case MX_FLOAT16: return arg_launch<f16s>(is_max, out, in, r, s);
    case MX_FLOAT32: return arg_launch<float>(is_max, out, in, r, s);
    case MX_BFLOAT16: return arg_launch<bf16s>(is_max, out, in, r, s);
    default: return (int)cudaErrorInvalidValue;
    }
}

extern "C" int mx_cu_has_scan(int kind, int dtype) {
    switch (kind) {
    case MX_SCAN_SUM:
    case MX_SCAN_PROD: return is_int_dtype(dtype) || is_float_dtype(dtype) || dtype == MX_COMPLEX64;
    case MX_SCAN_MAX:
    case MX_SCAN_MIN: return is_int_dtype(dtype) || is_float_dtype(dtype) || dtype == MX_BOOL;
    case MX_SCAN_LOGADDEXP: return is_float_dtype(dtype);
    default: return 0;
    }
}

extern "C" int mx_cu_scan(int kind, int dtype, int reverse, int inclusive, void *out,
                          const void *in, int64_t outer, int64_t n, int64_t inner, void *stream) {
    if (!mx_cu_has_scan(kind, dtype)) return (int)cudaErrorInvalidValue;
    if (outer <= 0 || n <= 0 || inner <= 0) return 0;
    cudaStream_t s = (cudaStream_t)stream;
#define SC(T) return scan_launch<T>(kind, reverse, inclusive, out, in, outer, n, inner, s)
    switch (dtype) {
    case MX_BOOL: SC(bool);
    case MX_UINT8: SC(uint8_t);
    case MX_UINT16: SC(uint16_t);
    case MX_UINT32: SC(uint32_t);
    case MX_UINT64: SC(uint64_t);
    case MX_INT8: SC(int8_t);
    case MX_INT16: SC(int16_t);
    case MX_INT32: SC(int32_t);
    case MX_INT64: SC(int64_t);
    case MX_FLOAT16: SC(f16s);
    case MX_FLOAT32: SC(float);
    case MX_BFLOAT16: SC(bf16s);
    case MX_COMPLEX64: SC(c64);
    default: return (int)cudaErrorInvalidValue;
    }
#undef SC
}
