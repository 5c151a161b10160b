/* src/backend/cpu/scan.c: the CPU SCAN kernel (cumsum, cumprod, cummax, cummin, logcumsumexp;
 * forward or reverse, inclusive or exclusive). The input is made row-contiguous and seen as
 * (outer, n, inner): with inner == 1 each row is scanned sequentially; otherwise rows of up to
 * COLS accumulators advance together along the axis (vectorised over inner). float16/bfloat16
 * accumulate in float; integers wrap. Registered from reduce.c. */
#pragma GCC diagnostic ignored "-Wfloat-conversion"
#pragma GCC diagnostic ignored "-Wbool-operation"
#pragma GCC diagnostic ignored "-Wint-in-bool-context"
#include <float.h>
#include <math.h>

#include "reduce_impl.h"

#define COLS 512

#define OP_ADD(a, b) ((a) + (b))
#define OP_MUL(a, b) ((a) * (b))
#define OP_IMAX(a, b) ((b) > (a) ? (b) : (a))
#define OP_IMIN(a, b) ((b) < (a) ? (b) : (a))
#define OP_FMAX(a, b) (((b) > (a) || (b) != (b)) ? (b) : (a))
#define OP_FMIN(a, b) (((b) < (a) || (b) != (b)) ? (b) : (a))
#define OP_LAE(a, b) mx_logaddexp((a), (b))

#define LD_ID(v) (v)
#define ST_CAST(v) (v)
#define LD_H(v) mx_half_to_float(v)
#define ST_H(v) mx_float_to_half((float)(v))
#define LD_B(v) mx_bf16_to_float(v)
#define ST_B(v) mx_float_to_bf16((float)(v))
typedef float _Complex cf32;

/* scan of `cnt` lanes (inner stride apart, 1 when cnt == 1) along n steps of `step` elements.
 * x, y point at the first element of the slab; lanes are consecutive. */
typedef void (*scan_fn)(const void *x, void *y, int64_t n, int64_t step, int64_t cnt, int rev,
                        int incl);

