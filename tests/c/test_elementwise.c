/* tests/c/test_elementwise.c: every unary and binary op against an independent double-precision
 * reference written here (not the kernel's expression), over float32, float64, float16 and
 * integer dtypes, contiguous and strided inputs; integer edge semantics; dtype rules; errors.
 * float64 runs on the CPU (T_CPU; the GPU refuses it, which is checked when there is one), the
 * other dtypes on the default device. */
#define FAMILY "elementwise"
#include <float.h>
#include <stdlib.h>

#include "harness.h"

#define S MX_DEFAULT_STREAM
#define N 37

typedef mx_array *(*un_fn)(mx_array *, mx_stream);
typedef mx_array *(*bin_fn)(mx_array *, mx_array *, mx_stream);

static double r_sign(double x) { return x > 0 ? 1 : (x < 0 ? -1 : x); }
static double r_rsqrt(double x) { return 1 / sqrt(x); }
static double r_recip(double x) { return 1 / x; }
static double r_square(double x) { return x * x; }
static double r_neg(double x) { return -x; }
static double r_sigmoid(double x) { return 1 / (1 + exp(-x)); }
static double r_erfinv(double y) { /* bisection on erf: independent of the kernel's method */
    double lo = -6, hi = 6;
    for (int i = 0; i < 200; i++) {
        double m = (lo + hi) / 2;
        if (erf(m) < y) lo = m;
        else hi = m;
    }
    return (lo + hi) / 2;
}
static double r_round(double x) { return nearbyint(x); }

static const struct {
    const char *name;
    un_fn       f;
    double    (*ref)(double);
    double      lo, hi; /* input domain */
} unary_cases[] = {
    {"abs", mx_abs, fabs, -5, 5},          {"sign", mx_sign, r_sign, -3, 3},
    {"negative", mx_negative, r_neg, -5, 5}, {"square", mx_square, r_square, -5, 5},
    {"sqrt", mx_sqrt, sqrt, 0, 9},         {"rsqrt", mx_rsqrt, r_rsqrt, 0.1, 9},
    {"reciprocal", mx_reciprocal, r_recip, 0.5, 4}, {"exp", mx_exp, exp, -5, 5},
    {"expm1", mx_expm1, expm1, -1, 1},     {"erf", mx_erf, erf, -3, 3},
    {"erfinv", mx_erfinv, r_erfinv, -0.99, 0.99}, {"sin", mx_sin, sin, -4, 4},
    {"cos", mx_cos, cos, -4, 4},           {"tan", mx_tan, tan, -1.2, 1.2},
    {"arcsin", mx_arcsin, asin, -1, 1},    {"arccos", mx_arccos, acos, -1, 1},
    {"arctan", mx_arctan, atan, -5, 5},    {"sinh", mx_sinh, sinh, -3, 3},
    {"cosh", mx_cosh, cosh, -3, 3},        {"tanh", mx_tanh, tanh, -3, 3},
    {"arcsinh", mx_arcsinh, asinh, -5, 5}, {"arccosh", mx_arccosh, acosh, 1, 6},
    {"arctanh", mx_arctanh, atanh, -0.95, 0.95}, {"log", mx_log, log, 0.1, 10},
    {"log2", mx_log2, log2, 0.1, 10},      {"log10", mx_log10, log10, 0.1, 10},
    {"log1p", mx_log1p, log1p, -0.5, 5},   {"sigmoid", mx_sigmoid, r_sigmoid, -8, 8},
    {"floor", mx_floor, floor, -5, 5},     {"ceil", mx_ceil, ceil, -5, 5},
    {"trunc", mx_trunc, trunc, -5, 5},     {"round0", NULL, r_round, -5, 5},
};

static mx_array *round0(mx_array *a, mx_stream s) { return mx_round(a, 0, s); }

