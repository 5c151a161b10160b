/* src/backend/cpu/fast.c: the CPU kernels of the fast family (src/prims/fast.def).
 *
 * RMS_NORM / LAYER_NORM normalise each row (the last axis) of x: rows are split into chunks run on
 * the thread pool, one task per chunk, each row handled whole by one task. float32 rows are read
 * in place (float64 likewise, in double); float16 / bfloat16 rows are widened into a float row of
 * the task's scratch first. Statistics are vector sums (GCC vector extensions, two accumulators):
 * rms_norm sums x^2; layer_norm takes the mean first and then sums (x - mean)^2 (two passes over
 * the row, numerically sound). The output is rounded as MLX's definition: the normalised value
 * is rounded to the dtype, then multiplied by the weight (rounded), then the bias is added
 * (rounded). Inputs that are not row-contiguous (x) or not unit-stride (weight, bias) are copied
 * first. All inputs share the output dtype (the op converts them).
 *
 * A custom CUDA kernel (CUSTOM_KERNEL) has no CPU form: its kernel reports an error. The ops
 * refuse CPU streams already, so this is reached only if such a node is run on the host anyway. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../prims/fast_params.h"
#include "cpu_impl.h"

static mx_status custom_kernel_cpu(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n, (void)in, (void)out;
    return mx_fail(MX_ERR_UNSUPPORTED, "[cuda_kernel] custom CUDA kernels run only on the GPU");
}

/* ---- row statistics: sum(x) and sum((x - c)^2), vectorised ---- */
typedef float  nv8f __attribute__((vector_size(32)));
typedef double nv4d __attribute__((vector_size(32)));

#define ROW_SUMS(SUF, T, V, SQRT)                                                                  \
    static T row_sum_##SUF(const T *x, int64_t n) {                                                \
        enum { W = sizeof(V) / sizeof(T) };                                                        \
        V a0 = {0}, a1 = {0};                                                                      \
        int64_t i = 0;                                                                             \
        for (; i + 2 * W <= n; i += 2 * W) {                                                       \
            V u, v;                                                                                \
            memcpy(&u, x + i, sizeof u);                                                           \
            memcpy(&v, x + i + W, sizeof v);                                                       \
            a0 += u;                                                                               \
            a1 += v;                                                                               \
        }                                                                                          \
        a0 += a1;                                                                                  \
        T s = 0;                                                                                   \
        for (int k = 0; k < W; k++) s += a0[k];                                                    \
        for (; i < n; i++) s += x[i];                                                              \
        return s;                                                                                  \
    }                                                                                              \
    static T row_sumsq_##SUF(const T *x, int64_t n, T c) {                                         \
        enum { W = sizeof(V) / sizeof(T) };                                                        \
        V a0 = {0}, a1 = {0};                                                                      \
        int64_t i = 0;                                                                             \
        for (; i + 2 * W <= n; i += 2 * W) {                                                       \
            V u, v;                                                                                \
            memcpy(&u, x + i, sizeof u);                                                           \
            memcpy(&v, x + i + W, sizeof v);                                                       \
            u -= c;                                                                                \
            v -= c;                                                                                \
            a0 += u * u;                                                                           \
            a1 += v * v;                                                                           \
        }                                                                                          \
        a0 += a1;                                                                                  \
        T s = 0;                                                                                   \
        for (int k = 0; k < W; k++) s += a0[k];                                                    \
        for (; i < n; i++) s += (x[i] - c) * (x[i] - c);                                           \
        return s;                                                                                  \
    }                                                                                              \
    /* the row's centre (layer_norm: its mean; rms_norm: 0) and 1 / sqrt(mean square + eps) */     \
    static void row_stats_##SUF(const T *x, int64_t n, int layer, T eps, T *centre, T *inv) {      \
        T c = layer ? row_sum_##SUF(x, n) / (T)n : (T)0;                                           \
        T ms = row_sumsq_##SUF(x, n, c) / (T)n;                                                    \
        *centre = c;                                                                               \
        *inv = (T)1 / SQRT(ms + eps);                                                              \
    }

