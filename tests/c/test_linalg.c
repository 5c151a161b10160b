/* tests/c/test_linalg.c: matmul (shapes, 1-D rules, broadcast batches, transposed / sliced /
 * broadcast operands, dtypes, the batched and folded paths, empty arrays, errors), addmm,
 * tensordot, inner, outer, vecdot and kron, all against a naive double-precision reference. The
 * products run on the default device, float64 ones on the CPU. */
#define FAMILY "linalg"
#include <complex.h>
#include <stdlib.h>

#include "harness.h"

#define S MX_DEFAULT_STREAM

/* ---- helpers ---- */
static uint64_t rng = 12345;
static double urand(void) { /* small values on a 1/8 grid: float sums stay exact-ish */
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)((int)((rng >> 33) % 17) - 8) / 8.0;
}

/* a new array of shape with pseudo-random values of dtype; vals (if not NULL) receives them */
static mx_array *rnd(const int64_t *shape, int nd, mx_dtype t, double *vals) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    double *v = malloc(sizeof(double) * (size_t)(n + 1));
    for (int64_t i = 0; i < n; i++) v[i] = urand();
    if (vals) memcpy(vals, v, sizeof(double) * (size_t)n);
    mx_array *f = mx_array_from_data(v, shape, nd, MX_FLOAT64);
    mx_array *r = mx_astype(f, t, T_CPU);
    mx_array_release(f);
    free(v);
    return r;
}

/* read real and imaginary parts (logical row-major order) */
static int64_t read_c(mx_array *a, double *re, double *im, int64_t max) {
    if (!a) return -1;
    if (mx_array_dtype(a) != MX_COMPLEX64) {
        int64_t n = t_read(a, re, max);
        for (int64_t i = 0; i < n; i++) im[i] = 0;
        return n;
    }
    mx_array *r = mx_real(a, S), *i = mx_imag(a, S);
    int64_t n = t_read(r, re, max);
    t_read(i, im, max);
    mx_array_release(r);
    mx_array_release(i);
    return n;
}

/* numpy.matmul in double (complex as re/im pairs). Returns the output ndim; osh receives shape. */
static int ref_matmul(const double *ar, const double *ai, const int64_t *ash0, int na0,
                      const double *br, const double *bi, const int64_t *bsh0, int nb0, double *orr,
                      double *oi, int64_t *osh) {
    int64_t ash[16], bsh[16];
    int na = na0, nb = nb0;
    if (na0 == 1) {
        ash[0] = 1, ash[1] = ash0[0], na = 2;
    } else memcpy(ash, ash0, sizeof(int64_t) * (size_t)na0);
    if (nb0 == 1) {
        bsh[0] = bsh0[0], bsh[1] = 1, nb = 2;
    } else memcpy(bsh, bsh0, sizeof(int64_t) * (size_t)nb0);
    int nbat = (na > nb ? na : nb) - 2;
    int64_t bat[16], M = ash[na - 2], K = ash[na - 1], N = bsh[nb - 1], nbt = 1;
    for (int d = 0; d < nbat; d++) {
        int ka = d - (nbat - (na - 2)), kb = d - (nbat - (nb - 2));
        int64_t da = ka >= 0 ? ash[ka] : 1, db = kb >= 0 ? bsh[kb] : 1;
        bat[d] = da > db ? da : db;
        nbt *= bat[d];
    }
    for (int64_t t = 0; t < nbt; t++) {
        int64_t rem = t, oa = 0, ob = 0, sa = M * K, sb = K * N;
        for (int d = nbat - 1; d >= 0; d--) {
            int64_t i = rem % bat[d];
            rem /= bat[d];
            int ka = d - (nbat - (na - 2)), kb = d - (nbat - (nb - 2));
            if (ka >= 0) {
                oa += (ash[ka] == 1 ? 0 : i) * sa;
                sa *= ash[ka];
            }
            if (kb >= 0) {
                ob += (bsh[kb] == 1 ? 0 : i) * sb;
                sb *= bsh[kb];
            }
        }
        for (int64_t m = 0; m < M; m++)
            for (int64_t n = 0; n < N; n++) {
                double sr = 0, si = 0;
                for (int64_t k = 0; k < K; k++) {
                    double xr = ar[oa + m * K + k], xi = ai ? ai[oa + m * K + k] : 0;
                    double yr = br[ob + k * N + n], yi = bi ? bi[ob + k * N + n] : 0;
                    sr += xr * yr - xi * yi;
                    si += xr * yi + xi * yr;
                }
                orr[(t * M + m) * N + n] = sr;
                if (oi) oi[(t * M + m) * N + n] = si;
            }
    }
    int no = 0;
    for (int d = 0; d < nbat; d++) osh[no++] = bat[d];
    if (na0 != 1) osh[no++] = M;
    if (nb0 != 1) osh[no++] = N;
    return no;
}

