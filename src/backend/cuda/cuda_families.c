/* src/backend/cuda/cuda_families.c: the GPU kernel-table entries of the structured families:
 * RANDOM_BITS (cu_random.cu), ARG_REDUCE and SCAN (cu_scan.cu), the index family GATHER,
 * GATHER_AXIS, SCATTER, SCATTER_AXIS, SLICE_UPDATE, DYNAMIC_SLICE, DYNAMIC_SLICE_UPDATE and the
 * shape family's CONCATENATE, PAD, CONTIGUOUS (cu_index.cu and the strided copy of
 * cu_elementwise.cu), and SORT / ARGSORT / PARTITION / ARGPARTITION (cu_sort.cu; a partition is
 * answered by a full sort, which satisfies its contract, as MLX's GPU backends do).
 * Each entry checks what only the GPU rejects (float64), chooses the output's buffer (reusing a
 * donated input for scatters and slice updates), fills the plain structs of cu_api.h from the
 * layouts and calls the launchers on the backend's stream. Semantics are the CPU kernels'
 * (src/backend/cpu/random.c, reduce.c, scan.c, index.c, shape.c, sort.c). */
#include <string.h>

#include "../../prims/index_params.h"
#include "../../prims/random_params.h"
#include "../../prims/reduce_params.h"
#include "../../prims/shape_params.h"
#include "../../prims/sort_params.h"
#include "cuda_impl.h"

/* a view of base's buffer: shape `shape`, strides `strides`, element offset `off` from base's */
static mx_layout sub_view(const mx_layout *base, const int64_t *shape, const int64_t *strides,
                          int64_t off) {
    mx_layout v = *base;
    for (int d = 0; d < v.m.ndim; d++) {
        v.m.shape[d] = shape[d];
        v.strides[d] = strides[d];
    }
    v.offset = base->offset + off;
    mx_layout_update_flags(&v);
    v.flags &= ~(uint32_t)MX_DONATABLE;
    return v;
}

/* ---- random ---- */
static mx_status random_bits_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    MX_TRY(mx_cuda_alloc_out(&out[0]));
    int64_t nkeys = mx_meta_size(&in[0].m) / 2;
    int64_t total = mx_meta_size(&out[0].m) * (int64_t)mx_dtype_size(out[0].m.dtype);
    if (nkeys == 0 || total == 0) return MX_OK;
    mx_layout tmp = {0};
    const mx_layout *k = &in[0];
    if (!(in[0].flags & MX_ROW_CONTIG)) {
        MX_TRY(mx_cuda_copy_row_major(&in[0], &tmp));
        k = &tmp;
    }
    int e = mx_cu_random_bits(mx_cuda_ptr(&out[0]), (const uint32_t *)mx_cuda_ptr(k), nkeys,
                              total / nkeys, mx_cuda_stream());
    if (tmp.buf) mx_buffer_release(tmp.buf);
    if (e) return mx_cuda_status(e, "mx_cu_random_bits", __FILE__, __LINE__);
    return MX_OK;
}

/* ---- arg reduce and scan ---- */
static mx_status arg_reduce_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_arg_reduce_params *p = MX_PARAMS(mx_arg_reduce_params, n);
    MX_TRY(mx_cuda_no_f64("arg_reduce", in, 1));
    mx_dtype t = in[0].m.dtype;
    MX_CHECK(t != MX_COMPLEX64, MX_ERR_UNSUPPORTED, "[arg_reduce] not supported for %s",
             mx_dtype_name(t));
    MX_TRY(mx_cuda_alloc_out(&out[0]));
    mx_cu_rows r;
    memset(&r, 0, sizeof r);
    r.rows = mx_meta_size(&out[0].m);
    if (r.rows == 0) return MX_OK;
    r.n = in[0].m.shape[p->axis];
    r.stride = in[0].strides[p->axis];
    for (int d = 0; d < in[0].m.ndim; d++)
        if (d != p->axis) {
            r.shape[r.ndim] = in[0].m.shape[d];
            r.strides[r.ndim++] = in[0].strides[d];
        }
    MX_CUDA_TRY(mx_cu_arg_reduce(t, p->type == MX_ARG_MAX, (uint32_t *)mx_cuda_ptr(&out[0]),
                                 mx_cuda_dptr(&in[0]), &r, mx_cuda_stream()));
    return MX_OK;
}

