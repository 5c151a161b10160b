// src/backend/cuda/cu_elementwise.cu: CUDA kernels of every line of unary.def and binary.def,
// generated from the same expression columns as the CPU kernels (through cu_scalar.cuh), plus
// where, dtype conversion, copies of any layout and arange. Contiguous runs use a grid-stride loop;
// other layouts decompose the flat index over the collapsed shape. float64 has no GPU kernels
// (MLX's rule); the C side reports it.
#include <cuda_runtime.h>

#include "../../prims/prim.h"
#include "cu_api.h"
#include "cu_scalar.cuh"
#include "cu_util.cuh"
#include "mx/dtype.h"

namespace {

// ---- dtype -> storage type ----
template <int D> struct st;
template <> struct st<MX_BOOL> { using type = bool; };
template <> struct st<MX_UINT8> { using type = uint8_t; };
template <> struct st<MX_UINT16> { using type = uint16_t; };
template <> struct st<MX_UINT32> { using type = uint32_t; };
template <> struct st<MX_UINT64> { using type = uint64_t; };
template <> struct st<MX_INT8> { using type = int8_t; };
template <> struct st<MX_INT16> { using type = int16_t; };
template <> struct st<MX_INT32> { using type = int32_t; };
template <> struct st<MX_INT64> { using type = int64_t; };
template <> struct st<MX_FLOAT16> { using type = f16s; };
template <> struct st<MX_FLOAT32> { using type = float; };
template <> struct st<MX_BFLOAT16> { using type = bf16s; };
template <> struct st<MX_COMPLEX64> { using type = c64; };

template <int D> constexpr int kindbit() {
    return D == MX_BOOL ? K_B
           : (D >= MX_UINT8 && D <= MX_UINT64) ? K_U
           : (D >= MX_INT8 && D <= MX_INT64) ? K_I
           : D == MX_COMPLEX64 ? K_C : K_F;
}

template <int Rule, class S> struct out_of {
    using type = typename std::conditional<
        Rule == R_BOOL || Rule == R_LOGIC, bool,
        typename std::conditional<Rule == R_REAL && std::is_same<S, c64>::value, float, S>::type>::type;
};

inline void grid_for(int64_t n, int *blocks, int *threads) {
    *threads = 256;
    int64_t b = (n + 255) / 256;
    *blocks = (int)(b > 65535 * 8 ? 65535 * 8 : (b < 1 ? 1 : b));
}

// ---- unary ----
#define MX_UNARY(ID, name, rule, kinds, fx, ix, cx)                                                \
    struct U_##ID {                                                                                \
        static constexpr int kinds_ = kinds, rule_ = rule;                                         \
        template <class X> __device__ static auto f(X x) {                                         \
            if constexpr (std::is_same<X, c64>::value) return cx;                                  \
            else if constexpr (std::is_floating_point<X>::value) return fx;                        \
            else return ix;                                                                        \
        }                                                                                          \
    };
#define MX_BINARY(ID, name, rule, kinds, fx, ix, cx)                                               \
    struct B_##ID {                                                                                \
        static constexpr int kinds_ = kinds, rule_ = rule;                                         \
        template <class X> __device__ static auto f(X a, X b) {                                    \
            if constexpr (std::is_same<X, c64>::value) return cx;                                  \
            else if constexpr (std::is_floating_point<X>::value) return fx;                        \
            else return ix;                                                                        \
        }                                                                                          \
    };
#define MX_PRIM(...)
#include "../../prims/prims.def"
#undef MX_UNARY
#undef MX_BINARY

template <class Op, class S, class O>
__global__ void unary_kernel(O *out, const S *in, mx_cu_nd nd) {
    using C = typename mx_compute<S>::type;
    if (nd.contiguous) {
        int64_t s1 = nd.flat_stride[1];
        MX_CU_GRID_LOOP(i, nd.n) out[i] = mx_st<O>(Op::f((C)mx_ld(in[i * s1])));
    } else {
        MX_CU_GRID_LOOP(i, nd.n) {
            out[mx_cu_offset(nd, 0, i)] = mx_st<O>(Op::f((C)mx_ld(in[mx_cu_offset(nd, 1, i)])));
        }
    }
}

template <class Op, class S, class O>
__global__ void binary_kernel(O *out, const S *a, const S *b, mx_cu_nd nd) {
    using C = typename mx_compute<S>::type;
    if (nd.contiguous) {
        int64_t sa = nd.flat_stride[1], sb = nd.flat_stride[2];
        MX_CU_GRID_LOOP(i, nd.n) out[i] = mx_st<O>(Op::f((C)mx_ld(a[i * sa]), (C)mx_ld(b[i * sb])));
    } else {
        MX_CU_GRID_LOOP(i, nd.n) {
            out[mx_cu_offset(nd, 0, i)] = mx_st<O>(
                Op::f((C)mx_ld(a[mx_cu_offset(nd, 1, i)]), (C)mx_ld(b[mx_cu_offset(nd, 2, i)])));
        }
    }
}

