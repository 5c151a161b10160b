// src/backend/cuda/cu_index.cu: the index family and PAD on the GPU: gather, scatter (none, add,
// prod, max, min), gather / scatter along an axis, dynamic slices and dynamic slice updates, and
// padding. One thread per element written (gathers, slices, pad) or per update element
// (scatters), each decomposing its flat index over the iteration shape into strided offsets.
// Every index read from data goes through fix_idx (a negative index wraps once, then the start of
// the slice is clamped into [0, dim - slice]), exactly as src/backend/cpu/index.c, so no thread
// touches memory outside its arrays. Scatters with a reduction combine through atomics: native
// atomicAdd for float32 / int32 / uint32 / int64 / uint64 (and complex64 as two floats), a
// compare-and-swap loop on the enclosing 32- or 64-bit word for everything else. A plain scatter
// with repeated indices stores one of the updates (which one is not defined on the GPU, as MLX).
#include <cuda_runtime.h>
#include <string.h>

#include "../../prims/index_params.h"
#include "../../prims/shape_params.h"
#include "cu_api.h"
#include "cu_scalar.cuh"
#include "cu_util.cuh"
#include "mx/dtype.h"

namespace {

// ---- index values ----
__device__ inline int64_t load_idx(const void *base, int dtype, int64_t off) {
    switch (dtype) {
    case MX_UINT8: return ((const uint8_t *)base)[off];
    case MX_UINT16: return ((const uint16_t *)base)[off];
    case MX_UINT32: return ((const uint32_t *)base)[off];
    case MX_UINT64: {
        uint64_t u = ((const uint64_t *)base)[off];
        return u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
    }
    case MX_INT8: return ((const int8_t *)base)[off];
    case MX_INT16: return ((const int16_t *)base)[off];
    case MX_INT32: return ((const int32_t *)base)[off];
    case MX_INT64: return ((const int64_t *)base)[off];
    case MX_BOOL: return ((const bool *)base)[off] ? 1 : 0;
    default: return 0;
    }
}

// wrap a negative index once, then clamp the start of a slice of `ss` into [0, dim - ss]
__device__ inline int64_t fix_idx(int64_t i, int64_t dim, int64_t ss) {
    if (i < 0) i += dim;
    int64_t hi = dim - ss;
    if (i > hi) i = hi;
    if (i < 0) i = 0;
    return i;
}

// ---- element storage by size ----
#define BY_SIZE(esz, CALL)                                                                         \
    switch (esz) {                                                                                 \
    case 1: { using T = uint8_t; CALL; } break;                                                    \
    case 2: { using T = uint16_t; CALL; } break;                                                   \
    case 4: { using T = uint32_t; CALL; } break;                                                   \
    case 8: { using T = uint64_t; CALL; } break;                                                   \
    default: return (int)cudaErrorInvalidValue;                                                    \
    }

// ---- gather ----
template <class T>
__global__ void gather_kernel(T *out, const T *a, const mx_cu_gather g, int64_t S, int64_t total) {
    MX_CU_GRID_LOOP(i, total) {
        int64_t b = i / S, s = i - b * S;
        int64_t ioff[MX_CU_MAX_DIMS];
        for (int j = 0; j < g.n_idx; j++) ioff[j] = 0;
        for (int d = g.nb - 1; d >= 0; d--) {
            int64_t q = b / g.bshape[d], p = b - q * g.bshape[d];
            for (int j = 0; j < g.n_idx; j++) ioff[j] += p * g.idx_strides[j][d];
            b = q;
        }
        int64_t off = 0;
        for (int j = 0; j < g.n_idx; j++) {
            int ax = g.axes[j];
            int64_t v = load_idx(g.idx[j], g.idx_dtype[j], ioff[j]);
            off += fix_idx(v, g.a_shape[ax], g.slice[ax]) * g.a_strides[ax];
        }
        for (int d = g.nd - 1; d >= 0; d--) {
            int64_t q = s / g.slice[d];
            off += (s - q * g.slice[d]) * g.a_strides[d];
            s = q;
        }
        out[i] = a[off];
    }
}

// ---- scatter: combining one update into an element ----
#define SC_CGT(a, b) ((a).re > (b).re || ((a).re == (b).re && (a).im > (b).im))

template <class S> __device__ inline S combine(S old, S upd, int red) {
    if constexpr (std::is_same<S, c64>::value) {
        switch (red) {
        case MX_SCATTER_ADD: return old + upd;
        case MX_SCATTER_PROD: return old * upd;
        case MX_SCATTER_MAX: return SC_CGT(upd, old) ? upd : old;
        case MX_SCATTER_MIN: return SC_CGT(old, upd) ? upd : old;
        default: return upd;
        }
    } else if constexpr (std::is_same<S, f16s>::value || std::is_same<S, bf16s>::value ||
                         std::is_same<S, float>::value) {
        float a = mx_ld(old), b = mx_ld(upd), r;
        switch (red) {
        case MX_SCATTER_ADD: r = a + b; break;
        case MX_SCATTER_PROD: r = a * b; break;
        case MX_SCATTER_MAX: r = MX_SFMAX(a, b); break;
        case MX_SCATTER_MIN: r = MX_SFMIN(a, b); break;
        default: return upd;
        }
        return mx_st<S>(r);
    } else { // integers and bool: wrap through unsigned arithmetic
        switch (red) {
        case MX_SCATTER_ADD: return (S)((uint64_t)old + (uint64_t)upd);
        case MX_SCATTER_PROD: return (S)((uint64_t)old * (uint64_t)upd);
        case MX_SCATTER_MAX: return upd > old ? upd : old;
        case MX_SCATTER_MIN: return upd < old ? upd : old;
        default: return upd;
        }
    }
}

// read-modify-write of *p with a compare-and-swap loop on the word that holds it
template <class S> __device__ void cas_combine(S *p, S upd, int red) {
    if constexpr (sizeof(S) == 8) {
        unsigned long long *w = reinterpret_cast<unsigned long long *>(p);
        unsigned long long old = *w, assumed;
        do {
            assumed = old;
            S cur;
            memcpy(&cur, &assumed, 8);
            S nv = combine(cur, upd, red);
            unsigned long long nw;
            memcpy(&nw, &nv, 8);
            if (nw == assumed) break;
            old = atomicCAS(w, assumed, nw);
        } while (old != assumed);
    } else if constexpr (sizeof(S) == 4) {
        unsigned int *w = reinterpret_cast<unsigned int *>(p);
        unsigned int old = *w, assumed;
        do {
            assumed = old;
            S cur;
            memcpy(&cur, &assumed, 4);
            S nv = combine(cur, upd, red);
            unsigned int nw;
            memcpy(&nw, &nv, 4);
            if (nw == assumed) break;
            old = atomicCAS(w, assumed, nw);
        } while (old != assumed);
    } else { // 1 or 2 bytes inside an aligned 32-bit word (2-byte types never straddle)
        uintptr_t addr = reinterpret_cast<uintptr_t>(p);
        unsigned int *w = reinterpret_cast<unsigned int *>(addr & ~(uintptr_t)3);
        unsigned int shift = (unsigned int)(addr & 3) * 8;
        unsigned int mask = (sizeof(S) == 1 ? 0xffu : 0xffffu) << shift;
        unsigned int old = *w, assumed;
        do {
            assumed = old;
            unsigned int bits = (assumed & mask) >> shift;
            S cur;
            memcpy(&cur, &bits, sizeof(S)); // little-endian: the low bytes
            S nv = combine(cur, upd, red);
            unsigned int nb = 0;
            memcpy(&nb, &nv, sizeof(S));
            unsigned int nw = (assumed & ~mask) | ((nb << shift) & mask);
            if (nw == assumed) break;
            old = atomicCAS(w, assumed, nw);
        } while (old != assumed);
    }
}

template <class S> __device__ inline void scatter_one(S *p, S upd, int red) {
    if (red == MX_SCATTER_NONE) {
        *p = upd;
        return;
    }
    if (red == MX_SCATTER_ADD) {
        if constexpr (std::is_same<S, float>::value) {
            atomicAdd(p, upd);
            return;
        } else if constexpr (std::is_same<S, int32_t>::value || std::is_same<S, uint32_t>::value) {
            atomicAdd(reinterpret_cast<unsigned int *>(p), (unsigned int)upd);
            return;
        } else if constexpr (std::is_same<S, int64_t>::value || std::is_same<S, uint64_t>::value) {
            atomicAdd(reinterpret_cast<unsigned long long *>(p), (unsigned long long)upd);
            return;
        } else if constexpr (std::is_same<S, c64>::value) {
            atomicAdd(&p->re, upd.re);
            atomicAdd(&p->im, upd.im);
            return;
        }
    }
    cas_combine(p, upd, red);
}

template <class S>
__global__ void scatter_kernel(S *out, const S *upd, const mx_cu_gather g, int64_t S_, int64_t total) {
    MX_CU_GRID_LOOP(i, total) {
        int64_t b = i / S_, s = i - b * S_;
        int64_t ioff[MX_CU_MAX_DIMS];
        for (int j = 0; j < g.n_idx; j++) ioff[j] = 0;
        int64_t uoff = 0, off = 0;
        for (int d = g.nb - 1; d >= 0; d--) {
            int64_t q = b / g.bshape[d], p = b - q * g.bshape[d];
            for (int j = 0; j < g.n_idx; j++) ioff[j] += p * g.idx_strides[j][d];
            uoff += p * g.u_strides[d];
            b = q;
        }
        for (int j = 0; j < g.n_idx; j++) {
            int ax = g.axes[j];
            int64_t v = load_idx(g.idx[j], g.idx_dtype[j], ioff[j]);
            off += fix_idx(v, g.a_shape[ax], g.slice[ax]) * g.a_strides[ax];
        }
        for (int d = g.nd - 1; d >= 0; d--) {
            int64_t q = s / g.slice[d], p = s - q * g.slice[d];
            off += p * g.a_strides[d];
            uoff += p * g.u_strides[g.nb + d];
            s = q;
        }
        scatter_one(out + off, upd[uoff], g.reduce);
    }
}

// ---- along an axis ----
template <class T>
__global__ void gather_axis_kernel(T *out, const T *a, const void *idx, const mx_cu_axis g,
                                   int64_t total) {
    MX_CU_GRID_LOOP(i, total) {
        int64_t r = i, aoff = 0, ioff = 0;
        for (int d = g.ndim - 1; d >= 0; d--) {
            int64_t q = r / g.shape[d], p = r - q * g.shape[d];
            if (d != g.axis) aoff += p * g.src_strides[d];
            ioff += p * g.idx_strides[d];
            r = q;
        }
        aoff += fix_idx(load_idx(idx, g.idx_dtype, ioff), g.dim, 1) * g.src_strides[g.axis];
        out[i] = a[aoff];
    }
}

template <class T>
__global__ void scatter_axis_kernel(T *out, const T *val, const void *idx, const mx_cu_axis g,
                                    int64_t total) {
    MX_CU_GRID_LOOP(i, total) {
        int64_t r = i, ooff = 0, voff = 0, ioff = 0;
        for (int d = g.ndim - 1; d >= 0; d--) {
            int64_t q = r / g.shape[d], p = r - q * g.shape[d];
            if (d != g.axis) ooff += p * g.dst_strides[d];
            voff += p * g.src_strides[d];
            ioff += p * g.idx_strides[d];
            r = q;
        }
        ooff += fix_idx(load_idx(idx, g.idx_dtype, ioff), g.dim, 1) * g.dst_strides[g.axis];
        out[ooff] = val[voff];
    }
}

// ---- dynamic slices ----
template <class T>
__global__ void dyn_kernel(T *dst, const T *src, const void *start, const mx_cu_dyn g,
                           int64_t total) {
    MX_CU_GRID_LOOP(i, total) {
        int64_t r = i, soff = 0, doff = 0;
        for (int d = g.ndim - 1; d >= 0; d--) {
            int64_t q = r / g.shape[d], p = r - q * g.shape[d];
            soff += p * g.src_strides[d];
            doff += p * g.dst_strides[d];
            r = q;
        }
        for (int k = 0; k < g.naxes; k++) { // the starts: a few values, read by every thread
            int ax = g.axes[k];
            int64_t st = fix_idx(load_idx(start, g.start_dtype, k * g.start_stride), g.dim[ax],
                                 g.shape[ax]);
            if (g.update) doff += st * g.dst_strides[ax];
            else soff += st * g.src_strides[ax];
        }
        dst[doff] = src[soff];
    }
}

// ---- pad ----
// source index inside [0, len) for padded position i (NumPy's periodic extensions), len >= 1
__device__ inline int64_t pad_source(int mode, int64_t i, int64_t len) {
    if (mode == MX_PAD_EDGE || (mode == MX_PAD_REFLECT && len == 1))
        return i < 0 ? 0 : (i >= len ? len - 1 : i);
    int64_t period = mode == MX_PAD_REFLECT ? 2 * (len - 1) : 2 * len;
    int64_t m = i % period;
    if (m < 0) m += period;
    if (m >= len) m = mode == MX_PAD_REFLECT ? period - m : period - 1 - m;
    return m < 0 ? 0 : (m >= len ? len - 1 : m);
}

template <class T>
__global__ void pad_kernel(T *out, const T *in, const T *value, const mx_cu_pad g, int64_t total) {
    MX_CU_GRID_LOOP(i, total) {
        int64_t r = i, off = 0;
        bool fill = false;
        for (int d = g.ndim - 1; d >= 0; d--) {
            int64_t q = r / g.shape[d], p = r - q * g.shape[d];
            int64_t j = p - g.lo[d], len = g.in_shape[d];
            if (j < 0 || j >= len) {
                if (g.mode == MX_PAD_CONSTANT || len <= 0) fill = true;
                else j = pad_source(g.mode, j, len);
            }
            if (!fill) off += j * g.in_strides[d];
            r = q;
        }
        out[i] = fill ? *value : in[off];
    }
}

int64_t prod_of(const int64_t *s, int n) {
    int64_t t = 1;
    for (int d = 0; d < n; d++) t *= s[d];
    return t;
}

template <class S> int scatter_launch(void *out, const void *upd, const mx_cu_gather *g,
                                      int64_t S_, int64_t total, cudaStream_t s) {
    scatter_kernel<S><<<mx_cu_grid(total), 256, 0, s>>>((S *)out, (const S *)upd, *g, S_, total);
    return (int)cudaGetLastError();
}

} // namespace

