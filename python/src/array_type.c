/* python/src/array_type.c: the mlx.core.array type (MLX's python/src/array.cpp).
 *
 * The object holds exactly one owned mx_array *. In-place operators compute a new array and swap
 * the handle, keeping the Python object. Here: construction, properties, conversions (item,
 * tolist, __bool__/__int__/__float__/__complex__, __array__), the number protocol with reflected
 * and in-place forms (weak typing of Python scalars in convert.c), comparisons, __len__,
 * iteration over axis 0, copy/pickle, and the shape methods with MLX's *args forms. Methods that
 * are plain module ops (sum, exp, ...) are forwarded by mxpy_init_array_methods, only for the ops
 * the module has. Indexing lives in indexing.c, repr in print.c, the buffer protocol in
 * convert.c. */
#include <string.h>

#include "mxpy.h"

static PyObject *the_module; /* borrowed: the extension module, for forwards */
static PyTypeObject array_type_obj;
PyTypeObject *mxpy_array_type = &array_type_obj;

typedef mx_array *(*binfn)(mx_array *, mx_array *, mx_stream);
typedef mx_array *(*unfn)(mx_array *, mx_stream);

/* ---- construction and lifetime ---- */
static PyObject *array_new(PyTypeObject *tp, PyObject *args, PyObject *kw) {
    PyObject *a[2];
    mx_dtype t;
    if (mxpy_parse("array", args, kw, "val, dtype=", a) < 0 ||
        mxpy_dtype(a[1], MX_DTYPE_AUTO, &t) < 0)
        return NULL;
    mx_array *x = mxpy_to_array(a[0], t);
    if (!x) return NULL;
    mxpy_array *o = (mxpy_array *)tp->tp_alloc(tp, 0);
    if (!o) {
        mx_array_release(x);
        return NULL;
    }
    o->a = x;
    return (PyObject *)o;
}

static void array_dealloc(PyObject *self) {
    mxpy_array *o = (mxpy_array *)self;
    if (o->weakrefs) PyObject_ClearWeakRefs(self);
    mx_array_release(o->a);
    o->a = NULL;
    Py_TYPE(self)->tp_free(self);
}

/* ---- properties ---- */
#define A(self) MXPY_ARR(self)

static PyObject *get_shape(PyObject *self, void *c) {
    (void)c;
    int nd = mx_array_ndim(A(self));
    PyObject *t = PyTuple_New(nd);
    for (int i = 0; t && i < nd; i++) {
        PyObject *v = PyLong_FromLongLong(mx_array_shape(A(self))[i]);
        if (!v) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, i, v);
    }
    return t;
}
static PyObject *get_ndim(PyObject *self, void *c) {
    (void)c;
    return PyLong_FromLong(mx_array_ndim(A(self)));
}
static PyObject *get_size(PyObject *self, void *c) {
    (void)c;
    return PyLong_FromLongLong(mx_array_size(A(self)));
}
static PyObject *get_itemsize(PyObject *self, void *c) {
    (void)c;
    return PyLong_FromSize_t(mx_array_itemsize(A(self)));
}
static PyObject *get_nbytes(PyObject *self, void *c) {
    (void)c;
    return PyLong_FromSize_t(mx_array_nbytes(A(self)));
}
static PyObject *get_dtype(PyObject *self, void *c) {
    (void)c;
    return mxpy_dtype_object(mx_array_dtype(A(self)));
}
static PyObject *get_T(PyObject *self, void *c) {
    (void)c;
    return mxpy_wrap(mx_transpose(A(self), NULL, 0, MX_DEFAULT_STREAM));
}
static PyObject *get_real(PyObject *self, void *c) {
    (void)c;
    return mxpy_wrap(mx_real(A(self), MX_DEFAULT_STREAM));
}
static PyObject *get_imag(PyObject *self, void *c) {
    (void)c;
    return mxpy_wrap(mx_imag(A(self), MX_DEFAULT_STREAM));
}

