/* src/transforms/rules_shape.c: derivative and vmap rules of the shape family (src/prims/shape.def):
 * CONCATENATE (cotangent sliced per input), PAD (constant: the cotangent sliced back, the fill
 * value gets the padded region's sum; edge/reflect/symmetric: the cotangent scatter-added onto the
 * source positions, axis by axis), DIAGONAL (the cotangent written onto the diagonal of zeros) and
 * CONTIGUOUS (identity). All four are linear: the JVP applies the primitive to the tangents.
 * vmap: the batch axis is moved to the front and the axis params shifted by one. */
#include <stdlib.h>
#include <string.h>

#include "../prims/shape_params.h"
#include "rules.h"

/* x[.., b:e, ..] on axis ax */
static mx_array *axis_range(mx_array *x, int ax, int64_t b, int64_t e, mx_stream s) {
    int64_t st[MX_MAX_DIMS], en[MX_MAX_DIMS];
    for (int d = 0; d < x->v.m.ndim; d++) {
        st[d] = 0;
        en[d] = x->v.m.shape[d];
    }
    st[ax] = b;
    en[ax] = e;
    return mx_slice(x, st, en, NULL, s);
}

/* ---- concatenate ---- */
static mx_status concatenate_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                                 mx_array **grads) {
    int ax = MX_PARAMS(mx_concatenate_params, c->node)->axis;
    int64_t off = 0;
    for (int j = 0; j < c->n_in; j++) {
        int64_t len = c->in[j]->v.m.shape[ax];
        if (wanted[j]) {
            grads[j] = axis_range(cot[0], ax, off, off + len, c->s);
            if (!grads[j]) return mx_error_status();
        }
        off += len;
    }
    return MX_OK;
}

static mx_status concatenate_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    int ax = MX_PARAMS(mx_concatenate_params, c->node)->axis;
    mx_dtype t = MX_DTYPE_AUTO;
    for (int j = 0; j < c->n_in; j++)
        if (tan[j]) t = tan[j]->v.m.dtype;
    mx_array *tl[8] = {NULL}, **ts = c->n_in <= 8 ? tl : calloc((size_t)c->n_in, sizeof *ts);
    MX_CHECK(ts != NULL, MX_ERR_NOMEM, "[jvp] out of memory");
    for (int j = 0; j < c->n_in; j++)
        ts[j] = tan[j] ? tan[j] : mx_zeros_like(c->in[j], t, c->s);
    out[0] = mx_concatenate(ts, c->n_in, ax, false, c->s);
    if (ts != tl) free(ts);
    return OK_OR_ERR(out[0]);
}

static mx_status concatenate_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                                  mx_array **out, int *out_ax) {
    int64_t B = mx_vmap_batch(in, ax, c->n_in);
    mx_concatenate_params p = *MX_PARAMS(mx_concatenate_params, c->node);
    p.axis += 1;
    mx_array *bl[8] = {NULL}, **b = c->n_in <= 8 ? bl : calloc((size_t)c->n_in, sizeof *b);
    MX_CHECK(b != NULL, MX_ERR_NOMEM, "[vmap] out of memory");
    mx_status rc = MX_OK;
    for (int j = 0; j < c->n_in && rc == MX_OK; j++) {
        b[j] = mx_batch_front(in[j], ax[j], B, c->s);
        if (!b[j]) rc = mx_error_status();
    }
    if (rc == MX_OK) rc = mx_vmap_remake(c, &p, b, B, out, out_ax);
    if (b != bl) free(b);
    return rc;
}

/* ---- pad ---- */
/* Source index in [0, len) of the position i relative to the data start (as the CPU kernel). */
static int64_t pad_source(int mode, int64_t i, int64_t len) {
    if (i >= 0 && i < len) return i;
    if (mode == MX_PAD_EDGE || (mode == MX_PAD_REFLECT && len == 1))
        return i < 0 ? 0 : len - 1;
    int64_t period = mode == MX_PAD_REFLECT ? 2 * (len - 1) : 2 * len;
    int64_t m = i % period;
    if (m < 0) m += period;
    if (m >= len) m = mode == MX_PAD_REFLECT ? period - m : period - 1 - m;
    return m;
}

static void pad_widths(const mx_pad_params *p, int nd, int64_t *w) {
    for (int d = 0; d < nd; d++) {
        w[2 * d] = p->lo[d];
        w[2 * d + 1] = p->hi[d];
    }
}

/* The transpose of the periodic extension along axis d: g (padded length on d) scatter-added onto
 * the len source positions. */