/* compare c (already computed from a and b, e.g. by matmul) with the reference */
static void check_mm_result(mx_array *a, mx_array *b, mx_array *c, double atol, double rtol) {
    CHECK(c != NULL);
    if (!a || !b || !c) return;
    int64_t na = mx_array_size(a), nb = mx_array_size(b), nc = mx_array_size(c);
    double *ar = malloc(sizeof(double) * (size_t)(na + 1)), *ai = malloc(sizeof(double) * (size_t)(na + 1));
    double *br = malloc(sizeof(double) * (size_t)(nb + 1)), *bi = malloc(sizeof(double) * (size_t)(nb + 1));
    double *cr = malloc(sizeof(double) * (size_t)(nc + 1)), *ci = malloc(sizeof(double) * (size_t)(nc + 1));
    double *er = malloc(sizeof(double) * (size_t)(nc + 1)), *ei = malloc(sizeof(double) * (size_t)(nc + 1));
    CHECK(read_c(a, ar, ai, na) == na);
    CHECK(read_c(b, br, bi, nb) == nb);
    CHECK(read_c(c, cr, ci, nc) == nc);
    int64_t osh[16];
    int no = ref_matmul(ar, ai, mx_array_shape(a), mx_array_ndim(a), br, bi, mx_array_shape(b),
                        mx_array_ndim(b), er, ei, osh);
    CHECK(t_shape_is(c, osh, no));
    int bad = 0;
    for (int64_t i = 0; i < nc && bad < 5; i++) {
        int before = test_failures;
        CHECK_CLOSE(cr[i], er[i], atol, rtol);
        CHECK_CLOSE(ci[i], ei[i], atol, rtol);
        bad += test_failures != before;
    }
    free(ar), free(ai), free(br), free(bi), free(cr), free(ci), free(er), free(ei);
}

/* where a product of these operands runs: float64 on the CPU (the GPU refuses it) */
static mx_stream mm_stream(mx_array *a, mx_array *b) {
    return mx_array_dtype(a) == MX_FLOAT64 || mx_array_dtype(b) == MX_FLOAT64 ? T_CPU : S;
}

static void check_mm(mx_array *a, mx_array *b, double atol, double rtol) {
    mx_array *c = mx_matmul(a, b, mm_stream(a, b));
    check_mm_result(a, b, c, atol, rtol);
    mx_array_release(c);
}

/* matmul of fresh random operands of the given shapes and dtype */
static void mm_case(const int64_t *as, int na, const int64_t *bs, int nb, mx_dtype t, double tol) {
    mx_array *a = rnd(as, na, t, NULL), *b = rnd(bs, nb, t, NULL);
    check_mm(a, b, tol, tol);
    mx_array_release(a);
    mx_array_release(b);
}
#define SH(...) ((const int64_t[]){__VA_ARGS__}), (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t))

TEST(matmul_2d_shapes) {
    mm_case(SH(3, 4), SH(4, 5), MX_FLOAT32, 1e-5);
    mm_case(SH(1, 7), SH(7, 1), MX_FLOAT32, 1e-5);   /* gemv path, 1x1 result */
    mm_case(SH(1, 7), SH(7, 9), MX_FLOAT32, 1e-5);   /* M == 1 */
    mm_case(SH(9, 7), SH(7, 1), MX_FLOAT32, 1e-5);   /* N == 1 */
    mm_case(SH(5, 1), SH(1, 6), MX_FLOAT32, 1e-5);   /* K == 1 */
    mm_case(SH(64, 33), SH(33, 65), MX_FLOAT32, 1e-4);
    mm_case(SH(130, 257), SH(257, 129), MX_FLOAT32, 1e-3);
}

TEST(matmul_1d_rules) {
    mm_case(SH(7), SH(7), MX_FLOAT32, 1e-5);          /* -> 0-d */
    mm_case(SH(7), SH(7, 3), MX_FLOAT32, 1e-5);       /* -> (3,) */
    mm_case(SH(4, 7), SH(7), MX_FLOAT32, 1e-5);       /* -> (4,) */
    mm_case(SH(7), SH(2, 7, 3), MX_FLOAT32, 1e-5);    /* -> (2, 3) */
    mm_case(SH(2, 4, 7), SH(7), MX_FLOAT64, 1e-12);   /* -> (2, 4) */
    mx_array *a = rnd(SH(5), MX_FLOAT32, NULL), *b = rnd(SH(5), MX_FLOAT32, NULL);
    mx_array *c = mx_matmul(a, b, S);
    CHECK(c && mx_array_ndim(c) == 0);
    mx_array_release(c);
    mx_array_release(a);
    mx_array_release(b);
}

