/* src/transforms/rules_random.c: vmap rules of the random family (src/prims/random.def). Both
 * primitives are flagged MX_PF_NO_GRAD (random bits are integers; cov_sqrt only feeds sampling),
 * so they need no VJP/JVP: the drivers give them zero derivatives.
 *  random_bits  keys (..., 2) -> keys.shape[:-1] + shape: a batch of keys in front is a batched
 *               draw (what mx_random_bits_batched builds), row b drawn from key b.
 *  cov_sqrt     (..., n, n) per matrix: a batch in front is more leading matrices.
 * Both are the element-wise rule: batch axis in front, the same primitive and params. */
#include "rules.h"

void mx_grad_register_random(mx_rules *r) {
    r->vmap[MX_PRIM_RANDOM_BITS] = mx_vmap_elementwise;
    r->vmap[MX_PRIM_RANDOM_COV_SQRT] = mx_vmap_elementwise;
}
