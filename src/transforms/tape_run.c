/* src/transforms/tape_run.c: running a compiled tape inside one kernel (tape.h): the kernels of
 * its nodes are called in order on views, without nodes, handles or the evaluator. This is the
 * CPU kernel of COMPILED_CALL and what the CUDA backend captures into a CUDA graph.
 *
 * Values: the node's inputs and the tape's constants are borrowed views; every node result owns
 * one buffer reference until its last reader ran (then it is released, so memory is reclaimed as
 * the tape proceeds, as the evaluator does) or it is handed out as an output. */
#include <stdlib.h>

#include "compile.h"
#include "tape.h"

typedef struct run {
    const mx_tape *t;
    mx_layout     *val;  /* per value id */
    int           *left; /* readers of the value that have not run yet */
    char          *keep; /* a result of the call */
} run;

static void drop(run *r, int v) {
    if (r->t->vals[v].kind != V_NODE || r->keep[v] || r->left[v] > 0 || !r->val[v].buf) return;
    mx_buffer_release(r->val[v].buf);
    r->val[v].buf = NULL;
}

static mx_status run_node(run *r, const tnode *tn, const mx_backend *be,
                          const mx_device_backend *gpu, bool any_gpu) {
    const mx_prim_info *pi = &mx_prims[tn->prim];
    bool meta = (pi->flags & MX_PF_META) != 0;
    mx_kernel_fn k = be->kernels[tn->prim];
    bool on_device = gpu != NULL && k != NULL;
    if (!k && gpu && meta) k = mx_cpu_backend()->kernels[tn->prim];
    MX_CHECK(k != NULL, MX_ERR_UNSUPPORTED, "[compile] %s has no kernel on this stream", pi->name);
    mx_layout il[8], ol[4];
    mx_layout *in = tn->n_in <= 8 ? il : calloc((size_t)tn->n_in, sizeof *in);
    mx_layout *out = tn->n_out <= 4 ? ol : calloc((size_t)tn->n_out, sizeof *out);
    if (!in || !out) {
        if (in != il) free(in);
        return mx_fail(MX_ERR_NOMEM, "[compile] out of memory");
    }
    for (int j = 0; j < tn->n_in; j++) {
        int v = tn->in[j];
        in[j] = r->val[v];
        in[j].flags &= ~(uint32_t)MX_DONATABLE;
        /* a result read last here, by one slot, and by nobody else: the kernel may reuse it */
        int slots = 0;
        for (int q = 0; q < tn->n_in; q++) slots += tn->in[q] == v;
        mx_buffer *b = in[j].buf;
        if (r->t->vals[v].kind == V_NODE && !r->keep[v] && r->left[v] == 1 && slots == 1 && b &&
            atomic_load(&b->refs) == 1 && !b->external)
            in[j].flags |= MX_DONATABLE;
    }
    memset(out, 0, sizeof *out * (size_t)tn->n_out);
    for (int i = 0; i < tn->n_out; i++) out[i].m = tn->metas[i];
    mx_node nd;
    memset(&nd, 0, sizeof nd);
    nd.prim = tn->prim;
    nd.n_out = tn->n_out;
    nd.n_in = tn->n_in;
    nd.stream = tn->stream;
    nd.out = out;
    nd.params = tn->params;
    nd.params_size = tn->params_size;
    mx_status st = k(&nd, in, out);
    if (st == MX_OK) {
        for (int i = 0; i < tn->n_out; i++) {
            if (any_gpu && !meta && out[i].buf)
                out[i].buf->valid = on_device ? MX_LOC_DEVICE : MX_LOC_HOST;
            r->val[tn->out0 + i] = out[i];
        }
        for (int j = 0; j < tn->n_in; j++) r->left[tn->in[j]]--;
        for (int j = 0; j < tn->n_in; j++) drop(r, tn->in[j]);
        for (int i = 0; i < tn->n_out; i++) drop(r, tn->out0 + i); /* results nobody reads */
    } else {
        for (int i = 0; i < tn->n_out; i++) mx_buffer_release(out[i].buf);
    }
    if (in != il) free(in);
    if (out != ol) free(out);
    return st;
}

mx_status mx_tape_run(const mx_tape *t, const mx_layout *in, mx_layout *out, const mx_backend *be,
                      const mx_device_backend *gpu) {
    int nv = t->n_vals;
    run r = {t, calloc((size_t)nv + 1, sizeof(mx_layout)), calloc((size_t)nv + 1, sizeof(int)),
             calloc((size_t)nv + 1, 1)};
    mx_status st = r.val && r.left && r.keep ? MX_OK
                                              : mx_fail(MX_ERR_NOMEM, "[compile] out of memory");
    bool any_gpu = mx_gpu_backend() != NULL;
    for (int v = 0; st == MX_OK && v < nv; v++) {
        if (t->vals[v].kind == V_IN) r.val[v] = in[t->vals[v].idx];
        else if (t->vals[v].kind == V_CONST) r.val[v] = in[t->n_in + t->vals[v].idx];
    }
    for (int k = 0; st == MX_OK && k < t->n_nodes; k++)
        if (!t->nodes[k].dead)
            for (int j = 0; j < t->nodes[k].n_in; j++) r.left[t->nodes[k].in[j]]++;
    for (int j = 0; st == MX_OK && j < t->n_call_out; j++) r.keep[t->call_vals[j]] = 1;
    for (int k = 0; st == MX_OK && k < t->n_nodes; k++)
        if (!t->nodes[k].dead) st = run_node(&r, &t->nodes[k], be, gpu, any_gpu);
    for (int j = 0; st == MX_OK && j < t->n_call_out; j++) {
        int v = t->call_vals[j];
        out[j] = r.val[v];
        out[j].flags &= ~(uint32_t)MX_DONATABLE;
        r.val[v].buf = NULL; /* the reference moves to out */
    }
    for (int v = 0; r.val && v < nv; v++)
        if (t->vals[v].kind == V_NODE && r.val[v].buf) mx_buffer_release(r.val[v].buf);
    free(r.val);
    free(r.left);
    free(r.keep);
    return st;
}

mx_status mx_tape_call_cpu(const mx_node *n, const mx_layout *in, mx_layout *out) {
    return mx_tape_run(mx_tape_of(n), in, out, mx_cpu_backend(), NULL);
}
