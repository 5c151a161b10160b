/* src/ops/ops_impl.h: helpers shared by the op families in src/ops/: NULL propagation, dtype
 * promotion, explicit broadcasting and node construction. */
#ifndef MX_OPS_IMPL_H
#define MX_OPS_IMPL_H

#include "../core/core.h"
#include "../prims/params.h"
#include "../prims/prim.h"
#include "mx/mx.h"

/* Return NULL from an op when an argument is NULL, keeping any pending error. */
#define MX_ARG(a, op)                                                                              \
    do {                                                                                           \
        if (!(a)) {                                                                                \
            if (mx_error_status() == MX_OK)                                                        \
                mx_fail(MX_ERR_VALUE, "[%s] argument '%s' is NULL", op, #a);                       \
            return NULL;                                                                           \
        }                                                                                          \
    } while (0)

/* meta of a */
static inline const mx_meta *mx_meta_of(const mx_array *a) { return &a->v.m; }

/* Broadcast n arrays to their common shape (views; an array already of that shape is retained).
 * out[i] are new references (scope rules apply). */
mx_status mx_broadcast_n(const char *op, mx_array *const *in, int n, mx_array **out, mx_stream s);
/* A single-output node whose output is like `like` but with dtype t. */
mx_array *mx_make_like(int prim, const void *params, size_t psz, mx_array *const *inputs, int n_in,
                       const mx_meta *like, mx_dtype t, mx_stream s);
/* The dtype name for messages */
#define DN(t) mx_dtype_name(t)

#endif
