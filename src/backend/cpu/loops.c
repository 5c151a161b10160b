/* src/backend/cpu/loops.c: strided N-operand iteration and its parallel driver. */
#include <string.h>

#include "loops.h"
#include "pool.h"

void mx_nd_init(mx_nd_iter *it, const mx_layout *const *views, int nops) {
    memset(it, 0, sizeof *it);
    it->nops = nops;
    it->ndim = views[0]->m.ndim;
    for (int d = 0; d < it->ndim; d++) it->shape[d] = views[0]->m.shape[d];
    for (int k = 0; k < nops; k++) {
        it->base[k] = (char *)mx_layout_ptr(views[k]);
        it->isz[k] = mx_dtype_size(views[k]->m.dtype);
        for (int d = 0; d < it->ndim; d++)
            it->strides[k][d] = views[k]->m.shape[d] == 1 ? 0 : views[k]->strides[d];
    }
}

void mx_nd_collapse(mx_nd_iter *it) {
    /* drop size-1 dims */
    int nd = 0;
    for (int d = 0; d < it->ndim; d++) {
        if (it->shape[d] == 1) continue;
        it->shape[nd] = it->shape[d];
        for (int k = 0; k < it->nops; k++) it->strides[k][nd] = it->strides[k][d];
        nd++;
    }
    /* merge d into d+1 when contiguous for every operand */
    int out = 0;
    for (int d = 0; d < nd; d++) {
        if (out > 0) {
            bool ok = true;
            for (int k = 0; k < it->nops && ok; k++)
                ok = it->strides[k][out - 1] == it->strides[k][d] * it->shape[d];
            if (ok) {
                it->shape[out - 1] *= it->shape[d];
                for (int k = 0; k < it->nops; k++) it->strides[k][out - 1] = it->strides[k][d];
                continue;
            }
        }
        it->shape[out] = it->shape[d];
        for (int k = 0; k < it->nops; k++) it->strides[k][out] = it->strides[k][d];
        out++;
    }
    if (out == 0) { /* a single element */
        it->shape[0] = 1;
        for (int k = 0; k < it->nops; k++) it->strides[k][0] = 0;
        out = 1;
    }
    it->ndim = out;
}

typedef struct run_ctx {
    const mx_nd_iter *it;
    mx_inner_fn       inner;
    void             *ctx;
} run_ctx;

static void run_range(void *vc, int64_t b, int64_t e) {
    const run_ctx *rc = vc;
    const mx_nd_iter *it = rc->it;
    int nd = it->ndim, last = nd - 1;
    int64_t inner = it->shape[last];
    int64_t idx[MX_MAX_DIMS];
    int64_t rem = b / inner;
    int64_t col = b % inner;
    for (int d = last - 1; d >= 0; d--) {
        idx[d] = rem % it->shape[d];
        rem /= it->shape[d];
    }
    int64_t pos = b;
    char *p[MX_NOPS];
    int64_t s[MX_NOPS];
    for (int k = 0; k < it->nops; k++) s[k] = it->strides[k][last];
    while (pos < e) {
        for (int k = 0; k < it->nops; k++) {
            int64_t off = col * it->strides[k][last];
            for (int d = 0; d < last; d++) off += idx[d] * it->strides[k][d];
            p[k] = it->base[k] + off * (int64_t)it->isz[k];
        }
        int64_t cnt = inner - col;
        if (cnt > e - pos) cnt = e - pos;
        rc->inner(rc->ctx, p, s, cnt);
        pos += cnt;
        col = 0;
        for (int d = last - 1; d >= 0; d--) {
            if (++idx[d] < it->shape[d]) break;
            idx[d] = 0;
        }
    }
}

void mx_nd_run(const mx_nd_iter *it, mx_inner_fn inner, void *ctx, int64_t grain) {
    int64_t total = 1;
    for (int d = 0; d < it->ndim; d++) total *= it->shape[d];
    if (total == 0) return;
    run_ctx rc = {it, inner, ctx};
    mx_parallel_for(total, grain, run_range, &rc);
}

bool mx_layouts_same_dense(const mx_layout *const *views, int nops) {
    const mx_layout *v0 = views[0];
    if (!(v0->flags & MX_CONTIG)) return false;
    for (int k = 1; k < nops; k++) {
        const mx_layout *v = views[k];
        if (!(v->flags & MX_CONTIG)) return false;
        if ((v0->flags & MX_ROW_CONTIG) && (v->flags & MX_ROW_CONTIG)) continue;
        for (int d = 0; d < v0->m.ndim; d++)
            if (v0->m.shape[d] > 1 && v->strides[d] != v0->strides[d]) return false;
    }
    return true;
}

