// src/backend/cuda/cu_misc.cu: GPU kernels of MASKED_SCATTER, SEARCHSORTED and RANDOM_COV_SQRT
// (launchers declared in cu_misc.h, called from cuda_misc.c). Semantics are the CPU kernels'
// (src/backend/cpu/index.c, sort.c, random.c):
// - masked_scatter: the mask (any strides) becomes 0/1 counts, CUB's exclusive prefix sum turns
//   them into each true position's rank k, and one pass writes values[k] there while k < #values.
// - searchsorted: one thread per query, the CPU's binary search with its order (NaN last, complex
//   lexicographic with NaN last; float16 / bfloat16 compared as float).
// - cov_sqrt: one block per matrix runs the CPU's one-sided Jacobi (Hestenes) SVD in double, the
//   pairs of each sweep in round-robin order (n/2 disjoint column pairs at a time, one warp per
//   pair), then out = sum_j W_j v_j^T / sqrt(|W_j|). The result U sqrt(S) V^T = A (A^T A)^(+1/4)
//   does not depend on the SVD's sign or basis choices, so the order of the rotations does not
//   change it. Columns are stored transposed (contiguous) in shared memory when they fit, else in
//   a global scratch slot per block.
#include <cuda_runtime.h>

#include <cub/device/device_scan.cuh>

#include "cu_misc.h"
#include "cu_scalar.cuh"
#include "cu_util.cuh"
#include "mx/dtype.h"

