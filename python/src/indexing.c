/* python/src/indexing.c: a[idx], a[idx] = v and a.at[idx].add(v) (MLX's indexing.cpp).
 *
 * Index forms: ints (anything with __index__), slices (negative steps too), None, Ellipsis,
 * integer arrays / lists / NumPy arrays (advanced indexing through mx_gather, NumPy's placement:
 * the broadcast index dims go where the first array index is when the array indices are
 * adjacent, else in front), and tuples of these. Basic indexing is a view: mx_slice, then
 * mx_squeeze for ints and mx_expand_dims for None.
 * a[idx] = v: mx_slice_update for basic indices, mx_scatter for array indices (with ints, slices
 * of any step, None and Ellipsis beside them: the scatter runs over the sliced view and is
 * written back with mx_slice_update), mx_masked_scatter for a boolean mask. The update
 * broadcasts to a[idx]'s shape (leading singleton dims dropped first). array.at[idx].add/subtract/multiply/divide/
 * maximum/minimum accumulate on repeated indices (scatter_add/prod/max/min). */
#include <string.h>

#include "mxpy.h"
#include "weak.h"

enum { E_INT, E_SLICE, E_NONE, E_ARRAY };

typedef struct entry {
    int kind;
    int axis;          /* input axis it applies to (INT, SLICE, ARRAY) */
    int64_t start, stop, step;
    mx_array *arr;     /* E_ARRAY: owned */
} entry;

typedef struct plan {
    entry e[2 * MX_MAX_DIMS + 2];
    int n;
    int n_arr;
    bool adjacent; /* array entries are consecutive */
} plan;

static void plan_free(plan *p) {
    for (int i = 0; i < p->n; i++) mx_array_release(p->e[i].arr);
    p->n = 0;
}

static int64_t slice_bound(PyObject *o, int64_t none) {
    if (o == Py_None) return none;
    Py_ssize_t v = PyNumber_AsSsize_t(o, NULL); /* clamps huge values */
    return v == -1 && PyErr_Occurred() ? INT64_MIN + 1 : (int64_t)v;
}

/* Classify one index object into e (axis not yet assigned). */
static int classify(PyObject *o, entry *e) {
    memset(e, 0, sizeof *e);
    if (o == Py_None) return e->kind = E_NONE, 0;
    if (PySlice_Check(o)) {
        PySliceObject *s = (PySliceObject *)o;
        e->kind = E_SLICE;
        e->start = slice_bound(s->start, MX_SLICE_NONE);
        e->stop = slice_bound(s->stop, MX_SLICE_NONE);
        e->step = slice_bound(s->step, 1);
        if (PyErr_Occurred()) return -1;
        if (e->step == 0) {
            PyErr_SetString(PyExc_ValueError, "slice step cannot be zero");
            return -1;
        }
        return 0;
    }
    if (PyBool_Check(o)) {
        PyErr_SetString(PyExc_ValueError, "boolean indices are not yet supported");
        return -1;
    }
    if (PyLong_Check(o) || (PyIndex_Check(o) && !MXPY_IS_ARRAY(o) && !PyObject_CheckBuffer(o))) {
        e->kind = E_INT;
        return mxpy_int(o, "index", &e->start);
    }
    if (MXPY_IS_ARRAY(o) || PyList_Check(o) || PyObject_CheckBuffer(o)) {
        mx_array *a = mxpy_to_array(o, MX_DTYPE_AUTO);
        if (!a) return -1;
        mx_dtype t = mx_array_dtype(a);
        if (!mx_dtype_is_int(t)) {
            mx_array_release(a);
            PyErr_SetString(t == MX_BOOL ? PyExc_ValueError : PyExc_IndexError,
                            t == MX_BOOL ? "boolean indices are not yet supported"
                                         : "Arrays used as indices must be of integer type.");
            return -1;
        }
        e->kind = E_ARRAY;
        e->arr = a;
        return 0;
    }
    PyErr_Format(PyExc_IndexError,
                 "Cannot index mlx array using the given type %s (only integers, slices, None, "
                 "Ellipsis and integer arrays are valid indices).",
                 Py_TYPE(o)->tp_name);
    return -1;
}

