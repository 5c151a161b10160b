/* tests/c/test_grad.c: vjp / jvp / value_and_grad against central finite differences in float64
 * (on the CPU: the GPU has no float64) and the same derivatives in float32 on the default device
 * against the float64 ones, the consistency <vjp(u), v> = <u, jvp(v)>, second derivatives, and
 * the error cases. */
#define FAMILY "grad"
#include <stdlib.h>

#include "harness.h"

#define S MX_DEFAULT_STREAM
#define N 5

typedef mx_array *(*un_fn)(mx_array *, mx_stream);
typedef mx_array *(*bin_fn)(mx_array *, mx_array *, mx_stream);

/* closures over a unary or binary op */
static mx_status call_un(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)n, (void)max;
    out[0] = ((un_fn)ctx)(in[0], S);
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}
static mx_status call_bin(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)n, (void)max;
    out[0] = ((bin_fn)ctx)(in[0], in[1], S);
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}

static const struct {
    const char *name;
    un_fn f;
    double lo, hi;
} un[] = {
    {"abs", mx_abs, 0.2, 2},    {"negative", mx_negative, -2, 2}, {"square", mx_square, -2, 2},
    {"sqrt", mx_sqrt, 0.5, 3},  {"rsqrt", mx_rsqrt, 0.5, 3},      {"reciprocal", mx_reciprocal, 0.5, 3},
    {"exp", mx_exp, -1, 1},     {"expm1", mx_expm1, -1, 1},       {"erf", mx_erf, -1, 1},
    {"erfinv", mx_erfinv, -0.8, 0.8}, {"sin", mx_sin, -2, 2},    {"cos", mx_cos, -2, 2},
    {"tan", mx_tan, -1, 1},     {"arcsin", mx_arcsin, -0.8, 0.8}, {"arccos", mx_arccos, -0.8, 0.8},
    {"arctan", mx_arctan, -2, 2}, {"sinh", mx_sinh, -2, 2},      {"cosh", mx_cosh, -2, 2},
    {"tanh", mx_tanh, -2, 2},   {"arcsinh", mx_arcsinh, -2, 2},   {"arccosh", mx_arccosh, 1.2, 3},
    {"arctanh", mx_arctanh, -0.8, 0.8}, {"log", mx_log, 0.5, 3}, {"log2", mx_log2, 0.5, 3},
    {"log10", mx_log10, 0.5, 3}, {"log1p", mx_log1p, -0.5, 2},    {"sigmoid", mx_sigmoid, -3, 3},
};

static const struct {
    const char *name;
    bin_fn f;
} bin[] = {
    {"add", mx_add},         {"subtract", mx_subtract}, {"multiply", mx_multiply},
    {"divide", mx_divide},   {"power", mx_power},       {"arctan2", mx_arctan2},
    {"logaddexp", mx_logaddexp}, {"minimum", mx_minimum}, {"maximum", mx_maximum},
    {"remainder", mx_remainder},
};

/* vectors of the current pass's dtype (t_pass_begin): float64 on the CPU against finite
 * differences, float32 on the default device against the float64 results */
static mx_array *vec(const double *v, int n) {
    int64_t sh[1] = {n};
    return t_array(v, sh, 1, t_dt);
}

