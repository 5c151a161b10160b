/* tests/c/test_gpu.c: the GPU backend against the CPU backend: every element-wise op over the GPU
 * dtypes, broadcasting and strided inputs, conversions, reductions, softmax, matmul, the memory
 * model (results move between host and device as they are read), the CPU fallback for primitives
 * without a GPU kernel, float64 and out-of-memory errors. Every case skips where no GPU exists. */
#define FAMILY "gpu"
#include <stdlib.h>

#include "backend/backend.h"
#include "harness.h"

static int have_gpu(void) {
    mx_device g = {MX_GPU, 0};
    if (mx_device_is_available(g)) return 1;
    printf("skip (no GPU)  ");
    return 0;
}

#define GPU mx_stream_of_device(MX_GPU)
#define CPU mx_stream_of_device(MX_CPU)

/* read as double through the CPU (float64 does not exist on the GPU) */
static int64_t rd(mx_array *a, double *out, int64_t max) {
    if (!a) return -1;
    mx_array *f = mx_astype(a, MX_FLOAT64, CPU);
    if (!f) return -1;
    int64_t n = mx_array_size(f) < max ? mx_array_size(f) : max;
    double *tmp = malloc(sizeof(double) * (size_t)(mx_array_size(f) + 1));
    int64_t r = mx_array_copy_to(f, tmp) == MX_OK ? n : -1;
    for (int64_t i = 0; i < n; i++) out[i] = tmp[i];
    free(tmp);
    mx_array_release(f);
    return r;
}

static void close_all(const char *what, const double *a, const double *b, int64_t n, double tol) {
    for (int64_t i = 0; i < n; i++)
        if (!(isnan(a[i]) && isnan(b[i])) && fabs(a[i] - b[i]) > tol * (1 + fabs(b[i]))) {
            fprintf(stderr, "  FAIL %s [%lld]: gpu %.9g cpu %.9g\n", what, (long long)i, a[i], b[i]);
            test_failures++;
            return;
        }
}

typedef mx_array *(*un_fn)(mx_array *, mx_stream);
typedef mx_array *(*bin_fn)(mx_array *, mx_array *, mx_stream);

TEST(elementwise_matches_cpu) {
    if (!have_gpu()) return;
    static const struct { const char *n; un_fn f; } un[] = {
        {"abs", mx_abs}, {"negative", mx_negative}, {"square", mx_square}, {"sqrt", mx_sqrt},
        {"exp", mx_exp}, {"log", mx_log}, {"sin", mx_sin}, {"cos", mx_cos}, {"tanh", mx_tanh},
        {"sigmoid", mx_sigmoid}, {"floor", mx_floor}, {"erf", mx_erf}, {"erfinv", mx_erfinv},
        {"log1p", mx_log1p}, {"isnan", mx_isnan}, {"sign", mx_sign}, {"rsqrt", mx_rsqrt}};
    static const struct { const char *n; bin_fn f; } bin[] = {
        {"add", mx_add}, {"subtract", mx_subtract}, {"multiply", mx_multiply},
        {"divide", mx_divide}, {"maximum", mx_maximum}, {"minimum", mx_minimum},
        {"power", mx_power}, {"less", mx_less}, {"floor_divide", mx_floor_divide},
        {"remainder", mx_remainder}, {"logaddexp", mx_logaddexp}, {"arctan2", mx_arctan2}};
    mx_dtype types[4] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16, MX_INT32};
    double tol[4] = {2e-6, 2e-3, 1e-2, 0};
    for (int ti = 0; ti < 4; ti++) {
        mx_array *x0 = mx_arange(0.05, 2.9, 0.0703, MX_FLOAT32, CPU); /* (41,) */
        mx_array *sq = mx_multiply(x0, x0, CPU);
        mx_array *x = mx_astype(sq, types[ti], CPU);
        mx_array_release(sq);
        /* y: x reversed plus one half, same shape, every value distinct from x's */
        int64_t st[1] = {MX_SLICE_NONE}, sp[1] = {-1};
        mx_array *xr = mx_slice(x0, st, st, sp, CPU), *h = mx_array_scalar_f64(0.5, MX_FLOAT32);
        mx_array *yf = mx_add(xr, h, CPU);
        mx_array *y = mx_astype(yf, types[ti], CPU);
        mx_array_release(xr), mx_array_release(h), mx_array_release(yf);
        for (size_t k = 0; k < sizeof un / sizeof un[0]; k++) {
            if (types[ti] == MX_INT32 && un[k].f != mx_abs && un[k].f != mx_negative &&
                un[k].f != mx_square && un[k].f != mx_sign)
                continue;
            mx_array *g = un[k].f(x, GPU), *c = un[k].f(x, CPU);
            double a[41], b[41];
            CHECK(rd(g, a, 41) == 41 && rd(c, b, 41) == 41);
            close_all(un[k].n, a, b, 41, tol[ti] + 1e-6);
            mx_array_release(g), mx_array_release(c);
        }
        for (size_t k = 0; k < sizeof bin / sizeof bin[0]; k++) {
            mx_array *g = bin[k].f(x, y, GPU), *c = bin[k].f(x, y, CPU);
            double a[41], b[41];
            CHECK(rd(g, a, 41) == 41 && rd(c, b, 41) == 41);
            close_all(bin[k].n, a, b, 41, tol[ti] + 1e-6);
            mx_array_release(g), mx_array_release(c);
        }
        mx_array_release(x0), mx_array_release(x), mx_array_release(y);
    }
}

