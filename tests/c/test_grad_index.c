/* tests/c/test_grad_index.c: derivatives and vmap of the index family (gather, take_along_axis,
 * scatter and its reductions, put_along_axis, masked_scatter, slice updates, dynamic slices), the
 * linalg family (matmul, addmm) and vmap of the random family. VJP and JVP are checked against
 * central finite differences in float64 on the CPU and in float32 on the default device against
 * the float64 ones (indices held constant inside the function; several data inputs are packed
 * into one flat vector), vmap against an explicit loop over the batch with batched data, batched
 * indices and both, in float64 on the CPU and float32 on the default device. */
#define FAMILY "grad_index"
#include <stdlib.h>

#include "harness.h"

#define S MX_DEFAULT_STREAM

/* ---- finite differences: the harness's t_check_fd on 1-D inputs ---- */
typedef t_fx_fn fx_fn;
static void check_fd(const char *name, fx_fn f, const double *x, int64_t n) {
    t_check_fd(name, f, x, &n, 1, 1e-5);
}

/* x[off : off + prod(shape)] reshaped to shape (scope-owned when called inside a scope) */
static mx_array *part(mx_array *x, int64_t off, const int64_t *shape, int nd) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    int64_t b = off, e = off + n;
    return mx_reshape(mx_slice(x, &b, &e, NULL, S), shape, nd, S);
}

static mx_array *ivec(const int32_t *v, int64_t n) { return t_i32(v, &n, 1); }

/* ---- gather / take / take_along_axis ---- */
static mx_array *f_gather_rows(mx_array *x) { /* a (4, 3) rows [2, 0, 3, 2] (repeated) */
    mx_scope sc = mx_scope_begin();
    int64_t sh[2] = {4, 3}, sl[2] = {1, 3};
    int32_t iv[4] = {2, 0, 3, 2};
    mx_array *idx = ivec(iv, 4);
    int ax = 0;
    return mx_scope_end(sc, mx_gather(part(x, 0, sh, 2), &idx, 1, &ax, sl, S));
}
static mx_array *f_gather2(mx_array *x) { /* a^T (3, 4) strided, two indices, slice (1, 2) */
    mx_scope sc = mx_scope_begin();
    int64_t sh[2] = {4, 3}, sl[2] = {1, 2};
    int32_t i0[3] = {1, -1, 0}, i1[3] = {2, 0, 5}; /* -1 wraps, 5 clamps */
    mx_array *idx[2] = {ivec(i0, 3), ivec(i1, 3)};
    int ax[2] = {0, 1};
    mx_array *a = mx_transpose(part(x, 0, sh, 2), NULL, 0, S);
    return mx_scope_end(sc, mx_gather(a, idx, 2, ax, sl, S));
}
static mx_array *f_take(mx_array *x) {
    mx_scope sc = mx_scope_begin();
    int64_t sh[2] = {3, 4}, ish[2] = {2, 2};
    int32_t iv[4] = {3, -1, 0, 3};
    return mx_scope_end(sc, mx_take(part(x, 0, sh, 2), t_i32(iv, ish, 2), 1, false, S));
}
static mx_array *f_take_along(mx_array *x) {
    mx_scope sc = mx_scope_begin();
    int64_t sh[2] = {3, 4}, ish[2] = {3, 2};
    int32_t iv[6] = {0, 3, 2, 2, 1, -4};
    return mx_scope_end(sc, mx_take_along_axis(part(x, 0, sh, 2), t_i32(iv, ish, 2), 1, false, S));
}
static mx_array *f_take_along_bcast(mx_array *x) { /* indices (1, 4) broadcast over a's rows */
    mx_scope sc = mx_scope_begin();
    int64_t sh[3] = {2, 3, 2}, ish[3] = {1, 4, 1};
    int32_t iv[4] = {2, 0, 2, 1};
    return mx_scope_end(sc, mx_take_along_axis(part(x, 0, sh, 3), t_i32(iv, ish, 3), 1, false, S));
}

