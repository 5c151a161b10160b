/* tests/c/test_grad_shape.c: derivative and vmap rules of the shape family (concatenate, pad in
 * every mode, diagonal, contiguous) and the sort family (sort, partition, argsort, argpartition,
 * searchsorted): VJP and JVP against central finite differences in float64 on the CPU and in
 * float32 on the default device against the float64 ones, vmap against an explicit loop over the
 * mapped axis (negative axes, batch axes not in front, unmapped inputs), in both passes. */
#define FAMILY "grad_shape"
#include <stdlib.h>

#include "harness.h"

#define S MX_DEFAULT_STREAM
#define SCOPED(expr)                                                                               \
    mx_scope sc_ = mx_scope_begin();                                                               \
    mx_array *r_ = (expr);                                                                         \
    return mx_scope_end(sc_, r_)

/* ---- finite differences: the harness's t_check_fd ---- */
typedef t_fx_fn fx_fn;
#define call_fx t_call_fx
#define check_fd(name, f, x, shape, nd) t_check_fd(name, f, x, shape, nd, 1e-6)

/* distinct values in a scrambled order (no ties: sort derivatives are well defined) */
static void fill(double *x, int n) {
    for (int i = 0; i < n; i++) x[i] = 0.1 * (double)((i * 7 + 3) % n) - 0.05 * n + 0.013 * i;
}

/* ---- concatenate ---- */
static mx_array *f_concat_last(mx_array *x) { /* (3, 4) -> (3, 6) */
    int64_t st[2] = {0, 1}, en[2] = {3, 3};
    SCOPED(mx_concatenate((mx_array *[]){mx_sin(mx_slice(x, st, en, NULL, S), S), x}, 2, -1, false, S));
}
static mx_array *f_concat_first3(mx_array *x) { /* (3, 4) -> (9, 4): x, x^2, x again */
    SCOPED(mx_concatenate((mx_array *[]){x, mx_square(x, S), x}, 3, 0, false, S));
}
static mx_array *f_stack(mx_array *x) { /* stack is a composite over CONCATENATE */
    SCOPED(mx_stack((mx_array *[]){x, mx_exp(x, S)}, 2, -2, S));
}

TEST(concatenate_vjp_jvp) {
    double x[12];
    fill(x, 12);
    int64_t sh[2] = {3, 4};
    check_fd("concatenate axis -1", f_concat_last, x, sh, 2);
    check_fd("concatenate axis 0, repeated input", f_concat_first3, x, sh, 2);
    check_fd("stack", f_stack, x, sh, 2);
}

/* ---- pad ---- */
static mx_array *f_pad_const(mx_array *x) {
    int64_t w[4] = {1, 2, 0, 3};
    SCOPED(mx_pad(x, w, "constant", mx_array_scalar_f64(0.5, mx_array_dtype(x)), S));
}
/* the fill value depends on x: the value input gets the padded region's cotangent */
static mx_array *f_pad_const_value(mx_array *x) {
    int64_t w[4] = {2, 1, 1, 1};
    SCOPED(mx_pad(mx_exp(x, S), w, "constant", mx_sum(mx_square(x, S), NULL, 0, false, S), S));
}
static mx_array *f_pad_edge(mx_array *x) {
    int64_t w[4] = {2, 3, 1, 0};
    SCOPED(mx_pad(x, w, "edge", NULL, S));
}
static mx_array *f_pad_reflect(mx_array *x) { /* pads longer than the axes: periodic */
    int64_t w[4] = {4, 5, 3, 7};
    SCOPED(mx_pad(mx_sin(x, S), w, "reflect", NULL, S));
}
static mx_array *f_pad_symmetric(mx_array *x) {
    int64_t w[4] = {5, 4, 0, 9};
    SCOPED(mx_pad(x, w, "symmetric", NULL, S));
}
static mx_array *f_pad_reflect_1(mx_array *x) { /* (1, 4): reflect of a length-1 axis repeats it */
    int64_t st[2] = {1, 0}, en[2] = {2, 4}, w[4] = {2, 3, 2, 1};
    SCOPED(mx_pad(mx_slice(x, st, en, NULL, S), w, "reflect", NULL, S));
}
static mx_array *f_pad_transposed(mx_array *x) { /* a strided input */
    int64_t w[4] = {1, 2, 2, 1};
    SCOPED(mx_pad(mx_transpose(x, NULL, 0, S), w, "symmetric", NULL, S));
}