TEST(unary_vjp_jvp_vs_finite_differences) {
    for (size_t k = 0; k < sizeof un / sizeof un[0]; k++) {
        double x[N], u[N], tv[N], g[N], j[N], g64[N], j64[N];
        for (int i = 0; i < N; i++) {
            x[i] = un[k].lo + (un[k].hi - un[k].lo) * (i + 0.5) / N;
            u[i] = 1.0 + 0.25 * i;
            tv[i] = 0.5 - 0.2 * i;
        }
        for (int pass = 0; pass < 2; pass++) {
            t_pass_begin(pass);
            mx_array *xa = vec(x, N), *ua = vec(u, N), *ta = vec(tv, N), *out[2], *vj[1], *jv[2];
            int no = 0;
            CHECK(mx_vjp(call_un, (void *)un[k].f, &xa, 1, &ua, 1, out, &no, 2, vj) == MX_OK);
            CHECK(t_read(vj[0], g, N) == N);
            mx_array_release(out[0]);
            CHECK(mx_jvp(call_un, (void *)un[k].f, &xa, 1, &ta, out, &no, 2, jv) == MX_OK);
            CHECK(t_read(jv[0], j, N) == N);
            mx_array_release(out[0]);
            for (int i = 0; i < N && pass == 0; i++) {
                double h = 1e-6, xp[1] = {x[i] + h}, xm[1] = {x[i] - h}, fp = NAN, fm = NAN;
                mx_array *ap = vec(xp, 1), *am = vec(xm, 1);
                mx_array *yp = un[k].f(ap, S), *ym = un[k].f(am, S);
                t_read(yp, &fp, 1);
                t_read(ym, &fm, 1);
                double d = (fp - fm) / (2 * h);
                if (!(fabs(g[i] - u[i] * d) <= 1e-5 * (1 + fabs(u[i] * d))) ||
                    !(fabs(j[i] - tv[i] * d) <= 1e-5 * (1 + fabs(tv[i] * d))))
                    T_FAIL("d%s at %g: vjp %g jvp %g fd %g", un[k].name, x[i], g[i] / u[i],
                           j[i] / tv[i], d);
                mx_array *arr[4] = {ap, am, yp, ym};
                for (int q = 0; q < 4; q++) mx_array_release(arr[q]);
            }
            for (int i = 0; i < N; i++) {
                if (pass == 0) {
                    g64[i] = g[i], j64[i] = j[i];
                } else if (!(fabs(g[i] - g64[i]) <= T_FD_TOL32 * (1 + fabs(g64[i]))) ||
                           !(fabs(j[i] - j64[i]) <= T_FD_TOL32 * (1 + fabs(j64[i])))) {
                    T_FAIL("d%s (float32) at %g: vjp %.9g jvp %.9g, float64 %.9g %.9g", un[k].name,
                           x[i], g[i], j[i], g64[i], j64[i]);
                }
            }
            mx_array *arr[5] = {xa, ua, ta, vj[0], jv[0]};
            for (int q = 0; q < 5; q++) mx_array_release(arr[q]);
            t_pass_end(pass);
        }
    }
}

TEST(binary_vjp_jvp_vs_finite_differences) {
    double a[N] = {0.7, 1.3, 2.1, 0.4, 1.9}, b[N] = {1.1, 0.6, 1.7, 2.2, 0.9};
    for (size_t k = 0; k < sizeof bin / sizeof bin[0]; k++) {
        double ref[2][2][N]; /* [w][vjp, jvp][i] of the float64 pass */
        for (int pass = 0; pass < 2; pass++) {
            t_pass_begin(pass);
            mx_array *p[2] = {vec(a, N), vec(b, N)};
            double u[N] = {1, -0.5, 0.3, 2, 1.5};
            mx_array *ua = vec(u, N), *out[2], *vj[2], *jv[2];
            int no;
            CHECK(mx_vjp(call_bin, (void *)bin[k].f, p, 2, &ua, 1, out, &no, 2, vj) == MX_OK);
            mx_array_release(out[0]);
            double ga[N], gb[N];
            CHECK(t_read(vj[0], ga, N) == N);
            CHECK(t_read(vj[1], gb, N) == N);
            for (int w = 0; w < 2; w++) { /* jvp along a (w=0) then b (w=1) */
                mx_array *tans[2] = {NULL, NULL};
                tans[w] = mx_ones_like(p[w], MX_DTYPE_AUTO, S);
                CHECK(mx_jvp(call_bin, (void *)bin[k].f, p, 2, tans, out, &no, 2, jv) == MX_OK);
                double jj[N];
                CHECK(t_read(jv[0], jj, N) == N);
                for (int i = 0; i < N; i++) {
                    double gv = w == 0 ? ga[i] : gb[i];
                    if (pass == 1) {
                        if (!(fabs(gv - ref[w][0][i]) <= T_FD_TOL32 * (1 + fabs(ref[w][0][i]))) ||
                            !(fabs(jj[i] - ref[w][1][i]) <= T_FD_TOL32 * (1 + fabs(ref[w][1][i]))))
                            T_FAIL("%s (float32) d/d%c at (%g, %g): jvp %.9g vjp %.9g, float64 %.9g %.9g",
                                   bin[k].name, w ? 'b' : 'a', a[i], b[i], jj[i], gv,
                                   ref[w][1][i], ref[w][0][i]);
                        continue;
                    }
                    ref[w][0][i] = gv, ref[w][1][i] = jj[i];
                    double h = 1e-6, ap[1] = {a[i] + (w == 0) * h}, am[1] = {a[i] - (w == 0) * h};
                    double bp[1] = {b[i] + (w == 1) * h}, bm[1] = {b[i] - (w == 1) * h};
                    double fp = NAN, fm = NAN;
                    mx_array *xs[4] = {vec(ap, 1), vec(bp, 1), vec(am, 1), vec(bm, 1)};
                    mx_array *yp = bin[k].f(xs[0], xs[1], S), *ym = bin[k].f(xs[2], xs[3], S);
                    t_read(yp, &fp, 1);
                    t_read(ym, &fm, 1);
                    double d = (fp - fm) / (2 * h);
                    if (!(fabs(jj[i] - d) <= 1e-5 * (1 + fabs(d))) ||
                        !(fabs(gv - u[i] * d) <= 1e-5 * (1 + fabs(u[i] * d))))
                        T_FAIL("%s d/d%c at (%g, %g): jvp %g vjp %g fd %g", bin[k].name,
                               w ? 'b' : 'a', a[i], b[i], jj[i], gv / u[i], d);
                    for (int q = 0; q < 4; q++) mx_array_release(xs[q]);
                    mx_array_release(yp);
                    mx_array_release(ym);
                }
                mx_array_release(out[0]);
                mx_array_release(jv[0]);
                mx_array_release(tans[w]);
            }
            mx_array *arr[5] = {p[0], p[1], ua, vj[0], vj[1]};
            for (int q = 0; q < 5; q++) mx_array_release(arr[q]);
            t_pass_end(pass);
        }
    }
}

