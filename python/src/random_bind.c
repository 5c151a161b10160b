/* python/src/random_bind.c: the mlx.core.random submodule (MLX's python/src/random.cpp):
 * seed, key, split, uniform, normal, randint, bernoulli, truncated_normal, gumbel, categorical,
 * laplace, permutation, multivariate_normal and `state` (one persistent [global key] list, kept in
 * sync with the C global key; compile_bind.c captures it through inputs=/outputs=). Functions
 * whose C symbol is not in the library yet (weak.h) are not registered. */
#include "mxpy.h"
#include "weak.h"

#define BEGIN(N)                                                                                   \
    const mxpy_op *op = MXPY_OP_OF(self);                                                          \
    PyObject *a[N];                                                                                \
    mx_stream s;                                                                                   \
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_stream(a[N - 1], &s) < 0) return NULL

/* Optional array argument (None -> *out = NULL); scalars become float32 unless `like` given. */
static int opt_array(PyObject *o, mx_dtype like, mx_array **out) {
    *out = NULL;
    if (MXPY_ABSENT(o)) return 0;
    *out = like == MX_DTYPE_AUTO ? mxpy_to_array(o, MX_DTYPE_AUTO) : mxpy_to_array_weak(o, like);
    return *out ? 0 : -1;
}

/* shape=[] default; None allowed where MLX allows it (*has = false). */
static int opt_shape(PyObject *o, int64_t *shape, int *nd, bool *has) {
    *nd = 0;
    *has = !MXPY_ABSENT(o);
    return *has ? mxpy_shape(o, "shape", shape, nd) : 0;
}

static PyObject *finish(mx_array *r, mx_array **tmp, int n) {
    for (int i = 0; i < n; i++) mx_array_release(tmp[i]);
    return mxpy_wrap(r);
}
static PyObject *fail(mx_array **tmp, int n) {
    for (int i = 0; i < n; i++) mx_array_release(tmp[i]);
    return NULL;
}

static PyObject *r_seed(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[1];
    int64_t v;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_int(a[0], "seed", &v) < 0) return NULL;
    mx_random_seed((uint64_t)v);
    Py_RETURN_NONE;
}

static PyObject *r_key(PyObject *self, PyObject *args, PyObject *kw) {
    const mxpy_op *op = MXPY_OP_OF(self);
    PyObject *a[1];
    int64_t v;
    if (MXPY_PARSE(op, args, kw, a) < 0 || mxpy_int(a[0], "seed", &v) < 0) return NULL;
    return mxpy_wrap(mx_random_key((uint64_t)v));
}

static PyObject *r_split(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(3);
    int64_t num = 2;
    if (a[1] && mxpy_int(a[1], "num", &num) < 0) return NULL;
    mx_array *k = mxpy_to_array(a[0], MX_DTYPE_AUTO);
    if (!k) return NULL;
    return finish(mx_random_split(k, (int)num, s), &k, 1);
}

static PyObject *r_uniform(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(6);
    int64_t sh[MX_MAX_DIMS];
    int nd;
    bool has;
    mx_dtype t;
    mx_array *tmp[3] = {0};
    if (opt_shape(a[2], sh, &nd, &has) < 0 || mxpy_dtype(a[3], MX_FLOAT32, &t) < 0 ||
        opt_array(a[0], t, &tmp[0]) < 0 || opt_array(a[1], t, &tmp[1]) < 0 ||
        opt_array(a[4], MX_DTYPE_AUTO, &tmp[2]) < 0)
        return fail(tmp, 3);
    return finish(mx_random_uniform(tmp[0], tmp[1], sh, nd, t, tmp[2], s), tmp, 3);
}

static PyObject *r_normal(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(6);
    int64_t sh[MX_MAX_DIMS];
    int nd;
    bool has;
    mx_dtype t;
    mx_array *tmp[3] = {0};
    if (opt_shape(a[0], sh, &nd, &has) < 0 || mxpy_dtype(a[1], MX_FLOAT32, &t) < 0 ||
        opt_array(a[2], t, &tmp[0]) < 0 || opt_array(a[3], t, &tmp[1]) < 0 ||
        opt_array(a[4], MX_DTYPE_AUTO, &tmp[2]) < 0)
        return fail(tmp, 3);
    return finish(mx_random_normal(sh, nd, t, tmp[0], tmp[1], tmp[2], s), tmp, 3);
}

