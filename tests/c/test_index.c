/* tests/c/test_index.c: gather/take, take/put along an axis, scatter and its reductions, masked
 * scatter, static and dynamic slice updates. References are plain loops in the test; index
 * values that are out of range must wrap once and then clamp. The ops run on the default device
 * (float64 data only on the CPU). */
#define FAMILY "index"
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

#define S MX_DEFAULT_STREAM

/* an array of dtype t from double values (through float64 and astype on the CPU) */
static mx_array *arr(const double *v, const int64_t *sh, int nd, mx_dtype t) {
    mx_array *f = t_f64(v, sh, nd);
    mx_array *r = mx_astype(f, t, T_CPU);
    mx_array_release(f);
    return r;
}
static mx_array *iarr(const int64_t *v, const int64_t *sh, int nd, mx_dtype t) {
    mx_array *f = mx_array_from_data(v, sh, nd, MX_INT64);
    mx_array *r = mx_astype(f, t, T_CPU);
    mx_array_release(f);
    return r;
}
static int64_t fixi(int64_t i, int64_t dim) {
    if (i < 0) i += dim;
    if (i >= dim) i = dim - 1;
    if (i < 0) i = 0;
    return i;
}
static int check_vals(mx_array *r, const double *ref, int64_t n) {
    double *got = malloc(sizeof(double) * (size_t)(n ? n : 1));
    int ok = t_read(r, got, n) == n;
    for (int64_t i = 0; ok && i < n; i++)
        if (!(got[i] == ref[i] || (isnan(got[i]) && isnan(ref[i])))) {
            fprintf(stderr, "  mismatch at %lld: %g vs %g\n", (long long)i, got[i], ref[i]);
            ok = 0;
        }
    free(got);
    return ok;
}

/* Plain scatter / put with repeated indices: the CPU applies the updates in order (the last one
 * wins, ref); the GPU, like MLX's, writes them concurrently, so there any one of the updates aimed
 * at an element may be the one left: element i may also hold any of alt[i][0 .. nalt[i]). */
enum { MAXW = 4 };
typedef struct writers {
    int    n;
    double v[MAXW];
} writers;
static void add_writer(writers *w, double v) {
    if (w->n < MAXW) w->v[w->n++] = v;
}
static int check_vals_dup(mx_array *r, const double *ref, const writers *alt, int64_t n) {
    if (!t_gpu_default()) return check_vals(r, ref, n);
    double *got = malloc(sizeof(double) * (size_t)(n ? n : 1));
    int ok = t_read(r, got, n) == n;
    for (int64_t i = 0; ok && i < n; i++) {
        int hit = got[i] == ref[i];
        for (int k = 0; k < alt[i].n && !hit; k++) hit = got[i] == alt[i].v[k];
        if (!hit) {
            fprintf(stderr, "  mismatch at %lld: %g vs %g (or another update)\n", (long long)i,
                    got[i], ref[i]);
            ok = 0;
        }
    }
    free(got);
    return ok;
}

TEST(take_axis_and_flat) {
    double av[12];
    for (int i = 0; i < 12; i++) av[i] = i * 1.5 - 3;
    int64_t ash[2] = {3, 4};
    int64_t iv[5] = {2, -1, 0, 7, -10}, ish[1] = {5};
    mx_dtype itypes[4] = {MX_INT32, MX_INT64, MX_INT16, MX_INT8};
    for (int t = 0; t < 4; t++) {
        mx_array *a = arr(av, ash, 2, MX_FLOAT32), *ix = iarr(iv, ish, 1, itypes[t]);
        /* axis 0: (5, 4) */
        mx_array *r = mx_take(a, ix, 0, false, S);
        int64_t e0[2] = {5, 4};
        CHECK(t_shape_is(r, e0, 2));
        double ref[20];
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 4; j++) ref[i * 4 + j] = av[fixi(iv[i], 3) * 4 + j];
        CHECK(check_vals(r, ref, 20));
        mx_array_release(r);
        /* axis -1: (3, 5) */
        r = mx_take(a, ix, -1, false, S);
        int64_t e1[2] = {3, 5};
        CHECK(t_shape_is(r, e1, 2));
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 5; j++) ref[i * 5 + j] = av[i * 4 + fixi(iv[j], 4)];
        CHECK(check_vals(r, ref, 15));
        mx_array_release(r);
        /* flatten */
        r = mx_take(a, ix, 0, true, S);
        CHECK(t_shape_is(r, ish, 1));
        for (int j = 0; j < 5; j++) ref[j] = av[fixi(iv[j], 12)];
        CHECK(check_vals(r, ref, 5));
        mx_array_release(r);
        mx_array_release(a);
        mx_array_release(ix);
    }
    /* unsigned indices */
    uint32_t uv[3] = {3, 0, 4000000000u};
    int64_t ush[1] = {3};
    mx_array *ix = mx_array_from_data(uv, ush, 1, MX_UINT32);
    mx_array *a = arr(av, ash, 2, MX_FLOAT32);
    mx_array *r = mx_take(a, ix, 1, false, S);
    double ref[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) ref[i * 3 + j] = av[i * 4 + (j == 0 ? 3 : j == 1 ? 0 : 3)];
    CHECK(check_vals(r, ref, 9));
    mx_array_release(r);
    mx_array_release(a);
    mx_array_release(ix);
}

