/* python/src/compile_bind.c: mx.compile, mx.disable_compile and mx.enable_compile over the C API
 * (include/mx/compile.h).
 *
 * mx.compile(fun, inputs=None, outputs=None, shapeless=False) returns a `compiled_function`. Its
 * arguments are trees (list/tuple/dict) of arrays and constants (None, bool, int, float, str).
 * The constants and the tree structure form a key; each key has its own mx_compiled object (whose
 * own cache is keyed by the arrays' dtypes and shapes). The trampoline rebuilds the arguments
 * from the tracers, calls fun and flattens its result; the result's structure is kept per key to
 * rebuild the outputs of later calls, which the C side answers from its cache without calling fun.
 *
 * inputs=: the arrays of this tree (lists and dicts are updated in place) are extra inputs of the
 * compiled function: while tracing they are swapped for tracers, then restored. outputs=: the
 * arrays of this tree after fun ran are extra outputs, written back into the tree (in place) after
 * every call. Arrays directly inside tuples cannot be swapped in place and stay constants.
 *
 * The random state (MLX's idiom `inputs=mx.random.state, outputs=mx.random.state`, or that list
 * nested in a larger state tree): mx.random.state is one persistent list (random_bind.c) mirroring
 * the C global key. When the inputs tree holds it, the list is refreshed from the global key before
 * the call (so the current key is an input), and while tracing the global key is set to its tracer
 * (mx_random_set_state), so draws inside fun split the traced key; when the outputs tree holds it,
 * the advanced key (mx_random_state() after fun ran) is an extra output, and after every call the
 * global key is set to the returned value. Compiled and uncompiled functions thus draw the same
 * sequence after the same mx.random.seed.
 */
#include <string.h>

#include "mxpy.h"
#include "trees.h"

#define MAX_OUT 4096

/* random_bind.c: the persistent mx.random.state list (borrowed) and its synchronisation with the
 * C global key (pull: element 0 := global key; push: global key := element 0). 0/-1. */

typedef struct keyed {
    mx_compiled *c;
    PyObject    *self;     /* borrowed: the compiled_function */
    PyObject    *args, *kwargs; /* borrowed, during a call */
    int          n_args;   /* arrays in args + kwargs */
    PyObject    *out_tree; /* what fun returned at the last trace (owned) */
    int          n_fun_out;
    bool         rs_in, rs_out; /* during a call: the inputs / outputs trees hold mx.random.state */
} keyed;

typedef struct pycompiled {
    PyObject_HEAD
    PyObject *fun, *inputs, *outputs, *cache; /* cache: key -> capsule(keyed) */
    int       shapeless;
} pycompiled;

/* ---- in-place replacement of the arrays of a state tree ---- */
static int tree_swap(PyObject *tree, mx_array *const *vals, int n, int *idx) {
    if (PyList_Check(tree)) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(tree); i++) {
            PyObject *it = PyList_GET_ITEM(tree, i);
            if (MXPY_IS_ARRAY(it)) {
                if (*idx >= n) return 0;
                PyObject *a = mxpy_wrap(mx_array_retain(vals[(*idx)++]));
                if (!a || PyList_SetItem(tree, i, a) < 0) return -1;
            } else if (tree_swap(it, vals, n, idx) < 0) return -1;
        }
    } else if (PyDict_Check(tree)) {
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        PyObject *keys = PyDict_Keys(tree);
        if (!keys) return -1;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(keys); i++) {
            k = PyList_GET_ITEM(keys, i);
            v = PyDict_GetItem(tree, k);
            if (v && MXPY_IS_ARRAY(v)) {
                if (*idx >= n) break;
                PyObject *a = mxpy_wrap(mx_array_retain(vals[(*idx)++]));
                if (!a || PyDict_SetItem(tree, k, a) < 0) {
                    Py_XDECREF(a);
                    Py_DECREF(keys);
                    return -1;
                }
                Py_DECREF(a);
            } else if (v && tree_swap(v, vals, n, idx) < 0) {
                Py_DECREF(keys);
                return -1;
            }
        }
        (void)pos;
        Py_DECREF(keys);
    } else if (PyTuple_Check(tree)) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(tree); i++) {
            PyObject *it = PyTuple_GET_ITEM(tree, i);
            if (MXPY_IS_ARRAY(it)) (*idx)++; /* cannot swap: stays as it is */
            else if (tree_swap(it, vals, n, idx) < 0) return -1;
        }
    }
    return 0;
}

