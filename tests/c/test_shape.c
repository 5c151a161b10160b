/* tests/c/test_shape.c: the shape family (concatenate, stack, split, unstack, pad, repeat, tile,
 * flip, roll, moveaxis, swapaxes, diagonal, diag, tril, triu, trace, unflatten, atleast_*,
 * broadcast_arrays/shapes, contiguous) and the creation ops (linspace, eye, identity, tri,
 * meshgrid, windows). Every result is compared element by element with a reference computed here
 * by index loops; strided (transposed, negative-step) inputs, several dtypes, empty arrays and
 * error cases are covered. On the default device; float64 cases (and reading) on the CPU. */
#define FAMILY "shape"
#include <stdlib.h>

#include "harness.h"

#define S MX_DEFAULT_STREAM
#define MAXN 4096

/* 0, 1, ..., n-1 of dtype t with the given shape */
static mx_array *iota(const int64_t *shape, int nd, mx_dtype t) {
    int64_t n = 1;
    for (int d = 0; d < nd; d++) n *= shape[d];
    mx_scope sc = mx_scope_begin();
    mx_array *r = mx_reshape(mx_arange(0, (double)n, 1, t, S), shape, nd, S);
    return mx_scope_end(sc, r);
}

/* Evaluate and read up to max elements as double. Unlike t_read this is safe inside an open
 * scope (the converted copy belongs to a scope of its own). Returns the count or -1. */
static int64_t read_f64(mx_array *a, double *out, int64_t max) {
    if (!a) return -1;
    mx_scope sc = mx_scope_begin();
    mx_array *f = mx_astype(a, MX_FLOAT64, T_CPU); /* the GPU has no float64 */
    int64_t n = f ? mx_array_size(f) : -1;
    double *tmp = n >= 0 ? malloc(sizeof(double) * (size_t)(n + 1)) : NULL;
    if (!tmp || mx_array_copy_to(f, tmp) != MX_OK) n = -1;
    for (int64_t i = 0; i < n && i < max; i++) out[i] = tmp[i];
    free(tmp);
    mx_scope_end(sc, NULL);
    return n > max ? max : n;
}

/* row-major index -> multi-index */
static void unravel(int64_t i, const int64_t *shape, int nd, int64_t *idx) {
    for (int d = nd - 1; d >= 0; d--) {
        idx[d] = shape[d] ? i % shape[d] : 0;
        i = shape[d] ? i / shape[d] : 0;
    }
}
static int64_t ravel(const int64_t *idx, const int64_t *shape, int nd) {
    int64_t r = 0;
    for (int d = 0; d < nd; d++) r = r * shape[d] + idx[d];
    return r;
}
static int64_t prod(const int64_t *shape, int nd) {
    int64_t n = 1;
    for (int d = 0; d < nd; d++) n *= shape[d];
    return n;
}

/* a has shape (sh, nd) and exactly the values ref (row-major) */
static void expect_(mx_array *a, const int64_t *sh, int nd, const double *ref, int line) {
    if (!a) {
        T_FAIL("line %d: NULL result [%s]", line, mx_error_message());
        return;
    }
    if (!t_shape_is(a, sh, nd)) {
        char got_s[256] = "", want_s[256] = "";
        for (int d = 0; d < mx_array_ndim(a); d++)
            snprintf(got_s + strlen(got_s), sizeof got_s - strlen(got_s), "%lld,",
                     (long long)mx_array_shape(a)[d]);
        for (int d = 0; d < nd; d++)
            snprintf(want_s + strlen(want_s), sizeof want_s - strlen(want_s), "%lld,",
                     (long long)sh[d]);
        T_FAIL("line %d: shape (%s), expected (%s)", line, got_s, want_s);
        return;
    }
    int64_t n = prod(sh, nd);
    static double got[MAXN];
    if (n > MAXN || read_f64(a, got, MAXN) != n) {
        T_FAIL("line %d: read failed [%s]", line, mx_error_message());
        return;
    }
    for (int64_t i = 0; i < n; i++)
        if (!(got[i] == ref[i] || (isnan(got[i]) && isnan(ref[i])))) {
            T_FAIL("line %d: element %lld = %.17g, expected %.17g", line,
                    (long long)i, got[i], ref[i]);
            return;
        }
}
#define EXPECT(a, sh, nd, ref) expect_((a), (sh), (nd), (ref), __LINE__)

/* ---- concatenate / stack ---- */
TEST(concatenate_axes_and_layouts) {
    mx_scope sc = mx_scope_begin();
    int64_t sa[2] = {2, 3}, sb[2] = {2, 4}, sc2[2] = {3, 3};
    mx_array *a = iota(sa, 2, MX_FLOAT32);
    mx_array *b = mx_add(iota(sb, 2, MX_FLOAT32), mx_array_scalar_f64(100, MX_FLOAT32), S);
    mx_array *c = iota(sc2, 2, MX_FLOAT32);
    double ref[64];
    /* axis 1 and axis -1 */
    for (int axis = 1; axis >= -1; axis -= 2) {
        mx_array *l[2] = {a, b};
        int64_t so[2] = {2, 7};
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 7; j++) ref[i * 7 + j] = j < 3 ? i * 3 + j : 100 + i * 4 + (j - 3);
        EXPECT(mx_concatenate(l, 2, axis, false, S), so, 2, ref);
    }
    /* axis 0, three inputs, one transposed (strided) and one negative-step */
    mx_array *ct = mx_transpose(c, NULL, 0, S);                         /* (3,3): ct[i][j] = c[j][i] */
    int64_t st[2] = {-1, 1};
    mx_array *af = mx_slice(a, NULL, NULL, st, S);                      /* rows reversed */
    mx_array *l3[3] = {a, ct, af};
    int64_t so3[2] = {7, 3};
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 3; j++)
            ref[i * 3 + j] = i < 2 ? i * 3 + j : i < 5 ? (j * 3 + (i - 2)) : ((1 - (i - 5)) * 3 + j);
    EXPECT(mx_concatenate(l3, 3, 0, false, S), so3, 2, ref);
    /* flatten (axis=None) */
    mx_array *lf[2] = {a, ct};
    int64_t sof[1] = {15};
    for (int i = 0; i < 15; i++) ref[i] = i < 6 ? i : (double)(((i - 6) % 3) * 3 + (i - 6) / 3);
    EXPECT(mx_concatenate(lf, 2, 0, true, S), sof, 1, ref);
    /* zero-size inputs */
    int64_t s0[2] = {0, 3};
    mx_array *e = mx_zeros(s0, 2, MX_FLOAT32, S);
    mx_array *le[3] = {e, a, e};
    for (int i = 0; i < 6; i++) ref[i] = i;
    EXPECT(mx_concatenate(le, 3, 0, false, S), sa, 2, ref);
    mx_array *lee[2] = {e, e};
    EXPECT(mx_concatenate(lee, 2, 0, false, S), s0, 2, ref);
    mx_scope_end(sc, NULL);
}

