/* src/ops/creation.c: creation ops beyond the core's zeros/ones/full/arange: linspace, eye,
 * identity, tri, meshgrid and NumPy's window functions (bartlett, hanning, hamming, blackman).
 * linspace reuses the ARANGE primitive with an exact length; eye/tri compare two aranges;
 * windows are computed on the host in double and stored as float32. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops_impl.h"

static mx_status check_dtype(const char *op, mx_dtype *t) {
    if (*t == MX_DTYPE_AUTO) *t = MX_FLOAT32;
    MX_CHECK(mx_dtype_valid((int)*t), MX_ERR_VALUE, "[%s] invalid dtype %d", op, (int)*t);
    return MX_OK;
}

/* A 1-D ARANGE node of exactly n elements start + i * step. */
static mx_array *arange_n(double start, double step, int64_t n, mx_dtype t, mx_stream s) {
    mx_meta m;
    mx_meta_set(&m, t, &n, 1);
    mx_arange_params p = {start, step};
    return mx_node_make1(MX_PRIM_ARANGE, &p, sizeof p, NULL, 0, &m, s);
}

mx_array *mx_linspace(double start, double stop, int64_t num, bool endpoint, mx_dtype dtype,
                      mx_stream s) {
    if (check_dtype("linspace", &dtype) != MX_OK) return NULL;
    MX_CHECK_NULL(num >= 0, MX_ERR_VALUE, "[linspace] number of samples, %lld, must be non-negative",
                  (long long)num);
    if (mx_check_shape("linspace", &num, 1) != MX_OK) return NULL;
    if (!endpoint || num <= 1) {
        double step = num > 0 ? (stop - start) / (double)num : 0;
        return arange_n(start, endpoint ? 0 : step, num, dtype, s);
    }
    /* endpoint: num - 1 steps, then stop itself (exact, like NumPy) */
    mx_scope sc = mx_scope_begin();
    int64_t one = 1;
    mx_array *parts[2] = {arange_n(start, (stop - start) / (double)(num - 1), num - 1, dtype, s),
                          mx_reshape(mx_array_scalar_f64(stop, dtype), &one, 1, s)};
    mx_array *r = parts[0] && parts[1] ? mx_concatenate(parts, 2, 0, false, s) : NULL;
    return mx_scope_end(sc, r);
}

/* bool (n, m) with cmp(i + k, j): 0 equal (eye), 1 greater-equal (tri). */
static mx_array *diag_mask(const char *op, int64_t n, int64_t m, int k, int cmp, mx_dtype dtype,
                           mx_stream s) {
    if (check_dtype(op, &dtype) != MX_OK) return NULL;
    if (m < 0) m = n;
    MX_CHECK_NULL(n >= 0, MX_ERR_VALUE, "[%s] N and M must be non-negative, got N = %lld", op,
                  (long long)n);
    int64_t sh[2] = {n, m};
    if (mx_check_shape(op, sh, 2) != MX_OK) return NULL;
    mx_scope sc = mx_scope_begin();
    int64_t col[2] = {n, 1};
    mx_array *i = mx_add(mx_reshape(arange_n(0, 1, n, MX_INT64, s), col, 2, s),
                         mx_array_scalar_i64(k, MX_INT64), s);
    mx_array *j = arange_n(0, 1, m, MX_INT64, s);
    mx_array *b = cmp == 0 ? mx_equal(i, j, s) : mx_greater_equal(i, j, s);
    mx_array *r = mx_astype(b, dtype, s);
    return mx_scope_end(sc, r);
}

mx_array *mx_eye(int64_t n, int64_t m, int k, mx_dtype dtype, mx_stream s) {
    return diag_mask("eye", n, m, k, 0, dtype, s);
}
mx_array *mx_identity(int64_t n, mx_dtype dtype, mx_stream s) {
    return diag_mask("identity", n, n, 0, 0, dtype, s);
}
mx_array *mx_tri(int64_t n, int64_t m, int k, mx_dtype dtype, mx_stream s) {
    return diag_mask("tri", n, m, k, 1, dtype, s);
}