/* Does tree (lists, tuples, dicts) contain the object target? */
static bool tree_has(PyObject *tree, PyObject *target, int depth) {
    if (!tree || !target) return false;
    if (tree == target) return true;
    if (depth > 200) return false;
    if (PyList_Check(tree)) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(tree); i++)
            if (tree_has(PyList_GET_ITEM(tree, i), target, depth + 1)) return true;
    } else if (PyTuple_Check(tree)) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(tree); i++)
            if (tree_has(PyTuple_GET_ITEM(tree, i), target, depth + 1)) return true;
    } else if (PyDict_Check(tree)) {
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(tree, &pos, &k, &v))
            if (tree_has(v, target, depth + 1)) return true;
    }
    return false;
}

/* ---- the constants key ---- */
static PyObject *make_key(PyObject *o, int depth) {
    if (depth > 200) {
        PyErr_SetString(PyExc_RecursionError, "[compile] argument tree too deep");
        return NULL;
    }
    if (MXPY_IS_ARRAY(o)) return PyUnicode_FromString("A");
    if (o == Py_None || PyBool_Check(o) || PyLong_Check(o) || PyUnicode_Check(o))
        return Py_BuildValue("(sO)", Py_TYPE(o)->tp_name, o);
    if (PyFloat_Check(o)) { /* bit pattern: nan keys compare equal */
        double d = PyFloat_AS_DOUBLE(o);
        long long bits;
        memcpy(&bits, &d, sizeof bits);
        return Py_BuildValue("(sL)", "f", bits);
    }
    PyObject *items = NULL, *tag = NULL;
    if (PyList_Check(o) || PyTuple_Check(o)) {
        PyObject *seq = PySequence_Fast(o, "");
        if (!seq) return NULL;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        items = PyTuple_New(n);
        for (Py_ssize_t i = 0; items && i < n; i++) {
            PyObject *k = make_key(PySequence_Fast_GET_ITEM(seq, i), depth + 1);
            if (!k) Py_CLEAR(items);
            else PyTuple_SET_ITEM(items, i, k);
        }
        Py_DECREF(seq);
        tag = PyUnicode_FromString(PyList_Check(o) ? "L" : "T");
    } else if (PyDict_Check(o)) {
        items = PyList_New(0);
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (items && PyDict_Next(o, &pos, &k, &v)) {
            PyObject *kk = make_key(v, depth + 1);
            PyObject *pair = kk ? PyTuple_Pack(2, k, kk) : NULL;
            Py_XDECREF(kk);
            if (!pair || PyList_Append(items, pair) < 0) Py_CLEAR(items);
            Py_XDECREF(pair);
        }
        if (items) Py_SETREF(items, PyList_AsTuple(items));
        tag = PyUnicode_FromString("D");
    } else {
        PyErr_Format(PyExc_ValueError,
                     "[compile] Function arguments must be trees of arrays or constants (floats, "
                     "ints, or strings), but received type %s.",
                     Py_TYPE(o)->tp_name);
        return NULL;
    }
    PyObject *r = (items && tag) ? PyTuple_Pack(2, tag, items) : NULL;
    Py_XDECREF(items);
    Py_XDECREF(tag);
    return r;
}

/* ---- the trampoline ---- */
static mx_status tramp(void *ctx, mx_array *const *in, int n_in, mx_array **out, int *n_out,
                       int max_out) {
    keyed *k = ctx;
    pycompiled *self = (pycompiled *)k->self;
    int idx = 0;
    PyObject *a = mxpy_tree_unflatten(k->args, in, k->n_args, &idx);
    PyObject *kw = (a && k->kwargs) ? mxpy_tree_unflatten(k->kwargs, in, k->n_args, &idx) : NULL;
    mxpy_arrvec saved = {0}, flat = {0};
    PyObject *res = NULL;
    int ok = a && (!k->kwargs || kw);
    if (ok && self->inputs) { /* swap captured inputs for their tracers */
        int j = 0;
        ok = mxpy_tree_flatten(self->inputs, false, &saved) == 0 &&
             tree_swap(self->inputs, in + k->n_args, n_in - k->n_args, &j) == 0;
        /* draws inside fun split the traced key */
        if (ok && k->rs_in) ok = mxpy_random_state_push() == 0;
    }
    if (ok) res = PyObject_Call(self->fun, a, kw);
    Py_XDECREF(a);
    Py_XDECREF(kw);
    /* outputs: what fun returned, then the state it left in `outputs` (before inputs are restored) */
    ok = res && mxpy_tree_flatten(res, true, &flat) == 0;
    int n_fun = flat.n;
    if (ok && k->rs_out) ok = mxpy_random_state_pull() == 0; /* the advanced key is an output */
    if (ok && self->outputs) ok = mxpy_tree_flatten(self->outputs, false, &flat) == 0;
    if (ok && flat.n > max_out) {
        PyErr_Format(PyExc_ValueError, "[compile] the function returned %d arrays; at most %d",
                     flat.n, max_out);
        ok = 0;
    }
    if (self->inputs && saved.n) { /* restore the captured inputs */
        int j = 0;
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        tree_swap(self->inputs, saved.v, saved.n, &j);
        if (k->rs_in && mxpy_random_state_push() < 0) PyErr_Clear(); /* the key of the call */
        PyErr_Restore(et, ev, tb);
    }
    mxpy_arrvec_free(&saved);
    if (!ok) {
        Py_XDECREF(res);
        mxpy_arrvec_free(&flat);
        return mx_error_set(MX_ERR_CALLBACK, "[compile] the Python function raised an exception");
    }
    Py_XSETREF(k->out_tree, res);
    k->n_fun_out = n_fun;
    for (int i = 0; i < flat.n; i++) out[i] = mx_array_retain(flat.v[i]);
    *n_out = flat.n;
    mxpy_arrvec_free(&flat);
    return MX_OK;
}

