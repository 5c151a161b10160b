/* src/backend/cpu/sort.c: CPU kernels of the sort family (src/prims/sort.def): sort, argsort
 * (stable), partition, argpartition along any axis of any layout, and searchsorted.
 *
 * Each row along the axis is copied into a contiguous scratch row of keys (float16/bfloat16 as
 * float), sorted (merge sort: stable) or partitioned (quickselect), and written back; rows run in
 * parallel. The order is NumPy's: NaN last, -0.0 == 0.0, complex lexicographic with NaN last. */
#pragma GCC diagnostic ignored "-Wfloat-conversion"
#include <stdlib.h>
#include <string.h>

#include "../../prims/sort_params.h"
#include "cpu_impl.h"

/* ---- orders ---- */
#define LT_I(a, b) ((a) < (b))
#define LT_F(a, b) ((a) < (b) || (isnan(b) && !isnan(a)))
#define CNAN(z) (isnan(crealf(z)) || isnan(cimagf(z)))
#define LT_C(a, b)                                                                                 \
    (CNAN(b) ? !CNAN(a)                                                                            \
             : (!CNAN(a) && (crealf(a) < crealf(b) ||                                              \
                             (crealf(a) == crealf(b) && cimagf(a) < cimagf(b)))))

#define SMALL 16
#define MX_MAYBE_UNUSED __attribute__((unused))

/* For a key type K with order LT:
 *   msort_N(a, tmp, n)          stable merge sort of a[0..n)
 *   margsort_N(ix, tmp, k, n)   stable merge sort of indices ix by keys k[ix]
 *   select_N(a, n, kth)         quickselect: a[kth] in place, smaller before, larger after
 *   argselect_N(ix, k, n, kth)  the same on indices
 *   lower_N(seq, n, v, right)   insertion point of v in the sorted seq */
