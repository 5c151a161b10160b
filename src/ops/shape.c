/* src/ops/shape.c: the shape/layout ops beyond the core views: concatenate, stack, split, unstack,
 * pad, repeat, tile, flip, roll, moveaxis, swapaxes, diagonal, diag, tril, triu, trace,
 * unflatten, atleast_1d/2d/3d, broadcast_arrays, broadcast_shapes, contiguous.
 * Composites of core views (slice, reshape, broadcast, transpose) where possible; the primitives
 * CONCATENATE, PAD, DIAGONAL and CONTIGUOUS (src/prims/shape.def) where a kernel is needed. */
#include <stdlib.h>
#include <string.h>

#include "../prims/shape_params.h"
#include "ops_impl.h"

/* Check an array list: non-empty, no NULL entries. */
static bool check_list(const char *op, mx_array *const *arrays, int n) {
    if (!arrays || n <= 0) {
        mx_fail(MX_ERR_VALUE, "[%s] no arrays provided", op);
        return false;
    }
    for (int i = 0; i < n; i++)
        if (!arrays[i]) {
            if (mx_error_status() == MX_OK)
                mx_fail(MX_ERR_VALUE, "[%s] array %d is NULL", op, i);
            return false;
        }
    return true;
}

/* Release the first n entries of out (arrays made in the caller's scope, if any). */
static void release_outs(mx_array **out, int n) {
    for (int j = 0; j < n; j++) {
        mx_array_release(mx_scope_keep(out[j]));
        out[j] = NULL;
    }
}

/* ---- concatenate / stack ---- */
static mx_array *concat_flat(mx_array *const *arrays, int n, mx_stream s) {
    mx_array **flat = malloc(sizeof(mx_array *) * (size_t)n);
    MX_CHECK_NULL(flat, MX_ERR_NOMEM, "[concatenate] out of memory");
    mx_scope sc = mx_scope_begin();
    for (int i = 0; i < n; i++) {
        int64_t len = mx_meta_size(&arrays[i]->v.m);
        flat[i] = mx_reshape(arrays[i], &len, 1, s);
    }
    mx_array *r = mx_concatenate(flat, n, 0, false, s);
    free(flat);
    return mx_scope_end(sc, r);
}

mx_array *mx_concatenate(mx_array *const *arrays, int n, int axis, bool flatten, mx_stream s) {
    if (!check_list("concatenate", arrays, n)) return NULL;
    if (flatten) return concat_flat(arrays, n, s);
    const mx_meta *m0 = &arrays[0]->v.m;
    int nd = m0->ndim, ax;
    MX_CHECK_NULL(nd > 0, MX_ERR_VALUE,
                  "[concatenate] zero-dimensional arrays cannot be concatenated");
    if (mx_norm_axis("concatenate", axis, nd, &ax) != MX_OK) return NULL;
    mx_dtype t = m0->dtype;
    mx_meta o = *m0;
    o.shape[ax] = 0;
    for (int i = 0; i < n; i++) {
        const mx_meta *m = &arrays[i]->v.m;
        MX_CHECK_NULL(m->ndim == nd, MX_ERR_VALUE,
                      "[concatenate] all the input arrays must have the same number of dimensions, "
                      "but array 0 has %d and array %d has %d",
                      nd, i, m->ndim);
        for (int d = 0; d < nd; d++)
            if (d != ax && m->shape[d] != m0->shape[d]) {
                char sa[256], sb[256];
                mx_fail(MX_ERR_VALUE,
                        "[concatenate] all the input array dimensions except the concatenation "
                        "axis must match exactly, but array 0 has shape %s and array %d has shape %s",
                        mx_shape_str(m0->shape, nd, sa, sizeof sa), i,
                        mx_shape_str(m->shape, nd, sb, sizeof sb));
                return NULL;
            }
        MX_CHECK_NULL(m->shape[ax] <= ((int64_t)1 << 62) - o.shape[ax], MX_ERR_VALUE,
                      "[concatenate] the result has too many elements");
        o.shape[ax] += m->shape[ax];
        if (i) t = mx_promote_types(t, m->dtype);
    }
    if (mx_check_shape("concatenate", o.shape, nd) != MX_OK) return NULL;
    o.dtype = t;
    if (n == 1) return mx_astype(arrays[0], t, s);
    mx_array **in = malloc(sizeof(mx_array *) * (size_t)n);
    MX_CHECK_NULL(in, MX_ERR_NOMEM, "[concatenate] out of memory");
    mx_scope sc = mx_scope_begin();
    for (int i = 0; i < n; i++) in[i] = mx_astype(arrays[i], t, s);
    mx_concatenate_params p;
    memset(&p, 0, sizeof p);
    p.axis = ax;
    mx_array *r = mx_node_make1(MX_PRIM_CONCATENATE, &p, sizeof p, in, n, &o, s);
    free(in);
    return mx_scope_end(sc, r);
}