static void keyed_free(PyObject *cap) {
    keyed *k = PyCapsule_GetPointer(cap, "cmlx.compiled");
    if (!k) return;
    mx_compiled_free(k->c);
    Py_XDECREF(k->out_tree);
    PyMem_Free(k);
}

static PyObject *pyc_call(PyObject *o, PyObject *args, PyObject *kwargs) {
    pycompiled *self = (pycompiled *)o;
    if (!mx_compile_enabled()) return PyObject_Call(self->fun, args, kwargs);
    PyObject *key = make_key(args, 0), *kkey = kwargs ? make_key(kwargs, 0) : Py_NewRef(Py_None);
    PyObject *full = (key && kkey) ? PyTuple_Pack(2, key, kkey) : NULL;
    Py_XDECREF(key);
    Py_XDECREF(kkey);
    if (!full) return NULL;
    PyObject *cap = PyDict_GetItemWithError(self->cache, full);
    if (!cap && !PyErr_Occurred()) {
        keyed *k = PyMem_Calloc(1, sizeof *k);
        if (!k) {
            Py_DECREF(full);
            return PyErr_NoMemory();
        }
        k->self = o;
        k->c = mx_compile(tramp, k, self->shapeless);
        if (!k->c) {
            PyMem_Free(k);
            Py_DECREF(full);
            return mxpy_raise();
        }
        cap = PyCapsule_New(k, "cmlx.compiled", keyed_free);
        if (!cap || PyDict_SetItem(self->cache, full, cap) < 0) {
            if (!cap) {
                mx_compiled_free(k->c);
                PyMem_Free(k);
            }
            Py_XDECREF(cap);
            Py_DECREF(full);
            return NULL;
        }
        Py_DECREF(cap); /* the dict holds it */
    }
    Py_DECREF(full);
    if (!cap) return NULL;
    keyed *k = PyCapsule_GetPointer(cap, "cmlx.compiled");
    PyObject *rs = mxpy_random_state_list();
    bool rs_in = tree_has(self->inputs, rs, 0), rs_out = tree_has(self->outputs, rs, 0);
    if ((rs_in || rs_out) && mxpy_random_state_pull() < 0) return NULL; /* the current key */
    mxpy_arrvec in = {0};
    if (mxpy_tree_flatten(args, false, &in) < 0 || (kwargs && mxpy_tree_flatten(kwargs, false, &in) < 0)) {
        mxpy_arrvec_free(&in);
        return NULL;
    }
    int n_args = in.n;
    if (self->inputs && mxpy_tree_flatten(self->inputs, false, &in) < 0) {
        mxpy_arrvec_free(&in);
        return NULL;
    }
    Py_INCREF(cap); /* keep k alive during the call */
    k->args = args;
    k->kwargs = kwargs;
    k->n_args = n_args;
    k->rs_in = rs_in;
    k->rs_out = rs_out;
    mx_array **out = PyMem_Calloc(MAX_OUT, sizeof *out);
    int n_out = 0;
    mx_status st = out ? mx_compiled_call(k->c, in.v, in.n, out, &n_out, MAX_OUT) : MX_ERR_NOMEM;
    k->args = k->kwargs = NULL;
    mxpy_arrvec_free(&in);
    PyObject *res = NULL;
    if (!out) PyErr_NoMemory();
    else if (st != MX_OK) {
        if (!PyErr_Occurred()) mxpy_check(st);
    } else if (!k->out_tree || n_out < k->n_fun_out) {
        PyErr_SetString(PyExc_RuntimeError, "[compile] inconsistent outputs");
    } else {
        int idx = 0, j = 0;
        res = mxpy_tree_unflatten(k->out_tree, out, k->n_fun_out, &idx);
        if (res && self->outputs &&
            tree_swap(self->outputs, out + k->n_fun_out, n_out - k->n_fun_out, &j) < 0)
            Py_CLEAR(res);
        if (res && rs_out && mxpy_random_state_push() < 0) Py_CLEAR(res); /* the new key */
    }
    for (int i = 0; out && i < n_out; i++) mx_array_release(out[i]);
    PyMem_Free(out);
    Py_DECREF(cap);
    return res;
}

