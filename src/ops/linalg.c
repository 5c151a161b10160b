/* src/ops/linalg.c: the linalg ops (include/mx/ops_linalg.h). matmul and addmm check shapes and
 * dtypes, apply NumPy's 1-D rules and broadcast the batch axes as views, then build a MATMUL /
 * ADDMM node; tensordot, inner, outer, vecdot and kron are composed from view ops, matmul and
 * multiply. */
#include <string.h>

#include "../prims/linalg_params.h"
#include "ops_impl.h"

/* matmul (c == NULL) or addmm. */
static mx_array *product(const char *op, mx_array *c, mx_array *a, mx_array *b, double alpha,
                         double beta, mx_stream s) {
    MX_CHECK_NULL(a->v.m.ndim > 0 && b->v.m.ndim > 0, MX_ERR_VALUE,
                  "[%s] Got 0 dimension input. Inputs must have at least one dimension.", op);
    mx_dtype ta = a->v.m.dtype, tb = b->v.m.dtype, ot = mx_promote_types(ta, tb);
    if (c) {
        ot = mx_promote_types(ot, c->v.m.dtype);
        MX_CHECK_NULL(mx_dtype_is_float(ot), MX_ERR_VALUE,
                      "[%s] Only real floating point types are supported but %s, %s and %s were "
                      "provided which results in %s, which is not a real floating point type.",
                      op, DN(c->v.m.dtype), DN(ta), DN(tb), DN(ot));
    }
    int a1 = a->v.m.ndim == 1, b1 = b->v.m.ndim == 1;
    int64_t ash[MX_MAX_DIMS], bsh[MX_MAX_DIMS];
    int na = a->v.m.ndim + a1, nbd = b->v.m.ndim + b1;
    MX_CHECK_NULL(na <= MX_MAX_DIMS && nbd <= MX_MAX_DIMS, MX_ERR_VALUE,
                  "[%s] arrays have at most %d dimensions", op, MX_MAX_DIMS);
    if (a1) {
        ash[0] = 1;
        ash[1] = a->v.m.shape[0];
    } else {
        memcpy(ash, a->v.m.shape, sizeof(int64_t) * (size_t)na);
    }
    memcpy(bsh, b->v.m.shape, sizeof(int64_t) * (size_t)b->v.m.ndim);
    if (b1) bsh[1] = 1;
    char s1[256], s2[256];
    MX_CHECK_NULL(ash[na - 1] == bsh[nbd - 2], MX_ERR_VALUE,
                  "[%s] Last dimension of first input with shape %s must match second to last "
                  "dimension of second input with shape %s.",
                  op, mx_shape_str(ash, na, s1, sizeof s1), mx_shape_str(bsh, nbd, s2, sizeof s2));
    MX_CHECK_NULL(mx_dtype_is_inexact(ot), MX_ERR_VALUE,
                  "[%s] Only inexact types are supported but %s and %s were provided which results "
                  "in %s, which is not a floating point type.",
                  op, DN(ta), DN(tb), DN(ot));
    /* broadcast batch axes */
    int64_t osh[MX_MAX_DIMS];
    int nb;
    if (mx_broadcast_shapes2(op, ash, na - 2, bsh, nbd - 2, osh, &nb) != MX_OK) return NULL;
    MX_CHECK_NULL(nb + 2 <= MX_MAX_DIMS, MX_ERR_VALUE, "[%s] arrays have at most %d dimensions",
                  op, MX_MAX_DIMS);
    int64_t M = ash[na - 2], K = ash[na - 1], N = bsh[nbd - 1];
    int64_t at[MX_MAX_DIMS], bt[MX_MAX_DIMS];
    memcpy(at, osh, sizeof(int64_t) * (size_t)nb);
    memcpy(bt, osh, sizeof(int64_t) * (size_t)nb);
    at[nb] = M, at[nb + 1] = K;
    bt[nb] = K, bt[nb + 1] = N;
    osh[nb] = M, osh[nb + 1] = N;
    int ond = nb + 2;
    if (c) { /* c must broadcast to the (unsqueezed) product shape */
        int64_t tmp[MX_MAX_DIMS];
        int nt;
        bool ok = mx_broadcast_shapes2(op, c->v.m.shape, c->v.m.ndim, osh, ond, tmp, &nt) == MX_OK;
        if (ok) {
            ok = nt == ond;
            for (int i = 0; ok && i < nt; i++) ok = tmp[i] == osh[i];
        }
        MX_CHECK_NULL(ok, MX_ERR_VALUE, "[%s] cannot broadcast c with shape %s to the output shape %s",
                      op, mx_shape_str(c->v.m.shape, c->v.m.ndim, s1, sizeof s1),
                      mx_shape_str(osh, ond, s2, sizeof s2));
    }

    mx_scope sc = mx_scope_begin();
    mx_array *x = mx_broadcast_to(mx_reshape(mx_astype(a, ot, s), ash, na, s), at, ond, s);
    mx_array *y = mx_broadcast_to(mx_reshape(mx_astype(b, ot, s), bsh, nbd, s), bt, ond, s);
    mx_meta om = {0};
    mx_meta_set(&om, ot, osh, ond);
    mx_array *r = NULL;
    if (x && y) {
        if (!c) {
            mx_array *in[2] = {x, y};
            r = mx_node_make1(MX_PRIM_MATMUL, NULL, 0, in, 2, &om, s);
        } else {
            mx_array *z = mx_broadcast_to(mx_astype(c, ot, s), osh, ond, s);
            mx_addmm_params p = {alpha, beta};
            mx_array *in[3] = {x, y, z};
            r = z ? mx_node_make1(MX_PRIM_ADDMM, &p, sizeof p, in, 3, &om, s) : NULL;
        }
    }
    int sq[2], nsq = 0;
    if (a1) sq[nsq++] = ond - 2;
    if (b1) sq[nsq++] = ond - 1;
    if (r && nsq) r = mx_squeeze(r, sq, nsq, s);
    return mx_scope_end(sc, r);
}