TEST(matmul_broadcast_batches) {
    mm_case(SH(2, 1, 3, 4), SH(5, 4, 2), MX_FLOAT32, 1e-5);
    mm_case(SH(3, 4), SH(6, 4, 5), MX_FLOAT32, 1e-5);
    mm_case(SH(6, 3, 4), SH(4, 5), MX_FLOAT32, 1e-5);      /* folds into one gemm */
    mm_case(SH(2, 3, 3, 4), SH(4, 5), MX_FLOAT64, 1e-12);  /* folds over two batch axes */
    mm_case(SH(1, 3, 4), SH(6, 4, 5), MX_FLOAT32, 1e-5);
    mm_case(SH(6, 1, 4), SH(1, 4, 1), MX_FLOAT32, 1e-5);   /* batched gemv, both broadcast */
    /* explicit stride-0 batch views */
    mx_array *a = rnd(SH(3, 4), MX_FLOAT32, NULL), *b = rnd(SH(4, 5), MX_FLOAT32, NULL);
    mx_array *ab = mx_broadcast_to(a, SH(7, 3, 4), S), *bb = mx_broadcast_to(b, SH(7, 4, 5), S);
    check_mm(ab, bb, 1e-5, 1e-5);
    mx_array_release(ab);
    mx_array_release(bb);
    mx_array_release(a);
    mx_array_release(b);
    /* batch shapes that do not broadcast */
    a = rnd(SH(2, 3, 4), MX_FLOAT32, NULL);
    b = rnd(SH(3, 4, 5), MX_FLOAT32, NULL);
    CHECK_ERR(mx_matmul(a, b, S), MX_ERR_VALUE, "matmul");
    mx_array_release(a);
    mx_array_release(b);
}

TEST(matmul_strided_operands) {
    mx_array *a = rnd(SH(6, 5), MX_FLOAT32, NULL), *b = rnd(SH(7, 6), MX_FLOAT32, NULL);
    mx_array *at = mx_transpose(a, NULL, 0, S), *bt = mx_transpose(b, NULL, 0, S); /* (5,6), (6,7) */
    check_mm(at, bt, 1e-5, 1e-5); /* both CblasTrans */
    mx_array *b2 = rnd(SH(6, 7), MX_FLOAT32, NULL);
    check_mm(at, b2, 1e-5, 1e-5);
    mx_array *a2 = rnd(SH(5, 6), MX_FLOAT32, NULL);
    check_mm(a2, bt, 1e-5, 1e-5);
    /* gemv with transposed matrix / vector */
    mx_array *v = rnd(SH(6), MX_FLOAT32, NULL);
    check_mm(at, v, 1e-5, 1e-5);
    check_mm(v, bt, 1e-5, 1e-5);
    /* negative steps, row steps (ld > cols) and column steps (copied) */
    mx_array *big = rnd(SH(12, 14), MX_FLOAT32, NULL);
    mx_array *rev = mx_slice(big, (int64_t[]){MX_SLICE_NONE, MX_SLICE_NONE},
                             (int64_t[]){MX_SLICE_NONE, MX_SLICE_NONE}, (int64_t[]){-1, -2}, S);
    mx_array *rows = mx_slice(big, (int64_t[]){1, 0}, (int64_t[]){MX_SLICE_NONE, 7},
                              (int64_t[]){2, 1}, S); /* (6, 7), row stride 28 */
    mx_array *cols = mx_slice(big, (int64_t[]){0, 1}, (int64_t[]){7, MX_SLICE_NONE},
                              (int64_t[]){1, 2}, S); /* (7, 7), column stride 2 */
    mx_array *rhs = rnd(SH(7, 3), MX_FLOAT32, NULL);
    check_mm(rev, rhs, 1e-5, 1e-5);
    check_mm(rows, rhs, 1e-5, 1e-5);
    check_mm(cols, rhs, 1e-5, 1e-5);
    mx_array *colst = mx_transpose(cols, NULL, 0, S); /* strides (2, 14): copied */
    check_mm(rows, colst, 1e-5, 1e-5);
    /* stride 0 inside the matrix (broadcast rows / columns): copied first */
    mx_array *r1 = rnd(SH(1, 7), MX_FLOAT32, NULL), *c1 = rnd(SH(6, 1), MX_FLOAT32, NULL);
    mx_array *rb = mx_broadcast_to(r1, SH(6, 7), S), *cb = mx_broadcast_to(c1, SH(6, 7), S);
    check_mm(cb, rhs, 1e-5, 1e-5);
    check_mm(rb, rhs, 1e-5, 1e-5);
    mx_array *k1 = rnd(SH(1, 1), MX_FLOAT32, NULL), *kb = mx_broadcast_to(k1, SH(7, 1), S);
    check_mm(rows, kb, 1e-5, 1e-5); /* gemv with a stride-0 vector */
    mx_array *arr0[] = {r1, c1, rb, cb, k1, kb};
    for (size_t i = 0; i < sizeof arr0 / sizeof arr0[0]; i++) mx_array_release(arr0[i]);
    /* batched transposes: swap the last two axes of a 3-D array */
    mx_array *t3 = rnd(SH(4, 5, 3), MX_FLOAT32, NULL);
    mx_array *t3t = mx_transpose(t3, (int[]){0, 2, 1}, 3, S); /* (4, 3, 5) */
    mx_array *u3 = rnd(SH(4, 5, 2), MX_FLOAT32, NULL);
    check_mm(t3t, u3, 1e-5, 1e-5);
    mx_array *t3b = mx_transpose(t3, (int[]){2, 0, 1}, 3, S); /* (3, 4, 5): batch axis innermost */
    mx_array *u3b = rnd(SH(3, 5, 2), MX_FLOAT32, NULL);
    check_mm(t3b, u3b, 1e-5, 1e-5);
    mx_array *arr[] = {a, b, at, bt, b2, a2, v, big, rev, rows, cols, colst, rhs, t3, t3t, u3, t3b, u3b};
    for (size_t i = 0; i < sizeof arr / sizeof arr[0]; i++) mx_array_release(arr[i]);
}

