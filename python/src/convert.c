/* python/src/convert.c: Python objects <-> arrays (MLX's convert.cpp and utils.cpp).
 *  - mxpy_to_array: scalars, nested lists/tuples (arrays allowed inside), anything with the buffer
 *    protocol (NumPy arrays and scalars keep their dtype; the data is copied), __mlx_array__;
 *    MLX's inference: bool -> bool_, int -> int32 (int64 when a value needs it), float ->
 *    float32, complex -> complex64.
 *  - weak typing of Python scalars against an array operand (mxpy_to_array_weak/_to_arrays).
 *  - back to Python: elements, item(), tolist(), NumPy copies; and the buffer protocol, which
 *    evaluates and exports the array's memory (a row-contiguous copy when it is strided). */
#include <complex.h>
#include <string.h>

#include "mxpy.h"

enum { K_NONE = -1, K_BOOL = 0, K_INT, K_FLOAT, K_COMPLEX };

static int scalar_kind(PyObject *o) {
    if (PyBool_Check(o)) return K_BOOL;
    if (PyLong_Check(o)) return K_INT;
    if (PyFloat_Check(o)) return K_FLOAT;
    if (PyComplex_Check(o)) return K_COMPLEX;
    return K_NONE;
}

bool mxpy_is_scalar(PyObject *o) { return scalar_kind(o) != K_NONE; }

bool mxpy_is_array_like(PyObject *o) {
    return MXPY_IS_ARRAY(o) || mxpy_is_scalar(o) || PyList_Check(o) || PyTuple_Check(o) ||
           (PyObject_CheckBuffer(o) && !PyUnicode_Check(o)) ||
           PyObject_HasAttrString(o, "__mlx_array__");
}

/* ---- storing one Python scalar into a typed slot ---- */
static void put_f64(void *p, mx_dtype t, double v) {
    switch (t) {
    case MX_BOOL: *(uint8_t *)p = v != 0; break;
    case MX_UINT8: *(uint8_t *)p = (uint8_t)(int64_t)v; break;
    case MX_UINT16: *(uint16_t *)p = (uint16_t)(int64_t)v; break;
    case MX_UINT32: *(uint32_t *)p = (uint32_t)(int64_t)v; break;
    case MX_UINT64: *(uint64_t *)p = v < 0 ? (uint64_t)(int64_t)v : (uint64_t)v; break;
    case MX_INT8: *(int8_t *)p = (int8_t)(int64_t)v; break;
    case MX_INT16: *(int16_t *)p = (int16_t)(int64_t)v; break;
    case MX_INT32: *(int32_t *)p = (int32_t)(int64_t)v; break;
    case MX_INT64: *(int64_t *)p = (int64_t)v; break;
    case MX_FLOAT16: *(uint16_t *)p = mx_f32_to_f16((float)v); break;
    case MX_BFLOAT16: *(uint16_t *)p = mx_f32_to_bf16((float)v); break;
    case MX_FLOAT32: *(float *)p = (float)v; break;
    case MX_FLOAT64: *(double *)p = v; break;
    case MX_COMPLEX64: ((float *)p)[0] = (float)v, ((float *)p)[1] = 0; break;
    default: break;
    }
}

static void put_i64(void *p, mx_dtype t, int64_t v) {
    switch (t) {
    case MX_BOOL: *(uint8_t *)p = v != 0; break;
    case MX_UINT8: case MX_INT8: *(uint8_t *)p = (uint8_t)v; break;
    case MX_UINT16: case MX_INT16: *(uint16_t *)p = (uint16_t)v; break;
    case MX_UINT32: case MX_INT32: *(uint32_t *)p = (uint32_t)v; break;
    case MX_UINT64: case MX_INT64: *(int64_t *)p = v; break;
    default: put_f64(p, t, (double)v); break;
    }
}

/* Python int -> int64 (or uint64 bits when it only fits there). */
static int long_value(PyObject *o, int64_t *v, bool *is_u64) {
    int overflow = 0;
    *is_u64 = false;
    *v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (*v == -1 && PyErr_Occurred()) return -1;
    if (overflow > 0) {
        unsigned long long u = PyLong_AsUnsignedLongLong(o);
        if (!PyErr_Occurred()) {
            *v = (int64_t)u;
            *is_u64 = true;
            return 0;
        }
        PyErr_Clear();
    }
    if (overflow) {
        PyErr_SetString(PyExc_OverflowError, "Python int too large to convert to an array");
        return -1;
    }
    return 0;
}

