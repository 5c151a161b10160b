/* src/backend/cpu/random.c: CPU kernels of the random family (src/prims/random.def). */
#include "cpu_impl.h"

void mx_cpu_register_random(mx_kernel_fn *k) { (void)k; }