/* ---- scatters: x = [a (5, 3), updates (3, 3)], rows idx ---- */
static mx_array *scat(mx_array *x, int red, const int32_t *iv) {
    mx_scope sc = mx_scope_begin();
    int64_t sa[2] = {5, 3}, su[2] = {3, 3};
    mx_array *idx = ivec(iv, 3), *a = part(x, 0, sa, 2), *u = part(x, 15, su, 2), *r = NULL;
    int ax = 0;
    switch (red) {
    case 0: r = mx_scatter(a, &idx, 1, u, &ax, S); break;
    case 1: r = mx_scatter_add(a, &idx, 1, u, &ax, S); break;
    case 2: r = mx_scatter_prod(a, &idx, 1, u, &ax, S); break;
    case 3: r = mx_scatter_max(a, &idx, 1, u, &ax, S); break;
    default: r = mx_scatter_min(a, &idx, 1, u, &ax, S); break;
    }
    return mx_scope_end(sc, r);
}
static const int32_t uniq[3] = {3, 0, -1}, dup[3] = {1, 3, 1};
static mx_array *f_scatter(mx_array *x) { return scat(x, 0, uniq); }
static mx_array *f_scatter_add(mx_array *x) { return scat(x, 1, dup); }
static mx_array *f_scatter_prod(mx_array *x) { return scat(x, 2, dup); }
static mx_array *f_scatter_max(mx_array *x) { return scat(x, 3, dup); }
static mx_array *f_scatter_min(mx_array *x) { return scat(x, 4, dup); }
static mx_array *f_scatter_np(mx_array *x) { /* NumPy style a[[0, 2], 1:?] = v broadcast */
    mx_scope sc = mx_scope_begin();
    int64_t sa[2] = {5, 3}, su[1] = {3};
    int32_t iv[2] = {4, 2};
    mx_array *idx = ivec(iv, 2);
    int ax = 0;
    return mx_scope_end(sc, mx_scatter(part(x, 0, sa, 2), &idx, 1, part(x, 15, su, 1), &ax, S));
}
static mx_array *f_put_along(mx_array *x) { /* a (3, 4), values (3, 2) */
    mx_scope sc = mx_scope_begin();
    int64_t sa[2] = {3, 4}, sv[2] = {3, 2};
    int32_t iv[6] = {0, 3, 2, 1, -1, 0};
    return mx_scope_end(sc, mx_put_along_axis(part(x, 0, sa, 2), t_i32(iv, sv, 2), part(x, 12, sv, 2),
                                              1, false, S));
}

/* ---- masked scatter: a (3, 4), values (nv) ---- */
static mx_array *masked(mx_array *x, int64_t nv) {
    mx_scope sc = mx_scope_begin();
    int64_t sa[2] = {3, 4};
    int32_t mv[12] = {1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1}; /* 6 true */
    mx_array *mask = mx_astype(t_i32(mv, sa, 2), MX_BOOL, S);
    return mx_scope_end(sc, mx_masked_scatter(part(x, 0, sa, 2), mask, part(x, 12, &nv, 1), S));
}
static mx_array *f_masked_more(mx_array *x) { return masked(x, 8); }
static mx_array *f_masked_fewer(mx_array *x) { return masked(x, 4); }

/* ---- slice updates and dynamic slices: a (4, 5) ---- */
static mx_array *f_slice_update(mx_array *x) { /* a[1:3, ::2] = u (3,) broadcast to (2, 3) */
    mx_scope sc = mx_scope_begin();
    int64_t sa[2] = {4, 5}, su[1] = {3}, st[2] = {1, MX_SLICE_NONE}, en[2] = {3, MX_SLICE_NONE},
            sp[2] = {1, 2};
    return mx_scope_end(sc, mx_slice_update(part(x, 0, sa, 2), part(x, 20, su, 1), st, en, sp, S));
}
static mx_array *f_slice_update_neg(mx_array *x) { /* a[::-2, 3:0:-1] = u (2, 3) */
    mx_scope sc = mx_scope_begin();
    int64_t sa[2] = {4, 5}, su[2] = {2, 3}, st[2] = {MX_SLICE_NONE, 3}, en[2] = {MX_SLICE_NONE, 0},
            sp[2] = {-2, -1};
    return mx_scope_end(sc, mx_slice_update(part(x, 0, sa, 2), part(x, 20, su, 2), st, en, sp, S));
}
static mx_array *dyn_slice(mx_array *x, int32_t s0, int32_t s1) {
    mx_scope sc = mx_scope_begin();
    int64_t sa[2] = {4, 5}, sz[2] = {2, 3};
    int32_t sv[2] = {s0, s1};
    int axes[2] = {0, 1};
    return mx_scope_end(sc, mx_slice_dynamic(part(x, 0, sa, 2), ivec(sv, 2), axes, 2, sz, S));
}
static mx_array *f_dyn_slice(mx_array *x) { return dyn_slice(x, 1, 2); }
static mx_array *f_dyn_slice_clamped(mx_array *x) { return dyn_slice(x, 3, -1); }
static mx_array *f_dyn_update(mx_array *x) {
    mx_scope sc = mx_scope_begin();
    int64_t sa[2] = {4, 5}, su[2] = {2, 2};
    int32_t sv[1] = {2};
    int ax = 1;
    return mx_scope_end(sc, mx_slice_update_dynamic(part(x, 0, sa, 2), part(x, 20, su, 2), ivec(sv, 1),
                                                    &ax, 1, S));
}

