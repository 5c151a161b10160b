/* python/src/ops_bind.c: module functions for element-wise math and array creation (MLX's
 * ops.cpp), plus the registration of op tables shared by the other *_bind.c files.
 *
 * Unary and binary wrappers are generated from src/prims/unary.def and binary.def: one table
 * entry per line (name from the table), all calling one generic caller. Composites that are not
 * table lines (round with decimals, clip, where, nan_to_num, ...) and creation ops are written
 * out. Python signatures are MLX's: `add(a, b, /, *, stream=None)`, `zeros(shape, dtype=float32,
 * *, stream=None)`, `arange(start, stop, step, dtype=None)` / `arange(stop, step=None, ...)`. */
#include <math.h>
#include <string.h>

#include "mxpy.h"
#include "weak.h"

typedef mx_array *(*un_fn)(mx_array *, mx_stream);
typedef mx_array *(*bin_fn)(mx_array *, mx_array *, mx_stream);

int mxpy_register_ops(PyObject *m, const mxpy_op *ops) {
    PyObject *modname = PyModule_GetNameObject(m);
    if (!modname) return -1;
    int rc = 0;
    for (const mxpy_op *op = ops; op->def.ml_name; op++) {
        if (!op->fn) continue;
        PyObject *cap = PyCapsule_New((void *)op, NULL, NULL);
        PyObject *f = cap ? PyCFunction_NewEx((PyMethodDef *)&op->def, cap, modname) : NULL;
        Py_XDECREF(cap);
        if (!f || mxpy_add(m, op->def.ml_name, f) < 0) {
            rc = -1;
            break;
        }
    }
    Py_DECREF(modname);
    return rc;
}

/* ---- generic callers ---- */
static PyObject *call_unary(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[2];
    mx_stream s;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_stream(a[1], &s) < 0) return NULL;
    mx_array *x = mxpy_to_array(a[0], MX_DTYPE_AUTO);
    if (!x) return NULL;
    mx_array *r = ((un_fn)op->fn)(x, s);
    mx_array_release(x);
    return mxpy_wrap(r);
}

static PyObject *call_binary(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[3];
    mx_stream s;
    mx_array *x, *y;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_stream(a[2], &s) < 0 ||
        mxpy_to_arrays(a[0], a[1], &x, &y) < 0)
        return NULL;
    mx_array *r = ((bin_fn)op->fn)(x, y, s);
    mx_array_release(x);
    mx_array_release(y);
    return mxpy_wrap(r);
}

/* round's table line takes no decimals; the public op (below) does. */
static mx_array *round0(mx_array *a, mx_stream s) { return mx_round(a, 0, s); }

#define UN_SPEC  "a, /, *, stream="
#define BIN_SPEC "a, b, /, *, stream="
#define UN(name, fn, doc)                                                                          \
    MXPY_OP(name, call_unary, UN_SPEC, fn, name "(a, /, *, stream=None) -> array\n\n" doc)
#define BIN(name, fn, doc)                                                                         \
    MXPY_OP(name, call_binary, BIN_SPEC, fn,                                                       \
            name "(a, b, /, *, stream=None) -> array\n\n" doc                                      \
                 "\n\nArguments are arrays or Python scalars (weakly typed), broadcast together.")

