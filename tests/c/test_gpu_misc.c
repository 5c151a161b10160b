/* tests/c/test_gpu_misc.c: the GPU kernels of MASKED_SCATTER, SEARCHSORTED and RANDOM_COV_SQRT
 * (src/backend/cuda/cuda_misc.c, cu_misc.cu). Every case is checked against a scalar reference
 * computed here in double on each stream that exists (the CPU always, the GPU when there is one),
 * and on a GPU also against the same op on the CPU stream: exactly for masked_scatter and
 * searchsorted, to 1e-4 for the covariance square root. Layouts: transposed, negative-stride and
 * broadcast inputs, empty arrays, a donated input; dtypes float32 / float16 / bfloat16 / int32 /
 * uint8 / bool (and complex64 for searchsorted). Without a GPU only the CPU references run. */
#define FAMILY "gpu_misc"
#include <stdlib.h>

#include "harness.h"
#include "ops/ops_impl.h" /* mx_make_like: RANDOM_COV_SQRT has no public op of its own */

#define CPU mx_stream_of_device(MX_CPU)
#define GPU mx_stream_of_device(MX_GPU)

/* the streams to check: the CPU, then the GPU when there is one */
static int streams(mx_stream *s) {
    s[0] = CPU;
    if (mx_device_count(MX_GPU) > 0) {
        s[1] = GPU;
        return 2;
    }
    printf("(no GPU: CPU references only)  ");
    return 1;
}

static const char *sname(int k) { return k ? "gpu" : "cpu"; }

/* all elements of a (row-major, through float64 on the CPU) into a fresh buffer; *n its count */
static double *rd(mx_array *a, int64_t *n) {
    *n = -1;
    if (!a) return NULL;
    int64_t sz = mx_array_size(a);
    double *out = malloc(sizeof(double) * (size_t)(sz + 1));
    if (out && t_read(a, out, sz) == sz) {
        *n = sz;
        return out;
    }
    free(out);
    return NULL;
}

/* got == want element by element within tol * (1 + |want|) (0: exactly; NaN equals NaN) */
static void check_vals(const char *what, const double *got, int64_t ng, const double *want,
                       int64_t nw, double tol) {
    if (!got || ng != nw) {
        fprintf(stderr, "  FAIL %s: %lld values, expected %lld [last error: %s]\n", what,
                (long long)ng, (long long)nw, mx_error_message());
        test_failures++;
        return;
    }
    for (int64_t i = 0; i < nw; i++) {
        double a = got[i], b = want[i];
        if ((isnan(a) && isnan(b)) || a == b || fabs(a - b) <= tol * (1 + fabs(b))) continue;
        fprintf(stderr, "  FAIL %s [%lld]: got %.9g expected %.9g\n", what, (long long)i, a, b);
        test_failures++;
        return;
    }
}

/* the values of r (row-major) against reference values */
static void check_array(const char *what, mx_array *r, const double *want, int64_t nw, double tol) {
    int64_t n;
    double *got = rd(r, &n);
    check_vals(what, got, n, want, nw, tol);
    free(got);
}

/* g (GPU stream) and c (CPU stream): same shape, same values within tol */
static void check_same(const char *what, mx_array *g, mx_array *c, double tol) {
    int ok = g && c && mx_array_ndim(g) == mx_array_ndim(c);
    for (int d = 0; ok && d < mx_array_ndim(c); d++) ok = mx_array_dim(g, d) == mx_array_dim(c, d);
    if (!ok) {
        fprintf(stderr, "  FAIL %s: gpu and cpu shapes differ [last error: %s]\n", what,
                mx_error_message());
        test_failures++;
        return;
    }
    int64_t ng, nc;
    double *a = rd(g, &ng), *b = rd(c, &nc);
    check_vals(what, a, ng, b, nc, tol);
    free(a);
    free(b);
}

static mx_array *f32v(const double *v, int64_t n) {
    float *f = malloc(sizeof(float) * (size_t)(n + 1));
    for (int64_t i = 0; i < n; i++) f[i] = (float)v[i];
    mx_array *a = mx_array_from_data(f, &n, 1, MX_FLOAT32);
    free(f);
    return a;
}

