/* tests/c/test_compile_call.c: compiled calls run as one COMPILED_CALL node (transforms/tape.h),
 * against calling the function directly: a mixed tape (matmul, reduction, views, fused
 * element-wise work, a captured constant, an input and a duplicate among the outputs), strided
 * and broadcast inputs, nested compiled functions, the derivative and vmap rules of the node,
 * a tape that outlives its compiled function, and calls alternating between two streams.
 * With a GPU as the default device the tape is captured once into a CUDA graph and replayed
 * (the graph counters are checked); on the CPU the node's kernel runs the tape's kernels. */
#define FAMILY "compile_call"
#include <stdlib.h>

#include "harness.h"
#include "transforms/tape.h"

#define S MX_DEFAULT_STREAM

static mx_array *ramp(int64_t n0, int64_t n1, double lo, double step) {
    int64_t sh[2] = {n0, n1};
    double *v = malloc(sizeof(double) * (size_t)(n0 * n1 + 1));
    for (int64_t i = 0; i < n0 * n1; i++) v[i] = lo + step * (double)((i * 7) % 23);
    mx_array *r = t_array(v, sh, 2, MX_FLOAT32);
    free(v);
    return r;
}

static void check_same(mx_array *got, mx_array *want, double rtol) {
    CHECK(got && want);
    if (!got || !want) return;
    CHECK(mx_array_dtype(got) == mx_array_dtype(want));
    CHECK(t_shape_is(got, mx_array_shape(want), mx_array_ndim(want)));
    int64_t n = mx_array_size(want);
    double *a = calloc((size_t)n + 1, sizeof(double)), *b = calloc((size_t)n + 1, sizeof(double));
    CHECK(t_read(got, a, n) == n && t_read(want, b, n) == n);
    for (int64_t i = 0; i < n; i++) CHECK_CLOSE(a[i], b[i], 1e-5, rtol);
    free(a);
    free(b);
}

/* (x (m,k), w (k,n)) -> (relu(x @ w + c) * 0.5 - 1, sum over rows of exp(-(x@w)^2), x, same as
 * output 0, transpose(x @ w)); c is a captured constant */
static mx_array *g_const;

static mx_status mixed(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)ctx, (void)n, (void)max;
    mx_scope sc = mx_scope_begin();
    mx_array *y = mx_matmul(in[0], in[1], S);
    mx_array *h = mx_maximum(mx_add(y, g_const, S), mx_array_scalar_f64(0, MX_FLOAT32), S);
    mx_array *a = mx_subtract(mx_multiply(h, mx_array_scalar_f64(0.5, MX_FLOAT32), S),
                              mx_array_scalar_f64(1, MX_FLOAT32), S);
    int ax = 0;
    mx_array *b = mx_sum(mx_exp(mx_negative(mx_square(y, S), S), S), &ax, 1, false, S);
    mx_array *tr = mx_transpose(y, NULL, 0, S);
    out[0] = mx_array_retain(a);
    out[1] = mx_array_retain(b);
    out[2] = mx_array_retain(in[0]);
    out[3] = mx_array_retain(a);
    out[4] = mx_array_retain(tr);
    mx_scope_end(sc, NULL);
    for (int i = 0; i < 5; i++) mx_scope_track(out[i]);
    *n_out = 5;
    return mx_error_status();
}

static int on_gpu(void) { return t_gpu_default(); }

/* cuda_graph.c's test hook (absent from builds without CUDA) */
__attribute__((weak)) void mx_cuda_graph_fail_captures(int n);

/* call nodes on every stream (the default is GPU streams only) */
static int saved_mode;
static void calls_begin(void) {
    saved_mode = mx_compile_call_nodes();
    mx_compile_set_call_nodes(on_gpu() ? 1 : 2);
}
static void calls_end(void) { mx_compile_set_call_nodes(saved_mode); }