static PyObject *r_randint(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(6);
    int64_t sh[MX_MAX_DIMS];
    int nd;
    bool has;
    mx_dtype t;
    mx_array *tmp[3] = {0};
    if (opt_shape(a[2], sh, &nd, &has) < 0 || mxpy_dtype(a[3], MX_INT32, &t) < 0 ||
        opt_array(a[0], MX_DTYPE_AUTO, &tmp[0]) < 0 || opt_array(a[1], MX_DTYPE_AUTO, &tmp[1]) < 0 ||
        opt_array(a[4], MX_DTYPE_AUTO, &tmp[2]) < 0)
        return fail(tmp, 3);
    return finish(mx_random_randint(tmp[0], tmp[1], sh, nd, t, tmp[2], s), tmp, 3);
}

static PyObject *r_bernoulli(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(4);
    int64_t sh[MX_MAX_DIMS];
    int nd;
    bool has;
    mx_array *tmp[2] = {0};
    if (opt_shape(a[1], sh, &nd, &has) < 0 || opt_array(a[0], MX_FLOAT32, &tmp[0]) < 0 ||
        opt_array(a[2], MX_DTYPE_AUTO, &tmp[1]) < 0)
        return fail(tmp, 2);
    return finish(mx_random_bernoulli(tmp[0], has ? sh : NULL, nd, tmp[1], s), tmp, 2);
}

static PyObject *r_truncated_normal(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(6);
    int64_t sh[MX_MAX_DIMS];
    int nd;
    bool has;
    mx_dtype t;
    mx_array *tmp[3] = {0};
    if (opt_shape(a[2], sh, &nd, &has) < 0 || mxpy_dtype(a[3], MX_FLOAT32, &t) < 0 ||
        opt_array(a[0], t, &tmp[0]) < 0 || opt_array(a[1], t, &tmp[1]) < 0 ||
        opt_array(a[4], MX_DTYPE_AUTO, &tmp[2]) < 0)
        return fail(tmp, 3);
    return finish(mx_random_truncated_normal(tmp[0], tmp[1], has ? sh : NULL, nd, t, tmp[2], s), tmp, 3);
}

static PyObject *r_gumbel(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(4);
    int64_t sh[MX_MAX_DIMS];
    int nd;
    bool has;
    mx_dtype t;
    mx_array *k = NULL;
    if (opt_shape(a[0], sh, &nd, &has) < 0 || mxpy_dtype(a[1], MX_FLOAT32, &t) < 0 ||
        opt_array(a[2], MX_DTYPE_AUTO, &k) < 0)
        return NULL;
    return finish(mx_random_gumbel(sh, nd, t, k, s), &k, 1);
}

static PyObject *r_laplace(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(6);
    int64_t sh[MX_MAX_DIMS];
    int nd;
    bool has;
    mx_dtype t;
    double loc = 0, scale = 1;
    mx_array *k = NULL;
    if (opt_shape(a[0], sh, &nd, &has) < 0 || mxpy_dtype(a[1], MX_FLOAT32, &t) < 0 ||
        (!MXPY_ABSENT(a[2]) && mxpy_double(a[2], "loc", &loc) < 0) ||
        (!MXPY_ABSENT(a[3]) && mxpy_double(a[3], "scale", &scale) < 0) ||
        opt_array(a[4], MX_DTYPE_AUTO, &k) < 0)
        return NULL;
    return finish(mx_random_laplace(sh, nd, t, loc, scale, k, s), &k, 1);
}

static PyObject *r_categorical(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(6);
    int64_t sh[MX_MAX_DIMS], ax = -1, ns = 0;
    int nd;
    bool has;
    mx_array *tmp[2] = {0};
    if ((!MXPY_ABSENT(a[1]) && mxpy_int(a[1], "axis", &ax) < 0) || opt_shape(a[2], sh, &nd, &has) < 0 ||
        (!MXPY_ABSENT(a[3]) && mxpy_int(a[3], "num_samples", &ns) < 0) ||
        opt_array(a[0], MX_DTYPE_AUTO, &tmp[0]) < 0 || opt_array(a[4], MX_DTYPE_AUTO, &tmp[1]) < 0)
        return fail(tmp, 2);
    return finish(mx_random_categorical(tmp[0], (int)ax, has ? sh : NULL, nd, (int)ns, tmp[1], s), tmp, 2);
}

static PyObject *r_permutation(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(4);
    int64_t ax = 0, n;
    mx_array *tmp[2] = {0};
    if ((!MXPY_ABSENT(a[1]) && mxpy_int(a[1], "axis", &ax) < 0) || opt_array(a[2], MX_DTYPE_AUTO, &tmp[1]) < 0)
        return NULL;
    if (PyLong_Check(a[0])) {
        if (mxpy_int(a[0], "x", &n) < 0) return fail(tmp, 2);
        return finish(mx_random_permutation_n(n, tmp[1], s), tmp, 2);
    }
    if (opt_array(a[0], MX_DTYPE_AUTO, &tmp[0]) < 0) return fail(tmp, 2);
    return finish(mx_random_permutation(tmp[0], (int)ax, tmp[1], s), tmp, 2);
}

