/* src/ops/scan.c: the scan ops (cumsum, cumprod, cummax, cummin, logcumsumexp): check the axis,
 * flatten for axis=None, cast to the result dtype and build one SCAN node. */
#include <string.h>

#include "../prims/reduce_params.h"
#include "ops_impl.h"

static mx_array *scan_op(const char *op, int type, mx_array *a, int axis, bool all_axes,
                         bool reverse, bool inclusive, mx_stream s) {
    MX_ARG(a, op);
    int nd = a->v.m.ndim;
    mx_dtype t = a->v.m.dtype, ot = t;
    if (!all_axes) {
        MX_CHECK_NULL(axis >= -nd && axis < nd, MX_ERR_VALUE,
                      "[%s] axis %d is out of bounds for array of dimension %d", op, axis, nd);
        if (axis < 0) axis += nd;
    }
    switch (type) {
    case MX_SCAN_SUM:
    case MX_SCAN_PROD:
        if (t == MX_BOOL) ot = MX_INT32;
        break;
    case MX_SCAN_LOGADDEXP:
        MX_CHECK_NULL(t != MX_COMPLEX64, MX_ERR_VALUE, "[%s] not supported for complex64", op);
        if (!mx_dtype_is_inexact(t)) ot = MX_FLOAT32;
        break;
    default:
        MX_CHECK_NULL(t != MX_COMPLEX64, MX_ERR_VALUE, "[%s] not supported for complex64", op);
        break;
    }
    mx_scope sc = mx_scope_begin();
    mx_array *x = mx_astype(a, ot, s);
    if (x && all_axes) {
        int64_t n = -1;
        x = mx_reshape(x, &n, 1, s);
        axis = 0;
    }
    mx_array *r = NULL;
    if (x) {
        mx_scan_params p;
        memset(&p, 0, sizeof p);
        p.type = type;
        p.axis = axis;
        p.reverse = reverse;
        p.inclusive = inclusive;
        r = mx_node_make1(MX_PRIM_SCAN, &p, sizeof p, &x, 1, &x->v.m, s);
    }
    return mx_scope_end(sc, r);
}

mx_array *mx_cumsum(mx_array *a, int axis, bool all_axes, bool reverse, bool inclusive,
                    mx_stream s) {
    return scan_op("cumsum", MX_SCAN_SUM, a, axis, all_axes, reverse, inclusive, s);
}
mx_array *mx_cumprod(mx_array *a, int axis, bool all_axes, bool reverse, bool inclusive,
                     mx_stream s) {
    return scan_op("cumprod", MX_SCAN_PROD, a, axis, all_axes, reverse, inclusive, s);
}
mx_array *mx_cummax(mx_array *a, int axis, bool all_axes, bool reverse, bool inclusive,
                    mx_stream s) {
    return scan_op("cummax", MX_SCAN_MAX, a, axis, all_axes, reverse, inclusive, s);
}
mx_array *mx_cummin(mx_array *a, int axis, bool all_axes, bool reverse, bool inclusive,
                    mx_stream s) {
    return scan_op("cummin", MX_SCAN_MIN, a, axis, all_axes, reverse, inclusive, s);
}
mx_array *mx_logcumsumexp(mx_array *a, int axis, bool all_axes, bool reverse, bool inclusive,
                          mx_stream s) {
    return scan_op("logcumsumexp", MX_SCAN_LOGADDEXP, a, axis, all_axes, reverse, inclusive, s);
}
