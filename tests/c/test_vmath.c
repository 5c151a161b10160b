/* tests/c/test_vmath.c: the vectorisable float32 functions of src/backend/cpu/vmath.h.
 * Each function is compared with double-precision libm, rounded to float, over every 257th
 * float32 bit pattern (16.7M values across the whole range, both signs, subnormals, inf, NaN) and
 * must stay within its ulp bound; special values are checked bit-exactly. The element-wise ops
 * (mx_exp, mx_log, ...) are then checked to run those same functions for float32 on the CPU
 * (contiguous and strided), to stay within the bounds on the GPU, to round correctly into
 * float16/bfloat16 (on the default device), and to keep libm for float64 (on the CPU). */
#define FAMILY "vmath"
#include <float.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../src/backend/cpu/vmath.h"
#include "harness.h"

#define S MX_DEFAULT_STREAM

typedef float (*vf_fn)(float);
typedef mx_array *(*op_fn)(mx_array *, mx_stream);

static double r_sigmoid(double x) { return 1 / (1 + exp(-x)); }

static const struct {
    const char *name;
    vf_fn       f;
    double    (*ref)(double);
    op_fn       op;
    double      bound; /* ulp */
} cases[] = {
    {"exp", mx_vexpf, exp, mx_exp, 1.0},
    {"expm1", mx_vexpm1f, expm1, mx_expm1, 2.0},
    {"log", mx_vlogf, log, mx_log, 1.0},
    {"log2", mx_vlog2f, log2, mx_log2, 1.0},
    {"log10", mx_vlog10f, log10, mx_log10, 1.0},
    {"log1p", mx_vlog1pf, log1p, mx_log1p, 1.5},
    {"sigmoid", mx_vsigmoidf, r_sigmoid, mx_sigmoid, 3.0},
    {"tanh", mx_vtanhf, tanh, mx_tanh, 2.0},
    {"sin", mx_vsinf, sin, mx_sin, 1.0},
    {"cos", mx_vcosf, cos, mx_cos, 1.0},
};
#define NCASES (int)(sizeof cases / sizeof cases[0])

