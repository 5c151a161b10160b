/* src/transforms/fused_common.h: what the backends' kernels of FUSED nodes share: the CPU JIT
 * (src/backend/cpu/jit.c) and the GPU one (src/backend/cuda/cuda_jit.c, cuda_jit_src.c,
 * cuda_nvrtc.c). Definitions in fused_common.c:
 *   - the expression columns of unary.def / binary.def as strings (both source generators write
 *     them into the generated code) and a growable string for that code;
 *   - the inputs viewed with the output's shape, the dense / scalar classification of the inputs
 *     and the collapsed iteration space of strided runs;
 *   - the op-by-op interpreter, run with a backend's ordinary kernels when no generated kernel
 *     can be used;
 *   - mkdir -p for the JITs' caches on disk. */
#ifndef MX_TRANSFORMS_FUSED_COMMON_H
#define MX_TRANSFORMS_FUSED_COMMON_H

#include "../backend/backend.h"
#include "compile.h"

/* The dtype of sub-tape value v (an input, or the result of op v - n_in). */
static inline int mx_fused_value_dtype(const mx_fused_desc *d, int v) {
    return v < d->n_in ? d->in_dtype[v] : d->ops[v - d->n_in].dtype;
}

/* ---- code generation ---- */
/* The float, integer and complex expressions of an element-wise line of unary.def / binary.def
 * (in x, or in a and b), stringised; all NULL for other primitives. */
typedef struct mx_fused_exprs {
    const char *fx, *ix, *cx;
} mx_fused_exprs;
extern const mx_fused_exprs mx_fused_expr_cols[MX_PRIM_COUNT];
/* The column for an expression class: 'I' integer / bool, 'C' complex, else float. */
static inline const char *mx_fused_pick(const mx_fused_exprs *e, char cls) {
    return cls == 'I' ? e->ix : (cls == 'C' ? e->cx : e->fx);
}

/* A growable string: zero-initialise, append with mx_sbuf_printf; `bad` is set (and later appends
 * are ignored) when formatting or allocation fails. s is malloc'ed (NULL until the first append). */
typedef struct mx_sbuf {
    char  *s;
    size_t n, cap;
    bool   bad;
} mx_sbuf;
void mx_sbuf_printf(mx_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- layouts ---- */
/* x viewed with the shape S (NumPy broadcasting: stride 0 along broadcast dimensions), never
 * donatable; false when x does not broadcast to S. */
bool mx_fused_broadcast_view(const mx_layout *x, const mx_meta *S, mx_layout *o);
/* bv[j] = in[j] viewed with the output's meta S, for the d->n_in inputs; MX_ERR_INTERNAL
 * "[fused] input j does not match the fused graph" when an input's dtype is not the sub-tape's or
 * it does not broadcast to S. */
mx_status mx_fused_views(const mx_fused_desc *d, const mx_layout *in, const mx_meta *S,
                         mx_layout *bv);
/* Whether every one of the n_in inputs is either a single element or dense row-major with the
 * output's n elements; *scalar_mask gets the single-element inputs among the first 64. */
bool mx_fused_dense(const mx_layout *in, int n_in, int64_t n, uint64_t *scalar_mask);
/* The collapsed iteration space of n_ops operands viewed with the shape S (bv[o].strides, in
 * elements): size-1 dimensions dropped and dimensions contiguous for every operand merged (a
 * row-major output merges wherever these do). Writes shape[0..nd) and st[o][0..nd), returns nd
 * >= 1 (a space of one element is one dimension of size 1 with stride 0). */
int mx_fused_collapse(int n_ops, const mx_layout *bv, const mx_meta *S, int64_t *shape,
                      int64_t (*st)[MX_MAX_DIMS]);

/* ---- the interpreter ---- */
/* Run the sub-tape of the FUSED node n op by op with a backend's kernels (`kernels`, a backend's
 * table; `backend` names it in the error of a missing kernel: "[op] has no <backend> kernel") on
 * bv (the inputs viewed with the output's shape). out (out->m set) gets the result: the buffer
 * of the op that made it, or a view of bv when the result is an input. Intermediates are released
 * after their last reader. */
mx_status mx_fused_interpret(const mx_node *n, const mx_fused_desc *d, const mx_layout *bv,
                             mx_layout *out, const mx_kernel_fn *kernels, const char *backend);

/* ---- caches on disk ---- */
/* mkdir -p (mode 0755); false when a component cannot be created. */
bool mx_mkdir_p(const char *path);

#endif