mx_array *mx_stack(mx_array *const *arrays, int n, int axis, mx_stream s) {
    if (!check_list("stack", arrays, n)) return NULL;
    const mx_meta *m0 = &arrays[0]->v.m;
    int ax;
    if (mx_norm_axis("stack", axis, m0->ndim + 1, &ax) != MX_OK) return NULL;
    for (int i = 1; i < n; i++) {
        const mx_meta *m = &arrays[i]->v.m;
        bool same = m->ndim == m0->ndim;
        for (int d = 0; same && d < m->ndim; d++) same = m->shape[d] == m0->shape[d];
        char sa[256], sb[256];
        MX_CHECK_NULL(same, MX_ERR_VALUE,
                      "[stack] all input arrays must have the same shape, but array 0 has shape %s "
                      "and array %d has shape %s",
                      mx_shape_str(m0->shape, m0->ndim, sa, sizeof sa), i,
                      mx_shape_str(m->shape, m->ndim, sb, sizeof sb));
    }
    mx_array **ex = malloc(sizeof(mx_array *) * (size_t)n);
    MX_CHECK_NULL(ex, MX_ERR_NOMEM, "[stack] out of memory");
    mx_scope sc = mx_scope_begin();
    for (int i = 0; i < n; i++) ex[i] = mx_expand_dims(arrays[i], &ax, 1, s);
    mx_array *r = mx_concatenate(ex, n, ax, false, s);
    free(ex);
    return mx_scope_end(sc, r);
}

/* ---- split / unstack ---- */
/* The view a[.., b:e, ..] on axis ax (Python slice semantics; MX_SLICE_NONE for an open end). */
static mx_array *axis_slice(mx_array *a, int ax, int64_t b, int64_t e, mx_stream s) {
    int64_t st[MX_MAX_DIMS], en[MX_MAX_DIMS];
    for (int d = 0; d < a->v.m.ndim; d++) st[d] = en[d] = MX_SLICE_NONE;
    st[ax] = b;
    en[ax] = e;
    return mx_slice(a, st, en, NULL, s);
}

mx_status mx_split(mx_array *a, const int64_t *indices, int n_indices, int sections, int axis,
                   mx_stream s, mx_array **out, int *n_out) {
    if (!a) return mx_error_status() != MX_OK ? mx_error_status()
                                              : mx_fail(MX_ERR_VALUE, "[split] argument 'a' is NULL");
    MX_CHECK(out && n_out, MX_ERR_VALUE, "[split] out and n_out must not be NULL");
    int ax;
    MX_TRY(mx_norm_axis("split", axis, a->v.m.ndim, &ax));
    int64_t dim = a->v.m.shape[ax];
    int n;
    if (indices) {
        MX_CHECK(n_indices >= 0, MX_ERR_VALUE, "[split] invalid number of indices %d", n_indices);
        n = n_indices + 1;
    } else {
        MX_CHECK(sections > 0, MX_ERR_VALUE, "[split] number of sections must be positive, got %d",
                 sections);
        MX_CHECK(dim % sections == 0, MX_ERR_VALUE,
                 "[split] array split does not result in sub arrays with equal size (%lld into %d)",
                 (long long)dim, sections);
        n = sections;
    }
    int64_t step = indices ? 0 : dim / sections;
    for (int i = 0; i < n; i++) {
        int64_t b, e;
        if (indices) {
            b = i == 0 ? MX_SLICE_NONE : indices[i - 1];
            e = i == n - 1 ? MX_SLICE_NONE : indices[i];
        } else {
            b = step * i;
            e = step * (i + 1);
        }
        out[i] = axis_slice(a, ax, b, e, s);
        if (!out[i]) {
            release_outs(out, i);
            return mx_error_status();
        }
    }
    *n_out = n;
    return MX_OK;
}

