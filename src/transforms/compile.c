/* src/transforms/compile.c: MLX's compile for C closures (include/mx/compile.h).
 *
 * Stages (MLX's pipeline, each a static function below):
 *   compile_trace     run f on tracers (graph.c) and record the nodes that depend on the inputs as
 *                     a tape; everything else the graph reads becomes a constant (a retained
 *                     handle) of the tape
 *   compile_simplify  merge equal 0-d constants, common-subexpression elimination (same prim,
 *                     same inputs, memcmp-equal params, same output metadata), drop unused nodes
 *   compile_fuse      grow maximal groups of element-wise nodes whose intermediate results only
 *                     the group reads; each becomes one FUSED node (compile.h)
 *   cache             entries keyed by input dtypes and shapes (only ndims when shapeless and the
 *                     tape is made of shape-following nodes only); a miss retraces
 *   compile_replay    build new nodes (same prims and params) on the call's inputs: lazy results
 * Calls made while another transform traces replay a cached tape as usual; a tape traced then is
 * used for that call only (its constants may be the outer transform's tracers).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "graph.h"
#include "tape.h"

/* ---- global state ---- */
static atomic_llong counters[MX_CC_COUNT];
static atomic_llong last_tape_nodes, last_fused_nodes;
static atomic_int   enabled_state = -1; /* -1: not read from the environment yet */
static pthread_mutex_t settings_mu = PTHREAD_MUTEX_INITIALIZER;
static char *jit_cc;        /* NULL: default */
static char *jit_cache_dir; /* NULL: default */

void mx_compile_count(mx_compile_counter c, int64_t by) { atomic_fetch_add(&counters[c], by); }

void mx_compile_get_stats(mx_compile_stats *out) {
    if (!out) return;
    out->traces = atomic_load(&counters[MX_CC_TRACES]);
    out->cache_hits = atomic_load(&counters[MX_CC_HITS]);
    out->jit_builds = atomic_load(&counters[MX_CC_JIT_BUILDS]);
    out->jit_failures = atomic_load(&counters[MX_CC_JIT_FAILURES]);
    out->jit_runs = atomic_load(&counters[MX_CC_JIT_RUNS]);
    out->interp_runs = atomic_load(&counters[MX_CC_INTERP_RUNS]);
    out->call_nodes = atomic_load(&counters[MX_CC_CALL_NODES]);
    out->graph_captures = atomic_load(&counters[MX_CC_GRAPH_CAPTURES]);
    out->graph_launches = atomic_load(&counters[MX_CC_GRAPH_LAUNCHES]);
    out->graph_failures = atomic_load(&counters[MX_CC_GRAPH_FAILURES]);
    out->fused_nodes = atomic_load(&counters[MX_CC_FUSED]);
    out->tape_nodes = atomic_load(&last_tape_nodes);
    out->fused_tape_nodes = atomic_load(&last_fused_nodes);
}

void mx_compile_reset_stats(void) {
    for (int i = 0; i < MX_CC_COUNT; i++) atomic_store(&counters[i], 0);
    atomic_store(&last_tape_nodes, 0);
    atomic_store(&last_fused_nodes, 0);
}

bool mx_compile_enabled(void) {
    int st = atomic_load(&enabled_state);
    if (st < 0) {
        const char *e = getenv("MLX_DISABLE_COMPILE");
        int want = !(e && e[0] && strcmp(e, "0") != 0);
        atomic_compare_exchange_strong(&enabled_state, &st, want);
        st = atomic_load(&enabled_state);
    }
    return st > 0;
}
void mx_disable_compile(void) { atomic_store(&enabled_state, 0); }
void mx_enable_compile(void) { atomic_store(&enabled_state, 1); }

static void set_string(char **slot, const char *v) {
    pthread_mutex_lock(&settings_mu);
    free(*slot);
    *slot = v ? strdup(v) : NULL;
    pthread_mutex_unlock(&settings_mu);
}
void mx_compile_set_compiler(const char *cc) { set_string(&jit_cc, cc); }
void mx_compile_set_cache_dir(const char *dir) { set_string(&jit_cache_dir, dir); }

static void copy_out(char *buf, size_t n, const char *s) {
    if (!n) return;
    size_t l = strlen(s);
    if (l >= n) l = n - 1;
    memcpy(buf, s, l);
    buf[l] = 0;
}

void mx_compile_jit_compiler(char *buf, size_t n) {
    pthread_mutex_lock(&settings_mu);
    const char *e = getenv("CMLX_CC");
    copy_out(buf, n, jit_cc ? jit_cc : (e ? e : "cc"));
    pthread_mutex_unlock(&settings_mu);
}

void mx_compile_jit_cache_dir(char *buf, size_t n) {
    pthread_mutex_lock(&settings_mu);
    char tmp[4096];
    const char *e;
    if (jit_cache_dir) copy_out(tmp, sizeof tmp, jit_cache_dir);
    else if ((e = getenv("CMLX_CACHE_DIR")) && e[0]) copy_out(tmp, sizeof tmp, e);
    else if ((e = getenv("XDG_CACHE_HOME")) && e[0]) snprintf(tmp, sizeof tmp, "%s/cmlx", e);
    else if ((e = getenv("HOME")) && e[0]) snprintf(tmp, sizeof tmp, "%s/.cache/cmlx", e);
    else copy_out(tmp, sizeof tmp, "/tmp/cmlx-cache");
    copy_out(buf, n, tmp);
    pthread_mutex_unlock(&settings_mu);
}