TEST(strided_broadcast_and_conversions) {
    if (!have_gpu()) return;
    mx_array *a = mx_arange(0, 24, 1, MX_FLOAT32, CPU);
    int64_t sh[3] = {2, 3, 4};
    mx_array *r = mx_reshape(a, sh, 3, CPU);
    int perm[3] = {2, 0, 1};
    mx_array *t = mx_transpose(r, perm, 3, GPU);
    int64_t st[3] = {MX_SLICE_NONE, MX_SLICE_NONE, MX_SLICE_NONE}, sp[3] = {-1, 1, -2};
    mx_array *v = mx_slice(t, st, st, sp, GPU);
    mx_array *e = mx_exp(v, GPU), *ec = mx_exp(v, CPU);
    double x[24], y[24];
    int64_t n = mx_array_size(e);
    CHECK(rd(e, x, 24) == n && rd(ec, y, 24) == n);
    close_all("strided exp", x, y, n, 1e-6);
    mx_dtype ds[6] = {MX_BOOL, MX_UINT8, MX_INT64, MX_FLOAT16, MX_BFLOAT16, MX_COMPLEX64};
    for (int i = 0; i < 6; i++) {
        mx_array *g = mx_astype(v, ds[i], GPU), *c = mx_astype(v, ds[i], CPU);
        CHECK(rd(g, x, 24) == n && rd(c, y, 24) == n);
        close_all(mx_dtype_name(ds[i]), x, y, n, 0);
        mx_array_release(g), mx_array_release(c);
    }
    mx_array *arr[6] = {a, r, t, v, e, ec};
    for (int i = 0; i < 6; i++) mx_array_release(arr[i]);
}

TEST(reductions_softmax_matmul) {
    if (!have_gpu()) return;
    int64_t sh[3] = {7, 300, 33};
    mx_array *k = mx_random_key(3);
    mx_array *x = mx_random_normal(sh, 3, MX_FLOAT32, NULL, NULL, k, CPU);
    int axes_sets[4][2] = {{0, 0}, {1, 0}, {2, 0}, {0, 2}};
    int nax[4] = {1, 1, 1, 2};
    for (int i = 0; i < 4; i++) {
        mx_array *g[4] = {mx_sum(x, axes_sets[i], nax[i], false, GPU), mx_max(x, axes_sets[i], nax[i], false, GPU),
                          mx_mean(x, axes_sets[i], nax[i], true, GPU), mx_min(x, NULL, 0, false, GPU)};
        mx_array *c[4] = {mx_sum(x, axes_sets[i], nax[i], false, CPU), mx_max(x, axes_sets[i], nax[i], false, CPU),
                          mx_mean(x, axes_sets[i], nax[i], true, CPU), mx_min(x, NULL, 0, false, CPU)};
        for (int j = 0; j < 4; j++) {
            static double a[7 * 300 * 33], b[7 * 300 * 33];
            int64_t n = mx_array_size(c[j]);
            CHECK(rd(g[j], a, n) == n && rd(c[j], b, n) == n);
            close_all("reduce", a, b, n, 1e-4);
            mx_array_release(g[j]), mx_array_release(c[j]);
        }
    }
    int last = -1;
    mx_array *sg = mx_softmax(x, &last, 1, false, GPU), *sc = mx_softmax(x, &last, 1, false, CPU);
    static double a[7 * 300 * 33], b[7 * 300 * 33];
    int64_t n = mx_array_size(x);
    CHECK(rd(sg, a, n) == n && rd(sc, b, n) == n);
    close_all("softmax", a, b, n, 1e-5);
    /* matmul: (7, 300, 33) @ (33, 20) and a transposed operand */
    int64_t wsh[2] = {20, 33};
    mx_array *w = mx_random_normal(wsh, 2, MX_FLOAT32, NULL, NULL, k, CPU);
    mx_array *wt = mx_transpose(w, NULL, 0, CPU);
    mx_array *mg = mx_matmul(x, wt, GPU), *mc = mx_matmul(x, wt, CPU);
    n = mx_array_size(mc);
    CHECK(rd(mg, a, n) == n && rd(mc, b, n) == n);
    close_all("matmul", a, b, n, 1e-4);
    mx_array *arr[9] = {k, x, sg, sc, w, wt, mg, mc, NULL};
    for (int i = 0; i < 9; i++) mx_array_release(arr[i]);
}

