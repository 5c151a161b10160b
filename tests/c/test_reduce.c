/* tests/c/test_reduce.c: reductions, arg reductions, scans and softmax against double-precision
 * scalar references: axes combinations (negative, keepdims), strided inputs, dtypes, NaN, empty
 * arrays, ddof, ties, reverse/exclusive scans, and error cases. On the default device; float64
 * cases (and reading) on the CPU. */
#define FAMILY "reduce"
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

#define S MX_DEFAULT_STREAM

/* ---- helpers ---- */
static double urand(unsigned *st) {
    *st = *st * 1103515245u + 12345u;
    return (double)((*st >> 8) & 0xffff) / 65536.0;
}

/* t_read for use inside a scope (t_read releases its temporary, which a scope also owns):
 * evaluate a and read up to max elements as double (row-major); returns the count or -1 */
static int64_t rd(mx_array *a, double *out, int64_t max) {
    if (!a) return -1;
    mx_scope sc = mx_scope_begin();
    mx_array *f = mx_astype(a, MX_FLOAT64, T_CPU); /* the GPU has no float64 */
    int64_t n = f ? mx_array_size(f) : -1;
    double *tmp = n >= 0 ? malloc(sizeof(double) * (size_t)(n + 1)) : NULL;
    if (!tmp || mx_array_copy_to(f, tmp) != MX_OK) n = -1;
    for (int64_t i = 0; i < n && i < max; i++) out[i] = tmp[i];
    free(tmp);
    mx_scope_end(sc, NULL);
    return n < max ? n : max;
}

/* an array of dtype t holding vals (converted through float64, on the CPU) */
static mx_array *mk(mx_dtype t, const double *v, const int64_t *sh, int nd) {
    mx_array *a = t_f64(v, sh, nd);
    return mx_astype(a, t, T_CPU);
}

enum { R_SUM, R_PROD, R_MIN, R_MAX, R_MEAN, R_ALL, R_ANY };

/* reference reduction in double; out has the keepdims shape (row-major) */
static int64_t ref_reduce(const double *x, const int64_t *sh, int nd, uint32_t mask, int type,
                          double *out) {
    int64_t osh[16], n = 1, on = 1, cnt = 1;
    for (int d = 0; d < nd; d++) {
        osh[d] = (mask >> d) & 1 ? 1 : sh[d];
        n *= sh[d];
        on *= osh[d];
        if ((mask >> d) & 1) cnt *= sh[d];
    }
    double init = type == R_PROD || type == R_ALL ? 1 : type == R_MIN ? INFINITY
                : type == R_MAX ? -INFINITY : 0;
    for (int64_t o = 0; o < on; o++) out[o] = init;
    for (int64_t i = 0; i < n; i++) {
        int64_t r = i, o = 0, mul = 1;
        for (int d = nd - 1; d >= 0; d--) {
            int64_t id = r % sh[d];
            r /= sh[d];
            if (!((mask >> d) & 1)) o += id * mul;
            mul *= osh[d];
        }
        double v = x[i], *a = &out[o];
        switch (type) {
        case R_SUM: case R_MEAN: *a += v; break;
        case R_PROD: *a *= v; break;
        case R_MIN: *a = (isnan(*a) || v < *a || isnan(v)) ? (isnan(*a) ? *a : v) : *a; break;
        case R_MAX: *a = (isnan(*a) || v > *a || isnan(v)) ? (isnan(*a) ? *a : v) : *a; break;
        case R_ALL: *a = *a && v != 0; break;
        case R_ANY: *a = *a || v != 0; break;
        }
    }
    if (type == R_MEAN)
        for (int64_t o = 0; o < on; o++) out[o] /= (double)cnt;
    return on;
}

static uint32_t mask_of(const int *axes, int naxes, int nd) {
    uint32_t m = 0;
    if (!axes) return (1u << nd) - 1;
    for (int i = 0; i < naxes; i++) m |= 1u << (axes[i] < 0 ? axes[i] + nd : axes[i]);
    return m;
}

typedef mx_array *(*red_fn)(mx_array *, const int *, int, bool, mx_stream);

/* run fn on a (values xv, shape sh) and compare shape, dtype and values with the reference */
static void check_red(red_fn fn, int type, mx_array *a, const double *xv, const int *axes,
                      int naxes, bool keepdims, mx_dtype want, double atol, double rtol) {
    int nd = mx_array_ndim(a);
    const int64_t *sh = mx_array_shape(a);
    uint32_t m = mask_of(axes, naxes, nd);
    double ref[4096], got[4096];
    int64_t on = ref_reduce(xv, sh, nd, m, type, ref);
    mx_array *r = fn(a, axes, naxes, keepdims, S);
    CHECK(r != NULL);
    if (!r) return;
    CHECK(mx_array_dtype(r) == want);
    int64_t esh[16];
    int k = 0;
    for (int d = 0; d < nd; d++)
        if (!((m >> d) & 1)) esh[k++] = sh[d];
        else if (keepdims) esh[k++] = 1;
    CHECK(t_shape_is(r, esh, k));
    CHECK(rd(r, got, 4096) == on);
    for (int64_t i = 0; i < on; i++) CHECK_CLOSE(got[i], ref[i], atol, rtol);
}