/* evaluate op on dtype t over a grid of the domain; compare with the reference */
static void check_unary(int k, mx_dtype t, double atol, double rtol) {
    double x[N];
    for (int i = 0; i < N; i++)
        x[i] = unary_cases[k].lo + (unary_cases[k].hi - unary_cases[k].lo) * i / (N - 1);
    int64_t sh[1] = {N};
    mx_array *xt = t_array(x, sh, 1, t);
    double xr[N], out[N];
    CHECK(t_read(xt, xr, N) == N); /* the values actually representable in t */
    un_fn f = unary_cases[k].f ? unary_cases[k].f : round0;
    mx_array *y = f(xt, t_stream_for(t)); /* float64 on the CPU, the rest on the default device */
    CHECK(y != NULL && mx_array_dtype(y) == t);
    if (t == MX_FLOAT64 && t_has_gpu()) t_check_gpu_refuses_f64(f(xt, T_GPU), unary_cases[k].name);
    CHECK(t_read(y, out, N) == N);
    for (int i = 0; i < N; i++) {
        double want = unary_cases[k].ref(xr[i]);
        if (fabs(out[i] - want) > atol + rtol * fabs(want) && !(isnan(want) && isnan(out[i]))) {
            T_FAIL("%s(%s) at x=%.9g: got %.9g want %.9g", unary_cases[k].name,
                    mx_dtype_name(t), xr[i], out[i], want);
            break;
        }
    }
    mx_array_release(y);
    mx_array_release(xt);
}

TEST(unary_float_dtypes) {
    for (size_t k = 0; k < sizeof unary_cases / sizeof unary_cases[0]; k++) {
        check_unary((int)k, MX_FLOAT64, 1e-12, 1e-12);
        check_unary((int)k, MX_FLOAT32, 1e-5, 2e-6);
        check_unary((int)k, MX_FLOAT16, 2e-3, 2e-3);
        check_unary((int)k, MX_BFLOAT16, 2e-2, 1e-2);
    }
}

TEST(unary_strided_input) {
    /* exp over a transposed, negatively sliced view equals exp of the same values */
    mx_array *a = mx_arange(0, 12, 1, MX_FLOAT32, S);
    int64_t sh[2] = {3, 4};
    mx_array *m = mx_reshape(a, sh, 2, S);
    mx_array *t = mx_transpose(m, NULL, 0, S); /* (4, 3) */
    int64_t st[2] = {MX_SLICE_NONE, MX_SLICE_NONE}, sp[2] = {-1, 2};
    mx_array *v = mx_slice(t, st, st, sp, S); /* t[::-1, ::2] -> (4, 2) */
    mx_array *e = mx_exp(v, S);
    double out[8];
    CHECK(t_read(e, out, 8) == 8);
    int n = 0;
    for (int i = 3; i >= 0; i--)
        for (int j = 0; j < 3; j += 2) CHECK_CLOSE(out[n++], exp((double)(j * 4 + i)), 0, 1e-6);
    mx_array *arr[5] = {a, m, t, v, e};
    for (int i = 0; i < 5; i++) mx_array_release(arr[i]);
}

TEST(unary_dtype_rules) {
    int32_t iv[4] = {-2, -1, 0, 3};
    int64_t sh[1] = {4};
    mx_array *a = t_i32(iv, sh, 1);
    mx_array *e = mx_exp(a, S), *ab = mx_abs(a, S), *fl = mx_floor(a, S), *nn = mx_isnan(a, S);
    CHECK(mx_array_dtype(e) == MX_FLOAT32);
    CHECK(mx_array_dtype(ab) == MX_INT32);
    CHECK(mx_array_dtype(fl) == MX_INT32);
    CHECK(mx_array_dtype(nn) == MX_BOOL);
    double out[4];
    t_read(ab, out, 4);
    CHECK(out[0] == 2 && out[3] == 3);
    mx_array *c = mx_array_scalar_c64(3, 4);
    mx_array *ac = mx_abs(c, S);
    double v;
    CHECK(mx_array_dtype(ac) == MX_FLOAT32 && mx_array_item_f64(ac, &v) == MX_OK && v == 5);
    CHECK_ERR(mx_floor(c, S), MX_ERR_VALUE, "floor");
    mx_array *f = mx_array_scalar_f64(1.5, MX_FLOAT32);
    CHECK_ERR(mx_bitwise_invert(f, S), MX_ERR_VALUE, "bitwise_invert");
    CHECK_ERR(mx_exp(NULL, S), MX_ERR_VALUE, "exp");
    mx_array *arr[8] = {a, e, ab, fl, nn, c, ac, f};
    for (int i = 0; i < 8; i++) mx_array_release(arr[i]);
}

