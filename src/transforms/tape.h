/* src/transforms/tape.h: a compiled function's tape (one cache entry of compile.c) and the
 * COMPILED_CALL primitive that runs a whole tape as one node.
 *
 * A tape is a straight-line program over numbered values: the call's inputs, the constants it
 * captured (retained handles) and the outputs of its nodes (same primitives and params as the
 * traced graph). compile.c builds, simplifies and fuses it and, on a cache hit, either replays it
 * as ordinary nodes or, when call nodes are on (mx_compile_call_nodes), makes one COMPILED_CALL
 * node: inputs = the call's inputs then the tape's constants, outputs = the tape's outputs that
 * its nodes compute (each once). A kernel of COMPILED_CALL runs the tape's kernels itself
 * (mx_tape_run); the CUDA backend captures them once into a CUDA graph and replays it
 * (cuda_graph.c). The transform rules expand the node back into the replayed nodes.
 *
 * Tapes are shared: the compiled function's cache holds one reference and every COMPILED_CALL
 * node another (its params hold the pointer; params_free drops it). */
#ifndef MX_TRANSFORMS_TAPE_H
#define MX_TRANSFORMS_TAPE_H

#include <stdatomic.h>
#include <string.h>

#include "../backend/backend.h"
#include "../core/core.h"

enum { V_IN, V_CONST, V_NODE };

typedef struct tval {
    uint8_t kind;
    int     idx; /* input index, constant index or node index */
    mx_meta m;
} tval;

typedef struct tnode {
    uint16_t  prim, n_out;
    int       n_in;
    int      *in;   /* value ids */
    int       out0; /* value id of output 0; outputs are consecutive */
    void     *params;
    uint32_t  params_size;
    mx_meta  *metas;
    mx_stream stream;
    bool      dead;
} tnode;

typedef struct mx_tape {
    atomic_int refs;
    int        n_in;
    mx_meta   *in_m;
    bool       shape_free; /* replay for any shapes of the same ndims */
    tval      *vals;
    int        n_vals, cap_vals;
    mx_array **consts;
    int        n_consts, cap_consts;
    tnode     *nodes;
    int        n_nodes, cap_nodes;
    int       *outs;
    int        n_out;
    struct mx_tape *next;
    /* the COMPILED_CALL plan (compile.c, made once under the compiled function's lock):
     * call_state 0 = not looked at, 1 = usable, -1 = not usable; call_vals = the value ids of the
     * node's outputs (distinct node values among outs) */
    int        call_state;
    int        n_call_out;
    int       *call_vals;
    mx_stream  call_stream;
    /* backend state of the tape (the CUDA graph), freed with the tape */
    void      *backend_state;
    void     (*backend_free)(void *state);
} mx_tape;

mx_tape *mx_tape_retain(mx_tape *t);
void     mx_tape_release(mx_tape *t);

/* The tape a COMPILED_CALL node runs. */
static inline mx_tape *mx_tape_of(const mx_node *n) {
    mx_tape *t;
    memcpy(&t, n->params, sizeof t);
    return t;
}

/* Run the tape's live nodes on views: in = the node's inputs (the call's inputs, then the
 * constants), out = t->n_call_out views filled with new buffer references (views of the results;
 * an output may be a view of an input). Each node runs the kernel of `be`; with `gpu` set (the
 * device backend, be == &gpu->base), nodes without a device kernel must be MX_PF_META and run
 * their CPU kernel, and results are marked valid on the device. Intermediate buffers are released
 * after their last reader, and one read last by a node may be donated to it. */
mx_status mx_tape_run(const mx_tape *t, const mx_layout *in, mx_layout *out, const mx_backend *be,
                      const mx_device_backend *gpu);

/* The CPU kernel of COMPILED_CALL (registered by backend/cpu/jit.c). */
mx_status mx_tape_call_cpu(const mx_node *n, const mx_layout *in, mx_layout *out);

/* Rebuild a COMPILED_CALL node as ordinary nodes: `in` = the node's inputs; writes the node's
 * n_call_out outputs (scope-owned). */
mx_status mx_tape_expand(const mx_tape *t, mx_array *const *in, mx_array **out);

/* Call nodes: 0 = never; 1 = on GPU streams outside transforms (the default); 2 = always, on
 * every stream and inside transforms too (tests). The environment sets the start value:
 * CMLX_CUDA_GRAPHS=0 gives 0, CMLX_CUDA_GRAPHS=always gives 2. */
void mx_compile_set_call_nodes(int mode);
int  mx_compile_call_nodes(void);

#endif