TEST(concatenate_dtypes) {
    mx_scope sc = mx_scope_begin();
    int64_t sh[1] = {3};
    const mx_dtype ts[] = {MX_BOOL, MX_INT8, MX_INT16, MX_FLOAT16, MX_BFLOAT16, MX_INT32,
                           MX_FLOAT32, MX_INT64, MX_FLOAT64, MX_COMPLEX64};
    for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++) {
        mx_stream s = t_stream_for(ts[k]); /* float64 on the CPU */
        mx_array *a = mx_astype(iota(sh, 1, MX_INT32), ts[k], s);
        mx_array *l[3] = {a, a, a};
        int64_t so[1] = {9};
        double ref[9];
        for (int i = 0; i < 9; i++) ref[i] = ts[k] == MX_BOOL ? (i % 3 != 0) : i % 3;
        mx_array *r = mx_concatenate(l, 3, 0, false, s);
        CHECK(r && mx_array_dtype(r) == ts[k]);
        if (ts[k] != MX_COMPLEX64) EXPECT(r, so, 1, ref);
    }
    /* promotion: int32 + float32 -> float32; uint8 + int8 -> int16 */
    mx_array *i = iota(sh, 1, MX_INT32), *f = iota(sh, 1, MX_FLOAT32);
    mx_array *l[2] = {i, f};
    mx_array *r = mx_concatenate(l, 2, 0, false, S);
    CHECK(r && mx_array_dtype(r) == MX_FLOAT32);
    mx_array *u = iota(sh, 1, MX_UINT8), *s8 = iota(sh, 1, MX_INT8);
    mx_array *l2[2] = {u, s8};
    r = mx_concatenate(l2, 2, 0, false, S);
    CHECK(r && mx_array_dtype(r) == MX_INT16);
    mx_scope_end(sc, NULL);
}

TEST(concatenate_errors) {
    mx_scope sc = mx_scope_begin();
    int64_t sa[2] = {2, 3}, sb[2] = {3, 2}, s1[1] = {6};
    mx_array *a = iota(sa, 2, MX_FLOAT32), *b = iota(sb, 2, MX_FLOAT32), *c = iota(s1, 1, MX_FLOAT32);
    mx_array *l[2] = {a, b};
    CHECK_ERR(mx_concatenate(l, 2, 0, false, S), MX_ERR_VALUE, "concatenate");
    mx_error_clear();
    (void)mx_concatenate(l, 2, 0, false, S);
    CHECK(strstr(mx_error_message(), "except the concatenation axis") != NULL);
    mx_error_clear();
    mx_array *l2[2] = {a, c};
    CHECK_ERR(mx_concatenate(l2, 2, 0, false, S), MX_ERR_VALUE, "concatenate");
    CHECK_ERR(mx_concatenate(l, 2, 2, false, S), MX_ERR_VALUE, "concatenate");
    CHECK_ERR(mx_concatenate(l, 2, -3, false, S), MX_ERR_VALUE, "concatenate");
    CHECK_ERR(mx_concatenate(l, 0, 0, false, S), MX_ERR_VALUE, "concatenate");
    CHECK_ERR(mx_concatenate(NULL, 2, 0, false, S), MX_ERR_VALUE, "concatenate");
    mx_array *z = mx_array_scalar_f64(1, MX_FLOAT32);
    mx_array *lz[2] = {z, z};
    CHECK_ERR(mx_concatenate(lz, 2, 0, false, S), MX_ERR_VALUE, "concatenate");
    mx_array *ln[2] = {a, NULL};
    CHECK_ERR(mx_concatenate(ln, 2, 0, false, S), MX_ERR_VALUE, "concatenate");
    /* stack */
    CHECK_ERR(mx_stack(l, 2, 0, S), MX_ERR_VALUE, "stack");
    mx_array *la[2] = {a, a};
    CHECK_ERR(mx_stack(la, 2, 3, S), MX_ERR_VALUE, "stack");
    CHECK_ERR(mx_stack(la, 0, 0, S), MX_ERR_VALUE, "stack");
    mx_scope_end(sc, NULL);
}

TEST(stack) {
    mx_scope sc = mx_scope_begin();
    int64_t sa[2] = {2, 3};
    mx_array *a = iota(sa, 2, MX_INT32);
    mx_array *b = mx_multiply(a, mx_array_scalar_i64(-1, MX_INT32), S);
    mx_array *l[2] = {a, b};
    for (int axis = -3; axis <= 2; axis++) {
        int ax = axis < 0 ? axis + 3 : axis;
        int64_t so[3];
        for (int d = 0, k = 0; d < 3; d++) so[d] = d == ax ? 2 : sa[k++];
        double ref[12];
        int64_t idx[3];
        for (int64_t i = 0; i < 12; i++) {
            unravel(i, so, 3, idx);
            int64_t w = idx[ax], rest[2];
            for (int d = 0, k = 0; d < 3; d++)
                if (d != ax) rest[k++] = idx[d];
            double v = (double)(rest[0] * 3 + rest[1]);
            ref[i] = w ? -v : v;
        }
        mx_array *r = mx_stack(l, 2, axis, S);
        CHECK(r && mx_array_dtype(r) == MX_INT32);
        EXPECT(r, so, 3, ref);
    }
    /* scalars stack into 1-D */
    mx_array *x = mx_array_scalar_f64(2, MX_FLOAT32), *y = mx_array_scalar_f64(5, MX_FLOAT32);
    mx_array *lx[2] = {x, y};
    int64_t s2[1] = {2};
    double r2[2] = {2, 5};
    EXPECT(mx_stack(lx, 2, 0, S), s2, 1, r2);
    mx_scope_end(sc, NULL);
}

/* ---- split / unstack ---- */
TEST(split_sections_and_indices) {
    mx_scope sc = mx_scope_begin();
    int64_t sh[2] = {6, 4};
    mx_array *a = iota(sh, 2, MX_FLOAT32);
    mx_array *out[8];
    int n = 0;
    CHECK(mx_split(a, NULL, 0, 3, 0, S, out, &n) == MX_OK && n == 3);
    for (int k = 0; k < n; k++) {
        int64_t so[2] = {2, 4};
        double ref[8];
        for (int i = 0; i < 8; i++) ref[i] = k * 8 + i;
        EXPECT(out[k], so, 2, ref);
    }
    /* the pieces are views of a's buffer */
    const float *base = mx_array_data(a), *p2 = mx_array_data(out[2]);
    CHECK(base && p2 == base + 16);
    /* axis -1 by indices, including a negative index and out-of-order/overlong points */
    int64_t ind[3] = {1, -1, 10};
    CHECK(mx_split(a, ind, 3, 0, -1, S, out, &n) == MX_OK && n == 4);
    int64_t w[4] = {1, 2, 1, 0};
    for (int k = 0; k < 4; k++) {
        int64_t so[2] = {6, w[k]}, start = k == 0 ? 0 : k == 1 ? 1 : 3;
        double ref[24];
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < w[k]; j++) ref[i * w[k] + j] = i * 4 + start + j;
        EXPECT(out[k], so, 2, ref);
    }
    int64_t ind2[2] = {3, 1};
    CHECK(mx_split(a, ind2, 2, 0, 0, S, out, &n) == MX_OK && n == 3);
    CHECK(mx_array_dim(out[0], 0) == 3 && mx_array_dim(out[1], 0) == 0 &&
          mx_array_dim(out[2], 0) == 5);
    /* strided input */
    mx_array *t = mx_transpose(a, NULL, 0, S); /* (4, 6) */
    CHECK(mx_split(t, NULL, 0, 2, 1, S, out, &n) == MX_OK && n == 2);
    int64_t so[2] = {4, 3};
    double ref[12];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) ref[i * 3 + j] = (j + 3) * 4 + i;
    EXPECT(out[1], so, 2, ref);
    /* errors */
    CHECK_ERR(mx_split(a, NULL, 0, 4, 0, S, out, &n), MX_ERR_VALUE, "split");
    mx_error_clear();
    (void)mx_split(a, NULL, 0, 4, 0, S, out, &n);
    CHECK(strstr(mx_error_message(), "does not result in sub arrays with equal size") != NULL);
    CHECK_ERR(mx_split(a, NULL, 0, 0, 0, S, out, &n), MX_ERR_VALUE, "split");
    CHECK_ERR(mx_split(a, NULL, 0, 2, 2, S, out, &n), MX_ERR_VALUE, "split");
    mx_scope_end(sc, NULL);
}