ROW_SUMS(f32, float, nv8f, sqrtf)
ROW_SUMS(f64, double, nv4d, sqrt)

/* y = ((x - c) * inv) * w + b for native rows (w, b unit-stride or NULL) */
#define ROW_OUT(SUF, T)                                                                            \
    static void row_out_##SUF(const T *x, T *y, int64_t n, T c, T inv, const T *w, const T *b) {   \
        if (w && b)                                                                                \
            for (int64_t i = 0; i < n; i++) y[i] = ((x[i] - c) * inv) * w[i] + b[i];               \
        else if (w)                                                                                \
            for (int64_t i = 0; i < n; i++) y[i] = ((x[i] - c) * inv) * w[i];                      \
        else if (b)                                                                                \
            for (int64_t i = 0; i < n; i++) y[i] = ((x[i] - c) * inv) + b[i];                      \
        else                                                                                       \
            for (int64_t i = 0; i < n; i++) y[i] = (x[i] - c) * inv;                               \
    }
ROW_OUT(f32, float)
ROW_OUT(f64, double)

typedef struct norm_job {
    mx_dtype    t;
    int         layer;
    const char *x;
    char       *y;
    const void *w, *b;  /* unit-stride rows of the dtype (float rows for float16 / bfloat16) */
    int64_t     n, rows, nch;
    float      *tmp;    /* float16 / bfloat16: one float row per chunk */
    double      eps;
} norm_job;

/* float16 / bfloat16 row: widen, statistics in float, round after each step as MLX */
static void norm_row_half(const norm_job *j, const uint16_t *xs, uint16_t *ys, float *f) {
    int64_t n = j->n;
    bool    h = j->t == MX_FLOAT16;
    for (int64_t i = 0; i < n; i++) f[i] = h ? mx_half_to_float(xs[i]) : mx_bf16_to_float(xs[i]);
    float c, inv;
    row_stats_f32(f, n, j->layer, (float)j->eps, &c, &inv);
    const float *w = j->w, *b = j->b;
    for (int64_t i = 0; i < n; i++) {
        float v = (f[i] - c) * inv;
        if (h) {
            if (w) v = mx_half_to_float(mx_float_to_half(v)) * w[i];
            if (b) v = mx_half_to_float(mx_float_to_half(v)) + b[i];
            ys[i] = mx_float_to_half(v);
        } else {
            if (w) v = mx_bf16_to_float(mx_float_to_bf16(v)) * w[i];
            if (b) v = mx_bf16_to_float(mx_float_to_bf16(v)) + b[i];
            ys[i] = mx_float_to_bf16(v);
        }
    }
}

static void norm_range(void *ctx, int64_t c0, int64_t c1) {
    const norm_job *j = ctx;
    int64_t n = j->n;
    for (int64_t c = c0; c < c1; c++) {
        int64_t r0 = c * j->rows / j->nch, r1 = (c + 1) * j->rows / j->nch;
        for (int64_t r = r0; r < r1; r++) {
            if (j->t == MX_FLOAT32) {
                const float *x = (const float *)j->x + r * n;
                float cen, inv;
                row_stats_f32(x, n, j->layer, (float)j->eps, &cen, &inv);
                row_out_f32(x, (float *)j->y + r * n, n, cen, inv, j->w, j->b);
            } else if (j->t == MX_FLOAT64) {
                const double *x = (const double *)j->x + r * n;
                double cen, inv;
                row_stats_f64(x, n, j->layer, j->eps, &cen, &inv);
                row_out_f64(x, (double *)j->y + r * n, n, cen, inv, j->w, j->b);
            } else {
                norm_row_half(j, (const uint16_t *)j->x + r * n, (uint16_t *)j->y + r * n,
                              j->tmp + c * n);
            }
        }
    }
}

/* a unit-stride view of the 1-D weight / bias v: v itself, or a row-major copy in *tmp */
static mx_status unit_stride(const mx_layout *v, mx_layout *tmp, const void **p) {
    if (v->m.shape[0] <= 1 || v->strides[0] == 1) {
        *p = mx_layout_ptr(v);
        return MX_OK;
    }
    MX_TRY(mx_cpu_copy_row_major(v, tmp));
    *p = mx_layout_ptr(tmp);
    return MX_OK;
}