/* ---- interned sub-tape descriptions ---- */
static pthread_mutex_t intern_mu = PTHREAD_MUTEX_INITIALIZER;
static mx_fused_desc  *interned[256];

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

static bool desc_equal(const mx_fused_desc *a, const mx_fused_desc *b) {
    return a->n_in == b->n_in && a->n_ops == b->n_ops && a->n_out == b->n_out &&
           memcmp(a->in_dtype, b->in_dtype, (size_t)a->n_in) == 0 &&
           memcmp(a->ops, b->ops, sizeof(mx_fused_op) * (size_t)a->n_ops) == 0 &&
           memcmp(a->outs, b->outs, sizeof(int32_t) * (size_t)a->n_out) == 0;
}

const mx_fused_desc *mx_fused_intern(const mx_fused_desc *d) {
    uint64_t h = 0xcbf29ce484222325ULL;
    h = fnv(h, &d->n_in, sizeof d->n_in);
    h = fnv(h, d->in_dtype, (size_t)d->n_in);
    h = fnv(h, d->ops, sizeof(mx_fused_op) * (size_t)d->n_ops);
    h = fnv(h, d->outs, sizeof(int32_t) * (size_t)d->n_out);
    pthread_mutex_lock(&intern_mu);
    mx_fused_desc *r = NULL;
    for (mx_fused_desc *e = interned[h & 255]; e && !r; e = e->next)
        if (e->hash == h && desc_equal(e, d)) r = e;
    if (!r) {
        r = calloc(1, sizeof *r);
        uint8_t *dt = malloc((size_t)d->n_in + 1);
        mx_fused_op *ops = malloc(sizeof *ops * (size_t)d->n_ops + 1);
        int32_t *outs = malloc(sizeof *outs * (size_t)d->n_out + 1);
        if (!r || !dt || !ops || !outs) {
            free(r), free(dt), free(ops), free(outs);
            r = NULL;
        } else {
            *r = *d;
            memcpy(dt, d->in_dtype, (size_t)d->n_in);
            memcpy(ops, d->ops, sizeof *ops * (size_t)d->n_ops);
            memcpy(outs, d->outs, sizeof *outs * (size_t)d->n_out);
            r->in_dtype = dt, r->ops = ops, r->outs = outs, r->hash = h;
            r->next = interned[h & 255];
            interned[h & 255] = r;
        }
    }
    pthread_mutex_unlock(&intern_mu);
    return r;
}

mx_status mx_fused_expand(const mx_fused_desc *d, mx_array *const *in, const int64_t *shape,
                          int ndim, mx_stream s, mx_array **out) {
    mx_array **v = calloc((size_t)(d->n_in + d->n_ops) + 1, sizeof *v);
    MX_CHECK(v != NULL, MX_ERR_NOMEM, "[compile] out of memory");
    mx_status rc = MX_OK;
    for (int j = 0; j < d->n_in; j++) v[j] = in[j];
    for (int k = 0; k < d->n_ops && rc == MX_OK; k++) {
        const mx_fused_op *op = &d->ops[k];
        mx_array *x[3];
        for (int j = 0; j < op->n_in; j++) x[j] = mx_broadcast_to(v[op->in[j]], shape, ndim, s);
        if (op->prim == MX_PRIM_BROADCAST) v[d->n_in + k] = x[0];
        else {
            mx_meta m = {0};
            mx_meta_set(&m, (mx_dtype)op->dtype, shape, ndim);
            v[d->n_in + k] = mx_node_make1(op->prim, NULL, 0, x, op->n_in, &m, s);
        }
        if (!v[d->n_in + k]) rc = mx_error_status();
    }
    for (int i = 0; i < d->n_out && rc == MX_OK; i++) out[i] = v[d->outs[i]];
    free(v);
    return rc;
}

/* ---- the tape (tape.h) ---- */
typedef mx_tape centry;

static mx_tape *param_tape(const void *params) {
    mx_tape *t;
    memcpy(&t, params, sizeof t);
    return t;
}
static void release_params(void *params) { mx_tape_release(param_tape(params)); }

struct mx_compiled {
    mx_func         f;
    void           *ctx;
    int             shapeless;
    pthread_mutex_t mu;
    centry         *entries;
};

static void entry_free(centry *e) {
    if (!e) return;
    if (e->backend_free) e->backend_free(e->backend_state);
    for (int i = 0; i < e->n_consts; i++) mx_array_release(e->consts[i]);
    for (int i = 0; i < e->n_nodes; i++) {
        if (e->nodes[i].prim == MX_PRIM_COMPILED_CALL && e->nodes[i].params)
            mx_tape_release(param_tape(e->nodes[i].params));
        free(e->nodes[i].in);
        free(e->nodes[i].params);
        free(e->nodes[i].metas);
    }
    free(e->consts);
    free(e->nodes);
    free(e->vals);
    free(e->outs);
    free(e->in_m);
    free(e->call_vals);
    free(e);
}

mx_tape *mx_tape_retain(mx_tape *t) {
    if (t) atomic_fetch_add(&t->refs, 1);
    return t;
}

void mx_tape_release(mx_tape *t) {
    if (t && atomic_fetch_sub(&t->refs, 1) == 1) entry_free(t);
}

static int add_val(centry *e, int kind, int idx, const mx_meta *m) {
    if (e->n_vals == e->cap_vals) {
        int cap = e->cap_vals ? 2 * e->cap_vals : 64;
        tval *v = realloc(e->vals, sizeof *v * (size_t)cap);
        if (!v) return -1;
        e->vals = v;
        e->cap_vals = cap;
    }
    e->vals[e->n_vals] = (tval){(uint8_t)kind, idx, *m};
    return e->n_vals++;
}