static int make_plan(mx_array *a, PyObject *idx, plan *p) {
    PyObject *items = PyTuple_Check(idx) ? (Py_INCREF(idx), idx) : PyTuple_Pack(1, idx);
    if (!items) return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(items);
    int nd = mx_array_ndim(a), consumed = 0, ell = -1;
    p->n = p->n_arr = 0;
    if (n > 2 * MX_MAX_DIMS) {
        Py_DECREF(items);
        PyErr_SetString(PyExc_IndexError, "too many indices");
        return -1;
    }
    entry tmp[2 * MX_MAX_DIMS + 1];
    int nt = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *o = PyTuple_GET_ITEM(items, i);
        if (o == Py_Ellipsis) {
            if (ell >= 0) {
                for (int j = 0; j < nt; j++) mx_array_release(tmp[j].arr);
                Py_DECREF(items);
                PyErr_SetString(PyExc_IndexError, "An index can only have a single ellipsis (...)");
                return -1;
            }
            ell = nt;
            continue;
        }
        if (classify(o, &tmp[nt]) < 0) {
            for (int j = 0; j < nt; j++) mx_array_release(tmp[j].arr);
            Py_DECREF(items);
            return -1;
        }
        if (tmp[nt].kind != E_NONE) consumed++;
        nt++;
    }
    Py_DECREF(items);
    if (consumed > nd) {
        for (int j = 0; j < nt; j++) mx_array_release(tmp[j].arr);
        PyErr_Format(PyExc_IndexError, "Too many indices for array with %d dimensions.", nd);
        return -1;
    }
    /* expand the ellipsis (or the implicit trailing one) into full slices */
    int fill = nd - consumed, axis = 0, first_arr = -1, last_arr = -1;
    if (ell < 0) ell = nt;
    for (int j = 0; j <= nt; j++) {
        if (j == ell)
            for (int k = 0; k < fill; k++) {
                entry *f = &p->e[p->n++];
                memset(f, 0, sizeof *f);
                f->kind = E_SLICE, f->start = f->stop = MX_SLICE_NONE, f->step = 1;
                f->axis = axis++;
            }
        if (j == nt) break;
        entry *f = &p->e[p->n++];
        *f = tmp[j];
        if (f->kind != E_NONE) f->axis = axis++;
        if (f->kind == E_INT) {
            int64_t dim = mx_array_shape(a)[f->axis];
            if (f->start < -dim || f->start >= dim) {
                plan_free(p);
                for (int k = j + 1; k < nt; k++) mx_array_release(tmp[k].arr);
                PyErr_Format(PyExc_IndexError, "index %lld is out of bounds for axis %d with size %lld",
                             (long long)tmp[j].start, f->axis, (long long)dim);
                return -1;
            }
            if (f->start < 0) f->start += dim;
        }
        if (f->kind == E_ARRAY) {
            p->n_arr++;
            if (first_arr < 0) first_arr = p->n - 1;
            last_arr = p->n - 1;
        }
    }
    p->adjacent = p->n_arr > 0 && last_arr - first_arr + 1 == p->n_arr;
    return 0;
}

