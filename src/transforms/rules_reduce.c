/* src/transforms/rules_reduce.c: derivative rules of the reduce family (reduce.def):
 * reductions (sum/mean, prod, min, max; and/or have a zero derivative), scans (cumsum, cumprod,
 * cummax, cummin, logcumsumexp) and softmax. arg_reduce is flagged NO_GRAD.
 * Complex inputs (sum, prod, cumsum, cumprod) follow MLX's convention: the VJP multiplies the
 * cotangent by the conjugate of the derivative (see elementwise_grad.def). */
#include <stdint.h>
#include <string.h>

#include "../prims/reduce_params.h"
#include "rules.h"


/* conj(a) for complex a; a itself otherwise */
static mx_array *cconj(mx_array *a, mx_stream s) {
    return a && mx_dtype_is_complex(a->v.m.dtype) ? mx_conj(a, s) : a;
}

/* number of elements folded into each output element */
static double reduced_count(const mx_meta *in, uint32_t axes) {
    double n = 1;
    for (int d = 0; d < in->ndim; d++)
        if (axes & (1u << d)) n *= (double)in->shape[d];
    return n;
}

static mx_status reduce_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                            mx_array **grads) {
    if (!wanted[0]) return MX_OK;
    const mx_reduce_params *p = MX_PARAMS(mx_reduce_params, c->node);
    mx_stream s = c->s;
    mx_array *x = c->in[0], *y = mx_node_output(c, 0);
    const mx_meta *m = &x->v.m;
    mx_array *gb = mx_broadcast_to(cot[0], m->shape, m->ndim, s); /* output keeps reduced dims */
    switch (p->type) {
    case MX_RED_SUM:
        grads[0] = p->mean ? mx_multiply(gb, mx_k(1.0 / reduced_count(m, p->axes), gb), s) : gb;
        break;
    case MX_RED_MIN:
    case MX_RED_MAX: { /* split evenly between ties */
        mx_array *mask = mx_astype(mx_equal(x, y, s), cot[0]->v.m.dtype, s);
        int axes[MX_MAX_DIMS], n = 0;
        for (int d = 0; d < m->ndim; d++)
            if (p->axes & (1u << d)) axes[n++] = d;
        mx_array *cnt = mx_sum(mask, axes, n, true, s);
        grads[0] = mx_divide(mx_multiply(gb, mask, s), cnt, s);
        break;
    }
    case MX_RED_PROD: { /* product of all the other elements: exclusive cumprods from both sides */
        int nd = m->ndim, perm[MX_MAX_DIMS], inv[MX_MAX_DIMS], k = 0;
        int64_t keep = 1, red = 1, flat[MX_MAX_DIMS + 1];
        for (int d = 0; d < nd; d++)
            if (!(p->axes & (1u << d))) {
                perm[k++] = d;
                keep *= m->shape[d];
            }
        int nk = k;
        for (int d = 0; d < nd; d++)
            if (p->axes & (1u << d)) {
                perm[k++] = d;
                red *= m->shape[d];
            }
        for (int d = 0; d < nd; d++) inv[perm[d]] = d;
        flat[0] = keep;
        flat[1] = red;
        mx_array *xt = mx_reshape(mx_transpose(x, perm, nd, s), flat, 2, s);
        mx_array *left = mx_cumprod(xt, 1, false, false, false, s);
        mx_array *right = mx_cumprod(xt, 1, false, true, false, s);
        mx_array *others = mx_multiply(left, right, s);
        int64_t tshape[MX_MAX_DIMS];
        for (int d = 0; d < nd; d++) tshape[d] = m->shape[perm[d]];
        mx_array *o = mx_transpose(mx_reshape(others, tshape, nd, s), inv, nd, s);
        (void)nk;
        grads[0] = mx_multiply(gb, cconj(o, s), s);
        break;
    }
    default: /* and / or: piecewise constant, zero derivative */
        return MX_OK;
    }
    return OK_OR_ERR(grads[0]);
}

