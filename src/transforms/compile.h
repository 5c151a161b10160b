/* src/transforms/compile.h: what compile.c (tracing, simplification, fusion, the cache), the
 * FUSED derivative rules (rules_compile.c) and the CPU kernel of FUSED (backend/cpu/jit.c) share.
 *
 * A FUSED node computes a small element-wise sub-graph (a "sub-tape") in one pass. Its params are
 * the one exception to plain-data params: they hold a single pointer to an interned, immutable
 * mx_fused_desc. Interning makes equal sub-tapes share one pointer, so memcmp of params (CSE) and
 * hashing still work; descriptions live until the process ends.
 *
 * Sub-tape values are numbered: 0..n_in-1 are the node's inputs, n_in + k is the result of op k.
 * Every op result has the node's output shape; inputs are broadcast (NumPy rules, stride 0) to it,
 * so a BROADCAST op in the sub-tape is the identity on values.
 */
#ifndef MX_TRANSFORMS_COMPILE_H
#define MX_TRANSFORMS_COMPILE_H

#include <stdatomic.h>
#include <string.h>

#include "../core/core.h"
#include "../prims/prim.h"
#include "mx/compile.h"

typedef struct mx_fused_op {
    uint16_t prim;  /* an element-wise primitive, WHERE, ASTYPE or BROADCAST (no params) */
    uint8_t  n_in;  /* 1..3 */
    uint8_t  dtype; /* result dtype */
    int32_t  in[3]; /* value ids */
} mx_fused_op;

typedef struct mx_fused_desc {
    int          n_in, n_ops, n_out;
    uint8_t     *in_dtype; /* n_in */
    mx_fused_op *ops;      /* n_ops, in evaluation order */
    int32_t     *outs;     /* n_out value ids (op results) */
    uint64_t     hash;
    struct mx_fused_desc *next; /* intern list */
} mx_fused_desc;

/* The interned copy of d (equal descriptions give the same pointer); NULL when out of memory. */
const mx_fused_desc *mx_fused_intern(const mx_fused_desc *d);
/* The description a FUSED node points at. */
static inline const mx_fused_desc *mx_fused_of(const mx_node *n) {
    const mx_fused_desc *d;
    memcpy(&d, n->params, sizeof d);
    return d;
}
/* Rebuild the sub-tape as ordinary nodes on `in` (n_in arrays, broadcast to `shape`): writes the
 * d->n_out results (scope-owned like any op result) to out. */
mx_status mx_fused_expand(const mx_fused_desc *d, mx_array *const *in, const int64_t *shape,
                          int ndim, mx_stream s, mx_array **out);

/* ---- counters (compile.c) and JIT settings read by the backend ---- */
typedef enum {
    MX_CC_TRACES,
    MX_CC_HITS,
    MX_CC_JIT_BUILDS,
    MX_CC_JIT_FAILURES,
    MX_CC_JIT_RUNS,
    MX_CC_INTERP_RUNS,
    MX_CC_FUSED,
    MX_CC_CALL_NODES,
    MX_CC_GRAPH_CAPTURES,
    MX_CC_GRAPH_LAUNCHES,
    MX_CC_GRAPH_FAILURES,
    MX_CC_COUNT
} mx_compile_counter;
void mx_compile_count(mx_compile_counter c, int64_t by);
/* The compiler command for the JIT ("" when the JIT is off) and the cache directory; the strings
 * are copied into buf (NUL-terminated, truncated to n). */
void mx_compile_jit_compiler(char *buf, size_t n);
void mx_compile_jit_cache_dir(char *buf, size_t n);

#endif
