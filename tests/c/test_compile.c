/* tests/c/test_compile.c: mx_compile against calling the function directly (values, dtypes,
 * shapes): element-wise chains (JIT and the interpreter fallback), broadcasting, reductions,
 * several inputs/outputs, special constants, CSE and scalar merging (node counters), the cache
 * (hits, retrace on a new shape, shapeless), and composition with vjp/jvp/vmap in both orders.
 * On the default device, except float64 (on the CPU) and the CPU JIT's own checks. */
#define FAMILY "compile"
#include <stdlib.h>

#include "harness.h"

#define S MX_DEFAULT_STREAM

typedef mx_array *(*body_fn)(mx_array *const *in);

/* ctx: a body_fn; returns 1 output */
static mx_status run_body(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out,
                          int max) {
    (void)n, (void)max;
    mx_scope sc = mx_scope_begin();
    mx_array *r = ((body_fn)ctx)(in);
    out[0] = mx_scope_end(sc, r);
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}

static mx_array *k(double v, mx_array *like) { return mx_array_scalar_f64(v, mx_array_dtype(like)); }

/* GELU-style: 0.5 x (1 + tanh(0.79788456 (x + 0.044715 x^3))) */
static mx_array *gelu(mx_array *const *in) {
    mx_array *x = in[0];
    mx_array *x3 = mx_multiply(mx_multiply(x, x, S), x, S);
    mx_array *inner = mx_multiply(mx_add(x, mx_multiply(x3, k(0.044715, x), S), S),
                                  k(0.7978845608, x), S);
    return mx_multiply(mx_multiply(x, k(0.5, x), S), mx_add(mx_tanh(inner, S), k(1, x), S), S);
}

/* compare a compiled result with the direct one */
static void check_same(mx_array *got, mx_array *want, double rtol) {
    CHECK(mx_array_dtype(got) == mx_array_dtype(want));
    CHECK(t_shape_is(got, mx_array_shape(want), mx_array_ndim(want)));
    int64_t n = mx_array_size(want);
    double *a = calloc((size_t)n + 1, sizeof(double)), *b = calloc((size_t)n + 1, sizeof(double));
    CHECK(t_read(got, a, n) == n && t_read(want, b, n) == n);
    for (int64_t i = 0; i < n; i++) CHECK_CLOSE(a[i], b[i], 1e-6, rtol);
    free(a);
    free(b);
}

/* compile body, call it on in, compare with the direct call */
static void check_body(body_fn f, mx_array *const *in, int n_in, int shapeless, double rtol) {
    mx_compiled *c = mx_compile(run_body, (void *)f, shapeless);
    mx_array *got[1] = {0}, *want[1] = {0};
    int n = 0, m = 0;
    CHECK(mx_compiled_call(c, in, n_in, got, &n, 1) == MX_OK && n == 1);
    CHECK(run_body((void *)f, in, n_in, want, &m, 1) == MX_OK);
    if (got[0] && want[0]) check_same(got[0], want[0], rtol);
    mx_array_release(got[0]);
    mx_array_release(want[0]);
    mx_compiled_free(c);
}

static mx_array *ramp(int64_t n0, int64_t n1, double lo, double step, mx_dtype dt) {
    int64_t sh[2] = {n0, n1};
    double *v = malloc(sizeof(double) * (size_t)(n0 * n1 + 1));
    for (int64_t i = 0; i < n0 * n1; i++) v[i] = lo + step * (double)i;
    mx_array *r = t_array(v, sh, 2, dt);
    free(v);
    return r;
}

TEST(elementwise_chain_jit_and_fused) {
    mx_compile_reset_stats();
    mx_array *x = ramp(37, 41, -3, 0.004, MX_FLOAT32);
    check_body(gelu, &x, 1, 0, 1e-6);
    mx_compile_stats st;
    mx_compile_get_stats(&st);
    CHECK(st.traces == 1 && st.fused_nodes >= 1);
    CHECK(st.fused_tape_nodes < st.tape_nodes);
    CHECK(st.jit_runs + st.interp_runs >= 1);
    mx_array_release(x);
}

