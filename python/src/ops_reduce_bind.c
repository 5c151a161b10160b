/* python/src/ops_reduce_bind.c: module functions for reductions, scans, softmax, sorting,
 * gathers/scatters (take, take_along_axis, put_along_axis, slice, slice_update) and the matmul
 * family, with MLX's Python signatures. Entries whose C function is not in the library yet
 * (weak.h) are not registered. */
#include <string.h>

#include "mxpy.h"
#include "weak.h"

#define BEGIN(N)                                                                                   \
    const mxpy_op *op = MXPY_OP_OF(self);                                                          \
    PyObject *a[N];                                                                                \
    mx_stream s;                                                                                   \
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_stream(a[N - 1], &s) < 0) return NULL
#define ARRAY(x, o)                                                                                \
    mx_array *x = mxpy_to_array((o), MX_DTYPE_AUTO);                                               \
    if (!x) return NULL

/* ---- reductions ---- */
typedef mx_array *(*red_fn)(mx_array *, const int *, int, bool, mx_stream);
static PyObject *op_reduce(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(4);
    int axes[MX_MAX_DIMS], n;
    bool keep;
    if (mxpy_axes(a[1], axes, &n) < 0 || mxpy_bool(a[2], false, &keep) < 0) return NULL;
    ARRAY(x, a[0]);
    return mxpy_done(x, ((red_fn)op->fn)(x, n < 0 ? NULL : axes, n < 0 ? 0 : n, keep, s));
}

typedef mx_array *(*var_fn)(mx_array *, const int *, int, bool, int, mx_stream);
static PyObject *op_var(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(5);
    int axes[MX_MAX_DIMS], n, ddof;
    bool keep;
    if (mxpy_axes(a[1], axes, &n) < 0 || mxpy_bool(a[2], false, &keep) < 0 ||
        mxpy_opt_int(a[3], "ddof", 0, &ddof) < 0)
        return NULL;
    ARRAY(x, a[0]);
    return mxpy_done(x, ((var_fn)op->fn)(x, n < 0 ? NULL : axes, n < 0 ? 0 : n, keep, ddof, s));
}

typedef mx_array *(*arg_fn)(mx_array *, int, bool, bool, mx_stream);
static PyObject *op_argreduce(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(4);
    int ax;
    bool keep;
    if (mxpy_opt_int(a[1], "axis", 0, &ax) < 0 || mxpy_bool(a[2], false, &keep) < 0) return NULL;
    ARRAY(x, a[0]);
    return mxpy_done(x, ((arg_fn)op->fn)(x, ax, MXPY_ABSENT(a[1]), keep, s));
}

/* cumsum & co: (a, /, axis=None, *, reverse=False, inclusive=True, dtype=None, stream=None) */
typedef mx_array *(*scan_fn)(mx_array *, int, bool, bool, bool, mx_stream);
static PyObject *op_scan(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(6);
    int ax;
    bool rev, inc;
    mx_dtype t;
    if (mxpy_opt_int(a[1], "axis", 0, &ax) < 0 || mxpy_bool(a[2], false, &rev) < 0 ||
        mxpy_bool(a[3], true, &inc) < 0 || mxpy_dtype(a[4], MX_DTYPE_AUTO, &t) < 0)
        return NULL;
    ARRAY(x, a[0]);
    if (t != MX_DTYPE_AUTO) {
        mx_array *c = mx_astype(x, t, s);
        mx_array_release(x);
        if (!(x = c)) return mxpy_raise();
    }
    return mxpy_done(x, ((scan_fn)op->fn)(x, ax, MXPY_ABSENT(a[1]), rev, inc, s));
}
static PyObject *op_scan_nodtype(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(5);
    int ax;
    bool rev, inc;
    if (mxpy_opt_int(a[1], "axis", 0, &ax) < 0 || mxpy_bool(a[2], false, &rev) < 0 ||
        mxpy_bool(a[3], true, &inc) < 0)
        return NULL;
    ARRAY(x, a[0]);
    return mxpy_done(x, ((scan_fn)op->fn)(x, ax, MXPY_ABSENT(a[1]), rev, inc, s));
}

static PyObject *op_softmax(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(4);
    int axes[MX_MAX_DIMS], n;
    bool precise;
    if (mxpy_axes(a[1], axes, &n) < 0 || mxpy_bool(a[2], false, &precise) < 0) return NULL;
    ARRAY(x, a[0]);
    return mxpy_done(x, mx_softmax(x, n < 0 ? NULL : axes, n < 0 ? 0 : n, precise, s));
}