#define mx_round round0
#define MX_PRIM(...)
#define MX_BINARY(...)
#define MX_UNARY(ID, name, rule, kinds, fx, ix, cx) UN(#name, mx_##name, "Element-wise " #name "."),
static const mxpy_op unary_ops[] = {
#include "prims/prims.def"
    UN("positive", mx_positive, "Element-wise positive (the input itself)."),
    UN("degrees", mx_degrees, "Convert angles from radians to degrees."),
    UN("radians", mx_radians, "Convert angles from degrees to radians."),
    UN("conjugate", mx_conj, "Element-wise complex conjugate (alias of conj)."),
    UN("acos", mx_arccos, "Alias of arccos."),
    UN("acosh", mx_arccosh, "Alias of arccosh."),
    UN("asin", mx_arcsin, "Alias of arcsin."),
    UN("asinh", mx_arcsinh, "Alias of arcsinh."),
    UN("atan", mx_arctan, "Alias of arctan."),
    UN("atanh", mx_arctanh, "Alias of arctanh."),
    UN("stop_gradient", mx_stop_gradient, "Stop gradients from flowing through the array."),
    {{NULL, NULL, 0, NULL}, NULL, NULL},
};
#undef MX_UNARY
#undef mx_round
#define MX_UNARY(...)
#undef MX_BINARY
#define MX_BINARY(ID, name, rule, kinds, fx, ix, cx) BIN(#name, mx_##name, "Element-wise " #name "."),
static const mxpy_op binary_ops[] = {
#include "prims/prims.def"
    BIN("logical_xor", mx_logical_xor, "Element-wise logical exclusive or."),
    BIN("atan2", mx_arctan2, "Alias of arctan2."),
    BIN("pow", mx_power, "Alias of power."),
    BIN("bitwise_left_shift", mx_left_shift, "Alias of left_shift."),
    BIN("bitwise_right_shift", mx_right_shift, "Alias of right_shift."),
    {{NULL, NULL, 0, NULL}, NULL, NULL},
};
#undef MX_UNARY
#undef MX_BINARY
#undef MX_PRIM

/* ---- element-wise composites ---- */
static PyObject *op_round(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[3];
    int64_t dec = 0;
    mx_stream s;
    if (MXPY_PARSE(op, args, kw, a) < 0 || (a[1] && mxpy_int(a[1], "decimals", &dec) < 0) ||
        mxpy_stream(a[2], &s) < 0)
        return NULL;
    mx_array *x = mxpy_to_array(a[0], MX_DTYPE_AUTO);
    if (!x) return NULL;
    mx_array *r = mx_round(x, (int)dec, s);
    mx_array_release(x);
    return mxpy_wrap(r);
}

static PyObject *op_nan_to_num(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[5];
    double nan = 0, pinf = NAN, ninf = NAN;
    mx_stream s;
    if (MXPY_PARSE(op, args, kw, a) < 0 || (!MXPY_ABSENT(a[1]) && mxpy_double(a[1], "nan", &nan) < 0) ||
        (!MXPY_ABSENT(a[2]) && mxpy_double(a[2], "posinf", &pinf) < 0) ||
        (!MXPY_ABSENT(a[3]) && mxpy_double(a[3], "neginf", &ninf) < 0) || mxpy_stream(a[4], &s) < 0)
        return NULL;
    mx_array *x = mxpy_to_array(a[0], MX_DTYPE_AUTO);
    if (!x) return NULL;
    mx_array *r = mx_nan_to_num(x, nan, pinf, ninf, s);
    mx_array_release(x);
    return mxpy_wrap(r);
}

static PyObject *op_where(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[4];
    mx_stream s;
    mx_array *c, *x, *y;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_stream(a[3], &s) < 0 ||
        mxpy_to_arrays(a[1], a[2], &x, &y) < 0)
        return NULL;
    c = mxpy_to_array(a[0], MX_DTYPE_AUTO);
    mx_array *r = c ? mx_where(c, x, y, s) : NULL;
    mx_array_release(c);
    mx_array_release(x);
    mx_array_release(y);
    return c ? mxpy_wrap(r) : NULL;
}

static PyObject *op_clip(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[4];
    mx_stream s;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_stream(a[3], &s) < 0) return NULL;
    if (MXPY_ABSENT(a[1]) && MXPY_ABSENT(a[2])) {
        PyErr_SetString(PyExc_ValueError, "At most one of a_min and a_max may be None");
        return NULL;
    }
    mx_array *x = mxpy_to_array(a[0], MX_DTYPE_AUTO), *lo = NULL, *hi = NULL, *r = NULL;
    if (!x) return NULL;
    mx_dtype t = mx_array_dtype(x);
    if (!MXPY_ABSENT(a[1])) lo = mxpy_to_array_weak(a[1], t);
    if (!MXPY_ABSENT(a[2])) hi = mxpy_to_array_weak(a[2], t);
    bool ok = (lo || MXPY_ABSENT(a[1])) && (hi || MXPY_ABSENT(a[2]));
    if (ok) r = mx_clip(x, lo, hi, s);
    mx_array_release(x);
    mx_array_release(lo);
    mx_array_release(hi);
    return ok ? mxpy_wrap(r) : NULL;
}

