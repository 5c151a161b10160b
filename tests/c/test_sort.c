/* tests/c/test_sort.c: sort, argsort (stable), partition, argpartition, topk and searchsorted
 * against qsort / linear-scan references, along any axis of strided inputs, in several dtypes,
 * with NaN and signed zeros, empty arrays and error cases. On the default device; float64 on the
 * CPU. */
#define FAMILY "sort"
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

#define S MX_DEFAULT_STREAM

static mx_array *arr(const double *v, const int64_t *sh, int nd, mx_dtype t) {
    mx_array *f = t_f64(v, sh, nd);
    mx_array *r = mx_astype(f, t, T_CPU);
    mx_array_release(f);
    return r;
}

/* NumPy order: NaN last */
static int cmp_d(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    if (isnan(a)) return isnan(b) ? 0 : 1;
    if (isnan(b)) return -1;
    return (a > b) - (a < b);
}
static int lt_d(double a, double b) { return cmp_d(&a, &b) < 0; }
static int eq_d(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

/* read an array (any shape) as doubles; caller frees */
static double *rd(mx_array *a) {
    int64_t n = mx_array_size(a);
    double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
    if (t_read(a, v, n) != n) {
        free(v);
        return NULL;
    }
    return v;
}

/* Check sort/argsort/partition/argpartition results of x (2-D, rows r, cols c) along axis. */
static void check_all(mx_array *x, int axis, int64_t kth) {
    int64_t R = mx_array_dim(x, 0), C = mx_array_dim(x, 1);
    int64_t nrows = axis == 1 ? R : C, n = axis == 1 ? C : R;
    double *xv = rd(x);
    mx_stream s = t_stream_for(mx_array_dtype(x)); /* float64 on the CPU */
    mx_array *so = mx_sort(x, axis, false, s), *as = mx_argsort(x, axis, false, s);
    mx_array *pa = mx_partition(x, (int)kth, axis, false, s);
    mx_array *ap = mx_argpartition(x, (int)kth, axis, false, s);
    CHECK(mx_array_dtype(as) == MX_UINT32 && mx_array_dtype(so) == mx_array_dtype(x));
    double *sv = rd(so), *av = rd(as), *pv = rd(pa), *apv = rd(ap);
    CHECK(xv && sv && av && pv && apv);
    if (!(xv && sv && av && pv && apv)) goto done;
    double *row = malloc(sizeof(double) * (size_t)n);
    int bad = 0;
    int64_t kk = kth < 0 ? kth + n : kth;
#define AT(v, r, i) (v)[axis == 1 ? (r) * C + (i) : (i) * C + (r)]
    for (int64_t r = 0; r < nrows; r++) {
        for (int64_t i = 0; i < n; i++) row[i] = AT(xv, r, i);
        qsort(row, (size_t)n, sizeof(double), cmp_d);
        for (int64_t i = 0; i < n; i++) {
            bad += !eq_d(AT(sv, r, i), row[i]);
            /* argsort: gathers the sorted row, stable */
            int64_t ix = (int64_t)AT(av, r, i);
            bad += ix < 0 || ix >= n || !eq_d(AT(xv, r, ix), row[i]);
            if (i > 0 && eq_d(row[i], row[i - 1]) && (int64_t)AT(av, r, i - 1) >= ix) bad++;
            /* partition: kth in place, nothing larger before, nothing smaller after */
            double p = AT(pv, r, i), q = AT(xv, r, (int64_t)AT(apv, r, i));
            if (i < kk) bad += lt_d(row[kk], p) + lt_d(row[kk], q);
            if (i > kk) bad += lt_d(p, row[kk]) + lt_d(q, row[kk]);
        }
        bad += !eq_d(AT(pv, r, kk), row[kk]);
        bad += !eq_d(AT(xv, r, (int64_t)AT(apv, r, kk)), row[kk]);
        /* argpartition is a permutation */
        for (int64_t i = 0; i < n; i++) row[i] = 0;
        for (int64_t i = 0; i < n; i++) row[(int64_t)AT(apv, r, i)] += 1;
        for (int64_t i = 0; i < n; i++) bad += row[i] != 1;
    }
#undef AT
    CHECK(bad == 0);
    free(row);
done:
    free(xv);
    free(sv);
    free(av);
    free(pv);
    free(apv);
    mx_array_release(so);
    mx_array_release(as);
    mx_array_release(pa);
    mx_array_release(ap);
}

TEST(sort_float_nan_zero) {
    double v[24] = {3, NAN, -0.0, 0.0, -1, 2, 2, INFINITY, -INFINITY, 1e-3, NAN, -0.0,
                    5, 4, 3, 2, 1, 0, -1, -2, 2, 2, 2, NAN};
    int64_t sh[2] = {4, 6};
    mx_dtype dts[4] = {MX_FLOAT32, MX_FLOAT64, MX_FLOAT16, MX_BFLOAT16};
    for (int t = 0; t < 4; t++) {
        mx_array *a = arr(v, sh, 2, dts[t]);
        check_all(a, 1, 2);
        check_all(a, 0, -1);
        mx_array *at = mx_transpose(a, NULL, 0, S); /* (6, 4), strided */
        check_all(at, 1, 0);
        check_all(at, 0, 5);
        if (dts[t] == MX_FLOAT64 && t_has_gpu())
            t_check_gpu_refuses_f64(mx_sort(a, 1, false, T_GPU), "sort");
        mx_array_release(at);
        mx_array_release(a);
    }
    /* explicit: NaN last, signed zeros equal (stable order kept) */
    double w[5] = {NAN, 0.0, -0.0, -3, NAN};
    int64_t n5[1] = {5};
    mx_array *a = arr(w, n5, 1, MX_FLOAT32);
    mx_array *as = mx_argsort(a, 0, false, S);
    double got[5], ref[5] = {3, 1, 2, 0, 4};
    CHECK(t_read(as, got, 5) == 5);
    for (int i = 0; i < 5; i++) CHECK(got[i] == ref[i]);
    mx_array_release(as);
    mx_array_release(a);
}

TEST(sort_int_dtypes_and_negative_steps) {
    double v[30];
    for (int i = 0; i < 30; i++) v[i] = (double)((i * 37 + 11) % 23) - 9;
    int64_t sh[2] = {5, 6};
    mx_dtype dts[7] = {MX_INT8, MX_INT16, MX_INT32, MX_INT64, MX_UINT8, MX_UINT64, MX_BOOL};
    for (int t = 0; t < 7; t++) {
        double w[30];
        for (int i = 0; i < 30; i++)
            w[i] = dts[t] == MX_BOOL ? (v[i] > 0) : (dts[t] == MX_UINT8 || dts[t] == MX_UINT64) ? v[i] + 9 : v[i];
        mx_array *a = arr(w, sh, 2, dts[t]);
        check_all(a, 1, 3);
        check_all(a, 0, 1);
        int64_t st[2] = {MX_SLICE_NONE, MX_SLICE_NONE}, step[2] = {-1, -2};
        mx_array *rv = mx_slice(a, st, st, step, S); /* (5, 3), negative strides */
        check_all(rv, 1, -1);
        check_all(rv, 0, 2);
        mx_array_release(rv);
        mx_array_release(a);
    }
}

TEST(sort_complex_lexicographic) {
    float v[12] = {1, 2, 1, -1, 0, 5, NAN, 0, -2, 3, 1, 2}; /* 6 complex */
    int64_t sh[1] = {6};
    mx_array *a = mx_array_from_data(v, sh, 1, MX_COMPLEX64);
    mx_array *so = mx_sort(a, -1, false, S);
    float out[12];
    CHECK(mx_array_copy_to(so, out) == MX_OK);
    float ref[12] = {-2, 3, 0, 5, 1, -1, 1, 2, 1, 2, NAN, 0};
    for (int i = 0; i < 10; i++) CHECK(out[i] == ref[i]);
    CHECK(isnan(out[10]));
    mx_array *as = mx_argsort(a, 0, false, S);
    double got[6], aref[6] = {4, 2, 1, 0, 5, 3};
    CHECK(t_read(as, got, 6) == 6);
    for (int i = 0; i < 6; i++) CHECK(got[i] == aref[i]);
    mx_array_release(as);
    mx_array_release(so);
    mx_array_release(a);
}

TEST(sort_flatten_3d_and_large) {
    /* axis=None flattens */
    double v[24];
    for (int i = 0; i < 24; i++) v[i] = (i * 13) % 24;
    int64_t sh[3] = {2, 3, 4};
    mx_array *a = arr(v, sh, 3, MX_INT32);
    mx_array *so = mx_sort(a, 0, true, S);
    int64_t f[1] = {24};
    CHECK(t_shape_is(so, f, 1));
    double got[24];
    CHECK(t_read(so, got, 24) == 24);
    for (int i = 0; i < 24; i++) CHECK(got[i] == i);
    mx_array_release(so);
    /* middle axis of a 3-D array */
    mx_array *s1 = mx_sort(a, 1, false, S);
    CHECK(t_read(s1, got, 24) == 24);
    int bad = 0;
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 4; k++) {
            double col[3];
            for (int j = 0; j < 3; j++) col[j] = v[i * 12 + j * 4 + k];
            qsort(col, 3, sizeof(double), cmp_d);
            for (int j = 0; j < 3; j++) bad += got[i * 12 + j * 4 + k] != col[j];
        }
    CHECK(bad == 0);
    mx_array_release(s1);
    mx_array_release(a);
    /* many rows in parallel, long rows */
    int64_t R = 64, C = 3000;
    double *big = malloc(sizeof(double) * (size_t)(R * C));
    uint64_t x = 88172645463325252ull;
    for (int64_t i = 0; i < R * C; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        big[i] = (double)(x % 1000) - 500; /* many duplicates */
    }
    int64_t bsh[2] = {R, C};
    mx_array *b = arr(big, bsh, 2, MX_FLOAT32);
    check_all(b, 1, 1234);
    check_all(b, 0, 10);
    mx_array_release(b);
    free(big);
}