/* ---- sorting ---- */
typedef mx_array *(*sort_fn)(mx_array *, int, bool, mx_stream);
static PyObject *op_sort(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(3);
    int ax;
    if (mxpy_opt_int(a[1], "axis", -1, &ax) < 0) return NULL;
    ARRAY(x, a[0]);
    return mxpy_done(x, ((sort_fn)op->fn)(x, ax, a[1] == Py_None, s));
}

typedef mx_array *(*part_fn)(mx_array *, int, int, bool, mx_stream);
static PyObject *op_partition(PyObject *self, PyObject *args, PyObject *kw) { /* and topk */
    BEGIN(4);
    int k, ax;
    if (mxpy_opt_int(a[1], "kth", 0, &k) < 0 || mxpy_opt_int(a[2], "axis", -1, &ax) < 0) return NULL;
    ARRAY(x, a[0]);
    return mxpy_done(x, ((part_fn)op->fn)(x, k, ax, a[2] == Py_None, s));
}

static PyObject *op_searchsorted(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(4);
    const char *side = MXPY_ABSENT(a[2]) ? "left" : PyUnicode_AsUTF8(a[2]);
    if (!side) return NULL;
    bool right = side[0] == 'r';
    if (strcmp(side, "left") != 0 && strcmp(side, "right") != 0) {
        PyErr_SetString(PyExc_ValueError, "[searchsorted] side must be 'left' or 'right'");
        return NULL;
    }
    mx_array *x, *v;
    if (mxpy_to_arrays(a[0], a[1], &x, &v) < 0) return NULL;
    mx_array *r = mx_searchsorted(x, v, right, s);
    mx_array_release(v);
    return mxpy_done(x, r);
}

/* ---- gathers and scatters ---- */
typedef mx_array *(*take_fn)(mx_array *, mx_array *, int, bool, mx_stream);
static PyObject *op_take(PyObject *self, PyObject *args, PyObject *kw) { /* take_along_axis */
    BEGIN(4);
    int ax;
    if (mxpy_opt_int(a[2], "axis", 0, &ax) < 0) return NULL;
    ARRAY(x, a[0]);
    mx_array *i = mxpy_to_array(a[1], MX_DTYPE_AUTO);
    if (!i) return mxpy_fail_release(x);
    mx_array *r = ((take_fn)op->fn)(x, i, ax, MXPY_ABSENT(a[2]), s);
    mx_array_release(i);
    return mxpy_done(x, r);
}

static PyObject *op_put_along_axis(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(5);
    int ax;
    if (mxpy_opt_int(a[3], "axis", 0, &ax) < 0) return NULL;
    ARRAY(x, a[0]);
    mx_array *i = mxpy_to_array(a[1], MX_DTYPE_AUTO);
    mx_array *v = i ? mxpy_to_array_weak(a[2], mx_array_dtype(x)) : NULL;
    mx_array *r = v ? mx_put_along_axis(x, i, v, ax, MXPY_ABSENT(a[3]), s) : NULL;
    mx_array_release(i);
    mx_array_release(v);
    if (!v) return mxpy_fail_release(x);
    return mxpy_done(x, r);
}

static PyObject *op_slice(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(5);
    int axes[MX_MAX_DIMS], n, nd;
    int64_t size[MX_MAX_DIMS];
    if (mxpy_axes(a[2], axes, &n) < 0 || mxpy_shape(a[3], "slice_size", size, &nd) < 0) return NULL;
    ARRAY(x, a[0]);
    mx_array *st = mxpy_to_array(a[1], MX_DTYPE_AUTO);
    mx_array *r = st ? mx_slice_dynamic(x, st, axes, n < 0 ? 0 : n, size, s) : NULL;
    mx_array_release(st);
    if (!st) return mxpy_fail_release(x);
    return mxpy_done(x, r);
}

static PyObject *op_slice_update(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(5);
    int axes[MX_MAX_DIMS], n;
    if (mxpy_axes(a[3], axes, &n) < 0) return NULL;
    ARRAY(x, a[0]);
    mx_array *u = mxpy_to_array_weak(a[1], mx_array_dtype(x));
    mx_array *st = u ? mxpy_to_array(a[2], MX_DTYPE_AUTO) : NULL;
    mx_array *r = st ? mx_slice_update_dynamic(x, u, st, axes, n < 0 ? 0 : n, s) : NULL;
    mx_array_release(u);
    if (!st) return mxpy_fail_release(x);
    mx_array_release(st);
    return mxpy_done(x, r);
}