/* ---- reductions ---- */
TEST(axes_combinations) {
    mx_scope sc = mx_scope_begin();
    unsigned st = 1;
    double xv[60], pv[60];
    for (int i = 0; i < 60; i++) {
        xv[i] = urand(&st) * 4 - 2;
        pv[i] = 0.8 + 0.4 * urand(&st);
    }
    int64_t sh[3] = {3, 4, 5};
    mx_array *x = mk(MX_FLOAT32, xv, sh, 3), *p = mk(MX_FLOAT32, pv, sh, 3);
    /* the float32 values are the reference inputs */
    rd(x, xv, 60);
    rd(p, pv, 60);
    static const int combos[][3] = {{0}, {1}, {2}, {-1}, {0, 2}, {1, 2}, {0, 1}, {-3, -1}, {0, 1, 2}};
    static const int ncomb[] = {1, 1, 1, 1, 2, 2, 2, 2, 3};
    for (int c = -1; c < 9; c++) {
        const int *ax = c < 0 ? NULL : combos[c];
        int na = c < 0 ? 0 : ncomb[c];
        for (int kd = 0; kd < 2; kd++) {
            check_red(mx_sum, R_SUM, x, xv, ax, na, kd, MX_FLOAT32, 1e-5, 1e-5);
            check_red(mx_mean, R_MEAN, x, xv, ax, na, kd, MX_FLOAT32, 1e-6, 1e-5);
            check_red(mx_prod, R_PROD, p, pv, ax, na, kd, MX_FLOAT32, 1e-6, 1e-5);
            check_red(mx_min, R_MIN, x, xv, ax, na, kd, MX_FLOAT32, 0, 0);
            check_red(mx_max, R_MAX, x, xv, ax, na, kd, MX_FLOAT32, 0, 0);
            check_red(mx_all, R_ALL, x, xv, ax, na, kd, MX_BOOL, 0, 0);
            check_red(mx_any, R_ANY, x, xv, ax, na, kd, MX_BOOL, 0, 0);
        }
    }
    /* an empty axis list reduces nothing */
    int none[1] = {0};
    check_red(mx_sum, R_SUM, x, xv, none, 0, false, MX_FLOAT32, 0, 0);
    mx_scope_end(sc, NULL);
}

TEST(strided_inputs) {
    mx_scope sc = mx_scope_begin();
    double xv[60], yv[120];
    for (int i = 0; i < 60; i++) xv[i] = (double)((i * 37) % 23) - 11;
    int64_t sh[3] = {3, 4, 5};
    mx_array *x = mk(MX_FLOAT32, xv, sh, 3);
    int perm[3] = {2, 0, 1};
    mx_array *views[3];
    views[0] = mx_transpose(x, perm, 3, S);
    int64_t start[3] = {2, 0, 4}, stop[3] = {MX_SLICE_NONE, 4, MX_SLICE_NONE}, step[3] = {-1, 2, -2};
    views[1] = mx_slice(x, start, stop, step, S);
    int64_t bsh[4] = {2, 3, 4, 5};
    views[2] = mx_broadcast_to(x, bsh, 4, S);
    for (int v = 0; v < 3; v++) {
        mx_array *y = views[v];
        int nd = mx_array_ndim(y);
        CHECK(rd(y, yv, 60 * 2) == mx_array_size(y));
        static const int combos[][2] = {{0}, {1}, {-1}, {0, 1}, {1, 2}};
        for (int c = -1; c < 5; c++) {
            const int *ax = c < 0 ? NULL : combos[c];
            int na = c < 0 ? 0 : (c < 3 ? 1 : 2);
            check_red(mx_sum, R_SUM, y, yv, ax, na, c & 1, MX_FLOAT32, 1e-4, 1e-6);
            check_red(mx_max, R_MAX, y, yv, ax, na, false, MX_FLOAT32, 0, 0);
            (void)nd;
        }
    }
    mx_scope_end(sc, NULL);
}

TEST(large_sums) {
    mx_scope sc = mx_scope_begin();
    /* a full reduction over many chunks, and both row and column paths of a matrix */
    int64_t n = (1 << 20) + 77;
    float *v = malloc((size_t)n * sizeof(float));
    double ref = 0;
    unsigned st = 7;
    for (int64_t i = 0; i < n; i++) {
        v[i] = (float)(urand(&st) + 0.5);
        ref += v[i];
    }
    mx_array *a = t_f32(v, &n, 1);
    double got;
    CHECK(mx_array_item_f64(mx_sum(a, NULL, 0, false, S), &got) == MX_OK);
    CHECK_CLOSE(got, ref, 0, 1e-6);
    CHECK(mx_array_item_f64(mx_mean(a, NULL, 0, false, S), &got) == MX_OK);
    CHECK_CLOSE(got, ref / (double)n, 0, 1e-6);
    int64_t sh[2] = {1000, 1048};
    mx_array *m = t_f32(v, sh, 2);
    double *r0 = calloc(1048, sizeof(double)), *r1 = calloc(1000, sizeof(double));
    double *g = malloc(1048 * sizeof(double));
    for (int i = 0; i < 1000; i++)
        for (int j = 0; j < 1048; j++) {
            r0[j] += v[i * 1048 + j];
            r1[i] += v[i * 1048 + j];
        }
    int ax0 = 0, ax1 = 1;
    CHECK(rd(mx_sum(m, &ax0, 1, false, S), g, 1048) == 1048);
    for (int j = 0; j < 1048; j++) CHECK_CLOSE(g[j], r0[j], 0, 1e-5);
    CHECK(rd(mx_sum(m, &ax1, 1, false, S), g, 1000) == 1000);
    for (int i = 0; i < 1000; i++) CHECK_CLOSE(g[i], r1[i], 0, 1e-5);
    /* the transposed matrix: axis 1 of m^T is axis 0 of m */
    CHECK(rd(mx_sum(mx_transpose(m, NULL, 0, S), &ax1, 1, false, S), g, 1048) == 1048);
    for (int j = 0; j < 1048; j++) CHECK_CLOSE(g[j], r0[j], 0, 1e-5);
    free(v);
    free(r0);
    free(r1);
    free(g);
    mx_scope_end(sc, NULL);
}

