/* src/ops/core.c: node helpers for all ops, creation ops, and the core shape/view ops
 * (reshape, transpose, broadcast_to, slice, as_strided, expand_dims, squeeze, flatten, copy,
 * stop_gradient, view). */
#include <math.h>
#include <string.h>

#include "ops_impl.h"

mx_array *mx_make_like(int prim, const void *params, size_t psz, mx_array *const *inputs, int n_in,
                       const mx_meta *like, mx_dtype t, mx_stream s) {
    mx_meta m = *like;
    m.dtype = t;
    return mx_node_make1(prim, params, psz, inputs, n_in, &m, s);
}

mx_status mx_broadcast_n(const char *op, mx_array *const *in, int n, mx_array **out, mx_stream s) {
    int64_t shape[MX_MAX_DIMS];
    int nd = in[0]->v.m.ndim;
    memcpy(shape, in[0]->v.m.shape, sizeof(int64_t) * (size_t)nd);
    for (int i = 1; i < n; i++)
        MX_TRY(mx_broadcast_shapes2(op, shape, nd, in[i]->v.m.shape, in[i]->v.m.ndim, shape, &nd));
    for (int i = 0; i < n; i++) {
        out[i] = mx_broadcast_to(in[i], shape, nd, s);
        if (!out[i]) {
            for (int j = 0; j < i; j++) mx_array_release(mx_scope_keep(out[j]));
            return mx_error_status();
        }
    }
    return MX_OK;
}

/* ---- creation ---- */
mx_array *mx_full(const int64_t *shape, int ndim, mx_array *vals, mx_dtype dtype, mx_stream s) {
    MX_ARG(vals, "full");
    if (mx_check_shape("full", shape, ndim) != MX_OK) return NULL;
    if (dtype == MX_DTYPE_AUTO) dtype = vals->v.m.dtype;
    MX_CHECK_NULL(mx_dtype_valid((int)dtype), MX_ERR_VALUE, "[full] invalid dtype %d", (int)dtype);
    mx_scope sc = mx_scope_begin();
    mx_array *v = mx_broadcast_to(mx_astype(vals, dtype, s), shape, ndim, s);
    mx_array *r = v ? mx_make_like(MX_PRIM_FULL, NULL, 0, &v, 1, &v->v.m, dtype, s) : NULL;
    return mx_scope_end(sc, r);
}

static mx_array *fill(const int64_t *shape, int ndim, double val, mx_dtype dtype, mx_stream s,
                      const char *op) {
    MX_CHECK_NULL(mx_dtype_valid((int)dtype), MX_ERR_VALUE, "[%s] invalid dtype %d", op,
                  (int)dtype);
    mx_scope sc = mx_scope_begin();
    mx_array *r = mx_full(shape, ndim, mx_array_scalar_f64(val, dtype), dtype, s);
    return mx_scope_end(sc, r);
}

mx_array *mx_zeros(const int64_t *shape, int ndim, mx_dtype dtype, mx_stream s) {
    return fill(shape, ndim, 0.0, dtype, s, "zeros");
}
mx_array *mx_ones(const int64_t *shape, int ndim, mx_dtype dtype, mx_stream s) {
    return fill(shape, ndim, 1.0, dtype, s, "ones");
}
mx_array *mx_zeros_like(mx_array *a, mx_dtype dtype, mx_stream s) {
    MX_ARG(a, "zeros_like");
    return fill(a->v.m.shape, a->v.m.ndim, 0.0, dtype == MX_DTYPE_AUTO ? a->v.m.dtype : dtype, s,
                "zeros_like");
}
mx_array *mx_ones_like(mx_array *a, mx_dtype dtype, mx_stream s) {
    MX_ARG(a, "ones_like");
    return fill(a->v.m.shape, a->v.m.ndim, 1.0, dtype == MX_DTYPE_AUTO ? a->v.m.dtype : dtype, s,
                "ones_like");
}
mx_array *mx_full_like(mx_array *a, mx_array *vals, mx_dtype dtype, mx_stream s) {
    MX_ARG(a, "full_like");
    return mx_full(a->v.m.shape, a->v.m.ndim, vals, dtype == MX_DTYPE_AUTO ? a->v.m.dtype : dtype,
                   s);
}

