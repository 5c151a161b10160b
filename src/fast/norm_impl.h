/* src/fast/norm_impl.h: the node builder behind mx_fast_rms_norm / mx_fast_layer_norm
 * (src/fast/norm.c), shared with their transform rules (src/transforms/rules_fast.c). */
#ifndef MX_FAST_NORM_IMPL_H
#define MX_FAST_NORM_IMPL_H

#include "../core/core.h"

/* A RMS_NORM or LAYER_NORM node (prim: MX_PRIM_RMS_NORM / MX_PRIM_LAYER_NORM) on inputs already
 * checked and of one floating dtype: x (ndim >= 1), w and b 1-D of x's last size or NULL (b only
 * for LAYER_NORM). A new reference (scope rules apply) or NULL with the error set. */
mx_array *mx_fast_norm_node(int prim, mx_array *x, mx_array *w, mx_array *b, float eps,
                            mx_stream s);

#endif
