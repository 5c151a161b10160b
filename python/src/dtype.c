/* python/src/dtype.c: Dtype objects (the 14 singletons mx.bool_ ... mx.complex64), the
 * DtypeCategory enum and its module-level members, finfo/iinfo, and the dtype utilities
 * issubdtype, result_type, can_cast and isdtype. Promotion is mx_promote_types. */
#include <float.h>
#include <string.h>

#include "mxpy.h"
#include <structmember.h>

typedef struct {
    PyObject_HEAD
    mx_dtype t;
} dtype_obj;

typedef struct {
    PyObject_HEAD
    mx_dtype_category c;
} category_obj;

PyTypeObject *mxpy_dtype_type;
static PyTypeObject *category_type;
static PyObject *dtypes[MX_NUM_DTYPES];
static PyObject *categories[8];

static const char *const category_names[8] = {"complexfloating", "floating",  "inexact",
                                              "signedinteger",   "unsignedinteger", "integer",
                                              "number",          "generic"};

/* ---- Dtype ---- */
static const char *py_name(mx_dtype t) { return t == MX_BOOL ? "bool" : mx_dtype_name(t); }

static PyObject *dtype_repr(PyObject *self) {
    return PyUnicode_FromFormat("mlx.core.%s", py_name(((dtype_obj *)self)->t));
}