/* the CPU's JIT (a C compiler) and its interpreter fallback: on the CPU */
TEST(jit_runs_when_a_compiler_exists) {
    if (system("cc --version >/dev/null 2>&1") != 0) return; /* nothing to check */
    t_cpu_begin();
    mx_compile_reset_stats();
    mx_array *x = ramp(64, 64, -2, 0.001, MX_FLOAT32);
    check_body(gelu, &x, 1, 0, 1e-6);
    mx_compile_stats st;
    mx_compile_get_stats(&st);
    CHECK(st.jit_runs >= 1 && st.interp_runs == 0);
    mx_array_release(x);
    t_cpu_end();
}

TEST(no_compiler_falls_back_to_the_interpreter) {
    t_cpu_begin();
    mx_array *x = ramp(16, 9, -2, 0.03, MX_FLOAT32);
    const char *ccs[2] = {"/nonexistent/cmlx-cc", ""};
    for (int i = 0; i < 2; i++) {
        mx_compile_set_compiler(ccs[i]);
        mx_compile_reset_stats();
        check_body(gelu, &x, 1, 0, 1e-6);
        mx_compile_stats st;
        mx_compile_get_stats(&st);
        CHECK(st.interp_runs >= 1 && st.jit_runs == 0 && st.jit_builds == 0);
    }
    mx_compile_set_compiler(NULL);
    mx_array_release(x);
    t_cpu_end();
}

static mx_array *mixed_dtypes(mx_array *const *in) { /* float16 chain */
    mx_array *x = in[0];
    return mx_sqrt(mx_add(mx_multiply(x, x, S), mx_exp(mx_negative(x, S), S), S), S);
}

TEST(float16_bfloat16_float64_and_strided_inputs) {
    mx_dtype dts[3] = {MX_FLOAT16, MX_BFLOAT16, MX_FLOAT64};
    for (int i = 0; i < 3; i++) {
        if (dts[i] == MX_FLOAT64) t_cpu_begin();
        mx_array *x = ramp(12, 7, -1.5, 0.05, dts[i]);
        check_body(mixed_dtypes, &x, 1, 0, 1e-6);
        check_body(gelu, &x, 1, 0, 1e-6);
        mx_array *t = mx_transpose(x, NULL, 0, S); /* strided */
        check_body(gelu, &t, 1, 0, 1e-6);
        mx_array_release(t);
        mx_array_release(x);
        if (dts[i] == MX_FLOAT64) t_cpu_end();
    }
    /* the same compiled tape on a transposed view (the JIT's strided path) */
    mx_array *x = ramp(33, 65, -1, 0.002, MX_FLOAT32), *t = mx_transpose(x, NULL, 0, S);
    check_body(gelu, &t, 1, 0, 1e-6);
    mx_array_release(t);
    mx_array_release(x);
}

static mx_array *int_chain(mx_array *const *in) {
    mx_array *x = in[0];
    mx_array *y = mx_floor_divide(mx_multiply(x, x, S), mx_array_scalar_i64(-3, MX_INT32), S);
    return mx_where(mx_greater(y, mx_array_scalar_i64(2, MX_INT32), S),
                    mx_remainder(y, mx_array_scalar_i64(5, MX_INT32), S), mx_negative(x, S), S);
}

TEST(integer_chain_with_where) {
    int32_t v[24];
    for (int i = 0; i < 24; i++) v[i] = i * 7 - 80;
    int64_t sh[2] = {4, 6};
    mx_array *x = t_i32(v, sh, 2);
    check_body(int_chain, &x, 1, 0, 0);
    mx_array_release(x);
}

static mx_array *bcast(mx_array *const *in) { /* (3,4) with (4,) and (3,1) */
    return mx_add(mx_multiply(in[0], in[1], S), mx_exp(in[2], S), S);
}

TEST(broadcasting_inputs) {
    mx_array *in[3] = {ramp(3, 4, -1, 0.2, MX_FLOAT32), NULL, NULL};
    float w[4] = {1, -2, 0.5, 3}, z[3] = {0.1f, 0.2f, 0.3f};
    int64_t sw[1] = {4}, sz[2] = {3, 1};
    in[1] = t_f32(w, sw, 1);
    in[2] = t_f32(z, sz, 2);
    check_body(bcast, in, 3, 0, 1e-6);
    for (int i = 0; i < 3; i++) mx_array_release(in[i]);
}