TEST(matmul_dtypes) {
    /* float64 (on the CPU): the grid values make products and sums exact; the GPU refuses it */
    mm_case(SH(9, 11), SH(11, 8), MX_FLOAT64, 0);
    mm_case(SH(3, 9, 11), SH(3, 11, 8), MX_FLOAT64, 0);
    if (t_has_gpu()) {
        mx_array *a = rnd(SH(9, 11), MX_FLOAT64, NULL), *b = rnd(SH(11, 8), MX_FLOAT64, NULL);
        t_check_gpu_refuses_f64(mx_matmul(a, b, T_GPU), "matmul");
        mx_array_release(a);
        mx_array_release(b);
    }
    /* float32 (on the default device): the same products are exact too */
    mm_case(SH(9, 11), SH(11, 8), MX_FLOAT32, 0);
    mm_case(SH(3, 9, 11), SH(3, 11, 8), MX_FLOAT32, 0);
    /* float16 / bfloat16: computed in float32, rounded once */
    mm_case(SH(17, 19), SH(19, 13), MX_FLOAT16, 2e-3);
    mm_case(SH(2, 17, 19), SH(19, 1), MX_FLOAT16, 2e-3);
    mm_case(SH(17, 19), SH(19, 13), MX_BFLOAT16, 1e-2);
    mm_case(SH(4, 3, 19), SH(4, 19, 5), MX_BFLOAT16, 1e-2);
    mx_array *a = rnd(SH(6, 5), MX_FLOAT16, NULL), *b = rnd(SH(6, 7), MX_FLOAT16, NULL);
    mx_array *at = mx_transpose(a, NULL, 0, S);
    mx_array *c = mx_matmul(at, b, S);
    CHECK(c && mx_array_dtype(c) == MX_FLOAT16);
    check_mm_result(at, b, c, 2e-3, 2e-3);
    mx_array_release(c);
    mx_array_release(at);
    mx_array_release(a);
    mx_array_release(b);
    /* complex64 through cgemm / cgemv, including transposed operands */
    mx_array *re = rnd(SH(2, 5, 4), MX_FLOAT32, NULL), *im = rnd(SH(2, 5, 4), MX_FLOAT32, NULL);
    mx_array *ic = mx_array_scalar_c64(0, 1);
    mx_array *zi = mx_multiply(im, ic, S), *z = mx_add(re, zi, S); /* (2, 5, 4) complex */
    mx_array *zt = mx_transpose(z, (int[]){0, 2, 1}, 3, S); /* (2, 4, 5) */
    check_mm(zt, z, 1e-5, 1e-5);
    check_mm(z, zt, 1e-5, 1e-5);
    mx_array *w = rnd(SH(4), MX_FLOAT32, NULL);
    check_mm(z, w, 1e-5, 1e-5); /* complex @ float32 -> complex64, gemv */
    mx_array *arr[] = {re, im, ic, zi, z, zt, w};
    for (size_t i = 0; i < sizeof arr / sizeof arr[0]; i++) mx_array_release(arr[i]);
}

TEST(matmul_promotion) {
    mx_array *a = rnd(SH(3, 4), MX_FLOAT16, NULL), *b = rnd(SH(4, 2), MX_FLOAT32, NULL);
    mx_array *c = mx_matmul(a, b, S);
    CHECK(c && mx_array_dtype(c) == MX_FLOAT32);
    check_mm_result(a, b, c, 1e-5, 1e-5);
    mx_array_release(c);
    mx_array *i = rnd(SH(3, 4), MX_INT32, NULL);
    c = mx_matmul(i, b, S);
    CHECK(c && mx_array_dtype(c) == MX_FLOAT32);
    check_mm_result(i, b, c, 1e-5, 1e-5);
    mx_array_release(c);
    mx_array *f16 = rnd(SH(4, 2), MX_FLOAT16, NULL), *bf = rnd(SH(4, 2), MX_BFLOAT16, NULL);
    c = mx_matmul(a, bf, S); /* float16 x bfloat16 -> float32 */
    CHECK(c && mx_array_dtype(c) == MX_FLOAT32);
    mx_array_release(c);
    mx_array_release(f16);
    mx_array_release(bf);
    mx_array_release(i);
    mx_array_release(a);
    mx_array_release(b);
}

