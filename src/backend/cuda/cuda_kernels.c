/* src/backend/cuda/cuda_kernels.c: the GPU kernel-table entries of the element-wise, copy,
 * conversion, reduction and softmax primitives: they check what only the GPU rejects (float64),
 * choose output layouts (reusing a donated input's device buffer when possible), build the
 * iteration space and call the CUDA launchers of cu_elementwise.cu / cu_reduce.cu. */
#include <string.h>

#include "../../prims/params.h"
#include "../../prims/reduce_params.h"
#include "../cpu/loops.h"
#include "cuda_impl.h"

mx_status mx_cuda_no_f64(const char *op, const mx_layout *v, int n) {
    for (int i = 0; i < n; i++)
        MX_CHECK(v[i].m.dtype != MX_FLOAT64, MX_ERR_VALUE,
                 "[%s] float64 is not supported on the GPU (use a CPU stream)", op);
    return MX_OK;
}

void mx_cuda_nd(mx_cu_nd *nd, const mx_layout *const *views, int nops) {
    mx_nd_iter it;
    mx_nd_init(&it, views, nops);
    mx_nd_collapse(&it);
    memset(nd, 0, sizeof *nd);
    nd->ndim = it.ndim;
    nd->nops = nops;
    nd->n = mx_meta_size(&views[0]->m);
    for (int d = 0; d < it.ndim; d++) nd->shape[d] = it.shape[d];
    for (int k = 0; k < nops; k++)
        for (int d = 0; d < it.ndim; d++) nd->strides[k][d] = it.strides[k][d];
    nd->contiguous = it.ndim == 1;
    for (int k = 0; k < nops && nd->contiguous; k++) {
        int64_t s = it.strides[k][0];
        if (s != 0 && s != 1) nd->contiguous = 0;
        if (k == 0 && s != 1 && nd->n > 1) nd->contiguous = 0;
        nd->flat_stride[k] = s;
    }
}

static mx_status unary_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const char *op = mx_prims[n->prim].name;
    MX_TRY(mx_cuda_no_f64(op, in, 1));
    MX_CHECK(mx_cu_has_unary(n->prim, in[0].m.dtype), MX_ERR_VALUE, "[%s] not supported for %s",
             op, mx_dtype_name(in[0].m.dtype));
    mx_layout fl[2];
    MX_TRY(mx_cuda_ew_out(&out[0], in, 1, 0, 1, fl));
    const mx_layout *v[2] = {&fl[0], &fl[1]};
    mx_cu_nd nd;
    mx_cuda_nd(&nd, v, 2);
    MX_CUDA_TRY(mx_cu_unary(n->prim, in[0].m.dtype, out[0].m.dtype, mx_cuda_ptr(&out[0]),
                            mx_cuda_ptr(&in[0]), &nd, mx_cuda_stream()));
    return MX_OK;
}

static mx_status binary_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const char *op = mx_prims[n->prim].name;
    MX_TRY(mx_cuda_no_f64(op, in, 2));
    MX_CHECK(mx_cu_has_binary(n->prim, in[0].m.dtype), MX_ERR_VALUE, "[%s] not supported for %s",
             op, mx_dtype_name(in[0].m.dtype));
    mx_layout fl[3];
    MX_TRY(mx_cuda_ew_out(&out[0], in, 2, 0, 2, fl));
    const mx_layout *v[3] = {&fl[0], &fl[1], &fl[2]};
    mx_cu_nd nd;
    mx_cuda_nd(&nd, v, 3);
    MX_CUDA_TRY(mx_cu_binary(n->prim, in[0].m.dtype, out[0].m.dtype, mx_cuda_ptr(&out[0]),
                             mx_cuda_ptr(&in[0]), mx_cuda_ptr(&in[1]), &nd, mx_cuda_stream()));
    return MX_OK;
}

static mx_status where_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    MX_TRY(mx_cuda_no_f64("where", in, 3));
    mx_layout fl[4];
    MX_TRY(mx_cuda_ew_out(&out[0], in, 3, 1, 2, fl));
    const mx_layout *v[4] = {&fl[0], &fl[1], &fl[2], &fl[3]};
    mx_cu_nd nd;
    mx_cuda_nd(&nd, v, 4);
    MX_CUDA_TRY(mx_cu_where((int)mx_dtype_size(out[0].m.dtype), mx_cuda_ptr(&out[0]),
                            mx_cuda_ptr(&in[0]), mx_cuda_ptr(&in[1]), mx_cuda_ptr(&in[2]), &nd,
                            mx_cuda_stream()));
    return MX_OK;
}

static mx_status astype_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    MX_TRY(mx_cuda_no_f64("astype", in, 1));
    MX_TRY(mx_cuda_no_f64("astype", out, 1));
    mx_layout fl[2];
    MX_TRY(mx_cuda_ew_out(&out[0], in, 1, 0, 1, fl));
    const mx_layout *v[2] = {&fl[0], &fl[1]};
    mx_cu_nd nd;
    mx_cuda_nd(&nd, v, 2);
    MX_CUDA_TRY(mx_cu_convert(in[0].m.dtype, out[0].m.dtype, mx_cuda_ptr(&out[0]),
                              mx_cuda_ptr(&in[0]), &nd, mx_cuda_stream()));
    return MX_OK;
}

