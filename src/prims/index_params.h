/* src/prims/index_params.h: plain-data params of the index family (index.def). Fixed size, no
 * pointers; copied zero padded into the node. */
#ifndef MX_INDEX_PARAMS_H
#define MX_INDEX_PARAMS_H

#include <stdint.h>

#include "mx/array.h"

/* reduction of a scatter: how an update combines with the element it lands on */
enum { MX_SCATTER_NONE = 0, MX_SCATTER_ADD, MX_SCATTER_PROD, MX_SCATTER_MAX, MX_SCATTER_MIN };

/* GATHER / SCATTER: n_idx index arrays index axes[0..n_idx) of a. For GATHER, slice[d] is the
 * slice size on every axis d of a (the output is idx_shape + slice). For SCATTER, slice[] is the
 * update slice (the trailing a.ndim dims of updates); reduce is MX_SCATTER_*. */
typedef struct mx_gather_params {
    int32_t n_idx;
    int32_t reduce;
    int32_t axes[MX_MAX_DIMS];
    int64_t slice[MX_MAX_DIMS];
} mx_gather_params;

/* GATHER_AXIS / SCATTER_AXIS: the axis indexed (normalised). */
typedef struct mx_axis_params {
    int32_t axis;
    int32_t reduce;
} mx_axis_params;

/* SLICE_UPDATE: normalised start and step per axis (the update has the slice's shape). */
typedef struct mx_slice_update_params {
    int64_t start[MX_MAX_DIMS];
    int64_t step[MX_MAX_DIMS];
} mx_slice_update_params;

/* DYNAMIC_SLICE / DYNAMIC_SLICE_UPDATE: start[i] (an input array) applies to axes[i]. */
typedef struct mx_dyn_slice_params {
    int32_t naxes;
    int32_t axes[MX_MAX_DIMS];
} mx_dyn_slice_params;

#endif