mx_array *mx_matmul(mx_array *a, mx_array *b, mx_stream s) {
    MX_ARG(a, "matmul");
    MX_ARG(b, "matmul");
    return product("matmul", NULL, a, b, 1.0, 0.0, s);
}

mx_array *mx_addmm(mx_array *c, mx_array *a, mx_array *b, double alpha, double beta, mx_stream s) {
    MX_ARG(c, "addmm");
    MX_ARG(a, "addmm");
    MX_ARG(b, "addmm");
    return product("addmm", c, a, b, alpha, beta, s);
}

/* ---- tensordot ---- */
mx_array *mx_tensordot(mx_array *a, mx_array *b, const int *axes_a, const int *axes_b, int n,
                       mx_stream s) {
    MX_ARG(a, "tensordot");
    MX_ARG(b, "tensordot");
    int nda = a->v.m.ndim, ndb = b->v.m.ndim;
    MX_CHECK_NULL(n >= 0, MX_ERR_VALUE, "[tensordot] the number of axes must be >= 0, got %d", n);
    MX_CHECK_NULL(n == 0 || (axes_a && axes_b), MX_ERR_VALUE, "[tensordot] axes are NULL");
    MX_CHECK_NULL(n <= nda && n <= ndb, MX_ERR_VALUE,
                  "[tensordot] %d axes given for arrays with %d and %d dimensions", n, nda, ndb);
    bool ca[MX_MAX_DIMS] = {0}, cb[MX_MAX_DIMS] = {0};
    int xa[MX_MAX_DIMS], xb[MX_MAX_DIMS];
    for (int i = 0; i < n; i++) {
        if (mx_norm_axis("tensordot", axes_a[i], nda, &xa[i]) != MX_OK) return NULL;
        if (mx_norm_axis("tensordot", axes_b[i], ndb, &xb[i]) != MX_OK) return NULL;
        MX_CHECK_NULL(!ca[xa[i]] && !cb[xb[i]], MX_ERR_VALUE, "[tensordot] repeated axis");
        ca[xa[i]] = cb[xb[i]] = true;
        MX_CHECK_NULL(a->v.m.shape[xa[i]] == b->v.m.shape[xb[i]], MX_ERR_VALUE,
                      "[tensordot] a and b must have the same shape on the contracted axes.");
    }
    int nout = nda + ndb - 2 * n;
    MX_CHECK_NULL(nout <= MX_MAX_DIMS, MX_ERR_VALUE,
                  "[tensordot] the result would have %d dimensions (at most %d)", nout, MX_MAX_DIMS);
    mx_dtype ot = mx_promote_types(a->v.m.dtype, b->v.m.dtype);
    MX_CHECK_NULL(mx_dtype_is_inexact(ot), MX_ERR_VALUE,
                  "[tensordot] Only inexact types are supported but %s and %s were provided which "
                  "results in %s, which is not a floating point type.",
                  DN(a->v.m.dtype), DN(b->v.m.dtype), DN(ot));
    /* a -> (free_a..., contracted...) -> (Fa, Kc); b -> (contracted..., free_b...) -> (Kc, Fb) */
    int pa[MX_MAX_DIMS], pb[MX_MAX_DIMS], k = 0;
    int64_t osh[MX_MAX_DIMS], fa = 1, fb = 1, kc = 1;
    int no = 0;
    for (int d = 0; d < nda; d++)
        if (!ca[d]) {
            pa[k++] = d;
            fa *= a->v.m.shape[d];
            osh[no++] = a->v.m.shape[d];
        }
    for (int i = 0; i < n; i++) {
        pa[k++] = xa[i];
        pb[i] = xb[i];
        kc *= a->v.m.shape[xa[i]];
    }
    k = n;
    for (int d = 0; d < ndb; d++)
        if (!cb[d]) {
            pb[k++] = d;
            fb *= b->v.m.shape[d];
            osh[no++] = b->v.m.shape[d];
        }
    mx_scope sc = mx_scope_begin();
    int64_t sa[2] = {fa, kc}, sbb[2] = {kc, fb};
    mx_array *x = mx_reshape(mx_transpose(a, pa, nda, s), sa, 2, s);
    mx_array *y = mx_reshape(mx_transpose(b, pb, ndb, s), sbb, 2, s);
    mx_array *r = mx_reshape(mx_matmul(x, y, s), osh, no, s);
    return mx_scope_end(sc, r);
}