namespace {

// ---- masked scatter ----
template <class C> __global__ void ms_counts(C *cnt, const uint8_t *mask, mx_cu_nd nd) {
    MX_CU_GRID_LOOP(i, nd.n) cnt[i] = mask[mx_cu_nd_offset(nd, 1, i)] ? (C)1 : (C)0;
}

template <class T, class C>
__global__ void ms_scatter(T *out, const uint8_t *mask, const C *rank, mx_cu_nd nd, const T *val,
                           int64_t nv, int64_t vs) {
    MX_CU_GRID_LOOP(i, nd.n) {
        if (!mask[mx_cu_nd_offset(nd, 1, i)]) continue;
        int64_t k = (int64_t)rank[i];
        if (k < nv) out[i] = val[k * vs];
    }
}

template <class T, class C>
int masked_scatter(void *out, const uint8_t *mask, const mx_cu_nd &nd, const void *values,
                   int64_t nv, int64_t vs, cudaStream_t s) {
    C *rank = nullptr;
    void *temp = nullptr;
    size_t temp_bytes = 0;
    cudaError_t e = cudaSuccess;
    MX_CU_TRY_DONE(cudaMallocAsync((void **)&rank, sizeof(C) * (size_t)nd.n, s));
    ms_counts<C><<<mx_cu_grid(nd.n, 256), 256, 0, s>>>(rank, mask, nd);
    MX_CU_TRY_DONE(cudaGetLastError());
    MX_CU_TRY_DONE(cub::DeviceScan::ExclusiveSum(nullptr, temp_bytes, rank, rank, nd.n, s));
    MX_CU_TRY_DONE(cudaMallocAsync(&temp, temp_bytes ? temp_bytes : 1, s));
    MX_CU_TRY_DONE(cub::DeviceScan::ExclusiveSum(temp, temp_bytes, rank, rank, nd.n, s));
    ms_scatter<T, C><<<mx_cu_grid(nd.n, 256), 256, 0, s>>>((T *)out, mask, rank, nd,
                                                        (const T *)values, nv, vs);
    MX_CU_TRY_DONE(cudaGetLastError());
done:
    if (temp) cudaFreeAsync(temp, s);
    if (rank) cudaFreeAsync(rank, s);
    return (int)e;
}

template <class T>
int masked_scatter_t(void *out, const uint8_t *mask, const mx_cu_nd &nd, const void *values,
                     int64_t nv, int64_t vs, cudaStream_t s) {
    // ranks below n: 32-bit counters whenever they fit
    if (nd.n <= (int64_t)UINT32_MAX)
        return masked_scatter<T, uint32_t>(out, mask, nd, values, nv, vs, s);
    return masked_scatter<T, uint64_t>(out, mask, nd, values, nv, vs, s);
}

// ---- searchsorted ----
// the CPU kernel's strict orders (src/backend/cpu/sort.c LT_I, LT_F, LT_C)
template <class K> __device__ inline bool ss_less(K a, K b) { return a < b; }
template <> __device__ inline bool ss_less<float>(float a, float b) {
    return a < b || (isnan(b) && !isnan(a));
}
__device__ inline bool c_nan(c64 z) { return isnan(z.re) || isnan(z.im); }
template <> __device__ inline bool ss_less<c64>(c64 a, c64 b) {
    if (c_nan(b)) return !c_nan(a);
    return !c_nan(a) && (a.re < b.re || (a.re == b.re && a.im < b.im));
}

template <class S>
__global__ void ss_kernel(uint32_t *out, const S *seq, int64_t n, int64_t st, const S *val,
                          mx_cu_nd nd, int right) {
    using K = typename mx_compute<S>::type;
    MX_CU_GRID_LOOP(i, nd.n) {
        K v = (K)mx_ld(val[mx_cu_nd_offset(nd, 1, i)]);
        int64_t lo = 0, hi = n;
        while (lo < hi) {
            int64_t m = lo + (hi - lo) / 2;
            K x = (K)mx_ld(seq[m * st]);
            bool go_right = right ? !ss_less<K>(v, x) : ss_less<K>(x, v);
            if (go_right) lo = m + 1;
            else hi = m;
        }
        out[i] = (uint32_t)lo;
    }
}

template <class S>
int searchsorted(int right, uint32_t *out, const void *seq, int64_t n, int64_t st,
                 const void *values, const mx_cu_nd &nd, cudaStream_t s) {
    ss_kernel<S><<<mx_cu_grid(nd.n, 256), 256, 0, s>>>(out, (const S *)seq, n, st, (const S *)values,
                                                    nd, right);
    return (int)cudaGetLastError();
}

// ---- cov sqrt ----
__device__ inline double warp_sum(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return __shfl_sync(0xffffffffu, v, 0); // lane 0's total, identical in every lane
}

// one block per matrix (grid-stride over the batch); ws = 2 n^2 doubles per block: wt = W^T
// (column j of W = A V at wt[j n ..]), vt = V^T; in shared memory when gscratch is null
__global__ void cov_sqrt_kernel(float *out, const float *in, int64_t batch, int64_t n,
                                double *gscratch) {
    extern __shared__ double smem[];
    __shared__ int rotated;
    const int64_t nn = n * n;
    double *wt = gscratch ? gscratch + (int64_t)blockIdx.x * 2 * nn : smem;
    double *vt = wt + nn;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    const int64_t m = n + (n & 1); // players of the round robin (a dummy when n is odd)
    for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
        const float *a = in + b * nn;
        for (int64_t t = threadIdx.x; t < nn; t += blockDim.x) {
            int64_t i = t / n, j = t - i * n;
            wt[j * n + i] = (double)a[t];
            vt[t] = i == j ? 1.0 : 0.0;
        }
        __syncthreads();
        for (int sweep = 0; sweep < 60; sweep++) {
            if (threadIdx.x == 0) rotated = 0;
            __syncthreads();
            for (int64_t r = 0; r < m - 1; r++) {
                // round r: (r, m-1) and ((r+k) mod (m-1), (r-k) mod (m-1)) for 0 < k < m/2
                for (int64_t k = warp; k < m / 2; k += nwarps) {
                    int64_t p = k == 0 ? r : (r + k) % (m - 1);
                    int64_t q = k == 0 ? m - 1 : (r - k + (m - 1)) % (m - 1);
                    if (p > q) {
                        int64_t tmp = p;
                        p = q;
                        q = tmp;
                    }
                    if (q >= n) continue; // the dummy player
                    double *wp = wt + p * n, *wq = wt + q * n;
                    double al = 0, be = 0, ga = 0;
                    for (int64_t i = lane; i < n; i += 32) {
                        double x = wp[i], y = wq[i];
                        al += x * x;
                        be += y * y;
                        ga += x * y;
                    }
                    al = warp_sum(al);
                    be = warp_sum(be);
                    ga = warp_sum(ga);
                    if (ga == 0 || fabs(ga) <= 1e-15 * sqrt(al * be)) continue;
                    if (lane == 0) rotated = 1;
                    double zeta = (be - al) / (2 * ga);
                    double tn = (zeta >= 0 ? 1.0 : -1.0) / (fabs(zeta) + sqrt(1 + zeta * zeta));
                    double c = 1 / sqrt(1 + tn * tn), sn = c * tn;
                    double *vp = vt + p * n, *vq = vt + q * n;
                    for (int64_t i = lane; i < n; i += 32) {
                        double x = wp[i], y = wq[i];
                        wp[i] = c * x - sn * y;
                        wq[i] = sn * x + c * y;
                        x = vp[i];
                        y = vq[i];
                        vp[i] = c * x - sn * y;
                        vq[i] = sn * x + c * y;
                    }
                }
                __syncthreads();
            }
            int any = rotated;
            __syncthreads(); // everyone has read the flag before the next sweep resets it
            if (!any) break;
        }
        // scale column j of W by 1 / sqrt(s_j) (0 for a null direction), then out = W V^T
        for (int64_t j = warp; j < n; j += nwarps) {
            double *wj = wt + j * n, s2 = 0;
            for (int64_t i = lane; i < n; i += 32) s2 += wj[i] * wj[i];
            s2 = warp_sum(s2);
            double f = s2 > 0 ? 1 / sqrt(sqrt(s2)) : 0;
            for (int64_t i = lane; i < n; i += 32) wj[i] *= f;
        }
        __syncthreads();
        float *o = out + b * nn;
        for (int64_t t = threadIdx.x; t < nn; t += blockDim.x) {
            int64_t i = t / n, k = t - i * n;
            double acc = 0;
            for (int64_t j = 0; j < n; j++) acc += wt[j * n + i] * vt[j * n + k];
            o[t] = (float)acc;
        }
        __syncthreads(); // the work space is reused by the block's next matrix
    }
}

} // namespace

