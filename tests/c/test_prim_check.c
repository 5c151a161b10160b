/* tests/c/test_prim_check.c: registry-wide checks of the primitive tables (the design's
 * prim_check): every primitive in mx_prims[] must have a CPU kernel and vjp / jvp / vmap rules,
 * unless a documented exemption applies (NO_GRAD primitives need no vjp/jvp; the allow-list below
 * names each intentional gap with its reason). A new primitive without rules fails this family.
 * Also: the derivatives of the rules added for the core and reduce families (as_strided, view,
 * arange, cummax/cummin, logical reductions; in float64 on the CPU and float32 on the default
 * device) and the complex-number convention of the element-wise rules, against finite
 * differences. */
#define FAMILY "prim_check"
#include <complex.h>
#include <stdlib.h>

#include "backend/backend.h"
#include "harness.h"
#include "transforms/rules.h"

#define S MX_DEFAULT_STREAM

/* ---- the registry walk ---- */
enum { NEED_KERNEL = 1, NEED_VJP = 2, NEED_JVP = 4, NEED_VMAP = 8 };

/* Intentional gaps: which tables may miss the primitive, and why. Keep it short; the list ends
 * with prim = -1. Structural exemptions (in exemptions() below, not listed here):
 *  - MX_PF_NO_GRAD primitives need no vjp/jvp (the drivers give them zero derivatives);
 *  - primitives with no inputs (arange) need no vjp/jvp/vmap: nothing can be differentiated
 *    or batched through them (vmap only calls a rule when a batched input reaches the node). */
static const struct {
    int         prim;
    int         exempt; /* NEED_* bits that do not apply */
    const char *why;
} allow[] = {
    {-1, 0, NULL},
};

static int exemptions(int p) {
    int e = 0;
    if (mx_prims[p].flags & MX_PF_NO_GRAD) e |= NEED_VJP | NEED_JVP;
    if (mx_prims[p].n_in == 0) e |= NEED_VJP | NEED_JVP | NEED_VMAP;
    for (size_t i = 0; allow[i].prim >= 0; i++)
        if (allow[i].prim == p) e |= allow[i].exempt;
    return e;
}

TEST(every_primitive_has_kernel_and_rules) {
    const mx_backend *cpu = mx_cpu_backend();
    const mx_rules   *r = mx_grad_rules();
    CHECK(cpu != NULL && r != NULL);
    if (!cpu || !r) return;
    int gaps = 0;
    for (int p = 0; p < MX_PRIM_COUNT; p++) {
        CHECK(mx_prims[p].name != NULL);
        if (!mx_prims[p].name) continue;
        int e = exemptions(p), miss = 0;
        if (!cpu->kernels[p]) miss |= NEED_KERNEL;
        if (!r->vjp[p]) miss |= NEED_VJP;
        if (!r->jvp[p]) miss |= NEED_JVP;
        if (!r->vmap[p]) miss |= NEED_VMAP;
        miss &= ~e;
        if (!miss) continue;
        gaps++;
        fprintf(stderr, "  GAP %-22s missing:%s%s%s%s\n", mx_prims[p].name,
                miss & NEED_KERNEL ? " cpu-kernel" : "", miss & NEED_VJP ? " vjp" : "",
                miss & NEED_JVP ? " jvp" : "", miss & NEED_VMAP ? " vmap" : "");
    }
    CHECK(gaps == 0);
}

/* every allow-list entry must still be needed (a stale exemption hides nothing useful) */
TEST(allow_list_is_not_stale) {
    const mx_backend *cpu = mx_cpu_backend();
    const mx_rules   *r = mx_grad_rules();
    for (size_t i = 0; allow[i].prim >= 0; i++) {
        int p = allow[i].prim, e = allow[i].exempt, missing = 0;
        CHECK(p < MX_PRIM_COUNT && allow[i].why && allow[i].why[0]);
        if (p >= MX_PRIM_COUNT) continue;
        if (e & NEED_KERNEL) missing |= !cpu->kernels[p];
        if (e & NEED_VJP) missing |= !r->vjp[p];
        if (e & NEED_JVP) missing |= !r->jvp[p];
        if (e & NEED_VMAP) missing |= !r->vmap[p];
        if (!missing) fprintf(stderr, "  stale exemption: %s\n", mx_prims[p].name);
        CHECK(missing);
    }
}