TEST(take_nd_indices_middle_axis) {
    /* a (2, 5, 3), indices (2, 2) on axis 1 -> (2, 2, 2, 3) */
    double av[30];
    for (int i = 0; i < 30; i++) av[i] = i;
    int64_t ash[3] = {2, 5, 3}, iv[4] = {4, 1, -2, 0}, ish[2] = {2, 2};
    mx_dtype dts[4] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16, MX_INT64};
    for (int t = 0; t < 4; t++) {
        mx_array *a = arr(av, ash, 3, dts[t]), *ix = iarr(iv, ish, 2, MX_INT32);
        mx_array *r = mx_take(a, ix, 1, false, S);
        int64_t esh[4] = {2, 2, 2, 3};
        CHECK(t_shape_is(r, esh, 4));
        CHECK(mx_array_dtype(r) == dts[t]);
        double ref[24];
        int k = 0;
        for (int i = 0; i < 2; i++)
            for (int p = 0; p < 4; p++)
                for (int j = 0; j < 3; j++) ref[k++] = av[i * 15 + fixi(iv[p], 5) * 3 + j];
        CHECK(check_vals(r, ref, 24));
        mx_array_release(r);
        /* 0-d index drops the axis */
        mx_array *i0 = mx_array_scalar_i64(-1, MX_INT32);
        r = mx_take(a, i0, 1, false, S);
        int64_t e2[2] = {2, 3};
        CHECK(t_shape_is(r, e2, 2));
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++) ref[i * 3 + j] = av[i * 15 + 4 * 3 + j];
        CHECK(check_vals(r, ref, 6));
        mx_array_release(r);
        mx_array_release(i0);
        mx_array_release(a);
        mx_array_release(ix);
    }
}

TEST(take_strided_inputs) {
    /* a transposed, indices reversed with a negative step; float64 on the CPU, float32 on the
     * default device */
    double av[20];
    for (int i = 0; i < 20; i++) av[i] = i * i;
    int64_t ash[2] = {4, 5}, iv[6] = {0, 3, 1, -1, 2, 9}, ish[1] = {6};
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        mx_array *a0 = arr(av, ash, 2, t_dt), *i0 = iarr(iv, ish, 1, MX_INT64);
        mx_array *a = mx_transpose(a0, NULL, 0, S); /* (5, 4), a[i][j] = av[j*5+i] */
        int64_t st = MX_SLICE_NONE, step = -2;
        mx_array *ix = mx_slice(i0, &st, &st, &step, S); /* {9, -1, 3} */
        mx_array *r = mx_take(a, ix, 0, false, S);
        int64_t rv[3] = {9, -1, 3};
        double ref[12];
        for (int p = 0; p < 3; p++)
            for (int j = 0; j < 4; j++) ref[p * 4 + j] = av[j * 5 + fixi(rv[p], 5)];
        CHECK(mx_array_dtype(r) == t_dt && check_vals(r, ref, 12));
        mx_array_release(r);
        /* broadcast (stride-0) indices */
        int64_t bsh[2] = {2, 3};
        mx_array *bi = mx_broadcast_to(ix, bsh, 2, S);
        r = mx_take(a, bi, 1, false, S);
        int64_t esh[3] = {5, 2, 3};
        CHECK(t_shape_is(r, esh, 3));
        double ref2[30];
        for (int i = 0; i < 5; i++)
            for (int q = 0; q < 2; q++)
                for (int p = 0; p < 3; p++) ref2[i * 6 + q * 3 + p] = av[fixi(rv[p], 4) * 5 + i];
        CHECK(check_vals(r, ref2, 30));
        mx_array_release(r);
        if (t_dt == MX_FLOAT64 && t_has_gpu())
            t_check_gpu_refuses_f64(mx_take(a, ix, 0, false, T_GPU), "take");
        mx_array_release(bi);
        mx_array_release(ix);
        mx_array_release(a);
        mx_array_release(a0);
        mx_array_release(i0);
        t_pass_end(pass);
    }
}

