/* tests/c/test_fast_norm.c: mx_fast_rms_norm and mx_fast_layer_norm (MLX's mx.fast.rms_norm /
 * layer_norm): values against a float64 scalar reference for float32 / float16 / bfloat16 (default
 * device) and float64 (CPU) rows of length 1, 7, 128 and 4099, with and without weight / bias,
 * transposed, broadcast and sliced inputs, strided weights; MLX's output dtypes and error
 * messages; vjp / jvp against central differences (float64 on the CPU, float32 on the default
 * device), a second derivative; vmap against a loop; the GPU against the CPU when there is a
 * GPU. */
#define FAMILY "fast_norm"
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

#define S MX_DEFAULT_STREAM
#define EPS 1e-5f

/* deterministic values in [-1, 1) */
static double urand(uint32_t *st) {
    *st = *st * 1664525u + 1013904223u;
    return (double)(*st >> 8) / (double)(1u << 23) - 1.0;
}

/* the reference: rows of x (rows, n) normalised in float64 (w, b NULL = none) */
static void ref_norm(int layer, const double *x, int64_t rows, int64_t n, const double *w,
                     const double *b, double eps, double *y) {
    for (int64_t r = 0; r < rows; r++) {
        const double *xr = x + r * n;
        double mean = 0, ss = 0;
        if (layer) {
            for (int64_t i = 0; i < n; i++) mean += xr[i];
            mean /= (double)n;
        }
        for (int64_t i = 0; i < n; i++) ss += (xr[i] - mean) * (xr[i] - mean);
        double inv = 1.0 / sqrt(ss / (double)n + eps);
        for (int64_t i = 0; i < n; i++) {
            double v = (xr[i] - mean) * inv;
            if (w) v *= w[i];
            if (b) v += b[i];
            y[r * n + i] = v;
        }
    }
}

static mx_array *norm_call(int layer, mx_array *x, mx_array *w, mx_array *b, float eps,
                           mx_stream s) {
    return layer ? mx_fast_layer_norm(x, w, b, eps, s) : mx_fast_rms_norm(x, w, eps, s);
}

static double tol_of(mx_dtype dt) {
    switch (dt) {
    case MX_FLOAT64: return 1e-12;
    case MX_FLOAT32: return 2e-5;
    case MX_FLOAT16: return 4e-3;
    default: return 3e-2;
    }
}

/* values read back (the exact inputs after conversion to dt) */
static double *read_all(mx_array *a) {
    int64_t n = a ? mx_array_size(a) : 0;
    double *v = malloc(sizeof(double) * (size_t)(n + 1));
    if (v && a && t_read(a, v, n) != n) T_FAIL("read failed [%s]", mx_error_message());
    return v;
}

/* variant: 0 dense, 1 transposed x, 2 broadcast x (one row repeated), 3 strided weight / bias,
 * 4 x sliced out of a wider array (rows not contiguous with each other) */
