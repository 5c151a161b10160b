/* src/backend/cpu/cpu_impl.h: what the CPU backend's family files share: the kernel table
 * registration functions (one per family, called by cpu.c), loops, the pool and scalar helpers. */
#ifndef MX_CPU_IMPL_H
#define MX_CPU_IMPL_H

#include "../backend.h"
#include "loops.h"
#include "pool.h"
#include "scalar.h"

/* Each family file fills its primitives' slots. The list is src/backend/cpu/families.def. */
#define MX_CPU_FAMILY(fam) void mx_cpu_register_##fam(mx_kernel_fn *k);
#include "families.def"
#undef MX_CPU_FAMILY



/* copy.c helpers other families use */
mx_status mx_cpu_copy_into(const mx_layout *in, mx_layout *out);      /* same dtype, any layouts */
mx_status mx_cpu_copy_row_major(const mx_layout *in, mx_layout *out); /* allocates out */
mx_status mx_cpu_convert_into(const mx_layout *in, mx_layout *out);   /* dtype conversion */
#endif
