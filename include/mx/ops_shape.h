/* include/mx/ops_shape.h: shape and layout ops. Views (no copy) where the layout allows:
 * transpose, slice (negative steps too), broadcast_to, as_strided, expand_dims, squeeze, and
 * reshape of row-contiguous data. Returns a new reference or NULL; axis errors are MX_ERR_VALUE
 * "[op] axis 3 is out of bounds for array with 2 dimensions". */
#ifndef MX_OPS_SHAPE_H
#define MX_OPS_SHAPE_H

#include "mx/array.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One dim of `shape` may be -1 (inferred). "[reshape] cannot reshape array of size 6 into shape
 * (4, 2)". */
mx_array *mx_reshape(mx_array *a, const int64_t *shape, int ndim, mx_stream s);
/* axes: a permutation of 0..ndim-1 (negatives allowed); NULL reverses the axes. */
mx_array *mx_transpose(mx_array *a, const int *axes, int naxes, mx_stream s);
mx_array *mx_broadcast_to(mx_array *a, const int64_t *shape, int ndim, mx_stream s);
/* Python-style start:stop:step on every axis (values are clamped like Python slices; negative
 * indices count from the end; MX_SLICE_NONE stands for an omitted bound). start/stop/step
 * arrays have a.ndim entries (NULL: all omitted); step != 0. */
#define MX_SLICE_NONE INT64_MIN
mx_array *mx_slice(mx_array *a, const int64_t *start, const int64_t *stop, const int64_t *step,
                   mx_stream s);
/* A view of the row-major elements of a with given shape and strides (elements) and offset.
 * shape/strides NULL: a's shape and row-major strides. Unchecked against a's size, as MLX. */
mx_array *mx_as_strided(mx_array *a, const int64_t *shape, const int64_t *strides, int ndim,
                        int64_t offset, mx_stream s);
mx_array *mx_expand_dims(mx_array *a, const int *axes, int naxes, mx_stream s);
/* axes NULL: every size-1 axis. "[squeeze] cannot squeeze axis 0 of size 3". */
mx_array *mx_squeeze(mx_array *a, const int *axes, int naxes, mx_stream s);
mx_array *mx_flatten(mx_array *a, int start_axis, int end_axis, mx_stream s);
/* A row-major copy (a new buffer), whatever a's layout. */
mx_array *mx_copy(mx_array *a, mx_stream s);
/* Same values, no gradient flows back through it. */
mx_array *mx_stop_gradient(mx_array *a, mx_stream s);
/* Reinterpret the bytes as dtype; the last axis scales by the size ratio. */
mx_array *mx_view(mx_array *a, mx_dtype dtype, mx_stream s);

#ifdef __cplusplus
}
#endif
#endif