TEST(split_without_scope_and_unstack) {
    int64_t sh[3] = {2, 3, 2};
    mx_array *a = iota(sh, 3, MX_INT32);
    mx_array *out[4];
    int n = 0;
    CHECK(mx_unstack(a, 1, S, out, &n) == MX_OK && n == 3);
    for (int k = 0; k < n; k++) {
        int64_t so[2] = {2, 2};
        double ref[4];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) ref[i * 2 + j] = i * 6 + k * 2 + j;
        EXPECT(out[k], so, 2, ref);
        mx_array_release(out[k]);
    }
    CHECK(mx_unstack(a, -1, S, out, &n) == MX_OK && n == 2);
    for (int k = 0; k < n; k++) mx_array_release(out[k]);
    CHECK(mx_split(a, NULL, 0, 2, 2, S, out, &n) == MX_OK && n == 2);
    for (int k = 0; k < n; k++) mx_array_release(out[k]);
    mx_array *z = mx_array_scalar_f64(1, MX_FLOAT32);
    CHECK_ERR(mx_unstack(z, 0, S, out, &n), MX_ERR_VALUE, "unstack");
    CHECK_ERR(mx_unstack(a, 3, S, out, &n), MX_ERR_VALUE, "unstack");
    mx_array_release(z);
    mx_array_release(a);
}

/* ---- pad ---- */
/* independent reference: mirror step by step until inside */
static int64_t ref_src(const char *mode, int64_t i, int64_t n) {
    if (!strcmp(mode, "edge") || (!strcmp(mode, "reflect") && n == 1))
        return i < 0 ? 0 : i >= n ? n - 1 : i;
    bool sym = !strcmp(mode, "symmetric");
    while (i < 0 || i >= n) {
        if (i < 0) i = sym ? -i - 1 : -i;
        if (i >= n) i = sym ? 2 * n - 1 - i : 2 * (n - 1) - i;
    }
    return i;
}

static void check_pad(mx_array *a, const double *vals, const int64_t *sh, int nd,
                      const int64_t *pw, const char *mode, double cval, int line) {
    int64_t so[MX_MAX_DIMS], idx[MX_MAX_DIMS], src[MX_MAX_DIMS];
    for (int d = 0; d < nd; d++) so[d] = sh[d] + pw[2 * d] + pw[2 * d + 1];
    int64_t n = prod(so, nd);
    double *ref = malloc(sizeof(double) * (size_t)(n + 1));
    for (int64_t i = 0; i < n; i++) {
        unravel(i, so, nd, idx);
        bool outside = false;
        for (int d = 0; d < nd; d++) {
            int64_t j = idx[d] - pw[2 * d];
            if (j < 0 || j >= sh[d]) {
                outside = true;
                src[d] = !strcmp(mode, "constant") ? 0 : ref_src(mode, j, sh[d]);
            } else {
                src[d] = j;
            }
        }
        ref[i] = outside && !strcmp(mode, "constant") ? cval : vals[ravel(src, sh, nd)];
    }
    mx_scope sc = mx_scope_begin();
    /* a float32 value (cast to a's dtype; every cval here is exact in float32) */
    mx_array *c = strcmp(mode, "constant") ? NULL : mx_array_scalar_f64(cval, MX_FLOAT32);
    mx_array *r = mx_pad(a, pw, mode, c, S);
    CHECK(r && mx_array_dtype(r) == mx_array_dtype(a));
    expect_(r, so, nd, ref, line);
    mx_scope_end(sc, NULL);
    free(ref);
}

TEST(pad_modes) {
    const char *modes[] = {"constant", "edge", "reflect", "symmetric"};
    mx_scope sc = mx_scope_begin();
    int64_t sh[2] = {3, 4};
    double vals[12];
    for (int i = 0; i < 12; i++) vals[i] = i * 1.5 - 4;
    mx_array *a = mx_array_from_data((float[]){-4, -2.5, -1, 0.5, 2, 3.5, 5, 6.5, 8, 9.5, 11, 12.5},
                                     sh, 2, MX_FLOAT32);
    const int64_t pws[][4] = {{1, 2, 3, 0}, {0, 0, 0, 0}, {5, 7, 9, 2}, {2, 2, 3, 3}, {0, 1, 0, 0}};
    for (int m = 0; m < 4; m++)
        for (size_t k = 0; k < sizeof pws / sizeof pws[0]; k++)
            check_pad(a, vals, sh, 2, pws[k], modes[m], 7.25, __LINE__);
    /* strided input: transposed (4,3) */
    mx_array *t = mx_transpose(a, NULL, 0, S);
    int64_t st[2] = {4, 3};
    double tv[12];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) tv[i * 3 + j] = vals[j * 4 + i];
    for (int m = 0; m < 4; m++) check_pad(t, tv, st, 2, pws[2], modes[m], -1, __LINE__);
    /* 1-D, length 1 (reflect degenerates to edge) and length 2; int32, float16 */
    int64_t s1[1] = {1}, s2[1] = {2}, s5[1] = {5};
    int64_t pw1[2] = {3, 4};
    double v1[1] = {0}, v5[5] = {0, 1, 2, 3, 4};
    for (int m = 0; m < 4; m++) {
        check_pad(iota(s1, 1, MX_INT32), v1, s1, 1, pw1, modes[m], 9, __LINE__);
        check_pad(iota(s2, 1, MX_INT32), v5, s2, 1, pw1, modes[m], 9, __LINE__);
        check_pad(iota(s5, 1, MX_FLOAT16), v5, s5, 1, pw1, modes[m], 0.5, __LINE__);
        check_pad(iota(s5, 1, MX_UINT8), v5, s5, 1, pw1, modes[m], 200, __LINE__);
    }
    /* 3-D with every axis padded, negative-step input */
    int64_t s3[3] = {2, 3, 2};
    int64_t step[3] = {1, -1, 1};
    mx_array *b = mx_slice(iota(s3, 3, MX_FLOAT32), NULL, NULL, step, S);
    double v3[12];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 2; k++) v3[(i * 3 + j) * 2 + k] = i * 6 + (2 - j) * 2 + k;
    int64_t pw3[6] = {1, 2, 2, 1, 3, 1};
    for (int m = 0; m < 4; m++) check_pad(b, v3, s3, 3, pw3, modes[m], 3, __LINE__);
    /* constant padding of an empty axis; default constant is 0 */
    int64_t s0[2] = {0, 2}, pw0[4] = {1, 1, 0, 1};
    check_pad(mx_zeros(s0, 2, MX_FLOAT32, S), v1, s0, 2, pw0, "constant", 4, __LINE__);
    int64_t so0[2] = {2, 3};
    double z6[6] = {0};
    EXPECT(mx_pad(mx_zeros(s0, 2, MX_FLOAT32, S), pw0, NULL, NULL, S), so0, 2, z6);
    mx_scope_end(sc, NULL);
}