static mx_array *unpad_axis(mx_array *g, int d, int64_t lo, int64_t len, int mode, mx_stream s) {
    int64_t n = g->v.m.shape[d];
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
    MX_CHECK_NULL(idx != NULL, MX_ERR_NOMEM, "[vjp] out of memory");
    for (int64_t i = 0; i < n; i++) idx[i] = pad_source(mode, i - lo, len);
    mx_array *ia = mx_array_from_data(idx, &n, 1, MX_INT64);
    free(idx);
    int64_t sh[MX_MAX_DIMS];
    memcpy(sh, g->v.m.shape, sizeof(int64_t) * (size_t)g->v.m.ndim);
    sh[d] = len;
    mx_array *z = mx_zeros(sh, g->v.m.ndim, g->v.m.dtype, s);
    mx_array *upd = mx_moveaxis(g, d, 0, s);
    return ia ? mx_scatter_add(z, &ia, 1, upd, &d, s) : NULL;
}

static mx_status pad_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                         mx_array **grads) {
    const mx_pad_params *p = MX_PARAMS(mx_pad_params, c->node);
    const mx_meta *im = &c->in[0]->v.m;
    mx_stream s = c->s;
    mx_array *g = cot[0];
    if (wanted[0]) {
        if (p->mode == MX_PAD_CONSTANT) {
            int64_t st[MX_MAX_DIMS], en[MX_MAX_DIMS];
            for (int d = 0; d < im->ndim; d++) {
                st[d] = p->lo[d];
                en[d] = p->lo[d] + im->shape[d];
            }
            grads[0] = mx_slice(g, st, en, NULL, s);
        } else {
            mx_array *r = g;
            for (int d = 0; d < im->ndim && r; d++)
                if (p->lo[d] || p->hi[d]) r = unpad_axis(r, d, p->lo[d], im->shape[d], p->mode, s);
            grads[0] = r;
        }
        if (!grads[0]) return mx_error_status();
    }
    if (wanted[1] && p->mode == MX_PAD_CONSTANT) { /* the cotangent of the padded region, summed */
        int64_t w[2 * MX_MAX_DIMS];
        pad_widths(p, im->ndim, w);
        mx_array *mask = mx_pad(mx_zeros(im->shape, im->ndim, MX_BOOL, s), w, "constant",
                                mx_array_scalar_bool(true), s);
        mx_array *m = mx_where(mask, g, mx_k(0, g), s);
        grads[1] = mx_astype(mx_sum(m, NULL, 0, false, s), c->in[1]->v.m.dtype, s);
        if (!grads[1]) return mx_error_status();
    }
    return MX_OK;
}

static mx_status pad_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    const mx_pad_params *p = MX_PARAMS(mx_pad_params, c->node);
    mx_stream s = c->s;
    if (p->mode != MX_PAD_CONSTANT && !tan[0]) { /* the fill value is unused */
        out[0] = NULL;
        return MX_OK;
    }
    mx_dtype t = tan[0] ? tan[0]->v.m.dtype : tan[1]->v.m.dtype;
    mx_array *ta = tan[0] ? tan[0] : mx_zeros_like(c->in[0], t, s);
    mx_array *tv = p->mode == MX_PAD_CONSTANT && tan[1] ? mx_astype(tan[1], t, s)
                                                        : mx_array_scalar_f64(0, t);
    mx_array *in[2] = {ta, tv};
    out[0] = ta && tv ? mx_make_like(MX_PRIM_PAD, p, sizeof *p, in, 2, &c->node->out[0].m, t, s)
                      : NULL;
    return OK_OR_ERR(out[0]);
}

static mx_status pad_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                          mx_array **out, int *out_ax) {
    const mx_pad_params *p = MX_PARAMS(mx_pad_params, c->node);
    const mx_meta *im = &c->in[0]->v.m;
    mx_stream s = c->s;
    MX_CHECK(im->ndim < MX_MAX_DIMS, MX_ERR_VALUE, "[vmap] too many dimensions");
    int64_t B = mx_vmap_batch(in, ax, 2);
    mx_pad_params q;
    memset(&q, 0, sizeof q);
    q.mode = p->mode;
    for (int d = 0; d < im->ndim; d++) {
        q.lo[d + 1] = p->lo[d];
        q.hi[d + 1] = p->hi[d];
    }
    mx_array *b[2] = {mx_batch_front(in[0], ax[0], B, s), in[1]};
    MX_CHECK(b[0] != NULL, mx_error_status(), "%s", mx_error_message());
    if (ax[1] < 0) return mx_vmap_remake(c, &q, b, B, out, out_ax);
    /* a batched fill value: pad with zeros, then put each example's value in its padded region */
    b[1] = mx_array_scalar_f64(0, im->dtype);
    mx_array *padded = NULL;
    MX_TRY(mx_vmap_remake(c, &q, b, B, &padded, out_ax));
    if (p->mode != MX_PAD_CONSTANT) {
        out[0] = padded;
        return MX_OK;
    }
    int64_t w[2 * MX_MAX_DIMS], vs[MX_MAX_DIMS];
    pad_widths(p, im->ndim, w);
    mx_array *mask = mx_pad(mx_zeros(im->shape, im->ndim, MX_BOOL, s), w, "constant",
                            mx_array_scalar_bool(true), s);
    vs[0] = B;
    for (int d = 0; d < im->ndim; d++) vs[d + 1] = 1;
    mx_array *v = mx_reshape(mx_batch_front(in[1], ax[1], B, s), vs, im->ndim + 1, s);
    out[0] = mx_where(mask, mx_astype(v, im->dtype, s), padded, s);
    out_ax[0] = 0;
    return OK_OR_ERR(out[0]);
}

