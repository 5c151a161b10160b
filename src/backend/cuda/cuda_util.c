/* src/backend/cuda/cuda_util.c: output buffers and device copies shared by the GPU kernel-table
 * files (cuda_kernels.c, cuda_families.c, cuda_misc.c, cuda_jit.c, ...; declared in cuda_impl.h):
 * a copy of any layout into a view, a copy into a fresh row-major buffer, an element-wise output
 * that reuses a donated input's buffer, and an output that takes over a donated input's buffer or
 * starts as a copy of that input, and element-wise outputs that keep their inputs' axis order. */
#include <string.h>

#include "cuda_impl.h"

mx_status mx_cuda_copy_into(const mx_layout *dst, const mx_layout *src) {
    if (mx_meta_size(&dst->m) == 0) return MX_OK;
    const mx_layout *v[2] = {dst, src};
    mx_cu_nd nd;
    mx_cuda_nd(&nd, v, 2);
    MX_CUDA_TRY(mx_cu_copy((int)mx_dtype_size(dst->m.dtype), mx_cuda_ptr(dst), mx_cuda_ptr(src),
                           &nd, mx_cuda_stream()));
    return MX_OK;
}

mx_status mx_cuda_copy_row_major(const mx_layout *in, mx_layout *out) {
    out->m = in->m;
    MX_TRY(mx_cuda_alloc_out(out));
    return mx_cuda_copy_into(out, in);
}

mx_status mx_cuda_out_reuse(mx_layout *out, const mx_layout *in, int n_in) {
    size_t osz = mx_dtype_size(out->m.dtype);
    int64_t size = mx_meta_size(&out->m);
    for (int j = 0; j < n_in; j++)
        if ((in[j].flags & MX_DONATABLE) && (in[j].flags & MX_ROW_CONTIG) && in[j].buf &&
            in[j].buf->dptr && mx_dtype_size(in[j].m.dtype) == osz &&
            mx_meta_size(&in[j].m) == size && in[j].data_size == size) {
            mx_layout_set_row_major(out);
            out->buf = mx_buffer_retain(in[j].buf);
            out->offset = in[j].offset;
            return MX_OK;
        }
    return mx_cuda_alloc_out(out);
}

mx_status mx_cuda_out_from_input(mx_layout *out, const mx_layout *a) {
    int64_t size = mx_meta_size(&out->m);
    if ((a->flags & MX_DONATABLE) && (a->flags & MX_ROW_CONTIG) && a->buf && a->buf->dptr &&
        a->data_size == size && a->m.dtype == out->m.dtype && size > 0) {
        mx_layout_set_row_major(out);
        out->buf = mx_buffer_retain(a->buf);
        out->offset = a->offset;
        return MX_OK;
    }
    MX_TRY(mx_cuda_alloc_out(out));
    return mx_cuda_copy_into(out, a);
}

bool mx_cuda_shared_order(const mx_meta *S, const mx_layout *in, int n_in, bool spread_ok,
                          int64_t *st) {
    int64_t N = mx_meta_size(S);
    const mx_layout *first = NULL;
    for (int j = 0; j < n_in; j++) {
        const mx_layout *v = &in[j];
        if (mx_meta_size(&v->m) == 1 || (spread_ok && v->data_size <= 1)) continue;
        if (!(v->flags & MX_CONTIG) || (v->flags & MX_ROW_CONTIG) || v->data_size != N ||
            v->m.ndim != S->ndim ||
            memcmp(v->m.shape, S->shape, sizeof(int64_t) * (size_t)S->ndim) != 0)
            return false;
        for (int k = 0; k < S->ndim; k++)
            if (S->shape[k] > 1 &&
                (v->strides[k] <= 0 || (first && v->strides[k] != first->strides[k])))
                return false;
        if (!first) first = v;
    }
    if (!first) return false;
    memcpy(st, first->strides, sizeof(int64_t) * (size_t)S->ndim);
    return true;
}

/* v seen as n elements in memory order from element [0, ..., 0] (stride 0 when broadcast) */
static void flat_view(mx_layout *f, const mx_layout *v, int64_t n) {
    *f = *v;
    f->m.ndim = 1;
    f->m.shape[0] = n;
    f->strides[0] = v->data_size <= 1 ? 0 : 1;
    mx_layout_update_flags(f);
}

mx_status mx_cuda_ew_out(mx_layout *out, const mx_layout *in, int n_in, int r0, int nr,
                         mx_layout *flat) {
    int64_t st[MX_MAX_DIMS], N = mx_meta_size(&out->m);
    if (N <= 1 || !mx_cuda_shared_order(&out->m, in, n_in, true, st)) {
        MX_TRY(mx_cuda_out_reuse(out, in + r0, nr));
        flat[0] = *out;
        for (int j = 0; j < n_in; j++) flat[j + 1] = in[j];
        return MX_OK;
    }
    size_t osz = mx_dtype_size(out->m.dtype);
    bool reused = false;
    for (int j = r0; j < r0 + nr && !reused; j++)
        if ((in[j].flags & MX_DONATABLE) && in[j].data_size == N && in[j].buf &&
            in[j].buf->dptr && mx_dtype_size(in[j].m.dtype) == osz) {
            out->buf = mx_buffer_retain(in[j].buf);
            out->offset = in[j].offset;
            reused = true;
        }
    if (!reused) MX_TRY(mx_cuda_alloc_out(out));
    memcpy(out->strides, st, sizeof(int64_t) * (size_t)out->m.ndim);
    mx_layout_update_flags(out);
    flat_view(&flat[0], out, N);
    for (int j = 0; j < n_in; j++) flat_view(&flat[j + 1], &in[j], N);
    return MX_OK;
}