static int put_scalar(void *p, mx_dtype t, PyObject *o, int kind) {
    switch (kind) {
    case K_BOOL: put_i64(p, t, o == Py_True); return 0;
    case K_INT: {
        int64_t v;
        bool u;
        if (long_value(o, &v, &u) < 0) return -1;
        if (u && !mx_dtype_is_int(t)) put_f64(p, t, (double)(uint64_t)v);
        else put_i64(p, t, v);
        return 0;
    }
    case K_FLOAT: put_f64(p, t, PyFloat_AS_DOUBLE(o)); return 0;
    default: {
        Py_complex c = PyComplex_AsCComplex(o);
        if (t == MX_COMPLEX64) ((float *)p)[0] = (float)c.real, ((float *)p)[1] = (float)c.imag;
        else put_f64(p, t, c.real);
        return 0;
    }
    }
}

static mx_array *scalar_array(PyObject *o, int kind, mx_dtype dtype) {
    mx_dtype t = dtype;
    if (t == MX_DTYPE_AUTO) {
        if (kind == K_BOOL) t = MX_BOOL;
        else if (kind == K_FLOAT) t = MX_FLOAT32;
        else if (kind == K_COMPLEX) t = MX_COMPLEX64;
        else {
            int64_t v;
            bool u;
            if (long_value(o, &v, &u) < 0) return NULL;
            t = u ? MX_UINT64 : (v < INT32_MIN || v > INT32_MAX) ? MX_INT64 : MX_INT32;
        }
    }
    uint64_t slot[2] = {0, 0};
    if (put_scalar(slot, t, o, kind) < 0) return NULL;
    mx_array *a = mx_array_from_data(slot, NULL, 0, t);
    if (!a) mxpy_raise();
    return a;
}

/* ---- the buffer protocol in (NumPy arrays and scalars, memoryviews, ...) ---- */
static int format_dtype(const char *f, Py_ssize_t itemsize, mx_dtype *t, bool *c128) {
    *c128 = false;
    if (*f == '<' || *f == '=' || *f == '@' || *f == '|') f++;
    if (!strcmp(f, "?")) return *t = MX_BOOL, 0;
    if (!strcmp(f, "e")) return *t = MX_FLOAT16, 0;
    if (!strcmp(f, "f")) return *t = MX_FLOAT32, 0;
    if (!strcmp(f, "d")) return *t = MX_FLOAT64, 0;
    if (!strcmp(f, "Zf")) return *t = MX_COMPLEX64, 0;
    if (!strcmp(f, "Zd")) return *t = MX_COMPLEX64, *c128 = true, 0;
    if (!strcmp(f, "bfloat16")) return *t = MX_BFLOAT16, 0;
    if (strlen(f) == 1 && strchr("bhilqn", *f)) {
        *t = itemsize == 1 ? MX_INT8 : itemsize == 2 ? MX_INT16 : itemsize == 4 ? MX_INT32 : MX_INT64;
        return 0;
    }
    if (strlen(f) == 1 && strchr("BHILQN", *f)) {
        *t = itemsize == 1 ? MX_UINT8 : itemsize == 2 ? MX_UINT16 : itemsize == 4 ? MX_UINT32 : MX_UINT64;
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "[array] cannot convert a buffer of format '%s' to an array", f);
    return -1;
}

static mx_array *from_buffer(PyObject *o) {
    Py_buffer v;
    if (PyObject_GetBuffer(o, &v, PyBUF_RECORDS_RO) < 0) return NULL;
    mx_dtype t;
    bool c128;
    mx_array *a = NULL;
    if (format_dtype(v.format ? v.format : "B", v.itemsize, &t, &c128) < 0) goto done;
    if (v.ndim > MX_MAX_DIMS) {
        PyErr_Format(PyExc_ValueError, "[array] at most %d dimensions are supported", MX_MAX_DIMS);
        goto done;
    }
    int64_t shape[MX_MAX_DIMS];
    for (int i = 0; i < v.ndim; i++) shape[i] = v.shape ? v.shape[i] : v.len / v.itemsize;
    void *tmp = NULL;
    const void *src = v.buf;
    if (!PyBuffer_IsContiguous(&v, 'C') || c128) {
        tmp = PyMem_Malloc(v.len ? (size_t)v.len : 1);
        if (!tmp) {
            PyErr_NoMemory();
            goto done;
        }
        if (PyBuffer_ToContiguous(tmp, &v, v.len, 'C') < 0) {
            PyMem_Free(tmp);
            goto done;
        }
        if (c128) { /* complex128 -> complex64, in place */
            const double *d = tmp;
            float *f = tmp;
            for (Py_ssize_t i = 0; i < v.len / 16; i++) f[2 * i] = (float)d[2 * i], f[2 * i + 1] = (float)d[2 * i + 1];
        }
        src = tmp;
    }
    a = mx_array_from_data(src, shape, v.ndim, t);
    PyMem_Free(tmp);
    if (!a) mxpy_raise();
done:
    PyBuffer_Release(&v);
    return a;
}