TEST(half_types) {
    mx_scope sc = mx_scope_begin();
    double xv[40], fv[40];
    for (int i = 0; i < 40; i++) xv[i] = (i % 7) * 0.25 - 0.5;
    int64_t sh[2] = {8, 5};
    mx_dtype ts[2] = {MX_FLOAT16, MX_BFLOAT16};
    for (int k = 0; k < 2; k++) {
        mx_array *x = mk(ts[k], xv, sh, 2);
        rd(x, fv, 40);
        int ax[2] = {0, -1};
        for (int c = 0; c < 3; c++) {
            const int *a = c == 2 ? NULL : &ax[c];
            check_red(mx_sum, R_SUM, x, fv, a, c == 2 ? 0 : 1, false, ts[k], 1e-2, 1e-2);
            check_red(mx_mean, R_MEAN, x, fv, a, c == 2 ? 0 : 1, true, ts[k], 1e-2, 1e-2);
            check_red(mx_max, R_MAX, x, fv, a, c == 2 ? 0 : 1, false, ts[k], 0, 0);
            check_red(mx_min, R_MIN, x, fv, a, c == 2 ? 0 : 1, false, ts[k], 0, 0);
        }
    }
    /* a float16 mean whose sum would overflow float16 accumulates in float32 */
    int64_t n = 4096;
    mx_array *big = mx_full(&n, 1, mx_array_scalar_f64(60000, MX_FLOAT16), MX_FLOAT16, S);
    double got;
    CHECK(mx_array_item_f64(mx_mean(big, NULL, 0, false, S), &got) == MX_OK);
    CHECK_CLOSE(got, 60000, 0, 1e-3);
    mx_scope_end(sc, NULL);
}

TEST(integer_types) {
    mx_scope sc = mx_scope_begin();
    int64_t two = 2, three = 3;
    double w[2] = {2147483647.0, 1};
    mx_array *a = mk(MX_INT32, w, &two, 1);
    int64_t iv;
    CHECK(mx_array_item_i64(mx_sum(a, NULL, 0, false, S), &iv) == MX_OK && iv == INT32_MIN);
    double u[2] = {200, 100};
    mx_array *b = mk(MX_UINT8, u, &two, 1);
    mx_array *sb = mx_sum(b, NULL, 0, false, S);
    CHECK(mx_array_dtype(sb) == MX_UINT8);
    CHECK(mx_array_item_i64(sb, &iv) == MX_OK && iv == 44);
    double p8[3] = {-4, 8, 5};
    mx_array *c = mk(MX_INT8, p8, &three, 1);
    CHECK(mx_array_item_i64(mx_prod(c, NULL, 0, false, S), &iv) == MX_OK && iv == (int8_t)-160);
    double bv[3] = {1, 0, 1};
    mx_array *bo = mk(MX_BOOL, bv, &three, 1);
    mx_array *sbo = mx_sum(bo, NULL, 0, false, S);
    CHECK(mx_array_dtype(sbo) == MX_INT32);
    CHECK(mx_array_item_i64(sbo, &iv) == MX_OK && iv == 2);
    CHECK(mx_array_dtype(mx_prod(bo, NULL, 0, false, S)) == MX_INT32);
    CHECK(mx_array_dtype(mx_max(bo, NULL, 0, false, S)) == MX_BOOL);
    CHECK(mx_array_item_i64(mx_min(bo, NULL, 0, false, S), &iv) == MX_OK && iv == 0);
    /* several integer dtypes along axes */
    double xv[24];
    for (int i = 0; i < 24; i++) xv[i] = (double)((i * 13) % 17);
    int64_t sh[2] = {4, 6};
    mx_dtype ts[5] = {MX_INT16, MX_UINT16, MX_INT64, MX_UINT32, MX_UINT64};
    for (int k = 0; k < 5; k++) {
        mx_array *x = mk(ts[k], xv, sh, 2);
        int ax0 = 0, ax1 = -1;
        check_red(mx_sum, R_SUM, x, xv, &ax0, 1, false, ts[k], 0, 0);
        check_red(mx_sum, R_SUM, x, xv, &ax1, 1, true, ts[k], 0, 0);
        check_red(mx_max, R_MAX, x, xv, &ax0, 1, false, ts[k], 0, 0);
        check_red(mx_min, R_MIN, x, xv, NULL, 0, false, ts[k], 0, 0);
        check_red(mx_mean, R_MEAN, x, xv, &ax1, 1, false, MX_FLOAT32, 1e-6, 1e-6);
    }
    double mn;
    CHECK(mx_array_item_f64(mx_mean(a, NULL, 0, false, S), &mn) == MX_OK);
    CHECK_CLOSE(mn, 1073741824.0, 0, 1e-6);
    mx_scope_end(sc, NULL);
}

TEST(nan_propagation) {
    mx_scope sc = mx_scope_begin();
    double xv[8] = {1, NAN, 3, -1, 5, 2, NAN, 0};
    int64_t sh[2] = {2, 4};
    mx_array *x = mk(MX_FLOAT32, xv, sh, 2);
    double g[4];
    int ax1 = 1, ax0 = 0;
    CHECK(rd(mx_max(x, &ax1, 1, false, S), g, 2) == 2);
    CHECK(isnan(g[0]) && isnan(g[1]));
    CHECK(rd(mx_min(x, &ax0, 1, false, S), g, 4) == 4);
    CHECK(g[0] == 1 && isnan(g[1]) && isnan(g[2]) && g[3] == -1);
    CHECK(rd(mx_argmax(x, 1, false, false, S), g, 2) == 2);
    CHECK(g[0] == 1 && g[1] == 2);
    CHECK(rd(mx_argmin(x, 0, true, false, S), g, 1) == 1 && g[0] == 1);
    CHECK(rd(mx_sum(x, &ax1, 1, false, S), g, 2) == 2 && isnan(g[0]));
    /* NaN in a long row takes the vector path */
    int64_t n = 1000;
    mx_array *r = mx_arange(0, 1000, 1, MX_FLOAT32, S);
    mx_array *nanv = mx_where(mx_equal(r, mx_array_scalar_f64(777, MX_FLOAT32), S),
                              mx_array_scalar_f64(NAN, MX_FLOAT32), r, S);
    double d;
    CHECK(mx_array_item_f64(mx_max(nanv, NULL, 0, false, S), &d) == MX_OK && isnan(d));
    CHECK(mx_array_item_f64(mx_min(nanv, NULL, 0, false, S), &d) == MX_OK && isnan(d));
    CHECK(mx_array_item_f64(mx_argmax(nanv, 0, true, false, S), &d) == MX_OK && d == 777);
    (void)n;
    mx_scope_end(sc, NULL);
}

