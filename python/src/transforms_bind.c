/* python/src/transforms_bind.c: MLX's function transforms in Python over the C API
 * (include/mx/transforms.h): eval, async_eval, grad, value_and_grad, vjp, jvp, vmap, depends and
 * checkpoint (whose body, over mx_checkpoint_call, is in custom_bind.c).
 *
 * A Python function is handed to the C transforms through one mx_func trampoline per kind: the
 * trampoline rebuilds the Python arguments from the C arrays it receives (pytrees, trees.c),
 * calls the function, flattens what it returned and writes new references to the outputs. A
 * Python exception raised inside stays set and the trampoline returns MX_ERR_CALLBACK, so it
 * propagates unchanged through any depth of nesting. The GIL is held throughout (the trampoline
 * runs on the calling thread).
 *
 * grad/value_and_grad/vmap/checkpoint return a `gc_func` object: a GC-aware callable holding the
 * wrapped function and the transform's settings, forwarding __name__, __doc__, __module__,
 * __qualname__ and unknown attributes to the wrapped function (MLX's mlx_func).
 */
#include <stdlib.h>
#include <string.h>

#include "mxpy.h"
#include "trees.h"

/* Most arrays a transformed Python function may return (the C transforms need a bound). */
#define MAX_OUT 4096

/* ---- eval / async_eval ---- */
static PyObject *eval_impl(PyObject *args, PyObject *kw, bool async, const char *fn) {
    if (kw && PyDict_Size(kw)) {
        PyErr_Format(PyExc_TypeError, "%s() takes no keyword arguments", fn);
        return NULL;
    }
    mxpy_arrvec v = {0};
    int rc = mxpy_tree_flatten(args, false, &v);
    if (rc == 0 && v.n > 0) {
        mx_status st;
        Py_BEGIN_ALLOW_THREADS st = async ? mx_async_eval(v.v, v.n) : mx_eval(v.v, v.n);
        Py_END_ALLOW_THREADS rc = mxpy_check(st);
    }
    mxpy_arrvec_free(&v);
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

/* ---- trampoline helpers ---- */
/* The Python exception stays set; the transform reports MX_ERR_CALLBACK. */
static mx_status cb_fail(const char *tag) {
    return mx_error_set(MX_ERR_CALLBACK, "%s the Python function raised an exception", tag);
}

/* fun(*args', **kwargs') with the array leaves of args then kwargs replaced by in[0..n). */
static PyObject *call_tree(PyObject *fun, PyObject *args, PyObject *kwargs, mx_array *const *in,
                           int n) {
    int idx = 0;
    PyObject *a = mxpy_tree_unflatten(args, in, n, &idx);
    PyObject *k = (a && kwargs) ? mxpy_tree_unflatten(kwargs, in, n, &idx) : NULL;
    PyObject *res = NULL;
    if (a && (!kwargs || k)) res = PyObject_Call(fun, a, k);
    Py_XDECREF(a);
    Py_XDECREF(k);
    return res;
}

/* Hand the arrays of flat to the transform as new references; empties flat. 0/-1. */
static int emit(mxpy_arrvec *flat, mx_array **out, int *n_out, int max_out, const char *tag) {
    if (flat->n > max_out) {
        PyErr_Format(PyExc_ValueError, "%s the function returned %d arrays; at most %d are supported",
                     tag, flat->n, max_out);
        mxpy_arrvec_free(flat);
        return -1;
    }
    for (int i = 0; i < flat->n; i++) out[i] = mx_array_retain(flat->v[i]);
    *n_out = flat->n;
    mxpy_arrvec_free(flat);
    return 0;
}

/* ---- value_and_grad ---- */
typedef struct grad_ctx {
    PyObject   *fun, *args, *kwargs; /* borrowed; kwargs may be NULL */
    const char *tag;
    bool        scalar_only;         /* grad: the function must return an array */
    PyObject   *value;               /* new reference: what the function returned */
} grad_ctx;

static int check_loss(PyObject *res, const char *tag, bool scalar_only) {
    if (MXPY_IS_ARRAY(res)) return 0;
    const char *tn = Py_TYPE(res)->tp_name;
    if (scalar_only) {
        PyErr_Format(PyExc_ValueError,
                     "%s The return value of the function whose gradient we want to compute should "
                     "be a scalar array; but %s was returned.",
                     tag, tn);
        return -1;
    }
    if (!PyTuple_Check(res)) {
        PyErr_Format(PyExc_ValueError,
                     "%s The return value of the function whose gradient we want to compute should "
                     "be either a scalar array or a tuple with the first value being a scalar array "
                     "(Union[array, tuple[array, Any, ...]]); but %s was returned.",
                     tag, tn);
        return -1;
    }
    if (PyTuple_GET_SIZE(res) == 0) {
        PyErr_Format(PyExc_ValueError,
                     "%s The return value of the function whose gradient we want to compute should "
                     "be either a scalar array or a non-empty tuple. The first value should be a "
                     "scalar array and the rest can be anything. Instead, we got an empty tuple.",
                     tag);
        return -1;
    }
    if (!MXPY_IS_ARRAY(PyTuple_GET_ITEM(res, 0))) {
        PyErr_Format(PyExc_ValueError,
                     "%s The return value of the function whose gradient we want to compute should "
                     "be either a scalar array or a tuple with the first value being a scalar array "
                     "(Union[array, tuple[array, Any, ...]]); but it was a tuple with the first "
                     "value being of type %s .",
                     tag, Py_TYPE(PyTuple_GET_ITEM(res, 0))->tp_name);
        return -1;
    }
    return 0;
}

static mx_status grad_tramp(void *c, mx_array *const *in, int n_in, mx_array **out, int *n_out,
                            int max_out) {
    grad_ctx *g = c;
    PyObject *res = call_tree(g->fun, g->args, g->kwargs, in, n_in);
    if (!res) return cb_fail(g->tag);
    mxpy_arrvec flat = {0};
    if (check_loss(res, g->tag, g->scalar_only) < 0 || mxpy_tree_flatten(res, false, &flat) < 0 ||
        emit(&flat, out, n_out, max_out, g->tag) < 0) {
        mxpy_arrvec_free(&flat);
        Py_DECREF(res);
        return cb_fail(g->tag);
    }
    Py_XSETREF(g->value, res);
    return MX_OK;
}

/* The settings of a grad/value_and_grad transform. */
typedef struct grad_spec {
    const int *argnums; /* sorted, distinct, >= 0 */
    int        n_argnums;
    PyObject  *argnames; /* frozenset of str */
} grad_spec;

static int kw_wanted(const grad_spec *sp, PyObject *key) {
    return PySet_GET_SIZE(sp->argnames) ? PySet_Contains(sp->argnames, key) : 0;
}

/* value_and_grad of fun at (args, kwargs): *value receives fun's output with its arrays, *grads
 * the gradients in MLX's structure. 0/-1. */
static int value_and_grad_call(PyObject *fun, const grad_spec *sp, const char *tag,
                               bool scalar_only, PyObject *args, PyObject *kwargs,
                               PyObject **value, PyObject **grads) {
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    if (kwargs && PyDict_GET_SIZE(kwargs) == 0) kwargs = NULL;
    if (sp->n_argnums > 0 && sp->argnums[sp->n_argnums - 1] >= nargs) {
        PyErr_Format(PyExc_ValueError,
                     "%s Can't compute the gradient of argument index %d because the function is "
                     "called with only %zd positional arguments.",
                     tag, sp->argnums[sp->n_argnums - 1], nargs);
        return -1;
    }
    PyObject *it = PyObject_GetIter(sp->argnames);
    PyObject *key;
    while (it && (key = PyIter_Next(it))) {
        int has = kwargs ? PyDict_Contains(kwargs, key) : 0;
        if (has <= 0) {
            if (has == 0) {
                PyObject *keys = kwargs ? PyDict_Keys(kwargs) : PyList_New(0);
                PyErr_Format(PyExc_ValueError,
                             "%s Can't compute the gradient of keyword argument '%U' because the "
                             "function is called with the following keyword arguments %R",
                             tag, key, keys ? keys : Py_None);
                Py_XDECREF(keys);
            }
            Py_DECREF(key);
            Py_CLEAR(it);
            break;
        }
        Py_DECREF(key);
    }
    if (!it || PyErr_Occurred()) {
        Py_XDECREF(it);
        return -1;
    }
    Py_DECREF(it);

    /* every array of the arguments is a primal; the selected ones are differentiated */
    mxpy_arrvec prim = {0};
    mxpy_intvec gidx = {0};
    int rc = 0;
    for (Py_ssize_t i = 0, j = 0; rc == 0 && i < nargs; i++) {
        bool want = j < sp->n_argnums && sp->argnums[j] == i;
        int before = prim.n;
        rc = mxpy_tree_flatten(PyTuple_GET_ITEM(args, i), want, &prim);
        if (want) {
            j++;
            for (int k = before; rc == 0 && k < prim.n; k++) rc = mxpy_intvec_push(&gidx, k);
        }
    }
    if (rc == 0 && kwargs) {
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (rc == 0 && PyDict_Next(kwargs, &pos, &k, &v)) {
            int want = kw_wanted(sp, k);
            int before = prim.n;
            rc = want < 0 ? -1 : mxpy_tree_flatten(v, want, &prim);
            for (int q = before; rc == 0 && want && q < prim.n; q++) rc = mxpy_intvec_push(&gidx, q);
        }
    }
    grad_ctx g = {fun, args, kwargs, tag, scalar_only, NULL};
    mx_array **outs = NULL, **gr = NULL;
    int n_out = 0;
    if (rc == 0) {
        outs = PyMem_Calloc(MAX_OUT, sizeof *outs);
        gr = PyMem_Calloc((size_t)gidx.n + 1, sizeof *gr);
        if (!outs || !gr) {
            PyErr_NoMemory();
            rc = -1;
        }
    }
    if (rc == 0) {
        mx_status st = mx_value_and_grad(grad_tramp, &g, prim.v, prim.n, gidx.v ? gidx.v : (int[]){0},
                                         gidx.n, outs, &n_out, MAX_OUT, gr);
        if (st != MX_OK) {
            mxpy_raise();
            rc = -1;
            n_out = 0;
        }
    }
    mxpy_arrvec_free(&prim);
    PyObject *pos_grads = NULL, *kw_grads = NULL, *val = NULL;
    if (rc == 0) {
        int idx = 0;
        if (sp->n_argnums == 1) {
            pos_grads = mxpy_tree_unflatten(PyTuple_GET_ITEM(args, sp->argnums[0]), gr, gidx.n, &idx);
        } else if (sp->n_argnums > 1) {
            pos_grads = PyTuple_New(sp->n_argnums);
            for (int k = 0; pos_grads && k < sp->n_argnums; k++) {
                PyObject *t = mxpy_tree_unflatten(PyTuple_GET_ITEM(args, sp->argnums[k]), gr, gidx.n, &idx);
                if (!t) Py_CLEAR(pos_grads);
                else PyTuple_SET_ITEM(pos_grads, k, t);
            }
        } else {
            pos_grads = Py_NewRef(Py_None);
        }
        if (pos_grads && PySet_GET_SIZE(sp->argnames)) {
            kw_grads = PyDict_New();
            PyObject *k, *v;
            Py_ssize_t pos = 0;
            while (kw_grads && kwargs && PyDict_Next(kwargs, &pos, &k, &v)) {
                int want = kw_wanted(sp, k);
                if (want == 0) continue;
                PyObject *t = want < 0 ? NULL : mxpy_tree_unflatten(v, gr, gidx.n, &idx);
                if (!t || PyDict_SetItem(kw_grads, k, t) < 0) Py_CLEAR(kw_grads);
                Py_XDECREF(t);
            }
            if (!kw_grads) Py_CLEAR(pos_grads);
        }
        if (pos_grads) {
            idx = 0;
            val = mxpy_tree_unflatten(g.value, outs, n_out, &idx);
        }
        for (int i = 0; i < gidx.n; i++) mx_array_release(gr[i]);
        for (int i = 0; i < n_out; i++) mx_array_release(outs[i]);
        if (!val) rc = -1;
    }
    PyMem_Free(outs);
    PyMem_Free(gr);
    PyMem_Free(gidx.v);
    Py_XDECREF(g.value);
    if (rc < 0) {
        Py_XDECREF(pos_grads);
        Py_XDECREF(kw_grads);
        Py_XDECREF(val);
        return -1;
    }
    *value = val;
    if (kw_grads) {
        *grads = PyTuple_Pack(2, pos_grads, kw_grads);
        Py_DECREF(pos_grads);
        Py_DECREF(kw_grads);
        if (!*grads) {
            Py_DECREF(val);
            return -1;
        }
    } else {
        *grads = pos_grads;
    }
    return 0;
}

/* ---- vmap ---- */
/* Only the mapped arrays are inputs of the C transform; the unmapped ones are handed to the
 * function as they are (constants of the trace), so the parts of the graph that depend on them
 * alone are left unbatched. */
typedef struct vmap_ctx {
    PyObject   *fun, *args, *out_axes; /* borrowed */
    mx_array  **all;                   /* every array leaf of args (borrowed) */
    mx_array  **scratch;               /* n_all slots */
    const int  *iax;                   /* its axis, -1 = unmapped */
    int         n_all;
    PyObject   *value;                 /* new reference: what the function returned */
    mxpy_intvec oax;                   /* flat output axes (-1: None) */
} vmap_ctx;

static mx_status vmap_tramp(void *c, mx_array *const *in, int n_in, mx_array **out, int *n_out,
                            int max_out) {
    vmap_ctx *v = c;
    for (int k = 0, j = 0; k < v->n_all; k++)
        v->scratch[k] = (v->iax[k] >= 0 && j < n_in) ? in[j++] : v->all[k];
    PyObject *res = call_tree(v->fun, v->args, NULL, v->scratch, v->n_all);
    if (!res) return cb_fail("[vmap]");
    mxpy_arrvec flat = {0};
    v->oax.n = 0;
    if (mxpy_tree_flatten(res, true, &flat) < 0 ||
        mxpy_tree_axes(res, v->out_axes, 1, "outputs", &v->oax) < 0 ||
        emit(&flat, out, n_out, max_out, "[vmap]") < 0) {
        mxpy_arrvec_free(&flat);
        Py_DECREF(res);
        return cb_fail("[vmap]");
    }
    Py_XSETREF(v->value, res);
    return MX_OK;
}

/* x with its axis 0 moved to `to` (-1: the last axis); steals x. */
static mx_array *batch_to(mx_array *x, int to) {
    int nd = mx_array_ndim(x);
    if (to < 0) to = nd - 1;
    if (to == 0) return x;
    int perm[MX_MAX_DIMS];
    for (int p = 0; p < nd; p++) perm[p] = p < to ? p + 1 : (p == to ? 0 : p);
    mx_array *r = mx_transpose(x, perm, nd, MX_DEFAULT_STREAM);
    mx_array_release(x);
    return r;
}

static PyObject *vmap_call(PyObject *fun, PyObject *in_axes, PyObject *out_axes, PyObject *args,
                           PyObject *kwargs) {
    if (kwargs && PyDict_GET_SIZE(kwargs)) {
        PyErr_SetString(PyExc_TypeError,
                        "[vmap] the vectorized function takes positional arguments only");
        return NULL;
    }
    mxpy_arrvec in = {0};
    mxpy_intvec iax = {0};
    PyObject *tree = PyTuple_GET_SIZE(args) == 1 ? PyTuple_GET_ITEM(args, 0) : args;
    if (mxpy_tree_flatten(args, true, &in) < 0 ||
        mxpy_tree_axes(tree, in_axes, 0, "arguments", &iax) < 0) {
        mxpy_arrvec_free(&in);
        PyMem_Free(iax.v);
        return NULL;
    }
    if (iax.n != in.n) { /* cannot happen: both visit the same leaves */
        PyErr_SetString(PyExc_SystemError, "[vmap] axes do not match the arguments");
        mxpy_arrvec_free(&in);
        PyMem_Free(iax.v);
        return NULL;
    }
    vmap_ctx v = {fun, args, out_axes, in.v, NULL, iax.v, in.n, NULL, {0}};
    mx_array **outs = PyMem_Calloc(MAX_OUT, sizeof *outs);
    mx_array **mapped = PyMem_Calloc((size_t)in.n + 1, sizeof *mapped);
    int *max = PyMem_Calloc((size_t)in.n + 1, sizeof *max);
    v.scratch = PyMem_Calloc((size_t)in.n + 1, sizeof *v.scratch);
    int n_out = 0, n_mapped = 0;
    for (int k = 0; max && mapped && k < in.n; k++) {
        if (iax.v[k] < 0) continue;
        mapped[n_mapped] = in.v[k];
        max[n_mapped++] = iax.v[k];
    }
    PyObject *res = NULL;
    if (!outs || !mapped || !max || !v.scratch) PyErr_NoMemory();
    else if (mxpy_check(mx_vmap(vmap_tramp, &v, mapped, n_mapped, max, NULL, outs, &n_out,
                                MAX_OUT)) == 0) {
        bool ok = true;
        for (int i = 0; i < n_out; i++) {
            if (ok) {
                outs[i] = batch_to(outs[i], i < v.oax.n ? v.oax.v[i] : 0);
                if (!outs[i]) ok = false;
            } else {
                mx_array_release(outs[i]);
                outs[i] = NULL;
            }
        }
        if (!ok) mxpy_raise();
        int idx = 0;
        if (ok) res = mxpy_tree_unflatten(v.value, outs, n_out, &idx);
        for (int i = 0; i < n_out; i++)
            if (outs[i]) mx_array_release(outs[i]);
    }
    PyMem_Free(outs);
    PyMem_Free(mapped);
    PyMem_Free(max);
    PyMem_Free(v.scratch);
    mxpy_arrvec_free(&in);
    PyMem_Free(iax.v);
    PyMem_Free(v.oax.v);
    Py_XDECREF(v.value);
    return res;
}

/* ---- vjp / jvp ---- */
typedef struct list_ctx {
    PyObject   *fun;
    const char *tag;
} list_ctx;

/* fun(*in) returning an array or a list/tuple of arrays */
static mx_status list_tramp(void *c, mx_array *const *in, int n_in, mx_array **out, int *n_out,
                            int max_out) {
    list_ctx *l = c;
    PyObject *args = PyTuple_New(n_in);
    for (int i = 0; args && i < n_in; i++) {
        PyObject *w = mxpy_wrap(mx_array_retain(in[i]));
        if (!w) Py_CLEAR(args);
        else PyTuple_SET_ITEM(args, i, w);
    }
    PyObject *res = args ? PyObject_Call(l->fun, args, NULL) : NULL;
    Py_XDECREF(args);
    if (!res) return cb_fail(l->tag);
    mxpy_arrvec flat = {0};
    int rc = 0;
    if (MXPY_IS_ARRAY(res)) {
        rc = mxpy_arrvec_push(&flat, MXPY_ARR(res));
    } else if (PyList_Check(res) || PyTuple_Check(res)) {
        for (Py_ssize_t i = 0; rc == 0 && i < PySequence_Fast_GET_SIZE(res); i++) {
            PyObject *o = PySequence_Fast_GET_ITEM(res, i);
            if (MXPY_IS_ARRAY(o)) rc = mxpy_arrvec_push(&flat, MXPY_ARR(o));
            else {
                PyErr_Format(PyExc_TypeError,
                             "%s the function must return an array or a list of arrays; item %zd "
                             "is %s",
                             l->tag, i, Py_TYPE(o)->tp_name);
                rc = -1;
            }
        }
    } else {
        PyErr_Format(PyExc_TypeError,
                     "%s the function must return an array or a list of arrays, not %s", l->tag,
                     Py_TYPE(res)->tp_name);
        rc = -1;
    }
    Py_DECREF(res);
    if (rc == 0) rc = emit(&flat, out, n_out, max_out, l->tag);
    mxpy_arrvec_free(&flat);
    return rc == 0 ? MX_OK : cb_fail(l->tag);
}

static int check_callable(PyObject *f, const char *fn) {
    if (PyCallable_Check(f)) return 0;
    PyErr_Format(PyExc_TypeError, "%s() argument 'fun' must be callable, not %s", fn,
                 Py_TYPE(f)->tp_name);
    return -1;
}

static PyObject *vjp_jvp(PyObject *args, PyObject *kw, bool reverse) {
    const char *fn = reverse ? "vjp" : "jvp";
    PyObject *a[3];
    if (mxpy_parse(fn, args, kw, reverse ? "fun, primals, cotangents" : "fun, primals, tangents",
                   a) < 0 ||
        check_callable(a[0], fn) < 0)
        return NULL;
    mx_array **P = NULL, **T = NULL;
    int np = 0, nt = 0;
    if (mxpy_to_array_list(a[1], &P, &np) < 0) return NULL;
    if (mxpy_to_array_list(a[2], &T, &nt) < 0) {
        mxpy_free_arrays(P, np);
        return NULL;
    }
    PyObject *res = NULL;
    list_ctx l = {a[0], reverse ? "[vjp]" : "[jvp]"};
    mx_array **outs = PyMem_Calloc(MAX_OUT, sizeof *outs);
    mx_array **d = PyMem_Calloc(reverse ? (size_t)np + 1 : MAX_OUT, sizeof *d);
    int n_out = 0;
    if (!reverse && nt != np) {
        PyErr_Format(PyExc_ValueError,
                     "[jvp] Number of inputs does not match number of tangents (%d primals, %d "
                     "tangents).",
                     np, nt);
    } else if (!outs || !d) {
        PyErr_NoMemory();
    } else {
        mx_status st = reverse ? mx_vjp(list_tramp, &l, P, np, T, nt, outs, &n_out, MAX_OUT, d)
                               : mx_jvp(list_tramp, &l, P, np, T, outs, &n_out, MAX_OUT, d);
        if (st == MX_OK) {
            PyObject *o = mxpy_wrap_list(outs, n_out);
            PyObject *g = mxpy_wrap_list(d, reverse ? np : n_out);
            if (o && g) res = PyTuple_Pack(2, o, g);
            Py_XDECREF(o);
            Py_XDECREF(g);
        } else {
            mxpy_raise();
        }
    }
    PyMem_Free(outs);
    PyMem_Free(d);
    mxpy_free_arrays(P, np);
    mxpy_free_arrays(T, nt);
    return res;
}

static PyObject *py_vjp(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    return vjp_jvp(args, kw, true);
}
static PyObject *py_jvp(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    return vjp_jvp(args, kw, false);
}

/* ---- the gc_func type ---- */
enum { K_GRAD, K_VALUE_AND_GRAD, K_VMAP, K_CHECKPOINT };

typedef struct tfunc {
    PyObject_HEAD
    int       kind;
    PyObject *fun;
    PyObject *argnames;         /* frozenset (grad kinds) */
    PyObject *in_axes, *out_axes; /* vmap */
    int      *argnums;          /* PyMem; sorted */
    int       n_argnums;
    PyObject *weakrefs;
} tfunc;

static PyTypeObject tfunc_type;

static int tf_traverse(PyObject *self, visitproc visit, void *arg) {
    tfunc *t = (tfunc *)self;
    Py_VISIT(t->fun);
    Py_VISIT(t->argnames);
    Py_VISIT(t->in_axes);
    Py_VISIT(t->out_axes);
    return 0;
}

static int tf_clear(PyObject *self) {
    tfunc *t = (tfunc *)self;
    Py_CLEAR(t->fun);
    Py_CLEAR(t->argnames);
    Py_CLEAR(t->in_axes);
    Py_CLEAR(t->out_axes);
    return 0;
}

static void tf_dealloc(PyObject *self) {
    tfunc *t = (tfunc *)self;
    PyObject_GC_UnTrack(self);
    if (t->weakrefs) PyObject_ClearWeakRefs(self);
    tf_clear(self);
    PyMem_Free(t->argnums);
    Py_TYPE(self)->tp_free(self);
}

static const char *tf_tag(const tfunc *t) {
    return t->kind == K_GRAD ? "[grad]" : "[value_and_grad]";
}

static PyObject *tf_call(PyObject *self, PyObject *args, PyObject *kw) {
    tfunc *t = (tfunc *)self;
    if (!t->fun) {
        PyErr_SetString(PyExc_RuntimeError, "the transformed function was cleared");
        return NULL;
    }
    switch (t->kind) {
    case K_VMAP: return vmap_call(t->fun, t->in_axes, t->out_axes, args, kw);
    case K_CHECKPOINT: return mxpy_checkpoint_call(t->fun, args, kw);
    default: break;
    }
    grad_spec sp = {t->argnums, t->n_argnums, t->argnames};
    PyObject *value, *grads;
    Py_INCREF(self); /* the function may drop the last reference to us */
    int rc = value_and_grad_call(t->fun, &sp, tf_tag(t), t->kind == K_GRAD, args, kw, &value,
                                 &grads);
    Py_DECREF(self);
    if (rc < 0) return NULL;
    if (t->kind == K_GRAD) {
        Py_DECREF(value);
        return grads;
    }
    PyObject *r = PyTuple_Pack(2, value, grads);
    Py_DECREF(value);
    Py_DECREF(grads);
    return r;
}

/* The wrapped function's identity: forwarded before the type's own attributes. */
static PyObject *tf_getattro(PyObject *self, PyObject *name) {
    tfunc *t = (tfunc *)self;
    if (t->fun && PyUnicode_Check(name)) {
        static const char *const fwd[] = {"__name__", "__qualname__", "__doc__", "__module__",
                                          "__annotations__", NULL};
        for (int i = 0; fwd[i]; i++)
            if (PyUnicode_CompareWithASCIIString(name, fwd[i]) == 0)
                return PyObject_GetAttr(t->fun, name);
        if (PyUnicode_CompareWithASCIIString(name, "__wrapped__") == 0) return Py_NewRef(t->fun);
    }
    PyObject *r = PyObject_GenericGetAttr(self, name);
    if (r || !t->fun || !PyErr_ExceptionMatches(PyExc_AttributeError)) return r;
    PyErr_Clear();
    return PyObject_GetAttr(t->fun, name);
}

static PyObject *tf_repr(PyObject *self) {
    tfunc *t = (tfunc *)self;
    static const char *const kinds[] = {"grad", "value_and_grad", "vmap", "checkpoint"};
    return PyUnicode_FromFormat("<%s of %R>", kinds[t->kind], t->fun ? t->fun : Py_None);
}

static PyTypeObject tfunc_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mlx.gc_func",
    .tp_basicsize = sizeof(tfunc),
    .tp_dealloc = tf_dealloc,
    .tp_repr = tf_repr,
    .tp_call = tf_call,
    .tp_getattro = tf_getattro,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A function transformed by cmlx (grad, value_and_grad, vmap, checkpoint).",
    .tp_traverse = tf_traverse,
    .tp_clear = tf_clear,
    .tp_weaklistoffset = offsetof(tfunc, weakrefs),
};

