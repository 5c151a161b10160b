/* python/src/trees.c: pytree flatten/unflatten over lists, tuples and dicts, and the prefix-tree
 * matching of vmap's in_axes/out_axes (see trees.h). Used by transforms_bind.c. */
#include "trees.h"

#define MAX_DEPTH 500

int mxpy_arrvec_push(mxpy_arrvec *v, mx_array *a) {
    if (v->n == v->cap) {
        int cap = v->cap ? 2 * v->cap : 16;
        mx_array **nv = PyMem_Realloc(v->v, (size_t)cap * sizeof *nv);
        if (!nv) {
            PyErr_NoMemory();
            return -1;
        }
        v->v = nv;
        v->cap = cap;
    }
    v->v[v->n++] = mx_array_retain(a);
    return 0;
}

void mxpy_arrvec_free(mxpy_arrvec *v) {
    for (int i = 0; i < v->n; i++) mx_array_release(v->v[i]);
    PyMem_Free(v->v);
    v->v = NULL;
    v->n = v->cap = 0;
}

int mxpy_intvec_push(mxpy_intvec *v, int x) {
    if (v->n == v->cap) {
        int cap = v->cap ? 2 * v->cap : 16;
        int *nv = PyMem_Realloc(v->v, (size_t)cap * sizeof *nv);
        if (!nv) {
            PyErr_NoMemory();
            return -1;
        }
        v->v = nv;
        v->cap = cap;
    }
    v->v[v->n++] = x;
    return 0;
}

static int too_deep(int depth) {
    if (depth <= MAX_DEPTH) return 0;
    PyErr_SetString(PyExc_RecursionError, "[tree] the tree is too deeply nested");
    return -1;
}

static int flatten(PyObject *o, bool strict, mxpy_arrvec *out, int depth) {
    if (too_deep(depth)) return -1;
    if (MXPY_IS_ARRAY(o)) return mxpy_arrvec_push(out, MXPY_ARR(o));
    if (PyList_Check(o) || PyTuple_Check(o)) {
        PyObject *f = PySequence_Fast(o, "");
        if (!f) return -1;
        int rc = 0;
        for (Py_ssize_t i = 0; rc == 0 && i < PySequence_Fast_GET_SIZE(f); i++)
            rc = flatten(PySequence_Fast_GET_ITEM(f, i), strict, out, depth + 1);
        Py_DECREF(f);
        return rc;
    }
    if (PyDict_Check(o)) {
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(o, &pos, &k, &v)) {
            Py_INCREF(v); /* the callee may run code that mutates the dict */
            int rc = flatten(v, strict, out, depth + 1);
            Py_DECREF(v);
            if (rc < 0) return -1;
        }
        return 0;
    }
    if (strict) {
        PyErr_SetString(PyExc_ValueError, "[tree_flatten] The argument should contain only arrays");
        return -1;
    }
    return 0;
}

int mxpy_tree_flatten(PyObject *tree, bool strict, mxpy_arrvec *out) {
    return flatten(tree, strict, out, 0);
}

static PyObject *unflatten(PyObject *o, mx_array *const *values, int n, int *index, int depth) {
    if (too_deep(depth)) return NULL;
    if (MXPY_IS_ARRAY(o)) {
        if (*index >= n) {
            PyErr_SetString(PyExc_ValueError, "[tree_unflatten] not enough arrays for the tree");
            return NULL;
        }
        return mxpy_wrap(mx_array_retain(values[(*index)++]));
    }
    if (PyList_Check(o) || PyTuple_Check(o)) {
        PyObject *f = PySequence_Fast(o, "");
        if (!f) return NULL;
        Py_ssize_t len = PySequence_Fast_GET_SIZE(f);
        PyObject *r = PyList_Check(o) ? PyList_New(len) : PyTuple_New(len);
        for (Py_ssize_t i = 0; r && i < len; i++) {
            PyObject *it = unflatten(PySequence_Fast_GET_ITEM(f, i), values, n, index, depth + 1);
            if (!it) {
                Py_CLEAR(r);
                break;
            }
            if (PyList_Check(r)) PyList_SET_ITEM(r, i, it);
            else PyTuple_SET_ITEM(r, i, it);
        }
        Py_DECREF(f);
        return r;
    }
    if (PyDict_Check(o)) {
        PyObject *r = PyDict_New();
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (r && PyDict_Next(o, &pos, &k, &v)) {
            Py_INCREF(k);
            Py_INCREF(v);
            PyObject *it = unflatten(v, values, n, index, depth + 1);
            if (!it || PyDict_SetItem(r, k, it) < 0) Py_CLEAR(r);
            Py_XDECREF(it);
            Py_DECREF(k);
            Py_DECREF(v);
        }
        return r;
    }
    Py_INCREF(o);
    return o;
}

PyObject *mxpy_tree_unflatten(PyObject *tree, mx_array *const *values, int n, int *index) {
    return unflatten(tree, values, n, index, 0);
}