TEST(memory_model_and_fallback) {
    if (!have_gpu()) return;
    size_t before = mx_get_active_memory();
    int64_t sh[1] = {1 << 20};
    mx_array *o = mx_ones(sh, 1, MX_FLOAT32, GPU);
    CHECK(mx_eval(&o, 1) == MX_OK);
    CHECK(mx_get_active_memory() >= before + (4u << 20));
    double v;
    mx_array *s = mx_sum(o, NULL, 0, false, GPU);
    CHECK(mx_array_item_f64(s, &v) == MX_OK && v == (double)(1 << 20)); /* device -> host */
    mx_array *c = mx_multiply(o, o, CPU); /* a CPU kernel reads device bytes */
    mx_array *g = mx_add(c, o, GPU);      /* and a GPU kernel reads host bytes */
    mx_array *s2 = mx_sum(g, NULL, 0, false, CPU);
    CHECK(mx_array_item_f64(s2, &v) == MX_OK && v == 2.0 * (1 << 20));
    /* searchsorted on the GPU, reading one GPU and one CPU result */
    mx_array *r = mx_arange(0, 10, 1, MX_FLOAT32, GPU);
    mx_array *q = mx_arange(0.5, 10, 3, MX_FLOAT32, CPU);
    mx_array *so = mx_searchsorted(r, q, false, GPU);
    double sv[4];
    CHECK(rd(so, sv, 4) == 4 && sv[0] == 1 && sv[3] == 10);
    mx_array_release(q);
    /* float64 is refused on the GPU, as in MLX */
    mx_array *d = mx_array_scalar_f64(1, MX_FLOAT64);
    mx_array *de = mx_exp(d, GPU);
    CHECK_ERR(mx_eval(&de, 1), MX_ERR_VALUE, "exp");
    /* running out of GPU memory is an error, and the process keeps working */
    int64_t huge[1] = {(int64_t)1 << 42};
    mx_array *h = mx_zeros(huge, 1, MX_FLOAT32, GPU);
    CHECK_ERR(mx_eval(&h, 1), MX_ERR_NOMEM, "cuda");
    mx_array *again = mx_sum(o, NULL, 0, false, GPU);
    CHECK(mx_array_item_f64(again, &v) == MX_OK && v == (double)(1 << 20));
    mx_array *arr[11] = {o, s, c, g, s2, r, so, d, de, h, again};
    for (int i = 0; i < 11; i++) mx_array_release(arr[i]);
}

/* ---- the structured families on the GPU (cuda_families.c): each result against the CPU's ----
 * Every case below builds its arrays inside a scope, so everything is released at its end. */

/* rd for code inside a scope (the scope owns and releases the float64 copy): n values of a */
static int64_t rd_in_scope(mx_array *a, double *out, int64_t n) {
    mx_scope sc = mx_scope_begin();
    mx_array *f = mx_astype(a, MX_FLOAT64, CPU);
    int64_t r = f && mx_array_size(f) == n && mx_array_copy_to(f, out) == MX_OK ? n : -1;
    mx_scope_end(sc, NULL);
    return r;
}

/* g (GPU stream) and c (CPU stream) hold the same shape and values within tol (0: exactly) */
static void same(const char *what, mx_array *g, mx_array *c, double tol) {
    if (!g || !c) {
        fprintf(stderr, "  FAIL %s: no result [last error: %s]\n", what, mx_error_message());
        test_failures++;
        return;
    }
    int64_t n = mx_array_size(c);
    int ok = mx_array_size(g) == n && mx_array_ndim(g) == mx_array_ndim(c);
    for (int d = 0; ok && d < mx_array_ndim(c); d++) ok = mx_array_dim(g, d) == mx_array_dim(c, d);
    if (!ok) {
        fprintf(stderr, "  FAIL %s: shapes differ\n", what);
        test_failures++;
        return;
    }
    double *a = malloc(sizeof(double) * (size_t)(n + 1)), *b = malloc(sizeof(double) * (size_t)(n + 1));
    if (rd_in_scope(g, a, n) != n || rd_in_scope(c, b, n) != n) {
        fprintf(stderr, "  FAIL %s: read failed [last error: %s]\n", what, mx_error_message());
        test_failures++;
    } else {
        close_all(what, a, b, n, tol);
    }
    free(a);
    free(b);
}

static mx_array *f32_scalar(double v) { return mx_array_scalar_f64(v, MX_FLOAT32); }

/* x (shape) of normal values, evaluated on the CPU */
static mx_array *normal_cpu(const int64_t *shape, int nd, uint64_t seed) {
    mx_array *k = mx_random_key(seed);
    mx_array *x = mx_random_normal(shape, nd, MX_FLOAT32, NULL, NULL, k, CPU);
    if (x) mx_eval(&x, 1);
    return x;
}

TEST(random_bits_match_cpu_bit_for_bit) {
    if (!have_gpu()) return;
    mx_scope sc = mx_scope_begin();
    mx_array *key = mx_random_key(42);
    /* widths 1, 2, 4; per-key byte counts: odd words, a partial last word, one partial word */
    struct { int64_t shape[2]; int nd, width; } cases[] = {
        {{5, 7}, 2, 1}, {{4, 3}, 2, 2}, {{1001, 1}, 1, 4}, {{3, 1}, 1, 1}, {{2, 1}, 1, 4},
        {{1, 1}, 1, 1}, {{0, 1}, 1, 4}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mx_array *g = mx_random_bits(cases[i].shape, cases[i].nd, cases[i].width, key, GPU);
        mx_array *c = mx_random_bits(cases[i].shape, cases[i].nd, cases[i].width, key, CPU);
        same("random_bits", g, c, 0);
    }
    /* a batch of keys, contiguous and reversed (negative stride: copied first) */
    mx_array *keys = mx_random_split(key, 6, CPU);
    int64_t st[2] = {MX_SLICE_NONE, MX_SLICE_NONE}, sp[2] = {-1, 1};
    mx_array *rkeys = mx_slice(keys, st, st, sp, CPU);
    int64_t sh[1] = {9};
    for (int w = 1; w <= 4; w *= 2) {
        same("random_bits batched", mx_random_bits_batched(keys, sh, 1, w, GPU),
             mx_random_bits_batched(keys, sh, 1, w, CPU), 0);
        same("random_bits reversed keys", mx_random_bits_batched(rkeys, sh, 1, w, GPU),
             mx_random_bits_batched(rkeys, sh, 1, w, CPU), 0);
    }
    same("random_split", mx_random_split(key, 5, GPU), mx_random_split(key, 5, CPU), 0);
    /* distributions built on the bits */
    int64_t nsh[2] = {33, 65};
    same("normal", mx_random_normal(nsh, 2, MX_FLOAT32, NULL, NULL, key, GPU),
         mx_random_normal(nsh, 2, MX_FLOAT32, NULL, NULL, key, CPU), 1e-5);
    same("uniform f16", mx_random_uniform(NULL, NULL, nsh, 2, MX_FLOAT16, key, GPU),
         mx_random_uniform(NULL, NULL, nsh, 2, MX_FLOAT16, key, CPU), 1e-3);
    mx_scope_end(sc, NULL);
}

