/* src/transforms/grad.c: reverse and forward mode differentiation over the lazy graph.
 *
 *  trace      run f on identity copies of the primals while tracing (nodes keep their inputs)
 *  build      post-order DFS from the outputs; records the nodes that depend on a primal, in
 *             topological order, with the handles of their outputs
 *  backward   (vjp) walk the records in reverse, accumulating cotangents with mx_add
 *  forward    (jvp) walk them in order, pushing tangents through each rule
 * Everything intermediate lives in one scope; only the results are kept.
 */
#include <stdlib.h>
#include <string.h>

#include "graph.h"

/* acc += v (both scope-owned); NULL acc means zero */
static mx_status accumulate(mx_array **acc, mx_array *v, mx_stream s) {
    if (!v) return MX_OK;
    *acc = *acc ? mx_add(*acc, v, s) : v;
    return *acc ? MX_OK : mx_error_status();
}

static mx_status backward(graph *g, mx_array **primal_grads, mx_stream s) {
    const mx_rules *R = mx_grad_rules();
    for (int oi = g->n_order - 1; oi >= 0; oi--) {
        rec *r = &g->recs[g->order[oi]];
        mx_node *n = r->node;
        bool any = false;
        for (int i = 0; i < n->n_out; i++) any |= r->acc[i] != NULL;
        if (!r->dep || !any) continue;
        if (mx_prims[n->prim].flags & MX_PF_NO_GRAD) continue; /* integer results: zero */
        if (!R->vjp[n->prim])
            return mx_fail(MX_ERR_UNSUPPORTED, "[vjp] the primitive '%s' has no derivative",
                           mx_prims[n->prim].name);
        mx_array *cot_local[8], **cot = n->n_out <= 8 ? cot_local : calloc(n->n_out, sizeof *cot);
        mx_array *gr_local[8], **grads = n->n_in <= 8 ? gr_local : calloc((size_t)n->n_in, sizeof *grads);
        bool w_local[8], *wanted = n->n_in <= 8 ? w_local : calloc((size_t)n->n_in, sizeof *wanted);
        if (!cot || !grads || !wanted) return mx_fail(MX_ERR_NOMEM, "[vjp] out of memory");
        mx_status rc = MX_OK;
        for (int i = 0; i < n->n_out && rc == MX_OK; i++) {
            cot[i] = r->acc[i] ? r->acc[i] : mx_zeros_meta(&n->out[i].m, s);
            if (!cot[i]) rc = mx_error_status();
        }
        for (int j = 0; j < n->n_in; j++) {
            grads[j] = NULL;
            wanted[j] = mx_graph_depends(g, n->in[j]);
        }
        mx_grad_ctx c = {n, n->in, r->outs, n->n_in, n->n_out, n->stream};
        mx_error_clear(); /* rules report failure through the error state */
        if (rc == MX_OK) rc = R->vjp[n->prim](&c, cot, wanted, grads);
        for (int j = 0; j < n->n_in && rc == MX_OK; j++) {
            if (!wanted[j] || !grads[j]) continue;
            mx_array *x = n->in[j];
            int p = mx_graph_primal(g, x);
            if (p >= 0) rc = accumulate(&primal_grads[p], grads[j], s);
            else {
                int k = mx_pmap_get(&g->node_idx, x->node);
                rc = accumulate(&g->recs[k].acc[x->out_idx], grads[j], s);
            }
        }
        if (cot != cot_local) free(cot);
        if (grads != gr_local) free(grads);
        if (wanted != w_local) free(wanted);
        MX_TRY(rc);
    }
    return MX_OK;
}

/* Results survive the transform's scope: one reference each, given to the caller (or to the
 * caller's own open scope, as every op does) once that scope has ended. */
static void keep_results(mx_array **arr, int n) {
    for (int i = 0; i < n; i++) mx_array_retain(arr[i]);
}
static void hand_over(mx_array **arr, int n) {
    for (int i = 0; i < n; i++) mx_scope_track(arr[i]);
}