TEST(pad_errors) {
    mx_scope sc = mx_scope_begin();
    int64_t sh[2] = {2, 2}, s0[2] = {0, 2};
    mx_array *a = iota(sh, 2, MX_FLOAT32);
    int64_t neg[4] = {0, -1, 0, 0}, ok[4] = {1, 1, 0, 0};
    CHECK_ERR(mx_pad(a, neg, "constant", NULL, S), MX_ERR_VALUE, "pad");
    CHECK_ERR(mx_pad(a, ok, "wrap", NULL, S), MX_ERR_VALUE, "pad");
    CHECK_ERR(mx_pad(a, NULL, "edge", NULL, S), MX_ERR_VALUE, "pad");
    CHECK_ERR(mx_pad(mx_zeros(s0, 2, MX_FLOAT32, S), ok, "edge", NULL, S), MX_ERR_VALUE, "pad");
    CHECK_ERR(mx_pad(mx_zeros(s0, 2, MX_FLOAT32, S), ok, "reflect", NULL, S), MX_ERR_VALUE, "pad");
    CHECK_ERR(mx_pad(a, ok, "constant", a, S), MX_ERR_VALUE, "pad");
    CHECK_ERR(mx_pad(NULL, ok, "constant", NULL, S), MX_ERR_VALUE, "pad");
    mx_scope_end(sc, NULL);
}

/* ---- repeat / tile ---- */
TEST(repeat) {
    mx_scope sc = mx_scope_begin();
    int64_t sh[2] = {2, 3};
    mx_array *a = iota(sh, 2, MX_INT32);
    double ref[64];
    int64_t s0[2] = {6, 3};
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 3; j++) ref[i * 3 + j] = (i / 3) * 3 + j;
    EXPECT(mx_repeat(a, 3, 0, false, S), s0, 2, ref);
    int64_t s1[2] = {2, 6};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 6; j++) ref[i * 6 + j] = i * 3 + j / 2;
    EXPECT(mx_repeat(a, 2, -1, false, S), s1, 2, ref);
    /* transposed input */
    mx_array *t = mx_transpose(a, NULL, 0, S); /* (3,2) */
    int64_t s2[2] = {3, 4};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) ref[i * 4 + j] = (j / 2) * 3 + i;
    EXPECT(mx_repeat(t, 2, 1, false, S), s2, 2, ref);
    int64_t sf[1] = {12};
    for (int i = 0; i < 12; i++) ref[i] = i / 2;
    EXPECT(mx_repeat(a, 2, 5, true, S), sf, 1, ref);
    int64_t sz[2] = {0, 3};
    EXPECT(mx_repeat(a, 0, 0, false, S), sz, 2, ref);
    int64_t ss[1] = {3};
    double r3[3] = {7, 7, 7};
    EXPECT(mx_repeat(mx_array_scalar_f64(7, MX_FLOAT32), 3, 0, true, S), ss, 1, r3);
    CHECK_ERR(mx_repeat(a, -1, 0, false, S), MX_ERR_VALUE, "repeat");
    CHECK_ERR(mx_repeat(a, 2, 2, false, S), MX_ERR_VALUE, "repeat");
    mx_scope_end(sc, NULL);
}

static void check_tile(mx_array *a, const int64_t *reps, int n, int line) {
    int nd0 = mx_array_ndim(a), nd = n > nd0 ? n : nd0;
    int64_t sh[MX_MAX_DIMS], r[MX_MAX_DIMS], so[MX_MAX_DIMS], idx[MX_MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        sh[d] = d < nd - nd0 ? 1 : mx_array_shape(a)[d - (nd - nd0)];
        r[d] = d < nd - n ? 1 : reps[d - (nd - n)];
        so[d] = sh[d] * r[d];
    }
    int64_t total = prod(so, nd), na = mx_array_size(a);
    double *vals = malloc(sizeof(double) * (size_t)(na + 1));
    double *ref = malloc(sizeof(double) * (size_t)(total + 1));
    CHECK(read_f64(a, vals, na) == na);
    for (int64_t i = 0; i < total; i++) {
        unravel(i, so, nd, idx);
        for (int d = 0; d < nd; d++) idx[d] %= sh[d];
        ref[i] = vals[ravel(idx, sh, nd)];
    }
    mx_scope sc = mx_scope_begin();
    expect_(mx_tile(a, reps, n, S), so, nd, ref, line);
    mx_scope_end(sc, NULL);
    free(vals);
    free(ref);
}

TEST(tile) {
    mx_scope sc = mx_scope_begin();
    int64_t sh[2] = {2, 3};
    mx_array *a = iota(sh, 2, MX_FLOAT32);
    check_tile(a, (int64_t[]){2}, 1, __LINE__);
    check_tile(a, (int64_t[]){2, 1}, 2, __LINE__);
    check_tile(a, (int64_t[]){3, 2}, 2, __LINE__);
    check_tile(a, (int64_t[]){2, 1, 2}, 3, __LINE__);
    check_tile(a, (int64_t[]){0, 2}, 2, __LINE__);
    check_tile(a, NULL, 0, __LINE__);
    check_tile(mx_transpose(a, NULL, 0, S), (int64_t[]){2, 2}, 2, __LINE__);
    check_tile(mx_array_scalar_f64(4, MX_INT32), (int64_t[]){3}, 1, __LINE__);
    /* many dims: several interleave rounds, and no room at all (16 dims) */
    int64_t s12[12], r12[12];
    for (int d = 0; d < 12; d++) {
        s12[d] = d % 5 == 0 ? 2 : 1;
        r12[d] = d % 3 == 0 ? 1 : 2;
    }
    check_tile(iota(s12, 12, MX_FLOAT32), r12, 12, __LINE__);
    int64_t s16[16], r16[16];
    for (int d = 0; d < 16; d++) {
        s16[d] = d == 3 ? 2 : 1;
        r16[d] = d == 3 || d == 15 ? 2 : (d == 7 ? 3 : 1);
    }
    check_tile(iota(s16, 16, MX_FLOAT32), r16, 16, __LINE__);
    r16[7] = 0;
    check_tile(iota(s16, 16, MX_FLOAT32), r16, 16, __LINE__);
    CHECK_ERR(mx_tile(a, (int64_t[]){-1}, 1, S), MX_ERR_VALUE, "tile");
    CHECK_ERR(mx_tile(mx_reshape(a, s16, 16, S), (int64_t[]){1, 1}, 2, S), MX_ERR_VALUE, "reshape");
    mx_scope_end(sc, NULL);
}