TEST(matmul_batched_small_and_fold) {
    /* many tiny products: the pool path with OpenBLAS single-threaded */
    mm_case(SH(200, 8, 8), SH(200, 8, 8), MX_FLOAT32, 1e-5);
    mm_case(SH(300, 3, 8), SH(300, 8, 1), MX_FLOAT32, 1e-5);
    mm_case(SH(300, 1, 8), SH(300, 8, 6), MX_FLOAT64, 1e-12);
    mm_case(SH(50, 4, 16, 16), SH(4, 16, 16), MX_FLOAT32, 1e-5);
    mm_case(SH(50, 4, 16, 16), SH(16, 16), MX_FLOAT32, 1e-5); /* fold */
    mm_case(SH(64, 5, 6), SH(64, 6, 7), MX_FLOAT16, 2e-3);
    /* a larger batch of mid-size products (sequential, OpenBLAS threads inside) */
    mm_case(SH(3, 70, 80), SH(3, 80, 90), MX_FLOAT32, 1e-4);
    /* folded a with sliced batch (not contiguous: no fold) */
    mx_array *a = rnd(SH(8, 5, 6), MX_FLOAT32, NULL), *b = rnd(SH(6, 3), MX_FLOAT32, NULL);
    mx_array *as = mx_slice(a, (int64_t[]){0, 0, 0}, (int64_t[]){8, 5, 6}, (int64_t[]){2, 1, 1}, S);
    check_mm(as, b, 1e-5, 1e-5);
    mx_array_release(as);
    mx_array_release(a);
    mx_array_release(b);
}

TEST(matmul_empty) {
    mx_array *a = rnd(SH(0, 3), MX_FLOAT32, NULL), *b = rnd(SH(3, 4), MX_FLOAT32, NULL);
    mx_array *c = mx_matmul(a, b, S);
    CHECK(t_shape_is(c, (int64_t[]){0, 4}, 2));
    CHECK(c && mx_eval(&c, 1) == MX_OK);
    mx_array_release(c);
    mx_array_release(a);
    mx_array_release(b);
    a = rnd(SH(3, 0), MX_FLOAT32, NULL);
    b = rnd(SH(0, 4), MX_FLOAT32, NULL);
    c = mx_matmul(a, b, S); /* K == 0: zeros */
    double out[12];
    CHECK(t_read(c, out, 12) == 12);
    for (int i = 0; i < 12; i++) CHECK(out[i] == 0);
    mx_array_release(c);
    mx_array_release(a);
    mx_array_release(b);
    a = rnd(SH(0, 2, 3), MX_FLOAT16, NULL);
    b = rnd(SH(3, 4), MX_FLOAT16, NULL);
    c = mx_matmul(a, b, S);
    CHECK(t_shape_is(c, (int64_t[]){0, 2, 4}, 3));
    CHECK(c && mx_eval(&c, 1) == MX_OK);
    mx_array_release(c);
    mx_array_release(a);
    mx_array_release(b);
}

TEST(matmul_errors) {
    mx_array *i = rnd(SH(2, 2), MX_INT32, NULL), *f = rnd(SH(2, 2), MX_FLOAT32, NULL);
    mx_array *bo = rnd(SH(2, 2), MX_BOOL, NULL), *s0 = mx_array_scalar_f64(1, MX_FLOAT32);
    CHECK_ERR(mx_matmul(i, i, S), MX_ERR_VALUE, "matmul");
    CHECK_ERR(mx_matmul(bo, bo, S), MX_ERR_VALUE, "matmul");
    mx_error_clear();
    mx_array *r = mx_matmul(i, i, S);
    CHECK(r == NULL && strstr(mx_error_message(), "Only inexact types are supported") != NULL);
    CHECK_ERR(mx_matmul(s0, f, S), MX_ERR_VALUE, "matmul");
    CHECK_ERR(mx_matmul(f, s0, S), MX_ERR_VALUE, "matmul");
    mx_array *b = rnd(SH(3, 4), MX_FLOAT32, NULL);
    CHECK_ERR(mx_matmul(f, b, S), MX_ERR_VALUE, "matmul");
    mx_error_clear();
    r = mx_matmul(f, b, S);
    CHECK(r == NULL && strstr(mx_error_message(),
                              "Last dimension of first input with shape (2, 2) must match second "
                              "to last dimension of second input with shape (3, 4)") != NULL);
    CHECK_ERR(mx_matmul(NULL, f, S), MX_ERR_VALUE, "matmul");
    mx_array *arr[] = {i, f, bo, s0, b};
    for (size_t k = 0; k < sizeof arr / sizeof arr[0]; k++) mx_array_release(arr[k]);
}

/* ---- addmm ---- */
static void check_addmm(mx_array *c, mx_array *a, mx_array *b, double alpha, double beta, double tol) {
    mx_stream s = mx_array_dtype(c) == MX_FLOAT64 ? T_CPU : mm_stream(a, b);
    mx_array *r = mx_addmm(c, a, b, alpha, beta, s);
    mx_array *p = mx_matmul(a, b, s);
    mx_array *cb = p ? mx_broadcast_to(c, mx_array_shape(p), mx_array_ndim(p), s) : NULL;
    CHECK(r && p && cb);
    if (r && p && cb) {
        int64_t n = mx_array_size(p);
        double *pr = malloc(sizeof(double) * (size_t)(n + 1)), *rr = malloc(sizeof(double) * (size_t)(n + 1));
        double *cc = malloc(sizeof(double) * (size_t)(n + 1));
        CHECK(t_shape_is(r, mx_array_shape(p), mx_array_ndim(p)));
        CHECK(t_read(p, pr, n) == n && t_read(r, rr, n) == n && t_read(cb, cc, n) == n);
        for (int64_t k = 0; k < n; k++) CHECK_CLOSE(rr[k], alpha * pr[k] + beta * cc[k], tol, tol);
        free(pr), free(rr), free(cc);
    }
    mx_array_release(r);
    mx_array_release(p);
    mx_array_release(cb);
}