/* f(x, w) = sum(exp(transpose(x)[::-1] * w) + x[0]) with broadcasting: grads through views */
static mx_status composite(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)ctx, (void)n, (void)max;
    mx_scope sc = mx_scope_begin();
    mx_array *t = mx_transpose(in[0], NULL, 0, S); /* (3, 2) */
    int64_t st[2] = {MX_SLICE_NONE, MX_SLICE_NONE}, sp[2] = {-1, 1};
    mx_array *r = mx_slice(t, st, st, sp, S);
    mx_array *e = mx_exp(mx_multiply(r, in[1], S), S); /* w: (2,) broadcasts */
    int64_t s0[2] = {0, 0}, s1[2] = {1, MX_SLICE_NONE};
    mx_array *row = mx_slice(in[0], s0, s1, NULL, S); /* (1, 3) */
    mx_array *tot = mx_add(mx_sum(e, NULL, 0, false, S), mx_sum(row, NULL, 0, false, S), S);
    out[0] = mx_scope_end(sc, tot);
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}

TEST(value_and_grad_through_views) {
    double xv[6] = {0.1, 0.2, 0.3, -0.4, 0.5, -0.6}, wv[2] = {0.7, -1.1};
    double f64 = 0, g64[8] = {0};
    int64_t sx[2] = {2, 3};
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        mx_array *p[2] = {t_array(xv, sx, 2, t_dt), vec(wv, 2)}, *out[2], *g[2];
        int argn[2] = {0, 1}, no;
        CHECK(mx_value_and_grad(composite, NULL, p, 2, argn, 2, out, &no, 2, g) == MX_OK);
        double f0 = NAN, gg[8] = {NAN};
        CHECK(mx_array_item_f64(out[0], &f0) == MX_OK);
        CHECK(mx_array_dtype(g[0]) == t_dt && mx_array_dtype(g[1]) == t_dt);
        CHECK(t_read(g[0], gg, 6) == 6);
        CHECK(t_read(g[1], gg + 6, 2) == 2);
        if (pass == 1) {
            CHECK_CLOSE(f0, f64, 1e-6, 1e-6);
            for (int i = 0; i < 8; i++) CHECK_CLOSE(gg[i], g64[i], T_FD_TOL32, T_FD_TOL32);
        }
        for (int w = 0; w < 2 && pass == 0; w++) {
            int m = w == 0 ? 6 : 2;
            for (int i = 0; i < m; i++) {
                double h = 1e-6, fp = NAN, fm = NAN, xc[6], wc[2];
                memcpy(xc, xv, sizeof xc);
                memcpy(wc, wv, sizeof wc);
                double *v = w == 0 ? xc : wc;
                v[i] += h;
                mx_array *pp[2] = {t_f64(xc, sx, 2), vec(wc, 2)}, *o[1];
                int k;
                CHECK(composite(NULL, pp, 2, o, &k, 1) == MX_OK);
                CHECK(mx_array_item_f64(o[0], &fp) == MX_OK);
                mx_array_release(o[0]);
                v[i] -= 2 * h;
                mx_array *pm[2] = {t_f64(xc, sx, 2), vec(wc, 2)};
                CHECK(composite(NULL, pm, 2, o, &k, 1) == MX_OK);
                CHECK(mx_array_item_f64(o[0], &fm) == MX_OK);
                mx_array_release(o[0]);
                CHECK_CLOSE(gg[w * 6 + i], (fp - fm) / (2 * h), 1e-6, 1e-6);
                for (int q = 0; q < 2; q++) {
                    mx_array_release(pp[q]);
                    mx_array_release(pm[q]);
                }
            }
            f64 = f0;
            memcpy(g64, gg, sizeof gg);
        }
        mx_array *arr[5] = {p[0], p[1], out[0], g[0], g[1]};
        for (int q = 0; q < 5; q++) mx_array_release(arr[q]);
        t_pass_end(pass);
    }
}

