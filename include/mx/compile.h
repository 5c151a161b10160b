/* include/mx/compile.h: MLX's compile for C closures.
 *
 * mx_compile wraps an mx_func (see transforms.h). The first call with a given input signature
 * traces the function on stand-in inputs, records its graph as a tape, simplifies it (common
 * subexpression elimination, merging of equal scalar constants, removal of unused nodes) and
 * fuses maximal groups of element-wise nodes into single FUSED nodes, which the CPU backend runs
 * as one generated, JIT-compiled loop (the system C compiler; without one the fused graph is
 * interpreted with the ordinary kernels, with the same results). Later calls with the same
 * signature replay the tape on the new inputs: results are lazy arrays like any op's.
 *
 * The signature (cache key) is the number of inputs and each input's dtype and shape; with
 * shapeless != 0 only dtype and ndim, as long as the traced graph is made of element-wise and
 * broadcasting nodes only (output shapes then follow the inputs by NumPy broadcasting). A graph
 * with any other primitive (reductions, reshapes, ...) is retraced for each new shape even when
 * shapeless.
 *
 * Arrays the function captures (in ctx) are constants of the compiled tape: their values at trace
 * time are reused by later calls. Pass values that change as inputs.
 *
 * When compile is disabled (mx_disable_compile, or the environment variable MLX_DISABLE_COMPILE
 * set to anything but "" or "0"), mx_compiled_call calls the function directly.
 */
#ifndef MX_COMPILE_H
#define MX_COMPILE_H

#include "mx/transforms.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mx_compiled mx_compiled;

/* A compiled version of f (ctx is passed to f on every trace and must outlive the object).
 * Returns a new object (free with mx_compiled_free), or NULL with MX_ERR_VALUE ("[compile]") when
 * f is NULL, or MX_ERR_NOMEM. */
mx_compiled *mx_compile(mx_func f, void *ctx, int shapeless);

/* Call the compiled function: like f(ctx, in, n_in, out, n_out, max_out). Outputs are new
 * references (scope-owned when a scope is open). Errors: MX_ERR_VALUE "[compile]" for NULL
 * arguments or a function returning more than max_out outputs, f's own status, or an error of
 * broadcasting new shapes in shapeless mode. Thread-safe. */
mx_status mx_compiled_call(mx_compiled *c, mx_array *const *in, int n_in, mx_array **out,
                           int *n_out, int max_out);

/* Free the object and its cached tapes (releases the captured constants). NULL-safe. */
void mx_compiled_free(mx_compiled *c);

/* Global switch (all threads). */
void mx_disable_compile(void);
void mx_enable_compile(void);
bool mx_compile_enabled(void);

/* Counters for tests and tuning (process-wide, since the last reset). */
typedef struct mx_compile_stats {
    int64_t traces;        /* functions traced (cache misses) */
    int64_t cache_hits;    /* calls answered from the cache */
    int64_t jit_builds;    /* C compiler runs that produced a kernel */
    int64_t jit_failures;  /* kernels that could not be generated, built or loaded */
    int64_t jit_runs;      /* FUSED nodes run with a generated kernel */
    int64_t interp_runs;   /* FUSED nodes run by interpreting their sub-graph */
    int64_t fused_nodes;   /* FUSED nodes created by traces */
    int64_t call_nodes;    /* cache hits run as one node (a whole tape; CUDA graphs on the GPU) */
    int64_t graph_captures; /* CUDA graphs captured from a tape */
    int64_t graph_launches; /* replays of a captured CUDA graph */
    int64_t graph_failures; /* captures that failed (the tape then ran kernel by kernel) */
    int64_t tape_nodes;    /* nodes of the last traced tape after simplification (before fusion) */
    int64_t fused_tape_nodes; /* nodes of the last traced tape after fusion */
} mx_compile_stats;
void mx_compile_get_stats(mx_compile_stats *out);
void mx_compile_reset_stats(void);

/* The C compiler the CPU JIT runs: NULL restores the default (environment variable CMLX_CC, else
 * "cc"); "" turns the JIT off (fused nodes are interpreted). A compiler that does not exist or
 * fails gives the interpreted path, silently. Kernels already loaded stay in use. */
void mx_compile_set_compiler(const char *cc);
/* Where built kernels are kept: NULL restores the default ($CMLX_CACHE_DIR, else
 * $XDG_CACHE_HOME/cmlx, else ~/.cache/cmlx, else /tmp/cmlx-cache). */
void mx_compile_set_cache_dir(const char *dir);

#ifdef __cplusplus
}
#endif
#endif