// ---- 16-byte vectorised paths for dense operands (every stride 1, aligned pointers) ----
template <class T, int N> struct alignas(sizeof(T) * N) vec_t { T v[N]; };
template <class S> constexpr int vec_n() { return sizeof(S) >= 16 ? 1 : (int)(16 / sizeof(S)); }

template <class Op, class S, class O>
__global__ void unary_vec_kernel(O *out, const S *in, int64_t n) {
    using C = typename mx_compute<S>::type;
    constexpr int N = vec_n<S>();
    int64_t nv = n / N;
    MX_CU_GRID_LOOP(i, nv) {
        vec_t<S, N> x = reinterpret_cast<const vec_t<S, N> *>(in)[i];
        vec_t<O, N> y;
#pragma unroll
        for (int j = 0; j < N; j++) y.v[j] = mx_st<O>(Op::f((C)mx_ld(x.v[j])));
        reinterpret_cast<vec_t<O, N> *>(out)[i] = y;
    }
    for (int64_t i = nv * N + (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)blockDim.x * gridDim.x)
        out[i] = mx_st<O>(Op::f((C)mx_ld(in[i])));
}

template <class Op, class S, class O>
__global__ void binary_vec_kernel(O *out, const S *a, const S *b, int64_t n) {
    using C = typename mx_compute<S>::type;
    constexpr int N = vec_n<S>();
    int64_t nv = n / N;
    MX_CU_GRID_LOOP(i, nv) {
        vec_t<S, N> x = reinterpret_cast<const vec_t<S, N> *>(a)[i];
        vec_t<S, N> z = reinterpret_cast<const vec_t<S, N> *>(b)[i];
        vec_t<O, N> y;
#pragma unroll
        for (int j = 0; j < N; j++) y.v[j] = mx_st<O>(Op::f((C)mx_ld(x.v[j]), (C)mx_ld(z.v[j])));
        reinterpret_cast<vec_t<O, N> *>(out)[i] = y;
    }
    for (int64_t i = nv * N + (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)blockDim.x * gridDim.x)
        out[i] = mx_st<O>(Op::f((C)mx_ld(a[i]), (C)mx_ld(b[i])));
}

inline bool aligned16(const void *p) { return ((uintptr_t)p & 15) == 0; }

typedef int (*un_launch)(void *, const void *, const mx_cu_nd *, cudaStream_t);
typedef int (*bin_launch)(void *, const void *, const void *, const mx_cu_nd *, cudaStream_t);

template <class Op, int D> int launch_unary(void *out, const void *in, const mx_cu_nd *nd,
                                            cudaStream_t s) {
    using S = typename st<D>::type;
    using O = typename out_of<Op::rule_, S>::type;
    int blocks, threads;
    if (nd->contiguous && nd->flat_stride[1] == 1 && aligned16(out) && aligned16(in)) {
        grid_for((nd->n + vec_n<S>() - 1) / vec_n<S>(), &blocks, &threads);
        unary_vec_kernel<Op, S, O><<<blocks, threads, 0, s>>>((O *)out, (const S *)in, nd->n);
        return (int)cudaGetLastError();
    }
    grid_for(nd->n, &blocks, &threads);
    unary_kernel<Op, S, O><<<blocks, threads, 0, s>>>((O *)out, (const S *)in, *nd);
    return (int)cudaGetLastError();
}

template <class Op, int D> int launch_binary(void *out, const void *a, const void *b,
                                             const mx_cu_nd *nd, cudaStream_t s) {
    using S = typename st<D>::type;
    using O = typename out_of<Op::rule_, S>::type;
    int blocks, threads;
    if (nd->contiguous && nd->flat_stride[1] == 1 && nd->flat_stride[2] == 1 && aligned16(out) &&
        aligned16(a) && aligned16(b)) {
        grid_for((nd->n + vec_n<S>() - 1) / vec_n<S>(), &blocks, &threads);
        binary_vec_kernel<Op, S, O><<<blocks, threads, 0, s>>>((O *)out, (const S *)a, (const S *)b,
                                                               nd->n);
        return (int)cudaGetLastError();
    }
    grid_for(nd->n, &blocks, &threads);
    binary_kernel<Op, S, O><<<blocks, threads, 0, s>>>((O *)out, (const S *)a, (const S *)b, *nd);
    return (int)cudaGetLastError();
}

template <class Op, int D> constexpr un_launch pick_unary() {
    if constexpr ((Op::kinds_ & kindbit<D>()) != 0) return &launch_unary<Op, D>;
    else return nullptr;
}
template <class Op, int D> constexpr bin_launch pick_binary() {
    if constexpr ((Op::kinds_ & kindbit<D>()) != 0) return &launch_binary<Op, D>;
    else return nullptr;
}