static PyGetSetDef array_getset[] = {
    {"shape", get_shape, NULL, "The shape of the array as a Python tuple.", NULL},
    {"ndim", get_ndim, NULL, "The array's dimension.", NULL},
    {"size", get_size, NULL, "Number of elements in the array.", NULL},
    {"itemsize", get_itemsize, NULL, "The size of the array's datatype in bytes.", NULL},
    {"nbytes", get_nbytes, NULL, "The number of bytes in the array.", NULL},
    {"dtype", get_dtype, NULL, "The array's Dtype.", NULL},
    {"T", get_T, NULL, "Equivalent to calling self.transpose() with no arguments.", NULL},
    {"real", get_real, NULL, "The real part of a complex array.", NULL},
    {"imag", get_imag, NULL, "The imaginary part of a complex array.", NULL},
    {"at", mxpy_array_at, NULL, "Used to apply updates at the given indices.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* ---- conversions ---- */
static PyObject *m_item(PyObject *self, PyObject *unused) {
    (void)unused;
    return mxpy_item(A(self));
}
static PyObject *m_tolist(PyObject *self, PyObject *unused) {
    (void)unused;
    return mxpy_tolist(A(self));
}

static int nb_bool(PyObject *self) {
    if (mx_array_size(A(self)) != 1) {
        PyErr_SetString(PyExc_ValueError,
                        "The truth value of an array with more than one element is ambiguous.");
        return -1;
    }
    PyObject *v = mxpy_item(A(self));
    if (!v) return -1;
    int r = PyObject_IsTrue(v);
    Py_DECREF(v);
    return r;
}
static PyObject *scalar_as(PyObject *self, PyObject *(*conv)(PyObject *)) {
    if (mx_array_size(A(self)) != 1) {
        PyErr_SetString(PyExc_TypeError, "only size-1 arrays can be converted to Python scalars.");
        return NULL;
    }
    PyObject *v = mxpy_item(A(self));
    if (!v) return NULL;
    PyObject *r = conv(v);
    Py_DECREF(v);
    return r;
}
static PyObject *to_complex(PyObject *v) { return PyObject_CallOneArg((PyObject *)&PyComplex_Type, v); }
static PyObject *nb_int(PyObject *self) { return scalar_as(self, PyNumber_Long); }
static PyObject *nb_float(PyObject *self) { return scalar_as(self, PyNumber_Float); }
static PyObject *m_complex(PyObject *self, PyObject *unused) {
    (void)unused;
    return scalar_as(self, to_complex);
}

static PyObject *m_format(PyObject *self, PyObject *spec) {
    if (PyUnicode_Check(spec) && PyUnicode_GET_LENGTH(spec) == 0) return PyObject_Str(self);
    if (mx_array_size(A(self)) != 1) {
        PyErr_SetString(PyExc_TypeError, "unsupported format string passed to array.__format__");
        return NULL;
    }
    PyObject *v = mxpy_item(A(self));
    PyObject *r = v ? PyObject_Format(v, spec) : NULL;
    Py_XDECREF(v);
    return r;
}

static PyObject *m_array(PyObject *self, PyObject *args, PyObject *kw) {
    PyObject *a[2];
    if (mxpy_parse("__array__", args, kw, "dtype=, copy=", a) < 0) return NULL;
    PyObject *r = mxpy_to_numpy(A(self), false);
    if (r && !MXPY_ABSENT(a[0])) {
        PyObject *c = PyObject_CallMethod(r, "astype", "O", a[0]);
        Py_DECREF(r);
        r = c;
    }
    return r;
}

static PyObject *m_array_namespace(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self, (void)args, (void)kw;
    Py_INCREF(the_module);
    return the_module;
}

/* ---- copy and pickle ---- */
static PyObject *m_copy(PyObject *self, PyObject *unused) {
    (void)unused;
    return mxpy_wrap(mx_array_retain(A(self)));
}
static PyObject *m_deepcopy(PyObject *self, PyObject *memo) {
    (void)memo;
    return mxpy_wrap(mx_array_retain(A(self)));
}
/* State: (numpy array, dtype name); bfloat16 travels as its uint16 bits. */
static PyObject *m_getstate(PyObject *self, PyObject *unused) {
    (void)unused;
    PyObject *np = mxpy_to_numpy(A(self), true);
    if (!np) return NULL;
    return Py_BuildValue("(Ns)", np, mx_dtype_name(mx_array_dtype(A(self))));
}
static PyObject *m_setstate(PyObject *self, PyObject *state) {
    PyObject *np;
    const char *name;
    mx_dtype t;
    if (!PyArg_ParseTuple(state, "Os:__setstate__", &np, &name)) return NULL;
    if (!mx_dtype_from_name(name, &t)) {
        PyErr_Format(PyExc_ValueError, "__setstate__: unknown dtype %s", name);
        return NULL;
    }
    mx_array *x = mxpy_to_array(np, MX_DTYPE_AUTO);
    if (x && t == MX_BFLOAT16) {
        mx_array *v = mx_view(x, MX_BFLOAT16, mx_stream_of_device(MX_CPU)); /* host data */
        mx_array_release(x);
        if (!v) return mxpy_raise();
        x = v;
    } else if (x && mx_array_dtype(x) != t) {
        mx_array *v = mx_astype(x, t, mx_stream_of_device(MX_CPU)); /* host data */
        mx_array_release(x);
        if (!v) return mxpy_raise();
        x = v;
    }
    if (!x) return NULL;
    if (mxpy_eval(&x, 1) < 0) { /* detach from the NumPy copy now */
        mx_array_release(x);
        return NULL;
    }
    if (mxpy_replace(self, x) < 0) return NULL;
    Py_RETURN_NONE;
}
static PyObject *m_reduce(PyObject *self, PyObject *unused) {
    (void)unused;
    PyObject *state = m_getstate(self, NULL);
    if (!state) return NULL;
    return Py_BuildValue("(O(O)N)", (PyObject *)Py_TYPE(self), Py_False, state);
}

/* ---- shape methods ---- */
/* `*args` that may also be given as one sequence: reshape(2, 3) == reshape((2, 3)). */
static PyObject *star_args(PyObject *args) {
    if (PyTuple_GET_SIZE(args) == 1 && !PyIndex_Check(PyTuple_GET_ITEM(args, 0))) {
        PyObject *o = PyTuple_GET_ITEM(args, 0);
        Py_INCREF(o);
        return o;
    }
    Py_INCREF(args);
    return args;
}

static PyObject *m_reshape(PyObject *self, PyObject *args, PyObject *kw) {
    PyObject *k[2];
    mx_stream s;
    int64_t shape[MX_MAX_DIMS];
    int nd;
    if (mxpy_parse("reshape", NULL, kw, "*, shape=, stream=", k) < 0 || mxpy_stream(k[1], &s) < 0)
        return NULL;
    PyObject *sh = k[0] ? (Py_INCREF(k[0]), k[0]) : star_args(args);
    int r = mxpy_shape(sh, "shape", shape, &nd);
    Py_DECREF(sh);
    if (r < 0) return NULL;
    return mxpy_wrap(mx_reshape(A(self), shape, nd, s));
}

static PyObject *m_transpose(PyObject *self, PyObject *args, PyObject *kw) {
    PyObject *k[2];
    mx_stream s;
    int axes[MX_MAX_DIMS], n = -1;
    if (mxpy_parse("transpose", NULL, kw, "*, axes=, stream=", k) < 0 || mxpy_stream(k[1], &s) < 0)
        return NULL;
    PyObject *ax = k[0] ? (Py_INCREF(k[0]), k[0]) : star_args(args);
    int r = 0;
    if (!(PyTuple_Check(ax) && PyTuple_GET_SIZE(ax) == 0) && ax != Py_None) r = mxpy_axes(ax, axes, &n);
    Py_DECREF(ax);
    if (r < 0) return NULL;
    return mxpy_wrap(mx_transpose(A(self), n < 0 ? NULL : axes, n < 0 ? 0 : n, s));
}

static PyObject *m_astype(PyObject *self, PyObject *args, PyObject *kw) {
    PyObject *a[2];
    mx_dtype t;
    mx_stream s;
    if (mxpy_parse("astype", args, kw, "dtype, stream=", a) < 0 ||
        mxpy_dtype(a[0], MX_FLOAT32, &t) < 0 || mxpy_stream(a[1], &s) < 0)
        return NULL;
    return mxpy_wrap(mx_astype(A(self), t, s));
}

static PyObject *m_view(PyObject *self, PyObject *args, PyObject *kw) {
    PyObject *a[2];
    mx_dtype t;
    mx_stream s;
    if (mxpy_parse("view", args, kw, "dtype, *, stream=", a) < 0 ||
        mxpy_dtype(a[0], MX_FLOAT32, &t) < 0 || mxpy_stream(a[1], &s) < 0)
        return NULL;
    return mxpy_wrap(mx_view(A(self), t, s));
}

static PyObject *m_flatten(PyObject *self, PyObject *args, PyObject *kw) {
    PyObject *a[3];
    int64_t st = 0, en = -1;
    mx_stream s;
    if (mxpy_parse("flatten", args, kw, "start_axis=, end_axis=, *, stream=", a) < 0 ||
        (a[0] && mxpy_int(a[0], "start_axis", &st) < 0) ||
        (a[1] && mxpy_int(a[1], "end_axis", &en) < 0) || mxpy_stream(a[2], &s) < 0)
        return NULL;
    return mxpy_wrap(mx_flatten(A(self), (int)st, (int)en, s));
}

static PyObject *m_squeeze(PyObject *self, PyObject *args, PyObject *kw) {
    PyObject *a[2];
    int axes[MX_MAX_DIMS], n;
    mx_stream s;
    if (mxpy_parse("squeeze", args, kw, "axis=, *, stream=", a) < 0 || mxpy_axes(a[0], axes, &n) < 0 ||
        mxpy_stream(a[1], &s) < 0)
        return NULL;
    return mxpy_wrap(mx_squeeze(A(self), n < 0 ? NULL : axes, n < 0 ? 0 : n, s));
}

/* ---- containers ---- */
static Py_ssize_t sq_length(PyObject *self) {
    if (mx_array_ndim(A(self)) == 0) {
        PyErr_SetString(PyExc_TypeError, "len() 0-dimensional array.");
        return -1;
    }
    return (Py_ssize_t)mx_array_shape(A(self))[0];
}

typedef struct {
    PyObject_HEAD
    PyObject *arr;
    Py_ssize_t i, n;
} iter_obj;
static PyTypeObject *iter_type;

static PyObject *array_iter(PyObject *self) {
    if (mx_array_ndim(A(self)) == 0) {
        PyErr_SetString(PyExc_TypeError, "iteration over a 0-d array");
        return NULL;
    }
    iter_obj *it = PyObject_New(iter_obj, iter_type);
    if (!it) return NULL;
    Py_INCREF(self);
    it->arr = self;
    it->i = 0;
    it->n = (Py_ssize_t)mx_array_shape(A(self))[0];
    return (PyObject *)it;
}
static PyObject *iter_next(PyObject *self) {
    iter_obj *it = (iter_obj *)self;
    if (it->i >= it->n) return NULL;
    PyObject *i = PyLong_FromSsize_t(it->i++);
    PyObject *r = i ? mxpy_getitem(it->arr, i) : NULL;
    Py_XDECREF(i);
    return r;
}
static void iter_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    Py_XDECREF(((iter_obj *)self)->arr);
    PyObject_Free(self);
    Py_DECREF(tp);
}
static PyObject *iter_length_hint(PyObject *self, PyObject *unused) {
    (void)unused;
    iter_obj *it = (iter_obj *)self;
    return PyLong_FromSsize_t(it->n - it->i);
}
static PyMethodDef iter_methods[] = {
    {"__length_hint__", iter_length_hint, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};
static PyType_Slot iter_slots[] = {
    {Py_tp_iter, PyObject_SelfIter}, {Py_tp_iternext, iter_next},
    {Py_tp_dealloc, iter_dealloc},   {Py_tp_methods, iter_methods},
    {0, NULL},
};
static PyType_Spec iter_spec = {"mlx.core.ArrayIterator", sizeof(iter_obj), 0,
                                Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION, iter_slots};

/* ---- number protocol ---- */
static PyObject *binary(PyObject *a, PyObject *b, binfn f) {
    if (!mxpy_is_array_like(a) || !mxpy_is_array_like(b)) Py_RETURN_NOTIMPLEMENTED;
    mx_array *x, *y;
    if (mxpy_to_arrays(a, b, &x, &y) < 0) return NULL;
    mx_array *r = f(x, y, MX_DEFAULT_STREAM);
    mx_array_release(x);
    mx_array_release(y);
    return mxpy_wrap(r);
}
static PyObject *inplace(PyObject *self, PyObject *b, binfn f) {
    if (!mxpy_is_array_like(b)) Py_RETURN_NOTIMPLEMENTED;
    PyObject *r = binary(self, b, f);
    if (!r || r == Py_NotImplemented) return r;
    mx_array *x = mx_array_retain(MXPY_ARR(r));
    Py_DECREF(r);
    if (mxpy_replace(self, x) < 0) return NULL;
    Py_INCREF(self);
    return self;
}

#define BIN(slot, fn)                                                                              \
    static PyObject *nb_##slot(PyObject *a, PyObject *b) { return binary(a, b, fn); }              \
    static PyObject *nb_i##slot(PyObject *a, PyObject *b) { return inplace(a, b, fn); }
BIN(add, mx_add)
BIN(sub, mx_subtract)
BIN(mul, mx_multiply)
BIN(truediv, mx_divide)
BIN(floordiv, mx_floor_divide)
BIN(mod, mx_remainder)
BIN(and, mx_bitwise_and)
BIN(or, mx_bitwise_or)
BIN(xor, mx_bitwise_xor)
BIN(lshift, mx_left_shift)
BIN(rshift, mx_right_shift)

static PyObject *nb_pow(PyObject *a, PyObject *b, PyObject *m) {
    if (m != Py_None) Py_RETURN_NOTIMPLEMENTED;
    return binary(a, b, mx_power);
}
static PyObject *nb_ipow(PyObject *a, PyObject *b, PyObject *m) {
    if (m != Py_None) Py_RETURN_NOTIMPLEMENTED;
    return inplace(a, b, mx_power);
}
static PyObject *nb_divmod(PyObject *a, PyObject *b) {
    if (!mxpy_is_array_like(a) || !mxpy_is_array_like(b)) Py_RETURN_NOTIMPLEMENTED;
    mx_array *x, *y, *q, *r;
    if (mxpy_to_arrays(a, b, &x, &y) < 0) return NULL;
    mx_status st = mx_divmod(x, y, MX_DEFAULT_STREAM, &q, &r);
    mx_array_release(x);
    mx_array_release(y);
    if (st != MX_OK) return mxpy_raise();
    return Py_BuildValue("(NN)", mxpy_wrap(q), mxpy_wrap(r));
}
static PyObject *unary(PyObject *a, unfn f) { return mxpy_wrap(f(A(a), MX_DEFAULT_STREAM)); }
static PyObject *nb_neg(PyObject *a) { return unary(a, mx_negative); }
static PyObject *nb_pos(PyObject *a) { return mxpy_wrap(mx_array_retain(A(a))); }
static PyObject *nb_abs(PyObject *a) { return unary(a, mx_abs); }
static PyObject *nb_invert(PyObject *a) {
    mx_dtype t = mx_array_dtype(A(a));
    if (mx_dtype_is_inexact(t)) {
        PyErr_SetString(PyExc_ValueError, "Floating point types not allowed with bitwise inversion.");
        return NULL;
    }
    return unary(a, t == MX_BOOL ? mx_logical_not : mx_bitwise_invert);
}

/* Set by ops_bind.c when the matmul family is there (see mxpy_init_array_methods). */
static binfn matmul_fn;
static PyObject *nb_matmul(PyObject *a, PyObject *b) {
    if (!matmul_fn) Py_RETURN_NOTIMPLEMENTED;
    return binary(a, b, matmul_fn);
}
static PyObject *nb_imatmul(PyObject *a, PyObject *b) {
    if (!matmul_fn) Py_RETURN_NOTIMPLEMENTED;
    return inplace(a, b, matmul_fn);
}

static PyObject *richcompare(PyObject *a, PyObject *b, int op) {
    if (!mxpy_is_array_like(b) || !mxpy_is_array_like(a)) {
        if (op == Py_EQ) Py_RETURN_FALSE;
        if (op == Py_NE) Py_RETURN_TRUE;
        Py_RETURN_NOTIMPLEMENTED;
    }
    static const binfn fns[] = {mx_less, mx_less_equal, mx_equal,
                                mx_not_equal, mx_greater, mx_greater_equal};
    return binary(a, b, fns[op]);
}

static PyNumberMethods array_as_number = {
    .nb_add = nb_add,
    .nb_subtract = nb_sub,
    .nb_multiply = nb_mul,
    .nb_remainder = nb_mod,
    .nb_divmod = nb_divmod,
    .nb_power = nb_pow,
    .nb_negative = nb_neg,
    .nb_positive = nb_pos,
    .nb_absolute = nb_abs,
    .nb_bool = nb_bool,
    .nb_invert = nb_invert,
    .nb_lshift = nb_lshift,
    .nb_rshift = nb_rshift,
    .nb_and = nb_and,
    .nb_xor = nb_xor,
    .nb_or = nb_or,
    .nb_int = nb_int,
    .nb_float = nb_float,
    .nb_inplace_add = nb_iadd,
    .nb_inplace_subtract = nb_isub,
    .nb_inplace_multiply = nb_imul,
    .nb_inplace_remainder = nb_imod,
    .nb_inplace_power = nb_ipow,
    .nb_inplace_lshift = nb_ilshift,
    .nb_inplace_rshift = nb_irshift,
    .nb_inplace_and = nb_iand,
    .nb_inplace_xor = nb_ixor,
    .nb_inplace_or = nb_ior,
    .nb_floor_divide = nb_floordiv,
    .nb_true_divide = nb_truediv,
    .nb_inplace_floor_divide = nb_ifloordiv,
    .nb_inplace_true_divide = nb_itruediv,
    .nb_matrix_multiply = nb_matmul,
    .nb_inplace_matrix_multiply = nb_imatmul,
};

static PyMappingMethods array_as_mapping = {sq_length, mxpy_getitem, mxpy_setitem};
static PySequenceMethods array_as_sequence = {.sq_length = sq_length};

static PyObject *array_repr(PyObject *self) { return mxpy_array_repr(A(self)); }

#define KW (METH_VARARGS | METH_KEYWORDS)
#define CF(f) ((PyCFunction)(void (*)(void))(f))
static PyMethodDef array_methods[] = {
    {"item", m_item, METH_NOARGS, "item(self) -> scalar\n\nThe value of a size-1 array."},
    {"tolist", m_tolist, METH_NOARGS, "tolist(self) -> list\n\nThe array as nested lists."},
    {"astype", CF(m_astype), KW, "astype(self, dtype, stream=None) -> array\n\nCast to dtype."},
    {"reshape", CF(m_reshape), KW, "reshape(self, *shape, stream=None) -> array"},
    {"transpose", CF(m_transpose), KW, "transpose(self, *axes, stream=None) -> array"},
    {"flatten", CF(m_flatten), KW, "flatten(self, start_axis=0, end_axis=-1, *, stream=None)"},
    {"squeeze", CF(m_squeeze), KW, "squeeze(self, axis=None, *, stream=None) -> array"},
    {"view", CF(m_view), KW, "view(self, dtype, *, stream=None) -> array\n\nReinterpret bits."},
    {"__array__", CF(m_array), KW, NULL},
    {"__array_namespace__", CF(m_array_namespace), KW, NULL},
    {"__complex__", m_complex, METH_NOARGS, NULL},
    {"__format__", m_format, METH_O, NULL},
    {"__copy__", m_copy, METH_NOARGS, NULL},
    {"__deepcopy__", m_deepcopy, METH_O, NULL},
    {"__getstate__", m_getstate, METH_NOARGS, NULL},
    {"__setstate__", m_setstate, METH_O, NULL},
    {"__reduce__", m_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject array_type_obj = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mlx.core.array",
    .tp_basicsize = sizeof(mxpy_array),
    .tp_dealloc = array_dealloc,
    .tp_repr = array_repr,
    .tp_as_number = &array_as_number,
    .tp_as_sequence = &array_as_sequence,
    .tp_as_mapping = &array_as_mapping,
    .tp_hash = PyObject_HashNotImplemented,
    .tp_str = array_repr,
    .tp_as_buffer = &mxpy_array_as_buffer,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "array(val, dtype=None)\n\nAn N-dimensional array object.",
    .tp_richcompare = richcompare,
    .tp_weaklistoffset = offsetof(mxpy_array, weakrefs),
    .tp_iter = array_iter,
    .tp_methods = array_methods,
    .tp_getset = array_getset,
    .tp_new = array_new,
};

int mxpy_init_array(PyObject *m) {
    the_module = m;
    if (PyType_Ready(&array_type_obj) < 0) return -1;
    iter_type = (PyTypeObject *)PyType_FromSpec(&iter_spec);
    if (!iter_type) return -1;
    Py_INCREF(&array_type_obj);
    Py_INCREF(iter_type);
    if (mxpy_add(m, "array", (PyObject *)&array_type_obj) < 0 ||
        mxpy_add(m, "ArrayIterator", (PyObject *)iter_type) < 0)
        return -1;
    return 0;
}

/* ---- methods forwarded to module ops ---- */
PyObject *mxpy_call_op(const char *name, PyObject *self, PyObject *args, PyObject *kw) {
    PyObject *f = PyObject_GetAttrString(the_module, name);
    if (!f) return NULL;
    Py_ssize_t n = args ? PyTuple_GET_SIZE(args) : 0;
    PyObject *full = PyTuple_New(n + 1);
    if (!full) {
        Py_DECREF(f);
        return NULL;
    }
    Py_INCREF(self);
    PyTuple_SET_ITEM(full, 0, self);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_INCREF(PyTuple_GET_ITEM(args, i));
        PyTuple_SET_ITEM(full, i + 1, PyTuple_GET_ITEM(args, i));
    }
    PyObject *r = PyObject_Call(f, full, kw);
    Py_DECREF(full);
    Py_DECREF(f);
    return r;
}

#define FORWARDS(X)                                                                                \
    X(abs) X(square) X(sqrt) X(rsqrt) X(reciprocal) X(exp) X(log) X(log2) X(log10) X(sin) X(cos)  \
    X(log1p) X(all) X(any) X(moveaxis) X(swapaxes) X(sum) X(prod) X(min) X(max)                   \
    X(logcumsumexp) X(logsumexp) X(mean) X(std) X(var) X(split) X(argmin) X(argmax) X(cumsum)     \
    X(cumprod) X(cummax) X(cummin) X(round) X(diagonal) X(diag) X(conj)
#define X(name)                                                                                    \
    static PyObject *fwd_##name(PyObject *self, PyObject *args, PyObject *kw) {                    \
        return mxpy_call_op(#name, self, args, kw);                                                \
    }
FORWARDS(X)
#undef X
#define X(name) {#name, CF(fwd_##name), KW, "See mlx.core." #name "."},
static PyMethodDef forward_defs[] = {FORWARDS(X){NULL, NULL, 0, NULL}};
#undef X

/* Called last by module.c: add the forwards whose module op exists. */
int mxpy_init_array_methods(PyObject *m) {
    for (PyMethodDef *d = forward_defs; d->ml_name; d++) {
        if (!PyObject_HasAttrString(m, d->ml_name)) continue;
        PyObject *descr = PyDescr_NewMethod(&array_type_obj, d);
        if (!descr || PyDict_SetItemString(array_type_obj.tp_dict, d->ml_name, descr) < 0) {
            Py_XDECREF(descr);
            return -1;
        }
        Py_DECREF(descr);
    }
    PyType_Modified(&array_type_obj);
    return 0;
}

void mxpy_set_matmul(binfn f) { matmul_fn = f; }