/* ---- a[idx] ---- */
static mx_array *basic_get(mx_array *a, const plan *p) {
    int nd = mx_array_ndim(a);
    int64_t st[MX_MAX_DIMS], sp[MX_MAX_DIMS], sk[MX_MAX_DIMS];
    int sq[MX_MAX_DIMS], nsq = 0, ex[2 * MX_MAX_DIMS], nex = 0, pos = 0;
    for (int d = 0; d < nd; d++) st[d] = sp[d] = MX_SLICE_NONE, sk[d] = 1;
    for (int i = 0; i < p->n; i++) {
        const entry *e = &p->e[i];
        if (e->kind == E_INT) {
            st[e->axis] = e->start, sp[e->axis] = e->start + 1, sq[nsq++] = e->axis;
        } else if (e->kind == E_SLICE) {
            st[e->axis] = e->start, sp[e->axis] = e->stop, sk[e->axis] = e->step, pos++;
        } else {
            ex[nex++] = pos++;
        }
    }
    if (nd - nsq + nex > MX_MAX_DIMS) {
        PyErr_SetString(PyExc_IndexError, "too many dimensions after indexing");
        return NULL;
    }
    mx_scope sc = mx_scope_begin();
    mx_array *r = mx_slice(a, st, sp, sk, MX_DEFAULT_STREAM);
    if (r && nsq) r = mx_squeeze(r, sq, nsq, MX_DEFAULT_STREAM);
    if (r && nex) r = mx_expand_dims(r, ex, nex, MX_DEFAULT_STREAM);
    r = mx_scope_end(sc, r);
    if (!r) mxpy_raise();
    return r;
}

/* Gather with array indices (ints become 0-d arrays); returns dims [B, rest...] where rest are
 * the non-indexed axes in order, after applying the slices. */
static mx_array *gather_part(mx_array *a, const plan *p, int *nB) {
    int nd = mx_array_ndim(a);
    int64_t st[MX_MAX_DIMS], sp[MX_MAX_DIMS], sk[MX_MAX_DIMS], sizes[MX_MAX_DIMS];
    mx_array *idx[MX_MAX_DIMS];
    int axes[MX_MAX_DIMS], n = 0;
    for (int d = 0; d < nd; d++) st[d] = sp[d] = MX_SLICE_NONE, sk[d] = 1;
    mx_scope sc = mx_scope_begin();
    for (int i = 0; i < p->n; i++) {
        const entry *e = &p->e[i];
        if (e->kind == E_SLICE) st[e->axis] = e->start, sp[e->axis] = e->stop, sk[e->axis] = e->step;
        else if (e->kind == E_ARRAY) idx[n] = e->arr, axes[n++] = e->axis;
        else if (e->kind == E_INT) idx[n] = mx_array_scalar_i64(e->start, MX_INT64), axes[n++] = e->axis;
    }
    mx_array *x = mx_slice(a, st, sp, sk, MX_DEFAULT_STREAM);
    for (int d = 0; x && d < nd; d++) sizes[d] = mx_array_shape(x)[d];
    for (int k = 0; k < n; k++) sizes[axes[k]] = 1;
    mx_array *r = x ? mx_gather(x, idx, n, axes, sizes, MX_DEFAULT_STREAM) : NULL;
    if (r) {
        *nB = mx_array_ndim(r) - nd;
        int sq[MX_MAX_DIMS];
        for (int k = 0; k < n; k++) sq[k] = *nB + axes[k];
        r = mx_squeeze(r, sq, n, MX_DEFAULT_STREAM);
    }
    return mx_scope_end(sc, r);
}

/* Where B goes in the output (counted in output dims before it), and None positions. */
static int b_position(const plan *p) {
    if (!p->adjacent) return 0;
    int pos = 0;
    for (int i = 0; i < p->n && p->e[i].kind != E_ARRAY && p->e[i].kind != E_INT; i++)
        pos += p->e[i].kind == E_SLICE;
    return pos;
}

static bool is_adv(const entry *e) { return e->kind == E_ARRAY || e->kind == E_INT; }

/* Output axes that None entries occupy in a[idx] (advanced form with nB broadcast index dims,
 * p->adjacent already set by advanced_get); the same positions advanced_get expands. */
static int none_axes(const plan *p, int nB, int *ex) {
    int nex = 0, pos = p->adjacent ? 0 : nB;
    bool b_done = !p->adjacent;
    for (int i = 0; i < p->n; i++) {
        const entry *e = &p->e[i];
        if (e->kind == E_SLICE) pos++;
        else if (e->kind == E_NONE) ex[nex++] = pos++;
        else if (!b_done) pos += nB, b_done = true;
    }
    return nex;
}