TEST(addmm_cases) {
    mx_array *a = rnd(SH(5, 6), MX_FLOAT32, NULL), *b = rnd(SH(6, 7), MX_FLOAT32, NULL);
    mx_array *cfull = rnd(SH(5, 7), MX_FLOAT32, NULL), *crow = rnd(SH(7), MX_FLOAT32, NULL);
    mx_array *ccol = rnd(SH(5, 1), MX_FLOAT32, NULL), *cs = mx_array_scalar_f64(1.5, MX_FLOAT32);
    check_addmm(cfull, a, b, 1, 1, 1e-5);
    check_addmm(crow, a, b, 2, 0.5, 1e-5);
    check_addmm(ccol, a, b, -1, 3, 1e-5);
    check_addmm(cs, a, b, 0.25, 1, 1e-5);
    check_addmm(cfull, a, b, 1, 0, 1e-5);
    mx_array *v = rnd(SH(6), MX_FLOAT32, NULL); /* 1-D a: (6,) @ (6, 7) + (7,) */
    check_addmm(crow, v, b, 1, 1, 1e-5);
    mx_array *b76 = rnd(SH(7, 6), MX_FLOAT32, NULL), *bt = mx_transpose(b76, NULL, 0, S);
    check_addmm(cfull, a, bt, 1, 1, 1e-5);
    mx_array *ab = rnd(SH(3, 5, 6), MX_FLOAT64, NULL);
    check_addmm(crow, ab, b, 2, 2, 1e-12); /* batched, promoted to float64 (on the CPU) */
    mx_array *ab32 = rnd(SH(3, 5, 6), MX_FLOAT32, NULL);
    check_addmm(crow, ab32, b, 2, 2, 1e-5); /* batched */
    mx_array *h = rnd(SH(5, 6), MX_FLOAT16, NULL), *hb = rnd(SH(6, 7), MX_FLOAT16, NULL);
    mx_array *hc = rnd(SH(7), MX_FLOAT16, NULL);
    check_addmm(hc, h, hb, 1, 1, 4e-3);
    mx_array *k0a = rnd(SH(5, 0), MX_FLOAT32, NULL), *k0b = rnd(SH(0, 7), MX_FLOAT32, NULL);
    check_addmm(cfull, k0a, k0b, 1, 2, 1e-6); /* K == 0: beta * c */
    /* errors */
    mx_array *ii = rnd(SH(5, 6), MX_INT32, NULL);
    CHECK_ERR(mx_addmm(cfull, ii, ii, 1, 1, S), MX_ERR_VALUE, "addmm");
    mx_array *z = mx_astype(a, MX_COMPLEX64, S);
    CHECK_ERR(mx_addmm(cfull, z, b, 1, 1, S), MX_ERR_VALUE, "addmm");
    mx_array *cbad = rnd(SH(4, 7), MX_FLOAT32, NULL);
    CHECK_ERR(mx_addmm(cbad, a, b, 1, 1, S), MX_ERR_VALUE, "addmm");
    CHECK_ERR(mx_addmm(cfull, b, b, 1, 1, S), MX_ERR_VALUE, "addmm");
    CHECK_ERR(mx_addmm(NULL, a, b, 1, 1, S), MX_ERR_VALUE, "addmm");
    mx_array *arr[] = {a, b, cfull, crow, ccol, cs, v, b76, bt, ab, ab32, h, hb, hc, k0a, k0b, ii, z, cbad};
    for (size_t k = 0; k < sizeof arr / sizeof arr[0]; k++) mx_array_release(arr[k]);
}

