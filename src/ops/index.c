/* src/ops/index.c: the index family of ops (include/mx/ops_index.h): argument checks, index
 * broadcasting and node construction for gather/take, scatter and its reductions, put/take along
 * an axis, masked scatter, and static and dynamic slice updates. Kernels: src/backend/cpu/index.c.
 * Index values are data: they are wrapped and clamped by the kernels, never checked here. */
#include <string.h>

#include "../prims/index_params.h"
#include "ops_impl.h"

/* ---- helpers ---- */

static mx_status check_indices(const char *op, mx_array *const *idx, int n) {
    for (int i = 0; i < n; i++) {
        if (!idx[i]) {
            if (mx_error_status() == MX_OK)
                mx_fail(MX_ERR_VALUE, "[%s] index array %d is NULL", op, i);
            return mx_error_status();
        }
        MX_CHECK(mx_dtype_is_int(idx[i]->v.m.dtype), MX_ERR_VALUE,
                 "[%s] indices must be integers, got %s", op, DN(idx[i]->v.m.dtype));
    }
    return MX_OK;
}

/* true when shape `from` broadcasts to `to` (NumPy rules, to fixed) */
static bool bcast_ok(const int64_t *from, int nf, const int64_t *to, int nt) {
    if (nf > nt) return false;
    for (int i = 0; i < nf; i++) {
        int64_t d = from[i], t = to[i + nt - nf];
        if (d != t && d != 1) return false;
    }
    return true;
}

static mx_array *bcast_to(const char *op, const char *what, mx_array *x, const int64_t *shape,
                          int nd, mx_stream s) {
    char sa[256], sb[256];
    MX_CHECK_NULL(bcast_ok(x->v.m.shape, x->v.m.ndim, shape, nd), MX_ERR_VALUE,
                  "[%s] cannot broadcast %s of shape %s to %s", op, what,
                  mx_shape_str(x->v.m.shape, x->v.m.ndim, sa, sizeof sa),
                  mx_shape_str(shape, nd, sb, sizeof sb));
    return mx_broadcast_to(x, shape, nd, s);
}

/* Normalise axes[0..n) for ndim into out (distinct). */
static mx_status norm_axes(const char *op, const int *axes, int n, int ndim, int32_t *out) {
    bool seen[MX_MAX_DIMS] = {0};
    for (int i = 0; i < n; i++) {
        int ax;
        MX_TRY(mx_norm_axis(op, axes[i], ndim, &ax));
        MX_CHECK(!seen[ax], MX_ERR_VALUE, "[%s] repeated axis %d", op, axes[i]);
        seen[ax] = true;
        out[i] = ax;
    }
    return MX_OK;
}

/* Broadcast the n index arrays together: bidx[i] (scope-owned), shape B in bshape/nb. */
static mx_status bcast_indices(const char *op, mx_array *const *idx, int n, mx_array **bidx,
                               int64_t *bshape, int *nb, mx_stream s) {
    *nb = 0;
    if (n == 0) return MX_OK;
    MX_TRY(mx_broadcast_n(op, idx, n, bidx, s));
    *nb = bidx[0]->v.m.ndim;
    memcpy(bshape, bidx[0]->v.m.shape, sizeof(int64_t) * (size_t)*nb);
    return MX_OK;
}

/* ---- gather ---- */

