/* src/ops/sort.c: the sort family of ops (include/mx/ops_sort.h): sort, argsort, partition,
 * argpartition, topk and searchsorted. Kernels: src/backend/cpu/sort.c. */
#include <string.h>

#include "../prims/sort_params.h"
#include "ops_impl.h"

/* Resolve flatten/axis: *x is a or its flattened view (scope-owned), *ax the normalised axis. */
static mx_status prep(const char *op, mx_array *a, int axis, bool flatten, mx_array **x, int *ax,
                      mx_stream s) {
    if (flatten) {
        int64_t m1 = -1;
        *x = mx_reshape(a, &m1, 1, s);
        if (!*x) return mx_error_status();
        axis = 0;
    } else *x = a;
    return mx_norm_axis(op, axis, (*x)->v.m.ndim, ax);
}

static mx_array *sort_op(const char *op, int prim, mx_array *a, int axis, bool flatten, bool has_kth,
                         int kth, mx_stream s) {
    MX_ARG(a, op);
    mx_scope sc = mx_scope_begin();
    mx_array *x = NULL, *r = NULL;
    int ax;
    if (prep(op, a, axis, flatten, &x, &ax, s) != MX_OK) return mx_scope_end(sc, NULL);
    int64_t n = x->v.m.shape[ax];
    bool arg = prim == MX_PRIM_ARGSORT || prim == MX_PRIM_ARGPARTITION;
    mx_sort_params p;
    memset(&p, 0, sizeof p);
    p.axis = ax;
    if (arg && n > (int64_t)UINT32_MAX) {
        mx_fail(MX_ERR_VALUE, "[%s] axis of length %lld is too long for uint32 indices", op,
                (long long)n);
        return mx_scope_end(sc, NULL);
    }
    if (has_kth) {
        int64_t k = kth < 0 ? kth + n : kth;
        if (k < 0 || k >= n) {
            mx_fail(MX_ERR_VALUE, "[%s] received invalid kth %d along axis %d of size %lld", op,
                    kth, axis, (long long)n);
            return mx_scope_end(sc, NULL);
        }
        p.kth = k;
    }
    r = mx_make_like(prim, &p, sizeof p, &x, 1, &x->v.m, arg ? MX_UINT32 : x->v.m.dtype, s);
    return mx_scope_end(sc, r);
}

mx_array *mx_sort(mx_array *a, int axis, bool flatten, mx_stream s) {
    return sort_op("sort", MX_PRIM_SORT, a, axis, flatten, false, 0, s);
}
mx_array *mx_argsort(mx_array *a, int axis, bool flatten, mx_stream s) {
    return sort_op("argsort", MX_PRIM_ARGSORT, a, axis, flatten, false, 0, s);
}
mx_array *mx_partition(mx_array *a, int kth, int axis, bool flatten, mx_stream s) {
    return sort_op("partition", MX_PRIM_PARTITION, a, axis, flatten, true, kth, s);
}
mx_array *mx_argpartition(mx_array *a, int kth, int axis, bool flatten, mx_stream s) {
    return sort_op("argpartition", MX_PRIM_ARGPARTITION, a, axis, flatten, true, kth, s);
}

mx_array *mx_topk(mx_array *a, int k, int axis, bool flatten, mx_stream s) {
    MX_ARG(a, "topk");
    mx_scope sc = mx_scope_begin();
    mx_array *x = NULL, *r = NULL;
    int ax;
    if (prep("topk", a, axis, flatten, &x, &ax, s) != MX_OK) return mx_scope_end(sc, NULL);
    int64_t n = x->v.m.shape[ax];
    if (k < 1 || k > n) {
        mx_fail(MX_ERR_VALUE, "[topk] k must be in [1, %lld] for axis %d of size %lld, got %d",
                (long long)n, axis, (long long)n, k);
        return mx_scope_end(sc, NULL);
    }
    mx_array *part = k == n ? x : mx_partition(x, (int)(n - k), ax, false, s);
    if (part) {
        int64_t start[MX_MAX_DIMS];
        for (int d = 0; d < x->v.m.ndim; d++) start[d] = d == ax ? n - k : 0;
        r = mx_slice(part, start, NULL, NULL, s);
    }
    return mx_scope_end(sc, r);
}

mx_array *mx_searchsorted(mx_array *sorted_sequence, mx_array *values, bool right, mx_stream s) {
    MX_ARG(sorted_sequence, "searchsorted");
    MX_ARG(values, "searchsorted");
    MX_CHECK_NULL(sorted_sequence->v.m.ndim == 1, MX_ERR_VALUE,
                  "[searchsorted] sorted_sequence must be 1-D, got %d dimensions",
                  sorted_sequence->v.m.ndim);
    MX_CHECK_NULL(sorted_sequence->v.m.shape[0] <= (int64_t)UINT32_MAX, MX_ERR_VALUE,
                  "[searchsorted] sorted_sequence is too long for uint32 indices");
    mx_dtype t = mx_promote_types(sorted_sequence->v.m.dtype, values->v.m.dtype);
    if (t == MX_FLOAT16 || t == MX_BFLOAT16) t = MX_FLOAT32; /* exact; the kernel needs no halves */
    mx_scope sc = mx_scope_begin();
    mx_array *in[2] = {mx_astype(sorted_sequence, t, s), mx_astype(values, t, s)};
    mx_sort_params p;
    memset(&p, 0, sizeof p);
    p.right = right;
    mx_array *r = in[0] && in[1] ? mx_make_like(MX_PRIM_SEARCHSORTED, &p, sizeof p, in, 2,
                                                &values->v.m, MX_UINT32, s)
                                 : NULL;
    return mx_scope_end(sc, r);
}
