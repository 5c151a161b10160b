/* src/backend/cuda/cuda_graph.c: the GPU kernel of COMPILED_CALL (src/transforms/tape.h): a
 * compiled function's tape captured once into a CUDA graph and replayed on every later call, so
 * that a call costs one node, one graph launch and a few parameter updates instead of a launch
 * per kernel.
 *
 * Kernels bake device addresses into their parameters, so the graph computes on memory of its
 * own, at addresses fixed for every replay:
 *   - each call input is first copied into an input slot (a memcpy node; a strided or broadcast
 *     input is made row-major by a copy kernel before the launch);
 *   - the tape's kernels run on the slots and on the constants' device bytes (the constants are
 *     inputs of the node, so their bytes are on the device; a constant whose address changed
 *     makes the graph be captured again);
 *   - each result is copied into the node's output buffer (a memcpy node; a result that is not
 *     row-major goes through a copy kernel first).
 * Slots, intermediates and the kernels' scratch are allocated and freed inside the graph
 * (cudaMallocAsync/cudaFreeAsync captured as memory nodes: CUDA plans and reuses them). Per call,
 * only the memcpy nodes' endpoints change (cudaGraphExecMemcpyNodeSetParams1D). Launches of one
 * executable graph are serialised by CUDA, so calls on different queues cannot race on its memory.
 *
 * The first call that reaches this kernel captures; a capture that fails (a kernel that cannot be
 * captured) falls back to running the tape's kernels one by one, and after two failures the tape
 * is never captured again. Calls with empty inputs or outputs, and calls that move more than
 * 1 MiB per kernel (where the copies in and out would cost more than the launches saved), run
 * kernel by kernel too. */
#include <stdlib.h>
#include <string.h>

#include "../../transforms/compile.h"
#include "../../transforms/tape.h"
#include "cuda_impl.h"

/* Tests: make the next n captures fail the way an uncapturable kernel does (a synchronisation
 * inside the capture). */
static int fail_captures;
void       mx_cuda_graph_fail_captures(int n) { fail_captures = n; }

typedef struct graph_state {
    int              failures;
    cudaGraph_t      graph; /* kept: the exec's memcpy nodes belong to it */
    cudaGraphExec_t  exec;  /* NULL: not captured */
    int              n_in, n_const, n_out;
    cudaGraphNode_t *in_node, *out_node;
    void           **in_slot;   /* graph addresses the inputs are copied to */
    void           **out_src;   /* graph addresses the outputs are copied from */
    size_t          *in_bytes, *out_bytes;
    const void     **const_ptr; /* the constants' device addresses at capture */
} graph_state;

static void drop_graph(graph_state *g) {
    if (g->exec) cudaGraphExecDestroy(g->exec); /* freed when its last launch completes */
    if (g->graph) cudaGraphDestroy(g->graph);
    g->exec = NULL;
    g->graph = NULL;
    cudaGetLastError();
}

static void state_free(void *p) {
    graph_state *g = p;
    if (!g) return;
    drop_graph(g);
    free(g->in_node), free(g->out_node), free(g->in_slot), free(g->out_src);
    free(g->in_bytes), free(g->out_bytes), free(g->const_ptr);
    free(g);
}

static graph_state *state_of(mx_tape *t) {
    if (t->backend_state) return t->backend_state;
    graph_state *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->n_in = t->n_in;
    g->n_const = t->n_consts;
    g->n_out = t->n_call_out;
    size_t ni = (size_t)g->n_in + 1, no = (size_t)g->n_out + 1, nc = (size_t)g->n_const + 1;
    g->in_node = calloc(ni, sizeof *g->in_node);
    g->out_node = calloc(no, sizeof *g->out_node);
    g->in_slot = calloc(ni, sizeof *g->in_slot);
    g->out_src = calloc(no, sizeof *g->out_src);
    g->in_bytes = calloc(ni, sizeof *g->in_bytes);
    g->out_bytes = calloc(no, sizeof *g->out_bytes);
    g->const_ptr = calloc(nc, sizeof *g->const_ptr);
    if (!g->in_node || !g->out_node || !g->in_slot || !g->out_src || !g->in_bytes ||
        !g->out_bytes || !g->const_ptr) {
        state_free(g);
        return NULL;
    }
    t->backend_state = g;
    t->backend_free = state_free;
    return g;
}

static bool row_major(const mx_layout *v) {
    return (v->flags & MX_ROW_CONTIG) && v->data_size == mx_meta_size(&v->m);
}

static size_t nbytes(const mx_layout *v) {
    return (size_t)mx_meta_size(&v->m) * mx_dtype_size(v->m.dtype);
}