/* ---- matmul / addmm ---- */
static mx_array *f_matmul(mx_array *x) { /* (2, 3) @ (3, 4) */
    mx_scope sc = mx_scope_begin();
    int64_t sa[2] = {2, 3}, sb[2] = {3, 4};
    return mx_scope_end(sc, mx_matmul(part(x, 0, sa, 2), part(x, 6, sb, 2), S));
}
static mx_array *f_matmul_bcast(mx_array *x) { /* (2, 2, 3) @ (3, 4)^T-strided ; plus vec @ mat */
    mx_scope sc = mx_scope_begin();
    int64_t sa[3] = {2, 2, 3}, sb[2] = {4, 3}, sv[1] = {2};
    mx_array *b = mx_transpose(part(x, 12, sb, 2), NULL, 0, S);
    mx_array *r = mx_matmul(part(x, 0, sa, 3), b, S);                /* (2, 2, 4) */
    mx_array *v = mx_matmul(part(x, 24, sv, 1), part(x, 0, sa, 3), S); /* (2,) @ (2, 2, 3) */
    int64_t m1 = -1;
    return mx_scope_end(sc, mx_concatenate((mx_array *[]){mx_reshape(r, &m1, 1, S),
                                                          mx_reshape(v, &m1, 1, S)}, 2, 0, false, S));
}
static mx_array *f_addmm(mx_array *x) { /* 0.7 * (2, 3) @ (3, 4) + 1.3 * c (4,) */
    mx_scope sc = mx_scope_begin();
    int64_t sa[2] = {2, 3}, sb[2] = {3, 4}, scv[1] = {4};
    return mx_scope_end(sc, mx_addmm(part(x, 18, scv, 1), part(x, 0, sa, 2), part(x, 6, sb, 2), 0.7,
                                     1.3, S));
}

static void fill(double *x, int n, int seed) {
    for (int i = 0; i < n; i++) x[i] = 0.25 * (double)(((i * 7 + seed * 3) % 13) - 6) + 0.01 * i;
}

TEST(gather_vjp_jvp_vs_finite_differences) {
    double x[32];
    fill(x, 32, 1);
    check_fd("gather rows", f_gather_rows, x, 12);
    check_fd("gather two indices", f_gather2, x, 12);
    check_fd("take", f_take, x, 12);
    check_fd("take_along_axis", f_take_along, x, 12);
    check_fd("take_along_axis broadcast", f_take_along_bcast, x, 12);
}

TEST(scatter_vjp_jvp_vs_finite_differences) {
    double x[24];
    fill(x, 24, 2);
    check_fd("scatter", f_scatter, x, 24);
    check_fd("scatter_add", f_scatter_add, x, 24);
    check_fd("scatter numpy style", f_scatter_np, x, 18);
    check_fd("put_along_axis", f_put_along, x, 18);
    /* max / min: no ties (ties are not differentiable) */
    double m[24];
    for (int i = 0; i < 24; i++) m[i] = 0.37 * (double)((i * 5) % 11) - 1.5 + 0.003 * i;
    check_fd("scatter_max", f_scatter_max, m, 24);
    check_fd("scatter_min", f_scatter_min, m, 24);
    /* prod: no zeros, one zero update, two zero updates on the same element, a zero in a */
    double p[24];
    for (int i = 0; i < 24; i++) p[i] = 0.5 + 0.1 * (double)(i % 9);
    check_fd("scatter_prod", f_scatter_prod, p, 24);
    p[15 + 0] = 0;         /* update row 0 -> a row 1 */
    check_fd("scatter_prod one zero", f_scatter_prod, p, 24);
    p[15 + 6] = 0;         /* update row 2 -> a row 1, same column */
    p[3 * 3 + 1] = 0;      /* a[3, 1] */
    check_fd("scatter_prod two zeros", f_scatter_prod, p, 24);
}

TEST(masked_slice_update_dynamic_vjp_jvp_vs_finite_differences) {
    double x[32];
    fill(x, 32, 3);
    check_fd("masked_scatter (more values)", f_masked_more, x, 20);
    check_fd("masked_scatter (fewer values)", f_masked_fewer, x, 16);
    check_fd("slice_update broadcast", f_slice_update, x, 23);
    check_fd("slice_update negative steps", f_slice_update_neg, x, 26);
    check_fd("dynamic slice", f_dyn_slice, x, 20);
    check_fd("dynamic slice clamped", f_dyn_slice_clamped, x, 20);
    check_fd("dynamic slice update", f_dyn_update, x, 24);
}