TEST(arg_reduce_matches_cpu) {
    if (!have_gpu()) return;
    mx_scope sc = mx_scope_begin();
    int64_t sh[3] = {7, 300, 33};
    mx_array *x = normal_cpu(sh, 3, 5);
    mx_array *nanx = mx_where(mx_greater(x, f32_scalar(2.5), CPU), f32_scalar(NAN), x, CPU);
    mx_array *ties = mx_astype(mx_floor(mx_multiply(x, f32_scalar(2), CPU), CPU), MX_INT32, CPU);
    int perm[3] = {2, 0, 1};
    mx_array *xt = mx_transpose(nanx, perm, 3, CPU);
    mx_array *srcs[6] = {x, nanx, ties, mx_astype(nanx, MX_FLOAT16, CPU),
                         mx_astype(ties, MX_INT8, CPU), xt};
    const char *names[6] = {"f32", "f32 nan", "i32 ties", "f16 nan", "i8 ties", "transposed"};
    for (int i = 0; i < 6; i++)
        for (int ax = 0; ax < 3; ax++) {
            same(names[i], mx_argmax(srcs[i], ax, false, false, GPU),
                 mx_argmax(srcs[i], ax, false, false, CPU), 0);
            same(names[i], mx_argmin(srcs[i], ax, false, true, GPU),
                 mx_argmin(srcs[i], ax, false, true, CPU), 0);
        }
    /* long rows (one block per row) with NaNs and ties, and over everything */
    int64_t lsh[2] = {3, 5000};
    mx_array *l = normal_cpu(lsh, 2, 9);
    mx_array *lt = mx_floor(mx_multiply(l, f32_scalar(3), CPU), CPU);
    mx_array *ln = mx_where(mx_greater(l, f32_scalar(3.0), CPU), f32_scalar(NAN), l, CPU);
    mx_array *lsrc[3] = {l, lt, ln};
    for (int i = 0; i < 3; i++) {
        same("long argmax", mx_argmax(lsrc[i], 1, false, false, GPU),
             mx_argmax(lsrc[i], 1, false, false, CPU), 0);
        same("long argmin", mx_argmin(lsrc[i], 1, false, false, GPU),
             mx_argmin(lsrc[i], 1, false, false, CPU), 0);
        same("argmax all", mx_argmax(lsrc[i], 0, true, false, GPU),
             mx_argmax(lsrc[i], 0, true, false, CPU), 0);
    }
    mx_scope_end(sc, NULL);
}

typedef mx_array *(*scan_fn)(mx_array *, int, bool, bool, bool, mx_stream);