/* ---- flip / roll / moveaxis / swapaxes ---- */
TEST(flip_and_roll) {
    mx_scope sc = mx_scope_begin();
    int64_t sh[2] = {3, 4};
    mx_array *a = iota(sh, 2, MX_FLOAT32);
    double ref[12];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) ref[i * 4 + j] = (2 - i) * 4 + (3 - j);
    EXPECT(mx_flip(a, NULL, 0, S), sh, 2, ref);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) ref[i * 4 + j] = i * 4 + (3 - j);
    EXPECT(mx_flip(a, (int[]){-1}, 1, S), sh, 2, ref);
    CHECK_ERR(mx_flip(a, (int[]){2}, 1, S), MX_ERR_VALUE, "flip");
    CHECK_ERR(mx_flip(a, (int[]){0, -2}, 2, S), MX_ERR_VALUE, "flip");
    /* flattened roll */
    const int64_t shifts[] = {0, 1, 5, -3, 12, 25, -13};
    for (size_t k = 0; k < sizeof shifts / sizeof shifts[0]; k++) {
        for (int i = 0; i < 12; i++) ref[((i + shifts[k]) % 12 + 12) % 12] = i;
        EXPECT(mx_roll(a, &shifts[k], 1, NULL, 0, S), sh, 2, ref);
    }
    /* per axis, on a transposed input (4,3) */
    mx_array *t = mx_transpose(a, NULL, 0, S);
    int64_t st[2] = {4, 3};
    const int64_t sp[][2] = {{1, 0}, {-1, 2}, {7, -4}, {0, 0}};
    for (size_t k = 0; k < 4; k++) {
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++) {
                int64_t i2 = ((i + sp[k][0]) % 4 + 4) % 4, j2 = ((j + sp[k][1]) % 3 + 3) % 3;
                ref[i2 * 3 + j2] = j * 4 + i;
            }
        EXPECT(mx_roll(t, sp[k], 2, (int[]){0, -1}, 2, S), st, 2, ref);
    }
    /* one shift for several axes; repeated axes add up */
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) ref[((i + 2) % 4) * 3 + (j + 2) % 3] = j * 4 + i;
    EXPECT(mx_roll(t, (int64_t[]){2}, 1, (int[]){0, 1}, 2, S), st, 2, ref);
    EXPECT(mx_roll(t, (int64_t[]){1, 0, 2, 1}, 4, (int[]){0, 0, 1, 0}, 4, S), st, 2, ref);
    /* empty */
    int64_t s0[2] = {0, 3};
    EXPECT(mx_roll(mx_zeros(s0, 2, MX_FLOAT32, S), (int64_t[]){2}, 1, NULL, 0, S), s0, 2, ref);
    EXPECT(mx_roll(mx_zeros(s0, 2, MX_FLOAT32, S), (int64_t[]){2}, 1, (int[]){0}, 1, S), s0, 2,
           ref);
    CHECK_ERR(mx_roll(a, (int64_t[]){1, 2}, 2, NULL, 0, S), MX_ERR_VALUE, "roll");
    CHECK_ERR(mx_roll(a, (int64_t[]){1, 2}, 2, (int[]){0, 1, 1}, 3, S), MX_ERR_VALUE, "roll");
    CHECK_ERR(mx_roll(a, (int64_t[]){1}, 1, (int[]){2}, 1, S), MX_ERR_VALUE, "roll");
    mx_scope_end(sc, NULL);
}

TEST(moveaxis_swapaxes) {
    mx_scope sc = mx_scope_begin();
    int64_t sh[3] = {2, 3, 4};
    mx_array *a = iota(sh, 3, MX_INT32);
    double ref[24];
    int64_t idx[3];
    /* moveaxis(a, 0, -1): (3, 4, 2), r[j,k,i] = a[i,j,k] */
    int64_t s1[3] = {3, 4, 2};
    for (int64_t q = 0; q < 24; q++) {
        unravel(q, s1, 3, idx);
        ref[q] = (double)(idx[2] * 12 + idx[0] * 4 + idx[1]);
    }
    EXPECT(mx_moveaxis(a, 0, -1, S), s1, 3, ref);
    /* moveaxis(a, 2, 0): (4, 2, 3), r[k,i,j] = a[i,j,k] */
    int64_t s2[3] = {4, 2, 3};
    for (int64_t q = 0; q < 24; q++) {
        unravel(q, s2, 3, idx);
        ref[q] = (double)(idx[1] * 12 + idx[2] * 4 + idx[0]);
    }
    EXPECT(mx_moveaxis(a, -1, 0, S), s2, 3, ref);
    /* swapaxes(a, 0, 2): (4, 3, 2), r[k,j,i] = a[i,j,k] */
    int64_t s3[3] = {4, 3, 2};
    for (int64_t q = 0; q < 24; q++) {
        unravel(q, s3, 3, idx);
        ref[q] = (double)(idx[2] * 12 + idx[1] * 4 + idx[0]);
    }
    EXPECT(mx_swapaxes(a, 0, -1, S), s3, 3, ref);
    for (int q = 0; q < 24; q++) ref[q] = q;
    EXPECT(mx_swapaxes(a, 1, 1, S), sh, 3, ref);
    CHECK_ERR(mx_moveaxis(a, 3, 0, S), MX_ERR_VALUE, "moveaxis");
    CHECK_ERR(mx_swapaxes(a, 0, -4, S), MX_ERR_VALUE, "swapaxes");
    mx_scope_end(sc, NULL);
}

/* ---- diagonal / diag / tril / triu / trace ---- */
TEST(diagonal) {
    mx_scope sc = mx_scope_begin();
    int64_t sh[3] = {3, 4, 5};
    mx_array *a = iota(sh, 3, MX_FLOAT32);
    const int ax[][2] = {{0, 1}, {1, 0}, {0, 2}, {2, 1}, {-1, -3}};
    for (size_t q = 0; q < sizeof ax / sizeof ax[0]; q++)
        for (int off = -5; off <= 6; off++) {
            int a1 = (ax[q][0] + 3) % 3, a2 = (ax[q][1] + 3) % 3, other = 3 - a1 - a2;
            int64_t d1 = sh[a1], d2 = sh[a2];
            int64_t len = off >= 0 ? (d2 - off < d1 ? d2 - off : d1) : (d1 + off < d2 ? d1 + off : d2);
            if (len < 0) len = 0;
            int64_t so[2] = {sh[other], len};
            double ref[32];
            for (int64_t o = 0; o < sh[other]; o++)
                for (int64_t i = 0; i < len; i++) {
                    int64_t idx[3];
                    idx[other] = o;
                    idx[a1] = off >= 0 ? i : i - off;
                    idx[a2] = off >= 0 ? i + off : i;
                    ref[o * len + i] = (double)ravel(idx, sh, 3);
                }
            EXPECT(mx_diagonal(a, off, ax[q][0], ax[q][1], S), so, 2, ref);
        }
    /* a view: no copy */
    int64_t s2[2] = {4, 4};
    mx_array *m = iota(s2, 2, MX_FLOAT32);
    mx_array *d = mx_diagonal(m, 1, 0, 1, S);
    const float *pm = mx_array_data(m), *pd = mx_array_data(d);
    CHECK(pd == pm + 1 && mx_array_strides(d)[0] == 5);
    /* strided input */
    mx_array *t = mx_transpose(m, NULL, 0, S);
    int64_t s3[1] = {3};
    double r3[3] = {4, 9, 14};
    EXPECT(mx_diagonal(t, 1, 0, 1, S), s3, 1, r3);
    CHECK_ERR(mx_diagonal(mx_arange(0, 3, 1, MX_FLOAT32, S), 0, 0, 1, S), MX_ERR_VALUE, "diagonal");
    CHECK_ERR(mx_diagonal(a, 0, 1, -2, S), MX_ERR_VALUE, "diagonal");
    CHECK_ERR(mx_diagonal(a, 0, 0, 3, S), MX_ERR_VALUE, "diagonal");
    mx_scope_end(sc, NULL);
}

TEST(diag) {
    mx_scope sc = mx_scope_begin();
    int64_t s1[1] = {3};
    mx_array *v = mx_add(iota(s1, 1, MX_INT32), mx_array_scalar_i64(1, MX_INT32), S);
    for (int k = -2; k <= 2; k++) {
        int64_t n = 3 + (k < 0 ? -k : k), so[2] = {n, n};
        double ref[25];
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                int64_t p = k >= 0 ? i : j;
                ref[i * n + j] = (j - i == k && p < 3) ? (double)(p + 1) : 0;
            }
        mx_array *r = mx_diag(v, k, S);
        CHECK(r && mx_array_dtype(r) == MX_INT32);
        EXPECT(r, so, 2, ref);
    }
    int64_t s2[2] = {3, 4};
    mx_array *m = iota(s2, 2, MX_FLOAT32);
    int64_t so[1] = {3};
    double ref[3] = {1, 6, 11};
    EXPECT(mx_diag(m, 1, S), so, 1, ref);
    int64_t s0[1] = {0}, s00[2] = {0, 0};
    EXPECT(mx_diag(mx_zeros(s0, 1, MX_FLOAT32, S), 0, S), s00, 2, ref);
    CHECK_ERR(mx_diag(mx_array_scalar_f64(1, MX_FLOAT32), 0, S), MX_ERR_VALUE, "diag");
    mx_scope_end(sc, NULL);
}

