/* src/core/eval.c: evaluation of lazy graphs.
 *
 * Stages (each a static function below):
 *   build_tape   iterative post-order DFS from the requested arrays over pending nodes
 *   exec_node    pick the backend from the node's stream, flag donatable inputs, run the kernel,
 *                drop the node's inputs (memory is reclaimed as evaluation proceeds)
 *   run_tape     execute in order and detach each handle from its node
 * mx_eval runs on the calling thread; mx_async_eval queues the tape on the stream's worker. One
 * evaluator lock serialises scheduling and execution; waiting on in-flight work releases it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../backend/backend.h"
#include "core.h"
#include "stream_impl.h"

static pthread_mutex_t eval_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  eval_done = PTHREAD_COND_INITIALIZER; /* some async node finished */
static uint32_t        generation;

typedef struct tape {
    mx_array **items;
    size_t     n, cap;
} tape;

static bool tape_push(tape *t, mx_array *a) {
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        mx_array **it = realloc(t->items, cap * sizeof *it);
        if (!it) return false;
        t->items = it;
        t->cap = cap;
    }
    t->items[t->n++] = a;
    return true;
}

typedef struct frame {
    mx_array *a;
    int       next_in;
} frame;

/* Scratch reused across evaluations (the evaluator lock is held). */
static tape   g_tape;
static frame *g_stack;
static size_t g_stack_cap;

/* Post-order over handles whose node is pending. Returns the number of reachable nodes that are
 * in flight on a worker (SCHEDULED), which the caller must wait for. */
static mx_status build_tape(mx_array *const *outs, int n_outs, tape *t, int *n_inflight) {
    uint32_t gen = ++generation;
    *n_inflight = 0;
    t->n = 0;
    for (int k = 0; k < n_outs; k++) {
        mx_array *root = outs[k];
        if (!root || !root->node || root->mark == gen) continue;
        size_t sp = 0;
        root->mark = gen;
        if (g_stack_cap < 64) {
            g_stack = realloc(g_stack, 64 * sizeof *g_stack);
            if (!g_stack) return mx_fail(MX_ERR_NOMEM, "[eval] out of memory");
            g_stack_cap = 64;
        }
        g_stack[sp++] = (frame){root, 0};
        while (sp) {
            frame *f = &g_stack[sp - 1];
            mx_node *n = f->a->node;
            int st = n ? atomic_load(&n->status) : MX_NODE_DONE;
            if (st == MX_NODE_SCHEDULED) (*n_inflight)++;
            if (st == MX_NODE_PENDING && n->mark != gen && f->next_in < n->n_in) {
                mx_array *c = n->in[f->next_in++];
                if (c->node && c->mark != gen) {
                    c->mark = gen;
                    if (sp == g_stack_cap) {
                        frame *ns = realloc(g_stack, 2 * g_stack_cap * sizeof *ns);
                        if (!ns) return mx_fail(MX_ERR_NOMEM, "[eval] out of memory");
                        g_stack = ns;
                        g_stack_cap *= 2;
                    }
                    g_stack[sp++] = (frame){c, 0};
                }
                continue;
            }
            sp--;
            if (n && st == MX_NODE_PENDING) n->mark = gen; /* its inputs precede it */
            if (!tape_push(t, f->a)) return mx_fail(MX_ERR_NOMEM, "[eval] out of memory");
        }
    }
    return MX_OK;
}

/* A kernel on the host reads host bytes: bring back those only valid on the device. */
static mx_status inputs_to_host(const mx_node *n, const mx_device_backend *gpu) {
    for (int i = 0; i < n->n_in; i++) {
        mx_buffer *b = n->in[i]->v.buf;
        if (b && !(b->valid & MX_LOC_HOST)) MX_TRY(gpu->to_host(b));
    }
    return MX_OK;
}

