/* include/mx/ops_reduce.h: reductions (sum, prod, min, max, mean, var, std, all, any, logsumexp,
 * argmin, argmax, count_nonzero), scans (cumsum, cumprod, cummax, cummin, logcumsumexp) and
 * softmax.
 *
 * All functions return a new reference (scope-owned inside a scope) or NULL with the thread's
 * error set; arguments are borrowed and a NULL array argument propagates (NULL, error kept).
 *
 * Axes: `axes, naxes` lists the axes to reduce; axes == NULL reduces every axis (MLX axis=None);
 * a non-NULL list of length 0 reduces nothing. Negative axes count from the end. An axis out of
 * range or given twice fails with MX_ERR_VALUE "[op] ...". keepdims keeps reduced axes as size 1.
 *
 * Dtypes (MLX): sum/prod of bool give int32, other dtypes keep theirs (integer sums wrap);
 * float16/bfloat16 accumulate in float32. mean/var/std/logsumexp of integers or bool give
 * float32. all/any give bool. min/max keep the dtype and propagate NaN. Reducing an empty axis:
 * sum 0, prod 1, all true, any false, mean NaN; min/max/argmin/argmax/logsumexp fail with
 * MX_ERR_VALUE ("[max] Cannot max reduce zero size array."). complex64 is accepted by sum, prod,
 * mean, cumsum and cumprod; min/max/argmin/argmax/cummax/cummin/logsumexp/softmax reject it.
 */
#ifndef MX_OPS_REDUCE_H
#define MX_OPS_REDUCE_H

#include "mx/array.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- reductions: (...) -> (...) without the reduced axes ---- */
mx_array *mx_sum(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s);
mx_array *mx_prod(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s);
mx_array *mx_min(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s);
mx_array *mx_max(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s);
/* sum / number of reduced elements, in float32 for integer and bool inputs. */
mx_array *mx_mean(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s);
/* logical and / or of (a != 0) -> bool */
mx_array *mx_all(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s);
mx_array *mx_any(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s);
/* log(sum(exp(a))), computed stably (the maximum is subtracted first). */
mx_array *mx_logsumexp(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s);
/* Variance mean(|a - mean(a)|^2) * n / max(n - ddof, 0) (inf when n <= ddof), and its square
 * root. Integer inputs give float32. */
mx_array *mx_var(mx_array *a, const int *axes, int naxes, bool keepdims, int ddof, mx_stream s);
mx_array *mx_std(mx_array *a, const int *axes, int naxes, bool keepdims, int ddof, mx_stream s);
/* Number of non-zero elements -> int32. */
mx_array *mx_count_nonzero(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s);

/* Index of the first minimum / maximum along `axis` -> uint32 (a NaN counts as the extreme, so
 * the first NaN wins). all_axes: over the flattened array (MLX axis=None); axis is then ignored
 * and keepdims gives ndim ones. Errors: MX_ERR_VALUE for a bad axis or an empty axis. */
mx_array *mx_argmin(mx_array *a, int axis, bool all_axes, bool keepdims, mx_stream s);
mx_array *mx_argmax(mx_array *a, int axis, bool all_axes, bool keepdims, mx_stream s);

/* ---- scans: same shape (1-D of a's size when all_axes) ----
 * Running sum / product / maximum / minimum / log-sum-exp along `axis` (all_axes: over the
 * flattened array, MLX axis=None). reverse scans from the end; inclusive = false shifts the result
 * by one so that element i combines the elements strictly before it (the first one holds the
 * identity: 0, 1, the dtype's lowest / highest value, -inf). cumsum/cumprod of bool give int32;
 * logcumsumexp of integers gives float32. Errors: MX_ERR_VALUE for a bad axis or dtype. */
mx_array *mx_cumsum(mx_array *a, int axis, bool all_axes, bool reverse, bool inclusive,
                    mx_stream s);
mx_array *mx_cumprod(mx_array *a, int axis, bool all_axes, bool reverse, bool inclusive,
                     mx_stream s);
mx_array *mx_cummax(mx_array *a, int axis, bool all_axes, bool reverse, bool inclusive,
                    mx_stream s);
mx_array *mx_cummin(mx_array *a, int axis, bool all_axes, bool reverse, bool inclusive,
                    mx_stream s);
mx_array *mx_logcumsumexp(mx_array *a, int axis, bool all_axes, bool reverse, bool inclusive,
                          mx_stream s);

/* ---- softmax ----
 * exp(a - max(a)) / sum(exp(a - max(a))) over `axes` (NULL: all axes), same shape. Integer and
 * bool inputs give float32; float16/bfloat16 are computed in float32 and rounded at the end
 * (precise is accepted for MLX parity). Over the last axis alone this is one fused kernel. */
mx_array *mx_softmax(mx_array *a, const int *axes, int naxes, bool precise, mx_stream s);

#ifdef __cplusplus
}
#endif
#endif
