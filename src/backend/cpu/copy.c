/* src/backend/cpu/copy.c: kernels of the core primitives (core.def): copies of any layout, dtype
 * conversion (all 14 x 14 pairs, generated), views (broadcast, transpose, slice, as_strided,
 * reshape when the layout allows, dtype view), full and arange. */
#pragma GCC diagnostic ignored "-Wfloat-conversion"
#pragma GCC diagnostic ignored "-Wbool-operation"
#pragma GCC diagnostic ignored "-Wbool-compare"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wint-in-bool-context"
#include <string.h>

#include "../../prims/params.h"
#include "cpu_impl.h"

/* ---- same-dtype copies by element size ---- */
#define GEN_COPY(T, SZ)                                                                            \
    static void copy_##SZ(void *ctx, char *const *p, const int64_t *s, int64_t n) {                \
        (void)ctx;                                                                                 \
        T *y = (T *)p[0];                                                                          \
        const T *x = (const T *)p[1];                                                              \
        if (s[0] == 1 && s[1] == 1) memcpy(y, x, (size_t)n * sizeof(T));                           \
        else if (s[0] == 1 && s[1] == 0)                                                           \
            for (int64_t i = 0; i < n; i++) y[i] = x[0];                                           \
        else                                                                                       \
            for (int64_t i = 0; i < n; i++) y[i * s[0]] = x[i * s[1]];                             \
    }
GEN_COPY(uint8_t, 1)
GEN_COPY(uint16_t, 2)
GEN_COPY(uint32_t, 4)
GEN_COPY(uint64_t, 8)

static mx_inner_fn copy_fn(size_t sz) {
    return sz == 1 ? copy_1 : sz == 2 ? copy_2 : sz == 4 ? copy_4 : copy_8;
}

/* Copy view `in` into `out` (same shape and dtype; out already allocated, any layout). */
mx_status mx_cpu_copy_into(const mx_layout *in, mx_layout *out) {
    const mx_layout *views[2] = {out, in};
    mx_nd_iter it;
    mx_nd_init(&it, views, 2);
    mx_nd_collapse(&it);
    mx_nd_run(&it, copy_fn(mx_dtype_size(in->m.dtype)), NULL, 1 << 16);
    return MX_OK;
}

/* Row-major copy of in into a fresh buffer. */
mx_status mx_cpu_copy_row_major(const mx_layout *in, mx_layout *out) {
    out->m = in->m;
    MX_TRY(mx_layout_alloc(out));
    return mx_cpu_copy_into(in, out);
}

static mx_status copy_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    MX_TRY(mx_layout_alloc(&out[0]));
    return mx_cpu_copy_into(&in[0], &out[0]);
}

/* ---- conversions: one inner loop per (source, destination) pair ---- */
#define GEN_CVT_D(DD, TD, CTD, CLSD, LDD, STD, RTD, STRD, DS, TS, CTS, LDS)                        \
    static void cvt_##DS##_##DD(void *ctx, char *const *p, const int64_t *s, int64_t n) {         \
        (void)ctx;                                                                                 \
        TD *y = (TD *)p[0];                                                                        \
        const TS *x = (const TS *)p[1];                                                            \
        if (s[0] == 1 && s[1] == 1)                                                                \
            for (int64_t i = 0; i < n; i++) y[i] = STD((CTD)LDS(x[i]));                            \
        else                                                                                       \
            for (int64_t i = 0; i < n; i++) y[i * s[0]] = STD((CTD)LDS(x[i * s[1]]));              \
    }