/* float16 / bfloat16 1-D of n elements -> a malloc'd float array */
static float *widen(mx_dtype t, const uint16_t *v, int64_t n) {
    float *f = malloc(sizeof(float) * (size_t)(n + 1));
    for (int64_t i = 0; f && i < n; i++)
        f[i] = t == MX_FLOAT16 ? mx_half_to_float(v[i]) : mx_bf16_to_float(v[i]);
    return f;
}

static mx_status norm_kernel(const mx_node *nd, const mx_layout *in, mx_layout *out) {
    const mx_norm_params *p = MX_PARAMS(mx_norm_params, nd);
    int layer = nd->prim == MX_PRIM_LAYER_NORM;
    const char *op = layer ? "layer_norm" : "rms_norm";
    mx_dtype t = in[0].m.dtype;
    MX_CHECK(mx_dtype_is_float(t) && in[0].m.ndim >= 1, MX_ERR_UNSUPPORTED,
             "[%s] not supported for %s", op, mx_dtype_name(t));
    MX_TRY(mx_layout_alloc(&out[0]));
    int64_t size = mx_meta_size(&in[0].m), n = in[0].m.shape[in[0].m.ndim - 1];
    if (size == 0 || n == 0) return MX_OK;
    const mx_layout *wv = p->has_weight ? &in[1] : NULL;
    const mx_layout *bv = p->has_bias ? &in[1 + !!p->has_weight] : NULL;
    mx_layout xt, wt, bt;
    memset(&wt, 0, sizeof wt);
    memset(&bt, 0, sizeof bt);
    const mx_layout *xs = &in[0];
    if (!(in[0].flags & MX_ROW_CONTIG)) {
        memset(&xt, 0, sizeof xt);
        MX_TRY(mx_cpu_copy_row_major(&in[0], &xt));
        xs = &xt;
    }
    norm_job j;
    memset(&j, 0, sizeof j);
    j.t = t;
    j.layer = layer;
    j.x = mx_layout_ptr(xs);
    j.y = mx_layout_ptr(&out[0]);
    j.n = n;
    j.rows = size / n;
    j.eps = (double)p->eps;
    mx_status st = MX_OK;
    if (wv) st = unit_stride(wv, &wt, &j.w);
    if (st == MX_OK && bv) st = unit_stride(bv, &bt, &j.b);
    bool half = t == MX_FLOAT16 || t == MX_BFLOAT16;
    float *wf = NULL, *bf = NULL;
    /* chunks of whole rows: one per thread at most, at least ~32K elements each */
    int64_t nch = mx_pool_threads(), min_rows = 1 + (1 << 15) / n;
    if (j.rows / min_rows < nch) nch = j.rows / min_rows;
    if (nch < 1) nch = 1;
    j.nch = nch;
    if (st == MX_OK && half) {
        if (j.w) j.w = wf = widen(t, j.w, n);
        if (j.b) j.b = bf = widen(t, j.b, n);
        j.tmp = malloc((size_t)nch * (size_t)n * sizeof(float));
        if (!j.tmp || (wv && !wf) || (bv && !bf))
            st = mx_fail(MX_ERR_NOMEM, "[%s] out of memory", op);
    }
    if (st == MX_OK) mx_parallel_for(nch, 1, norm_range, &j);
    free(j.tmp);
    free(wf);
    free(bf);
    if (xs != &in[0]) mx_buffer_release(xt.buf);
    if (wt.buf) mx_buffer_release(wt.buf);
    if (bt.buf) mx_buffer_release(bt.buf);
    return st;
}

void mx_cpu_register_fast(mx_kernel_fn *k) {
    k[MX_PRIM_CUSTOM_KERNEL] = custom_kernel_cpu;
    k[MX_PRIM_RMS_NORM] = norm_kernel;
    k[MX_PRIM_LAYER_NORM] = norm_kernel;
}