TEST(mixed_tape_matches_direct_calls) {
    calls_begin();
    float cv[6] = {0.5f, -0.25f, 0.125f, 1, -1, 0};
    int64_t cs[1] = {6};
    g_const = t_f32(cv, cs, 1);
    mx_compiled *c = mx_compile(mixed, NULL, 0);
    mx_compile_reset_stats();
    for (int rep = 0; rep < 4; rep++) {
        mx_array *in[2] = {ramp(5, 7, -1 + 0.1 * rep, 0.09), ramp(7, 6, -0.5, 0.07 + 0.01 * rep)};
        mx_array *got[5] = {0}, *want[5] = {0};
        int n = 0, m = 0;
        CHECK(mx_compiled_call(c, in, 2, got, &n, 5) == MX_OK && n == 5);
        CHECK(mixed(NULL, in, 2, want, &m, 5) == MX_OK && m == 5);
        CHECK(mx_eval(got, 5) == MX_OK);
        for (int i = 0; i < 5 && n == 5; i++) check_same(got[i], want[i], 1e-5);
        for (int i = 0; i < 5; i++) mx_array_release(got[i]), mx_array_release(want[i]);
        mx_array_release(in[0]), mx_array_release(in[1]);
    }
    mx_compile_stats st;
    mx_compile_get_stats(&st);
    CHECK(st.traces == 1 && st.cache_hits == 3);
    CHECK(st.call_nodes == 3); /* every hit */
    if (on_gpu()) CHECK(st.graph_captures == 1 && st.graph_launches == 3 && st.graph_failures == 0);
    mx_compiled_free(c);
    mx_array_release(g_const);
    calls_end();
}

/* a strided (transposed) and a broadcast input, and lazy inputs made by other nodes */
static mx_status affine(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out,
                        int max) {
    (void)ctx, (void)n, (void)max;
    mx_scope sc = mx_scope_begin();
    mx_array *r = mx_tanh(mx_add(mx_matmul(in[0], in[0], S), in[1], S), S);
    out[0] = mx_scope_end(sc, mx_multiply(r, in[1], S));
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}

TEST(strided_and_broadcast_inputs) {
    calls_begin();
    mx_compiled *c = mx_compile(affine, NULL, 0);
    for (int rep = 0; rep < 4; rep++) {
        mx_array *x = ramp(6, 6, -0.3, 0.05 + 0.01 * rep);
        mx_array *xt = mx_transpose(x, NULL, 0, S); /* not row-major */
        float bv[6] = {1, 2, 3, -1, -2, (float)rep};
        int64_t bs[1] = {6}, bb[2] = {6, 6};
        mx_array *row = t_f32(bv, bs, 1);
        mx_array *b = mx_broadcast_to(row, bb, 2, S); /* stride 0 rows */
        mx_array_release(row);
        mx_array *in[2] = {rep % 2 ? xt : x, b}, *got = NULL, *want = NULL;
        int n = 0, m = 0;
        CHECK(mx_compiled_call(c, in, 2, &got, &n, 1) == MX_OK);
        CHECK(affine(NULL, in, 2, &want, &m, 1) == MX_OK);
        check_same(got, want, 1e-5);
        mx_array_release(got), mx_array_release(want);
        mx_array_release(xt), mx_array_release(b), mx_array_release(x);
    }
    mx_compiled_free(c);
    calls_end();
}

/* a compiled function that calls another one */
static mx_compiled *g_inner;
static mx_status outer_fn(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out,
                          int max) {
    (void)ctx, (void)n, (void)max;
    mx_array *r[1] = {0};
    int k = 0;
    MX_TRY(mx_compiled_call(g_inner, in, 2, r, &k, 1));
    mx_scope sc = mx_scope_begin();
    int ax = 1;
    out[0] = mx_scope_end(sc, mx_sum(mx_multiply(r[0], r[0], S), &ax, 1, true, S));
    mx_array_release(r[0]);
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}

TEST(nested_compiled_functions) {
    calls_begin();
    g_inner = mx_compile(affine, NULL, 0);
    mx_compiled *c = mx_compile(outer_fn, NULL, 0);
    for (int rep = 0; rep < 3; rep++) {
        mx_array *x = ramp(4, 4, -0.2, 0.1 + 0.02 * rep), *b = ramp(4, 4, 0.3, -0.05);
        mx_array *in[2] = {x, b}, *got = NULL, *want = NULL;
        int n = 0, m = 0;
        CHECK(mx_compiled_call(c, in, 2, &got, &n, 1) == MX_OK);
        CHECK(outer_fn(NULL, in, 2, &want, &m, 1) == MX_OK);
        check_same(got, want, 1e-5);
        mx_array_release(got), mx_array_release(want);
        mx_array_release(x), mx_array_release(b);
    }
    mx_compiled_free(c);
    mx_compiled_free(g_inner);
    calls_end();
}