static float bits_f(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static uint32_t f_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* error of got in units of the last place of the exact value want (float32 ulps; the subnormal
 * ulp 2^-149 below 2^-126). Results beyond the float range must equal want rounded (+-inf);
 * NaN must match NaN. A mismatch of kind counts as 1e9. */
static double ulp_err(float got, double want) {
    if (isnan(want)) return isnan(got) ? 0 : 1e9;
    if (isnan(got)) return 1e9;
    float wr = (float)want;
    if (isinf(wr) || isinf(got)) return got == wr ? 0 : 1e9;
    int e;
    frexp(fabs(want), &e); /* |want| in [2^(e-1), 2^e) */
    double ulp = ldexp(1.0, e - 1 - 23);
    if (ulp < 0x1p-149) ulp = 0x1p-149;
    return fabs((double)got - want) / ulp;
}

TEST(sweep_ulp) {
    static float xs[4096], ys[4096];
    const uint64_t step = 257;
    for (int k = 0; k < NCASES; k++) {
        double worst = 0;
        float worst_x = 0;
        int64_t count = 0;
        for (uint64_t b = 0; b < (1ull << 32); b += step * 4096) {
            int n = 0;
            for (uint64_t i = b; i < b + step * 4096 && i < (1ull << 32); i += step)
                xs[n++] = bits_f((uint32_t)i);
            for (int i = 0; i < n; i++) ys[i] = cases[k].f(xs[i]); /* the vectorised loop */
            for (int i = 0; i < n; i++) {
                double err = ulp_err(ys[i], cases[k].ref((double)xs[i]));
                if (err > worst) {
                    worst = err;
                    worst_x = xs[i];
                }
            }
            count += n;
        }
        printf("  vmath %-8s max %.3f ulp over %lld values (bound %.1f, worst x = %a)\n",
               cases[k].name, worst, (long long)count, cases[k].bound, (double)worst_x);
        if (worst > cases[k].bound) {
            T_FAIL("%s: %.3f ulp at x = %a: got %a want %a", cases[k].name,
                    worst, (double)worst_x, (double)cases[k].f(worst_x),
                    cases[k].ref((double)worst_x));
        }
    }
}

/* the same value bit for bit (NaN: any NaN) */
#define CHECK_SAME(got, want)                                                                      \
    do {                                                                                           \
        float g_ = (got), w_ = (want);                                                             \
        if (!((isnan(g_) && isnan(w_)) || f_bits(g_) == f_bits(w_)))                               \
            T_FAIL("%s:%d: %s = %a, expected %a", __FILE__, __LINE__, #got, (double)g_,           \
                   (double)w_);                                                                    \
    } while (0)

TEST(special_values) {
    const float inf = INFINITY, nan = NAN, tiny = 0x1p-149f, big = FLT_MAX;
    CHECK_SAME(mx_vexpf(0.0f), 1.0f);
    CHECK_SAME(mx_vexpf(-0.0f), 1.0f);
    CHECK_SAME(mx_vexpf(inf), inf);
    CHECK_SAME(mx_vexpf(-inf), 0.0f);
    CHECK_SAME(mx_vexpf(nan), nan);
    CHECK_SAME(mx_vexpf(88.8f), inf);   /* overflow */
    CHECK_SAME(mx_vexpf(big), inf);
    CHECK_SAME(mx_vexpf(-104.0f), 0.0f); /* underflow */
    CHECK_SAME(mx_vexpf(-big), 0.0f);
    CHECK(mx_vexpf(-103.0f) > 0 && mx_vexpf(-103.0f) < FLT_MIN); /* subnormal result */
    CHECK_SAME(mx_vexpf(1.0f), (float)M_E);

    CHECK_SAME(mx_vexpm1f(0.0f), 0.0f);
    CHECK_SAME(mx_vexpm1f(-0.0f), -0.0f);
    CHECK_SAME(mx_vexpm1f(tiny), tiny);
    CHECK_SAME(mx_vexpm1f(-tiny), -tiny);
    CHECK_SAME(mx_vexpm1f(inf), inf);
    CHECK_SAME(mx_vexpm1f(-inf), -1.0f);
    CHECK_SAME(mx_vexpm1f(-50.0f), -1.0f);
    CHECK_SAME(mx_vexpm1f(89.0f), inf);
    CHECK_SAME(mx_vexpm1f(nan), nan);

    vf_fn logs[4] = {mx_vlogf, mx_vlog2f, mx_vlog10f, mx_vlog1pf};
    for (int i = 0; i < 3; i++) {
        CHECK_SAME(logs[i](0.0f), -inf);
        CHECK_SAME(logs[i](-0.0f), -inf);
        CHECK_SAME(logs[i](1.0f), 0.0f);
        CHECK_SAME(logs[i](inf), inf);
        CHECK(isnan(logs[i](-1.0f)) && isnan(logs[i](-tiny)) && isnan(logs[i](-inf)));
        CHECK(isnan(logs[i](nan)));
        CHECK(isfinite(logs[i](tiny)) && logs[i](tiny) < 0);
    }
    CHECK_SAME(mx_vlogf(tiny), (float)log(0x1p-149));
    CHECK_SAME(mx_vlog2f(tiny), -149.0f);
    CHECK_SAME(mx_vlog2f(0x1p100f), 100.0f);
    CHECK_SAME(mx_vlog10f(1000.0f), 3.0f);
    CHECK_SAME(mx_vlog1pf(0.0f), 0.0f);
    CHECK_SAME(mx_vlog1pf(-0.0f), -0.0f);
    CHECK_SAME(mx_vlog1pf(-tiny), -tiny);
    CHECK_SAME(mx_vlog1pf(-1.0f), -inf);
    CHECK(isnan(mx_vlog1pf(-1.5f)) && isnan(mx_vlog1pf(-inf)) && isnan(mx_vlog1pf(nan)));
    CHECK_SAME(mx_vlog1pf(inf), inf);

    CHECK_SAME(mx_vsigmoidf(0.0f), 0.5f);
    CHECK_SAME(mx_vsigmoidf(inf), 1.0f);
    CHECK_SAME(mx_vsigmoidf(-inf), 0.0f);
    CHECK_SAME(mx_vsigmoidf(100.0f), 1.0f);
    CHECK_SAME(mx_vsigmoidf(-200.0f), 0.0f);
    CHECK(mx_vsigmoidf(-100.0f) > 0 && mx_vsigmoidf(-100.0f) < FLT_MIN); /* e^-100, subnormal */
    CHECK(isnan(mx_vsigmoidf(nan)));

    CHECK_SAME(mx_vtanhf(0.0f), 0.0f);
    CHECK_SAME(mx_vtanhf(-0.0f), -0.0f);
    CHECK_SAME(mx_vtanhf(tiny), tiny);
    CHECK_SAME(mx_vtanhf(inf), 1.0f);
    CHECK_SAME(mx_vtanhf(-inf), -1.0f);
    CHECK_SAME(mx_vtanhf(20.0f), 1.0f);
    CHECK_SAME(mx_vtanhf(-big), -1.0f);
    CHECK(isnan(mx_vtanhf(nan)));

    CHECK_SAME(mx_vsinf(0.0f), 0.0f);
    CHECK_SAME(mx_vsinf(-0.0f), -0.0f);
    CHECK_SAME(mx_vsinf(-tiny), -tiny);
    CHECK_SAME(mx_vcosf(0.0f), 1.0f);
    CHECK_SAME(mx_vcosf(-0.0f), 1.0f);
    CHECK(isnan(mx_vsinf(inf)) && isnan(mx_vsinf(-inf)) && isnan(mx_vsinf(nan)));
    CHECK(isnan(mx_vcosf(inf)) && isnan(mx_vcosf(-inf)) && isnan(mx_vcosf(nan)));
    /* huge arguments need the exact reduction */
    CHECK_SAME(mx_vsinf(big), (float)sin((double)big));
    CHECK_SAME(mx_vcosf(big), (float)cos((double)big));
    CHECK_SAME(mx_vsinf(0x1p120f), (float)sin(0x1p120));
    CHECK_SAME(mx_vsinf(-0x1.fffffep23f), (float)sin(-0x1.fffffep23));
}

/* a float32 vector with every value class: a coarse sweep plus special values */
#define NV 20000
static void fill_values(float *v) {
    const float sp[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, FLT_MAX, -FLT_MAX, FLT_MIN,
                        0x1p-149f, -1.0f, 1.0f, 88.7f, -103.5f, 1e-30f};
    int ns = (int)(sizeof sp / sizeof sp[0]);
    for (int i = 0; i < ns; i++) v[i] = sp[i];
    for (int i = ns; i < NV; i++) v[i] = bits_f((uint32_t)((uint64_t)i * 214749u));
}

/* op(x) (contiguous) and op(x[::-3]) on stream s: bit-equal to vmath (exact != 0), and the
 * strided results within bound + extra ulp of double libm */
static void check_ops_f32(mx_stream s, int exact, double extra) {
    static float  v[NV];
    static double out[NV];
    fill_values(v);
    int64_t sh[1] = {NV};
    mx_array *x = t_f32(v, sh, 1);
    /* a strided view: x[::-3] */
    int64_t st[1] = {MX_SLICE_NONE}, step[1] = {-3};
    mx_array *xv = mx_slice(x, st, st, step, s);
    int64_t nv = (NV + 2) / 3;
    for (int k = 0; k < NCASES; k++) {
        mx_array *y = cases[k].op(x, s);
        CHECK(y && mx_array_dtype(y) == MX_FLOAT32);
        CHECK(t_read(y, out, NV) == NV);
        int bad = 0;
        for (int i = 0; i < NV && !bad; i++) {
            float want = cases[k].f(v[i]);
            if (exact) {
                bad = !((isnan(want) && isnan(out[i])) || f_bits((float)out[i]) == f_bits(want));
                if (bad)
                    T_FAIL("%s op at x = %a: %a vs vmath %a", cases[k].name, (double)v[i], out[i],
                           (double)want);
            } else {
                double err = ulp_err((float)out[i], cases[k].ref((double)v[i]));
                bad = err > cases[k].bound + extra;
                if (bad)
                    T_FAIL("%s op at x = %a: %a (%.2f ulp)", cases[k].name, (double)v[i], out[i],
                           err);
            }
        }
        mx_array *ys = cases[k].op(xv, s);
        CHECK(t_read(ys, out, nv) == nv);
        bad = 0;
        for (int64_t i = 0; i < nv && !bad; i++) {
            float xi = v[NV - 1 - 3 * i];
            double err = ulp_err((float)out[i], cases[k].ref((double)xi));
            bad = err > cases[k].bound + extra;
            if (bad)
                T_FAIL("%s strided at x = %a: %a (%.2f ulp)", cases[k].name, (double)xi, out[i],
                       err);
        }
        mx_array_release(y);
        mx_array_release(ys);
    }
    mx_array_release(xv);
    mx_array_release(x);
}

/* the CPU backend's kernels run vmath (bit for bit) */
TEST(ops_use_vmath_float32) {
    check_ops_f32(T_CPU, 1, 0);
    /* the GPU has its own float32 functions (CUDA's, without fast math: up to 2 ulp for expf,
     * sinf, cosf, tanhf, log10f): within the vmath bound + 2 ulp of libm */
    if (t_gpu_default()) check_ops_f32(S, 0, 2);
}

/* float16 / bfloat16 compute in float: the result is the float result rounded once more, so it
 * is within a half-precision ulp (plus the float error) of the exact value */
TEST(ops_half_dtypes) {
    enum { M = 301 };
    double xd[M], xr[M], out[M];
    for (int i = 0; i < M; i++) xd[i] = -12 + 24.0 * i / (M - 1);
    int64_t sh[1] = {M};
    mx_array *x64 = t_f64(xd, sh, 1);
    mx_dtype dts[2] = {MX_FLOAT16, MX_BFLOAT16}; /* on the default device */
    double rel[2] = {0x1p-10, 0x1p-7};
    for (int d = 0; d < 2; d++) {
        mx_array *xt = mx_astype(x64, dts[d], T_CPU);
        CHECK(t_read(xt, xr, M) == M);
        for (int k = 0; k < NCASES; k++) {
            mx_array *y = cases[k].op(xt, S);
            CHECK(y && mx_array_dtype(y) == dts[d]);
            CHECK(t_read(y, out, M) == M);
            for (int i = 0; i < M; i++) {
                double want = cases[k].ref(xr[i]);
                if (isnan(want) || fabs(want) > 60000) continue; /* half overflows */
                if (fabs(out[i] - want) > rel[d] * fabs(want) + 1e-7) {
                    T_FAIL("%s(%s) at %g: %g want %g", cases[k].name,
                            mx_dtype_name(dts[d]), xr[i], out[i], want);
                    break;
                }
            }
            mx_array_release(y);
        }
        mx_array_release(xt);
    }
    mx_array_release(x64);
}

/* float64 keeps libm on the CPU: the results equal the C library's bit for bit (the GPU refuses
 * float64) */
TEST(ops_float64_libm) {
    enum { M = 64 };
    double xd[M], out[M];
    for (int i = 0; i < M; i++) xd[i] = -3.1 + 0.123 * i;
    int64_t sh[1] = {M};
    mx_array *x = t_f64(xd, sh, 1);
    for (int k = 0; k < NCASES; k++) {
        if (!strcmp(cases[k].name, "sigmoid")) continue; /* a formula, not one libm call */
        mx_array *y = cases[k].op(x, T_CPU);
        CHECK(y && mx_array_dtype(y) == MX_FLOAT64);
        if (t_has_gpu()) t_check_gpu_refuses_f64(cases[k].op(x, T_GPU), cases[k].name);
        CHECK(t_read(y, out, M) == M);
        for (int i = 0; i < M; i++) {
            double want = cases[k].ref(xd[i]);
            if (!((isnan(want) && isnan(out[i])) || out[i] == want)) {
                T_FAIL("%s(float64) at %g: %.17g want %.17g", cases[k].name,
                        xd[i], out[i], want);
                break;
            }
        }
        mx_array_release(y);
    }
    mx_array_release(x);
}

TEST(errors_and_empty) {
    CHECK_ERR(mx_exp(NULL, S), MX_ERR_VALUE, "exp");
    CHECK_ERR(mx_log1p(NULL, S), MX_ERR_VALUE, "log1p");
    mx_array *c = mx_array_scalar_c64(1, 2);
    CHECK_ERR(mx_expm1(c, S), MX_ERR_VALUE, "expm1"); /* real floats only */
    CHECK_ERR(mx_sigmoid(c, S), MX_ERR_VALUE, "sigmoid");
    mx_array_release(c);
    int64_t sh[1] = {0};
    mx_array *e = t_f32(NULL, sh, 1);
    for (int k = 0; k < NCASES; k++) {
        mx_array *y = cases[k].op(e, S);
        CHECK(y && mx_array_size(y) == 0 && mx_eval(&y, 1) == MX_OK);
        mx_array_release(y);
    }
    mx_array_release(e);
}
