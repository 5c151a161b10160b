/* python/src/custom_bind.c: MLX's mx.custom_function (a decorator class whose .vjp/.jvp/.vmap
 * register Python rules) and the body of mx.checkpoint, over mx_custom_call and
 * mx_checkpoint_call (include/mx/transforms.h).
 *
 * Each call makes a `call_ctx` holding the Python callables and the *structure* of the arguments
 * and of the result: copies of the list/tuple/dict trees in which every array leaf is replaced by
 * one shared placeholder array (so the context never keeps the caller's arrays or graph alive and
 * cannot form a cycle through the graph). The C library calls back into Python through
 * trampolines that rebuild the trees from the arrays they receive, following MLX's conventions
 * (python/src/transforms.cpp):
 *  - f(*args, **kwargs): every array leaf of args and kwargs is an input of the custom node;
 *  - vjp(primals, cotangents, outputs, **kwargs): primals is the single positional argument or the
 *    tuple of them; cotangents and outputs have the structure of f's result; it returns the vjps
 *    (flattened: one per array of the primals, or only for the positional arrays, the keyword
 *    arrays then getting zero);
 *  - jvp(primals, tangents): tangents mirror primals, None where a tangent is zero;
 *  - vmap(inputs, axes) -> (outputs, out_axes): axes mirror inputs, None = not mapped.
 * jvp/vmap rules refuse keyword arguments, as MLX does.
 *
 * A Python exception raised inside f or a rule stays set and the trampoline returns
 * MX_ERR_CALLBACK, so it propagates unchanged. The context is reference counted under the GIL:
 * one reference for the call, one for the graph, dropped by `release`, which may run on any
 * thread when the graph is freed and so takes the GIL itself.
 */
#include <string.h>

#include "mxpy.h"
#include "trees.h"

#if PY_VERSION_HEX >= 0x030C0000
#define MEMBER_OBJECT Py_T_OBJECT_EX
#define MEMBER_READONLY Py_READONLY
#else
#include <structmember.h>
#define MEMBER_OBJECT T_OBJECT_EX
#define MEMBER_READONLY READONLY
#endif

#if PY_VERSION_HEX >= 0x030D0000
#define IS_FINALIZING() Py_IsFinalizing()
#else
#define IS_FINALIZING() _Py_IsFinalizing()
#endif

#define MAX_OUT   4096
#define MAX_DEPTH 500

static PyObject *placeholder; /* the array leaf of stored structures */

static mx_status cb_fail(const char *tag) {
    return mx_error_set(MX_ERR_CALLBACK, "%s the Python function raised an exception", tag);
}

/* ---- structures ---- */
/* A plain copy of tree with its array leaves replaced by the placeholder; the arrays are appended
 * to arrays (when not NULL) in flatten order. New reference or NULL. */
static PyObject *strip(PyObject *o, mxpy_arrvec *arrays, int depth) {
    if (depth > MAX_DEPTH) {
        PyErr_SetString(PyExc_RecursionError, "[tree] the tree is too deeply nested");
        return NULL;
    }
    if (MXPY_IS_ARRAY(o)) {
        if (arrays && mxpy_arrvec_push(arrays, MXPY_ARR(o)) < 0) return NULL;
        return Py_NewRef(placeholder);
    }
    if (PyList_Check(o) || PyTuple_Check(o)) {
        PyObject *f = PySequence_Fast(o, "");
        if (!f) return NULL;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(f);
        PyObject *r = PyList_Check(o) ? PyList_New(n) : PyTuple_New(n);
        for (Py_ssize_t i = 0; r && i < n; i++) {
            PyObject *it = strip(PySequence_Fast_GET_ITEM(f, i), arrays, depth + 1);
            if (!it) Py_CLEAR(r);
            else if (PyList_Check(r)) PyList_SET_ITEM(r, i, it);
            else PyTuple_SET_ITEM(r, i, it);
        }
        Py_DECREF(f);
        return r;
    }
    if (PyDict_Check(o)) {
        PyObject *r = PyDict_New(), *k, *v;
        Py_ssize_t pos = 0;
        while (r && PyDict_Next(o, &pos, &k, &v)) {
            Py_INCREF(k);
            Py_INCREF(v);
            PyObject *it = strip(v, arrays, depth + 1);
            if (!it || PyDict_SetItem(r, k, it) < 0) Py_CLEAR(r);
            Py_XDECREF(it);
            Py_DECREF(k);
            Py_DECREF(v);
        }
        return r;
    }
    return Py_NewRef(o);
}