TEST(scans_match_cpu) {
    if (!have_gpu()) return;
    mx_scope sc = mx_scope_begin();
    int64_t sh[3] = {5, 40, 33};
    mx_array *x = mx_multiply(normal_cpu(sh, 3, 11), f32_scalar(0.3), CPU);
    mx_array *nanx = mx_where(mx_greater(x, f32_scalar(0.8), CPU), f32_scalar(NAN), x, CPU);
    int perm[3] = {1, 2, 0};
    mx_array *xt = mx_transpose(x, perm, 3, CPU);
    mx_array *xi = mx_astype(mx_floor(mx_multiply(x, f32_scalar(10), CPU), CPU), MX_INT32, CPU);
    mx_array *x8 = mx_astype(xi, MX_INT8, CPU); /* sums wrap */
    mx_array *xh = mx_astype(x, MX_FLOAT16, CPU);
    static const struct { const char *n; scan_fn f; } fns[5] = {
        {"cumsum", mx_cumsum}, {"cumprod", mx_cumprod}, {"cummax", mx_cummax},
        {"cummin", mx_cummin}, {"logcumsumexp", mx_logcumsumexp}};
    for (int k = 0; k < 5; k++)
        for (int ax = 0; ax < 3; ax++)
            for (int m = 0; m < 4; m++) {
                bool rev = m & 1, incl = m < 2;
                same(fns[k].n, fns[k].f(x, ax, false, rev, incl, GPU),
                     fns[k].f(x, ax, false, rev, incl, CPU), 1e-4);
                same(fns[k].n, fns[k].f(xt, ax, false, rev, incl, GPU),
                     fns[k].f(xt, ax, false, rev, incl, CPU), 1e-4);
                same(fns[k].n, fns[k].f(xh, ax, false, rev, incl, GPU),
                     fns[k].f(xh, ax, false, rev, incl, CPU), 2e-3);
                if (k >= 2) /* NaN propagation of cummax / cummin / logcumsumexp */
                    same(fns[k].n, fns[k].f(nanx, ax, false, rev, incl, GPU),
                         fns[k].f(nanx, ax, false, rev, incl, CPU), 1e-4);
                if (k < 4) {
                    same(fns[k].n, fns[k].f(xi, ax, false, rev, incl, GPU),
                         fns[k].f(xi, ax, false, rev, incl, CPU), 0);
                    same(fns[k].n, fns[k].f(x8, ax, false, rev, incl, GPU),
                         fns[k].f(x8, ax, false, rev, incl, CPU), 0);
                }
            }
    same("cumsum all", mx_cumsum(x, 0, true, false, true, GPU),
         mx_cumsum(x, 0, true, false, true, CPU), 1e-4);
    mx_array *b = mx_greater(x, f32_scalar(0), CPU);
    same("cummax bool", mx_cummax(b, 1, false, false, true, GPU),
         mx_cummax(b, 1, false, false, true, CPU), 0);
    same("cumsum bool", mx_cumsum(b, 1, false, true, true, GPU),
         mx_cumsum(b, 1, false, true, true, CPU), 0);
    int64_t e[2] = {0, 4};
    mx_array *empty = mx_zeros(e, 2, MX_FLOAT32, CPU);
    same("cumsum empty", mx_cumsum(empty, 1, false, false, true, GPU),
         mx_cumsum(empty, 1, false, false, true, CPU), 0);
    mx_scope_end(sc, NULL);
}

/* int32 array from a list */
static mx_array *ivec(const int32_t *v, int64_t n) { return t_i32(v, &n, 1); }