TEST(empty_arrays) {
    mx_scope sc = mx_scope_begin();
    int64_t sh[2] = {0, 3};
    mx_array *e = mx_zeros(sh, 2, MX_FLOAT32, S);
    int ax0 = 0, ax1 = 1;
    double g[3];
    int64_t three = 3, zero = 0;
    mx_array *s0 = mx_sum(e, &ax0, 1, false, S);
    CHECK(t_shape_is(s0, &three, 1) && rd(s0, g, 3) == 3 && g[0] == 0 && g[2] == 0);
    CHECK(rd(mx_prod(e, &ax0, 1, false, S), g, 3) == 3 && g[1] == 1);
    CHECK(rd(mx_all(e, &ax0, 1, false, S), g, 3) == 3 && g[1] == 1);
    CHECK(rd(mx_any(e, &ax0, 1, false, S), g, 3) == 3 && g[1] == 0);
    CHECK(rd(mx_mean(e, &ax0, 1, false, S), g, 3) == 3 && isnan(g[0]));
    mx_array *s1 = mx_sum(e, &ax1, 1, false, S);
    CHECK(t_shape_is(s1, &zero, 1) && rd(s1, g, 3) == 0);
    CHECK(t_shape_is(mx_max(e, &ax1, 1, false, S), &zero, 1));
    double d;
    CHECK(mx_array_item_f64(mx_sum(e, NULL, 0, false, S), &d) == MX_OK && d == 0);
    CHECK_ERR(mx_max(e, NULL, 0, false, S), MX_ERR_VALUE, "max");
    CHECK_ERR(mx_min(e, &ax0, 1, false, S), MX_ERR_VALUE, "min");
    CHECK_ERR(mx_argmax(e, 0, false, false, S), MX_ERR_VALUE, "argmax");
    CHECK_ERR(mx_argmin(e, 0, true, false, S), MX_ERR_VALUE, "argmin");
    CHECK_ERR(mx_logsumexp(e, NULL, 0, false, S), MX_ERR_VALUE, "logsumexp");
    /* scans and softmax of empty arrays are empty */
    CHECK(rd(mx_cumsum(e, 0, false, false, true, S), g, 3) == 0);
    CHECK(rd(mx_softmax(e, NULL, 0, false, S), g, 3) == 0);
    mx_scope_end(sc, NULL);
}

TEST(var_std_ddof) {
    mx_scope sc = mx_scope_begin();
    double xv[12];
    for (int i = 0; i < 12; i++) xv[i] = (double)((i * 7) % 5) + 0.5 * i;
    int64_t sh[2] = {3, 4};
    mx_array *x = mk(MX_FLOAT32, xv, sh, 2);
    mx_array *xi = mk(MX_INT32, xv, sh, 2);
    rd(x, xv, 12);
    for (int ddof = 0; ddof <= 4; ddof++) {
        int ax = 1;
        double g[3], gs[3];
        mx_array *v = mx_var(x, &ax, 1, false, ddof, S);
        CHECK(mx_array_dtype(v) == MX_FLOAT32);
        CHECK(rd(v, g, 3) == 3);
        CHECK(rd(mx_std(x, &ax, 1, true, ddof, S), gs, 3) == 3);
        for (int r = 0; r < 3; r++) {
            double m = 0, ss = 0;
            for (int c = 0; c < 4; c++) m += xv[r * 4 + c] / 4;
            for (int c = 0; c < 4; c++) ss += (xv[r * 4 + c] - m) * (xv[r * 4 + c] - m);
            double ref = 4 - ddof > 0 ? ss / (4 - ddof) : INFINITY;
            CHECK_CLOSE(g[r], ref, 1e-5, 1e-5);
            CHECK_CLOSE(gs[r], sqrt(ref), 1e-5, 1e-5);
        }
    }
    double d;
    CHECK(mx_array_dtype(mx_var(xi, NULL, 0, false, 0, S)) == MX_FLOAT32);
    /* float64 on the CPU */
    CHECK(mx_array_item_f64(mx_var(mx_astype(x, MX_FLOAT64, T_CPU), NULL, 0, false, 1, T_CPU), &d) ==
          MX_OK);
    double m = 0, ss = 0;
    for (int i = 0; i < 12; i++) m += xv[i] / 12;
    for (int i = 0; i < 12; i++) ss += (xv[i] - m) * (xv[i] - m);
    CHECK_CLOSE(d, ss / 11, 1e-12, 1e-12);
    mx_scope_end(sc, NULL);
}

