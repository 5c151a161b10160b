/* tests/c/test_custom.c: custom_function (user vjp / jvp / vmap rules replace differentiation
 * through f) and checkpoint (gradients equal the plain ones; f reruns in the backward pass), in
 * float64 on the CPU and float32 on the default device. */
#define FAMILY "custom"
#include <stdlib.h>

#include "harness.h"

#define S MX_DEFAULT_STREAM

static int calls;

/* f(x) = sin(x) */
static mx_status f_sin(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)ctx, (void)n, (void)max;
    calls++;
    out[0] = mx_sin(in[0], S);
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}
/* a deliberately different vjp: 2 * cotangent (so we can see it was used) */
static mx_status my_vjp(void *ctx, mx_array *const *p, int np, mx_array *const *cot,
                        mx_array *const *outs, int no, mx_array **vjps) {
    (void)ctx, (void)p, (void)np, (void)outs, (void)no;
    mx_array *two = mx_array_scalar_f64(2, mx_array_dtype(cot[0]));
    vjps[0] = mx_multiply(cot[0], two, S);
    mx_array_release(two);
    return vjps[0] ? MX_OK : mx_error_status();
}
static mx_status my_jvp(void *ctx, mx_array *const *p, int np, mx_array *const *tan, int no,
                        mx_array **jvps) {
    (void)ctx, (void)p, (void)np, (void)no;
    mx_array *three = mx_array_scalar_f64(3, mx_array_dtype(tan[0]));
    jvps[0] = mx_multiply(tan[0], three, S);
    mx_array_release(three);
    return MX_OK;
}
static int released;
static void rel(void *ctx) { (void)ctx; released++; }

static mx_status g_custom(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    mx_custom_rules r = {my_vjp, my_jvp, NULL, NULL, rel};
    (void)ctx;
    return mx_custom_call(f_sin, NULL, &r, in, n, out, n_out, max);
}
static mx_status g_checkpoint(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)ctx;
    return mx_checkpoint_call(f_sin, NULL, rel, in, n, out, n_out, max);
}

TEST(custom_vjp_and_jvp_replace_the_derivative) {
    double xv[3] = {0.1, 0.7, -1.2};
    int64_t sh[1] = {3};
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        mx_array *x = t_array(xv, sh, 1, t_dt), *u = mx_ones_like(x, MX_DTYPE_AUTO, S), *o[1], *g[1];
        int k;
        released = 0;
        CHECK(mx_vjp(g_custom, NULL, &x, 1, &u, 1, o, &k, 1, g) == MX_OK);
        double gv[3] = {0}, ov[3] = {0};
        CHECK(t_read(g[0], gv, 3) == 3 && t_read(o[0], ov, 3) == 3);
        for (int i = 0; i < 3; i++) {
            CHECK(gv[i] == 2.0);
            CHECK_CLOSE(ov[i], sin(xv[i]), T_TOL(1e-15, 1e-6), 0);
        }
        mx_array_release(o[0]), mx_array_release(g[0]);
        CHECK(mx_jvp(g_custom, NULL, &x, 1, &u, o, &k, 1, g) == MX_OK);
        CHECK(t_read(g[0], gv, 3) == 3);
        CHECK(gv[0] == 3.0 && gv[2] == 3.0);
        mx_array_release(o[0]), mx_array_release(g[0]);
        CHECK(released == 2); /* each traced graph released the rules once it was freed */
        mx_array_release(x), mx_array_release(u);
        t_pass_end(pass);
    }
}

TEST(checkpoint_recomputes_and_matches) {
    double xv[3] = {0.1, 0.7, -1.2};
    int64_t sh[1] = {3};
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        mx_array *x = t_array(xv, sh, 1, t_dt), *u = mx_ones_like(x, MX_DTYPE_AUTO, S), *o[1], *g[1];
        int k;
        calls = 0;
        CHECK(mx_vjp(g_checkpoint, NULL, &x, 1, &u, 1, o, &k, 1, g) == MX_OK);
        CHECK(calls == 2); /* forward, then again in the backward pass */
        double gv[3];
        CHECK(t_read(g[0], gv, 3) == 3);
        for (int i = 0; i < 3; i++) CHECK_CLOSE(gv[i], cos(xv[i]), T_TOL(1e-15, 1e-6), 0);
        mx_array_release(o[0]), mx_array_release(g[0]);
        /* forward mode through a checkpoint */
        CHECK(mx_jvp(g_checkpoint, NULL, &x, 1, &u, o, &k, 1, g) == MX_OK);
        CHECK(t_read(g[0], gv, 3) == 3);
        for (int i = 0; i < 3; i++) CHECK_CLOSE(gv[i], cos(xv[i]), T_TOL(1e-15, 1e-6), 0);
        mx_array_release(o[0]), mx_array_release(g[0]);
        /* and vmap passes straight through f */
        CHECK(mx_vmap(g_checkpoint, NULL, &x, 1, NULL, NULL, o, &k, 1) == MX_OK);
        CHECK(t_read(o[0], gv, 3) == 3);
        for (int i = 0; i < 3; i++) CHECK_CLOSE(gv[i], sin(xv[i]), T_TOL(1e-15, 1e-6), 0);
        mx_array_release(o[0]);
        /* a plain call outside transforms just computes */
        CHECK(g_checkpoint(NULL, &x, 1, o, &k, 1) == MX_OK);
        CHECK(t_read(o[0], gv, 3) == 3);
        CHECK_CLOSE(gv[1], sin(0.7), T_TOL(1e-15, 1e-6), 0);
        mx_array_release(o[0]);
        mx_array_release(x), mx_array_release(u);
        t_pass_end(pass);
    }
}
