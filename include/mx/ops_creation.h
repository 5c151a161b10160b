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

#ifdef __cplusplus
}
#endif
#endif