static tfunc *tf_new(int kind, PyObject *fun) {
    tfunc *t = PyObject_GC_New(tfunc, &tfunc_type);
    if (!t) return NULL;
    t->kind = kind;
    t->fun = Py_NewRef(fun);
    t->argnames = t->in_axes = t->out_axes = t->weakrefs = NULL;
    t->argnums = NULL;
    t->n_argnums = 0;
    PyObject_GC_Track((PyObject *)t);
    return t;
}

/* ---- module functions ---- */
static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* argnums/argnames as MLX's validate_argnums_argnames and py_value_and_grad check them. */
static int grad_settings(tfunc *t, PyObject *argnums, PyObject *argnames, const char *tag) {
    PyObject *names = PyFrozenSet_New(NULL);
    if (!names) return -1;
    t->argnames = names;
    if (!MXPY_ABSENT(argnames)) {
        if (PyUnicode_Check(argnames)) {
            if (PySet_Add(names, argnames) < 0) return -1;
        } else {
            PyObject *it = PyObject_GetIter(argnames);
            if (!it) {
                PyErr_Format(PyExc_TypeError, "%s argnames must be a str or a sequence of str", tag);
                return -1;
            }
            PyObject *o;
            while ((o = PyIter_Next(it))) {
                int rc = PyUnicode_Check(o) ? PySet_Add(names, o) : -1;
                if (!PyUnicode_Check(o))
                    PyErr_Format(PyExc_TypeError, "%s argnames must contain str, not %s", tag,
                                 Py_TYPE(o)->tp_name);
                Py_DECREF(o);
                if (rc < 0) {
                    Py_DECREF(it);
                    return -1;
                }
            }
            Py_DECREF(it);
            if (PyErr_Occurred()) return -1;
        }
    }
    int64_t v[64];
    int n = 0;
    if (MXPY_ABSENT(argnums)) {
        if (PySet_GET_SIZE(names) == 0) v[n++] = 0;
    } else if (PyIndex_Check(argnums) && !PyList_Check(argnums) && !PyTuple_Check(argnums)) {
        if (mxpy_int(argnums, "argnums", &v[0]) < 0) return -1;
        n = 1;
    } else if (PyList_Check(argnums) || PyTuple_Check(argnums)) {
        Py_ssize_t k = PySequence_Fast_GET_SIZE(argnums);
        if (k > 64) {
            PyErr_Format(PyExc_ValueError, "%s at most 64 argnums are supported", tag);
            return -1;
        }
        for (Py_ssize_t i = 0; i < k; i++)
            if (mxpy_int(PySequence_Fast_GET_ITEM(argnums, i), "argnums", &v[n++]) < 0) return -1;
    } else {
        PyErr_Format(PyExc_TypeError, "%s argnums must be an int or a sequence of ints, not %s",
                     tag, Py_TYPE(argnums)->tp_name);
        return -1;
    }
    if (n == 0 && PySet_GET_SIZE(names) == 0) {
        PyErr_Format(PyExc_ValueError, "%s Gradient wrt no argument requested", tag);
        return -1;
    }
    t->argnums = PyMem_Calloc((size_t)n + 1, sizeof(int));
    if (!t->argnums) {
        PyErr_NoMemory();
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (v[i] < -((int64_t)1 << 30) || v[i] > ((int64_t)1 << 30)) {
            PyErr_Format(PyExc_ValueError, "%s argument index %lld is out of range", tag,
                         (long long)v[i]);
            return -1;
        }
        t->argnums[i] = (int)v[i];
    }
    t->n_argnums = n;
    qsort(t->argnums, (size_t)n, sizeof(int), cmp_int);
    if (n > 0 && t->argnums[0] < 0) {
        PyErr_Format(PyExc_ValueError,
                     "%s Can't compute the gradient of negative argument index %d", tag,
                     t->argnums[0]);
        return -1;
    }
    for (int i = 1; i < n; i++) {
        if (t->argnums[i] == t->argnums[i - 1]) {
            PyErr_Format(PyExc_ValueError, "%s Duplicate argument index %d is not allowed.", tag,
                         t->argnums[i]);
            return -1;
        }
    }
    return 0;
}

