/* include/mx/ops_index.h: gathers, scatters and slice updates (MLX semantics). These back Python
 * indexing: a[idx] (gather/take), a[idx] = v (scatter, slice_update, masked_scatter) and
 * a.at[idx].add(v) (scatter_add and friends).
 *
 * All ops return a new reference or NULL (errors tagged "[op]"). They are functional: a scatter
 * returns a new array; `a` is never modified (its buffer is reused only when nothing else can
 * see it).
 *
 * Index arrays may have any integer dtype (bool and float are MX_ERR_VALUE "[gather] indices must
 * be integers", with the op's name). Because indices are data, they are checked while the kernel
 * runs, never at call time: a negative index i wraps once to i + dim; an index still outside
 * [0, dim - slice) after that is CLAMPED into range (so -100 on a dim of 5 reads element 0 and 100
 * reads element 4). Nothing is ever read or written out of bounds.
 */
#ifndef MX_OPS_INDEX_H
#define MX_OPS_INDEX_H

#include <stdbool.h>

#include "mx/array.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Elements of a picked along `axis` by `indices`: the result has shape
 * a.shape[:axis] + indices.shape + a.shape[axis+1:]. flatten = true (MLX axis=None): a is
 * flattened first and the result has indices' shape (axis is ignored). */
mx_array *mx_take(mx_array *a, mx_array *indices, int axis, bool flatten, mx_stream s);

/* out[..., j, ...] = a[..., indices[..., j, ...], ...] along axis. indices must have a.ndim dims;
 * the other dims broadcast with a's. The result has the broadcast shape with indices' length on
 * axis. flatten = true: a and indices are flattened first (axis ignored). */
mx_array *mx_take_along_axis(mx_array *a, mx_array *indices, int axis, bool flatten, mx_stream s);

/* A copy of a with a[..., indices[..., j, ...], ...] = values[..., j, ...] along axis. indices
 * has a.ndim dims and broadcasts (outside axis) to a's shape; values broadcast to the indices'
 * broadcast shape and are cast to a's dtype. Repeated indices: the last write wins.
 * flatten = true: works on the flattened a and returns a's shape. */
mx_array *mx_put_along_axis(mx_array *a, mx_array *indices, mx_array *values, int axis,
                            bool flatten, mx_stream s);

/* MLX's general gather. The n_idx index arrays broadcast together to shape B; index k selects
 * along axes[k] of a (distinct axes, negatives allowed). slice_sizes has a.ndim entries with
 * 0 <= slice_sizes[d] <= a.shape[d]. The result has shape B + slice_sizes:
 *   out[b, s0, ..., sn] = a[s0 + (d indexed by k ? idx_k[b] : 0), ...].
 * n_idx = 0 returns the leading slice of a. */
mx_array *mx_gather(mx_array *a, mx_array *const *indices, int n_idx, const int *axes,
                    const int64_t *slice_sizes, mx_stream s);

/* MLX's general scatter: a copy of a where, for every b of the broadcast index shape B, the slice
 * updates[b, ...] is written at a[idx_0[b], ..., idx_k[b], ...] (start 0 on axes not indexed).
 * updates has B.ndim + a.ndim dims (its leading dims broadcast to B; its trailing dims are the
 * slice, each <= a's dim), or else (NumPy's a[idx] = v) it broadcasts to B + (the dims of a that
 * are not indexed), and the slice is a.shape with 1 on the indexed axes.
 * updates is cast to a's dtype. Repeated indices: the last write wins (scatter) or accumulate
 * (scatter_add: +, scatter_prod: *, scatter_max / scatter_min: NaN propagates; complex compares
 * lexicographically; bool add is or, prod is and). Integer arithmetic wraps. */
mx_array *mx_scatter(mx_array *a, mx_array *const *indices, int n_idx, mx_array *updates,
                     const int *axes, mx_stream s);
mx_array *mx_scatter_add(mx_array *a, mx_array *const *indices, int n_idx, mx_array *updates,
                         const int *axes, mx_stream s);
mx_array *mx_scatter_prod(mx_array *a, mx_array *const *indices, int n_idx, mx_array *updates,
                          const int *axes, mx_stream s);
mx_array *mx_scatter_max(mx_array *a, mx_array *const *indices, int n_idx, mx_array *updates,
                         const int *axes, mx_stream s);
mx_array *mx_scatter_min(mx_array *a, mx_array *const *indices, int n_idx, mx_array *updates,
                         const int *axes, mx_stream s);

/* A copy of a where the elements at which mask (bool, broadcast to a's shape) is true take, in
 * row-major order, the successive elements of values (flattened, cast to a's dtype). When values
 * has fewer elements than mask has true entries, the remaining masked elements keep a's value. */
mx_array *mx_masked_scatter(mx_array *a, mx_array *mask, mx_array *values, mx_stream s);

/* A copy of a with a[start:stop:step] (per axis, Python slice rules exactly as mx_slice; NULL
 * arrays / MX_SLICE_NONE for omitted bounds) replaced by update, which is broadcast to the slice's
 * shape and cast to a's dtype. */
mx_array *mx_slice_update(mx_array *a, mx_array *update, const int64_t *start, const int64_t *stop,
                          const int64_t *step, mx_stream s);

/* A slice of a of shape slice_size (a.ndim entries, 0 <= slice_size[d] <= a.shape[d]) starting,
 * on axes[i], at start_indices[i] (an integer array of naxes elements read at run time; negative
 * starts wrap once, then the start is clamped so that the slice lies inside a) and at 0 on the
 * other axes. */
mx_array *mx_slice_dynamic(mx_array *a, mx_array *start_indices, const int *axes, int naxes,
                           const int64_t *slice_size, mx_stream s);
/* A copy of a with the slice of update's shape (update.ndim == a.ndim, each dim <= a's) at the
 * run-time start (as in mx_slice_dynamic) replaced by update (cast to a's dtype). */
mx_array *mx_slice_update_dynamic(mx_array *a, mx_array *update, mx_array *start_indices,
                                  const int *axes, int naxes, mx_stream s);

#ifdef __cplusplus
}
#endif
#endif