/* the node's vjp / jvp / vmap rules: call nodes inside transforms (mode 2) */
static mx_compiled *g_c;
static mx_status call_c(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out,
                        int max) {
    (void)ctx;
    return mx_compiled_call(g_c, in, n, out, n_out, max);
}

TEST(derivative_and_vmap_rules) {
    int saved = mx_compile_call_nodes();
    mx_compile_set_call_nodes(2);
    g_c = mx_compile(affine, NULL, 0);
    mx_array *x = ramp(3, 3, -0.4, 0.11), *b = ramp(3, 3, 0.2, 0.05);
    mx_array *in[2] = {x, b}, *warm = NULL;
    int n = 0, m = 0;
    CHECK(mx_compiled_call(g_c, in, 2, &warm, &n, 1) == MX_OK); /* cached: later calls are nodes */
    mx_array_release(warm);
    mx_compile_reset_stats();
    mx_array *ct = ramp(3, 3, 1, 0.3);
    mx_array *o1 = NULL, *o2 = NULL, *g1[2] = {0}, *g2[2] = {0};
    CHECK(mx_vjp(call_c, NULL, in, 2, &ct, 1, &o1, &n, 1, g1) == MX_OK);
    CHECK(mx_vjp(affine, NULL, in, 2, &ct, 1, &o2, &m, 1, g2) == MX_OK);
    check_same(o1, o2, 1e-5);
    check_same(g1[0], g2[0], 1e-4);
    check_same(g1[1], g2[1], 1e-4);
    mx_array_release(o1), mx_array_release(o2);
    for (int i = 0; i < 2; i++) mx_array_release(g1[i]), mx_array_release(g2[i]);
    mx_array *tan[2] = {ramp(3, 3, 0.1, 0.2), ramp(3, 3, -0.3, 0.1)};
    mx_array *t1 = NULL, *t2 = NULL;
    CHECK(mx_jvp(call_c, NULL, in, 2, tan, &o1, &n, 1, &t1) == MX_OK);
    CHECK(mx_jvp(affine, NULL, in, 2, tan, &o2, &m, 1, &t2) == MX_OK);
    check_same(t1, t2, 1e-4);
    mx_array_release(o1), mx_array_release(o2), mx_array_release(t1), mx_array_release(t2);
    mx_compile_stats st;
    mx_compile_get_stats(&st);
    CHECK(st.call_nodes >= 2);
    /* vmap over a batch of 3 x matrices (axis 0), b unbatched: a new cache entry (batched shapes
     * reach the inner calls as tracers of the inner shape) */
    int64_t s3[3] = {2, 3, 3};
    mx_array *flat = ramp(6, 3, -0.5, 0.07);
    mx_array *xb = mx_reshape(flat, s3, 3, S), *vb = NULL, *vw = NULL;
    mx_array_release(flat);
    mx_array *vin[2] = {xb, b};
    int axes[2] = {0, -1};
    CHECK(mx_vmap(call_c, NULL, vin, 2, axes, NULL, &vb, &n, 1) == MX_OK);
    CHECK(mx_vmap(affine, NULL, vin, 2, axes, NULL, &vw, &m, 1) == MX_OK);
    check_same(vb, vw, 1e-5);
    mx_array_release(vb), mx_array_release(vw), mx_array_release(xb);
    mx_array_release(tan[0]), mx_array_release(tan[1]), mx_array_release(ct);
    mx_array_release(x), mx_array_release(b);
    mx_compiled_free(g_c);
    mx_compile_set_call_nodes(saved);
}