static mx_array *gather_impl(const char *op, mx_array *a, mx_array *const *indices, int n_idx,
                             const int *axes, const int64_t *slice_sizes, mx_stream s) {
    MX_ARG(a, op);
    int nd = a->v.m.ndim;
    MX_CHECK_NULL(n_idx >= 0 && n_idx <= nd, MX_ERR_VALUE,
                  "[%s] got %d index arrays for an array with %d dimensions", op, n_idx, nd);
    MX_CHECK_NULL(n_idx == 0 || (indices && axes), MX_ERR_VALUE, "[%s] indices or axes is NULL",
                  op);
    MX_CHECK_NULL(slice_sizes || nd == 0, MX_ERR_VALUE, "[%s] slice_sizes is NULL", op);
    if (check_indices(op, indices, n_idx) != MX_OK) return NULL;
    mx_gather_params p;
    memset(&p, 0, sizeof p);
    p.n_idx = n_idx;
    if (norm_axes(op, axes, n_idx, nd, p.axes) != MX_OK) return NULL;
    for (int d = 0; d < nd; d++) {
        MX_CHECK_NULL(slice_sizes[d] >= 0 && slice_sizes[d] <= a->v.m.shape[d], MX_ERR_VALUE,
                      "[%s] slice size %lld of axis %d must be in [0, %lld]", op,
                      (long long)slice_sizes[d], d, (long long)a->v.m.shape[d]);
        p.slice[d] = slice_sizes[d];
    }
    mx_scope sc = mx_scope_begin();
    mx_array *in[MX_MAX_DIMS + 1];
    int64_t bshape[MX_MAX_DIMS];
    int nb = 0;
    mx_array *r = NULL;
    if (bcast_indices(op, indices, n_idx, in + 1, bshape, &nb, s) != MX_OK)
        return mx_scope_end(sc, NULL);
    if (nb + nd > MX_MAX_DIMS) {
        mx_fail(MX_ERR_VALUE, "[%s] the result would have %d dimensions (at most %d)", op, nb + nd,
                MX_MAX_DIMS);
        return mx_scope_end(sc, NULL);
    }
    in[0] = a;
    mx_meta o = {0};
    o.dtype = a->v.m.dtype;
    o.ndim = nb + nd;
    memcpy(o.shape, bshape, sizeof(int64_t) * (size_t)nb);
    memcpy(o.shape + nb, p.slice, sizeof(int64_t) * (size_t)nd);
    r = mx_node_make1(MX_PRIM_GATHER, &p, sizeof p, in, n_idx + 1, &o, s);
    return mx_scope_end(sc, r);
}

mx_array *mx_gather(mx_array *a, mx_array *const *indices, int n_idx, const int *axes,
                    const int64_t *slice_sizes, mx_stream s) {
    return gather_impl("gather", a, indices, n_idx, axes, slice_sizes, s);
}

static mx_array *flat1(mx_array *a, mx_stream s) {
    int64_t m1 = -1;
    return mx_reshape(a, &m1, 1, s);
}

mx_array *mx_take(mx_array *a, mx_array *indices, int axis, bool flatten, mx_stream s) {
    MX_ARG(a, "take");
    MX_ARG(indices, "take");
    if (check_indices("take", &indices, 1) != MX_OK) return NULL;
    mx_scope sc = mx_scope_begin();
    mx_array *x = flatten ? flat1(a, s) : a;
    if (!x) return mx_scope_end(sc, NULL);
    int nd = x->v.m.ndim, ax;
    if (flatten) axis = 0;
    if (mx_norm_axis("take", axis, nd, &ax) != MX_OK) return mx_scope_end(sc, NULL);
    int ni = indices->v.m.ndim;
    /* final shape: x.shape[:ax] + indices.shape + x.shape[ax+1:] */
    int64_t fin[2 * MX_MAX_DIMS];
    int nf = 0;
    for (int d = 0; d < ax; d++) fin[nf++] = x->v.m.shape[d];
    for (int d = 0; d < ni; d++) fin[nf++] = indices->v.m.shape[d];
    for (int d = ax + 1; d < nd; d++) fin[nf++] = x->v.m.shape[d];
    if (nf > MX_MAX_DIMS) {
        mx_fail(MX_ERR_VALUE, "[take] the result would have %d dimensions (at most %d)", nf,
                MX_MAX_DIMS);
        return mx_scope_end(sc, NULL);
    }
    if (x->v.m.shape[ax] == 0) {
        if (mx_array_size(indices) != 0) {
            mx_fail(MX_ERR_INDEX, "[take] cannot do a non-empty take from an empty axis");
            return mx_scope_end(sc, NULL);
        }
        return mx_scope_end(sc, mx_zeros(fin, nf, x->v.m.dtype, s));
    }
    int64_t slice[MX_MAX_DIMS];
    for (int d = 0; d < nd; d++) slice[d] = d == ax ? 1 : x->v.m.shape[d];
    mx_array *g = gather_impl("take", x, &indices, 1, &ax, slice, s);
    /* g: indices.shape + slice; drop the size-1 axis, then move the index dims to ax */
    int64_t sh[MX_MAX_DIMS];
    int k = 0;
    for (int d = 0; d < ni; d++) sh[k++] = indices->v.m.shape[d];
    for (int d = 0; d < nd; d++)
        if (d != ax) sh[k++] = x->v.m.shape[d];
    mx_array *r = g ? mx_reshape(g, sh, k, s) : NULL;
    if (r && ax > 0 && ni > 0) {
        int perm[MX_MAX_DIMS], q = 0;
        for (int d = 0; d < ax; d++) perm[q++] = ni + d;
        for (int d = 0; d < ni; d++) perm[q++] = d;
        for (int d = ni + ax; d < k; d++) perm[q++] = d;
        r = mx_transpose(r, perm, k, s);
    }
    return mx_scope_end(sc, r);
}

