/* src/ops/reduce.c: the reduction ops (sum, prod, min, max, mean, all, any, var, std, logsumexp,
 * count_nonzero, argmin, argmax) and softmax. Each reduction checks its axes, casts the input to
 * the result dtype, builds one REDUCE node whose output keeps the reduced axes as size 1, and
 * reshapes them away when keepdims is false. Composites (var, std, logsumexp, softmax over other
 * axes) are written with ops. */
#include <math.h>
#include <string.h>

#include "../prims/reduce_params.h"
#include "ops_impl.h"

/* axes -> bitmask over ndim; NULL = all axes. MX_ERR_VALUE for out of range or repeated axes. */
static mx_status axes_mask(const char *op, int nd, const int *axes, int naxes, uint32_t *mask) {
    *mask = 0;
    if (!axes) {
        for (int i = 0; i < nd; i++) *mask |= 1u << i;
        return MX_OK;
    }
    MX_CHECK(naxes >= 0, MX_ERR_VALUE, "[%s] invalid number of axes %d", op, naxes);
    for (int i = 0; i < naxes; i++) {
        int ax = axes[i];
        MX_CHECK(ax >= -nd && ax < nd, MX_ERR_VALUE,
                 "[%s] axis %d is out of bounds for array of dimension %d", op, ax, nd);
        if (ax < 0) ax += nd;
        MX_CHECK(!(*mask & (1u << ax)), MX_ERR_VALUE, "[%s] received duplicate axis %d", op,
                 axes[i]);
        *mask |= 1u << ax;
    }
    return MX_OK;
}

/* number of elements in the reduced axes */
static int64_t reduced_count(const mx_meta *m, uint32_t mask) {
    int64_t n = 1;
    for (int i = 0; i < m->ndim; i++)
        if (mask & (1u << i)) n *= m->shape[i];
    return n;
}

static bool reduced_empty(const mx_meta *m, uint32_t mask) {
    for (int i = 0; i < m->ndim; i++)
        if ((mask & (1u << i)) && m->shape[i] == 0) return true;
    return false;
}

/* a with the axes in mask removed (they have size 1) */
static mx_array *drop_axes(mx_array *a, uint32_t mask, mx_stream s) {
    int64_t sh[MX_MAX_DIMS];
    int k = 0;
    for (int i = 0; i < a->v.m.ndim; i++)
        if (!(mask & (1u << i))) sh[k++] = a->v.m.shape[i];
    return mx_reshape(a, sh, k, s);
}

/* The REDUCE node on x (already of the result dtype). */
static mx_array *reduce_node(mx_array *x, int type, uint32_t mask, bool mean, bool keepdims,
                             mx_stream s) {
    mx_reduce_params p;
    memset(&p, 0, sizeof p);
    p.type = type;
    p.axes = mask;
    p.mean = mean;
    mx_meta o = x->v.m;
    for (int i = 0; i < o.ndim; i++)
        if (mask & (1u << i)) o.shape[i] = 1;
    mx_array *r = mask ? mx_node_make1(MX_PRIM_REDUCE, &p, sizeof p, &x, 1, &o, s)
                       : mx_array_retain(x);
    if (r && !mask) r = mx_scope_track(r);
    if (r && !keepdims) r = drop_axes(r, mask, s);
    return r;
}

static mx_dtype at_least_float(mx_dtype t) { return mx_dtype_is_inexact(t) ? t : MX_FLOAT32; }

/* Shared driver: check, cast, reduce. */
static mx_array *reduce_op(const char *op, int type, bool mean, mx_array *a, const int *axes,
                           int naxes, bool keepdims, mx_stream s) {
    MX_ARG(a, op);
    uint32_t mask;
    if (axes_mask(op, a->v.m.ndim, axes, naxes, &mask) != MX_OK) return NULL;
    mx_dtype t = a->v.m.dtype, ot = t;
    switch (type) {
    case MX_RED_SUM:
    case MX_RED_PROD:
        if (mean) ot = at_least_float(t);
        else if (t == MX_BOOL) ot = MX_INT32;
        break;
    case MX_RED_AND:
    case MX_RED_OR: ot = MX_BOOL; break;
    default:
        MX_CHECK_NULL(t != MX_COMPLEX64, MX_ERR_VALUE, "[%s] not supported for complex64", op);
        MX_CHECK_NULL(!reduced_empty(&a->v.m, mask), MX_ERR_VALUE,
                      "[%s] Cannot %s reduce zero size array.", op, op);
        break;
    }
    mx_scope sc = mx_scope_begin();
    mx_array *x = mx_astype(a, ot, s);
    mx_array *r = x ? reduce_node(x, type, mask, mean, keepdims, s) : NULL;
    return mx_scope_end(sc, r);
}