mx_status mx_unstack(mx_array *a, int axis, mx_stream s, mx_array **out, int *n_out) {
    if (!a)
        return mx_error_status() != MX_OK ? mx_error_status()
                                          : mx_fail(MX_ERR_VALUE, "[unstack] argument 'a' is NULL");
    MX_CHECK(out && n_out, MX_ERR_VALUE, "[unstack] out and n_out must not be NULL");
    MX_CHECK(a->v.m.ndim > 0, MX_ERR_VALUE, "[unstack] no axis to unstack in a 0-d array");
    int ax;
    MX_TRY(mx_norm_axis("unstack", axis, a->v.m.ndim, &ax));
    int64_t dim = a->v.m.shape[ax];
    MX_CHECK(dim <= INT32_MAX, MX_ERR_VALUE, "[unstack] too many slices (%lld)", (long long)dim);
    for (int64_t i = 0; i < dim; i++) {
        mx_scope sc = mx_scope_begin();
        mx_array *r = mx_squeeze(axis_slice(a, ax, i, i + 1, s), &ax, 1, s);
        out[i] = mx_scope_end(sc, r);
        if (!out[i]) {
            release_outs(out, (int)i);
            return mx_error_status();
        }
    }
    *n_out = (int)dim;
    return MX_OK;
}

/* ---- pad ---- */
mx_array *mx_pad(mx_array *a, const int64_t *pad_width, const char *mode, mx_array *constant_value,
                 mx_stream s) {
    MX_ARG(a, "pad");
    MX_CHECK_NULL(pad_width, MX_ERR_VALUE, "[pad] pad_width is NULL");
    mx_pad_params p;
    memset(&p, 0, sizeof p);
    if (!mode || strcmp(mode, "constant") == 0) p.mode = MX_PAD_CONSTANT;
    else if (strcmp(mode, "edge") == 0) p.mode = MX_PAD_EDGE;
    else if (strcmp(mode, "reflect") == 0) p.mode = MX_PAD_REFLECT;
    else if (strcmp(mode, "symmetric") == 0) p.mode = MX_PAD_SYMMETRIC;
    else {
        mx_fail(MX_ERR_VALUE,
                "[pad] invalid pad mode '%s': expected 'constant', 'edge', 'reflect' or "
                "'symmetric'",
                mode);
        return NULL;
    }
    const mx_meta *m = &a->v.m;
    mx_meta o = *m;
    bool any = false;
    for (int d = 0; d < m->ndim; d++) {
        int64_t lo = pad_width[2 * d], hi = pad_width[2 * d + 1];
        MX_CHECK_NULL(lo >= 0 && hi >= 0 && lo <= ((int64_t)1 << 60) && hi <= ((int64_t)1 << 60),
                      MX_ERR_VALUE, "[pad] invalid pad width (%lld, %lld) for axis %d",
                      (long long)lo, (long long)hi, d);
        MX_CHECK_NULL(p.mode == MX_PAD_CONSTANT || m->shape[d] > 0 || (lo == 0 && hi == 0),
                      MX_ERR_VALUE, "[pad] cannot extend the empty axis %d with mode '%s'", d,
                      mode);
        p.lo[d] = lo;
        p.hi[d] = hi;
        o.shape[d] += lo + hi;
        any |= lo || hi;
    }
    if (mx_check_shape("pad", o.shape, o.ndim) != MX_OK) return NULL;
    if (constant_value && p.mode == MX_PAD_CONSTANT)
        MX_CHECK_NULL(mx_meta_size(&constant_value->v.m) == 1, MX_ERR_VALUE,
                      "[pad] constant_value must be a single value, got %lld elements",
                      (long long)mx_meta_size(&constant_value->v.m));
    if (!any) return mx_scope_track(mx_array_retain(a));
    mx_scope sc = mx_scope_begin();
    mx_array *v;
    if (constant_value && p.mode == MX_PAD_CONSTANT)
        v = mx_astype(mx_reshape(constant_value, NULL, 0, s), m->dtype, s);
    else
        v = mx_array_scalar_f64(0, m->dtype);
    mx_array *in[2] = {a, v};
    mx_array *r = v ? mx_node_make1(MX_PRIM_PAD, &p, sizeof p, in, 2, &o, s) : NULL;
    return mx_scope_end(sc, r);
}

