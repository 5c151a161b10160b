/* src/transforms/graph.h: what the transforms share: a pointer map, the recorded graph of a
 * traced function (nodes that depend on its inputs, in topological order) and tracing. */
#ifndef MX_TRANSFORMS_GRAPH_H
#define MX_TRANSFORMS_GRAPH_H

#include "mx/transforms.h"
#include "rules.h"

typedef struct pmap {
    const void **keys;
    int         *vals;
    size_t       cap, n;
} pmap;

int  mx_pmap_get(const pmap *m, const void *k); /* -1 when absent */
bool mx_pmap_put(pmap *m, const void *k, int v);
void mx_pmap_free(pmap *m);

/* ---- the recorded graph ---- */
typedef struct rec {
    mx_node   *node;
    mx_array **outs; /* n_out handles (NULL if not seen) */
    mx_array **acc;  /* n_out accumulated cotangents/tangents (vmap: batched outputs) */
    int       *ax;   /* vmap: batch axis of acc[i] */
    bool       dep;  /* depends on a primal */
} rec;

typedef struct graph {
    rec  *recs;
    int   n, cap;
    int  *order; /* rec indices in post order (a valid evaluation order) */
    int   n_order;
    pmap  node_idx;   /* node -> rec index */
    pmap  primal_idx; /* primal tracer handle -> primal index */
} graph;

/* ---- tracing ---- */
typedef struct traced {
    mx_array **tracers; /* identity copies of the primals (scope-owned) */
    mx_array **outs;    /* f's outputs (owned by the scope after adoption) */
    int        n_out;
} traced;

void      mx_graph_free(graph *g);
int       mx_graph_primal(graph *g, mx_array *h);   /* primal index of a tracer, or -1 */
bool      mx_graph_depends(graph *g, mx_array *h);  /* h is a primal or made from one */
/* Record the nodes reachable from outs (post order in g->order; dependence in rec.dep). */
mx_status mx_graph_build(graph *g, mx_array *const *outs, int n_outs);
/* Run f on identity copies of inputs (primal tracers registered in g) while tracing. The copies
 * are made from `inputs` (may differ from what f sees for vmap). */
mx_status mx_graph_trace(mx_func f, void *ctx, mx_array *const *primals, int n, int max_out,
                         traced *t, graph *g, const char *op);

#endif
