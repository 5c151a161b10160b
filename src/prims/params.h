/* src/prims/params.h: the plain-data params of the core primitives (core.def). Params are copied
 * into the node zero-padded, so they can be compared and hashed byte by byte (CSE, compile cache).
 * Other families keep theirs in src/prims/<family>_params.h. */
#ifndef MX_PARAMS_H
#define MX_PARAMS_H

#include <stdint.h>

#include "mx/array.h"

typedef struct mx_transpose_params {
    int32_t perm[MX_MAX_DIMS]; /* output axis i is input axis perm[i] */
} mx_transpose_params;

typedef struct mx_slice_params {
    int64_t start[MX_MAX_DIMS]; /* normalised, in range */
    int64_t step[MX_MAX_DIMS];  /* non-zero; may be negative */
} mx_slice_params;

typedef struct mx_as_strided_params {
    int64_t strides[MX_MAX_DIMS]; /* elements of the row-contiguous input */
    int64_t offset;
} mx_as_strided_params;

typedef struct mx_arange_params {
    double start, step;
} mx_arange_params;

/* CUSTOM: inputs are (primals..., outputs of f...); outputs are views of f's outputs. The box
 * (transforms/custom.c) owns the user's rules; the node releases it (params_free). */
typedef struct mx_custom_params {
    void   *box;
    int32_t n_primals;
} mx_custom_params;

#endif
