/* tests/c/test_vmap.c: vmap against an explicit loop over the mapped axis (stacking the results),
 * in/out axes, unmapped inputs, composition with grad in both orders (float64 on the CPU and
 * float32 on the default device), and the errors. */
#define FAMILY "vmap"
#include <stdlib.h>

#include "harness.h"

#define S MX_DEFAULT_STREAM

/* f(x, y) = x * y + exp(x) summed over the last axis, then softmax-free: (n,) , (n,) -> () */
static mx_status f_xy(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)ctx, (void)n, (void)max;
    mx_scope sc = mx_scope_begin();
    mx_array *v = mx_add(mx_multiply(in[0], in[1], S), mx_exp(in[0], S), S);
    int last = -1;
    mx_array *r = mx_logsumexp(v, &last, 1, false, S);
    out[0] = mx_scope_end(sc, r);
    mx_scope sc2 = mx_scope_begin();
    mx_array *r2 = mx_cumsum(v, 0, false, false, true, S); /* a second output (n,) */
    out[1] = mx_scope_end(sc2, r2);
    *n_out = 2;
    return out[0] && out[1] ? MX_OK : mx_error_status();
}

/* f(x) = reshape(transpose(x)[::-1], (-1,)) * 2 for x (2, 3) */
static mx_status f_views(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)ctx, (void)n, (void)max;
    mx_scope sc = mx_scope_begin();
    mx_array *t = mx_transpose(in[0], NULL, 0, S);
    int64_t st[2] = {MX_SLICE_NONE, MX_SLICE_NONE}, sp[2] = {-1, 1}, flat[1] = {-1};
    mx_array *r = mx_reshape(mx_slice(t, st, st, sp, S), flat, 1, S);
    mx_array *two = mx_array_scalar_f64(2, mx_array_dtype(in[0]));
    out[0] = mx_scope_end(sc, mx_multiply(r, two, S));
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}

static void slice_at(mx_array *x, int axis, int64_t i, mx_array **out) {
    int64_t st[MX_MAX_DIMS], en[MX_MAX_DIMS];
    for (int d = 0; d < mx_array_ndim(x); d++) st[d] = en[d] = MX_SLICE_NONE;
    st[axis] = i;
    en[axis] = i + 1;
    mx_array *s = mx_slice(x, st, en, NULL, S);
    *out = mx_squeeze(s, &axis, 1, S);
    mx_array_release(s);
}

TEST(vmap_matches_loop_with_unmapped_input) {
    double xv[12], yv[3] = {0.5, -1, 2};
    for (int i = 0; i < 12; i++) xv[i] = 0.1 * i - 0.4;
    int64_t sx[2] = {4, 3}, sy[1] = {3};
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        mx_array *in[2] = {t_array(xv, sx, 2, t_dt), t_array(yv, sy, 1, t_dt)}, *out[2];
        int axes[2] = {0, -1}, no;
        CHECK(mx_vmap(f_xy, NULL, in, 2, axes, NULL, out, &no, 2) == MX_OK && no == 2);
        int64_t w0[1] = {4}, w1[2] = {4, 3};
        CHECK(t_shape_is(out[0], w0, 1) && t_shape_is(out[1], w1, 2));
        double got0[4], got1[12];
        CHECK(t_read(out[0], got0, 4) > 0);
        CHECK(t_read(out[1], got1, 12) > 0);
        for (int b = 0; b < 4; b++) {
            mx_array *xb, *o[2];
            slice_at(in[0], 0, b, &xb);
            mx_array *args[2] = {xb, in[1]};
            int k;
            f_xy(NULL, args, 2, o, &k, 2);
            double r0, r1[3];
            CHECK(t_read(o[0], &r0, 1) > 0);
            CHECK(t_read(o[1], r1, 3) > 0);
            CHECK_CLOSE(got0[b], r0, T_TOL(1e-12, 2e-6), T_TOL(1e-12, 2e-6));
            for (int j = 0; j < 3; j++) CHECK_CLOSE(got1[b * 3 + j], r1[j], T_TOL(1e-12, 2e-6), T_TOL(1e-12, 2e-6));
            mx_array_release(xb), mx_array_release(o[0]), mx_array_release(o[1]);
        }
        mx_array *arr[4] = {in[0], in[1], out[0], out[1]};
        for (int i = 0; i < 4; i++) mx_array_release(arr[i]);
        t_pass_end(pass);
    }
}