/* ---- small helpers ---- */
typedef mx_array *(*un_fn)(mx_array *, mx_stream);

/* a vector of the current pass's dtype (t_pass_begin) */
static mx_array *vec64(const double *v, int64_t n) {
    return t_array(v, &n, 1, t_dt);
}

static void check_vals(mx_array *a, const double *want, int64_t n, double tol, const char *what) {
    double got[64];
    CHECK(n <= 64 && a != NULL);
    if (!a || n > 64) return;
    CHECK(mx_array_size(a) == n);
    CHECK(t_read(a, got, n) == n);
    for (int64_t i = 0; i < n; i++)
        if (!(fabs(got[i] - want[i]) <= tol * (1 + fabs(want[i])))) {
            T_FAIL("%s[%lld]: got %.9g, want %.9g", what, (long long)i, got[i],
                    want[i]);
        }
}

/* closure: out = fn(ctx)(in...) through a small function table */
typedef mx_array *(*fn1)(mx_array *const *in);
static mx_status call1(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)n, (void)max;
    mx_scope sc = mx_scope_begin();
    out[0] = mx_scope_end(sc, ((fn1)ctx)(in));
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}

/* ---- as_strided: overlapping windows; the gradient counts every use of an element ---- */
static const int64_t WSH[2] = {3, 3}, WST[2] = {1, 1};
static mx_array *f_windows(mx_array *const *in) { /* windows of length 3 from offset 1 */
    return mx_as_strided(in[0], WSH, WST, 2, 1, S);
}

TEST(as_strided_vjp_jvp_vmap) {
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        mx_scope sc = mx_scope_begin();
        /* x is a transposed (2, 3) view: as_strided reads its row-major order */
        double xv[6] = {0.5, -1, 2, 3, -0.25, 4}, uv[9], tv[6];
        for (int i = 0; i < 9; i++) uv[i] = 1 + 0.5 * i;
        for (int i = 0; i < 6; i++) tv[i] = 0.1 * i - 0.2;
        int64_t s32[2] = {3, 2}, s23[2] = {2, 3};
        mx_array *x = mx_transpose(t_array(xv, s32, 2, t_dt), NULL, 0, S); /* (2, 3): x[i][j] = xv[j*2+i] */
        mx_array *u = t_array(uv, WSH, 2, t_dt), *t = t_array(tv, s23, 2, t_dt), *out[1], *g[1], *jv[1];
        int no = 0;
        CHECK(mx_vjp(call1, (void *)f_windows, &x, 1, &u, 1, out, &no, 1, g) == MX_OK);
        double want[6] = {0}, wj[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) want[1 + i + j] += uv[i * 3 + j]; /* flat logical index */
        CHECK(t_shape_is(g[0], s23, 2));
        check_vals(g[0], want, 6, T_TOL(1e-12, 1e-7), "as_strided vjp");
        CHECK(mx_jvp(call1, (void *)f_windows, &x, 1, &t, out, &no, 1, jv) == MX_OK);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) wj[i * 3 + j] = tv[1 + i + j];
        check_vals(jv[0], wj, 9, T_TOL(1e-12, 1e-7), "as_strided jvp");
        /* vmap over axis 1 of a (6, 2) input: example b is column b */
        double bv[12];
        for (int i = 0; i < 12; i++) bv[i] = i * 0.25 - 1;
        int64_t s62[2] = {6, 2};
        mx_array *xb = t_array(bv, s62, 2, t_dt), *vo[1];
        int ax = 1;
        CHECK(mx_vmap(call1, (void *)f_windows, &xb, 1, &ax, NULL, vo, &no, 1) == MX_OK);
        double wv[18];
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) wv[b * 9 + i * 3 + j] = bv[(1 + i + j) * 2 + b];
        int64_t s233[3] = {2, 3, 3};
        CHECK(t_shape_is(vo[0], s233, 3));
        check_vals(vo[0], wv, 18, 0, "as_strided vmap");
        mx_scope_end(sc, NULL);
        t_pass_end(pass);
    }
}