static mx_status scan_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_scan_params *p = MX_PARAMS(mx_scan_params, n);
    MX_TRY(mx_cuda_no_f64("scan", in, 1));
    mx_dtype t = in[0].m.dtype;
    MX_CHECK(mx_cu_has_scan(p->type, t), MX_ERR_UNSUPPORTED, "[scan] scan %d not supported for %s",
             p->type, mx_dtype_name(t));
    int64_t size = mx_meta_size(&in[0].m);
    mx_layout tmp = {0};
    const mx_layout *src = &in[0];
    if (size > 0 && !(in[0].flags & MX_ROW_CONTIG)) {
        MX_TRY(mx_cuda_copy_row_major(&in[0], &tmp));
        src = &tmp;
    }
    mx_status st = MX_OK;
    /* a donated row-major input is scanned in place (each element is read before it is written) */
    if (src == &in[0] && (in[0].flags & MX_DONATABLE) && in[0].buf && in[0].buf->dptr &&
        in[0].data_size == size && size > 0) {
        mx_layout_set_row_major(&out[0]);
        out[0].buf = mx_buffer_retain(in[0].buf);
        out[0].offset = in[0].offset;
    } else {
        st = mx_cuda_alloc_out(&out[0]);
    }
    if (st == MX_OK && size > 0) {
        int64_t len = in[0].m.shape[p->axis], inner = 1;
        for (int d = p->axis + 1; d < in[0].m.ndim; d++) inner *= in[0].m.shape[d];
        int e = mx_cu_scan(p->type, t, p->reverse, p->inclusive, mx_cuda_ptr(&out[0]),
                           mx_cuda_ptr(src), size / (len * inner), len, inner, mx_cuda_stream());
        if (e) st = mx_cuda_status(e, "mx_cu_scan", __FILE__, __LINE__);
    }
    if (tmp.buf) mx_buffer_release(tmp.buf);
    return st;
}

/* ---- gathers and scatters ---- */
static mx_status gather_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_gather_params *p = MX_PARAMS(mx_gather_params, n);
    MX_TRY(mx_cuda_no_f64("gather", in, 1));
    MX_TRY(mx_cuda_alloc_out(&out[0]));
    if (mx_meta_size(&out[0].m) == 0) return MX_OK;
    mx_cu_gather g;
    memset(&g, 0, sizeof g);
    g.nd = in[0].m.ndim;
    g.nb = out[0].m.ndim - g.nd;
    g.n_idx = p->n_idx;
    for (int d = 0; d < g.nb; d++) g.bshape[d] = out[0].m.shape[d];
    for (int d = 0; d < g.nd; d++) {
        g.slice[d] = p->slice[d];
        g.a_shape[d] = in[0].m.shape[d];
        g.a_strides[d] = in[0].strides[d];
    }
    for (int j = 0; j < p->n_idx; j++) {
        const mx_layout *ix = &in[1 + j];
        g.axes[j] = p->axes[j];
        g.idx_dtype[j] = ix->m.dtype;
        g.idx[j] = mx_cuda_dptr(ix);
        for (int d = 0; d < g.nb && d < ix->m.ndim; d++) g.idx_strides[j][d] = ix->strides[d];
    }
    MX_CUDA_TRY(mx_cu_gather_run((int)mx_dtype_size(in[0].m.dtype), mx_cuda_ptr(&out[0]),
                                 mx_cuda_dptr(&in[0]), &g, mx_cuda_stream()));
    return MX_OK;
}

static mx_status scatter_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_gather_params *p = MX_PARAMS(mx_gather_params, n);
    MX_TRY(mx_cuda_no_f64("scatter", in, 2));
    MX_TRY(mx_cuda_out_from_input(&out[0], &in[0]));
    const mx_layout *upd = &in[1];
    mx_cu_gather g;
    memset(&g, 0, sizeof g);
    g.nd = out[0].m.ndim;
    g.nb = upd->m.ndim - g.nd;
    g.n_idx = p->n_idx;
    g.reduce = p->reduce;
    if (mx_meta_size(&upd->m) == 0 || mx_meta_size(&out[0].m) == 0) return MX_OK;
    for (int d = 0; d < g.nb; d++) g.bshape[d] = upd->m.shape[d];
    for (int d = 0; d < g.nd; d++) {
        g.slice[d] = p->slice[d];
        g.a_shape[d] = out[0].m.shape[d];
        g.a_strides[d] = out[0].strides[d];
    }
    for (int d = 0; d < upd->m.ndim; d++) g.u_strides[d] = upd->strides[d];
    for (int j = 0; j < p->n_idx; j++) {
        const mx_layout *ix = &in[2 + j];
        g.axes[j] = p->axes[j];
        g.idx_dtype[j] = ix->m.dtype;
        g.idx[j] = mx_cuda_dptr(ix);
        for (int d = 0; d < g.nb && d < ix->m.ndim; d++) g.idx_strides[j][d] = ix->strides[d];
    }
    MX_CUDA_TRY(mx_cu_scatter_run(out[0].m.dtype, mx_cuda_ptr(&out[0]), mx_cuda_dptr(upd), &g,
                                  mx_cuda_stream()));
    return MX_OK;
}