static const mx_dtype dtypes[6] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16, MX_INT32, MX_UINT8, MX_BOOL};

/* ---- masked_scatter ---- */

/* the CPU kernel's definition: the k-th true position (row-major) takes values[k] while k < nv */
static void ref_masked_scatter(double *out, const double *a, const double *m, int64_t n,
                               const double *v, int64_t nv) {
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        out[i] = a[i];
        if (m[i] != 0 && k < nv) out[i] = v[k++];
    }
}

/* masked_scatter(a, mask, vals) on every stream against the reference built from the logical
 * (row-major) values of a, mask broadcast to a's shape and the flattened values */
static void check_ms(const char *what, mx_array *a, mx_array *mask, mx_array *vals,
                     const mx_stream *ss, int ns) {
    mx_scope sc = mx_scope_begin();
    int64_t na, nm, nv;
    mx_array *mb = mx_broadcast_to(mask, mx_array_shape(a), mx_array_ndim(a), CPU);
    double *av = rd(a, &na), *mv = rd(mb, &nm), *vv = rd(vals, &nv);
    CHECK(av && mv && vv && na == nm);
    double *want = malloc(sizeof(double) * (size_t)(na + 1));
    if (av && mv && vv && na == nm) {
        ref_masked_scatter(want, av, mv, na, vv, nv);
        mx_array *r[2] = {NULL, NULL};
        for (int k = 0; k < ns; k++) {
            char w[128];
            snprintf(w, sizeof w, "masked_scatter %s %s %s", what,
                     mx_dtype_name(mx_array_dtype(a)), sname(k));
            r[k] = mx_masked_scatter(a, mask, vals, ss[k]);
            CHECK(r[k] && t_shape_is(r[k], mx_array_shape(a), mx_array_ndim(a)));
            CHECK(r[k] && mx_array_dtype(r[k]) == mx_array_dtype(a));
            check_array(w, r[k], want, na, 0);
        }
        if (ns == 2) check_same("masked_scatter gpu vs cpu", r[1], r[0], 0);
    }
    free(av), free(mv), free(vv), free(want);
    mx_scope_end(sc, NULL);
}

TEST(masked_scatter_matches_reference) {
    mx_stream ss[2];
    int ns = streams(ss);
    mx_scope sc = mx_scope_begin();
    enum { N = 120 };
    double av[N], mv[N], vv[2 * N];
    for (int i = 0; i < N; i++) {
        av[i] = (i * 7) % 120;
        mv[i] = ((i * 5 + i / 3) % 7) < 3;
    }
    for (int k = 0; k < 2 * N; k++) vv[k] = 130 + (k * 13) % 97;
    int64_t sh[3] = {4, 5, 6};
    mx_array *af = mx_reshape(f32v(av, N), sh, 3, CPU);
    mx_array *mask = mx_reshape(mx_not_equal(f32v(mv, N), mx_array_scalar_f64(0, MX_FLOAT32), CPU),
                                sh, 3, CPU);
    int perm[3] = {2, 0, 1}; /* (6, 4, 5) views of (4, 5, 6) arrays */
    int64_t sh2[3] = {5, 6, 4};
    mx_array *mask_t = mx_transpose(mx_reshape(mask, sh2, 3, CPU), (int[]){1, 2, 0}, 3, CPU);
    mx_array *vall = f32v(vv, 2 * N);
    int64_t b0[1] = {MX_SLICE_NONE}, st2[1] = {-2}; /* every other value, backwards */
    mx_array *vrev = mx_slice(vall, b0, b0, st2, CPU);
    int64_t vsh[2] = {10, 8};
    mx_array *v2d = mx_transpose(mx_reshape(mx_slice(vall, (int64_t[]){0}, (int64_t[]){80}, NULL, CPU),
                                            vsh, 2, CPU), NULL, 0, CPU); /* (8, 10), transposed */
    int64_t mbsh[3] = {4, 1, 6};
    mx_array *mask_b = mx_reshape(mx_slice(mask, (int64_t[]){0, 2, 0}, (int64_t[]){4, 3, 6}, NULL, CPU),
                                  mbsh, 3, CPU); /* broadcast along axis 1 */
    mx_array *two = mx_array_scalar_f64(2, MX_FLOAT32);
    for (int t = 0; t < 6; t++) {
        mx_dtype dt = dtypes[t];
        int b = dt == MX_BOOL; /* bool: the parity, so that both values occur */
        mx_array *a = mx_astype(b ? mx_remainder(af, two, CPU) : af, dt, CPU);
        mx_array *vs = b ? mx_remainder(vall, two, CPU) : vall;
        mx_array *v40 = mx_astype(mx_slice(vs, (int64_t[]){0}, (int64_t[]){40}, NULL, CPU), dt, CPU);
        mx_array *v200 = mx_astype(mx_slice(vs, (int64_t[]){0}, (int64_t[]){200}, NULL, CPU), dt, CPU);
        mx_array *at = mx_transpose(a, perm, 3, CPU);
        check_ms("fewer values", a, mask, v40, ss, ns);
        check_ms("more values", a, mask, v200, ss, ns);
        check_ms("transposed", at, mask_t, mx_astype(b ? mx_remainder(vrev, two, CPU) : vrev, dt, CPU),
                 ss, ns);
        check_ms("2-d transposed values", at, mask_t,
                 mx_astype(b ? mx_remainder(v2d, two, CPU) : v2d, dt, CPU), ss, ns);
        check_ms("broadcast mask", a, mask_b, v40, ss, ns);
        check_ms("scalar mask", at, mx_array_scalar_f64(1, MX_BOOL), v40, ss, ns);
        check_ms("no values", a, mask, mx_slice(v40, (int64_t[]){0}, (int64_t[]){0}, NULL, CPU), ss, ns);
        int64_t esh[2] = {0, 5};
        mx_array *e = mx_zeros(esh, 2, dt, CPU);
        check_ms("empty", e, mx_zeros(esh, 2, MX_BOOL, CPU), v40, ss, ns);
    }
    mx_scope_end(sc, NULL);
}