static void run_case(int layer, mx_dtype dt, int64_t rows, int64_t n, int has_w, int has_b,
                     int variant) {
    mx_stream s = t_stream_for(dt);
    uint32_t st = (uint32_t)(n * 131 + rows * 7 + variant * 3 + layer);
    int64_t total = rows * n;
    double *xv = malloc(sizeof(double) * (size_t)(2 * total + 2));
    double *pv = malloc(sizeof(double) * (size_t)(4 * n + 2));
    for (int64_t i = 0; i < 2 * total + 2; i++) xv[i] = 2 * urand(&st) + (layer ? 0.75 : 0);
    for (int64_t i = 0; i < 4 * n + 2; i++) pv[i] = urand(&st);
    for (int64_t i = 0; i < 2 * n; i++) pv[i] = 1 + 0.5 * pv[i]; /* weights in [0.5, 1.5) */
    mx_scope sc = mx_scope_begin();
    int64_t sh[2] = {rows, n};
    mx_array *x = NULL, *w = NULL, *b = NULL;
    if (variant == 1) {
        int64_t tsh[2] = {n, rows};
        x = mx_transpose(t_array(xv, tsh, 2, dt), NULL, 0, s);
    } else if (variant == 2) {
        int64_t one[2] = {1, n};
        x = mx_broadcast_to(t_array(xv, one, 2, dt), sh, 2, s);
    } else if (variant == 4) {
        int64_t wide[2] = {rows, 2 * n}, st0[2] = {0, 1}, en[2] = {rows, n + 1};
        x = mx_slice(t_array(xv, wide, 2, dt), st0, en, NULL, s);
    } else {
        x = t_array(xv, sh, 2, dt);
    }
    if (variant == 3) {
        int64_t two = 2 * n, st0 = 0, en = 2 * n, step = 2;
        if (has_w) w = mx_slice(t_array(pv, &two, 1, dt), &st0, &en, &step, s);
        if (has_b) b = mx_slice(t_array(pv + 2 * n, &two, 1, dt), &st0, &en, &step, s);
    } else {
        if (has_w) w = t_array(pv, &n, 1, dt);
        if (has_b) b = t_array(pv + 2 * n, &n, 1, dt);
    }
    double *xr = read_all(x), *wr = w ? read_all(w) : NULL, *br = b ? read_all(b) : NULL;
    mx_array *y = norm_call(layer, x, w, b, EPS, s);
    double *yv = malloc(sizeof(double) * (size_t)(total + 1));
    double *ref = malloc(sizeof(double) * (size_t)(total + 1));
    CHECK(y && mx_array_dtype(y) == dt && t_shape_is(y, sh, 2));
    if (y && t_read(y, yv, total) == total) {
        ref_norm(layer, xr, rows, n, wr, br, (double)EPS, ref);
        double tol = tol_of(dt);
        int bad = 0;
        for (int64_t i = 0; i < total && bad < 3; i++)
            if (!(fabs(yv[i] - ref[i]) <= tol * (1 + fabs(ref[i])))) {
                bad++;
                T_FAIL("%s %s rows %lld n %lld w %d b %d variant %d: [%lld] %.9g, want %.9g",
                       layer ? "layer_norm" : "rms_norm", mx_dtype_name(dt), (long long)rows,
                       (long long)n, has_w, has_b, variant, (long long)i, yv[i], ref[i]);
            }
    } else {
        T_FAIL("%s %s n %lld: evaluation failed [%s]", layer ? "layer_norm" : "rms_norm",
               mx_dtype_name(dt), (long long)n, mx_error_message());
    }
    mx_scope_end(sc, NULL);
    free(xv), free(pv), free(xr), free(wr), free(br), free(yv), free(ref);
}

static const mx_dtype DTYPES[4] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16, MX_FLOAT64};

TEST(rms_norm_matches_reference) {
    const int64_t ns[4] = {1, 7, 128, 4099};
    for (int d = 0; d < 4; d++)
        for (int k = 0; k < 4; k++)
            for (int hw = 0; hw < 2; hw++)
                run_case(0, DTYPES[d], ns[k] > 1000 ? 3 : 5, ns[k], hw, 0, 0);
}

TEST(layer_norm_matches_reference) {
    const int64_t ns[4] = {1, 7, 128, 4099};
    for (int d = 0; d < 4; d++)
        for (int k = 0; k < 4; k++)
            for (int m = 0; m < 4; m++)
                run_case(1, DTYPES[d], ns[k] > 1000 ? 3 : 5, ns[k], m & 1, m >> 1, 0);
}

TEST(strided_broadcast_and_transposed_inputs) {
    for (int d = 0; d < 4; d++)
        for (int layer = 0; layer < 2; layer++)
            for (int v = 1; v <= 4; v++) {
                run_case(layer, DTYPES[d], 6, 7, 1, layer, v);
                run_case(layer, DTYPES[d], 3, 130, 1, layer, v);
            }
}

/* layer_norm of rows far from 0: the two-pass variance keeps float32 accurate where
 * E[x^2] - E[x]^2 would cancel catastrophically */
