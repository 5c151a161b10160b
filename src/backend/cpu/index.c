/* src/backend/cpu/index.c: CPU kernels of the index family (src/prims/index.def): gather,
 * gather along an axis, scatter (none/add/prod/max/min), scatter along an axis, masked scatter,
 * and static / dynamic slice updates and dynamic slices.
 *
 * Index arrays may have any integer dtype and any layout (broadcast, transposed, negative
 * strides). Every index read from data goes through fix_idx: a negative index wraps once, then it
 * is clamped into [0, dim - slice], so no kernel ever touches memory outside its arrays.
 * Outputs of scatters start as a copy of `a`, or reuse a's buffer when the evaluator marked it
 * donatable (nothing else can see it). */
#pragma GCC diagnostic ignored "-Wfloat-conversion"
#pragma GCC diagnostic ignored "-Wbool-operation"
#pragma GCC diagnostic ignored "-Wint-in-bool-context"
#include <stdlib.h>
#include <string.h>

#include "../../prims/index_params.h"
#include "cpu_impl.h"

/* ---- index values ---- */

static inline int64_t load_idx(const char *p, mx_dtype t) {
    switch (t) {
    case MX_UINT8: return *(const uint8_t *)p;
    case MX_UINT16: return *(const uint16_t *)p;
    case MX_UINT32: return *(const uint32_t *)p;
    case MX_UINT64: {
        uint64_t u = *(const uint64_t *)p;
        return u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
    }
    case MX_INT8: return *(const int8_t *)p;
    case MX_INT16: return *(const int16_t *)p;
    case MX_INT32: return *(const int32_t *)p;
    case MX_INT64: return *(const int64_t *)p;
    case MX_BOOL: return *(const bool *)p;
    default: return 0;
    }
}

/* wrap a negative index once, then clamp the start of a slice of `ss` into [0, dim - ss] */
static inline int64_t fix_idx(int64_t i, int64_t dim, int64_t ss) {
    if (i < 0) i += dim;
    int64_t hi = dim - ss;
    if (i > hi) i = hi;
    if (i < 0) i = 0;
    return i;
}

/* ---- element copies by size ---- */

static void copy_run(char *d, int64_t ds, const char *s, int64_t ss, int64_t n, size_t esz) {
    if (ds == 1 && ss == 1) {
        memcpy(d, s, (size_t)n * esz);
        return;
    }
#define CR(T)                                                                                      \
    for (int64_t i = 0; i < n; i++) ((T *)d)[i * ds] = ((const T *)s)[i * ss];                    \
    break;
    switch (esz) {
    case 1: CR(uint8_t)
    case 2: CR(uint16_t)
    case 4: CR(uint32_t)
    default: CR(uint64_t)
    }
#undef CR
}

/* ---- counting over a broadcast index shape, with element offsets of several operands ---- */

#define IC_MAX (MX_MAX_DIMS + 1)
typedef struct icount {
    int     nd, n;
    int64_t shape[MX_MAX_DIMS];
    int64_t pos[MX_MAX_DIMS];
    int64_t st[IC_MAX][MX_MAX_DIMS];
    int64_t off[IC_MAX];
} icount;

/* operand k has strides st[k][0..nd) over shape; start at flat row-major position b */
static void ic_start(icount *c, int64_t b) {
    for (int d = c->nd - 1; d >= 0; d--) {
        c->pos[d] = c->shape[d] ? b % c->shape[d] : 0;
        b = c->shape[d] ? b / c->shape[d] : 0;
    }
    for (int k = 0; k < c->n; k++) {
        c->off[k] = 0;
        for (int d = 0; d < c->nd; d++) c->off[k] += c->pos[d] * c->st[k][d];
    }
}

static inline void ic_next(icount *c) {
    for (int d = c->nd - 1; d >= 0; d--) {
        if (++c->pos[d] < c->shape[d]) {
            for (int k = 0; k < c->n; k++) c->off[k] += c->st[k][d];
            return;
        }
        c->pos[d] = 0;
        for (int k = 0; k < c->n; k++) c->off[k] -= c->st[k][d] * (c->shape[d] - 1);
    }
}

/* ---- walking a slice: two operands over one shape (a collapsed mx_nd_iter) ---- */

typedef void (*run2_fn)(const void *ctx, char *d, int64_t ds, const char *s, int64_t ss,
                        int64_t n);