TEST(index_family_matches_cpu) {
    if (!have_gpu()) return;
    mx_scope sc = mx_scope_begin();
    int64_t sh[3] = {3, 4, 5};
    mx_array *a = mx_reshape(mx_arange(0, 60, 1, MX_FLOAT32, CPU), sh, 3, CPU);
    int perm[3] = {2, 1, 0};
    mx_array *at = mx_transpose(mx_reshape(mx_arange(0, 60, 1, MX_FLOAT32, CPU), sh, 3, CPU), perm,
                                3, CPU); /* (5, 4, 3), strided */
    /* take: negative indices wrap once, out-of-range ones clamp */
    int32_t iv[6] = {3, -1, 0, 7, -9, 2};
    mx_array *idx = ivec(iv, 6);
    mx_dtype idts[3] = {MX_INT32, MX_INT64, MX_UINT8};
    for (int t = 0; t < 3; t++) {
        mx_array *ix = mx_astype(idx, idts[t], CPU);
        for (int ax = 0; ax < 3; ax++) {
            same("take", mx_take(a, ix, ax, false, GPU), mx_take(a, ix, ax, false, CPU), 0);
            same("take strided", mx_take(at, ix, ax, false, GPU), mx_take(at, ix, ax, false, CPU), 0);
        }
    }
    same("take flat", mx_take(a, idx, 0, true, GPU), mx_take(a, idx, 0, true, CPU), 0);
    /* gather with two broadcast index arrays and slices */
    int32_t i0v[2] = {2, -1}, i1v[3] = {0, 1, 4};
    int64_t s21[2] = {2, 1}, s3[1] = {3};
    mx_array *gi[2] = {mx_reshape(ivec(i0v, 2), s21, 2, CPU), t_i32(i1v, s3, 1)};
    int gax[2] = {0, 2};
    int64_t slice[3] = {1, 3, 2};
    same("gather", mx_gather(a, gi, 2, gax, slice, GPU), mx_gather(a, gi, 2, gax, slice, CPU), 0);
    same("gather strided", mx_gather(at, gi, 2, gax, slice, GPU),
         mx_gather(at, gi, 2, gax, slice, CPU), 0);
    /* along an axis: indices in [-5, 5) and a permutation (unique, for the puts) */
    int64_t ish[3] = {3, 2, 5};
    mx_array *k = mx_random_key(3);
    mx_array *ridx = mx_random_randint(mx_array_scalar_i64(-5, MX_INT32),
                                       mx_array_scalar_i64(5, MX_INT32), ish, 3, MX_INT32, k, CPU);
    same("take_along_axis", mx_take_along_axis(a, ridx, 1, false, GPU),
         mx_take_along_axis(a, ridx, 1, false, CPU), 0);
    mx_array *ridx_t = mx_transpose(ridx, perm, 3, CPU); /* (5, 2, 3), strided */
    same("take_along_axis strided", mx_take_along_axis(at, ridx_t, 1, false, GPU),
         mx_take_along_axis(at, ridx_t, 1, false, CPU), 0);
    mx_array *pidx = mx_argsort(normal_cpu(sh, 3, 4), 2, false, CPU);
    mx_array *neg = mx_negative(a, CPU);
    same("put_along_axis", mx_put_along_axis(a, pidx, neg, 2, false, GPU),
         mx_put_along_axis(a, pidx, neg, 2, false, CPU), 0);
    mx_array *pidx_t = mx_transpose(pidx, perm, 3, CPU); /* (5, 4, 3), unique along axis 0 */
    same("put_along_axis broadcast value", mx_put_along_axis(at, pidx_t, f32_scalar(-1), 0, false, GPU),
         mx_put_along_axis(at, pidx_t, f32_scalar(-1), 0, false, CPU), 0);
    /* scatters with repeated indices: every reduction, dtypes with native atomics and CAS loops */
    int64_t n100 = 100, zsh[2] = {10, 3};
    mx_array *rep = mx_remainder(mx_arange(-20, 80, 1, MX_INT32, CPU),
                                 mx_array_scalar_i64(13, MX_INT32), CPU); /* -7 .. 12: clamps */
    mx_array *vals = mx_multiply(normal_cpu(&n100, 1, 8), f32_scalar(1.5), CPU);
    int64_t ush[3] = {100, 1, 3};
    int64_t ush1[3] = {100, 1, 1};
    mx_array *upd = mx_broadcast_to(mx_reshape(vals, ush1, 3, CPU), ush, 3, CPU);
    mx_dtype sdt[7] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16, MX_INT32, MX_INT64, MX_INT8, MX_UINT16};
    typedef mx_array *(*sc_fn)(mx_array *, mx_array *const *, int, mx_array *, const int *, mx_stream);
    sc_fn sfn[4] = {mx_scatter_add, mx_scatter_prod, mx_scatter_max, mx_scatter_min};
    int ax0 = 0;
    for (int t = 0; t < 7; t++) {
        mx_array *base = mx_astype(mx_ones(zsh, 2, MX_FLOAT32, CPU), sdt[t], CPU);
        mx_array *u = mx_astype(mx_floor(mx_multiply(upd, f32_scalar(sdt[t] >= MX_FLOAT16 ? 1 : 3), CPU), CPU),
                                sdt[t], CPU);
        if (sdt[t] == MX_FLOAT32) u = upd;
        double tol = sdt[t] == MX_FLOAT32 ? 1e-5 : (sdt[t] == MX_FLOAT16 ? 2e-2 : (sdt[t] == MX_BFLOAT16 ? 5e-2 : 0));
        for (int r = 0; r < 4; r++) {
            if (r == 1 && sdt[t] >= MX_FLOAT16) continue; /* float products of 100 values: order */
            char what[64];
            snprintf(what, sizeof what, "scatter %d %s", r, mx_dtype_name(sdt[t]));
            same(what, sfn[r](base, &rep, 1, u, &ax0, GPU), sfn[r](base, &rep, 1, u, &ax0, CPU), tol);
        }
    }
    /* plain scatter with unique indices (repeated ones store one of the updates on the GPU) */
    int32_t uv[3] = {-1, 1, 0};
    mx_array *uix = ivec(uv, 3);
    int64_t ush2[4] = {3, 1, 4, 5};
    mx_array *upd2 = mx_reshape(mx_arange(100, 160, 1, MX_FLOAT32, CPU), ush2, 4, CPU);
    same("scatter", mx_scatter(a, &uix, 1, upd2, &ax0, GPU), mx_scatter(a, &uix, 1, upd2, &ax0, CPU), 0);
    same("scatter strided", mx_scatter(at, &uix, 1, f32_scalar(-3), &ax0, GPU),
         mx_scatter(at, &uix, 1, f32_scalar(-3), &ax0, CPU), 0);
    /* slice updates: negative steps, broadcast update */
    int64_t b0[3] = {MX_SLICE_NONE, 1, 0}, e0[3] = {MX_SLICE_NONE, 3, MX_SLICE_NONE}, p0[3] = {-1, 1, 2};
    int64_t ssh[3] = {3, 2, 3};
    mx_array *su = mx_reshape(mx_arange(-18, 0, 1, MX_FLOAT32, CPU), ssh, 3, CPU);
    same("slice_update", mx_slice_update(a, su, b0, e0, p0, GPU), mx_slice_update(a, su, b0, e0, p0, CPU), 0);
    same("slice_update strided", mx_slice_update(at, f32_scalar(7), b0, e0, p0, GPU),
         mx_slice_update(at, f32_scalar(7), b0, e0, p0, CPU), 0);
    /* dynamic slices: starts read on the device, wrapped and clamped */
    int32_t sv[2] = {1, -2};
    mx_array *starts = ivec(sv, 2);
    int dax[2] = {0, 2};
    int64_t dsz[3] = {2, 4, 3};
    same("slice_dynamic", mx_slice_dynamic(a, starts, dax, 2, dsz, GPU),
         mx_slice_dynamic(a, starts, dax, 2, dsz, CPU), 0);
    same("slice_dynamic strided", mx_slice_dynamic(at, starts, dax, 2, dsz, GPU),
         mx_slice_dynamic(at, starts, dax, 2, dsz, CPU), 0);
    int32_t sv2[2] = {-7, 9};
    mx_array *starts2 = mx_astype(ivec(sv2, 2), MX_INT64, CPU);
    mx_array *dup = mx_reshape(mx_arange(-24, 0, 1, MX_FLOAT32, CPU), dsz, 3, CPU);
    same("slice_update_dynamic", mx_slice_update_dynamic(a, dup, starts, dax, 2, GPU),
         mx_slice_update_dynamic(a, dup, starts, dax, 2, CPU), 0);
    same("slice_update_dynamic clamped", mx_slice_update_dynamic(at, dup, starts2, dax, 2, GPU),
         mx_slice_update_dynamic(at, dup, starts2, dax, 2, CPU), 0);
    /* the output of a GPU scatter feeds the next one (donated buffers) */
    mx_array *chain_g = mx_scatter_add(mx_multiply(a, a, GPU), &uix, 1, f32_scalar(1), &ax0, GPU);
    mx_array *chain_c = mx_scatter_add(mx_multiply(a, a, CPU), &uix, 1, f32_scalar(1), &ax0, CPU);
    same("scatter chain", chain_g, chain_c, 0);
    mx_scope_end(sc, NULL);
}