TEST(layer_norm_large_offset) {
    int64_t n = 1000, sh[2] = {2, 1000};
    double *xv = malloc(sizeof(double) * 2000), *ref = malloc(sizeof(double) * 2000),
           *yv = malloc(sizeof(double) * 2000);
    uint32_t st = 5;
    for (int i = 0; i < 2000; i++) xv[i] = 1000 + urand(&st);
    mx_array *x = t_array(xv, sh, 2, MX_FLOAT32);
    double *xr = read_all(x);
    mx_array *y = mx_fast_layer_norm(x, NULL, NULL, EPS, S);
    ref_norm(1, xr, 2, n, NULL, NULL, (double)EPS, ref);
    CHECK(t_read(y, yv, 2000) == 2000);
    for (int i = 0; i < 2000; i++) CHECK_CLOSE(yv[i], ref[i], 2e-3, 0);
    mx_array_release(x), mx_array_release(y);
    free(xv), free(ref), free(yv), free(xr);
}

TEST(special_rows) {
    /* a row of zeros: 0 (the eps keeps the scale finite); a row of length 1 in layer_norm: the
     * bias; 3-D input */
    double z[6] = {0, 0, 0, 1, 2, 3}, bv[3] = {0.5, -1, 2}, got[6];
    int64_t sh[2] = {2, 3}, n3 = 3;
    mx_array *x = t_f64(z, sh, 2), *y = mx_fast_rms_norm(x, NULL, EPS, T_CPU);
    CHECK(t_read(y, got, 6) == 6);
    for (int i = 0; i < 3; i++) CHECK(got[i] == 0);
    double r = 1 / sqrt((1 + 4 + 9) / 3.0 + (double)EPS);
    for (int i = 3; i < 6; i++) CHECK_CLOSE(got[i], z[i] * r, 1e-12, 1e-12);
    mx_array_release(y);
    int64_t col[2] = {3, 1}, one = 1;
    mx_array *xc = t_f64(bv, col, 2), *b1 = t_f64(bv + 1, &one, 1);
    y = mx_fast_layer_norm(xc, NULL, b1, EPS, T_CPU);
    CHECK(t_read(y, got, 3) == 3);
    for (int i = 0; i < 3; i++) CHECK(got[i] == -1);
    mx_array_release(y), mx_array_release(xc), mx_array_release(b1), mx_array_release(x);
    /* a large eps counts */
    double ev[6] = {0.3, -0.2, 0.9, 1.5, 0.1, -0.4}, eref[6], eg[6];
    for (int layer = 0; layer < 2; layer++)
        for (int d = 0; d < 4; d++) {
            mx_array *xe = t_array(ev, sh, 2, DTYPES[d]), *ye;
            double *xr = read_all(xe);
            ye = norm_call(layer, xe, NULL, NULL, 0.5f, t_stream_for(DTYPES[d]));
            ref_norm(layer, xr, 2, 3, NULL, NULL, 0.5, eref);
            CHECK(t_read(ye, eg, 6) == 6);
            for (int i = 0; i < 6; i++) CHECK_CLOSE(eg[i], eref[i], tol_of(DTYPES[d]), 0);
            free(xr);
            mx_array_release(xe), mx_array_release(ye);
        }
    /* 3-D: (2, 2, 3) against the reference */
    double v[12], ref[12], wv[3] = {1, 2, -1};
    for (int i = 0; i < 12; i++) v[i] = 0.3 * i - 1.4 + 0.05 * i * i;
    int64_t sh3[3] = {2, 2, 3};
    mx_array *x3 = t_array(v, sh3, 3, MX_FLOAT32);
    mx_array *w3 = t_array(wv, &n3, 1, MX_FLOAT32);
    y = mx_fast_layer_norm(x3, w3, NULL, EPS, S);
    double *xr = read_all(x3);
    ref_norm(1, xr, 4, 3, wv, NULL, (double)EPS, ref);
    CHECK(t_shape_is(y, sh3, 3));
    double g12[12];
    CHECK(t_read(y, g12, 12) == 12);
    for (int i = 0; i < 12; i++) CHECK_CLOSE(g12[i], ref[i], 1e-5, 1e-5);
    free(xr);
    mx_array_release(y), mx_array_release(x3), mx_array_release(w3);
}