static PyObject *make_grad(PyObject *args, PyObject *kw, int kind) {
    const char *fn = kind == K_GRAD ? "grad" : "value_and_grad";
    PyObject *a[3];
    if (mxpy_parse(fn, args, kw, "fun, argnums=, argnames=", a) < 0 || check_callable(a[0], fn) < 0)
        return NULL;
    tfunc *t = tf_new(kind, a[0]);
    if (!t) return NULL;
    if (grad_settings(t, a[1], a[2], tf_tag(t)) < 0) {
        Py_DECREF(t);
        return NULL;
    }
    return (PyObject *)t;
}

static PyObject *py_grad(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    return make_grad(args, kw, K_GRAD);
}
static PyObject *py_value_and_grad(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    return make_grad(args, kw, K_VALUE_AND_GRAD);
}

static PyObject *py_vmap(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    PyObject *a[3];
    if (mxpy_parse("vmap", args, kw, "fun, in_axes=, out_axes=", a) < 0 ||
        check_callable(a[0], "vmap") < 0)
        return NULL;
    PyObject *zero = PyLong_FromLong(0);
    if (!zero) return NULL;
    tfunc *t = tf_new(K_VMAP, a[0]);
    if (t) {
        t->in_axes = Py_NewRef(a[1] ? a[1] : zero);
        t->out_axes = Py_NewRef(a[2] ? a[2] : zero);
    }
    Py_DECREF(zero);
    return (PyObject *)t;
}

