/* python/src/ops_shape_bind.c: module functions for shape and layout ops (reshape, transpose,
 * squeeze, concatenate, split, pad, ...) with MLX's Python signatures. Ops whose C function is
 * not in the library yet (weak.h) are simply not registered. */
#include <string.h>

#include "mxpy.h"
#include "weak.h"

/* Parse into a[N] (the last slot is stream=) and resolve the stream. */
#define BEGIN(N)                                                                                   \
    const mxpy_op *op = MXPY_OP_OF(self);                                                          \
    PyObject *a[N];                                                                                \
    mx_stream s;                                                                                   \
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_stream(a[N - 1], &s) < 0) return NULL
#define ARRAY0(x)                                                                                  \
    mx_array *x = mxpy_to_array(a[0], MX_DTYPE_AUTO);                                              \
    if (!x) return NULL


static PyObject *op_reshape(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(3);
    int64_t sh[MX_MAX_DIMS];
    int nd;
    if (mxpy_shape(a[1], "shape", sh, &nd) < 0) return NULL;
    ARRAY0(x);
    return mxpy_done(x, mx_reshape(x, sh, nd, s));
}

static PyObject *op_flatten(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(4);
    int st, en;
    if (mxpy_opt_int(a[1], "start_axis", 0, &st) < 0 || mxpy_opt_int(a[2], "end_axis", -1, &en) < 0) return NULL;
    ARRAY0(x);
    return mxpy_done(x, mx_flatten(x, st, en, s));
}

static PyObject *op_unflatten(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(4);
    int ax, nd;
    int64_t sh[MX_MAX_DIMS];
    if (mxpy_opt_int(a[1], "axis", 0, &ax) < 0 || mxpy_shape(a[2], "shape", sh, &nd) < 0) return NULL;
    ARRAY0(x);
    return mxpy_done(x, mx_unflatten(x, ax, sh, nd, s));
}

/* f(a, axes, naxes, s) with axis=None meaning NULL: squeeze, flip, transpose. */
typedef mx_array *(*axes_fn)(mx_array *, const int *, int, mx_stream);
static PyObject *op_axes(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(3);
    int axes[MX_MAX_DIMS], n;
    if (mxpy_axes(a[1], axes, &n) < 0) return NULL;
    ARRAY0(x);
    return mxpy_done(x, ((axes_fn)op->fn)(x, n < 0 ? NULL : axes, n < 0 ? 0 : n, s));
}

static PyObject *op_expand_dims(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(3);
    int axes[MX_MAX_DIMS], n;
    if (mxpy_axes(a[1], axes, &n) < 0) return NULL;
    ARRAY0(x);
    return mxpy_done(x, mx_expand_dims(x, axes, n, s));
}

static PyObject *op_broadcast_to(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(3);
    int64_t sh[MX_MAX_DIMS];
    int nd;
    if (mxpy_shape(a[1], "shape", sh, &nd) < 0) return NULL;
    ARRAY0(x);
    return mxpy_done(x, mx_broadcast_to(x, sh, nd, s));
}

static PyObject *op_as_strided(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(5);
    int64_t sh[MX_MAX_DIMS], st[MX_MAX_DIMS], off = 0;
    int nd = 0, ns = 0;
    if ((!MXPY_ABSENT(a[1]) && mxpy_shape(a[1], "shape", sh, &nd) < 0) ||
        (!MXPY_ABSENT(a[2]) && mxpy_shape(a[2], "strides", st, &ns) < 0) ||
        (!MXPY_ABSENT(a[3]) && mxpy_int(a[3], "offset", &off) < 0))
        return NULL;
    if (!MXPY_ABSENT(a[2]) && (MXPY_ABSENT(a[1]) || ns != nd)) {
        PyErr_SetString(PyExc_ValueError, "[as_strided] strides must have one entry per dimension of shape");
        return NULL;
    }
    ARRAY0(x);
    return mxpy_done(x, mx_as_strided(x, MXPY_ABSENT(a[1]) ? NULL : sh, MXPY_ABSENT(a[2]) ? NULL : st,
                                 nd, off, s));
}