static PyObject *op_divmod(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[3];
    mx_stream s;
    mx_array *x, *y, *q, *r;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_stream(a[2], &s) < 0 ||
        mxpy_to_arrays(a[0], a[1], &x, &y) < 0)
        return NULL;
    mx_status st = mx_divmod(x, y, s, &q, &r);
    mx_array_release(x);
    mx_array_release(y);
    if (st != MX_OK) return mxpy_raise();
    return Py_BuildValue("(NN)", mxpy_wrap(q), mxpy_wrap(r));
}

static PyObject *op_astype(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[3];
    mx_dtype t;
    mx_stream s;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_dtype(a[1], MX_FLOAT32, &t) < 0 ||
        mxpy_stream(a[2], &s) < 0)
        return NULL;
    mx_array *x = mxpy_to_array(a[0], MX_DTYPE_AUTO);
    if (!x) return NULL;
    mx_array *r = mx_astype(x, t, s);
    mx_array_release(x);
    return mxpy_wrap(r);
}

/* isclose: |a - b| <= atol + rtol * |b|, plus equal infinities and (equal_nan) NaN pairs. */
static mx_array *isclose(mx_array *x, mx_array *y, double rtol, double atol, bool equal_nan,
                         mx_stream s) {
    mx_scope sc = mx_scope_begin();
    mx_dtype t = mx_promote_types(mx_array_dtype(x), mx_array_dtype(y));
    if (!mx_dtype_is_inexact(t)) t = MX_FLOAT32;
    mx_array *xa = mx_astype(x, t, s), *ya = mx_astype(y, t, s);
    mx_array *tol = mx_add(mx_array_scalar_f64(atol, MX_FLOAT32),
                           mx_multiply(mx_array_scalar_f64(rtol, MX_FLOAT32), mx_abs(ya, s), s), s);
    mx_array *r = mx_less_equal(mx_abs(mx_subtract(xa, ya, s), s), tol, s);
    r = mx_logical_or(r, mx_equal(xa, ya, s), s); /* equal infinities */
    if (equal_nan)
        r = mx_logical_or(r, mx_logical_and(mx_isnan(xa, s), mx_isnan(ya, s), s), s);
    return mx_scope_end(sc, r);
}

static PyObject *op_isclose(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[6];
    double rtol = 1e-5, atol = 1e-8;
    bool en;
    mx_stream s;
    mx_array *x, *y;
    if (MXPY_PARSE(op, args, kw, a) < 0 || (a[2] && mxpy_double(a[2], "rtol", &rtol) < 0) ||
        (a[3] && mxpy_double(a[3], "atol", &atol) < 0) || mxpy_bool(a[4], false, &en) < 0 ||
        mxpy_stream(a[5], &s) < 0 || mxpy_to_arrays(a[0], a[1], &x, &y) < 0)
        return NULL;
    mx_array *r = isclose(x, y, rtol, atol, en, s);
    if (r && op->fn == (mxpy_fn)mx_all) { /* allclose */
        mx_array *all = mx_all(r, NULL, 0, false, s);
        mx_array_release(r);
        r = all;
    }
    mx_array_release(x);
    mx_array_release(y);
    return mxpy_wrap(r);
}