TEST(argmin_argmax) {
    mx_scope sc = mx_scope_begin();
    double tv[4] = {1, 3, 3, 2};
    int64_t four = 4;
    mx_array *t = mk(MX_FLOAT32, tv, &four, 1);
    int64_t iv;
    mx_array *am = mx_argmax(t, 0, false, false, S);
    CHECK(mx_array_dtype(am) == MX_UINT32 && mx_array_ndim(am) == 0);
    CHECK(mx_array_item_i64(am, &iv) == MX_OK && iv == 1);
    double tm[3] = {2, 1, 1};
    int64_t three = 3;
    CHECK(mx_array_item_i64(mx_argmin(mk(MX_INT16, tm, &three, 1), -1, false, false, S), &iv) ==
              MX_OK && iv == 1);
    double xv[24];
    for (int i = 0; i < 24; i++) xv[i] = (double)((i * 11) % 7);
    int64_t sh[3] = {2, 3, 4};
    mx_dtype ts[3] = {MX_FLOAT32, MX_INT32, MX_FLOAT16};
    for (int k = 0; k < 3; k++) {
        mx_array *x = mk(ts[k], xv, sh, 3);
        for (int ax = -3; ax < 3; ax++) {
            int a = ax < 0 ? ax + 3 : ax;
            for (int kd = 0; kd < 2; kd++) {
                mx_array *r = mx_argmax(x, ax, false, kd, S), *rn = mx_argmin(x, ax, false, kd, S);
                int64_t esh[3];
                int k2 = 0;
                for (int d = 0; d < 3; d++)
                    if (d != a) esh[k2++] = sh[d];
                    else if (kd) esh[k2++] = 1;
                CHECK(t_shape_is(r, esh, k2));
                double g[24], gn[24];
                int64_t on = rd(r, g, 24);
                CHECK(rd(rn, gn, 24) == on);
                int64_t st[3] = {12, 4, 1};
                for (int64_t o = 0; o < on; o++) {
                    /* decompose o over the other axes */
                    int64_t rem = o, base = 0;
                    for (int d = 2; d >= 0; d--) {
                        if (d == a) continue;
                        base += (rem % sh[d]) * st[d];
                        rem /= sh[d];
                    }
                    int64_t bi = 0, bn = 0;
                    for (int64_t i = 1; i < sh[a]; i++) {
                        if (xv[base + i * st[a]] > xv[base + bi * st[a]]) bi = i;
                        if (xv[base + i * st[a]] < xv[base + bn * st[a]]) bn = i;
                    }
                    CHECK(g[o] == (double)bi);
                    CHECK(gn[o] == (double)bn);
                }
            }
        }
        /* all axes, keepdims -> (1, 1, 1) */
        mx_array *ra = mx_argmax(x, 0, true, true, S);
        int64_t ones[3] = {1, 1, 1};
        CHECK(t_shape_is(ra, ones, 3));
        int64_t bi = 0;
        for (int i = 1; i < 24; i++)
            if (xv[i] > xv[bi]) bi = i;
        CHECK(mx_array_item_i64(ra, &iv) == MX_OK && iv == bi);
    }
    /* transposed input */
    int64_t sh2[2] = {4, 6};
    mx_array *m = mk(MX_FLOAT32, xv, sh2, 2);
    double g[6];
    CHECK(rd(mx_argmax(mx_transpose(m, NULL, 0, S), 1, false, false, S), g, 6) == 6);
    for (int c = 0; c < 6; c++) {
        int bi2 = 0;
        for (int r = 1; r < 4; r++)
            if (xv[r * 6 + c] > xv[bi2 * 6 + c]) bi2 = r;
        CHECK(g[c] == bi2);
    }
    mx_scope_end(sc, NULL);
}

TEST(count_nonzero_all_any) {
    mx_scope sc = mx_scope_begin();
    double xv[6] = {0, 1.5, 0, NAN, -2, 0};
    int64_t sh[2] = {2, 3};
    mx_array *x = mk(MX_FLOAT32, xv, sh, 2);
    int ax = 1;
    double g[3];
    mx_array *c = mx_count_nonzero(x, &ax, 1, false, S);
    CHECK(mx_array_dtype(c) == MX_INT32);
    CHECK(rd(c, g, 2) == 2 && g[0] == 1 && g[1] == 2);
    int64_t iv;
    CHECK(mx_array_item_i64(mx_count_nonzero(x, NULL, 0, false, S), &iv) == MX_OK && iv == 3);
    int ax0 = 0;
    CHECK(rd(mx_any(x, &ax0, 1, false, S), g, 3) == 3 && g[0] == 1 && g[1] == 1 && g[2] == 0);
    CHECK(rd(mx_all(x, &ax0, 1, true, S), g, 3) == 3 && g[0] == 0 && g[1] == 1 && g[2] == 0);
    mx_scope_end(sc, NULL);
}

TEST(logsumexp) {
    mx_scope sc = mx_scope_begin();
    double xv[12] = {1, 2, 3, 1000, 1001, 999, -INFINITY, -INFINITY, -INFINITY, 0.5, -INFINITY, 2};
    int64_t sh[2] = {4, 3};
    mx_array *x = mk(MX_FLOAT32, xv, sh, 2);
    int ax = -1;
    double g[4];
    CHECK(rd(mx_logsumexp(x, &ax, 1, false, S), g, 4) == 4);
    for (int r = 0; r < 4; r++) {
        double m = -INFINITY, s = 0;
        for (int c = 0; c < 3; c++) m = fmax(m, xv[r * 3 + c]);
        if (isinf(m)) {
            CHECK(isinf(g[r]) && g[r] < 0);
            continue;
        }
        for (int c = 0; c < 3; c++) s += exp(xv[r * 3 + c] - m);
        CHECK_CLOSE(g[r], m + log(s), 1e-5, 1e-6);
    }
    double ii[3] = {1, INFINITY, 2};
    int64_t three = 3;
    double d;
    CHECK(mx_array_item_f64(mx_logsumexp(mk(MX_FLOAT32, ii, &three, 1), NULL, 0, false, S), &d) ==
              MX_OK && isinf(d) && d > 0);
    double iv[3] = {1, 2, 3};
    mx_array *li = mx_logsumexp(mk(MX_INT32, iv, &three, 1), NULL, 0, true, S);
    CHECK(mx_array_dtype(li) == MX_FLOAT32 && mx_array_ndim(li) == 1);
    CHECK(mx_array_item_f64(li, &d) == MX_OK);
    CHECK_CLOSE(d, log(exp(1) + exp(2) + exp(3)), 1e-5, 1e-6);
    mx_scope_end(sc, NULL);
}