TEST(empty_inputs) {
    int64_t s0[2] = {0, 5}, s1[2] = {3, 0}, five = 5, zero = 0;
    mx_array *x0 = mx_zeros(s0, 2, MX_FLOAT32, S), *w0 = mx_ones(&five, 1, MX_FLOAT32, S);
    mx_array *x1 = mx_zeros(s1, 2, MX_FLOAT32, S), *w1 = mx_ones(&zero, 1, MX_FLOAT32, S);
    mx_array *y0 = mx_fast_rms_norm(x0, w0, EPS, S), *y1 = mx_fast_layer_norm(x1, w1, w1, EPS, S);
    mx_array *ys[2] = {y0, y1};
    CHECK(y0 && y1 && mx_eval(ys, 2) == MX_OK);
    CHECK(t_shape_is(y0, s0, 2) && t_shape_is(y1, s1, 2));
    mx_array *arr[6] = {x0, w0, x1, w1, y0, y1};
    for (int i = 0; i < 6; i++) mx_array_release(arr[i]);
}

/* MLX's output dtype: x promoted with weight (and bias when there is a weight) */
static void check_dtype(int layer, mx_dtype xt, int wt, int bt, mx_dtype want) {
    int64_t sh[2] = {2, 4}, n = 4;
    double v[8] = {1, 2, 3, 4, -1, 0.5, 2, 7};
    mx_stream s = t_stream_for(want);
    mx_array *x = t_array(v, sh, 2, xt);
    mx_array *w = wt >= 0 ? t_array(v, &n, 1, (mx_dtype)wt) : NULL;
    mx_array *b = bt >= 0 ? t_array(v + 4, &n, 1, (mx_dtype)bt) : NULL;
    mx_array *y = norm_call(layer, x, w, b, EPS, s);
    CHECK(y && mx_array_dtype(y) == want);
    double got[8], ref[8], *xr = read_all(x), *wr = w ? read_all(w) : NULL,
           *br = b ? read_all(b) : NULL;
    if (y && t_read(y, got, 8) == 8) {
        ref_norm(layer, xr, 2, 4, wr, br, (double)EPS, ref);
        for (int i = 0; i < 8; i++) CHECK_CLOSE(got[i], ref[i], tol_of(want), tol_of(want));
    }
    free(xr), free(wr), free(br);
    mx_array_release(x), mx_array_release(w), mx_array_release(b), mx_array_release(y);
}

TEST(output_dtype_follows_mlx) {
    check_dtype(0, MX_FLOAT16, MX_FLOAT32, -1, MX_FLOAT32);
    check_dtype(0, MX_BFLOAT16, MX_FLOAT16, -1, MX_FLOAT32);
    check_dtype(0, MX_INT32, MX_FLOAT16, -1, MX_FLOAT16);
    check_dtype(0, MX_FLOAT32, -1, -1, MX_FLOAT32);
    check_dtype(0, MX_FLOAT32, MX_FLOAT64, -1, MX_FLOAT64);
    check_dtype(1, MX_FLOAT16, MX_FLOAT16, MX_FLOAT32, MX_FLOAT32);
    check_dtype(1, MX_FLOAT16, -1, MX_FLOAT32, MX_FLOAT16); /* no weight: the bias is converted */
    check_dtype(1, MX_BFLOAT16, MX_BFLOAT16, -1, MX_BFLOAT16);
    check_dtype(1, MX_INT32, MX_FLOAT32, MX_INT32, MX_FLOAT32);
}

static void check_msg(mx_array *r, const char *want) {
    CHECK(r == NULL && mx_error_status() == MX_ERR_VALUE);
    if (!strstr(mx_error_message(), want))
        T_FAIL("message '%s', want '%s'", mx_error_message(), want);
    mx_array_release(r);
    mx_error_clear();
}