TEST(concatenate_pad_contiguous_match_cpu) {
    if (!have_gpu()) return;
    mx_scope sc = mx_scope_begin();
    int64_t sh[3] = {3, 4, 5};
    mx_array *a = mx_reshape(mx_arange(0, 60, 1, MX_FLOAT32, CPU), sh, 3, CPU);
    int perm[3] = {0, 2, 1};
    mx_array *b = mx_transpose(mx_reshape(mx_arange(100, 130, 1, MX_FLOAT32, CPU), (int64_t[]){3, 5, 2}, 3, CPU),
                               perm, 3, CPU); /* (3, 2, 5) strided */
    int64_t z[3] = {3, 0, 5};
    mx_array *e = mx_zeros(z, 3, MX_FLOAT32, CPU);
    mx_array *parts[3] = {a, e, b};
    same("concatenate", mx_concatenate(parts, 3, 1, false, GPU), mx_concatenate(parts, 3, 1, false, CPU), 0);
    same("concatenate flat", mx_concatenate(parts, 3, 0, true, GPU), mx_concatenate(parts, 3, 0, true, CPU), 0);
    mx_array *ai = mx_astype(a, MX_INT16, CPU);
    mx_array *p2[2] = {ai, ai};
    same("stack", mx_stack(p2, 2, 1, GPU), mx_stack(p2, 2, 1, CPU), 0);
    int64_t pw[6] = {1, 2, 0, 3, 7, 6}; /* pads longer than the axis continue periodically */
    const char *modes[4] = {"constant", "edge", "reflect", "symmetric"};
    for (int m = 0; m < 4; m++) {
        mx_array *cv = m == 0 ? f32_scalar(-2.5) : NULL;
        same(modes[m], mx_pad(a, pw, modes[m], cv, GPU), mx_pad(a, pw, modes[m], cv, CPU), 0);
        same(modes[m], mx_pad(b, pw, modes[m], cv, GPU), mx_pad(b, pw, modes[m], cv, CPU), 0);
        same(modes[m], mx_pad(ai, pw, modes[m], NULL, GPU), mx_pad(ai, pw, modes[m], NULL, CPU), 0);
    }
    int64_t one[2] = {1, 1}, pw1[4] = {2, 3, 0, 1};
    mx_array *single = mx_reshape(f32_scalar(4), one, 2, CPU);
    same("reflect len 1", mx_pad(single, pw1, "reflect", NULL, GPU), mx_pad(single, pw1, "reflect", NULL, CPU), 0);
    same("contiguous", mx_contiguous(b, false, GPU), mx_contiguous(b, false, CPU), 0);
    same("contiguous dense", mx_contiguous(a, false, GPU), mx_contiguous(a, false, CPU), 0);
    mx_scope_end(sc, NULL);
}