/* ---- view: no derivative; vmap keeps the batch in front ---- */
static mx_array *f_view(mx_array *const *in) { /* sum(x) + sum(float(view(x, int32))) */
    mx_array *bits = mx_astype(mx_view(in[0], MX_INT32, S), MX_FLOAT32, S);
    return mx_add(mx_sum(in[0], NULL, 0, false, S), mx_sum(bits, NULL, 0, false, S), S);
}
static mx_array *f_view_u8(mx_array *const *in) {
    return mx_view(in[0], MX_UINT8, S);
}

TEST(view_has_zero_derivative_and_vmaps) {
    mx_scope sc = mx_scope_begin();
    float xv[6] = {1, -2, 0.5f, 3, 0, -1};
    int64_t sh[1] = {6}, s23[2] = {2, 3}, s32[2] = {3, 2};
    mx_array *x = t_f32(xv, sh, 1), *out[1], *g[1], *jv[1], *t = mx_ones_like(x, MX_DTYPE_AUTO, S);
    int no = 0, arg0 = 0;
    CHECK(mx_value_and_grad(call1, (void *)f_view, &x, 1, &arg0, 1, out, &no, 1, g) == MX_OK);
    double ones[6] = {1, 1, 1, 1, 1, 1}, six = 6;
    check_vals(g[0], ones, 6, 0, "view grad");
    CHECK(mx_jvp(call1, (void *)f_view, &x, 1, &t, out, &no, 1, jv) == MX_OK);
    check_vals(jv[0], &six, 1, 0, "view jvp");
    /* vmap over both axes of a (2, 3) / (3, 2) float32 input, against the bytes of each example */
    for (int k = 0; k < 2; k++) {
        mx_array *xb = t_f32(xv, k ? s32 : s23, 2), *vo[1];
        int ax = k; /* k = 1: examples are the columns of (3, 2) */
        CHECK(mx_vmap(call1, (void *)f_view_u8, &xb, 1, &ax, NULL, vo, &no, 1) == MX_OK);
        int64_t ws[2] = {2, 12};
        CHECK(t_shape_is(vo[0], ws, 2));
        double want[24];
        for (int b = 0; b < 2; b++)
            for (int e = 0; e < 3; e++) {
                float v = k ? xv[e * 2 + b] : xv[b * 3 + e];
                unsigned char by[4];
                memcpy(by, &v, 4);
                for (int q = 0; q < 4; q++) want[b * 12 + e * 4 + q] = by[q];
            }
        check_vals(vo[0], want, 24, 0, "view vmap");
    }
    mx_scope_end(sc, NULL);
}

/* ---- logical reductions: zero derivative, no error ---- */
static mx_array *f_logical(mx_array *const *in) { /* sum(x) + all(x) + any(x > 1, axis 0) */
    int ax0 = 0;
    mx_dtype  dt = mx_array_dtype(in[0]);
    mx_array *a = mx_astype(mx_all(in[0], NULL, 0, false, S), dt, S);
    mx_array *o = mx_astype(mx_any(mx_greater(in[0], mx_array_scalar_f64(1, dt), S), &ax0, 1,
                                   false, S),
                            dt, S);
    return mx_add(mx_add(mx_sum(in[0], NULL, 0, false, S), a, S), mx_sum(o, NULL, 0, false, S), S);
}

TEST(logical_reductions_have_zero_derivative) {
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        mx_scope sc = mx_scope_begin();
        double xv[4] = {0.5, 2, -1, 3}, ones[4] = {1, 1, 1, 1}, four = 4;
        int64_t sh[2] = {2, 2};
        mx_array *x = t_array(xv, sh, 2, t_dt), *out[1], *g[1], *jv[1], *t = mx_ones_like(x, MX_DTYPE_AUTO, S);
        int no = 0, arg0 = 0;
        CHECK(mx_value_and_grad(call1, (void *)f_logical, &x, 1, &arg0, 1, out, &no, 1, g) == MX_OK);
        check_vals(g[0], ones, 4, 0, "logical grad");
        CHECK(mx_jvp(call1, (void *)f_logical, &x, 1, &t, out, &no, 1, jv) == MX_OK);
        check_vals(jv[0], &four, 1, 0, "logical jvp");
        mx_scope_end(sc, NULL);
        t_pass_end(pass);
    }
}

