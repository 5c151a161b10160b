/* src/backend/cuda/cuda_impl.h: what the C files of the CUDA backend share: error checks with
 * file:line, the stream, device allocation of outputs, and the iteration-space builder. */
#ifndef MX_CUDA_IMPL_H
#define MX_CUDA_IMPL_H

#include <cuda_runtime_api.h>

#include "../backend.h"
#include "cu_api.h"

/* A CUDA runtime failure as an MX_ERR_BACKEND error carrying the call, the reason and file:line.
 * Nothing aborts: the error is returned to the caller. */
mx_status mx_cuda_status(int err, const char *what, const char *file, int line);
#define MX_CUDA_TRY(call)                                                                          \
    do {                                                                                           \
        int e_ = (int)(call);                                                                      \
        if (e_ != 0) return mx_cuda_status(e_, #call, __FILE__, __LINE__);                         \
    } while (0)

/* The CUDA stream of the queue the current node runs on (set by the evaluator's `enter`; the
 * evaluator lock is held while kernels launch), and that queue's index. */
#define MX_CU_QUEUES 64 /* CUDA streams at most; more cmlx GPU streams share them */
cudaStream_t mx_cuda_stream(void);
int          mx_cuda_queue(void);
/* Device bytes of element [0, ..., 0] of v. */
static inline void *mx_cuda_ptr(const mx_layout *v) {
    return (char *)v->buf->dptr + v->offset * (int64_t)mx_dtype_size(v->m.dtype);
}
/* A fresh row-major device buffer for out (out->m set). */
mx_status mx_cuda_alloc_out(mx_layout *out);
/* Device memory for a buffer (nbytes), from the cache. */
mx_status mx_cuda_malloc(size_t nbytes, void **p);
/* Give a block back to the cache; `users` = the queues that used it (bit set). */
void      mx_cuda_free(void *p, size_t nbytes, uint64_t users);
/* Capture mode (cuda_graph.c): allocations come from the CUDA graph being captured on the current
 * queue and frees of them become free nodes of it; the number of graph blocks not freed yet. */
void mx_cuda_capture_mode(bool on);
int  mx_cuda_captured_blocks(void);
/* Host <-> device copies (cuda_stage.c): large ones through pinned staging chunks. h2d is
 * asynchronous on s (src may be reused at return); d2h returns when dst holds the bytes. */
mx_status mx_cuda_h2d(void *dst, const void *src, size_t n, cudaStream_t s);
mx_status mx_cuda_d2h(void *dst, const void *src, size_t n, cudaStream_t s);
/* Iteration space over views (view 0 = output), collapsed; flat when every operand is dense. */
void mx_cuda_nd(mx_cu_nd *nd, const mx_layout *const *views, int nops);
/* Device copy of any layout into a fresh row-major buffer. */
mx_status mx_cuda_copy_row_major(const mx_layout *in, mx_layout *out);
/* MX_ERR_VALUE "[op] float64 is not supported on the GPU" when any view is float64. */
mx_status mx_cuda_no_f64(const char *op, const mx_layout *v, int n);

/* kernel families (cuda_kernels.c, cuda_gemm.c) */
void mx_cuda_register_kernels(mx_kernel_fn *k);
void mx_cuda_register_gemm(mx_kernel_fn *k);
void mx_cuda_register_families(mx_kernel_fn *k); /* cuda_families.c */
void mx_cuda_register_jit(mx_kernel_fn *k);      /* cuda_jit.c: FUSED through NVRTC */
void mx_cuda_register_misc(mx_kernel_fn *k);     /* cuda_misc.c: masked_scatter, searchsorted, ... */
void mx_cuda_register_fast(mx_kernel_fn *k);     /* cuda_fast.c: mx.fast kernels (cuda_kernel) */
void mx_cuda_register_graph(mx_kernel_fn *k);    /* cuda_graph.c: COMPILED_CALL as a CUDA graph */
void mx_cuda_graph_fail_captures(int n);         /* tests: the next n captures fail */

/* ---- helpers of the kernel-table files (cuda_util.c) ---- */
/* Device bytes of element [0, ..., 0] of v, or NULL for a view without a device buffer (an empty
 * array). */
static inline void *mx_cuda_dptr(const mx_layout *v) {
    return v->buf && v->buf->dptr ? mx_cuda_ptr(v) : NULL;
}
/* Copy src (any layout, dst's shape and dtype) into the view dst on the device; nothing for an
 * empty dst. */
mx_status mx_cuda_copy_into(const mx_layout *dst, const mx_layout *src);
/* out (out->m set): the device buffer of the first of the n_in inputs that is donated, row-major
 * and of out's element size and extent, else a fresh row-major buffer (element-wise outputs). */
mx_status mx_cuda_out_reuse(mx_layout *out, const mx_layout *in, int n_in);
/* Every input (n_in views) that is not a single element (nor, with spread_ok, one element spread
 * by stride 0) has S's shape and is dense in one and the same axis order other than row-major,
 * with positive strides (a transposed array, say): that order's strides go to st. Element-wise
 * kernels then walk memory order and the output keeps it, as MLX's do. */
bool mx_cuda_shared_order(const mx_meta *S, const mx_layout *in, int n_in, bool spread_ok,
                          int64_t *st);
/* Output of an element-wise kernel over inputs of out's shape (n_in; a donated one among
 * in[r0 .. r0+nr) may be reused): when the inputs that are not broadcast single elements are all
 * dense in one axis order other than row-major (transposed, say), the output takes that order and
 * flat[0..n_in] = 1-D views of out and the inputs in memory order (coalesced, as MLX does);
 * otherwise out = mx_cuda_out_reuse(out, in + r0, nr) and flat = out, in as they are. */
mx_status mx_cuda_ew_out(mx_layout *out, const mx_layout *in, int n_in, int r0, int nr,
                         mx_layout *flat);
/* out (out->m set) = a: a's device buffer when a is donated, row-major, of out's size and dtype
 * (and not empty), else a fresh row-major buffer holding a copy of a. */
mx_status mx_cuda_out_from_input(mx_layout *out, const mx_layout *a);

#endif