#define GEN_ORDER(N, K, LT)                                                                        \
    MX_MAYBE_UNUSED static void msort_##N(K *a, K *tmp, int64_t n) {                                               \
        if (n <= SMALL) {                                                                          \
            for (int64_t i = 1; i < n; i++) {                                                      \
                K x = a[i];                                                                        \
                int64_t j = i;                                                                     \
                for (; j > 0 && LT(x, a[j - 1]); j--) a[j] = a[j - 1];                             \
                a[j] = x;                                                                          \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
        int64_t h = n / 2;                                                                         \
        msort_##N(a, tmp, h);                                                                      \
        msort_##N(a + h, tmp, n - h);                                                              \
        if (!LT(a[h], a[h - 1])) return;                                                           \
        memcpy(tmp, a, (size_t)h * sizeof(K));                                                     \
        int64_t i = 0, j = h, o = 0;                                                               \
        while (i < h && j < n) a[o++] = LT(a[j], tmp[i]) ? a[j++] : tmp[i++];                      \
        while (i < h) a[o++] = tmp[i++];                                                           \
    }                                                                                              \
    MX_MAYBE_UNUSED static void margsort_##N(uint32_t *ix, uint32_t *tmp, const K *k, int64_t n) {                 \
        if (n <= SMALL) {                                                                          \
            for (int64_t i = 1; i < n; i++) {                                                      \
                uint32_t x = ix[i];                                                                \
                int64_t j = i;                                                                     \
                for (; j > 0 && LT(k[x], k[ix[j - 1]]); j--) ix[j] = ix[j - 1];                    \
                ix[j] = x;                                                                         \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
        int64_t h = n / 2;                                                                         \
        margsort_##N(ix, tmp, k, h);                                                               \
        margsort_##N(ix + h, tmp, k, n - h);                                                       \
        if (!LT(k[ix[h]], k[ix[h - 1]])) return;                                                   \
        memcpy(tmp, ix, (size_t)h * sizeof(uint32_t));                                             \
        int64_t i = 0, j = h, o = 0;                                                               \
        while (i < h && j < n) ix[o++] = LT(k[ix[j]], k[tmp[i]]) ? ix[j++] : tmp[i++];             \
        while (i < h) ix[o++] = tmp[i++];                                                          \
    }                                                                                              \
    MX_MAYBE_UNUSED static void select_##N(K *a, int64_t n, int64_t kth) {                                         \
        int64_t lo = 0, hi = n - 1;                                                                \
        while (hi > lo) {                                                                          \
            if (hi - lo < SMALL) {                                                                 \
                msort_##N(a + lo, NULL, hi - lo + 1); /* insertion sort: no scratch needed */      \
                return;                                                                            \
            }                                                                                      \
            /* median of three pivot, Hoare-style partition into < pivot, == pivot, > pivot */    \
            int64_t mid = lo + (hi - lo) / 2;                                                      \
            K x = a[lo], y = a[mid], z = a[hi];                                                    \
            K pv = LT(x, y) ? (LT(y, z) ? y : (LT(x, z) ? z : x)) : (LT(x, z) ? x : (LT(y, z) ? z : y)); \
            int64_t lt = lo, i = lo, gt = hi;                                                      \
            while (i <= gt) {                                                                      \
                if (LT(a[i], pv)) {                                                                \
                    K t = a[lt]; a[lt++] = a[i]; a[i++] = t;                                       \
                } else if (LT(pv, a[i])) {                                                         \
                    K t = a[gt]; a[gt--] = a[i]; a[i] = t;                                         \
                } else i++;                                                                        \
            }                                                                                      \
            if (kth < lt) hi = lt - 1;                                                             \
            else if (kth > gt) lo = gt + 1;                                                        \
            else return;                                                                           \
        }                                                                                          \
    }                                                                                              \
    MX_MAYBE_UNUSED static void argselect_##N(uint32_t *ix, const K *k, int64_t n, int64_t kth) {                  \
        int64_t lo = 0, hi = n - 1;                                                                \
        while (hi > lo) {                                                                          \
            if (hi - lo < SMALL) {                                                                 \
                margsort_##N(ix + lo, NULL, k, hi - lo + 1);                                       \
                return;                                                                            \
            }                                                                                      \
            int64_t mid = lo + (hi - lo) / 2;                                                      \
            K x = k[ix[lo]], y = k[ix[mid]], z = k[ix[hi]];                                        \
            K pv = LT(x, y) ? (LT(y, z) ? y : (LT(x, z) ? z : x)) : (LT(x, z) ? x : (LT(y, z) ? z : y)); \
            int64_t lt = lo, i = lo, gt = hi;                                                      \
            while (i <= gt) {                                                                      \
                if (LT(k[ix[i]], pv)) {                                                            \
                    uint32_t t = ix[lt]; ix[lt++] = ix[i]; ix[i++] = t;                            \
                } else if (LT(pv, k[ix[i]])) {                                                     \
                    uint32_t t = ix[gt]; ix[gt--] = ix[i]; ix[i] = t;                              \
                } else i++;                                                                        \
            }                                                                                      \
            if (kth < lt) hi = lt - 1;                                                             \
            else if (kth > gt) lo = gt + 1;                                                        \
            else return;                                                                           \
        }                                                                                          \
    }                                                                                              \
    MX_MAYBE_UNUSED static int64_t lower_##N(const K *seq, int64_t st, int64_t n, K v, int right) {                \
        int64_t lo = 0, hi = n;                                                                    \
        while (lo < hi) {                                                                          \
            int64_t m = lo + (hi - lo) / 2;                                                        \
            bool go_right = right ? !LT(v, seq[m * st]) : LT(seq[m * st], v);                      \
            if (go_right) lo = m + 1;                                                              \
            else hi = m;                                                                           \
        }                                                                                          \
        return lo;                                                                                 \
    }

GEN_ORDER(b, bool, LT_I)
GEN_ORDER(u8, uint8_t, LT_I)
GEN_ORDER(u16, uint16_t, LT_I)
GEN_ORDER(u32, uint32_t, LT_I)
GEN_ORDER(u64, uint64_t, LT_I)
GEN_ORDER(i8, int8_t, LT_I)
GEN_ORDER(i16, int16_t, LT_I)
GEN_ORDER(i32, int32_t, LT_I)
GEN_ORDER(i64, int64_t, LT_I)
GEN_ORDER(f32, float, LT_F)
GEN_ORDER(f64, double, LT_F)
GEN_ORDER(f32p, float, LT_I) /* NaN-free rows */
GEN_ORDER(f64p, double, LT_I)
GEN_ORDER(c64, float _Complex, LT_C)