static PyObject *op_array_equal(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[4];
    bool en;
    mx_stream s;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_bool(a[2], false, &en) < 0 ||
        mxpy_stream(a[3], &s) < 0)
        return NULL;
    mx_array *x = mxpy_to_array(a[0], MX_DTYPE_AUTO), *y = x ? mxpy_to_array(a[1], MX_DTYPE_AUTO) : NULL;
    if (!y) {
        mx_array_release(x);
        return NULL;
    }
    mx_array *r;
    bool same = mx_array_ndim(x) == mx_array_ndim(y);
    for (int i = 0; same && i < mx_array_ndim(x); i++)
        same = mx_array_shape(x)[i] == mx_array_shape(y)[i];
    if (!same) {
        r = mx_array_scalar_bool(false);
    } else {
        mx_scope sc = mx_scope_begin();
        mx_array *e = mx_equal(x, y, s);
        if (en) e = mx_logical_or(e, mx_logical_and(mx_isnan(x, s), mx_isnan(y, s), s), s);
        r = mx_scope_end(sc, mx_all(e, NULL, 0, false, s));
    }
    mx_array_release(x);
    mx_array_release(y);
    return mxpy_wrap(r);
}

/* ---- creation ---- */
static PyObject *op_fill(PyObject *self, PyObject *args, PyObject *kw) { /* zeros, ones */
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[3];
    int64_t shape[MX_MAX_DIMS];
    int nd;
    mx_dtype t;
    mx_stream s;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_shape(a[0], "shape", shape, &nd) < 0 ||
        mxpy_dtype(a[1], MX_FLOAT32, &t) < 0 || mxpy_stream(a[2], &s) < 0)
        return NULL;
    typedef mx_array *(*fill_fn)(const int64_t *, int, mx_dtype, mx_stream);
    return mxpy_wrap(((fill_fn)op->fn)(shape, nd, t, s));
}

static PyObject *op_full(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[4];
    int64_t shape[MX_MAX_DIMS];
    int nd;
    mx_dtype t;
    mx_stream s;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_shape(a[0], "shape", shape, &nd) < 0 ||
        mxpy_dtype(a[2], MX_DTYPE_AUTO, &t) < 0 || mxpy_stream(a[3], &s) < 0)
        return NULL;
    mx_array *v = mxpy_to_array(a[1], t);
    if (!v) return NULL;
    mx_array *r = mx_full(shape, nd, v, t, s);
    mx_array_release(v);
    return mxpy_wrap(r);
}

static PyObject *op_like(PyObject *self, PyObject *args, PyObject *kw) { /* zeros_like, ones_like */
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[3];
    mx_dtype t;
    mx_stream s;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_dtype(a[1], MX_DTYPE_AUTO, &t) < 0 ||
        mxpy_stream(a[2], &s) < 0)
        return NULL;
    mx_array *x = mxpy_to_array(a[0], MX_DTYPE_AUTO);
    if (!x) return NULL;
    typedef mx_array *(*like_fn)(mx_array *, mx_dtype, mx_stream);
    mx_array *r = ((like_fn)op->fn)(x, t, s);
    mx_array_release(x);
    return mxpy_wrap(r);
}

static PyObject *op_full_like(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[4];
    mx_dtype t;
    mx_stream s;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_dtype(a[2], MX_DTYPE_AUTO, &t) < 0 ||
        mxpy_stream(a[3], &s) < 0)
        return NULL;
    mx_array *x = mxpy_to_array(a[0], MX_DTYPE_AUTO);
    mx_array *v = x ? mxpy_to_array_weak(a[1], t == MX_DTYPE_AUTO ? mx_array_dtype(x) : t) : NULL;
    mx_array *r = v ? mx_full_like(x, v, t, s) : NULL;
    mx_array_release(x);
    mx_array_release(v);
    return v ? mxpy_wrap(r) : NULL;
}

static int is_float_arg(PyObject *o) {
    return o && (PyFloat_Check(o) || (MXPY_IS_ARRAY(o) && mx_dtype_is_inexact(mx_array_dtype(MXPY_ARR(o)))));
}