TEST(pad_vjp_jvp_every_mode) {
    double x[12];
    fill(x, 12);
    int64_t sh[2] = {3, 4};
    check_fd("pad constant", f_pad_const, x, sh, 2);
    check_fd("pad constant, value from x", f_pad_const_value, x, sh, 2);
    check_fd("pad edge", f_pad_edge, x, sh, 2);
    check_fd("pad reflect", f_pad_reflect, x, sh, 2);
    check_fd("pad symmetric", f_pad_symmetric, x, sh, 2);
    check_fd("pad reflect length 1", f_pad_reflect_1, x, sh, 2);
    check_fd("pad symmetric transposed", f_pad_transposed, x, sh, 2);
}

/* exact gradient of sum(pad(x, edge)) in float32: counts of copies per element */
static mx_array *f_pad_edge_1d(mx_array *x) {
    int64_t w[2] = {2, 3};
    SCOPED(mx_pad(x, w, "edge", NULL, S));
}
TEST(pad_edge_grad_counts_float32) {
    float xv[3] = {1, 2, 3};
    int64_t sh[1] = {3};
    mx_array *x = t_f32(xv, sh, 1), *u = mx_ones((int64_t[]){8}, 1, MX_FLOAT32, S), *o[1], *g[1];
    int no;
    CHECK(mx_vjp(call_fx, (void *)f_pad_edge_1d, &x, 1, &u, 1, o, &no, 1, g) == MX_OK);
    double gv[3];
    CHECK(mx_array_dtype(g[0]) == MX_FLOAT32);
    CHECK(t_read(g[0], gv, 3) == 3);
    CHECK(gv[0] == 3 && gv[1] == 1 && gv[2] == 4);
    mx_array_release(x), mx_array_release(u), mx_array_release(o[0]), mx_array_release(g[0]);
}

/* ---- diagonal ---- */
static mx_array *f_diag0(mx_array *x) { SCOPED(mx_diagonal(x, 0, 0, 1, S)); }
static mx_array *f_diag_up(mx_array *x) { SCOPED(mx_diagonal(mx_exp(x, S), 1, 0, 1, S)); }
static mx_array *f_diag_down(mx_array *x) { SCOPED(mx_diagonal(x, -2, -2, -1, S)); }
static mx_array *f_diag_swapped(mx_array *x) { SCOPED(mx_diagonal(x, 1, 1, 0, S)); }
static mx_array *f_diag3(mx_array *x) { /* (2, 3, 4): axes (-1, 0), remaining axis 1 first */
    SCOPED(mx_diagonal(mx_multiply(x, x, S), -1, -1, 0, S));
}
static mx_array *f_diag_of_view(mx_array *x) { /* a diagonal of a transposed, reversed view */
    int64_t st[2] = {MX_SLICE_NONE, MX_SLICE_NONE}, sp[2] = {-1, 1};
    SCOPED(mx_diagonal(mx_slice(mx_transpose(x, NULL, 0, S), st, st, sp, S), 0, 0, 1, S));
}
static mx_array *f_trace(mx_array *x) { SCOPED(mx_trace(x, 1, 0, 1, MX_DTYPE_AUTO, S)); }

TEST(diagonal_vjp_jvp) {
    double x[24];
    fill(x, 24);
    int64_t sh[2] = {3, 4}, sh3[3] = {2, 3, 4};
    check_fd("diagonal", f_diag0, x, sh, 2);
    check_fd("diagonal offset 1", f_diag_up, x, sh, 2);
    check_fd("diagonal offset -2", f_diag_down, x, sh, 2);
    check_fd("diagonal swapped axes", f_diag_swapped, x, sh, 2);
    check_fd("diagonal 3-d", f_diag3, x, sh3, 3);
    check_fd("diagonal of a view", f_diag_of_view, x, sh, 2);
    check_fd("trace", f_trace, x, sh, 2);
}