static mx_status copy_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    MX_TRY(mx_cuda_no_f64(mx_prims[n->prim].name, in, 1));
    mx_layout tmp = {0};
    MX_TRY(mx_cuda_copy_row_major(&in[0], &tmp));
    tmp.m = out[0].m;
    out[0] = tmp;
    return MX_OK;
}

static mx_status arange_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)in;
    const mx_arange_params *p = MX_PARAMS(mx_arange_params, n);
    MX_TRY(mx_cuda_no_f64("arange", out, 1));
    MX_TRY(mx_cuda_alloc_out(&out[0]));
    MX_CUDA_TRY(mx_cu_arange(out[0].m.dtype, mx_cuda_ptr(&out[0]), mx_meta_size(&out[0].m),
                             p->start, p->step, mx_cuda_stream()));
    return MX_OK;
}

/* reshape: a view when the input is row-contiguous, else a device copy */
static mx_status reshape_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    mx_layout src = in[0], tmp = {0};
    if (!(src.flags & MX_ROW_CONTIG)) {
        MX_TRY(mx_cuda_no_f64("reshape", in, 1));
        MX_TRY(mx_cuda_copy_row_major(&in[0], &tmp));
        src = tmp;
    }
    mx_layout o = out[0];
    mx_layout_set_row_major(&o);
    mx_layout_share(&out[0], &src, o.strides, src.offset);
    if (tmp.buf) mx_buffer_release(tmp.buf);
    return MX_OK;
}

/* ---- reductions: move the reduced axes last, make rows contiguous, reduce each row ---- */
static mx_status reduce_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_reduce_params *p = MX_PARAMS(mx_reduce_params, n);
    MX_TRY(mx_cuda_no_f64("reduce", in, 1));
    const mx_layout *x = &in[0];
    int nd = x->m.ndim, perm[MX_MAX_DIMS], k = 0;
    int64_t rows = 1, cols = 1;
    for (int d = 0; d < nd; d++)
        if (!(p->axes & (1u << d))) {
            perm[k++] = d;
            rows *= x->m.shape[d];
        }
    for (int d = 0; d < nd; d++)
        if (p->axes & (1u << d)) {
            perm[k++] = d;
            cols *= x->m.shape[d];
        }
    mx_layout t = *x, tmp = {0};
    for (int d = 0; d < nd; d++) {
        t.m.shape[d] = x->m.shape[perm[d]];
        t.strides[d] = x->strides[perm[d]];
    }
    mx_layout_update_flags(&t);
    const mx_layout *src = &t;
    if (!(t.flags & MX_ROW_CONTIG)) {
        MX_TRY(mx_cuda_copy_row_major(&t, &tmp));
        src = &tmp;
    }
    mx_status st = mx_cuda_alloc_out(&out[0]);
    if (st == MX_OK) {
        int e = mx_cu_reduce_rows(p->type, p->mean, x->m.dtype, mx_cuda_ptr(&out[0]),
                                  mx_cuda_ptr(src), rows, cols, mx_cuda_stream());
        if (e) st = mx_cuda_status(e, "mx_cu_reduce_rows", __FILE__, __LINE__);
    }
    if (tmp.buf) mx_buffer_release(tmp.buf);
    return st;
}

static mx_status softmax_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    MX_TRY(mx_cuda_no_f64("softmax", in, 1));
    const mx_layout *src = &in[0];
    mx_layout tmp = {0};
    if (!(in[0].flags & MX_ROW_CONTIG)) {
        MX_TRY(mx_cuda_copy_row_major(&in[0], &tmp));
        src = &tmp;
    }
    int64_t cols = in[0].m.ndim ? in[0].m.shape[in[0].m.ndim - 1] : 1;
    int64_t rows = cols ? mx_meta_size(&in[0].m) / cols : 0;
    mx_status st = mx_cuda_alloc_out(&out[0]);
    if (st == MX_OK) {
        int e = mx_cu_softmax_rows(in[0].m.dtype, mx_cuda_ptr(&out[0]), mx_cuda_ptr(src), rows, cols,
                                   mx_cuda_stream());
        if (e) st = mx_cuda_status(e, "mx_cu_softmax_rows", __FILE__, __LINE__);
    }
    if (tmp.buf) mx_buffer_release(tmp.buf);
    return st;
}

void mx_cuda_register_kernels(mx_kernel_fn *k) {
    for (int p = 0; p < MX_PRIM_COUNT; p++) {
        if (!(mx_prims[p].flags & MX_PF_ELEMENTWISE)) continue;
        k[p] = mx_prims[p].n_in == 1 ? unary_kernel : binary_kernel;
    }
    k[MX_PRIM_WHERE] = where_kernel;
    k[MX_PRIM_ASTYPE] = astype_kernel;
    k[MX_PRIM_COPY] = copy_kernel;
    k[MX_PRIM_FULL] = copy_kernel;
    k[MX_PRIM_ARANGE] = arange_kernel;
    k[MX_PRIM_RESHAPE] = reshape_kernel;
    k[MX_PRIM_REDUCE] = reduce_kernel;
    k[MX_PRIM_SOFTMAX] = softmax_kernel;
    mx_cuda_register_families(k);
}