/* What replaces the placeholder leaves when a structure is rebuilt, in order. */
typedef struct leaves {
    mx_array *const *arr; /* arrays (NULL entries become None), or */
    const int       *ax;  /* axes (-1 becomes None) */
    int              n, i;
} leaves;

static PyObject *next_leaf(leaves *l) {
    if (l->i >= l->n) {
        PyErr_SetString(PyExc_ValueError, "[custom_function] not enough arrays for the tree");
        return NULL;
    }
    int i = l->i++;
    if (l->ax) return l->ax[i] < 0 ? Py_NewRef(Py_None) : PyLong_FromLong(l->ax[i]);
    return l->arr[i] ? mxpy_wrap(mx_array_retain(l->arr[i])) : Py_NewRef(Py_None);
}

/* A new tree shaped like the stripped structure s with its placeholders replaced from l. */
static PyObject *rebuild(PyObject *s, leaves *l) {
    if (s == placeholder) return next_leaf(l);
    if (PyList_Check(s) || PyTuple_Check(s)) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(s);
        PyObject *r = PyList_Check(s) ? PyList_New(n) : PyTuple_New(n);
        for (Py_ssize_t i = 0; r && i < n; i++) {
            PyObject *it = rebuild(PySequence_Fast_GET_ITEM(s, i), l);
            if (!it) Py_CLEAR(r);
            else if (PyList_Check(r)) PyList_SET_ITEM(r, i, it);
            else PyTuple_SET_ITEM(r, i, it);
        }
        return r;
    }
    if (PyDict_Check(s)) {
        PyObject *r = PyDict_New(), *k, *v;
        Py_ssize_t pos = 0;
        while (r && PyDict_Next(s, &pos, &k, &v)) {
            PyObject *it = rebuild(v, l);
            if (!it || PyDict_SetItem(r, k, it) < 0) Py_CLEAR(r);
            Py_XDECREF(it);
        }
        return r;
    }
    return Py_NewRef(s);
}

/* ---- the per-call context ---- */
typedef struct call_ctx {
    PyObject  *fun, *vjp, *jvp, *vmap; /* owned; rules NULL when absent */
    PyObject  *args_s, *kw_s;          /* stripped positional tuple and keyword dict (or NULL) */
    PyObject  *out_s;                  /* stripped result of the first call of fun */
    PyObject  *plain;                  /* that result when it holds no array (no node is made) */
    int        n_pos;                  /* arrays among the positional arguments */
    int        n_out;                  /* arrays in the result, with their shapes: */
    int       *out_ndim;
    int64_t  (*out_shape)[MX_MAX_DIMS];
    int        refs;                   /* under the GIL */
    int        released;               /* the graph's reference was dropped by release */
    const char *tag;
} call_ctx;

static void ctx_unref(call_ctx *x) {
    if (--x->refs > 0) return;
    Py_XDECREF(x->fun);
    Py_XDECREF(x->vjp);
    Py_XDECREF(x->jvp);
    Py_XDECREF(x->vmap);
    Py_XDECREF(x->args_s);
    Py_XDECREF(x->kw_s);
    Py_XDECREF(x->out_s);
    Py_XDECREF(x->plain);
    PyMem_Free(x->out_ndim);
    PyMem_Free(x->out_shape);
    PyMem_Free(x);
}

/* mx_custom_rules.release / the checkpoint's release: any thread, GIL maybe not held. */
static void ctx_release(void *p) {
    call_ctx *x = p;
    if (!Py_IsInitialized() || (IS_FINALIZING() && !PyGILState_Check()))
        return; /* the interpreter is going away: leak rather than touch it */
    PyGILState_STATE g = PyGILState_Ensure();
    x->released = 1;
    ctx_unref(x);
    PyGILState_Release(g);
}