static mx_array *f_diag_empty(mx_array *x) { SCOPED(mx_diagonal(x, 7, 0, 1, S)); }

TEST(diagonal_empty_gives_zero_gradient) {
    double xv[12];
    fill(xv, 12);
    int64_t sh[2] = {3, 4};
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        mx_array *x = t_array(xv, sh, 2, t_dt), *u = mx_zeros((int64_t[]){0}, 1, t_dt, S), *o[1], *g[1];
        int no;
        CHECK(mx_vjp(call_fx, (void *)f_diag_empty, &x, 1, &u, 1, o, &no, 1, g) == MX_OK);
        CHECK(t_shape_is(g[0], sh, 2) && mx_array_dtype(g[0]) == t_dt);
        double gv[12];
        CHECK(t_read(g[0], gv, 12) == 12);
        for (int i = 0; i < 12; i++) CHECK(gv[i] == 0);
        mx_array_release(x), mx_array_release(u), mx_array_release(o[0]), mx_array_release(g[0]);
        t_pass_end(pass);
    }
}

/* ---- contiguous ---- */
static mx_array *f_contig(mx_array *x) {
    SCOPED(mx_multiply(mx_contiguous(mx_transpose(x, NULL, 0, S), false, S), mx_cos(x, S), S));
}
TEST(contiguous_vjp_jvp) {
    double x[9];
    fill(x, 9);
    int64_t sh[2] = {3, 3};
    check_fd("contiguous", f_contig, x, sh, 2);
}

/* ---- sort family ---- */
static mx_array *f_sort_last(mx_array *x) { SCOPED(mx_sort(mx_sin(x, S), -1, false, S)); }
static mx_array *f_sort_0(mx_array *x) { SCOPED(mx_sort(x, 0, false, S)); }
static mx_array *f_sort_flat(mx_array *x) { SCOPED(mx_sort(mx_transpose(x, NULL, 0, S), 0, true, S)); }
static mx_array *f_partition(mx_array *x) { SCOPED(mx_partition(x, 2, -1, false, S)); }
static mx_array *f_partition_0(mx_array *x) { SCOPED(mx_partition(mx_exp(x, S), -1, 0, false, S)); }
static mx_array *f_topk(mx_array *x) { SCOPED(mx_topk(x, 2, 1, false, S)); }
/* integer results: zero derivative, x * argsort(x) differentiates to argsort(x) */
static mx_array *f_argsort(mx_array *x) {
    SCOPED(mx_multiply(x, mx_astype(mx_argsort(x, -1, false, S), mx_array_dtype(x), S), S));
}
static mx_array *f_argpartition(mx_array *x) {
    SCOPED(mx_multiply(x, mx_astype(mx_argpartition(x, 1, 0, false, S), mx_array_dtype(x), S), S));
}
static mx_array *f_searchsorted(mx_array *x) {
    double sv[5] = {-1, -0.2, 0.05, 0.3, 2};
    int64_t n = 5;
    mx_array *seq = t_array(sv, &n, 1, mx_array_dtype(x));
    mx_scope sc = mx_scope_begin();
    mx_array *r = mx_multiply(x, mx_astype(mx_searchsorted(seq, x, true, S), mx_array_dtype(x), S), S);
    r = mx_scope_end(sc, r);
    mx_array_release(seq);
    return r;
}

TEST(sort_family_vjp_jvp) {
    double x[12];
    fill(x, 12);
    int64_t sh[2] = {3, 4};
    check_fd("sort axis -1", f_sort_last, x, sh, 2);
    check_fd("sort axis 0", f_sort_0, x, sh, 2);
    check_fd("sort flattened transposed", f_sort_flat, x, sh, 2);
    check_fd("partition kth 2", f_partition, x, sh, 2);
    check_fd("partition kth -1 axis 0", f_partition_0, x, sh, 2);
    check_fd("topk", f_topk, x, sh, 2);
    check_fd("argsort", f_argsort, x, sh, 2);
    check_fd("argpartition", f_argpartition, x, sh, 2);
    check_fd("searchsorted", f_searchsorted, x, sh, 2);
}