mx_array *mx_tensordot_n(mx_array *a, mx_array *b, int naxes, mx_stream s) {
    MX_ARG(a, "tensordot");
    MX_ARG(b, "tensordot");
    MX_CHECK_NULL(naxes >= 0, MX_ERR_VALUE, "[tensordot] axis must be greater or equal to 0.");
    MX_CHECK_NULL(naxes <= a->v.m.ndim && naxes <= b->v.m.ndim, MX_ERR_VALUE,
                  "[tensordot] axis must be less than the number of dimensions of a and b.");
    int xa[MX_MAX_DIMS], xb[MX_MAX_DIMS];
    for (int i = 0; i < naxes; i++) {
        xa[i] = a->v.m.ndim - naxes + i;
        xb[i] = i;
    }
    return mx_tensordot(a, b, xa, xb, naxes, s);
}

mx_array *mx_inner(mx_array *a, mx_array *b, mx_stream s) {
    MX_ARG(a, "inner");
    MX_ARG(b, "inner");
    if (a->v.m.ndim == 0 || b->v.m.ndim == 0) return mx_multiply(a, b, s);
    MX_CHECK_NULL(a->v.m.shape[a->v.m.ndim - 1] == b->v.m.shape[b->v.m.ndim - 1], MX_ERR_VALUE,
                  "[inner] a and b must have the same last dimension.");
    int xa = -1, xb = -1;
    return mx_tensordot(a, b, &xa, &xb, 1, s);
}

mx_array *mx_outer(mx_array *a, mx_array *b, mx_stream s) {
    MX_ARG(a, "outer");
    MX_ARG(b, "outer");
    mx_scope sc = mx_scope_begin();
    int64_t col[2] = {-1, 1}, row = -1;
    mx_array *r = mx_multiply(mx_reshape(a, col, 2, s), mx_reshape(b, &row, 1, s), s);
    return mx_scope_end(sc, r);
}