static PyObject *py_checkpoint(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    PyObject *a[1];
    if (mxpy_parse("checkpoint", args, kw, "fun", a) < 0 || check_callable(a[0], "checkpoint") < 0)
        return NULL;
    return (PyObject *)tf_new(K_CHECKPOINT, a[0]);
}

/* depends(inputs, dependencies): inputs/dependencies an array or a list/tuple of arrays. */
static PyObject *py_depends(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    PyObject *a[2];
    if (mxpy_parse("depends", args, kw, "inputs, dependencies", a) < 0) return NULL;
    mx_array **in = NULL, **deps = NULL;
    int n_in = 0, n_deps = 0;
    bool single = MXPY_IS_ARRAY(a[0]);
    if (single) {
        in = PyMem_Calloc(1, sizeof *in);
        if (!in) return PyErr_NoMemory();
        in[0] = mx_array_retain(MXPY_ARR(a[0]));
        n_in = 1;
    } else if (mxpy_to_array_list(a[0], &in, &n_in) < 0) {
        return NULL;
    }
    int rc;
    if (MXPY_IS_ARRAY(a[1])) {
        deps = PyMem_Calloc(1, sizeof *deps);
        rc = deps ? 0 : -1;
        if (deps) {
            deps[0] = mx_array_retain(MXPY_ARR(a[1]));
            n_deps = 1;
        } else {
            PyErr_NoMemory();
        }
    } else {
        rc = mxpy_to_array_list(a[1], &deps, &n_deps);
    }
    PyObject *res = NULL;
    mx_array **outs = rc == 0 ? PyMem_Calloc((size_t)n_in + 1, sizeof *outs) : NULL;
    if (rc == 0 && !outs) PyErr_NoMemory();
    if (outs && mxpy_check(mx_depends(in, n_in, deps, n_deps, outs, MX_DEFAULT_STREAM)) == 0) {
        if (single) res = mxpy_wrap(outs[0]);
        else res = mxpy_wrap_list(outs, n_in);
    }
    PyMem_Free(outs);
    mxpy_free_arrays(in, n_in);
    mxpy_free_arrays(deps, n_deps);
    return res;
}

