/* src/backend/cpu/shape.c: CPU kernels of the shape family (src/prims/shape.def):
 * CONCATENATE (each input copied into its slot of a row-major output), PAD (constant, edge,
 * reflect, symmetric), DIAGONAL (a view: new strides and offset over the input buffer) and
 * CONTIGUOUS (the input itself when dense, else a row-major copy). All copies go through
 * mx_cpu_copy_into, so inputs may have any layout (transposed, negative steps, broadcast) and
 * any dtype (copied by element size). */
#include <string.h>

#include "../../prims/shape_params.h"
#include "cpu_impl.h"

/* A view of `base`'s buffer with shape `shape` (ndim of base), base's strides and an element
 * offset `off` relative to base's element [0..0]. Used as a copy destination or source. */
static mx_layout sub_view(const mx_layout *base, const int64_t *shape, int64_t off) {
    mx_layout v = *base;
    for (int d = 0; d < v.m.ndim; d++) v.m.shape[d] = shape[d];
    v.offset = base->offset + off;
    v.flags = 0;
    return v;
}

static int64_t shape_size(const int64_t *shape, int nd) {
    int64_t n = 1;
    for (int d = 0; d < nd; d++) n *= shape[d];
    return n;
}

/* ---- concatenate ---- */
static mx_status concatenate_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_concatenate_params *p = MX_PARAMS(mx_concatenate_params, n);
    MX_TRY(mx_layout_alloc(&out[0]));
    int ax = p->axis;
    int64_t pos = 0;
    for (int i = 0; i < n->n_in; i++) {
        const mx_layout *x = &in[i];
        if (mx_meta_size(&x->m) > 0) {
            mx_layout dst = sub_view(&out[0], x->m.shape, pos * out[0].strides[ax]);
            MX_TRY(mx_cpu_copy_into(x, &dst));
        }
        pos += x->m.shape[ax];
    }
    return MX_OK;
}

/* ---- pad ---- */
/* Source index inside [0, len) for padded position i (relative to the start of the data, so
 * i < 0 or i >= len in the pads). len >= 1. NumPy's periodic extensions. */
static int64_t pad_source(int mode, int64_t i, int64_t len) {
    if (mode == MX_PAD_EDGE || (mode == MX_PAD_REFLECT && len == 1))
        return i < 0 ? 0 : (i >= len ? len - 1 : i);
    int64_t period = mode == MX_PAD_REFLECT ? 2 * (len - 1) : 2 * len;
    int64_t m = i % period;
    if (m < 0) m += period;
    if (m >= len) m = mode == MX_PAD_REFLECT ? period - m : period - 1 - m;
    return m;
}

static mx_status pad_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_pad_params *p = MX_PARAMS(mx_pad_params, n);
    mx_layout *o = &out[0];
    MX_TRY(mx_layout_alloc(o));
    int nd = o->m.ndim;
    if (mx_meta_size(&o->m) == 0) return MX_OK;
    int64_t inner_off = 0;
    for (int d = 0; d < nd; d++) inner_off += p->lo[d] * o->strides[d];
    /* the input into the interior */
    if (mx_meta_size(&in[0].m) > 0) {
        mx_layout dst = sub_view(o, in[0].m.shape, inner_off);
        MX_TRY(mx_cpu_copy_into(&in[0], &dst));
    }
    int64_t sh[MX_MAX_DIMS];
    if (p->mode == MX_PAD_CONSTANT) {
        /* Each pad element once: the first axis d where it lies outside the data decides the
         * slab (axes < d: data range, axis d: a pad, axes > d: full range). */
        mx_layout val = in[1];
        val.m = o->m;
        for (int d = 0; d < nd; d++) val.strides[d] = 0;
        for (int d = 0; d < nd; d++) {
            int64_t off = 0;
            for (int e = 0; e < nd; e++) {
                sh[e] = e < d ? in[0].m.shape[e] : o->m.shape[e];
                if (e < d) off += p->lo[e] * o->strides[e];
            }
            for (int side = 0; side < 2; side++) {
                sh[d] = side ? p->hi[d] : p->lo[d];
                if (shape_size(sh, nd) == 0) continue;
                int64_t start = side ? p->lo[d] + in[0].m.shape[d] : 0;
                mx_layout dst = sub_view(o, sh, off + start * o->strides[d]);
                val.m = dst.m;
                MX_TRY(mx_cpu_copy_into(&val, &dst));
            }
        }
        return MX_OK;
    }
    /* Edge / reflect / symmetric: axis by axis, fill each pad hyperplane from a data hyperplane
     * of the output itself (axes < d already padded: full range; axes > d: data range). */
    for (int d = 0; d < nd; d++) {
        if (p->lo[d] == 0 && p->hi[d] == 0) continue;
        int64_t off = 0;
        for (int e = 0; e < nd; e++) {
            sh[e] = e < d ? o->m.shape[e] : in[0].m.shape[e];
            if (e > d) off += p->lo[e] * o->strides[e];
        }
        sh[d] = 1;
        if (shape_size(sh, nd) == 0) continue;
        int64_t len = in[0].m.shape[d];
        for (int64_t j = 0; j < o->m.shape[d]; j++) {
            if (j == p->lo[d]) j += len; /* skip the data */
            if (j >= o->m.shape[d]) break;
            int64_t src = p->lo[d] + pad_source(p->mode, j - p->lo[d], len);
            mx_layout dst = sub_view(o, sh, off + j * o->strides[d]);
            mx_layout from = sub_view(o, sh, off + src * o->strides[d]);
            MX_TRY(mx_cpu_copy_into(&from, &dst));
        }
    }
    return MX_OK;
}

/* ---- diagonal (view) ---- */
static mx_status diagonal_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_diagonal_params *p = MX_PARAMS(mx_diagonal_params, n);
    const mx_layout *x = &in[0];
    int64_t st[MX_MAX_DIMS];
    int k = 0;
    for (int d = 0; d < x->m.ndim; d++)
        if (d != p->axis1 && d != p->axis2) st[k++] = x->strides[d];
    st[k] = x->strides[p->axis1] + x->strides[p->axis2];
    int64_t off = x->offset;
    if (mx_meta_size(&out[0].m) > 0)
        off += p->offset >= 0 ? p->offset * x->strides[p->axis2] : -p->offset * x->strides[p->axis1];
    mx_layout_share(&out[0], x, st, off);
    return MX_OK;
}

/* ---- contiguous ---- */
static mx_status contiguous_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_contiguous_params *p = MX_PARAMS(mx_contiguous_params, n);
    if ((in[0].flags & MX_ROW_CONTIG) || (p->allow_col_major && (in[0].flags & MX_COL_CONTIG))) {
        mx_layout_share(&out[0], &in[0], in[0].strides, in[0].offset);
        return MX_OK;
    }
    MX_TRY(mx_layout_alloc(&out[0]));
    return mx_cpu_copy_into(&in[0], &out[0]);
}

void mx_cpu_register_shape(mx_kernel_fn *k) {
    k[MX_PRIM_CONCATENATE] = concatenate_kernel;
    k[MX_PRIM_PAD] = pad_kernel;
    k[MX_PRIM_DIAGONAL] = diagonal_kernel;
    k[MX_PRIM_CONTIGUOUS] = contiguous_kernel;
}