/* ---- tensordot, inner, outer, vecdot, kron ---- */
TEST(tensordot_cases) {
    for (int pass = 0; pass < 2; pass++) {
        t_pass_begin(pass);
        double av[60], bv[120], out[64];
        mx_array *a = rnd(SH(3, 4, 5), t_dt, av), *b = rnd(SH(4, 5, 6), t_dt, bv);
        mx_array *r = mx_tensordot_n(a, b, 2, S);
        CHECK(t_shape_is(r, (int64_t[]){3, 6}, 2));
        CHECK(t_read(r, out, 18) == 18);
        for (int i = 0; i < 3; i++)
            for (int l = 0; l < 6; l++) {
                double e = 0;
                for (int j = 0; j < 4; j++)
                    for (int k = 0; k < 5; k++) e += av[(i * 4 + j) * 5 + k] * bv[(j * 5 + k) * 6 + l];
                CHECK_CLOSE(out[i * 6 + l], e, T_TOL(1e-12, 1e-6), T_TOL(1e-12, 1e-6));
            }
        mx_array_release(r);
        /* explicit axes in a different order: a (3,4,5), c (5,3,2), contract a0-c1 and a2-c0 */
        double cv[30];
        mx_array *c = rnd(SH(5, 3, 2), pass ? MX_FLOAT16 : MX_FLOAT32, cv); /* promoted */
        r = mx_tensordot(a, c, (int[]){0, -1}, (int[]){1, 0}, 2, S);
        CHECK(r && mx_array_dtype(r) == t_dt);
        CHECK(t_shape_is(r, (int64_t[]){4, 2}, 2));
        CHECK(t_read(r, out, 8) == 8);
        for (int j = 0; j < 4; j++)
            for (int l = 0; l < 2; l++) {
                double e = 0;
                for (int i = 0; i < 3; i++)
                    for (int k = 0; k < 5; k++) e += av[(i * 4 + j) * 5 + k] * cv[(k * 3 + i) * 2 + l];
                CHECK_CLOSE(out[j * 2 + l], e, T_TOL(1e-12, 1e-6), T_TOL(1e-12, 1e-6));
            }
        mx_array_release(r);
        /* naxes = 0: outer product with a's axes first */
        r = mx_tensordot_n(c, c, 0, S);
        CHECK(t_shape_is(r, (int64_t[]){5, 3, 2, 5, 3, 2}, 6));
        mx_array_release(r);
        /* naxes = 1 */
        mx_array *m = rnd(SH(5, 2), t_dt, NULL);
        r = mx_tensordot_n(a, m, 1, S);
        mx_array *ref = mx_matmul(a, m, S);
        double o2[24];
        CHECK(t_shape_is(r, (int64_t[]){3, 4, 2}, 3));
        CHECK(t_read(r, out, 24) == 24 && t_read(ref, o2, 24) == 24);
        for (int i = 0; i < 24; i++) CHECK_CLOSE(out[i], o2[i], T_TOL(1e-12, 1e-6), T_TOL(1e-12, 1e-6));
        mx_array_release(r);
        mx_array_release(ref);
        /* errors */
        CHECK_ERR(mx_tensordot_n(a, b, -1, S), MX_ERR_VALUE, "tensordot");
        CHECK_ERR(mx_tensordot_n(a, m, 3, S), MX_ERR_VALUE, "tensordot");
        CHECK_ERR(mx_tensordot_n(a, b, 1, S), MX_ERR_VALUE, "tensordot"); /* 5 vs 4 */
        CHECK_ERR(mx_tensordot(a, b, (int[]){1, 1}, (int[]){0, 1}, 2, S), MX_ERR_VALUE, "tensordot");
        CHECK_ERR(mx_tensordot(a, b, (int[]){3}, (int[]){0}, 1, S), MX_ERR_VALUE, "tensordot");
        mx_array *ii = rnd(SH(3, 4), MX_INT32, NULL);
        CHECK_ERR(mx_tensordot_n(ii, ii, 0, S), MX_ERR_VALUE, "tensordot");
        mx_array *arr[] = {a, b, c, m, ii};
        for (size_t k = 0; k < sizeof arr / sizeof arr[0]; k++) mx_array_release(arr[k]);
        t_pass_end(pass);
    }
}

TEST(inner_outer) {
    double av[6], bv[12], out[12];
    mx_array *a = rnd(SH(2, 3), MX_FLOAT32, av), *b = rnd(SH(4, 3), MX_FLOAT32, bv);
    mx_array *r = mx_inner(a, b, S);
    CHECK(t_shape_is(r, (int64_t[]){2, 4}, 2));
    CHECK(t_read(r, out, 8) == 8);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++) {
            double e = 0;
            for (int k = 0; k < 3; k++) e += av[i * 3 + k] * bv[j * 3 + k];
            CHECK_CLOSE(out[i * 4 + j], e, 1e-6, 1e-6);
        }
    mx_array_release(r);
    mx_array *s2 = mx_array_scalar_f64(2, MX_FLOAT32);
    r = mx_inner(s2, a, S); /* 0-d: multiply */
    CHECK(t_shape_is(r, (int64_t[]){2, 3}, 2));
    CHECK(t_read(r, out, 6) == 6 && out[4] == 2 * av[4]);
    mx_array_release(r);
    mx_array *c = rnd(SH(2, 4), MX_FLOAT32, NULL);
    CHECK_ERR(mx_inner(a, c, S), MX_ERR_VALUE, "inner");
    /* outer: flattened operands, integers allowed */
    int32_t iv[3] = {1, 2, 3}, jv[4] = {1, -1, 0, 5};
    mx_array *x = t_i32(iv, SH(3)), *y = t_i32(jv, SH(2, 2));
    r = mx_outer(x, y, S);
    CHECK(r && mx_array_dtype(r) == MX_INT32 && t_shape_is(r, (int64_t[]){3, 4}, 2));
    CHECK(t_read(r, out, 12) == 12);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) CHECK(out[i * 4 + j] == iv[i] * jv[j]);
    mx_array_release(r);
    mx_array *e = rnd(SH(0), MX_FLOAT32, NULL);
    r = mx_outer(e, x, S);
    CHECK(t_shape_is(r, (int64_t[]){0, 3}, 2));
    mx_array_release(r);
    mx_array *arr[] = {a, b, s2, c, x, y, e};
    for (size_t k = 0; k < sizeof arr / sizeof arr[0]; k++) mx_array_release(arr[k]);
}