TEST(tril_triu_trace) {
    mx_scope sc = mx_scope_begin();
    int64_t sh[3] = {2, 3, 4};
    mx_array *a = mx_add(iota(sh, 3, MX_FLOAT32), mx_array_scalar_f64(1, MX_FLOAT32), S);
    for (int k = -3; k <= 4; k++) {
        double lo[24], up[24];
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 4; j++) {
                    int q = (b * 3 + i) * 4 + j;
                    lo[q] = j - i <= k ? q + 1 : 0;
                    up[q] = j - i >= k ? q + 1 : 0;
                }
        mx_array *l = mx_tril(a, k, S), *u = mx_triu(a, k, S);
        CHECK(l && mx_array_dtype(l) == MX_FLOAT32);
        EXPECT(l, sh, 3, lo);
        EXPECT(u, sh, 3, up);
    }
    /* bool and transposed */
    int64_t s2[2] = {3, 3};
    mx_array *t = mx_transpose(iota(s2, 2, MX_INT32), NULL, 0, S);
    double r2[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) r2[i * 3 + j] = j <= i ? j * 3 + i : 0;
    EXPECT(mx_tril(t, 0, S), s2, 2, r2);
    mx_array *ob = mx_ones(s2, 2, MX_BOOL, S);
    mx_array *ub = mx_triu(ob, 1, S);
    CHECK(ub && mx_array_dtype(ub) == MX_BOOL);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) r2[i * 3 + j] = j >= i + 1;
    EXPECT(ub, s2, 2, r2);
    CHECK_ERR(mx_tril(mx_arange(0, 3, 1, MX_FLOAT32, S), 0, S), MX_ERR_VALUE, "tril");
    CHECK_ERR(mx_triu(mx_array_scalar_f64(1, MX_FLOAT32), 0, S), MX_ERR_VALUE, "triu");
    /* trace */
    int64_t s4[2] = {4, 4};
    mx_array *m = iota(s4, 2, MX_INT32);
    double v;
    mx_array *tr = mx_trace(m, 0, 0, 1, MX_DTYPE_AUTO, S);
    CHECK(tr && mx_array_dtype(tr) == MX_INT32 && mx_array_ndim(tr) == 0);
    CHECK(mx_array_item_f64(tr, &v) == MX_OK && v == 0 + 5 + 10 + 15);
    tr = mx_trace(m, 1, 0, 1, MX_FLOAT32, S);
    CHECK(tr && mx_array_dtype(tr) == MX_FLOAT32);
    CHECK(mx_array_item_f64(tr, &v) == MX_OK && v == 1 + 6 + 11);
    tr = mx_trace(m, -2, 1, 0, MX_DTYPE_AUTO, S);
    CHECK(mx_array_item_f64(tr, &v) == MX_OK && v == 2 + 7);
    double r3[2];
    for (int b = 0; b < 2; b++) r3[b] = (b * 12 + 0 + 1) + (b * 12 + 5 + 1) + (b * 12 + 10 + 1);
    int64_t s1[1] = {2};
    EXPECT(mx_trace(a, 0, 1, 2, MX_DTYPE_AUTO, S), s1, 1, r3);
    CHECK_ERR(mx_trace(mx_arange(0, 3, 1, MX_FLOAT32, S), 0, 0, 1, MX_DTYPE_AUTO, S), MX_ERR_VALUE,
              "trace");
    mx_scope_end(sc, NULL);
}

/* ---- shape helpers ---- */
TEST(unflatten_atleast) {
    mx_scope sc = mx_scope_begin();
    int64_t sh[2] = {3, 12};
    mx_array *a = iota(sh, 2, MX_FLOAT32);
    double ref[36];
    for (int i = 0; i < 36; i++) ref[i] = i;
    int64_t s1[4] = {3, 2, 3, 2};
    EXPECT(mx_unflatten(a, 1, (int64_t[]){2, -1, 2}, 3, S), s1, 4, ref);
    EXPECT(mx_unflatten(a, -1, (int64_t[]){2, 3, 2}, 3, S), s1, 4, ref);
    int64_t s2[3] = {1, 3, 12};
    EXPECT(mx_unflatten(a, 0, (int64_t[]){1, 3}, 2, S), s2, 3, ref);
    CHECK_ERR(mx_unflatten(a, 1, (int64_t[]){5, -1}, 2, S), MX_ERR_VALUE, "unflatten");
    CHECK_ERR(mx_unflatten(a, 1, (int64_t[]){-1, -1}, 2, S), MX_ERR_VALUE, "unflatten");
    CHECK_ERR(mx_unflatten(a, 1, (int64_t[]){2, 5}, 2, S), MX_ERR_VALUE, "unflatten");
    CHECK_ERR(mx_unflatten(a, 1, NULL, 0, S), MX_ERR_VALUE, "unflatten");
    CHECK_ERR(mx_unflatten(a, 2, (int64_t[]){12}, 1, S), MX_ERR_VALUE, "unflatten");
    /* atleast */
    mx_array *z = mx_array_scalar_f64(5, MX_FLOAT32);
    mx_array *v = mx_arange(0, 4, 1, MX_FLOAT32, S);
    int64_t e1[1] = {1}, e2[2] = {1, 1}, e3[3] = {1, 1, 1};
    double five[1] = {5};
    EXPECT(mx_atleast_1d(z, S), e1, 1, five);
    EXPECT(mx_atleast_2d(z, S), e2, 2, five);
    EXPECT(mx_atleast_3d(z, S), e3, 3, five);
    int64_t v1[1] = {4}, v2[2] = {1, 4}, v3[3] = {1, 4, 1};
    EXPECT(mx_atleast_1d(v, S), v1, 1, ref);
    EXPECT(mx_atleast_2d(v, S), v2, 2, ref);
    EXPECT(mx_atleast_3d(v, S), v3, 3, ref);
    int64_t m3[3] = {3, 12, 1};
    EXPECT(mx_atleast_2d(a, S), sh, 2, ref);
    EXPECT(mx_atleast_3d(a, S), m3, 3, ref);
    mx_scope_end(sc, NULL);
}