static mx_status exec_node(mx_node *n) {
    const mx_prim_info *pi = &mx_prims[n->prim];
    const mx_device_backend *gpu = mx_gpu_backend();
    mx_kernel_fn k = NULL;
    bool on_device = false;
    if (n->stream.device == MX_GPU) {
        if (!gpu) return mx_fail(MX_ERR_UNSUPPORTED, "[%s] no GPU backend in this build", pi->name);
        k = gpu->base.kernels[n->prim];
        on_device = k != NULL;
    }
    if (!k) k = mx_cpu_backend()->kernels[n->prim]; /* CPU stream, or the host fallback */
    if (!k) return mx_fail(MX_ERR_UNSUPPORTED, "[%s] has no kernel", pi->name);
    bool meta = (pi->flags & MX_PF_META) != 0;
    mx_layout  local[8];
    mx_layout *in = n->n_in <= 8 ? local : malloc((size_t)n->n_in * sizeof *in);
    if (!in) return mx_fail(MX_ERR_NOMEM, "[eval] out of memory");
    for (int i = 0; i < n->n_in; i++) {
        mx_array *x = n->in[i];
        in[i] = x->v;
        /* donatable: this node holds the only reference to x and x the only one to its bytes */
        if (!(x->is_tracer && mx_tracing_depth > 0) && atomic_load(&x->refs) == 1 && x->v.buf &&
            atomic_load(&x->v.buf->refs) == 1 && !x->v.buf->external)
            in[i].flags |= MX_DONATABLE;
    }
    mx_status st = MX_OK;
    if (gpu && !meta) st = on_device ? gpu->enter(n, in) : inputs_to_host(n, gpu);
    if (st == MX_OK) st = k(n, in, n->out);
    if (in != local) free(in);
    if (st != MX_OK) {
        for (int i = 0; i < n->n_out; i++) {
            mx_buffer_release(n->out[i].buf);
            n->out[i].buf = NULL;
        }
        return st;
    }
    /* what the kernel wrote is current only where it ran (views keep their buffer's state) */
    if (gpu && !meta) {
        for (int i = 0; i < n->n_out; i++)
            if (n->out[i].buf) n->out[i].buf->valid = on_device ? MX_LOC_DEVICE : MX_LOC_HOST;
        if (on_device) gpu->leave(n);
    }
    atomic_store(&n->status, MX_NODE_DONE);
    /* while a transform traces, its graph must survive evaluation (the rules read it) */
    if (!(n->keep_inputs && mx_tracing_depth > 0) && n->in) {
        mx_array **ins = n->in;
        int n_in = n->n_in;
        n->in = NULL;
        for (int i = 0; i < n_in; i++) mx_array_release(ins[i]);
    }
    return MX_OK;
}

/* The device queues this evaluation used (evaluator lock held), cleared. */
static uint64_t take_pending(void) {
    const mx_device_backend *gpu = mx_gpu_backend();
    return gpu ? gpu->take_pending() : 0;
}

/* Wait (without the evaluator lock) for the device work an evaluation queued: eval returns when
 * its results exist, and asynchronous device errors surface here. */
static mx_status wait_pending(uint64_t queues, mx_status st) {
    if (!queues) return st;
    mx_status sg = mx_gpu_backend()->wait_queues(queues);
    return st == MX_OK ? sg : st;
}

/* Execute a tape in order. Handles are detached as soon as their node is done, unless tracers. */
static mx_status run_tape(mx_array **items, size_t count) {
    for (size_t i = 0; i < count; i++) {
        mx_array *a = items[i];
        mx_node  *n = a->node;
        if (!n) continue;
        if (atomic_load(&n->status) != MX_NODE_DONE) MX_TRY(exec_node(n));
        if (!(a->is_tracer && mx_tracing_depth > 0)) mx_array_detach(a);
    }
    return MX_OK;
}

static mx_status wait_inflight_locked(mx_array *const *arrays, int n) {
    for (;;) {
        int inflight = 0;
        MX_TRY(build_tape(arrays, n, &g_tape, &inflight));
        if (!inflight) return MX_OK;
        pthread_cond_wait(&eval_done, &eval_lock);
    }
}

static mx_status check_stream_errors(mx_array *const *arrays, int n) {
    (void)arrays;
    (void)n;
    if (!atomic_load_explicit(&mx_async_used, memory_order_relaxed)) return MX_OK;
    /* sticky errors of any stream surface at the next eval (streams are few) */
    int ns = mx_stream_count();
    for (int i = 0; i < ns; i++) {
        mx_stream s = {i, MX_CPU};
        mx_stream_state *st = mx_stream_state_of(s);
        s.device = st->device;
        MX_TRY(mx_stream_check_error(s));
    }
    return MX_OK;
}

mx_status mx_eval(mx_array *const *arrays, int n) {
    for (int i = 0; i < n; i++)
        if (!arrays[i] && mx_error_status() != MX_OK) return mx_error_status();
    pthread_mutex_lock(&eval_lock);
    mx_status st = wait_inflight_locked(arrays, n);
    if (st == MX_OK) st = run_tape(g_tape.items, g_tape.n);
    uint64_t queues = take_pending();
    /* results computed earlier (by an async_eval, say) may still be in a device queue */
    for (int i = 0; i < n; i++)
        if (arrays[i] && arrays[i]->v.buf && arrays[i]->v.buf->dev_writer > 0)
            queues |= 1ull << (arrays[i]->v.buf->dev_writer - 1);
    /* handles evaluated before but never detached (siblings, handles of DONE nodes) */
    if (st == MX_OK)
        for (int i = 0; i < n; i++)
            if (arrays[i] && arrays[i]->node && !(arrays[i]->is_tracer && mx_tracing_depth > 0) &&
                atomic_load(&arrays[i]->node->status) == MX_NODE_DONE)
                mx_array_detach(arrays[i]);
    pthread_mutex_unlock(&eval_lock);
    st = wait_pending(queues, st);
    if (st == MX_OK) st = check_stream_errors(arrays, n);
    return st;
}