/* ---- compile_trace: graph -> tape ---- */
typedef struct builder {
    centry *e;
    graph  *g;
    int    *rec_node; /* rec index -> tape node index (-1) */
    pmap    const_of; /* handle -> value id */
} builder;

/* A 0-d materialised constant equal to an earlier one (same dtype and bytes): its value id. */
static int find_scalar_twin(centry *e, mx_array *h) {
    if (h->node || h->v.m.ndim != 0 || !h->v.buf) return -1;
    size_t sz = mx_dtype_size(h->v.m.dtype);
    for (int i = 0; i < e->n_vals; i++) {
        if (e->vals[i].kind != V_CONST) continue;
        mx_array *c = e->consts[e->vals[i].idx];
        if (c->node || c->v.m.ndim != 0 || !c->v.buf || c->v.m.dtype != h->v.m.dtype) continue;
        if (memcmp(mx_layout_ptr(&c->v), mx_layout_ptr(&h->v), sz) == 0) return i;
    }
    return -1;
}

static int value_of(builder *b, mx_array *h) {
    int p = mx_graph_primal(b->g, h), k;
    if (p >= 0) return p;
    if (h->node && (k = mx_pmap_get(&b->g->node_idx, h->node)) >= 0 && b->rec_node[k] >= 0)
        return b->e->nodes[b->rec_node[k]].out0 + h->out_idx;
    int v = mx_pmap_get(&b->const_of, h);
    if (v >= 0) return v;
    v = find_scalar_twin(b->e, h); /* merging of equal scalar constants */
    if (v < 0) {
        centry *e = b->e;
        if (e->n_consts == e->cap_consts) {
            int cap = e->cap_consts ? 2 * e->cap_consts : 16;
            mx_array **c = realloc(e->consts, sizeof *c * (size_t)cap);
            if (!c) return -1;
            e->consts = c;
            e->cap_consts = cap;
        }
        v = add_val(e, V_CONST, e->n_consts, &h->v.m);
        if (v < 0) return -1;
        e->consts[e->n_consts++] = mx_array_retain(h);
    }
    return mx_pmap_put(&b->const_of, h, v) ? v : -1;
}

static mx_status add_node(builder *b, int rec_idx) {
    centry *e = b->e;
    mx_node *n = b->g->recs[rec_idx].node;
    if (e->n_nodes == e->cap_nodes) {
        int cap = e->cap_nodes ? 2 * e->cap_nodes : 64;
        tnode *t = realloc(e->nodes, sizeof *t * (size_t)cap);
        MX_CHECK(t != NULL, MX_ERR_NOMEM, "[compile] out of memory");
        e->nodes = t;
        e->cap_nodes = cap;
    }
    tnode *t = &e->nodes[e->n_nodes];
    memset(t, 0, sizeof *t);
    t->prim = n->prim;
    t->n_out = n->n_out;
    t->n_in = n->n_in;
    t->stream = n->stream;
    t->params_size = n->params_size;
    t->in = calloc((size_t)n->n_in + 1, sizeof(int));
    t->metas = calloc((size_t)n->n_out + 1, sizeof(mx_meta));
    t->params = n->params_size ? malloc(n->params_size) : NULL;
    e->n_nodes++; /* owned by the entry from here on */
    MX_CHECK(t->in && t->metas && (t->params || !n->params_size), MX_ERR_NOMEM,
             "[compile] out of memory");
    if (n->params_size) memcpy(t->params, n->params, n->params_size);
    if (n->prim == MX_PRIM_COMPILED_CALL) mx_tape_retain(param_tape(t->params));
    for (int j = 0; j < n->n_in; j++) {
        t->in[j] = value_of(b, n->in[j]);
        MX_CHECK(t->in[j] >= 0, MX_ERR_NOMEM, "[compile] out of memory");
    }
    t->out0 = e->n_vals;
    for (int i = 0; i < n->n_out; i++) {
        t->metas[i] = n->out[i].m;
        MX_CHECK(add_val(e, V_NODE, e->n_nodes - 1, &n->out[i].m) >= 0, MX_ERR_NOMEM,
                 "[compile] out of memory");
    }
    b->rec_node[rec_idx] = e->n_nodes - 1;
    return MX_OK;
}

/* Nodes that do not depend on the inputs are constants of the tape (their handles are kept),
 * except broadcasts and element-wise functions of 0-d values: those stay in the tape, so that
 * they fuse with their readers and follow new shapes when shapeless. */
static bool cheap_constant(const mx_node *n) {
    if (n->prim == MX_PRIM_BROADCAST) return true;
    bool ew = (mx_prims[n->prim].flags & MX_PF_ELEMENTWISE) || n->prim == MX_PRIM_ASTYPE ||
              n->prim == MX_PRIM_WHERE;
    if (!ew || !n->in || n->n_out != 1) return false;
    for (int j = 0; j < n->n_in; j++)
        if (n->in[j]->v.m.ndim != 0) return false;
    return true;
}