/* masked_scatter on an unevaluated temporary that nobody else holds: its buffer is donated */
TEST(masked_scatter_donated_input) {
    mx_stream ss[2];
    int ns = streams(ss);
    for (int k = 0; k < ns; k++) {
        mx_scope sc = mx_scope_begin();
        mx_array *m = mx_less(mx_remainder(mx_arange(0, 50, 1, MX_INT32, CPU),
                                           mx_array_scalar_f64(4, MX_INT32), CPU),
                              mx_array_scalar_f64(2, MX_INT32), CPU); /* 25 trues */
        mx_array *v = mx_arange(-1, -31, -1, MX_FLOAT32, CPU);        /* 30 values */
        mx_array *base = mx_arange(0, 50, 1, MX_FLOAT32, CPU);
        CHECK(mx_eval(&m, 1) == MX_OK && mx_eval(&v, 1) == MX_OK && mx_eval(&base, 1) == MX_OK);
        /* t leaves the scope, then its only reference is the masked_scatter node's */
        mx_array *t = mx_scope_keep(mx_multiply(base, mx_array_scalar_f64(2, MX_FLOAT32), ss[k]));
        mx_array *r = mx_masked_scatter(t, m, v, ss[k]);
        mx_array_release(t);
        double want[50];
        for (int i = 0, j = 0; i < 50; i++) want[i] = i % 4 < 2 ? -1.0 - j++ : 2.0 * i;
        char w[64];
        snprintf(w, sizeof w, "masked_scatter donated %s", sname(k));
        check_array(w, r, want, 50, 0);
        mx_scope_end(sc, NULL);
    }
}

/* ---- searchsorted ---- */

static int lt_f(double a, double b) { return a < b || (isnan(b) && !isnan(a)); }

static double ref_lower(const double *seq, int64_t n, double v, int right) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t m = lo + (hi - lo) / 2;
        if (right ? !lt_f(v, seq[m]) : lt_f(seq[m], v)) lo = m + 1;
        else hi = m;
    }
    return (double)lo;
}

/* searchsorted(seq, vals) on every stream, both sides, against the reference on their logical
 * values (read back after the conversions, so float16 / bfloat16 / integer rounding is included) */