/* ---- binary ---- */
static double r_add(double a, double b) { return a + b; }
static double r_sub(double a, double b) { return a - b; }
static double r_mul(double a, double b) { return a * b; }
static double r_div(double a, double b) { return a / b; }
static double r_fdiv(double a, double b) { return floor(a / b); }
static double r_rem(double a, double b) {
    double r = fmod(a, b);
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
static double r_lae(double a, double b) { return log(exp(a) + exp(b)); }
static double r_min(double a, double b) { return a < b ? a : b; }
static double r_max(double a, double b) { return a > b ? a : b; }
static double r_lt(double a, double b) { return a < b; }
static double r_ge(double a, double b) { return a >= b; }
static double r_eq(double a, double b) { return a == b; }

static const struct {
    const char *name;
    bin_fn      f;
    double    (*ref)(double, double);
    int         is_cmp;
} binary_cases[] = {
    {"add", mx_add, r_add, 0},          {"subtract", mx_subtract, r_sub, 0},
    {"multiply", mx_multiply, r_mul, 0}, {"divide", mx_divide, r_div, 0},
    {"floor_divide", mx_floor_divide, r_fdiv, 0}, {"remainder", mx_remainder, r_rem, 0},
    {"power", mx_power, pow, 0},        {"arctan2", mx_arctan2, atan2, 0},
    {"logaddexp", mx_logaddexp, r_lae, 0}, {"minimum", mx_minimum, r_min, 0},
    {"maximum", mx_maximum, r_max, 0},  {"less", mx_less, r_lt, 1},
    {"greater_equal", mx_greater_equal, r_ge, 1}, {"equal", mx_equal, r_eq, 1},
};

TEST(binary_float_broadcast) {
    /* a: (3, 1) in [0.5, 3], b: (4,) in [-2, 2.5] -> (3, 4) */
    double av[3] = {0.5, 1.75, 3}, bv[4] = {-2, -0.5, 1, 2.5};
    int64_t s31[2] = {3, 1}, s4[1] = {4};
    mx_dtype types[3] = {MX_FLOAT64, MX_FLOAT32, MX_FLOAT16};
    for (int ti = 0; ti < 3; ti++) {
        mx_array *a = t_array(av, s31, 2, types[ti]), *b = t_array(bv, s4, 1, types[ti]);
        for (size_t k = 0; k < sizeof binary_cases / sizeof binary_cases[0]; k++) {
            mx_array *y = binary_cases[k].f(a, b, t_stream_for(types[ti]));
            if (types[ti] == MX_FLOAT64 && t_has_gpu())
                t_check_gpu_refuses_f64(binary_cases[k].f(a, b, T_GPU), binary_cases[k].name);
            double out[12];
            CHECK(t_read(y, out, 12) == 12);
            CHECK(mx_array_dtype(y) == (binary_cases[k].is_cmp ? MX_BOOL : types[ti]));
            double tol = types[ti] == MX_FLOAT16 ? 4e-3 : types[ti] == MX_FLOAT32 ? 1e-6 : 1e-13;
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 4; j++) {
                    double want = binary_cases[k].ref(av[i], bv[j]);
                    if (fabs(out[i * 4 + j] - want) > tol * (1 + fabs(want))) {
                        T_FAIL("%s(%s) (%g, %g): got %g want %g",
                                binary_cases[k].name, mx_dtype_name(types[ti]), av[i], bv[j],
                                out[i * 4 + j], want);
                    }
                }
            mx_array_release(y);
        }
        mx_array_release(a);
        mx_array_release(b);
    }
}

