/* python/src/args.c: the one argument parser every wrapper uses, and the converters for the
 * argument kinds MLX's signatures share (stream=, dtype=, shapes, axes, ints, floats, bools).
 * Array operands are converted in convert.c. */
#include <string.h>

#include "mxpy.h"

/* ---- the parser ---- */
#define MAX_PARAMS 24

typedef struct spec_param {
    char name[32];
    bool optional;
    bool pos_only;
    bool kw_only;
} spec_param;

/* Split "a, b=, /, *, stream=" into params. Returns the count or -1 (a bug in a wrapper). */
static int parse_spec(const char *spec, spec_param *p) {
    int n = 0;
    bool kw_only = false;
    const char *s = spec;
    while (*s) {
        while (*s == ' ' || *s == ',') s++;
        if (!*s) break;
        const char *e = s;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > s && t[-1] == ' ') t--;
        size_t len = (size_t)(t - s);
        if (len == 1 && *s == '/') {
            for (int i = 0; i < n; i++) p[i].pos_only = true;
        } else if (len == 1 && *s == '*') {
            kw_only = true;
        } else {
            if (n >= MAX_PARAMS || len >= sizeof p[n].name) return -1;
            bool opt = s[len - 1] == '=';
            memcpy(p[n].name, s, len - opt);
            p[n].name[len - opt] = 0;
            p[n].optional = opt;
            p[n].pos_only = false;
            p[n].kw_only = kw_only;
            n++;
        }
        s = e;
    }
    return n;
}

int mxpy_parse(const char *fn, PyObject *args, PyObject *kw, const char *spec, PyObject **out) {
    spec_param p[MAX_PARAMS];
    int n = parse_spec(spec, p);
    if (n < 0) {
        PyErr_Format(PyExc_SystemError, "%s(): bad argument spec", fn);
        return -1;
    }
    for (int i = 0; i < n; i++) out[i] = NULL;
    Py_ssize_t npos = args ? PyTuple_GET_SIZE(args) : 0;
    int max_pos = 0;
    while (max_pos < n && !p[max_pos].kw_only) max_pos++;
    if (npos > max_pos) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %d positional argument%s (%zd given)",
                     fn, max_pos, max_pos == 1 ? "" : "s", npos);
        return -1;
    }
    for (Py_ssize_t i = 0; i < npos; i++) out[i] = PyTuple_GET_ITEM(args, i);
    if (kw) {
        PyObject *key, *val;
        Py_ssize_t pos = 0;
        while (PyDict_Next(kw, &pos, &key, &val)) {
            const char *k = PyUnicode_AsUTF8(key);
            if (!k) return -1;
            int j = 0;
            while (j < n && (p[j].pos_only || strcmp(p[j].name, k) != 0)) j++;
            if (j == n) {
                PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%s'", fn,
                             k);
                return -1;
            }
            if (out[j]) {
                PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", fn, k);
                return -1;
            }
            out[j] = val;
        }
    }
    for (int i = 0; i < n; i++) {
        if (!out[i] && !p[i].optional) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s' (pos %d)", fn,
                         p[i].name, i + 1);
            return -1;
        }
    }
    return 0;
}

/* ---- converters ---- */
int mxpy_int(PyObject *o, const char *what, int64_t *out) {
    if (PyFloat_Check(o) || !PyIndex_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be an integer, got %s", what, Py_TYPE(o)->tp_name);
        return -1;
    }
    PyObject *i = PyNumber_Index(o);
    if (!i) return -1;
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(i, &overflow);
    Py_DECREF(i);
    if (overflow) {
        PyErr_Format(PyExc_OverflowError, "%s is too large", what);
        return -1;
    }
    if (v == -1 && PyErr_Occurred()) return -1;
    *out = v;
    return 0;
}

int mxpy_double(PyObject *o, const char *what, double *out) {
    if (MXPY_IS_ARRAY(o)) {
        mx_array *a = MXPY_ARR(o);
        if (mx_array_size(a) != 1) {
            PyErr_Format(PyExc_TypeError, "%s must be a scalar", what);
            return -1;
        }
        mx_status st;
        Py_BEGIN_ALLOW_THREADS st = mx_array_item_f64(a, out);
        Py_END_ALLOW_THREADS return mxpy_check(st);
    }
    if (!PyFloat_Check(o) && !PyLong_Check(o) && !PyIndex_Check(o) &&
        !PyObject_HasAttrString(o, "__float__")) {
        PyErr_Format(PyExc_TypeError, "%s must be a number, got %s", what, Py_TYPE(o)->tp_name);
        return -1;
    }
    double v = PyFloat_AsDouble(o);
    if (v == -1.0 && PyErr_Occurred()) return -1;
    *out = v;
    return 0;
}

int mxpy_bool(PyObject *o, bool dflt, bool *out) {
    if (MXPY_ABSENT(o)) {
        *out = dflt;
        return 0;
    }
    int r = PyObject_IsTrue(o);
    if (r < 0) return -1;
    *out = r;
    return 0;
}

int mxpy_shape(PyObject *o, const char *what, int64_t *shape, int *ndim) {
    if (PyIndex_Check(o) && !PyFloat_Check(o)) {
        *ndim = 1;
        return mxpy_int(o, what, &shape[0]);
    }
    if (MXPY_IS_ARRAY(o) || !PySequence_Check(o) || PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int or a sequence of ints, got %s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    PyObject *seq = PySequence_Fast(o, what);
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > MX_MAX_DIMS) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "%s has %zd dimensions; at most %d are supported", what, n,
                     MX_MAX_DIMS);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (mxpy_int(PySequence_Fast_GET_ITEM(seq, i), what, &shape[i]) < 0) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    *ndim = (int)n;
    return 0;
}

int mxpy_axes(PyObject *o, int *axes, int *naxes) {
    *naxes = -1;
    if (MXPY_ABSENT(o)) return 0;
    int64_t v[MX_MAX_DIMS];
    int n;
    if (mxpy_shape(o, "axis", v, &n) < 0) return -1;
    for (int i = 0; i < n; i++) {
        if (v[i] < INT32_MIN || v[i] > INT32_MAX) {
            PyErr_SetString(PyExc_ValueError, "axis out of range");
            return -1;
        }
        axes[i] = (int)v[i];
    }
    *naxes = n;
    return 0;
}

int mxpy_opt_int(PyObject *o, const char *what, int64_t dflt, int *out) {
    int64_t v = dflt;
    if (!MXPY_ABSENT(o) && mxpy_int(o, what, &v) < 0) return -1;
    if (v < INT32_MIN || v > INT32_MAX) {
        PyErr_Format(PyExc_ValueError, "%s out of range", what);
        return -1;
    }
    *out = (int)v;
    return 0;
}