static void axis_desc(mx_cu_axis *g, const mx_layout *shape_of, const mx_layout *idx, int axis,
                      int64_t dim) {
    memset(g, 0, sizeof *g);
    g->ndim = shape_of->m.ndim;
    g->axis = axis;
    g->idx_dtype = idx->m.dtype;
    g->dim = dim;
    for (int d = 0; d < g->ndim; d++) {
        g->shape[d] = shape_of->m.shape[d];
        g->idx_strides[d] = idx->strides[d];
    }
}

static mx_status gather_axis_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_axis_params *p = MX_PARAMS(mx_axis_params, n);
    MX_TRY(mx_cuda_no_f64("gather_axis", in, 1));
    MX_TRY(mx_cuda_alloc_out(&out[0]));
    if (mx_meta_size(&out[0].m) == 0) return MX_OK;
    mx_cu_axis g;
    axis_desc(&g, &out[0], &in[1], p->axis, in[0].m.shape[p->axis]);
    for (int d = 0; d < g.ndim; d++) g.src_strides[d] = in[0].strides[d];
    MX_CUDA_TRY(mx_cu_gather_axis((int)mx_dtype_size(out[0].m.dtype), mx_cuda_ptr(&out[0]),
                                  mx_cuda_dptr(&in[0]), mx_cuda_dptr(&in[1]), &g,
                                  mx_cuda_stream()));
    return MX_OK;
}

static mx_status scatter_axis_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_axis_params *p = MX_PARAMS(mx_axis_params, n);
    MX_TRY(mx_cuda_no_f64("scatter_axis", in, 1));
    MX_TRY(mx_cuda_out_from_input(&out[0], &in[0]));
    if (mx_meta_size(&in[1].m) == 0) return MX_OK;
    mx_cu_axis g;
    axis_desc(&g, &in[1], &in[1], p->axis, out[0].m.shape[p->axis]);
    for (int d = 0; d < g.ndim; d++) {
        g.src_strides[d] = in[2].strides[d];
        g.dst_strides[d] = out[0].strides[d];
    }
    MX_CUDA_TRY(mx_cu_scatter_axis((int)mx_dtype_size(out[0].m.dtype), mx_cuda_ptr(&out[0]),
                                   mx_cuda_dptr(&in[2]), mx_cuda_dptr(&in[1]), &g,
                                   mx_cuda_stream()));
    return MX_OK;
}

/* ---- slice updates and dynamic slices ---- */
static mx_status slice_update_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_slice_update_params *p = MX_PARAMS(mx_slice_update_params, n);
    MX_TRY(mx_cuda_no_f64("slice_update", in, 1));
    MX_TRY(mx_cuda_out_from_input(&out[0], &in[0]));
    if (mx_meta_size(&in[1].m) == 0) return MX_OK;
    int64_t st[MX_MAX_DIMS], off = 0;
    for (int d = 0; d < out[0].m.ndim; d++) {
        off += p->start[d] * out[0].strides[d];
        st[d] = out[0].strides[d] * p->step[d];
    }
    mx_layout v = sub_view(&out[0], in[1].m.shape, st, off);
    return mx_cuda_copy_into(&v, &in[1]);
}

static void dyn_desc(mx_cu_dyn *d, const mx_dyn_slice_params *p, const mx_layout *start,
                     const mx_layout *iter, const mx_layout *full) {
    memset(d, 0, sizeof *d);
    d->ndim = iter->m.ndim;
    d->naxes = p->naxes;
    d->start_dtype = start->m.dtype;
    d->start_stride = start->m.ndim ? start->strides[0] : 0;
    for (int k = 0; k < p->naxes; k++) d->axes[k] = p->axes[k];
    for (int k = 0; k < d->ndim; k++) {
        d->shape[k] = iter->m.shape[k];
        d->dim[k] = full->m.shape[k];
    }
}

