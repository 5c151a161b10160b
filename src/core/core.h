/* src/core/core.h: the private structs of the core (buffers, views, nodes, handles) and the
 * helpers every layer below the public API uses. Nothing here is installed.
 *
 *  mx_buffer  memory shared by an array and all its views; knows where its bytes are valid.
 *  mx_layout    where evaluated elements live: buffer + element offset + strides. Kernels see views.
 *  mx_node    one application of one primitive: inputs (strong), params, and output views that
 *             the kernel fills. A node never points at the handles of its outputs.
 *  mx_array   the user's handle: metadata, and either (node, out_idx) or its own view.
 */
#ifndef MX_CORE_H
#define MX_CORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mx/array.h"
#include "mx/device.h"
#include "mx/dtype.h"
#include "mx/ops_shape.h" /* MX_SLICE_NONE */
#include "mx/status.h"

/* ---- errors ---- */
#define mx_fail mx_error_set
#define MX_TRY(expr)                                                                               \
    do {                                                                                           \
        mx_status st_ = (expr);                                                                    \
        if (st_ != MX_OK) return st_;                                                              \
    } while (0)
#define MX_CHECK(cond, st, ...)                                                                    \
    do {                                                                                           \
        if (!(cond)) return mx_fail((st), __VA_ARGS__);                                            \
    } while (0)
/* In functions returning mx_array *: fail with NULL. */
#define MX_CHECK_NULL(cond, st, ...)                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            mx_fail((st), __VA_ARGS__);                                                            \
            return NULL;                                                                           \
        }                                                                                          \
    } while (0)

/* ---- buffers ---- */
enum { MX_LOC_HOST = 1, MX_LOC_DEVICE = 2 };

typedef struct mx_buffer mx_buffer;
struct mx_buffer {
    atomic_int refs;
    void      *ptr;       /* host bytes (valid when valid & MX_LOC_HOST) */
    void      *dptr;      /* device bytes (CUDA backend), NULL otherwise */
    size_t     nbytes;    /* bytes requested */
    size_t     capacity;  /* bytes actually held (size class) */
    uint8_t    valid;     /* MX_LOC_* bits: where the bytes are current */
    uint8_t    external;  /* memory not from our allocator: never donated, never cached */
    uint8_t    dptr_counted; /* device-born: its bytes are counted on the device side */
    /* device queue bookkeeping (backend-private; zero = none): the queue that last wrote the
     * device bytes (index + 1), the queues ordered after that write, and every queue that used
     * the bytes since they were allocated (a bit set per queue) */
    int16_t    dev_writer;
    uint64_t   dev_seen, dev_users;
    void     (*release)(void *owner); /* external memory: called once at the end */
    void      *owner;
};

/* Allocate a host buffer of nbytes (may be 0). NULL with MX_ERR_NOMEM on failure. */
mx_buffer *mx_buffer_alloc(size_t nbytes);
mx_buffer *mx_buffer_wrap(void *ptr, size_t nbytes, void (*release)(void *), void *owner);
static inline mx_buffer *mx_buffer_retain(mx_buffer *b) {
    if (b) atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    return b;
}
void mx_buffer_release(mx_buffer *b);
/* A buffer header with no host bytes, valid on the device (the backend sets dptr). */
mx_buffer *mx_buffer_new_device(size_t nbytes);
/* Give a device buffer host bytes (from the host cache) for a device-to-host move. */
void *mx_buffer_host_alloc(mx_buffer *b);
/* Adjust the active-memory counter (device allocations). */
void mx_mem_note(long long delta);
/* The cache limit of the memory API (mx_set_cache_limit), which device caches honour too. */
size_t mx_mem_cache_limit(void);

/* ---- metadata and views ---- */
typedef struct mx_meta {
    mx_dtype dtype;
    int      ndim;
    int64_t  shape[MX_MAX_DIMS];
} mx_meta;

enum {
    MX_ROW_CONTIG = 1, /* row-major dense */
    MX_COL_CONTIG = 2, /* column-major dense */
    MX_CONTIG     = 4, /* dense in some axis order: data_size == size, no gaps or overlap */
    MX_DONATABLE  = 8, /* set by the evaluator on an input view: its buffer may be reused */
};

typedef struct mx_layout {
    mx_meta    m;
    mx_buffer *buf;                 /* strong */
    int64_t    offset;              /* elements from buf->ptr to element [0, ..., 0] */
    int64_t    strides[MX_MAX_DIMS]; /* in elements; 0 = broadcast; may be negative */
    int64_t    data_size;           /* elements reachable from the start of the data span */
    uint32_t   flags;
} mx_layout;

