/* include/mx/ops_creation.h: arrays made from nothing or from a shape.
 * Returns a new reference or NULL (MX_ERR_VALUE for negative dims or bad dtypes). */
#ifndef MX_OPS_CREATION_H
#define MX_OPS_CREATION_H

#include "mx/array.h"

#ifdef __cplusplus
extern "C" {
#endif

mx_array *mx_zeros(const int64_t *shape, int ndim, mx_dtype dtype, mx_stream s);
mx_array *mx_ones(const int64_t *shape, int ndim, mx_dtype dtype, mx_stream s);
/* vals broadcast to shape; dtype MX_DTYPE_AUTO keeps vals' dtype. */
mx_array *mx_full(const int64_t *shape, int ndim, mx_array *vals, mx_dtype dtype, mx_stream s);
mx_array *mx_zeros_like(mx_array *a, mx_dtype dtype, mx_stream s); /* MX_DTYPE_AUTO: a's */
mx_array *mx_ones_like(mx_array *a, mx_dtype dtype, mx_stream s);
mx_array *mx_full_like(mx_array *a, mx_array *vals, mx_dtype dtype, mx_stream s);
/* [start, stop) by step: ceil((stop - start) / step) elements. dtype MX_DTYPE_AUTO: float32.
 * MX_ERR_VALUE for step == 0 or a non-finite bound. */
mx_array *mx_arange(double start, double stop, double step, mx_dtype dtype, mx_stream s);

/* num evenly spaced values from start to stop (endpoint: stop included, step (stop-start)/(num-1);
 * else step (stop-start)/num), computed in double as start + i * step (the last one exactly stop)
 * and cast to dtype (MX_DTYPE_AUTO: float32). num >= 0. */
mx_array *mx_linspace(double start, double stop, int64_t num, bool endpoint, mx_dtype dtype,
                      mx_stream s);
/* (n, m) with ones on diagonal k (k > 0 above the main one), zeros elsewhere. m < 0: m = n.
 * dtype MX_DTYPE_AUTO: float32. n >= 0. */
mx_array *mx_eye(int64_t n, int64_t m, int k, mx_dtype dtype, mx_stream s);
/* eye(n, n, 0, dtype). */
mx_array *mx_identity(int64_t n, mx_dtype dtype, mx_stream s);
/* (n, m) with ones at and below diagonal k (j <= i + k), zeros above. m < 0: m = n.
 * dtype MX_DTYPE_AUTO: float32. */
mx_array *mx_tri(int64_t n, int64_t m, int k, mx_dtype dtype, mx_stream s);
/* Coordinate grids from n arrays (each flattened to 1-D, lengths L0..L(n-1)): out[i] (n entries,
 * new references, broadcast views) has shape (L0, ..., L(n-1)) for indexing "ij" and the first
 * two dims swapped for "xy" (NULL = "xy"); out[i] varies along its own axis only. sparse: out[i]
 * keeps size 1 on every other axis. "[meshgrid] ..." for other indexing strings. */
mx_status mx_meshgrid(mx_array *const *in, int n, bool sparse, const char *indexing, mx_array **out,
                      mx_stream s);
/* NumPy's window functions, float32 of length max(M, 0) (M == 1: [1]). */
mx_array *mx_bartlett(int64_t M, mx_stream s); /* 1 - |2n - M + 1| / (M - 1) */
mx_array *mx_hanning(int64_t M, mx_stream s);  /* 0.5 - 0.5 cos(2 pi n / (M - 1)) */
mx_array *mx_hamming(int64_t M, mx_stream s);  /* 0.54 - 0.46 cos(2 pi n / (M - 1)) */
/* 0.42 - 0.5 cos(2 pi n / (M - 1)) + 0.08 cos(4 pi n / (M - 1)) */
mx_array *mx_blackman(int64_t M, mx_stream s);

#ifdef __cplusplus
}
#endif
#endif
