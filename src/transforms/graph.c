/* src/transforms/graph.c: the pointer map, graph recording and tracing shared by the
 * transforms (grad.c, vmap.c). */
#include <stdlib.h>
#include <string.h>

#include "graph.h"

/* ---- a pointer -> int map (open addressing) ---- */
static size_t phash(const void *p, size_t cap) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x & (cap - 1);
}

int mx_pmap_get(const pmap *m, const void *k) {
    if (!m->cap) return -1;
    for (size_t i = phash(k, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i]) return -1;
        if (m->keys[i] == k) return m->vals[i];
    }
}

bool mx_pmap_put(pmap *m, const void *k, int v) {
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        pmap nm = {calloc(cap, sizeof(void *)), calloc(cap, sizeof(int)), cap, 0};
        if (!nm.keys || !nm.vals) {
            free(nm.keys);
            free(nm.vals);
            return false;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) mx_pmap_put(&nm, m->keys[i], m->vals[i]);
        free(m->keys);
        free(m->vals);
        *m = nm;
    }
    for (size_t i = phash(k, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i]) {
            m->keys[i] = k;
            m->vals[i] = v;
            m->n++;
            return true;
        }
        if (m->keys[i] == k) {
            m->vals[i] = v;
            return true;
        }
    }
}

void mx_pmap_free(pmap *m) {
    free(m->keys);
    free(m->vals);
}

void mx_graph_free(graph *g) {
    for (int i = 0; i < g->n; i++) {
        free(g->recs[i].outs);
        free(g->recs[i].acc);
        free(g->recs[i].ax);
    }
    free(g->recs);
    free(g->order);
    mx_pmap_free(&g->node_idx);
    mx_pmap_free(&g->primal_idx);
}

/* The record of node n, made on first sight (-1: out of memory). *fresh tells which. */
static int rec_of(graph *g, mx_node *n, bool *fresh) {
    int k = mx_pmap_get(&g->node_idx, n);
    *fresh = k < 0;
    if (k >= 0) return k;
    if (g->n == g->cap) {
        int cap = g->cap ? g->cap * 2 : 64;
        rec *r = realloc(g->recs, (size_t)cap * sizeof *r);
        int *o = realloc(g->order, (size_t)cap * sizeof *o);
        if (r) g->recs = r;
        if (o) g->order = o;
        if (!r || !o) return -1;
        g->cap = cap;
    }
    rec *r = &g->recs[g->n];
    memset(r, 0, sizeof *r);
    r->node = n;
    r->outs = calloc(n->n_out, sizeof(mx_array *));
    r->acc = calloc(n->n_out, sizeof(mx_array *));
    r->ax = calloc(n->n_out, sizeof(int));
    if (!r->outs || !r->acc || !r->ax || !mx_pmap_put(&g->node_idx, n, g->n)) return -1;
    return g->n++;
}

int mx_graph_primal(graph *g, mx_array *h) { return mx_pmap_get(&g->primal_idx, h); }

/* Is handle h a primal, or made by a node that depends on one? */
bool mx_graph_depends(graph *g, mx_array *h) {
    if (mx_graph_primal(g, h) >= 0) return true;
    if (!h->node) return false;
    int k = mx_pmap_get(&g->node_idx, h->node);
    return k >= 0 && g->recs[k].dep;
}

/* Visit handle h: record it as an output of its node; returns 1 if its node must be explored. */
static int visit(graph *g, mx_array *h, mx_status *rc) {
    if (!h->node || mx_graph_primal(g, h) >= 0) return 0;
    bool fresh;
    int k = rec_of(g, h->node, &fresh);
    if (k < 0) {
        *rc = mx_fail(MX_ERR_NOMEM, "[grad] out of memory");
        return 0;
    }
    g->recs[k].outs[h->out_idx] = h;
    return fresh;
}

/* Post-order DFS from the outputs over unevaluated or traced nodes. */
mx_status mx_graph_build(graph *g, mx_array *const *outs, int n_outs) {
    typedef struct {
        mx_node *n;
        int      next;
    } frame;
    size_t cap = 64, sp = 0;
    frame *st = malloc(cap * sizeof *st);
    mx_status rc = MX_OK;
    if (!st) return mx_fail(MX_ERR_NOMEM, "[grad] out of memory");
    for (int k = 0; k < n_outs && rc == MX_OK; k++) {
        if (!visit(g, outs[k], &rc)) continue;
        st[sp++] = (frame){outs[k]->node, 0};
        while (sp && rc == MX_OK) {
            frame *f = &st[sp - 1];
            mx_node *n = f->n;
            if (n->in && f->next < n->n_in) {
                mx_array *c = n->in[f->next++];
                if (!visit(g, c, &rc)) continue;
                if (sp == cap) {
                    frame *ns = realloc(st, 2 * cap * sizeof *ns);
                    if (!ns) {
                        rc = mx_fail(MX_ERR_NOMEM, "[grad] out of memory");
                        break;
                    }
                    st = ns;
                    cap *= 2;
                }
                st[sp++] = (frame){c->node, 0};
                continue;
            }
            int me = mx_pmap_get(&g->node_idx, n);
            bool dep = false;
            for (int i = 0; n->in && i < n->n_in; i++) dep |= mx_graph_depends(g, n->in[i]);
            g->recs[me].dep = dep;
            g->order[g->n_order++] = me;
            sp--;
        }
    }
    free(st);
    return rc;
}

mx_status mx_graph_trace(mx_func f, void *ctx, mx_array *const *primals, int n, int max_out,
                       traced *t, graph *g, const char *op) {
    t->tracers = calloc((size_t)n + 1, sizeof(mx_array *));
    t->outs = calloc((size_t)max_out + 1, sizeof(mx_array *));
    MX_CHECK(t->tracers && t->outs, MX_ERR_NOMEM, "[%s] out of memory", op);
    mx_tracing_depth++;
    mx_status rc = MX_OK;
    for (int i = 0; i < n && rc == MX_OK; i++) {
        MX_CHECK(primals[i] != NULL, MX_ERR_VALUE, "[%s] primal %d is NULL", op, i);
        t->tracers[i] = mx_node_make1(MX_PRIM_IDENTITY, NULL, 0, &primals[i], 1,
                                      &primals[i]->v.m, MX_DEFAULT_STREAM);
        if (!t->tracers[i]) rc = mx_error_status();
        else mx_pmap_put(&g->primal_idx, t->tracers[i], i);
    }
    if (rc == MX_OK) {
        t->n_out = 0;
        int depth = mx_scope_suspend(); /* f owns what it makes; it hands us its outputs */
        rc = f(ctx, t->tracers, n, t->outs, &t->n_out, max_out);
        mx_scope_resume(depth);
        if (rc == MX_OK && (t->n_out < 0 || t->n_out > max_out))
            rc = mx_fail(MX_ERR_VALUE, "[%s] the function returned %d outputs (at most %d)", op,
                         t->n_out, max_out);
        for (int i = 0; rc == MX_OK && i < t->n_out; i++)
            if (!t->outs[i]) rc = mx_fail(MX_ERR_VALUE, "[%s] output %d of the function is NULL", op, i);
        /* the outputs were handed to us: let the transform's scope own them */
        for (int i = 0; i < t->n_out && i <= max_out; i++)
            if (t->outs[i]) mx_scope_track(t->outs[i]);
    }
    mx_tracing_depth--;
    return rc;
}