TEST(topk_values) {
    double v[12] = {5, 1, 9, 3, 7, 7, -2, 0, 8, 8, 6, 4};
    int64_t sh[2] = {2, 6};
    mx_array *a = arr(v, sh, 2, MX_FLOAT32);
    mx_array *t = mx_topk(a, 3, -1, false, S);
    int64_t esh[2] = {2, 3};
    CHECK(t_shape_is(t, esh, 2));
    double got[6];
    CHECK(t_read(t, got, 6) == 6);
    for (int r = 0; r < 2; r++) {
        double row[6], g[3];
        for (int i = 0; i < 6; i++) row[i] = v[r * 6 + i];
        qsort(row, 6, sizeof(double), cmp_d);
        for (int i = 0; i < 3; i++) g[i] = got[r * 3 + i];
        qsort(g, 3, sizeof(double), cmp_d);
        for (int i = 0; i < 3; i++) CHECK(g[i] == row[3 + i]);
    }
    mx_array_release(t);
    t = mx_topk(a, 6, 1, false, S); /* k == n: everything */
    CHECK(t_shape_is(t, sh, 2));
    mx_array_release(t);
    t = mx_topk(a, 2, 0, true, S);
    int64_t two[1] = {2};
    CHECK(t_shape_is(t, two, 1));
    CHECK(t_read(t, got, 2) == 2);
    CHECK((got[0] == 9 && got[1] == 8) || (got[0] == 8 && got[1] == 9));
    mx_array_release(t);
    mx_array_release(a);
}