TEST(errors) {
    int64_t sh[2] = {2, 3}, n3 = 3, n4 = 4, sh22[2] = {1, 3};
    double v[6] = {1, 2, 3, 4, 5, 6};
    mx_array *x = t_array(v, sh, 2, MX_FLOAT32), *x0 = mx_array_scalar_f64(1, MX_FLOAT32);
    mx_array *w2 = t_array(v, sh22, 2, MX_FLOAT32), *w4 = t_array(v, &n4, 1, MX_FLOAT32);
    mx_array *w3 = t_array(v, &n3, 1, MX_FLOAT32), *xi = t_array(v, sh, 2, MX_INT32);
    mx_array *xc = mx_astype(x, MX_COMPLEX64, S);
    mx_error_clear();
    check_msg(mx_fast_rms_norm(x0, NULL, EPS, S),
              "[rms_norm] Input must have at least 1 dimension but got input with 0 dimensions.");
    check_msg(mx_fast_layer_norm(x0, NULL, NULL, EPS, S),
              "[layer_norm] Input must have at least 1");
    check_msg(mx_fast_rms_norm(x, w2, EPS, S),
              "[rms_norm] weight must have 1 dimension but has 2 dimensions.");
    check_msg(mx_fast_rms_norm(x, w4, EPS, S),
              "[rms_norm] weight must have the same size as the last dimension of x but has 4 "
              "elements.");
    check_msg(mx_fast_layer_norm(x, w4, w3, EPS, S), "[layer_norm] weight must have the same size");
    check_msg(mx_fast_layer_norm(x, w3, w2, EPS, S),
              "[layer_norm] bias must have 1 dimension but has 2 dimensions.");
    check_msg(mx_fast_layer_norm(x, NULL, w4, EPS, S),
              "[layer_norm] bias must have the same size as the last dimension of x but has 4 "
              "elements.");
    check_msg(mx_fast_rms_norm(xi, NULL, EPS, S), "[rms_norm] Received unsupported type int32.");
    check_msg(mx_fast_layer_norm(xi, NULL, w3, EPS, S),
              "[layer_norm] Received unsupported type int32.");
    check_msg(mx_fast_rms_norm(xc, w3, EPS, S), "[rms_norm] Received unsupported type complex64.");
    CHECK_ERR(mx_fast_rms_norm(NULL, w3, EPS, S), MX_ERR_VALUE, "rms_norm");
    if (t_has_gpu()) {
        mx_array *x64 = t_array(v, sh, 2, MX_FLOAT64);
        t_check_gpu_refuses_f64(mx_fast_rms_norm(x64, NULL, EPS, T_GPU), "rms_norm");
        t_check_gpu_refuses_f64(mx_fast_layer_norm(x64, NULL, NULL, EPS, T_GPU), "layer_norm");
        mx_array_release(x64);
    }
    mx_array *arr[7] = {x, x0, w2, w4, w3, xi, xc};
    for (int i = 0; i < 7; i++) mx_array_release(arr[i]);
}

/* ---- derivatives against finite differences ---- */
static const double FX[15] = {0.5,  -1.2, 0.8, 2.0,  0.3, -0.7, 1.1, 0.9,
                              -0.4, 1.6,  -2.1, 0.2, 0.05, 1.3, -0.6};
static const double FW[5] = {1.5, -0.5, 0.8, 1.2, 2.0}, FB[5] = {0.1, -0.3, 0.0, 0.7, -1.1};
static const int64_t FSH[2] = {3, 5}, F5 = 5;
#define FEPS 1e-3f

static mx_array *cst_w(mx_array *like) { return t_array(FW, &F5, 1, mx_array_dtype(like)); }
static mx_array *cst_b(mx_array *like) { return t_array(FB, &F5, 1, mx_array_dtype(like)); }
static mx_array *cst_x(mx_array *like) { return t_array(FX, FSH, 2, mx_array_dtype(like)); }

static mx_array *done3(mx_array *y, mx_array *a, mx_array *b) {
    mx_array_release(a), mx_array_release(b);
    return y;
}