static void slice_iter(mx_nd_iter *it, int nd, const int64_t *shape, const int64_t *st0,
                       const int64_t *st1, size_t esz) {
    memset(it, 0, sizeof *it);
    it->nops = 2;
    it->ndim = nd;
    for (int d = 0; d < nd; d++) {
        it->shape[d] = shape[d];
        it->strides[0][d] = shape[d] == 1 ? 0 : st0[d];
        it->strides[1][d] = shape[d] == 1 ? 0 : st1[d];
    }
    it->isz[0] = it->isz[1] = esz;
    mx_nd_collapse(it);
}

static void walk2(const mx_nd_iter *it, char *d, const char *s, run2_fn fn, const void *ctx) {
    int last = it->ndim - 1;
    int64_t pos[MX_MAX_DIMS] = {0}, od = 0, os = 0;
    int64_t n = it->shape[last], ds = it->strides[0][last], ss = it->strides[1][last];
    int64_t dz = (int64_t)it->isz[0];
    for (;;) {
        fn(ctx, d + od * dz, ds, s + os * dz, ss, n);
        int k = last - 1;
        for (; k >= 0; k--) {
            if (++pos[k] < it->shape[k]) {
                od += it->strides[0][k];
                os += it->strides[1][k];
                break;
            }
            od -= it->strides[0][k] * (it->shape[k] - 1);
            os -= it->strides[1][k] * (it->shape[k] - 1);
            pos[k] = 0;
        }
        if (k < 0) break;
    }
}

static void copy_fn(const void *ctx, char *d, int64_t ds, const char *s, int64_t ss, int64_t n) {
    copy_run(d, ds, s, ss, n, *(const size_t *)ctx);
}

/* ---- output = a (donated or copied) ---- */

static mx_status out_from_input(mx_layout *out, const mx_layout *a) {
    int64_t size = mx_meta_size(&out->m);
    if ((a->flags & MX_DONATABLE) && (a->flags & MX_ROW_CONTIG) && a->data_size == size &&
        a->m.dtype == out->m.dtype && size > 0) {
        mx_layout_set_row_major(out);
        out->buf = mx_buffer_retain(a->buf);
        out->offset = a->offset;
        return MX_OK;
    }
    MX_TRY(mx_layout_alloc(out));
    if (size == 0) return MX_OK;
    return mx_cpu_copy_into(a, out);
}

static void row_major_strides(const int64_t *shape, int nd, int64_t *st) {
    int64_t s = 1;
    for (int d = nd - 1; d >= 0; d--) {
        st[d] = s;
        s *= shape[d];
    }
}

/* ---- gather ---- */

typedef struct gather_ctx {
    const mx_gather_params *p;
    const mx_layout        *a, *idx;
    mx_layout              *out;
    icount                  ic;
    mx_nd_iter              it;
    int64_t                 S;
    size_t                  esz;
} gather_ctx;

static void gather_range(void *vc, int64_t b0, int64_t b1) {
    const gather_ctx *g = vc;
    const mx_gather_params *p = g->p;
    icount c = g->ic;
    ic_start(&c, b0);
    const char *abase = mx_layout_ptr(g->a);
    char *o = (char *)mx_layout_ptr(g->out) + b0 * g->S * (int64_t)g->esz;
    const char *ib[MX_MAX_DIMS];
    int64_t iz[MX_MAX_DIMS];
    for (int j = 0; j < p->n_idx; j++) {
        ib[j] = mx_layout_ptr(&g->idx[j]);
        iz[j] = (int64_t)mx_dtype_size(g->idx[j].m.dtype);
    }
    for (int64_t b = b0; b < b1; b++) {
        int64_t off = 0;
        for (int j = 0; j < p->n_idx; j++) {
            int ax = p->axes[j];
            int64_t i = load_idx(ib[j] + c.off[j] * iz[j], g->idx[j].m.dtype);
            off += fix_idx(i, g->a->m.shape[ax], p->slice[ax]) * g->a->strides[ax];
        }
        const char *src = abase + off * (int64_t)g->esz;
        if (g->S == 1) copy_run(o, 1, src, 1, 1, g->esz);
        else walk2(&g->it, o, src, copy_fn, &g->esz);
        o += g->S * (int64_t)g->esz;
        ic_next(&c);
    }
}