static mx_status reduce_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    const mx_reduce_params *p = MX_PARAMS(mx_reduce_params, c->node);
    if (p->type == MX_RED_SUM) { /* linear: the same reduction of the tangent */
        out[0] = mx_make_like(c->node->prim, p, sizeof *p, &tan[0], 1, &c->node->out[0].m,
                              tan[0]->v.m.dtype, c->s);
        return OK_OR_ERR(out[0]);
    }
    if (p->type == MX_RED_AND || p->type == MX_RED_OR) {
        out[0] = NULL; /* zero */
        return MX_OK;
    }
    /* other reductions: <grad, tangent> summed over the reduced axes, using the vjp with g = 1
     * (conjugated back: the vjp carries conj(d y / d x)) */
    mx_stream s = c->s;
    mx_array *ones = mx_ones_like(mx_node_output(c, 0), MX_DTYPE_AUTO, s), *g[1] = {NULL};
    bool w[1] = {true};
    MX_TRY(reduce_vjp(c, &ones, w, g));
    const mx_meta *m = &c->in[0]->v.m;
    int axes[MX_MAX_DIMS], n = 0;
    for (int d = 0; d < m->ndim; d++)
        if (p->axes & (1u << d)) axes[n++] = d;
    out[0] = mx_sum(mx_multiply(cconj(g[0], s), tan[0], s), axes, n, true, s);
    return OK_OR_ERR(out[0]);
}

/* ---- cummax / cummin ----
 * Each output y_i is one input element, its "holder": the element at which the running extremum
 * was first reached (in scan order), i.e. the last position j <= i that is a strict new record
 * (x_j beyond everything before it; the first NaN for NaN, which propagates). Ties give the
 * gradient to the first occurrence, matching the kernel's strict comparison. The JVP gathers the
 * tangent at the holders, the VJP scatter-adds the cotangent into them. Reverse scans are computed
 * on the flipped axis; an exclusive scan is the inclusive one shifted by one step. */

/* a[::-1] along axis, made dense: a 1-D negative-stride view currently reaches the binary kernels
 * with data_size 1 and is read as a broadcast scalar (core/shape.c span ignores negative strides) */
static mx_array *flip_axis(mx_array *a, int axis, mx_stream s) {
    if (!a) return NULL;
    int64_t st[MX_MAX_DIMS], en[MX_MAX_DIMS], sp[MX_MAX_DIMS];
    for (int d = 0; d < a->v.m.ndim; d++) st[d] = en[d] = MX_SLICE_NONE, sp[d] = 1;
    sp[axis] = -1;
    return mx_contiguous(mx_slice(a, st, en, sp, s), false, s);
}

/* shift by one along axis, filling with zero: later = true gives out[i] = a[i-1] (out[0] = 0),
 * later = false gives out[i] = a[i+1] (out[n-1] = 0). */
static mx_array *shift_axis(mx_array *a, int axis, bool later, mx_stream s) {
    if (!a) return NULL;
    const mx_meta *m = &a->v.m;
    int64_t n = m->shape[axis], st[MX_MAX_DIMS], en[MX_MAX_DIMS], zsh[MX_MAX_DIMS];
    if (n == 0) return a;
    for (int d = 0; d < m->ndim; d++) st[d] = en[d] = MX_SLICE_NONE, zsh[d] = m->shape[d];
    zsh[axis] = 1;
    if (later) en[axis] = n - 1;
    else st[axis] = 1;
    mx_array *part = mx_slice(a, st, en, NULL, s), *z = mx_zeros(zsh, m->ndim, m->dtype, s);
    mx_array *pair[2] = {later ? z : part, later ? part : z};
    return mx_concatenate(pair, 2, axis, false, s);
}

/* arange(n) shaped to broadcast along axis of an ndim array */
static mx_array *axis_iota(int64_t n, int axis, int ndim, mx_dtype dt, mx_stream s) {
    int64_t sh[MX_MAX_DIMS];
    for (int d = 0; d < ndim; d++) sh[d] = 1;
    sh[axis] = n;
    return mx_reshape(mx_arange(0, (double)n, 1, dt, s), sh, ndim, s);
}