/* A context for fun(*args, **kw) with its inputs (every array leaf of args then kw) in *in. */
static call_ctx *ctx_new(PyObject *fun, PyObject *vjp, PyObject *jvp, PyObject *vmap,
                         PyObject *args, PyObject *kw, const char *tag, mxpy_arrvec *in) {
    call_ctx *x = PyMem_Calloc(1, sizeof *x);
    if (!x) {
        PyErr_NoMemory();
        return NULL;
    }
    x->refs = 1;
    x->tag = tag;
    x->fun = Py_NewRef(fun);
    x->vjp = Py_XNewRef(vjp);
    x->jvp = Py_XNewRef(jvp);
    x->vmap = Py_XNewRef(vmap);
    x->args_s = strip(args, in, 0);
    x->n_pos = in->n;
    if (x->args_s && kw && PyDict_GET_SIZE(kw)) x->kw_s = strip(kw, in, 0);
    if (!x->args_s || (kw && PyDict_GET_SIZE(kw) && !x->kw_s)) {
        ctx_unref(x);
        return NULL;
    }
    return x;
}

/* Rebuild (args, kwargs) from the first inputs; *kwargs may be NULL. 0/-1. */
static int rebuild_args(call_ctx *x, leaves *l, PyObject **args, PyObject **kwargs) {
    *kwargs = NULL;
    *args = rebuild(x->args_s, l);
    if (!*args) return -1;
    if (x->kw_s && !(*kwargs = rebuild(x->kw_s, l))) {
        Py_CLEAR(*args);
        return -1;
    }
    return 0;
}

/* MLX passes the single positional argument itself, else the tuple of them. */
static PyObject *primals_obj(PyObject *args) {
    return PyTuple_GET_SIZE(args) == 1 ? Py_NewRef(PyTuple_GET_ITEM(args, 0)) : Py_NewRef(args);
}

static bool same_shape(mx_array *a, int ndim, const int64_t *shape) {
    return mx_array_ndim(a) == ndim &&
           (ndim == 0 || memcmp(mx_array_shape(a), shape, sizeof(int64_t) * (size_t)ndim) == 0);
}

static PyObject *shape_tuple(int ndim, const int64_t *shape) {
    PyObject *t = PyTuple_New(ndim);
    for (int d = 0; t && d < ndim; d++) {
        PyObject *v = PyLong_FromLongLong(shape[d]);
        if (!v) Py_CLEAR(t);
        else PyTuple_SET_ITEM(t, d, v);
    }
    return t;
}

static int bad_shape(const char *what, int i, mx_array *got, int ndim, const int64_t *want) {
    PyObject *g = shape_tuple(mx_array_ndim(got), mx_array_shape(got)), *w = shape_tuple(ndim, want);
    if (g && w)
        PyErr_Format(PyExc_ValueError, "[custom_function] %s %d has shape %R but should have shape %R",
                     what, i, g, w);
    Py_XDECREF(g);
    Py_XDECREF(w);
    return -1;
}

/* Record the structure and shapes of f's first result. 0/-1. */
static int record_output(call_ctx *x, PyObject *res, const mxpy_arrvec *flat) {
    x->out_s = strip(res, NULL, 0);
    x->out_ndim = PyMem_Calloc((size_t)flat->n + 1, sizeof *x->out_ndim);
    x->out_shape = PyMem_Calloc((size_t)flat->n + 1, sizeof *x->out_shape);
    if (!x->out_s || !x->out_ndim || !x->out_shape) {
        if (x->out_s) PyErr_NoMemory();
        Py_CLEAR(x->out_s);
        return -1;
    }
    x->n_out = flat->n;
    for (int i = 0; i < flat->n; i++) {
        x->out_ndim[i] = mx_array_ndim(flat->v[i]);
        memcpy(x->out_shape[i], mx_array_shape(flat->v[i]), sizeof(int64_t) * (size_t)x->out_ndim[i]);
    }
    return 0;
}

/* Flatten res (non-array leaves skipped) and hand its arrays out as new references. 0/-1. */
static int emit(PyObject *res, mx_array **out, int max_out, int *n_out, const char *what) {
    mxpy_arrvec flat = {0};
    if (mxpy_tree_flatten(res, false, &flat) < 0) return -1;
    if (flat.n > max_out) {
        PyErr_Format(PyExc_ValueError, "[custom_function] the %s returned %d arrays; at most %d are "
                     "supported", what, flat.n, max_out);
        mxpy_arrvec_free(&flat);
        return -1;
    }
    for (int i = 0; i < flat.n; i++) out[i] = mx_array_retain(flat.v[i]);
    *n_out = flat.n;
    mxpy_arrvec_free(&flat);
    return 0;
}

