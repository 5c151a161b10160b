/* src/backend/cpu/loops.h: the N-operand strided loop that every CPU elementwise-shaped kernel
 * (unary, binary, ternary, copies, conversions) runs on.
 *
 * An mx_nd_iter describes up to MX_NOPS operands of one shape, each with its own element strides
 * and base pointer. mx_nd_collapse merges dimensions that are contiguous for every operand;
 * mx_nd_run splits the flat index range over the thread pool and calls `inner` on runs of the last
 * dimension with the operands' pointers and last-dimension strides (in elements).
 */
#ifndef MX_CPU_LOOPS_H
#define MX_CPU_LOOPS_H

#include "../../core/core.h"

#define MX_NOPS 4

typedef struct mx_nd_iter {
    int     nops, ndim;
    int64_t shape[MX_MAX_DIMS];
    int64_t strides[MX_NOPS][MX_MAX_DIMS]; /* elements */
    char   *base[MX_NOPS];
    size_t  isz[MX_NOPS];
} mx_nd_iter;

typedef void (*mx_inner_fn)(void *ctx, char *const *p, const int64_t *s, int64_t n);

/* Build an iterator over views (all of shape views[0]->m.shape; view 0 is usually the output). */
void mx_nd_init(mx_nd_iter *it, const mx_layout *const *views, int nops);
void mx_nd_collapse(mx_nd_iter *it);
/* Run over all elements; `grain` is the minimum elements per thread. */
void mx_nd_run(const mx_nd_iter *it, mx_inner_fn inner, void *ctx, int64_t grain);

/* True when every view is dense in the same order with equal strides: one flat loop suffices. */
bool mx_layouts_same_dense(const mx_layout *const *views, int nops);
/* Pointer to the lowest-addressed element of a dense view. */
static inline char *mx_layout_data_start(const mx_layout *v) { return (char *)mx_layout_ptr(v); }

#endif

/* Output allocation for elementwise kernels. When the non-scalar inputs share one dense layout the
 * output takes that layout (reusing a donatable input's buffer when the element size matches) and
 * *flat is set: one loop over size elements with stride 1 (0 for scalar inputs) covers it all.
 * Otherwise the output is row-major and *flat is 0. */
mx_status mx_elementwise_out(mx_layout *out, const mx_layout *in, int n_in, int *flat);
/* Run a flat elementwise loop (see above) in parallel. p/s as for mx_inner_fn. */
void mx_flat_run(mx_inner_fn inner, void *ctx, char *const *p, const int64_t *s, int nops,
                 const size_t *isz, int64_t n, int64_t grain);
/* Do everything: pick the output layout, then run `inner` over (out, in...) flat or strided. */
mx_status mx_elementwise_run(mx_layout *out, const mx_layout *in, int n_in, mx_inner_fn inner,
                             void *ctx, int64_t grain);