static PyObject *op_view(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(3);
    mx_dtype t;
    if (mxpy_dtype(a[1], MX_FLOAT32, &t) < 0) return NULL;
    ARRAY0(x);
    return mxpy_done(x, mx_view(x, t, s));
}

static PyObject *op_moveaxis(PyObject *self, PyObject *args, PyObject *kw) { /* also swapaxes */
    BEGIN(4);
    int p, q;
    if (mxpy_opt_int(a[1], "axis", 0, &p) < 0 || mxpy_opt_int(a[2], "axis", 0, &q) < 0) return NULL;
    ARRAY0(x);
    typedef mx_array *(*two_fn)(mx_array *, int, int, mx_stream);
    return mxpy_done(x, ((two_fn)op->fn)(x, p, q, s));
}

static PyObject *op_concatenate(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(3);
    int ax = 0;
    mx_array **v;
    int n;
    if ((a[1] != Py_None && mxpy_opt_int(a[1], "axis", 0, &ax) < 0) || mxpy_to_array_list(a[0], &v, &n) < 0)
        return NULL;
    mx_array *r = mx_concatenate(v, n, ax, a[1] == Py_None, s);
    mxpy_free_arrays(v, n);
    return mxpy_wrap(r);
}

static PyObject *op_stack(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(3);
    int ax;
    mx_array **v;
    int n;
    if (mxpy_opt_int(a[1], "axis", 0, &ax) < 0 || mxpy_to_array_list(a[0], &v, &n) < 0) return NULL;
    mx_array *r = mx_stack(v, n, ax, s);
    mxpy_free_arrays(v, n);
    return mxpy_wrap(r);
}

static PyObject *op_split(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(4);
    int ax, sections = 0, ni = 0;
    int64_t idx[256];
    if (mxpy_opt_int(a[2], "axis", 0, &ax) < 0) return NULL;
    PyObject *ios = a[1];
    if (PyLong_Check(ios)) {
        if (mxpy_opt_int(ios, "indices_or_sections", 0, &sections) < 0) return NULL;
    } else {
        PyObject *f = PySequence_Fast(ios, "indices_or_sections must be an int or a sequence");
        if (!f) return NULL;
        ni = (int)PySequence_Fast_GET_SIZE(f);
        for (int i = 0; i < ni && i < 256; i++)
            if (mxpy_int(PySequence_Fast_GET_ITEM(f, i), "index", &idx[i]) < 0) {
                Py_DECREF(f);
                return NULL;
            }
        Py_DECREF(f);
        if (ni > 255) {
            PyErr_SetString(PyExc_ValueError, "[split] too many split points");
            return NULL;
        }
    }
    ARRAY0(x);
    int cap = sections > 0 ? sections : ni + 1, n = 0;
    mx_array **out = PyMem_Calloc((size_t)(cap > 0 ? cap : 1), sizeof *out);
    if (!out) {
        mx_array_release(x);
        return PyErr_NoMemory();
    }
    mx_status st = mx_split(x, sections > 0 || ni == 0 ? NULL : idx, ni, sections, ax, s, out, &n);
    mx_array_release(x);
    PyObject *r = st == MX_OK ? mxpy_wrap_list(out, n) : mxpy_raise();
    PyMem_Free(out);
    return r;
}

static PyObject *op_unstack(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(3);
    int ax, n = 0;
    if (mxpy_opt_int(a[1], "axis", 0, &ax) < 0) return NULL;
    ARRAY0(x);
    int64_t cap = mx_array_ndim(x) > 0 && ax >= -mx_array_ndim(x) && ax < mx_array_ndim(x)
                      ? mx_array_dim(x, ax) : 1;
    mx_array **out = PyMem_Calloc((size_t)(cap > 0 ? cap : 1), sizeof *out);
    if (!out) {
        mx_array_release(x);
        return PyErr_NoMemory();
    }
    mx_status st = mx_unstack(x, ax, s, out, &n);
    mx_array_release(x);
    PyObject *r = st == MX_OK ? mxpy_wrap_list(out, n) : mxpy_raise();
    PyMem_Free(out);
    return r;
}