/* ---- cummax / cummin ---- */
typedef struct scan_case {
    int is_max, reverse, inclusive;
} scan_case;
static scan_case cur_scan;
static mx_array *f_scan(mx_array *const *in) {
    scan_case c = cur_scan;
    return c.is_max ? mx_cummax(in[0], -1, false, c.reverse, c.inclusive, S)
                    : mx_cummin(in[0], -1, false, c.reverse, c.inclusive, S);
}

TEST(cummax_cummin_known_values_first_holder) {
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        mx_scope sc = mx_scope_begin();
        const double g6[6] = {1, 2, 3, 4, 5, 6}, t6[6] = {10, 20, 30, 40, 50, 60};
        const struct {
            scan_case c;
            double    x[6], grad[6], jvp[6];
        } cases[] = {
            /* ties go to the first occurrence: y = 1 3 3 3 5 5 */
            {{1, 0, 1}, {1, 3, 3, 2, 5, 0}, {1, 9, 0, 0, 11, 0}, {10, 20, 20, 20, 50, 50}},
            /* reverse: y = 5 5 5 5 5 0, all held by x[4] except the last */
            {{1, 1, 1}, {1, 3, 3, 2, 5, 0}, {0, 0, 0, 0, 15, 6}, {50, 50, 50, 50, 50, 60}},
            /* exclusive: y = -inf 1 3 3 3 5 */
            {{1, 0, 0}, {1, 3, 3, 2, 5, 0}, {2, 12, 0, 0, 6, 0}, {0, 10, 20, 20, 20, 50}},
            /* reverse exclusive: y = 5 5 5 5 0 -inf */
            {{1, 1, 0}, {1, 3, 3, 2, 5, 0}, {0, 0, 0, 0, 10, 5}, {50, 50, 50, 50, 60, 0}},
            /* cummin: y = 3 1 1 1 0 0 */
            {{0, 0, 1}, {3, 1, 1, 2, 0, 4}, {1, 9, 0, 0, 11, 0}, {10, 20, 20, 20, 50, 50}},
            /* NaN propagates from its first occurrence: y = 1 nan nan nan nan nan */
            {{1, 0, 1}, {1, NAN, 2, NAN, 7, 0}, {1, 20, 0, 0, 0, 0}, {10, 20, 20, 20, 20, 20}},
        };
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            cur_scan = cases[k].c;
            mx_array *x = vec64(cases[k].x, 6), *u = vec64(g6, 6), *t = vec64(t6, 6), *out[1], *g[1],
                     *jv[1];
            int no = 0;
            CHECK(mx_vjp(call1, (void *)f_scan, &x, 1, &u, 1, out, &no, 1, g) == MX_OK);
            check_vals(g[0], cases[k].grad, 6, 0, "cummax vjp");
            CHECK(mx_jvp(call1, (void *)f_scan, &x, 1, &t, out, &no, 1, jv) == MX_OK);
            check_vals(jv[0], cases[k].jvp, 6, 0, "cummax jvp");
        }
        /* empty and integer inputs: no error */
        cur_scan = (scan_case){1, 0, 1};
        int64_t z0 = 0;
        mx_array *e = mx_zeros(&z0, 1, MX_FLOAT32, S), *out[1], *g[1];
        int no = 0;
        CHECK(mx_vjp(call1, (void *)f_scan, &e, 1, &e, 1, out, &no, 1, g) == MX_OK);
        CHECK(g[0] && mx_array_size(g[0]) == 0);
        mx_scope_end(sc, NULL);
        t_pass_end(pass);
    }
}

/* f(x) = sum(w * cummax/cummin(x along axis 0 of a strided (4, 3) view)) vs central differences */
/* (exclusive scans: without the row holding the identity, -inf / +inf, whose sum is no number) */
static mx_array *f_scan_axis0(mx_array *const *in) {
    scan_case c = cur_scan;
    mx_array *v = c.is_max ? mx_cummax(in[0], 0, false, c.reverse, c.inclusive, S)
                           : mx_cummin(in[0], 0, false, c.reverse, c.inclusive, S);
    double wv[12];
    for (int i = 0; i < 12; i++) wv[i] = 0.3 + 0.1 * i;
    int64_t sh[2] = {4, 3}, st[2] = {0, 0}, en[2] = {4, 3};
    if (!c.inclusive) {
        if (c.reverse) en[0] = 3;
        else st[0] = 1;
    }
    mx_array *w = t_array(wv, sh, 2, mx_array_dtype(in[0]));
    return mx_sum(mx_multiply(mx_slice(v, st, en, NULL, S), mx_slice(w, st, en, NULL, S), S), NULL,
                  0, false, S);
}