/* ---- nested lists ---- */
typedef struct list_info {
    int64_t shape[MX_MAX_DIMS];
    int ndim;       /* full shape rank (sequence levels + the rank of array leaves) */
    int seq_ndim;   /* levels that are lists/tuples */
    int kind;       /* widest scalar kind */
    bool big;       /* an int outside int32 */
    bool has_array;
    mx_dtype adtype; /* promoted dtype of array leaves */
} list_info;

static bool is_seq(PyObject *o) { return PyList_Check(o) || PyTuple_Check(o); }

static int list_shape(PyObject *o, list_info *li) {
    li->ndim = li->seq_ndim = 0;
    while (is_seq(o)) {
        if (li->ndim >= MX_MAX_DIMS) {
            PyErr_SetString(PyExc_ValueError, "[array] too many dimensions");
            return -1;
        }
        Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
        li->shape[li->ndim++] = n;
        li->seq_ndim++;
        if (n == 0) return 0;
        o = PySequence_Fast_GET_ITEM(o, 0);
    }
    if (scalar_kind(o) == K_NONE) {
        mx_array *a = mxpy_to_array(o, MX_DTYPE_AUTO);
        if (!a) return -1;
        int nd = mx_array_ndim(a);
        if (li->ndim + nd > MX_MAX_DIMS) {
            mx_array_release(a);
            PyErr_SetString(PyExc_ValueError, "[array] too many dimensions");
            return -1;
        }
        for (int i = 0; i < nd; i++) li->shape[li->ndim++] = mx_array_shape(a)[i];
        mx_array_release(a);
    }
    return 0;
}

/* Check the shape of every element and collect scalar kinds and array dtypes. */
static int list_scan(PyObject *o, int d, list_info *li) {
    if (d < li->seq_ndim) {
        if (!is_seq(o) || PySequence_Fast_GET_SIZE(o) != li->shape[d]) {
            PyErr_SetString(PyExc_ValueError, "Initialization encountered non-uniform length.");
            return -1;
        }
        for (Py_ssize_t i = 0; i < li->shape[d]; i++)
            if (list_scan(PySequence_Fast_GET_ITEM(o, i), d + 1, li) < 0) return -1;
        return 0;
    }
    int k = scalar_kind(o);
    if (k != K_NONE) {
        if (d != li->ndim) {
            PyErr_SetString(PyExc_ValueError, "Initialization encountered non-uniform length.");
            return -1;
        }
        if (k > li->kind) li->kind = k;
        if (k == K_INT) {
            int64_t v;
            bool u;
            if (long_value(o, &v, &u) < 0) return -1;
            if (u || v < INT32_MIN || v > INT32_MAX) li->big = true;
        }
        return 0;
    }
    mx_array *a = mxpy_to_array(o, MX_DTYPE_AUTO); /* an array leaf (or a list below one) */
    if (!a) return -1;
    int nd = mx_array_ndim(a);
    bool ok = nd == li->ndim - d;
    for (int i = 0; ok && i < nd; i++) ok = mx_array_shape(a)[i] == li->shape[d + i];
    li->adtype = li->has_array ? mx_promote_types(li->adtype, mx_array_dtype(a)) : mx_array_dtype(a);
    li->has_array = true;
    mx_array_release(a);
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "Initialization encountered non-uniform length.");
        return -1;
    }
    return 0;
}