mx_array *mx_sum(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s) {
    return reduce_op("sum", MX_RED_SUM, false, a, axes, naxes, keepdims, s);
}
mx_array *mx_prod(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s) {
    return reduce_op("prod", MX_RED_PROD, false, a, axes, naxes, keepdims, s);
}
mx_array *mx_min(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s) {
    return reduce_op("min", MX_RED_MIN, false, a, axes, naxes, keepdims, s);
}
mx_array *mx_max(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s) {
    return reduce_op("max", MX_RED_MAX, false, a, axes, naxes, keepdims, s);
}
mx_array *mx_all(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s) {
    return reduce_op("all", MX_RED_AND, false, a, axes, naxes, keepdims, s);
}
mx_array *mx_any(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s) {
    return reduce_op("any", MX_RED_OR, false, a, axes, naxes, keepdims, s);
}
mx_array *mx_mean(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s) {
    return reduce_op("mean", MX_RED_SUM, true, a, axes, naxes, keepdims, s);
}

mx_array *mx_count_nonzero(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s) {
    MX_ARG(a, "count_nonzero");
    uint32_t mask;
    if (axes_mask("count_nonzero", a->v.m.ndim, axes, naxes, &mask) != MX_OK) return NULL;
    mx_scope sc = mx_scope_begin();
    mx_array *nz = mx_astype(mx_astype(a, MX_BOOL, s), MX_INT32, s);
    mx_array *r = nz ? reduce_node(nz, MX_RED_SUM, mask, false, keepdims, s) : NULL;
    return mx_scope_end(sc, r);
}

static mx_array *var_impl(const char *op, mx_array *a, const int *axes, int naxes, bool keepdims,
                          int ddof, bool sq, mx_stream s) {
    MX_ARG(a, op);
    uint32_t mask;
    if (axes_mask(op, a->v.m.ndim, axes, naxes, &mask) != MX_OK) return NULL;
    MX_CHECK_NULL(a->v.m.dtype != MX_COMPLEX64, MX_ERR_VALUE, "[%s] not supported for complex64",
                  op);
    mx_dtype t = at_least_float(a->v.m.dtype);
    double n = (double)reduced_count(&a->v.m, mask);
    mx_scope sc = mx_scope_begin();
    mx_array *x = mx_astype(a, t, s);
    mx_array *mu = x ? reduce_node(x, MX_RED_SUM, mask, true, true, s) : NULL;
    mx_array *d = mx_subtract(x, mu, s);
    mx_array *v = mx_multiply(d, d, s);
    v = v ? reduce_node(v, MX_RED_SUM, mask, true, keepdims, s) : NULL;
    if (v && ddof != 0) {
        double den = n - (double)ddof;
        double f = den > 0 ? n / den : INFINITY;
        v = mx_multiply(v, mx_array_scalar_f64(f, t), s);
    }
    if (v && sq) v = mx_sqrt(v, s);
    return mx_scope_end(sc, v);
}

mx_array *mx_var(mx_array *a, const int *axes, int naxes, bool keepdims, int ddof, mx_stream s) {
    return var_impl("var", a, axes, naxes, keepdims, ddof, false, s);
}
mx_array *mx_std(mx_array *a, const int *axes, int naxes, bool keepdims, int ddof, mx_stream s) {
    return var_impl("std", a, axes, naxes, keepdims, ddof, true, s);
}

mx_array *mx_logsumexp(mx_array *a, const int *axes, int naxes, bool keepdims, mx_stream s) {
    MX_ARG(a, "logsumexp");
    uint32_t mask;
    if (axes_mask("logsumexp", a->v.m.ndim, axes, naxes, &mask) != MX_OK) return NULL;
    MX_CHECK_NULL(a->v.m.dtype != MX_COMPLEX64, MX_ERR_VALUE,
                  "[logsumexp] not supported for complex64");
    MX_CHECK_NULL(!reduced_empty(&a->v.m, mask), MX_ERR_VALUE,
                  "[logsumexp] Cannot logsumexp reduce zero size array.");
    mx_dtype t = at_least_float(a->v.m.dtype);
    mx_scope sc = mx_scope_begin();
    mx_array *x = mx_astype(a, t, s);
    mx_array *m = x ? reduce_node(x, MX_RED_MAX, mask, false, true, s) : NULL;
    m = m ? mx_stop_gradient(m, s) : NULL;
    /* an infinite maximum would give inf - inf: shift by 0 instead */
    m = m ? mx_where(mx_isinf(m, s), mx_array_scalar_f64(0, t), m, s) : NULL;
    mx_array *e = mx_exp(mx_subtract(x, m, s), s);
    mx_array *r = e ? reduce_node(e, MX_RED_SUM, mask, false, true, s) : NULL;
    r = mx_add(mx_log(r, s), m, s);
    if (r && !keepdims) r = drop_axes(r, mask, s);
    return mx_scope_end(sc, r);
}