TEST(cummax_cummin_vs_finite_differences) {
    double fd[8][12]; /* pass 0's finite differences */
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        mx_scope sc = mx_scope_begin();
        double xv[12] = {0.3, -1.2, 2.5, 1.7, 0.9, -0.4, 2.2, 3.1, 0.1, -0.7, 1.1, 2.9};
        int64_t s34[2] = {3, 4};
        for (int k = 0; k < 8; k++) {
            cur_scan = (scan_case){k & 1, (k >> 1) & 1, !((k >> 2) & 1)};
            mx_array *x = mx_transpose(t_array(xv, s34, 2, t_dt), NULL, 0, S); /* (4, 3), strided */
            mx_array *out[1], *g[1];
            int no = 0, arg0 = 0;
            CHECK(mx_value_and_grad(call1, (void *)f_scan_axis0, &x, 1, &arg0, 1, out, &no, 1, g) == MX_OK);
            double gv[12];
            CHECK(t_read(g[0], gv, 12) == 12);
            for (int i = 0; i < 12 && pass == 1; i++)
                if (!(fabs(gv[i] - fd[k][i]) <= T_FD_TOL32 * (1 + fabs(fd[k][i]))))
                    T_FAIL("cum%s rev %d incl %d (float32) d/dx[%d]: %g vs fd %g",
                           cur_scan.is_max ? "max" : "min", cur_scan.reverse, cur_scan.inclusive,
                           i, gv[i], fd[k][i]);
            /* element i of the (4, 3) view is xv[(i%3)*4 + i/3] */
            for (int i = 0; i < 12 && pass == 0; i++) {
                double h = 1e-6, xp[12], xm[12], fp = NAN, fm = NAN;
                memcpy(xp, xv, sizeof xp);
                memcpy(xm, xv, sizeof xm);
                xp[(i % 3) * 4 + i / 3] += h;
                xm[(i % 3) * 4 + i / 3] -= h;
                mx_array *ap = mx_transpose(t_f64(xp, s34, 2), NULL, 0, S);
                mx_array *am = mx_transpose(t_f64(xm, s34, 2), NULL, 0, S);
                CHECK(t_read(f_scan_axis0(&ap), &fp, 1) == 1);
                CHECK(t_read(f_scan_axis0(&am), &fm, 1) == 1);
                double d = fd[k][i] = (fp - fm) / (2 * h);
                if (!(fabs(gv[i] - d) <= 1e-6 * (1 + fabs(d))))
                    T_FAIL("cum%s rev %d incl %d d/dx[%d]: %g vs fd %g",
                           cur_scan.is_max ? "max" : "min", cur_scan.reverse, cur_scan.inclusive,
                           i, gv[i], d);
            }
            /* <vjp(1), t> == jvp(t) summed */
            double tv[12], jj, dot = 0;
            for (int i = 0; i < 12; i++) tv[i] = 0.5 - 0.1 * i, dot += gv[i] * tv[i];
            int64_t s43[2] = {4, 3};
            mx_array *t = t_array(tv, s43, 2, t_dt), *jv[1];
            CHECK(mx_jvp(call1, (void *)f_scan_axis0, &x, 1, &t, out, &no, 1, jv) == MX_OK);
            CHECK(t_read(jv[0], &jj, 1) == 1);
            CHECK_CLOSE(jj, dot, T_TOL(1e-9, 1e-5), T_TOL(1e-9, 1e-5));
        }
        mx_scope_end(sc, NULL);
        t_pass_end(pass);
    }
}

/* ---- complex numbers: MLX's convention ----
 * A cotangent u stands for dL/d(conj w): the VJP of w = f(z) is u * conj(f'(z)) for holomorphic f,
 * which is the gradient dL/dx + i dL/dy of the real loss L(z) = Re(sum(conj(u) * f(z))). The JVP
 * is t * f'(z), the complex directional derivative. References: central differences in the
 * complex plane, in double precision, of the same functions written with <complex.h>. */