static int list_fill(PyObject *o, int d, const list_info *li, mx_dtype t, char **cur) {
    if (d < li->seq_ndim) {
        for (Py_ssize_t i = 0; i < li->shape[d]; i++)
            if (list_fill(PySequence_Fast_GET_ITEM(o, i), d + 1, li, t, cur) < 0) return -1;
        return 0;
    }
    int k = scalar_kind(o);
    if (k != K_NONE) {
        if (put_scalar(*cur, t, o, k) < 0) return -1;
        *cur += mx_dtype_size(t);
        return 0;
    }
    mx_array *a = mxpy_to_array(o, t);
    if (!a) return -1;
    mx_status st;
    Py_BEGIN_ALLOW_THREADS st = mx_array_copy_to(a, *cur);
    Py_END_ALLOW_THREADS *cur += mx_array_nbytes(a);
    mx_array_release(a);
    return mxpy_check(st);
}

static mx_array *from_list(PyObject *o, mx_dtype dtype) {
    list_info li = {.kind = K_NONE};
    if (list_shape(o, &li) < 0 || list_scan(o, 0, &li) < 0) return NULL;
    mx_dtype t = dtype;
    if (t == MX_DTYPE_AUTO) {
        mx_dtype st = li.kind == K_BOOL    ? MX_BOOL
                      : li.kind == K_INT   ? (li.big ? MX_INT64 : MX_INT32)
                      : li.kind == K_COMPLEX ? MX_COMPLEX64
                                           : MX_FLOAT32; /* float, or empty */
        if (!li.has_array) t = st;
        else if (li.kind == K_NONE || li.kind == K_BOOL || li.kind == K_INT) t = li.adtype;
        else if (li.kind == K_FLOAT) t = mx_dtype_is_inexact(li.adtype) ? li.adtype : MX_FLOAT32;
        else t = MX_COMPLEX64;
    }
    int64_t n = 1;
    for (int i = 0; i < li.ndim; i++) n *= li.shape[i];
    char *buf = PyMem_Malloc(n ? (size_t)n * mx_dtype_size(t) : 1), *cur = buf;
    if (!buf) return (mx_array *)PyErr_NoMemory();
    mx_array *a = NULL;
    if (list_fill(o, 0, &li, t, &cur) == 0) {
        a = mx_array_from_data(buf, li.shape, li.ndim, t);
        if (!a) mxpy_raise();
    }
    PyMem_Free(buf);
    return a;
}

/* ---- the entry points ---- */
/* an mx.array converts on the default stream (as MLX's astype); data just copied from the host
 * (a buffer, NumPy) converts on the CPU, as MLX converts at construction: a float64 NumPy array
 * becomes float32 even when the default device is the GPU */
static mx_array *cast_on(mx_array *a, mx_dtype dtype, mx_stream s) {
    if (!a || dtype == MX_DTYPE_AUTO || mx_array_dtype(a) == dtype) return a;
    mx_array *r = mx_astype(a, dtype, s);
    mx_array_release(a);
    if (!r) mxpy_raise();
    return r;
}
static mx_array *cast(mx_array *a, mx_dtype dtype) { return cast_on(a, dtype, MX_DEFAULT_STREAM); }
static mx_array *cast_host(mx_array *a, mx_dtype dtype) {
    return cast_on(a, dtype, mx_stream_of_device(MX_CPU));
}

mx_array *mxpy_to_array(PyObject *o, mx_dtype dtype) {
    if (MXPY_IS_ARRAY(o)) return cast(mx_array_retain(MXPY_ARR(o)), dtype);
    int k = scalar_kind(o);
    if (k != K_NONE) return scalar_array(o, k, dtype);
    if (is_seq(o)) {
        PyObject *fast = PySequence_Fast(o, "");
        if (!fast) return NULL;
        /* nested tuples/lists are walked through PySequence_Fast_* which need list/tuple */
        mx_array *a = from_list(fast, dtype);
        Py_DECREF(fast);
        return a;
    }
    if (PyObject_HasAttrString(o, "__mlx_array__")) {
        PyObject *r = PyObject_CallMethod(o, "__mlx_array__", NULL);
        if (!r) return NULL;
        mx_array *a = NULL;
        if (MXPY_IS_ARRAY(r)) a = cast(mx_array_retain(MXPY_ARR(r)), dtype);
        else PyErr_SetString(PyExc_TypeError, "__mlx_array__ must return an mlx.core.array");
        Py_DECREF(r);
        return a;
    }
    if (PyObject_CheckBuffer(o) && !PyUnicode_Check(o)) return cast_host(from_buffer(o), dtype);
    PyErr_Format(PyExc_ValueError, "Invalid type %s received in array initialization.",
                 Py_TYPE(o)->tp_name);
    return NULL;
}