static mx_status gather_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_gather_params *p = MX_PARAMS(mx_gather_params, n);
    MX_TRY(mx_layout_alloc(&out[0]));
    gather_ctx g;
    memset(&g, 0, sizeof g);
    g.p = p;
    g.a = &in[0];
    g.idx = &in[1];
    g.out = &out[0];
    g.esz = mx_dtype_size(in[0].m.dtype);
    int nd = in[0].m.ndim, nb = out[0].m.ndim - nd;
    int64_t nB = 1, S = 1;
    for (int d = 0; d < nb; d++) nB *= out[0].m.shape[d];
    for (int d = 0; d < nd; d++) S *= p->slice[d];
    if (nB * S == 0) return MX_OK;
    g.S = S;
    g.ic.nd = nb;
    g.ic.n = p->n_idx;
    for (int d = 0; d < nb; d++) g.ic.shape[d] = out[0].m.shape[d];
    for (int j = 0; j < p->n_idx; j++)
        for (int d = 0; d < nb; d++) g.ic.st[j][d] = in[1 + j].strides[d];
    int64_t ost[MX_MAX_DIMS];
    row_major_strides(p->slice, nd, ost);
    slice_iter(&g.it, nd, p->slice, ost, in[0].strides, g.esz);
    int64_t grain = S >= 4096 ? 1 : 4096 / S;
    mx_parallel_for(nB, grain, gather_range, &g);
    return MX_OK;
}

/* ---- scatter: per dtype, per reduction, a run of updates combined into the output ---- */

#define SC_ADD_I(a, b) ((a) + (b))
#define SC_MUL_I(a, b) ((a) * (b))
#define SC_ADD_F(a, b) ((a) + (b))
#define SC_MUL_F(a, b) ((a) * (b))
#define SC_ADD_C(a, b) ((a) + (b))
#define SC_MUL_C(a, b) ((a) * (b))
#define SC_MAX_I(a, b) ((b) > (a) ? (b) : (a))
#define SC_MIN_I(a, b) ((b) < (a) ? (b) : (a))
#define SC_MAX_F(a, b) MX_SFMAX(a, b)
#define SC_MIN_F(a, b) MX_SFMIN(a, b)
#define SC_CGT(a, b) (crealf(a) > crealf(b) || (crealf(a) == crealf(b) && cimagf(a) > cimagf(b)))
#define SC_MAX_C(a, b) (SC_CGT(b, a) ? (b) : (a))
#define SC_MIN_C(a, b) (SC_CGT(a, b) ? (b) : (a))
/* integers: wrap via unsigned arithmetic (signed overflow is undefined in C) */
#define SC_WRAP_I(OPN, T, a, b) ((T)SC_##OPN##_I((uint64_t)(a), (uint64_t)(b)))
#define SC_WRAP_F(OPN, T, a, b) SC_##OPN##_F(a, b)
#define SC_WRAP_C(OPN, T, a, b) SC_##OPN##_C(a, b)