/* sort's vjp in float32 on a reversed (negative-stride) input: the cotangent goes back through
 * the permutation exactly */
static mx_array *f_sort_rev(mx_array *x) {
    int64_t st[1] = {MX_SLICE_NONE}, sp[1] = {-1};
    SCOPED(mx_sort(mx_slice(x, st, st, sp, S), 0, false, S));
}
TEST(sort_vjp_float32_exact) {
    float xv[5] = {3, -1, 4, 1, 5};
    float uv[5] = {10, 20, 30, 40, 50}; /* cotangent of sorted [-1, 1, 3, 4, 5] */
    int64_t sh[1] = {5};
    mx_array *x = t_f32(xv, sh, 1), *u = t_f32(uv, sh, 1), *o[1], *g[1];
    int no;
    CHECK(mx_vjp(call_fx, (void *)f_sort_rev, &x, 1, &u, 1, o, &no, 1, g) == MX_OK);
    CHECK(mx_array_dtype(g[0]) == MX_FLOAT32);
    double gv[5], want[5] = {30, 10, 40, 20, 50};
    CHECK(t_read(g[0], gv, 5) == 5);
    for (int i = 0; i < 5; i++) CHECK(gv[i] == want[i]);
    mx_array_release(x), mx_array_release(u), mx_array_release(o[0]), mx_array_release(g[0]);
}

/* ---- vmap against a loop ---- */
typedef mx_array *(*vm_fn)(mx_array *const *in);
static mx_status call_vm(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)n, (void)max;
    out[0] = ((vm_fn)ctx)(in);
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}

static mx_array *slice_at(mx_array *x, int axis, int64_t i) {
    int64_t st[MX_MAX_DIMS], en[MX_MAX_DIMS];
    for (int d = 0; d < mx_array_ndim(x); d++) st[d] = en[d] = MX_SLICE_NONE;
    st[axis] = i;
    en[axis] = i + 1;
    SCOPED(mx_squeeze(mx_slice(x, st, en, NULL, S), &axis, 1, S));
}

/* vmap(f) over in (mapped along axes[j], -1: unmapped), output mapped to out_axis, vs a loop */
static void check_vmap(const char *name, vm_fn f, mx_array *const *in, int n, const int *axes,
                       int out_axis) {
    mx_array *out[1] = {NULL};
    int no = 0;
    CHECK(mx_vmap(call_vm, (void *)f, in, n, axes, &out_axis, out, &no, 1) == MX_OK && no == 1);
    if (!out[0]) {
        T_FAIL("vmap %s: %s", name, mx_error_message());
        return;
    }
    int64_t B = -1;
    for (int j = 0; j < n; j++)
        if (axes[j] >= 0) B = mx_array_shape(in[j])[axes[j]];
    mx_array *outf = mx_moveaxis(out[0], out_axis, 0, S); /* batch in front for reading */
    int64_t total = mx_array_size(outf);
    double *got = malloc(sizeof(double) * (size_t)(total + 1)), *want = NULL;
    CHECK(t_read(outf, got, total) == total);
    CHECK(mx_array_shape(outf)[0] == B);
    int64_t per = B ? total / B : 0;
    want = malloc(sizeof(double) * (size_t)(per + 1));
    for (int64_t b = 0; b < B; b++) {
        mx_array *args[4];
        for (int j = 0; j < n; j++) args[j] = axes[j] >= 0 ? slice_at(in[j], axes[j], b) : mx_array_retain(in[j]);
        mx_array *r = f(args);
        CHECK(r && mx_array_size(r) == per && mx_array_ndim(r) + 1 == mx_array_ndim(outf));
        CHECK(mx_array_dtype(r) == mx_array_dtype(outf));
        CHECK(t_read(r, want, per) == per);
        for (int64_t k = 0; k < per; k++)
            if (!(got[b * per + k] == want[k] || (isnan(got[b * per + k]) && isnan(want[k])))) {
                T_FAIL("vmap %s: batch %lld element %lld: %g vs %g", name,
                        (long long)b, (long long)k, got[b * per + k], want[k]);
                break;
            }
        mx_array_release(r);
        for (int j = 0; j < n; j++) mx_array_release(args[j]);
    }
    free(got), free(want);
    mx_array_release(outf), mx_array_release(out[0]);
}