mx_array *mxpy_to_array_weak(PyObject *o, mx_dtype like) {
    int k = scalar_kind(o);
    if (k == K_NONE) return mxpy_to_array(o, MX_DTYPE_AUTO);
    if (k == K_BOOL) return scalar_array(o, k, like);
    if (k == K_FLOAT) return scalar_array(o, k, mx_dtype_is_float(like) ? like : MX_FLOAT32);
    if (k == K_COMPLEX) return scalar_array(o, k, MX_COMPLEX64);
    int64_t v;
    bool u;
    if (long_value(o, &v, &u) < 0) return NULL;
    if (like == MX_BOOL) like = (u || v < INT32_MIN || v > INT32_MAX) ? MX_INT64 : MX_INT32;
    if (mx_dtype_is_int(like) && (mx_dtype_size(like) < 8 || u)) {
        size_t bits = 8 * mx_dtype_size(like);
        bool sgn = mx_dtype_is_signed(like), fits;
        if (u) fits = like == MX_UINT64;
        else if (sgn) fits = bits == 64 || (v >= -(1LL << (bits - 1)) && v < (1LL << (bits - 1)));
        else fits = v >= 0 && (bits == 64 || v < (1LL << bits));
        if (!fits) {
            PyErr_Format(PyExc_OverflowError, "Converting %S to %s would result in overflow.", o,
                         mx_dtype_name(like));
            return NULL;
        }
    }
    return scalar_array(o, k, like);
}

static bool is_mlx(PyObject *o) {
    return MXPY_IS_ARRAY(o) || (!mxpy_is_scalar(o) && PyObject_HasAttrString(o, "__mlx_array__"));
}

int mxpy_to_arrays(PyObject *a, PyObject *b, mx_array **x, mx_array **y) {
    *x = *y = NULL;
    if (is_mlx(a) && !is_mlx(b)) {
        *x = mxpy_to_array(a, MX_DTYPE_AUTO);
        *y = *x ? mxpy_to_array_weak(b, mx_array_dtype(*x)) : NULL;
    } else if (!is_mlx(a) && is_mlx(b)) {
        *y = mxpy_to_array(b, MX_DTYPE_AUTO);
        *x = *y ? mxpy_to_array_weak(a, mx_array_dtype(*y)) : NULL;
    } else {
        *x = mxpy_to_array(a, MX_DTYPE_AUTO);
        *y = *x ? mxpy_to_array(b, MX_DTYPE_AUTO) : NULL;
    }
    if (*x && *y) return 0;
    mx_array_release(*x);
    mx_array_release(*y);
    *x = *y = NULL;
    return -1;
}

/* ---- back to Python ---- */
int mxpy_eval(mx_array *const *arrays, int n) {
    mx_status st;
    Py_BEGIN_ALLOW_THREADS st = mx_eval(arrays, n);
    Py_END_ALLOW_THREADS return mxpy_check(st);
}

const void *mxpy_data(mx_array *a) {
    const void *p;
    Py_BEGIN_ALLOW_THREADS p = mx_array_data(a);
    Py_END_ALLOW_THREADS if (!p) mxpy_raise();
    return p;
}

static PyObject *value_at(mx_dtype t, const char *p) {
    switch (t) {
    case MX_BOOL: return PyBool_FromLong(*(const uint8_t *)p != 0);
    case MX_UINT8: return PyLong_FromLong(*(const uint8_t *)p);
    case MX_UINT16: return PyLong_FromLong(*(const uint16_t *)p);
    case MX_UINT32: return PyLong_FromUnsignedLong(*(const uint32_t *)p);
    case MX_UINT64: return PyLong_FromUnsignedLongLong(*(const uint64_t *)p);
    case MX_INT8: return PyLong_FromLong(*(const int8_t *)p);
    case MX_INT16: return PyLong_FromLong(*(const int16_t *)p);
    case MX_INT32: return PyLong_FromLong(*(const int32_t *)p);
    case MX_INT64: return PyLong_FromLongLong(*(const int64_t *)p);
    case MX_FLOAT16: return PyFloat_FromDouble(mx_f16_to_f32(*(const uint16_t *)p));
    case MX_BFLOAT16: return PyFloat_FromDouble(mx_bf16_to_f32(*(const uint16_t *)p));
    case MX_FLOAT32: return PyFloat_FromDouble(*(const float *)p);
    case MX_FLOAT64: return PyFloat_FromDouble(*(const double *)p);
    case MX_COMPLEX64: return PyComplex_FromDoubles(((const float *)p)[0], ((const float *)p)[1]);
    default: PyErr_SetString(PyExc_ValueError, "invalid dtype"); return NULL;
    }
}