TEST(searchsorted_sides) {
    double seq[7] = {-1, 0, 0, 2, 5, 5, 9};
    double vals[10] = {-5, -1, 0, 1, 2, 5, 7, 9, 10, NAN};
    int64_t n7[1] = {7}, vsh[2] = {2, 5};
    mx_dtype dts[3] = {MX_FLOAT32, MX_FLOAT16, MX_FLOAT64};
    for (int t = 0; t < 3; t++)
        for (int side = 0; side < 2; side++) {
            mx_array *sq = arr(seq, n7, 1, dts[t]), *vs = arr(vals, vsh, 2, MX_FLOAT32);
            mx_array *r = mx_searchsorted(sq, vs, side == 1, t_stream_for(dts[t]));
            CHECK(mx_array_dtype(r) == MX_UINT32);
            CHECK(t_shape_is(r, vsh, 2));
            double got[10];
            CHECK(t_read(r, got, 10) == 10);
            for (int i = 0; i < 10; i++) {
                int ref = 0;
                for (int j = 0; j < 7; j++) ref += side ? !lt_d(vals[i], seq[j]) : lt_d(seq[j], vals[i]);
                CHECK(got[i] == ref);
            }
            mx_array_release(r);
            mx_array_release(vs);
            mx_array_release(sq);
        }
    /* integer sequence, reversed strided view of a descending array */
    double d[6] = {50, 40, 30, 20, 10, 0};
    int64_t n6[1] = {6};
    mx_array *a = arr(d, n6, 1, MX_INT32);
    int64_t st = MX_SLICE_NONE, step = -1;
    mx_array *asc = mx_slice(a, &st, &st, &step, S);
    mx_array *v = mx_array_scalar_i64(25, MX_INT64);
    mx_array *r = mx_searchsorted(asc, v, false, S);
    int64_t pos;
    CHECK(mx_array_item_i64(r, &pos) == MX_OK && pos == 3);
    mx_array_release(r);
    mx_array_release(v);
    mx_array_release(asc);
    mx_array_release(a);
}