static void check_ss(const char *what, mx_array *seq, mx_array *vals, const mx_stream *ss, int ns) {
    mx_scope sc = mx_scope_begin();
    int64_t n, nv;
    double *sv = rd(seq, &n), *vv = rd(vals, &nv);
    CHECK(sv && vv);
    double *want = malloc(sizeof(double) * (size_t)(nv + 1));
    for (int right = 0; sv && vv && right < 2; right++) {
        for (int64_t i = 0; i < nv; i++) want[i] = ref_lower(sv, n, vv[i], right);
        mx_array *r[2] = {NULL, NULL};
        for (int k = 0; k < ns; k++) {
            char w[128];
            snprintf(w, sizeof w, "searchsorted %s %s/%s %s %s", what,
                     mx_dtype_name(mx_array_dtype(seq)), mx_dtype_name(mx_array_dtype(vals)),
                     right ? "right" : "left", sname(k));
            r[k] = mx_searchsorted(seq, vals, right, ss[k]);
            CHECK(r[k] && mx_array_dtype(r[k]) == MX_UINT32 &&
                  t_shape_is(r[k], mx_array_shape(vals), mx_array_ndim(vals)));
            check_array(w, r[k], want, nv, 0);
        }
        if (ns == 2) check_same("searchsorted gpu vs cpu", r[1], r[0], 0);
    }
    free(sv), free(vv), free(want);
    mx_scope_end(sc, NULL);
}

TEST(searchsorted_matches_reference) {
    mx_stream ss[2];
    int ns = streams(ss);
    mx_scope sc = mx_scope_begin();
    /* floats: infinities, ties, -0.0 == 0.0 and NaNs (last) */
    const double fs[12] = {-INFINITY, -2, -2, -0.0, 0, 0.5, 0.5, 0.5, 3, INFINITY, NAN, NAN};
    const double fq[26] = {-INFINITY, -3, -2, -1, -0.0, 0, 0.25, 0.5, 1, 3, 4, INFINITY, NAN,
                           NAN, 0.5, -2, 2.5, -0.0, 7, -INFINITY, 0, 3, 0.75, -5, INFINITY, 0.5};
    mx_array *fseq = f32v(fs, 12), *fqa = f32v(fq, 26);
    int64_t qsh[2] = {2, 13};
    mx_array *fq_t = mx_transpose(mx_reshape(fqa, qsh, 2, CPU), NULL, 0, CPU); /* (13, 2) strided */
    /* the same sequence through a negative stride of 2: odd slots of a reversed, doubled array */
    double rev2[24];
    for (int j = 0; j < 12; j++) {
        rev2[2 * j + 1] = fs[11 - j];
        rev2[2 * j] = 1e9;
    }
    int64_t b0[1] = {MX_SLICE_NONE}, sm2[1] = {-2};
    mx_array *fseq_neg = mx_slice(f32v(rev2, 24), b0, b0, sm2, CPU);
    int64_t bsh[2] = {3, 4};
    mx_array *fq_b = mx_broadcast_to(mx_array_scalar_f64(0.5, MX_FLOAT32), bsh, 2, CPU);
    mx_dtype fl[3] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16};
    for (int t = 0; t < 3; t++) {
        mx_array *s = mx_astype(fseq, fl[t], CPU), *q = mx_astype(fqa, fl[t], CPU);
        check_ss("nan", s, q, ss, ns);
        check_ss("transposed values", s, mx_astype(fq_t, fl[t], CPU), ss, ns);
        check_ss("negative stride", mx_astype(fseq_neg, fl[t], CPU), q, ss, ns);
        check_ss("broadcast value", s, mx_astype(fq_b, fl[t], CPU), ss, ns);
    }
    /* integers and bool, and an integer sequence probed by floats (promoted to float32) */
    const double is[10] = {0, 0, 1, 3, 3, 3, 7, 9, 9, 20}, is_desc[10] = {20, 9, 9, 7, 3, 3, 3, 1, 0, 0};
    const double iq[12] = {0, 1, 2, 3, 4, 8, 9, 10, 25, 3, 0, 7};
    const double bs[5] = {0, 0, 0, 1, 1}, bs_desc[5] = {1, 1, 0, 0, 0}, bq[4] = {0, 1, 1, 0};
    mx_dtype it[3] = {MX_INT32, MX_UINT8, MX_BOOL};
    int64_t m1[1] = {-1};
    for (int t = 0; t < 3; t++) {
        int b = it[t] == MX_BOOL;
        mx_array *s = mx_astype(b ? f32v(bs, 5) : f32v(is, 10), it[t], CPU);
        mx_array *q = mx_astype(b ? f32v(bq, 4) : f32v(iq, 12), it[t], CPU);
        check_ss("ints", s, q, ss, ns);
        /* the same sequence as a reversed view of a descending array, probed by reversed values */
        mx_array *sd = mx_astype(b ? f32v(bs_desc, 5) : f32v(is_desc, 10), it[t], CPU);
        check_ss("negative strides", mx_slice(sd, b0, b0, m1, CPU), mx_slice(q, b0, b0, m1, CPU),
                 ss, ns);
    }
    const double mq[6] = {-1, 0.5, 3, 3.5, 20, 21};
    check_ss("int32 seq float values", mx_astype(f32v(is, 10), MX_INT32, CPU), f32v(mq, 6), ss, ns);
    /* empty values, empty sequence */
    int64_t esh[2] = {0, 3};
    check_ss("empty values", fseq, mx_zeros(esh, 2, MX_FLOAT32, CPU), ss, ns);
    check_ss("empty sequence", mx_slice(fseq, (int64_t[]){0}, (int64_t[]){0}, NULL, CPU), fqa, ss, ns);
    /* long sorted sequence with many ties */
    int64_t ln = 100000, lq = 5000;
    mx_array *k = mx_random_key(7);
    mx_array *ls = mx_sort(mx_floor(mx_multiply(mx_random_normal(&ln, 1, MX_FLOAT32, NULL, NULL, k, CPU),
                                                mx_array_scalar_f64(100, MX_FLOAT32), CPU), CPU), 0, false, CPU);
    mx_array *lqv = mx_multiply(mx_random_normal(&lq, 1, MX_FLOAT32, NULL, NULL, mx_random_key(8), CPU),
                                mx_array_scalar_f64(150, MX_FLOAT32), CPU);
    check_ss("long", ls, mx_floor(lqv, CPU), ss, ns);
    check_ss("long fractional", ls, lqv, ss, ns);
    mx_scope_end(sc, NULL);
}