PyObject *mxpy_element(mx_array *a, const void *data, const int64_t *strides, int64_t lin) {
    int nd = mx_array_ndim(a);
    const int64_t *sh = mx_array_shape(a);
    int64_t off = 0;
    for (int d = nd - 1; d >= 0; d--) {
        off += (lin % sh[d]) * strides[d];
        lin /= sh[d];
    }
    mx_dtype t = mx_array_dtype(a);
    return value_at(t, (const char *)data + off * (int64_t)mx_dtype_size(t));
}

static PyObject *tolist_rec(mx_dtype t, int nd, const int64_t *sh, const int64_t *st,
                            const char *p, int d) {
    if (d == nd) return value_at(t, p);
    PyObject *l = PyList_New(sh[d]);
    if (!l) return NULL;
    for (int64_t i = 0; i < sh[d]; i++) {
        PyObject *e = tolist_rec(t, nd, sh, st, p + i * st[d] * (int64_t)mx_dtype_size(t), d + 1);
        if (!e) {
            Py_DECREF(l);
            return NULL;
        }
        PyList_SET_ITEM(l, i, e);
    }
    return l;
}

PyObject *mxpy_tolist(mx_array *a) {
    int nd = mx_array_ndim(a);
    const int64_t *sh = mx_array_shape(a);
    if (mx_array_size(a) == 0) {
        if (mxpy_eval(&a, 1) < 0) return NULL;
        static const int64_t zeros[MX_MAX_DIMS];
        return tolist_rec(mx_array_dtype(a), nd, sh, zeros, NULL, 0);
    }
    const void *p = mxpy_data(a);
    if (!p) return NULL;
    return tolist_rec(mx_array_dtype(a), nd, sh, mx_array_strides(a), p, 0);
}

PyObject *mxpy_item(mx_array *a) {
    if (mx_array_size(a) != 1) {
        PyErr_SetString(PyExc_ValueError, "item can only be called on arrays of size 1.");
        return NULL;
    }
    const void *p = mxpy_data(a);
    return p ? value_at(mx_array_dtype(a), p) : NULL;
}

PyObject *mxpy_to_numpy(mx_array *a, bool raw_bf16) {
    mx_array *x = mx_array_retain(a);
    if (mx_array_dtype(a) == MX_BFLOAT16) {
        if (!raw_bf16) {
            mx_array_release(x);
            PyErr_SetString(PyExc_TypeError,
                            "bfloat16 arrays cannot be converted to NumPy; use astype first");
            return NULL;
        }
        mx_array_release(x);
        x = mx_view(a, MX_UINT16, mx_stream_of_device(MX_CPU)); /* host-side plumbing */
        if (!x) return mxpy_raise();
    }
    PyObject *w = mxpy_wrap(x); /* its buffer export makes the copy below */
    if (!w) return NULL;
    /* go through a memoryview: if the export fails, the error surfaces here instead of NumPy
     * falling back to __array__ (which would call back into this function) */
    PyObject *mv = PyMemoryView_FromObject(w);
    Py_DECREF(w);
    if (!mv) return NULL;
    PyObject *np = PyImport_ImportModule("numpy");
    PyObject *r = np ? PyObject_CallMethod(np, "array", "O", mv) : NULL;
    Py_XDECREF(np);
    Py_DECREF(mv);
    return r;
}

/* ---- buffer protocol out ---- */
static const char *buffer_format(mx_dtype t) {
    static const char *f[MX_NUM_DTYPES] = {"?", "B", "H", "I", "Q", "b", "h", "i",
                                           "q", "e", "f", "d", "bfloat16", "Zf"};
    return f[t];
}

/* The exported handle and shape/stride storage live in one block owned by view->internal. */
typedef struct export_block {
    mx_array *a;
    Py_ssize_t shape[MX_MAX_DIMS], strides[MX_MAX_DIMS];
} export_block;

