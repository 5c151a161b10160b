/* python/src/transforms_bind.c: eval and async_eval over arbitrary trees of arrays (lists,
 * tuples, dicts; other leaves are ignored), with the GIL released while the graph runs.
 * grad/vmap/compile land here with the transforms issue. */
#include "mxpy.h"

typedef struct {
    mx_array **v;
    int n, cap;
} arr_vec;

static int collect(PyObject *o, arr_vec *out, int depth) {
    if (depth > 200) {
        PyErr_SetString(PyExc_RecursionError, "eval: tree too deep");
        return -1;
    }
    if (MXPY_IS_ARRAY(o)) {
        if (out->n == out->cap) {
            int cap = out->cap ? 2 * out->cap : 16;
            mx_array **v = PyMem_Realloc(out->v, (size_t)cap * sizeof *v);
            if (!v) {
                PyErr_NoMemory();
                return -1;
            }
            out->v = v, out->cap = cap;
        }
        out->v[out->n++] = mx_array_retain(MXPY_ARR(o));
        return 0;
    }
    if (PyList_Check(o) || PyTuple_Check(o)) {
        PyObject *f = PySequence_Fast(o, "");
        if (!f) return -1;
        int rc = 0;
        for (Py_ssize_t i = 0; rc == 0 && i < PySequence_Fast_GET_SIZE(f); i++)
            rc = collect(PySequence_Fast_GET_ITEM(f, i), out, depth + 1);
        Py_DECREF(f);
        return rc;
    }
    if (PyDict_Check(o)) {
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(o, &pos, &k, &v))
            if (collect(v, out, depth + 1) < 0) return -1;
    }
    return 0;
}

static PyObject *eval_impl(PyObject *args, PyObject *kw, bool async, const char *fn) {
    if (kw && PyDict_Size(kw)) {
        PyErr_Format(PyExc_TypeError, "%s() takes no keyword arguments", fn);
        return NULL;
    }
    arr_vec v = {0};
    int rc = collect(args, &v, 0);
    if (rc == 0 && v.n > 0) {
        mx_status st;
        Py_BEGIN_ALLOW_THREADS st = async ? mx_async_eval(v.v, v.n) : mx_eval(v.v, v.n);
        Py_END_ALLOW_THREADS rc = mxpy_check(st);
    }
    for (int i = 0; i < v.n; i++) mx_array_release(v.v[i]);
    PyMem_Free(v.v);
    if (rc < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *py_eval(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    return eval_impl(args, kw, false, "eval");
}
static PyObject *py_async_eval(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    return eval_impl(args, kw, true, "async_eval");
}

static PyMethodDef transform_funcs[] = {
    {"eval", (PyCFunction)(void (*)(void))py_eval, METH_VARARGS | METH_KEYWORDS,
     "eval(*args) -> None\n\nEvaluate each array in the arguments (trees of lists, tuples and "
     "dicts are traversed; other leaves are ignored)."},
    {"async_eval", (PyCFunction)(void (*)(void))py_async_eval, METH_VARARGS | METH_KEYWORDS,
     "async_eval(*args) -> None\n\nSchedule evaluation of the arrays and return; reading them "
     "waits."},
    {NULL, NULL, 0, NULL},
};

int mxpy_init_transforms(PyObject *m) { return PyModule_AddFunctions(m, transform_funcs); }