#define GEN_SCAN(NAME, T, A, LD, ST, INIT, OP)                                                     \
    static void scan_##NAME(const void *xv, void *yv, int64_t n, int64_t step, int64_t cnt,        \
                            int rev, int incl) {                                                   \
        const T *x = xv;                                                                           \
        T *y = yv;                                                                                 \
        if (cnt == 1) {                                                                            \
            A acc = INIT;                                                                          \
            for (int64_t k = 0; k < n; k++) {                                                      \
                int64_t i = (rev ? n - 1 - k : k) * step;                                          \
                A v = LD(x[i]);                                                                    \
                if (incl) {                                                                        \
                    acc = OP(acc, v);                                                              \
                    y[i] = ST(acc);                                                                \
                } else {                                                                           \
                    y[i] = ST(acc);                                                                \
                    acc = OP(acc, v);                                                              \
                }                                                                                  \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
        A acc[COLS];                                                                               \
        for (int64_t c = 0; c < cnt; c++) acc[c] = INIT;                                           \
        for (int64_t k = 0; k < n; k++) {                                                          \
            int64_t i = (rev ? n - 1 - k : k) * step;                                              \
            const T *xr = x + i;                                                                   \
            T *yr = y + i;                                                                         \
            if (incl) {                                                                            \
                for (int64_t c = 0; c < cnt; c++) {                                                \
                    acc[c] = OP(acc[c], (A)LD(xr[c]));                                             \
                    yr[c] = ST(acc[c]);                                                            \
                }                                                                                  \
            } else {                                                                               \
                for (int64_t c = 0; c < cnt; c++) {                                                \
                    A v = LD(xr[c]);                                                               \
                    yr[c] = ST(acc[c]);                                                            \
                    acc[c] = OP(acc[c], v);                                                        \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

#define SCAN_INT(DT, T, LO, HI)                                                                    \
    GEN_SCAN(sum_##DT, T, T, LD_ID, ST_CAST, 0, OP_ADD)                                            \
    GEN_SCAN(prod_##DT, T, T, LD_ID, ST_CAST, 1, OP_MUL)                                           \
    GEN_SCAN(max_##DT, T, T, LD_ID, ST_CAST, LO, OP_IMAX)                                          \
    GEN_SCAN(min_##DT, T, T, LD_ID, ST_CAST, HI, OP_IMIN)
SCAN_INT(UINT8, uint8_t, 0, UINT8_MAX)
SCAN_INT(UINT16, uint16_t, 0, UINT16_MAX)
SCAN_INT(UINT32, uint32_t, 0, UINT32_MAX)
SCAN_INT(UINT64, uint64_t, 0, UINT64_MAX)
SCAN_INT(INT8, int8_t, INT8_MIN, INT8_MAX)
SCAN_INT(INT16, int16_t, INT16_MIN, INT16_MAX)
SCAN_INT(INT32, int32_t, INT32_MIN, INT32_MAX)
SCAN_INT(INT64, int64_t, INT64_MIN, INT64_MAX)
GEN_SCAN(max_BOOL, bool, bool, LD_ID, ST_CAST, false, OP_IMAX)
GEN_SCAN(min_BOOL, bool, bool, LD_ID, ST_CAST, true, OP_IMIN)

#define SCAN_FLT(DT, T, A, LD, ST)                                                                 \
    GEN_SCAN(sum_##DT, T, A, LD, ST, 0, OP_ADD)                                                    \
    GEN_SCAN(prod_##DT, T, A, LD, ST, 1, OP_MUL)                                                   \
    GEN_SCAN(max_##DT, T, A, LD, ST, -INFINITY, OP_FMAX)                                           \
    GEN_SCAN(min_##DT, T, A, LD, ST, INFINITY, OP_FMIN)                                            \
    GEN_SCAN(lae_##DT, T, A, LD, ST, -INFINITY, OP_LAE)
SCAN_FLT(FLOAT16, uint16_t, float, LD_H, ST_H)
SCAN_FLT(BFLOAT16, uint16_t, float, LD_B, ST_B)
SCAN_FLT(FLOAT32, float, float, LD_ID, ST_CAST)
SCAN_FLT(FLOAT64, double, double, LD_ID, ST_CAST)
GEN_SCAN(sum_COMPLEX64, cf32, cf32, LD_ID, ST_CAST, 0, OP_ADD)
GEN_SCAN(prod_COMPLEX64, cf32, cf32, LD_ID, ST_CAST, 1, OP_MUL)

#define ROW_INTS(OP)                                                                               \
    [MX_UINT8] = scan_##OP##_UINT8, [MX_UINT16] = scan_##OP##_UINT16,                              \
    [MX_UINT32] = scan_##OP##_UINT32, [MX_UINT64] = scan_##OP##_UINT64,                            \
    [MX_INT8] = scan_##OP##_INT8, [MX_INT16] = scan_##OP##_INT16, [MX_INT32] = scan_##OP##_INT32,  \
    [MX_INT64] = scan_##OP##_INT64
#define ROW_FLTS(OP)                                                                               \
    [MX_FLOAT16] = scan_##OP##_FLOAT16, [MX_BFLOAT16] = scan_##OP##_BFLOAT16,                      \
    [MX_FLOAT32] = scan_##OP##_FLOAT32, [MX_FLOAT64] = scan_##OP##_FLOAT64

static const scan_fn scan_table[5][MX_NUM_DTYPES] = {
    [MX_SCAN_SUM] = {ROW_INTS(sum), ROW_FLTS(sum), [MX_COMPLEX64] = scan_sum_COMPLEX64},
    [MX_SCAN_PROD] = {ROW_INTS(prod), ROW_FLTS(prod), [MX_COMPLEX64] = scan_prod_COMPLEX64},
    [MX_SCAN_MAX] = {ROW_INTS(max), ROW_FLTS(max), [MX_BOOL] = scan_max_BOOL},
    [MX_SCAN_MIN] = {ROW_INTS(min), ROW_FLTS(min), [MX_BOOL] = scan_min_BOOL},
    [MX_SCAN_LOGADDEXP] = {ROW_FLTS(lae)},
};

typedef struct scan_job {
    scan_fn     fn;
    const char *x;
    char       *y;
    size_t      esz;
    int64_t     n, inner, ncol;
    int         rev, incl;
} scan_job;

/* work item: (outer slab, column block) */
static void scan_range(void *ctx, int64_t b, int64_t e) {
    const scan_job *j = ctx;
    for (int64_t it = b; it < e; it++) {
        int64_t o = it / j->ncol, c0 = (it % j->ncol) * COLS;
        int64_t cnt = j->inner == 1 ? 1 : (j->inner - c0 < COLS ? j->inner - c0 : COLS);
        size_t off = (size_t)(o * j->n * j->inner + c0) * j->esz;
        j->fn(j->x + off, j->y + off, j->n, j->inner, cnt, j->rev, j->incl);
    }
}

static mx_status scan_kernel(const mx_node *nd, const mx_layout *in, mx_layout *out) {
    const mx_scan_params *p = MX_PARAMS(mx_scan_params, nd);
    mx_dtype t = in[0].m.dtype;
    scan_fn fn = (p->type >= 0 && p->type < 5) ? scan_table[p->type][t] : NULL;
    if (!fn)
        return mx_fail(MX_ERR_UNSUPPORTED, "[scan] scan %d not supported for %s", p->type,
                       mx_dtype_name(t));
    MX_TRY(mx_layout_alloc(&out[0]));
    int64_t size = mx_meta_size(&in[0].m);
    if (size == 0) return MX_OK;
    mx_layout tmp;
    const mx_layout *src;
    MX_TRY(mx_red_row_contig(&in[0], &tmp, &src));
    scan_job j;
    memset(&j, 0, sizeof j);
    j.fn = fn;
    j.x = mx_layout_ptr(src);
    j.y = mx_layout_ptr(&out[0]);
    j.esz = mx_dtype_size(t);
    j.rev = p->reverse;
    j.incl = p->inclusive;
    j.n = in[0].m.shape[p->axis];
    j.inner = 1;
    for (int d = p->axis + 1; d < in[0].m.ndim; d++) j.inner *= in[0].m.shape[d];
    int64_t outer = size / (j.n * j.inner);
    j.ncol = (j.inner + COLS - 1) / COLS;
    int64_t per = j.n * (j.inner < COLS ? j.inner : COLS);
    mx_parallel_for(outer * j.ncol, 1 + (1 << 15) / per, scan_range, &j);
    mx_red_release_tmp(src, &tmp);
    return MX_OK;
}

void mx_cpu_register_scan_kernels(mx_kernel_fn *k) { k[MX_PRIM_SCAN] = scan_kernel; }
