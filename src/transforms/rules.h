/* src/transforms/rules.h: the derivative-rule tables, indexed by primitive id like the kernel
 * tables. Each family registers its rules (src/transforms/families.def); a NULL slot means "no
 * derivative" and is reported as MX_ERR_UNSUPPORTED when a transform needs it.
 *
 * Rules run inside a scope opened by the transform driver: they return arrays freely (new or
 * scope-owned) and need no release calls. `in`/`out` are the node's primal inputs and outputs
 * (out[i] may be NULL for an output nobody referenced; its metadata is n->out[i].m).
 */
#ifndef MX_RULES_H
#define MX_RULES_H

#include "../ops/ops_impl.h"

typedef struct mx_grad_ctx {
    const mx_node    *node;
    mx_array *const  *in;  /* n_in primal inputs */
    mx_array *const  *out; /* n_out primal outputs (NULL when unreferenced) */
    int               n_in, n_out;
    mx_stream         s;
} mx_grad_ctx;

/* cot[i]: cotangent of output i (never NULL: zeros are filled in). wanted[j]: whether input j
 * needs a gradient. Writes grads[j] (NULL = zero / not wanted). */
typedef mx_status (*mx_vjp_rule)(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                                 mx_array **grads);
/* tan[j]: tangent of input j, NULL when zero (at least one is not NULL). Writes out_tan[i]. */
typedef mx_status (*mx_jvp_rule)(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out_tan);

/* in[j]: input j, batched along ax[j] (or unbatched: ax[j] == -1; at least one is batched);
 * c->in are the traced per-example inputs. Writes out[i] and the batch axis out_ax[i]. */
typedef mx_status (*mx_vmap_rule)(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                                  mx_array **out, int *out_ax);

typedef struct mx_rules {
    mx_vjp_rule  vjp[MX_PRIM_COUNT];
    mx_jvp_rule  jvp[MX_PRIM_COUNT];
    mx_vmap_rule vmap[MX_PRIM_COUNT];
} mx_rules;

const mx_rules *mx_grad_rules(void);

#define MX_GRAD_FAMILY(fam) void mx_grad_register_##fam(mx_rules *r);
#include "families.def"
#undef MX_GRAD_FAMILY

/* ---- helpers for rules ---- */
#define OK_OR_ERR(x) ((x) ? MX_OK : mx_error_status())
/* The rules of a primitive that passes its one input through unchanged, and the JVP of a linear
 * one-input primitive: the same primitive (same params) applied to the tangent. */
mx_status mx_rule_identity_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                               mx_array **grads);
mx_status mx_rule_identity_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out);
mx_status mx_rule_linear_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out);
/* A scalar of a's dtype. */
mx_array *mx_k(double v, mx_array *like);
/* Sum g down to `shape` (undoing a broadcast): sums leading and stretched axes. */
mx_array *mx_sum_to_shape(mx_array *g, const mx_meta *shape, mx_stream s);
/* Output i of the node being differentiated (c->out[i], or a new handle for it). */
mx_array *mx_node_output(const mx_grad_ctx *c, int i);
/* vmap helpers: move x's batch axis `ax` to the front (ax == -1: broadcast x to batch size B in
 * front); and the shared rule of element-wise primitives (batch in front, same primitive). */
mx_array *mx_batch_front(mx_array *x, int ax, int64_t B, mx_stream s);
mx_status mx_vmap_elementwise(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                              mx_array **out, int *out_ax);
/* Rebuild the node's primitive with new params on batch-front inputs; output metas gain a leading
 * batch dimension B. */
mx_status mx_vmap_remake(const mx_grad_ctx *c, const void *params, mx_array *const *in, int64_t B,
                         mx_array **out, int *out_ax);
/* The batch size of the batched inputs. */
int64_t mx_vmap_batch(mx_array *const *in, const int *ax, int n);
/* Zeros with the metadata m. */
mx_array *mx_zeros_meta(const mx_meta *m, mx_stream s);

#endif