static mx_array *with_reduce(mx_array *const *in) {
    mx_array *x = in[0];
    int ax = 1;
    mx_array *s = mx_sum(mx_multiply(mx_exp(x, S), k(2, x), S), &ax, 1, true, S);
    return mx_divide(mx_add(mx_exp(x, S), k(1, x), S), s, S);
}

TEST(reductions_mixed_in) {
    mx_array *x = ramp(5, 6, -1, 0.07, MX_FLOAT32);
    check_body(with_reduce, &x, 1, 0, 1e-6);
    mx_array_release(x);
}

static mx_status two_out(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)ctx, (void)n, (void)max;
    mx_scope sc = mx_scope_begin();
    mx_array *a = mx_add(mx_sin(in[0], S), in[1], S);
    mx_array *b = mx_multiply(a, mx_cos(in[1], S), S);
    out[0] = mx_scope_keep(a);
    out[1] = mx_scope_keep(b);
    mx_scope_end(sc, NULL);
    out[2] = mx_array_retain(in[0]); /* an input passed through */
    *n_out = 3;
    return MX_OK;
}

TEST(multiple_inputs_and_outputs) {
    mx_array *in[2] = {ramp(4, 5, -1, 0.1, MX_FLOAT32), ramp(4, 5, 0.3, -0.05, MX_FLOAT32)};
    mx_compiled *c = mx_compile(two_out, NULL, 0);
    mx_array *got[3], *want[3];
    int n = 0, m = 0;
    CHECK(mx_compiled_call(c, in, 2, got, &n, 3) == MX_OK && n == 3);
    CHECK(two_out(NULL, in, 2, want, &m, 3) == MX_OK && m == 3);
    for (int i = 0; i < 3 && n == 3; i++) check_same(got[i], want[i], 1e-6);
    for (int i = 0; i < n; i++) mx_array_release(got[i]);
    for (int i = 0; i < m; i++) mx_array_release(want[i]);
    /* too few output slots */
    CHECK_ERR(mx_compiled_call(c, in, 2, got, &n, 1), MX_ERR_VALUE, "compile");
    mx_compiled_free(c);
    for (int i = 0; i < 2; i++) mx_array_release(in[i]);
}

static mx_array *specials(mx_array *const *in) {
    mx_array *x = in[0];
    mx_array *a = mx_maximum(x, k(NAN, x), S);                                    /* nan */
    mx_array *b = mx_minimum(mx_multiply(x, k(INFINITY, x), S), k(1e300, x), S); /* inf, 1e300 */
    return mx_add(mx_where(mx_isnan(a, S), b, a, S), k(1e-310, x), S); /* float64: subnormal */
}

TEST(constants_inf_nan_float64) { /* float64 on the CPU, float32 (1e300: inf) on the default device */
    double v[6] = {-2, -0.0, 0, 1e-300, 3, 1e308};
    int64_t sh[1] = {6};
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        mx_array *x = t_array(v, sh, 1, t_dt);
        check_body(specials, &x, 1, 0, 0);
        mx_array_release(x);
        t_pass_end(pass);
    }
}

static mx_array *cse_body(mx_array *const *in) {
    mx_array *x = in[0];
    return mx_add(mx_exp(x, S), mx_exp(x, S), S);
}

static mx_array *merge_body(mx_array *const *in) { /* two equal scalar constants */
    mx_array *x = in[0], *y = in[1];
    return mx_add(mx_multiply(x, k(2, x), S), mx_multiply(y, k(2, y), S), S);
}

TEST(cse_and_scalar_merging_shrink_the_tape) {
    mx_array *x = ramp(3, 3, -1, 0.2, MX_FLOAT32), *y = ramp(3, 3, 1, 0.1, MX_FLOAT32);
    mx_compile_reset_stats();
    check_body(cse_body, &x, 1, 0, 1e-6);
    mx_compile_stats st;
    mx_compile_get_stats(&st);
    CHECK(st.tape_nodes == 2); /* exp, add */
    CHECK(st.fused_tape_nodes == 1);
    mx_array *xy[2] = {x, y};
    check_body(merge_body, xy, 2, 0, 1e-6);
    mx_compile_get_stats(&st);
    CHECK(st.tape_nodes == 4); /* broadcast(2), 2 multiplies, add */
    mx_array_release(x);
    mx_array_release(y);
}