static mx_array *advanced_get(mx_array *a, plan *p) {
    if (!mx_gather) {
        PyErr_SetString(PyExc_NotImplementedError, "advanced indexing needs mx_gather (not built yet)");
        return NULL;
    }
    /* ints count as array indices here (NumPy): recompute adjacency with them */
    int first = -1, last = -1, cnt = 0;
    for (int i = 0; i < p->n; i++)
        if (is_adv(&p->e[i])) cnt++, last = i, first = first < 0 ? i : first;
    p->adjacent = last - first + 1 == cnt;
    int nB = 0;
    mx_scope sc = mx_scope_begin();
    mx_array *r = gather_part(a, p, &nB);
    int nd = r ? mx_array_ndim(r) : 0, k = b_position(p);
    if (r && k > 0) { /* move B from the front to position k */
        int perm[MX_MAX_DIMS], j = 0;
        for (int d = 0; d < k; d++) perm[j++] = nB + d;
        for (int d = 0; d < nB; d++) perm[j++] = d;
        for (int d = nB + k; d < nd; d++) perm[j++] = d;
        r = mx_transpose(r, perm, nd, MX_DEFAULT_STREAM);
    }
    int ex[2 * MX_MAX_DIMS], nex = none_axes(p, nB, ex);
    if (r && nex) r = mx_expand_dims(r, ex, nex, MX_DEFAULT_STREAM);
    r = mx_scope_end(sc, r);
    if (!r) mxpy_raise();
    return r;
}

static mx_array *get(mx_array *a, PyObject *idx) {
    plan p;
    if (make_plan(a, idx, &p) < 0) return NULL;
    mx_array *r = p.n_arr ? advanced_get(a, &p) : basic_get(a, &p);
    plan_free(&p);
    return r;
}

PyObject *mxpy_getitem(PyObject *self, PyObject *idx) {
    mx_array *r = get(MXPY_ARR(self), idx);
    return r ? mxpy_wrap(r) : NULL;
}

/* ---- updates ---- */
enum { U_SET, U_ADD, U_SUB, U_MUL, U_DIV, U_MAX, U_MIN };

/* Boolean masks: a bool array, a bool NumPy array or list, or a Python bool. */
static mx_array *as_mask(PyObject *idx) {
    if (PyBool_Check(idx)) return mx_array_scalar_bool(idx == Py_True);
    if (MXPY_IS_ARRAY(idx) || PyList_Check(idx) || (PyObject_CheckBuffer(idx) && !PyLong_Check(idx))) {
        mx_array *m = mxpy_to_array(idx, MX_DTYPE_AUTO);
        if (!m) {
            PyErr_Clear();
            return NULL;
        }
        if (mx_array_dtype(m) == MX_BOOL) return m;
        mx_array_release(m);
    }
    return NULL;
}

/* The update broadcast to `shape` after dropping its leading singleton dims. */
static mx_array *fit_update(mx_array *v, const int64_t *shape, int nd) {
    int vd = mx_array_ndim(v), drop = 0;
    while (vd - drop > nd && mx_array_shape(v)[drop] == 1) drop++;
    mx_scope sc = mx_scope_begin();
    mx_array *u = v;
    if (drop) u = mx_reshape(v, mx_array_shape(v) + drop, vd - drop, MX_DEFAULT_STREAM);
    u = mx_broadcast_to(u, shape, nd, MX_DEFAULT_STREAM);
    return mx_scope_end(sc, u);
}