#define KWF(f) (PyCFunction)(void (*)(void))(f), METH_VARARGS | METH_KEYWORDS

static PyMethodDef transform_funcs[] = {
    {"eval", KWF(py_eval),
     "eval(*args) -> None\n\nEvaluate each array in the arguments (trees of lists, tuples and "
     "dicts are traversed; other leaves are ignored)."},
    {"async_eval", KWF(py_async_eval),
     "async_eval(*args) -> None\n\nSchedule evaluation of the arrays and return; reading them "
     "waits."},
    {"grad", KWF(py_grad),
     "grad(fun, argnums=None, argnames=[]) -> Callable\n\nA function computing the gradient of "
     "fun, which must return a scalar array, with respect to the positional arguments argnums "
     "(default 0 when argnames is empty) and the keyword arguments argnames. Arguments may be "
     "trees (lists, tuples, dicts) of arrays; gradients have the same structure. With argnames "
     "the result is (positional_grads, {name: grad})."},
    {"value_and_grad", KWF(py_value_and_grad),
     "value_and_grad(fun, argnums=None, argnames=[]) -> Callable\n\nA function returning "
     "(fun(*args, **kwargs), grads). fun returns a scalar array or a tuple whose first element "
     "is the scalar loss (the rest is passed through)."},
    {"vjp", KWF(py_vjp),
     "vjp(fun, primals, cotangents) -> tuple[list[array], list[array]]\n\nThe outputs of "
     "fun(*primals) and the vector-Jacobian products of the cotangents (one per output) with "
     "respect to each primal."},
    {"jvp", KWF(py_jvp),
     "jvp(fun, primals, tangents) -> tuple[list[array], list[array]]\n\nThe outputs of "
     "fun(*primals) and the Jacobian-vector products of the tangents (one per primal), one per "
     "output."},
    {"vmap", KWF(py_vmap),
     "vmap(fun, in_axes=0, out_axes=0) -> Callable\n\nThe vectorized version of fun. in_axes "
     "and out_axes are ints, None (not mapped) or prefix trees of the arguments/outputs."},
    {"checkpoint", KWF(py_checkpoint),
     "checkpoint(fun) -> Callable\n\nA function computing the same values and gradients as fun, "
     "but that does not keep fun's intermediates for the backward pass: fun is run again there "
     "(trading compute for memory). Arguments may be trees; arrays among them are the inputs."},
    {"depends", KWF(py_depends),
     "depends(inputs, dependencies) -> array | list[array]\n\nThe inputs, unchanged, scheduled "
     "to be computed after the dependencies."},
    {NULL, NULL, 0, NULL},
};

int mxpy_init_transforms(PyObject *m) {
    if (PyType_Ready(&tfunc_type) < 0) return -1;
    return PyModule_AddFunctions(m, transform_funcs);
}
