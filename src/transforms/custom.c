/* src/transforms/custom.c: custom_function and checkpoint. A CUSTOM node takes (primals, outputs
 * of f) and returns views of f's outputs; its rules call the user's vjp/jvp/vmap when given, and
 * otherwise pass derivatives straight to f's outputs so the transform continues through f.
 * Checkpoint is a CUSTOM node whose vjp reruns f under mx_vjp (recomputing instead of reusing
 * f's intermediates) and passes nothing to f's outputs. */
#include <stdlib.h>
#include <string.h>

#include "graph.h"

typedef struct custom_box {
    atomic_int      refs;
    mx_custom_rules rules;
    mx_func         f; /* checkpoint: the function to rerun */
    void           *f_ctx;
    void          (*f_release)(void *);
    int             checkpoint;
} custom_box;

static void box_release(void *params) {
    custom_box *b = (custom_box *)((mx_custom_params *)params)->box;
    if (atomic_fetch_sub(&b->refs, 1) != 1) return;
    if (b->rules.release) b->rules.release(b->rules.ctx);
    if (b->f_release) b->f_release(b->f_ctx);
    free(b);
}

static mx_status make_custom(mx_func f, void *f_ctx, custom_box *box, mx_array *const *inputs,
                             int n_inputs, mx_array **outputs, int *n_outputs, int max_outputs) {
    mx_array **outs = calloc((size_t)max_outputs + 1, sizeof *outs);
    mx_array **all = calloc((size_t)(n_inputs + max_outputs) + 1, sizeof *all);
    mx_meta *metas = calloc((size_t)max_outputs + 1, sizeof *metas);
    int n_out = 0;
    mx_status rc = (outs && all && metas) ? MX_OK : mx_fail(MX_ERR_NOMEM, "[custom_function] out of memory");
    if (rc == MX_OK) {
        int depth = mx_scope_suspend();
        rc = f(f_ctx, inputs, n_inputs, outs, &n_out, max_outputs);
        mx_scope_resume(depth);
    }
    if (rc == MX_OK && (n_out < 0 || n_out > max_outputs))
        rc = mx_fail(MX_ERR_VALUE, "[custom_function] the function returned %d outputs (at most %d)",
                     n_out, max_outputs);
    for (int i = 0; rc == MX_OK && i < n_out; i++)
        if (!outs[i]) rc = mx_fail(MX_ERR_VALUE, "[custom_function] output %d is NULL", i);
    if (rc == MX_OK && n_out == 0) *n_outputs = 0; /* nothing to attach rules to */
    if (rc == MX_OK && n_out > 0) {
        for (int i = 0; i < n_inputs; i++) all[i] = inputs[i];
        for (int i = 0; i < n_out; i++) {
            all[n_inputs + i] = outs[i];
            metas[i] = outs[i]->v.m;
        }
        mx_custom_params p;
        memset(&p, 0, sizeof p);
        p.box = box;
        p.n_primals = n_inputs;
        rc = mx_node_make(MX_PRIM_CUSTOM, &p, sizeof p, all, n_inputs + n_out, metas, n_out,
                          MX_DEFAULT_STREAM, outputs);
        if (rc == MX_OK) {
            outputs[0]->node->params_free = box_release; /* the node owns the box now */
            box = NULL;
            *n_outputs = n_out;
        }
    }
    for (int i = 0; i < n_out && i <= max_outputs; i++) mx_array_release(outs[i]);
    if (box) { /* not attached: release what it holds */
        mx_custom_params p = {box, 0};
        box_release(&p);
    }
    free(outs);
    free(all);
    free(metas);
    return rc;
}

mx_status mx_custom_call(mx_func f, void *f_ctx, const mx_custom_rules *rules,
                         mx_array *const *inputs, int n_inputs, mx_array **outputs, int *n_outputs,
                         int max_outputs) {
    custom_box *box = f ? calloc(1, sizeof *box) : NULL;
    if (!box) { /* the rules' context is ours from the start: release it on every failure */
        if (rules && rules->release) rules->release(rules->ctx);
        return f ? mx_fail(MX_ERR_NOMEM, "[custom_function] out of memory")
                 : mx_fail(MX_ERR_VALUE, "[custom_function] the function is NULL");
    }
    atomic_init(&box->refs, 1);
    if (rules) box->rules = *rules;
    return make_custom(f, f_ctx, box, inputs, n_inputs, outputs, n_outputs, max_outputs);
}

mx_status mx_checkpoint_call(mx_func f, void *ctx, void (*release)(void *ctx),
                             mx_array *const *inputs, int n_inputs, mx_array **outputs,
                             int *n_outputs, int max_outputs) {
    custom_box *box = f ? calloc(1, sizeof *box) : NULL;
    if (!box) {
        if (release) release(ctx);
        return f ? mx_fail(MX_ERR_NOMEM, "[checkpoint] out of memory")
                 : mx_fail(MX_ERR_VALUE, "[checkpoint] the function is NULL");
    }
    atomic_init(&box->refs, 1);
    box->f = f;
    box->f_ctx = ctx;
    box->f_release = release;
    box->checkpoint = 1;
    return make_custom(f, ctx, box, inputs, n_inputs, outputs, n_outputs, max_outputs);
}