static mx_array *combine(int kind, mx_array *old, mx_array *u) {
    switch (kind) {
    case U_ADD: return mx_add(old, u, MX_DEFAULT_STREAM);
    case U_SUB: return mx_subtract(old, u, MX_DEFAULT_STREAM);
    case U_MUL: return mx_multiply(old, u, MX_DEFAULT_STREAM);
    case U_DIV: return mx_divide(old, u, MX_DEFAULT_STREAM);
    case U_MAX: return mx_maximum(old, u, MX_DEFAULT_STREAM);
    case U_MIN: return mx_minimum(old, u, MX_DEFAULT_STREAM);
    default: return mx_array_retain(u);
    }
}

static mx_array *basic_update(mx_array *a, const plan *p, mx_array *v, int kind) {
    if (!mx_slice_update) {
        PyErr_SetString(PyExc_NotImplementedError, "item assignment needs mx_slice_update (not built yet)");
        return NULL;
    }
    int nd = mx_array_ndim(a);
    int64_t st[MX_MAX_DIMS], sp[MX_MAX_DIMS], sk[MX_MAX_DIMS];
    for (int d = 0; d < nd; d++) st[d] = sp[d] = MX_SLICE_NONE, sk[d] = 1;
    for (int i = 0; i < p->n; i++) {
        const entry *e = &p->e[i];
        if (e->kind == E_INT) st[e->axis] = e->start, sp[e->axis] = e->start + 1;
        else if (e->kind == E_SLICE) st[e->axis] = e->start, sp[e->axis] = e->stop, sk[e->axis] = e->step;
    }
    mx_scope sc = mx_scope_begin();
    mx_array *view = basic_get(a, p); /* the shape a[idx] has (scope-owned) */
    mx_array *sl = mx_slice(a, st, sp, sk, MX_DEFAULT_STREAM);
    mx_array *u = NULL, *r = NULL;
    if (view && sl) {
        u = fit_update(v, mx_array_shape(view), mx_array_ndim(view));
        if (u) u = mx_astype(u, mx_array_dtype(a), MX_DEFAULT_STREAM);
        if (u) u = mx_reshape(u, mx_array_shape(sl), mx_array_ndim(sl), MX_DEFAULT_STREAM);
        if (u && kind != U_SET) u = mx_astype(combine(kind, sl, u), mx_array_dtype(a), MX_DEFAULT_STREAM);
        if (u) r = mx_slice_update(a, u, st, sp, sk, MX_DEFAULT_STREAM);
    }
    r = mx_scope_end(sc, r);
    if (!r && !PyErr_Occurred()) mxpy_raise();
    return r;
}

/* a[idx] = v (or an .at update) with array indices mixed with ints, slices, None and Ellipsis.
 * v is broadcast to a[idx]'s shape, the None dims are squeezed out and the broadcast index dims
 * moved to the front, giving [B, the sliced axes in order]. The slices are applied first as a
 * view sub = a[slices]; the scatter (with full slices on the sliced axes) runs over sub, and the
 * result is written back into a with mx_slice_update when any slice is partial. */