TEST(complex_sums) {
    mx_scope sc = mx_scope_begin();
    mx_array *a = mx_add(mx_arange(1, 5, 1, MX_FLOAT32, S),
                         mx_multiply(mx_array_scalar_c64(0, 1), mx_arange(0, 4, 1, MX_FLOAT32, S), S), S);
    float re, im;
    CHECK(mx_array_dtype(a) == MX_COMPLEX64);
    CHECK(mx_array_item_c64(mx_sum(a, NULL, 0, false, S), &re, &im) == MX_OK && re == 10 && im == 6);
    CHECK(mx_array_item_c64(mx_mean(a, NULL, 0, false, S), &re, &im) == MX_OK);
    CHECK_CLOSE(re, 2.5, 1e-6, 0);
    CHECK_CLOSE(im, 1.5, 1e-6, 0);
    /* (1)(2+i)(3+2i)(4+3i) = (2+i)(3+2i) = 4+7i; (4+7i)(4+3i) = -5+40i */
    CHECK(mx_array_item_c64(mx_prod(a, NULL, 0, false, S), &re, &im) == MX_OK);
    CHECK_CLOSE(re, -5, 1e-5, 0);
    CHECK_CLOSE(im, 40, 1e-5, 0);
    CHECK_ERR(mx_max(a, NULL, 0, false, S), MX_ERR_VALUE, "max");
    mx_scope_end(sc, NULL);
}

/* ---- scans ---- */
typedef mx_array *(*scan_fn)(mx_array *, int, bool, bool, bool, mx_stream);

static double scan_op(int type, double a, double v) {
    switch (type) {
    case 0: return a + v;
    case 1: return a * v;
    case 2: return isnan(a) || isnan(v) ? NAN : fmax(a, v);
    case 3: return isnan(a) || isnan(v) ? NAN : fmin(a, v);
    default: {
        double m = fmax(a, v);
        return isinf(m) && m < 0 ? m : m + log(exp(a - m) + exp(v - m));
    }
    }
}

static void check_scan(scan_fn fn, int type, mx_array *x, const double *xv, int axis, bool all,
                       bool rev, bool incl, double tol) {
    static const double init[5] = {0, 1, -INFINITY, INFINITY, -INFINITY};
    int nd = mx_array_ndim(x);
    const int64_t *sh = mx_array_shape(x);
    int64_t n = mx_array_size(x), len, inner = 1;
    if (all) {
        len = n;
    } else {
        int a = axis < 0 ? axis + nd : axis;
        len = sh[a];
        for (int d = a + 1; d < nd; d++) inner *= sh[d];
    }
    double ref[256], got[256];
    for (int64_t i = 0; i < n; i++) {
        int64_t k = (i / inner) % len, base = i - k * inner;
        double acc = init[type];
        for (int64_t t = 0; t < len; t++) {
            int64_t kk = rev ? len - 1 - t : t;
            if (kk == k && !incl) break;
            acc = scan_op(type, acc, xv[base + kk * inner]);
            if (kk == k) break;
        }
        ref[i] = acc;
    }
    mx_array *r = fn(x, axis, all, rev, incl, S);
    CHECK(r != NULL);
    CHECK(rd(r, got, 256) == n);
    if (all) CHECK(mx_array_ndim(r) == 1);
    for (int64_t i = 0; i < n; i++) {
        if (isinf(ref[i])) CHECK(got[i] == ref[i] || mx_array_dtype(r) != MX_FLOAT32);
        else CHECK_CLOSE(got[i], ref[i], tol, tol);
    }
}

TEST(scans) {
    mx_scope sc = mx_scope_begin();
    double xv[60];
    unsigned st = 3;
    for (int i = 0; i < 60; i++) xv[i] = 0.5 + urand(&st);
    int64_t sh[3] = {3, 4, 5};
    mx_array *x = mk(MX_FLOAT32, xv, sh, 3);
    rd(x, xv, 60);
    scan_fn fns[5] = {mx_cumsum, mx_cumprod, mx_cummax, mx_cummin, mx_logcumsumexp};
    for (int f = 0; f < 5; f++)
        for (int ax = -1; ax < 3; ax++)
            for (int rev = 0; rev < 2; rev++)
                for (int incl = 0; incl < 2; incl++)
                    check_scan(fns[f], f, x, xv, ax, false, rev, incl, 1e-5);
    for (int f = 0; f < 5; f++) check_scan(fns[f], f, x, xv, 0, true, f & 1, true, 1e-5);
    /* transposed input */
    mx_array *xt = mx_transpose(x, NULL, 0, S);
    double tv[60];
    rd(xt, tv, 60);
    check_scan(mx_cumsum, 0, xt, tv, 1, false, true, false, 1e-5);
    check_scan(mx_cummax, 2, xt, tv, 2, false, false, true, 0);
    /* integers, float16, bool */
    double iv[12];
    for (int i = 0; i < 12; i++) iv[i] = (double)((i * 5) % 7) - 3;
    int64_t sh2[2] = {3, 4};
    mx_array *xi = mk(MX_INT32, iv, sh2, 2);
    check_scan(mx_cumsum, 0, xi, iv, 1, false, false, true, 0);
    check_scan(mx_cumprod, 1, xi, iv, 0, false, true, true, 0);
    check_scan(mx_cummin, 3, xi, iv, -1, false, false, true, 0);
    mx_array *xh = mk(MX_FLOAT16, iv, sh2, 2);
    check_scan(mx_cumsum, 0, xh, iv, 0, false, false, true, 0);
    CHECK(mx_array_dtype(mx_cumsum(xh, 0, false, false, true, S)) == MX_FLOAT16);
    double bv[4] = {1, 0, 1, 1};
    int64_t four = 4;
    mx_array *cb = mx_cumsum(mk(MX_BOOL, bv, &four, 1), 0, false, false, true, S);
    double g[4];
    CHECK(mx_array_dtype(cb) == MX_INT32);
    CHECK(rd(cb, g, 4) == 4 && g[0] == 1 && g[1] == 1 && g[2] == 2 && g[3] == 3);
    CHECK(mx_array_dtype(mx_logcumsumexp(xi, 0, false, false, true, S)) == MX_FLOAT32);
    /* NaN sticks in cummax */
    double nv[4] = {1, NAN, 3, 0};
    CHECK(rd(mx_cummax(mk(MX_FLOAT32, nv, &four, 1), 0, false, false, true, S), g, 4) == 4);
    CHECK(g[0] == 1 && isnan(g[1]) && isnan(g[2]) && isnan(g[3]));
    mx_scope_end(sc, NULL);
}