/* MX_CPU_DTYPES cannot nest inside itself, so the source side is listed here once more */
#define CVT_FROM(DS, TS, CTS, LDS) MX_CPU_DTYPES(GEN_CVT_D, DS, TS, CTS, LDS)
CVT_FROM(BOOL, bool, bool, MX_LD_ID)
CVT_FROM(UINT8, uint8_t, uint8_t, MX_LD_ID)
CVT_FROM(UINT16, uint16_t, uint16_t, MX_LD_ID)
CVT_FROM(UINT32, uint32_t, uint32_t, MX_LD_ID)
CVT_FROM(UINT64, uint64_t, uint64_t, MX_LD_ID)
CVT_FROM(INT8, int8_t, int8_t, MX_LD_ID)
CVT_FROM(INT16, int16_t, int16_t, MX_LD_ID)
CVT_FROM(INT32, int32_t, int32_t, MX_LD_ID)
CVT_FROM(INT64, int64_t, int64_t, MX_LD_ID)
CVT_FROM(FLOAT16, uint16_t, float, mx_half_to_float)
CVT_FROM(FLOAT32, float, float, MX_LD_ID)
CVT_FROM(FLOAT64, double, double, MX_LD_ID)
CVT_FROM(BFLOAT16, uint16_t, float, mx_bf16_to_float)
CVT_FROM(COMPLEX64, float _Complex, float _Complex, MX_LD_ID)

#define SLOT_CVT_D(DD, TD, CTD, CLSD, LDD, STD, RTD, STRD, DS) [MX_##DD] = cvt_##DS##_##DD,
#define ROW(DS) [MX_##DS] = {MX_CPU_DTYPES(SLOT_CVT_D, DS)},
static const mx_inner_fn cvt_table[MX_NUM_DTYPES][MX_NUM_DTYPES] = {
    ROW(BOOL) ROW(UINT8) ROW(UINT16) ROW(UINT32) ROW(UINT64) ROW(INT8) ROW(INT16) ROW(INT32)
    ROW(INT64) ROW(FLOAT16) ROW(FLOAT32) ROW(FLOAT64) ROW(BFLOAT16) ROW(COMPLEX64)};

/* Convert any-layout in into out (allocated by the caller, same shape). */
mx_status mx_cpu_convert_into(const mx_layout *in, mx_layout *out) {
    const mx_layout *views[2] = {out, in};
    mx_nd_iter it;
    mx_nd_init(&it, views, 2);
    mx_nd_collapse(&it);
    mx_nd_run(&it, cvt_table[in->m.dtype][out->m.dtype], NULL, 1 << 15);
    return MX_OK;
}

static mx_status astype_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    return mx_elementwise_run(&out[0], in, 1, cvt_table[in[0].m.dtype][out[0].m.dtype], NULL,
                              1 << 15);
}

/* ---- views ---- */
static mx_status broadcast_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    int64_t st[MX_MAX_DIMS];
    int nd = out[0].m.ndim, ni = in[0].m.ndim;
    for (int d = 0; d < nd; d++) {
        int k = d - (nd - ni);
        st[d] = (k < 0 || in[0].m.shape[k] == 1) ? 0 : in[0].strides[k];
    }
    mx_layout_share(&out[0], &in[0], st, in[0].offset);
    return MX_OK;
}

static mx_status transpose_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_transpose_params *p = MX_PARAMS(mx_transpose_params, n);
    int64_t st[MX_MAX_DIMS];
    for (int d = 0; d < out[0].m.ndim; d++) st[d] = in[0].strides[p->perm[d]];
    mx_layout_share(&out[0], &in[0], st, in[0].offset);
    return MX_OK;
}

static mx_status slice_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_slice_params *p = MX_PARAMS(mx_slice_params, n);
    int64_t st[MX_MAX_DIMS], off = in[0].offset;
    bool empty = mx_meta_size(&out[0].m) == 0;
    for (int d = 0; d < out[0].m.ndim; d++) {
        st[d] = in[0].strides[d] * p->step[d];
        if (!empty) off += p->start[d] * in[0].strides[d];
    }
    mx_layout_share(&out[0], &in[0], st, off);
    return MX_OK;
}

static mx_status share_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    mx_layout_share(&out[0], &in[0], in[0].strides, in[0].offset);
    return MX_OK;
}

/* depends: outputs are views of the first n_out inputs; the rest only had to run first */
static mx_status depends_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    for (int i = 0; i < n->n_out; i++) mx_layout_share(&out[i], &in[i], in[i].strides, in[i].offset);
    return MX_OK;
}

