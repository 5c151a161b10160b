/* python/src/print.c: array repr in MLX's format and the print options.
 *
 *   array([[1, 2],
 *          [3, 4]], dtype=int32)
 *
 * Floats print like a C++ ostream with default flags (printf "%g", 6 significant digits), or
 * fixed with `precision` digits once set_printoptions(precision=...) was called; bools as
 * True/False; complex as "1+2j". An axis longer than 6 prints its first 3 and last 3 entries
 * around "...". Entries on the last axis are separated by ", ", rows by ",\n" plus an indent
 * of 7 + depth spaces. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mxpy.h"
#include <structmember.h>

static int precision = -1; /* -1: ostream default formatting */

/* ---- a growable string ---- */
typedef struct {
    char  *p;
    size_t n, cap;
    bool   oom;
} sbuf;

static void put(sbuf *s, const char *x, size_t len) {
    if (s->oom) return;
    if (s->n + len + 1 > s->cap) {
        size_t cap = (s->cap ? s->cap * 2 : 256) + len;
        char *p = PyMem_Realloc(s->p, cap);
        if (!p) {
            s->oom = true;
            return;
        }
        s->p = p, s->cap = cap;
    }
    memcpy(s->p + s->n, x, len);
    s->n += len;
    s->p[s->n] = 0;
}
static void puts_(sbuf *s, const char *x) { put(s, x, strlen(x)); }

static void put_float(sbuf *s, double v) {
    char b[64];
    if (isnan(v)) snprintf(b, sizeof b, "%s", signbit(v) ? "-nan" : "nan");
    else if (isinf(v)) snprintf(b, sizeof b, "%s", v < 0 ? "-inf" : "inf");
    else if (precision < 0) snprintf(b, sizeof b, "%g", v);
    else snprintf(b, sizeof b, "%.*f", precision, v);
    puts_(s, b);
}

static void put_value(sbuf *s, mx_dtype t, const char *p) {
    char b[64];
    switch (t) {
    case MX_BOOL: puts_(s, *(const uint8_t *)p ? "True" : "False"); return;
    case MX_UINT8: snprintf(b, sizeof b, "%u", *(const uint8_t *)p); break;
    case MX_UINT16: snprintf(b, sizeof b, "%u", *(const uint16_t *)p); break;
    case MX_UINT32: snprintf(b, sizeof b, "%u", *(const uint32_t *)p); break;
    case MX_UINT64: snprintf(b, sizeof b, "%llu", (unsigned long long)*(const uint64_t *)p); break;
    case MX_INT8: snprintf(b, sizeof b, "%d", *(const int8_t *)p); break;
    case MX_INT16: snprintf(b, sizeof b, "%d", *(const int16_t *)p); break;
    case MX_INT32: snprintf(b, sizeof b, "%d", *(const int32_t *)p); break;
    case MX_INT64: snprintf(b, sizeof b, "%lld", (long long)*(const int64_t *)p); break;
    case MX_FLOAT16: put_float(s, mx_f16_to_f32(*(const uint16_t *)p)); return;
    case MX_BFLOAT16: put_float(s, mx_bf16_to_f32(*(const uint16_t *)p)); return;
    case MX_FLOAT32: put_float(s, *(const float *)p); return;
    case MX_FLOAT64: put_float(s, *(const double *)p); return;
    case MX_COMPLEX64: {
        float re = ((const float *)p)[0], im = ((const float *)p)[1];
        put_float(s, re);
        if (im >= 0 || isnan(im)) {
            puts_(s, "+");
            put_float(s, im);
        } else {
            puts_(s, "-");
            put_float(s, -im);
        }
        puts_(s, "j");
        return;
    }
    default: snprintf(b, sizeof b, "?"); break;
    }
    puts_(s, b);
}

static void put_sub(sbuf *s, mx_dtype t, int nd, const int64_t *sh, const int64_t *st,
                    const char *p, int d) {
    const int num = 3;
    int64_t n = sh[d];
    size_t isz = mx_dtype_size(t);
    bool last = d == nd - 1;
    char indent[MX_MAX_DIMS + 8];
    memset(indent, ' ', (size_t)(7 + d));
    indent[7 + d] = 0;
    puts_(s, "[");
    for (int64_t i = 0; i < n; i++) {
        if (i > 0 && !last) puts_(s, indent);
        if (i == num && n > 2 * num) {
            puts_(s, "...");
            i = n - num - 1;
        } else if (last) {
            put_value(s, t, p + i * st[d] * (int64_t)isz);
        } else {
            put_sub(s, t, nd, sh, st, p + i * st[d] * (int64_t)isz, d + 1);
        }
        if (i != n - 1) puts_(s, last ? ", " : ",\n");
    }
    puts_(s, "]");
}

