/* src/transforms/rules_compile.c: derivative and vmap rules of FUSED (compile.h). A fused node is
 * expanded back into its ordinary element-wise nodes (mx_fused_expand) inside a nested transform
 * (mx_vjp / mx_jvp / mx_vmap) whose rules are the existing ones, so compile composes with grad and
 * vmap in every order. */
#include <stdlib.h>

#include "compile.h"
#include "graph.h"
#include "tape.h"

typedef struct expand_ctx {
    const mx_fused_desc *d;
    const int64_t       *shape;
    int                  ndim;
    mx_stream            s;
} expand_ctx;

/* mx_func over the expansion; outputs are new references, intermediates stay in a local scope */
static mx_status expand_fn(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out,
                           int max_out) {
    const expand_ctx *x = ctx;
    (void)n;
    if (x->d->n_out > max_out) return mx_fail(MX_ERR_INTERNAL, "[compile] too many fused outputs");
    mx_scope sc = mx_scope_begin();
    mx_status rc = mx_fused_expand(x->d, in, x->shape, x->ndim, x->s, out);
    if (rc == MX_OK)
        for (int i = 0; i < x->d->n_out; i++) mx_array_retain(out[i]);
    mx_scope_end(sc, NULL);
    if (rc == MX_OK) *n_out = x->d->n_out;
    return rc;
}

static expand_ctx ctx_of(const mx_grad_ctx *c) {
    expand_ctx x = {mx_fused_of(c->node), c->node->out[0].m.shape, c->node->out[0].m.ndim, c->s};
    return x;
}

static mx_status fused_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                           mx_array **grads) {
    expand_ctx x = ctx_of(c);
    mx_array *outs[4];
    int n_out = 0;
    MX_CHECK(c->n_out <= 4, MX_ERR_INTERNAL, "[compile] too many fused outputs");
    MX_TRY(mx_vjp(expand_fn, &x, c->in, c->n_in, cot, c->n_out, outs, &n_out, 4, grads));
    for (int j = 0; j < c->n_in; j++)
        if (!wanted[j]) grads[j] = NULL;
    return MX_OK;
}

static mx_status fused_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out_tan) {
    expand_ctx x = ctx_of(c);
    mx_array *outs[4];
    int n_out = 0;
    MX_CHECK(c->n_out <= 4, MX_ERR_INTERNAL, "[compile] too many fused outputs");
    return mx_jvp(expand_fn, &x, c->in, c->n_in, tan, outs, &n_out, 4, out_tan);
}

/* Only the batched inputs go through mx_vmap: the unbatched ones are fixed values of the
 * expansion (vmap.c would otherwise push unbatched-only nodes through their rules). */
typedef struct vmap_ctx {
    expand_ctx       x;
    mx_array *const *all; /* every input of the node */
    const int       *ax;
} vmap_ctx;

static mx_status expand_batched(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out,
                                int max_out) {
    const vmap_ctx *v = ctx;
    int n_all = v->x.d->n_in, k = 0;
    mx_array *fl[16] = {0}, **full = n_all <= 16 ? fl : calloc((size_t)n_all, sizeof *full);
    MX_CHECK(full != NULL, MX_ERR_NOMEM, "[vmap] out of memory");
    for (int j = 0; j < n_all; j++) full[j] = v->ax[j] >= 0 && k < n ? in[k++] : v->all[j];
    mx_status rc = expand_fn((void *)&v->x, full, n_all, out, n_out, max_out);
    if (full != fl) free(full);
    return rc;
}

static mx_status fused_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                            mx_array **out, int *out_ax) {
    vmap_ctx v = {ctx_of(c), in, ax};
    int n_out = 0, nb = 0;
    MX_CHECK(c->n_out <= 4, MX_ERR_INTERNAL, "[compile] too many fused outputs");
    mx_array *bl[16], **b = c->n_in <= 16 ? bl : calloc((size_t)c->n_in, sizeof *b);
    int al[16], *bax = c->n_in <= 16 ? al : calloc((size_t)c->n_in, sizeof *bax);
    mx_status rc = b && bax ? MX_OK : mx_fail(MX_ERR_NOMEM, "[vmap] out of memory");
    for (int j = 0; rc == MX_OK && j < c->n_in; j++)
        if (ax[j] >= 0) {
            b[nb] = in[j];
            bax[nb++] = ax[j];
        }
    if (rc == MX_OK) rc = mx_vmap(expand_batched, &v, b, nb, bax, NULL, out, &n_out, 4);
    for (int i = 0; rc == MX_OK && i < n_out; i++) out_ax[i] = 0;
    if (b != bl) free(b);
    if (bax != al) free(bax);
    return rc;
}