TEST(matmul_addmm_vjp_jvp_vs_finite_differences) {
    double x[32];
    fill(x, 32, 4);
    check_fd("matmul", f_matmul, x, 18);
    check_fd("matmul broadcast batch, strided, vector", f_matmul_bcast, x, 26);
    check_fd("addmm", f_addmm, x, 22);
}

/* take along axis 0 with the index array in ctx */
static mx_status call_take(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)n, (void)max;
    out[0] = mx_take(in[0], (mx_array *)ctx, 0, false, S);
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}

TEST(take_vjp_float32_and_empty_indices) {
    float av[6] = {1, 2, 3, 4, 5, 6};
    int64_t sh[2] = {3, 2}, three = 3, zero = 0, osh0[2] = {0, 2};
    int32_t iv[3] = {2, 2, 0};
    mx_array *a = t_f32(av, sh, 2), *idx = t_i32(iv, &three, 1), *o[1], *g[1];
    mx_array *ct = mx_ones(sh, 2, MX_FLOAT32, S);
    int no;
    CHECK(mx_vjp(call_take, idx, &a, 1, &ct, 1, o, &no, 1, g) == MX_OK);
    double gv[6], want[6] = {1, 1, 0, 0, 2, 2};
    CHECK(mx_array_dtype(g[0]) == MX_FLOAT32);
    CHECK(t_read(g[0], gv, 6) == 6);
    for (int i = 0; i < 6; i++) CHECK(gv[i] == want[i]);
    mx_array_release(o[0]), mx_array_release(g[0]);
    /* no indices: zero gradient of a's shape */
    mx_array *e = t_i32(iv, &zero, 1), *ct0 = mx_ones(osh0, 2, MX_FLOAT32, S);
    CHECK(mx_vjp(call_take, e, &a, 1, &ct0, 1, o, &no, 1, g) == MX_OK);
    CHECK(t_shape_is(g[0], sh, 2) && t_read(g[0], gv, 6) == 6);
    for (int i = 0; i < 6; i++) CHECK(gv[i] == 0);
    mx_array *arr[7] = {a, idx, ct, o[0], g[0], e, ct0};
    for (int i = 0; i < 7; i++) mx_array_release(arr[i]);
}

/* ---- vmap against a loop ---- */
typedef mx_array *(*vf_fn)(mx_array *const *in);
static mx_status call_vf(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)n, (void)max;
    out[0] = ((vf_fn)ctx)(in);
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}

static mx_array *take_at(mx_array *x, int axis, int64_t i) {
    int64_t st[MX_MAX_DIMS], en[MX_MAX_DIMS];
    for (int d = 0; d < mx_array_ndim(x); d++) st[d] = en[d] = MX_SLICE_NONE;
    st[axis] = i;
    en[axis] = i + 1;
    mx_array *s = mx_slice(x, st, en, NULL, S), *r = mx_squeeze(s, &axis, 1, S);
    mx_array_release(s);
    return r;
}

/* vmap(f, in_axes) vs stacking f over the batch (output batch axis 0) */
static void check_vmap(const char *name, vf_fn f, mx_array *const *in, int n, const int *axes) {
    char label[160]; /* name and in_axes, for the failure messages */
    int len = snprintf(label, sizeof label, "%s, in_axes", name);
    for (int j = 0; j < n && len < 140; j++) len += snprintf(label + len, sizeof label - (size_t)len, " %d", axes[j]);
    name = label;
    mx_array *out[1] = {NULL};
    int no;
    mx_status st = mx_vmap(call_vf, (void *)f, in, n, axes, NULL, out, &no, 1);
    if (st != MX_OK) {
        T_FAIL("vmap %s: %s", name, mx_error_message());
        return;
    }
    int64_t B = -1;
    for (int j = 0; j < n; j++)
        if (axes[j] >= 0) B = mx_array_shape(in[j])[axes[j]];
    int64_t tot = mx_array_size(out[0]), per = B ? tot / B : 0;
    if (mx_array_ndim(out[0]) < 1 || mx_array_shape(out[0])[0] != B) {
        T_FAIL("vmap %s: the result's batch axis is not %lld long", name, (long long)B);
        mx_array_release(out[0]);
        return;
    }
    double *got = malloc(sizeof(double) * (size_t)(tot + 1)), *ref = malloc(sizeof(double) * (size_t)(per + 1));
    CHECK(t_read(out[0], got, tot) == tot);
    /* float32 (on the GPU): matmul and scatter_add may sum in another order when batched */
    double tol = t_dt == MX_FLOAT64 ? 1e-12 : 1e-5;
    for (int64_t b = 0; b < B; b++) {
        mx_array *args[8];
        for (int j = 0; j < n; j++) args[j] = axes[j] >= 0 ? take_at(in[j], axes[j], b) : mx_array_retain(in[j]);
        mx_array *r = f(args);
        CHECK(r != NULL && mx_array_size(r) == per);
        CHECK(r && mx_array_dtype(r) == mx_array_dtype(out[0]) && t_read(r, ref, per) == per);
        for (int64_t k = 0; r && k < per; k++)
            if (!(fabs(got[b * per + k] - ref[k]) <= tol * (1 + fabs(ref[k])))) {
                T_FAIL("vmap %s: batch %lld element %lld: %g vs loop %g", name,
                        (long long)b, (long long)k, got[b * per + k], ref[k]);
                break;
            }
        mx_array_release(r);
        for (int j = 0; j < n; j++) mx_array_release(args[j]);
    }
    free(got), free(ref);
    mx_array_release(out[0]);
}