static PyObject *op_arange(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[5], *start = NULL, *stop = NULL, *step = NULL;
    mx_dtype t;
    mx_stream s;
    /* arange(start, stop, step, dtype) or arange(stop, step=None, dtype); start/stop/step may also
     * be keywords */
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_stream(a[4], &s) < 0) return NULL;
    Py_ssize_t npos = PyTuple_GET_SIZE(args);
    PyObject *kstep = kw ? PyDict_GetItemString(kw, "step") : NULL;
    if (npos == 1 && (!kw || !PyDict_GetItemString(kw, "stop"))) {
        stop = a[0], step = kstep;
    } else {
        start = a[0], stop = a[1], step = a[2];
    }
    if (MXPY_ABSENT(stop)) {
        PyErr_SetString(PyExc_TypeError, "arange() missing required argument 'stop'");
        return NULL;
    }
    bool fl = is_float_arg(start) || is_float_arg(stop) || is_float_arg(step);
    if (mxpy_dtype(a[3], fl ? MX_FLOAT32 : MX_INT32, &t) < 0) return NULL;
    double b = 0, e, st = 1;
    if ((!MXPY_ABSENT(start) && mxpy_double(start, "start", &b) < 0) || mxpy_double(stop, "stop", &e) < 0 ||
        (!MXPY_ABSENT(step) && mxpy_double(step, "step", &st) < 0))
        return NULL;
    return mxpy_wrap(mx_arange(b, e, st, t, s));
}

static PyObject *op_linspace(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[6];
    double b, e;
    int64_t n = 50;
    bool ep;
    mx_dtype t;
    mx_stream s;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_double(a[0], "start", &b) < 0 ||
        mxpy_double(a[1], "stop", &e) < 0 || (a[2] && mxpy_int(a[2], "num", &n) < 0) ||
        mxpy_bool(a[3], true, &ep) < 0 || mxpy_dtype(a[4], MX_FLOAT32, &t) < 0 ||
        mxpy_stream(a[5], &s) < 0)
        return NULL;
    return mxpy_wrap(mx_linspace(b, e, n, ep, t, s));
}

static PyObject *op_eye(PyObject *self, PyObject *args, PyObject *kw) { /* eye, tri */
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[5];
    int64_t n, m, k = 0;
    mx_dtype t;
    mx_stream s;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_int(a[0], "n", &n) < 0 ||
        (!MXPY_ABSENT(a[1]) && mxpy_int(a[1], "m", &m) < 0) || (a[2] && mxpy_int(a[2], "k", &k) < 0) ||
        mxpy_dtype(a[3], MX_FLOAT32, &t) < 0 || mxpy_stream(a[4], &s) < 0)
        return NULL;
    if (MXPY_ABSENT(a[1])) m = n;
    typedef mx_array *(*eye_fn)(int64_t, int64_t, int, mx_dtype, mx_stream);
    return mxpy_wrap(((eye_fn)op->fn)(n, m, (int)k, t, s));
}

static PyObject *op_identity(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[3];
    int64_t n;
    mx_dtype t;
    mx_stream s;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_int(a[0], "n", &n) < 0 ||
        mxpy_dtype(a[1], MX_FLOAT32, &t) < 0 || mxpy_stream(a[2], &s) < 0)
        return NULL;
    return mxpy_wrap(mx_identity(n, t, s));
}

static PyObject *op_window(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[2];
    int64_t n;
    mx_stream s;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_int(a[0], "M", &n) < 0 || mxpy_stream(a[1], &s) < 0)
        return NULL;
    typedef mx_array *(*win_fn)(int64_t, mx_stream);
    return mxpy_wrap(((win_fn)op->fn)(n, s));
}

static PyObject *op_asarray(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[3];
    mx_dtype t;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_dtype(a[1], MX_DTYPE_AUTO, &t) < 0) return NULL;
    mx_array *x = mxpy_to_array(a[0], t);
    return x ? mxpy_wrap(x) : NULL;
}

