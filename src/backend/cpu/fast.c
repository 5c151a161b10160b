/* src/backend/cpu/fast.c: the CPU kernels of the fast family (src/prims/fast.def). A custom CUDA
 * kernel (CUSTOM_KERNEL) has no CPU form: its kernel reports an error. The ops refuse CPU
 * streams already, so this is reached only if such a node is run on the host anyway. */
#include "cpu_impl.h"

static mx_status custom_kernel_cpu(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n, (void)in, (void)out;
    return mx_fail(MX_ERR_UNSUPPORTED, "[cuda_kernel] custom CUDA kernels run only on the GPU");
}

void mx_cpu_register_fast(mx_kernel_fn *k) { k[MX_PRIM_CUSTOM_KERNEL] = custom_kernel_cpu; }