/* ---- the row driver ---- */

enum { M_SORT, M_ARGSORT, M_PART, M_ARGPART };

typedef struct sort_job {
    const mx_layout *in;
    mx_layout       *out;
    int              axis, mode, nd;
    int64_t          n, kth;
} sort_job;

static void row_offsets(const sort_job *j, int64_t r, int64_t *io, int64_t *oo) {
    int64_t a = 0, b = 0;
    for (int d = j->nd - 1; d >= 0; d--) {
        if (d == j->axis) continue;
        int64_t sh = j->in->m.shape[d];
        a += (r % sh) * j->in->strides[d];
        b += (r % sh) * j->out->strides[d];
        r /= sh;
    }
    *io = a;
    *oo = b;
}

/* Per storage dtype: load a row into keys K (LD), run the mode, store values (ST) or indices. */
/* Per storage dtype: load a row into keys K (LD), run the mode, store values (ST) or indices.
 * Floats first move their NaNs to the end of the row (stably, for the indices) and then order the
 * rest with a plain `<` (order N); other types use N on the whole row (ISNAN is 0). */
#define GEN_ROWS(DT, T, K, N, ISNAN, LD, ST)                                                       \
    static void rows_##DT(void *vc, int64_t r0, int64_t r1) {                                      \
        const sort_job *j = vc;                                                                    \
        int64_t n = j->n, is = j->in->strides[j->axis], os = j->out->strides[j->axis];            \
        bool arg = j->mode == M_ARGSORT || j->mode == M_ARGPART;                                   \
        size_t need = (size_t)n * sizeof(K) * 2 + (arg ? (size_t)n * 8 : 0);                       \
        char *scratch = malloc(need ? need : 1);                                                   \
        if (!scratch) return; /* the kernel checked a probe allocation; nothing safe to do */      \
        /* indices first (8n bytes keep the keys 8-byte aligned), then keys and their scratch */  \
        uint32_t *ix = (uint32_t *)scratch, *itmp = ix + (arg ? n : 0);                            \
        K *key = (K *)(scratch + (arg ? (size_t)n * 8 : 0)), *tmp = key + n;                       \
        const T *ip = mx_layout_ptr(j->in);                                                        \
        for (int64_t r = r0; r < r1; r++) {                                                        \
            int64_t io, oo, m = 0, nn = 0;                                                         \
            row_offsets(j, r, &io, &oo);                                                           \
            const T *src = ip + io;                                                                \
            if (is == 1)                                                                           \
                for (int64_t i = 0; i < n; i++) key[i] = LD(src[i]);                               \
            else                                                                                   \
                for (int64_t i = 0; i < n; i++) key[i] = LD(src[i * is]);                          \
            if (!arg) {                                                                            \
                T *dst = (T *)mx_layout_ptr(j->out) + oo;                                          \
                for (int64_t i = 0; i < n; i++) {                                                  \
                    if (ISNAN(key[i])) tmp[nn++] = key[i];                                         \
                    else key[m++] = key[i];                                                        \
                }                                                                                  \
                for (int64_t i = 0; i < nn; i++) key[m + i] = tmp[i];                              \
                if (j->mode == M_SORT) msort_##N(key, tmp, m);                                     \
                else if (j->kth < m) select_##N(key, m, j->kth);                                   \
                if (os == 1)                                                                       \
                    for (int64_t i = 0; i < n; i++) dst[i] = ST(key[i]);                           \
                else                                                                               \
                    for (int64_t i = 0; i < n; i++) dst[i * os] = ST(key[i]);                      \
            } else {                                                                               \
                uint32_t *dst = (uint32_t *)mx_layout_ptr(j->out) + oo;                            \
                for (int64_t i = 0; i < n; i++) {                                                  \
                    if (ISNAN(key[i])) itmp[nn++] = (uint32_t)i;                                   \
                    else ix[m++] = (uint32_t)i;                                                    \
                }                                                                                  \
                for (int64_t i = 0; i < nn; i++) ix[m + i] = itmp[i];                              \
                if (j->mode == M_ARGSORT) margsort_##N(ix, itmp, key, m);                          \
                else if (j->kth < m) argselect_##N(ix, key, m, j->kth);                            \
                for (int64_t i = 0; i < n; i++) dst[i * os] = ix[i];                               \
            }                                                                                      \
        }                                                                                          \
        free(scratch);                                                                             \
    }