static mx_array *f_rms_x(mx_array *x) {
    mx_array *w = cst_w(x);
    return done3(mx_fast_rms_norm(x, w, FEPS, S), w, NULL);
}
static mx_array *f_rms_x_plain(mx_array *x) { return mx_fast_rms_norm(x, NULL, FEPS, S); }
static mx_array *f_rms_w(mx_array *w) {
    mx_array *x = cst_x(w);
    return done3(mx_fast_rms_norm(x, w, FEPS, S), x, NULL);
}
static mx_array *f_ln_x(mx_array *x) {
    mx_array *w = cst_w(x), *b = cst_b(x);
    return done3(mx_fast_layer_norm(x, w, b, FEPS, S), w, b);
}
static mx_array *f_ln_x_plain(mx_array *x) { return mx_fast_layer_norm(x, NULL, NULL, FEPS, S); }
static mx_array *f_ln_w(mx_array *w) {
    mx_array *x = cst_x(w), *b = cst_b(w);
    return done3(mx_fast_layer_norm(x, w, b, FEPS, S), x, b);
}
static mx_array *f_ln_b(mx_array *b) {
    mx_array *x = cst_x(b), *w = cst_w(b);
    return done3(mx_fast_layer_norm(x, w, b, FEPS, S), x, w);
}
static mx_array *f_ln_b_only(mx_array *b) {
    mx_array *x = cst_x(b);
    return done3(mx_fast_layer_norm(x, NULL, b, FEPS, S), x, NULL);
}
/* the same weight for x and w: both paths of the rule at once */
static mx_array *f_rms_shared(mx_array *v) {
    int64_t one[2] = {1, 5};
    mx_array *x = mx_reshape(v, one, 2, S);
    return done3(mx_fast_rms_norm(x, v, FEPS, S), x, NULL);
}

TEST(vjp_jvp_vs_finite_differences) {
    t_check_fd("rms_norm d/dx", f_rms_x, FX, FSH, 2, 1e-5);
    t_check_fd("rms_norm d/dx (no weight)", f_rms_x_plain, FX, FSH, 2, 1e-5);
    t_check_fd("rms_norm d/dx 1-D", f_rms_x_plain, FX, &F5, 1, 1e-5);
    t_check_fd("rms_norm d/dw", f_rms_w, FW, &F5, 1, 1e-5);
    t_check_fd("rms_norm x = w", f_rms_shared, FW, &F5, 1, 1e-5);
    t_check_fd("layer_norm d/dx", f_ln_x, FX, FSH, 2, 1e-5);
    t_check_fd("layer_norm d/dx (plain)", f_ln_x_plain, FX, FSH, 2, 1e-5);
    t_check_fd("layer_norm d/dw", f_ln_w, FW, &F5, 1, 1e-5);
    t_check_fd("layer_norm d/db", f_ln_b, FB, &F5, 1, 1e-5);
    t_check_fd("layer_norm d/db (no weight)", f_ln_b_only, FB, &F5, 1, 1e-5);
}

/* second derivative: the gradient of sum(u * layer_norm(x, w, b)) is itself differentiated */
static mx_status call_ln(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out,
                         int max) {
    (void)ctx, (void)n, (void)max;
    out[0] = f_ln_x(in[0]);
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}
static mx_array *f_ln_grad(mx_array *x) {
    double u[15];
    for (int i = 0; i < 15; i++) u[i] = 0.2 + 0.13 * (i % 4) - 0.05 * i;
    mx_array *ua = t_array(u, FSH, 2, mx_array_dtype(x)), *o[1] = {NULL}, *g[1] = {NULL};
    int no = 0;
    mx_status st = mx_vjp(call_ln, NULL, &x, 1, &ua, 1, o, &no, 1, g);
    mx_array_release(ua);
    mx_array_release(o[0]);
    return st == MX_OK ? g[0] : NULL;
}

TEST(second_derivative_vs_finite_differences) {
    t_check_fd32("layer_norm grad d/dx", f_ln_grad, FX, FSH, 2, 1e-5, 1e-3);
}

/* ---- vmap against a loop ---- */
typedef struct vcase {
    int     layer, has_w, has_b;
    int     ax[3];   /* batch axes of x, w, b (-1: not mapped) */
    int64_t xsh[3];  /* the shape of x as given (batch axis included when mapped) */
    int     xnd;
} vcase;

