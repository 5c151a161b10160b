/* src/transforms/rules_linalg.c: derivative and vmap rules of the linalg family
 * (src/prims/linalg.def). At the primitive level both operands have equal batch dimensions and a
 * common dtype (the op layer broadcast them as views, whose own vjp sums the broadcast away).
 *  matmul  C = A @ B:                 dA = G @ B^H, dB = A^H @ G (conjugate transposes: a
 *                                     cotangent is dL/d(conj C), as MLX); jvp dC = dA @ B + A @ dB
 *  addmm   C = alpha A @ B + beta X:  dA = alpha G @ B^T, dB = alpha A^T @ G, dX = beta G
 * Gradients are summed down to each input's shape (mx_sum_to_shape) in case an input was stored
 * broadcast. vmap: the batch axis in front of the batched operands (an unbatched matmul operand
 * broadcasts against it; addmm broadcasts every operand to the batch as a stride-0 view, since
 * its X must already have the product's shape). */
#include "../prims/linalg_params.h"
#include "rules.h"

#define ERR_OR_OK() (mx_error_status() == MX_OK ? MX_OK : mx_error_status())

/* the adjoint of the last two axes (a plain transpose for real dtypes) */
static mx_array *mT(mx_array *x, mx_stream s) {
    mx_array *t = mx_swapaxes(x, -1, -2, s);
    return t && mx_array_dtype(t) == MX_COMPLEX64 ? mx_conj(t, s) : t;
}

/* alpha * x (x unchanged when alpha == 1) */
static mx_array *scale(mx_array *x, double alpha, mx_stream s) {
    return alpha == 1.0 || !x ? x : mx_multiply(x, mx_k(alpha, x), s);
}

static mx_status product_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                             mx_array **grads, double alpha) {
    mx_stream s = c->s;
    mx_array *g = cot[0], *a = c->in[0], *b = c->in[1];
    if (wanted[0])
        grads[0] = mx_sum_to_shape(scale(mx_matmul(g, mT(b, s), s), alpha, s), &a->v.m, s);
    if (wanted[1])
        grads[1] = mx_sum_to_shape(scale(mx_matmul(mT(a, s), g, s), alpha, s), &b->v.m, s);
    return ERR_OR_OK();
}

static mx_status matmul_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                            mx_array **grads) {
    return product_vjp(c, cot, wanted, grads, 1.0);
}

/* tan[0] @ B + A @ tan[1] (either may be NULL); NULL when both are */
static mx_array *product_jvp(const mx_grad_ctx *c, mx_array *const *tan) {
    mx_stream s = c->s;
    mx_array *t0 = tan[0] ? mx_matmul(tan[0], c->in[1], s) : NULL;
    mx_array *t1 = tan[1] ? mx_matmul(c->in[0], tan[1], s) : NULL;
    return t0 && t1 ? mx_add(t0, t1, s) : (t0 ? t0 : t1);
}

static mx_status matmul_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    out[0] = product_jvp(c, tan);
    return ERR_OR_OK();
}

static mx_status addmm_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                           mx_array **grads) {
    const mx_addmm_params *p = MX_PARAMS(mx_addmm_params, c->node);
    MX_TRY(product_vjp(c, cot, wanted, grads, p->alpha));
    if (wanted[2])
        grads[2] = mx_sum_to_shape(scale(cot[0], p->beta, c->s), &c->in[2]->v.m, c->s);
    return ERR_OR_OK();
}

static mx_status addmm_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    const mx_addmm_params *p = MX_PARAMS(mx_addmm_params, c->node);
    mx_array *r = scale(product_jvp(c, tan), p->alpha, c->s);
    mx_array *x = tan[2] && p->beta != 0 ? scale(tan[2], p->beta, c->s) : NULL;
    out[0] = r && x ? mx_add(r, x, c->s) : (r ? r : x);
    return ERR_OR_OK();
}

static mx_status matmul_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                             mx_array **out, int *out_ax) {
    int64_t B = mx_vmap_batch(in, ax, 2);
    mx_array *a = ax[0] >= 0 ? mx_batch_front(in[0], ax[0], B, c->s) : in[0];
    mx_array *b = ax[1] >= 0 ? mx_batch_front(in[1], ax[1], B, c->s) : in[1];
    out[0] = mx_matmul(a, b, c->s);
    out_ax[0] = 0;
    return ERR_OR_OK();
}

static mx_status addmm_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                            mx_array **out, int *out_ax) {
    const mx_addmm_params *p = MX_PARAMS(mx_addmm_params, c->node);
    int64_t B = mx_vmap_batch(in, ax, 3);
    mx_array *b[3];
    for (int j = 0; j < 3; j++) b[j] = mx_batch_front(in[j], ax[j], B, c->s);
    out[0] = mx_addmm(b[2], b[0], b[1], p->alpha, p->beta, c->s);
    out_ax[0] = 0;
    return ERR_OR_OK();
}

void mx_grad_register_linalg(mx_rules *r) {
    r->vjp[MX_PRIM_MATMUL] = matmul_vjp;
    r->jvp[MX_PRIM_MATMUL] = matmul_jvp;
    r->vmap[MX_PRIM_MATMUL] = matmul_vmap;
    r->vjp[MX_PRIM_ADDMM] = addmm_vjp;
    r->jvp[MX_PRIM_ADDMM] = addmm_jvp;
    r->vmap[MX_PRIM_ADDMM] = addmm_vmap;
}