static mx_array *v_concat(mx_array *const *in) { /* (3, 4) ++ (3, 2) on the last axis */
    SCOPED(mx_concatenate((mx_array *[]){in[0], in[1], in[0]}, 3, -1, false, S));
}
static mx_array *v_concat0(mx_array *const *in) {
    SCOPED(mx_concatenate((mx_array *[]){in[1], in[0]}, 2, 0, false, S));
}
static mx_array *v_pad_value(mx_array *const *in) { /* x (3, 4), value per example */
    int64_t w[4] = {1, 2, 3, 0};
    SCOPED(mx_pad(in[0], w, "constant", in[1], S));
}
static mx_array *v_pad_reflect(mx_array *const *in) {
    int64_t w[4] = {4, 1, 2, 5};
    SCOPED(mx_pad(in[0], w, "reflect", NULL, S));
}
static mx_array *v_pad_symmetric(mx_array *const *in) {
    int64_t w[4] = {0, 3, 2, 2};
    SCOPED(mx_pad(in[0], w, "symmetric", NULL, S));
}
static mx_array *v_pad_edge(mx_array *const *in) {
    int64_t w[4] = {2, 0, 1, 1};
    SCOPED(mx_pad(in[0], w, "edge", mx_array_scalar_f64(9, MX_FLOAT32), S));
}
static mx_array *v_diag(mx_array *const *in) { SCOPED(mx_diagonal(in[0], 1, -1, 0, S)); }
static mx_array *v_diag_neg(mx_array *const *in) { SCOPED(mx_diagonal(in[0], -1, 0, 1, S)); }
static mx_array *v_contig(mx_array *const *in) {
    SCOPED(mx_contiguous(mx_transpose(in[0], NULL, 0, S), false, S));
}
static mx_array *v_sort(mx_array *const *in) { SCOPED(mx_sort(in[0], -1, false, S)); }
static mx_array *v_argsort0(mx_array *const *in) { SCOPED(mx_argsort(in[0], 0, false, S)); }
static mx_array *v_sort_flat(mx_array *const *in) { SCOPED(mx_sort(in[0], 0, true, S)); }
static mx_array *v_partition(mx_array *const *in) { SCOPED(mx_partition(in[0], 1, -1, false, S)); }
static mx_array *v_argpartition(mx_array *const *in) {
    SCOPED(mx_argpartition(in[0], -1, -2, false, S));
}
static mx_array *v_search(mx_array *const *in) { SCOPED(mx_searchsorted(in[0], in[1], false, S)); }
static mx_array *v_search_r(mx_array *const *in) { SCOPED(mx_searchsorted(in[0], in[1], true, S)); }

