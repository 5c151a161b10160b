/* src/backend/cuda/cuda_misc.c: the GPU kernel-table entries of the last core primitives,
 * MASKED_SCATTER (index family), SEARCHSORTED (sort family) and RANDOM_COV_SQRT (random family:
 * the square root of multivariate_normal's covariances), with their CUDA kernels in cu_misc.cu.
 * Each entry refuses float64 as the rest of the GPU backend does, chooses the output's buffer
 * (masked_scatter reuses a donated input, as the CPU kernel does), describes the layouts with the
 * plain structs of cu_api.h / cu_misc.h and launches on the backend's stream. Semantics are the
 * CPU kernels' (src/backend/cpu/index.c, sort.c, random.c). */
#include "../../prims/sort_params.h"
#include "cu_misc.h"
#include "cuda_impl.h"

/* ---- masked scatter: a, mask (bool, a's shape, any strides), values (1-D, a's dtype) ---- */
static mx_status masked_scatter_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    MX_TRY(mx_cuda_no_f64("masked_scatter", in, 3));
    MX_TRY(mx_cuda_out_from_input(&out[0], &in[0]));
    const mx_layout *mask = &in[1], *val = &in[2];
    int64_t size = mx_meta_size(&out[0].m);
    int64_t nv = val->m.ndim ? val->m.shape[0] : 1;
    if (size == 0 || nv == 0) return MX_OK;
    MX_CHECK(mask->m.dtype == MX_BOOL, MX_ERR_INTERNAL, "[masked_scatter] unexpected mask dtype %s",
             mx_dtype_name(mask->m.dtype));
    const mx_layout *v[2] = {&out[0], mask}; /* out is row-major: position i is element i */
    mx_cu_nd nd;
    mx_cuda_nd(&nd, v, 2);
    int64_t vs = val->m.ndim ? val->strides[0] : 0;
    MX_CUDA_TRY(mx_cu_masked_scatter((int)mx_dtype_size(out[0].m.dtype), mx_cuda_ptr(&out[0]),
                                     mx_cuda_ptr(mask), &nd, mx_cuda_ptr(val), nv, vs,
                                     mx_cuda_stream()));
    return MX_OK;
}

/* ---- searchsorted: sorted 1-D sequence and values of one dtype (halves arrive as float32) ---- */
static mx_status searchsorted_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_sort_params *p = MX_PARAMS(mx_sort_params, n);
    MX_TRY(mx_cuda_no_f64("searchsorted", in, 2));
    mx_dtype t = in[1].m.dtype;
    MX_CHECK(in[0].m.dtype == t && mx_cu_has_searchsorted(t), MX_ERR_INTERNAL,
             "[searchsorted] unexpected dtype %s", mx_dtype_name(t));
    MX_TRY(mx_cuda_alloc_out(&out[0]));
    if (mx_meta_size(&out[0].m) == 0) return MX_OK;
    int64_t len = in[0].m.shape[0], st = in[0].strides[0];
    const mx_layout *v[2] = {&out[0], &in[1]};
    mx_cu_nd nd;
    mx_cuda_nd(&nd, v, 2);
    MX_CUDA_TRY(mx_cu_searchsorted(t, p->right, (uint32_t *)mx_cuda_ptr(&out[0]),
                                   len > 0 ? mx_cuda_dptr(&in[0]) : NULL, len, st,
                                   mx_cuda_ptr(&in[1]), &nd, mx_cuda_stream()));
    return MX_OK;
}

/* ---- cov sqrt: (..., n, n) float32 -> U sqrt(S) V^T per matrix ---- */
static mx_status cov_sqrt_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    MX_TRY(mx_cuda_no_f64("multivariate_normal", in, 1));
    MX_CHECK(in[0].m.dtype == MX_FLOAT32 && out[0].m.dtype == MX_FLOAT32 && in[0].m.ndim >= 2,
             MX_ERR_INTERNAL, "[multivariate_normal] unexpected covariance %s",
             mx_dtype_name(in[0].m.dtype));
    MX_TRY(mx_cuda_alloc_out(&out[0]));
    int64_t total = mx_meta_size(&out[0].m);
    int64_t dim = out[0].m.shape[out[0].m.ndim - 1];
    if (total == 0) return MX_OK;
    mx_layout tmp = {0};
    const mx_layout *src = &in[0];
    if (!(in[0].flags & MX_ROW_CONTIG)) {
        mx_status st = mx_cuda_copy_row_major(&in[0], &tmp);
        if (st != MX_OK) {
            if (tmp.buf) mx_buffer_release(tmp.buf);
            return st;
        }
        src = &tmp;
    }
    int e = mx_cu_cov_sqrt((float *)mx_cuda_ptr(&out[0]), (const float *)mx_cuda_ptr(src),
                           total / (dim * dim), dim, mx_cuda_stream());
    if (tmp.buf) mx_buffer_release(tmp.buf);
    if (e) return mx_cuda_status(e, "mx_cu_cov_sqrt", __FILE__, __LINE__);
    return MX_OK;
}

void mx_cuda_register_misc(mx_kernel_fn *k) {
    k[MX_PRIM_MASKED_SCATTER] = masked_scatter_kernel;
    k[MX_PRIM_SEARCHSORTED] = searchsorted_kernel;
    k[MX_PRIM_RANDOM_COV_SQRT] = cov_sqrt_kernel;
}