/* A memcpy node appended to the capture of stream s (after everything captured so far). */
static mx_status add_copy(cudaStream_t s, void *dst, const void *src, size_t n,
                          cudaGraphNode_t *node) {
    enum cudaStreamCaptureStatus cs;
    cudaGraph_t g;
    const cudaGraphNode_t *deps = NULL;
    size_t nd = 0;
    MX_CUDA_TRY(cudaStreamGetCaptureInfo(s, &cs, NULL, &g, &deps, NULL, &nd));
    MX_CHECK(cs == cudaStreamCaptureStatusActive, MX_ERR_BACKEND,
             "[compiled_call] the CUDA graph capture was invalidated");
    MX_CUDA_TRY(cudaGraphAddMemcpyNode1D(node, g, deps, nd, dst, src, n, cudaMemcpyDeviceToDevice));
    MX_CUDA_TRY(cudaStreamUpdateCaptureDependencies(s, node, NULL, 1,
                                                    cudaStreamSetCaptureDependencies));
    return MX_OK;
}

/* Capture the tape between the row-major inputs `src` and the outputs `out` (fresh buffers);
 * in = the node's inputs (for the constants). On success g->exec is ready and set up for this
 * call. Everything the capture allocated is freed inside the graph. */
static mx_status capture(mx_tape *t, graph_state *g, const mx_layout *in, const void *const *src,
                         const mx_layout *out) {
    const mx_device_backend *gpu = mx_gpu_backend();
    cudaStream_t s = mx_cuda_stream();
    int n_all = t->n_in + t->n_consts;
    mx_layout *views = calloc((size_t)n_all + 1, sizeof *views);
    mx_layout *res = calloc((size_t)t->n_call_out + 1, sizeof *res);
    MX_CHECK(views && res, MX_ERR_NOMEM, "[compiled_call] out of memory");
    int before = mx_cuda_captured_blocks();
    cudaError_t e = cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed);
    if (e != cudaSuccess) {
        free(views), free(res);
        return mx_cuda_status((int)e, "cudaStreamBeginCapture", __FILE__, __LINE__);
    }
    mx_cuda_capture_mode(true);
    mx_status st = MX_OK;
    for (int i = 0; i < t->n_in && st == MX_OK; i++) {
        views[i].m = in[i].m;
        st = mx_cuda_alloc_out(&views[i]);
        if (st == MX_OK) {
            g->in_slot[i] = views[i].buf->dptr;
            g->in_bytes[i] = nbytes(&in[i]);
            st = add_copy(s, g->in_slot[i], src[i], g->in_bytes[i], &g->in_node[i]);
        }
    }
    for (int k = 0; k < t->n_consts; k++) {
        views[t->n_in + k] = in[t->n_in + k];
        views[t->n_in + k].flags &= ~(uint32_t)MX_DONATABLE;
        g->const_ptr[k] = mx_cuda_dptr(&in[t->n_in + k]);
    }
    if (st == MX_OK && fail_captures > 0) {
        fail_captures--;
        e = cudaStreamSynchronize(s); /* not allowed while capturing: invalidates the capture */
        st = mx_cuda_status((int)e, "cudaStreamSynchronize (test)", __FILE__, __LINE__);
    }
    if (st == MX_OK) st = mx_tape_run(t, views, res, &gpu->base, gpu);
    bool have_res = st == MX_OK;
    for (int j = 0; j < t->n_call_out && st == MX_OK; j++) {
        if (!row_major(&res[j]) || !res[j].buf || !res[j].buf->dptr) {
            mx_layout rm = {0};
            st = mx_cuda_copy_row_major(&res[j], &rm);
            mx_buffer_release(res[j].buf);
            res[j] = rm;
            if (st != MX_OK) break;
        }
        g->out_src[j] = mx_cuda_ptr(&res[j]);
        g->out_bytes[j] = nbytes(&out[j]);
        st = add_copy(s, mx_cuda_ptr(&out[j]), g->out_src[j], g->out_bytes[j], &g->out_node[j]);
    }
    for (int j = 0; have_res && j < t->n_call_out; j++) mx_buffer_release(res[j].buf);
    for (int i = 0; i < t->n_in; i++) mx_buffer_release(views[i].buf);
    mx_cuda_capture_mode(false);
    cudaGraph_t graph = NULL;
    e = cudaStreamEndCapture(s, &graph);
    if (st == MX_OK && e != cudaSuccess)
        st = mx_cuda_status((int)e, "cudaStreamEndCapture", __FILE__, __LINE__);
    if (st == MX_OK && mx_cuda_captured_blocks() != before)
        st = mx_fail(MX_ERR_BACKEND, "[compiled_call] graph memory still in use after the capture");
    if (st == MX_OK) {
        e = cudaGraphInstantiate(&g->exec, graph, 0);
        if (e != cudaSuccess) {
            g->exec = NULL;
            st = mx_cuda_status((int)e, "cudaGraphInstantiate", __FILE__, __LINE__);
        }
    }
    if (st == MX_OK) g->graph = graph;
    else if (graph) cudaGraphDestroy(graph);
    cudaGetLastError(); /* capture errors are not sticky: the queue keeps working */
    free(views);
    free(res);
    return st;
}