mx_status mx_async_eval(mx_array *const *arrays, int n) {
    MX_CHECK(mx_tracing_depth == 0, MX_ERR_VALUE,
             "[async_eval] not allowed inside a graph transformation");
    mx_stream s = {-1, MX_CPU};
    for (int i = 0; i < n; i++)
        if (arrays[i] && arrays[i]->node) {
            s = arrays[i]->node->stream;
            break;
        }
    if (s.index == -1) return MX_OK; /* nothing pending */
    pthread_mutex_lock(&eval_lock);
    int inflight = 0;
    mx_status st = build_tape(arrays, n, &g_tape, &inflight);
    mx_task *t = NULL;
    if (st == MX_OK && g_tape.n) {
        t = calloc(1, sizeof *t);
        mx_array **items = t ? malloc(g_tape.n * sizeof *items) : NULL;
        if (!items) {
            free(t);
            t = NULL;
            st = mx_fail(MX_ERR_NOMEM, "[async_eval] out of memory");
        } else {
            for (size_t i = 0; i < g_tape.n; i++) {
                items[i] = mx_array_retain(g_tape.items[i]);
                if (items[i]->node) {
                    int expect = MX_NODE_PENDING;
                    atomic_compare_exchange_strong(&items[i]->node->status, &expect,
                                                   MX_NODE_SCHEDULED);
                }
            }
            t->tape = items;
            t->n = g_tape.n;
        }
    }
    pthread_mutex_unlock(&eval_lock);
    if (t) st = mx_stream_submit(s, t);
    return st;
}

mx_status mx_eval_run_task(mx_task *t) {
    pthread_mutex_lock(&eval_lock);
    /* nodes were marked SCHEDULED; run_tape only skips DONE ones */
    mx_status st = MX_OK;
    for (size_t i = 0; i < t->n && st == MX_OK; i++) {
        mx_array *a = t->tape[i];
        mx_node  *n = a->node;
        if (!n) continue;
        if (atomic_load(&n->status) != MX_NODE_DONE) st = exec_node(n);
        if (st == MX_OK && !a->is_tracer) mx_array_detach(a);
    }
    uint64_t queues = take_pending();
    if (st != MX_OK) /* put whatever did not run back to pending so that eval can retry */
        for (size_t i = 0; i < t->n; i++) {
            mx_node *n = t->tape[i]->node;
            if (n) {
                int expect = MX_NODE_SCHEDULED;
                atomic_compare_exchange_strong(&n->status, &expect, MX_NODE_PENDING);
            }
        }
    pthread_cond_broadcast(&eval_done);
    pthread_mutex_unlock(&eval_lock);
    /* the task is done when its device work is (its nodes are DONE already: consumers on other
     * queues are ordered by the backend, host readers wait for the writer) */
    return wait_pending(queues, st);
}

void mx_eval_free_task_refs(mx_task *t) {
    for (size_t i = 0; i < t->n; i++) mx_array_release(t->tape[i]);
    free(t->tape);
    t->tape = NULL;
    t->n = 0;
}

bool mx_array_is_evaluated(const mx_array *a) {
    pthread_mutex_lock(&eval_lock);
    bool r = a->node == NULL || atomic_load(&a->node->status) == MX_NODE_DONE;
    pthread_mutex_unlock(&eval_lock);
    return r;
}

mx_status mx_array_wait(mx_array *a) {
    mx_array *arr[1] = {a};
    return mx_eval(arr, 1);
}

mx_status mx_array_ensure_host(mx_array *a) {
    if (a->node || !a->v.buf) MX_TRY(mx_array_wait(a));
    mx_buffer *b = a->v.buf;
    if (b && !(b->valid & MX_LOC_HOST)) {
        const mx_device_backend *gpu = mx_gpu_backend();
        MX_CHECK(gpu != NULL, MX_ERR_INTERNAL, "[eval] device bytes without a device backend");
        pthread_mutex_lock(&eval_lock); /* moves are serialised with evaluation */
        mx_status st = (b->valid & MX_LOC_HOST) ? MX_OK : gpu->to_host(b);
        pthread_mutex_unlock(&eval_lock);
        MX_TRY(st);
    }
    return MX_OK;
}