static mx_status dynamic_slice_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_dyn_slice_params *p = MX_PARAMS(mx_dyn_slice_params, n);
    MX_TRY(mx_cuda_no_f64("slice", in, 1));
    MX_TRY(mx_cuda_alloc_out(&out[0]));
    if (mx_meta_size(&out[0].m) == 0) return MX_OK;
    mx_cu_dyn d;
    dyn_desc(&d, p, &in[1], &out[0], &in[0]);
    d.update = 0;
    for (int k = 0; k < d.ndim; k++) {
        d.src_strides[k] = in[0].strides[k];
        d.dst_strides[k] = out[0].strides[k];
    }
    MX_CUDA_TRY(mx_cu_dynamic_slice((int)mx_dtype_size(out[0].m.dtype), mx_cuda_ptr(&out[0]),
                                    mx_cuda_dptr(&in[0]), mx_cuda_dptr(&in[1]), &d,
                                    mx_cuda_stream()));
    return MX_OK;
}

static mx_status dynamic_slice_update_kernel(const mx_node *n, const mx_layout *in,
                                             mx_layout *out) {
    const mx_dyn_slice_params *p = MX_PARAMS(mx_dyn_slice_params, n);
    MX_TRY(mx_cuda_no_f64("slice_update", in, 1));
    MX_TRY(mx_cuda_out_from_input(&out[0], &in[0]));
    if (mx_meta_size(&in[1].m) == 0) return MX_OK;
    mx_cu_dyn d;
    dyn_desc(&d, p, &in[2], &in[1], &out[0]);
    d.update = 1;
    for (int k = 0; k < d.ndim; k++) {
        d.src_strides[k] = in[1].strides[k];
        d.dst_strides[k] = out[0].strides[k];
    }
    MX_CUDA_TRY(mx_cu_dynamic_slice((int)mx_dtype_size(out[0].m.dtype), mx_cuda_ptr(&out[0]),
                                    mx_cuda_dptr(&in[1]), mx_cuda_dptr(&in[2]), &d,
                                    mx_cuda_stream()));
    return MX_OK;
}

/* ---- shape family ---- */
static mx_status concatenate_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_concatenate_params *p = MX_PARAMS(mx_concatenate_params, n);
    MX_TRY(mx_cuda_no_f64("concatenate", in, n->n_in));
    MX_TRY(mx_cuda_alloc_out(&out[0]));
    int ax = p->axis;
    int64_t pos = 0;
    for (int i = 0; i < n->n_in; i++) {
        const mx_layout *x = &in[i];
        if (mx_meta_size(&x->m) > 0) {
            mx_layout dst = sub_view(&out[0], x->m.shape, out[0].strides, pos * out[0].strides[ax]);
            MX_TRY(mx_cuda_copy_into(&dst, x));
        }
        pos += x->m.shape[ax];
    }
    return MX_OK;
}

static mx_status pad_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_pad_params *p = MX_PARAMS(mx_pad_params, n);
    MX_TRY(mx_cuda_no_f64("pad", in, 1));
    MX_TRY(mx_cuda_alloc_out(&out[0]));
    if (mx_meta_size(&out[0].m) == 0) return MX_OK;
    mx_cu_pad g;
    memset(&g, 0, sizeof g);
    g.ndim = out[0].m.ndim;
    g.mode = p->mode;
    for (int d = 0; d < g.ndim; d++) {
        g.shape[d] = out[0].m.shape[d];
        g.in_shape[d] = in[0].m.shape[d];
        g.in_strides[d] = in[0].strides[d];
        g.lo[d] = p->lo[d];
    }
    MX_CUDA_TRY(mx_cu_pad_run((int)mx_dtype_size(out[0].m.dtype), mx_cuda_ptr(&out[0]),
                              mx_cuda_dptr(&in[0]), mx_cuda_dptr(&in[1]), &g, mx_cuda_stream()));
    return MX_OK;
}

static mx_status contiguous_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_contiguous_params *p = MX_PARAMS(mx_contiguous_params, n);
    if ((in[0].flags & MX_ROW_CONTIG) || (p->allow_col_major && (in[0].flags & MX_COL_CONTIG))) {
        mx_layout_share(&out[0], &in[0], in[0].strides, in[0].offset);
        return MX_OK;
    }
    MX_TRY(mx_cuda_no_f64("contiguous", in, 1));
    mx_layout tmp = {0};
    MX_TRY(mx_cuda_copy_row_major(&in[0], &tmp));
    tmp.m = out[0].m;
    out[0] = tmp;
    return MX_OK;
}