/* complex64: lexicographic order, a NaN in either part last */
TEST(searchsorted_complex) {
    mx_stream ss[2];
    int ns = streams(ss);
    mx_scope sc = mx_scope_begin();
    const float seq[14] = {0, 0, 0, 1, 1, -1, 1, 0, 1, 0, 2, 5, NAN, 0};
    const float q[16] = {0, 0, 0, 0.5f, 1, 0, 1, -2, 2, 5, 3, 0, 0, NAN, -1, 9};
    const double want_l[8] = {0, 1, 3, 2, 5, 6, 6, 0}, want_r[8] = {1, 1, 5, 2, 6, 6, 7, 0};
    int64_t ns_ = 7, nq = 8;
    mx_array *s = mx_array_from_data(seq, &ns_, 1, MX_COMPLEX64);
    mx_array *v = mx_array_from_data(q, &nq, 1, MX_COMPLEX64);
    mx_array *r[2][2];
    for (int k = 0; k < ns; k++)
        for (int right = 0; right < 2; right++) {
            char w[64];
            snprintf(w, sizeof w, "searchsorted complex %s %s", right ? "right" : "left", sname(k));
            r[k][right] = mx_searchsorted(s, v, right, ss[k]);
            check_array(w, r[k][right], right ? want_r : want_l, nq, 0);
        }
    if (ns == 2)
        for (int right = 0; right < 2; right++)
            check_same("searchsorted complex gpu vs cpu", r[1][right], r[0][right], 0);
    mx_scope_end(sc, NULL);
}

/* ---- the covariance square root of multivariate_normal ---- */

static uint64_t lcg = 88172645463325252ull;
static double urand(void) { /* in [-1, 1) */
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(lcg >> 11) / (double)(1ull << 52) - 1.0;
}

