/* src/transforms/rules_reduce.c: derivative rules of the reduce family (reduce.def):
 * reductions (sum/mean, prod, min, max), scans (cumsum, cumprod, logcumsumexp) and softmax.
 * arg_reduce is flagged NO_GRAD; and/or reductions and cummax/cummin have no rule yet. */
#include "../prims/reduce_params.h"
#include "rules.h"

#define OK_OR_ERR(x) ((x) ? MX_OK : mx_error_status())

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
        grads[0] = mx_multiply(gb, o, s);
        break;
    }
    default:
        return mx_fail(MX_ERR_UNSUPPORTED, "[vjp] logical reductions have no derivative");
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
    /* other reductions: <grad, tangent> summed over the reduced axes, using the vjp with g = 1 */
    mx_stream s = c->s;
    mx_array *ones = mx_ones_like(mx_node_output(c, 0), MX_DTYPE_AUTO, s), *g[1] = {NULL};
    bool w[1] = {true};
    MX_TRY(reduce_vjp(c, &ones, w, g));
    const mx_meta *m = &c->in[0]->v.m;
    int axes[MX_MAX_DIMS], n = 0;
    for (int d = 0; d < m->ndim; d++)
        if (p->axes & (1u << d)) axes[n++] = d;
    out[0] = mx_sum(mx_multiply(g[0], tan[0], s), axes, n, true, s);
    return OK_OR_ERR(out[0]);
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
        grads[0] = mx_divide(mx_cumsum(mx_multiply(g, y, s), p->axis, false, rev, p->inclusive, s),
                             x, s);
        break;
    case MX_SCAN_LOGADDEXP: /* d y_i / d x_j = exp(x_j - y_i) */
        grads[0] = mx_multiply(
            mx_exp(x, s),
            mx_cumsum(mx_multiply(g, mx_exp(mx_negative(y, s), s), s), p->axis, false, rev,
                      p->inclusive, s),
            s);
        break;
    default:
        return mx_fail(MX_ERR_UNSUPPORTED, "[vjp] cummax and cummin have no derivative yet");
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
    default:
        return mx_fail(MX_ERR_UNSUPPORTED, "[jvp] cummax and cummin have no derivative yet");
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