/* ---- vecdot ---- */
mx_array *mx_vecdot(mx_array *a, mx_array *b, int axis, mx_stream s) {
    MX_ARG(a, "vecdot");
    MX_ARG(b, "vecdot");
    int nda = a->v.m.ndim, ndb = b->v.m.ndim, xa, xb;
    if (mx_norm_axis("vecdot", axis, nda, &xa) != MX_OK) return NULL;
    if (mx_norm_axis("vecdot", axis, ndb, &xb) != MX_OK) return NULL;
    MX_CHECK_NULL(a->v.m.shape[xa] == b->v.m.shape[xb], MX_ERR_VALUE,
                  "[vecdot] a and b must have the same size along axis %d, got %lld and %lld", axis,
                  (long long)a->v.m.shape[xa], (long long)b->v.m.shape[xb]);
    mx_dtype ot = mx_promote_types(a->v.m.dtype, b->v.m.dtype);
    MX_CHECK_NULL(mx_dtype_is_inexact(ot), MX_ERR_VALUE,
                  "[vecdot] Only inexact types are supported but %s and %s were provided which "
                  "results in %s, which is not a floating point type.",
                  DN(a->v.m.dtype), DN(b->v.m.dtype), DN(ot));
    /* move the axis last: a -> (..., 1, K), b -> (..., K, 1); matmul broadcasts the rest */
    int pa[MX_MAX_DIMS], pb[MX_MAX_DIMS], k = 0;
    for (int d = 0; d < nda; d++)
        if (d != xa) pa[k++] = d;
    pa[k] = xa;
    k = 0;
    for (int d = 0; d < ndb; d++)
        if (d != xb) pb[k++] = d;
    pb[k] = xb;
    int64_t tmp[MX_MAX_DIMS];
    int nt;
    int64_t bsa[MX_MAX_DIMS], bsb[MX_MAX_DIMS];
    for (int i = 0; i < nda - 1; i++) bsa[i] = a->v.m.shape[pa[i]];
    for (int i = 0; i < ndb - 1; i++) bsb[i] = b->v.m.shape[pb[i]];
    if (mx_broadcast_shapes2("vecdot", bsa, nda - 1, bsb, ndb - 1, tmp, &nt) != MX_OK) return NULL;
    MX_CHECK_NULL(nt + 2 <= MX_MAX_DIMS, MX_ERR_VALUE, "[vecdot] arrays have at most %d dimensions",
                  MX_MAX_DIMS);
    mx_scope sc = mx_scope_begin();
    mx_array *x = mx_transpose(mx_astype(a, ot, s), pa, nda, s);
    if (mx_dtype_is_complex(ot)) x = mx_conj(x, s);
    mx_array *y = mx_transpose(mx_astype(b, ot, s), pb, ndb, s);
    int e2 = -2, e1 = -1;
    x = mx_expand_dims(x, &e2, 1, s);
    y = mx_expand_dims(y, &e1, 1, s);
    int sq[2] = {-2, -1};
    mx_array *r = mx_matmul(x, y, s);
    if (r) {
        sq[0] += r->v.m.ndim;
        sq[1] += r->v.m.ndim;
        r = mx_squeeze(r, sq, 2, s);
    }
    return mx_scope_end(sc, r);
}

/* ---- kron ---- */
mx_array *mx_kron(mx_array *a, mx_array *b, mx_stream s) {
    MX_ARG(a, "kron");
    MX_ARG(b, "kron");
    MX_CHECK_NULL(mx_array_size(a) > 0 && mx_array_size(b) > 0, MX_ERR_VALUE,
                  "[kron] Input arrays cannot be empty.");
    int nda = a->v.m.ndim, ndb = b->v.m.ndim, nd = nda > ndb ? nda : ndb;
    MX_CHECK_NULL(2 * nd <= MX_MAX_DIMS, MX_ERR_VALUE,
                  "[kron] inputs of more than %d dimensions are not supported", MX_MAX_DIMS / 2);
    int64_t ash[MX_MAX_DIMS], bsh[MX_MAX_DIMS], osh[MX_MAX_DIMS];
    for (int i = 0; i < 2 * nd; i++) ash[i] = bsh[i] = 1;
    for (int i = 0; i < nd; i++) osh[i] = 1;
    for (int i = nd - 1, j = nda - 1; j >= 0; i--, j--) {
        ash[2 * i] = a->v.m.shape[j];
        osh[i] *= a->v.m.shape[j];
    }
    for (int i = nd - 1, j = ndb - 1; j >= 0; i--, j--) {
        bsh[2 * i + 1] = b->v.m.shape[j];
        osh[i] *= b->v.m.shape[j];
    }
    mx_scope sc = mx_scope_begin();
    mx_array *r = mx_reshape(mx_multiply(mx_reshape(a, ash, 2 * nd, s), mx_reshape(b, bsh, 2 * nd, s), s),
                             osh, nd, s);
    return mx_scope_end(sc, r);
}