TEST(vmap_shape_family_matches_loop) {
    double xv[60], yv[30];
    fill(xv, 60);
    fill(yv, 30);
    int64_t sx[3] = {3, 5, 4}, sy[3] = {3, 2, 5}, s2[2] = {3, 4}, sv[1] = {5};
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        mx_array *x = t_array(xv, sx, 3, t_dt);                    /* mapped on axis 1: (3, 4) each */
        mx_array *y0 = t_array(yv, sy, 3, t_dt), *y = mx_transpose(y0, (int[]){0, 2, 1}, 3, S); /* strided */
        mx_array_release(y0);
        mx_array *x2 = t_array(xv, s2, 2, t_dt), *v = t_array(yv, sv, 1, t_dt);
        mx_array *xf = mx_astype(x, MX_FLOAT32, S);
        {
            mx_array *in[2] = {x, y};
            check_vmap("concatenate, both mapped on axis 1", v_concat, in, 2, (int[]){1, 1}, 0);
            mx_array *in2[2] = {x, mx_ones((int64_t[]){2, 4}, 2, t_dt, S)};
            check_vmap("concatenate, one unmapped", v_concat0, in2, 2, (int[]){1, -1}, 2);
            mx_array_release(in2[1]);
        }
        {
            mx_array *in[2] = {x, v};
            check_vmap("pad with a mapped value", v_pad_value, in, 2, (int[]){1, 0}, 0);
            mx_array *in2[2] = {x2, v};
            check_vmap("pad, only the value mapped", v_pad_value, in2, 2, (int[]){-1, 0}, 1);
            mx_array *s0 = mx_array_scalar_f64(-3, t_dt);
            mx_array *in3[2] = {x, s0};
            check_vmap("pad with a fixed value", v_pad_value, in3, 2, (int[]){1, -1}, 0);
            mx_array_release(s0);
        }
        check_vmap("pad reflect", v_pad_reflect, &x, 1, (int[]){1}, 0);
        check_vmap("pad symmetric", v_pad_symmetric, &x, 1, (int[]){2}, 1);
        check_vmap("pad edge float32", v_pad_edge, &xf, 1, (int[]){0}, 0);
        check_vmap("diagonal", v_diag, &x, 1, (int[]){1}, 0);
        check_vmap("diagonal below", v_diag_neg, &x, 1, (int[]){2}, 1);
        check_vmap("contiguous", v_contig, &x, 1, (int[]){1}, 0);
        mx_array *arr[5] = {x, y, x2, v, xf};
        for (int i = 0; i < 5; i++) mx_array_release(arr[i]);
        t_pass_end(pass);
    }
}

TEST(vmap_sort_family_matches_loop) {
    double xv[60], sv[12] = {-1, 0, 0.5, 2, -3, -2, -2, 1, 0, 0.1, 0.2, 0.3};
    fill(xv, 60);
    int64_t sx[3] = {3, 5, 4}, ss[2] = {3, 4}, svv[2] = {5, 3};
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        mx_array *x = t_array(xv, sx, 3, t_dt), *xf = mx_astype(x, MX_FLOAT32, S);
        check_vmap("sort", v_sort, &x, 1, (int[]){1}, 0);
        check_vmap("sort float32, batch last", v_sort, &xf, 1, (int[]){2}, 1);
        check_vmap("argsort axis 0", v_argsort0, &x, 1, (int[]){1}, 0);
        check_vmap("sort flattened", v_sort_flat, &x, 1, (int[]){0}, 0);
        check_vmap("partition", v_partition, &x, 1, (int[]){2}, 0);
        check_vmap("argpartition", v_argpartition, &x, 1, (int[]){0}, 1);
        /* searchsorted: 3 sorted sequences of 4 (the second one mapped on axis 1 after a transpose),
         * values (5, 3) mapped on axis 1 */
        mx_array *seq = t_array(sv, ss, 2, t_dt), *seqt = mx_transpose(seq, NULL, 0, S);
        mx_array *sorted = mx_sort(seq, -1, false, S), *sortedt = mx_sort(seqt, 0, false, S);
        double vals[15];
        for (int i = 0; i < 15; i++) vals[i] = -3.5 + 0.5 * i;
        vals[4] = 0; /* exact hits for left/right */
        vals[9] = -2;
        mx_array *vv = t_array(vals, svv, 2, t_dt);
        {
            mx_array *in[2] = {sorted, vv};
            check_vmap("searchsorted, both mapped", v_search, in, 2, (int[]){0, 1}, 0);
            check_vmap("searchsorted right, both mapped", v_search_r, in, 2, (int[]){0, 1}, 1);
            mx_array *in2[2] = {sortedt, vv};
            check_vmap("searchsorted, sequence mapped on axis 1", v_search_r, in2, 2, (int[]){1, 1}, 0);
            mx_array *row = slice_at(sorted, 0, 1);
            mx_array *in3[2] = {row, vv};
            check_vmap("searchsorted, values mapped", v_search, in3, 2, (int[]){-1, 0}, 0);
            mx_array *v1 = slice_at(vv, 1, 0);
            mx_array *in4[2] = {sorted, v1};
            check_vmap("searchsorted, sequences mapped", v_search_r, in4, 2, (int[]){0, -1}, 0);
            mx_array_release(row), mx_array_release(v1);
        }
        mx_array *arr[7] = {x, xf, seq, seqt, sorted, sortedt, vv};
        for (int i = 0; i < 7; i++) mx_array_release(arr[i]);
        t_pass_end(pass);
    }
}