static mx_status compile_trace(mx_compiled *c, mx_array *const *in, int n_in, int max_out,
                               centry **out) {
    centry *e = calloc(1, sizeof *e);
    MX_CHECK(e != NULL, MX_ERR_NOMEM, "[compile] out of memory");
    atomic_init(&e->refs, 1); /* the cache's reference */
    e->n_in = n_in;
    e->in_m = calloc((size_t)n_in + 1, sizeof(mx_meta));
    mx_status rc = e->in_m ? MX_OK : mx_fail(MX_ERR_NOMEM, "[compile] out of memory");
    for (int i = 0; i < n_in && rc == MX_OK; i++) {
        e->in_m[i] = in[i]->v.m;
        if (add_val(e, V_IN, i, &in[i]->v.m) < 0) rc = mx_fail(MX_ERR_NOMEM, "[compile] out of memory");
    }
    graph g = {0};
    traced t = {0};
    builder b = {e, &g, NULL, {0}};
    mx_scope sc = mx_scope_begin();
    mx_tracing_depth++;
    if (rc == MX_OK) rc = mx_graph_trace(c->f, c->ctx, in, n_in, max_out, &t, &g, "compile");
    if (rc == MX_OK) rc = mx_graph_build(&g, t.outs, t.n_out);
    if (rc == MX_OK && !(b.rec_node = malloc(sizeof(int) * (size_t)(g.n + 1))))
        rc = mx_fail(MX_ERR_NOMEM, "[compile] out of memory");
    for (int i = 0; rc == MX_OK && i < g.n; i++) b.rec_node[i] = -1;
    for (int oi = 0; rc == MX_OK && oi < g.n_order; oi++)
        if (g.recs[g.order[oi]].dep || cheap_constant(g.recs[g.order[oi]].node))
            rc = add_node(&b, g.order[oi]);
    if (rc == MX_OK) {
        e->n_out = t.n_out;
        e->outs = calloc((size_t)t.n_out + 1, sizeof(int));
        if (!e->outs) rc = mx_fail(MX_ERR_NOMEM, "[compile] out of memory");
        for (int i = 0; rc == MX_OK && i < t.n_out; i++)
            if ((e->outs[i] = value_of(&b, t.outs[i])) < 0)
                rc = mx_fail(MX_ERR_NOMEM, "[compile] out of memory");
    }
    mx_tracing_depth--;
    mx_scope_end(sc, NULL);
    free(b.rec_node);
    mx_pmap_free(&b.const_of);
    free(t.tracers);
    free(t.outs);
    mx_graph_free(&g);
    if (rc != MX_OK) {
        entry_free(e);
        return rc;
    }
    *out = e;
    return MX_OK;
}

/* ---- compile_simplify ---- */
static bool cse_candidate(const tnode *t) {
    return t->prim != MX_PRIM_DEPENDS && t->prim != MX_PRIM_IDENTITY;
}

static uint64_t node_hash(const tnode *t) {
    uint64_t h = 0xcbf29ce484222325ULL;
    h = fnv(h, &t->prim, sizeof t->prim);
    h = fnv(h, t->in, sizeof(int) * (size_t)t->n_in);
    if (t->params_size) h = fnv(h, t->params, t->params_size);
    return h;
}

static bool node_equal(const tnode *a, const tnode *b) {
    if (a->prim != b->prim || a->n_in != b->n_in || a->n_out != b->n_out ||
        a->params_size != b->params_size || a->stream.index != b->stream.index ||
        a->stream.device != b->stream.device)
        return false;
    if (memcmp(a->in, b->in, sizeof(int) * (size_t)a->n_in) != 0) return false;
    if (a->params_size && memcmp(a->params, b->params, a->params_size) != 0) return false;
    for (int i = 0; i < a->n_out; i++)
        if (!mx_meta_equal(&a->metas[i], &b->metas[i])) return false;
    return true;
}

/* Drop dead nodes, keeping value ids stable. */
static void mark_unused(centry *e) {
    char *used = calloc((size_t)e->n_vals + 1, 1);
    if (!used) return; /* keeping everything is still correct */
    for (int i = 0; i < e->n_out; i++) used[e->outs[i]] = 1;
    for (int k = e->n_nodes - 1; k >= 0; k--) {
        tnode *t = &e->nodes[k];
        if (t->dead) continue;
        bool live = false;
        for (int i = 0; i < t->n_out; i++) live |= used[t->out0 + i] != 0;
        if (!live) {
            t->dead = true;
            continue;
        }
        for (int j = 0; j < t->n_in; j++) used[t->in[j]] = 1;
    }
    free(used);
}

static mx_status compile_simplify(centry *e) {
    int *repl = malloc(sizeof(int) * (size_t)(e->n_vals + 1));
    int cap = 64;
    while (cap < 2 * e->n_nodes) cap *= 2;
    int *tab = malloc(sizeof(int) * (size_t)cap);
    if (!repl || !tab) {
        free(repl), free(tab);
        return mx_fail(MX_ERR_NOMEM, "[compile] out of memory");
    }
    for (int v = 0; v < e->n_vals; v++) repl[v] = v;
    for (int i = 0; i < cap; i++) tab[i] = -1;
    for (int k = 0; k < e->n_nodes; k++) {
        tnode *t = &e->nodes[k];
        for (int j = 0; j < t->n_in; j++) t->in[j] = repl[t->in[j]];
        if (!cse_candidate(t)) continue;
        size_t i = (size_t)node_hash(t) & (size_t)(cap - 1);
        for (; tab[i] >= 0; i = (i + 1) & (size_t)(cap - 1)) {
            tnode *o = &e->nodes[tab[i]];
            if (node_equal(o, t)) {
                for (int q = 0; q < t->n_out; q++) repl[t->out0 + q] = o->out0 + q;
                t->dead = true;
                break;
            }
        }
        if (!t->dead) tab[i] = k;
    }
    for (int i = 0; i < e->n_out; i++) e->outs[i] = repl[e->outs[i]];
    free(repl);
    free(tab);
    mark_unused(e);
    return MX_OK;
}

