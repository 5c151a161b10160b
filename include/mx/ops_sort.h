/* include/mx/ops_sort.h: sorting, partitioning and binary search along one axis (MLX semantics).
 *
 * Order: NaN sorts last (NumPy); -0.0 and 0.0 are equal; complex64 sorts lexicographically by
 * (real, imag) with NaN-holding elements last; bool false < true. `flatten` stands for MLX's
 * axis=None: a is flattened first and `axis` is ignored. Index results are uint32.
 * Returns a new reference or NULL: MX_ERR_VALUE "[op] axis ... is out of bounds" for a bad axis
 * (a 0-d array has no axis unless flattened), MX_ERR_VALUE for kth / k out of range.
 */
#ifndef MX_OPS_SORT_H
#define MX_OPS_SORT_H

#include <stdbool.h>

#include "mx/array.h"

#ifdef __cplusplus
extern "C" {
#endif

/* a sorted ascending along axis (same shape and dtype). */
mx_array *mx_sort(mx_array *a, int axis, bool flatten, mx_stream s);
/* Indices (uint32) that sort a along axis; stable (equal elements keep their order). */
mx_array *mx_argsort(mx_array *a, int axis, bool flatten, mx_stream s);
/* a rearranged along axis so that element kth (negatives count from the end) is where a sort
 * would put it, with no larger element before it and no smaller one after it. */
mx_array *mx_partition(mx_array *a, int kth, int axis, bool flatten, mx_stream s);
/* Indices (uint32) that partition a along axis as mx_partition does. */
mx_array *mx_argpartition(mx_array *a, int kth, int axis, bool flatten, mx_stream s);
/* The k largest elements along axis (1 <= k <= dim), in partitioned (unspecified) order; the
 * result has k on axis. */
mx_array *mx_topk(mx_array *a, int k, int axis, bool flatten, mx_stream s);
/* For every element v of values, the insertion point (uint32, same shape as values) into the 1-D
 * ascending sorted_sequence: the first i with sorted_sequence[i] >= v (right = false, 'left') or
 * > v (right = true, 'right'). Both are compared in their promoted dtype. */
mx_array *mx_searchsorted(mx_array *sorted_sequence, mx_array *values, bool right, mx_stream s);

#ifdef __cplusplus
}
#endif
#endif