extern "C" int mx_cu_gather_run(int elem_size, void *out, const void *a, const mx_cu_gather *g,
                                void *stream) {
    int64_t S = prod_of(g->slice, g->nd), total = prod_of(g->bshape, g->nb) * S;
    if (total <= 0) return 0;
    cudaStream_t s = (cudaStream_t)stream;
    BY_SIZE(elem_size, (gather_kernel<T><<<mx_cu_grid(total), 256, 0, s>>>((T *)out, (const T *)a, *g, S, total)))
    return (int)cudaGetLastError();
}

extern "C" int mx_cu_scatter_run(int dtype, void *out, const void *upd, const mx_cu_gather *g,
                                 void *stream) {
    int64_t S = prod_of(g->slice, g->nd), total = prod_of(g->bshape, g->nb) * S;
    if (total <= 0) return 0;
    cudaStream_t s = (cudaStream_t)stream;
    switch (dtype) {
    case MX_BOOL: return scatter_launch<bool>(out, upd, g, S, total, s);
    case MX_UINT8: return scatter_launch<uint8_t>(out, upd, g, S, total, s);
    case MX_UINT16: return scatter_launch<uint16_t>(out, upd, g, S, total, s);
    case MX_UINT32: return scatter_launch<uint32_t>(out, upd, g, S, total, s);
    case MX_UINT64: return scatter_launch<uint64_t>(out, upd, g, S, total, s);
    case MX_INT8: return scatter_launch<int8_t>(out, upd, g, S, total, s);
    case MX_INT16: return scatter_launch<int16_t>(out, upd, g, S, total, s);
    case MX_INT32: return scatter_launch<int32_t>(out, upd, g, S, total, s);
    case MX_INT64: return scatter_launch<int64_t>(out, upd, g, S, total, s);
    case MX_FLOAT16: return scatter_launch<f16s>(out, upd, g, S, total, s);
    case MX_FLOAT32: return scatter_launch<float>(out, upd, g, S, total, s);
    case MX_BFLOAT16: return scatter_launch<bf16s>(out, upd, g, S, total, s);
    case MX_COMPLEX64: return scatter_launch<c64>(out, upd, g, S, total, s);
    default: return (int)cudaErrorInvalidValue;
    }
}