#define ID(x) (x)
#define NONAN(x) 0
#define ISNAN_F(x) isnan(x)
GEN_ROWS(BOOL, bool, bool, b, NONAN, ID, ID)
GEN_ROWS(UINT8, uint8_t, uint8_t, u8, NONAN, ID, ID)
GEN_ROWS(UINT16, uint16_t, uint16_t, u16, NONAN, ID, ID)
GEN_ROWS(UINT32, uint32_t, uint32_t, u32, NONAN, ID, ID)
GEN_ROWS(UINT64, uint64_t, uint64_t, u64, NONAN, ID, ID)
GEN_ROWS(INT8, int8_t, int8_t, i8, NONAN, ID, ID)
GEN_ROWS(INT16, int16_t, int16_t, i16, NONAN, ID, ID)
GEN_ROWS(INT32, int32_t, int32_t, i32, NONAN, ID, ID)
GEN_ROWS(INT64, int64_t, int64_t, i64, NONAN, ID, ID)
GEN_ROWS(FLOAT16, uint16_t, float, f32p, ISNAN_F, mx_half_to_float, mx_float_to_half)
GEN_ROWS(FLOAT32, float, float, f32p, ISNAN_F, ID, ID)
GEN_ROWS(FLOAT64, double, double, f64p, ISNAN_F, ID, ID)
GEN_ROWS(BFLOAT16, uint16_t, float, f32p, ISNAN_F, mx_bf16_to_float, mx_float_to_bf16)
GEN_ROWS(COMPLEX64, float _Complex, float _Complex, c64, NONAN, ID, ID)

static const mx_range_fn rows_table[MX_NUM_DTYPES] = {
    [MX_BOOL] = rows_BOOL,         [MX_UINT8] = rows_UINT8,     [MX_UINT16] = rows_UINT16,
    [MX_UINT32] = rows_UINT32,     [MX_UINT64] = rows_UINT64,   [MX_INT8] = rows_INT8,
    [MX_INT16] = rows_INT16,       [MX_INT32] = rows_INT32,     [MX_INT64] = rows_INT64,
    [MX_FLOAT16] = rows_FLOAT16,   [MX_FLOAT32] = rows_FLOAT32, [MX_FLOAT64] = rows_FLOAT64,
    [MX_BFLOAT16] = rows_BFLOAT16, [MX_COMPLEX64] = rows_COMPLEX64};

static mx_status sort_kernel(const mx_node *nd, const mx_layout *in, mx_layout *out) {
    const mx_sort_params *p = MX_PARAMS(mx_sort_params, nd);
    MX_TRY(mx_layout_alloc(&out[0]));
    sort_job j = {&in[0], &out[0], p->axis, M_SORT, in[0].m.ndim, in[0].m.shape[p->axis], p->kth};
    switch (nd->prim) {
    case MX_PRIM_ARGSORT: j.mode = M_ARGSORT; break;
    case MX_PRIM_PARTITION: j.mode = M_PART; break;
    case MX_PRIM_ARGPARTITION: j.mode = M_ARGPART; break;
    default: break;
    }
    int64_t size = mx_meta_size(&in[0].m);
    if (size == 0) return MX_OK;
    /* probe the per-task scratch once so that an allocation failure is reported, not ignored */
    void *probe = malloc((size_t)j.n * 24 + 1);
    if (!probe) return mx_fail(MX_ERR_NOMEM, "[%s] out of memory", mx_prims[nd->prim].name);
    free(probe);
    int64_t rows = size / j.n;
    int64_t per = j.n * 16; /* rough cost of a row */
    mx_parallel_for(rows, per >= 65536 ? 1 : 65536 / per, rows_table[in[0].m.dtype], &j);
    return MX_OK;
}