static mx_array *seq(int64_t n, const int64_t *shape, int nd, double scale) {
    double *v = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++) v[i] = scale * (double)((i * 7) % 17) - 3 + 0.01 * (double)i;
    mx_array *r = t_array(v, shape, nd, t_dt);
    free(v);
    return r;
}

static mx_array *v_gather(mx_array *const *in) { /* a (4, 3), idx (2,) rows; idx2 (2,) on axis 1 */
    int64_t sl[2] = {1, 2};
    int ax[2] = {0, 1};
    mx_array *idx[2] = {in[1], in[2]};
    return mx_gather(in[0], idx, 2, ax, sl, S);
}
static mx_array *v_take(mx_array *const *in) { return mx_take(in[0], in[1], 1, false, S); }
static mx_array *v_take_along(mx_array *const *in) {
    return mx_take_along_axis(in[0], in[1], 0, false, S);
}
static mx_array *v_scatter(mx_array *const *in) { /* a (5, 3), updates (2, 3), idx (2,) */
    int ax = 0;
    return mx_scatter(in[0], &in[2], 1, in[1], &ax, S);
}
static mx_array *v_scatter_add(mx_array *const *in) {
    int ax = 0;
    return mx_scatter_add(in[0], &in[2], 1, in[1], &ax, S);
}
static mx_array *v_scatter_max(mx_array *const *in) {
    int ax = 0;
    return mx_scatter_max(in[0], &in[2], 1, in[1], &ax, S);
}
static mx_array *v_put_along(mx_array *const *in) {
    return mx_put_along_axis(in[0], in[2], in[1], 1, false, S);
}
static mx_array *v_masked(mx_array *const *in) { return mx_masked_scatter(in[0], in[2], in[1], S); }
static mx_array *v_slice_update(mx_array *const *in) {
    int64_t st[2] = {1, 0}, en[2] = {3, MX_SLICE_NONE}, sp[2] = {1, 2};
    return mx_slice_update(in[0], in[1], st, en, sp, S);
}
static mx_array *v_dyn_slice(mx_array *const *in) {
    int64_t sz[2] = {2, 3};
    int axes[2] = {0, 1};
    return mx_slice_dynamic(in[0], in[2], axes, 2, sz, S);
}
static mx_array *v_dyn_update(mx_array *const *in) {
    int axes[2] = {1, 0};
    return mx_slice_update_dynamic(in[0], in[1], in[2], axes, 2, S);
}
static mx_array *v_matmul(mx_array *const *in) { return mx_matmul(in[0], in[1], S); }
static mx_array *v_addmm(mx_array *const *in) { return mx_addmm(in[2], in[0], in[1], 0.5, -2, S); }