static PyObject *op_repeat(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(4);
    int64_t rep;
    int ax = 0;
    if (mxpy_int(a[1], "repeats", &rep) < 0 || mxpy_opt_int(a[2], "axis", 0, &ax) < 0) return NULL;
    ARRAY0(x);
    return mxpy_done(x, mx_repeat(x, rep, ax, MXPY_ABSENT(a[2]), s));
}

static PyObject *op_tile(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(3);
    int64_t reps[MX_MAX_DIMS];
    int n;
    if (mxpy_shape(a[1], "reps", reps, &n) < 0) return NULL;
    ARRAY0(x);
    return mxpy_done(x, mx_tile(x, reps, n, s));
}

/* pad_width: int, (before, after), or one (before, after) per axis. */
static PyObject *op_pad(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(5);
    ARRAY0(x);
    int nd = mx_array_ndim(x);
    int64_t pw[2 * MX_MAX_DIMS];
    PyObject *w = a[1];
    int64_t b, e;
    if (PyIndex_Check(w) && !PyFloat_Check(w)) {
        if (mxpy_int(w, "pad_width", &b) < 0) return mxpy_fail_release(x);
        for (int d = 0; d < nd; d++) pw[2 * d] = pw[2 * d + 1] = b;
    } else {
        PyObject *f = PySequence_Fast(w, "pad_width must be an int or a sequence");
        if (!f) return mxpy_fail_release(x);
        Py_ssize_t n = PySequence_Fast_GET_SIZE(f);
        int ok = 0;
        PyObject *f0 = n > 0 ? PySequence_Fast_GET_ITEM(f, 0) : NULL;
        if (n == 2 && PyIndex_Check(f0)) { /* (before, after) for every axis */
            ok = mxpy_int(f0, "pad_width", &b) == 0 &&
                 mxpy_int(PySequence_Fast_GET_ITEM(f, 1), "pad_width", &e) == 0;
            for (int d = 0; ok && d < nd; d++) pw[2 * d] = b, pw[2 * d + 1] = e;
        } else if (n == 1 || n == nd) {
            ok = 1;
            for (int d = 0; ok && d < nd; d++) {
                int64_t v[2];
                int k;
                PyObject *it = PySequence_Fast_GET_ITEM(f, n == 1 ? 0 : d);
                ok = mxpy_shape(it, "pad_width", v, &k) == 0;
                if (ok && k == 1) v[1] = v[0], k = 2;
                if (ok && k != 2) {
                    PyErr_SetString(PyExc_ValueError, "[pad] invalid pad_width");
                    ok = 0;
                }
                if (ok) pw[2 * d] = v[0], pw[2 * d + 1] = v[1];
            }
        } else {
            PyErr_SetString(PyExc_ValueError, "[pad] pad_width must have one (before, after) per axis");
        }
        Py_DECREF(f);
        if (!ok) return mxpy_fail_release(x);
    }
    const char *mode = MXPY_ABSENT(a[2]) ? "constant" : PyUnicode_AsUTF8(a[2]);
    if (!mode) return mxpy_fail_release(x);
    mx_array *cv = MXPY_ABSENT(a[3]) ? NULL : mxpy_to_array_weak(a[3], mx_array_dtype(x));
    if (!MXPY_ABSENT(a[3]) && !cv) return mxpy_fail_release(x);
    mx_array *r = mx_pad(x, pw, mode, cv, s);
    mx_array_release(cv);
    return mxpy_done(x, r);
}

static PyObject *op_roll(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(4);
    int64_t shift[MX_MAX_DIMS];
    int ns, axes[MX_MAX_DIMS], na;
    if (mxpy_shape(a[1], "shift", shift, &ns) < 0 || mxpy_axes(a[2], axes, &na) < 0) return NULL;
    ARRAY0(x);
    return mxpy_done(x, mx_roll(x, shift, ns, na < 0 ? NULL : axes, na < 0 ? 0 : na, s));
}