/* ---- diagonal ---- */
/* The cotangent (rest..., len) written onto the diagonal of zeros of the input's shape: the two
 * axes are moved last and flattened, where the diagonal is a strided range. */
static mx_status diagonal_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                              mx_array **grads) {
    if (!wanted[0]) return MX_OK;
    const mx_diagonal_params *p = MX_PARAMS(mx_diagonal_params, c->node);
    const mx_meta *im = &c->in[0]->v.m;
    mx_stream s = c->s;
    mx_array *g = cot[0];
    int nd = im->ndim, perm[MX_MAX_DIMS], inv[MX_MAX_DIMS], k = 0;
    int64_t sh[MX_MAX_DIMS];
    for (int d = 0; d < nd; d++)
        if (d != p->axis1 && d != p->axis2) {
            sh[k] = im->shape[d];
            perm[k++] = d;
        }
    perm[k] = p->axis1;
    perm[k + 1] = p->axis2;
    for (int d = 0; d < nd; d++) inv[perm[d]] = d;
    int64_t d1 = im->shape[p->axis1], d2 = im->shape[p->axis2];
    int64_t len = g->v.m.shape[g->v.m.ndim - 1];
    if (len == 0) {
        grads[0] = mx_zeros(im->shape, nd, g->v.m.dtype, s);
        return OK_OR_ERR(grads[0]);
    }
    int64_t r0 = p->offset < 0 ? -p->offset : 0, c0 = p->offset > 0 ? p->offset : 0;
    int64_t st[MX_MAX_DIMS], en[MX_MAX_DIMS], sp[MX_MAX_DIMS];
    for (int d = 0; d < k; d++) {
        st[d] = 0;
        en[d] = sh[d];
        sp[d] = 1;
    }
    st[k] = r0 * d2 + c0;
    sp[k] = d2 + 1;
    en[k] = st[k] + (len - 1) * sp[k] + 1;
    sh[k] = d1 * d2;
    mx_array *z = mx_slice_update(mx_zeros(sh, k + 1, g->v.m.dtype, s), g, st, en, sp, s);
    sh[k] = d1;
    sh[k + 1] = d2;
    grads[0] = mx_transpose(mx_reshape(z, sh, k + 2, s), inv, nd, s);
    return OK_OR_ERR(grads[0]);
}

static mx_status diagonal_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                               mx_array **out, int *out_ax) {
    int64_t B = mx_vmap_batch(in, ax, 1);
    MX_CHECK(c->in[0]->v.m.ndim < MX_MAX_DIMS, MX_ERR_VALUE, "[vmap] too many dimensions");
    mx_diagonal_params p = *MX_PARAMS(mx_diagonal_params, c->node);
    p.axis1 += 1;
    p.axis2 += 1;
    mx_array *x = mx_batch_front(in[0], ax[0], B, c->s);
    MX_CHECK(x != NULL, mx_error_status(), "%s", mx_error_message());
    return mx_vmap_remake(c, &p, &x, B, out, out_ax);
}

/* ---- contiguous: a layout change only ---- */
static mx_status contiguous_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                                 mx_array **out, int *out_ax) {
    int64_t B = mx_vmap_batch(in, ax, 1);
    mx_array *x = mx_batch_front(in[0], ax[0], B, c->s);
    MX_CHECK(x != NULL, mx_error_status(), "%s", mx_error_message());
    return mx_vmap_remake(c, c->node->params, &x, B, out, out_ax);
}

void mx_grad_register_shape(mx_rules *r) {
    r->vjp[MX_PRIM_CONCATENATE] = concatenate_vjp;
    r->jvp[MX_PRIM_CONCATENATE] = concatenate_jvp;
    r->vmap[MX_PRIM_CONCATENATE] = concatenate_vmap;
    r->vjp[MX_PRIM_PAD] = pad_vjp;
    r->jvp[MX_PRIM_PAD] = pad_jvp;
    r->vmap[MX_PRIM_PAD] = pad_vmap;
    r->vjp[MX_PRIM_DIAGONAL] = diagonal_vjp;
    r->jvp[MX_PRIM_DIAGONAL] = mx_rule_linear_jvp;
    r->vmap[MX_PRIM_DIAGONAL] = diagonal_vmap;
    r->vjp[MX_PRIM_CONTIGUOUS] = mx_rule_identity_vjp;
    r->jvp[MX_PRIM_CONTIGUOUS] = mx_rule_identity_jvp;
    r->vmap[MX_PRIM_CONTIGUOUS] = contiguous_vmap;
}
