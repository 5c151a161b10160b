/* src/transforms/rules_fast.c: transform rules of the fast family (src/prims/fast.def).
 *
 * CUSTOM_KERNEL is MX_PF_NO_GRAD: the drivers give it zero derivatives, so it has no VJP/JVP
 * (MLX's CustomKernel defines none either). A user kernel cannot be batched automatically
 * (its body indexes its inputs itself), so vmap reports an error instead of a wrong result.
 *
 * RMS_NORM / LAYER_NORM: analytic derivatives written with ordinary ops (so they differentiate
 * again), computed in float32 for float16 / bfloat16 (in the dtype itself for float32 / float64)
 * and converted back. With n = 1 / sqrt(mean(xc^2) + eps), xc = x (rms) or x - mean(x) (layer),
 * xhat = xc * n and y = xhat * w + b (the rounding of xhat to the dtype is not differentiated):
 *   vjp  dx = n * (gw - mean(gw) - xhat * mean(gw * xhat))   with gw = g * w; the mean(gw) term
 *             only for layer_norm; dw = sum over rows of g * xhat; db = sum over rows of g;
 *   jvp  dy = w * n * (dxc - xhat * mean(xhat * dxc)) + xhat * dw + db   with dxc = dx (rms) or
 *             dx - mean(dx) (layer).
 * vmap: the op works on the last axis, so a batched x moves its batch axis to the front (also
 * when it is the last axis) and the same primitive runs on it; a batched weight or bias is
 * applied after an unweighted (resp. unbiased) normalisation as a broadcast multiply / add,
 * which rounds exactly as the fused kernel does. */
#include <string.h>

#include "../fast/norm_impl.h"
#include "../prims/fast_params.h"
#include "rules.h"

static mx_status custom_kernel_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                                    mx_array **out, int *out_ax) {
    (void)c, (void)in, (void)ax, (void)out, (void)out_ax;
    return mx_fail(MX_ERR_UNSUPPORTED,
                   "[cuda_kernel] vmap is not supported for custom kernels: batch the inputs "
                   "inside the kernel instead");
}

/* ---- rms_norm / layer_norm ---- */

/* the primal pieces in the compute dtype */
typedef struct norm_parts {
    int       layer;
    int       iw, ib;     /* input index of weight / bias, -1 when absent */
    mx_dtype  t, ct;      /* the dtype; the compute dtype */
    mx_array *w;          /* weight in ct, or NULL */
    mx_array *n;          /* 1 / sqrt(mean(xc^2) + eps), keepdims */
    mx_array *xhat;       /* xc * n */
} norm_parts;

static mx_array *to_ct(mx_array *a, const norm_parts *q, mx_stream s) {
    return a && a->v.m.dtype != q->ct ? mx_astype(a, q->ct, s) : a;
}

static mx_array *row_mean(mx_array *a, mx_stream s) {
    int ax = -1;
    return mx_mean(a, &ax, 1, true, s);
}

static mx_status norm_setup(const mx_grad_ctx *c, norm_parts *q) {
    const mx_norm_params *p = MX_PARAMS(mx_norm_params, c->node);
    mx_stream s = c->s;
    memset(q, 0, sizeof *q);
    q->layer = c->node->prim == MX_PRIM_LAYER_NORM;
    q->iw = p->has_weight ? 1 : -1;
    q->ib = p->has_bias ? 1 + !!p->has_weight : -1;
    q->t = c->in[0]->v.m.dtype;
    q->ct = q->t == MX_FLOAT16 || q->t == MX_BFLOAT16 ? MX_FLOAT32 : q->t;
    mx_array *x = to_ct(c->in[0], q, s);
    mx_array *xc = q->layer ? mx_subtract(x, row_mean(x, s), s) : x;
    mx_array *var = row_mean(mx_square(xc, s), s);
    q->n = mx_rsqrt(mx_add(var, mx_k((double)p->eps, var), s), s);
    q->xhat = mx_multiply(xc, q->n, s);
    q->w = q->iw >= 0 ? to_ct(c->in[q->iw], q, s) : NULL;
    return OK_OR_ERR(q->xhat && (q->iw < 0 || q->w));
}

/* sum over every axis but the last: (..., d) -> (d) */
static mx_array *sum_rows(mx_array *a, mx_stream s) {
    if (!a) return NULL;
    const mx_meta *m = &a->v.m;
    int64_t sh[2] = {1, m->shape[m->ndim - 1]};
    for (int k = 0; k + 1 < m->ndim; k++) sh[0] *= m->shape[k];
    int ax = 0;
    return mx_sum(mx_reshape(a, sh, 2, s), &ax, 1, false, s);
}

