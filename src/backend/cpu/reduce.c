/* src/backend/cpu/reduce.c: CPU kernels of the reduce family (src/prims/reduce.def): REDUCE
 * (sum, prod, min, max, and, or; sum may divide by the count for mean), ARG_REDUCE (argmin,
 * argmax) and the fused last-axis SOFTMAX. SCAN lives in scan.c and is registered from here.
 *
 * REDUCE: a non-row-contiguous input is first copied row-major. Size-1 axes are dropped and
 * neighbouring axes that are both reduced or both kept are merged, which leaves one of two shapes:
 *   last axis reduced  -> "segment" reduction: every output reduces contiguous runs (full
 *                         reductions are split into chunks over the pool and combined in order);
 *   last axis kept     -> "column" reduction: rows of the trailing block are accumulated into a
 *                         vector of accumulators (axis 0 of a matrix and the like).
 * Per-dtype inner loops come from macros: several independent lanes so that the compiler
 * vectorises them; float16/bfloat16/float32 sums accumulate in float32 lanes over blocks whose
 * totals are added in double; integers wrap (the library builds with -fwrapv).
 */
#pragma GCC diagnostic ignored "-Wfloat-conversion"
#pragma GCC diagnostic ignored "-Wbool-operation"
#pragma GCC diagnostic ignored "-Wint-in-bool-context"
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "reduce_impl.h"

/* accumulator operations */
#define OP_ADD(a, b) ((a) + (b))
#define OP_MUL(a, b) ((a) * (b))
#define OP_IMAX(a, b) ((b) > (a) ? (b) : (a))
#define OP_IMIN(a, b) ((b) < (a) ? (b) : (a))
/* NaN sticks: once a is NaN it stays, a NaN b replaces a */
#define OP_FMAX(a, b) (((b) > (a) || (b) != (b)) ? (b) : (a))
#define OP_FMIN(a, b) (((b) < (a) || (b) != (b)) ? (b) : (a))
#define OP_AND(a, b) ((a) && (b))
#define OP_OR(a, b) ((a) || (b))

#define DIV_NONE(v, mean, cnt) (v)
#define DIV_REAL(v, mean, cnt) ((mean) ? (v) / (cnt) : (v))
#define DIV_CPLX(v, mean, cnt) ((mean) ? (v) / (float)(cnt) : (v))

typedef struct red_vt {
    size_t asz; /* accumulator bytes */
    void (*init)(void *acc, int64_t n);
    void (*seg)(const void *x, int64_t n, void *acc);  /* acc[0] = op(acc[0], x[0..n)) */
    void (*col)(const void *x, int64_t n, void *acc);  /* acc[i] = op(acc[i], x[i]) */
    void (*comb)(void *acc, const void *b);            /* acc[0] = op(acc[0], b[0]) */
    void (*store)(const void *acc, int64_t n, void *out, int mean, double cnt);
} red_vt;

/* everything but seg */
#define RED_COMMON(NAME, T, A, LD, ST, INIT, OP, DIV)                                              \
    static void init_##NAME(void *accv, int64_t n) {                                               \
        A *a = accv;                                                                               \
        for (int64_t i = 0; i < n; i++) a[i] = INIT;                                               \
    }                                                                                              \
    static void col_##NAME(const void *xv, int64_t n, void *accv) {                                \
        const T *x = xv;                                                                           \
        A *a = accv;                                                                               \
        for (int64_t i = 0; i < n; i++) a[i] = OP(a[i], (A)LD(x[i]));                              \
    }                                                                                              \
    static void comb_##NAME(void *accv, const void *bv) {                                          \
        A *a = accv;                                                                               \
        *a = OP(*a, *(const A *)bv);                                                               \
    }                                                                                              \
    static void store_##NAME(const void *accv, int64_t n, void *outv, int mean, double cnt) {      \
        const A *a = accv;                                                                         \
        T *o = outv;                                                                               \
        (void)mean;                                                                                \
        (void)cnt;                                                                                 \
        for (int64_t i = 0; i < n; i++) o[i] = ST(DIV(a[i], mean, cnt));                           \
    }

/* generic scalar lanes (half types, complex) */
#define RED_GEN(NAME, T, A, LD, ST, INIT, OP, DIV)                                                 \
    RED_COMMON(NAME, T, A, LD, ST, INIT, OP, DIV)                                                  \
    static void seg_##NAME(const void *xv, int64_t n, void *accv) {                                \
        const T *x = xv;                                                                           \
        A r = *(A *)accv;                                                                          \
        for (int64_t i = 0; i < n; i++) r = OP(r, (A)LD(x[i]));                                    \
        *(A *)accv = r;                                                                            \
    }

/* native types: explicit SIMD with GCC vector extensions, four vector accumulators.
 * V: vector of T, VI: the signed integer vector of the same layout (comparison results). */