/* q (n x n, row-major) = a product of 4 Householder reflections with random vectors */
static void rand_orth(double *q, int n) {
    for (int i = 0; i < n * n; i++) q[i] = i / n == i % n;
    double *u = malloc(sizeof(double) * (size_t)n);
    for (int h = 0; h < 4; h++) {
        double nrm = 0;
        for (int i = 0; i < n; i++) {
            u[i] = urand() + (i == h % n ? 2 : 0);
            nrm += u[i] * u[i];
        }
        /* q <- q (I - 2 u u^T / |u|^2) */
        for (int i = 0; i < n; i++) {
            double d = 0;
            for (int j = 0; j < n; j++) d += q[i * n + j] * u[j];
            for (int j = 0; j < n; j++) q[i * n + j] -= 2 * d * u[j] / nrm;
        }
    }
    free(u);
}

/* a (n x n) = U diag(s) V^T and ref = U diag(sign(s) sqrt|s|) ... with V = U D for `sym` (D the
 * signs of s: a symmetric, possibly indefinite matrix), else random V; s >= 0 for general ones */
static void make_case(double *a, double *ref, int n, const double *s, int sym) {
    double *u = malloc(sizeof(double) * (size_t)(n * n)), *v = malloc(sizeof(double) * (size_t)(n * n));
    rand_orth(u, n);
    if (sym) memcpy(v, u, sizeof(double) * (size_t)(n * n));
    else rand_orth(v, n);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++) {
            double x = 0, y = 0;
            for (int j = 0; j < n; j++) {
                x += u[i * n + j] * s[j] * v[k * n + j];
                y += u[i * n + j] * (s[j] < 0 ? -sqrt(-s[j]) : sqrt(s[j])) * v[k * n + j];
            }
            a[i * n + k] = x;
            ref[i * n + k] = y;
        }
    free(u), free(v);
}

static mx_array *cov_sqrt(mx_array *c, mx_stream s) {
    return mx_make_like(MX_PRIM_RANDOM_COV_SQRT, NULL, 0, &c, 1, &c->v.m, MX_FLOAT32, s);
}

/* cov_sqrt of `batch` matrices of order n on every stream (and transposed: the result is the
 * transpose) against U sqrt(S) V^T; tol relative to the largest reference element */
static void check_cov(const char *what, int n, int batch, int kind, double tol, const mx_stream *ss,
                      int ns) {
    mx_scope sc = mx_scope_begin();
    int64_t nn = (int64_t)n * n, tot = nn * batch;
    double *a = malloc(sizeof(double) * (size_t)tot), *ref = malloc(sizeof(double) * (size_t)tot);
    double *reft = malloc(sizeof(double) * (size_t)tot), *s = malloc(sizeof(double) * (size_t)n);
    double scale = 0;
    for (int b = 0; b < batch; b++) {
        for (int j = 0; j < n; j++) {
            if (kind == 0) s[j] = 0.5 + 4.0 * (j % 7) / 7 + (urand() + 1) * 0.25; /* SPD */
            else if (kind == 1) s[j] = j % 3 == 1 ? 0 : 1 + (j % 5); /* singular, repeated */
            else if (kind == 2) s[j] = (j % 2 ? -1 : 1) * (0.5 + (urand() + 1)); /* indefinite */
            else s[j] = 0.25 + (urand() + 1); /* general (non-symmetric) */
        }
        make_case(a + b * nn, ref + b * nn, n, s, kind != 3);
    }
    for (int64_t i = 0; i < tot; i++) {
        int64_t b = i / nn, r = (i % nn) / n, c = i % n;
        reft[i] = ref[b * nn + c * n + r];
        if (fabs(ref[i]) > scale) scale = fabs(ref[i]);
    }
    int64_t sh[3] = {batch, n, n};
    float *af = malloc(sizeof(float) * (size_t)(tot + 1));
    for (int64_t i = 0; i < tot; i++) af[i] = (float)a[i];
    mx_array *c = mx_array_from_data(af, sh, 3, MX_FLOAT32);
    mx_array *ct = mx_transpose(c, (int[]){0, 2, 1}, 3, CPU);
    mx_array *r[2][2] = {{NULL, NULL}, {NULL, NULL}};
    for (int k = 0; k < ns; k++)
        for (int t = 0; t < 2; t++) {
            r[k][t] = cov_sqrt(t ? ct : c, ss[k]);
            int64_t m;
            double *got = rd(r[k][t], &m);
            const double *want = t ? reft : ref;
            for (int64_t i = 0; got && m == tot && i < tot; i++)
                if (!(fabs(got[i] - want[i]) <= tol * scale)) {
                    fprintf(stderr, "  FAIL cov_sqrt %s n=%d %s%s [%lld]: got %.9g expected %.9g\n",
                            what, n, t ? "transposed " : "", sname(k), (long long)i, got[i],
                            want[i]);
                    test_failures++;
                    break;
                }
            if (!got || m != tot) {
                fprintf(stderr, "  FAIL cov_sqrt %s n=%d: no result [last error: %s]\n", what, n,
                        mx_error_message());
                test_failures++;
            }
            free(got);
        }
    if (ns == 2)
        for (int t = 0; t < 2; t++) check_same("cov_sqrt gpu vs cpu", r[1][t], r[0][t], 1e-4 * scale);
    free(a), free(ref), free(reft), free(s), free(af);
    mx_scope_end(sc, NULL);
}

