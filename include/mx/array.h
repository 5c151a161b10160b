/* include/mx/array.h: the array handle, its metadata, evaluation and data access.
 *
 * Ownership (docs/ownership.md):
 *  1. A function returning mx_array * hands you a new reference. If a scope is open on this thread
 *     (mx_scope_begin), the innermost scope owns it instead and releases it at mx_scope_end.
 *  2. Arguments are borrowed; whatever keeps one (a node, a cache) retains it.
 *  3. mx_array_release frees at zero, iteratively: a chain of a million nodes frees without
 *     recursion.
 * Arrays are lazy: ops only record nodes; mx_eval runs them. After evaluation an array detaches from
 * its graph, so intermediate memory is reclaimed as evaluation proceeds.
 */
#ifndef MX_ARRAY_H
#define MX_ARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mx/device.h"
#include "mx/dtype.h"
#include "mx/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MX_MAX_DIMS 16

typedef struct mx_array mx_array;

/* ---- construction ---- */

/* A new array of `shape` holding a copy of `data` (row-major, dtype-sized elements).
 * data may be NULL only when the array is empty. ndim in [0, MX_MAX_DIMS]; dims >= 0.
 * Errors: MX_ERR_VALUE (bad ndim, negative dim, invalid dtype), MX_ERR_NOMEM. */
mx_array *mx_array_from_data(const void *data, const int64_t *shape, int ndim, mx_dtype dtype);

/* Wrap memory owned by someone else, without copying. `strides` are in elements (NULL: row-major).
 * `release(owner)` is called once when the last view of the memory is gone (may be NULL).
 * The memory must stay valid and unchanged until then. */
mx_array *mx_array_wrap(void *ptr, const int64_t *shape, const int64_t *strides, int ndim,
                        mx_dtype dtype, void (*release)(void *owner), void *owner);

/* 0-d arrays holding one value converted to dtype (C conversion rules; bool: v != 0). */
mx_array *mx_array_scalar_f64(double v, mx_dtype dtype);
mx_array *mx_array_scalar_i64(int64_t v, mx_dtype dtype);
mx_array *mx_array_scalar_u64(uint64_t v, mx_dtype dtype);
mx_array *mx_array_scalar_c64(float re, float im);
mx_array *mx_array_scalar_bool(bool v);

/* ---- ownership ---- */
mx_array *mx_array_retain(mx_array *a); /* returns a; NULL-safe */
void      mx_array_release(mx_array *a); /* NULL-safe */

typedef struct mx_scope {
    size_t mark;
} mx_scope;
/* Open a scope: arrays returned on this thread until mx_scope_end are owned by it. */
mx_scope  mx_scope_begin(void);
/* Release everything made since `sc` except `result`, which passes to the enclosing scope (or, if
 * none, to the caller as a new reference). result may be NULL. Returns result. */
mx_array *mx_scope_end(mx_scope sc, mx_array *result);
/* Take `a` out of the open scopes so that it survives mx_scope_end: the caller now owns that
 * reference. An array that no scope owns is returned unchanged. */
mx_array *mx_scope_keep(mx_array *a);

/* ---- metadata (always available, no evaluation) ---- */
int            mx_array_ndim(const mx_array *a);
const int64_t *mx_array_shape(const mx_array *a); /* ndim entries, valid while a lives */
int64_t        mx_array_dim(const mx_array *a, int axis); /* negative axes count from the end */
int64_t        mx_array_size(const mx_array *a);          /* number of elements */
size_t         mx_array_nbytes(const mx_array *a);
mx_dtype       mx_array_dtype(const mx_array *a);
size_t         mx_array_itemsize(const mx_array *a);

/* ---- evaluation ---- */
/* Evaluate arrays and block until their data is available. NULL entries are skipped. */
mx_status mx_eval(mx_array *const *arrays, int n);
/* Schedule evaluation on the arrays' streams and return; data access waits. */
mx_status mx_async_eval(mx_array *const *arrays, int n);
/* True once a has been evaluated (its data may still be in flight for async_eval). */
bool      mx_array_is_evaluated(const mx_array *a);
/* Block until a's data can be read (eval first if needed). */
mx_status mx_array_wait(mx_array *a);

/* ---- data access (evaluates if needed; data lives on the host afterwards) ---- */
/* Pointer to element [0,...,0] and strides in elements (may be 0 or negative for views).
 * Valid while a lives. Returns NULL on error. */
const void    *mx_array_data(mx_array *a);
const int64_t *mx_array_strides(mx_array *a);
bool           mx_array_is_row_contiguous(mx_array *a);
/* Copy the elements in row-major order into dst (mx_array_nbytes(a) bytes). */
mx_status mx_array_copy_to(mx_array *a, void *dst);
/* The single element of a size-1 array, converted. MX_ERR_VALUE if size != 1. */
mx_status mx_array_item_f64(mx_array *a, double *out);
mx_status mx_array_item_i64(mx_array *a, int64_t *out);
mx_status mx_array_item_c64(mx_array *a, float *re, float *im);

/* Debug counters of live objects (for leak checks in tests). */
int64_t mx_debug_live_arrays(void);
int64_t mx_debug_live_nodes(void);
int64_t mx_debug_live_buffers(void);

#ifdef __cplusplus
}
#endif
#endif