/* custom: outputs are the f-output inputs that follow the primals */
static mx_status custom_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    int np = MX_PARAMS(mx_custom_params, n)->n_primals;
    for (int i = 0; i < n->n_out; i++)
        mx_layout_share(&out[i], &in[np + i], in[np + i].strides, in[np + i].offset);
    return MX_OK;
}

/* A row-contiguous view of in: in itself, or a fresh row-major copy. */
static mx_status row_contiguous(const mx_layout *in, mx_layout *tmp, const mx_layout **res) {
    if (in->flags & MX_ROW_CONTIG) {
        *res = in;
        return MX_OK;
    }
    memset(tmp, 0, sizeof *tmp);
    MX_TRY(mx_cpu_copy_row_major(in, tmp));
    *res = tmp;
    return MX_OK;
}

static mx_status reshape_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    mx_layout tmp;
    const mx_layout *src;
    MX_TRY(row_contiguous(&in[0], &tmp, &src));
    mx_layout o = out[0];
    mx_layout_set_row_major(&o);
    mx_layout_share(&out[0], src, o.strides, src->offset);
    if (src == &tmp) mx_buffer_release(tmp.buf);
    return MX_OK;
}

static mx_status as_strided_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_as_strided_params *p = MX_PARAMS(mx_as_strided_params, n);
    mx_layout tmp;
    const mx_layout *src;
    MX_TRY(row_contiguous(&in[0], &tmp, &src));
    mx_layout_share(&out[0], src, p->strides, src->offset + p->offset);
    if (src == &tmp) mx_buffer_release(tmp.buf);
    return MX_OK;
}

static mx_status view_dtype_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    mx_layout tmp;
    const mx_layout *src;
    MX_TRY(row_contiguous(&in[0], &tmp, &src));
    size_t si = mx_dtype_size(src->m.dtype), so = mx_dtype_size(out[0].m.dtype);
    mx_layout o = out[0];
    mx_layout_set_row_major(&o);
    mx_layout_share(&out[0], src, o.strides, src->offset * (int64_t)si / (int64_t)so);
    if (src == &tmp) mx_buffer_release(tmp.buf);
    return MX_OK;
}

/* ---- arange ---- */
#define GEN_AR(DT, T, CT, CLS, LD, ST, RT, STR, unused)                                            \
    static void arange_##DT(void *y, int64_t n, double start, double step) {                      \
        T *o = y;                                                                                  \
        for (int64_t i = 0; i < n; i++) o[i] = ST((CT)(start + (double)i * step));                 \
    }
MX_CPU_DTYPES(GEN_AR, 0)
#define SLOT_AR(DT, T, CT, CLS, LD, ST, RT, STR, unused) [MX_##DT] = arange_##DT,
static void (*const arange_table[MX_NUM_DTYPES])(void *, int64_t, double, double) = {
    MX_CPU_DTYPES(SLOT_AR, 0)};

static mx_status arange_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)in;
    const mx_arange_params *p = MX_PARAMS(mx_arange_params, n);
    MX_TRY(mx_layout_alloc(&out[0]));
    arange_table[out[0].m.dtype](mx_layout_ptr(&out[0]), mx_meta_size(&out[0].m), p->start, p->step);
    return MX_OK;
}

void mx_cpu_register_copy(mx_kernel_fn *k) {
    k[MX_PRIM_COPY] = copy_kernel;
    k[MX_PRIM_FULL] = copy_kernel;
    k[MX_PRIM_ASTYPE] = astype_kernel;
    k[MX_PRIM_BROADCAST] = broadcast_kernel;
    k[MX_PRIM_TRANSPOSE] = transpose_kernel;
    k[MX_PRIM_SLICE] = slice_kernel;
    k[MX_PRIM_STOP_GRADIENT] = share_kernel;
    k[MX_PRIM_IDENTITY] = share_kernel;
    k[MX_PRIM_DEPENDS] = depends_kernel;
    k[MX_PRIM_CUSTOM] = custom_kernel;
    k[MX_PRIM_RESHAPE] = reshape_kernel;
    k[MX_PRIM_AS_STRIDED] = as_strided_kernel;
    k[MX_PRIM_VIEW_DTYPE] = view_dtype_kernel;
    k[MX_PRIM_ARANGE] = arange_kernel;
}