typedef double _Complex (*cref1)(double _Complex);
static double _Complex r_square(double _Complex z) { return z * z; }
static double _Complex r_exp(double _Complex z) { return cexp(z); }
static double _Complex r_sin(double _Complex z) { return csin(z); }
static double _Complex r_log(double _Complex z) { return clog(z); }
static double _Complex r_tanh(double _Complex z) { return ctanh(z); }
static double _Complex r_recip(double _Complex z) { return 1 / z; }
static double _Complex r_sqrt(double _Complex z) { return csqrt(z); }

static mx_array *cvec(const double _Complex *v, int64_t n) {
    float buf[2 * 16];
    for (int64_t i = 0; i < n && i < 16; i++) buf[2 * i] = (float)creal(v[i]), buf[2 * i + 1] = (float)cimag(v[i]);
    return mx_array_from_data(buf, &n, 1, MX_COMPLEX64);
}

/* the n complex elements of a (any shape), through a float32 view of the bytes */
static int cread(mx_array *a, double _Complex *out, int64_t n) {
    if (!a || mx_array_dtype(a) != MX_COMPLEX64 || mx_array_size(a) != n || n > 16) return 0;
    double d[32];
    mx_array *f = mx_view(mx_reshape(a, &n, 1, S), MX_FLOAT32, S);
    if (t_read(f, d, 2 * n) != 2 * n) return 0;
    for (int64_t i = 0; i < n; i++) out[i] = d[2 * i] + I * d[2 * i + 1];
    return 1;
}

static void check_c(const double _Complex *got, const double _Complex *want, int n, double tol,
                    const char *what, const char *fn) {
    for (int i = 0; i < n; i++)
        if (!(cabs(got[i] - want[i]) <= tol * (1 + cabs(want[i])))) {
            T_FAIL("%s %s[%d]: got %.7g%+.7gi, want %.7g%+.7gi", what, fn, i,
                    creal(got[i]), cimag(got[i]), creal(want[i]), cimag(want[i]));
        }
}

static un_fn cur_un;
static mx_array *f_un(mx_array *const *in) { return cur_un(in[0], S); }
static mx_array *f_abs2(mx_array *const *in) { /* sum(|f(z)|^2) = sum(real(f * conj(f))) */
    mx_array *w = cur_un(in[0], S);
    return mx_sum(mx_real(mx_multiply(w, mx_conj(w, S), S), S), NULL, 0, false, S);
}
static mx_array *f_sum_abs(mx_array *const *in) { return mx_sum(mx_abs(cur_un(in[0], S), S), NULL, 0, false, S); }
static mx_array *f_sum_imag(mx_array *const *in) { return mx_sum(mx_imag(cur_un(in[0], S), S), NULL, 0, false, S); }

#define NC 4
static const double _Complex ZC[NC] = {0.7 + 0.4 * I, -0.3 + 1.1 * I, 1.2 - 0.6 * I, -0.8 - 0.5 * I};
static const double _Complex UC[NC] = {1 - 0.5 * I, 0.25 + 2 * I, -1.5 + 0.5 * I, 0.5 + 0.5 * I};
static const double _Complex TC[NC] = {0.3 + 0.9 * I, -1 + 0.2 * I, 0.6 - 0.4 * I, 1.1 + 0 * I};

/* d/dx + i d/dy of a real function of one complex element, by central differences */
static double _Complex fd_grad(double (*L)(cref1, double _Complex, double _Complex), cref1 f,
                               double _Complex z, double _Complex u) {
    double h = 1e-6;
    return (L(f, z + h, u) - L(f, z - h, u)) / (2 * h) +
           I * (L(f, z + I * h, u) - L(f, z - I * h, u)) / (2 * h);
}
static double L_lin(cref1 f, double _Complex z, double _Complex u) { return creal(conj(u) * f(z)); }
static double L_abs2(cref1 f, double _Complex z, double _Complex u) { (void)u; double a = cabs(f(z)); return a * a; }
static double L_abs(cref1 f, double _Complex z, double _Complex u) { (void)u; return cabs(f(z)); }
static double L_imag(cref1 f, double _Complex z, double _Complex u) { (void)u; return cimag(f(z)); }