TEST(broadcast_arrays_shapes) {
    mx_scope sc = mx_scope_begin();
    int64_t sa[2] = {3, 1}, sb[1] = {4};
    mx_array *in[3] = {iota(sa, 2, MX_FLOAT32), iota(sb, 1, MX_INT32), mx_array_scalar_f64(2, MX_FLOAT32)};
    mx_array *out[3];
    CHECK(mx_broadcast_arrays(in, 3, out, S) == MX_OK);
    int64_t so[2] = {3, 4};
    double r0[12], r1[12], r2[12];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) {
            r0[i * 4 + j] = i;
            r1[i * 4 + j] = j;
            r2[i * 4 + j] = 2;
        }
    EXPECT(out[0], so, 2, r0);
    EXPECT(out[1], so, 2, r1);
    EXPECT(out[2], so, 2, r2);
    CHECK(mx_array_dtype(out[1]) == MX_INT32);
    int64_t sc3[1] = {3};
    mx_array *bad[2] = {in[1], iota(sc3, 1, MX_FLOAT32)};
    CHECK_ERR(mx_broadcast_arrays(bad, 2, out, S), MX_ERR_VALUE, "broadcast_arrays");
    CHECK(mx_broadcast_arrays(NULL, 0, NULL, S) == MX_OK);
    /* shapes */
    int64_t x[3] = {5, 1, 3}, y[2] = {4, 1}, w[1] = {1};
    const int64_t *shs[3] = {x, y, w};
    int nds[3] = {3, 2, 1};
    int64_t r[MX_MAX_DIMS];
    int nr = 0;
    CHECK(mx_broadcast_shapes(shs, nds, 3, r, &nr) == MX_OK && nr == 3 && r[0] == 5 && r[1] == 4 &&
          r[2] == 3);
    int nd0[1] = {0};
    CHECK(mx_broadcast_shapes(shs, nd0, 1, r, &nr) == MX_OK && nr == 0);
    int64_t bad2[1] = {2};
    const int64_t *shb[2] = {x, bad2};
    int ndb[2] = {3, 1};
    CHECK_ERR(mx_broadcast_shapes(shb, ndb, 2, r, &nr), MX_ERR_VALUE, "broadcast_shapes");
    CHECK_ERR(mx_broadcast_shapes(shb, ndb, 0, r, &nr), MX_ERR_VALUE, "broadcast_shapes");
    mx_scope_end(sc, NULL);
}

TEST(contiguous) {
    mx_scope sc = mx_scope_begin();
    int64_t sh[2] = {3, 4};
    mx_array *a = iota(sh, 2, MX_FLOAT32);
    mx_array *t = mx_transpose(a, NULL, 0, S);
    mx_array *c = mx_contiguous(t, false, S);
    double ref[12];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) ref[i * 3 + j] = j * 4 + i;
    int64_t st[2] = {4, 3};
    EXPECT(c, st, 2, ref);
    CHECK(mx_array_is_row_contiguous(c));
    mx_array *cc = mx_contiguous(t, true, S); /* column-major kept: a view */
    CHECK(mx_array_data(cc) == mx_array_data(a) && mx_array_strides(cc)[0] == 1);
    EXPECT(cc, st, 2, ref);
    mx_array *ca = mx_contiguous(a, false, S);
    CHECK(mx_array_data(ca) == mx_array_data(a));
    int64_t step[2] = {-1, 2};
    mx_array *sl = mx_contiguous(mx_slice(a, NULL, NULL, step, S), true, S);
    CHECK(mx_array_is_row_contiguous(sl));
    int64_t ss[2] = {3, 2};
    double r2[6] = {8, 10, 4, 6, 0, 2};
    EXPECT(sl, ss, 2, r2);
    mx_scope_end(sc, NULL);
}

/* ---- creation ---- */
TEST(linspace) {
    mx_scope sc = mx_scope_begin();
    double ref[64];
    int64_t s5[1] = {5};
    for (int i = 0; i < 5; i++) ref[i] = (float)(-1 + i * 0.75);
    EXPECT(mx_linspace(-1, 2, 5, true, MX_DTYPE_AUTO, S), s5, 1, ref);
    for (int i = 0; i < 5; i++) ref[i] = (float)(-1 + i * 0.6);
    EXPECT(mx_linspace(-1, 2, 5, false, MX_DTYPE_AUTO, S), s5, 1, ref);
    /* the last point is exactly stop */
    int64_t s7[1] = {7};
    double got[7];
    mx_array *l7 = mx_linspace(0.1, 0.7, 7, true, MX_FLOAT64, T_CPU); /* float64: on the CPU */
    CHECK(t_shape_is(l7, s7, 1) && read_f64(l7, got, 7) == 7);
    for (int i = 0; i < 6; i++) CHECK_CLOSE(got[i], 0.1 + i * 0.1, 1e-15, 1e-15);
    CHECK(got[6] == 0.7);
    /* integer dtype truncates */
    for (int i = 0; i < 5; i++) ref[i] = (double)(int)(i * 2.5);
    EXPECT(mx_linspace(0, 10, 5, true, MX_INT32, S), s5, 1, ref);
    int64_t s1[1] = {1}, s0[1] = {0};
    ref[0] = 3;
    EXPECT(mx_linspace(3, 9, 1, true, MX_DTYPE_AUTO, S), s1, 1, ref);
    EXPECT(mx_linspace(3, 9, 1, false, MX_DTYPE_AUTO, S), s1, 1, ref);
    EXPECT(mx_linspace(3, 9, 0, true, MX_DTYPE_AUTO, S), s0, 1, ref);
    mx_array *d = mx_linspace(3, 9, 4, true, MX_FLOAT16, S);
    CHECK(d && mx_array_dtype(d) == MX_FLOAT16);
    CHECK_ERR(mx_linspace(0, 1, -1, true, MX_DTYPE_AUTO, S), MX_ERR_VALUE, "linspace");
    mx_scope_end(sc, NULL);
}

TEST(eye_identity_tri) {
    mx_scope sc = mx_scope_begin();
    double ref[64];
    const int64_t nm[][2] = {{3, 3}, {3, 5}, {4, 2}, {0, 3}, {3, -1}};
    for (size_t q = 0; q < 5; q++)
        for (int k = -4; k <= 5; k++) {
            int64_t n = nm[q][0], m = nm[q][1] < 0 ? n : nm[q][1], so[2] = {n, m};
            for (int64_t i = 0; i < n; i++)
                for (int64_t j = 0; j < m; j++) ref[i * m + j] = j - i == k;
            mx_array *e = mx_eye(nm[q][0], nm[q][1], k, MX_DTYPE_AUTO, S);
            CHECK(e && mx_array_dtype(e) == MX_FLOAT32);
            EXPECT(e, so, 2, ref);
            for (int64_t i = 0; i < n; i++)
                for (int64_t j = 0; j < m; j++) ref[i * m + j] = j <= i + k;
            mx_array *t = mx_tri(nm[q][0], nm[q][1], k, MX_INT32, S);
            CHECK(t && mx_array_dtype(t) == MX_INT32);
            EXPECT(t, so, 2, ref);
        }
    int64_t s4[2] = {4, 4};
    for (int i = 0; i < 16; i++) ref[i] = i % 5 == 0;
    mx_array *id = mx_identity(4, MX_BOOL, S);
    CHECK(id && mx_array_dtype(id) == MX_BOOL);
    EXPECT(id, s4, 2, ref);
    CHECK_ERR(mx_eye(-1, 2, 0, MX_DTYPE_AUTO, S), MX_ERR_VALUE, "eye");
    CHECK_ERR(mx_tri(2, 2, 0, (mx_dtype)99, S), MX_ERR_VALUE, "tri");
    CHECK_ERR(mx_identity(-2, MX_DTYPE_AUTO, S), MX_ERR_VALUE, "identity");
    mx_scope_end(sc, NULL);
}