TEST(long_scan) {
    mx_scope sc = mx_scope_begin();
    /* a wide inner block (> one column block) and many rows */
    int64_t sh[2] = {50, 1300};
    mx_array *x = mx_reshape(mx_arange(0, 65000, 1, MX_INT32, S), sh, 2, S);
    double *g = malloc(65000 * sizeof(double));
    CHECK(rd(mx_cumsum(x, 0, false, false, true, S), g, 65000) == 65000);
    int ok = 1;
    for (int64_t r = 0; r < 50; r++)
        for (int64_t c = 0; c < 1300; c++) {
            double ref = 0;
            for (int64_t k = 0; k <= r; k++) ref += (double)(k * 1300 + c);
            ok &= g[r * 1300 + c] == ref;
        }
    CHECK(ok);
    free(g);
    mx_scope_end(sc, NULL);
}

/* ---- softmax ---- */
static void check_softmax(mx_array *x, const int *axes, int naxes, double tol) {
    int nd = mx_array_ndim(x);
    const int64_t *sh = mx_array_shape(x);
    uint32_t m = mask_of(axes, naxes, nd);
    int64_t n = mx_array_size(x);
    double *xv = malloc((size_t)n * sizeof(double)), *got = malloc((size_t)n * sizeof(double));
    double *mx = malloc((size_t)n * sizeof(double)), *sm = malloc((size_t)n * sizeof(double));
    double *ex = malloc((size_t)n * sizeof(double));
    rd(x, xv, n);
    ref_reduce(xv, sh, nd, m, R_MAX, mx);
    /* map each element to its group (keepdims flat index) */
    int64_t osh[16], on = 1;
    for (int d = 0; d < nd; d++) on *= (osh[d] = (m >> d) & 1 ? 1 : sh[d]);
    for (int64_t o = 0; o < on; o++) sm[o] = 0;
    int64_t *grp = malloc((size_t)n * sizeof(int64_t));
    for (int64_t i = 0; i < n; i++) {
        int64_t r = i, o = 0, mul = 1;
        for (int d = nd - 1; d >= 0; d--) {
            int64_t id = r % sh[d];
            r /= sh[d];
            if (!((m >> d) & 1)) o += id * mul;
            mul *= osh[d];
        }
        grp[i] = o;
        ex[i] = exp(xv[i] - mx[o]);
        sm[o] += ex[i];
    }
    mx_array *r = mx_softmax(x, axes, naxes, false, t_stream_for(mx_array_dtype(x)));
    CHECK(r && mx_array_ndim(r) == nd);
    CHECK(rd(r, got, n) == n);
    for (int64_t o = 0; o < on; o++) mx[o] = 0;
    for (int64_t i = 0; i < n; i++) {
        CHECK_CLOSE(got[i], ex[i] / sm[grp[i]], tol, tol);
        mx[grp[i]] += got[i];
    }
    for (int64_t o = 0; o < on; o++) CHECK_CLOSE(mx[o], 1.0, tol * 10, 0);
    free(xv);
    free(got);
    free(mx);
    free(sm);
    free(ex);
    free(grp);
}

TEST(softmax) {
    mx_scope sc = mx_scope_begin();
    double xv[4 * 37];
    unsigned st = 11;
    for (int i = 0; i < 4 * 37; i++) xv[i] = urand(&st) * 20 - 10;
    xv[5] = 1000; /* stability */
    xv[6] = 1001;
    xv[40] = -INFINITY;
    int64_t sh[2] = {4, 37};
    mx_array *x = mk(MX_FLOAT32, xv, sh, 2);
    int last = -1, first = 0, both[2] = {0, 1};
    check_softmax(x, &last, 1, 1e-6);
    check_softmax(x, &first, 1, 1e-6);
    check_softmax(x, both, 2, 1e-6);
    check_softmax(x, NULL, 0, 1e-6);
    check_softmax(mx_transpose(x, NULL, 0, S), &last, 1, 1e-6);
    check_softmax(mk(MX_FLOAT64, xv, sh, 2), &last, 1, 1e-12); /* on the CPU */
    mx_array *h = mk(MX_FLOAT16, xv, sh, 2);
    check_softmax(h, &last, 1, 2e-3);
    check_softmax(h, &first, 1, 2e-3);
    CHECK(mx_array_dtype(mx_softmax(h, &last, 1, true, S)) == MX_FLOAT16);
    check_softmax(mk(MX_BFLOAT16, xv, sh, 2), &last, 1, 1e-2);
    /* large rows take the threaded path; the exp is accurate over a wide range */
    int64_t sh2[2] = {64, 4099};
    mx_array *big = mx_reshape(mx_sin(mx_arange(0, 64 * 4099, 1, MX_FLOAT32, S), S), sh2, 2, S);
    big = mx_multiply(big, mx_array_scalar_f64(80, MX_FLOAT32), S);
    check_softmax(big, &last, 1, 1e-6);
    double iv[3] = {1, 2, 3};
    int64_t three = 3;
    mx_array *si = mx_softmax(mk(MX_INT32, iv, &three, 1), NULL, 0, false, S);
    CHECK(mx_array_dtype(si) == MX_FLOAT32);
    /* a row of -inf gives NaN like NumPy */
    double ni[3] = {-INFINITY, -INFINITY, -INFINITY}, g[3];
    CHECK(rd(mx_softmax(mk(MX_FLOAT32, ni, &three, 1), &last, 1, false, S), g, 3) == 3);
    CHECK(isnan(g[0]));
    mx_scope_end(sc, NULL);
}