/* the batched and unbatched variants of (data..., indices) for each axes pattern */
TEST(vmap_gather_family_matches_loop) {
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        int64_t sa[2] = {4, 3}, sab[3] = {3, 4, 3}, si[1] = {2}, sib[2] = {2, 3};
        int32_t i0[2] = {3, -1}, i1[2] = {0, 1}, i0b[6] = {0, 3, 1, 2, 2, -4}, i1b[6] = {1, 0, 1, 1, 0, 7};
        mx_array *a = seq(12, sa, 2, 0.5), *ab = seq(36, sab, 3, 0.3);
        mx_array *x = t_i32(i0, si, 1), *y = t_i32(i1, si, 1), *xb = t_i32(i0b, sib, 2),
                 *yb = t_i32(i1b, sib, 2); /* xb, yb batched on axis 1 */
        int ax_a[3] = {0, -1, -1}, ax_i[3] = {-1, 1, -1}, ax_both[3] = {2, 1, 1}, ax_mix[3] = {0, -1, 1};
        mx_array *ab2 = mx_transpose(ab, (int[]){1, 2, 0}, 3, S); /* (4, 3, 3) batch on axis 2 */
        check_vmap("gather data", v_gather, (mx_array *[]){ab, x, y}, 3, ax_a);
        check_vmap("gather indices", v_gather, (mx_array *[]){a, xb, y}, 3, ax_i);
        check_vmap("gather both", v_gather, (mx_array *[]){ab2, xb, yb}, 3, ax_both);
        check_vmap("gather mixed", v_gather, (mx_array *[]){ab, x, yb}, 3, ax_mix);
        /* take along axis 1: per example a (4, 3), idx (2,) */
        check_vmap("take data", v_take, (mx_array *[]){ab, x}, 2, ax_a);
        check_vmap("take indices", v_take, (mx_array *[]){a, yb}, 2, ax_i);
        check_vmap("take both", v_take, (mx_array *[]){ab2, yb}, 2, ax_both);
        /* take_along_axis 0: per example a (4, 3), idx (2, 3) */
        int64_t sta[2] = {2, 3}, stab[3] = {3, 2, 3};
        int32_t tv[6] = {0, 3, 1, 2, -1, 0}, tvb[18];
        for (int i = 0; i < 18; i++) tvb[i] = (i * 5) % 4;
        mx_array *t = t_i32(tv, sta, 2), *tb = t_i32(tvb, stab, 3);
        int ax_i0[2] = {-1, 0}, ax_b0[2] = {0, 0};
        check_vmap("take_along data", v_take_along, (mx_array *[]){ab, t}, 2, ax_a);
        check_vmap("take_along indices", v_take_along, (mx_array *[]){a, tb}, 2, ax_i0);
        check_vmap("take_along both", v_take_along, (mx_array *[]){ab, tb}, 2, ax_b0);
        mx_array *arr[10] = {a, ab, x, y, xb, yb, ab2, t, tb, NULL};
        for (int i = 0; i < 9; i++) mx_array_release(arr[i]);
        t_pass_end(pass);
    }
}

TEST(vmap_scatter_family_matches_loop) {
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        int64_t sa[2] = {5, 3}, sab[3] = {3, 5, 3}, su[2] = {2, 3}, sub[3] = {3, 2, 3}, si[1] = {2},
                sib[2] = {3, 2};
        int32_t iv[2] = {4, 1}, ivb[6] = {0, 2, 3, -1, 1, 4}, dv[6] = {1, 1, 0, 0, 2, 2};
        mx_array *a = seq(15, sa, 2, 0.5), *ab = seq(45, sab, 3, 0.3), *u = seq(6, su, 2, 0.7),
                 *ub = seq(18, sub, 3, 0.4), *i = t_i32(iv, si, 1), *ib = t_i32(ivb, sib, 2),
                 *db = t_i32(dv, sib, 2); /* repeated indices per example */
        vf_fn fs[3] = {v_scatter, v_scatter_add, v_scatter_max};
        const char *nm[3] = {"scatter", "scatter_add", "scatter_max"};
        int pat[5][3] = {{0, -1, -1}, {-1, 0, -1}, {-1, -1, 0}, {0, 0, 0}, {-1, 0, 0}};
        for (int k = 0; k < 3; k++) {
            mx_array *dupi = k ? db : ib;
            check_vmap(nm[k], fs[k], (mx_array *[]){ab, u, i}, 3, pat[0]);
            check_vmap(nm[k], fs[k], (mx_array *[]){a, ub, i}, 3, pat[1]);
            check_vmap(nm[k], fs[k], (mx_array *[]){ab, ub, dupi}, 3, pat[3]);
            check_vmap(nm[k], fs[k], (mx_array *[]){a, ub, dupi}, 3, pat[4]);
        }
        /* put_along_axis 1: per example a (5, 3), values (5, 1), idx (5, 1) */
        int64_t sv[2] = {5, 1}, svb[3] = {3, 5, 1};
        int32_t pv[5] = {0, 2, 1, -1, 0}, pvb[15];
        for (int q = 0; q < 15; q++) pvb[q] = q % 3;
        mx_array *v = seq(5, sv, 2, 0.9), *vb = seq(15, svb, 3, 0.2), *p = t_i32(pv, sv, 2),
                 *pb = t_i32(pvb, svb, 3);
        for (int q = 0; q < 5; q++)
            check_vmap("put_along_axis", v_put_along,
                       (mx_array *[]){pat[q][0] >= 0 ? ab : a, pat[q][1] >= 0 ? vb : v, pat[q][2] >= 0 ? pb : p},
                       3, pat[q]);
        mx_array *arr[11] = {a, ab, u, ub, i, ib, db, v, vb, p, pb};
        for (int q = 0; q < 11; q++) mx_array_release(arr[q]);
        t_pass_end(pass);
    }
}