mx_array *mx_arange(double start, double stop, double step, mx_dtype dtype, mx_stream s) {
    if (dtype == MX_DTYPE_AUTO) dtype = MX_FLOAT32;
    MX_CHECK_NULL(mx_dtype_valid((int)dtype), MX_ERR_VALUE, "[arange] invalid dtype %d", (int)dtype);
    MX_CHECK_NULL(dtype != MX_BOOL, MX_ERR_VALUE, "[arange] cannot compute length for bool");
    MX_CHECK_NULL(step != 0, MX_ERR_VALUE, "[arange] step cannot be 0");
    MX_CHECK_NULL(isfinite(start) && isfinite(stop) && isfinite(step), MX_ERR_VALUE,
                  "[arange] cannot compute length from non-finite bounds");
    double len = ceil((stop - start) / step);
    if (len < 0) len = 0;
    MX_CHECK_NULL(len < 9.2e18, MX_ERR_VALUE, "[arange] maximum size exceeded");
    int64_t n = (int64_t)len;
    mx_meta m = {0};
    mx_meta_set(&m, dtype, &n, 1);
    mx_arange_params p = {start, step};
    return mx_node_make1(MX_PRIM_ARANGE, &p, sizeof p, NULL, 0, &m, s);
}

/* ---- views ---- */
mx_array *mx_broadcast_to(mx_array *a, const int64_t *shape, int ndim, mx_stream s) {
    MX_ARG(a, "broadcast_to");
    if (mx_check_shape("broadcast_to", shape, ndim) != MX_OK) return NULL;
    const mx_meta *m = &a->v.m;
    char sa[256], sb[256];
    MX_CHECK_NULL(ndim >= m->ndim, MX_ERR_VALUE, "[broadcast_to] cannot broadcast shape %s to %s",
                  mx_shape_str(m->shape, m->ndim, sa, sizeof sa),
                  mx_shape_str(shape, ndim, sb, sizeof sb));
    bool same = ndim == m->ndim;
    for (int i = 0; i < m->ndim; i++) {
        int64_t d = m->shape[i], t = shape[i + ndim - m->ndim];
        MX_CHECK_NULL(d == t || d == 1, MX_ERR_VALUE,
                      "[broadcast_to] cannot broadcast shape %s to %s",
                      mx_shape_str(m->shape, m->ndim, sa, sizeof sa),
                      mx_shape_str(shape, ndim, sb, sizeof sb));
        if (d != t) same = false;
    }
    if (same) return mx_scope_track(mx_array_retain(a));
    mx_meta o = {0};
    mx_meta_set(&o, m->dtype, shape, ndim);
    return mx_node_make1(MX_PRIM_BROADCAST, NULL, 0, &a, 1, &o, s);
}

mx_array *mx_reshape(mx_array *a, const int64_t *shape, int ndim, mx_stream s) {
    MX_ARG(a, "reshape");
    MX_CHECK_NULL(ndim >= 0 && ndim <= MX_MAX_DIMS, MX_ERR_VALUE,
                  "[reshape] arrays have at most %d dimensions, got %d", MX_MAX_DIMS, ndim);
    int64_t sh[MX_MAX_DIMS], known = 1, size = mx_meta_size(&a->v.m);
    int infer = -1;
    char sa[256];
    for (int i = 0; i < ndim; i++) {
        sh[i] = shape[i];
        if (shape[i] == -1) {
            MX_CHECK_NULL(infer < 0, MX_ERR_VALUE, "[reshape] can only infer one dimension");
            infer = i;
        } else {
            MX_CHECK_NULL(shape[i] >= 0, MX_ERR_VALUE, "[reshape] invalid dimension %lld",
                          (long long)shape[i]);
            known *= shape[i];
        }
    }
    if (infer >= 0) {
        MX_CHECK_NULL(known != 0 && size % known == 0, MX_ERR_VALUE,
                      "[reshape] cannot infer the shape of an array of size %lld into %s",
                      (long long)size, mx_shape_str(shape, ndim, sa, sizeof sa));
        sh[infer] = size / known;
        known *= sh[infer];
    }
    MX_CHECK_NULL(known == size, MX_ERR_VALUE, "[reshape] cannot reshape array of size %lld into shape %s",
                  (long long)size, mx_shape_str(sh, ndim, sa, sizeof sa));
    mx_meta o = {0};
    mx_meta_set(&o, a->v.m.dtype, sh, ndim);
    if (mx_meta_equal(&o, &a->v.m)) return mx_scope_track(mx_array_retain(a));
    return mx_node_make1(MX_PRIM_RESHAPE, NULL, 0, &a, 1, &o, s);
}