/* ones_first: value_and_grad's cotangents (ones for output 0, which must be a scalar) */
static mx_status vjp_impl(mx_func f, void *ctx, mx_array *const *primals, int n_primals,
                          mx_array *const *cotangents_in, int n_cotangents, mx_array **outputs,
                          int *n_outputs, int max_outputs, mx_array **vjps, int ones_first) {
    MX_CHECK(f != NULL, MX_ERR_VALUE, "[vjp] the function is NULL");
    graph g = {0};
    traced t = {0};
    mx_stream s = MX_DEFAULT_STREAM;
    mx_scope sc = mx_scope_begin();
    mx_tracing_depth++; /* rules and accumulation build graph that later nested transforms read */
    mx_status rc = mx_graph_trace(f, ctx, primals, n_primals, max_outputs, &t, &g,
                         ones_first ? "value_and_grad" : "vjp");
    mx_array **ones = NULL;
    mx_array *const *cotangents = cotangents_in;
    if (rc == MX_OK && ones_first) {
        if (t.n_out < 1)
            rc = mx_fail(MX_ERR_VALUE, "[value_and_grad] the function must return at least one array");
        else if (mx_array_size(t.outs[0]) != 1) {
            char sa[256];
            rc = mx_fail(MX_ERR_VALUE,
                         "[value_and_grad] the function must return a scalar as its first output, got an array of shape %s",
                         mx_shape_str(t.outs[0]->v.m.shape, t.outs[0]->v.m.ndim, sa, sizeof sa));
        } else if (!(ones = calloc((size_t)t.n_out, sizeof *ones)))
            rc = mx_fail(MX_ERR_NOMEM, "[value_and_grad] out of memory");
        else if (!(ones[0] = mx_ones_like(t.outs[0], MX_DTYPE_AUTO, s)))
            rc = mx_error_status();
        cotangents = ones;
        n_cotangents = t.n_out;
    }
    if (rc == MX_OK && n_cotangents != t.n_out)
        rc = mx_fail(MX_ERR_VALUE, "[vjp] got %d cotangents for %d outputs", n_cotangents, t.n_out);
    for (int i = 0; rc == MX_OK && i < t.n_out; i++) {
        if (!cotangents[i]) continue;
        char sa[256], sb[256];
        if (!mx_meta_equal(&cotangents[i]->v.m, &t.outs[i]->v.m) &&
            !(cotangents[i]->v.m.ndim == t.outs[i]->v.m.ndim &&
              memcmp(cotangents[i]->v.m.shape, t.outs[i]->v.m.shape, sizeof(int64_t) * (size_t)t.outs[i]->v.m.ndim) == 0))
            rc = mx_fail(MX_ERR_VALUE, "[vjp] cotangent %d has shape %s but the output has shape %s", i,
                         mx_shape_str(cotangents[i]->v.m.shape, cotangents[i]->v.m.ndim, sa, sizeof sa),
                         mx_shape_str(t.outs[i]->v.m.shape, t.outs[i]->v.m.ndim, sb, sizeof sb));
    }
    if (rc == MX_OK) rc = mx_graph_build(&g, t.outs, t.n_out);
    mx_array **pg = calloc((size_t)n_primals + 1, sizeof *pg);
    if (!pg && rc == MX_OK) rc = mx_fail(MX_ERR_NOMEM, "[vjp] out of memory");
    for (int i = 0; rc == MX_OK && i < t.n_out; i++) {
        mx_array *o = t.outs[i], *c = cotangents[i];
        if (!c) continue;
        int p = mx_graph_primal(&g, o);
        if (p >= 0) rc = accumulate(&pg[p], c, s);
        else if (o->node) {
            int k = mx_pmap_get(&g.node_idx, o->node);
            rc = accumulate(&g.recs[k].acc[o->out_idx], c, s);
        }
    }
    if (rc == MX_OK) rc = backward(&g, pg, s);
    for (int i = 0; rc == MX_OK && i < n_primals; i++) {
        if (!pg[i]) pg[i] = mx_zeros_like(primals[i], MX_DTYPE_AUTO, s);
        else if (pg[i]->v.m.dtype != primals[i]->v.m.dtype) pg[i] = mx_astype(pg[i], primals[i]->v.m.dtype, s);
        if (!pg[i]) rc = mx_error_status();
    }
    mx_tracing_depth--;
    if (rc == MX_OK) {
        for (int i = 0; i < t.n_out; i++) outputs[i] = t.outs[i];
        *n_outputs = t.n_out;
        for (int i = 0; i < n_primals; i++) vjps[i] = pg[i];
        keep_results(outputs, t.n_out);
        keep_results(vjps, n_primals);
    }
    mx_scope_end(sc, NULL);
    if (rc == MX_OK) {
        hand_over(outputs, t.n_out);
        hand_over(vjps, n_primals);
    }
    free(ones);
    free(pg);
    free(t.tracers);
    free(t.outs);
    mx_graph_free(&g);
    return rc;
}

