/* python/src/errors.c: the one table mapping mx_status to Python exceptions, and the helpers that
 * turn a failed C call (NULL array, non-OK status) into a raised exception carrying
 * mx_error_message(). */
#include "mxpy.h"

/* MLX raises ValueError for unsupported dtype/op combinations (std::invalid_argument), so
 * MX_ERR_UNSUPPORTED maps to ValueError too. */
static PyObject *exception_for(mx_status st) {
    switch (st) {
    case MX_ERR_VALUE: return PyExc_ValueError;
    case MX_ERR_TYPE: return PyExc_TypeError;
    case MX_ERR_INDEX: return PyExc_IndexError;
    case MX_ERR_NOMEM: return PyExc_MemoryError;
    case MX_ERR_UNSUPPORTED: return PyExc_ValueError;
    case MX_ERR_IO: return PyExc_OSError;
    case MX_ERR_OVERFLOW: return PyExc_OverflowError;
    case MX_ERR_BACKEND:
    case MX_ERR_INTERNAL:
    default: return PyExc_RuntimeError;
    }
}

PyObject *mxpy_raise(void) {
    mx_status st = mx_error_status();
    if (st == MX_ERR_CALLBACK && PyErr_Occurred()) {
        mx_error_clear();
        return NULL; /* the callback's own exception stays */
    }
    if (PyErr_Occurred()) return NULL; /* a Python-side error is already more precise */
    const char *msg = mx_error_message();
    if (st == MX_OK) {
        PyErr_SetString(PyExc_RuntimeError, msg && *msg ? msg : "[cmlx] unknown error");
    } else {
        PyErr_SetString(exception_for(st), msg && *msg ? msg : "[cmlx] error");
    }
    mx_error_clear();
    return NULL;
}

int mxpy_check(mx_status st) {
    if (st == MX_OK) return 0;
    mxpy_raise();
    return -1;
}

PyObject *mxpy_wrap(mx_array *a) {
    if (!a) return mxpy_raise();
    mxpy_array *o = (mxpy_array *)mxpy_array_type->tp_alloc(mxpy_array_type, 0);
    if (!o) {
        mx_array_release(a);
        return NULL;
    }
    o->a = a;
    o->weakrefs = NULL;
    return (PyObject *)o;
}

int mxpy_replace(PyObject *self, mx_array *a) {
    if (!a) {
        mxpy_raise();
        return -1;
    }
    mx_array *old = MXPY_ARR(self);
    MXPY_ARR(self) = a;
    mx_array_release(old);
    return 0;
}

int mxpy_add(PyObject *m, const char *name, PyObject *o) {
    if (!o) return -1;
    if (PyModule_AddObject(m, name, o) < 0) {
        Py_DECREF(o);
        return -1;
    }
    return 0;
}

int mxpy_init_errors(PyObject *m) {
    (void)m;
    mx_error_clear();
    return 0;
}