static mx_status norm_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                          mx_array **grads) {
    norm_parts q;
    MX_TRY(norm_setup(c, &q));
    mx_stream s = c->s;
    mx_array *g = to_ct(cot[0], &q, s);
    if (wanted[0]) {
        mx_array *gw = q.w ? mx_multiply(g, q.w, s) : g;
        mx_array *d = mx_subtract(gw, mx_multiply(q.xhat, row_mean(mx_multiply(gw, q.xhat, s), s),
                                                  s), s);
        if (q.layer) d = mx_subtract(d, row_mean(gw, s), s);
        grads[0] = mx_astype(mx_multiply(q.n, d, s), q.t, s);
        if (!grads[0]) return mx_error_status();
    }
    if (q.iw >= 0 && wanted[q.iw]) {
        grads[q.iw] = mx_astype(sum_rows(mx_multiply(g, q.xhat, s), s), q.t, s);
        if (!grads[q.iw]) return mx_error_status();
    }
    if (q.ib >= 0 && wanted[q.ib]) {
        grads[q.ib] = mx_astype(sum_rows(g, s), q.t, s);
        if (!grads[q.ib]) return mx_error_status();
    }
    return MX_OK;
}

/* acc + term, where acc NULL is zero; term NULL is a failure */
static mx_status accumulate(mx_array **acc, mx_array *term, mx_stream s) {
    if (!term) return mx_error_status();
    *acc = *acc ? mx_add(*acc, term, s) : term;
    return OK_OR_ERR(*acc);
}

static mx_status norm_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    norm_parts q;
    MX_TRY(norm_setup(c, &q));
    mx_stream s = c->s;
    mx_array *r = NULL;
    if (tan[0]) {
        mx_array *dx = to_ct(tan[0], &q, s);
        if (q.layer) dx = mx_subtract(dx, row_mean(dx, s), s);
        mx_array *dxhat = mx_multiply(
            q.n, mx_subtract(dx, mx_multiply(q.xhat, row_mean(mx_multiply(q.xhat, dx, s), s), s),
                             s),
            s);
        r = q.w ? mx_multiply(q.w, dxhat, s) : dxhat;
        if (!r) return mx_error_status();
    }
    if (q.iw >= 0 && tan[q.iw])
        MX_TRY(accumulate(&r, mx_multiply(q.xhat, to_ct(tan[q.iw], &q, s), s), s));
    if (q.ib >= 0 && tan[q.ib]) MX_TRY(accumulate(&r, to_ct(tan[q.ib], &q, s), s));
    out[0] = NULL;
    if (!r) return MX_OK; /* no tangent reaches the output: zero */
    const mx_meta *m = &c->node->out[0].m;
    if (r->v.m.ndim != m->ndim) r = mx_broadcast_to(r, m->shape, m->ndim, s); /* bias only */
    out[0] = mx_astype(r, q.t, s);
    return OK_OR_ERR(out[0]);
}

/* batch-front 1-D parameter (B, d) reshaped to broadcast against (B, ..., d) of nd + 1 dims */
static mx_array *param_batched(mx_array *v, int ax, int64_t B, int nd, mx_stream s) {
    mx_array *f = mx_batch_front(v, ax, B, s);
    if (!f) return NULL;
    int64_t sh[MX_MAX_DIMS];
    sh[0] = B;
    for (int k = 1; k < nd; k++) sh[k] = 1;
    sh[nd] = f->v.m.shape[1];
    return mx_reshape(f, sh, nd + 1, s);
}

static mx_status norm_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                           mx_array **out, int *out_ax) {
    const mx_norm_params *p = MX_PARAMS(mx_norm_params, c->node);
    int prim = c->node->prim, nd = c->in[0]->v.m.ndim;
    int iw = p->has_weight ? 1 : -1, ib = p->has_bias ? 1 + !!p->has_weight : -1;
    mx_stream s = c->s;
    int64_t B = mx_vmap_batch(in, ax, c->n_in);
    mx_array *w = iw >= 0 ? in[iw] : NULL, *b = ib >= 0 ? in[ib] : NULL;
    bool wbat = iw >= 0 && ax[iw] >= 0, bbat = ib >= 0 && ax[ib] >= 0;
    mx_array *x = ax[0] >= 0 ? mx_batch_front(in[0], ax[0], B, s) : in[0];
    mx_array *y;
    if (!wbat && !bbat) { /* x is the batched one */
        y = mx_fast_norm_node(prim, x, w, b, p->eps, s);
    } else if (!wbat) { /* only the bias is batched: normalise and scale, then add */
        y = mx_fast_norm_node(prim, x, w, NULL, p->eps, s);
        y = mx_add(y, param_batched(b, ax[ib], B, nd, s), s);
    } else { /* the weight is batched: normalise, then scale and shift */
        y = mx_fast_norm_node(prim, x, NULL, NULL, p->eps, s);
        y = mx_multiply(y, param_batched(w, ax[iw], B, nd, s), s);
        if (b) y = mx_add(y, bbat ? param_batched(b, ax[ib], B, nd, s) : b, s);
    }
    out[0] = y;
    out_ax[0] = 0;
    return OK_OR_ERR(y);
}

void mx_grad_register_fast(mx_rules *r) {
    r->vmap[MX_PRIM_CUSTOM_KERNEL] = custom_kernel_vmap;
    int prims[2] = {MX_PRIM_RMS_NORM, MX_PRIM_LAYER_NORM};
    for (int i = 0; i < 2; i++) {
        r->vjp[prims[i]] = norm_vjp;
        r->jvp[prims[i]] = norm_jvp;
        r->vmap[prims[i]] = norm_vmap;
    }
}