/* ---- repeat / tile ---- */
mx_array *mx_repeat(mx_array *a, int64_t repeats, int axis, bool flatten, mx_stream s) {
    MX_ARG(a, "repeat");
    MX_CHECK_NULL(repeats >= 0, MX_ERR_VALUE, "[repeat] number of repeats cannot be negative (%lld)",
                  (long long)repeats);
    mx_scope sc = mx_scope_begin();
    mx_array *x = a;
    if (flatten) {
        int64_t len = mx_meta_size(&a->v.m);
        x = mx_reshape(a, &len, 1, s);
        axis = 0;
    }
    mx_array *r = NULL;
    int ax;
    if (x && mx_norm_axis("repeat", axis, x->v.m.ndim, &ax) == MX_OK) {
        const mx_meta *m = &x->v.m;
        if (m->ndim >= MX_MAX_DIMS) {
            mx_fail(MX_ERR_VALUE, "[repeat] arrays have at most %d dimensions", MX_MAX_DIMS);
        } else if (mx_check_shape("repeat", (int64_t[]){m->shape[ax], repeats}, 2) == MX_OK) {
            int64_t ex[MX_MAX_DIMS], sh[MX_MAX_DIMS];
            for (int d = 0, k = 0; d < m->ndim; d++) {
                ex[k++] = m->shape[d];
                sh[d] = m->shape[d];
                if (d == ax) ex[k++] = repeats;
            }
            sh[ax] *= repeats;
            int ax1 = ax + 1;
            r = mx_reshape(mx_broadcast_to(mx_expand_dims(x, &ax1, 1, s), ex, m->ndim + 1, s), sh,
                           m->ndim, s);
        }
    }
    return mx_scope_end(sc, r);
}

/* Tile axis d of x r times by concatenation (used only when no axis is free to interleave). */
static mx_array *tile_concat(mx_array *x, int d, int64_t r, mx_stream s) {
    MX_CHECK_NULL(r <= INT32_MAX, MX_ERR_VALUE, "[tile] too many repetitions");
    if (r == 0) {
        int64_t st[MX_MAX_DIMS], en[MX_MAX_DIMS];
        for (int e = 0; e < x->v.m.ndim; e++) st[e] = en[e] = MX_SLICE_NONE;
        st[d] = en[d] = 0;
        return mx_slice(x, st, en, NULL, s);
    }
    mx_array **l = malloc(sizeof(mx_array *) * (size_t)r);
    MX_CHECK_NULL(l, MX_ERR_NOMEM, "[tile] out of memory");
    for (int64_t i = 0; i < r; i++) l[i] = x;
    mx_array *y = mx_concatenate(l, (int)r, d, false, s);
    free(l);
    return y;
}