static mx_status f_norm3(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out,
                         int max) {
    const vcase *c = ctx;
    (void)n, (void)max;
    out[0] = norm_call(c->layer, in[0], c->has_w ? in[1] : NULL, c->has_b ? in[2] : NULL, EPS, S);
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}

/* a[i] along axis (squeezed); a itself when axis < 0 */
static mx_array *take_at(mx_array *a, int axis, int64_t i) {
    if (axis < 0) return mx_array_retain(a);
    int64_t st[MX_MAX_DIMS], en[MX_MAX_DIMS];
    for (int d = 0; d < mx_array_ndim(a); d++) st[d] = en[d] = MX_SLICE_NONE;
    st[axis] = i;
    en[axis] = i + 1;
    mx_scope sc = mx_scope_begin();
    return mx_scope_end(sc, mx_squeeze(mx_slice(a, st, en, NULL, S), &axis, 1, S));
}

static void run_vmap(const vcase *c) {
    const int64_t B = 4, D = 5;
    double v[200];
    uint32_t st = 11;
    for (int i = 0; i < 200; i++) v[i] = urand(&st) * 1.5 + 0.2;
    int64_t psh[2] = {B, D}, pshT[2] = {D, B};
    mx_array *in[3];
    in[0] = t_array(v, c->xsh, c->xnd, t_dt);
    for (int k = 1; k < 3; k++)
        in[k] = c->ax[k] < 0 ? t_array(v + 60 * k, &D, 1, t_dt)
                             : t_array(v + 60 * k, c->ax[k] == 0 ? psh : pshT, 2, t_dt);
    mx_array *out[1] = {NULL};
    int no = 0;
    CHECK(mx_vmap(f_norm3, (void *)c, in, 3, c->ax, NULL, out, &no, 1) == MX_OK && no == 1);
    int64_t total = out[0] ? mx_array_size(out[0]) : 0, per = total / B;
    double *got = malloc(sizeof(double) * (size_t)(total + 1)), want[64];
    CHECK(out[0] && mx_array_shape(out[0])[0] == B && per <= 64);
    if (out[0] && per <= 64 && t_read(out[0], got, total) == total) {
        for (int64_t bi = 0; bi < B; bi++) {
            mx_array *a[3], *o[1] = {NULL};
            for (int k = 0; k < 3; k++) a[k] = take_at(in[k], c->ax[k], bi);
            int k1;
            f_norm3((void *)c, a, 3, o, &k1, 1);
            CHECK(o[0] && mx_array_size(o[0]) == per && t_read(o[0], want, per) == per);
            for (int64_t i = 0; o[0] && i < per; i++)
                CHECK_CLOSE(got[bi * per + i], want[i], T_TOL(1e-12, 2e-6), T_TOL(1e-12, 2e-6));
            for (int k = 0; k < 3; k++) mx_array_release(a[k]);
            mx_array_release(o[0]);
        }
    }
    free(got);
    for (int k = 0; k < 3; k++) mx_array_release(in[k]);
    mx_array_release(out[0]);
}

TEST(vmap_matches_loop) {
    const vcase cases[] = {
        {1, 1, 1, {0, -1, -1}, {4, 3, 5}, 3},  /* x mapped on axis 0 */
        {1, 1, 1, {2, -1, -1}, {3, 5, 4}, 3},  /* x mapped on its last axis */
        {1, 1, 1, {0, 0, 1}, {4, 3, 5}, 3},    /* everything mapped */
        {1, 1, 0, {-1, 0, -1}, {3, 5, 0}, 2},  /* only the weight mapped */
        {1, 1, 1, {-1, -1, 0}, {3, 5, 0}, 2},  /* only the bias mapped */
        {1, 0, 1, {1, -1, 1}, {3, 4, 5}, 3},   /* no weight, bias mapped */
        {0, 1, 0, {1, 1, -1}, {3, 4, 5}, 3},   /* rms: x and weight mapped */
        {0, 0, 0, {0, -1, -1}, {4, 5, 0}, 2},  /* rms: 1-D examples */
    };
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_vmap(&cases[i]);
        t_pass_end(pass);
    }
}

