/* src/transforms/rules_fast.c: transform rules of the fast family (src/prims/fast.def).
 * CUSTOM_KERNEL is MX_PF_NO_GRAD: the drivers give it zero derivatives, so it has no VJP/JVP
 * (MLX's CustomKernel defines none either). A user kernel cannot be batched automatically
 * (its body indexes its inputs itself), so vmap reports an error instead of a wrong result. */
#include "rules.h"

static mx_status custom_kernel_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                                    mx_array **out, int *out_ax) {
    (void)c, (void)in, (void)ax, (void)out, (void)out_ax;
    return mx_fail(MX_ERR_UNSUPPORTED,
                   "[cuda_kernel] vmap is not supported for custom kernels: batch the inputs "
                   "inside the kernel instead");
}

void mx_grad_register_fast(mx_rules *r) { r->vmap[MX_PRIM_CUSTOM_KERNEL] = custom_kernel_vmap; }