TEST(integer_semantics) {
    int32_t av[6] = {7, -7, 7, -7, INT32_MIN, 5}, bv[6] = {2, 2, -2, -2, -1, 0};
    int64_t sh[1] = {6};
    mx_array *a = t_i32(av, sh, 1), *b = t_i32(bv, sh, 1);
    mx_array *q = mx_floor_divide(a, b, S), *r = mx_remainder(a, b, S);
    double qo[6], ro[6];
    t_read(q, qo, 6);
    t_read(r, ro, 6);
    double qw[6] = {3, -4, -4, 3, (double)INT32_MIN /* wraps */, 0};
    double rw[6] = {1, 1, -1, -1, 0, 0};
    for (int i = 0; i < 6; i++) {
        CHECK(qo[i] == qw[i]);
        CHECK(ro[i] == rw[i]);
    }
    CHECK(mx_array_dtype(q) == MX_INT32);
    mx_array *d = mx_divide(a, b, S);
    CHECK(mx_array_dtype(d) == MX_FLOAT32);
    /* overflow wraps */
    int32_t big[1] = {INT32_MAX}, one[1] = {1};
    int64_t s1[1] = {1};
    mx_array *x = t_i32(big, s1, 1), *o = t_i32(one, s1, 1);
    mx_array *w = mx_add(x, o, S);
    double wv;
    t_read(w, &wv, 1);
    CHECK(wv == (double)INT32_MIN);
    /* shifts past the width */
    int32_t sv[3] = {1, 1, -8}, shv[3] = {3, 40, 1};
    int64_t s3[1] = {3};
    mx_array *sa = t_i32(sv, s3, 1), *sb = t_i32(shv, s3, 1);
    mx_array *l = mx_left_shift(sa, sb, S), *rr = mx_right_shift(sa, sb, S);
    double lo[3], ro2[3];
    t_read(l, lo, 3);
    t_read(rr, ro2, 3);
    CHECK(lo[0] == 8 && lo[1] == 0 && lo[2] == -16);
    CHECK(ro2[0] == 0 && ro2[1] == 0 && ro2[2] == -4);
    /* integer power */
    int32_t pb[3] = {2, 3, 10};
    mx_array *pe = t_i32(pb, s3, 1);
    mx_array *pw = mx_power(pe, pe, S);
    double po[3];
    t_read(pw, po, 3);
    CHECK(po[0] == 4 && po[1] == 27 && po[2] == (double)(int32_t)10000000000LL);
    mx_array *arr[14] = {a, b, q, r, d, x, o, w, sa, sb, l, rr, pe, pw};
    for (int i = 0; i < 14; i++) mx_array_release(arr[i]);
}

TEST(nan_and_bool) {
    double av[3] = {NAN, 1, 2}, bv[3] = {1, NAN, 1};
    int64_t sh[1] = {3};
    mx_dtype types[2] = {MX_FLOAT32, MX_FLOAT64};
    for (int ti = 0; ti < 2; ti++) {
        mx_stream s = t_stream_for(types[ti]);
        mx_array *a = t_array(av, sh, 1, types[ti]), *b = t_array(bv, sh, 1, types[ti]);
        mx_array *mn = mx_minimum(a, b, s), *mx = mx_maximum(a, b, s);
        double o1[3] = {0}, o2[3] = {0};
        CHECK(t_read(mn, o1, 3) == 3 && t_read(mx, o2, 3) == 3);
        CHECK(isnan(o1[0]) && isnan(o1[1]) && o1[2] == 1);
        CHECK(isnan(o2[0]) && isnan(o2[1]) && o2[2] == 2);
        mx_array *la = mx_logical_and(a, b, s);
        double o3[3] = {0};
        CHECK(mx_array_dtype(la) == MX_BOOL && t_read(la, o3, 3) == 3);
        CHECK(o3[0] == 1 && o3[1] == 1 && o3[2] == 1); /* NaN is true */
        CHECK_ERR(mx_bitwise_and(a, b, s), MX_ERR_VALUE, "bitwise_and");
        int64_t s2[1] = {2};
        mx_array *z2 = mx_zeros(s2, 1, MX_FLOAT32, S);
        CHECK_ERR(mx_multiply(a, z2, s), MX_ERR_VALUE, "multiply");
        mx_array *arr[6] = {a, b, mn, mx, la, z2};
        for (int i = 0; i < 6; i++) mx_array_release(arr[i]);
    }
    mx_array *tb = mx_array_scalar_bool(true);
    mx_array *bb = mx_add(tb, tb, S);
    double o = 0;
    CHECK(mx_array_dtype(bb) == MX_BOOL && t_read(bb, &o, 1) == 1 && o == 1);
    mx_array_release(tb);
    mx_array_release(bb);
}