static PyObject *op_diagonal(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(5);
    int off, a1, a2;
    if (mxpy_opt_int(a[1], "offset", 0, &off) < 0 || mxpy_opt_int(a[2], "axis1", 0, &a1) < 0 ||
        mxpy_opt_int(a[3], "axis2", 1, &a2) < 0)
        return NULL;
    ARRAY0(x);
    return mxpy_done(x, mx_diagonal(x, off, a1, a2, s));
}

static PyObject *op_trace(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(6);
    int off, a1, a2;
    mx_dtype t;
    if (mxpy_opt_int(a[1], "offset", 0, &off) < 0 || mxpy_opt_int(a[2], "axis1", 0, &a1) < 0 ||
        mxpy_opt_int(a[3], "axis2", 1, &a2) < 0 || mxpy_dtype(a[4], MX_DTYPE_AUTO, &t) < 0)
        return NULL;
    ARRAY0(x);
    return mxpy_done(x, mx_trace(x, off, a1, a2, t, s));
}

static PyObject *op_k(PyObject *self, PyObject *args, PyObject *kw) { /* diag, tril, triu */
    BEGIN(3);
    int k;
    if (mxpy_opt_int(a[1], "k", 0, &k) < 0) return NULL;
    ARRAY0(x);
    typedef mx_array *(*k_fn)(mx_array *, int, mx_stream);
    return mxpy_done(x, ((k_fn)op->fn)(x, k, s));
}

static PyObject *op_contiguous(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(3);
    bool cm;
    if (mxpy_bool(a[1], false, &cm) < 0) return NULL;
    ARRAY0(x);
    return mxpy_done(x, mx_contiguous(x, cm, s));
}

/* ---- variadic: atleast_nd(*arys), broadcast_arrays(*arrays), meshgrid, broadcast_shapes ---- */
static int star_stream(PyObject *kw, const char *fn, const char *extra, PyObject **out, mx_stream *s) {
    if (mxpy_parse(fn, NULL, kw, extra, out) < 0) return -1;
    int n = 0; /* extra is "*, name=, ..., stream=": the stream is the last of `n` names */
    for (const char *c = extra; *c; c++) n += *c == ',';
    return mxpy_stream(out[n - 1], s);
}

static PyObject *op_atleast(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *k[1];
    mx_stream s;
    if (star_stream(kw, op->def.ml_name, "*, stream=", k, &s) < 0) return NULL;
    mx_array **v;
    int n;
    if (mxpy_to_array_list(args, &v, &n) < 0) return NULL;
    typedef mx_array *(*at_fn)(mx_array *, mx_stream);
    for (int i = 0; i < n; i++) {
        mx_array *r = ((at_fn)op->fn)(v[i], s);
        mx_array_release(v[i]);
        v[i] = r;
        if (!r) {
            mxpy_free_arrays(v, n);
            return mxpy_raise();
        }
    }
    PyObject *r = n == 1 ? mxpy_wrap(v[0]) : mxpy_wrap_list(v, n);
    PyMem_Free(v);
    return r;
}

static PyObject *op_broadcast_arrays(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    PyObject *k[1];
    mx_stream s;
    if (star_stream(kw, "broadcast_arrays", "*, stream=", k, &s) < 0) return NULL;
    mx_array **v, **out;
    int n;
    if (mxpy_to_array_list(args, &v, &n) < 0) return NULL;
    out = PyMem_Calloc((size_t)n + 1, sizeof *out);
    mx_status st = out ? mx_broadcast_arrays(v, n, out, s) : MX_ERR_NOMEM;
    mxpy_free_arrays(v, n);
    PyObject *r = NULL;
    if (st == MX_OK) {
        PyObject *l = mxpy_wrap_list(out, n);
        r = l ? PyList_AsTuple(l) : NULL;
        Py_XDECREF(l);
    } else if (out) {
        mxpy_raise();
    } else {
        PyErr_NoMemory();
    }
    PyMem_Free(out);
    return r;
}