#define FOR_GPU_DTYPES(X)                                                                          \
    X(MX_BOOL) X(MX_UINT8) X(MX_UINT16) X(MX_UINT32) X(MX_UINT64) X(MX_INT8) X(MX_INT16)          \
    X(MX_INT32) X(MX_INT64) X(MX_FLOAT16) X(MX_FLOAT32) X(MX_BFLOAT16) X(MX_COMPLEX64)

un_launch  unary_tab[MX_PRIM_COUNT][MX_NUM_DTYPES];
bin_launch binary_tab[MX_PRIM_COUNT][MX_NUM_DTYPES];

template <class Op> void fill_unary(un_launch *row) {
#define SET(D) row[D] = pick_unary<Op, D>();
    FOR_GPU_DTYPES(SET)
#undef SET
}
template <class Op> void fill_binary(bin_launch *row) {
#define SET(D) row[D] = pick_binary<Op, D>();
    FOR_GPU_DTYPES(SET)
#undef SET
}

struct tables_init {
    tables_init() {
#define MX_UNARY(ID, ...) fill_unary<U_##ID>(unary_tab[MX_PRIM_##ID]);
#define MX_BINARY(ID, ...) fill_binary<B_##ID>(binary_tab[MX_PRIM_##ID]);
#include "../../prims/prims.def"
#undef MX_UNARY
#undef MX_BINARY
    }
} tables_init_once;

// ---- where, conversions, copies, arange ----
template <class T>
__global__ void where_kernel(T *out, const bool *c, const T *x, const T *y, mx_cu_nd nd) {
    if (nd.contiguous) {
        int64_t sc = nd.flat_stride[1], sx = nd.flat_stride[2], sy = nd.flat_stride[3];
        MX_CU_GRID_LOOP(i, nd.n) out[i] = c[i * sc] ? x[i * sx] : y[i * sy];
    } else {
        MX_CU_GRID_LOOP(i, nd.n) {
            out[mx_cu_offset(nd, 0, i)] =
                c[mx_cu_offset(nd, 1, i)] ? x[mx_cu_offset(nd, 2, i)] : y[mx_cu_offset(nd, 3, i)];
        }
    }
}

template <class T> __global__ void copy_kernel(T *out, const T *in, mx_cu_nd nd) {
    if (nd.contiguous) {
        int64_t s1 = nd.flat_stride[1];
        MX_CU_GRID_LOOP(i, nd.n) out[i] = in[i * s1];
    } else {
        MX_CU_GRID_LOOP(i, nd.n) out[mx_cu_offset(nd, 0, i)] = in[mx_cu_offset(nd, 1, i)];
    }
}

template <class SI, class SO> __global__ void convert_kernel(SO *out, const SI *in, mx_cu_nd nd) {
    using C = typename mx_compute<SI>::type;
    if (nd.contiguous) {
        int64_t s1 = nd.flat_stride[1];
        MX_CU_GRID_LOOP(i, nd.n) out[i] = mx_st<SO>((C)mx_ld(in[i * s1]));
    } else {
        MX_CU_GRID_LOOP(i, nd.n) {
            out[mx_cu_offset(nd, 0, i)] = mx_st<SO>((C)mx_ld(in[mx_cu_offset(nd, 1, i)]));
        }
    }
}

template <class S> __global__ void arange_kernel(S *out, int64_t n, double start, double step) {
    MX_CU_GRID_LOOP(i, n) out[i] = mx_st<S>(start + (double)i * step);
}

typedef int (*cvt_launch)(void *, const void *, const mx_cu_nd *, cudaStream_t);
template <int DI, int DO> int launch_convert(void *out, const void *in, const mx_cu_nd *nd,
                                             cudaStream_t s) {
    using SI = typename st<DI>::type;
    using SO = typename st<DO>::type;
    int blocks, threads;
    grid_for(nd->n, &blocks, &threads);
    convert_kernel<SI, SO><<<blocks, threads, 0, s>>>((SO *)out, (const SI *)in, *nd);
    return (int)cudaGetLastError();
}
cvt_launch cvt_tab[MX_NUM_DTYPES][MX_NUM_DTYPES];
template <int DI> void fill_cvt() {
#define SET(D) cvt_tab[DI][D] = &launch_convert<DI, D>;
    FOR_GPU_DTYPES(SET)
#undef SET
}
struct cvt_init {
    cvt_init() {
#define SETROW(D) fill_cvt<D>();
        FOR_GPU_DTYPES(SETROW)
#undef SETROW
    }
} cvt_init_once;

} // namespace