TEST(meshgrid) {
    mx_scope sc = mx_scope_begin();
    int64_t s2[1] = {2}, s3[1] = {3}, s4[2] = {2, 2};
    mx_array *in[3] = {iota(s2, 1, MX_FLOAT32), mx_add(iota(s3, 1, MX_INT32), mx_array_scalar_i64(10, MX_INT32), S),
                       mx_add(iota(s4, 2, MX_FLOAT32), mx_array_scalar_f64(20, MX_FLOAT32), S)};
    mx_array *out[3];
    /* ij: shape (2, 3, 4) */
    CHECK(mx_meshgrid(in, 3, false, "ij", out, S) == MX_OK);
    int64_t so[3] = {2, 3, 4}, idx[3];
    double r[3][24];
    for (int64_t q = 0; q < 24; q++) {
        unravel(q, so, 3, idx);
        r[0][q] = (double)idx[0];
        r[1][q] = (double)(10 + idx[1]);
        r[2][q] = (double)(20 + idx[2]);
    }
    for (int k = 0; k < 3; k++) EXPECT(out[k], so, 3, r[k]);
    CHECK(mx_array_dtype(out[1]) == MX_INT32);
    /* xy: shape (3, 2, 4) */
    CHECK(mx_meshgrid(in, 3, false, NULL, out, S) == MX_OK);
    int64_t sx[3] = {3, 2, 4};
    for (int64_t q = 0; q < 24; q++) {
        unravel(q, sx, 3, idx);
        r[0][q] = (double)idx[1];
        r[1][q] = (double)(10 + idx[0]);
        r[2][q] = (double)(20 + idx[2]);
    }
    for (int k = 0; k < 3; k++) EXPECT(out[k], sx, 3, r[k]);
    /* sparse xy with two arrays */
    CHECK(mx_meshgrid(in, 2, true, "xy", out, S) == MX_OK);
    int64_t sp0[2] = {1, 2}, sp1[2] = {3, 1};
    double a0[2] = {0, 1}, a1[3] = {10, 11, 12};
    EXPECT(out[0], sp0, 2, a0);
    EXPECT(out[1], sp1, 2, a1);
    /* one array */
    CHECK(mx_meshgrid(in, 1, false, "xy", out, S) == MX_OK);
    EXPECT(out[0], s2, 1, a0);
    CHECK_ERR(mx_meshgrid(in, 2, false, "ji", out, S), MX_ERR_VALUE, "meshgrid");
    mx_scope_end(sc, NULL);
}

TEST(windows) {
    mx_scope sc = mx_scope_begin();
    typedef mx_array *(*wfn)(int64_t, mx_stream);
    wfn fs[4] = {mx_bartlett, mx_hanning, mx_hamming, mx_blackman};
    const double pi = 3.14159265358979323846;
    const int64_t Ms[] = {0, -3, 1, 2, 5, 8, 51};
    for (int f = 0; f < 4; f++)
        for (size_t q = 0; q < sizeof Ms / sizeof Ms[0]; q++) {
            int64_t M = Ms[q], len = M > 0 ? M : 0;
            double ref[64];
            for (int64_t i = 0; i < len; i++) {
                /* the textbook forms over n = 0..M-1 */
                double x = M == 1 ? 0 : (double)i / (double)(M - 1), w;
                switch (f) {
                case 0: w = 1 - fabs(2 * x - 1); break;
                case 1: w = 0.5 - 0.5 * cos(2 * pi * x); break;
                case 2: w = 0.54 - 0.46 * cos(2 * pi * x); break;
                default: w = 0.42 - 0.5 * cos(2 * pi * x) + 0.08 * cos(4 * pi * x); break;
                }
                if (M == 1) w = 1;
                ref[i] = w;
            }
            mx_array *r = fs[f](M, S);
            CHECK(r && mx_array_dtype(r) == MX_FLOAT32 && mx_array_size(r) == len);
            double got[64];
            CHECK(read_f64(r, got, 64) == len);
            for (int64_t i = 0; i < len; i++) CHECK_CLOSE(got[i], ref[i], 1e-6, 1e-6);
        }
    mx_scope_end(sc, NULL);
}

TEST(null_arguments) {
    mx_scope sc = mx_scope_begin();
    mx_array *out[2];
    int n;
    CHECK_ERR(mx_repeat(NULL, 2, 0, false, S), MX_ERR_VALUE, "repeat");
    CHECK_ERR(mx_tile(NULL, NULL, 0, S), MX_ERR_VALUE, "tile");
    CHECK_ERR(mx_flip(NULL, NULL, 0, S), MX_ERR_VALUE, "flip");
    CHECK_ERR(mx_diagonal(NULL, 0, 0, 1, S), MX_ERR_VALUE, "diagonal");
    CHECK_ERR(mx_contiguous(NULL, false, S), MX_ERR_VALUE, "contiguous");
    CHECK_ERR(mx_split(NULL, NULL, 0, 2, 0, S, out, &n), MX_ERR_VALUE, "split");
    CHECK_ERR(mx_meshgrid((mx_array *[]){NULL}, 1, false, "xy", out, S), MX_ERR_VALUE, "meshgrid");
    /* an earlier error is kept, not overwritten */
    mx_error_clear();
    mx_error_set(MX_ERR_INDEX, "[earlier] x");
    CHECK(mx_flip(NULL, NULL, 0, S) == NULL && mx_error_status() == MX_ERR_INDEX);
    mx_error_clear();
    mx_scope_end(sc, NULL);
}

TEST(large_and_many_inputs) {
    mx_scope sc = mx_scope_begin();
    /* 20 inputs (more than the evaluator's inline input slots), mixed layouts */
    mx_array *l[20];
    int64_t s1[2] = {2, 3};
    for (int i = 0; i < 20; i++) {
        mx_array *x = mx_add(iota(s1, 2, MX_INT64), mx_array_scalar_i64(10 * i, MX_INT64), S);
        l[i] = i % 2 ? mx_transpose(mx_transpose(x, NULL, 0, S), NULL, 0, S) : x;
    }
    int64_t so[2] = {2, 60};
    double ref[120];
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 60; c++) ref[r * 60 + c] = 10 * (c / 3) + r * 3 + c % 3;
    EXPECT(mx_concatenate(l, 20, 1, false, S), so, 2, ref);
    /* big enough for the parallel copy paths: concatenate and pad of (300, 200) */
    int64_t sb[2] = {300, 200};
    mx_array *b = mx_transpose(iota((int64_t[]){200, 300}, 2, MX_FLOAT32), NULL, 0, S);
    mx_array *lb[2] = {b, b};
    mx_array *cb = mx_concatenate(lb, 2, 0, false, S);
    int64_t pw[4] = {3, 2, 1, 4};
    mx_array *pb = mx_pad(b, pw, "reflect", NULL, S);
    mx_array *pc = mx_pad(b, pw, "constant", mx_array_scalar_f64(-1, MX_FLOAT32), S);
    static double big[(600 * 200) > (305 * 205) ? 600 * 200 : 305 * 205];
    CHECK(read_f64(cb, big, 600 * 200) == 600 * 200);
    bool ok = true;
    for (int i = 0; i < 600; i++)
        for (int j = 0; j < 200; j++) ok &= big[i * 200 + j] == j * 300 + i % 300;
    CHECK(ok);
    CHECK(read_f64(pb, big, 305 * 205) == 305 * 205);
    ok = true;
    for (int i = 0; i < 305; i++)
        for (int j = 0; j < 205; j++) {
            int64_t si = ref_src("reflect", i - 3, 300), sj = ref_src("reflect", j - 1, 200);
            ok &= big[i * 205 + j] == sj * 300 + si;
        }
    CHECK(ok);
    CHECK(read_f64(pc, big, 305 * 205) == 305 * 205);
    ok = true;
    for (int i = 0; i < 305; i++)
        for (int j = 0; j < 205; j++) {
            bool in = i >= 3 && i < 303 && j >= 1 && j < 201;
            ok &= big[i * 205 + j] == (in ? (j - 1) * 300 + (i - 3) : -1);
        }
    CHECK(ok);
    (void)sb;
    mx_scope_end(sc, NULL);
}
