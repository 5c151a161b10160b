/* src/transforms/vmap.c: vectorising map. f is traced once on per-example tracers (slices of the
 * inputs along their mapped axes), then its recorded graph is replayed on the batched inputs:
 * each node whose inputs are batched goes through its primitive's vmap rule, which returns the
 * batched outputs and where their batch axis is. Unbatched parts of the graph are left as traced.
 */
#include <stdlib.h>
#include <string.h>

#include "graph.h"

static mx_array *move_axis(mx_array *x, int from, int to, mx_stream s) {
    int nd = x->v.m.ndim, perm[MX_MAX_DIMS], k = 0;
    if (from == to) return x;
    for (int i = 0; i < nd; i++)
        if (i != from) perm[k++] = i;
    memmove(&perm[to + 1], &perm[to], sizeof(int) * (size_t)(nd - 1 - to));
    perm[to] = from;
    return mx_transpose(x, perm, nd, s);
}

mx_status mx_vmap(mx_func f, void *ctx, mx_array *const *inputs, int n_inputs, const int *in_axes,
                  const int *out_axes, mx_array **outputs, int *n_outputs, int max_outputs) {
    MX_CHECK(f != NULL, MX_ERR_VALUE, "[vmap] the function is NULL");
    int64_t B = -1;
    int *ax = calloc((size_t)n_inputs + 1, sizeof(int));
    MX_CHECK(ax != NULL, MX_ERR_NOMEM, "[vmap] out of memory");
    mx_status rc = MX_OK;
    for (int i = 0; i < n_inputs && rc == MX_OK; i++) {
        ax[i] = in_axes ? in_axes[i] : 0;
        if (!inputs[i]) {
            rc = mx_fail(MX_ERR_VALUE, "[vmap] input %d is NULL", i);
            break;
        }
        if (ax[i] < 0) {
            ax[i] = -1;
            continue;
        }
        int nd = inputs[i]->v.m.ndim;
        if (ax[i] >= nd) {
            rc = mx_fail(MX_ERR_VALUE, "[vmap] axis %d is out of bounds for input %d with %d dimensions",
                         ax[i], i, nd);
            break;
        }
        int64_t b = inputs[i]->v.m.shape[ax[i]];
        if (B >= 0 && b != B)
            rc = mx_fail(MX_ERR_VALUE, "[vmap] inconsistent sizes for the mapped axes: %lld and %lld",
                         (long long)B, (long long)b);
        B = b;
    }
    if (rc == MX_OK && B < 0) rc = mx_fail(MX_ERR_VALUE, "[vmap] at least one input must be mapped");
    if (rc != MX_OK) {
        free(ax);
        return rc;
    }
    mx_stream s = MX_DEFAULT_STREAM;
    mx_scope sc = mx_scope_begin();
    /* per-example stand-ins: element 0 along the mapped axis (never evaluated for real) */
    mx_array **ex = calloc((size_t)n_inputs + 1, sizeof *ex);
    for (int i = 0; ex && i < n_inputs && rc == MX_OK; i++) {
        if (ax[i] < 0) {
            ex[i] = inputs[i];
            continue;
        }
        int64_t st[MX_MAX_DIMS], en[MX_MAX_DIMS];
        for (int d = 0; d < inputs[i]->v.m.ndim; d++) st[d] = en[d] = MX_SLICE_NONE;
        st[ax[i]] = 0;
        en[ax[i]] = 1;
        ex[i] = mx_squeeze(mx_slice(inputs[i], st, en, NULL, s), &ax[i], 1, s);
        if (!ex[i]) rc = mx_error_status();
    }
    if (!ex) rc = mx_fail(MX_ERR_NOMEM, "[vmap] out of memory");
    graph g = {0};
    traced t = {0};
    mx_tracing_depth++;
    if (rc == MX_OK) rc = mx_graph_trace(f, ctx, ex, n_inputs, max_outputs, &t, &g, "vmap");
    if (rc == MX_OK) rc = mx_graph_build(&g, t.outs, t.n_out);
    const mx_rules *R = mx_grad_rules();
    /* replay */
    for (int oi = 0; rc == MX_OK && oi < g.n_order; oi++) {
        rec *r = &g.recs[g.order[oi]];
        mx_node *n = r->node;
        if (!r->dep) continue;
        mx_array *il[8], **in = n->n_in <= 8 ? il : calloc((size_t)n->n_in, sizeof *in);
        int al[8], *iax = n->n_in <= 8 ? al : calloc((size_t)n->n_in, sizeof *iax);
        if (!in || !iax) {
            rc = mx_fail(MX_ERR_NOMEM, "[vmap] out of memory");
            break;
        }
        for (int j = 0; j < n->n_in; j++) {
            mx_array *h = n->in[j];
            int p = mx_graph_primal(&g, h), k;
            in[j] = h;
            iax[j] = -1;
            if (p >= 0) {
                in[j] = inputs[p];
                iax[j] = ax[p];
            } else if (h->node && (k = mx_pmap_get(&g.node_idx, h->node)) >= 0 && g.recs[k].dep) {
                in[j] = g.recs[k].acc[h->out_idx];
                iax[j] = g.recs[k].ax[h->out_idx];
            }
        }
        bool any_batched = false;
        for (int j = 0; j < n->n_in; j++) any_batched |= iax[j] >= 0;
        if (!any_batched) { /* nothing batched reaches this node: it stays as traced */
            for (int i = 0; i < n->n_out; i++) {
                r->acc[i] = mx_node_output(&(mx_grad_ctx){n, n->in, r->outs, n->n_in, n->n_out, n->stream}, i);
                r->ax[i] = -1;
            }
        } else if (!R->vmap[n->prim])
            rc = mx_fail(MX_ERR_UNSUPPORTED, "[vmap] the primitive '%s' has no vmap rule",
                         mx_prims[n->prim].name);
        else {
            mx_grad_ctx c = {n, n->in, r->outs, n->n_in, n->n_out, n->stream};
            mx_error_clear();
            rc = R->vmap[n->prim](&c, in, iax, r->acc, r->ax);
            for (int i = 0; rc == MX_OK && i < n->n_out; i++)
                if (!r->acc[i]) rc = mx_fail(MX_ERR_INTERNAL, "[vmap] rule of '%s' gave no output",
                                             mx_prims[n->prim].name);
        }
        if (in != il) free(in);
        if (iax != al) free(iax);
    }
    mx_array **res = calloc((size_t)t.n_out + 1, sizeof *res);
    if (!res && rc == MX_OK) rc = mx_fail(MX_ERR_NOMEM, "[vmap] out of memory");
    for (int i = 0; rc == MX_OK && i < t.n_out; i++) {
        mx_array *o = t.outs[i], *b = NULL;
        int a = -1, p = mx_graph_primal(&g, o), k;
        if (p >= 0) {
            b = inputs[p];
            a = ax[p];
        } else if (o->node && (k = mx_pmap_get(&g.node_idx, o->node)) >= 0 && g.recs[k].dep) {
            b = g.recs[k].acc[o->out_idx];
            a = g.recs[k].ax[o->out_idx];
        }
        if (a < 0) { /* unbatched: broadcast to a batch in front */
            a = 0;
            b = mx_batch_front(p >= 0 ? inputs[p] : o, -1, B, s);
        }
        int want = out_axes ? out_axes[i] : 0;
        if (b && (want < 0 || want >= b->v.m.ndim)) {
            rc = mx_fail(MX_ERR_VALUE, "[vmap] out_axes %d is out of bounds for output %d with %d dimensions",
                         want, i, b->v.m.ndim);
            break;
        }
        res[i] = b ? move_axis(b, a, want, s) : NULL;
        if (!res[i]) rc = mx_error_status();
    }
    mx_tracing_depth--;
    if (rc == MX_OK) {
        for (int i = 0; i < t.n_out; i++) outputs[i] = mx_array_retain(res[i]);
        *n_outputs = t.n_out;
    }
    mx_scope_end(sc, NULL);
    if (rc == MX_OK)
        for (int i = 0; i < t.n_out; i++) mx_scope_track(outputs[i]);
    free(res);
    free(ex);
    free(ax);
    free(t.tracers);
    free(t.outs);
    mx_graph_free(&g);
    return rc;
}

