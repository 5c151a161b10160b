/* src/backend/backend.h: the contract between the evaluator and a backend.
 *
 * A kernel computes one node: it reads input views (which it must not modify) and fills the
 * output views n->out[i] (dtype and shape already set): either a fresh buffer (mx_layout_alloc), a
 * donated input buffer (an input flagged MX_DONATABLE of the same byte size), or a view of an
 * input's buffer. Kernels trust their inputs: ops validated everything. A NULL slot in a backend's
 * table means "not implemented here" and is reported as MX_ERR_UNSUPPORTED, never a crash.
 */
#ifndef MX_BACKEND_H
#define MX_BACKEND_H

#include "../core/core.h"
#include "../prims/prim.h"

typedef mx_status (*mx_kernel_fn)(const mx_node *n, const mx_layout *in, mx_layout *out);

typedef struct mx_backend {
    const char  *name;
    mx_kernel_fn kernels[MX_PRIM_COUNT];
} mx_backend;

/* The CPU backend (src/backend/cpu/cpu.c); its table is filled on first use. */
const mx_backend *mx_cpu_backend(void);

/* A device backend (CUDA): kernels that read and write buffers' device bytes (b->dptr), and the
 * moves that keep a buffer's `valid` bits true. Each cmlx GPU stream runs on its own device queue
 * (a CUDA stream); work of different queues is ordered only where data flows between them.
 * Before a device kernel the evaluator calls `enter`, which selects the node's queue, makes every
 * input's bytes valid on the device and orders the queue after the work that wrote them (and, for
 * inputs the kernel may overwrite in place, after every queue that used them); after it, `leave`
 * records that the node's outputs were written on that queue. A primitive with no device kernel
 * runs its CPU kernel on host copies (correct, slower), unless it is MX_PF_META (no data touched).
 * Everything here except free_device is called with the evaluator lock held. */
typedef struct mx_device_backend {
    mx_backend base;
    mx_status (*enter)(const mx_node *n, const mx_layout *in); /* before a device kernel */
    void      (*leave)(const mx_node *n);                      /* after it succeeded */
    mx_status (*to_host)(mx_buffer *b);     /* bytes valid on the host (waits for the writer) */
    void      (*free_device)(mx_buffer *b); /* releases b->dptr (any thread) */
    /* the queues that got work since the last call (a bit set), cleared; and waiting for them
     * (called without the evaluator lock; reports asynchronous device errors) */
    uint64_t  (*take_pending)(void);
    mx_status (*wait_queues)(uint64_t queues);
    mx_status (*synchronize)(mx_stream s);
    size_t    (*cache_bytes)(void);         /* device bytes kept in the allocator's cache */
    void      (*trim_cache)(size_t target); /* give cached blocks back until at most target */
    int       (*device_count)(void);
    mx_status (*info)(int index, mx_gpu_info *out);
} mx_device_backend;

/* The GPU backend, or NULL when the build has none or no GPU is present. */
const mx_device_backend *mx_gpu_backend(void);


#endif