TEST(gather_general) {
    /* a (4, 5, 6); idx0 (3, 1) on axis 0, idx1 (1, 2) on axis 2; slice (1, 5, 1) -> (3,2,1,5,1) */
    double av[120];
    for (int i = 0; i < 120; i++) av[i] = i;
    int64_t ash[3] = {4, 5, 6};
    int64_t i0v[3] = {3, -1, 10}, i0s[2] = {3, 1}, i1v[2] = {-6, 5}, i1s[2] = {1, 2};
    mx_array *a = arr(av, ash, 3, MX_INT32);
    mx_array *ix[2] = {iarr(i0v, i0s, 2, MX_INT64), iarr(i1v, i1s, 2, MX_INT8)}; /* int8 */
    int axes[2] = {0, -1};
    int64_t sl[3] = {1, 5, 1};
    mx_array *r = mx_gather(a, ix, 2, axes, sl, S);
    int64_t esh[5] = {3, 2, 1, 5, 1};
    CHECK(t_shape_is(r, esh, 5));
    double ref[30];
    for (int p = 0; p < 3; p++)
        for (int q = 0; q < 2; q++)
            for (int j = 0; j < 5; j++)
                ref[(p * 2 + q) * 5 + j] = av[fixi(i0v[p], 4) * 30 + j * 6 + fixi(i1v[q], 6)];
    CHECK(check_vals(r, ref, 30));
    mx_array_release(r);
    /* slice wider than 1 on an indexed axis: start clamps to dim - slice */
    int64_t sl2[3] = {2, 2, 3};
    r = mx_gather(a, ix, 1, axes, sl2, S);
    int64_t esh2[5] = {3, 1, 2, 2, 3};
    CHECK(t_shape_is(r, esh2, 5));
    double ref2[36];
    int k = 0;
    for (int p = 0; p < 3; p++) {
        int64_t s0 = i0v[p] < 0 ? i0v[p] + 4 : i0v[p];
        if (s0 > 2) s0 = 2;
        for (int x = 0; x < 2; x++)
            for (int y = 0; y < 2; y++)
                for (int z = 0; z < 3; z++) ref2[k++] = av[(s0 + x) * 30 + y * 6 + z];
    }
    CHECK(check_vals(r, ref2, 36));
    mx_array_release(r);
    /* no index arrays: the leading slice */
    r = mx_gather(a, NULL, 0, NULL, sl2, S);
    CHECK(t_shape_is(r, sl2, 3));
    mx_array_release(r);
    mx_array_release(ix[0]);
    mx_array_release(ix[1]);
    mx_array_release(a);
}