extern "C" int mx_cu_masked_scatter(int elem_size, void *out, const void *mask,
                                    const mx_cu_nd *nd, const void *values, int64_t n_values,
                                    int64_t value_stride, void *stream) {
    if (nd->n <= 0 || n_values <= 0) return 0;
    cudaStream_t s = (cudaStream_t)stream;
    const uint8_t *m = (const uint8_t *)mask;
    switch (elem_size) {
    case 1: return masked_scatter_t<uint8_t>(out, m, *nd, values, n_values, value_stride, s);
    case 2: return masked_scatter_t<uint16_t>(out, m, *nd, values, n_values, value_stride, s);
    case 4: return masked_scatter_t<uint32_t>(out, m, *nd, values, n_values, value_stride, s);
    case 8: return masked_scatter_t<uint64_t>(out, m, *nd, values, n_values, value_stride, s);
    default: return (int)cudaErrorInvalidValue;
    }
}

extern "C" int mx_cu_has_searchsorted(int dtype) {
    switch (dtype) {
    case MX_BOOL: case MX_UINT8: case MX_UINT16: case MX_UINT32: case MX_UINT64: case MX_INT8:
    case MX_INT16: case MX_INT32: case MX_INT64: case MX_FLOAT16: case MX_FLOAT32:
    case MX_BFLOAT16: case MX_COMPLEX64:
        return 1;
    default: return 0;
    }
}

