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
 * shape/strides NULL: a's shape and row-major strides. MX_ERR_VALUE when the view would reach an
 * element outside a (MLX does not check; we never read out of bounds). */
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

/* ---- joining and splitting ---- */
/* Join arrays along axis (negative counts from the end). Dtypes are promoted to their common
 * type (mx_promote_types). Every input has the same ndim (>= 1) and the same dims except on axis.
 * flatten (MLX axis=None): every input is flattened first and joined along axis 0.
 * Errors: n == 0, NULL arrays, 0-d inputs, "[concatenate] all the input array dimensions except
 * the concatenation axis must match ...", axis out of range. Returns a new reference. */
mx_array *mx_concatenate(mx_array *const *arrays, int n, int axis, bool flatten, mx_stream s);
/* Join arrays of one shape along a new axis (in [-(ndim+1), ndim]). Dtypes promoted.
 * "[stack] all input arrays must have the same shape". */
mx_array *mx_stack(mx_array *const *arrays, int n, int axis, mx_stream s);
/* Split a along axis into views (no copy). indices != NULL: n_indices split points, giving
 * n_indices + 1 pieces a[:i0], a[i0:i1], ..., a[ik:] with Python slice rules (negative points count
 * from the end; out of order points give empty pieces). indices == NULL: `sections` (> 0) equal
 * pieces; "[split] array split does not result in sub arrays with equal size" when the axis is
 * not divisible. out must have room for (indices ? n_indices + 1 : sections) arrays; *n_out
 * receives the count. The outputs are new references (scope rules apply). On error nothing is
 * written to out that the caller must release. */
mx_status mx_split(mx_array *a, const int64_t *indices, int n_indices, int sections, int axis,
                   mx_stream s, mx_array **out, int *n_out);
/* The a.shape[axis] slices of a along axis, each without that axis (views). out must have room
 * for a.shape[axis] arrays; *n_out receives the count; new references. Errors for 0-d a. */
mx_status mx_unstack(mx_array *a, int axis, mx_stream s, mx_array **out, int *n_out);

/* ---- padding and repetition ---- */
/* Pad a: pad_width has 2 * ndim entries (before, after) per axis, all >= 0 ("[pad] invalid pad
 * width"). mode (NULL = "constant"): "constant" fills with constant_value (a size-1 array cast to
 * a's dtype; NULL = 0), "edge" repeats the border element, "reflect" mirrors without repeating the
 * border (NumPy: 1 2 3 -> 3 2 | 1 2 3 | 2 1), "symmetric" mirrors including it (2 1 | 1 2 3 | 3 2);
 * pads longer than the axis continue periodically like NumPy. Non-constant modes cannot pad an
 * empty axis. Output dtype = a's dtype. */
mx_array *mx_pad(mx_array *a, const int64_t *pad_width, const char *mode, mx_array *constant_value,
                 mx_stream s);
/* Repeat each element `repeats` (>= 0) times along axis: (.., n, ..) -> (.., n * repeats, ..).
 * flatten (MLX axis=None): a is flattened first, result 1-D. */
mx_array *mx_repeat(mx_array *a, int64_t repeats, int axis, bool flatten, mx_stream s);
/* NumPy tile: reps (n entries, >= 0) is left-padded with 1s to a.ndim, or a's shape is
 * left-padded with 1s to n; result dim i = shape[i] * reps[i]. */
mx_array *mx_tile(mx_array *a, const int64_t *reps, int n, mx_stream s);

/* ---- reordering (views unless noted) ---- */
/* Reverse the order of elements along axes (NULL: every axis). A view with negative strides. */
mx_array *mx_flip(mx_array *a, const int *axes, int naxes, mx_stream s);
/* Roll elements by shift along axes (elements shifted past the end come back at the start).
 * axes == NULL: a is rolled as if flattened (nshift must be 1) and keeps its shape. Otherwise
 * nshift == naxes, or nshift == 1 (the same shift on every axis); repeated axes add up. Copies. */
mx_array *mx_roll(mx_array *a, const int64_t *shift, int nshift, const int *axes, int naxes,
                  mx_stream s);
/* Move axis `source` to position `destination`; the others keep their order. */
mx_array *mx_moveaxis(mx_array *a, int source, int destination, mx_stream s);
/* Exchange two axes. */
mx_array *mx_swapaxes(mx_array *a, int axis1, int axis2, mx_stream s);

/* ---- diagonals and triangles ---- */
/* The diagonal of the (axis1, axis2) planes as a view (no copy): those two axes are removed and
 * a last axis of the diagonal's length is appended. offset > 0 is above the main diagonal.
 * a.ndim >= 2, axis1 != axis2. */
mx_array *mx_diagonal(mx_array *a, int offset, int axis1, int axis2, mx_stream s);
/* 1-D v of length L: a (L+|k|, L+|k|) matrix with v on diagonal k, zeros elsewhere.
 * 2-D: diagonal(a, k, 0, 1). Other ranks: "[diag] ...". */
mx_array *mx_diag(mx_array *a, int k, mx_stream s);
/* Zero the elements above diagonal k (tril) / below it (triu) of the last two axes (ndim >= 2). */
mx_array *mx_tril(mx_array *a, int k, mx_stream s);
mx_array *mx_triu(mx_array *a, int k, mx_stream s);
/* sum(diagonal(a, offset, axis1, axis2), -1) cast to dtype (MX_DTYPE_AUTO: a's dtype). */
mx_array *mx_trace(mx_array *a, int offset, int axis1, int axis2, mx_dtype dtype, mx_stream s);

/* ---- shape helpers ---- */
/* Replace axis by `shape` (ndim >= 1 dims, one may be -1) whose product is a.shape[axis]. */
mx_array *mx_unflatten(mx_array *a, int axis, const int64_t *shape, int ndim, mx_stream s);
/* Reshape to at least 1, 2 or 3 dims (NumPy): 0-d -> (1), (1,1), (1,1,1); (n) -> (1, n) and
 * (1, n, 1); (m, n) -> (m, n, 1). Arrays already big enough are returned as they are. */
mx_array *mx_atleast_1d(mx_array *a, mx_stream s);
mx_array *mx_atleast_2d(mx_array *a, mx_stream s);
mx_array *mx_atleast_3d(mx_array *a, mx_stream s);
/* Broadcast n arrays against each other: out[i] (n entries) are views of the common shape, new
 * references. "[broadcast_arrays] shapes (2,) and (3,) cannot be broadcast". */
mx_status mx_broadcast_arrays(mx_array *const *in, int n, mx_array **out, mx_stream s);
/* The common broadcast shape of n shapes (shapes[i] has ndims[i] dims) into out (room for
 * MX_MAX_DIMS) and *out_ndim. Pure: no arrays. n >= 1. */
mx_status mx_broadcast_shapes(const int64_t *const *shapes, const int *ndims, int n, int64_t *out,
                              int *out_ndim);
/* a itself when it is row-contiguous (or column-contiguous with allow_col_major) once evaluated,
 * else a row-major copy. */
mx_array *mx_contiguous(mx_array *a, bool allow_col_major, mx_stream s);

#ifdef __cplusplus
}
#endif
#endif