TEST(take_along_and_put_along) {
    double av[12];
    for (int i = 0; i < 12; i++) av[i] = 10 + i;
    int64_t ash[2] = {3, 4};
    int64_t iv[6] = {3, 0, -1, 8, 1, 1}, ish[2] = {3, 2};
    mx_array *a = arr(av, ash, 2, MX_FLOAT32), *ix = iarr(iv, ish, 2, MX_INT32);
    mx_array *r = mx_take_along_axis(a, ix, 1, false, S);
    CHECK(t_shape_is(r, ish, 2));
    double ref[12];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) ref[i * 2 + j] = av[i * 4 + fixi(iv[i * 2 + j], 4)];
    CHECK(check_vals(r, ref, 6));
    mx_array_release(r);
    /* broadcast index row (1, 2) along axis 1 */
    int64_t bsh[2] = {1, 2};
    mx_array *bix = iarr(iv, bsh, 2, MX_INT64);
    r = mx_take_along_axis(a, bix, 1, false, S);
    CHECK(t_shape_is(r, ish, 2));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) ref[i * 2 + j] = av[i * 4 + fixi(iv[j], 4)];
    CHECK(check_vals(r, ref, 6));
    mx_array_release(r);
    /* axis 0 on a transposed array */
    mx_array *at = mx_transpose(a, NULL, 0, S); /* (4, 3) */
    r = mx_take_along_axis(at, ix, 0, false, S); /* out (3, 2)... indices (3,2) vs a (4,3): 2 vs 3 */
    CHECK(r == NULL);
    mx_error_clear();
    int64_t csh[2] = {2, 3};
    mx_array *cix = iarr(iv, csh, 2, MX_INT32);
    r = mx_take_along_axis(at, cix, 0, false, S);
    CHECK(t_shape_is(r, csh, 2));
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) ref[i * 3 + j] = av[j * 4 + fixi(iv[i * 3 + j], 4)];
    CHECK(check_vals(r, ref, 6));
    mx_array_release(r);
    /* put_along_axis: duplicates -> last write wins (on the GPU: one of them); values broadcast */
    double vv[6] = {-1, -2, -3, -4, -5, -6};
    mx_array *vals = arr(vv, ish, 2, MX_FLOAT16); /* cast to a's dtype */
    r = mx_put_along_axis(a, ix, vals, 1, false, S);
    CHECK(t_shape_is(r, ash, 2));
    writers alt[12] = {{0}};
    for (int i = 0; i < 12; i++) ref[i] = av[i];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) {
            ref[i * 4 + fixi(iv[i * 2 + j], 4)] = vv[i * 2 + j];
            add_writer(&alt[i * 4 + fixi(iv[i * 2 + j], 4)], vv[i * 2 + j]);
        }
    CHECK(check_vals_dup(r, ref, alt, 12));
    CHECK(mx_array_dtype(r) == MX_FLOAT32);
    mx_array_release(r);
    mx_array *sv = mx_array_scalar_f64(7, MX_FLOAT32);
    r = mx_put_along_axis(a, ix, sv, 0, true, S); /* flat: indices 3,0,11,8->8.. */
    for (int i = 0; i < 12; i++) ref[i] = av[i];
    for (int j = 0; j < 6; j++) ref[fixi(iv[j], 12)] = 7;
    CHECK(t_shape_is(r, ash, 2));
    CHECK(check_vals(r, ref, 12));
    mx_array_release(r);
    mx_array_release(sv);
    mx_array_release(vals);
    mx_array_release(cix);
    mx_array_release(at);
    mx_array_release(bix);
    mx_array_release(ix);
    mx_array_release(a);
}

/* reference scatter on a 2-D array (rows indexed on axis 0, updates (n, 1, cols)) */
static void ref_scatter(double *out, int64_t rows, int64_t cols, const int64_t *iv, int64_t n,
                        const double *uv, int red) {
    for (int64_t b = 0; b < n; b++) {
        int64_t r = fixi(iv[b], rows);
        for (int64_t c = 0; c < cols; c++) {
            double *y = &out[r * cols + c], u = uv[b * cols + c];
            switch (red) {
            case 0: *y = u; break;
            case 1: *y += u; break;
            case 2: *y *= u; break;
            case 3: *y = u > *y ? u : *y; break;
            default: *y = u < *y ? u : *y; break;
            }
        }
    }
}

TEST(scatter_family) {
    double av[12];
    for (int i = 0; i < 12; i++) av[i] = (i % 5) - 1;
    int64_t ash[2] = {4, 3}, iv[5] = {1, -3, 3, 1, 100}, ish[1] = {5};
    double uv[15];
    for (int i = 0; i < 15; i++) uv[i] = (i * 7 % 11) - 4;
    int64_t ush[3] = {5, 1, 3};
    mx_dtype dts[3] = {MX_FLOAT32, MX_INT32, MX_FLOAT16};
    typedef mx_array *(*scat_fn)(mx_array *, mx_array *const *, int, mx_array *, const int *,
                                  mx_stream);
    scat_fn fns[5] = {mx_scatter, mx_scatter_add, mx_scatter_prod, mx_scatter_max,
                      mx_scatter_min};
    for (int t = 0; t < 3; t++)
        for (int f = 0; f < 5; f++) {
            mx_array *a = arr(av, ash, 2, dts[t]), *ix = iarr(iv, ish, 1, MX_INT64);
            mx_array *u = arr(uv, ush, 3, MX_FLOAT16); /* cast to a's dtype by the op */
            int ax = 0;
            mx_array *r = fns[f](a, &ix, 1, u, &ax, S);
            CHECK(mx_array_dtype(r) == dts[t]);
            double ref[12];
            for (int i = 0; i < 12; i++) ref[i] = av[i];
            ref_scatter(ref, 4, 3, iv, 5, uv, f);
            writers alt[12] = {{0}}; /* plain scatter: rows 1 and 3 have several writers */
            for (int b = 0; f == 0 && b < 5; b++)
                for (int c = 0; c < 3; c++) add_writer(&alt[fixi(iv[b], 4) * 3 + c], uv[b * 3 + c]);
            CHECK(check_vals_dup(r, ref, alt, 12));
            /* a stays unchanged (functional) */
            CHECK(check_vals(a, av, 12));
            mx_array_release(r);
            mx_array_release(u);
            mx_array_release(ix);
            mx_array_release(a);
        }
}