mx_array *mx_flatten(mx_array *a, int start_axis, int end_axis, mx_stream s) {
    MX_ARG(a, "flatten");
    int nd = a->v.m.ndim;
    if (nd == 0) {
        int64_t one = 1;
        return mx_reshape(a, &one, 1, s);
    }
    int st, en;
    if (mx_norm_axis("flatten", start_axis, nd, &st) != MX_OK) return NULL;
    if (mx_norm_axis("flatten", end_axis, nd, &en) != MX_OK) return NULL;
    MX_CHECK_NULL(st <= en, MX_ERR_VALUE,
                  "[flatten] start_axis (%d) must be less than or equal to end_axis (%d)", start_axis, end_axis);
    int64_t sh[MX_MAX_DIMS];
    int k = 0;
    for (int i = 0; i < st; i++) sh[k++] = a->v.m.shape[i];
    int64_t p = 1;
    for (int i = st; i <= en; i++) p *= a->v.m.shape[i];
    sh[k++] = p;
    for (int i = en + 1; i < nd; i++) sh[k++] = a->v.m.shape[i];
    return mx_reshape(a, sh, k, s);
}

mx_array *mx_transpose(mx_array *a, const int *axes, int naxes, mx_stream s) {
    MX_ARG(a, "transpose");
    int nd = a->v.m.ndim;
    mx_transpose_params p;
    memset(&p, 0, sizeof p);
    if (!axes) {
        for (int i = 0; i < nd; i++) p.perm[i] = nd - 1 - i;
    } else {
        MX_CHECK_NULL(naxes == nd, MX_ERR_VALUE,
                      "[transpose] received %d axes for array with %d dimensions", naxes, nd);
        bool seen[MX_MAX_DIMS] = {0};
        for (int i = 0; i < nd; i++) {
            int ax;
            if (mx_norm_axis("transpose", axes[i], nd, &ax) != MX_OK) return NULL;
            MX_CHECK_NULL(!seen[ax], MX_ERR_VALUE, "[transpose] repeated axis %d", axes[i]);
            seen[ax] = true;
            p.perm[i] = ax;
        }
    }
    bool ident = true;
    for (int i = 0; i < nd; i++) ident &= p.perm[i] == i;
    if (ident) return mx_scope_track(mx_array_retain(a));
    mx_meta o = a->v.m;
    for (int i = 0; i < nd; i++) o.shape[i] = a->v.m.shape[p.perm[i]];
    return mx_node_make1(MX_PRIM_TRANSPOSE, &p, sizeof p, &a, 1, &o, s);
}

mx_array *mx_slice(mx_array *a, const int64_t *start, const int64_t *stop, const int64_t *step,
                   mx_stream s) {
    MX_ARG(a, "slice");
    int nd = a->v.m.ndim;
    mx_slice_params p;
    memset(&p, 0, sizeof p);
    mx_meta o = a->v.m;
    bool ident = true;
    for (int i = 0; i < nd; i++) {
        int64_t n = a->v.m.shape[i], st = step ? step[i] : 1, b, len;
        if (mx_slice_range("slice", i, n, start ? start[i] : MX_SLICE_NONE,
                           stop ? stop[i] : MX_SLICE_NONE, st, &b, &len) != MX_OK)
            return NULL;
        p.start[i] = b;
        p.step[i] = st;
        o.shape[i] = len;
        if (len != n || st != 1) ident = false;
    }
    if (ident) return mx_scope_track(mx_array_retain(a));
    return mx_node_make1(MX_PRIM_SLICE, &p, sizeof p, &a, 1, &o, s);
}

mx_array *mx_as_strided(mx_array *a, const int64_t *shape, const int64_t *strides, int ndim,
                        int64_t offset, mx_stream s) {
    MX_ARG(a, "as_strided");
    mx_as_strided_params p;
    memset(&p, 0, sizeof p);
    mx_meta o = {0};
    if (!shape) {
        o = a->v.m;
        ndim = o.ndim;
    } else {
        if (mx_check_shape("as_strided", shape, ndim) != MX_OK) return NULL;
        mx_meta_set(&o, a->v.m.dtype, shape, ndim);
    }
    if (strides) {
        for (int i = 0; i < ndim; i++) p.strides[i] = strides[i];
    } else {
        int64_t st = 1;
        for (int i = ndim - 1; i >= 0; i--) {
            p.strides[i] = st;
            st *= o.shape[i];
        }
    }
    p.offset = offset;
    /* every element the view can reach must lie inside a's (row-major) elements: MLX leaves this
     * unchecked, but an out-of-bounds view would read memory that is not the array's */
    if (mx_meta_size(&o) > 0) {
        __int128 lo = offset, hi = offset, n = mx_meta_size(&a->v.m);
        for (int i = 0; i < ndim; i++) {
            __int128 e = (__int128)p.strides[i] * (o.shape[i] - 1);
            if (e < 0) lo += e;
            else hi += e;
        }
        MX_CHECK_NULL(lo >= 0 && hi < n, MX_ERR_VALUE,
                      "[as_strided] the view reaches elements outside the array's %lld elements",
                      (long long)n);
    }
    return mx_node_make1(MX_PRIM_AS_STRIDED, &p, sizeof p, &a, 1, &o, s);
}