int64_t mx_meta_size(const mx_meta *m);
bool    mx_meta_equal(const mx_meta *a, const mx_meta *b);
/* Fill strides (row-major), flags and data_size for a dense row-major layout. */
void    mx_layout_set_row_major(mx_layout *v);
/* Recompute flags and data_size from shape and strides. */
void    mx_layout_update_flags(mx_layout *v);
/* Allocate a fresh row-major buffer for out (out->m must be set). */
mx_status mx_layout_alloc(mx_layout *out);
/* Make out share in's buffer (no copy) with the given strides/offset; flags recomputed. */
void    mx_layout_share(mx_layout *out, const mx_layout *in, const int64_t *strides, int64_t offset);
/* Host pointer to element [0,...,0] of v. */
static inline void *mx_layout_ptr(const mx_layout *v) {
    return (char *)v->buf->ptr + v->offset * (int64_t)mx_dtype_size(v->m.dtype);
}

/* ---- nodes ---- */
enum { MX_NODE_PENDING = 0, MX_NODE_SCHEDULED, MX_NODE_DONE };

typedef struct mx_node mx_node;
struct mx_node {
    atomic_int  refs;    /* one per handle pointing at it */
    atomic_int  status;  /* MX_NODE_* */
    uint16_t    prim;    /* mx_prim_id */
    uint16_t    n_out;
    int32_t     n_in;
    uint32_t    mark;    /* traversal generation (under the eval lock) */
    mx_stream   stream;  /* resolved */
    mx_array  **in;      /* strong; NULL after dispatch (unless kept for transforms) */
    mx_layout    *out;     /* filled by the kernel */
    void       *params;  /* plain data, zero padded, params_size bytes */
    uint32_t    params_size;
    uint8_t     keep_inputs; /* made while tracing: inputs survive evaluation */
    void      (*params_free)(void *params); /* params that own something (custom rules) */
};

/* ---- handles ---- */
struct mx_array {
    atomic_int refs;
    uint16_t   out_idx;   /* which output of node */
    uint8_t    is_tracer; /* made while a transform traced: never detached */
    uint8_t    pad_;
    uint32_t   mark;      /* traversal generation (under the eval lock) */
    mx_node   *node;      /* producer (strong); NULL once materialised */
    mx_layout    v;         /* v.m always valid; the rest once node == NULL */
};

/* Create the n_out outputs of a new node. metas: output metadata; inputs are retained; params
 * copied. The returned handles are new references (scope-owned inside a scope), written to out.
 * Returns MX_OK or an error (inputs NULL, allocation). */
mx_status mx_node_make(int prim, const void *params, size_t params_size, mx_array *const *inputs,
                       int n_in, const mx_meta *metas, int n_out, mx_stream s, mx_array **out);
/* Single-output convenience; returns the handle or NULL. */
mx_array *mx_node_make1(int prim, const void *params, size_t params_size, mx_array *const *inputs,
                        int n_in, const mx_meta *meta, mx_stream s);
/* A materialised handle owning view v (v's buffer reference moves into the handle). */
mx_array *mx_array_from_view(const mx_layout *v);
/* Hide the open scopes while calling user code (a transform's function): what it makes is its
 * own, as outside any scope. Returns the state for mx_scope_resume. */
int  mx_scope_suspend(void);
void mx_scope_resume(int depth);
/* A new handle for output i of an existing node (for multi-output nodes whose other outputs
 * nobody referenced). */
mx_array *mx_node_handle(mx_node *n, int i);
/* Internal: register a freshly made handle with the innermost scope (or hand it to the caller). */
mx_array *mx_scope_track(mx_array *a);
/* Detach a handle whose node is DONE: adopt its output view, drop the node. Eval lock held. */
void mx_array_detach(mx_array *a);
void mx_node_release(mx_node *n);
/* Node params accessor with a type. */
#define MX_PARAMS(T, node) ((const T *)(node)->params)

/* ---- thread-local transform state ---- */
extern _Thread_local int mx_tracing_depth; /* > 0 while a transform traces: nodes keep inputs */

/* ---- shape helpers (src/core/shape.c) ---- */
/* Normalise axis for ndim; MX_ERR_INDEX "[op] axis a is out of bounds for array of dimension n". */
mx_status mx_norm_axis(const char *op, int axis, int ndim, int *out);
/* Broadcast two shapes (NumPy rules). */
mx_status mx_broadcast_shapes2(const char *op, const int64_t *a, int na, const int64_t *b, int nb,
                               int64_t *out, int *nout);
/* Format a shape "(2, 3)" into buf. Returns buf. */
const char *mx_shape_str(const int64_t *shape, int ndim, char *buf, size_t n);
/* Check ndim and dims and that the element count fits in int64. */
mx_status mx_check_shape(const char *op, const int64_t *shape, int ndim);
/* Python's slice semantics on one axis of extent n (MX_SLICE_NONE for an omitted bound): the
 * first index and the number of elements. MX_ERR_VALUE for a zero step. */
mx_status mx_slice_range(const char *op, int axis, int64_t n, int64_t start, int64_t stop,
                         int64_t step, int64_t *first, int64_t *len);
/* Set a meta. */
void mx_meta_set(mx_meta *m, mx_dtype t, const int64_t *shape, int ndim);

/* ---- evaluation internals (src/core/eval.c) ---- */
/* Make sure a is evaluated and its data valid on the host. */
mx_status mx_array_ensure_host(mx_array *a);

#endif