TEST(scatter_add_duplicates_and_broadcast) {
    /* histogram: scatter_add of a scalar with many duplicate indices */
    int64_t n = 1000, iv[1000];
    for (int i = 0; i < n; i++) iv[i] = (i * 37) % 11 - 5; /* -5..5 on dim 6: wraps and clamps */
    int64_t ish[1] = {1000}, ash[1] = {6};
    mx_array *a = mx_zeros(ash, 1, MX_INT32, S), *ix = iarr(iv, ish, 1, MX_INT16);
    mx_array *one = mx_array_scalar_i64(1, MX_INT32);
    int ax = 0;
    mx_array *r = mx_scatter_add(a, &ix, 1, one, &ax, S);
    double ref[6] = {0};
    for (int i = 0; i < n; i++) ref[fixi(iv[i], 6)] += 1;
    CHECK(check_vals(r, ref, 6));
    mx_array_release(r);
    /* plain scatter with two index arrays into a (3, 4) of a transposed (4, 3) view */
    double av[12];
    for (int i = 0; i < 12; i++) av[i] = i;
    int64_t a2sh[2] = {4, 3};
    mx_array *a0 = arr(av, a2sh, 2, MX_FLOAT32);
    mx_array *at = mx_transpose(a0, NULL, 0, S); /* at[i][j] = av[j*3+i], (3, 4) */
    int64_t r0[3] = {0, 2, -1}, c0[3] = {3, -4, 1}, s3[1] = {3};
    mx_array *ixs[2] = {iarr(r0, s3, 1, MX_INT32), iarr(c0, s3, 1, MX_INT8)};
    int axes[2] = {0, 1};
    double uv[3] = {100, 200, 300};
    mx_array *u = arr(uv, s3, 1, MX_FLOAT16); /* cast to at's dtype */
    r = mx_scatter(at, ixs, 2, u, axes, S);
    double ref2[12];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) ref2[i * 4 + j] = av[j * 3 + i];
    for (int b = 0; b < 3; b++) ref2[fixi(r0[b], 3) * 4 + fixi(c0[b], 4)] = uv[b];
    CHECK(check_vals(r, ref2, 12));
    mx_array_release(r);
    /* explicit update slices: updates (3, 1, 2) -> slice (1, 2) at column 0 */
    double uv2[6] = {1, 2, 3, 4, 5, 6};
    int64_t u2sh[3] = {3, 1, 2};
    mx_array *u2 = arr(uv2, u2sh, 3, MX_FLOAT32);
    r = mx_scatter_add(at, ixs, 1, u2, axes, S);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) ref2[i * 4 + j] = av[j * 3 + i];
    for (int b = 0; b < 3; b++)
        for (int j = 0; j < 2; j++) ref2[fixi(r0[b], 3) * 4 + j] += uv2[b * 2 + j];
    CHECK(check_vals(r, ref2, 12));
    mx_array_release(r);
    /* donation: a fresh temporary as input is reused and gives the same values */
    mx_array *ix1 = iarr(r0, s3, 1, MX_INT32);
    mx_array *one_f = mx_array_scalar_f64(1, MX_FLOAT32);
    mx_array *tmp2 = mx_multiply(a0, one_f, S);
    r = mx_scatter_add(tmp2, &ix1, 1, one_f, axes, S);
    mx_array_release(tmp2); /* r's node now holds the only reference */
    double ref3[12];
    for (int i = 0; i < 12; i++) ref3[i] = av[i];
    for (int b = 0; b < 3; b++)
        for (int j = 0; j < 3; j++) ref3[fixi(r0[b], 4) * 3 + j] += 1;
    CHECK(check_vals(r, ref3, 12));
    mx_array_release(r);
    mx_array_release(one_f);
    mx_array_release(ix1);
    mx_array_release(u2);
    mx_array_release(u);
    mx_array_release(ixs[0]);
    mx_array_release(ixs[1]);
    mx_array_release(at);
    mx_array_release(a0);
    mx_array_release(one);
    mx_array_release(ix);
    mx_array_release(a);
}