TEST(vmap_masked_slice_dynamic_matches_loop) {
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        int64_t sa[2] = {3, 4}, sab[3] = {2, 3, 4}, sv[1] = {5}, svb[2] = {2, 5};
        int32_t mv[12] = {1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0}, mvb[24];
        for (int i = 0; i < 24; i++) mvb[i] = (i * 7) % 3 == 0;
        mx_array *a = seq(12, sa, 2, 0.5), *ab = seq(24, sab, 3, 0.3), *v = seq(5, sv, 1, 0.7),
                 *vb = seq(10, svb, 2, 0.4);
        mx_array *m0 = t_i32(mv, sa, 2), *m0b = t_i32(mvb, sab, 3);
        mx_array *m = mx_astype(m0, MX_BOOL, S), *mb = mx_astype(m0b, MX_BOOL, S);
        int pat[5][3] = {{0, -1, -1}, {-1, 0, -1}, {-1, -1, 0}, {0, 0, 0}, {-1, 0, 0}};
        for (int q = 0; q < 5; q++)
            check_vmap("masked_scatter", v_masked,
                       (mx_array *[]){pat[q][0] >= 0 ? ab : a, pat[q][1] >= 0 ? vb : v, pat[q][2] >= 0 ? mb : m},
                       3, pat[q]);
        /* slice_update a[1:3, ::2] = u (2, 2) */
        int64_t su[2] = {2, 2}, sub[3] = {2, 2, 2};
        mx_array *u = seq(4, su, 2, 1.1), *ub = seq(8, sub, 3, 0.6);
        check_vmap("slice_update data", v_slice_update, (mx_array *[]){ab, u}, 2, pat[0]);
        check_vmap("slice_update update", v_slice_update, (mx_array *[]){a, ub}, 2, pat[1]);
        check_vmap("slice_update both", v_slice_update, (mx_array *[]){ab, ub}, 2, pat[3]);
        /* dynamic slices: start (2,) per example */
        int64_t s2[1] = {2}, s2b[2] = {2, 2};
        int32_t st[2] = {1, 2}, stb[4] = {0, -1, 5, 1};
        mx_array *s = t_i32(st, s2, 1), *sb = t_i32(stb, s2b, 2);
        for (int q = 0; q < 5; q++) {
            mx_array *args[3] = {pat[q][0] >= 0 ? ab : a, pat[q][1] >= 0 ? ub : u, pat[q][2] >= 0 ? sb : s};
            if (q != 1) check_vmap("dynamic slice", v_dyn_slice, args, 3, pat[q]); /* q = 1: below */
            check_vmap("dynamic slice update", v_dyn_update, args, 3, pat[q]);
        }
        mx_array *arr[12] = {a, ab, v, vb, m0, m0b, m, mb, u, ub, s, sb};
        for (int q = 0; q < 12; q++) mx_array_release(arr[q]);
        t_pass_end(pass);
    }
}

/* Functions where a node sees only unbatched inputs (mx_scatter broadcasts the unbatched updates,
 * mx_slice_dynamic reshapes the unbatched starts) while the result is batched through another
 * input. These need the vmap driver (src/transforms/vmap.c) to keep such nodes as traced instead
 * of calling their rule with B = 1. */
TEST(vmap_with_nodes_on_unbatched_inputs) {
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        int64_t sa[2] = {5, 3}, su[2] = {2, 3}, sib[2] = {3, 2}, sd[2] = {3, 4}, sdu[3] = {2, 2, 2},
                s2[1] = {2};
        int32_t ivb[6] = {0, 2, 3, -1, 1, 4}, st[2] = {1, 2};
        mx_array *a = seq(15, sa, 2, 0.5), *u = seq(6, su, 2, 0.7), *ib = t_i32(ivb, sib, 2);
        mx_array *d = seq(12, sd, 2, 0.5), *ub = seq(8, sdu, 3, 0.6), *s = t_i32(st, s2, 1);
        int p_idx[3] = {-1, -1, 0}, p_upd[3] = {-1, 0, -1};
        check_vmap("scatter, indices only", v_scatter, (mx_array *[]){a, u, ib}, 3, p_idx);
        check_vmap("scatter_add, indices only", v_scatter_add, (mx_array *[]){a, u, ib}, 3, p_idx);
        check_vmap("dynamic slice, unused batched input", v_dyn_slice, (mx_array *[]){d, ub, s}, 3, p_upd);
        mx_array *arr[6] = {a, u, ib, d, ub, s};
        for (int q = 0; q < 6; q++) mx_array_release(arr[q]);
        t_pass_end(pass);
    }
}