TEST(complex_unary_vjp_jvp_grad_vs_finite_differences) {
    static const struct {
        const char *name;
        un_fn       f;
        cref1       ref;
    } fns[] = {
        {"square", mx_square, r_square}, {"exp", mx_exp, r_exp},     {"sin", mx_sin, r_sin},
        {"log", mx_log, r_log},          {"tanh", mx_tanh, r_tanh},  {"reciprocal", mx_reciprocal, r_recip},
        {"sqrt", mx_sqrt, r_sqrt},
    };
    for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++) {
        mx_scope sc = mx_scope_begin();
        cur_un = fns[k].f;
        mx_array *z = cvec(ZC, NC), *u = cvec(UC, NC), *t = cvec(TC, NC), *out[1], *g[1], *jv[1];
        double _Complex got[NC], want[NC];
        int no = 0, arg0 = 0;
        /* vjp with a complex cotangent */
        CHECK(mx_vjp(call1, (void *)f_un, &z, 1, &u, 1, out, &no, 1, g) == MX_OK);
        CHECK(cread(g[0], got, NC));
        for (int i = 0; i < NC; i++) want[i] = fd_grad(L_lin, fns[k].ref, ZC[i], UC[i]);
        check_c(got, want, NC, 2e-5, "vjp", fns[k].name);
        /* jvp: the complex directional derivative */
        CHECK(mx_jvp(call1, (void *)f_un, &z, 1, &t, out, &no, 1, jv) == MX_OK);
        CHECK(cread(jv[0], got, NC));
        for (int i = 0; i < NC; i++) {
            double h = 1e-6;
            want[i] = (fns[k].ref(ZC[i] + h * TC[i]) - fns[k].ref(ZC[i] - h * TC[i])) / (2 * h);
        }
        check_c(got, want, NC, 2e-5, "jvp", fns[k].name);
        /* grad of real losses: |f|^2 (multiply, conj, real), |f| (abs), imag(f) */
        struct {
            fn1 f;
            double (*L)(cref1, double _Complex, double _Complex);
            const char *what;
        } losses[3] = {{f_abs2, L_abs2, "grad |f|^2"}, {f_sum_abs, L_abs, "grad |f|"},
                       {f_sum_imag, L_imag, "grad imag f"}};
        for (int q = 0; q < 3; q++) {
            CHECK(mx_value_and_grad(call1, (void *)losses[q].f, &z, 1, &arg0, 1, out, &no, 1, g) == MX_OK);
            CHECK(cread(g[0], got, NC));
            for (int i = 0; i < NC; i++) want[i] = fd_grad(losses[q].L, fns[k].ref, ZC[i], 0);
            check_c(got, want, NC, 5e-5, losses[q].what, fns[k].name);
        }
        mx_scope_end(sc, NULL);
    }
}

/* binary: mul and divide, VJP for both operands and the JVP along both */
typedef mx_array *(*bin_fn)(mx_array *, mx_array *, mx_stream);
static bin_fn cur_bin;
static mx_array *f_bin(mx_array *const *in) { return cur_bin(in[0], in[1], S); }