mx_status mx_vjp(mx_func f, void *ctx, mx_array *const *primals, int n_primals,
                 mx_array *const *cotangents, int n_cotangents, mx_array **outputs,
                 int *n_outputs, int max_outputs, mx_array **vjps) {
    return vjp_impl(f, ctx, primals, n_primals, cotangents, n_cotangents, outputs, n_outputs,
                    max_outputs, vjps, 0);
}

static mx_status forward(graph *g, mx_array *const *tangents, mx_stream s) {
    const mx_rules *R = mx_grad_rules();
    for (int oi = 0; oi < g->n_order; oi++) {
        rec *r = &g->recs[g->order[oi]];
        mx_node *n = r->node;
        if (!r->dep) continue;
        mx_array *tl[8], **tan = n->n_in <= 8 ? tl : calloc((size_t)n->n_in, sizeof *tan);
        if (!tan) return mx_fail(MX_ERR_NOMEM, "[jvp] out of memory");
        bool any = false;
        for (int j = 0; j < n->n_in; j++) {
            mx_array *x = n->in[j];
            int p = mx_graph_primal(g, x);
            tan[j] = NULL;
            if (p >= 0) tan[j] = tangents[p];
            else if (x->node) {
                int k = mx_pmap_get(&g->node_idx, x->node);
                if (k >= 0) tan[j] = g->recs[k].acc[x->out_idx];
            }
            any |= tan[j] != NULL;
        }
        mx_status rc = MX_OK;
        if (mx_prims[n->prim].flags & MX_PF_NO_GRAD) any = false;
        if (any) {
            if (!R->jvp[n->prim])
                rc = mx_fail(MX_ERR_UNSUPPORTED, "[jvp] the primitive '%s' has no derivative",
                             mx_prims[n->prim].name);
            else {
                mx_grad_ctx c = {n, n->in, r->outs, n->n_in, n->n_out, n->stream};
                mx_error_clear();
                rc = R->jvp[n->prim](&c, tan, r->acc);
            }
        }
        if (tan != tl) free(tan);
        MX_TRY(rc);
    }
    return MX_OK;
}

mx_status mx_jvp(mx_func f, void *ctx, mx_array *const *primals, int n_primals,
                 mx_array *const *tangents, mx_array **outputs, int *n_outputs, int max_outputs,
                 mx_array **jvps) {
    MX_CHECK(f != NULL, MX_ERR_VALUE, "[jvp] the function is NULL");
    for (int i = 0; i < n_primals; i++) {
        if (!tangents[i] || !primals[i]) continue;
        char sa[256], sb[256];
        MX_CHECK(tangents[i]->v.m.ndim == primals[i]->v.m.ndim &&
                     memcmp(tangents[i]->v.m.shape, primals[i]->v.m.shape,
                            sizeof(int64_t) * (size_t)primals[i]->v.m.ndim) == 0,
                 MX_ERR_VALUE, "[jvp] tangent %d has shape %s but the primal has shape %s", i,
                 mx_shape_str(tangents[i]->v.m.shape, tangents[i]->v.m.ndim, sa, sizeof sa),
                 mx_shape_str(primals[i]->v.m.shape, primals[i]->v.m.ndim, sb, sizeof sb));
    }
    graph g = {0};
    traced t = {0};
    mx_stream s = MX_DEFAULT_STREAM;
    mx_scope sc = mx_scope_begin();
    mx_tracing_depth++;
    mx_status rc = mx_graph_trace(f, ctx, primals, n_primals, max_outputs, &t, &g, "jvp");
    if (rc == MX_OK) rc = mx_graph_build(&g, t.outs, t.n_out);
    if (rc == MX_OK) rc = forward(&g, tangents, s);
    mx_array **res = calloc((size_t)t.n_out + 1, sizeof *res);
    if (!res && rc == MX_OK) rc = mx_fail(MX_ERR_NOMEM, "[jvp] out of memory");
    for (int i = 0; rc == MX_OK && i < t.n_out; i++) {
        mx_array *o = t.outs[i];
        int p = mx_graph_primal(&g, o);
        if (p >= 0) res[i] = tangents[p];
        else if (o->node) {
            int k = mx_pmap_get(&g.node_idx, o->node);
            res[i] = k >= 0 ? g.recs[k].acc[o->out_idx] : NULL;
        }
        if (!res[i]) res[i] = mx_zeros_like(o, MX_DTYPE_AUTO, s);
        if (!res[i]) rc = mx_error_status();
    }
    mx_tracing_depth--;
    if (rc == MX_OK) {
        for (int i = 0; i < t.n_out; i++) {
            outputs[i] = t.outs[i];
            jvps[i] = res[i];
        }
        *n_outputs = t.n_out;
        keep_results(outputs, t.n_out);
        keep_results(jvps, t.n_out);
    }
    mx_scope_end(sc, NULL);
    if (rc == MX_OK) {
        hand_over(outputs, t.n_out);
        hand_over(jvps, t.n_out);
    }
    free(res);
    free(t.tracers);
    free(t.outs);
    mx_graph_free(&g);
    return rc;
}