TEST(scatter_nan_bool_complex) {
    double av[3] = {1, 2, 3}, uv[3] = {NAN, 0, 5};
    int64_t sh[1] = {3}, iv[3] = {0, 1, 1}, ush[2] = {3, 1};
    mx_array *a = arr(av, sh, 1, MX_FLOAT32), *ix = iarr(iv, sh, 1, MX_INT32);
    mx_array *u = arr(uv, ush, 2, MX_FLOAT32);
    int ax = 0;
    mx_array *r = mx_scatter_max(a, &ix, 1, u, &ax, S);
    double ref[3] = {NAN, 5, 3};
    CHECK(check_vals(r, ref, 3));
    mx_array_release(r);
    r = mx_scatter_min(a, &ix, 1, u, &ax, S);
    double ref2[3] = {NAN, 0, 3};
    CHECK(check_vals(r, ref2, 3));
    mx_array_release(r);
    /* bool: add is or, prod is and */
    mx_array *ab = arr(av, sh, 1, MX_BOOL), *ub = arr(uv, ush, 2, MX_BOOL);
    r = mx_scatter_prod(ab, &ix, 1, ub, &ax, S);
    double ref3[3] = {1, 0, 1};
    CHECK(check_vals(r, ref3, 3));
    mx_array_release(r);
    /* complex add */
    mx_array *ac = arr(av, sh, 1, MX_COMPLEX64), *uc = arr(av, ush, 2, MX_COMPLEX64);
    r = mx_scatter_add(ac, &ix, 1, uc, &ax, S);
    mx_array *re = mx_real(r, S);
    double ref4[3] = {2, 7, 3};
    CHECK(check_vals(re, ref4, 3));
    mx_array_release(re);
    mx_array_release(r);
    /* int8 add wraps */
    double big[3] = {120, 0, 0}, ub8[3] = {10, 0, 0};
    mx_array *a8 = arr(big, sh, 1, MX_INT8), *u8 = arr(ub8, ush, 2, MX_INT8);
    r = mx_scatter_add(a8, &ix, 1, u8, &ax, S);
    double ref5[3] = {-126, 0, 0};
    CHECK(check_vals(r, ref5, 3));
    mx_array_release(r);
    mx_array_release(a8);
    mx_array_release(u8);
    mx_array_release(ac);
    mx_array_release(uc);
    mx_array_release(ab);
    mx_array_release(ub);
    mx_array_release(u);
    mx_array_release(ix);
    mx_array_release(a);
}

TEST(masked_scatter) {
    double av[6] = {1, 2, 3, 4, 5, 6}, vv[4] = {-1, -2, -3, -4};
    int64_t sh[2] = {2, 3}, vsh[2] = {2, 2}, msh[1] = {3};
    bool mv[3] = {true, false, true};
    mx_array *a = arr(av, sh, 2, MX_FLOAT32), *v = arr(vv, vsh, 2, MX_FLOAT16); /* cast */
    mx_array *m = mx_array_from_data(mv, msh, 1, MX_BOOL); /* broadcast over rows */
    mx_array *r = mx_masked_scatter(a, m, v, S);
    double ref[6] = {-1, 2, -2, -3, 5, -4};
    CHECK(check_vals(r, ref, 6));
    mx_array_release(r);
    /* too few values: the rest keep a's values */
    int64_t one[1] = {1};
    mx_array *v1 = arr(vv, one, 1, MX_FLOAT32);
    r = mx_masked_scatter(a, m, v1, S);
    double ref2[6] = {-1, 2, 3, 4, 5, 6};
    CHECK(check_vals(r, ref2, 6));
    mx_array_release(r);
    CHECK_ERR(mx_masked_scatter(a, v, v, S), MX_ERR_VALUE, "masked_scatter");
    mx_array_release(v1);
    mx_array_release(m);
    mx_array_release(v);
    mx_array_release(a);
}

TEST(slice_update_static) {
    double av[20];
    for (int i = 0; i < 20; i++) av[i] = i;
    int64_t sh[2] = {4, 5};
    mx_array *a = arr(av, sh, 2, MX_INT64);
    /* a[::-2, 1:4] = [[100, 101, 102]] (broadcast over 2 rows) */
    int64_t start[2] = {MX_SLICE_NONE, 1}, stop[2] = {MX_SLICE_NONE, 4}, step[2] = {-2, 1};
    double uv[3] = {100, 101, 102};
    int64_t ush[1] = {3};
    mx_array *u = arr(uv, ush, 1, MX_FLOAT32);
    mx_array *r = mx_slice_update(a, u, start, stop, step, S);
    double ref[20];
    for (int i = 0; i < 20; i++) ref[i] = av[i];
    for (int i = 3; i >= 0; i -= 2)
        for (int j = 1; j < 4; j++) ref[i * 5 + j] = uv[j - 1];
    CHECK(check_vals(r, ref, 20));
    CHECK(mx_array_dtype(r) == MX_INT64);
    mx_array_release(r);
    /* transposed input, negative bounds */
    mx_array *at = mx_transpose(a, NULL, 0, S); /* (5, 4) */
    int64_t st2[2] = {-2, 0}, sp2[2] = {MX_SLICE_NONE, 1};
    mx_array *s7 = mx_array_scalar_i64(7, MX_INT32);
    r = mx_slice_update(at, s7, st2, sp2, NULL, S);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) ref[i * 4 + j] = (i >= 3 && j < 1) ? 7 : av[j * 5 + i];
    CHECK(check_vals(r, ref, 20));
    mx_array_release(r);
    /* empty slice: a unchanged; shape mismatch error */
    int64_t e0[2] = {2, 0}, e1[2] = {2, 0};
    r = mx_slice_update(a, s7, e0, e1, NULL, S);
    CHECK(check_vals(r, av, 20));
    mx_array_release(r);
    int64_t z[2] = {0, 0}, two[2] = {2, 2};
    CHECK_ERR(mx_slice_update(a, u, z, two, NULL, S), MX_ERR_VALUE, "slice_update");
    mx_array_release(s7);
    mx_array_release(at);
    mx_array_release(u);
    mx_array_release(a);
}

