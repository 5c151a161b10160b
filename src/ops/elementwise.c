/* src/ops/elementwise.c: the public element-wise ops. Every line of unary.def / binary.def
 * becomes an op here (dtype rule, kind check, explicit broadcasting, node); composites (round with
 * decimals, clip, nan_to_num, divmod, logical_xor, degrees, radians) follow. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "ops_impl.h"

/* ---- generated unary ops ---- */
static mx_array *unary_op(int prim, mx_array *a, mx_stream s) {
    const mx_prim_info *pi = &mx_prims[prim];
    MX_ARG(a, pi->name);
    mx_dtype t = a->v.m.dtype;
    if (!(pi->rule == R_FLOAT && !mx_dtype_is_inexact(t)) && (pi->kinds & mx_dtype_kindbit(t))) {
        mx_dtype ot = pi->rule == R_BOOL ? MX_BOOL : (pi->rule == R_REAL && t == MX_COMPLEX64) ? MX_FLOAT32 : t;
        return mx_make_like(prim, NULL, 0, &a, 1, &a->v.m, ot, s); /* no cast: the node directly */
    }
    mx_scope sc = mx_scope_begin();
    mx_array *x = a;
    if (pi->rule == R_FLOAT && !mx_dtype_is_inexact(t)) {
        x = mx_astype(a, MX_FLOAT32, s);
        t = MX_FLOAT32;
    }
    mx_array *r = NULL;
    if (!(pi->kinds & mx_dtype_kindbit(t)))
        mx_fail(MX_ERR_VALUE, "[%s] not supported for %s", pi->name, DN(t));
    else if (x) {
        mx_dtype ot = pi->rule == R_BOOL ? MX_BOOL : (pi->rule == R_REAL && t == MX_COMPLEX64) ? MX_FLOAT32 : t;
        r = mx_make_like(prim, NULL, 0, &x, 1, &x->v.m, ot, s);
    }
    return mx_scope_end(sc, r);
}

#define MX_UNARY(ID, name, rule, kinds, fx, ix, cx)                                                \
    mx_array *mx_##name(mx_array *a, mx_stream s) { return unary_op(MX_PRIM_##ID, a, s); }
#define MX_PRIM(...)
#define MX_BINARY(...)
/* round takes `decimals`: its line gets a private name and the public one is below */
#define mx_round mx_round0
static mx_array *mx_round0(mx_array *a, mx_stream s);
#include "../prims/prims.def"
#undef mx_round
#undef MX_UNARY
#undef MX_BINARY

/* ---- generated binary ops ---- */
static mx_array *binary_op(int prim, mx_array *a, mx_array *b, mx_stream s) {
    const mx_prim_info *pi = &mx_prims[prim];
    MX_ARG(a, pi->name);
    MX_ARG(b, pi->name);
    mx_dtype t = mx_promote_types(a->v.m.dtype, b->v.m.dtype);
    if (pi->rule == R_FLOAT && !mx_dtype_is_inexact(t)) t = MX_FLOAT32;
    if (pi->rule == R_LOGIC) t = MX_BOOL;
    if (!(pi->kinds & mx_dtype_kindbit(t))) {
        mx_fail(MX_ERR_VALUE, "[%s] not supported for %s", pi->name, DN(t));
        return NULL;
    }
    mx_dtype ot = (pi->rule == R_BOOL || pi->rule == R_LOGIC) ? MX_BOOL : t;
    if (a->v.m.dtype == t && b->v.m.dtype == t && a->v.m.ndim == b->v.m.ndim &&
        memcmp(a->v.m.shape, b->v.m.shape, sizeof(int64_t) * (size_t)a->v.m.ndim) == 0) {
        mx_array *in[2] = {a, b}; /* nothing to cast or broadcast: the node directly */
        return mx_make_like(prim, NULL, 0, in, 2, &a->v.m, ot, s);
    }
    mx_scope sc = mx_scope_begin();
    mx_array *in[2] = {mx_astype(a, t, s), mx_astype(b, t, s)}, *bc[2] = {NULL, NULL};
    mx_array *r = NULL;
    if (in[0] && in[1] && mx_broadcast_n(pi->name, in, 2, bc, s) == MX_OK)
        r = mx_make_like(prim, NULL, 0, bc, 2, &bc[0]->v.m, ot, s);
    return mx_scope_end(sc, r);
}

#define MX_BINARY(ID, name, rule, kinds, fx, ix, cx)                                               \
    mx_array *mx_##name(mx_array *a, mx_array *b, mx_stream s) {                                   \
        return binary_op(MX_PRIM_##ID, a, b, s);                                                   \
    }
#define MX_UNARY(...)
#include "../prims/prims.def"
#undef MX_UNARY
#undef MX_BINARY
#undef MX_PRIM

/* ---- where, astype ---- */
mx_array *mx_where(mx_array *cond, mx_array *x, mx_array *y, mx_stream s) {
    MX_ARG(cond, "where");
    MX_ARG(x, "where");
    MX_ARG(y, "where");
    mx_dtype t = mx_promote_types(x->v.m.dtype, y->v.m.dtype);
    mx_scope sc = mx_scope_begin();
    mx_array *in[3] = {mx_astype(cond, MX_BOOL, s), mx_astype(x, t, s), mx_astype(y, t, s)};
    mx_array *bc[3] = {0}, *r = NULL;
    if (in[0] && in[1] && in[2] && mx_broadcast_n("where", in, 3, bc, s) == MX_OK)
        r = mx_make_like(MX_PRIM_WHERE, NULL, 0, bc, 3, &bc[1]->v.m, t, s);
    return mx_scope_end(sc, r);
}