TEST(cache_hits_and_retrace_on_new_shape) {
    mx_compile_reset_stats();
    mx_compiled *c = mx_compile(run_body, (void *)gelu, 0);
    mx_array *x = ramp(4, 4, -1, 0.1, MX_FLOAT32), *y = ramp(4, 4, 1, 0.1, MX_FLOAT32);
    mx_array *z = ramp(2, 3, 0, 0.1, MX_FLOAT32), *w = ramp(4, 4, 0, 1, MX_FLOAT64);
    mx_array *ins[4] = {x, y, z, w}, *o;
    int n;
    long long want_traces[4] = {1, 1, 2, 3}, want_hits[4] = {0, 1, 1, 1};
    for (int i = 0; i < 4; i++) {
        if (i == 3) t_cpu_begin(); /* w: float64 */
        CHECK(mx_compiled_call(c, &ins[i], 1, &o, &n, 1) == MX_OK);
        mx_scope sc = mx_scope_begin();
        check_same(o, gelu(&ins[i]), 1e-6);
        mx_scope_end(sc, NULL);
        mx_array_release(o);
        if (i == 3) t_cpu_end();
        mx_compile_stats st;
        mx_compile_get_stats(&st);
        CHECK(st.traces == want_traces[i] && st.cache_hits == want_hits[i]);
    }
    mx_compiled_free(c);
    for (int i = 0; i < 4; i++) mx_array_release(ins[i]);
}

TEST(shapeless_follows_shapes_and_retraces_reductions) {
    mx_compile_reset_stats();
    mx_compiled *c = mx_compile(run_body, (void *)gelu, 1);
    mx_array *a = ramp(3, 4, -1, 0.1, MX_FLOAT32), *b = ramp(7, 2, -2, 0.2, MX_FLOAT32);
    mx_array *o = NULL;
    int n;
    CHECK(mx_compiled_call(c, &a, 1, &o, &n, 1) == MX_OK);
    mx_array_release(o);
    CHECK(mx_compiled_call(c, &b, 1, &o, &n, 1) == MX_OK);
    mx_scope sc = mx_scope_begin();
    check_same(o, gelu(&b), 1e-6);
    mx_scope_end(sc, NULL);
    mx_array_release(o);
    mx_compile_stats st;
    mx_compile_get_stats(&st);
    CHECK(st.traces == 1 && st.cache_hits == 1);
    mx_compiled_free(c);
    /* broadcasting under shapeless: (3,4)*(4,) traced, then (5,2)*(2,) */
    c = mx_compile(run_body, (void *)bcast, 1);
    mx_array *i1[3] = {ramp(3, 4, 0, 0.1, MX_FLOAT32), NULL, NULL};
    mx_array *i2[3] = {ramp(5, 2, 0, 0.1, MX_FLOAT32), NULL, NULL};
    float w[4] = {1, 2, 3, 4}, z[5] = {0, 1, 2, 3, 4};
    int64_t s4[1] = {4}, s2[1] = {2}, z3[2] = {3, 1}, z5[2] = {5, 1};
    i1[1] = t_f32(w, s4, 1), i1[2] = t_f32(z, z3, 2);
    i2[1] = t_f32(w, s2, 1), i2[2] = t_f32(z, z5, 2);
    mx_compile_reset_stats();
    CHECK(mx_compiled_call(c, i1, 3, &o, &n, 1) == MX_OK);
    mx_array_release(o);
    CHECK(mx_compiled_call(c, i2, 3, &o, &n, 1) == MX_OK);
    sc = mx_scope_begin();
    check_same(o, bcast(i2), 1e-6);
    mx_scope_end(sc, NULL);
    mx_array_release(o);
    mx_compile_get_stats(&st);
    CHECK(st.traces == 1 && st.cache_hits == 1);
    mx_compiled_free(c);
    for (int i = 0; i < 3; i++) mx_array_release(i1[i]), mx_array_release(i2[i]);
    /* a reduction: retraced for a new shape even when shapeless */
    c = mx_compile(run_body, (void *)with_reduce, 1);
    mx_compile_reset_stats();
    CHECK(mx_compiled_call(c, &a, 1, &o, &n, 1) == MX_OK);
    mx_array_release(o);
    CHECK(mx_compiled_call(c, &b, 1, &o, &n, 1) == MX_OK);
    sc = mx_scope_begin();
    check_same(o, with_reduce(&b), 1e-6);
    mx_scope_end(sc, NULL);
    mx_array_release(o);
    mx_compile_get_stats(&st);
    CHECK(st.traces == 2);
    mx_compiled_free(c);
    mx_array_release(a);
    mx_array_release(b);
}