TEST(slice_dynamic) {
    double av[20];
    for (int i = 0; i < 20; i++) av[i] = i;
    int64_t sh[2] = {4, 5};
    mx_array *a = arr(av, sh, 2, MX_FLOAT32);
    int64_t starts[4][2] = {{1, 2}, {-1, -2}, {100, -100}, {3, 3}};
    for (int t = 0; t < 4; t++) {
        int64_t ssh[1] = {2};
        mx_array *st = iarr(starts[t], ssh, 1, t % 2 ? MX_INT64 : MX_INT32);
        int axes[2] = {0, 1};
        int64_t size[2] = {2, 3};
        mx_array *r = mx_slice_dynamic(a, st, axes, 2, size, S);
        CHECK(t_shape_is(r, size, 2));
        int64_t r0 = starts[t][0] < 0 ? starts[t][0] + 4 : starts[t][0];
        int64_t c0 = starts[t][1] < 0 ? starts[t][1] + 5 : starts[t][1];
        r0 = r0 > 2 ? 2 : (r0 < 0 ? 0 : r0);
        c0 = c0 > 2 ? 2 : (c0 < 0 ? 0 : c0);
        double ref[20];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++) ref[i * 3 + j] = av[(r0 + i) * 5 + c0 + j];
        CHECK(check_vals(r, ref, 6));
        mx_array_release(r);
        /* update */
        double uv[6] = {-1, -2, -3, -4, -5, -6};
        mx_array *u = arr(uv, size, 2, MX_FLOAT16); /* cast to a's dtype */
        r = mx_slice_update_dynamic(a, u, st, axes, 2, S);
        for (int i = 0; i < 20; i++) ref[i] = av[i];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++) ref[(r0 + i) * 5 + c0 + j] = uv[i * 3 + j];
        CHECK(check_vals(r, ref, 20));
        mx_array_release(r);
        mx_array_release(u);
        mx_array_release(st);
    }
    /* one axis only; the other starts at 0 */
    mx_array *s1 = mx_array_scalar_i64(-1, MX_INT32);
    int ax1 = 1;
    int64_t size[2] = {4, 1};
    mx_array *r = mx_slice_dynamic(a, s1, &ax1, 1, size, S);
    double ref[4] = {4, 9, 14, 19};
    CHECK(check_vals(r, ref, 4));
    mx_array_release(r);
    int64_t bad[2] = {5, 1};
    CHECK_ERR(mx_slice_dynamic(a, s1, &ax1, 1, bad, S), MX_ERR_VALUE, "slice");
    mx_array *fs = mx_array_scalar_f64(1, MX_FLOAT32);
    CHECK_ERR(mx_slice_dynamic(a, fs, &ax1, 1, size, S), MX_ERR_VALUE, "slice");
    mx_array_release(fs);
    mx_array_release(s1);
    mx_array_release(a);
}