/* ---- vmap axes ---- */
typedef struct axes_state {
    int extra;
    const char *what;
    bool saw_tuple;
    mxpy_intvec *out;
} axes_state;

static int bad_prefix(void) {
    PyErr_SetString(PyExc_ValueError,
                    "[tree_visit] Additional input tree is not a valid prefix of the first tree.");
    return -1;
}

static int axis_value(PyObject *leaf, PyObject *a, axes_state *st) {
    if (a == Py_None) return mxpy_intvec_push(st->out, -1);
    if (!PyLong_Check(a)) {
        PyErr_SetString(PyExc_ValueError, "[vmap] axis must be int or None.");
        return -1;
    }
    int overflow = 0;
    long ax = PyLong_AsLongAndOverflow(a, &overflow);
    if (ax == -1 && PyErr_Occurred()) return -1;
    int nd = mx_array_ndim(MXPY_ARR(leaf)) + st->extra;
    if (!overflow && ax < 0) ax += nd;
    if (overflow || ax < 0 || ax >= nd) {
        char shape[256];
        int pos = 0;
        mx_array *x = MXPY_ARR(leaf);
        const int64_t *sh = mx_array_shape(x);
        pos += snprintf(shape + pos, sizeof shape - (size_t)pos, "(");
        for (int d = 0; d < mx_array_ndim(x) && pos < (int)sizeof shape - 24; d++)
            pos += snprintf(shape + pos, sizeof shape - (size_t)pos, d ? ",%lld" : "%lld",
                            (long long)sh[d]);
        snprintf(shape + pos, sizeof shape - (size_t)pos, ")");
        PyErr_Format(PyExc_ValueError, "[vmap] Invalid%svectorization axis %ld for array with shape %s",
                     st->extra ? " output " : " ", overflow ? 0L : ax, shape);
        return -1;
    }
    return mxpy_intvec_push(st->out, (int)ax);
}

static int axes_leaf(PyObject *leaf, PyObject *a, axes_state *st) {
    if (!MXPY_IS_ARRAY(leaf)) {
        PyErr_Format(PyExc_ValueError, "[vmap] The %s should contain only arrays", st->what);
        return -1;
    }
    if (PyTuple_Check(a)) {
        st->saw_tuple = true;
        if (PyTuple_GET_SIZE(a) == 1) return axis_value(leaf, PyTuple_GET_ITEM(a, 0), st);
        PyErr_SetString(PyExc_ValueError, "[vmap] axis must be int or None.");
        return -1;
    }
    return axis_value(leaf, a, st);
}

static int axes_visit(PyObject *t, PyObject *a, axes_state *st, int depth) {
    if (too_deep(depth)) return -1;
    if (PyList_Check(t) || PyTuple_Check(t)) {
        bool is_list = PyList_Check(t);
        Py_ssize_t len = PySequence_Size(t);
        bool same = is_list ? PyList_Check(a) : PyTuple_Check(a);
        bool other = is_list ? (PyTuple_Check(a) || PyDict_Check(a))
                             : (PyList_Check(a) || PyDict_Check(a));
        if (other || (same && PySequence_Size(a) != len)) return bad_prefix();
        for (Py_ssize_t i = 0; i < len; i++) {
            PyObject *ti = PySequence_GetItem(t, i);
            PyObject *ai = same ? PySequence_GetItem(a, i) : (Py_INCREF(a), a);
            int rc = (ti && ai) ? axes_visit(ti, ai, st, depth + 1) : -1;
            Py_XDECREF(ti);
            Py_XDECREF(ai);
            if (rc < 0) return -1;
        }
        return 0;
    }
    if (PyDict_Check(t)) {
        if (PyList_Check(a) || PyTuple_Check(a)) return bad_prefix();
        bool same = PyDict_Check(a);
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(t, &pos, &k, &v)) {
            PyObject *ai = a;
            if (same) {
                ai = PyDict_GetItemWithError(a, k);
                if (!ai) {
                    if (!PyErr_Occurred())
                        PyErr_SetString(PyExc_ValueError,
                                        "[tree_visit] Tree is not a valid prefix tree of the first tree.");
                    return -1;
                }
            }
            Py_INCREF(ai);
            Py_INCREF(v);
            int rc = axes_visit(v, ai, st, depth + 1);
            Py_DECREF(v);
            Py_DECREF(ai);
            if (rc < 0) return -1;
        }
        return 0;
    }
    return axes_leaf(t, a, st);
}

int mxpy_tree_axes(PyObject *tree, PyObject *axes, int extra, const char *what, mxpy_intvec *out) {
    axes_state st = {extra, what, false, out};
    if (axes_visit(tree, axes, &st, 0) < 0) return -1;
    if (st.saw_tuple && !MXPY_IS_ARRAY(tree)) {
        PyErr_SetString(PyExc_ValueError, "[vmap] axis must be int or None.");
        return -1;
    }
    return 0;
}