mx_array *mx_astype(mx_array *a, mx_dtype dtype, mx_stream s) {
    MX_ARG(a, "astype");
    MX_CHECK_NULL(mx_dtype_valid((int)dtype), MX_ERR_VALUE, "[astype] invalid dtype %d",
                  (int)dtype);
    if (a->v.m.dtype == dtype) return mx_scope_track(mx_array_retain(a));
    return mx_make_like(MX_PRIM_ASTYPE, NULL, 0, &a, 1, &a->v.m, dtype, s);
}

/* ---- composites ---- */
static mx_array *scalar_like(double v, mx_array *a) { return mx_array_scalar_f64(v, a->v.m.dtype); }

mx_array *mx_round(mx_array *a, int decimals, mx_stream s) {
    MX_ARG(a, "round");
    if (decimals == 0 || !mx_dtype_is_float(a->v.m.dtype)) {
        if (decimals != 0 && !mx_dtype_is_float(a->v.m.dtype) && decimals > 0)
            return mx_scope_track(mx_array_retain(a));
        if (decimals == 0) return mx_round0(a, s);
    }
    mx_scope sc = mx_scope_begin();
    mx_array *x = mx_dtype_is_inexact(a->v.m.dtype) ? a : mx_astype(a, MX_FLOAT32, s);
    mx_array *f = x ? scalar_like(pow(10.0, decimals), x) : NULL;
    mx_array *r = mx_divide(mx_round0(mx_multiply(x, f, s), s), f, s);
    if (r && !mx_dtype_is_inexact(a->v.m.dtype)) r = mx_astype(r, a->v.m.dtype, s);
    return mx_scope_end(sc, r);
}

mx_array *mx_positive(mx_array *a, mx_stream s) {
    (void)s;
    MX_ARG(a, "positive");
    return mx_scope_track(mx_array_retain(a));
}

static mx_array *scale_op(mx_array *a, double f, const char *op, mx_stream s) {
    MX_ARG(a, op);
    mx_scope sc = mx_scope_begin();
    mx_array *x = mx_dtype_is_inexact(a->v.m.dtype) ? a : mx_astype(a, MX_FLOAT32, s);
    mx_array *r = x ? mx_multiply(x, scalar_like(f, x), s) : NULL;
    return mx_scope_end(sc, r);
}
mx_array *mx_degrees(mx_array *a, mx_stream s) { return scale_op(a, 180.0 / M_PI, "degrees", s); }
mx_array *mx_radians(mx_array *a, mx_stream s) { return scale_op(a, M_PI / 180.0, "radians", s); }

mx_array *mx_logical_xor(mx_array *a, mx_array *b, mx_stream s) {
    MX_ARG(a, "logical_xor");
    MX_ARG(b, "logical_xor");
    mx_scope sc = mx_scope_begin();
    mx_array *r = mx_not_equal(mx_astype(a, MX_BOOL, s), mx_astype(b, MX_BOOL, s), s);
    return mx_scope_end(sc, r);
}

mx_status mx_divmod(mx_array *a, mx_array *b, mx_stream s, mx_array **q, mx_array **r) {
    *q = mx_floor_divide(a, b, s);
    *r = *q ? mx_remainder(a, b, s) : NULL;
    if (!*r) {
        mx_array_release(*q);
        *q = NULL;
        return mx_error_status();
    }
    return MX_OK;
}

mx_array *mx_clip(mx_array *a, mx_array *a_min, mx_array *a_max, mx_stream s) {
    MX_ARG(a, "clip");
    MX_CHECK_NULL(a_min || a_max, MX_ERR_VALUE, "[clip] at most one of a_min and a_max may be None");
    mx_scope sc = mx_scope_begin();
    mx_array *r = a;
    if (a_min) r = mx_maximum(r, a_min, s);
    if (r && a_max) r = mx_minimum(r, a_max, s);
    if (r == a) r = mx_array_retain(a);
    return mx_scope_end(sc, r);
}

mx_array *mx_nan_to_num(mx_array *a, double nan, double posinf, double neginf, mx_stream s) {
    MX_ARG(a, "nan_to_num");
    mx_dtype t = a->v.m.dtype;
    if (!mx_dtype_is_float(t)) return mx_scope_track(mx_array_retain(a));
    double big = t == MX_FLOAT16 ? 65504.0 : t == MX_BFLOAT16 ? 3.3895313892515355e38
               : t == MX_FLOAT32 ? FLT_MAX : DBL_MAX;
    if (isnan(posinf)) posinf = big;
    if (isnan(neginf)) neginf = -big;
    mx_scope sc = mx_scope_begin();
    mx_array *r = mx_where(mx_isnan(a, s), scalar_like(nan, a), a, s);
    r = mx_where(mx_isposinf(a, s), scalar_like(posinf, a), r, s);
    r = mx_where(mx_isneginf(a, s), scalar_like(neginf, a), r, s);
    return mx_scope_end(sc, r);
}