/* holder index (along axis, in x's own coordinates) of every output of the inclusive scan */
static mx_array *scan_holder(mx_array *x, int axis, bool is_max, bool rev, mx_dtype it,
                             mx_stream s) {
    int64_t n = x->v.m.shape[axis];
    mx_array *xf = rev ? flip_axis(x, axis, s) : x;
    mx_array *prev = is_max ? mx_cummax(xf, axis, false, false, false, s)
                            : mx_cummin(xf, axis, false, false, false, s);
    mx_array *rec = is_max ? mx_greater(xf, prev, s) : mx_less(xf, prev, s);
    if (mx_dtype_is_inexact(x->v.m.dtype))
        rec = mx_logical_or(rec, mx_logical_and(mx_isnan(xf, s), mx_logical_not(mx_isnan(prev, s), s), s), s);
    mx_array *iota = axis_iota(n, axis, x->v.m.ndim, it, s);
    mx_array *h = mx_cummax(mx_where(rec, iota, mx_array_scalar_i64(0, it), s), axis, false, false,
                            true, s);
    if (rev) h = mx_subtract(mx_array_scalar_i64(n - 1, it), flip_axis(h, axis, s), s);
    return h;
}

static mx_dtype index_dtype(const mx_meta *m) {
    return mx_meta_size(m) > INT32_MAX ? MX_INT64 : MX_INT32;
}

static mx_array *extremum_scan_jvp(mx_array *x, mx_array *t, const mx_scan_params *p, mx_stream s) {
    const mx_meta *m = &x->v.m;
    if (mx_meta_size(m) == 0) return mx_zeros_like(t, MX_DTYPE_AUTO, s);
    mx_array *h = scan_holder(x, p->axis, p->type == MX_SCAN_MAX, p->reverse, index_dtype(m), s);
    mx_array *r = mx_take_along_axis(t, h, p->axis, false, s);
    /* exclusive: element i holds the inclusive result one step earlier in scan order */
    return p->inclusive ? r : shift_axis(r, p->axis, !p->reverse, s);
}

static mx_array *extremum_scan_vjp(mx_array *x, mx_array *g, const mx_scan_params *p, mx_stream s) {
    const mx_meta *m = &x->v.m;
    if (mx_meta_size(m) == 0) return mx_zeros_like(g, MX_DTYPE_AUTO, s);
    if (!p->inclusive) g = shift_axis(g, p->axis, p->reverse, s); /* the transpose of that shift */
    mx_dtype it = index_dtype(m);
    mx_array *h = scan_holder(x, p->axis, p->type == MX_SCAN_MAX, p->reverse, it, s);
    /* flat row-major target of element i: its own flat index moved along axis to the holder */
    int64_t inner = 1, size = mx_meta_size(m);
    for (int d = p->axis + 1; d < m->ndim; d++) inner *= m->shape[d];
    mx_array *self = mx_reshape(mx_arange(0, (double)size, 1, it, s), m->shape, m->ndim, s);
    mx_array *iota = axis_iota(m->shape[p->axis], p->axis, m->ndim, it, s);
    mx_array *target = mx_add(self, mx_multiply(mx_subtract(h, iota, s),
                                                mx_array_scalar_i64(inner, it), s), s);
    mx_array *flat = mx_reshape(target, &size, 1, s);
    int axis0 = 0;
    mx_array *acc = mx_scatter_add(mx_zeros(&size, 1, g ? g->v.m.dtype : m->dtype, s), &flat, 1,
                                   mx_reshape(g, &size, 1, s), &axis0, s);
    return mx_reshape(acc, m->shape, m->ndim, s);
}

static mx_status scan_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                          mx_array **grads) {
    if (!wanted[0]) return MX_OK;
    const mx_scan_params *p = MX_PARAMS(mx_scan_params, c->node);
    mx_stream s = c->s;
    mx_array *g = cot[0], *x = c->in[0], *y = mx_node_output(c, 0);
    bool rev = !p->reverse;
    switch (p->type) {
    case MX_SCAN_SUM: /* the transpose of a prefix sum is the suffix sum */
        grads[0] = mx_cumsum(g, p->axis, false, rev, p->inclusive, s);
        break;
    case MX_SCAN_PROD: /* d y_i / d x_j = y_i / x_j for j in the prefix (x_j != 0) */
        grads[0] = mx_divide(mx_cumsum(mx_multiply(g, cconj(y, s), s), p->axis, false, rev,
                                       p->inclusive, s),
                             cconj(x, s), s);
        break;
    case MX_SCAN_LOGADDEXP: /* d y_i / d x_j = exp(x_j - y_i) */
        grads[0] = mx_multiply(
            mx_exp(x, s),
            mx_cumsum(mx_multiply(g, mx_exp(mx_negative(y, s), s), s), p->axis, false, rev,
                      p->inclusive, s),
            s);
        break;
    default: /* cummax / cummin */
        grads[0] = extremum_scan_vjp(x, g, p, s);
        break;
    }
    return OK_OR_ERR(grads[0]);
}

