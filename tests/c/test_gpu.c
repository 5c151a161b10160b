/* tests/c/test_gpu.c: the GPU backend against the CPU backend: every element-wise op over the GPU
 * dtypes, broadcasting and strided inputs, conversions, reductions, softmax, matmul, the memory
 * model (results move between host and device as they are read), the CPU fallback for primitives
 * without a GPU kernel, float64 and out-of-memory errors. Every case skips where no GPU exists. */
#define FAMILY "gpu"
#include <stdlib.h>

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
    /* sort has no GPU kernel: it runs on host copies, correctly */
    mx_array *r = mx_arange(10, 0, -1, MX_FLOAT32, GPU);
    mx_array *so = mx_sort(r, -1, false, GPU);
    double sv[10];
    CHECK(rd(so, sv, 10) == 10 && sv[0] == 1 && sv[9] == 10);
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