/* ---- argmin / argmax ---- */
static mx_array *arg_reduce(const char *op, int type, mx_array *a, int axis, bool all_axes,
                            bool keepdims, mx_stream s) {
    MX_ARG(a, op);
    int nd = a->v.m.ndim;
    MX_CHECK_NULL(a->v.m.dtype != MX_COMPLEX64, MX_ERR_VALUE, "[%s] not supported for complex64",
                  op);
    if (!all_axes) {
        MX_CHECK_NULL(axis >= -nd && axis < nd, MX_ERR_VALUE,
                      "[%s] axis %d is out of bounds for array of dimension %d", op, axis, nd);
        if (axis < 0) axis += nd;
        MX_CHECK_NULL(a->v.m.shape[axis] > 0, MX_ERR_VALUE, "[%s] Cannot %s reduce zero size array.",
                      op, op);
    } else {
        MX_CHECK_NULL(mx_meta_size(&a->v.m) > 0, MX_ERR_VALUE,
                      "[%s] Cannot %s reduce zero size array.", op, op);
    }
    mx_scope sc = mx_scope_begin();
    mx_array *x = a;
    if (all_axes) {
        int64_t n = -1;
        x = mx_reshape(a, &n, 1, s);
        axis = 0;
    }
    mx_array *r = NULL;
    if (x) {
        mx_arg_reduce_params p;
        memset(&p, 0, sizeof p);
        p.type = type;
        p.axis = axis;
        mx_meta o = x->v.m;
        o.dtype = MX_UINT32;
        o.shape[axis] = 1;
        r = mx_node_make1(MX_PRIM_ARG_REDUCE, &p, sizeof p, &x, 1, &o, s);
    }
    if (r && all_axes) {
        int64_t ones[MX_MAX_DIMS];
        for (int i = 0; i < nd; i++) ones[i] = 1;
        r = mx_reshape(r, ones, keepdims ? nd : 0, s);
    } else if (r && !keepdims) {
        r = drop_axes(r, 1u << axis, s);
    }
    return mx_scope_end(sc, r);
}

mx_array *mx_argmin(mx_array *a, int axis, bool all_axes, bool keepdims, mx_stream s) {
    return arg_reduce("argmin", MX_ARG_MIN, a, axis, all_axes, keepdims, s);
}
mx_array *mx_argmax(mx_array *a, int axis, bool all_axes, bool keepdims, mx_stream s) {
    return arg_reduce("argmax", MX_ARG_MAX, a, axis, all_axes, keepdims, s);
}

/* ---- softmax ---- */
mx_array *mx_softmax(mx_array *a, const int *axes, int naxes, bool precise, mx_stream s) {
    MX_ARG(a, "softmax");
    int nd = a->v.m.ndim;
    uint32_t mask;
    if (axes_mask("softmax", nd, axes, naxes, &mask) != MX_OK) return NULL;
    mx_dtype t0 = a->v.m.dtype;
    MX_CHECK_NULL(t0 != MX_COMPLEX64, MX_ERR_VALUE, "[softmax] not supported for complex64");
    mx_dtype t = at_least_float(t0);
    mx_scope sc = mx_scope_begin();
    mx_array *x = mx_astype(a, t, s), *r = NULL;
    if (!x || mask == 0) {
        /* no axes: every element is alone in its group, so exp(x - x) / exp(x - x) */
        r = x ? mx_divide(mx_exp(mx_subtract(x, x, s), s), mx_exp(mx_subtract(x, x, s), s), s)
              : NULL;
    } else if (mask == (1u << (nd - 1))) {
        mx_softmax_params p;
        memset(&p, 0, sizeof p);
        p.precise = precise;
        r = mx_node_make1(MX_PRIM_SOFTMAX, &p, sizeof p, &x, 1, &x->v.m, s);
    } else if (mx_meta_size(&x->v.m) == 0) {
        r = mx_copy(x, s);
    } else {
        mx_array *xf = (t == MX_FLOAT16 || t == MX_BFLOAT16) ? mx_astype(x, MX_FLOAT32, s) : x;
        mx_array *m = xf ? reduce_node(xf, MX_RED_MAX, mask, false, true, s) : NULL;
        mx_array *e = mx_exp(mx_subtract(xf, mx_stop_gradient(m, s), s), s);
        mx_array *den = e ? reduce_node(e, MX_RED_SUM, mask, false, true, s) : NULL;
        r = mx_astype(mx_divide(e, den, s), t, s);
    }
    return mx_scope_end(sc, r);
}