static mx_status scan_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    const mx_scan_params *p = MX_PARAMS(mx_scan_params, c->node);
    mx_stream s = c->s;
    mx_array *t = tan[0], *x = c->in[0], *y = mx_node_output(c, 0);
    switch (p->type) {
    case MX_SCAN_SUM:
        out[0] = mx_cumsum(t, p->axis, false, p->reverse, p->inclusive, s);
        break;
    case MX_SCAN_PROD:
        out[0] = mx_multiply(y, mx_cumsum(mx_divide(t, x, s), p->axis, false, p->reverse, p->inclusive, s), s);
        break;
    case MX_SCAN_LOGADDEXP:
        out[0] = mx_multiply(mx_exp(mx_negative(y, s), s),
                             mx_cumsum(mx_multiply(t, mx_exp(x, s), s), p->axis, false, p->reverse,
                                       p->inclusive, s),
                             s);
        break;
    default: /* cummax / cummin */
        out[0] = extremum_scan_jvp(x, t, p, s);
        break;
    }
    return OK_OR_ERR(out[0]);
}

/* softmax over the last axis: dx = y * (g - sum(g * y)) */
static mx_array *softmax_d(mx_array *g, mx_array *y, mx_stream s) {
    int last = -1;
    return mx_multiply(y, mx_subtract(g, mx_sum(mx_multiply(g, y, s), &last, 1, true, s), s), s);
}

static mx_status softmax_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                             mx_array **grads) {
    if (wanted[0]) grads[0] = softmax_d(cot[0], mx_node_output(c, 0), c->s);
    return wanted[0] ? OK_OR_ERR(grads[0]) : MX_OK;
}

static mx_status softmax_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    out[0] = softmax_d(tan[0], mx_node_output(c, 0), c->s);
    return OK_OR_ERR(out[0]);
}

/* ---- vmap: batch axis in front, axis params shifted by one ---- */
static mx_status reduce_family_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                                    mx_array **out, int *out_ax) {
    int64_t B = mx_vmap_batch(in, ax, 1);
    mx_array *x = mx_batch_front(in[0], ax[0], B, c->s);
    MX_CHECK(x != NULL, mx_error_status(), "%s", mx_error_message());
    switch (c->node->prim) {
    case MX_PRIM_REDUCE: {
        mx_reduce_params p = *MX_PARAMS(mx_reduce_params, c->node);
        p.axes <<= 1;
        return mx_vmap_remake(c, &p, &x, B, out, out_ax);
    }
    case MX_PRIM_ARG_REDUCE: {
        mx_arg_reduce_params p = *MX_PARAMS(mx_arg_reduce_params, c->node);
        p.axis += 1;
        return mx_vmap_remake(c, &p, &x, B, out, out_ax);
    }
    case MX_PRIM_SCAN: {
        mx_scan_params p = *MX_PARAMS(mx_scan_params, c->node);
        p.axis += 1;
        return mx_vmap_remake(c, &p, &x, B, out, out_ax);
    }
    default: /* softmax: over the last axis, unaffected by a batch in front */
        return mx_vmap_remake(c, c->node->params, &x, B, out, out_ax);
    }
}

void mx_grad_register_reduce(mx_rules *r) {
    r->vmap[MX_PRIM_REDUCE] = reduce_family_vmap;
    r->vmap[MX_PRIM_ARG_REDUCE] = reduce_family_vmap;
    r->vmap[MX_PRIM_SCAN] = reduce_family_vmap;
    r->vmap[MX_PRIM_SOFTMAX] = reduce_family_vmap;
    r->vjp[MX_PRIM_REDUCE] = reduce_vjp;
    r->jvp[MX_PRIM_REDUCE] = reduce_jvp;
    r->vjp[MX_PRIM_SCAN] = scan_vjp;
    r->jvp[MX_PRIM_SCAN] = scan_jvp;
    r->vjp[MX_PRIM_SOFTMAX] = softmax_vjp;
    r->jvp[MX_PRIM_SOFTMAX] = softmax_jvp;
}