/* shapes for take/put along axis: the broadcast of a and indices outside axis */
static mx_status along_shape(const char *op, const mx_array *a, const mx_array *idx, int ax,
                             bool to_a, int64_t *out) {
    int nd = a->v.m.ndim;
    char sa[256], sb[256];
    for (int d = 0; d < nd; d++) {
        int64_t x = a->v.m.shape[d], y = idx->v.m.shape[d];
        if (d == ax) {
            out[d] = y;
            continue;
        }
        bool ok = to_a ? (y == x || y == 1) : (x == y || x == 1 || y == 1);
        MX_CHECK(ok, MX_ERR_VALUE, "[%s] indices of shape %s do not broadcast with array of shape %s",
                 op, mx_shape_str(idx->v.m.shape, nd, sa, sizeof sa),
                 mx_shape_str(a->v.m.shape, nd, sb, sizeof sb));
        out[d] = to_a ? x : (x == 1 ? y : x);
    }
    return MX_OK;
}

mx_array *mx_take_along_axis(mx_array *a, mx_array *indices, int axis, bool flatten, mx_stream s) {
    MX_ARG(a, "take_along_axis");
    MX_ARG(indices, "take_along_axis");
    if (check_indices("take_along_axis", &indices, 1) != MX_OK) return NULL;
    mx_scope sc = mx_scope_begin();
    mx_array *x = flatten ? flat1(a, s) : a, *ix = flatten ? flat1(indices, s) : indices;
    if (!x || !ix) return mx_scope_end(sc, NULL);
    if (flatten) axis = 0;
    int nd = x->v.m.ndim, ax;
    if (mx_norm_axis("take_along_axis", axis, nd, &ax) != MX_OK) return mx_scope_end(sc, NULL);
    if (ix->v.m.ndim != nd) {
        mx_fail(MX_ERR_VALUE,
                "[take_along_axis] indices of dimension %d does not match array of dimension %d",
                ix->v.m.ndim, nd);
        return mx_scope_end(sc, NULL);
    }
    int64_t osh[MX_MAX_DIMS], ash[MX_MAX_DIMS];
    if (along_shape("take_along_axis", x, ix, ax, false, osh) != MX_OK)
        return mx_scope_end(sc, NULL);
    memcpy(ash, osh, sizeof osh);
    ash[ax] = x->v.m.shape[ax];
    mx_meta o = {0};
    mx_meta_set(&o, x->v.m.dtype, osh, nd);
    if (ash[ax] == 0 && mx_meta_size(&o) != 0) {
        mx_fail(MX_ERR_INDEX, "[take_along_axis] cannot take from an empty axis");
        return mx_scope_end(sc, NULL);
    }
    mx_array *in[2] = {mx_broadcast_to(x, ash, nd, s), mx_broadcast_to(ix, osh, nd, s)};
    mx_axis_params p = {ax, 0};
    mx_array *r = in[0] && in[1] ? mx_node_make1(MX_PRIM_GATHER_AXIS, &p, sizeof p, in, 2, &o, s)
                                 : NULL;
    return mx_scope_end(sc, r);
}