extern "C" int mx_cu_has_unary(int op, int dtype) {
    return op >= 0 && op < MX_PRIM_COUNT && dtype >= 0 && dtype < MX_NUM_DTYPES &&
           unary_tab[op][dtype] != nullptr;
}
extern "C" int mx_cu_has_binary(int op, int dtype) {
    return op >= 0 && op < MX_PRIM_COUNT && dtype >= 0 && dtype < MX_NUM_DTYPES &&
           binary_tab[op][dtype] != nullptr;
}

extern "C" int mx_cu_unary(int op, int dtype, int out_dtype, void *out, const void *in,
                           const mx_cu_nd *nd, void *stream) {
    (void)out_dtype;
    if (!mx_cu_has_unary(op, dtype)) return (int)cudaErrorInvalidValue;
    if (nd->n == 0) return 0;
    return unary_tab[op][dtype](out, in, nd, (cudaStream_t)stream);
}

extern "C" int mx_cu_binary(int op, int dtype, int out_dtype, void *out, const void *a,
                            const void *b, const mx_cu_nd *nd, void *stream) {
    (void)out_dtype;
    if (!mx_cu_has_binary(op, dtype)) return (int)cudaErrorInvalidValue;
    if (nd->n == 0) return 0;
    return binary_tab[op][dtype](out, a, b, nd, (cudaStream_t)stream);
}

extern "C" int mx_cu_where(int elem_size, void *out, const void *cond, const void *x,
                           const void *y, const mx_cu_nd *nd, void *stream) {
    if (nd->n == 0) return 0;
    int blocks, threads;
    grid_for(nd->n, &blocks, &threads);
    cudaStream_t s = (cudaStream_t)stream;
    const bool *c = (const bool *)cond;
    switch (elem_size) {
    case 1: where_kernel<uint8_t><<<blocks, threads, 0, s>>>((uint8_t *)out, c, (const uint8_t *)x, (const uint8_t *)y, *nd); break;
    case 2: where_kernel<uint16_t><<<blocks, threads, 0, s>>>((uint16_t *)out, c, (const uint16_t *)x, (const uint16_t *)y, *nd); break;
    case 4: where_kernel<uint32_t><<<blocks, threads, 0, s>>>((uint32_t *)out, c, (const uint32_t *)x, (const uint32_t *)y, *nd); break;
    default: where_kernel<uint64_t><<<blocks, threads, 0, s>>>((uint64_t *)out, c, (const uint64_t *)x, (const uint64_t *)y, *nd); break;
    }
    return (int)cudaGetLastError();
}

extern "C" int mx_cu_copy(int elem_size, void *out, const void *in, const mx_cu_nd *nd,
                          void *stream) {
    if (nd->n == 0) return 0;
    cudaStream_t s = (cudaStream_t)stream;
    if (nd->contiguous && nd->flat_stride[1] == 1)
        return (int)cudaMemcpyAsync(out, in, (size_t)nd->n * (size_t)elem_size,
                                    cudaMemcpyDeviceToDevice, s);
    int blocks, threads;
    grid_for(nd->n, &blocks, &threads);
    switch (elem_size) {
    case 1: copy_kernel<uint8_t><<<blocks, threads, 0, s>>>((uint8_t *)out, (const uint8_t *)in, *nd); break;
    case 2: copy_kernel<uint16_t><<<blocks, threads, 0, s>>>((uint16_t *)out, (const uint16_t *)in, *nd); break;
    case 4: copy_kernel<uint32_t><<<blocks, threads, 0, s>>>((uint32_t *)out, (const uint32_t *)in, *nd); break;
    default: copy_kernel<uint64_t><<<blocks, threads, 0, s>>>((uint64_t *)out, (const uint64_t *)in, *nd); break;
    }
    return (int)cudaGetLastError();
}

extern "C" int mx_cu_convert(int from, int to, void *out, const void *in, const mx_cu_nd *nd,
                             void *stream) {
    if (from < 0 || from >= MX_NUM_DTYPES || to < 0 || to >= MX_NUM_DTYPES || !cvt_tab[from][to])
        return (int)cudaErrorInvalidValue;
    if (nd->n == 0) return 0;
    return cvt_tab[from][to](out, in, nd, (cudaStream_t)stream);
}

extern "C" int mx_cu_arange(int dtype, void *out, int64_t n, double start, double step,
                            void *stream) {
    if (n == 0) return 0;
    int blocks, threads;
    grid_for(n, &blocks, &threads);
    cudaStream_t s = (cudaStream_t)stream;
    switch (dtype) {
#define CASE(D)                                                                                    \
    case D: arange_kernel<typename st<D>::type><<<blocks, threads, 0, s>>>((typename st<D>::type *)out, n, start, step); break;
        FOR_GPU_DTYPES(CASE)
#undef CASE
    default: return (int)cudaErrorInvalidValue;
    }
    return (int)cudaGetLastError();
}

extern "C" const char *mx_cu_error_string(int err) { return cudaGetErrorString((cudaError_t)err); }