mx_status mx_meshgrid(mx_array *const *in, int n, bool sparse, const char *indexing, mx_array **out,
                      mx_stream s) {
    MX_CHECK(n >= 0 && (n == 0 || (in && out)), MX_ERR_VALUE,
             "[meshgrid] in and out must not be NULL");
    MX_CHECK(n <= MX_MAX_DIMS, MX_ERR_VALUE, "[meshgrid] at most %d arrays, got %d", MX_MAX_DIMS, n);
    bool xy = !indexing || strcmp(indexing, "xy") == 0;
    MX_CHECK(xy || strcmp(indexing, "ij") == 0, MX_ERR_VALUE,
             "[meshgrid] invalid indexing value '%s': expected 'xy' or 'ij'", indexing);
    for (int i = 0; i < n; i++)
        if (!in[i])
            return mx_error_status() != MX_OK ? mx_error_status()
                                              : mx_fail(MX_ERR_VALUE, "[meshgrid] array %d is NULL", i);
    int64_t full[MX_MAX_DIMS] = {0};
    int pos[MX_MAX_DIMS];
    for (int i = 0; i < n; i++) {
        pos[i] = i;
        if (xy && n >= 2 && i < 2) pos[i] = 1 - i;
        full[pos[i]] = mx_meta_size(&in[i]->v.m);
    }
    MX_TRY(mx_check_shape("meshgrid", full, n));
    for (int i = 0; i < n; i++) {
        int64_t sh[MX_MAX_DIMS];
        for (int d = 0; d < n; d++) sh[d] = d == pos[i] ? full[d] : 1;
        mx_scope sc = mx_scope_begin();
        mx_array *r = mx_reshape(in[i], sh, n, s);
        if (!sparse) r = mx_broadcast_to(r, full, n, s);
        out[i] = mx_scope_end(sc, r);
        if (!out[i]) {
            for (int j = 0; j < i; j++) {
                mx_array_release(mx_scope_keep(out[j]));
                out[j] = NULL;
            }
            return mx_error_status();
        }
    }
    return MX_OK;
}

/* ---- windows ---- */
enum { W_BARTLETT, W_HANNING, W_HAMMING, W_BLACKMAN };

static mx_array *window(int kind, int64_t M, const char *op) {
    if (M < 1) {
        int64_t z = 0;
        return mx_array_from_data(NULL, &z, 1, MX_FLOAT32);
    }
    MX_CHECK_NULL(M <= ((int64_t)1 << 40), MX_ERR_VALUE, "[%s] window length %lld is too large", op,
                  (long long)M);
    float *w = malloc(sizeof(float) * (size_t)M);
    MX_CHECK_NULL(w, MX_ERR_NOMEM, "[%s] out of memory", op);
    const double pi = 3.14159265358979323846;
    for (int64_t i = 0; i < M; i++) {
        double v = 1.0;
        if (M > 1) {
            double n = (double)(2 * i - (M - 1)); /* NumPy: arange(1 - M, M, 2) */
            double x = pi * n / (double)(M - 1);
            switch (kind) {
            case W_BARTLETT: v = n <= 0 ? 1 + n / (double)(M - 1) : 1 - n / (double)(M - 1); break;
            case W_HANNING: v = 0.5 + 0.5 * cos(x); break;
            case W_HAMMING: v = 0.54 + 0.46 * cos(x); break;
            default: v = 0.42 + 0.5 * cos(x) + 0.08 * cos(2 * x); break;
            }
        }
        w[i] = (float)v;
    }
    mx_array *r = mx_array_from_data(w, &M, 1, MX_FLOAT32);
    free(w);
    return r;
}

mx_array *mx_bartlett(int64_t M, mx_stream s) {
    (void)s;
    return window(W_BARTLETT, M, "bartlett");
}
mx_array *mx_hanning(int64_t M, mx_stream s) {
    (void)s;
    return window(W_HANNING, M, "hanning");
}
mx_array *mx_hamming(int64_t M, mx_stream s) {
    (void)s;
    return window(W_HAMMING, M, "hamming");
}
mx_array *mx_blackman(int64_t M, mx_stream s) {
    (void)s;
    return window(W_BLACKMAN, M, "blackman");
}