/* ---- elementwise output layout and drivers ---- */
/* one element stands for all: every axis of extent > 1 has stride 0 */
static bool is_scalar_bcast(const mx_layout *v) {
    for (int d = 0; d < v->m.ndim; d++)
        if (v->m.shape[d] > 1 && v->strides[d] != 0) return false;
    return true;
}

static bool same_strides(const mx_layout *a, const mx_layout *b) {
    for (int d = 0; d < a->m.ndim; d++)
        if (a->m.shape[d] > 1 && a->strides[d] != b->strides[d]) return false;
    return true;
}

mx_status mx_elementwise_out(mx_layout *out, const mx_layout *in, int n_in, int *flat) {
    int64_t size = mx_meta_size(&out->m);
    const mx_layout *lay = NULL;
    for (int i = 0; i < n_in; i++)
        if ((in[i].flags & MX_CONTIG) && in[i].data_size == size && !is_scalar_bcast(&in[i])) {
            lay = &in[i];
            break;
        }
    if (lay)
        for (int i = 0; i < n_in; i++) {
            if (&in[i] == lay || is_scalar_bcast(&in[i])) continue;
            if (!(in[i].flags & MX_CONTIG) || in[i].data_size != size || !same_strides(lay, &in[i])) {
                lay = NULL;
                break;
            }
        }
    if (size <= 1) lay = NULL;
    *flat = lay != NULL || size <= 1;
    if (!lay) return mx_layout_alloc(out);
    size_t osz = mx_dtype_size(out->m.dtype);
    for (int i = 0; i < n_in; i++)
        if ((in[i].flags & MX_DONATABLE) && !is_scalar_bcast(&in[i]) &&
            mx_dtype_size(in[i].m.dtype) == osz && in[i].data_size == size &&
            in[i].buf->nbytes >= (size_t)(in[i].offset + size) * osz) {
            out->buf = mx_buffer_retain(in[i].buf);
            out->offset = in[i].offset;
            for (int d = 0; d < out->m.ndim; d++) out->strides[d] = lay->strides[d];
            mx_layout_update_flags(out);
            return MX_OK;
        }
    out->buf = mx_buffer_alloc((size_t)size * osz);
    if (!out->buf) return MX_ERR_NOMEM;
    out->offset = 0;
    for (int d = 0; d < out->m.ndim; d++) out->strides[d] = lay->strides[d];
    mx_layout_update_flags(out);
    return MX_OK;
}

typedef struct flat_ctx {
    mx_inner_fn   inner;
    void         *ctx;
    char         *p[MX_NOPS];
    int64_t       s[MX_NOPS];
    size_t        isz[MX_NOPS];
    int           nops;
} flat_ctx;

static void flat_range(void *vc, int64_t b, int64_t e) {
    const flat_ctx *fc = vc;
    char *p[MX_NOPS];
    for (int k = 0; k < fc->nops; k++) p[k] = fc->p[k] + b * fc->s[k] * (int64_t)fc->isz[k];
    fc->inner(fc->ctx, p, fc->s, e - b);
}

void mx_flat_run(mx_inner_fn inner, void *ctx, char *const *p, const int64_t *s, int nops,
                 const size_t *isz, int64_t n, int64_t grain) {
    flat_ctx fc = {inner, ctx, {0}, {0}, {0}, nops};
    for (int k = 0; k < nops; k++) {
        fc.p[k] = p[k];
        fc.s[k] = s[k];
        fc.isz[k] = isz[k];
    }
    mx_parallel_for(n, grain, flat_range, &fc);
}

mx_status mx_elementwise_run(mx_layout *out, const mx_layout *in, int n_in, mx_inner_fn inner,
                             void *ctx, int64_t grain) {
    int flat = 0;
    MX_TRY(mx_elementwise_out(out, in, n_in, &flat));
    int64_t size = mx_meta_size(&out->m);
    if (size == 0) return MX_OK;
    if (flat) {
        char *p[MX_NOPS];
        int64_t s[MX_NOPS];
        size_t isz[MX_NOPS];
        p[0] = mx_layout_ptr(out);
        s[0] = 1;
        isz[0] = mx_dtype_size(out->m.dtype);
        for (int i = 0; i < n_in; i++) {
            p[i + 1] = mx_layout_ptr(&in[i]);
            s[i + 1] = (is_scalar_bcast(&in[i]) && size > 1) ? 0 : 1;
            isz[i + 1] = mx_dtype_size(in[i].m.dtype);
        }
        mx_flat_run(inner, ctx, p, s, n_in + 1, isz, size, grain);
        return MX_OK;
    }
    const mx_layout *views[MX_NOPS];
    views[0] = out;
    for (int i = 0; i < n_in; i++) views[i + 1] = &in[i];
    mx_nd_iter it;
    mx_nd_init(&it, views, n_in + 1);
    mx_nd_collapse(&it);
    mx_nd_run(&it, inner, ctx, grain);
    return MX_OK;
}