static PyObject *r_multivariate_normal(PyObject *self, PyObject *args, PyObject *kw) {
    BEGIN(6);
    int64_t sh[MX_MAX_DIMS];
    int nd;
    bool has;
    mx_dtype t;
    mx_array *tmp[3] = {0};
    if (opt_shape(a[2], sh, &nd, &has) < 0 || mxpy_dtype(a[3], MX_FLOAT32, &t) < 0 ||
        opt_array(a[0], MX_DTYPE_AUTO, &tmp[0]) < 0 || opt_array(a[1], MX_DTYPE_AUTO, &tmp[1]) < 0 ||
        opt_array(a[4], MX_DTYPE_AUTO, &tmp[2]) < 0)
        return fail(tmp, 3);
    return finish(mx_random_multivariate_normal(tmp[0], tmp[1], sh, nd, t, tmp[2], s), tmp, 3);
}

/* ---- mx.random.state: one persistent list whose element 0 mirrors the C global key ----
 * The C global key (mx_random_state / mx_random_set_state) is the truth. The list is a list
 * subclass: reading an item (and every `mx.random.state` access) first pulls the global key into
 * element 0; assigning an item pushes element 0 to the global key. C code that replaces element 0
 * with PyList_SetItem (compile's state swapping) calls mxpy_random_state_push itself. */
static PyObject *g_state; /* the list (owned by this module for the life of the process) */


PyObject *mxpy_random_state_list(void) { return g_state; }

/* Same key: the same handle, or both evaluated uint32 (2,) arrays with equal words. */
static bool same_key(mx_array *a, mx_array *b) {
    if (a == b) return true;
    if (mx_array_dtype(a) != MX_UINT32 || mx_array_size(a) != 2 || mx_array_ndim(a) != 1 ||
        !mx_array_is_evaluated(a) || !mx_array_is_evaluated(b))
        return false;
    uint32_t wa[2], wb[2];
    if (mx_array_copy_to(a, wa) != MX_OK || mx_array_copy_to(b, wb) != MX_OK) {
        mx_error_clear();
        return false;
    }
    return wa[0] == wb[0] && wa[1] == wb[1];
}

/* Element 0 := the global key (kept when it already holds that key). 0/-1. */
int mxpy_random_state_pull(void) {
    if (!g_state) return 0;
    mx_array *k = mx_random_state();
    if (!k) return (void)mxpy_raise(), -1;
    PyObject *cur = PyList_GET_SIZE(g_state) > 0 ? PyList_GET_ITEM(g_state, 0) : NULL;
    if (cur && MXPY_IS_ARRAY(cur) && same_key(MXPY_ARR(cur), k)) {
        mx_array_release(k);
        return 0;
    }
    PyObject *w = mxpy_wrap(k);
    if (!w) return -1;
    if (!cur) {
        int rc = PyList_Append(g_state, w);
        Py_DECREF(w);
        return rc;
    }
    return PyList_SetItem(g_state, 0, w); /* steals w */
}

/* The global key := element 0 (an array; anything else raises ValueError). 0/-1. */
int mxpy_random_state_push(void) {
    if (!g_state) return 0;
    PyObject *cur = PyList_GET_SIZE(g_state) > 0 ? PyList_GET_ITEM(g_state, 0) : NULL;
    if (!cur || !MXPY_IS_ARRAY(cur)) {
        PyErr_SetString(PyExc_ValueError,
                        "[random] mx.random.state[0] must be a key array (uint32, shape (2,))");
        return -1;
    }
    return mxpy_check(mx_random_set_state(MXPY_ARR(cur)));
}

static PyObject *state_subscript(PyObject *self, PyObject *idx) {
    if (self == g_state && mxpy_random_state_pull() < 0) return NULL;
    return PyList_Type.tp_as_mapping->mp_subscript(self, idx);
}

static int state_ass_subscript(PyObject *self, PyObject *idx, PyObject *v) {
    if (self != g_state) return PyList_Type.tp_as_mapping->mp_ass_subscript(self, idx, v);
    PyObject *old = PyList_GET_SIZE(self) > 0 ? Py_NewRef(PyList_GET_ITEM(self, 0)) : NULL;
    int rc = PyList_Type.tp_as_mapping->mp_ass_subscript(self, idx, v);
    if (rc == 0 && PyList_GET_SIZE(self) > 0 && mxpy_random_state_push() < 0) {
        rc = -1; /* a bad key: put the previous one back */
        if (old) PyList_SetItem(self, 0, Py_NewRef(old));
    }
    Py_XDECREF(old);
    return rc;
}