/* value_and_grad = vjp with a ones cotangent on output 0, restricted to argnums */
typedef struct vg_ctx {
    mx_func     f;
    void       *ctx;
    mx_array  **all;    /* every primal (borrowed) */
    const int  *argnums;
    int         n_arg, n_all;
} vg_ctx;

static mx_status vg_call(void *c, mx_array *const *in, int n_in, mx_array **out, int *n_out,
                         int max_out) {
    vg_ctx *v = c;
    mx_array *loc[16] = {0}, **args = v->n_all <= 16 ? loc : calloc((size_t)v->n_all, sizeof *args);
    MX_CHECK(args != NULL, MX_ERR_NOMEM, "[value_and_grad] out of memory");
    for (int i = 0; i < v->n_all; i++) args[i] = v->all[i];
    for (int k = 0; k < n_in; k++) args[v->argnums[k]] = in[k];
    mx_status rc = v->f(v->ctx, args, v->n_all, out, n_out, max_out);
    if (args != loc) free(args);
    return rc;
}

mx_status mx_value_and_grad(mx_func f, void *ctx, mx_array *const *primals, int n_primals,
                            const int *argnums, int n_argnums, mx_array **outputs, int *n_outputs,
                            int max_outputs, mx_array **grads) {
    static const int zero = 0;
    if (!argnums) {
        argnums = &zero;
        n_argnums = 1;
    }
    MX_CHECK(n_primals > 0, MX_ERR_VALUE, "[value_and_grad] the function needs at least one argument");
    MX_CHECK(n_argnums > 0, MX_ERR_VALUE, "[value_and_grad] argnums is empty");
    for (int k = 0; k < n_argnums; k++) {
        MX_CHECK(argnums[k] >= 0 && argnums[k] < n_primals, MX_ERR_VALUE,
                 "[value_and_grad] argnum %d is out of range for %d arguments", argnums[k], n_primals);
        for (int j = 0; j < k; j++)
            MX_CHECK(argnums[j] != argnums[k], MX_ERR_VALUE, "[value_and_grad] repeated argnum %d",
                     argnums[k]);
    }
    mx_array **sel = calloc((size_t)n_argnums, sizeof *sel);
    MX_CHECK(sel != NULL, MX_ERR_NOMEM, "[value_and_grad] out of memory");
    for (int k = 0; k < n_argnums; k++) sel[k] = primals[argnums[k]];
    vg_ctx v = {f, ctx, (mx_array **)primals, argnums, n_argnums, n_primals};
    mx_status rc = vjp_impl(vg_call, &v, sel, n_argnums, NULL, 0, outputs, n_outputs, max_outputs,
                            grads, 1);
    free(sel);
    return rc;
}

mx_status mx_depends(mx_array *const *inputs, int n_inputs, mx_array *const *deps, int n_deps,
                     mx_array **outputs, mx_stream s) {
    MX_CHECK(n_inputs > 0, MX_ERR_VALUE, "[depends] needs at least one input");
    mx_array **all = calloc((size_t)(n_inputs + n_deps), sizeof *all);
    mx_meta *metas = calloc((size_t)n_inputs, sizeof *metas);
    mx_status rc = (all && metas) ? MX_OK : mx_fail(MX_ERR_NOMEM, "[depends] out of memory");
    for (int i = 0; rc == MX_OK && i < n_inputs + n_deps; i++) {
        all[i] = i < n_inputs ? inputs[i] : deps[i - n_inputs];
        if (!all[i]) rc = mx_fail(MX_ERR_VALUE, "[depends] argument %d is NULL", i);
        else if (i < n_inputs) metas[i] = all[i]->v.m;
    }
    if (rc == MX_OK)
        rc = mx_node_make(MX_PRIM_DEPENDS, NULL, 0, all, n_inputs + n_deps, metas, n_inputs, s,
                          outputs);
    free(all);
    free(metas);
    return rc;
}