/* ---- trampolines ---- */
/* fun(*args, **kwargs) with the inputs put back into the argument trees. */
static mx_status f_tramp(void *c, mx_array *const *in, int n_in, mx_array **out, int *n_out,
                         int max_out) {
    call_ctx *x = c;
    PyGILState_STATE g = PyGILState_Ensure();
    leaves l = {in, NULL, n_in, 0};
    PyObject *args, *kwargs, *res = NULL;
    int rc = rebuild_args(x, &l, &args, &kwargs);
    if (rc == 0) {
        res = PyObject_Call(x->fun, args, kwargs);
        Py_DECREF(args);
        Py_XDECREF(kwargs);
        rc = res ? 0 : -1;
    }
    if (rc == 0 && !x->out_s) {
        mxpy_arrvec flat = {0};
        rc = mxpy_tree_flatten(res, false, &flat);
        if (rc == 0 && flat.n == 0) { /* nothing to transform: node_call returns res as it is */
            x->plain = res;
            mxpy_arrvec_free(&flat);
            PyGILState_Release(g);
            return mx_error_set(MX_ERR_CALLBACK, "%s the function returned no array", x->tag);
        }
        if (rc == 0) rc = record_output(x, res, &flat);
        mxpy_arrvec_free(&flat);
    }
    if (rc == 0) rc = emit(res, out, max_out, n_out, "function");
    Py_XDECREF(res);
    PyGILState_Release(g);
    return rc == 0 ? MX_OK : cb_fail(x->tag);
}

static mx_status vjp_tramp(void *c, mx_array *const *primals, int n_primals,
                           mx_array *const *cotangents, mx_array *const *outputs, int n_outputs,
                           mx_array **vjps) {
    call_ctx *x = c;
    PyGILState_STATE g = PyGILState_Ensure();
    leaves l = {primals, NULL, n_primals, 0};
    leaves lc = {cotangents, NULL, n_outputs, 0}, lo = {outputs, NULL, n_outputs, 0};
    PyObject *args, *kwargs, *res = NULL;
    int rc = rebuild_args(x, &l, &args, &kwargs);
    if (rc == 0) {
        PyObject *p = primals_obj(args);
        PyObject *ct = rebuild(x->out_s, &lc);
        PyObject *o = ct ? rebuild(x->out_s, &lo) : NULL;
        PyObject *call = o ? PyTuple_Pack(3, p, ct, o) : NULL;
        if (call) res = PyObject_Call(x->vjp, call, kwargs);
        Py_XDECREF(call);
        Py_XDECREF(o);
        Py_XDECREF(ct);
        Py_DECREF(p);
        Py_DECREF(args);
        Py_XDECREF(kwargs);
        rc = res ? 0 : -1;
    }
    mxpy_arrvec flat = {0};
    if (rc == 0) rc = mxpy_tree_flatten(res, false, &flat);
    if (rc == 0 && flat.n != n_primals && flat.n != x->n_pos) {
        PyErr_Format(PyExc_ValueError,
                     "[custom_function] the vjp returned %d arrays but the primals hold %d (one "
                     "vjp per array of the primals, in the same structure)",
                     flat.n, x->n_pos == n_primals ? n_primals : x->n_pos);
        rc = -1;
    }
    for (int j = 0; rc == 0 && j < flat.n; j++)
        if (!same_shape(flat.v[j], mx_array_ndim(primals[j]), mx_array_shape(primals[j])))
            rc = bad_shape("vjp", j, flat.v[j], mx_array_ndim(primals[j]), mx_array_shape(primals[j]));
    if (rc == 0)
        for (int j = 0; j < n_primals; j++) vjps[j] = j < flat.n ? mx_array_retain(flat.v[j]) : NULL;
    mxpy_arrvec_free(&flat);
    Py_XDECREF(res);
    PyGILState_Release(g);
    return rc == 0 ? MX_OK : cb_fail("[custom_function]");
}