/* second derivative: d/dx (d/dx sin x) = -sin x */
static mx_status dsin(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)ctx, (void)n, (void)max;
    mx_array *o[1], *g[1];
    int k;
    mx_status st = mx_value_and_grad(call_un, (void *)mx_sin, in, 1, NULL, 0, o, &k, 1, g);
    if (st != MX_OK) return st;
    mx_array_release(o[0]);
    out[0] = g[0];
    *n_out = 1;
    return MX_OK;
}

TEST(grad_of_grad) {
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        double x = 0.8, tol = pass ? 1e-6 : 1e-12;
        mx_array *xa = vec(&x, 1), *xs = mx_reshape(xa, NULL, 0, S); /* scalar */
        mx_array *o[1] = {NULL}, *g[1] = {NULL};
        int k;
        CHECK(mx_value_and_grad(dsin, NULL, &xs, 1, NULL, 0, o, &k, 1, g) == MX_OK);
        double d1 = NAN, d2 = NAN;
        CHECK(mx_array_item_f64(o[0], &d1) == MX_OK);
        CHECK(mx_array_item_f64(g[0], &d2) == MX_OK);
        CHECK(mx_array_dtype(g[0]) == t_dt);
        CHECK_CLOSE(d1, cos(0.8), tol, tol);
        CHECK_CLOSE(d2, -sin(0.8), tol, tol);
        mx_array *arr[4] = {xa, xs, o[0], g[0]};
        for (int q = 0; q < 4; q++) mx_array_release(arr[q]);
        t_pass_end(pass);
    }
}

TEST(errors_and_zero_grads) {
    double x[3] = {1.5, 2, 3.25};
    int64_t sh[1] = {3};
    mx_array *xa = t_array(x, sh, 1, MX_FLOAT32), *o[2], *g[1];
    int k;
    CHECK_ERR(mx_value_and_grad(call_un, (void *)mx_exp, &xa, 1, NULL, 0, o, &k, 2, g), MX_ERR_VALUE,
              "value_and_grad");
    mx_array *c2 = mx_ones_like(xa, MX_DTYPE_AUTO, S);
    mx_array *cots[2] = {c2, c2};
    CHECK_ERR(mx_vjp(call_un, (void *)mx_exp, &xa, 1, cots, 2, o, &k, 2, g), MX_ERR_VALUE, "vjp");
    /* floor and stop_gradient have zero derivatives (and the forward values are right) */
    CHECK(mx_vjp(call_un, (void *)mx_floor, &xa, 1, &c2, 1, o, &k, 2, g) == MX_OK);
    double gv[3] = {NAN, NAN, NAN}, ov[3] = {NAN, NAN, NAN};
    CHECK(t_read(g[0], gv, 3) == 3 && t_read(o[0], ov, 3) == 3);
    CHECK(gv[0] == 0 && gv[1] == 0 && gv[2] == 0);
    CHECK(ov[0] == 1 && ov[1] == 2 && ov[2] == 3);
    mx_array_release(o[0]);
    mx_array_release(g[0]);
    CHECK(mx_vjp(call_un, (void *)mx_stop_gradient, &xa, 1, &c2, 1, o, &k, 2, g) == MX_OK);
    gv[0] = gv[1] = gv[2] = NAN;
    CHECK(t_read(g[0], gv, 3) == 3);
    CHECK(gv[0] == 0 && gv[1] == 0 && gv[2] == 0 && mx_array_dtype(g[0]) == MX_FLOAT32);
    mx_array_release(o[0]);
    mx_array_release(g[0]);
    mx_array_release(c2);
    mx_array_release(xa);
}