/* ---- helpers for vmap rules ---- */
mx_array *mx_batch_front(mx_array *x, int ax, int64_t B, mx_stream s) {
    if (!x) return NULL;
    if (ax >= 0) return move_axis(x, ax, 0, s);
    int64_t sh[MX_MAX_DIMS];
    MX_CHECK_NULL(x->v.m.ndim < MX_MAX_DIMS, MX_ERR_VALUE, "[vmap] too many dimensions");
    sh[0] = B;
    memcpy(sh + 1, x->v.m.shape, sizeof(int64_t) * (size_t)x->v.m.ndim);
    return mx_broadcast_to(x, sh, x->v.m.ndim + 1, s);
}

int64_t mx_vmap_batch(mx_array *const *in, const int *ax, int n) {
    for (int j = 0; j < n; j++)
        if (ax[j] >= 0) return in[j]->v.m.shape[ax[j]];
    return 1;
}

mx_status mx_vmap_remake(const mx_grad_ctx *c, const void *params, mx_array *const *in, int64_t B,
                         mx_array **out, int *out_ax) {
    const mx_node *n = c->node;
    mx_meta ml[8], *metas = n->n_out <= 8 ? ml : calloc(n->n_out, sizeof *metas);
    MX_CHECK(metas != NULL, MX_ERR_NOMEM, "[vmap] out of memory");
    mx_status rc = MX_OK;
    for (int i = 0; i < n->n_out; i++) {
        metas[i] = n->out[i].m;
        if (metas[i].ndim >= MX_MAX_DIMS) rc = mx_fail(MX_ERR_VALUE, "[vmap] too many dimensions");
        memmove(metas[i].shape + 1, metas[i].shape, sizeof(int64_t) * (size_t)metas[i].ndim);
        metas[i].shape[0] = B;
        metas[i].ndim++;
        out_ax[i] = 0;
    }
    if (rc == MX_OK) rc = mx_node_make(n->prim, params, n->params_size, in, n->n_in, metas, n->n_out,
                                       c->s, out);
    if (metas != ml) free(metas);
    return rc;
}

mx_status mx_vmap_elementwise(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                              mx_array **out, int *out_ax) {
    int64_t B = mx_vmap_batch(in, ax, c->n_in);
    mx_array *bl[8], **b = c->n_in <= 8 ? bl : calloc((size_t)c->n_in, sizeof *b);
    MX_CHECK(b != NULL, MX_ERR_NOMEM, "[vmap] out of memory");
    mx_status rc = MX_OK;
    for (int j = 0; j < c->n_in && rc == MX_OK; j++) {
        b[j] = mx_batch_front(in[j], ax[j], B, c->s);
        if (!b[j]) rc = mx_error_status();
    }
    if (rc == MX_OK) rc = mx_vmap_remake(c, c->node->params, b, B, out, out_ax);
    if (b != bl) free(b);
    return rc;
}