PyObject *mxpy_array_repr(mx_array *a) {
    sbuf s = {0};
    mx_dtype t = mx_array_dtype(a);
    int nd = mx_array_ndim(a);
    const int64_t *sh = mx_array_shape(a);
    puts_(&s, "array(");
    if (mx_array_size(a) == 0) {
        if (mxpy_eval(&a, 1) < 0) return NULL;
        for (int d = 0; d < nd; d++) puts_(&s, "[");
        for (int d = 0; d < nd; d++) puts_(&s, "]");
    } else {
        const char *p = mxpy_data(a);
        if (!p) return NULL;
        const int64_t *st = mx_array_strides(a);
        if (nd == 0) put_value(&s, t, p);
        else put_sub(&s, t, nd, sh, st, p, 0);
    }
    puts_(&s, ", dtype=");
    puts_(&s, mx_dtype_name(t));
    puts_(&s, ")");
    PyObject *r = s.oom ? PyErr_NoMemory() : PyUnicode_FromStringAndSize(s.p, (Py_ssize_t)s.n);
    PyMem_Free(s.p);
    return r;
}

/* ---- PrintOptions, set/get_printoptions, printoptions ---- */
typedef struct {
    PyObject_HEAD
    int precision;
    int saved; /* used when the object is a context manager (printoptions) */
} opts_obj;

static PyTypeObject *opts_type;

static PyObject *opts_new(PyTypeObject *tp, PyObject *args, PyObject *kw) {
    PyObject *a[1];
    int64_t p = -1;
    if (mxpy_parse("PrintOptions", args, kw, "precision=", a) < 0) return NULL;
    if (!MXPY_ABSENT(a[0]) && mxpy_int(a[0], "precision", &p) < 0) return NULL;
    opts_obj *o = (opts_obj *)tp->tp_alloc(tp, 0);
    if (o) o->precision = (int)p, o->saved = -1;
    return (PyObject *)o;
}
static PyObject *opts_repr(PyObject *self) {
    return PyUnicode_FromFormat("PrintOptions(precision=%d)", ((opts_obj *)self)->precision);
}
static PyObject *opts_enter(PyObject *self, PyObject *unused) {
    (void)unused;
    opts_obj *o = (opts_obj *)self;
    o->saved = precision;
    precision = o->precision;
    Py_INCREF(self);
    return self;
}
static PyObject *opts_exit(PyObject *self, PyObject *args) {
    (void)args;
    precision = ((opts_obj *)self)->saved;
    Py_RETURN_FALSE;
}
static PyMemberDef opts_members[] = {
    {"precision", T_INT, offsetof(opts_obj, precision), 0, "Digits after the decimal point."},
    {NULL, 0, 0, 0, NULL},
};
static PyMethodDef opts_methods[] = {
    {"__enter__", opts_enter, METH_NOARGS, NULL},
    {"__exit__", opts_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};
static PyType_Slot opts_slots[] = {
    {Py_tp_new, opts_new},         {Py_tp_repr, opts_repr},
    {Py_tp_members, opts_members}, {Py_tp_methods, opts_methods},
    {Py_tp_doc, "Options for printing arrays."},
    {0, NULL},
};
static PyType_Spec opts_spec = {"mlx.core.PrintOptions", sizeof(opts_obj), 0, Py_TPFLAGS_DEFAULT,
                                opts_slots};

static PyObject *py_set_printoptions(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    PyObject *a[1];
    int64_t p;
    if (mxpy_parse("set_printoptions", args, kw, "precision=", a) < 0) return NULL;
    if (!MXPY_ABSENT(a[0])) {
        if (mxpy_int(a[0], "precision", &p) < 0) return NULL;
        precision = p < 0 ? -1 : (int)(p > 60 ? 60 : p);
    }
    Py_RETURN_NONE;
}
static PyObject *py_get_printoptions(PyObject *m, PyObject *unused) {
    (void)m, (void)unused;
    opts_obj *o = (opts_obj *)opts_type->tp_alloc(opts_type, 0);
    if (o) o->precision = precision, o->saved = -1;
    return (PyObject *)o;
}
static PyObject *py_printoptions(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    PyObject *a[1];
    int64_t p = precision;
    if (mxpy_parse("printoptions", args, kw, "precision=", a) < 0) return NULL;
    if (!MXPY_ABSENT(a[0]) && mxpy_int(a[0], "precision", &p) < 0) return NULL;
    opts_obj *o = (opts_obj *)opts_type->tp_alloc(opts_type, 0);
    if (o) o->precision = p < 0 ? -1 : (int)(p > 60 ? 60 : p), o->saved = precision;
    return (PyObject *)o;
}

static PyMethodDef print_funcs[] = {
    {"set_printoptions", (PyCFunction)(void (*)(void))py_set_printoptions,
     METH_VARARGS | METH_KEYWORDS, "set_printoptions(precision=None)\n\nSet global print options."},
    {"get_printoptions", py_get_printoptions, METH_NOARGS,
     "get_printoptions() -> PrintOptions\n\nThe current print options."},
    {"printoptions", (PyCFunction)(void (*)(void))py_printoptions, METH_VARARGS | METH_KEYWORDS,
     "printoptions(precision=None)\n\nContext manager setting print options temporarily."},
    {NULL, NULL, 0, NULL},
};

int mxpy_init_print(PyObject *m) {
    opts_type = (PyTypeObject *)PyType_FromSpec(&opts_spec);
    if (!opts_type) return -1;
    Py_INCREF(opts_type);
    if (mxpy_add(m, "PrintOptions", (PyObject *)opts_type) < 0) return -1;
    return PyModule_AddFunctions(m, print_funcs);
}