static int no_kwargs(call_ctx *x, const char *tag) {
    if (!x->kw_s) return 0;
    PyErr_Format(PyExc_ValueError, "%s Function should only accept positional arguments", tag);
    return -1;
}

static mx_status jvp_tramp(void *c, mx_array *const *primals, int n_primals,
                           mx_array *const *tangents, int n_outputs, mx_array **jvps) {
    call_ctx *x = c;
    PyGILState_STATE g = PyGILState_Ensure();
    leaves l = {primals, NULL, n_primals, 0}, lt = {tangents, NULL, n_primals, 0};
    PyObject *args = NULL, *kwargs = NULL, *tans = NULL, *res = NULL;
    int rc = no_kwargs(x, "[custom jvp]");
    if (rc == 0) rc = rebuild_args(x, &l, &args, &kwargs);
    if (rc == 0 && !(tans = rebuild(x->args_s, &lt))) rc = -1;
    if (rc == 0) {
        PyObject *p = primals_obj(args), *t = primals_obj(tans);
        res = PyObject_CallFunctionObjArgs(x->jvp, p, t, NULL);
        Py_DECREF(p);
        Py_DECREF(t);
        rc = res ? 0 : -1;
    }
    Py_XDECREF(args);
    Py_XDECREF(kwargs);
    Py_XDECREF(tans);
    mxpy_arrvec flat = {0};
    if (rc == 0) rc = mxpy_tree_flatten(res, false, &flat);
    if (rc == 0 && flat.n != n_outputs) {
        PyErr_Format(PyExc_ValueError,
                     "[custom_function] the jvp returned %d arrays; the function has %d outputs",
                     flat.n, n_outputs);
        rc = -1;
    }
    for (int i = 0; rc == 0 && i < flat.n && i < x->n_out; i++)
        if (!same_shape(flat.v[i], x->out_ndim[i], x->out_shape[i]))
            rc = bad_shape("jvp", i, flat.v[i], x->out_ndim[i], x->out_shape[i]);
    if (rc == 0)
        for (int i = 0; i < n_outputs; i++) jvps[i] = mx_array_retain(flat.v[i]);
    mxpy_arrvec_free(&flat);
    Py_XDECREF(res);
    PyGILState_Release(g);
    return rc == 0 ? MX_OK : cb_fail("[custom jvp]");
}

static mx_status vmap_tramp(void *c, mx_array *const *inputs, const int *axes, int n_inputs,
                            mx_array **outputs, int *out_axes, int *n_outputs, int max_outputs) {
    call_ctx *x = c;
    PyGILState_STATE g = PyGILState_Ensure();
    leaves l = {inputs, NULL, n_inputs, 0}, la = {NULL, axes, n_inputs, 0};
    PyObject *args = NULL, *kwargs = NULL, *ax = NULL, *res = NULL;
    int rc = no_kwargs(x, "[custom vmap]");
    if (rc == 0) rc = rebuild_args(x, &l, &args, &kwargs);
    if (rc == 0 && !(ax = rebuild(x->args_s, &la))) rc = -1;
    if (rc == 0) {
        PyObject *p = primals_obj(args), *a = primals_obj(ax);
        res = PyObject_CallFunctionObjArgs(x->vmap, p, a, NULL);
        Py_DECREF(p);
        Py_DECREF(a);
        rc = res ? 0 : -1;
    }
    Py_XDECREF(args);
    Py_XDECREF(kwargs);
    Py_XDECREF(ax);
    if (rc == 0 && (!PyTuple_Check(res) || PyTuple_GET_SIZE(res) != 2)) {
        PyErr_SetString(PyExc_ValueError,
                        "[custom vmap] Vmap function should return a tuple with 2 items.");
        rc = -1;
    }
    mxpy_intvec oax = {0};
    int k = 0;
    if (rc == 0)
        rc = mxpy_tree_axes(PyTuple_GET_ITEM(res, 0), PyTuple_GET_ITEM(res, 1), 0, "outputs", &oax);
    if (rc == 0) rc = emit(PyTuple_GET_ITEM(res, 0), outputs, max_outputs, &k, "vmap");
    if (rc == 0) {
        for (int i = 0; i < k; i++) out_axes[i] = oax.v[i];
        *n_outputs = k;
    }
    PyMem_Free(oax.v);
    Py_XDECREF(res);
    PyGILState_Release(g);
    return rc == 0 ? MX_OK : cb_fail("[custom vmap]");
}