/* ---- sort ---- */
static mx_status sort_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_sort_params *p = MX_PARAMS(mx_sort_params, n);
    const char *op = mx_prims[n->prim].name;
    MX_TRY(mx_cuda_no_f64(op, in, 1));
    int arg = n->prim == MX_PRIM_ARGSORT || n->prim == MX_PRIM_ARGPARTITION;
    int nd = in[0].m.ndim, ax = p->axis;
    int64_t size = mx_meta_size(&in[0].m), len = in[0].m.shape[ax];
    MX_CHECK(len <= ((int64_t)1 << 30), MX_ERR_UNSUPPORTED,
             "[%s] rows longer than 2^30 elements are not supported on the GPU", op);
    MX_TRY(mx_cuda_alloc_out(&out[0]));
    if (size == 0) return MX_OK;
    /* the sorted axis last: perm[k] is the input dim at position k */
    int perm[MX_MAX_DIMS], k = 0;
    for (int d = 0; d < nd; d++)
        if (d != ax) perm[k++] = d;
    perm[k] = ax;
    mx_layout t = in[0], src_tmp = {0}, res_tmp = {0};
    for (int d = 0; d < nd; d++) {
        t.m.shape[d] = in[0].m.shape[perm[d]];
        t.strides[d] = in[0].strides[perm[d]];
    }
    mx_layout_update_flags(&t);
    const mx_layout *src = &t;
    mx_status st = MX_OK;
    if (!(t.flags & MX_ROW_CONTIG)) {
        MX_TRY(mx_cuda_copy_row_major(&t, &src_tmp));
        src = &src_tmp;
    }
    /* the result in the permuted order: straight into out when the axis is already last */
    mx_layout *res = &out[0];
    if (ax != nd - 1) {
        res_tmp.m = t.m;
        res_tmp.m.dtype = out[0].m.dtype;
        st = mx_cuda_alloc_out(&res_tmp);
        res = &res_tmp;
    }
    if (st == MX_OK) {
        int e = mx_cu_sort_rows(in[0].m.dtype, arg, mx_cuda_ptr(res), mx_cuda_ptr(src),
                                size / len, len, mx_cuda_stream());
        if (e) st = mx_cuda_status(e, "mx_cu_sort_rows", __FILE__, __LINE__);
    }
    if (st == MX_OK && res == &res_tmp) { /* back to the input's axis order */
        int64_t bst[MX_MAX_DIMS];
        for (int d = 0; d < nd; d++) bst[perm[d]] = res_tmp.strides[d];
        mx_layout back = sub_view(&res_tmp, out[0].m.shape, bst, 0);
        st = mx_cuda_copy_into(&out[0], &back);
    }
    if (src_tmp.buf) mx_buffer_release(src_tmp.buf);
    if (res_tmp.buf) mx_buffer_release(res_tmp.buf);
    return st;
}

void mx_cuda_register_families(mx_kernel_fn *k) {
    k[MX_PRIM_RANDOM_BITS] = random_bits_kernel;
    k[MX_PRIM_ARG_REDUCE] = arg_reduce_kernel;
    k[MX_PRIM_SCAN] = scan_kernel;
    k[MX_PRIM_GATHER] = gather_kernel;
    k[MX_PRIM_GATHER_AXIS] = gather_axis_kernel;
    k[MX_PRIM_SCATTER] = scatter_kernel;
    k[MX_PRIM_SCATTER_AXIS] = scatter_axis_kernel;
    k[MX_PRIM_SLICE_UPDATE] = slice_update_kernel;
    k[MX_PRIM_DYNAMIC_SLICE] = dynamic_slice_kernel;
    k[MX_PRIM_DYNAMIC_SLICE_UPDATE] = dynamic_slice_update_kernel;
    k[MX_PRIM_CONCATENATE] = concatenate_kernel;
    k[MX_PRIM_PAD] = pad_kernel;
    k[MX_PRIM_CONTIGUOUS] = contiguous_kernel;
    k[MX_PRIM_SORT] = sort_kernel;
    k[MX_PRIM_ARGSORT] = sort_kernel;
    k[MX_PRIM_PARTITION] = sort_kernel;
    k[MX_PRIM_ARGPARTITION] = sort_kernel;
}
