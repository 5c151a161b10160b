/* src/transforms/fused_common.c: the parts of the FUSED kernels that the CPU JIT
 * (src/backend/cpu/jit.c) and the GPU JIT (src/backend/cuda/cuda_jit*.c, cuda_nvrtc.c) share:
 * the stringised expression columns and the string builder of the source generators, the views
 * and iteration spaces of the inputs, the op-by-op interpreter and mkdir -p (fused_common.h). */
#include "fused_common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* ---- code generation ---- */
const mx_fused_exprs mx_fused_expr_cols[MX_PRIM_COUNT] = {
#define MX_PRIM(...)
#define MX_UNARY(ID, name, rule, kinds, fx, ix, cx) [MX_PRIM_##ID] = {#fx, #ix, #cx},
#define MX_BINARY(ID, name, rule, kinds, fx, ix, cx) [MX_PRIM_##ID] = {#fx, #ix, #cx},
#include "../prims/prims.def"
#undef MX_PRIM
#undef MX_UNARY
#undef MX_BINARY
};

void mx_sbuf_printf(mx_sbuf *b, const char *fmt, ...) {
    if (b->bad) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->n;
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->bad = true;
            return;
        }
        if (b->s && (size_t)k < room) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + (size_t)k + 1) cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->bad = true;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
}

/* ---- layouts ---- */
bool mx_fused_broadcast_view(const mx_layout *x, const mx_meta *S, mx_layout *o) {
    *o = *x;
    o->m.ndim = S->ndim;
    int k = x->m.ndim, off = S->ndim - k;
    if (off < 0) return false;
    for (int d = 0; d < S->ndim; d++) {
        o->m.shape[d] = S->shape[d];
        int id = d - off;
        if (id < 0) o->strides[d] = 0;
        else if (x->m.shape[id] == S->shape[d]) o->strides[d] = x->strides[id];
        else if (x->m.shape[id] == 1) o->strides[d] = 0;
        else return false;
    }
    mx_layout_update_flags(o);
    o->flags &= ~(uint32_t)MX_DONATABLE;
    return true;
}

mx_status mx_fused_views(const mx_fused_desc *d, const mx_layout *in, const mx_meta *S,
                         mx_layout *bv) {
    for (int j = 0; j < d->n_in; j++)
        MX_CHECK(in[j].m.dtype == d->in_dtype[j] && mx_fused_broadcast_view(&in[j], S, &bv[j]),
                 MX_ERR_INTERNAL, "[fused] input %d does not match the fused graph", j);
    return MX_OK;
}

bool mx_fused_dense(const mx_layout *in, int n_in, int64_t n, uint64_t *scalar_mask) {
    bool dense = true;
    *scalar_mask = 0;
    for (int j = 0; j < n_in; j++) {
        int64_t sz = mx_meta_size(&in[j].m);
        if (sz == 1 && j < 64) *scalar_mask |= (uint64_t)1 << j;
        else if (!(sz == n && (in[j].flags & MX_ROW_CONTIG))) dense = false;
    }
    return dense;
}

int mx_fused_collapse(int n_ops, const mx_layout *bv, const mx_meta *S, int64_t *shape,
                      int64_t (*st)[MX_MAX_DIMS]) {
    int nd = 0;
    for (int dd = 0; dd < S->ndim; dd++) {
        if (S->shape[dd] == 1) continue;
        bool merge = nd > 0;
        for (int o = 0; o < n_ops && merge; o++)
            merge = st[o][nd - 1] == bv[o].strides[dd] * S->shape[dd];
        int at = merge ? nd - 1 : nd;
        for (int o = 0; o < n_ops; o++) st[o][at] = bv[o].strides[dd];
        if (merge) shape[nd - 1] *= S->shape[dd];
        else shape[nd++] = S->shape[dd];
    }
    if (nd == 0) {
        shape[0] = 1;
        for (int o = 0; o < n_ops; o++) st[o][0] = 0;
        nd = 1;
    }
    return nd;
}

/* ---- the interpreter ---- */
mx_status mx_fused_interpret(const mx_node *n, const mx_fused_desc *d, const mx_layout *bv,
                             mx_layout *out, const mx_kernel_fn *kernels, const char *backend) {
    int nv = d->n_in + d->n_ops;
    mx_layout *v = calloc((size_t)nv + 1, sizeof *v);
    char *own = calloc((size_t)nv + 1, 1);
    int *last = calloc((size_t)nv + 1, sizeof(int));
    mx_status rc = MX_OK;
    if (!v || !own || !last) rc = mx_fail(MX_ERR_NOMEM, "[fused] out of memory");
    for (int j = 0; rc == MX_OK && j < d->n_in; j++) v[j] = bv[j];
    for (int k = 0; rc == MX_OK && k < d->n_ops; k++)
        for (int j = 0; j < d->ops[k].n_in; j++) last[d->ops[k].in[j]] = k;
    for (int k = 0; rc == MX_OK && k < d->n_ops; k++) {
        const mx_fused_op *op = &d->ops[k];
        int vid = d->n_in + k;
        if (op->prim == MX_PRIM_BROADCAST) { /* values already have the output's shape */
            v[vid] = v[op->in[0]];
            continue;
        }
        mx_layout ins[3];
        for (int j = 0; j < op->n_in; j++) {
            ins[j] = v[op->in[j]];
            ins[j].flags &= ~(uint32_t)MX_DONATABLE;
        }
        mx_layout o = {0};
        mx_meta_set(&o.m, (mx_dtype)op->dtype, out->m.shape, out->m.ndim);
        mx_node fake;
        memset(&fake, 0, sizeof fake);
        fake.prim = op->prim;
        fake.n_in = op->n_in;
        fake.n_out = 1;
        fake.stream = n->stream;
        fake.out = &o;
        mx_kernel_fn kern = kernels[op->prim];
        if (!kern)
            rc = mx_fail(MX_ERR_UNSUPPORTED, "[%s] has no %s kernel", mx_prims[op->prim].name,
                         backend);
        else rc = kern(&fake, ins, &o);
        if (rc != MX_OK) {
            mx_buffer_release(o.buf);
            break;
        }
        v[vid] = o;
        own[vid] = 1;
        for (int j = 0; j < op->n_in; j++) { /* intermediates die after their last reader */
            int u = op->in[j];
            if (own[u] && last[u] == k && u != d->outs[0]) {
                mx_buffer_release(v[u].buf);
                own[u] = 0;
            }
        }
    }
    if (rc == MX_OK) {
        int ov = d->outs[0];
        if (own[ov]) {
            *out = v[ov];
            own[ov] = 0;
        } else {
            mx_layout_share(out, &v[ov], v[ov].strides, v[ov].offset);
        }
    }
    for (int i = 0; own && i < nv; i++)
        if (own[i]) mx_buffer_release(v[i].buf);
    free(v);
    free(own);
    free(last);
    return rc;
}

/* ---- caches on disk ---- */
bool mx_mkdir_p(const char *path) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return false;
            *p = '/';
        }
    return mkdir(tmp, 0755) == 0 || errno == EEXIST;
}