static PyObject *op_meshgrid(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    PyObject *k[3];
    mx_stream s;
    bool sparse;
    if (star_stream(kw, "meshgrid", "*, sparse=, indexing=, stream=", k, &s) < 0 ||
        mxpy_bool(k[0], false, &sparse) < 0)
        return NULL;
    const char *ix = MXPY_ABSENT(k[1]) ? "xy" : PyUnicode_AsUTF8(k[1]);
    if (!ix) return NULL;
    mx_array **v, **out;
    int n;
    if (mxpy_to_array_list(args, &v, &n) < 0) return NULL;
    out = PyMem_Calloc((size_t)n + 1, sizeof *out);
    mx_status st = out ? mx_meshgrid(v, n, sparse, ix, out, s) : MX_ERR_NOMEM;
    mxpy_free_arrays(v, n);
    PyObject *r = st == MX_OK ? mxpy_wrap_list(out, n) : out ? mxpy_raise() : PyErr_NoMemory();
    PyMem_Free(out);
    return r;
}

static PyObject *op_broadcast_shapes(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    PyObject *k[1];
    if (mxpy_parse("broadcast_shapes", NULL, kw, "", k) < 0) return NULL;
    int n = (int)PyTuple_GET_SIZE(args);
    if (n == 0 || n > 64) {
        PyErr_SetString(PyExc_ValueError, "[broadcast_shapes] expects 1 to 64 shapes");
        return NULL;
    }
    int64_t sh[64][MX_MAX_DIMS], out[MX_MAX_DIMS];
    const int64_t *ptrs[64];
    int nds[64], ond;
    for (int i = 0; i < n; i++) {
        if (mxpy_shape(PyTuple_GET_ITEM(args, i), "shape", sh[i], &nds[i]) < 0) return NULL;
        ptrs[i] = sh[i];
    }
    if (mxpy_check(mx_broadcast_shapes(ptrs, nds, n, out, &ond)) < 0) return NULL;
    PyObject *t = PyTuple_New(ond);
    for (int i = 0; t && i < ond; i++) PyTuple_SET_ITEM(t, i, PyLong_FromLongLong(out[i]));
    return t;
}