static int live_nodes(const centry *e) {
    int n = 0;
    for (int k = 0; k < e->n_nodes; k++) n += !e->nodes[k].dead;
    return n;
}

/* ---- compile_fuse ---- */
#define FUSE_MAX_OPS 48

static bool fusable(const tnode *t) {
    if (t->dead || t->n_out != 1 || t->params_size || t->n_in > 3) return false;
    return (mx_prims[t->prim].flags & MX_PF_ELEMENTWISE) || t->prim == MX_PRIM_WHERE ||
           t->prim == MX_PRIM_ASTYPE || t->prim == MX_PRIM_BROADCAST;
}

static bool same_shape(const mx_meta *a, const mx_meta *b) {
    return a->ndim == b->ndim &&
           memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim) == 0;
}

typedef struct uses {
    int *start, *list; /* consumers of value v: list[start[v] .. start[v+1]) (node indices) */
    char *is_out;
} uses;

static mx_status build_uses(const centry *e, uses *u) {
    int nv = e->n_vals, total = 0;
    u->start = calloc((size_t)nv + 2, sizeof(int));
    u->is_out = calloc((size_t)nv + 1, 1);
    if (!u->start || !u->is_out) return mx_fail(MX_ERR_NOMEM, "[compile] out of memory");
    for (int k = 0; k < e->n_nodes; k++)
        if (!e->nodes[k].dead)
            for (int j = 0; j < e->nodes[k].n_in; j++) u->start[e->nodes[k].in[j] + 1]++, total++;
    for (int v = 0; v < nv; v++) u->start[v + 1] += u->start[v];
    u->list = malloc(sizeof(int) * (size_t)(total + 1));
    int *fill = calloc((size_t)nv + 1, sizeof(int));
    if (!u->list || !fill) {
        free(fill);
        return mx_fail(MX_ERR_NOMEM, "[compile] out of memory");
    }
    for (int k = 0; k < e->n_nodes; k++)
        if (!e->nodes[k].dead)
            for (int j = 0; j < e->nodes[k].n_in; j++) {
                int v = e->nodes[k].in[j];
                u->list[u->start[v] + fill[v]++] = k;
            }
    free(fill);
    for (int i = 0; i < e->n_out; i++) u->is_out[e->outs[i]] = 1;
    return MX_OK;
}

/* Turn the members of one group (ascending node indices, root last) into a FUSED node at the
 * root's place. */
static mx_status make_fused(centry *e, const int *mem, int n_mem) {
    tnode *root = &e->nodes[mem[n_mem - 1]];
    int ext[3 * FUSE_MAX_OPS], n_ext = 0;
    mx_fused_op ops[FUSE_MAX_OPS];
    uint8_t in_dt[3 * FUSE_MAX_OPS];
    for (int q = 0; q < n_mem; q++) {
        tnode *t = &e->nodes[mem[q]];
        mx_fused_op *op = &ops[q];
        memset(op, 0, sizeof *op);
        op->prim = t->prim;
        op->n_in = (uint8_t)t->n_in;
        op->dtype = (uint8_t)t->metas[0].dtype;
        for (int j = 0; j < t->n_in; j++) {
            int v = t->in[j], id = -1;
            for (int p = 0; p < q && id < 0; p++)
                if (e->nodes[mem[p]].out0 == v) id = p;
            if (id >= 0) {
                op->in[j] = -1 - id; /* patched below once n_ext is known */
                continue;
            }
            for (int x = 0; x < n_ext && id < 0; x++)
                if (ext[x] == v) id = x;
            if (id < 0) {
                id = n_ext;
                in_dt[n_ext] = (uint8_t)e->vals[v].m.dtype;
                ext[n_ext++] = v;
            }
            op->in[j] = id;
        }
    }
    for (int q = 0; q < n_mem; q++)
        for (int j = 0; j < ops[q].n_in; j++)
            if (ops[q].in[j] < 0) ops[q].in[j] = n_ext + (-1 - ops[q].in[j]);
    int32_t out_id = n_ext + n_mem - 1;
    mx_fused_desc d = {n_ext, n_mem, 1, in_dt, ops, &out_id, 0, NULL};
    const mx_fused_desc *di = mx_fused_intern(&d);
    int *ins = malloc(sizeof(int) * (size_t)(n_ext + 1));
    void *params = malloc(sizeof di);
    if (!di || !ins || !params) {
        free(ins), free(params);
        return mx_fail(MX_ERR_NOMEM, "[compile] out of memory");
    }
    memcpy(ins, ext, sizeof(int) * (size_t)n_ext);
    memcpy(params, &di, sizeof di);
    for (int q = 0; q < n_mem - 1; q++) e->nodes[mem[q]].dead = true;
    free(root->in);
    free(root->params);
    root->prim = MX_PRIM_FUSED;
    root->in = ins;
    root->n_in = n_ext;
    root->params = params;
    root->params_size = sizeof di;
    mx_compile_count(MX_CC_FUSED, 1);
    return MX_OK;
}