TEST(sort_argsort_match_cpu) {
    if (!have_gpu()) return;
    mx_scope sc = mx_scope_begin();
    int64_t sh[3] = {6, 70, 33};
    mx_array *x = normal_cpu(sh, 3, 21);
    /* ties, NaNs (last, in input order) and -0.0 == 0.0 (stable among themselves) */
    mx_array *q = mx_multiply(mx_floor(mx_multiply(x, f32_scalar(4), CPU), CPU), f32_scalar(0.25), CPU);
    mx_array *zq = mx_where(mx_less(mx_abs(x, CPU), f32_scalar(0.2), CPU), mx_multiply(x, f32_scalar(0), CPU), q, CPU);
    mx_array *v = mx_where(mx_greater(x, f32_scalar(1.8), CPU), f32_scalar(NAN), zq, CPU);
    int perm[3] = {2, 0, 1};
    mx_array *vt = mx_transpose(v, perm, 3, CPU);
    mx_array *srcs[9] = {v, vt, mx_astype(v, MX_FLOAT16, CPU), mx_astype(v, MX_BFLOAT16, CPU),
                         mx_astype(mx_multiply(q, f32_scalar(4), CPU), MX_INT8, CPU),
                         mx_astype(mx_multiply(q, f32_scalar(1e5), CPU), MX_INT64, CPU),
                         mx_astype(mx_abs(mx_multiply(q, f32_scalar(4), CPU), CPU), MX_UINT16, CPU),
                         mx_greater(x, f32_scalar(0.3), CPU), mx_astype(q, MX_UINT64, CPU)};
    for (int i = 0; i < 9; i++)
        for (int ax = -1; ax < 3; ax++) {
            char what[64];
            snprintf(what, sizeof what, "argsort %d axis %d", i, ax);
            same(what, mx_argsort(srcs[i], ax, false, GPU), mx_argsort(srcs[i], ax, false, CPU), 0);
            snprintf(what, sizeof what, "sort %d axis %d", i, ax);
            same(what, mx_sort(srcs[i], ax, false, GPU), mx_sort(srcs[i], ax, false, CPU), 0);
        }
    same("sort flat", mx_sort(v, 0, true, GPU), mx_sort(v, 0, true, CPU), 0);
    /* complex: lexicographic, NaN last (compared through the stable argsort) */
    mx_array *cz = mx_add(mx_astype(q, MX_COMPLEX64, CPU),
                          mx_multiply(mx_array_scalar_c64(0, 1), mx_astype(v, MX_COMPLEX64, CPU), CPU), CPU);
    same("argsort complex", mx_argsort(cz, -1, false, GPU), mx_argsort(cz, -1, false, CPU), 0);
    /* long rows */
    int64_t lsh[2] = {2, 100000};
    mx_array *l = mx_floor(mx_multiply(normal_cpu(lsh, 2, 2), f32_scalar(100), CPU), CPU);
    same("argsort long", mx_argsort(l, -1, false, GPU), mx_argsort(l, -1, false, CPU), 0);
    /* partitions: the kth element is in place, smaller before, larger after */
    mx_array *pv = normal_cpu(sh, 3, 22); /* distinct values */
    int kth = 17;
    mx_array *pg = mx_partition(pv, kth, 1, false, GPU), *pc = mx_sort(pv, 1, false, CPU);
    mx_array *ag = mx_argpartition(pv, kth, 1, false, GPU);
    int64_t b0[3] = {0, kth, 0}, e0[3] = {6, kth + 1, 33};
    same("partition kth", mx_slice(pg, b0, e0, NULL, CPU), mx_slice(pc, b0, e0, NULL, CPU), 0);
    mx_array *taken = mx_take_along_axis(pv, ag, 1, false, CPU);
    same("argpartition kth", mx_slice(taken, b0, e0, NULL, CPU), mx_slice(pc, b0, e0, NULL, CPU), 0);
    mx_array *mx_pg = mx_max(mx_slice(pg, (int64_t[]){0, 0, 0}, e0, NULL, CPU), (int[]){1}, 1, true, CPU);
    mx_array *mn_pg = mx_min(mx_slice(pg, b0, (int64_t[]){6, 70, 33}, NULL, CPU), (int[]){1}, 1, true, CPU);
    double hi[6 * 33], lo[6 * 33];
    CHECK(rd_in_scope(mx_pg, hi, 6 * 33) == 6 * 33 && rd_in_scope(mn_pg, lo, 6 * 33) == 6 * 33);
    double kv[6 * 33];
    CHECK(rd_in_scope(mx_slice(pg, b0, e0, NULL, CPU), kv, 6 * 33) == 6 * 33);
    for (int i = 0; i < 6 * 33; i++) CHECK(hi[i] == kv[i] && lo[i] == kv[i]);
    /* float64 stays refused on the GPU */
    mx_array *d = mx_astype(v, MX_FLOAT64, CPU);
    mx_array *ds = mx_sort(d, -1, false, GPU);
    CHECK_ERR(mx_eval(&ds, 1), MX_ERR_VALUE, "sort");
    mx_array *dc = mx_cumsum(d, 0, false, false, true, GPU);
    CHECK_ERR(mx_eval(&dc, 1), MX_ERR_VALUE, "scan");
    mx_scope_end(sc, NULL);
}

/* A primitive without a GPU kernel runs its CPU kernel on host copies. Every primitive has a GPU
 * kernel now, so the test takes two out of the GPU table for its duration. */
TEST(cpu_fallback_of_primitives_without_a_gpu_kernel) {
    if (!have_gpu()) return;
    mx_kernel_fn *table = (mx_kernel_fn *)mx_gpu_backend()->base.kernels;
    mx_kernel_fn saved[2] = {table[MX_PRIM_MASKED_SCATTER], table[MX_PRIM_SEARCHSORTED]};
    table[MX_PRIM_MASKED_SCATTER] = table[MX_PRIM_SEARCHSORTED] = NULL;
    mx_scope sc = mx_scope_begin();
    mx_array *a = mx_arange(0, 10, 1, MX_FLOAT32, CPU);
    mx_array *m = mx_greater(mx_remainder(a, f32_scalar(3), CPU), f32_scalar(0.5), CPU);
    mx_array *vals = mx_arange(-1, -8, -1, MX_FLOAT32, CPU);
    same("masked_scatter", mx_masked_scatter(a, m, vals, GPU), mx_masked_scatter(a, m, vals, CPU), 0);
    mx_array *probe = mx_arange(-0.5, 11, 0.75, MX_FLOAT32, CPU);
    same("searchsorted", mx_searchsorted(a, probe, false, GPU), mx_searchsorted(a, probe, false, CPU), 0);
    mx_scope_end(sc, NULL);
    table[MX_PRIM_MASKED_SCATTER] = saved[0];
    table[MX_PRIM_SEARCHSORTED] = saved[1];
}
