/* src/backend/cuda/cuda_util.c: output buffers and device copies shared by the GPU kernel-table
 * files (cuda_kernels.c, cuda_families.c, cuda_misc.c, cuda_jit.c, ...; declared in cuda_impl.h):
 * a copy of any layout into a view, a copy into a fresh row-major buffer, an element-wise output
 * that reuses a donated input's buffer, and an output that takes over a donated input's buffer or
 * starts as a copy of that input. */
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