/* ---- errors ---- */
TEST(errors) {
    mx_scope sc = mx_scope_begin();
    int64_t sh[2] = {2, 3};
    mx_array *x = mx_zeros(sh, 2, MX_FLOAT32, S);
    int bad[1] = {2}, neg[1] = {-3}, dup[2] = {1, -1};
    CHECK_ERR(mx_sum(x, bad, 1, false, S), MX_ERR_VALUE, "sum");
    CHECK_ERR(mx_mean(x, neg, 1, false, S), MX_ERR_VALUE, "mean");
    CHECK_ERR(mx_max(x, dup, 2, false, S), MX_ERR_VALUE, "max");
    CHECK_ERR(mx_var(x, bad, 1, false, 0, S), MX_ERR_VALUE, "var");
    CHECK_ERR(mx_logsumexp(x, dup, 2, false, S), MX_ERR_VALUE, "logsumexp");
    CHECK_ERR(mx_count_nonzero(x, bad, 1, false, S), MX_ERR_VALUE, "count_nonzero");
    CHECK_ERR(mx_argmax(x, 2, false, false, S), MX_ERR_VALUE, "argmax");
    CHECK_ERR(mx_argmin(x, -3, false, false, S), MX_ERR_VALUE, "argmin");
    CHECK_ERR(mx_cumsum(x, 2, false, false, true, S), MX_ERR_VALUE, "cumsum");
    CHECK_ERR(mx_cummax(x, -5, false, false, true, S), MX_ERR_VALUE, "cummax");
    CHECK_ERR(mx_softmax(x, dup, 2, false, S), MX_ERR_VALUE, "softmax");
    CHECK_ERR(mx_sum(NULL, NULL, 0, false, S), MX_ERR_VALUE, "sum");
    CHECK_ERR(mx_cumsum(NULL, 0, true, false, true, S), MX_ERR_VALUE, "cumsum");
    CHECK_ERR(mx_softmax(NULL, NULL, 0, false, S), MX_ERR_VALUE, "softmax");
    /* a 0-d array: axis 0 is out of range, NULL reduces nothing */
    mx_array *s0 = mx_array_scalar_f64(3, MX_FLOAT32);
    int z = 0;
    CHECK_ERR(mx_sum(s0, &z, 1, false, S), MX_ERR_VALUE, "sum");
    double d;
    CHECK(mx_array_item_f64(mx_sum(s0, NULL, 0, false, S), &d) == MX_OK && d == 3);
    CHECK(mx_array_item_f64(mx_argmax(s0, 0, true, false, S), &d) == MX_OK && d == 0);
    mx_scope_end(sc, NULL);
}

TEST(long_vector_paths) {
    mx_scope sc = mx_scope_begin();
    /* long runs take the SIMD loops: wrapping small integers, bool and/or, integer extremes */
    mx_array *r = mx_arange(0, 1000, 1, MX_INT32, S);
    int64_t iv, ref = 0;
    for (int i = 0; i < 1000; i++) ref += i % 256;
    mx_array *u8 = mx_astype(r, MX_UINT8, S);
    CHECK(mx_array_item_i64(mx_sum(u8, NULL, 0, false, S), &iv) == MX_OK && iv == ref % 256);
    mx_array *i8 = mx_astype(r, MX_INT8, S);
    CHECK(mx_array_item_i64(mx_sum(i8, NULL, 0, false, S), &iv) == MX_OK && iv == (int8_t)(ref % 256));
    CHECK(mx_array_item_i64(mx_max(i8, NULL, 0, false, S), &iv) == MX_OK && iv == 127);
    CHECK(mx_array_item_i64(mx_min(i8, NULL, 0, false, S), &iv) == MX_OK && iv == -128);
    mx_array *i16 = mx_astype(mx_subtract(mx_array_scalar_i64(500, MX_INT32), r, S), MX_INT16, S);
    CHECK(mx_array_item_i64(mx_max(i16, NULL, 0, false, S), &iv) == MX_OK && iv == 500);
    CHECK(mx_array_item_i64(mx_min(i16, NULL, 0, false, S), &iv) == MX_OK && iv == -499);
    mx_array *u64 = mx_astype(r, MX_UINT64, S);
    CHECK(mx_array_item_i64(mx_sum(u64, NULL, 0, false, S), &iv) == MX_OK && iv == 499500);
    mx_array *one = mx_equal(r, mx_array_scalar_i64(777, MX_INT32), S);
    CHECK(mx_array_item_i64(mx_any(one, NULL, 0, false, S), &iv) == MX_OK && iv == 1);
    CHECK(mx_array_item_i64(mx_all(one, NULL, 0, false, S), &iv) == MX_OK && iv == 0);
    CHECK(mx_array_item_i64(mx_all(mx_logical_not(one, S), NULL, 0, false, S), &iv) == MX_OK &&
          iv == 0);
    CHECK(mx_array_item_i64(mx_max(one, NULL, 0, false, S), &iv) == MX_OK && iv == 1);
    CHECK(mx_array_item_i64(mx_sum(one, NULL, 0, false, S), &iv) == MX_OK && iv == 1);
    double d;
    for (int k = 0; k < 2; k++) { /* float32 on the default device, float64 on the CPU */
        mx_dtype dt = k ? MX_FLOAT64 : MX_FLOAT32;
        mx_stream s = t_stream_for(dt);
        mx_array *f = mx_astype(r, dt, s);
        d = -1;
        CHECK(mx_array_item_f64(mx_prod(mx_divide(f, mx_add(f, mx_array_scalar_f64(1, dt), s), s),
                                        NULL, 0, false, s), &d) == MX_OK && d == 0);
        CHECK(mx_array_item_f64(mx_max(f, NULL, 0, false, s), &d) == MX_OK && d == 999);
        CHECK(mx_array_item_f64(mx_mean(f, NULL, 0, false, s), &d) == MX_OK && d == 499.5);
    }
    mx_scope_end(sc, NULL);
}
