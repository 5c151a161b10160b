/* src/core/shape.c: shapes, strides and contiguity flags; broadcasting and axis normalisation. */
#include <stdio.h>
#include <string.h>

#include "core.h"

int64_t mx_meta_size(const mx_meta *m) {
    int64_t n = 1;
    for (int i = 0; i < m->ndim; i++) n *= m->shape[i];
    return n;
}

bool mx_meta_equal(const mx_meta *a, const mx_meta *b) {
    if (a->dtype != b->dtype || a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

void mx_meta_set(mx_meta *m, mx_dtype t, const int64_t *shape, int ndim) {
    memset(m, 0, sizeof *m);
    m->dtype = t;
    m->ndim = ndim;
    for (int i = 0; i < ndim; i++) m->shape[i] = shape[i];
}

mx_status mx_check_shape(const char *op, const int64_t *shape, int ndim) {
    MX_CHECK(ndim >= 0 && ndim <= MX_MAX_DIMS, MX_ERR_VALUE,
             "[%s] arrays have at most %d dimensions, got %d", op, MX_MAX_DIMS, ndim);
    __int128 n = 1;
    for (int i = 0; i < ndim; i++) {
        MX_CHECK(shape[i] >= 0, MX_ERR_VALUE, "[%s] negative dimension %lld at axis %d", op,
                 (long long)shape[i], i);
        n *= shape[i];
        MX_CHECK(n <= ((__int128)1 << 62), MX_ERR_VALUE,
                 "[%s] the shape has too many elements to represent", op);
    }
    return MX_OK;
}

void mx_layout_set_row_major(mx_layout *v) {
    int64_t st = 1;
    for (int i = v->m.ndim - 1; i >= 0; i--) {
        v->strides[i] = st;
        st *= v->m.shape[i];
    }
    v->data_size = mx_meta_size(&v->m);
    v->flags = MX_ROW_CONTIG | MX_CONTIG;
    if (v->m.ndim <= 1 || v->data_size <= 1) v->flags |= MX_COL_CONTIG;
    else {
        int non1 = 0;
        for (int i = 0; i < v->m.ndim; i++) non1 += v->m.shape[i] > 1;
        if (non1 <= 1) v->flags |= MX_COL_CONTIG;
    }
}

/* A layout is dense in some order iff, sorting the non-trivial axes by |stride|, each stride equals
 * the product of the extents of the smaller ones (and no stride is negative). */
void mx_layout_update_flags(mx_layout *v) {
    int nd = v->m.ndim;
    int64_t size = mx_meta_size(&v->m);
    uint32_t f = 0;
    /* row-major */
    int64_t st = 1;
    bool row = true, col = true;
    for (int i = nd - 1; i >= 0; i--) {
        if (v->m.shape[i] == 1) continue;
        if (v->strides[i] != st) row = false;
        st *= v->m.shape[i];
    }
    st = 1;
    for (int i = 0; i < nd; i++) {
        if (v->m.shape[i] == 1) continue;
        if (v->strides[i] != st) col = false;
        st *= v->m.shape[i];
    }
    if (size == 0) row = col = true;
    if (row) f |= MX_ROW_CONTIG | MX_CONTIG;
    if (col) f |= MX_COL_CONTIG | MX_CONTIG;
    int64_t span = size ? 1 : 0;
    if (!row && !col && size > 0) {
        int idx[MX_MAX_DIMS], k = 0;
        bool ok = true;
        for (int i = 0; i < nd; i++)
            if (v->m.shape[i] > 1) {
                if (v->strides[i] <= 0) ok = false;
                idx[k++] = i;
            }
        for (int i = 1; i < k; i++) /* insertion sort by stride */
            for (int j = i; j > 0 && v->strides[idx[j]] < v->strides[idx[j - 1]]; j--) {
                int t = idx[j];
                idx[j] = idx[j - 1];
                idx[j - 1] = t;
            }
        st = 1;
        for (int i = 0; ok && i < k; i++) {
            if (v->strides[idx[i]] != st) ok = false;
            st *= v->m.shape[idx[i]];
        }
        if (ok) f |= MX_CONTIG;
    }
    /* data_size: elements from the lowest to the highest reachable one; a negative stride spans
     * as much as a positive one (a reversed view is not a broadcast scalar) */
    if (size > 0) {
        span = 1;
        for (int i = 0; i < nd; i++)
            if (v->m.shape[i] > 1) {
                int64_t as = v->strides[i] < 0 ? -v->strides[i] : v->strides[i];
                span += as * (v->m.shape[i] - 1);
            }
    }
    v->data_size = (f & MX_CONTIG) ? size : span;
    v->flags = f;
}

mx_status mx_layout_alloc(mx_layout *out) {
    mx_layout_set_row_major(out);
    size_t nb = (size_t)out->data_size * mx_dtype_size(out->m.dtype);
    out->buf = mx_buffer_alloc(nb);
    out->offset = 0;
    return out->buf ? MX_OK : MX_ERR_NOMEM;
}

void mx_layout_share(mx_layout *out, const mx_layout *in, const int64_t *strides, int64_t offset) {
    out->buf = mx_buffer_retain(in->buf);
    out->offset = offset;
    for (int i = 0; i < out->m.ndim; i++) out->strides[i] = strides[i];
    mx_layout_update_flags(out);
}

mx_status mx_norm_axis(const char *op, int axis, int ndim, int *out) {
    int ax = axis < 0 ? axis + ndim : axis;
    MX_CHECK(ax >= 0 && ax < ndim, MX_ERR_VALUE,
             "[%s] axis %d is out of bounds for array with %d dimensions", op, axis, ndim);
    *out = ax;
    return MX_OK;
}

const char *mx_shape_str(const int64_t *shape, int ndim, char *buf, size_t n) {
    size_t k = 0;
    k += (size_t)snprintf(buf + k, n - k, "(");
    for (int i = 0; i < ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (k < n) snprintf(buf + k, n - k, ndim == 1 ? ",)" : ")");
    return buf;
}

mx_status mx_broadcast_shapes2(const char *op, const int64_t *a, int na, const int64_t *b, int nb,
                               int64_t *out, int *nout) {
    int n = na > nb ? na : nb;
    int64_t res[MX_MAX_DIMS];
    MX_CHECK(n <= MX_MAX_DIMS, MX_ERR_VALUE, "[%s] too many dimensions (%d)", op, n);
    for (int i = 0; i < n; i++) {
        int64_t da = i < n - na ? 1 : a[i - (n - na)];
        int64_t db = i < n - nb ? 1 : b[i - (n - nb)];
        if (da != db && da != 1 && db != 1) {
            char sa[256], sb[256];
            return mx_fail(MX_ERR_VALUE, "[%s] shapes %s and %s cannot be broadcast", op,
                           mx_shape_str(a, na, sa, sizeof sa), mx_shape_str(b, nb, sb, sizeof sb));
        }
        res[i] = da == 1 ? db : da;
    }
    for (int i = 0; i < n; i++) out[i] = res[i];
    *nout = n;
    return MX_OK;
}

mx_status mx_slice_range(const char *op, int axis, int64_t n, int64_t start, int64_t stop,
                         int64_t step, int64_t *first, int64_t *len) {
    MX_CHECK(step != 0, MX_ERR_VALUE, "[%s] slice step cannot be zero (axis %d)", op, axis);
    MX_CHECK(step != INT64_MIN, MX_ERR_VALUE, "[%s] slice step out of range (axis %d)", op, axis);
    bool bn = start == MX_SLICE_NONE, en = stop == MX_SLICE_NONE;
    int64_t b = bn ? (step > 0 ? 0 : n - 1) : start;
    int64_t e = en ? (step > 0 ? n : -1) : stop;
    /* Python's slice.indices(): negative bounds count from the end, then clamp */
    if (!bn && b < 0) b += n;
    if (!en && e < 0) e += n;
    if (step > 0) {
        b = b < 0 ? 0 : (b > n ? n : b);
        e = e < 0 ? 0 : (e > n ? n : e);
    } else {
        b = b < -1 ? -1 : (b > n - 1 ? n - 1 : b);
        e = e < -1 ? -1 : (e > n - 1 ? n - 1 : e);
    }
    *len = step > 0 ? (e > b ? (e - b - 1) / step + 1 : 0) : (b > e ? (b - e - 1) / (-step) + 1 : 0);
    *first = *len ? b : 0;
    return MX_OK;
}