#define VB 32
#define VSEL(VI, m, a, b) ((__typeof__(a))(((VI)(a) & (m)) | ((VI)(b) & ~(m))))
#define VOP_ADD(VI, a, x) ((a) + (x))
#define VOP_MUL(VI, a, x) ((a) * (x))
#define VOP_BAND(VI, a, x) ((a) & (x))
#define VOP_BOR(VI, a, x) ((a) | (x))
#define VOP_IMAX(VI, a, x) VSEL(VI, (x) > (a), x, a)
#define VOP_IMIN(VI, a, x) VSEL(VI, (x) < (a), x, a)
#define VOP_FMAX(VI, a, x) VSEL(VI, ((x) > (a)) | ((x) != (x)), x, a)
#define VOP_FMIN(VI, a, x) VSEL(VI, ((x) < (a)) | ((x) != (x)), x, a)
#define OP_BAND(a, b) ((a) & (b))
#define OP_BOR(a, b) ((a) | (b))

#define VSEG(NAME, T, V, VI, INIT, OP, VOP)                                                        \
    static void seg_##NAME(const void *xv, int64_t n, void *accv) {                                \
        const T *x = xv;                                                                           \
        enum { W = VB / sizeof(T) };                                                               \
        V v0, v1, v2, v3;                                                                          \
        for (int j = 0; j < W; j++) v0[j] = INIT;                                                  \
        v1 = v2 = v3 = v0;                                                                         \
        int64_t i = 0;                                                                             \
        for (; i + 4 * W <= n; i += 4 * W) {                                                       \
            V x0, x1, x2, x3;                                                                      \
            memcpy(&x0, x + i, VB);                                                                \
            memcpy(&x1, x + i + W, VB);                                                            \
            memcpy(&x2, x + i + 2 * W, VB);                                                        \
            memcpy(&x3, x + i + 3 * W, VB);                                                        \
            v0 = VOP(VI, v0, x0);                                                                  \
            v1 = VOP(VI, v1, x1);                                                                  \
            v2 = VOP(VI, v2, x2);                                                                  \
            v3 = VOP(VI, v3, x3);                                                                  \
        }                                                                                          \
        v0 = VOP(VI, v0, v1);                                                                      \
        v2 = VOP(VI, v2, v3);                                                                      \
        v0 = VOP(VI, v0, v2);                                                                      \
        T r = *(T *)accv;                                                                          \
        for (int j = 0; j < W; j++) r = OP(r, v0[j]);                                              \
        for (; i < n; i++) r = OP(r, x[i]);                                                        \
        *(T *)accv = r;                                                                            \
    }
#define RED_VEC(NAME, T, V, VI, INIT, OP, VOP, DIV)                                                \
    RED_COMMON(NAME, T, T, LD_ID, ST_CAST, INIT, OP, DIV)                                          \
    VSEG(NAME, T, V, VI, INIT, OP, VOP)

#define LD_ID(v) (v)
#define ST_CAST(v) (v)
#define LD_H(v) mx_half_to_float(v)
#define ST_H(v) mx_float_to_half((float)(v))
#define LD_B(v) mx_bf16_to_float(v)
#define ST_B(v) mx_float_to_bf16((float)(v))
typedef float _Complex cf32;
#define VT_(T, n) typedef T n __attribute__((vector_size(VB)));
VT_(uint8_t, vu8) VT_(uint16_t, vu16) VT_(uint32_t, vu32) VT_(uint64_t, vu64)
VT_(int8_t, vi8) VT_(int16_t, vi16) VT_(int32_t, vi32) VT_(int64_t, vi64)
VT_(float, vf32) VT_(double, vf64)

/* float32 sum of a contiguous run: vector partial sums over blocks, block totals in double */
static double fsum32(const float *x, int64_t n) {
    double tot = 0;
    for (int64_t b = 0; b < n; b += 4096) {
        int64_t e = b + 4096 < n ? b + 4096 : n, i = b;
        vf32 s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
        for (; i + 32 <= e; i += 32) {
            vf32 x0, x1, x2, x3;
            memcpy(&x0, x + i, VB);
            memcpy(&x1, x + i + 8, VB);
            memcpy(&x2, x + i + 16, VB);
            memcpy(&x3, x + i + 24, VB);
            s0 += x0;
            s1 += x1;
            s2 += x2;
            s3 += x3;
        }
        s0 = (s0 + s1) + (s2 + s3);
        float r = ((s0[0] + s0[1]) + (s0[2] + s0[3])) + ((s0[4] + s0[5]) + (s0[6] + s0[7]));
        for (; i < e; i++) r += x[i];
        tot += (double)r;
    }
    return tot;
}
/* float sums: float32 directly, half types converted a block at a time */
#define RED_FSUM(NAME, T, LD, ST)                                                                  \
    RED_COMMON(NAME, T, float, LD, ST, 0.0f, OP_ADD, DIV_REAL)                                     \
    static void seg_##NAME(const void *xv, int64_t n, void *accv) {                                \
        const T *x = xv;                                                                           \
        if (sizeof(T) == sizeof(float)) {                                                          \
            *(float *)accv += (float)fsum32((const float *)xv, n);                                 \
            return;                                                                                \
        }                                                                                          \
        float buf[512];                                                                            \
        double tot = 0;                                                                            \
        for (int64_t b = 0; b < n; b += 512) {                                                     \
            int64_t m = n - b < 512 ? n - b : 512;                                                 \
            for (int64_t i = 0; i < m; i++) buf[i] = LD(x[b + i]);                                 \
            tot += fsum32(buf, m);                                                                 \
        }                                                                                          \
        *(float *)accv += (float)tot;                                                              \
    }