TEST(where_clip_nan_to_num) {
    double xv[4] = {NAN, INFINITY, -INFINITY, -3};
    int64_t sh[1] = {4};
    mx_dtype types[2] = {MX_FLOAT32, MX_FLOAT64};
    for (int ti = 0; ti < 2; ti++) {
        mx_stream s = t_stream_for(types[ti]);
        double big = types[ti] == MX_FLOAT64 ? DBL_MAX : FLT_MAX;
        mx_array *x = t_array(xv, sh, 1, types[ti]);
        mx_array *y = mx_nan_to_num(x, 0, NAN, NAN, s);
        double o[4] = {1, 0, 0, 0};
        CHECK(mx_array_dtype(y) == types[ti] && t_read(y, o, 4) == 4);
        CHECK(o[0] == 0 && o[1] == big && o[2] == -big && o[3] == -3);
        mx_array *lo = mx_array_scalar_f64(-1, types[ti]), *hi = mx_array_scalar_f64(1, types[ti]);
        mx_array *c = mx_clip(y, lo, hi, s);
        CHECK(t_read(c, o, 4) == 4);
        CHECK(o[0] == 0 && o[1] == 1 && o[2] == -1 && o[3] == -1);
        mx_array *cond = mx_greater(c, lo, s);
        mx_array *w = mx_where(cond, c, hi, s);
        CHECK(t_read(w, o, 4) == 4);
        CHECK(o[0] == 0 && o[1] == 1 && o[2] == 1 && o[3] == 1);
        mx_array *arr[7] = {x, y, lo, hi, c, cond, w};
        for (int i = 0; i < 7; i++) mx_array_release(arr[i]);
    }
}

TEST(astype_conversions) {
    double v[5] = {-1.5, 0, 0.5, 255.75, 1e3};
    int64_t sh[1] = {5};
    /* from float32 on the default device, from float64 on the CPU */
    mx_dtype types[2] = {MX_FLOAT32, MX_FLOAT64};
    for (int ti = 0; ti < 2; ti++) {
        mx_stream s = t_stream_for(types[ti]);
        mx_array *x = t_array(v, sh, 1, types[ti]);
        mx_array *b = mx_astype(x, MX_BOOL, s), *i8 = mx_astype(x, MX_INT32, s);
        mx_array *h = mx_astype(x, MX_FLOAT16, s), *bf = mx_astype(x, MX_BFLOAT16, s);
        mx_array *c = mx_astype(x, MX_COMPLEX64, s);
        double o[5] = {0};
        CHECK(t_read(b, o, 5) == 5);
        CHECK(o[0] == 1 && o[1] == 0 && o[2] == 1);
        CHECK(t_read(i8, o, 5) == 5);
        CHECK(o[0] == -1 && o[3] == 255 && o[4] == 1000);
        CHECK(t_read(h, o, 5) == 5);
        CHECK(o[0] == -1.5 && o[3] == 255.75 && o[4] == 1000);
        CHECK(t_read(bf, o, 5) == 5);
        CHECK(o[0] == -1.5 && o[3] == 256 && o[4] == 1000);
        CHECK(t_read(c, o, 5) == 5);
        CHECK(o[3] == 255.75);
        if (types[ti] == MX_FLOAT64 && t_has_gpu()) {
            t_check_gpu_refuses_f64(mx_astype(x, MX_FLOAT32, T_GPU), "astype from float64");
            t_check_gpu_refuses_f64(mx_astype(h, MX_FLOAT64, T_GPU), "astype to float64");
        }
        mx_array *arr[6] = {x, b, i8, h, bf, c};
        for (int i = 0; i < 6; i++) mx_array_release(arr[i]);
    }
    CHECK(mx_f16_to_f32(mx_f32_to_f16(65520.0f)) == INFINITY);
    CHECK(mx_f16_to_f32(mx_f32_to_f16(5.96e-8f)) > 0);
}

TEST(reversed_1d_operand_is_not_a_scalar) {
    /* regression: a 1-D reversed view next to a dense operand was read as a broadcast scalar */
    double xv[6] = {1, 3, 3, 2, 5, 0}, pv[6] = {-1, 0, 5, 5, 5, 5};
    int64_t sh[1] = {6}, st[1] = {MX_SLICE_NONE}, sp[1] = {-1};
    mx_dtype types[2] = {MX_FLOAT32, MX_FLOAT64};
    for (int ti = 0; ti < 2; ti++) {
        mx_stream s = t_stream_for(types[ti]);
        mx_array *x = t_array(xv, sh, 1, types[ti]), *p = t_array(pv, sh, 1, types[ti]);
        mx_array *r = mx_slice(x, st, st, sp, s);
        mx_array *d = mx_subtract(r, p, s), *g = mx_greater(p, r, s);
        double o[6], q[6];
        CHECK(t_read(d, o, 6) == 6 && t_read(g, q, 6) == 6);
        for (int i = 0; i < 6; i++) {
            CHECK(o[i] == xv[5 - i] - pv[i]);
            CHECK(q[i] == (pv[i] > xv[5 - i]));
        }
        mx_array *arr[5] = {x, p, r, d, g};
        for (int i = 0; i < 5; i++) mx_array_release(arr[i]);
    }
}