static PyMappingMethods state_mapping = {
    .mp_subscript = state_subscript,
    .mp_ass_subscript = state_ass_subscript,
};

static PyTypeObject state_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mlx.core.random.KeyState",
    .tp_basicsize = sizeof(PyListObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, /* GC support is inherited */
    .tp_doc = "mx.random.state: a list holding the global PRNG key (kept in sync with it).",
    .tp_as_mapping = &state_mapping,
};

/* Module __getattr__: `state` is the persistent key list, refreshed from the global key. */
static PyObject *r_getattr(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    PyObject *a[1];
    if (mxpy_parse("__getattr__", args, kw, "name", a) < 0) return NULL;
    if (PyUnicode_Check(a[0]) && PyUnicode_CompareWithASCIIString(a[0], "state") == 0) {
        if (mxpy_random_state_pull() < 0) return NULL;
        return Py_NewRef(g_state);
    }
    PyErr_Format(PyExc_AttributeError, "module 'mlx.core.random' has no attribute '%S'", a[0]);
    return NULL;
}

#define OP MXPY_OP
static const mxpy_op random_ops[] = {
    OP("seed", r_seed, "seed", mx_random_seed, "seed(seed) -> None\n\nSeed the global PRNG."),
    OP("key", r_key, "seed", mx_random_key, "key(seed) -> array\n\nA PRNG key from a seed."),
    OP("split", r_split, "key, num=, stream=", mx_random_split,
       "split(key, num=2, stream=None) -> array\n\nSplit a PRNG key into num sub keys."),
    OP("uniform", r_uniform, "low=, high=, shape=, dtype=, key=, stream=", mx_random_uniform,
       "uniform(low=0, high=1, shape=[], dtype=float32, key=None, stream=None) -> array"),
    OP("normal", r_normal, "shape=, dtype=, loc=, scale=, key=, stream=", mx_random_normal,
       "normal(shape=[], dtype=float32, loc=None, scale=None, key=None, stream=None) -> array"),
    OP("randint", r_randint, "low, high, shape=, dtype=, key=, stream=", mx_random_randint,
       "randint(low, high, shape=[], dtype=int32, key=None, stream=None) -> array"),
    OP("bernoulli", r_bernoulli, "p=, shape=, key=, stream=", mx_random_bernoulli,
       "bernoulli(p=0.5, shape=None, key=None, stream=None) -> array"),
    OP("truncated_normal", r_truncated_normal, "lower, upper, shape=, dtype=, key=, stream=",
       mx_random_truncated_normal,
       "truncated_normal(lower, upper, shape=None, dtype=float32, key=None, stream=None) -> array"),
    OP("gumbel", r_gumbel, "shape=, dtype=, key=, stream=", mx_random_gumbel,
       "gumbel(shape=[], dtype=float32, key=None, stream=None) -> array"),
    OP("laplace", r_laplace, "shape=, dtype=, loc=, scale=, key=, stream=", mx_random_laplace,
       "laplace(shape=[], dtype=float32, loc=0.0, scale=1.0, key=None, stream=None) -> array"),
    OP("categorical", r_categorical, "logits, axis=, shape=, num_samples=, key=, stream=",
       mx_random_categorical,
       "categorical(logits, axis=-1, shape=None, num_samples=None, key=None, stream=None) -> array"),
    OP("permutation", r_permutation, "x, axis=, key=, stream=", mx_random_permutation,
       "permutation(x, axis=0, key=None, stream=None) -> array"),
    OP("multivariate_normal", r_multivariate_normal, "mean, cov, shape=, dtype=, key=, stream=",
       mx_random_multivariate_normal,
       "multivariate_normal(mean, cov, shape=[], dtype=float32, key=None, stream=None) -> array"),
    OP("__getattr__", r_getattr, "name", mx_random_state, NULL),
    {{NULL, NULL, 0, NULL}, NULL, NULL},
};

int mxpy_init_random(PyObject *m) {
    state_type.tp_base = &PyList_Type;
    if (PyType_Ready(&state_type) < 0) return -1;
    if (!g_state && !(g_state = PyObject_CallNoArgs((PyObject *)&state_type))) return -1;
    PyObject *r = PyModule_New("mlx.core.random");
    if (!r) return -1;
    if (mxpy_register_ops(r, random_ops) < 0) {
        Py_DECREF(r);
        return -1;
    }
    return mxpy_add(m, "random", r);
}