/* integer sums, products, extremes (wrapping) */
#define RED_INT(DT, T, V, VI, LO, HI)                                                              \
    RED_VEC(sum_##DT, T, V, VI, 0, OP_ADD, VOP_ADD, DIV_NONE)                                      \
    RED_VEC(prod_##DT, T, V, VI, 1, OP_MUL, VOP_MUL, DIV_NONE)                                     \
    RED_VEC(min_##DT, T, V, VI, HI, OP_IMIN, VOP_IMIN, DIV_NONE)                                   \
    RED_VEC(max_##DT, T, V, VI, LO, OP_IMAX, VOP_IMAX, DIV_NONE)
RED_INT(UINT8, uint8_t, vu8, vi8, 0, UINT8_MAX)
RED_INT(UINT16, uint16_t, vu16, vi16, 0, UINT16_MAX)
RED_INT(UINT32, uint32_t, vu32, vi32, 0, UINT32_MAX)
RED_INT(UINT64, uint64_t, vu64, vi64, 0, UINT64_MAX)
RED_INT(INT8, int8_t, vi8, vi8, INT8_MIN, INT8_MAX)
RED_INT(INT16, int16_t, vi16, vi16, INT16_MIN, INT16_MAX)
RED_INT(INT32, int32_t, vi32, vi32, INT32_MIN, INT32_MAX)
RED_INT(INT64, int64_t, vi64, vi64, INT64_MIN, INT64_MAX)

/* bool (0/1 bytes) seen as uint8: min = and, max = or */
RED_VEC(min_BOOL, uint8_t, vu8, vi8, 1, OP_BAND, VOP_BAND, DIV_NONE)
RED_VEC(max_BOOL, uint8_t, vu8, vi8, 0, OP_BOR, VOP_BOR, DIV_NONE)
RED_VEC(and_BOOL, uint8_t, vu8, vi8, 1, OP_BAND, VOP_BAND, DIV_NONE)
RED_VEC(or_BOOL, uint8_t, vu8, vi8, 0, OP_BOR, VOP_BOR, DIV_NONE)

#define RED_HALF(DT, LD, ST)                                                                       \
    RED_GEN(prod_##DT, uint16_t, float, LD, ST, 1, OP_MUL, DIV_NONE)                               \
    RED_GEN(min_##DT, uint16_t, float, LD, ST, INFINITY, OP_FMIN, DIV_NONE)                        \
    RED_GEN(max_##DT, uint16_t, float, LD, ST, -INFINITY, OP_FMAX, DIV_NONE)                       \
    RED_FSUM(sum_##DT, uint16_t, LD, ST)
RED_HALF(FLOAT16, LD_H, ST_H)
RED_HALF(BFLOAT16, LD_B, ST_B)
RED_FSUM(sum_FLOAT32, float, LD_ID, ST_CAST)
RED_VEC(prod_FLOAT32, float, vf32, vi32, 1, OP_MUL, VOP_MUL, DIV_NONE)
RED_VEC(min_FLOAT32, float, vf32, vi32, INFINITY, OP_FMIN, VOP_FMIN, DIV_NONE)
RED_VEC(max_FLOAT32, float, vf32, vi32, -INFINITY, OP_FMAX, VOP_FMAX, DIV_NONE)
RED_VEC(sum_FLOAT64, double, vf64, vi64, 0, OP_ADD, VOP_ADD, DIV_REAL)
RED_VEC(prod_FLOAT64, double, vf64, vi64, 1, OP_MUL, VOP_MUL, DIV_NONE)
RED_VEC(min_FLOAT64, double, vf64, vi64, INFINITY, OP_FMIN, VOP_FMIN, DIV_NONE)
RED_VEC(max_FLOAT64, double, vf64, vi64, -INFINITY, OP_FMAX, VOP_FMAX, DIV_NONE)
RED_GEN(sum_COMPLEX64, cf32, cf32, LD_ID, ST_CAST, 0, OP_ADD, DIV_CPLX)
RED_GEN(prod_COMPLEX64, cf32, cf32, LD_ID, ST_CAST, 1, OP_MUL, DIV_NONE)

#define VT(OP, DT, A)                                                                              \
    [MX_##DT] = {sizeof(A), init_##OP##_##DT, seg_##OP##_##DT, col_##OP##_##DT, comb_##OP##_##DT,  \
                 store_##OP##_##DT}
#define VT_INTS(OP)                                                                                \
    [MX_UINT8] = {1, init_##OP##_UINT8, seg_##OP##_UINT8, col_##OP##_UINT8, comb_##OP##_UINT8,      \
                  store_##OP##_UINT8},                                                             \
    [MX_UINT16] = {2, init_##OP##_UINT16, seg_##OP##_UINT16, col_##OP##_UINT16,                    \
                   comb_##OP##_UINT16, store_##OP##_UINT16},                                       \
    [MX_UINT32] = {4, init_##OP##_UINT32, seg_##OP##_UINT32, col_##OP##_UINT32,                    \
                   comb_##OP##_UINT32, store_##OP##_UINT32},                                       \
    [MX_UINT64] = {8, init_##OP##_UINT64, seg_##OP##_UINT64, col_##OP##_UINT64,                    \
                   comb_##OP##_UINT64, store_##OP##_UINT64},                                       \
    [MX_INT8] = {1, init_##OP##_INT8, seg_##OP##_INT8, col_##OP##_INT8, comb_##OP##_INT8,          \
                 store_##OP##_INT8},                                                               \
    [MX_INT16] = {2, init_##OP##_INT16, seg_##OP##_INT16, col_##OP##_INT16, comb_##OP##_INT16,     \
                  store_##OP##_INT16},                                                             \
    [MX_INT32] = {4, init_##OP##_INT32, seg_##OP##_INT32, col_##OP##_INT32, comb_##OP##_INT32,     \
                  store_##OP##_INT32},                                                             \
    [MX_INT64] = {8, init_##OP##_INT64, seg_##OP##_INT64, col_##OP##_INT64, comb_##OP##_INT64,     \
                  store_##OP##_INT64}
#define VT_FLTS(OP, A16)                                                                           \
    [MX_FLOAT16] = {sizeof(A16), init_##OP##_FLOAT16, seg_##OP##_FLOAT16, col_##OP##_FLOAT16,      \
                    comb_##OP##_FLOAT16, store_##OP##_FLOAT16},                                    \
    [MX_BFLOAT16] = {sizeof(A16), init_##OP##_BFLOAT16, seg_##OP##_BFLOAT16,                       \
                     col_##OP##_BFLOAT16, comb_##OP##_BFLOAT16, store_##OP##_BFLOAT16},            \
    [MX_FLOAT32] = {sizeof(float), init_##OP##_FLOAT32, seg_##OP##_FLOAT32, col_##OP##_FLOAT32,    \
                    comb_##OP##_FLOAT32, store_##OP##_FLOAT32},                                    \
    [MX_FLOAT64] = {sizeof(double), init_##OP##_FLOAT64, seg_##OP##_FLOAT64, col_##OP##_FLOAT64,   \
                    comb_##OP##_FLOAT64, store_##OP##_FLOAT64}

static const red_vt red_table[6][MX_NUM_DTYPES] = {
    [MX_RED_SUM] = {VT_INTS(sum), VT_FLTS(sum, float), VT(sum, COMPLEX64, cf32)},
    [MX_RED_PROD] = {VT_INTS(prod), VT_FLTS(prod, float), VT(prod, COMPLEX64, cf32)},
    [MX_RED_MIN] = {VT_INTS(min), VT_FLTS(min, float), VT(min, BOOL, bool)},
    [MX_RED_MAX] = {VT_INTS(max), VT_FLTS(max, float), VT(max, BOOL, bool)},
    [MX_RED_AND] = {VT(and, BOOL, bool)},
    [MX_RED_OR] = {VT(or, BOOL, bool)},
};

/* ---- the driver ---- */
#define MAX_ACC 16 /* bytes of the largest accumulator */
#define COLS 4096 /* accumulators per column work item */

typedef struct red_job {
    const red_vt *vt;
    const char   *x;
    char         *y;
    size_t        isz, osz;
    int           mean;
    double        cnt;
    /* collapsed geometry: kept outer dims (kn, ks, kst) and reduced outer dims (rn, rs, rst) */
    int           kn, rn;
    int64_t       ks[MX_MAX_DIMS], kst[MX_MAX_DIMS], rs[MX_MAX_DIMS], rst[MX_MAX_DIMS];
    int64_t       P;     /* combinations of the reduced outer dims */
    int64_t       inner; /* size of the last collapsed dim */
    int64_t       ncol;  /* column items per outer output (column mode) */
    int64_t       cb;    /* columns per item (<= COLS) */
    int64_t       chunk; /* elements per chunk (full reduction) */
    unsigned char *part; /* partial accumulators (full reduction) */
} red_job;

/* input offset (elements) of outer-kept index o and of reduced combination p */
static inline int64_t kept_off(const red_job *j, int64_t o) {
    int64_t off = 0;
    for (int d = j->kn - 1; d >= 0; d--) {
        off += (o % j->ks[d]) * j->kst[d];
        o /= j->ks[d];
    }
    return off;
}
static inline int64_t red_off(const red_job *j, int64_t p) {
    int64_t off = 0;
    for (int d = j->rn - 1; d >= 0; d--) {
        off += (p % j->rs[d]) * j->rst[d];
        p /= j->rs[d];
    }
    return off;
}

static void seg_range(void *ctx, int64_t b, int64_t e) {
    const red_job *j = ctx;
    unsigned char acc[MAX_ACC];
    for (int64_t o = b; o < e; o++) {
        j->vt->init(acc, 1);
        int64_t base = kept_off(j, o);
        for (int64_t p = 0; p < j->P; p++)
            j->vt->seg(j->x + (size_t)(base + red_off(j, p)) * j->isz, j->inner, acc);
        j->vt->store(acc, 1, j->y + (size_t)o * j->osz, j->mean, j->cnt);
    }
}

static void full_range(void *ctx, int64_t b, int64_t e) {
    const red_job *j = ctx;
    for (int64_t c = b; c < e; c++) {
        void *acc = j->part + (size_t)c * j->vt->asz;
        int64_t s0 = c * j->chunk, n = j->inner - s0 < j->chunk ? j->inner - s0 : j->chunk;
        j->vt->init(acc, 1);
        j->vt->seg(j->x + (size_t)s0 * j->isz, n, acc);
    }
}

static void col_range(void *ctx, int64_t b, int64_t e) {
    const red_job *j = ctx;
    _Alignas(64) unsigned char acc[COLS * MAX_ACC];
    for (int64_t it = b; it < e; it++) {
        int64_t o = it / j->ncol, m0 = (it % j->ncol) * j->cb;
        int64_t n = j->inner - m0 < j->cb ? j->inner - m0 : j->cb;
        int64_t base = kept_off(j, o) + m0;
        j->vt->init(acc, n);
        for (int64_t p = 0; p < j->P; p++)
            j->vt->col(j->x + (size_t)(base + red_off(j, p)) * j->isz, n, acc);
        j->vt->store(acc, n, j->y + (size_t)(o * j->inner + m0) * j->osz, j->mean, j->cnt);
    }
}

static mx_status reduce_kernel(const mx_node *nd, const mx_layout *in, mx_layout *out) {
    const mx_reduce_params *p = MX_PARAMS(mx_reduce_params, nd);
    mx_dtype t = in[0].m.dtype;
    const red_vt *vt = (p->type >= 0 && p->type < 6) ? &red_table[p->type][t] : NULL;
    if (!vt || !vt->seg)
        return mx_fail(MX_ERR_UNSUPPORTED, "[reduce] reduction %d not supported for %s",
                       p ? p->type : -1, mx_dtype_name(t));
    MX_TRY(mx_layout_alloc(&out[0]));
    int64_t osize = mx_meta_size(&out[0].m), isize = mx_meta_size(&in[0].m);
    if (osize == 0) return MX_OK;
    red_job j;
    memset(&j, 0, sizeof j);
    j.vt = vt;
    j.isz = j.osz = mx_dtype_size(t);
    j.y = mx_layout_ptr(&out[0]);
    j.mean = p->mean;
    j.cnt = 1;
    for (int d = 0; d < in[0].m.ndim; d++)
        if (p->axes & (1u << d)) j.cnt *= (double)in[0].m.shape[d];
    if (isize == 0) { /* reducing nothing: the identity everywhere */
        unsigned char acc[COLS * MAX_ACC];
        for (int64_t o = 0; o < osize; o += COLS) {
            int64_t n = osize - o < COLS ? osize - o : COLS;
            vt->init(acc, n);
            vt->store(acc, n, j.y + (size_t)o * j.osz, j.mean, j.cnt);
        }
        return MX_OK;
    }
    mx_layout tmp;
    const mx_layout *src;
    MX_TRY(mx_red_row_contig(&in[0], &tmp, &src));
    j.x = mx_layout_ptr(src);
    /* collapse: drop size-1 dims, merge neighbours of the same kind */
    int64_t sh[MX_MAX_DIMS + 1];
    int red[MX_MAX_DIMS + 1], k = 0;
    for (int d = 0; d < in[0].m.ndim; d++) {
        int64_t n = in[0].m.shape[d];
        int r = (p->axes >> d) & 1;
        if (n == 1) continue;
        if (k > 0 && red[k - 1] == r) sh[k - 1] *= n;
        else {
            sh[k] = n;
            red[k++] = r;
        }
    }
    if (k == 0) {
        sh[0] = 1;
        red[k++] = 1;
    }
    int64_t st = 1, stv[MX_MAX_DIMS + 1];
    for (int d = k - 1; d >= 0; d--) {
        stv[d] = st;
        st *= sh[d];
    }
    j.P = 1;
    int64_t K = 1;
    for (int d = 0; d < k - 1; d++) {
        if (red[d]) {
            j.rs[j.rn] = sh[d];
            j.rst[j.rn++] = stv[d];
            j.P *= sh[d];
        } else {
            j.ks[j.kn] = sh[d];
            j.kst[j.kn++] = stv[d];
            K *= sh[d];
        }
    }
    j.inner = sh[k - 1];
    if (red[k - 1] && K == 1 && j.P == 1) {
        /* full reduction of a contiguous run: fixed chunks, combined in order */
        int64_t nch = j.inner / (1 << 16);
        if (nch < 1) nch = 1;
        if (nch > 64) nch = 64;
        j.chunk = (j.inner + nch - 1) / nch;
        nch = (j.inner + j.chunk - 1) / j.chunk;
        unsigned char part[64 * MAX_ACC];
        j.part = part;
        mx_parallel_for(nch, 1, full_range, &j);
        unsigned char acc[MAX_ACC];
        vt->init(acc, 1);
        for (int64_t c = 0; c < nch; c++) vt->comb(acc, part + (size_t)c * vt->asz);
        vt->store(acc, 1, j.y, j.mean, j.cnt);
    } else if (red[k - 1]) {
        int64_t per = j.P * j.inner;
        mx_parallel_for(K, 1 + (1 << 15) / (per > 0 ? per : 1), seg_range, &j);
    } else {
        j.cb = COLS;
        j.ncol = (j.inner + j.cb - 1) / j.cb;
        int64_t per = j.P * (j.inner < j.cb ? j.inner : j.cb);
        mx_parallel_for(K * j.ncol, 1 + (1 << 15) / (per > 0 ? per : 1), col_range, &j);
    }
    mx_red_release_tmp(src, &tmp);
    return MX_OK;
}

/* ---- argmin / argmax: any strides, one output per position of the other axes ---- */
typedef uint32_t (*arg_fn)(const void *x, int64_t n, int64_t stride, int is_max);
#define ISNAN_F(v) isnan(v)
#define ISNAN_I(v) 0
#define GEN_ARG(DT, T, CT, LD, ISNAN)                                                                  \
    static uint32_t arg_##DT(const void *xv, int64_t n, int64_t st, int is_max) {                 \
        const T *x = xv;                                                                           \
        CT best = LD(x[0]);                                                      \
        if (ISNAN(best)) return 0;                                                                 \
        int64_t bi = 0;                                                                            \
        for (int64_t i = 1; i < n; i++) {                                                          \
            CT v = LD(x[i * st]);                                                    \
            if (ISNAN(v)) return (uint32_t)i;                                                      \
            if (is_max ? v > best : v < best) {                                                    \
                best = v;                                                                          \
                bi = i;                                                                            \
            }                                                                                      \
        }                                                                                          \
        return (uint32_t)bi;                                                                       \
    }
GEN_ARG(BOOL, bool, bool, LD_ID, ISNAN_I)
GEN_ARG(UINT8, uint8_t, uint8_t, LD_ID, ISNAN_I)
GEN_ARG(UINT16, uint16_t, uint16_t, LD_ID, ISNAN_I)
GEN_ARG(UINT32, uint32_t, uint32_t, LD_ID, ISNAN_I)
GEN_ARG(UINT64, uint64_t, uint64_t, LD_ID, ISNAN_I)
GEN_ARG(INT8, int8_t, int8_t, LD_ID, ISNAN_I)
GEN_ARG(INT16, int16_t, int16_t, LD_ID, ISNAN_I)
GEN_ARG(INT32, int32_t, int32_t, LD_ID, ISNAN_I)
GEN_ARG(INT64, int64_t, int64_t, LD_ID, ISNAN_I)
GEN_ARG(FLOAT16, uint16_t, float, LD_H, ISNAN_F)
GEN_ARG(FLOAT32, float, float, LD_ID, ISNAN_F)
GEN_ARG(FLOAT64, double, double, LD_ID, ISNAN_F)
GEN_ARG(BFLOAT16, uint16_t, float, LD_B, ISNAN_F)

static const arg_fn arg_table[MX_NUM_DTYPES] = {
    [MX_BOOL] = arg_BOOL,       [MX_UINT8] = arg_UINT8,     [MX_UINT16] = arg_UINT16,
    [MX_UINT32] = arg_UINT32,   [MX_UINT64] = arg_UINT64,   [MX_INT8] = arg_INT8,
    [MX_INT16] = arg_INT16,     [MX_INT32] = arg_INT32,     [MX_INT64] = arg_INT64,
    [MX_FLOAT16] = arg_FLOAT16, [MX_FLOAT32] = arg_FLOAT32, [MX_FLOAT64] = arg_FLOAT64,
    [MX_BFLOAT16] = arg_BFLOAT16};

typedef struct arg_job {
    arg_fn         fn;
    const char    *x;
    uint32_t      *y;
    size_t         isz;
    int            is_max, nd; /* nd: other axes */
    int64_t        n, stride, sh[MX_MAX_DIMS], st[MX_MAX_DIMS];
} arg_job;

static void arg_range(void *ctx, int64_t b, int64_t e) {
    const arg_job *j = ctx;
    for (int64_t o = b; o < e; o++) {
        int64_t off = 0, r = o;
        for (int d = j->nd - 1; d >= 0; d--) {
            off += (r % j->sh[d]) * j->st[d];
            r /= j->sh[d];
        }
        j->y[o] = j->fn(j->x + off * (int64_t)j->isz, j->n, j->stride, j->is_max);
    }
}

static mx_status arg_reduce_kernel(const mx_node *nd, const mx_layout *in, mx_layout *out) {
    const mx_arg_reduce_params *p = MX_PARAMS(mx_arg_reduce_params, nd);
    mx_dtype t = in[0].m.dtype;
    arg_fn fn = arg_table[t];
    if (!fn) return mx_fail(MX_ERR_UNSUPPORTED, "[arg_reduce] not supported for %s",
                            mx_dtype_name(t));
    MX_TRY(mx_layout_alloc(&out[0]));
    int64_t osize = mx_meta_size(&out[0].m);
    arg_job j;
    memset(&j, 0, sizeof j);
    j.fn = fn;
    j.x = mx_layout_ptr(&in[0]);
    j.y = mx_layout_ptr(&out[0]);
    j.isz = mx_dtype_size(t);
    j.is_max = p->type == MX_ARG_MAX;
    j.n = in[0].m.shape[p->axis];
    j.stride = in[0].strides[p->axis];
    if (osize == 0 || j.n == 0) {
        for (int64_t o = 0; o < osize; o++) j.y[o] = 0; /* ops reject empty axes */
        return MX_OK;
    }
    for (int d = 0; d < in[0].m.ndim; d++)
        if (d != p->axis) {
            j.sh[j.nd] = in[0].m.shape[d];
            j.st[j.nd++] = in[0].strides[d];
        }
    mx_parallel_for(osize, 1 + (1 << 15) / j.n, arg_range, &j);
    return MX_OK;
}

/* ---- softmax over the last axis (row-contiguous rows, computed in float or double) ---- */

/* exp of 8 floats: exp(x) = 2^n * e^r with |r| <= ln2/2 and a degree-7 Taylor polynomial (about
 * 1 ulp); 2^n is applied in two halves so that results near overflow and in the denormal range
 * round correctly. NaN stays NaN, x > 88.8 gives inf, x < -104 gives 0. */
typedef int32_t vi32x8 __attribute__((vector_size(32)));
static inline vf32 splat8(float c) { return (vf32){c, c, c, c, c, c, c, c}; }
static inline vf32 vexpf(vf32 x) {
    vf32 xc = VSEL(vi32x8, x < -104.0f, splat8(-104.0f), x);
    xc = VSEL(vi32x8, xc > 88.8f, splat8(88.8f), xc);
    vf32 t = xc * 1.44269504088896341f + 12582912.0f; /* round to nearest via 1.5 * 2^23 */
    vf32 fn = t - 12582912.0f;
    vf32 r = xc - fn * 0.693359375f;
    r = r + fn * 2.12194440e-4f;
    vf32 q = r * (1.0f / 5040) + 1.0f / 720;
    q = q * r + 1.0f / 120;
    q = q * r + 1.0f / 24;
    q = q * r + 1.0f / 6;
    q = q * r + 0.5f;
    q = q * r + 1.0f;
    q = q * r + 1.0f;
    vi32x8 n = __builtin_convertvector(fn, vi32x8), n1 = n >> 1, n2 = n - n1;
    vf32 s1 = (vf32)((n1 + 127) << 23), s2 = (vf32)((n2 + 127) << 23);
    vf32 y = q * s1 * s2;
    y = VSEL(vi32x8, x > 88.8f, splat8(INFINITY), y);
    y = VSEL(vi32x8, x < -104.0f, splat8(0), y);
    return VSEL(vi32x8, x != x, x, y);
}

/* softmax of one float row x (n > 0) into y (may alias x) */
static void softmax_row_f32(const float *x, float *y, int64_t n) {
    vf32 m0, m1;
    for (int j = 0; j < 8; j++) m0[j] = -INFINITY;
    m1 = m0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        vf32 x0, x1;
        memcpy(&x0, x + i, VB);
        memcpy(&x1, x + i + 8, VB);
        m0 = VOP_IMAX(vi32x8, m0, x0);
        m1 = VOP_IMAX(vi32x8, m1, x1);
    }
    m0 = VOP_IMAX(vi32x8, m0, m1);
    float m = -INFINITY;
    for (int j = 0; j < 8; j++) m = m0[j] > m ? m0[j] : m;
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    /* NaNs are ignored by the maximum but make exp, the sum and so the whole row NaN; a row of
     * -inf: exp(-inf - 0) = 0 everywhere and 0/0 = NaN, like NumPy */
    if (m == -INFINITY) m = 0;
    vf32 s0 = {0}, s1v = {0};
    i = 0;
    for (; i + 16 <= n; i += 16) {
        vf32 x0, x1;
        memcpy(&x0, x + i, VB);
        memcpy(&x1, x + i + 8, VB);
        x0 = vexpf(x0 - m);
        x1 = vexpf(x1 - m);
        s0 += x0;
        s1v += x1;
        memcpy(y + i, &x0, VB);
        memcpy(y + i + 8, &x1, VB);
    }
    s0 += s1v;
    float s = ((s0[0] + s0[1]) + (s0[2] + s0[3])) + ((s0[4] + s0[5]) + (s0[6] + s0[7]));
    if (i < n) {
        vf32 xt;
        for (int j = 0; j < 8; j++) xt[j] = i + j < n ? x[i + j] - m : -INFINITY;
        xt = vexpf(xt);
        for (int j = 0; i + j < n; j++) {
            y[i + j] = xt[j];
            s += xt[j];
        }
    }
    float inv = 1.0f / s;
    for (i = 0; i < n; i++) y[i] *= inv;
}

static void softmax_row_f64(const double *x, double *y, int64_t n) {
    double m = -INFINITY, s = 0;
    for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    if (m == -INFINITY) m = 0;
    for (int64_t i = 0; i < n; i++) {
        y[i] = exp(x[i] - m);
        s += y[i];
    }
    for (int64_t i = 0; i < n; i++) y[i] /= s;
}

typedef struct sm_job {
    mx_dtype    t;
    const char *x;
    char       *y;
    int64_t     n, rows, nch;
    float      *tmp; /* half types: one row of floats per chunk */
} sm_job;

static void sm_range(void *ctx, int64_t b, int64_t e) {
    const sm_job *j = ctx;
    for (int64_t c = b; c < e; c++) {
        int64_t r0 = c * j->rows / j->nch, r1 = (c + 1) * j->rows / j->nch, n = j->n;
        for (int64_t r = r0; r < r1; r++) {
            if (j->t == MX_FLOAT32) {
                softmax_row_f32((const float *)j->x + r * n, (float *)j->y + r * n, n);
            } else if (j->t == MX_FLOAT64) {
                softmax_row_f64((const double *)j->x + r * n, (double *)j->y + r * n, n);
            } else {
                const uint16_t *xs = (const uint16_t *)j->x + r * n;
                uint16_t *ys = (uint16_t *)j->y + r * n;
                float *w = j->tmp + c * n;
                bool h = j->t == MX_FLOAT16;
                for (int64_t i = 0; i < n; i++) w[i] = h ? mx_half_to_float(xs[i]) : mx_bf16_to_float(xs[i]);
                softmax_row_f32(w, w, n);
                for (int64_t i = 0; i < n; i++) ys[i] = h ? mx_float_to_half(w[i]) : mx_float_to_bf16(w[i]);
            }
        }
    }
}

static mx_status softmax_kernel(const mx_node *nd, const mx_layout *in, mx_layout *out) {
    (void)nd;
    mx_dtype t = in[0].m.dtype;
    if (!mx_dtype_is_float(t))
        return mx_fail(MX_ERR_UNSUPPORTED, "[softmax] not supported for %s", mx_dtype_name(t));
    int64_t size = mx_meta_size(&in[0].m);
    int64_t n = in[0].m.ndim ? in[0].m.shape[in[0].m.ndim - 1] : 1;
    MX_TRY(mx_layout_alloc(&out[0]));
    if (size == 0 || n == 0) return MX_OK;
    mx_layout tmp;
    const mx_layout *src;
    MX_TRY(mx_red_row_contig(&in[0], &tmp, &src));
    sm_job j;
    memset(&j, 0, sizeof j);
    j.t = t;
    j.x = mx_layout_ptr(src);
    j.y = mx_layout_ptr(&out[0]);
    j.n = n;
    int64_t rows = size / n;
    /* chunks of whole rows: one per thread at most, at least ~32K elements each */
    int64_t nch = mx_pool_threads();
    int64_t min_rows = 1 + (1 << 15) / n;
    if (rows / min_rows < nch) nch = rows / min_rows;
    if (nch < 1) nch = 1;
    j.rows = rows;
    j.nch = nch;
    mx_status st = MX_OK;
    if (t == MX_FLOAT16 || t == MX_BFLOAT16) {
        j.tmp = malloc((size_t)nch * (size_t)n * sizeof(float));
        if (!j.tmp) st = mx_fail(MX_ERR_NOMEM, "[softmax] out of memory");
    }
    if (st == MX_OK) mx_parallel_for(nch, 1, sm_range, &j);
    free(j.tmp);
    mx_red_release_tmp(src, &tmp);
    return st;
}

void mx_cpu_register_reduce(mx_kernel_fn *k) {
    k[MX_PRIM_REDUCE] = reduce_kernel;
    k[MX_PRIM_ARG_REDUCE] = arg_reduce_kernel;
    k[MX_PRIM_SOFTMAX] = softmax_kernel;
    mx_cpu_register_scan_kernels(k);
}
