/* src/backend/cpu/linalg.c: CPU kernels of the linalg family (src/prims/linalg.def). */
#include "cpu_impl.h"

void mx_cpu_register_linalg(mx_kernel_fn *k) { (void)k; }