TEST(disabled_calls_the_function) {
    mx_compile_reset_stats();
    mx_disable_compile();
    CHECK(!mx_compile_enabled());
    mx_array *x = ramp(3, 3, -1, 0.2, MX_FLOAT32);
    check_body(gelu, &x, 1, 0, 1e-6);
    mx_compile_stats st;
    mx_compile_get_stats(&st);
    CHECK(st.traces == 0);
    mx_enable_compile();
    CHECK(mx_compile_enabled());
    mx_array_release(x);
}

/* ---- composition with the transforms ---- */
typedef struct comp_ctx {
    mx_compiled *c;
} comp_ctx;

static mx_status call_compiled(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out,
                               int max) {
    return mx_compiled_call(((comp_ctx *)ctx)->c, in, n, out, n_out, max);
}

TEST(grad_jvp_of_compiled) {
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        mx_array *x = ramp(3, 5, -2, 0.27, t_dt);
        comp_ctx cc = {mx_compile(run_body, (void *)gelu, 0)};
        mx_array *ones = mx_ones_like(x, MX_DTYPE_AUTO, S);
        for (int rep = 0; rep < 2; rep++) { /* traced inside vjp, then replayed from the cache */
            if (rep == 1) { /* populate the cache outside any transform first */
                mx_array *o;
                int n;
                CHECK(mx_compiled_call(cc.c, &x, 1, &o, &n, 1) == MX_OK);
                mx_array_release(o);
            }
            mx_array *o1[1], *g1[1], *o2[1], *g2[1];
            int n1, n2;
            CHECK(mx_vjp(call_compiled, &cc, &x, 1, &ones, 1, o1, &n1, 1, g1) == MX_OK);
            CHECK(mx_vjp(run_body, (void *)gelu, &x, 1, &ones, 1, o2, &n2, 1, g2) == MX_OK);
            check_same(o1[0], o2[0], T_TOL(1e-12, 1e-5));
            check_same(g1[0], g2[0], T_TOL(1e-12, 1e-5));
            mx_array_release(o1[0]), mx_array_release(g1[0]);
            mx_array_release(o2[0]), mx_array_release(g2[0]);
            CHECK(mx_jvp(call_compiled, &cc, &x, 1, &ones, o1, &n1, 1, g1) == MX_OK);
            CHECK(mx_jvp(run_body, (void *)gelu, &x, 1, &ones, o2, &n2, 1, g2) == MX_OK);
            check_same(g1[0], g2[0], T_TOL(1e-12, 1e-5));
            mx_array_release(o1[0]), mx_array_release(g1[0]);
            mx_array_release(o2[0]), mx_array_release(g2[0]);
        }
        mx_compiled_free(cc.c);
        mx_array_release(ones);
        mx_array_release(x);
        t_pass_end(pass);
    }
}

static mx_status grad_of_gelu(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out,
                              int max) {
    (void)ctx, (void)n, (void)max;
    mx_array *ones = mx_ones_like(in[0], MX_DTYPE_AUTO, S), *o[1];
    int no;
    mx_status rc = mx_vjp(run_body, (void *)gelu, in, 1, &ones, 1, o, &no, 1, out);
    mx_array_release(ones);
    if (rc == MX_OK) mx_array_release(o[0]);
    *n_out = 1;
    return rc;
}