#define GEN_SC(DT, T, CT, CLS, LD, ST, RT, STR, unused)                                            \
    static void sc_##DT(const void *ctx, char *d, int64_t ds, const char *s, int64_t ss,         \
                        int64_t n) {                                                               \
        int r = *(const int *)ctx;                                                                 \
        T *y = (T *)d;                                                                             \
        const T *x = (const T *)s;                                                                 \
        switch (r) {                                                                               \
        case MX_SCATTER_ADD:                                                                       \
            for (int64_t i = 0; i < n; i++)                                                        \
                y[i * ds] = ST(SC_WRAP_##CLS(ADD, CT, (CT)LD(y[i * ds]), (CT)LD(x[i * ss])));     \
            break;                                                                                 \
        case MX_SCATTER_PROD:                                                                      \
            for (int64_t i = 0; i < n; i++)                                                        \
                y[i * ds] = ST(SC_WRAP_##CLS(MUL, CT, (CT)LD(y[i * ds]), (CT)LD(x[i * ss])));     \
            break;                                                                                 \
        case MX_SCATTER_MAX:                                                                       \
            for (int64_t i = 0; i < n; i++) {                                                      \
                CT a_ = (CT)LD(y[i * ds]), b_ = (CT)LD(x[i * ss]);                                 \
                y[i * ds] = ST(SC_MAX_##CLS(a_, b_));                                              \
            }                                                                                      \
            break;                                                                                 \
        case MX_SCATTER_MIN:                                                                       \
            for (int64_t i = 0; i < n; i++) {                                                      \
                CT a_ = (CT)LD(y[i * ds]), b_ = (CT)LD(x[i * ss]);                                 \
                y[i * ds] = ST(SC_MIN_##CLS(a_, b_));                                              \
            }                                                                                      \
            break;                                                                                 \
        default:                                                                                   \
            for (int64_t i = 0; i < n; i++) y[i * ds] = x[i * ss];                                 \
        }                                                                                          \
    }
MX_CPU_DTYPES(GEN_SC, 0)
#define SLOT_SC(DT, T, CT, CLS, LD, ST, RT, STR, unused) [MX_##DT] = sc_##DT,
static const run2_fn sc_table[MX_NUM_DTYPES] = {MX_CPU_DTYPES(SLOT_SC, 0)};

static mx_status scatter_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_gather_params *p = MX_PARAMS(mx_gather_params, n);
    MX_TRY(out_from_input(&out[0], &in[0]));
    const mx_layout *upd = &in[1], *idx = &in[2];
    int nd = out[0].m.ndim, nb = upd->m.ndim - nd;
    int64_t nB = 1, S = 1;
    for (int d = 0; d < nb; d++) nB *= upd->m.shape[d];
    for (int d = 0; d < nd; d++) S *= p->slice[d];
    if (nB * S == 0) return MX_OK;
    size_t esz = mx_dtype_size(out[0].m.dtype);
    mx_nd_iter it;
    slice_iter(&it, nd, p->slice, out[0].strides, upd->strides + nb, esz);
    icount c;
    memset(&c, 0, sizeof c);
    c.nd = nb;
    c.n = p->n_idx + 1; /* the index arrays, then updates */
    for (int d = 0; d < nb; d++) {
        c.shape[d] = upd->m.shape[d];
        for (int j = 0; j < p->n_idx; j++) c.st[j][d] = idx[j].strides[d];
        c.st[p->n_idx][d] = upd->strides[d];
    }
    ic_start(&c, 0);
    run2_fn fn = sc_table[out[0].m.dtype];
    int red = p->reduce;
    char *obase = mx_layout_ptr(&out[0]);
    const char *ubase = mx_layout_ptr(upd);
    /* in order: repeated indices accumulate, or the last write wins */
    for (int64_t b = 0; b < nB; b++) {
        int64_t off = 0;
        for (int j = 0; j < p->n_idx; j++) {
            int ax = p->axes[j];
            int64_t i = load_idx((const char *)mx_layout_ptr(&idx[j]) +
                                     c.off[j] * (int64_t)mx_dtype_size(idx[j].m.dtype),
                                 idx[j].m.dtype);
            off += fix_idx(i, out[0].m.shape[ax], p->slice[ax]) * out[0].strides[ax];
        }
        walk2(&it, obase + off * (int64_t)esz, ubase + c.off[p->n_idx] * (int64_t)esz, fn, &red);
        ic_next(&c);
    }
    return MX_OK;
}

/* ---- gather / scatter along one axis ---- */

typedef struct axis_ctx {
    const mx_layout *a, *idx, *val;
    mx_layout       *out;
    int              axis;
    int64_t          dim; /* length of a's axis */
    size_t           esz;
} axis_ctx;

/* element offsets of row r (all dims but axis, row-major) in a layout */
static int64_t row_off(const mx_layout *v, const int64_t *shape, int nd, int axis, int64_t r) {
    int64_t off = 0;
    for (int d = nd - 1; d >= 0; d--) {
        if (d == axis) continue;
        off += (r % shape[d]) * v->strides[d];
        r /= shape[d];
    }
    return off;
}

#define IDX_BLOCK 256
/* load n indices (stride st) and fix them for dim */
static void load_fixed(int64_t *dst, const char *p, int64_t st, mx_dtype t, int64_t n,
                       int64_t dim) {
    size_t isz = mx_dtype_size(t);
    for (int64_t j = 0; j < n; j++) dst[j] = fix_idx(load_idx(p + j * st * (int64_t)isz, t), dim, 1);
}

static void gather_axis_range(void *vc, int64_t r0, int64_t r1) {
    const axis_ctx *g = vc;
    const mx_meta *om = &g->out->m;
    int ax = g->axis, nd = om->ndim;
    int64_t ni = om->shape[ax], as = g->a->strides[ax], is = g->idx->strides[ax];
    int64_t os = g->out->strides[ax];
    int64_t ix[IDX_BLOCK];
    int64_t esz = (int64_t)g->esz, isz = (int64_t)mx_dtype_size(g->idx->m.dtype);
    for (int64_t r = r0; r < r1; r++) {
        const char *ap = (const char *)mx_layout_ptr(g->a) + row_off(g->a, om->shape, nd, ax, r) * esz;
        const char *ip = (const char *)mx_layout_ptr(g->idx) +
                         row_off(g->idx, om->shape, nd, ax, r) * isz;
        char *op = (char *)mx_layout_ptr(g->out) + row_off(g->out, om->shape, nd, ax, r) * esz;
        for (int64_t j0 = 0; j0 < ni; j0 += IDX_BLOCK) {
            int64_t m = ni - j0 < IDX_BLOCK ? ni - j0 : IDX_BLOCK;
            load_fixed(ix, ip + j0 * is * isz, is, g->idx->m.dtype, m, g->dim);
            char *o = op + j0 * os * esz;
#define GA(T)                                                                                      \
    for (int64_t j = 0; j < m; j++) ((T *)o)[j * os] = ((const T *)ap)[ix[j] * as];               \
    break;
            switch (esz) {
            case 1: GA(uint8_t)
            case 2: GA(uint16_t)
            case 4: GA(uint32_t)
            default: GA(uint64_t)
            }
#undef GA
        }
    }
}

static mx_status gather_axis_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_axis_params *p = MX_PARAMS(mx_axis_params, n);
    MX_TRY(mx_layout_alloc(&out[0]));
    int64_t size = mx_meta_size(&out[0].m);
    if (size == 0) return MX_OK;
    axis_ctx g = {&in[0], &in[1], NULL, &out[0], p->axis, in[0].m.shape[p->axis],
                  mx_dtype_size(out[0].m.dtype)};
    int64_t ni = out[0].m.shape[p->axis];
    mx_parallel_for(size / ni, ni >= 4096 ? 1 : 4096 / ni, gather_axis_range, &g);
    return MX_OK;
}

static void scatter_axis_range(void *vc, int64_t r0, int64_t r1) {
    const axis_ctx *g = vc;
    const mx_meta *im = &g->idx->m;
    int ax = g->axis, nd = im->ndim;
    int64_t ni = im->shape[ax], vs = g->val->strides[ax], is = g->idx->strides[ax];
    int64_t os = g->out->strides[ax];
    int64_t ix[IDX_BLOCK];
    int64_t esz = (int64_t)g->esz, isz = (int64_t)mx_dtype_size(im->dtype);
    for (int64_t r = r0; r < r1; r++) {
        const char *vp = (const char *)mx_layout_ptr(g->val) + row_off(g->val, im->shape, nd, ax, r) * esz;
        const char *ip = (const char *)mx_layout_ptr(g->idx) + row_off(g->idx, im->shape, nd, ax, r) * isz;
        char *op = (char *)mx_layout_ptr(g->out) + row_off(g->out, im->shape, nd, ax, r) * esz;
        for (int64_t j0 = 0; j0 < ni; j0 += IDX_BLOCK) {
            int64_t m = ni - j0 < IDX_BLOCK ? ni - j0 : IDX_BLOCK;
            load_fixed(ix, ip + j0 * is * isz, is, im->dtype, m, g->dim);
            const char *v = vp + j0 * vs * esz;
#define SA(T)                                                                                      \
    for (int64_t j = 0; j < m; j++) ((T *)op)[ix[j] * os] = ((const T *)v)[j * vs];               \
    break;
            switch (esz) {
            case 1: SA(uint8_t)
            case 2: SA(uint16_t)
            case 4: SA(uint32_t)
            default: SA(uint64_t)
            }
#undef SA
        }
    }
}

static mx_status scatter_axis_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_axis_params *p = MX_PARAMS(mx_axis_params, n);
    MX_TRY(out_from_input(&out[0], &in[0]));
    int64_t size = mx_meta_size(&in[1].m);
    if (size == 0) return MX_OK;
    axis_ctx g = {&in[0], &in[1], &in[2], &out[0], p->axis, out[0].m.shape[p->axis],
                  mx_dtype_size(out[0].m.dtype)};
    int64_t ni = in[1].m.shape[p->axis];
    /* rows (positions off the axis) are disjoint in the output: parallel over rows */
    mx_parallel_for(size / ni, ni >= 4096 ? 1 : 4096 / ni, scatter_axis_range, &g);
    return MX_OK;
}

/* ---- masked scatter ---- */

static mx_status masked_scatter_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    MX_TRY(out_from_input(&out[0], &in[0]));
    int64_t size = mx_meta_size(&out[0].m);
    if (size == 0) return MX_OK;
    const mx_layout *mask = &in[1], *val = &in[2];
    int64_t nv = val->m.shape[0], vs = val->m.ndim ? val->strides[0] : 0;
    int64_t esz = (int64_t)mx_dtype_size(out[0].m.dtype);
    icount c;
    memset(&c, 0, sizeof c);
    c.nd = mask->m.ndim;
    c.n = 1;
    for (int d = 0; d < c.nd; d++) {
        c.shape[d] = mask->m.shape[d];
        c.st[0][d] = mask->strides[d];
    }
    ic_start(&c, 0);
    const bool *mp = mx_layout_ptr(mask);
    const char *vp = mx_layout_ptr(val);
    char *op = mx_layout_ptr(&out[0]); /* row-major */
    int64_t k = 0;
    for (int64_t i = 0; i < size && k < nv; i++) {
        if (mp[c.off[0]]) {
            copy_run(op + i * esz, 1, vp + k * vs * esz, 1, 1, (size_t)esz);
            k++;
        }
        ic_next(&c);
    }
    return MX_OK;
}