TEST(sort_empty_and_errors) {
    int64_t e[2] = {3, 0};
    mx_array *z = mx_zeros(e, 2, MX_FLOAT32, S);
    mx_array *r = mx_sort(z, 1, false, S);
    CHECK(t_shape_is(r, e, 2));
    double tmp[1];
    CHECK(t_read(r, tmp, 1) == 0);
    mx_array_release(r);
    r = mx_argsort(z, 0, false, S);
    CHECK(t_shape_is(r, e, 2) && mx_array_dtype(r) == MX_UINT32);
    CHECK(t_read(r, tmp, 1) == 0);
    mx_array_release(r);
    r = mx_partition(z, 1, 0, false, S); /* kth on the axis of size 3 */
    CHECK(r != NULL);
    mx_array_release(r);
    CHECK_ERR(mx_partition(z, 0, 1, false, S), MX_ERR_VALUE, "partition");
    mx_array_release(z);

    double v[6] = {1, 2, 3, 4, 5, 6};
    int64_t sh[2] = {2, 3};
    mx_array *a = arr(v, sh, 2, MX_FLOAT32);
    CHECK_ERR(mx_sort(a, 2, false, S), MX_ERR_VALUE, "sort");
    CHECK_ERR(mx_argsort(a, -3, false, S), MX_ERR_VALUE, "argsort");
    CHECK_ERR(mx_partition(a, 3, 1, false, S), MX_ERR_VALUE, "partition");
    CHECK_ERR(mx_argpartition(a, -4, 1, false, S), MX_ERR_VALUE, "argpartition");
    CHECK_ERR(mx_topk(a, 4, 1, false, S), MX_ERR_VALUE, "topk");
    CHECK_ERR(mx_topk(a, 0, 1, false, S), MX_ERR_VALUE, "topk");
    CHECK_ERR(mx_searchsorted(a, a, false, S), MX_ERR_VALUE, "searchsorted");
    CHECK_ERR(mx_sort(NULL, 0, false, S), MX_ERR_VALUE, "sort");
    mx_array *s0 = mx_array_scalar_f64(1, MX_FLOAT32);
    CHECK_ERR(mx_sort(s0, 0, false, S), MX_ERR_VALUE, "sort");
    r = mx_sort(s0, 0, true, S); /* flattened 0-d: one element */
    int64_t one[1] = {1};
    CHECK(t_shape_is(r, one, 1));
    mx_array_release(r);
    /* partition with negative kth */
    r = mx_partition(a, -1, 1, false, S);
    double got[6];
    CHECK(t_read(r, got, 6) == 6);
    CHECK(got[2] == 3 && got[5] == 6);
    mx_array_release(r);
    mx_array_release(s0);
    mx_array_release(a);
}
