/* src/prims/shape_params.h: plain-data params of the shape family's primitives (shape.def).
 * Fixed size, no pointers, zero padded: compared byte by byte. */
#ifndef MX_SHAPE_PARAMS_H
#define MX_SHAPE_PARAMS_H

#include <stdint.h>

#include "mx/array.h"

typedef struct mx_concatenate_params {
    int32_t axis; /* normalised; every input has the output's shape except on this axis */
} mx_concatenate_params;

enum { MX_PAD_CONSTANT = 0, MX_PAD_EDGE, MX_PAD_REFLECT, MX_PAD_SYMMETRIC };

typedef struct mx_pad_params {
    int64_t lo[MX_MAX_DIMS]; /* elements added before, per axis (>= 0) */
    int64_t hi[MX_MAX_DIMS]; /* elements added after, per axis (>= 0) */
    int32_t mode;            /* MX_PAD_*; non-constant modes need a non-empty axis where padded */
} mx_pad_params;

typedef struct mx_diagonal_params {
    int64_t offset;      /* > 0: above the main diagonal (along axis2), < 0: below */
    int32_t axis1, axis2; /* normalised, distinct */
} mx_diagonal_params;

typedef struct mx_contiguous_params {
    int32_t allow_col_major; /* a column-major input is kept as is */
} mx_contiguous_params;

#endif