static mx_status compile_fuse(centry *e) {
    uses u = {0};
    mx_status rc = build_uses(e, &u);
    int *gid = malloc(sizeof(int) * (size_t)(e->n_nodes + 1));
    if (!gid && rc == MX_OK) rc = mx_fail(MX_ERR_NOMEM, "[compile] out of memory");
    for (int k = 0; rc == MX_OK && k < e->n_nodes; k++) gid[k] = -1;
    for (int r = e->n_nodes - 1; rc == MX_OK && r >= 0; r--) {
        tnode *root = &e->nodes[r];
        if (gid[r] != -1 || !fusable(root) || root->prim == MX_PRIM_BROADCAST) continue;
        int mem[FUSE_MAX_OPS], n_mem = 0, n_ops = 1, lo = r;
        gid[r] = r;
        for (int j = 0; j < root->n_in; j++) {
            const tval *v = &e->vals[root->in[j]];
            if (v->kind == V_NODE && v->idx < lo) lo = v->idx;
        }
        for (int i = r - 1; i >= lo && n_mem + 1 < FUSE_MAX_OPS; i--) {
            tnode *t = &e->nodes[i];
            if (gid[i] != -1 || !fusable(t) || u.is_out[t->out0]) continue;
            if (t->stream.index != root->stream.index || !same_shape(&t->metas[0], &root->metas[0]))
                continue;
            int a = u.start[t->out0], z = u.start[t->out0 + 1];
            bool ok = a < z;
            for (int q = a; q < z && ok; q++) {
                int cn = u.list[q];
                ok = gid[cn] == r && e->nodes[cn].prim != MX_PRIM_BROADCAST;
            }
            if (!ok) continue;
            gid[i] = r;
            mem[n_mem++] = i;
            if (t->prim != MX_PRIM_BROADCAST) n_ops++;
            for (int j = 0; j < t->n_in; j++) {
                const tval *v = &e->vals[t->in[j]];
                if (v->kind == V_NODE && v->idx < lo && t->prim != MX_PRIM_BROADCAST) lo = v->idx;
            }
        }
        if (n_ops < 2) {
            for (int q = 0; q < n_mem; q++) gid[mem[q]] = -2; /* tried; not fused */
            continue;
        }
        /* members ascending, root last */
        for (int a = 0, b = n_mem - 1; a < b; a++, b--) {
            int tmp = mem[a];
            mem[a] = mem[b];
            mem[b] = tmp;
        }
        mem[n_mem++] = r;
        rc = make_fused(e, mem, n_mem);
    }
    free(gid);
    free(u.start);
    free(u.list);
    free(u.is_out);
    return rc;
}

/* Can the tape be replayed for other shapes of the same ndims? Every node must be shape-following
 * (its output shape is the broadcast of its input shapes, as traced). */
static bool shape_following(const centry *e) {
    for (int k = 0; k < e->n_nodes; k++) {
        const tnode *t = &e->nodes[k];
        if (t->dead) continue;
        bool ok = t->n_out == 1 && t->n_in >= 1 &&
                  ((mx_prims[t->prim].flags & MX_PF_ELEMENTWISE) || t->prim == MX_PRIM_WHERE ||
                   t->prim == MX_PRIM_ASTYPE || t->prim == MX_PRIM_FUSED ||
                   t->prim == MX_PRIM_STOP_GRADIENT || t->prim == MX_PRIM_COPY);
        if (!ok) return false;
        int64_t sh[MX_MAX_DIMS];
        int nd = 0;
        for (int j = 0; j < t->n_in; j++) {
            const mx_meta *m = &e->vals[t->in[j]].m;
            if (mx_broadcast_shapes2("compile", sh, nd, m->shape, m->ndim, sh, &nd) != MX_OK) {
                mx_error_clear();
                return false;
            }
        }
        mx_meta b = t->metas[0];
        b.ndim = nd;
        memcpy(b.shape, sh, sizeof(int64_t) * (size_t)nd);
        if (!same_shape(&b, &t->metas[0])) return false;
    }
    return true;
}

/* ---- compile_replay ---- */
/* A COMPILED_CALL node running tape t (which it keeps alive) on `ins`. */
static mx_status make_call_node(mx_tape *t, mx_array *const *ins, int n_in, const mx_meta *metas,
                                int n_out, mx_stream s, mx_array **out) {
    MX_TRY(mx_node_make(MX_PRIM_COMPILED_CALL, &t, sizeof t, ins, n_in, metas, n_out, s, out));
    mx_tape_retain(t);
    out[0]->node->params_free = release_params;
    return MX_OK;
}

/* Build the live nodes of e on `in` and `consts` as new nodes: v[value id] (scope-owned). */
static mx_status replay_values(const centry *e, mx_array *const *in, mx_array *const *consts,
                               bool same_shapes, mx_array **v) {
    mx_status rc = MX_OK;
    for (int i = 0; i < e->n_vals; i++) {
        if (e->vals[i].kind == V_IN) v[i] = in[e->vals[i].idx];
        else if (e->vals[i].kind == V_CONST) v[i] = consts[e->vals[i].idx];
    }
    for (int k = 0; k < e->n_nodes && rc == MX_OK; k++) {
        const tnode *t = &e->nodes[k];
        if (t->dead) continue;
        mx_array *il[8], **ins = t->n_in <= 8 ? il : calloc((size_t)t->n_in, sizeof *ins);
        mx_meta ml[8], *metas = t->n_out <= 8 ? ml : calloc(t->n_out, sizeof *metas);
        if (!ins || !metas) rc = mx_fail(MX_ERR_NOMEM, "[compile] out of memory");
        for (int j = 0; rc == MX_OK && j < t->n_in; j++) ins[j] = v[t->in[j]];
        for (int i = 0; rc == MX_OK && i < t->n_out; i++) metas[i] = t->metas[i];
        if (rc == MX_OK && !same_shapes) { /* shape-following tape: NumPy broadcasting */
            int64_t sh[MX_MAX_DIMS];
            int nd = 0;
            for (int j = 0; j < t->n_in && rc == MX_OK; j++)
                rc = mx_broadcast_shapes2("compile", sh, nd, ins[j]->v.m.shape, ins[j]->v.m.ndim,
                                          sh, &nd);
            if (rc == MX_OK) {
                metas[0].ndim = nd;
                memcpy(metas[0].shape, sh, sizeof(int64_t) * (size_t)nd);
            }
            for (int j = 0; t->prim != MX_PRIM_FUSED && j < t->n_in && rc == MX_OK; j++)
                if (!(ins[j] = mx_broadcast_to(ins[j], sh, nd, t->stream))) rc = mx_error_status();
        }
        if (rc == MX_OK && t->prim == MX_PRIM_COMPILED_CALL) /* a nested compiled call */
            rc = make_call_node(param_tape(t->params), ins, t->n_in, metas, t->n_out, t->stream,
                                &v[t->out0]);
        else if (rc == MX_OK)
            rc = mx_node_make(t->prim, t->params, t->params_size, ins, t->n_in, metas, t->n_out,
                              t->stream, &v[t->out0]);
        if (ins != il) free(ins);
        if (metas != ml) free(metas);
    }
    return rc;
}