mx_array *mx_put_along_axis(mx_array *a, mx_array *indices, mx_array *values, int axis,
                            bool flatten, mx_stream s) {
    MX_ARG(a, "put_along_axis");
    MX_ARG(indices, "put_along_axis");
    MX_ARG(values, "put_along_axis");
    if (check_indices("put_along_axis", &indices, 1) != MX_OK) return NULL;
    mx_scope sc = mx_scope_begin();
    mx_array *x = flatten ? flat1(a, s) : a, *ix = flatten ? flat1(indices, s) : indices;
    if (!x || !ix) return mx_scope_end(sc, NULL);
    if (flatten) axis = 0;
    int nd = x->v.m.ndim, ax;
    if (mx_norm_axis("put_along_axis", axis, nd, &ax) != MX_OK) return mx_scope_end(sc, NULL);
    if (ix->v.m.ndim != nd) {
        mx_fail(MX_ERR_VALUE,
                "[put_along_axis] indices of dimension %d does not match array of dimension %d",
                ix->v.m.ndim, nd);
        return mx_scope_end(sc, NULL);
    }
    int64_t ish[MX_MAX_DIMS];
    if (along_shape("put_along_axis", x, ix, ax, true, ish) != MX_OK)
        return mx_scope_end(sc, NULL);
    int64_t isize = 1;
    for (int d = 0; d < nd; d++) isize *= ish[d];
    if (x->v.m.shape[ax] == 0 && isize != 0) {
        mx_fail(MX_ERR_INDEX, "[put_along_axis] cannot put into an empty axis");
        return mx_scope_end(sc, NULL);
    }
    mx_array *v = bcast_to("put_along_axis", "values", values, ish, nd, s);
    mx_array *in[3] = {x, mx_broadcast_to(ix, ish, nd, s), v ? mx_astype(v, x->v.m.dtype, s) : NULL};
    mx_axis_params p = {ax, 0};
    mx_array *r = in[1] && in[2] ? mx_make_like(MX_PRIM_SCATTER_AXIS, &p, sizeof p, in, 3, &x->v.m,
                                                x->v.m.dtype, s)
                                 : NULL;
    if (r && flatten) r = mx_reshape(r, a->v.m.shape, a->v.m.ndim, s);
    return mx_scope_end(sc, r);
}

/* ---- scatter ---- */

static mx_array *scatter_impl(const char *op, int reduce, mx_array *a, mx_array *const *indices,
                              int n_idx, mx_array *updates, const int *axes, mx_stream s) {
    MX_ARG(a, op);
    MX_ARG(updates, op);
    int nd = a->v.m.ndim;
    MX_CHECK_NULL(n_idx >= 0 && n_idx <= nd, MX_ERR_VALUE,
                  "[%s] got %d index arrays for an array with %d dimensions", op, n_idx, nd);
    MX_CHECK_NULL(n_idx == 0 || (indices && axes), MX_ERR_VALUE, "[%s] indices or axes is NULL",
                  op);
    if (check_indices(op, indices, n_idx) != MX_OK) return NULL;
    mx_gather_params p;
    memset(&p, 0, sizeof p);
    p.n_idx = n_idx;
    p.reduce = reduce;
    if (norm_axes(op, axes, n_idx, nd, p.axes) != MX_OK) return NULL;
    mx_scope sc = mx_scope_begin();
    mx_array *in[MX_MAX_DIMS + 2];
    int64_t ush[2 * MX_MAX_DIMS];
    int nb = 0;
    mx_array *r = NULL;
    if (bcast_indices(op, indices, n_idx, in + 2, ush, &nb, s) != MX_OK)
        return mx_scope_end(sc, NULL);
    if (nb + nd > MX_MAX_DIMS) {
        mx_fail(MX_ERR_VALUE, "[%s] updates would have %d dimensions (at most %d)", op, nb + nd,
                MX_MAX_DIMS);
        return mx_scope_end(sc, NULL);
    }
    const mx_meta *um = &updates->v.m;
    if (um->ndim == nb + nd) {
        for (int d = 0; d < nd; d++) {
            int64_t u = um->shape[nb + d];
            if (u > a->v.m.shape[d]) {
                mx_fail(MX_ERR_VALUE,
                        "[%s] update slice size %lld on axis %d exceeds the array's %lld", op,
                        (long long)u, d, (long long)a->v.m.shape[d]);
                return mx_scope_end(sc, NULL);
            }
            ush[nb + d] = u;
        }
    }
    mx_array *u = updates;
    if (um->ndim != nb + nd) {
        /* NumPy style: updates broadcast to B + (a's dims that are not indexed) */
        bool ix[MX_MAX_DIMS] = {0};
        int64_t tsh[2 * MX_MAX_DIMS];
        int nt = nb;
        memcpy(tsh, ush, sizeof(int64_t) * (size_t)nb);
        for (int i = 0; i < n_idx; i++) ix[p.axes[i]] = true;
        for (int d = 0; d < nd; d++) {
            ush[nb + d] = ix[d] ? 1 : a->v.m.shape[d];
            if (!ix[d]) tsh[nt++] = a->v.m.shape[d];
        }
        u = bcast_to(op, "updates", updates, tsh, nt, s);
        if (u) u = mx_reshape(u, ush, nb + nd, s);
    }
    for (int d = 0; d < nd; d++) p.slice[d] = ush[nb + d];
    if (u) u = bcast_to(op, "updates", u, ush, nb + nd, s);
    in[0] = a;
    in[1] = u ? mx_astype(u, a->v.m.dtype, s) : NULL;
    if (in[1]) r = mx_make_like(MX_PRIM_SCATTER, &p, sizeof p, in, n_idx + 2, &a->v.m,
                                a->v.m.dtype, s);
    return mx_scope_end(sc, r);
}