TEST(index_errors) {
    double av[6] = {0, 1, 2, 3, 4, 5};
    int64_t sh[2] = {2, 3}, s1[1] = {2};
    mx_array *a = arr(av, sh, 2, MX_FLOAT32);
    mx_array *fi = arr(av, s1, 1, MX_FLOAT32), *bi = arr(av, s1, 1, MX_BOOL);
    int64_t iv[2] = {0, 1};
    mx_array *ix = iarr(iv, s1, 1, MX_INT32);
    int ax = 0, ax_bad = 2, axes2[2] = {0, 0};
    int64_t sl[2] = {1, 3}, sl_bad[2] = {1, 4};
    CHECK_ERR(mx_gather(a, &fi, 1, &ax, sl, S), MX_ERR_VALUE, "gather");
    CHECK_ERR(mx_gather(a, &bi, 1, &ax, sl, S), MX_ERR_VALUE, "gather");
    CHECK_ERR(mx_gather(a, &ix, 1, &ax_bad, sl, S), MX_ERR_VALUE, "gather");
    CHECK_ERR(mx_gather(a, &ix, 1, &ax, sl_bad, S), MX_ERR_VALUE, "gather");
    mx_array *two[2] = {ix, ix};
    CHECK_ERR(mx_gather(a, two, 2, axes2, sl, S), MX_ERR_VALUE, "gather");
    CHECK_ERR(mx_gather(a, two, 3, axes2, sl, S), MX_ERR_VALUE, "gather");
    CHECK_ERR(mx_take(a, fi, 0, false, S), MX_ERR_VALUE, "take");
    CHECK_ERR(mx_take(a, ix, 5, false, S), MX_ERR_VALUE, "take");
    CHECK_ERR(mx_take(NULL, ix, 0, false, S), MX_ERR_VALUE, "take");
    CHECK_ERR(mx_take_along_axis(a, ix, 0, false, S), MX_ERR_VALUE, "take_along_axis");
    CHECK_ERR(mx_put_along_axis(a, ix, a, 0, false, S), MX_ERR_VALUE, "put_along_axis");
    CHECK_ERR(mx_scatter(a, &bi, 1, a, &ax, S), MX_ERR_VALUE, "scatter");
    CHECK_ERR(mx_scatter_add(a, &ix, 1, fi, &ax, S), MX_ERR_VALUE, "scatter_add");
    int64_t ush[3] = {2, 1, 4};
    mx_array *ub = mx_zeros(ush, 3, MX_FLOAT32, S);
    CHECK_ERR(mx_scatter_max(a, &ix, 1, ub, &ax, S), MX_ERR_VALUE, "scatter_max");
    mx_array_release(ub);
    /* empty: take from empty indices, empty array */
    int64_t e[1] = {0};
    mx_array *ei = mx_zeros(e, 1, MX_INT32, S);
    mx_array *r = mx_take(a, ei, 1, false, S);
    int64_t esh[2] = {2, 0};
    CHECK(t_shape_is(r, esh, 2));
    double tmp[1];
    CHECK(t_read(r, tmp, 1) == 0);
    mx_array_release(r);
    int64_t z2[2] = {0, 3};
    mx_array *ea = mx_zeros(z2, 2, MX_FLOAT32, S);
    r = mx_take(ea, ei, 0, false, S);
    CHECK(t_shape_is(r, z2, 2));
    mx_array_release(r);
    CHECK_ERR(mx_take(ea, ix, 0, false, S), MX_ERR_INDEX, "take");
    mx_array *sc1 = mx_array_scalar_f64(1, MX_FLOAT32);
    r = mx_scatter_add(ea, &ei, 1, sc1, &ax, S);
    CHECK(r && t_read(r, tmp, 1) == 0);
    mx_array_release(r);
    mx_array_release(sc1);
    mx_array_release(ea);
    mx_array_release(ei);
    mx_array_release(ix);
    mx_array_release(fi);
    mx_array_release(bi);
    mx_array_release(a);
}

TEST(gather_large_parallel) {
    /* embedding-style lookup: 2000 rows of 64 gathered by 5000 indices (parallel path) */
    int64_t rows = 2000, cols = 64, n = 5000;
    mx_array *a = mx_arange(0, (double)(rows * cols), 1, MX_FLOAT32, S);
    int64_t ash[2] = {rows, cols};
    mx_array *a2 = mx_reshape(a, ash, 2, S);
    int64_t *iv = malloc(sizeof(int64_t) * (size_t)n);
    for (int64_t i = 0; i < n; i++) iv[i] = (i * 7919) % (rows + 50) - 25;
    int64_t ish[1] = {n};
    mx_array *ix = iarr(iv, ish, 1, MX_INT32);
    mx_array *r = mx_take(a2, ix, 0, false, S);
    double *got = malloc(sizeof(double) * (size_t)(n * cols));
    CHECK(t_read(r, got, n * cols) == n * cols);
    int bad = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < cols; j++)
            bad += got[i * cols + j] != (double)(fixi(iv[i], rows) * cols + j);
    CHECK(bad == 0);
    free(got);
    free(iv);
    mx_array_release(r);
    mx_array_release(ix);
    mx_array_release(a2);
    mx_array_release(a);
}