mx_array *mx_tile(mx_array *a, const int64_t *reps, int n, mx_stream s) {
    MX_ARG(a, "tile");
    MX_CHECK_NULL(n >= 0 && (reps || n == 0), MX_ERR_VALUE, "[tile] reps is NULL");
    int nd0 = a->v.m.ndim, nd = n > nd0 ? n : nd0;
    MX_CHECK_NULL(nd <= MX_MAX_DIMS, MX_ERR_VALUE, "[tile] arrays have at most %d dimensions",
                  MX_MAX_DIMS);
    int64_t r[MX_MAX_DIMS], sh[MX_MAX_DIMS], res[MX_MAX_DIMS] = {0};
    for (int d = 0; d < nd; d++) {
        r[d] = d < nd - n ? 1 : reps[d - (nd - n)];
        sh[d] = d < nd - nd0 ? 1 : a->v.m.shape[d - (nd - nd0)];
        MX_CHECK_NULL(r[d] >= 0, MX_ERR_VALUE, "[tile] reps must be non-negative, got %lld",
                      (long long)r[d]);
        res[d] = r[d] * sh[d];
        if (mx_check_shape("tile", (int64_t[]){sh[d], r[d]}, 2) != MX_OK) return NULL;
    }
    if (mx_check_shape("tile", res, nd) != MX_OK) return NULL;
    mx_scope sc = mx_scope_begin();
    mx_array *x = mx_reshape(a, sh, nd, s);
    /* Interleave: (.., n_d, ..) -> (.., 1, n_d, ..) broadcast to (.., r_d, n_d, ..), merged to
     * (.., r_d * n_d, ..); at most MX_MAX_DIMS - nd axes per round. */
    int d = 0, budget = MX_MAX_DIMS - nd;
    while (x && d < nd) {
        if (budget == 0) { /* no room for extra axes: concatenate copies, axis by axis */
            if (r[d] != 1) x = tile_concat(x, d, r[d], s);
            d++;
            continue;
        }
        bool tiled[MX_MAX_DIMS] = {0};
        int cnt = 0;
        for (; d < nd && cnt < budget; d++)
            if (r[d] != 1) {
                tiled[d] = true;
                cnt++;
            }
        if (cnt == 0) break;
        int64_t src[MX_MAX_DIMS], ex[MX_MAX_DIMS], cur[MX_MAX_DIMS];
        int k = 0;
        for (int e = 0; e < nd; e++) {
            int64_t n_e = x->v.m.shape[e];
            if (tiled[e]) {
                src[k] = 1;
                ex[k++] = r[e];
            }
            src[k] = n_e;
            ex[k++] = n_e;
            cur[e] = tiled[e] ? n_e * r[e] : n_e;
        }
        x = mx_reshape(mx_broadcast_to(mx_reshape(x, src, k, s), ex, k, s), cur, nd, s);
    }
    return mx_scope_end(sc, x);
}

/* ---- reordering ---- */
mx_array *mx_flip(mx_array *a, const int *axes, int naxes, mx_stream s) {
    MX_ARG(a, "flip");
    int nd = a->v.m.ndim;
    int64_t step[MX_MAX_DIMS];
    for (int d = 0; d < nd; d++) step[d] = axes ? 1 : -1;
    for (int i = 0; axes && i < naxes; i++) {
        int ax;
        if (mx_norm_axis("flip", axes[i], nd, &ax) != MX_OK) return NULL;
        MX_CHECK_NULL(step[ax] == 1, MX_ERR_VALUE, "[flip] repeated axis %d", axes[i]);
        step[ax] = -1;
    }
    return mx_slice(a, NULL, NULL, step, s);
}

/* Roll axis ax of x by sh (any sign): concatenate(x[n-k:], x[:n-k]). */
static mx_array *roll_axis(mx_array *x, int ax, int64_t sh, mx_stream s) {
    if (!x) return NULL;
    int64_t n = x->v.m.shape[ax];
    if (n == 0) return x;
    int64_t k = sh % n;
    if (k < 0) k += n;
    if (k == 0) return x;
    mx_array *parts[2] = {axis_slice(x, ax, n - k, MX_SLICE_NONE, s),
                          axis_slice(x, ax, 0, n - k, s)};
    if (!parts[0] || !parts[1]) return NULL;
    return mx_concatenate(parts, 2, ax, false, s);
}

mx_array *mx_roll(mx_array *a, const int64_t *shift, int nshift, const int *axes, int naxes,
                  mx_stream s) {
    MX_ARG(a, "roll");
    MX_CHECK_NULL(shift && nshift > 0, MX_ERR_VALUE, "[roll] no shift given");
    int nd = a->v.m.ndim;
    mx_scope sc = mx_scope_begin();
    mx_array *r = NULL;
    if (!axes) {
        if (nshift != 1) {
            mx_fail(MX_ERR_VALUE, "[roll] a flattened roll takes one shift, got %d", nshift);
        } else {
            int64_t len = mx_meta_size(&a->v.m);
            mx_array *x = roll_axis(mx_reshape(a, &len, 1, s), 0, shift[0], s);
            r = x ? mx_reshape(x, a->v.m.shape, nd, s) : NULL;
        }
        return mx_scope_end(sc, r);
    }
    if (nshift != naxes && nshift != 1) {
        mx_fail(MX_ERR_VALUE, "[roll] got %d shifts for %d axes", nshift, naxes);
        return mx_scope_end(sc, NULL);
    }
    int64_t tot[MX_MAX_DIMS] = {0};
    for (int i = 0; i < naxes; i++) {
        int ax;
        if (mx_norm_axis("roll", axes[i], nd, &ax) != MX_OK) return mx_scope_end(sc, NULL);
        int64_t n = a->v.m.shape[ax], sh = shift[nshift == 1 ? 0 : i];
        if (n > 0) tot[ax] = (tot[ax] + sh % n) % n;
    }
    r = a;
    for (int d = 0; r && d < nd; d++) r = roll_axis(r, d, tot[d], s);
    if (r == a) r = mx_scope_track(mx_array_retain(a)); /* nothing moved */
    return mx_scope_end(sc, r);
}

