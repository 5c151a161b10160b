/* src/transforms/rules_sort.c: derivative and vmap rules of the sort family (src/prims/sort.def).
 * SORT / PARTITION move elements: the VJP puts the cotangent back through the permutation
 * (argsort / argpartition of the input, which the CPU kernels compute with the same algorithm as
 * the value versions, so y = take_along_axis(x, perm)), the JVP gathers the tangent through it.
 * ARGSORT, ARGPARTITION and SEARCHSORTED have integer results (MX_PF_NO_GRAD in sort.def).
 * vmap: the batch axis is moved to the front and the axis shifted by one; searchsorted over a
 * batched sorted sequence (which must be 1-D) runs once per example and stacks the results. */
#include <stdlib.h>
#include <string.h>

#include "../prims/sort_params.h"
#include "rules.h"


/* The permutation along p->axis that sorts (or partitions) x as the node did. */
static mx_array *node_perm(const mx_grad_ctx *c, mx_array *x) {
    const mx_sort_params *p = MX_PARAMS(mx_sort_params, c->node);
    if (c->node->prim == MX_PRIM_PARTITION)
        return mx_argpartition(x, (int)p->kth, p->axis, false, c->s);
    return mx_argsort(x, p->axis, false, c->s);
}

static mx_status sort_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                          mx_array **grads) {
    if (!wanted[0]) return MX_OK;
    int ax = MX_PARAMS(mx_sort_params, c->node)->axis;
    mx_array *perm = node_perm(c, c->in[0]);
    mx_array *z = mx_zeros_like(cot[0], MX_DTYPE_AUTO, c->s);
    grads[0] = mx_put_along_axis(z, perm, cot[0], ax, false, c->s);
    return OK_OR_ERR(grads[0]);
}

static mx_status sort_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    int ax = MX_PARAMS(mx_sort_params, c->node)->axis;
    out[0] = mx_take_along_axis(tan[0], node_perm(c, c->in[0]), ax, false, c->s);
    return OK_OR_ERR(out[0]);
}

/* sort, argsort, partition, argpartition: one input, the axis shifted past the batch */
static mx_status sort_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                           mx_array **out, int *out_ax) {
    int64_t B = mx_vmap_batch(in, ax, 1);
    MX_CHECK(c->in[0]->v.m.ndim < MX_MAX_DIMS, MX_ERR_VALUE, "[vmap] too many dimensions");
    mx_sort_params p = *MX_PARAMS(mx_sort_params, c->node);
    p.axis += 1;
    mx_array *x = mx_batch_front(in[0], ax[0], B, c->s);
    MX_CHECK(x != NULL, mx_error_status(), "%s", mx_error_message());
    return mx_vmap_remake(c, &p, &x, B, out, out_ax);
}

/* example b of x (batch axis in front) */
static mx_array *example(mx_array *x, int64_t b, mx_stream s) {
    int64_t st[MX_MAX_DIMS], en[MX_MAX_DIMS];
    for (int d = 0; d < x->v.m.ndim; d++) {
        st[d] = 0;
        en[d] = x->v.m.shape[d];
    }
    st[0] = b;
    en[0] = b + 1;
    int zero = 0;
    return mx_squeeze(mx_slice(x, st, en, NULL, s), &zero, 1, s);
}

static mx_status searchsorted_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                                   mx_array **out, int *out_ax) {
    int64_t B = mx_vmap_batch(in, ax, 2);
    mx_stream s = c->s;
    const mx_meta *vm = &c->in[1]->v.m;
    MX_CHECK(vm->ndim < MX_MAX_DIMS, MX_ERR_VALUE, "[vmap] too many dimensions");
    mx_array *v = mx_batch_front(in[1], ax[1], B, s);
    MX_CHECK(v != NULL, mx_error_status(), "%s", mx_error_message());
    if (ax[0] < 0) { /* one sequence for every example: the values just gain a batch axis */
        mx_array *b[2] = {in[0], v};
        return mx_vmap_remake(c, c->node->params, b, B, out, out_ax);
    }
    bool right = MX_PARAMS(mx_sort_params, c->node)->right != 0;
    mx_array *seq = mx_batch_front(in[0], ax[0], B, s);
    MX_CHECK(seq != NULL, mx_error_status(), "%s", mx_error_message());
    out_ax[0] = 0;
    if (B == 0) {
        int64_t sh[MX_MAX_DIMS];
        sh[0] = 0;
        memcpy(sh + 1, vm->shape, sizeof(int64_t) * (size_t)vm->ndim);
        out[0] = mx_zeros(sh, vm->ndim + 1, MX_UINT32, s);
        return OK_OR_ERR(out[0]);
    }
    MX_CHECK(B <= INT32_MAX, MX_ERR_VALUE, "[vmap] searchsorted: batch too large");
    mx_array **r = malloc(sizeof *r * (size_t)B);
    MX_CHECK(r != NULL, MX_ERR_NOMEM, "[vmap] out of memory");
    mx_status rc = MX_OK;
    for (int64_t b = 0; b < B && rc == MX_OK; b++) {
        r[b] = mx_searchsorted(example(seq, b, s), example(v, b, s), right, s);
        if (!r[b]) rc = mx_error_status();
    }
    if (rc == MX_OK) {
        out[0] = mx_stack(r, (int)B, 0, s);
        rc = OK_OR_ERR(out[0]);
    }
    free(r);
    return rc;
}

void mx_grad_register_sort(mx_rules *r) {
    r->vjp[MX_PRIM_SORT] = sort_vjp;
    r->jvp[MX_PRIM_SORT] = sort_jvp;
    r->vjp[MX_PRIM_PARTITION] = sort_vjp;
    r->jvp[MX_PRIM_PARTITION] = sort_jvp;
    r->vmap[MX_PRIM_SORT] = sort_vmap;
    r->vmap[MX_PRIM_ARGSORT] = sort_vmap;
    r->vmap[MX_PRIM_PARTITION] = sort_vmap;
    r->vmap[MX_PRIM_ARGPARTITION] = sort_vmap;
    r->vmap[MX_PRIM_SEARCHSORTED] = searchsorted_vmap;
}