/* ---- calling through the C library ---- */
/* Run fun(*args, **kw) as a custom node (rules) or a checkpoint (rules NULL); the result has the
 * structure fun returned, its arrays being the node's outputs. */
static PyObject *node_call(PyObject *fun, PyObject *vjp, PyObject *jvp, PyObject *vmap,
                           PyObject *args, PyObject *kw, bool checkpoint) {
    const char *tag = checkpoint ? "[checkpoint]" : "[custom_function]";
    mxpy_arrvec in = {0};
    call_ctx *x = ctx_new(fun, vjp, jvp, vmap, args, kw, tag, &in);
    mx_array **outs = x ? PyMem_Calloc(MAX_OUT, sizeof *outs) : NULL;
    if (!outs) {
        if (x) {
            PyErr_NoMemory();
            ctx_unref(x);
        }
        mxpy_arrvec_free(&in);
        return NULL;
    }
    int n_out = 0;
    mx_status st;
    x->refs = 2; /* ours and the graph's */
    if (checkpoint) {
        st = mx_checkpoint_call(f_tramp, x, ctx_release, in.v, in.n, outs, &n_out, MAX_OUT);
    } else {
        mx_custom_rules r = {vjp ? vjp_tramp : NULL, jvp ? jvp_tramp : NULL,
                             vmap ? vmap_tramp : NULL, x, ctx_release};
        st = mx_custom_call(f_tramp, x, &r, in.v, in.n, outs, &n_out, MAX_OUT);
    }
    mxpy_arrvec_free(&in);
    PyObject *res = NULL;
    if (st != MX_OK) {
        if (!x->released) x->refs--; /* the library failed before taking its reference */
        if (x->plain && !PyErr_Occurred()) {
            mx_error_clear();
            res = Py_NewRef(x->plain);
        } else {
            mxpy_raise();
        }
    } else {
        leaves l = {outs, NULL, n_out, 0};
        res = rebuild(x->out_s, &l);
        for (int i = 0; i < n_out; i++) mx_array_release(outs[i]);
    }
    PyMem_Free(outs);
    ctx_unref(x);
    return res;
}

PyObject *mxpy_checkpoint_call(PyObject *fun, PyObject *args, PyObject *kw) {
    return node_call(fun, NULL, NULL, NULL, args, kw, true);
}

/* ---- the custom_function type ---- */
typedef struct cfunc {
    PyObject_HEAD
    PyObject *fun, *vjp, *jvp, *vmap;
    PyObject *weakrefs;
} cfunc;

static int cf_traverse(PyObject *self, visitproc visit, void *arg) {
    cfunc *c = (cfunc *)self;
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(c->fun);
    Py_VISIT(c->vjp);
    Py_VISIT(c->jvp);
    Py_VISIT(c->vmap);
    return 0;
}

static int cf_clear(PyObject *self) {
    cfunc *c = (cfunc *)self;
    Py_CLEAR(c->fun);
    Py_CLEAR(c->vjp);
    Py_CLEAR(c->jvp);
    Py_CLEAR(c->vmap);
    return 0;
}

static void cf_dealloc(PyObject *self) {
    cfunc *c = (cfunc *)self;
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    if (c->weakrefs) PyObject_ClearWeakRefs(self);
    cf_clear(self);
    tp->tp_free(self);
    if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) Py_DECREF(tp);
}

static int check_fn(PyObject *f, const char *fn) {
    if (PyCallable_Check(f)) return 0;
    PyErr_Format(PyExc_TypeError, "%s() argument 'f' must be callable, not %s", fn,
                 Py_TYPE(f)->tp_name);
    return -1;
}

static int cf_init(PyObject *self, PyObject *args, PyObject *kw) {
    PyObject *a[1];
    if (mxpy_parse("custom_function", args, kw, "f", a) < 0 || check_fn(a[0], "custom_function") < 0)
        return -1;
    cfunc *c = (cfunc *)self;
    Py_XSETREF(c->fun, Py_NewRef(a[0]));
    return 0;
}