/* ---- matmul family ---- */
typedef mx_array *(*bin_fn)(mx_array *, mx_array *, mx_stream);
static PyObject *op_bin(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(3);
    mx_array *x, *y;
    if (mxpy_to_arrays(a[0], a[1], &x, &y) < 0) return NULL;
    mx_array *r = ((bin_fn)op->fn)(x, y, s);
    mx_array_release(y);
    return mxpy_done(x, r);
}

static PyObject *op_addmm(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(6);
    double alpha = 1, beta = 1;
    if ((a[3] && mxpy_double(a[3], "alpha", &alpha) < 0) || (a[4] && mxpy_double(a[4], "beta", &beta) < 0))
        return NULL;
    ARRAY(c, a[0]);
    mx_array *x, *y;
    if (mxpy_to_arrays(a[1], a[2], &x, &y) < 0) return mxpy_fail_release(c);
    mx_array *r = mx_addmm(c, x, y, alpha, beta, s);
    mx_array_release(x);
    mx_array_release(y);
    return mxpy_done(c, r);
}

static PyObject *op_tensordot(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(4);
    mx_array *x, *y, *r;
    if (mxpy_to_arrays(a[0], a[1], &x, &y) < 0) return NULL;
    PyObject *ax = a[2];
    if (MXPY_ABSENT(ax) || PyLong_Check(ax)) {
        int n = 2;
        if (!MXPY_ABSENT(ax) && mxpy_opt_int(ax, "axes", 2, &n) < 0) r = NULL;
        else r = mx_tensordot_n(x, y, n, s);
    } else {
        int aa[MX_MAX_DIMS], ab[MX_MAX_DIMS], na = -1, nb = -1;
        PyObject *f = PySequence_Fast(ax, "axes must be an int or a pair of axis lists");
        bool ok = f && PySequence_Fast_GET_SIZE(f) == 2 &&
                  mxpy_axes(PySequence_Fast_GET_ITEM(f, 0), aa, &na) == 0 &&
                  mxpy_axes(PySequence_Fast_GET_ITEM(f, 1), ab, &nb) == 0;
        Py_XDECREF(f);
        if (ok && na != nb) {
            PyErr_SetString(PyExc_ValueError, "[tensordot] axes lists must have the same length");
            ok = false;
        } else if (f && !ok && !PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "[tensordot] axes must be an int or a pair of axis lists");
        }
        r = ok ? mx_tensordot(x, y, aa, ab, na, s) : NULL;
        if (!ok) {
            mx_array_release(x);
            mx_array_release(y);
            return NULL;
        }
    }
    mx_array_release(y);
    if (!r && PyErr_Occurred()) return mxpy_fail_release(x);
    return mxpy_done(x, r);
}

static PyObject *op_vecdot(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(4);
    int ax;
    mx_array *x, *y;
    if (mxpy_opt_int(a[2], "axis", -1, &ax) < 0 || mxpy_to_arrays(a[0], a[1], &x, &y) < 0) return NULL;
    mx_array *r = mx_vecdot(x, y, ax, s);
    mx_array_release(y);
    return mxpy_done(x, r);
}

#define OP MXPY_OP
#define RED(name, fn) OP(name, op_reduce, "a, /, axis=, keepdims=, *, stream=", fn, \
                         name "(a, /, axis=None, keepdims=False, *, stream=None) -> array")
#define SCAN(name, fn) OP(name, op_scan, "a, /, axis=, *, reverse=, inclusive=, dtype=, stream=", fn, \
                          name "(a, /, axis=None, *, reverse=False, inclusive=True, dtype=None, stream=None) -> array")