/* Point the memcpy nodes at this call's inputs and outputs. */
static mx_status update(graph_state *g, const void *const *src, const mx_layout *out) {
    for (int i = 0; i < g->n_in; i++)
        MX_CUDA_TRY(cudaGraphExecMemcpyNodeSetParams1D(g->exec, g->in_node[i], g->in_slot[i],
                                                       src[i], g->in_bytes[i],
                                                       cudaMemcpyDeviceToDevice));
    for (int j = 0; j < g->n_out; j++)
        MX_CUDA_TRY(cudaGraphExecMemcpyNodeSetParams1D(g->exec, g->out_node[j],
                                                       mx_cuda_ptr(&out[j]), g->out_src[j],
                                                       g->out_bytes[j], cudaMemcpyDeviceToDevice));
    return MX_OK;
}

/* The tape's kernels one by one, straight into the node's outputs. */
static mx_status run_eager(const mx_tape *t, const mx_layout *in, mx_layout *out) {
    const mx_device_backend *gpu = mx_gpu_backend();
    return mx_tape_run(t, in, out, &gpu->base, gpu);
}

/* Worth a graph: launches dominate. The copies in and out cost about 1 us per MiB (read and
 * write at ~2-3 TB/s) and a graph saves a few us per kernel, so calls moving more than 1 MiB per
 * kernel of the tape run kernel by kernel. */
static bool graphable(const mx_tape *t, const mx_layout *in, const mx_layout *out) {
    size_t bytes = 0;
    int kernels = 0;
    for (int k = 0; k < t->n_nodes; k++)
        kernels += !t->nodes[k].dead && !(mx_prims[t->nodes[k].prim].flags & MX_PF_META);
    for (int i = 0; i < t->n_in; i++) {
        if (mx_meta_size(&in[i].m) == 0 || !in[i].buf || !in[i].buf->dptr) return false;
        bytes += nbytes(&in[i]);
    }
    for (int j = 0; j < t->n_call_out; j++) bytes += nbytes(&out[j]);
    if (bytes > (size_t)kernels << 20) return false;
    for (int k = 0; k < t->n_consts; k++)
        if (mx_meta_size(&in[t->n_in + k].m) != 0 && !mx_cuda_dptr(&in[t->n_in + k]))
            return false;
    for (int j = 0; j < t->n_call_out; j++)
        if (mx_meta_size(&out[j].m) == 0) return false;
    return true;
}

static mx_status call_gpu(const mx_node *n, const mx_layout *in, mx_layout *out) {
    mx_tape *t = mx_tape_of(n);
    graph_state *g = graphable(t, in, out) ? state_of(t) : NULL;
    if (!g || g->failures >= 2) return run_eager(t, in, out);
    if (g->exec)
        for (int k = 0; k < t->n_consts; k++)
            if (g->const_ptr[k] != mx_cuda_dptr(&in[t->n_in + k])) {
                drop_graph(g); /* a constant moved: capture again */
                break;
            }
    mx_status st = MX_OK;
    int j = 0;
    for (; j < t->n_call_out && st == MX_OK; j++) st = mx_cuda_alloc_out(&out[j]);
    /* row-major sources of the inputs (strided or broadcast inputs are copied first) */
    const void **src = calloc((size_t)t->n_in + 1, sizeof *src);
    mx_layout *tmp = calloc((size_t)t->n_in + 1, sizeof *tmp);
    if (st == MX_OK && (!src || !tmp)) st = mx_fail(MX_ERR_NOMEM, "[compiled_call] out of memory");
    for (int i = 0; i < t->n_in && st == MX_OK; i++) {
        if (row_major(&in[i])) {
            src[i] = mx_cuda_ptr(&in[i]);
        } else if ((st = mx_cuda_copy_row_major(&in[i], &tmp[i])) == MX_OK) {
            src[i] = tmp[i].buf->dptr;
        }
    }
    bool captured_now = false;
    if (st == MX_OK && !g->exec) {
        st = capture(t, g, in, src, out);
        if (st == MX_OK) {
            captured_now = true;
            mx_compile_count(MX_CC_GRAPH_CAPTURES, 1);
        } else {
            g->failures++;
            mx_compile_count(MX_CC_GRAPH_FAILURES, 1);
            mx_error_clear();
        }
    }
    if (st == MX_OK && g->exec) {
        if (!captured_now) st = update(g, src, out);
        if (st == MX_OK) {
            cudaError_t e = cudaGraphLaunch(g->exec, mx_cuda_stream());
            if (e != cudaSuccess) st = mx_cuda_status((int)e, "cudaGraphLaunch", __FILE__, __LINE__);
            else mx_compile_count(MX_CC_GRAPH_LAUNCHES, 1);
        }
    }
    for (int i = 0; tmp && i < t->n_in; i++) mx_buffer_release(tmp[i].buf);
    free(src);
    free(tmp);
    if (st == MX_OK && g->exec) return MX_OK;
    for (int q = 0; q < j; q++) {
        mx_buffer_release(out[q].buf);
        out[q].buf = NULL;
    }
    if (st != MX_OK && g->exec) return st; /* a launch or update error: report it */
    return run_eager(t, in, out);           /* the capture failed: kernel by kernel */
}

void mx_cuda_register_graph(mx_kernel_fn *k) { k[MX_PRIM_COMPILED_CALL] = call_gpu; }