/* ---- slice updates and dynamic slices ---- */

/* write upd into the view of out given by per-axis start/step */
static mx_status write_view(mx_layout *out, const mx_layout *upd, const int64_t *start,
                            const int64_t *step) {
    if (mx_meta_size(&upd->m) == 0) return MX_OK;
    mx_layout v = *out;
    v.m.ndim = upd->m.ndim;
    for (int d = 0; d < v.m.ndim; d++) {
        v.m.shape[d] = upd->m.shape[d];
        v.offset += start[d] * out->strides[d];
        v.strides[d] = out->strides[d] * (step ? step[d] : 1);
    }
    mx_layout_update_flags(&v);
    return mx_cpu_copy_into(upd, &v);
}

static mx_status slice_update_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_slice_update_params *p = MX_PARAMS(mx_slice_update_params, n);
    MX_TRY(out_from_input(&out[0], &in[0]));
    return write_view(&out[0], &in[1], p->start, p->step);
}

/* start positions of a dynamic slice of shape `size` in an array of shape `shape` */
static void dyn_starts(const mx_dyn_slice_params *p, const mx_layout *start, const int64_t *shape,
                       const int64_t *size, int nd, int64_t *st) {
    for (int d = 0; d < nd; d++) st[d] = 0;
    const char *sp = mx_layout_ptr(start);
    int64_t ss = start->m.ndim ? start->strides[0] : 0, isz = (int64_t)mx_dtype_size(start->m.dtype);
    for (int i = 0; i < p->naxes; i++) {
        int ax = p->axes[i];
        st[ax] = fix_idx(load_idx(sp + i * ss * isz, start->m.dtype), shape[ax], size[ax]);
    }
}