TEST(tape_outlives_the_compiled_function) {
    calls_begin();
    mx_compiled *c = mx_compile(affine, NULL, 0);
    mx_array *x = ramp(5, 5, -0.1, 0.03), *b = ramp(5, 5, 0.4, -0.02);
    mx_array *in[2] = {x, b}, *r1 = NULL, *r2 = NULL, *want = NULL;
    int n = 0;
    CHECK(mx_compiled_call(c, in, 2, &r1, &n, 1) == MX_OK);
    CHECK(mx_compiled_call(c, in, 2, &r2, &n, 1) == MX_OK); /* a call node, still lazy */
    mx_compiled_free(c);
    CHECK(affine(NULL, in, 2, &want, &n, 1) == MX_OK);
    check_same(r2, want, 1e-5);
    check_same(r1, want, 1e-5);
    mx_array_release(r1), mx_array_release(r2), mx_array_release(want);
    mx_array_release(x), mx_array_release(b);
    calls_end();
}

/* a compiled function traced on a second stream: its call nodes run there (on the GPU: the
 * graph replays on that stream's queue) and readers on the default stream wait for them */
TEST(call_nodes_on_another_stream) {
    calls_begin();
    mx_device_type dt = on_gpu() ? MX_GPU : MX_CPU;
    mx_device dev = {dt, 0};
    mx_stream s2, old = mx_default_stream(dt);
    CHECK(mx_new_stream(dev, &s2) == MX_OK);
    mx_compiled *c = mx_compile(affine, NULL, 0);
    mx_array *res[6] = {0}, *want[6] = {0};
    for (int rep = 0; rep < 6; rep++) {
        mx_array *x = ramp(8, 8, -0.2, 0.01 * (rep + 1)), *b = ramp(8, 8, 0.1, 0.02);
        mx_array *in[2] = {x, b}, *r = NULL;
        int n = 0;
        CHECK(mx_set_default_stream(s2) == MX_OK);
        CHECK(mx_compiled_call(c, in, 2, &r, &n, 1) == MX_OK);
        CHECK(mx_set_default_stream(old) == MX_OK);
        res[rep] = mx_add(r, b, S); /* read on the default stream */
        CHECK(affine(NULL, in, 2, &want[rep], &n, 1) == MX_OK);
        mx_array *w = mx_add(want[rep], b, S);
        mx_array_release(want[rep]);
        want[rep] = w;
        mx_array_release(r), mx_array_release(x), mx_array_release(b);
    }
    CHECK(mx_eval(res, 6) == MX_OK);
    for (int rep = 0; rep < 6; rep++) {
        check_same(res[rep], want[rep], 1e-5);
        mx_array_release(res[rep]), mx_array_release(want[rep]);
    }
    mx_compiled_free(c);
    calls_end();
}

/* captures that fail (here: a synchronisation inside the capture, as an uncapturable kernel
 * would do) fall back to running the tape kernel by kernel, and after two failures the tape is
 * not captured again; results stay right throughout */
TEST(failed_captures_fall_back) {
    if (!on_gpu() || !mx_cuda_graph_fail_captures) return;
    calls_begin();
    mx_compiled *c = mx_compile(affine, NULL, 0);
    mx_cuda_graph_fail_captures(2);
    mx_compile_reset_stats();
    for (int rep = 0; rep < 5; rep++) {
        mx_array *x = ramp(6, 6, -0.1 * rep, 0.05), *b = ramp(6, 6, 0.3, -0.04);
        mx_array *in[2] = {x, b}, *got = NULL, *want = NULL;
        int n = 0, m = 0;
        CHECK(mx_compiled_call(c, in, 2, &got, &n, 1) == MX_OK);
        CHECK(affine(NULL, in, 2, &want, &m, 1) == MX_OK);
        check_same(got, want, 1e-5);
        mx_array_release(got), mx_array_release(want), mx_array_release(x), mx_array_release(b);
    }
    mx_compile_stats st;
    mx_compile_get_stats(&st);
    CHECK(st.call_nodes == 4 && st.graph_failures == 2);
    CHECK(st.graph_captures == 0 && st.graph_launches == 0);
    mx_cuda_graph_fail_captures(0);
    mx_compiled_free(c);
    calls_end();
}
