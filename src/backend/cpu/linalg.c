/* src/backend/cpu/linalg.c: CPU kernels of the linalg family (src/prims/linalg.def): MATMUL and
 * ADDMM, both thin wrappers over the batched BLAS engine in gemm.c. */
#include "../../prims/linalg_params.h"
#include "cpu_impl.h"

/* gemm.c: alpha * a @ b + beta * c into out (allocates out). c may be NULL. */
mx_status mx_cpu_gemm(const char *op, const mx_layout *a, const mx_layout *b, const mx_layout *c,
                      double alpha, double beta, mx_layout *out);

static mx_status matmul_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    return mx_cpu_gemm("matmul", &in[0], &in[1], NULL, 1.0, 0.0, &out[0]);
}

static mx_status addmm_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_addmm_params *p = MX_PARAMS(mx_addmm_params, n);
    return mx_cpu_gemm("addmm", &in[0], &in[1], &in[2], p->alpha, p->beta, &out[0]);
}

void mx_cpu_register_linalg(mx_kernel_fn *k) {
    k[MX_PRIM_MATMUL] = matmul_kernel;
    k[MX_PRIM_ADDMM] = addmm_kernel;
}