mx_array *mx_moveaxis(mx_array *a, int source, int destination, mx_stream s) {
    MX_ARG(a, "moveaxis");
    int nd = a->v.m.ndim, src, dst;
    if (mx_norm_axis("moveaxis", source, nd, &src) != MX_OK) return NULL;
    if (mx_norm_axis("moveaxis", destination, nd, &dst) != MX_OK) return NULL;
    int perm[MX_MAX_DIMS], k = 0;
    for (int d = 0; d < nd; d++)
        if (d != src) perm[k++] = d;
    for (int d = nd - 1; d > dst; d--) perm[d] = perm[d - 1];
    perm[dst] = src;
    return mx_transpose(a, perm, nd, s);
}

mx_array *mx_swapaxes(mx_array *a, int axis1, int axis2, mx_stream s) {
    MX_ARG(a, "swapaxes");
    int nd = a->v.m.ndim, a1, a2;
    if (mx_norm_axis("swapaxes", axis1, nd, &a1) != MX_OK) return NULL;
    if (mx_norm_axis("swapaxes", axis2, nd, &a2) != MX_OK) return NULL;
    int perm[MX_MAX_DIMS];
    for (int d = 0; d < nd; d++) perm[d] = d;
    perm[a1] = a2;
    perm[a2] = a1;
    return mx_transpose(a, perm, nd, s);
}

/* ---- diagonals and triangles ---- */
mx_array *mx_diagonal(mx_array *a, int offset, int axis1, int axis2, mx_stream s) {
    MX_ARG(a, "diagonal");
    const mx_meta *m = &a->v.m;
    MX_CHECK_NULL(m->ndim >= 2, MX_ERR_VALUE,
                  "[diagonal] array must have at least two dimensions, got %d", m->ndim);
    int a1, a2;
    if (mx_norm_axis("diagonal", axis1, m->ndim, &a1) != MX_OK) return NULL;
    if (mx_norm_axis("diagonal", axis2, m->ndim, &a2) != MX_OK) return NULL;
    MX_CHECK_NULL(a1 != a2, MX_ERR_VALUE, "[diagonal] axis1 and axis2 cannot be the same axis (%d)",
                  a1);
    int64_t d1 = m->shape[a1], d2 = m->shape[a2], off = offset;
    int64_t len = off >= 0 ? (d2 - off < d1 ? d2 - off : d1) : (d1 + off < d2 ? d1 + off : d2);
    if (len < 0) len = 0;
    mx_meta o = *m;
    int k = 0;
    for (int d = 0; d < m->ndim; d++)
        if (d != a1 && d != a2) o.shape[k++] = m->shape[d];
    o.shape[k++] = len;
    o.ndim = k;
    for (int d = k; d < MX_MAX_DIMS; d++) o.shape[d] = 0;
    mx_diagonal_params p;
    memset(&p, 0, sizeof p);
    p.offset = off;
    p.axis1 = a1;
    p.axis2 = a2;
    return mx_node_make1(MX_PRIM_DIAGONAL, &p, sizeof p, &a, 1, &o, s);
}