/* ---- searchsorted ---- */

typedef struct ss_job {
    const mx_layout *seq, *val;
    mx_layout       *out;
    int              right;
} ss_job;

/* float16 / bfloat16 are converted to float32 by the op (exactly), so T is the key type here */
#define GEN_SS(DT, T, N)                                                                           \
    static void ss_##DT(void *vc, int64_t b, int64_t e) {                                         \
        const ss_job *j = vc;                                                                      \
        int64_t n = j->seq->m.shape[0], st = j->seq->strides[0];                                   \
        const T *sp = mx_layout_ptr(j->seq);                                                       \
        const T *vp = mx_layout_ptr(j->val);                                                       \
        uint32_t *op = mx_layout_ptr(j->out);                                                      \
        int nd = j->val->m.ndim;                                                                   \
        for (int64_t i = b; i < e; i++) {                                                          \
            int64_t r = i, off = 0;                                                                \
            for (int d = nd - 1; d >= 0; d--) {                                                    \
                off += (r % j->val->m.shape[d]) * j->val->strides[d];                              \
                r /= j->val->m.shape[d];                                                           \
            }                                                                                      \
            op[i] = (uint32_t)lower_##N(sp, st, n, vp[off], j->right);                             \
        }                                                                                          \
    }
GEN_SS(BOOL, bool, b)
GEN_SS(UINT8, uint8_t, u8)
GEN_SS(UINT16, uint16_t, u16)
GEN_SS(UINT32, uint32_t, u32)
GEN_SS(UINT64, uint64_t, u64)
GEN_SS(INT8, int8_t, i8)
GEN_SS(INT16, int16_t, i16)
GEN_SS(INT32, int32_t, i32)
GEN_SS(INT64, int64_t, i64)
GEN_SS(FLOAT32, float, f32)
GEN_SS(FLOAT64, double, f64)
GEN_SS(COMPLEX64, float _Complex, c64)

static const mx_range_fn ss_table[MX_NUM_DTYPES] = {
    [MX_BOOL] = ss_BOOL,         [MX_UINT8] = ss_UINT8,     [MX_UINT16] = ss_UINT16,
    [MX_UINT32] = ss_UINT32,     [MX_UINT64] = ss_UINT64,   [MX_INT8] = ss_INT8,
    [MX_INT16] = ss_INT16,       [MX_INT32] = ss_INT32,     [MX_INT64] = ss_INT64,
    [MX_FLOAT32] = ss_FLOAT32,   [MX_FLOAT64] = ss_FLOAT64, [MX_COMPLEX64] = ss_COMPLEX64};

static mx_status searchsorted_kernel(const mx_node *nd, const mx_layout *in, mx_layout *out) {
    const mx_sort_params *p = MX_PARAMS(mx_sort_params, nd);
    MX_TRY(mx_layout_alloc(&out[0]));
    int64_t size = mx_meta_size(&out[0].m);
    if (size == 0) return MX_OK;
    ss_job j = {&in[0], &in[1], &out[0], p->right};
    mx_range_fn fn = ss_table[in[1].m.dtype];
    if (!fn || in[0].m.dtype != in[1].m.dtype)
        return mx_fail(MX_ERR_INTERNAL, "[searchsorted] unexpected dtype %s", mx_dtype_name(in[1].m.dtype));
    mx_parallel_for(size, 4096, fn, &j);
    return MX_OK;
}

void mx_cpu_register_sort(mx_kernel_fn *k) {
    k[MX_PRIM_SORT] = sort_kernel;
    k[MX_PRIM_ARGSORT] = sort_kernel;
    k[MX_PRIM_PARTITION] = sort_kernel;
    k[MX_PRIM_ARGPARTITION] = sort_kernel;
    k[MX_PRIM_SEARCHSORTED] = searchsorted_kernel;
}