#define OP MXPY_OP
static const mxpy_op shape_ops[] = {
    OP("reshape", op_reshape, "a, /, shape, *, stream=", mx_reshape,
       "reshape(a, /, shape, *, stream=None) -> array"),
    OP("flatten", op_flatten, "a, /, start_axis=, end_axis=, *, stream=", mx_flatten,
       "flatten(a, /, start_axis=0, end_axis=-1, *, stream=None) -> array"),
    OP("unflatten", op_unflatten, "a, /, axis, shape, *, stream=", mx_unflatten,
       "unflatten(a, /, axis, shape, *, stream=None) -> array"),
    OP("squeeze", op_axes, "a, /, axis=, *, stream=", mx_squeeze,
       "squeeze(a, /, axis=None, *, stream=None) -> array"),
    OP("flip", op_axes, "a, /, axis=, *, stream=", mx_flip, "flip(a, /, axis=None, *, stream=None) -> array"),
    OP("transpose", op_axes, "a, /, axes=, *, stream=", mx_transpose,
       "transpose(a, /, axes=None, *, stream=None) -> array"),
    OP("permute_dims", op_axes, "a, /, axes=, *, stream=", mx_transpose,
       "permute_dims(a, /, axes=None, *, stream=None) -> array\n\nAlias of transpose."),
    OP("matrix_transpose", op_axes, "a, /, axes=, *, stream=", mx_transpose,
       "matrix_transpose(a, /, axes=None, *, stream=None) -> array\n\nAlias of transpose."),
    OP("expand_dims", op_expand_dims, "a, /, axis, *, stream=", mx_expand_dims,
       "expand_dims(a, /, axis, *, stream=None) -> array"),
    OP("broadcast_to", op_broadcast_to, "a, /, shape, *, stream=", mx_broadcast_to,
       "broadcast_to(a, /, shape, *, stream=None) -> array"),
    OP("as_strided", op_as_strided, "a, /, shape=, strides=, offset=, *, stream=", mx_as_strided,
       "as_strided(a, /, shape=None, strides=None, offset=0, *, stream=None) -> array"),
    OP("view", op_view, "a, dtype, *, stream=", mx_view, "view(a, dtype, *, stream=None) -> array"),
    OP("moveaxis", op_moveaxis, "a, /, source, destination, *, stream=", mx_moveaxis,
       "moveaxis(a, /, source, destination, *, stream=None) -> array"),
    OP("swapaxes", op_moveaxis, "a, /, axis1, axis2, *, stream=", mx_swapaxes,
       "swapaxes(a, /, axis1, axis2, *, stream=None) -> array"),
    OP("concatenate", op_concatenate, "arrays, axis=, *, stream=", mx_concatenate,
       "concatenate(arrays, axis=0, *, stream=None) -> array"),
    OP("concat", op_concatenate, "arrays, axis=, *, stream=", mx_concatenate,
       "concat(arrays, axis=0, *, stream=None) -> array\n\nAlias of concatenate."),
    OP("stack", op_stack, "arrays, axis=, *, stream=", mx_stack,
       "stack(arrays, axis=0, *, stream=None) -> array"),
    OP("split", op_split, "a, /, indices_or_sections, axis=, *, stream=", mx_split,
       "split(a, /, indices_or_sections, axis=0, *, stream=None) -> list[array]"),
    OP("unstack", op_unstack, "x, /, *, axis=, stream=", mx_unstack,
       "unstack(x, /, *, axis=0, stream=None) -> list[array]"),
    OP("repeat", op_repeat, "array, repeats, axis=, *, stream=", mx_repeat,
       "repeat(array, repeats, axis=None, *, stream=None) -> array"),
    OP("tile", op_tile, "a, reps, /, *, stream=", mx_tile, "tile(a, reps, /, *, stream=None) -> array"),
    OP("pad", op_pad, "a, pad_width, mode=, constant_values=, *, stream=", mx_pad,
       "pad(a, pad_width, mode='constant', constant_values=0, *, stream=None) -> array"),
    OP("roll", op_roll, "a, shift, axis=, /, *, stream=", mx_roll,
       "roll(a, shift, axis=None, /, *, stream=None) -> array"),
    OP("diagonal", op_diagonal, "a, offset=, axis1=, axis2=, stream=", mx_diagonal,
       "diagonal(a, offset=0, axis1=0, axis2=1, stream=None) -> array"),
    OP("trace", op_trace, "a, /, offset=, axis1=, axis2=, dtype=, *, stream=", mx_trace,
       "trace(a, /, offset=0, axis1=0, axis2=1, dtype=None, *, stream=None) -> array"),
    OP("diag", op_k, "a, /, k=, *, stream=", mx_diag, "diag(a, /, k=0, *, stream=None) -> array"),
    OP("tril", op_k, "x, k=, *, stream=", mx_tril, "tril(x, k=0, *, stream=None) -> array"),
    OP("triu", op_k, "x, k=, *, stream=", mx_triu, "triu(x, k=0, *, stream=None) -> array"),
    OP("contiguous", op_contiguous, "a, /, allow_col_major=, *, stream=", mx_contiguous,
       "contiguous(a, /, allow_col_major=False, *, stream=None) -> array"),
    OP("atleast_1d", op_atleast, "", mx_atleast_1d, "atleast_1d(*arys, stream=None)"),
    OP("atleast_2d", op_atleast, "", mx_atleast_2d, "atleast_2d(*arys, stream=None)"),
    OP("atleast_3d", op_atleast, "", mx_atleast_3d, "atleast_3d(*arys, stream=None)"),
    OP("broadcast_arrays", op_broadcast_arrays, "", mx_broadcast_arrays,
       "broadcast_arrays(*arrays, stream=None) -> tuple[array]"),
    OP("broadcast_shapes", op_broadcast_shapes, "", mx_broadcast_shapes,
       "broadcast_shapes(*shapes) -> tuple[int]"),
    OP("meshgrid", op_meshgrid, "", mx_meshgrid,
       "meshgrid(*arrays, sparse=False, indexing='xy', stream=None) -> list[array]"),
    {{NULL, NULL, 0, NULL}, NULL, NULL},
};

int mxpy_init_ops_shape(PyObject *m) { return mxpy_register_ops(m, shape_ops); }