TEST(vmap_in_and_out_axes_through_views) {
    double xv[30];
    for (int i = 0; i < 30; i++) xv[i] = i;
    int64_t sx[3] = {2, 5, 3}; /* mapped along axis 1 (size 5); per example (2, 3) */
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        mx_array *x = t_array(xv, sx, 3, t_dt), *out[1];
        int ia = 1, oa = 1, no;
        CHECK(mx_vmap(f_views, NULL, &x, 1, &ia, &oa, out, &no, 1) == MX_OK);
        int64_t want[2] = {6, 5};
        CHECK(t_shape_is(out[0], want, 2));
        double got[30];
        CHECK(t_read(out[0], got, 30) > 0);
        for (int b = 0; b < 5; b++) {
            mx_array *xb, *o[1];
            slice_at(x, 1, b, &xb);
            int k;
            f_views(NULL, &xb, 1, o, &k, 1);
            double r[6];
            CHECK(t_read(o[0], r, 6) > 0);
            for (int j = 0; j < 6; j++) CHECK(got[j * 5 + b] == r[j]);
            mx_array_release(xb), mx_array_release(o[0]);
        }
        mx_array_release(x), mx_array_release(out[0]);
        t_pass_end(pass);
    }
}

/* per-example gradients: vmap(grad(sum(sin(x) * x))) */
static mx_status f_loss(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)ctx, (void)n, (void)max;
    mx_scope sc = mx_scope_begin();
    mx_array *r = mx_sum(mx_multiply(mx_sin(in[0], S), in[0], S), NULL, 0, false, S);
    out[0] = mx_scope_end(sc, r);
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}
static mx_status f_grad(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)max;
    mx_array *o[1];
    int k;
    mx_status st = mx_value_and_grad(f_loss, ctx, in, n, NULL, 0, o, &k, 1, out);
    if (st == MX_OK) mx_array_release(o[0]);
    *n_out = 1;
    return st;
}
static mx_status f_vmapped_loss(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)max;
    mx_array *o[1];
    int k;
    mx_status st = mx_vmap(f_loss, ctx, in, n, NULL, NULL, o, &k, 1);
    if (st != MX_OK) return st;
    out[0] = mx_sum(o[0], NULL, 0, false, S);
    mx_array_release(o[0]);
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}

TEST(vmap_of_grad_and_grad_of_vmap) {
    double xv[6] = {0.1, 0.5, -0.3, 1.2, 0.8, -1.0};
    int64_t sx[2] = {3, 2};
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        mx_array *x = t_array(xv, sx, 2, t_dt), *g1[1], *o[1], *g2[1];
        int no;
        CHECK(mx_vmap(f_grad, NULL, &x, 1, NULL, NULL, g1, &no, 1) == MX_OK);
        CHECK(mx_value_and_grad(f_vmapped_loss, NULL, &x, 1, NULL, 0, o, &no, 1, g2) == MX_OK);
        double a[6], b[6];
        CHECK(t_read(g1[0], a, 6) > 0);
        CHECK(t_read(g2[0], b, 6) > 0);
        for (int i = 0; i < 6; i++) {
            double want = cos(xv[i]) * xv[i] + sin(xv[i]);
            CHECK_CLOSE(a[i], want, T_TOL(1e-12, 2e-6), T_TOL(1e-12, 2e-6));
            CHECK_CLOSE(b[i], want, T_TOL(1e-12, 2e-6), T_TOL(1e-12, 2e-6));
        }
        mx_array *arr[4] = {x, g1[0], o[0], g2[0]};
        for (int i = 0; i < 4; i++) mx_array_release(arr[i]);
        t_pass_end(pass);
    }
}

TEST(vmap_errors) {
    double v[6] = {0};
    int64_t s23[2] = {2, 3}, s3[1] = {3};
    mx_array *in[2] = {t_f64(v, s23, 2), t_f64(v, s3, 1)}, *out[2];
    int no, ax_bad[2] = {0, 0}, ax_none[2] = {-1, -1}, ax_oob[2] = {2, -1};
    CHECK_ERR(mx_vmap(f_xy, NULL, in, 2, ax_bad, NULL, out, &no, 2), MX_ERR_VALUE, "vmap");
    CHECK_ERR(mx_vmap(f_xy, NULL, in, 2, ax_none, NULL, out, &no, 2), MX_ERR_VALUE, "vmap");
    CHECK_ERR(mx_vmap(f_xy, NULL, in, 2, ax_oob, NULL, out, &no, 2), MX_ERR_VALUE, "vmap");
    mx_array_release(in[0]), mx_array_release(in[1]);
}