/* diff: a[1:] - a[:-1] along axis, n times (NumPy's diff). */
static PyObject *op_diff(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[4];
    int64_t n = 1, ax = -1;
    mx_stream s;
    if (MXPY_PARSE(op, args, kw, a) < 0 || (a[1] && mxpy_int(a[1], "n", &n) < 0) ||
        (a[2] && mxpy_int(a[2], "axis", &ax) < 0) || mxpy_stream(a[3], &s) < 0)
        return NULL;
    mx_array *x = mxpy_to_array(a[0], MX_DTYPE_AUTO);
    if (!x) return NULL;
    int nd = mx_array_ndim(x);
    if (n < 0 || nd == 0 || ax < -nd || ax >= nd) {
        mx_array_release(x);
        PyErr_SetString(PyExc_ValueError, n < 0 ? "[diff] order must be non-negative"
                                                : "[diff] axis is out of bounds for the array");
        return NULL;
    }
    if (ax < 0) ax += nd;
    mx_scope sc = mx_scope_begin();
    mx_array *r = x;
    for (int64_t k = 0; r && k < n && mx_array_shape(r)[ax] > 0; k++) {
        int64_t b0[MX_MAX_DIMS], e0[MX_MAX_DIMS], b1[MX_MAX_DIMS], e1[MX_MAX_DIMS];
        for (int d = 0; d < nd; d++) b0[d] = e0[d] = b1[d] = e1[d] = MX_SLICE_NONE;
        b1[ax] = 1, e0[ax] = -1;
        mx_array *hi = mx_slice(r, b1, e1, NULL, s), *lo = mx_slice(r, b0, e0, NULL, s);
        r = mx_array_dtype(r) == MX_BOOL ? mx_not_equal(hi, lo, s) : mx_subtract(hi, lo, s);
    }
    if (r == x) r = mx_array_retain(x);
    r = mx_scope_end(sc, r);
    mx_array_release(x);
    return mxpy_wrap(r);
}