static mx_status dynamic_slice_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_dyn_slice_params *p = MX_PARAMS(mx_dyn_slice_params, n);
    int nd = in[0].m.ndim;
    int64_t st[MX_MAX_DIMS], off = in[0].offset;
    if (mx_meta_size(&out[0].m) > 0) {
        dyn_starts(p, &in[1], in[0].m.shape, out[0].m.shape, nd, st);
        for (int d = 0; d < nd; d++) off += st[d] * in[0].strides[d];
    }
    mx_layout_share(&out[0], &in[0], in[0].strides, off);
    return MX_OK;
}

static mx_status dynamic_slice_update_kernel(const mx_node *n, const mx_layout *in,
                                             mx_layout *out) {
    const mx_dyn_slice_params *p = MX_PARAMS(mx_dyn_slice_params, n);
    MX_TRY(out_from_input(&out[0], &in[0]));
    int64_t st[MX_MAX_DIMS];
    dyn_starts(p, &in[2], out[0].m.shape, in[1].m.shape, out[0].m.ndim, st);
    return write_view(&out[0], &in[1], st, NULL);
}

void mx_cpu_register_index(mx_kernel_fn *k) {
    k[MX_PRIM_GATHER] = gather_kernel;
    k[MX_PRIM_GATHER_AXIS] = gather_axis_kernel;
    k[MX_PRIM_SCATTER] = scatter_kernel;
    k[MX_PRIM_SCATTER_AXIS] = scatter_axis_kernel;
    k[MX_PRIM_MASKED_SCATTER] = masked_scatter_kernel;
    k[MX_PRIM_SLICE_UPDATE] = slice_update_kernel;
    k[MX_PRIM_DYNAMIC_SLICE] = dynamic_slice_kernel;
    k[MX_PRIM_DYNAMIC_SLICE_UPDATE] = dynamic_slice_update_kernel;
}