static int array_getbuffer(PyObject *self, Py_buffer *view, int flags) {
    mx_array *a = MXPY_ARR(self);
    int nd = mx_array_ndim(a);
    export_block *b = PyMem_Calloc(1, sizeof *b);
    if (!b) {
        PyErr_NoMemory();
        return -1;
    }
    b->a = mx_array_retain(a);
    const void *p = NULL;
    if (mx_array_size(a) > 0) {
        p = mxpy_data(b->a);
        bool contig;
        Py_BEGIN_ALLOW_THREADS contig = p && mx_array_is_row_contiguous(b->a);
        Py_END_ALLOW_THREADS if (p && !contig) { /* export a dense copy instead */
            /* on the CPU stream: exporting must work whatever the default device (float64 too) */
            mx_array *c = mx_copy(b->a, mx_stream_of_device(MX_CPU));
            mx_array_release(b->a);
            b->a = c;
            p = c ? mxpy_data(c) : (mxpy_raise(), NULL);
        }
        if (!p) {
            mx_array_release(b->a);
            PyMem_Free(b);
            return -1;
        }
    } else if (mxpy_eval(&b->a, 1) < 0) {
        mx_array_release(b->a);
        PyMem_Free(b);
        return -1;
    }
    Py_ssize_t isz = (Py_ssize_t)mx_array_itemsize(a), st = isz;
    for (int d = nd - 1; d >= 0; d--) {
        b->shape[d] = (Py_ssize_t)mx_array_shape(a)[d];
        b->strides[d] = st;
        st *= b->shape[d] ? b->shape[d] : 1;
    }
    static char empty;
    view->buf = p ? (void *)p : &empty;
    view->obj = self;
    Py_INCREF(self);
    view->len = (Py_ssize_t)mx_array_nbytes(a);
    view->readonly = 0; /* MLX exports writable memory; writes alias the array */
    view->itemsize = isz;
    view->format = (flags & PyBUF_FORMAT) ? (char *)buffer_format(mx_array_dtype(a)) : NULL;
    view->ndim = nd;
    view->shape = (flags & PyBUF_ND) ? b->shape : NULL;
    view->strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? b->strides : NULL;
    view->suboffsets = NULL;
    view->internal = b;
    return 0;
}

static void array_releasebuffer(PyObject *self, Py_buffer *view) {
    (void)self;
    export_block *b = view->internal;
    if (b) {
        mx_array_release(b->a);
        PyMem_Free(b);
    }
}

PyBufferProcs mxpy_array_as_buffer = {array_getbuffer, array_releasebuffer};

/* ---- lists of arrays ---- */
int mxpy_to_array_list(PyObject *seq, mx_array ***out, int *n) {
    *out = NULL;
    *n = 0;
    if (MXPY_IS_ARRAY(seq) || !PySequence_Check(seq)) {
        PyErr_SetString(PyExc_TypeError, "expected a list or tuple of arrays");
        return -1;
    }
    PyObject *f = PySequence_Fast(seq, "expected a list or tuple of arrays");
    if (!f) return -1;
    Py_ssize_t k = PySequence_Fast_GET_SIZE(f);
    mx_array **v = PyMem_Calloc(k ? (size_t)k : 1, sizeof *v);
    if (!v) {
        Py_DECREF(f);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        v[i] = mxpy_to_array(PySequence_Fast_GET_ITEM(f, i), MX_DTYPE_AUTO);
        if (!v[i]) {
            mxpy_free_arrays(v, (int)i);
            Py_DECREF(f);
            return -1;
        }
    }
    Py_DECREF(f);
    *out = v;
    *n = (int)k;
    return 0;
}

void mxpy_free_arrays(mx_array **v, int n) {
    for (int i = 0; v && i < n; i++) mx_array_release(v[i]);
    PyMem_Free(v);
}

PyObject *mxpy_wrap_list(mx_array **v, int n) {
    PyObject *l = PyList_New(n);
    for (int i = 0; i < n; i++) {
        if (!l) {
            mx_array_release(v[i]);
            continue;
        }
        PyObject *w = mxpy_wrap(v[i]);
        if (!w) {
            for (int j = i + 1; j < n; j++) mx_array_release(v[j]);
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, i, w);
    }
    return l;
}