mx_array *mx_expand_dims(mx_array *a, const int *axes, int naxes, mx_stream s) {
    MX_ARG(a, "expand_dims");
    int nd = a->v.m.ndim, out_nd = nd + naxes;
    MX_CHECK_NULL(out_nd <= MX_MAX_DIMS, MX_ERR_VALUE,
                  "[expand_dims] arrays have at most %d dimensions", MX_MAX_DIMS);
    bool is_new[MX_MAX_DIMS] = {0};
    for (int i = 0; i < naxes; i++) {
        int ax;
        if (mx_norm_axis("expand_dims", axes[i], out_nd, &ax) != MX_OK) return NULL;
        MX_CHECK_NULL(!is_new[ax], MX_ERR_VALUE, "[expand_dims] repeated axis %d", axes[i]);
        is_new[ax] = true;
    }
    int64_t sh[MX_MAX_DIMS];
    for (int i = 0, k = 0; i < out_nd; i++) sh[i] = is_new[i] ? 1 : a->v.m.shape[k++];
    return mx_reshape(a, sh, out_nd, s);
}

mx_array *mx_squeeze(mx_array *a, const int *axes, int naxes, mx_stream s) {
    MX_ARG(a, "squeeze");
    int nd = a->v.m.ndim;
    bool drop[MX_MAX_DIMS] = {0};
    if (!axes) {
        for (int i = 0; i < nd; i++) drop[i] = a->v.m.shape[i] == 1;
    } else {
        for (int i = 0; i < naxes; i++) {
            int ax;
            if (mx_norm_axis("squeeze", axes[i], nd, &ax) != MX_OK) return NULL;
            MX_CHECK_NULL(a->v.m.shape[ax] == 1, MX_ERR_VALUE,
                          "[squeeze] cannot squeeze axis %d with size %lld which is not equal to 1",
                          axes[i], (long long)a->v.m.shape[ax]);
            MX_CHECK_NULL(!drop[ax], MX_ERR_VALUE, "[squeeze] received duplicate axis %d", axes[i]);
            drop[ax] = true;
        }
    }
    int64_t sh[MX_MAX_DIMS];
    int k = 0;
    for (int i = 0; i < nd; i++)
        if (!drop[i]) sh[k++] = a->v.m.shape[i];
    return mx_reshape(a, sh, k, s);
}

mx_array *mx_copy(mx_array *a, mx_stream s) {
    MX_ARG(a, "copy");
    return mx_node_make1(MX_PRIM_COPY, NULL, 0, &a, 1, &a->v.m, s);
}

mx_array *mx_stop_gradient(mx_array *a, mx_stream s) {
    MX_ARG(a, "stop_gradient");
    return mx_node_make1(MX_PRIM_STOP_GRADIENT, NULL, 0, &a, 1, &a->v.m, s);
}

mx_array *mx_view(mx_array *a, mx_dtype dtype, mx_stream s) {
    MX_ARG(a, "view");
    MX_CHECK_NULL(mx_dtype_valid((int)dtype), MX_ERR_VALUE, "[view] invalid dtype %d", (int)dtype);
    size_t si = mx_dtype_size(a->v.m.dtype), so = mx_dtype_size(dtype);
    if (a->v.m.dtype == dtype) return mx_scope_track(mx_array_retain(a));
    mx_meta o = a->v.m;
    o.dtype = dtype;
    if (si != so) {
        MX_CHECK_NULL(o.ndim > 0 || si == so, MX_ERR_VALUE,
                      "[view] changing the type of a scalar is only allowed for types of the same size");
        int64_t last = o.shape[o.ndim - 1] * (int64_t)si;
        MX_CHECK_NULL(last % (int64_t)so == 0, MX_ERR_VALUE,
                      "[view] the last dimension (%lld bytes) must be a multiple of the new type size (%zu)",
                      (long long)last, so);
        o.shape[o.ndim - 1] = last / (int64_t)so;
    }
    return mx_node_make1(MX_PRIM_VIEW_DTYPE, NULL, 0, &a, 1, &o, s);
}