TEST(complex_binary_vjp_jvp_vs_finite_differences) {
    static const double _Complex BC[NC] = {0.5 - 1.2 * I, 1.4 + 0.3 * I, -0.9 + 0.8 * I, 0.2 + 1.5 * I};
    for (int k = 0; k < 2; k++) {
        mx_scope sc = mx_scope_begin();
        cur_bin = k ? mx_divide : mx_multiply;
        const char *nm = k ? "divide" : "multiply";
        mx_array *p[2] = {cvec(ZC, NC), cvec(BC, NC)}, *u = cvec(UC, NC), *out[1], *g[2], *jv[1];
        int no = 0;
        CHECK(mx_vjp(call1, (void *)f_bin, p, 2, &u, 1, out, &no, 1, g) == MX_OK);
        double _Complex got[NC], want[NC], h = 1e-6;
        for (int w = 0; w < 2; w++) {
            CHECK(cread(g[w], got, NC));
            for (int i = 0; i < NC; i++) {
                double _Complex a = ZC[i], b = BC[i], e[2] = {h, I * h}, d = 0;
                for (int r = 0; r < 2; r++) {
                    double _Complex ap = a + (w == 0) * e[r], am = a - (w == 0) * e[r];
                    double _Complex bp = b + (w == 1) * e[r], bm = b - (w == 1) * e[r];
                    double _Complex fp = k ? ap / bp : ap * bp, fm = k ? am / bm : am * bm;
                    double dl = creal(conj(UC[i]) * (fp - fm)) / (2 * creal(h));
                    d += r ? I * dl : dl;
                }
                want[i] = d;
            }
            check_c(got, want, NC, 2e-5, w ? "vjp b" : "vjp a", nm);
        }
        mx_array *tans[2] = {cvec(TC, NC), cvec(UC, NC)};
        CHECK(mx_jvp(call1, (void *)f_bin, p, 2, tans, out, &no, 1, jv) == MX_OK);
        CHECK(cread(jv[0], got, NC));
        for (int i = 0; i < NC; i++) {
            double _Complex ap = ZC[i] + h * TC[i], am = ZC[i] - h * TC[i];
            double _Complex bp = BC[i] + h * UC[i], bm = BC[i] - h * UC[i];
            want[i] = ((k ? ap / bp : ap * bp) - (k ? am / bm : am * bm)) / (2 * h);
        }
        check_c(got, want, NC, 2e-5, "jvp", nm);
        mx_scope_end(sc, NULL);
    }
}

/* MLX's own example: y real, x = 2+3i, vjp of y * x with cotangent 2+3i is Re((2+3i) conj(2+3i))
 * = 13 in float32 (the gradient of a real input is the real part). Also prod of complex. */
static mx_array *x23;
static mx_array *f_times_x23(mx_array *const *in) { return mx_multiply(in[0], x23, S); }
static mx_array *f_prod(mx_array *const *in) { return mx_prod(in[0], NULL, 0, false, S); }
static mx_array *f_cumprod(mx_array *const *in) { return mx_cumprod(in[0], 0, false, false, true, S); }

TEST(complex_real_input_and_products) {
    mx_scope sc = mx_scope_begin();
    x23 = mx_array_scalar_c64(2, 3);
    mx_array *y = mx_array_scalar_f64(3, MX_FLOAT32), *u = mx_array_scalar_c64(2, 3), *out[1], *g[1];
    int no = 0;
    CHECK(mx_vjp(call1, (void *)f_times_x23, &y, 1, &u, 1, out, &no, 1, g) == MX_OK);
    CHECK(g[0] && mx_array_dtype(g[0]) == MX_FLOAT32);
    double v = 0;
    CHECK(t_read(g[0], &v, 1) == 1);
    CHECK_CLOSE(v, 13, 0, 1e-6);
    /* prod: d/dz_i of Re(conj(u) prod z) */
    mx_array *z = cvec(ZC, NC), *uc = mx_array_scalar_c64(0.5f, -1.25f), *vjp1[1];
    CHECK(mx_vjp(call1, (void *)f_prod, &z, 1, &uc, 1, out, &no, 1, vjp1) == MX_OK);
    double _Complex got[NC], want[NC], uu = 0.5 - 1.25 * I;
    CHECK(cread(vjp1[0], got, NC));
    for (int i = 0; i < NC; i++) { /* prod of the others, conjugated, times u */
        double _Complex o = 1;
        for (int j = 0; j < NC; j++)
            if (j != i) o *= ZC[j];
        want[i] = uu * conj(o);
    }
    check_c(got, want, NC, 2e-5, "vjp", "prod");
    /* cumprod: vjp_j = sum_{i >= j} u_i conj(prod_{k <= i, k != j} z_k) */
    mx_array *ucv = cvec(UC, NC);
    CHECK(mx_vjp(call1, (void *)f_cumprod, &z, 1, &ucv, 1, out, &no, 1, vjp1) == MX_OK);
    CHECK(cread(vjp1[0], got, NC));
    for (int j = 0; j < NC; j++) {
        want[j] = 0;
        for (int i = j; i < NC; i++) {
            double _Complex o = 1;
            for (int q = 0; q <= i; q++)
                if (q != j) o *= ZC[q];
            want[j] += UC[i] * conj(o);
        }
    }
    check_c(got, want, NC, 2e-5, "vjp", "cumprod");
    mx_scope_end(sc, NULL);
}