extern "C" int mx_cu_gather_axis(int elem_size, void *out, const void *a, const void *idx,
                                 const mx_cu_axis *g, void *stream) {
    int64_t total = prod_of(g->shape, g->ndim);
    if (total <= 0) return 0;
    if (g->dim <= 0) return (int)cudaErrorInvalidValue; // the op rejects takes from empty axes
    cudaStream_t s = (cudaStream_t)stream;
    BY_SIZE(elem_size, (gather_axis_kernel<T><<<mx_cu_grid(total), 256, 0, s>>>((T *)out, (const T *)a, idx, *g, total)))
    return (int)cudaGetLastError();
}

extern "C" int mx_cu_scatter_axis(int elem_size, void *out, const void *val, const void *idx,
                                  const mx_cu_axis *g, void *stream) {
    int64_t total = prod_of(g->shape, g->ndim);
    if (total <= 0) return 0;
    if (g->dim <= 0) return (int)cudaErrorInvalidValue;
    cudaStream_t s = (cudaStream_t)stream;
    BY_SIZE(elem_size, (scatter_axis_kernel<T><<<mx_cu_grid(total), 256, 0, s>>>((T *)out, (const T *)val, idx, *g, total)))
    return (int)cudaGetLastError();
}

extern "C" int mx_cu_dynamic_slice(int elem_size, void *dst, const void *src, const void *start,
                                   const mx_cu_dyn *d, void *stream) {
    int64_t total = prod_of(d->shape, d->ndim);
    if (total <= 0) return 0;
    cudaStream_t s = (cudaStream_t)stream;
    BY_SIZE(elem_size, (dyn_kernel<T><<<mx_cu_grid(total), 256, 0, s>>>((T *)dst, (const T *)src, start, *d, total)))
    return (int)cudaGetLastError();
}

extern "C" int mx_cu_pad_run(int elem_size, void *out, const void *in, const void *value,
                             const mx_cu_pad *p, void *stream) {
    int64_t total = prod_of(p->shape, p->ndim);
    if (total <= 0) return 0;
    cudaStream_t s = (cudaStream_t)stream;
    BY_SIZE(elem_size, (pad_kernel<T><<<mx_cu_grid(total), 256, 0, s>>>((T *)out, (const T *)in, (const T *)value, *p, total)))
    return (int)cudaGetLastError();
}
