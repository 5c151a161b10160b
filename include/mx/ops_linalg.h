/* include/mx/ops_linalg.h: matrix products (matmul, addmm, tensordot, inner, outer, vecdot, kron).
 *
 * All functions return a new reference (scope-owned inside a scope) or NULL with the thread's
 * error set; arguments are borrowed and a NULL argument propagates (the op returns NULL and keeps
 * the pending error). Products run on the CPU through OpenBLAS (sgemm/dgemm/cgemm, gemv for
 * matrix-vector shapes); float16 and bfloat16 are computed in float32 and rounded back.
 */
#ifndef MX_OPS_LINALG_H
#define MX_OPS_LINALG_H

#include "mx/array.h"

#ifdef __cplusplus
extern "C" {
#endif

/* numpy.matmul: (..., M, K) @ (..., K, N) -> (..., M, N), batch dimensions broadcast.
 * A 1-D a is treated as (1, K) and a 1-D b as (K, 1); the inserted axis is removed from the result
 * (1-D @ 1-D gives a 0-d array). Both operands are promoted to a common dtype, which must be
 * inexact (float16, bfloat16, float32, float64, complex64).
 * Errors (MX_ERR_VALUE): 0-d inputs ("[matmul] Got 0 dimension input..."), integer or bool
 * result types ("[matmul] Only inexact types are supported but int32 and int32 were provided
 * ..."), K mismatch ("[matmul] Last dimension of first input with shape (2, 3) must match second
 * to last dimension of second input with shape (4, 5)."), batch shapes that do not broadcast. */
mx_array *mx_matmul(mx_array *a, mx_array *b, mx_stream s);

/* alpha * (a @ b) + beta * c, with a and b as in mx_matmul and c broadcast to the product's shape
 * (before the 1-D axes are squeezed, as MLX). The common type of a, b and c must be a real
 * floating type ("[addmm] Only real floating point types are supported ..."). beta == 0 ignores
 * c's values (as BLAS does). */
mx_array *mx_addmm(mx_array *c, mx_array *a, mx_array *b, double alpha, double beta, mx_stream s);

/* Sum of products over axes_a[i] of a and axes_b[i] of b (i < n; negative axes allowed; no axis
 * repeated). The result has a's remaining axes followed by b's. n may be 0 (outer product).
 * Errors: "[tensordot] a and b must have the same shape on the contracted axes.", bad or
 * repeated axes, non-inexact types (as mx_matmul). axes_a/axes_b may be NULL only when n == 0. */
mx_array *mx_tensordot(mx_array *a, mx_array *b, const int *axes_a, const int *axes_b, int n,
                       mx_stream s);
/* MLX tensordot(a, b, axes=naxes): contracts the last naxes axes of a with the first naxes of b.
 * naxes must be >= 0 and <= min(a.ndim, b.ndim). */
mx_array *mx_tensordot_n(mx_array *a, mx_array *b, int naxes, mx_stream s);

/* Inner product over the last axes: (..., K) and (..., K) -> a.shape[:-1] + b.shape[:-1].
 * 0-d operands multiply elementwise. "[inner] a and b must have the same last dimension." */
mx_array *mx_inner(mx_array *a, mx_array *b, mx_stream s);

/* Outer product of the flattened inputs: (size(a), size(b)), any numeric dtype. */
mx_array *mx_outer(mx_array *a, mx_array *b, mx_stream s);

/* NumPy vecdot: sum over `axis` of conj(a) * b, a and b broadcast together first; the result has
 * the broadcast shape without `axis`. Inexact dtypes (computed with matmul).
 * Errors: sizes along axis differ, bad axis, non-inexact types. */
mx_array *mx_vecdot(mx_array *a, mx_array *b, int axis, mx_stream s);

/* Kronecker product: the shapes are aligned on the right (1s prepended) and the result has shape
 * a.shape[i] * b.shape[i]; any dtype that multiplies. "[kron] Input arrays cannot be empty." */
mx_array *mx_kron(mx_array *a, mx_array *b, mx_stream s);

#ifdef __cplusplus
}
#endif
#endif