static int pyc_traverse(PyObject *o, visitproc visit, void *arg) {
    pycompiled *s = (pycompiled *)o;
    Py_VISIT(s->fun);
    Py_VISIT(s->inputs);
    Py_VISIT(s->outputs);
    Py_VISIT(s->cache);
    return 0;
}

static int pyc_clear(PyObject *o) {
    pycompiled *s = (pycompiled *)o;
    Py_CLEAR(s->fun);
    Py_CLEAR(s->inputs);
    Py_CLEAR(s->outputs);
    Py_CLEAR(s->cache);
    return 0;
}

static void pyc_dealloc(PyObject *o) {
    PyObject_GC_UnTrack(o);
    pyc_clear(o);
    Py_TYPE(o)->tp_free(o);
}

static PyObject *pyc_getattr(PyObject *o, PyObject *name) {
    PyObject *r = PyObject_GenericGetAttr(o, name);
    if (r || !PyErr_ExceptionMatches(PyExc_AttributeError)) return r;
    PyErr_Clear();
    return PyObject_GetAttr(((pycompiled *)o)->fun, name);
}

static PyTypeObject pyc_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mlx.core.compiled_function",
    .tp_basicsize = sizeof(pycompiled),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_call = pyc_call,
    .tp_traverse = pyc_traverse,
    .tp_clear = pyc_clear,
    .tp_dealloc = pyc_dealloc,
    .tp_getattro = pyc_getattr,
};

static PyObject *py_compile(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    PyObject *a[4];
    if (mxpy_parse("compile", args, kw, "fun, inputs=, outputs=, shapeless=", a) < 0) return NULL;
    if (!PyCallable_Check(a[0])) {
        PyErr_SetString(PyExc_TypeError, "[compile] fun must be callable");
        return NULL;
    }
    bool shapeless = false;
    if (a[3] && mxpy_bool(a[3], false, &shapeless) < 0) return NULL;
    pycompiled *s = PyObject_GC_New(pycompiled, &pyc_type);
    if (!s) return NULL;
    s->fun = Py_NewRef(a[0]);
    s->inputs = MXPY_ABSENT(a[1]) ? NULL : Py_NewRef(a[1]);
    s->outputs = MXPY_ABSENT(a[2]) ? NULL : Py_NewRef(a[2]);
    s->shapeless = shapeless;
    s->cache = PyDict_New();
    if (!s->cache) {
        Py_DECREF(s);
        return NULL;
    }
    PyObject_GC_Track(s);
    return (PyObject *)s;
}

static PyObject *py_disable(PyObject *m, PyObject *noarg) {
    (void)m, (void)noarg;
    mx_disable_compile();
    Py_RETURN_NONE;
}
static PyObject *py_enable(PyObject *m, PyObject *noarg) {
    (void)m, (void)noarg;
    mx_enable_compile();
    Py_RETURN_NONE;
}

static PyMethodDef compile_funcs[] = {
    {"compile", (PyCFunction)(void (*)(void))py_compile, METH_VARARGS | METH_KEYWORDS,
     "compile(fun, inputs=None, outputs=None, shapeless=False) -> Callable\n\nA compiled version "
     "of fun: its graph is traced once per signature, simplified and fused."},
    {"disable_compile", py_disable, METH_NOARGS, "disable_compile() -> None"},
    {"enable_compile", py_enable, METH_NOARGS, "enable_compile() -> None"},
    {NULL, NULL, 0, NULL},
};

int mxpy_init_compile(PyObject *m);
int mxpy_init_compile(PyObject *m) {
    if (PyType_Ready(&pyc_type) < 0) return -1;
    return PyModule_AddFunctions(m, compile_funcs);
}