static PyObject *cf_call(PyObject *self, PyObject *args, PyObject *kw) {
    cfunc *c = (cfunc *)self;
    if (!c->fun) {
        PyErr_SetString(PyExc_RuntimeError, "[custom_function] the function was cleared");
        return NULL;
    }
    if (!c->vjp && !c->jvp && !c->vmap) return PyObject_Call(c->fun, args, kw);
    Py_INCREF(self); /* f may drop the last reference to us */
    PyObject *r = node_call(c->fun, c->vjp, c->jvp, c->vmap, args, kw, false);
    Py_DECREF(self);
    return r;
}

/* .vjp(f) / .jvp(f) / .vmap(f): register the rule and return self (MLX returns the instance). */
static PyObject *set_rule(PyObject *self, PyObject *args, PyObject *kw, size_t off, const char *fn) {
    PyObject *a[1];
    if (mxpy_parse(fn, args, kw, "f", a) < 0 || check_fn(a[0], fn) < 0) return NULL;
    PyObject **slot = (PyObject **)((char *)self + off);
    Py_XSETREF(*slot, Py_NewRef(a[0]));
    return Py_NewRef(self);
}

static PyObject *cf_vjp(PyObject *self, PyObject *args, PyObject *kw) {
    return set_rule(self, args, kw, offsetof(cfunc, vjp), "vjp");
}
static PyObject *cf_jvp(PyObject *self, PyObject *args, PyObject *kw) {
    return set_rule(self, args, kw, offsetof(cfunc, jvp), "jvp");
}
static PyObject *cf_vmap(PyObject *self, PyObject *args, PyObject *kw) {
    return set_rule(self, args, kw, offsetof(cfunc, vmap), "vmap");
}

#define KWF(f) (PyCFunction)(void (*)(void))(f), METH_VARARGS | METH_KEYWORDS

static PyMethodDef cf_methods[] = {
    {"vjp", KWF(cf_vjp),
     "vjp(self, f: Callable)\n\nDefine a custom vjp: f(primals, cotangents, outputs, **kwargs) "
     "returns the vjps. primals is the positional argument (or the tuple of them when there are "
     "several); cotangents and outputs have the structure of the function's result. The vjps "
     "have the structure of primals. Returns this custom_function."},
    {"jvp", KWF(cf_jvp),
     "jvp(self, f: Callable)\n\nDefine a custom jvp: f(primals, tangents) returns the output "
     "tangents; tangents mirror primals, with None where a tangent is zero. Returns this "
     "custom_function."},
    {"vmap", KWF(cf_vmap),
     "vmap(self, f: Callable)\n\nDefine a custom vectorization: f(inputs, axes) returns "
     "(outputs, out_axes); axes mirror inputs (None = not vectorized). Returns this "
     "custom_function."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef cf_members[] = {
    {"__wrapped__", MEMBER_OBJECT, offsetof(cfunc, fun), MEMBER_READONLY, "the wrapped function"},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject cfunc_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mlx.core.custom_function",
    .tp_basicsize = sizeof(cfunc),
    .tp_dealloc = cf_dealloc,
    .tp_call = cf_call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE,
    .tp_doc = "custom_function(f)\n\nSet up a function for custom gradient and vmap definitions. "
              "Calling the instance calls f; under grad/vjp, jvp and vmap the rules registered "
              "with .vjp, .jvp and .vmap replace the default transformation (undefined ones fall "
              "back to transforming f). Arrays captured by f are constants.",
    .tp_traverse = cf_traverse,
    .tp_clear = cf_clear,
    .tp_weaklistoffset = offsetof(cfunc, weakrefs),
    .tp_methods = cf_methods,
    .tp_members = cf_members,
    .tp_init = cf_init,
    .tp_new = PyType_GenericNew,
};

int mxpy_init_custom(PyObject *m) {
    if (!placeholder) {
        placeholder = mxpy_wrap(mx_array_scalar_f64(0, MX_FLOAT32));
        if (!placeholder) return -1;
    }
    if (PyType_Ready(&cfunc_type) < 0) return -1;
    Py_INCREF(&cfunc_type);
    return mxpy_add(m, "custom_function", (PyObject *)&cfunc_type);
}