/* ---- COMPILED_CALL: the same, over the tape's replay (tape.h) ---- */
typedef struct call_ctx {
    const mx_tape   *t;
    mx_array *const *all; /* every input of the node (vmap: the unbatched ones are used) */
    const int       *ax;  /* vmap: batch axis per input, -1 = unbatched; NULL: `in` is all */
} call_ctx;

static mx_status call_fn(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out,
                         int max_out) {
    const call_ctx *x = ctx;
    int n_all = x->t->n_in + x->t->n_consts, k = 0;
    MX_CHECK(x->t->n_call_out <= max_out, MX_ERR_INTERNAL, "[compile] too many call outputs");
    mx_array **full = calloc((size_t)n_all + 1, sizeof *full);
    MX_CHECK(full != NULL, MX_ERR_NOMEM, "[compile] out of memory");
    for (int j = 0; j < n_all; j++) full[j] = !x->ax ? in[j] : x->ax[j] >= 0 && k < n ? in[k++] : x->all[j];
    mx_scope sc = mx_scope_begin();
    mx_status rc = mx_tape_expand(x->t, full, out);
    if (rc == MX_OK)
        for (int i = 0; i < x->t->n_call_out; i++) mx_array_retain(out[i]);
    mx_scope_end(sc, NULL);
    if (rc == MX_OK) *n_out = x->t->n_call_out;
    free(full);
    return rc;
}

static mx_status call_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                          mx_array **grads) {
    call_ctx x = {mx_tape_of(c->node), NULL, NULL};
    mx_array **outs = calloc((size_t)c->n_out + 1, sizeof *outs);
    MX_CHECK(outs != NULL, MX_ERR_NOMEM, "[compile] out of memory");
    int n_out = 0;
    mx_status rc = mx_vjp(call_fn, &x, c->in, c->n_in, cot, c->n_out, outs, &n_out, c->n_out, grads);
    free(outs);
    for (int j = 0; rc == MX_OK && j < c->n_in; j++)
        if (!wanted[j]) grads[j] = NULL;
    return rc;
}

static mx_status call_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out_tan) {
    call_ctx x = {mx_tape_of(c->node), NULL, NULL};
    mx_array **outs = calloc((size_t)c->n_out + 1, sizeof *outs);
    MX_CHECK(outs != NULL, MX_ERR_NOMEM, "[compile] out of memory");
    int n_out = 0;
    mx_status rc = mx_jvp(call_fn, &x, c->in, c->n_in, tan, outs, &n_out, c->n_out, out_tan);
    free(outs);
    return rc;
}

static mx_status call_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                           mx_array **out, int *out_ax) {
    call_ctx x = {mx_tape_of(c->node), in, ax};
    int n_out = 0, nb = 0;
    mx_array **b = calloc((size_t)c->n_in + 1, sizeof *b);
    int *bax = calloc((size_t)c->n_in + 1, sizeof *bax);
    mx_status rc = b && bax ? MX_OK : mx_fail(MX_ERR_NOMEM, "[vmap] out of memory");
    for (int j = 0; rc == MX_OK && j < c->n_in; j++)
        if (ax[j] >= 0) {
            b[nb] = in[j];
            bax[nb++] = ax[j];
        }
    if (rc == MX_OK) rc = mx_vmap(call_fn, &x, b, nb, bax, NULL, out, &n_out, c->n_out);
    for (int i = 0; rc == MX_OK && i < n_out; i++) out_ax[i] = 0;
    free(b);
    free(bax);
    return rc;
}

void mx_grad_register_compile(mx_rules *r) {
    r->vjp[MX_PRIM_COMPILED_CALL] = call_vjp;
    r->jvp[MX_PRIM_COMPILED_CALL] = call_jvp;
    r->vmap[MX_PRIM_COMPILED_CALL] = call_vmap;
    r->vjp[MX_PRIM_FUSED] = fused_vjp;
    r->jvp[MX_PRIM_FUSED] = fused_jvp;
    r->vmap[MX_PRIM_FUSED] = fused_vmap;
}