TEST(compiled_of_grad) {
    mx_array *x = ramp(4, 6, -2, 0.17, MX_FLOAT32);
    mx_compiled *c = mx_compile(grad_of_gelu, NULL, 0);
    mx_array *got, *want;
    int n, m;
    for (int rep = 0; rep < 2; rep++) {
        CHECK(mx_compiled_call(c, &x, 1, &got, &n, 1) == MX_OK);
        CHECK(grad_of_gelu(NULL, &x, 1, &want, &m, 1) == MX_OK);
        check_same(got, want, 1e-5);
        mx_array_release(got);
        mx_array_release(want);
    }
    mx_compiled_free(c);
    mx_array_release(x);
}

TEST(vmap_of_compiled) {
    mx_array *x = ramp(5, 7, -2, 0.09, MX_FLOAT32);
    comp_ctx cc = {mx_compile(run_body, (void *)gelu, 0)};
    mx_array *got, *want;
    int n, m, ax = 1;
    CHECK(mx_vmap(call_compiled, &cc, &x, 1, &ax, NULL, &got, &n, 1) == MX_OK);
    CHECK(mx_vmap(run_body, (void *)gelu, &x, 1, &ax, NULL, &want, &m, 1) == MX_OK);
    check_same(got, want, 1e-6);
    mx_array_release(got);
    mx_array_release(want);
    /* with a broadcast input unmapped */
    cc.c = (mx_compiled_free(cc.c), mx_compile(run_body, (void *)bcast, 0));
    mx_array *in[3] = {ramp(6, 4, -1, 0.1, MX_FLOAT32), NULL, ramp(3, 1, 0, 0.1, MX_FLOAT32)};
    float w[4] = {1, -2, 0.5, 3};
    int64_t sw[1] = {4};
    in[1] = t_f32(w, sw, 1);
    /* map x's axis 0 as a batch of (4,) rows broadcast against z (3,1): per example (3,4) */
    int axes[3] = {0, -1, -1};
    CHECK(mx_vmap(call_compiled, &cc, in, 3, axes, NULL, &got, &n, 1) == MX_OK);
    CHECK(mx_vmap(run_body, (void *)bcast, in, 3, axes, NULL, &want, &m, 1) == MX_OK);
    check_same(got, want, 1e-6);
    mx_array_release(got);
    mx_array_release(want);
    mx_compiled_free(cc.c);
    for (int i = 0; i < 3; i++) mx_array_release(in[i]);
    mx_array_release(x);
}

TEST(errors) {
    CHECK_ERR(mx_compile(NULL, NULL, 0), MX_ERR_VALUE, "compile");
    mx_compiled *c = mx_compile(run_body, (void *)gelu, 0);
    mx_array *nul = NULL, *o;
    int n;
    CHECK_ERR(mx_compiled_call(c, &nul, 1, &o, &n, 1), MX_ERR_VALUE, "compile");
    CHECK_ERR(mx_compiled_call(NULL, &nul, 1, &o, &n, 1), MX_ERR_VALUE, "compile");
    mx_compiled_free(c);
    mx_compiled_free(NULL);
}

/* A fused chain with broadcast operands, as after a matmul: max(z + b, 0) * c + exp(-z), with b a
 * row vector (inner stride 1, outer 0) and c a column (inner stride 0): the JIT's rows variant. */
static mx_array *bias_relu(mx_array *const *in) {
    mx_array *z = in[0];
    mx_array *h = mx_maximum(mx_add(z, in[1], S), k(0, z), S);
    return mx_add(mx_multiply(h, in[2], S), mx_exp(mx_negative(z, S), S), S);
}

static mx_array *ramp_nd(const int64_t *sh, int nd, double lo, double step, mx_dtype dt) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= sh[i];
    double *v = malloc(sizeof(double) * (size_t)(n + 1));
    for (int64_t i = 0; i < n; i++) v[i] = lo + step * (double)((i * 37) % 101);
    mx_array *r = t_array(v, sh, nd, dt);
    free(v);
    return r;
}