extern "C" int mx_cu_searchsorted(int dtype, int right, uint32_t *out, const void *seq, int64_t n,
                                  int64_t seq_stride, const void *values, const mx_cu_nd *nd,
                                  void *stream) {
    if (nd->n <= 0) return 0;
    cudaStream_t s = (cudaStream_t)stream;
    const mx_cu_nd &d = *nd;
    switch (dtype) {
    case MX_BOOL: return searchsorted<bool>(right, out, seq, n, seq_stride, values, d, s);
    case MX_UINT8: return searchsorted<uint8_t>(right, out, seq, n, seq_stride, values, d, s);
    case MX_UINT16: return searchsorted<uint16_t>(right, out, seq, n, seq_stride, values, d, s);
    case MX_UINT32: return searchsorted<uint32_t>(right, out, seq, n, seq_stride, values, d, s);
    case MX_UINT64: return searchsorted<uint64_t>(right, out, seq, n, seq_stride, values, d, s);
    case MX_INT8: return searchsorted<int8_t>(right, out, seq, n, seq_stride, values, d, s);
    case MX_INT16: return searchsorted<int16_t>(right, out, seq, n, seq_stride, values, d, s);
    case MX_INT32: return searchsorted<int32_t>(right, out, seq, n, seq_stride, values, d, s);
    case MX_INT64: return searchsorted<int64_t>(right, out, seq, n, seq_stride, values, d, s);
    case MX_FLOAT16: return searchsorted<f16s>(right, out, seq, n, seq_stride, values, d, s);
    case MX_FLOAT32: return searchsorted<float>(right, out, seq, n, seq_stride, values, d, s);
    case MX_BFLOAT16: return searchsorted<bf16s>(right, out, seq, n, seq_stride, values, d, s);
    case MX_COMPLEX64: return searchsorted<c64>(right, out, seq, n, seq_stride, values, d, s);
    default: return (int)cudaErrorInvalidValue;
    }
}

extern "C" int mx_cu_cov_sqrt(float *out, const float *in, int64_t batch, int64_t n,
                              void *stream) {
    if (batch <= 0 || n <= 0) return 0;
    cudaStream_t s = (cudaStream_t)stream;
    // one warp per column pair of a round: up to 8 warps
    int64_t pairs = (n + 1) / 2;
    int threads = (int)(pairs >= 8 ? 256 : 32 * pairs);
    size_t ws = sizeof(double) * 2 * (size_t)n * (size_t)n; // per matrix
    int dev = 0, optin = 0;
    cudaError_t e = cudaGetDevice(&dev);
    if (e == cudaSuccess)
        e = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev);
    if (e != cudaSuccess) return (int)e;
    if (ws + 1024 <= (size_t)optin) {
        if (ws > 48 * 1024) {
            e = cudaFuncSetAttribute(cov_sqrt_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                     (int)ws);
            if (e != cudaSuccess) return (int)e;
        }
        unsigned blocks = (unsigned)(batch < 65535 * 16 ? batch : 65535 * 16);
        cov_sqrt_kernel<<<blocks, threads, ws, s>>>(out, in, batch, n, nullptr);
        return (int)cudaGetLastError();
    }
    // large matrices: a global work space per block, at most ~256 MiB of them (at least one)
    int64_t blocks = (int64_t)(((size_t)256 << 20) / ws);
    if (blocks < 1) blocks = 1;
    if (blocks > batch) blocks = batch;
    if (blocks > 65535) blocks = 65535;
    double *scratch = nullptr;
    e = cudaMallocAsync((void **)&scratch, ws * (size_t)blocks, s);
    if (e != cudaSuccess) return (int)e;
    cov_sqrt_kernel<<<(unsigned)blocks, threads, 0, s>>>(out, in, batch, n, scratch);
    e = cudaGetLastError();
    cudaFreeAsync(scratch, s);
    return (int)e;
}
