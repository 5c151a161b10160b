/* src/backend/cuda/cu_misc.h: launchers of cu_misc.cu, the GPU kernels of MASKED_SCATTER,
 * SEARCHSORTED and RANDOM_COV_SQRT (their C side is cuda_misc.c). Plain structs only, like cu_api.h
 * (whose mx_cu_nd describes strided operands): every launcher is asynchronous on `stream`, returns
 * a cudaError_t as an int (0 = success) and returns 0 at once for empty work. dtype arguments are
 * mx_dtype values; strides are in elements. */
#ifndef MX_CU_MISC_H
#define MX_CU_MISC_H

#include <stdint.h>

#include "cu_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* MASKED_SCATTER: out (row-major, nd->n elements, already holding a) gets, at the k-th position
 * (row-major order) where the bool mask is true, values[k * value_stride] for k < n_values.
 * nd: the iteration space of (out, mask) as mx_cuda_nd builds it (operand 1 = the mask). */
int mx_cu_masked_scatter(int elem_size, void *out, const void *mask, const mx_cu_nd *nd,
                         const void *values, int64_t n_values, int64_t value_stride, void *stream);

/* SEARCHSORTED: out[i] (uint32, row-major) = the insertion point of values[i] in the sorted
 * seq[0..n) (element j at seq[j * seq_stride]), leftmost (right = 0) or rightmost (right != 0),
 * in the CPU kernel's order (NaN last; complex lexicographic, NaN last). nd: the iteration space
 * of (out, values) (operand 1 = the values). */
int mx_cu_has_searchsorted(int dtype);
int mx_cu_searchsorted(int dtype, int right, uint32_t *out, const void *seq, int64_t n,
                       int64_t seq_stride, const void *values, const mx_cu_nd *nd, void *stream);

/* RANDOM_COV_SQRT: for each of `batch` row-major (n, n) float32 matrices A of `in`, out gets
 * U sqrt(S) V^T from A's SVD, computed as the CPU kernel does (one-sided Jacobi in double). */
int mx_cu_cov_sqrt(float *out, const float *in, int64_t batch, int64_t n, void *stream);

#ifdef __cplusplus
}
#endif
#endif
