/* src/backend/cpu/reduce_impl.h: what the reduce family's CPU files (reduce.c, scan.c) share:
 * the scan registration called from mx_cpu_register_reduce, and a row-contiguous view helper. */
#ifndef MX_CPU_REDUCE_IMPL_H
#define MX_CPU_REDUCE_IMPL_H

#include <string.h>

#include "../../prims/reduce_params.h"
#include "cpu_impl.h"

/* scan.c: fills the SCAN slot. */
void mx_cpu_register_scan_kernels(mx_kernel_fn *k);

/* *res = in when it is row-contiguous, else a fresh row-major copy held in *tmp (release
 * tmp->buf afterwards when *res == tmp). */
static inline mx_status mx_red_row_contig(const mx_layout *in, mx_layout *tmp,
                                          const mx_layout **res) {
    if (in->flags & MX_ROW_CONTIG) {
        *res = in;
        return MX_OK;
    }
    memset(tmp, 0, sizeof *tmp);
    MX_TRY(mx_cpu_copy_row_major(in, tmp));
    *res = tmp;
    return MX_OK;
}

static inline void mx_red_release_tmp(const mx_layout *res, mx_layout *tmp) {
    if (res == tmp) mx_buffer_release(tmp->buf);
}

#endif