/* per-example gradients through the rules: vmap(grad(sum(u * sort(pad(x))))) vs the loop */
static mx_array *f_chain(mx_array *x) {
    int64_t w[2] = {2, 1};
    SCOPED(mx_sum(mx_multiply(mx_sort(mx_pad(x, w, "reflect", NULL, S), 0, false, S),
                              mx_arange(1, 8, 1, mx_array_dtype(x), S), S),
                  NULL, 0, false, S));
}
static mx_array *v_grad_chain(mx_array *const *in) {
    mx_array *o[1] = {NULL}, *g[1] = {NULL};
    int no;
    if (mx_value_and_grad(call_fx, (void *)f_chain, in, 1, NULL, 0, o, &no, 1, g) != MX_OK) return NULL;
    mx_array_release(o[0]);
    return g[0];
}
TEST(vmap_of_grad_through_pad_and_sort) {
    double xv[12];
    fill(xv, 12);
    int64_t sx[2] = {4, 3};
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        mx_array *x = t_array(xv, sx, 2, t_dt);
        check_vmap("grad of sort(pad)", v_grad_chain, &x, 1, (int[]){1}, 0);
        mx_array_release(x);
        t_pass_end(pass);
    }
}

/* ---- errors keep their op's prefix through the transforms ---- */
static mx_array *f_bad_pad(mx_array *x) {
    int64_t w[4] = {1, 1, 1, 1};
    return mx_pad(x, w, "wrap", NULL, S);
}
static mx_array *f_bad_kth(mx_array *x) { return mx_partition(x, 9, -1, false, S); }
static mx_array *v_diag_1d(mx_array *const *in) { return mx_diagonal(in[0], 0, 0, 1, S); }

TEST(errors_through_the_rules) {
    double xv[12];
    fill(xv, 12);
    int64_t sh[2] = {3, 4};
    mx_array *x = t_f64(xv, sh, 2), *u = t_f64(xv, sh, 2), *o[1] = {NULL}, *g[1] = {NULL};
    int no;
    /* the cotangent must have pad's output shape (6, 7) */
    CHECK_ERR(mx_vjp(call_fx, (void *)f_pad_const, &x, 1, &u, 1, o, &no, 1, g), MX_ERR_VALUE, "vjp");
    CHECK_ERR(mx_vjp(call_fx, (void *)f_bad_pad, &x, 1, &u, 1, o, &no, 1, g), MX_ERR_VALUE, "pad");
    CHECK_ERR(mx_jvp(call_fx, (void *)f_bad_kth, &x, 1, &u, o, &no, 1, g), MX_ERR_VALUE, "partition");
    /* per example x is 1-D: no diagonal */
    CHECK_ERR(mx_vmap(call_vm, (void *)v_diag_1d, &x, 1, NULL, NULL, o, &no, 1), MX_ERR_VALUE,
              "diagonal");
    /* mapped sizes differ */
    mx_array *in[2] = {x, u};
    CHECK_ERR(mx_vmap(call_vm, (void *)v_concat, in, 2, (int[]){0, 1}, NULL, o, &no, 1),
              MX_ERR_VALUE, "vmap");
    mx_array_release(x), mx_array_release(u);
}