TEST(repeated_grads_do_not_grow_memory) {
    double x[64];
    for (int i = 0; i < 64; i++) x[i] = i * 0.01;
    int64_t sh[1] = {64};
    mx_array *xa = t_array(x, sh, 1, MX_FLOAT32), *c = mx_ones_like(xa, MX_DTYPE_AUTO, S);
    size_t base = 0;
    for (int it = 0; it < 20; it++) {
        mx_array *o[1], *g[1];
        int k;
        CHECK(mx_vjp(call_un, (void *)mx_tanh, &xa, 1, &c, 1, o, &k, 1, g) == MX_OK);
        CHECK(mx_eval(g, 1) == MX_OK);
        if (it == 19) { /* d tanh = 1 - tanh^2 */
            double gv[64];
            CHECK(t_read(g[0], gv, 64) == 64);
            for (int i = 0; i < 64; i += 9) CHECK_CLOSE(gv[i], 1 - tanh(x[i]) * tanh(x[i]), 1e-6, 1e-5);
        }
        mx_array_release(o[0]);
        mx_array_release(g[0]);
        if (it == 2) base = mx_get_active_memory();
        if (it > 2) CHECK(mx_get_active_memory() <= base);
    }
    mx_array_release(xa);
    mx_array_release(c);
}

/* ---- one-input functions against finite differences: the harness's t_check_fd ---- */
#define check_fd(name, f, x, shape, nd) t_check_fd(name, f, x, shape, nd, 1e-5)

static mx_array *f_sum1(mx_array *x) { int ax = 1; return mx_sum(x, &ax, 1, false, S); }
static mx_array *f_mean0(mx_array *x) { int ax = 0; return mx_mean(x, &ax, 1, true, S); }
static mx_array *f_prod(mx_array *x) { int ax = 1; return mx_prod(x, &ax, 1, false, S); }
static mx_array *f_prod_all(mx_array *x) { return mx_prod(x, NULL, 0, false, S); }
static mx_array *f_max(mx_array *x) { int ax = 0; return mx_max(x, &ax, 1, false, S); }
static mx_array *f_min(mx_array *x) { return mx_min(x, NULL, 0, false, S); }
static mx_array *f_cumsum(mx_array *x) { return mx_cumsum(x, 1, false, false, true, S); }
static mx_array *f_cumsum_rx(mx_array *x) { return mx_cumsum(x, 0, false, true, false, S); }
static mx_array *f_cumprod(mx_array *x) { return mx_cumprod(x, 1, false, false, true, S); }
static mx_array *f_lcse(mx_array *x) { return mx_logcumsumexp(x, 1, false, true, true, S); }
static mx_array *f_softmax(mx_array *x) { int ax = -1; return mx_softmax(x, &ax, 1, false, S); }
static mx_array *f_lse(mx_array *x) { int ax = 1; return mx_logsumexp(x, &ax, 1, false, S); }
static mx_array *f_var(mx_array *x) { int ax = 1; return mx_var(x, &ax, 1, false, 1, S); }

TEST(reductions_scans_softmax_vs_finite_differences) {
    double x[12] = {0.5, -1.2, 0.8, 2.0, 0.3, -0.7, 1.1, 0.9, -0.4, 1.6, -2.1, 0.2};
    double xz[12] = {0.5, 0.0, 0.8, 2.0, 0.3, -0.7, 1.1, 0.9, -0.4, 1.6, -2.1, 0.2};
    int64_t sh[2] = {3, 4};
    check_fd("sum", f_sum1, x, sh, 2);
    check_fd("mean", f_mean0, x, sh, 2);
    check_fd("prod", f_prod, x, sh, 2);
    check_fd("prod with a zero", f_prod_all, xz, sh, 2);
    check_fd("max", f_max, x, sh, 2);
    check_fd("min", f_min, x, sh, 2);
    check_fd("cumsum", f_cumsum, x, sh, 2);
    check_fd("cumsum reverse exclusive", f_cumsum_rx, x, sh, 2);
    check_fd("cumprod", f_cumprod, x, sh, 2);
    check_fd("logcumsumexp", f_lcse, x, sh, 2);
    check_fd("softmax", f_softmax, x, sh, 2);
    check_fd("logsumexp", f_lse, x, sh, 2);
    check_fd("var", f_var, x, sh, 2);
}