mx_array *mx_diag(mx_array *a, int k, mx_stream s) {
    MX_ARG(a, "diag");
    int nd = a->v.m.ndim;
    if (nd == 2) return mx_diagonal(a, k, 0, 1, s);
    MX_CHECK_NULL(nd == 1, MX_ERR_VALUE, "[diag] input must be 1-D or 2-D, got %d dimensions", nd);
    int64_t L = a->v.m.shape[0], ak = k < 0 ? -(int64_t)k : k, n = L + ak;
    if (mx_check_shape("diag", (int64_t[]){n, n}, 2) != MX_OK) return NULL;
    mx_scope sc = mx_scope_begin();
    /* x[i, j] = v[i] (k >= 0) or v[j] (k < 0), v padded with |k| zeros; kept on diagonal k */
    int64_t pw[2] = {0, ak};
    mx_array *v = mx_pad(a, pw, "constant", NULL, s);
    int64_t sh[2] = {k >= 0 ? n : 1, k >= 0 ? 1 : n};
    mx_array *x = mx_reshape(v, sh, 2, s);
    mx_array *mask = mx_eye(n, n, k, MX_BOOL, s);
    mx_array *z = mx_array_scalar_f64(0, a->v.m.dtype);
    mx_array *r = mx_where(mask, x, z, s);
    return mx_scope_end(sc, r);
}

static mx_array *triangle(mx_array *a, int k, bool lower, mx_stream s, const char *op) {
    MX_ARG(a, op);
    int nd = a->v.m.ndim;
    MX_CHECK_NULL(nd >= 2, MX_ERR_VALUE, "[%s] array must be at least 2-D, got %d dimensions", op,
                  nd);
    int64_t n = a->v.m.shape[nd - 2], m = a->v.m.shape[nd - 1];
    mx_scope sc = mx_scope_begin();
    /* tril: keep j <= i + k; triu: keep j >= i + k, i.e. not (j <= i + k - 1) */
    mx_array *mask = mx_tri(n, m, lower ? k : k - 1, MX_BOOL, s);
    mx_array *z = mx_array_scalar_f64(0, a->v.m.dtype);
    mx_array *r = lower ? mx_where(mask, a, z, s) : mx_where(mask, z, a, s);
    return mx_scope_end(sc, r);
}

mx_array *mx_tril(mx_array *a, int k, mx_stream s) { return triangle(a, k, true, s, "tril"); }
mx_array *mx_triu(mx_array *a, int k, mx_stream s) { return triangle(a, k, false, s, "triu"); }

mx_array *mx_trace(mx_array *a, int offset, int axis1, int axis2, mx_dtype dtype, mx_stream s) {
    MX_ARG(a, "trace");
    MX_CHECK_NULL(a->v.m.ndim >= 2, MX_ERR_VALUE,
                  "[trace] array must have at least two dimensions, got %d", a->v.m.ndim);
    if (dtype == MX_DTYPE_AUTO) dtype = a->v.m.dtype;
    MX_CHECK_NULL(mx_dtype_valid((int)dtype), MX_ERR_VALUE, "[trace] invalid dtype %d", (int)dtype);
    mx_scope sc = mx_scope_begin();
    int last = -1;
    mx_array *r = mx_astype(mx_sum(mx_diagonal(a, offset, axis1, axis2, s), &last, 1, false, s),
                            dtype, s);
    return mx_scope_end(sc, r);
}