static mx_array *scatter_update(mx_array *a, plan *p, mx_array *v, int kind) {
    if (!mx_scatter || !mx_gather) {
        PyErr_SetString(PyExc_NotImplementedError, "array-index assignment needs mx_scatter (not built yet)");
        return NULL;
    }
    int nd = mx_array_ndim(a);
    int64_t st[MX_MAX_DIMS], sp[MX_MAX_DIMS], sk[MX_MAX_DIMS];
    bool partial = false;
    for (int d = 0; d < nd; d++) st[d] = sp[d] = MX_SLICE_NONE, sk[d] = 1;
    mx_array *idx[MX_MAX_DIMS], *r = NULL;
    int axes[MX_MAX_DIMS], n = 0, nnone = 0;
    mx_scope sc = mx_scope_begin();
    for (int i = 0; i < p->n; i++) {
        const entry *e = &p->e[i];
        if (e->kind == E_ARRAY) idx[n] = e->arr, axes[n++] = e->axis;
        else if (e->kind == E_INT) idx[n] = mx_array_scalar_i64(e->start, MX_INT64), axes[n++] = e->axis;
        else if (e->kind == E_NONE) nnone++;
        else if (e->start != MX_SLICE_NONE || e->stop != MX_SLICE_NONE || e->step != 1) {
            st[e->axis] = e->start, sp[e->axis] = e->stop, sk[e->axis] = e->step;
            partial = true;
        }
    }
    mx_array *view = advanced_get(a, p); /* the shape a[idx] has; sets p->adjacent */
    mx_array *sub = view ? (partial ? mx_slice(a, st, sp, sk, MX_DEFAULT_STREAM) : a) : NULL;
    mx_array *u = sub ? fit_update(v, mx_array_shape(view), mx_array_ndim(view)) : NULL;
    if (u) {
        int vnd = mx_array_ndim(view), nB = vnd - nnone - (nd - n), k = b_position(p);
        int ex[2 * MX_MAX_DIMS];
        int nex = none_axes(p, nB, ex);
        if (nex) u = mx_squeeze(u, ex, nex, MX_DEFAULT_STREAM);
        vnd -= nex;
        if (u && k > 0) { /* inverse of the placement in advanced_get */
            int perm[MX_MAX_DIMS], j = 0;
            for (int d = 0; d < nB; d++) perm[j++] = k + d;
            for (int d = 0; d < k; d++) perm[j++] = d;
            for (int d = k + nB; d < vnd; d++) perm[j++] = d;
            u = mx_transpose(u, perm, vnd, MX_DEFAULT_STREAM);
        }
        int64_t shp[2 * MX_MAX_DIMS];
        bool indexed[MX_MAX_DIMS] = {0};
        for (int q = 0; q < n; q++) indexed[axes[q]] = true;
        int j = 0;
        for (int d = 0; u && d < nB; d++) shp[j++] = mx_array_shape(u)[d];
        for (int d = 0; d < nd; d++) shp[j++] = indexed[d] ? 1 : mx_array_shape(sub)[d];
        if (u) u = mx_reshape(u, shp, j, MX_DEFAULT_STREAM);
        if (u) u = mx_astype(u, mx_array_dtype(a), MX_DEFAULT_STREAM);
    }
    if (u) {
        switch (kind) {
        case U_SET: r = mx_scatter(sub, idx, n, u, axes, MX_DEFAULT_STREAM); break;
        case U_ADD: r = mx_scatter_add(sub, idx, n, u, axes, MX_DEFAULT_STREAM); break;
        case U_SUB: r = mx_scatter_add(sub, idx, n, mx_negative(u, MX_DEFAULT_STREAM), axes, MX_DEFAULT_STREAM); break;
        case U_MUL: r = mx_scatter_prod(sub, idx, n, u, axes, MX_DEFAULT_STREAM); break;
        case U_DIV: r = mx_scatter_prod(sub, idx, n, mx_reciprocal(u, MX_DEFAULT_STREAM), axes, MX_DEFAULT_STREAM); break;
        case U_MAX: r = mx_scatter_max(sub, idx, n, u, axes, MX_DEFAULT_STREAM); break;
        default: r = mx_scatter_min(sub, idx, n, u, axes, MX_DEFAULT_STREAM); break;
        }
    }
    if (r && partial) r = mx_slice_update(a, r, st, sp, sk, MX_DEFAULT_STREAM);
    r = mx_scope_end(sc, r);
    if (!r && !PyErr_Occurred()) mxpy_raise();
    return r;
}