#define OP(name, call, spec, fn, doc) MXPY_OP(name, call, spec, fn, doc)
static const mxpy_op other_ops[] = {
    OP("round", op_round, "a, /, decimals=, *, stream=", mx_round,
       "round(a, /, decimals=0, *, stream=None) -> array\n\nRound to the given decimals (half to even)."),
    OP("nan_to_num", op_nan_to_num, "a, nan=, posinf=, neginf=, *, stream=", mx_nan_to_num,
       "nan_to_num(a, nan=0, posinf=None, neginf=None, *, stream=None) -> array\n\nReplace NaN and infinities."),
    OP("where", op_where, "condition, x, y, /, *, stream=", mx_where,
       "where(condition, x, y, /, *, stream=None) -> array\n\nSelect from x where condition, else y."),
    OP("clip", op_clip, "a, /, a_min, a_max, *, stream=", mx_clip,
       "clip(a, /, a_min, a_max, *, stream=None) -> array\n\nClip values to [a_min, a_max]."),
    OP("divmod", op_divmod, BIN_SPEC, mx_divmod,
       "divmod(a, b, /, *, stream=None) -> tuple\n\nfloor_divide and remainder together."),
    OP("astype", op_astype, "a, dtype, /, *, stream=", mx_astype,
       "astype(a, dtype, /, *, stream=None) -> array\n\nConvert to dtype."),
    OP("isclose", op_isclose, "a, b, /, rtol=, atol=, *, equal_nan=, stream=", mx_equal,
       "isclose(a, b, /, rtol=1e-05, atol=1e-08, *, equal_nan=False, stream=None) -> array"),
    OP("allclose", op_isclose, "a, b, /, rtol=, atol=, *, equal_nan=, stream=", mx_all,
       "allclose(a, b, /, rtol=1e-05, atol=1e-08, *, equal_nan=False, stream=None) -> array"),
    OP("array_equal", op_array_equal, "a, b, /, equal_nan=, *, stream=", mx_all,
       "array_equal(a, b, /, equal_nan=False, *, stream=None) -> array\n\nSame shape and values."),
    OP("asarray", op_asarray, "a, dtype=, *, copy=", mx_astype,
       "asarray(a, dtype=None, *, copy=None) -> array\n\nConvert the input to an array."),
    OP("diff", op_diff, "a, /, n=, axis=, *, stream=", mx_subtract,
       "diff(a, /, n=1, axis=-1, *, stream=None) -> array\n\nn-th discrete difference along axis."),
    OP("zeros", op_fill, "shape, dtype=, *, stream=", mx_zeros,
       "zeros(shape, dtype=float32, *, stream=None) -> array"),
    OP("empty", op_fill, "shape, dtype=, *, stream=", mx_zeros,
       "empty(shape, dtype=float32, *, stream=None) -> array\n\nAlias of zeros."),
    OP("ones", op_fill, "shape, dtype=, *, stream=", mx_ones,
       "ones(shape, dtype=float32, *, stream=None) -> array"),
    OP("full", op_full, "shape, vals, dtype=, *, stream=", mx_full,
       "full(shape, vals, dtype=None, *, stream=None) -> array"),
    OP("zeros_like", op_like, "a, /, dtype=, *, stream=", mx_zeros_like,
       "zeros_like(a, /, dtype=None, *, stream=None) -> array"),
    OP("empty_like", op_like, "a, /, dtype=, *, stream=", mx_zeros_like,
       "empty_like(a, /, dtype=None, *, stream=None) -> array\n\nAlias of zeros_like."),
    OP("ones_like", op_like, "a, /, dtype=, *, stream=", mx_ones_like,
       "ones_like(a, /, dtype=None, *, stream=None) -> array"),
    OP("full_like", op_full_like, "a, /, vals, dtype=, *, stream=", mx_full_like,
       "full_like(a, /, vals, dtype=None, *, stream=None) -> array"),
    OP("arange", op_arange, "start=, stop=, step=, dtype=, *, stream=", mx_arange,
       "arange(start, stop, step, dtype=None, *, stream=None) -> array\n"
       "arange(stop, step=None, dtype=None, *, stream=None) -> array\n\n"
       "Evenly spaced values in [start, stop); int32 unless an argument is a float."),
    OP("linspace", op_linspace, "start, stop, num=, endpoint=, dtype=, *, stream=", mx_linspace,
       "linspace(start, stop, num=50, endpoint=True, dtype=float32, *, stream=None) -> array"),
    OP("eye", op_eye, "n, m=, k=, dtype=, *, stream=", mx_eye,
       "eye(n, m=None, k=0, dtype=float32, *, stream=None) -> array"),
    OP("tri", op_eye, "n, m=, k=, dtype=, *, stream=", mx_tri,
       "tri(n, m=None, k=0, dtype=float32, *, stream=None) -> array"),
    OP("identity", op_identity, "n, dtype=, *, stream=", mx_identity,
       "identity(n, dtype=float32, *, stream=None) -> array"),
    OP("bartlett", op_window, "M, *, stream=", mx_bartlett, "bartlett(M, *, stream=None) -> array"),
    OP("hanning", op_window, "M, *, stream=", mx_hanning, "hanning(M, *, stream=None) -> array"),
    OP("hamming", op_window, "M, *, stream=", mx_hamming, "hamming(M, *, stream=None) -> array"),
    OP("blackman", op_window, "M, *, stream=", mx_blackman, "blackman(M, *, stream=None) -> array"),
    {{NULL, NULL, 0, NULL}, NULL, NULL},
};

int mxpy_init_ops(PyObject *m) {
    if (mxpy_register_ops(m, unary_ops) < 0 || mxpy_register_ops(m, binary_ops) < 0 ||
        mxpy_register_ops(m, other_ops) < 0)
        return -1;
    /* constants */
    if (PyModule_AddObject(m, "pi", PyFloat_FromDouble(M_PI)) < 0 ||
        PyModule_AddObject(m, "e", PyFloat_FromDouble(M_E)) < 0 ||
        PyModule_AddObject(m, "euler_gamma", PyFloat_FromDouble(0.5772156649015329)) < 0 ||
        PyModule_AddObject(m, "inf", PyFloat_FromDouble(INFINITY)) < 0 ||
        PyModule_AddObject(m, "nan", PyFloat_FromDouble(NAN)) < 0)
        return -1;
    Py_INCREF(Py_None);
    return PyModule_AddObject(m, "newaxis", Py_None);
}