TEST(cov_sqrt_matches_reference) {
    mx_stream ss[2];
    int ns = streams(ss);
    /* orders: 1, 2, odd (a round-robin bye), one and several warps per round, shared memory
     * beyond 48 KiB (64, 100) and a global work space (128: 256 KiB) on the GPU */
    const int orders[9] = {1, 2, 3, 5, 16, 33, 64, 100, 128};
    for (int i = 0; i < 9; i++) {
        int n = orders[i], batch = n <= 33 ? 3 : 1;
        check_cov("spd", n, batch, 0, 1e-5, ss, ns);
        /* float32 rounding of a makes its zero singular values ~1e-8 |a|: their roots ~1e-4 */
        check_cov("singular", n, batch, 1, 1e-3, ss, ns);
        check_cov("indefinite", n, batch, 2, 1e-5, ss, ns);
        check_cov("general", n, batch, 3, 1e-5, ss, ns);
    }
    /* an empty batch */
    mx_scope sc = mx_scope_begin();
    int64_t esh[3] = {0, 3, 3};
    for (int k = 0; k < ns; k++) {
        mx_array *e = cov_sqrt(mx_zeros(esh, 3, MX_FLOAT32, CPU), ss[k]);
        CHECK(e && mx_eval(&e, 1) == MX_OK && t_shape_is(e, esh, 3));
    }
    mx_scope_end(sc, NULL);
}

/* ---- end to end, and what the GPU refuses ---- */
TEST(multivariate_normal_and_float64_on_gpu) {
    if (mx_device_count(MX_GPU) == 0) {
        printf("skip (no GPU)  ");
        return;
    }
    mx_scope sc = mx_scope_begin();
    const float cov[9] = {2, 0.5f, 0.1f, 0.5f, 1, -0.3f, 0.1f, -0.3f, 0.7f};
    const float mean[3] = {1, -2, 0.5f};
    int64_t csh[2] = {3, 3}, msh[1] = {3}, shape[1] = {500};
    mx_array *c = mx_array_from_data(cov, csh, 2, MX_FLOAT32);
    mx_array *m = mx_array_from_data(mean, msh, 1, MX_FLOAT32);
    mx_array *key = mx_random_key(5);
    check_same("multivariate_normal",
               mx_random_multivariate_normal(m, c, shape, 1, MX_FLOAT32, key, GPU),
               mx_random_multivariate_normal(m, c, shape, 1, MX_FLOAT32, key, CPU), 1e-3);
    /* float64 stays refused on the GPU */
    mx_array *d = mx_astype(m, MX_FLOAT64, CPU);
    mx_array *dr = mx_searchsorted(d, d, false, GPU);
    CHECK_ERR(mx_eval(&dr, 1), MX_ERR_VALUE, "searchsorted");
    mx_array *dm = mx_masked_scatter(d, mx_array_scalar_f64(1, MX_BOOL), d, GPU);
    CHECK_ERR(mx_eval(&dm, 1), MX_ERR_VALUE, "masked_scatter");
    mx_scope_end(sc, NULL);
}