TEST(vmap_matmul_addmm_matches_loop) {
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        int64_t sa[2] = {2, 3}, sab[3] = {4, 2, 3}, sb[2] = {3, 5}, sbb[3] = {3, 5, 4}, svec[2] = {4, 3},
                sc[1] = {5}, scb[2] = {4, 5};
        mx_array *a = seq(6, sa, 2, 0.5), *ab = seq(24, sab, 3, 0.3), *b = seq(15, sb, 2, 0.2),
                 *bb = seq(60, sbb, 3, 0.1), *vec = seq(12, svec, 2, 0.4), *c = seq(5, sc, 1, 0.6),
                 *cb = seq(20, scb, 2, 0.8);
        int pa[2] = {0, -1}, pb[2] = {-1, 2}, pab[2] = {0, 2}, pv[2] = {0, -1};
        check_vmap("matmul a", v_matmul, (mx_array *[]){ab, b}, 2, pa);
        check_vmap("matmul b", v_matmul, (mx_array *[]){a, bb}, 2, pb);
        check_vmap("matmul both", v_matmul, (mx_array *[]){ab, bb}, 2, pab);
        check_vmap("matmul vector @ matrix", v_matmul, (mx_array *[]){vec, b}, 2, pv);
        int q0[3] = {-1, -1, 0}, q1[3] = {0, -1, -1}, q2[3] = {0, 2, 0};
        check_vmap("addmm c", v_addmm, (mx_array *[]){a, b, cb}, 3, q0);
        check_vmap("addmm a", v_addmm, (mx_array *[]){ab, b, c}, 3, q1);
        check_vmap("addmm all", v_addmm, (mx_array *[]){ab, bb, cb}, 3, q2);
        mx_array *arr[7] = {a, ab, b, bb, vec, c, cb};
        for (int q = 0; q < 7; q++) mx_array_release(arr[q]);
        t_pass_end(pass);
    }
}

/* per-example gradients through a gather and a matmul: vmap(grad) vs a loop of grads */
static mx_status f_loss(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max) {
    (void)ctx, (void)n, (void)max;
    mx_scope sc = mx_scope_begin();
    int64_t sh[2] = {3, 2};
    mx_array *w = mx_reshape(mx_arange(0.5, 3.5, 0.5, mx_array_dtype(in[0]), S), sh, 2, S);
    mx_array *h = mx_matmul(mx_take(in[0], in[1], 0, false, S), w, S); /* (2, 3) @ (3, 2) */
    out[0] = mx_scope_end(sc, mx_sum(mx_tanh(h, S), NULL, 0, false, S));
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}
static mx_array *v_grad(mx_array *const *in) {
    mx_array *o[1], *g[1];
    int k;
    if (mx_value_and_grad(f_loss, NULL, in, 2, NULL, 0, o, &k, 1, g) != MX_OK) return NULL;
    mx_array_release(o[0]);
    return g[0];
}

TEST(vmap_of_grad_through_gather_and_matmul) {
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        int64_t sx[3] = {3, 4, 3}, si[2] = {3, 2};
        int32_t iv[6] = {0, 3, 2, 2, 1, -1};
        mx_array *x = seq(36, sx, 3, 0.1), *i = t_i32(iv, si, 2);
        int ax[2] = {0, 0};
        check_vmap("grad(take, matmul)", v_grad, (mx_array *[]){x, i}, 2, ax);
        mx_array_release(x), mx_array_release(i);
        t_pass_end(pass);
    }
}

/* ---- random ---- */
static mx_array *v_bits(mx_array *const *in) {
    int64_t sh[2] = {2, 3};
    return mx_random_bits(sh, 2, 4, in[0], S);
}
static mx_array *v_normal(mx_array *const *in) {
    int64_t sh[1] = {5};
    return mx_random_normal(sh, 1, MX_FLOAT32, NULL, NULL, in[0], S);
}

TEST(vmap_random_over_keys_and_no_grad) {
    mx_array *k0 = mx_random_key(7), *keys = mx_random_split(k0, 4, S);
    int ax0 = 0;
    check_vmap("random_bits", v_bits, &keys, 1, &ax0);
    check_vmap("random normal", v_normal, &keys, 1, &ax0);
    /* batched keys -> the batched draw */
    int64_t sh[2] = {2, 3};
    mx_array *o[1];
    int no;
    CHECK(mx_vmap(call_vf, (void *)v_bits, &keys, 1, &ax0, NULL, o, &no, 1) == MX_OK);
    mx_array *bb = mx_random_bits_batched(keys, sh, 2, 4, S);
    double x1[24], x2[24];
    CHECK(t_read(o[0], x1, 24) == 24 && t_read(bb, x2, 24) == 24);
    for (int q = 0; q < 24; q++) CHECK(x1[q] == x2[q]);
    mx_array_release(o[0]), mx_array_release(bb);
    mx_array_release(k0), mx_array_release(keys);
}