TEST(broadcast_operand_fused_chain) {
    bool have_cc = system("cc --version >/dev/null 2>&1") == 0;
    mx_compile_reset_stats();
    /* 2-D, float32: values against a double reference too */
    int64_t sz[2] = {300, 129}, sb[1] = {129}, sc[2] = {300, 1};
    mx_array *in[3] = {ramp_nd(sz, 2, -2, 0.04, MX_FLOAT32), ramp_nd(sb, 1, -1, 0.02, MX_FLOAT32),
                       ramp_nd(sc, 2, 0.5, 0.01, MX_FLOAT32)};
    check_body(bias_relu, in, 3, 0, 1e-6);
    mx_compiled *c = mx_compile(run_body, (void *)bias_relu, 0);
    mx_array *got = NULL;
    int n = 0;
    CHECK(mx_compiled_call(c, in, 3, &got, &n, 1) == MX_OK && n == 1);
    double *g = calloc(300 * 129, sizeof(double)), *zv = calloc(300 * 129, sizeof(double));
    double bv[129], cv[300];
    CHECK(t_read(got, g, 300 * 129) == 300 * 129 && t_read(in[0], zv, 300 * 129) == 300 * 129);
    CHECK(t_read(in[1], bv, 129) == 129 && t_read(in[2], cv, 300) == 300);
    for (int i = 0; i < 300; i++)
        for (int j = 0; j < 129; j++) {
            double z = zv[i * 129 + j], h = z + bv[j] > 0 ? z + bv[j] : 0;
            CHECK_CLOSE(g[i * 129 + j], h * cv[i] + exp(-z), 1e-6, 1e-5);
        }
    free(g);
    free(zv);
    mx_array_release(got);
    /* row-sliced z (rows not contiguous with each other) and a reversed z (generic strides) */
    int64_t st[2] = {0, 1}, sp[2] = {MX_SLICE_NONE, MX_SLICE_NONE}, one[2] = {1, 1};
    int64_t bst[1] = {0}, bsp[1] = {128};
    int64_t rst[2] = {MX_SLICE_NONE, MX_SLICE_NONE}, rsp[2] = {MX_SLICE_NONE, 0},
            rstep[2] = {1, -1};
    mx_array *zs = mx_slice(in[0], st, sp, one, S), *bs = mx_slice(in[1], bst, bsp, NULL, S);
    mx_array *zr = mx_slice(in[0], rst, rsp, rstep, S);
    mx_array *v1[3] = {zs, bs, in[2]}, *v2[3] = {zr, bs, in[2]};
    check_body(bias_relu, v1, 3, 0, 1e-6);
    check_body(bias_relu, v2, 3, 0, 1e-6);
    mx_array_release(zs), mx_array_release(bs), mx_array_release(zr);
    for (int i = 0; i < 3; i++) mx_array_release(in[i]);
    mx_compiled_free(c);
    /* 3-D with a per-(outer, inner) bias and a middle-axis column, several dtypes; 300 rows in
     * blocks of 50 so that the thread pool's ranges start inside a block */
    mx_dtype dts[4] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16, MX_FLOAT64};
    int64_t z3[3] = {6, 50, 65}, b3[3] = {6, 1, 65}, c3[2] = {50, 1};
    for (int t = 0; t < 4; t++) {
        if (dts[t] == MX_FLOAT64) t_cpu_begin();
        mx_array *x[3] = {ramp_nd(z3, 3, -2, 0.04, dts[t]), ramp_nd(b3, 3, -1, 0.02, dts[t]),
                          ramp_nd(c3, 2, 0.5, 0.01, dts[t])};
        check_body(bias_relu, x, 3, 0, 1e-6);
        mx_array *xt = mx_transpose(x[0], NULL, 0, S), *bt = mx_transpose(x[1], NULL, 0, S);
        mx_array *ct = mx_reshape(x[2], (int64_t[]){50, 1}, 2, S);
        mx_array *y[3] = {xt, bt, ct}; /* (65, 50, 6): every operand strided in the inner axis */
        check_body(bias_relu, y, 3, 0, 1e-6);
        mx_array_release(xt), mx_array_release(bt), mx_array_release(ct);
        for (int i = 0; i < 3; i++) mx_array_release(x[i]);
        if (dts[t] == MX_FLOAT64) t_cpu_end();
    }
    mx_compile_stats s;
    mx_compile_get_stats(&s);
    CHECK(s.fused_nodes >= 1);
    /* the CPU's JIT ran everything (on a GPU some of it is the GPU's) */
    if (have_cc && !t_gpu_default()) CHECK(s.jit_runs >= 1 && s.interp_runs == 0);
    else CHECK(s.jit_runs + s.interp_runs >= 1);
}