TEST(vecdot_cases) {
    double av[6], bv[3], out[6];
    mx_array *a = rnd(SH(2, 3), MX_FLOAT32, av), *b = rnd(SH(3), MX_FLOAT32, bv);
    mx_array *r = mx_vecdot(a, b, -1, S);
    CHECK(t_shape_is(r, (int64_t[]){2}, 1));
    CHECK(t_read(r, out, 2) == 2);
    for (int i = 0; i < 2; i++)
        CHECK_CLOSE(out[i], av[i * 3] * bv[0] + av[i * 3 + 1] * bv[1] + av[i * 3 + 2] * bv[2], 1e-6, 1e-6);
    mx_array_release(r);
    /* axis 0 with broadcasting: (3, 2) . (3, 1) -> (2,), in float64 (on the CPU) and float32 */
    double cv[6], dv[3];
    mx_array *c = NULL, *d = NULL;
    for (int k = 0; k < 2; k++) {
        mx_dtype dt = k ? MX_FLOAT32 : MX_FLOAT64;
        mx_array_release(c), mx_array_release(d);
        c = rnd(SH(3, 2), dt, cv), d = rnd(SH(3, 1), dt, dv);
        r = mx_vecdot(c, d, 0, t_stream_for(dt));
        CHECK(t_shape_is(r, (int64_t[]){2}, 1) && mx_array_dtype(r) == dt);
        CHECK(t_read(r, out, 2) == 2);
        for (int j = 0; j < 2; j++)
            CHECK_CLOSE(out[j], cv[j] * dv[0] + cv[2 + j] * dv[1] + cv[4 + j] * dv[2], 1e-12, 1e-12);
        mx_array_release(r);
    }
    /* complex: conj(a) . b; [1+2i, 3-i] . [2-i, 1+i] = 2 - i */
    float zr[4] = {1, 2, 3, -1}, wr[4] = {2, -1, 1, 1};
    mx_array *zf = mx_array_from_data(zr, SH(2), MX_COMPLEX64), *wf = mx_array_from_data(wr, SH(2), MX_COMPLEX64);
    r = mx_vecdot(zf, wf, -1, S);
    float re = 0, im = 0;
    CHECK(r && mx_array_item_c64(r, &re, &im) == MX_OK);
    CHECK(re == 2 && im == -1);
    mx_array_release(r);
    /* errors */
    CHECK_ERR(mx_vecdot(a, c, -1, S), MX_ERR_VALUE, "vecdot"); /* 3 vs 2 */
    CHECK_ERR(mx_vecdot(a, b, 2, S), MX_ERR_VALUE, "vecdot");
    mx_array *ii = rnd(SH(3), MX_INT32, NULL);
    CHECK_ERR(mx_vecdot(ii, ii, -1, S), MX_ERR_VALUE, "vecdot");
    mx_array *arr[] = {a, b, c, d, zf, wf, ii};
    for (size_t k = 0; k < sizeof arr / sizeof arr[0]; k++) mx_array_release(arr[k]);
}

TEST(kron_cases) {
    int32_t av[4] = {1, 2, 3, 4}, bv[2] = {0, 1};
    mx_array *a = t_i32(av, SH(2, 2)), *b = t_i32(bv, SH(2));
    mx_array *r = mx_kron(a, b, S);
    double out[64];
    double e1[8] = {0, 1, 0, 2, 0, 3, 0, 4};
    CHECK(r && mx_array_dtype(r) == MX_INT32 && t_shape_is(r, (int64_t[]){2, 4}, 2));
    CHECK(t_read(r, out, 8) == 8);
    for (int i = 0; i < 8; i++) CHECK(out[i] == e1[i]);
    mx_array_release(r);
    double xv[6], yv[6];
    mx_array *x = rnd(SH(2, 3), MX_FLOAT32, xv), *y = rnd(SH(3, 2), MX_FLOAT32, yv);
    r = mx_kron(x, y, S);
    CHECK(t_shape_is(r, (int64_t[]){6, 6}, 2));
    CHECK(t_read(r, out, 36) == 36);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++)
                for (int l = 0; l < 2; l++)
                    CHECK_CLOSE(out[(i * 3 + k) * 6 + j * 2 + l], xv[i * 3 + j] * yv[k * 2 + l], 1e-6, 1e-6);
    mx_array_release(r);
    mx_array *e = rnd(SH(0, 2), MX_FLOAT32, NULL);
    CHECK_ERR(mx_kron(e, x, S), MX_ERR_VALUE, "kron");
    CHECK_ERR(mx_kron(x, NULL, S), MX_ERR_VALUE, "kron");
    mx_array *arr[] = {a, b, x, y, e};
    for (size_t k = 0; k < sizeof arr / sizeof arr[0]; k++) mx_array_release(arr[k]);
}