#define SCATTER_FN(name, red)                                                                     \
    mx_array *mx_##name(mx_array *a, mx_array *const *indices, int n_idx, mx_array *updates,      \
                        const int *axes, mx_stream s) {                                           \
        return scatter_impl(#name, red, a, indices, n_idx, updates, axes, s);                     \
    }
SCATTER_FN(scatter, MX_SCATTER_NONE)
SCATTER_FN(scatter_add, MX_SCATTER_ADD)
SCATTER_FN(scatter_prod, MX_SCATTER_PROD)
SCATTER_FN(scatter_max, MX_SCATTER_MAX)
SCATTER_FN(scatter_min, MX_SCATTER_MIN)

mx_array *mx_masked_scatter(mx_array *a, mx_array *mask, mx_array *values, mx_stream s) {
    MX_ARG(a, "masked_scatter");
    MX_ARG(mask, "masked_scatter");
    MX_ARG(values, "masked_scatter");
    MX_CHECK_NULL(mask->v.m.dtype == MX_BOOL, MX_ERR_VALUE,
                  "[masked_scatter] mask must be a boolean array, got %s", DN(mask->v.m.dtype));
    mx_scope sc = mx_scope_begin();
    mx_array *in[3] = {a, bcast_to("masked_scatter", "mask", mask, a->v.m.shape, a->v.m.ndim, s),
                       mx_astype(flat1(values, s), a->v.m.dtype, s)};
    mx_array *r = in[1] && in[2] ? mx_make_like(MX_PRIM_MASKED_SCATTER, NULL, 0, in, 3, &a->v.m,
                                                a->v.m.dtype, s)
                                 : NULL;
    return mx_scope_end(sc, r);
}

/* ---- slice updates ---- */

mx_array *mx_slice_update(mx_array *a, mx_array *update, const int64_t *start, const int64_t *stop,
                          const int64_t *step, mx_stream s) {
    MX_ARG(a, "slice_update");
    MX_ARG(update, "slice_update");
    int nd = a->v.m.ndim;
    mx_slice_update_params p;
    memset(&p, 0, sizeof p);
    int64_t sh[MX_MAX_DIMS], size = 1;
    for (int i = 0; i < nd; i++) {
        int64_t n = a->v.m.shape[i], st = step ? step[i] : 1, b, len;
        if (mx_slice_range("slice_update", i, n, start ? start[i] : MX_SLICE_NONE,
                           stop ? stop[i] : MX_SLICE_NONE, st, &b, &len) != MX_OK)
            return NULL;
        p.start[i] = b;
        p.step[i] = st;
        sh[i] = len;
        size *= len;
    }
    mx_scope sc = mx_scope_begin();
    mx_array *u = bcast_to("slice_update", "update", update, sh, nd, s);
    mx_array *r = NULL;
    if (u && size == 0) r = mx_scope_track(mx_array_retain(a));
    else if (u) {
        mx_array *in[2] = {a, mx_astype(u, a->v.m.dtype, s)};
        if (in[1])
            r = mx_make_like(MX_PRIM_SLICE_UPDATE, &p, sizeof p, in, 2, &a->v.m, a->v.m.dtype, s);
    }
    return mx_scope_end(sc, r);
}

static mx_status dyn_check(const char *op, mx_array *a, mx_array *start, const int *axes,
                           int naxes, mx_dyn_slice_params *p) {
    int nd = a->v.m.ndim;
    MX_CHECK(mx_dtype_is_int(start->v.m.dtype), MX_ERR_VALUE,
             "[%s] start indices must be integers, got %s", op, DN(start->v.m.dtype));
    MX_CHECK(naxes >= 0 && naxes <= nd && (axes || naxes == 0), MX_ERR_VALUE,
             "[%s] got %d axes for an array with %d dimensions", op, naxes, nd);
    MX_CHECK(mx_array_size(start) == naxes && start->v.m.ndim <= 1, MX_ERR_VALUE,
             "[%s] expected %d start indices, got an array of size %lld", op, naxes,
             (long long)mx_array_size(start));
    memset(p, 0, sizeof *p);
    p->naxes = naxes;
    return norm_axes(op, axes, naxes, nd, p->axes);
}

mx_array *mx_slice_dynamic(mx_array *a, mx_array *start_indices, const int *axes, int naxes,
                           const int64_t *slice_size, mx_stream s) {
    MX_ARG(a, "slice");
    MX_ARG(start_indices, "slice");
    int nd = a->v.m.ndim;
    MX_CHECK_NULL(slice_size || nd == 0, MX_ERR_VALUE, "[slice] slice_size is NULL");
    mx_dyn_slice_params p;
    if (dyn_check("slice", a, start_indices, axes, naxes, &p) != MX_OK) return NULL;
    for (int d = 0; d < nd; d++)
        MX_CHECK_NULL(slice_size[d] >= 0 && slice_size[d] <= a->v.m.shape[d], MX_ERR_VALUE,
                      "[slice] slice size %lld of axis %d must be in [0, %lld]",
                      (long long)slice_size[d], d, (long long)a->v.m.shape[d]);
    mx_scope sc = mx_scope_begin();
    mx_array *in[2] = {a, flat1(start_indices, s)};
    mx_meta o = {0};
    mx_meta_set(&o, a->v.m.dtype, slice_size, nd);
    mx_array *r = in[1] ? mx_node_make1(MX_PRIM_DYNAMIC_SLICE, &p, sizeof p, in, 2, &o, s) : NULL;
    return mx_scope_end(sc, r);
}

mx_array *mx_slice_update_dynamic(mx_array *a, mx_array *update, mx_array *start_indices,
                                  const int *axes, int naxes, mx_stream s) {
    MX_ARG(a, "slice_update");
    MX_ARG(update, "slice_update");
    MX_ARG(start_indices, "slice_update");
    int nd = a->v.m.ndim, nu = update->v.m.ndim;
    mx_dyn_slice_params p;
    if (dyn_check("slice_update", a, start_indices, axes, naxes, &p) != MX_OK) return NULL;
    MX_CHECK_NULL(nu <= nd, MX_ERR_VALUE,
                  "[slice_update] update has %d dimensions, more than the array's %d", nu, nd);
    int64_t sh[MX_MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        sh[d] = d < nd - nu ? 1 : update->v.m.shape[d - (nd - nu)];
        MX_CHECK_NULL(sh[d] <= a->v.m.shape[d], MX_ERR_VALUE,
                      "[slice_update] update size %lld on axis %d exceeds the array's %lld",
                      (long long)sh[d], d, (long long)a->v.m.shape[d]);
    }
    mx_scope sc = mx_scope_begin();
    mx_array *u = mx_reshape(update, sh, nd, s);
    mx_array *in[3] = {a, u ? mx_astype(u, a->v.m.dtype, s) : NULL, flat1(start_indices, s)};
    mx_array *r = in[1] && in[2] ? mx_make_like(MX_PRIM_DYNAMIC_SLICE_UPDATE, &p, sizeof p, in, 3,
                                                &a->v.m, a->v.m.dtype, s)
                                 : NULL;
    return mx_scope_end(sc, r);
}