static mx_status compile_replay(const centry *e, mx_array *const *in, bool same_shapes,
                                mx_array **out) {
    mx_array **v = calloc((size_t)e->n_vals + 1, sizeof *v);
    MX_CHECK(v != NULL, MX_ERR_NOMEM, "[compile] out of memory");
    mx_scope sc = mx_scope_begin();
    mx_status rc = replay_values(e, in, e->consts, same_shapes, v);
    if (rc == MX_OK)
        for (int i = 0; i < e->n_out; i++) out[i] = mx_array_retain(v[e->outs[i]]);
    mx_scope_end(sc, NULL);
    if (rc == MX_OK)
        for (int i = 0; i < e->n_out; i++) mx_scope_track(out[i]);
    free(v);
    return rc;
}

mx_status mx_tape_expand(const mx_tape *t, mx_array *const *in, mx_array **out) {
    mx_array **v = calloc((size_t)t->n_vals + 1, sizeof *v);
    MX_CHECK(v != NULL, MX_ERR_NOMEM, "[compile] out of memory");
    mx_scope sc = mx_scope_begin();
    mx_status rc = replay_values(t, in, in + t->n_in, true, v);
    if (rc == MX_OK)
        for (int j = 0; j < t->n_call_out; j++) out[j] = mx_array_retain(v[t->call_vals[j]]);
    mx_scope_end(sc, NULL);
    if (rc == MX_OK)
        for (int j = 0; j < t->n_call_out; j++) mx_scope_track(out[j]);
    free(v);
    return rc;
}

/* ---- call nodes: a whole tape as one COMPILED_CALL node ---- */
static atomic_int call_mode = -1; /* -1: not read from the environment yet */

void mx_compile_set_call_nodes(int mode) { atomic_store(&call_mode, mode); }

int mx_compile_call_nodes(void) {
    int m = atomic_load(&call_mode);
    if (m < 0) {
        const char *ev = getenv("CMLX_CUDA_GRAPHS");
        int want = !ev ? 1 : strcmp(ev, "0") == 0 ? 0 : strcmp(ev, "always") == 0 ? 2 : 1;
        atomic_compare_exchange_strong(&call_mode, &m, want);
        m = atomic_load(&call_mode);
    }
    return m;
}

/* Decide once (the compiled function's lock held) whether e can run as one node: all its live
 * nodes on one stream; on a GPU stream every one with a device kernel or a pure view; in mode 1
 * only GPU streams and tapes of at least two device kernels (fewer gain nothing). */
static void plan_call(centry *e, int mode) {
    if (e->call_state) return;
    e->call_state = -1;
    const mx_device_backend *gpu = mx_gpu_backend();
    int live = 0, device = 0;
    mx_stream s = {0};
    for (int k = 0; k < e->n_nodes; k++) {
        const tnode *t = &e->nodes[k];
        if (t->dead) continue;
        if (live++ == 0) s = t->stream;
        if (t->stream.index != s.index || t->stream.device != s.device) return;
        bool meta = (mx_prims[t->prim].flags & MX_PF_META) != 0;
        if (s.device == MX_GPU && !meta && !(gpu && gpu->base.kernels[t->prim])) return;
        device += !meta;
    }
    if (live == 0 || (mode == 1 && (s.device != MX_GPU || !gpu || device < 2))) return;
    int *cv = malloc(sizeof(int) * (size_t)(e->n_out + 1)), n = 0;
    if (!cv) return;
    for (int i = 0; i < e->n_out; i++) {
        int v = e->outs[i];
        bool seen = e->vals[v].kind != V_NODE;
        for (int j = 0; j < n && !seen; j++) seen = cv[j] == v;
        if (!seen) cv[n++] = v;
    }
    if (n == 0 || n > 65535) {
        free(cv);
        return;
    }
    e->call_vals = cv;
    e->n_call_out = n;
    e->call_stream = s;
    e->call_state = 1;
}