/* ---- shape helpers ---- */
mx_array *mx_unflatten(mx_array *a, int axis, const int64_t *shape, int ndim, mx_stream s) {
    MX_ARG(a, "unflatten");
    const mx_meta *m = &a->v.m;
    int ax;
    if (mx_norm_axis("unflatten", axis, m->ndim, &ax) != MX_OK) return NULL;
    MX_CHECK_NULL(shape && ndim > 0, MX_ERR_VALUE, "[unflatten] shape to unflatten to cannot be empty");
    MX_CHECK_NULL(m->ndim - 1 + ndim <= MX_MAX_DIMS, MX_ERR_VALUE,
                  "[unflatten] arrays have at most %d dimensions", MX_MAX_DIMS);
    int64_t sh[MX_MAX_DIMS], known = 1, dim = m->shape[ax];
    int infer = -1, k = 0;
    for (int d = 0; d < ax; d++) sh[k++] = m->shape[d];
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == -1) {
            MX_CHECK_NULL(infer < 0, MX_ERR_VALUE, "[unflatten] can only infer one dimension");
            infer = k;
        } else {
            MX_CHECK_NULL(shape[i] >= 0, MX_ERR_VALUE, "[unflatten] invalid dimension %lld",
                          (long long)shape[i]);
            if (mx_check_shape("unflatten", (int64_t[]){known, shape[i]}, 2) != MX_OK) return NULL;
            known *= shape[i];
        }
        sh[k++] = shape[i];
    }
    for (int d = ax + 1; d < m->ndim; d++) sh[k++] = m->shape[d];
    char sb[256];
    if (infer >= 0) {
        MX_CHECK_NULL(known != 0 && dim % known == 0, MX_ERR_VALUE,
                      "[unflatten] cannot infer a dimension unflattening axis %d of size %lld into "
                      "shape %s",
                      ax, (long long)dim, mx_shape_str(shape, ndim, sb, sizeof sb));
        sh[infer] = dim / known;
        known = dim;
    }
    MX_CHECK_NULL(known == dim, MX_ERR_VALUE,
                  "[unflatten] cannot unflatten axis %d with size %lld into shape %s", ax,
                  (long long)dim, mx_shape_str(shape, ndim, sb, sizeof sb));
    return mx_reshape(a, sh, k, s);
}

static mx_array *atleast(mx_array *a, int n, mx_stream s, const char *op) {
    MX_ARG(a, op);
    const mx_meta *m = &a->v.m;
    if (m->ndim >= n) return mx_scope_track(mx_array_retain(a));
    int64_t sh[3] = {1, 1, 1};
    if (m->ndim == 1) sh[n == 1 ? 0 : 1] = m->shape[0];
    if (m->ndim == 2) {
        sh[0] = m->shape[0];
        sh[1] = m->shape[1];
    }
    return mx_reshape(a, sh, n, s);
}

mx_array *mx_atleast_1d(mx_array *a, mx_stream s) { return atleast(a, 1, s, "atleast_1d"); }
mx_array *mx_atleast_2d(mx_array *a, mx_stream s) { return atleast(a, 2, s, "atleast_2d"); }
mx_array *mx_atleast_3d(mx_array *a, mx_stream s) { return atleast(a, 3, s, "atleast_3d"); }

mx_status mx_broadcast_arrays(mx_array *const *in, int n, mx_array **out, mx_stream s) {
    MX_CHECK(n >= 0 && (n == 0 || (in && out)), MX_ERR_VALUE,
             "[broadcast_arrays] in and out must not be NULL");
    if (n == 0) return MX_OK;
    if (!check_list("broadcast_arrays", in, n)) return mx_error_status();
    return mx_broadcast_n("broadcast_arrays", in, n, out, s);
}

mx_status mx_broadcast_shapes(const int64_t *const *shapes, const int *ndims, int n, int64_t *out,
                              int *out_ndim) {
    MX_CHECK(shapes && ndims && out && out_ndim && n > 0, MX_ERR_VALUE,
             "[broadcast_shapes] no shapes provided");
    int64_t cur[MX_MAX_DIMS];
    int nd = 0;
    for (int i = 0; i < n; i++) {
        MX_CHECK(ndims[i] >= 0 && ndims[i] <= MX_MAX_DIMS && (shapes[i] || ndims[i] == 0),
                 MX_ERR_VALUE, "[broadcast_shapes] invalid shape %d", i);
        for (int d = 0; d < ndims[i]; d++)
            MX_CHECK(shapes[i][d] >= 0, MX_ERR_VALUE,
                     "[broadcast_shapes] negative dimension %lld in shape %d",
                     (long long)shapes[i][d], i);
        MX_TRY(mx_broadcast_shapes2("broadcast_shapes", cur, nd, shapes[i], ndims[i], cur, &nd));
    }
    memcpy(out, cur, sizeof(int64_t) * (size_t)nd);
    *out_ndim = nd;
    return MX_OK;
}

mx_array *mx_contiguous(mx_array *a, bool allow_col_major, mx_stream s) {
    MX_ARG(a, "contiguous");
    mx_contiguous_params p;
    memset(&p, 0, sizeof p);
    p.allow_col_major = allow_col_major;
    return mx_node_make1(MX_PRIM_CONTIGUOUS, &p, sizeof p, &a, 1, &a->v.m, s);
}