static const mxpy_op reduce_ops[] = {
    RED("sum", mx_sum), RED("prod", mx_prod), RED("min", mx_min), RED("max", mx_max),
    RED("mean", mx_mean), RED("all", mx_all), RED("any", mx_any), RED("logsumexp", mx_logsumexp),
    OP("count_nonzero", op_reduce, "a, /, *, axis=, keepdims=, stream=", mx_count_nonzero,
       "count_nonzero(a, /, *, axis=None, keepdims=False, stream=None) -> array"),
    OP("var", op_var, "a, /, axis=, keepdims=, ddof=, *, stream=", mx_var,
       "var(a, /, axis=None, keepdims=False, ddof=0, *, stream=None) -> array"),
    OP("std", op_var, "a, /, axis=, keepdims=, ddof=, *, stream=", mx_std,
       "std(a, /, axis=None, keepdims=False, ddof=0, *, stream=None) -> array"),
    OP("argmin", op_argreduce, "a, /, axis=, keepdims=, *, stream=", mx_argmin,
       "argmin(a, /, axis=None, keepdims=False, *, stream=None) -> array"),
    OP("argmax", op_argreduce, "a, /, axis=, keepdims=, *, stream=", mx_argmax,
       "argmax(a, /, axis=None, keepdims=False, *, stream=None) -> array"),
    SCAN("cumsum", mx_cumsum), SCAN("cumprod", mx_cumprod), SCAN("cummax", mx_cummax),
    SCAN("cummin", mx_cummin), SCAN("cumulative_sum", mx_cumsum), SCAN("cumulative_prod", mx_cumprod),
    OP("logcumsumexp", op_scan_nodtype, "a, /, axis=, *, reverse=, inclusive=, stream=", mx_logcumsumexp,
       "logcumsumexp(a, /, axis=None, *, reverse=False, inclusive=True, stream=None) -> array"),
    OP("softmax", op_softmax, "a, /, axis=, *, precise=, stream=", mx_softmax,
       "softmax(a, /, axis=None, *, precise=False, stream=None) -> array"),
    OP("sort", op_sort, "a, /, axis=, *, stream=", mx_sort, "sort(a, /, axis=-1, *, stream=None) -> array"),
    OP("argsort", op_sort, "a, /, axis=, *, stream=", mx_argsort,
       "argsort(a, /, axis=-1, *, stream=None) -> array"),
    OP("partition", op_partition, "a, /, kth, axis=, *, stream=", mx_partition,
       "partition(a, /, kth, axis=-1, *, stream=None) -> array"),
    OP("argpartition", op_partition, "a, /, kth, axis=, *, stream=", mx_argpartition,
       "argpartition(a, /, kth, axis=-1, *, stream=None) -> array"),
    OP("topk", op_partition, "a, /, k, axis=, *, stream=", mx_topk,
       "topk(a, /, k, axis=-1, *, stream=None) -> array"),
    OP("searchsorted", op_searchsorted, "sorted_sequence, values, /, side=, *, stream=", mx_searchsorted,
       "searchsorted(sorted_sequence, values, /, side='left', *, stream=None) -> array"),
    OP("take", op_take, "a, /, indices, axis=, *, stream=", mx_take,
       "take(a, /, indices, axis=None, *, stream=None) -> array"),
    OP("take_along_axis", op_take, "a, /, indices, axis=, *, stream=", mx_take_along_axis,
       "take_along_axis(a, /, indices, axis=None, *, stream=None) -> array"),
    OP("put_along_axis", op_put_along_axis, "a, /, indices, values, axis=, *, stream=", mx_put_along_axis,
       "put_along_axis(a, /, indices, values, axis=None, *, stream=None) -> array"),
    OP("slice", op_slice, "a, start_indices, axes, slice_size, *, stream=", mx_slice_dynamic,
       "slice(a, start_indices, axes, slice_size, *, stream=None) -> array"),
    OP("slice_update", op_slice_update, "a, update, start_indices, axes, *, stream=", mx_slice_update_dynamic,
       "slice_update(a, update, start_indices, axes, *, stream=None) -> array"),
    OP("matmul", op_bin, "a, b, /, *, stream=", mx_matmul, "matmul(a, b, /, *, stream=None) -> array"),
    OP("inner", op_bin, "a, b, /, *, stream=", mx_inner, "inner(a, b, /, *, stream=None) -> array"),
    OP("outer", op_bin, "a, b, /, *, stream=", mx_outer, "outer(a, b, /, *, stream=None) -> array"),
    OP("kron", op_bin, "a, b, /, *, stream=", mx_kron, "kron(a, b, /, *, stream=None) -> array"),
    OP("addmm", op_addmm, "c, a, b, /, alpha=, beta=, *, stream=", mx_addmm,
       "addmm(c, a, b, /, alpha=1.0, beta=1.0, *, stream=None) -> array"),
    OP("tensordot", op_tensordot, "a, b, /, axes=, *, stream=", mx_tensordot_n,
       "tensordot(a, b, /, axes=2, *, stream=None) -> array"),
    OP("vecdot", op_vecdot, "a, b, /, *, axis=, stream=", mx_vecdot,
       "vecdot(a, b, /, *, axis=-1, stream=None) -> array"),
    {{NULL, NULL, 0, NULL}, NULL, NULL},
};

int mxpy_init_ops_reduce(PyObject *m) {
    if (mx_matmul) mxpy_set_matmul(mx_matmul);
    return mxpy_register_ops(m, reduce_ops);
}