/* ---- rules ---- */
static custom_box *box_of(const mx_grad_ctx *c) {
    return (custom_box *)MX_PARAMS(mx_custom_params, c->node)->box;
}

/* the driver's scope owns what user code hands back */
static void adopt(mx_array **a, int n) {
    for (int i = 0; i < n; i++) mx_scope_track(a[i]);
}

static mx_status custom_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                            mx_array **grads) {
    custom_box *b = box_of(c);
    int np = MX_PARAMS(mx_custom_params, c->node)->n_primals, no = c->n_out;
    if (!b->rules.vjp && !b->checkpoint) { /* through f */
        for (int i = 0; i < no; i++)
            if (wanted[np + i]) grads[np + i] = cot[i];
        return MX_OK;
    }
    bool any = false;
    for (int j = 0; j < np; j++) any |= wanted[j];
    if (!any) return MX_OK; /* no primal needs a gradient: the rule is not called (as MLX) */
    mx_array **outs = calloc((size_t)no + 1, sizeof *outs), **res = calloc((size_t)np + 1, sizeof *res);
    MX_CHECK(outs && res, MX_ERR_NOMEM, "[vjp] out of memory");
    for (int i = 0; i < no; i++) outs[i] = mx_node_output(c, i);
    mx_status rc;
    int depth = mx_scope_suspend();
    if (b->checkpoint) {
        mx_array **o2 = calloc((size_t)no + 1, sizeof *o2);
        int k = 0;
        rc = o2 ? mx_vjp(b->f, b->f_ctx, c->in, np, cot, no, o2, &k, no, res)
                : mx_fail(MX_ERR_NOMEM, "[checkpoint] out of memory");
        for (int i = 0; o2 && rc == MX_OK && i < k; i++) mx_array_release(o2[i]);
        free(o2);
    } else {
        rc = b->rules.vjp(b->rules.ctx, c->in, np, cot, outs, no, res);
    }
    mx_scope_resume(depth);
    if (rc == MX_OK) {
        adopt(res, np);
        for (int j = 0; j < np; j++) grads[j] = wanted[j] ? res[j] : NULL;
    }
    free(outs);
    free(res);
    return rc;
}

static mx_status custom_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out_tan) {
    custom_box *b = box_of(c);
    int np = MX_PARAMS(mx_custom_params, c->node)->n_primals, no = c->n_out;
    if (!b->rules.jvp && !b->checkpoint) {
        for (int i = 0; i < no; i++) out_tan[i] = tan[np + i];
        return MX_OK;
    }
    bool any = false;
    for (int j = 0; j < np; j++) any |= tan[j] != NULL;
    if (!any) return MX_OK;
    mx_array **res = calloc((size_t)no + 1, sizeof *res);
    MX_CHECK(res != NULL, MX_ERR_NOMEM, "[jvp] out of memory");
    mx_status rc;
    int depth = mx_scope_suspend();
    if (b->checkpoint) {
        mx_array **o2 = calloc((size_t)no + 1, sizeof *o2);
        int k = 0;
        rc = o2 ? mx_jvp(b->f, b->f_ctx, c->in, np, tan, o2, &k, no, res)
                : mx_fail(MX_ERR_NOMEM, "[checkpoint] out of memory");
        for (int i = 0; o2 && rc == MX_OK && i < k; i++) mx_array_release(o2[i]);
        free(o2);
    } else {
        rc = b->rules.jvp(b->rules.ctx, c->in, np, tan, no, res);
    }
    mx_scope_resume(depth);
    if (rc == MX_OK) {
        adopt(res, no);
        for (int i = 0; i < no; i++) out_tan[i] = res[i];
    }
    free(res);
    return rc;
}

static mx_status custom_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                             mx_array **out, int *out_ax) {
    custom_box *b = box_of(c);
    int np = MX_PARAMS(mx_custom_params, c->node)->n_primals, no = c->n_out;
    if (!b->rules.vmap) {
        for (int i = 0; i < no; i++) {
            out[i] = in[np + i];
            out_ax[i] = ax[np + i];
        }
        return MX_OK;
    }
    int k = 0;
    int depth = mx_scope_suspend();
    mx_status rc = b->rules.vmap(b->rules.ctx, in, ax, np, out, out_ax, &k, no);
    mx_scope_resume(depth);
    if (rc == MX_OK && k != no) {
        for (int i = 0; i < k; i++) mx_array_release(out[i]);
        return mx_fail(MX_ERR_VALUE, "[vmap] the custom vmap returned %d outputs, expected %d", k, no);
    }
    if (rc == MX_OK) adopt(out, no);
    return rc;
}

void mx_grad_register_custom(mx_rules *r) {
    r->vjp[MX_PRIM_CUSTOM] = custom_vjp;
    r->jvp[MX_PRIM_CUSTOM] = custom_jvp;
    r->vmap[MX_PRIM_CUSTOM] = custom_vmap;
}