static mx_array *update(mx_array *a, PyObject *idx, PyObject *val, int kind) {
    mx_array *v = mxpy_to_array_weak(val, mx_array_dtype(a));
    if (!v) return NULL;
    mx_array *r = NULL;
    mx_array *mask = kind == U_SET ? as_mask(idx) : NULL;
    if (mask) {
        if (!mx_masked_scatter) {
            PyErr_SetString(PyExc_NotImplementedError, "mask assignment needs mx_masked_scatter");
        } else {
            mx_scope sc = mx_scope_begin();
            mx_array *u = mx_array_size(v) == 1
                              ? mx_broadcast_to(v, mx_array_shape(a), mx_array_ndim(a), MX_DEFAULT_STREAM)
                              : v;
            r = mx_scope_end(sc, mx_masked_scatter(a, mask, u, MX_DEFAULT_STREAM));
            if (!r) mxpy_raise();
        }
        mx_array_release(mask);
    } else {
        plan p;
        if (make_plan(a, idx, &p) == 0) {
            r = p.n_arr ? scatter_update(a, &p, v, kind) : basic_update(a, &p, v, kind);
            plan_free(&p);
        }
    }
    mx_array_release(v);
    return r;
}

int mxpy_setitem(PyObject *self, PyObject *idx, PyObject *val) {
    if (!val) {
        PyErr_SetString(PyExc_TypeError, "array elements cannot be deleted");
        return -1;
    }
    mx_array *r = update(MXPY_ARR(self), idx, val, U_SET);
    return r ? mxpy_replace(self, r) : -1;
}

/* ---- array.at ---- */
typedef struct {
    PyObject_HEAD
    PyObject *arr;
    PyObject *idx; /* NULL until indexed */
} at_obj;
static PyTypeObject *at_type;

static PyObject *at_new(PyObject *arr, PyObject *idx) {
    at_obj *o = PyObject_New(at_obj, at_type);
    if (!o) return NULL;
    Py_INCREF(arr);
    Py_XINCREF(idx);
    o->arr = arr, o->idx = idx;
    return (PyObject *)o;
}
PyObject *mxpy_array_at(PyObject *self, void *closure) {
    (void)closure;
    return at_new(self, NULL);
}
static void at_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    Py_XDECREF(((at_obj *)self)->arr);
    Py_XDECREF(((at_obj *)self)->idx);
    PyObject_Free(self);
    Py_DECREF(tp);
}
static PyObject *at_getitem(PyObject *self, PyObject *idx) { return at_new(((at_obj *)self)->arr, idx); }

static PyObject *at_apply(PyObject *self, PyObject *val, int kind) {
    at_obj *o = (at_obj *)self;
    if (!o->idx) {
        PyErr_SetString(PyExc_ValueError, "Cannot apply an update without indices: use a.at[idx].");
        return NULL;
    }
    mx_array *r = update(MXPY_ARR(o->arr), o->idx, val, kind);
    return r ? mxpy_wrap(r) : NULL;
}
#define AT(name, kind)                                                                             \
    static PyObject *at_##name(PyObject *self, PyObject *v) { return at_apply(self, v, kind); }
AT(add, U_ADD)
AT(subtract, U_SUB)
AT(multiply, U_MUL)
AT(divide, U_DIV)
AT(maximum, U_MAX)
AT(minimum, U_MIN)

static PyMethodDef at_methods[] = {
    {"add", at_add, METH_O, "a.at[idx].add(v): a copy with v added at idx (accumulates)."},
    {"subtract", at_subtract, METH_O, NULL},
    {"multiply", at_multiply, METH_O, NULL},
    {"divide", at_divide, METH_O, NULL},
    {"maximum", at_maximum, METH_O, NULL},
    {"minimum", at_minimum, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};
static PyType_Slot at_slots[] = {
    {Py_tp_dealloc, at_dealloc}, {Py_mp_subscript, at_getitem}, {Py_tp_methods, at_methods},
    {Py_tp_doc, "A helper object to apply updates at specific indices."},
    {0, NULL},
};
static PyType_Spec at_spec = {"mlx.core.ArrayAt", sizeof(at_obj), 0,
                              Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION, at_slots};

int mxpy_init_indexing(PyObject *m) {
    at_type = (PyTypeObject *)PyType_FromSpec(&at_spec);
    if (!at_type) return -1;
    Py_INCREF(at_type);
    return mxpy_add(m, "ArrayAt", (PyObject *)at_type);
}