static PyObject *dtype_richcompare(PyObject *a, PyObject *b, int op) {
    if ((op != Py_EQ && op != Py_NE) || !PyObject_TypeCheck(a, mxpy_dtype_type) ||
        !PyObject_TypeCheck(b, mxpy_dtype_type))
        Py_RETURN_NOTIMPLEMENTED;
    bool eq = ((dtype_obj *)a)->t == ((dtype_obj *)b)->t;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static Py_hash_t dtype_hash(PyObject *self) { return 0x6d78 + (Py_hash_t)((dtype_obj *)self)->t; }

static PyObject *dtype_size(PyObject *self, void *c) {
    (void)c;
    return PyLong_FromSize_t(mx_dtype_size(((dtype_obj *)self)->t));
}

static PyObject *dtype_reduce(PyObject *self, PyObject *unused) {
    (void)unused; /* pickled by name: the singletons live in the module */
    const char *n = mx_dtype_name(((dtype_obj *)self)->t);
    return PyUnicode_FromString(strcmp(n, "bool") == 0 ? "bool_" : n);
}

static PyGetSetDef dtype_getset[] = {
    {"size", dtype_size, NULL, "Size of the type in bytes.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
static PyMethodDef dtype_methods[] = {
    {"__reduce__", dtype_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot dtype_slots[] = {
    {Py_tp_repr, dtype_repr},
    {Py_tp_str, dtype_repr},
    {Py_tp_richcompare, dtype_richcompare},
    {Py_tp_hash, dtype_hash},
    {Py_tp_getset, dtype_getset},
    {Py_tp_methods, dtype_methods},
    {Py_tp_doc, "An object to hold the type of an array."},
    {0, NULL},
};
static PyType_Spec dtype_spec = {"mlx.core.Dtype", sizeof(dtype_obj), 0,
                                 Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
                                 dtype_slots};

PyObject *mxpy_dtype_object(mx_dtype t) {
    if (!mx_dtype_valid((int)t)) {
        PyErr_Format(PyExc_ValueError, "invalid dtype %d", (int)t);
        return NULL;
    }
    Py_INCREF(dtypes[t]);
    return dtypes[t];
}

int mxpy_dtype(PyObject *o, mx_dtype dflt, mx_dtype *out) {
    if (MXPY_ABSENT(o)) {
        *out = dflt;
        return 0;
    }
    if (!PyObject_TypeCheck(o, mxpy_dtype_type)) {
        PyErr_Format(PyExc_TypeError, "expected a Dtype (e.g. mlx.core.float32), got %s",
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    *out = ((dtype_obj *)o)->t;
    return 0;
}

/* ---- DtypeCategory ---- */
static PyObject *category_repr(PyObject *self) {
    return PyUnicode_FromFormat("DtypeCategory.%s", category_names[((category_obj *)self)->c]);
}
static PyObject *category_richcompare(PyObject *a, PyObject *b, int op) {
    if ((op != Py_EQ && op != Py_NE) || !PyObject_TypeCheck(a, category_type) ||
        !PyObject_TypeCheck(b, category_type))
        Py_RETURN_NOTIMPLEMENTED;
    bool eq = ((category_obj *)a)->c == ((category_obj *)b)->c;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}
static Py_hash_t category_hash(PyObject *self) {
    return 0x6378 + (Py_hash_t)((category_obj *)self)->c;
}
static PyObject *category_name(PyObject *self, void *c) {
    (void)c;
    return PyUnicode_FromString(category_names[((category_obj *)self)->c]);
}
static PyObject *category_value(PyObject *self, void *c) {
    (void)c;
    return PyLong_FromLong(((category_obj *)self)->c);
}
static PyGetSetDef category_getset[] = {
    {"name", category_name, NULL, NULL, NULL},
    {"value", category_value, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
static PyType_Slot category_slots[] = {
    {Py_tp_repr, category_repr},
    {Py_tp_richcompare, category_richcompare},
    {Py_tp_hash, category_hash},
    {Py_tp_getset, category_getset},
    {Py_tp_doc, "Type to hold categories of dtypes (generic, number, integer, ...)."},
    {0, NULL},
};
static PyType_Spec category_spec = {"mlx.core.DtypeCategory", sizeof(category_obj), 0,
                                    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
                                    category_slots};

/* ---- finfo / iinfo ---- */
typedef struct {
    PyObject_HEAD
    int bits;
    double min, max, eps, smallest_normal;
    PyObject *dtype;
} finfo_obj;

typedef struct {
    PyObject_HEAD
    PyObject *min, *max, *dtype;
} iinfo_obj;

static PyObject *finfo_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    PyObject *a[1];
    mx_dtype t;
    if (mxpy_parse("finfo", args, kw, "dtype", a) < 0 || mxpy_dtype(a[0], MX_FLOAT32, &t) < 0)
        return NULL;
    if (!mx_dtype_is_inexact(t)) {
        PyErr_Format(PyExc_ValueError, "[finfo] dtype %s is not inexact.", py_name(t));
        return NULL;
    }
    finfo_obj *o = (finfo_obj *)type->tp_alloc(type, 0);
    if (!o) return NULL;
    switch (t) {
    case MX_FLOAT16:
        o->bits = 16, o->max = 65504.0, o->eps = 0x1p-10, o->smallest_normal = 0x1p-14;
        break;
    case MX_BFLOAT16:
        o->bits = 16, o->max = 0x1.fep127, o->eps = 0x1p-7, o->smallest_normal = 0x1p-126;
        break;
    case MX_FLOAT64:
        o->bits = 64, o->max = DBL_MAX, o->eps = DBL_EPSILON, o->smallest_normal = DBL_MIN;
        break;
    default: /* float32, complex64 (reports float32 as MLX) */
        o->bits = 32, o->max = FLT_MAX, o->eps = FLT_EPSILON, o->smallest_normal = FLT_MIN;
        t = MX_FLOAT32;
        break;
    }
    o->min = -o->max;
    o->dtype = mxpy_dtype_object(t);
    return (PyObject *)o;
}

static void finfo_dealloc(PyObject *self) {
    Py_XDECREF(((finfo_obj *)self)->dtype);
    PyTypeObject *tp = Py_TYPE(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyObject *finfo_repr(PyObject *self) {
    finfo_obj *o = (finfo_obj *)self;
    char buf[160];
    snprintf(buf, sizeof buf, "finfo(min=%g, max=%g, dtype=%s)", o->min, o->max,
             py_name(((dtype_obj *)o->dtype)->t));
    return PyUnicode_FromString(buf);
}

static PyMemberDef finfo_members[] = {
    {"bits", T_INT, offsetof(finfo_obj, bits), READONLY, NULL},
    {"min", T_DOUBLE, offsetof(finfo_obj, min), READONLY, NULL},
    {"max", T_DOUBLE, offsetof(finfo_obj, max), READONLY, NULL},
    {"eps", T_DOUBLE, offsetof(finfo_obj, eps), READONLY, NULL},
    {"smallest_normal", T_DOUBLE, offsetof(finfo_obj, smallest_normal), READONLY, NULL},
    {"dtype", T_OBJECT, offsetof(finfo_obj, dtype), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};
static PyType_Slot finfo_slots[] = {
    {Py_tp_new, finfo_new},           {Py_tp_dealloc, finfo_dealloc},
    {Py_tp_repr, finfo_repr},         {Py_tp_members, finfo_members},
    {Py_tp_doc, "Get information on floating-point types."},
    {0, NULL},
};
static PyType_Spec finfo_spec = {"mlx.core.finfo", sizeof(finfo_obj), 0, Py_TPFLAGS_DEFAULT,
                                 finfo_slots};

static PyObject *iinfo_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    PyObject *a[1];
    mx_dtype t;
    if (mxpy_parse("iinfo", args, kw, "dtype", a) < 0 || mxpy_dtype(a[0], MX_INT32, &t) < 0)
        return NULL;
    if (!mx_dtype_is_int(t) && t != MX_BOOL) {
        PyErr_Format(PyExc_ValueError, "[iinfo] dtype %s is not integral.", py_name(t));
        return NULL;
    }
    iinfo_obj *o = (iinfo_obj *)type->tp_alloc(type, 0);
    if (!o) return NULL;
    int bits = 8 * (int)mx_dtype_size(t);
    if (t == MX_BOOL) {
        o->min = PyLong_FromLong(0), o->max = PyLong_FromLong(1);
    } else if (mx_dtype_is_signed(t)) {
        o->min = PyLong_FromLongLong(bits == 64 ? INT64_MIN : -(1LL << (bits - 1)));
        o->max = PyLong_FromLongLong(bits == 64 ? INT64_MAX : (1LL << (bits - 1)) - 1);
    } else {
        o->min = PyLong_FromLong(0);
        o->max = PyLong_FromUnsignedLongLong(bits == 64 ? UINT64_MAX : (1ULL << bits) - 1);
    }
    o->dtype = mxpy_dtype_object(t);
    if (!o->min || !o->max) {
        Py_DECREF(o);
        return NULL;
    }
    return (PyObject *)o;
}

static void iinfo_dealloc(PyObject *self) {
    iinfo_obj *o = (iinfo_obj *)self;
    Py_XDECREF(o->min);
    Py_XDECREF(o->max);
    Py_XDECREF(o->dtype);
    PyTypeObject *tp = Py_TYPE(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyObject *iinfo_repr(PyObject *self) {
    iinfo_obj *o = (iinfo_obj *)self;
    return PyUnicode_FromFormat("iinfo(min=%S, max=%S, dtype=%s)", o->min, o->max,
                                py_name(((dtype_obj *)o->dtype)->t));
}

static PyMemberDef iinfo_members[] = {
    {"min", T_OBJECT, offsetof(iinfo_obj, min), READONLY, NULL},
    {"max", T_OBJECT, offsetof(iinfo_obj, max), READONLY, NULL},
    {"dtype", T_OBJECT, offsetof(iinfo_obj, dtype), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};
static PyType_Slot iinfo_slots[] = {
    {Py_tp_new, iinfo_new},           {Py_tp_dealloc, iinfo_dealloc},
    {Py_tp_repr, iinfo_repr},         {Py_tp_members, iinfo_members},
    {Py_tp_doc, "Get information on integer types."},
    {0, NULL},
};
static PyType_Spec iinfo_spec = {"mlx.core.iinfo", sizeof(iinfo_obj), 0, Py_TPFLAGS_DEFAULT,
                                 iinfo_slots};

/* ---- utilities ---- */
/* A dtype from a Dtype object or an array (for result_type / can_cast / isdtype). */
static int dtype_of(PyObject *o, mx_dtype *t) {
    if (PyObject_TypeCheck(o, mxpy_dtype_type)) {
        *t = ((dtype_obj *)o)->t;
        return 0;
    }
    if (MXPY_IS_ARRAY(o)) {
        *t = mx_array_dtype(MXPY_ARR(o));
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "expected an array or a Dtype, got %s", Py_TYPE(o)->tp_name);
    return -1;
}

static PyObject *py_issubdtype(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    PyObject *a[2];
    if (mxpy_parse("issubdtype", args, kw, "arg1, arg2", a) < 0) return NULL;
    bool d0 = PyObject_TypeCheck(a[0], mxpy_dtype_type), d1 = PyObject_TypeCheck(a[1], mxpy_dtype_type);
    bool c0 = PyObject_TypeCheck(a[0], category_type), c1 = PyObject_TypeCheck(a[1], category_type);
    if (!(d0 || c0) || !(d1 || c1)) {
        PyErr_SetString(PyExc_TypeError, "issubdtype() arguments must be Dtype or DtypeCategory");
        return NULL;
    }
    bool r;
    if (d0 && d1) r = ((dtype_obj *)a[0])->t == ((dtype_obj *)a[1])->t;
    else if (d0) r = mx_issubdtype(((dtype_obj *)a[0])->t, ((category_obj *)a[1])->c);
    else if (d1) r = false;
    else r = mx_category_issub(((category_obj *)a[0])->c, ((category_obj *)a[1])->c);
    return PyBool_FromLong(r);
}

static PyObject *py_result_type(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    if (kw && PyDict_Size(kw)) {
        PyErr_SetString(PyExc_TypeError, "result_type() takes no keyword arguments");
        return NULL;
    }
    mx_dtype t = MX_BOOL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(args); i++) {
        PyObject *o = PyTuple_GET_ITEM(args, i);
        mx_dtype u;
        if (PyObject_TypeCheck(o, mxpy_dtype_type) || MXPY_IS_ARRAY(o)) {
            if (dtype_of(o, &u) < 0) return NULL;
        } else {
            mx_array *x = mxpy_to_array(o, MX_DTYPE_AUTO);
            if (!x) return NULL;
            u = mx_array_dtype(x);
            mx_array_release(x);
        }
        t = mx_promote_types(t, u);
    }
    return mxpy_dtype_object(t);
}

/* NumPy's "safe" casting over MLX's dtypes. */
static size_t real_size(mx_dtype t) { return t == MX_COMPLEX64 ? 4 : mx_dtype_size(t); }
static bool can_cast(mx_dtype a, mx_dtype b) {
    if (a == b || a == MX_BOOL) return true;
    if (b == MX_BOOL || a == MX_COMPLEX64) return false;
    size_t sa = mx_dtype_size(a), sb = real_size(b);
    if (mx_dtype_is_int(a)) {
        if (mx_dtype_is_int(b)) {
            if (mx_dtype_is_signed(a) && !mx_dtype_is_signed(b)) return false;
            return mx_dtype_is_signed(a) == mx_dtype_is_signed(b) ? sb >= sa : sb > sa;
        }
        return sb > sa || (sa == 8 && b == MX_FLOAT64); /* int -> float/complex */
    }
    /* a is float16/bfloat16/float32/float64 */
    if (!mx_dtype_is_inexact(b)) return false;
    return sb > sa || (b == MX_COMPLEX64 && sa <= 4 && sb >= sa);
}

static PyObject *py_can_cast(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    PyObject *a[2];
    mx_dtype f, t;
    if (mxpy_parse("can_cast", args, kw, "from_, to", a) < 0 || dtype_of(a[0], &f) < 0 ||
        mxpy_dtype(a[1], MX_FLOAT32, &t) < 0)
        return NULL;
    return PyBool_FromLong(can_cast(f, t));
}

static int isdtype_one(mx_dtype t, PyObject *kind) {
    if (PyObject_TypeCheck(kind, mxpy_dtype_type)) return t == ((dtype_obj *)kind)->t;
    if (PyObject_TypeCheck(kind, category_type))
        return mx_issubdtype(t, ((category_obj *)kind)->c);
    const char *k = PyUnicode_Check(kind) ? PyUnicode_AsUTF8(kind) : NULL;
    if (!k) {
        PyErr_SetString(PyExc_TypeError, "isdtype() kind must be a Dtype, a str or a tuple");
        return -1;
    }
    if (!strcmp(k, "bool")) return t == MX_BOOL;
    if (!strcmp(k, "signed integer")) return mx_dtype_is_int(t) && mx_dtype_is_signed(t);
    if (!strcmp(k, "unsigned integer")) return mx_dtype_is_int(t) && !mx_dtype_is_signed(t);
    if (!strcmp(k, "integral")) return mx_dtype_is_int(t);
    if (!strcmp(k, "real floating")) return mx_dtype_is_float(t);
    if (!strcmp(k, "complex floating")) return mx_dtype_is_complex(t);
    if (!strcmp(k, "numeric")) return t != MX_BOOL;
    PyErr_Format(PyExc_ValueError, "isdtype() unknown kind '%s'", k);
    return -1;
}

static PyObject *py_isdtype(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    PyObject *a[2];
    mx_dtype t;
    if (mxpy_parse("isdtype", args, kw, "dtype, kind", a) < 0 || mxpy_dtype(a[0], MX_FLOAT32, &t) < 0)
        return NULL;
    if (PyTuple_Check(a[1])) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(a[1]); i++) {
            int r = isdtype_one(t, PyTuple_GET_ITEM(a[1], i));
            if (r < 0) return NULL;
            if (r) Py_RETURN_TRUE;
        }
        Py_RETURN_FALSE;
    }
    int r = isdtype_one(t, a[1]);
    return r < 0 ? NULL : PyBool_FromLong(r);
}

static PyMethodDef dtype_funcs[] = {
    {"issubdtype", (PyCFunction)(void (*)(void))py_issubdtype, METH_VARARGS | METH_KEYWORDS,
     "issubdtype(arg1, arg2)\n\nCheck if a Dtype or DtypeCategory is a subtype of another."},
    {"result_type", (PyCFunction)(void (*)(void))py_result_type, METH_VARARGS | METH_KEYWORDS,
     "result_type(*arrays_and_dtypes)\n\nThe dtype that results from type promotion."},
    {"can_cast", (PyCFunction)(void (*)(void))py_can_cast, METH_VARARGS | METH_KEYWORDS,
     "can_cast(from_, to)\n\nWhether a cast between the dtypes is safe (NumPy's rules)."},
    {"isdtype", (PyCFunction)(void (*)(void))py_isdtype, METH_VARARGS | METH_KEYWORDS,
     "isdtype(dtype, kind)\n\nArray-API dtype kind check."},
    {NULL, NULL, 0, NULL},
};

int mxpy_init_dtype(PyObject *m) {
    mxpy_dtype_type = (PyTypeObject *)PyType_FromSpec(&dtype_spec);
    category_type = (PyTypeObject *)PyType_FromSpec(&category_spec);
    PyObject *fi = PyType_FromSpec(&finfo_spec), *ii = PyType_FromSpec(&iinfo_spec);
    if (!mxpy_dtype_type || !category_type || !fi || !ii) return -1;
    Py_INCREF(mxpy_dtype_type);
    Py_INCREF(category_type);
    if (mxpy_add(m, "Dtype", (PyObject *)mxpy_dtype_type) < 0 ||
        mxpy_add(m, "DtypeCategory", (PyObject *)category_type) < 0 ||
        mxpy_add(m, "finfo", fi) < 0 || mxpy_add(m, "iinfo", ii) < 0)
        return -1;
    for (int t = 0; t < MX_NUM_DTYPES; t++) {
        dtype_obj *o = PyObject_New(dtype_obj, mxpy_dtype_type);
        if (!o) return -1;
        o->t = (mx_dtype)t;
        dtypes[t] = (PyObject *)o;
        Py_INCREF(o);
        if (mxpy_add(m, t == MX_BOOL ? "bool_" : mx_dtype_name((mx_dtype)t), (PyObject *)o) < 0)
            return -1;
    }
    for (int c = 0; c < 8; c++) {
        category_obj *o = PyObject_New(category_obj, category_type);
        if (!o) return -1;
        o->c = (mx_dtype_category)c;
        categories[c] = (PyObject *)o;
        Py_INCREF(o);
        if (PyDict_SetItemString(category_type->tp_dict, category_names[c], (PyObject *)o) < 0 ||
            mxpy_add(m, category_names[c], (PyObject *)o) < 0)
            return -1;
    }
    PyType_Modified(category_type);
    return PyModule_AddFunctions(m, dtype_funcs);
}