static mx_status call_node(centry *e, mx_array *const *in, mx_array **out) {
    int n_all = e->n_in + e->n_consts;
    mx_array **ins = calloc((size_t)n_all + 1, sizeof *ins), **res = NULL;
    mx_meta *metas = calloc((size_t)e->n_call_out, sizeof *metas);
    res = calloc((size_t)e->n_call_out, sizeof *res);
    mx_status rc = ins && metas && res ? MX_OK : mx_fail(MX_ERR_NOMEM, "[compile] out of memory");
    mx_scope sc = mx_scope_begin();
    for (int i = 0; rc == MX_OK && i < e->n_in; i++) ins[i] = in[i];
    for (int k = 0; rc == MX_OK && k < e->n_consts; k++) ins[e->n_in + k] = e->consts[k];
    for (int j = 0; rc == MX_OK && j < e->n_call_out; j++) metas[j] = e->vals[e->call_vals[j]].m;
    if (rc == MX_OK)
        rc = make_call_node(e, ins, n_all, metas, e->n_call_out, e->call_stream, res);
    for (int i = 0; rc == MX_OK && i < e->n_out; i++) {
        const tval *tv = &e->vals[e->outs[i]];
        mx_array *r = NULL;
        if (tv->kind == V_IN) r = in[tv->idx];
        else if (tv->kind == V_CONST) r = e->consts[tv->idx];
        else
            for (int j = 0; j < e->n_call_out && !r; j++)
                if (e->call_vals[j] == e->outs[i]) r = res[j];
        out[i] = mx_array_retain(r);
    }
    mx_scope_end(sc, NULL);
    if (rc == MX_OK) {
        for (int i = 0; i < e->n_out; i++) mx_scope_track(out[i]);
        mx_compile_count(MX_CC_CALL_NODES, 1);
    }
    free(ins);
    free(metas);
    free(res);
    return rc;
}

/* ---- the cache and the API ---- */
mx_compiled *mx_compile(mx_func f, void *ctx, int shapeless) {
    MX_CHECK_NULL(f != NULL, MX_ERR_VALUE, "[compile] the function is NULL");
    mx_compiled *c = calloc(1, sizeof *c);
    MX_CHECK_NULL(c != NULL, MX_ERR_NOMEM, "[compile] out of memory");
    c->f = f;
    c->ctx = ctx;
    c->shapeless = shapeless != 0;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void mx_compiled_free(mx_compiled *c) {
    if (!c) return;
    for (centry *e = c->entries, *nx; e; e = nx) {
        nx = e->next;
        mx_tape_release(e); /* call nodes still queued keep their tape */
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static bool entry_matches(const centry *e, mx_array *const *in, int n_in, bool *same_shapes) {
    if (e->n_in != n_in) return false;
    bool same = true;
    for (int i = 0; i < n_in; i++) {
        const mx_meta *a = &e->in_m[i], *b = &in[i]->v.m;
        if (a->dtype != b->dtype || a->ndim != b->ndim) return false;
        if (memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim) != 0) same = false;
    }
    *same_shapes = same;
    return same || e->shape_free;
}

mx_status mx_compiled_call(mx_compiled *c, mx_array *const *in, int n_in, mx_array **out,
                           int *n_out, int max_out) {
    MX_CHECK(c != NULL, MX_ERR_VALUE, "[compile] the compiled function is NULL");
    MX_CHECK(n_in >= 0 && (in || n_in == 0), MX_ERR_VALUE, "[compile] invalid inputs");
    MX_CHECK(out != NULL && n_out != NULL && max_out >= 0, MX_ERR_VALUE,
             "[compile] invalid output arguments");
    for (int i = 0; i < n_in; i++)
        MX_CHECK(in[i] != NULL, MX_ERR_VALUE, "[compile] input %d is NULL", i);
    if (!mx_compile_enabled()) { /* f as the transforms call it; its outputs are handed over */
        *n_out = 0;
        int depth = mx_scope_suspend();
        mx_status rc = c->f(c->ctx, in, n_in, out, n_out, max_out);
        mx_scope_resume(depth);
        for (int i = 0; rc == MX_OK && i < *n_out && i < max_out; i++) mx_scope_track(out[i]);
        return rc;
    }
    centry *hit = NULL;
    bool same = true;
    pthread_mutex_lock(&c->mu);
    for (centry *e = c->entries; e && !hit; e = e->next)
        if (entry_matches(e, in, n_in, &same)) hit = e;
    pthread_mutex_unlock(&c->mu);
    if (hit) {
        MX_CHECK(hit->n_out <= max_out, MX_ERR_VALUE,
                 "[compile] the function returned %d outputs (at most %d)", hit->n_out, max_out);
        mx_compile_count(MX_CC_HITS, 1);
        int mode = mx_compile_call_nodes();
        if (mode && same && (mode == 2 || mx_tracing_depth == 0)) {
            pthread_mutex_lock(&c->mu);
            plan_call(hit, mode);
            pthread_mutex_unlock(&c->mu);
            if (hit->call_state > 0) {
                MX_TRY(call_node(hit, in, out));
                *n_out = hit->n_out;
                return MX_OK;
            }
        }
        MX_TRY(compile_replay(hit, in, same, out));
        *n_out = hit->n_out;
        return MX_OK;
    }
    bool outer = mx_tracing_depth > 0; /* constants may be an outer transform's tracers */
    centry *e = NULL;
    MX_TRY(compile_trace(c, in, n_in, max_out, &e));
    mx_compile_count(MX_CC_TRACES, 1);
    mx_status rc = compile_simplify(e);
    atomic_store(&last_tape_nodes, live_nodes(e));
    if (rc == MX_OK) rc = compile_fuse(e);
    atomic_store(&last_fused_nodes, live_nodes(e));
    if (rc == MX_OK) {
        e->shape_free = c->shapeless && shape_following(e);
        rc = compile_replay(e, in, true, out);
    }
    if (rc == MX_OK) *n_out = e->n_out;
    if (rc != MX_OK || outer) {
        mx_tape_release(e);
        return rc;
    }
    pthread_mutex_lock(&c->mu);
    e->next = c->entries;
    c->entries = e;
    pthread_mutex_unlock(&c->mu);
    return MX_OK;
}