/* ---- the GPU against the CPU ---- */
static void gpu_case(int layer, mx_dtype dt, int64_t rows, int64_t n, int variant) {
    int64_t total = rows * n;
    double *xv = malloc(sizeof(double) * (size_t)(total + 8));
    double *g = malloc(sizeof(double) * (size_t)(total + 1)),
           *c = malloc(sizeof(double) * (size_t)(total + 1));
    double *wv = malloc(sizeof(double) * (size_t)(2 * n + 2));
    uint32_t st = (uint32_t)(n + rows + variant);
    for (int64_t i = 0; i < total + 8; i++) xv[i] = urand(&st) * 3 + (layer ? 1 : 0);
    for (int64_t i = 0; i < 2 * n + 2; i++) wv[i] = urand(&st) + 0.5;
    mx_scope sc = mx_scope_begin();
    int64_t sh[2] = {rows, n}, two = 2 * n;
    mx_array *x, *w, *b;
    if (variant == 1) { /* row-contiguous but 1 element off the allocation: unaligned rows */
        int64_t all = total + 1, one = 1, end = total + 1;
        x = mx_reshape(mx_slice(t_array(xv, &all, 1, dt), &one, &end, NULL, T_CPU), sh, 2, T_CPU);
    } else if (variant == 2) { /* transposed */
        int64_t tsh[2] = {n, rows};
        x = mx_transpose(t_array(xv, tsh, 2, dt), NULL, 0, T_CPU);
    } else {
        x = t_array(xv, sh, 2, dt);
    }
    if (variant == 3) { /* strided weight and bias */
        int64_t s0 = 0, step = 2;
        w = mx_slice(t_array(wv, &two, 1, dt), &s0, &two, &step, T_CPU);
        b = mx_slice(t_array(wv + 1, &two, 1, dt), &s0, &two, &step, T_CPU);
    } else {
        w = t_array(wv, &n, 1, dt);
        b = t_array(wv + n, &n, 1, dt);
    }
    for (int m = 0; m < 3; m++) { /* weight and bias, weight only, neither */
        mx_array *wm = m < 2 ? w : NULL, *bm = m == 0 && layer ? b : NULL;
        mx_array *yg = norm_call(layer, x, wm, bm, EPS, T_GPU);
        mx_array *yc = norm_call(layer, x, wm, bm, EPS, T_CPU);
        if (t_read(yg, g, total) != total || t_read(yc, c, total) != total) {
            T_FAIL("gpu case %s n %lld failed [%s]", mx_dtype_name(dt), (long long)n,
                   mx_error_message());
            break;
        }
        double rt = dt == MX_FLOAT32 ? 2e-6 : dt == MX_FLOAT16 ? 2e-3 : 1.6e-2;
        int bad = 0;
        for (int64_t i = 0; i < total && bad < 3; i++)
            if (!(fabs(g[i] - c[i]) <= rt * (1 + fabs(c[i])))) {
                bad++;
                T_FAIL("%s %s rows %lld n %lld variant %d mode %d: gpu[%lld] %.9g, cpu %.9g",
                       layer ? "layer_norm" : "rms_norm", mx_dtype_name(dt), (long long)rows,
                       (long long)n, variant, m, (long long)i, g[i], c[i]);
            }
    }
    mx_scope_end(sc, NULL);
    free(xv), free(g), free(c), free(wv);
}

TEST(gpu_matches_cpu) {
    if (!t_has_gpu()) return;
    const int64_t ns[] = {1, 7, 32, 128, 512, 1000, 1024, 4096, 4099, 8192, 40000};
    const mx_dtype dts[3] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16};
    for (int layer = 0; layer < 2; layer++)
        for (int d = 0; d < 3; d++)
            for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++)
                for (int v = 0; v < 4; v++)
                    gpu_case(layer, dts[d], ns[k] >= 4096 ? 3 : 37, ns[k], v);
}
