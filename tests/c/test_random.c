/* tests/c/test_random.c: mx.random: threefry known answers (Random123), random bits against a
 * scalar re-implementation of MLX's RandomBits fill, keys/split/global state, and the
 * distributions (exact against the bits where the formula allows, statistically on 1e5 samples
 * otherwise), float16/bfloat16 outputs and errors. */
#define FAMILY "random"
#include <stdlib.h>

#include "harness.h"
#include "prims/random_params.h"

#define S MX_DEFAULT_STREAM
#define NS 100000

/* MLX's per-key fill, written sequentially: pairs (i, half + odd + i), then the odd middle word
 * from counter (half, 0); the last word is cut to the byte count. */
static void ref_bits(uint32_t k0, uint32_t k1, size_t bytes, uint8_t *out) {
    size_t w = (bytes + 3) / 4, half = w / 2, odd = w % 2;
    uint32_t *tmp = calloc(w + 1, 4);
    for (size_t i = 0; i < half; i++) {
        uint32_t c[2] = {(uint32_t)i, (uint32_t)(half + odd + i)};
        mx_threefry2x32_20(k0, k1, c);
        tmp[i] = c[0];
        tmp[half + odd + i] = c[1];
    }
    if (odd) {
        uint32_t c[2] = {(uint32_t)half, 0};
        mx_threefry2x32_20(k0, k1, c);
        tmp[half] = c[0];
    }
    memcpy(out, tmp, bytes);
    free(tmp);
}

static mx_array *key2(uint32_t a, uint32_t b) {
    uint32_t w[2] = {a, b};
    int64_t two = 2;
    return mx_array_from_data(w, &two, 1, MX_UINT32);
}

static double *read_all(mx_array *a, int64_t *n) {
    int64_t m = a ? mx_array_size(a) : 0;
    double *v = malloc(sizeof(double) * (size_t)(m + 1));
    *n = t_read(a, v, m);
    return v;
}

static void moments(const double *v, int64_t n, double *mean, double *var) {
    double s = 0, ss = 0;
    for (int64_t i = 0; i < n; i++) s += v[i];
    *mean = s / (double)n;
    for (int64_t i = 0; i < n; i++) ss += (v[i] - *mean) * (v[i] - *mean);
    *var = ss / (double)n;
}

TEST(threefry_known_answers) {
    /* Random123 kat_vectors, threefry2x32 20 rounds: counter, key -> result */
    uint32_t c[2] = {0, 0};
    mx_threefry2x32_20(0, 0, c);
    CHECK(c[0] == 0x6b200159u && c[1] == 0x99ba4efeu);
    c[0] = c[1] = 0xffffffffu;
    mx_threefry2x32_20(0xffffffffu, 0xffffffffu, c);
    CHECK(c[0] == 0x1cb996fcu && c[1] == 0xbb002be7u);
    c[0] = 0x243f6a88u;
    c[1] = 0x85a308d3u;
    mx_threefry2x32_20(0x13198a2eu, 0x03707344u, c);
    CHECK(c[0] == 0xc4923a9cu && c[1] == 0x483df7a0u);
    /* through the op: one word from key (0, 0) comes from counter (0, 0) */
    mx_array *k = mx_random_key(0);
    int64_t one = 1;
    mx_array *b = mx_random_bits(&one, 1, 4, k, S);
    uint32_t w = 0;
    CHECK(mx_array_copy_to(b, &w) == MX_OK && w == 0x6b200159u);
    mx_array_release(b);
    mx_array_release(k);
}

TEST(key_and_split) {
    mx_array *k = mx_random_key(0x123456789abcdef0ull);
    uint32_t w[2];
    CHECK(mx_array_dtype(k) == MX_UINT32 && mx_array_ndim(k) == 1 && mx_array_dim(k, 0) == 2);
    CHECK(mx_array_copy_to(k, w) == MX_OK && w[0] == 0x12345678u && w[1] == 0x9abcdef0u);
    mx_array *sp = mx_random_split(k, 3, S);
    int64_t sh[2] = {3, 2};
    CHECK(t_shape_is(sp, sh, 2) && mx_array_dtype(sp) == MX_UINT32);
    uint32_t got[6], ref[6];
    CHECK(mx_array_copy_to(sp, got) == MX_OK);
    ref_bits(w[0], w[1], sizeof ref, (uint8_t *)ref);
    for (int i = 0; i < 6; i++) CHECK(got[i] == ref[i]);
    CHECK(got[0] != got[2] || got[1] != got[3]);
    mx_array *z = mx_random_split(k, 0, S);
    int64_t z0[2] = {0, 2};
    CHECK(t_shape_is(z, z0, 2) && mx_eval(&z, 1) == MX_OK);
    mx_array_release(z);
    mx_array_release(sp);
    mx_array_release(k);
}

TEST(bits_match_reference) {
    /* every byte count from 0 to 41 for each width, and a large draw (parallel path) */
    mx_array *k = key2(0xdeadbeefu, 0x01234567u);
    for (int width = 1; width <= 4; width *= 2) {
        for (int64_t n = 0; n <= 41; n++) {
            mx_array *b = mx_random_bits(&n, 1, width, k, S);
            size_t bytes = (size_t)n * (size_t)width;
            uint8_t got[256], ref[256];
            CHECK(b && mx_array_dtype(b) == (width == 1 ? MX_UINT8 : width == 2 ? MX_UINT16 : MX_UINT32));
            CHECK(mx_array_copy_to(b, got) == MX_OK);
            ref_bits(0xdeadbeefu, 0x01234567u, bytes, ref);
            CHECK(memcmp(got, ref, bytes) == 0);
            mx_array_release(b);
        }
    }
    int64_t sh[2] = {333, 301}; /* odd word count */
    mx_array *b = mx_random_bits(sh, 2, 4, k, S);
    size_t bytes = 333 * 301 * 4;
    uint8_t *got = malloc(bytes), *ref = malloc(bytes);
    CHECK(mx_array_copy_to(b, got) == MX_OK);
    ref_bits(0xdeadbeefu, 0x01234567u, bytes, ref);
    CHECK(memcmp(got, ref, bytes) == 0);
    free(got);
    free(ref);
    mx_array_release(b);
    mx_array_release(k);
}

TEST(bits_batched_and_strided_keys) {
    /* keys (4, 2) given as the transpose of a (2, 4) array: strided reads */
    uint32_t kt[8] = {1, 2, 3, 4, 10, 20, 30, 40};
    int64_t sh24[2] = {2, 4};
    mx_array *kk = mx_array_from_data(kt, sh24, 2, MX_UINT32);
    mx_array *keys = mx_transpose(kk, NULL, 0, S);
    int64_t shape[1] = {7};
    mx_array *b = mx_random_bits_batched(keys, shape, 1, 2, S);
    int64_t osh[2] = {4, 7};
    CHECK(t_shape_is(b, osh, 2));
    uint16_t got[28], ref[7];
    CHECK(mx_array_copy_to(b, got) == MX_OK);
    for (int r = 0; r < 4; r++) {
        ref_bits(kt[r], kt[4 + r], sizeof ref, (uint8_t *)ref);
        CHECK(memcmp(got + 7 * r, ref, sizeof ref) == 0);
    }
    /* many keys, each a single byte (the parallel split crosses keys) */
    int64_t n = 5000, sh2[2] = {5000, 2};
    uint32_t *kv = malloc(sizeof(uint32_t) * 10000);
    for (int i = 0; i < 10000; i++) kv[i] = (uint32_t)(i * 2654435761u);
    mx_array *many = mx_array_from_data(kv, sh2, 2, MX_UINT32);
    int64_t oneshape[1] = {1};
    mx_array *b1 = mx_random_bits_batched(many, oneshape, 1, 1, S);
    uint8_t *g1 = malloc((size_t)n);
    CHECK(mx_array_copy_to(b1, g1) == MX_OK);
    int bad = 0;
    for (int64_t i = 0; i < n; i++) {
        uint8_t r1;
        ref_bits(kv[2 * i], kv[2 * i + 1], 1, &r1);
        bad += r1 != g1[i];
    }
    CHECK(bad == 0);
    free(g1);
    free(kv);
    mx_array_release(b1);
    mx_array_release(many);
    mx_array *e = mx_random_bits_batched(keys, NULL, 0, 4, S);
    int64_t e4[1] = {4};
    CHECK(t_shape_is(e, e4, 1));
    uint32_t ge[4];
    CHECK(mx_array_copy_to(e, ge) == MX_OK);
    uint32_t c[2] = {0, 0};
    mx_threefry2x32_20(kt[2], kt[6], c);
    CHECK(ge[2] == c[0]);
    mx_array_release(e);
    mx_array_release(b);
    mx_array_release(keys);
    mx_array_release(kk);
}

TEST(same_key_same_values) {
    mx_array *k = mx_random_key(42);
    int64_t sh[1] = {100};
    mx_array *a = mx_random_uniform(NULL, NULL, sh, 1, MX_FLOAT32, k, S);
    mx_array *b = mx_random_uniform(NULL, NULL, sh, 1, MX_FLOAT32, k, S);
    mx_array *sp = mx_random_split(k, 2, S);
    int64_t st[2] = {1, 0}, sp1[2] = {2, 2}, two = 2;
    mx_scope sc = mx_scope_begin();
    mx_array *k1 = mx_scope_end(sc, mx_reshape(mx_slice(sp, st, sp1, NULL, S), &two, 1, S));
    mx_array *c = mx_random_uniform(NULL, NULL, sh, 1, MX_FLOAT32, k1, S);
    double va[100], vb[100], vc[100];
    CHECK(t_read(a, va, 100) == 100 && t_read(b, vb, 100) == 100 && t_read(c, vc, 100) == 100);
    int same_ab = 0, same_ac = 0;
    for (int i = 0; i < 100; i++) {
        same_ab += va[i] == vb[i];
        same_ac += va[i] == vc[i];
    }
    CHECK(same_ab == 100);
    CHECK(same_ac < 5);
    mx_array *arr[] = {a, b, c, k1, sp, k};
    for (int i = 0; i < 6; i++) mx_array_release(arr[i]);
}

TEST(global_key) {
    int64_t sh[1] = {8};
    mx_random_seed(7);
    mx_array *st = mx_random_state();
    uint32_t w[2];
    CHECK(mx_array_copy_to(st, w) == MX_OK && w[0] == 0 && w[1] == 7);
    mx_array *a = mx_random_bits(sh, 1, 4, NULL, S);
    /* the draw used row 1 of split(key(7)); the state became row 0 */
    mx_array *sp = mx_random_split(st, 2, S);
    uint32_t rows[4], ga[8], ref[8];
    CHECK(mx_array_copy_to(sp, rows) == MX_OK && mx_array_copy_to(a, ga) == MX_OK);
    ref_bits(rows[2], rows[3], sizeof ref, (uint8_t *)ref);
    CHECK(memcmp(ga, ref, sizeof ref) == 0);
    mx_array *st2 = mx_random_state();
    CHECK(mx_array_copy_to(st2, w) == MX_OK && w[0] == rows[0] && w[1] == rows[1]);
    /* successive draws differ; reseeding repeats them */
    mx_array *b = mx_random_bits(sh, 1, 4, NULL, S);
    uint32_t gb[8];
    CHECK(mx_array_copy_to(b, gb) == MX_OK && memcmp(ga, gb, sizeof ga) != 0);
    mx_random_seed(7);
    mx_array *a2 = mx_random_bits(sh, 1, 4, NULL, S);
    CHECK(mx_array_copy_to(a2, gb) == MX_OK && memcmp(ga, gb, sizeof ga) == 0);
    /* a lazy state (as compile installs) gives the same stream as the concrete one */
    mx_random_seed(99);
    mx_array *c1 = mx_random_uniform(NULL, NULL, sh, 1, MX_FLOAT32, NULL, S);
    mx_array *c2 = mx_random_uniform(NULL, NULL, sh, 1, MX_FLOAT32, NULL, S);
    mx_array *k99 = mx_random_key(99);
    mx_array *lazy = mx_copy(k99, S);
    CHECK(mx_random_set_state(lazy) == MX_OK);
    mx_array *d1 = mx_random_uniform(NULL, NULL, sh, 1, MX_FLOAT32, NULL, S);
    mx_array *d2 = mx_random_uniform(NULL, NULL, sh, 1, MX_FLOAT32, NULL, S);
    double v1[8], v2[8], u1[8], u2[8];
    CHECK(t_read(c1, v1, 8) == 8 && t_read(c2, v2, 8) == 8);
    CHECK(t_read(d1, u1, 8) == 8 && t_read(d2, u2, 8) == 8);
    for (int i = 0; i < 8; i++) CHECK(v1[i] == u1[i] && v2[i] == u2[i]);
    /* a concrete state switches back to host splitting */
    CHECK(mx_random_set_state(k99) == MX_OK);
    mx_array *e1 = mx_random_uniform(NULL, NULL, sh, 1, MX_FLOAT32, NULL, S);
    CHECK(t_read(e1, u1, 8) == 8);
    for (int i = 0; i < 8; i++) CHECK(v1[i] == u1[i]);
    /* errors */
    mx_array *bad = mx_array_scalar_f64(1, MX_FLOAT32);
    CHECK_ERR(mx_random_set_state(bad), MX_ERR_VALUE, "random");
    CHECK_ERR(mx_random_set_state(NULL), MX_ERR_VALUE, "random");
    mx_random_seed(0);
    mx_array *arr[] = {st, a, sp, st2, b, a2, c1, c2, k99, lazy, d1, d2, e1, bad};
    for (int i = 0; i < 14; i++) mx_array_release(arr[i]);
}

TEST(uniform_exact_and_stats) {
    mx_array *k = mx_random_key(1);
    int64_t n = NS;
    mx_array *lo = mx_array_scalar_f64(-2, MX_FLOAT32), *hi = mx_array_scalar_f64(3, MX_FLOAT32);
    mx_array *u = mx_random_uniform(lo, hi, &n, 1, MX_FLOAT32, k, S);
    mx_array *b = mx_random_bits(&n, 1, 4, k, S);
    int64_t m;
    double *v = read_all(u, &m);
    uint32_t *bits = malloc(sizeof(uint32_t) * NS);
    CHECK(m == NS && mx_array_copy_to(b, bits) == MX_OK);
    int exact = 0;
    double mn = 1e9, mxv = -1e9;
    for (int64_t i = 0; i < m; i++) {
        float f = (float)bits[i] / 4294967295.0f;
        if (f > nextafterf(1.0f, 0.0f)) f = nextafterf(1.0f, 0.0f);
        float ref = 5.0f * f + -2.0f;
        exact += (float)v[i] == ref;
        mn = fmin(mn, v[i]);
        mxv = fmax(mxv, v[i]);
    }
    CHECK(exact == NS);
    CHECK(mn >= -2 && mxv < 3);
    double mean, var;
    moments(v, m, &mean, &var);
    CHECK_CLOSE(mean, 0.5, 0.03, 0);
    CHECK_CLOSE(var, 25.0 / 12.0, 0.05, 0);
    free(v);
    free(bits);
    mx_array_release(u);
    mx_array_release(b);
    mx_array_release(lo);
    mx_array_release(hi);
    mx_array_release(k);
}

TEST(uniform_broadcast_dtypes_reversed) {
    mx_array *k = mx_random_key(3);
    float lov[2] = {0, 10}, hiv[3] = {1, 2, 3};
    int64_t s21[2] = {2, 1}, s3[1] = {3}, s23[2] = {2, 3};
    mx_array *lo = t_f32(lov, s21, 2), *hi = t_f32(hiv, s3, 1);
    mx_array *u = mx_random_uniform(lo, hi, s23, 2, MX_FLOAT32, k, S);
    double v[6];
    CHECK(t_shape_is(u, s23, 2) && t_read(u, v, 6) == 6);
    for (int j = 0; j < 3; j++) CHECK(v[j] >= 0 && v[j] < hiv[j]);
    for (int j = 0; j < 3; j++) CHECK(v[3 + j] <= 10 && v[3 + j] > hiv[j]); /* high < low */
    mx_array_release(u);
    /* half precision and float64 outputs */
    mx_dtype dts[3] = {MX_FLOAT16, MX_BFLOAT16, MX_FLOAT64};
    int64_t n = 20000;
    for (int t = 0; t < 3; t++) {
        mx_array *h = mx_random_uniform(NULL, NULL, &n, 1, dts[t], k, t_stream_for(dts[t]));
        CHECK(h && mx_array_dtype(h) == dts[t]);
        int64_t m;
        double *hv = read_all(h, &m);
        double mean, var, mn = 1, mxv = 0;
        for (int64_t i = 0; i < m; i++) {
            mn = fmin(mn, hv[i]);
            mxv = fmax(mxv, hv[i]);
        }
        moments(hv, m, &mean, &var);
        CHECK(m == n && mn >= 0 && mxv < 1);
        CHECK_CLOSE(mean, 0.5, 0.02, 0);
        CHECK_CLOSE(var, 1.0 / 12.0, 0.01, 0);
        free(hv);
        mx_array_release(h);
        if (dts[t] == MX_FLOAT64 && t_has_gpu())
            t_check_gpu_refuses_f64(mx_random_uniform(NULL, NULL, &n, 1, dts[t], k, T_GPU),
                                    "uniform float64");
    }
    /* empty */
    int64_t z[2] = {3, 0};
    mx_array *e = mx_random_uniform(NULL, NULL, z, 2, MX_FLOAT32, k, S);
    CHECK(t_shape_is(e, z, 2) && mx_eval(&e, 1) == MX_OK);
    mx_array_release(e);
    /* scalar */
    mx_array *sc = mx_random_uniform(NULL, NULL, NULL, 0, MX_DTYPE_AUTO, k, S);
    double sv = -1;
    CHECK(sc && mx_array_ndim(sc) == 0 && mx_array_item_f64(sc, &sv) == MX_OK && sv >= 0 && sv < 1);
    mx_array_release(sc);
    mx_array_release(lo);
    mx_array_release(hi);
    mx_array_release(k);
}

TEST(normal_exact_and_stats) {
    mx_array *k = mx_random_key(11);
    int64_t n = NS;
    mx_array *x = mx_random_normal(&n, 1, MX_FLOAT32, NULL, NULL, k, S);
    mx_array *b = mx_random_bits(&n, 1, 4, k, S);
    int64_t m;
    double *v = read_all(x, &m);
    uint32_t *bits = malloc(sizeof(uint32_t) * NS);
    CHECK(m == NS && mx_array_copy_to(b, bits) == MX_OK);
    /* x = sqrt(2) erfinv(u), u = uniform(nextafter(-1, 0), 1): check erf(x / sqrt 2) == u */
    int bad = 0;
    float lo = nextafterf(-1.0f, 0.0f);
    for (int64_t i = 0; i < m; i++) {
        float f = (float)bits[i] / 4294967295.0f;
        if (f > nextafterf(1.0f, 0.0f)) f = nextafterf(1.0f, 0.0f);
        float u = (1.0f - lo) * f + lo;
        if (fabs(u) < 0.999 && fabs(erf(v[i] / sqrt(2.0)) - u) > 1e-5) bad++;
    }
    CHECK(bad == 0);
    double mean, var;
    moments(v, m, &mean, &var);
    CHECK_CLOSE(mean, 0, 0.03, 0);
    CHECK_CLOSE(var, 1, 0.03, 0);
    free(v);
    free(bits);
    mx_array_release(x);
    mx_array_release(b);
    /* loc and scale (arrays broadcast), float16 / bfloat16 */
    mx_array *loc = mx_array_scalar_f64(2, MX_FLOAT32), *scale = mx_array_scalar_f64(3, MX_FLOAT32);
    mx_dtype dts[3] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16};
    for (int t = 0; t < 3; t++) {
        mx_array *y = mx_random_normal(&n, 1, dts[t], loc, scale, k, S);
        CHECK(y && mx_array_dtype(y) == dts[t]);
        v = read_all(y, &m);
        moments(v, m, &mean, &var);
        CHECK_CLOSE(mean, 2, 0.06, 0);
        CHECK_CLOSE(sqrt(var), 3, 0.06, 0);
        free(v);
        mx_array_release(y);
    }
    /* complex64: each part has variance 1/2 */
    mx_array *c = mx_random_normal(&n, 1, MX_COMPLEX64, NULL, NULL, k, S);
    CHECK(c && mx_array_dtype(c) == MX_COMPLEX64 && t_shape_is(c, &n, 1));
    mx_array *re = mx_real(c, S);
    v = read_all(re, &m);
    moments(v, m, &mean, &var);
    CHECK_CLOSE(mean, 0, 0.02, 0);
    CHECK_CLOSE(var, 0.5, 0.02, 0);
    free(v);
    mx_array_release(re);
    mx_array_release(c);
    mx_array_release(loc);
    mx_array_release(scale);
    mx_array_release(k);
}

TEST(randint_range_and_frequencies) {
    mx_array *k = mx_random_key(5);
    mx_array *lo = mx_array_scalar_i64(-5, MX_INT32), *hi = mx_array_scalar_i64(5, MX_INT32);
    int64_t n = NS;
    mx_array *r = mx_random_randint(lo, hi, &n, 1, MX_DTYPE_AUTO, k, S);
    CHECK(r && mx_array_dtype(r) == MX_INT32);
    int64_t m;
    double *v = read_all(r, &m);
    int cnt[10] = {0}, out = 0;
    for (int64_t i = 0; i < m; i++) {
        if (v[i] < -5 || v[i] > 4 || v[i] != floor(v[i])) out++;
        else cnt[(int)v[i] + 5]++;
    }
    CHECK(out == 0);
    for (int j = 0; j < 10; j++) CHECK_CLOSE(cnt[j] / (double)NS, 0.1, 0.006, 0);
    free(v);
    mx_array_release(r);
    /* other integer dtypes */
    mx_dtype dts[3] = {MX_INT64, MX_UINT8, MX_INT16};
    mx_array *l0 = mx_array_scalar_i64(0, MX_INT32), *h7 = mx_array_scalar_i64(7, MX_INT32);
    int64_t small = 1000;
    for (int t = 0; t < 3; t++) {
        mx_array *q = mx_random_randint(l0, h7, &small, 1, dts[t], k, S);
        CHECK(q && mx_array_dtype(q) == dts[t]);
        double qv[1000];
        CHECK(t_read(q, qv, 1000) == 1000);
        int okc = 0;
        for (int i = 0; i < 1000; i++) okc += qv[i] >= 0 && qv[i] <= 6;
        CHECK(okc == 1000);
        mx_array_release(q);
    }
    CHECK_ERR(mx_random_randint(l0, h7, &small, 1, MX_FLOAT32, k, S), MX_ERR_VALUE, "randint");
    CHECK_ERR(mx_random_randint(NULL, h7, &small, 1, MX_INT32, k, S), MX_ERR_VALUE, "randint");
    mx_array_release(l0);
    mx_array_release(h7);
    mx_array_release(lo);
    mx_array_release(hi);
    mx_array_release(k);
}

TEST(bernoulli_frequency) {
    mx_array *k = mx_random_key(8);
    mx_array *p = mx_array_scalar_f64(0.3, MX_FLOAT32);
    int64_t n = NS;
    mx_array *b = mx_random_bernoulli(p, &n, 1, k, S);
    CHECK(b && mx_array_dtype(b) == MX_BOOL);
    int64_t m;
    double *v = read_all(b, &m);
    double mean, var;
    moments(v, m, &mean, &var);
    CHECK_CLOSE(mean, 0.3, 0.01, 0);
    free(v);
    mx_array_release(b);
    /* p of shape (3,), shape NULL: 0 never, 1 always; float16 p */
    double pv[3] = {0, 1, 0.5};
    int64_t s3 = 3;
    mx_scope sc = mx_scope_begin();
    mx_array *p3 = mx_scope_end(sc, t_array(pv, &s3, 1, MX_FLOAT16));
    int64_t s43[2] = {400, 3};
    mx_array *b3 = mx_random_bernoulli(p3, s43, 2, k, S);
    v = read_all(b3, &m);
    int c0 = 0, c1 = 0, c2 = 0;
    for (int i = 0; i < 400; i++) {
        c0 += v[3 * i] != 0;
        c1 += v[3 * i + 1] != 0;
        c2 += v[3 * i + 2] != 0;
    }
    CHECK(m == 1200 && c0 == 0 && c1 == 400 && c2 > 140 && c2 < 260);
    free(v);
    mx_array *b4 = mx_random_bernoulli(p3, NULL, 0, k, S);
    CHECK(t_shape_is(b4, &s3, 1));
    mx_array *b5 = mx_random_bernoulli(NULL, NULL, 0, k, S);
    CHECK(b5 && mx_array_ndim(b5) == 0 && mx_eval(&b5, 1) == MX_OK);
    /* errors */
    mx_array *pi = mx_array_scalar_i64(1, MX_INT32);
    CHECK_ERR(mx_random_bernoulli(pi, NULL, 0, k, S), MX_ERR_VALUE, "bernoulli");
    int64_t s2 = 2;
    CHECK_ERR(mx_random_bernoulli(p3, &s2, 1, k, S), MX_ERR_VALUE, "bernoulli");
    mx_array *arr[] = {k, p, b3, p3, b4, b5, pi};
    for (int i = 0; i < 7; i++) mx_array_release(arr[i]);
}

static double phi(double x) { return exp(-0.5 * x * x) / sqrt(2 * M_PI); }
static double Phi(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

TEST(truncated_normal_bounds_and_mean) {
    mx_array *k = mx_random_key(21);
    mx_array *lo = mx_array_scalar_f64(-1, MX_FLOAT32), *hi = mx_array_scalar_f64(2, MX_FLOAT32);
    int64_t n = NS;
    mx_array *t = mx_random_truncated_normal(lo, hi, &n, 1, MX_DTYPE_AUTO, k, S);
    int64_t m;
    double *v = read_all(t, &m);
    int out = 0;
    for (int64_t i = 0; i < m; i++) out += v[i] < -1 || v[i] > 2;
    CHECK(m == NS && out == 0);
    double mean, var;
    moments(v, m, &mean, &var);
    double Z = Phi(2) - Phi(-1), em = (phi(-1) - phi(2)) / Z;
    double ev = 1 + (-1 * phi(-1) - 2 * phi(2)) / Z - em * em;
    CHECK_CLOSE(mean, em, 0.02, 0);
    CHECK_CLOSE(var, ev, 0.02, 0);
    free(v);
    mx_array_release(t);
    /* shape from broadcasting bounds; float16 */
    float lv[3] = {-3, 0, 1}, uv[1] = {1.5f};
    int64_t s3 = 3, s1 = 1;
    mx_array *l3 = t_f32(lv, &s3, 1), *u1 = t_f32(uv, &s1, 1);
    mx_array *t3 = mx_random_truncated_normal(l3, u1, NULL, 0, MX_FLOAT16, k, S);
    CHECK(t_shape_is(t3, &s3, 1) && mx_array_dtype(t3) == MX_FLOAT16);
    double tv[3];
    CHECK(t_read(t3, tv, 3) == 3);
    for (int i = 0; i < 3; i++) CHECK(tv[i] >= lv[i] && tv[i] <= 1.5);
    CHECK_ERR(mx_random_truncated_normal(l3, u1, NULL, 0, MX_INT32, k, S), MX_ERR_VALUE,
              "trunc_normal");
    mx_array *arr[] = {k, lo, hi, l3, u1, t3};
    for (int i = 0; i < 6; i++) mx_array_release(arr[i]);
}

TEST(gumbel_and_laplace) {
    mx_array *k = mx_random_key(31);
    int64_t n = NS, m;
    mx_array *g = mx_random_gumbel(&n, 1, MX_DTYPE_AUTO, k, S);
    double *v = read_all(g, &m), mean, var;
    moments(v, m, &mean, &var);
    CHECK_CLOSE(mean, 0.5772156649, 0.03, 0);
    CHECK_CLOSE(var, M_PI * M_PI / 6, 0.1, 0);
    free(v);
    mx_array_release(g);
    mx_array *l = mx_random_laplace(&n, 1, MX_FLOAT32, 1.0, 2.0, k, S);
    v = read_all(l, &m);
    moments(v, m, &mean, &var);
    CHECK_CLOSE(mean, 1, 0.06, 0);
    CHECK_CLOSE(var, 8, 0.4, 0);
    free(v);
    mx_array_release(l);
    mx_array *lb = mx_random_laplace(&n, 1, MX_BFLOAT16, 0.0, 1.0, k, S);
    CHECK(lb && mx_array_dtype(lb) == MX_BFLOAT16);
    v = read_all(lb, &m);
    moments(v, m, &mean, &var);
    CHECK_CLOSE(mean, 0, 0.03, 0);
    CHECK_CLOSE(var, 2, 0.15, 0);
    free(v);
    mx_array_release(lb);
    mx_array *gh = mx_random_gumbel(&n, 1, MX_FLOAT16, k, S);
    CHECK(gh && mx_array_dtype(gh) == MX_FLOAT16 && mx_eval(&gh, 1) == MX_OK);
    mx_array_release(gh);
    CHECK_ERR(mx_random_gumbel(&n, 1, MX_INT32, k, S), MX_ERR_VALUE, "gumbel");
    CHECK_ERR(mx_random_laplace(&n, 1, MX_UINT8, 0, 1, k, S), MX_ERR_VALUE, "laplace");
    mx_array_release(k);
}

TEST(errors) {
    int64_t sh[1] = {4};
    mx_array *fk = mx_array_scalar_f64(1, MX_FLOAT32);
    uint32_t w3[3] = {1, 2, 3};
    int64_t s3 = 3;
    mx_array *k3 = mx_array_from_data(w3, &s3, 1, MX_UINT32);
    mx_array *k = mx_random_key(0);
    CHECK_ERR(mx_random_bits(sh, 1, 3, k, S), MX_ERR_VALUE, "bits");
    CHECK_ERR(mx_random_bits(sh, 1, 4, fk, S), MX_ERR_VALUE, "bits");
    CHECK_ERR(mx_random_bits(sh, 1, 4, k3, S), MX_ERR_VALUE, "bits");
    int64_t neg = -1;
    CHECK_ERR(mx_random_bits(&neg, 1, 4, k, S), MX_ERR_VALUE, "bits");
    CHECK_ERR(mx_random_bits_batched(k3, sh, 1, 4, S), MX_ERR_VALUE, "bits");
    CHECK_ERR(mx_random_split(k3, 2, S), MX_ERR_VALUE, "split");
    CHECK_ERR(mx_random_split(k, -1, S), MX_ERR_VALUE, "split");
    CHECK_ERR(mx_random_split(NULL, 2, S), MX_ERR_VALUE, "split");
    CHECK_ERR(mx_random_uniform(NULL, NULL, sh, 1, MX_INT32, k, S), MX_ERR_VALUE, "uniform");
    CHECK_ERR(mx_random_uniform(NULL, NULL, sh, 1, MX_FLOAT32, fk, S), MX_ERR_VALUE, "uniform");
    CHECK_ERR(mx_random_uniform(NULL, NULL, sh, 1, MX_FLOAT32, k3, S), MX_ERR_VALUE, "uniform");
    float lv[6] = {0};
    int64_t s23[2] = {2, 3}, s2 = 2;
    mx_array *lo = t_f32(lv, s23, 2);
    CHECK_ERR(mx_random_uniform(lo, NULL, &s3, 1, MX_FLOAT32, k, S), MX_ERR_VALUE, "uniform");
    CHECK_ERR(mx_random_uniform(lo, NULL, &s2, 1, MX_FLOAT32, k, S), MX_ERR_VALUE, "uniform");
    CHECK_ERR(mx_random_normal(sh, 1, MX_INT32, NULL, NULL, k, S), MX_ERR_VALUE, "normal");
    CHECK_ERR(mx_random_normal(sh, 1, MX_FLOAT32, lo, NULL, k, S), MX_ERR_VALUE, "normal");
    /* a failing call does not advance the global key */
    mx_random_seed(4);
    CHECK_ERR(mx_random_uniform(lo, NULL, &s2, 1, MX_FLOAT32, NULL, S), MX_ERR_VALUE, "uniform");
    mx_array *st = mx_random_state();
    uint32_t w[2];
    CHECK(mx_array_copy_to(st, w) == MX_OK && w[0] == 0 && w[1] == 4);
    mx_array *arr[] = {fk, k3, k, lo, st};
    for (int i = 0; i < 5; i++) mx_array_release(arr[i]);
}

/* Values from MLX's own tests (mlx/tests/random_tests.cpp, generated with JAX's threefry). */
static int bits_equal(uint64_t seed, const int64_t *shape, int ndim, int width,
                      const uint32_t *expect, int64_t n) {
    mx_array *k = mx_random_key(seed);
    mx_array *b = mx_random_bits(shape, ndim, width, k, S);
    double v[16];
    int ok = t_read(b, v, 16) == n;
    for (int64_t i = 0; ok && i < n; i++) ok = v[i] == (double)expect[i];
    mx_array_release(b);
    mx_array_release(k);
    return ok;
}

TEST(mlx_known_values) {
    uint32_t e0[1] = {1797259609u}, e0w2[1] = {345}, e0w1[1] = {89};
    uint32_t e1[1] = {507451445u}, e1w2[1] = {6197}, e1w1[1] = {53};
    CHECK(bits_equal(0, NULL, 0, 4, e0, 1) && bits_equal(0, NULL, 0, 2, e0w2, 1) &&
          bits_equal(0, NULL, 0, 1, e0w1, 1));
    CHECK(bits_equal(1, NULL, 0, 4, e1, 1) && bits_equal(1, NULL, 0, 2, e1w2, 1) &&
          bits_equal(1, NULL, 0, 1, e1w1, 1));
    int64_t s31[2] = {3, 1};
    uint32_t e31[3] = {4146024105u, 1351547692u, 2718843009u};
    CHECK(bits_equal(0, s31, 2, 4, e31, 3));
    uint32_t e8[8] = {20137, 63263, 1497, 14756, 16513, 41486, 44591, 19423};
    uint32_t e5[5] = {20137, 63263, 64300, 20622, 16513};
    uint32_t e6[6] = {20137, 63263, 64300, 20622, 16513, 41486};
    int64_t n5 = 5, n6 = 6, n7 = 7, n8 = 8;
    CHECK(bits_equal(0, &n5, 1, 2, e5, 5));
    CHECK(bits_equal(0, &n6, 1, 2, e6, 6));
    CHECK(bits_equal(0, &n7, 1, 2, e8, 7));
    CHECK(bits_equal(0, &n8, 1, 2, e8, 8));
    /* a batch of keys (vmap in MLX) */
    uint32_t kv[12] = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5};
    int64_t ks[2] = {2, 2}, n3 = 3, n2 = 2, ks3[3] = {3, 2, 2};
    mx_array *keys = mx_array_from_data(kv, ks, 2, MX_UINT32);
    mx_array *b = mx_random_bits_batched(keys, &n3, 1, 4, S);
    uint32_t eb[6] = {4146024105u, 1351547692u, 2718843009u, 3725146706u, 1802982961u, 1349634643u};
    uint32_t gb[12];
    CHECK(mx_array_copy_to(b, gb) == MX_OK && memcmp(gb, eb, sizeof eb) == 0);
    mx_array *keys3 = mx_array_from_data(kv, ks3, 3, MX_UINT32);
    mx_array *b3 = mx_random_bits_batched(keys3, &n2, 1, 4, S);
    uint32_t e3[12] = {928981903u,  3453687069u, 3606183818u, 460005496u,
                       2799733733u, 856293553u,  4081856343u, 3445925136u,
                       2775548010u, 1430281703u, 305173070u,  2615843348u};
    CHECK(mx_array_copy_to(b3, gb) == MX_OK && memcmp(gb, e3, sizeof e3) == 0);
    /* uniform(key(0)) = bits / UINT32_MAX */
    mx_array *k0 = mx_random_key(0);
    mx_array *u = mx_random_uniform(NULL, NULL, NULL, 0, MX_FLOAT32, k0, S);
    double uv = -1;
    CHECK(mx_array_item_f64(u, &uv) == MX_OK && (float)uv == (float)1797259609u / 4294967295.0f);
    /* high < low: randint gives low, truncated_normal gives lower */
    mx_array *l20 = mx_array_scalar_f64(20, MX_FLOAT32), *hm10 = mx_array_scalar_f64(-10, MX_FLOAT32);
    int64_t s33[2] = {3, 3};
    mx_array *ri = mx_random_randint(l20, hm10, s33, 2, MX_INT32, k0, S);
    double rv[9];
    CHECK(t_read(ri, rv, 9) == 9);
    for (int i = 0; i < 9; i++) CHECK(rv[i] == 20);
    mx_array *l2 = mx_array_scalar_f64(2, MX_FLOAT32), *hm2 = mx_array_scalar_f64(-2, MX_FLOAT32);
    mx_array *tn = mx_random_truncated_normal(l2, hm2, NULL, 0, MX_FLOAT32, k0, S);
    double tv = 0;
    CHECK(mx_array_item_f64(tn, &tv) == MX_OK && tv == 2);
    /* bernoulli: p outside [0, 1], empty p */
    mx_array *pn = mx_array_scalar_f64(-1, MX_FLOAT32), *p5 = mx_array_scalar_f64(5, MX_FLOAT32);
    mx_array *bn = mx_random_bernoulli(pn, NULL, 0, k0, S), *b5 = mx_random_bernoulli(p5, NULL, 0, k0, S);
    double bv0 = 1, bv1 = 0;
    CHECK(mx_array_item_f64(bn, &bv0) == MX_OK && bv0 == 0);
    CHECK(mx_array_item_f64(b5, &bv1) == MX_OK && bv1 == 1);
    int64_t z = 0;
    mx_array *pe = mx_array_from_data(NULL, &z, 1, MX_FLOAT32);
    mx_array *be = mx_random_bernoulli(pe, NULL, 0, k0, S);
    CHECK(t_shape_is(be, &z, 1) && mx_eval(&be, 1) == MX_OK);
    CHECK_ERR(mx_random_bernoulli(pe, s33, 2, k0, S), MX_ERR_VALUE, "bernoulli");
    mx_array *arr[] = {keys, b, keys3, b3, k0, u, l20, hm10, ri, l2, hm2, tn, pn, p5, bn, b5, pe, be};
    for (int i = 0; i < 18; i++) mx_array_release(arr[i]);
}

TEST(categorical) {
    mx_array *k = mx_random_key(12);
    int64_t s1020[2] = {10, 20};
    mx_array *lz = mx_zeros(s1020, 2, MX_FLOAT32, S);
    mx_array *c = mx_random_categorical(lz, -1, NULL, 0, 0, k, S);
    int64_t s10 = 10, s20 = 20, s520[2] = {5, 20};
    double v[100];
    CHECK(t_shape_is(c, &s10, 1) && mx_array_dtype(c) == MX_UINT32);
    CHECK(t_read(c, v, 10) == 10);
    for (int i = 0; i < 10; i++) CHECK(v[i] >= 0 && v[i] < 20);
    mx_array *c0 = mx_random_categorical(lz, 0, NULL, 0, 0, k, S);
    CHECK(t_shape_is(c0, &s20, 1));
    mx_array *c5 = mx_random_categorical(lz, 0, s520, 2, 0, k, S);
    CHECK(t_shape_is(c5, s520, 2) && t_read(c5, v, 100) == 100);
    for (int i = 0; i < 100; i++) CHECK(v[i] >= 0 && v[i] < 10);
    /* infinities */
    float l1[5] = {1, -2, INFINITY, 4, 3}, l2[4] = {-INFINITY, -2, -INFINITY, -INFINITY};
    int64_t s5 = 5, s4 = 4;
    mx_array *a1 = t_f32(l1, &s5, 1), *a2 = t_f32(l2, &s4, 1);
    mx_array *r1 = mx_random_categorical(a1, -1, NULL, 0, 0, k, S);
    mx_array *r2 = mx_random_categorical(a2, -1, NULL, 0, 0, k, S);
    double x1 = -1, x2 = -1;
    CHECK(mx_array_item_f64(r1, &x1) == MX_OK && x1 == 2);
    CHECK(mx_array_item_f64(r2, &x2) == MX_OK && x2 == 1);
    /* num_samples */
    int64_t s543[3] = {5, 4, 3}, e1[3] = {5, 4, 7}, e2[3] = {5, 3, 7}, e3[3] = {4, 3, 7};
    mx_array *l3 = mx_zeros(s543, 3, MX_FLOAT32, S);
    mx_array *n1 = mx_random_categorical(l3, -1, NULL, 0, 7, k, S);
    mx_array *n2 = mx_random_categorical(l3, -2, NULL, 0, 7, k, S);
    mx_array *n3 = mx_random_categorical(l3, -3, NULL, 0, 7, k, S);
    CHECK(t_shape_is(n1, e1, 3) && t_shape_is(n2, e2, 3) && t_shape_is(n3, e3, 3));
    CHECK(t_read(n2, v, 100) == 100);
    for (int i = 0; i < 100; i++) CHECK(v[i] >= 0 && v[i] < 4);
    /* frequencies */
    float pl[3] = {logf(0.2f), logf(0.5f), logf(0.3f)};
    int64_t s3 = 3;
    mx_array *lp = t_f32(pl, &s3, 1);
    mx_array *f = mx_random_categorical(lp, 0, NULL, 0, NS, k, S);
    int64_t m;
    double *fv = read_all(f, &m);
    int cnt[3] = {0};
    for (int64_t i = 0; i < m; i++) cnt[(int)fv[i]]++;
    CHECK(m == NS);
    CHECK_CLOSE(cnt[0] / (double)NS, 0.2, 0.01, 0);
    CHECK_CLOSE(cnt[1] / (double)NS, 0.5, 0.01, 0);
    CHECK_CLOSE(cnt[2] / (double)NS, 0.3, 0.01, 0);
    free(fv);
    /* errors */
    int64_t b1 = 1, b11 = 11, b101[2] = {10, 1};
    CHECK_ERR(mx_random_categorical(lz, 2, NULL, 0, 0, k, S), MX_ERR_VALUE, "categorical");
    CHECK_ERR(mx_random_categorical(lz, -3, NULL, 0, 0, k, S), MX_ERR_VALUE, "categorical");
    CHECK_ERR(mx_random_categorical(lz, 1, &b1, 1, 0, k, S), MX_ERR_VALUE, "categorical");
    CHECK_ERR(mx_random_categorical(lz, 1, &b11, 1, 0, k, S), MX_ERR_VALUE, "categorical");
    CHECK_ERR(mx_random_categorical(lz, 1, b101, 2, 0, k, S), MX_ERR_VALUE, "categorical");
    CHECK_ERR(mx_random_categorical(lz, 1, &s10, 1, 3, k, S), MX_ERR_VALUE, "categorical");
    mx_array *arr[] = {k, lz, c, c0, c5, a1, a2, r1, r2, l3, n1, n2, n3, lp, f};
    for (int i = 0; i < 15; i++) mx_array_release(arr[i]);
}

TEST(permutation) {
    mx_array *k = mx_random_key(77);
    mx_array *p = mx_random_permutation_n(50, k, S);
    mx_array *q = mx_random_permutation_n(50, k, S);
    double pv[50], qv[50];
    CHECK(p && mx_array_dtype(p) == MX_UINT32 && t_read(p, pv, 50) == 50 && t_read(q, qv, 50) == 50);
    int seen[50] = {0}, same = 0, fixed = 0;
    for (int i = 0; i < 50; i++) {
        if (pv[i] >= 0 && pv[i] < 50) seen[(int)pv[i]]++;
        same += pv[i] == qv[i];
        fixed += pv[i] == i;
    }
    for (int i = 0; i < 50; i++) CHECK(seen[i] == 1);
    CHECK(same == 50 && fixed < 10);
    /* rows of a (6, 3) array shuffled along axis 0, and columns along axis 1 */
    float xv[18];
    for (int i = 0; i < 18; i++) xv[i] = (float)i;
    int64_t s63[2] = {6, 3};
    mx_array *x = t_f32(xv, s63, 2);
    mx_array *y = mx_random_permutation(x, 0, k, S);
    double yv[18];
    CHECK(t_shape_is(y, s63, 2) && t_read(y, yv, 18) == 18);
    int rows[6] = {0};
    for (int r = 0; r < 6; r++) {
        int row = (int)yv[3 * r] / 3;
        CHECK(yv[3 * r + 1] == yv[3 * r] + 1 && yv[3 * r + 2] == yv[3 * r] + 2);
        if (row >= 0 && row < 6) rows[row]++;
    }
    for (int r = 0; r < 6; r++) CHECK(rows[r] == 1);
    mx_array *z = mx_random_permutation(x, -1, k, S);
    CHECK(t_shape_is(z, s63, 2) && t_read(z, yv, 18) == 18);
    for (int r = 0; r < 6; r++) CHECK(yv[3 * r] + yv[3 * r + 1] + yv[3 * r + 2] == 9 * r + 3);
    mx_array *e = mx_random_permutation_n(0, k, S);
    CHECK(e && mx_array_size(e) == 0 && mx_eval(&e, 1) == MX_OK);
    CHECK_ERR(mx_random_permutation(x, 2, k, S), MX_ERR_VALUE, "permutation");
    CHECK_ERR(mx_random_permutation_n(-1, k, S), MX_ERR_VALUE, "permutation");
    mx_array *arr[] = {k, p, q, x, y, z, e};
    for (int i = 0; i < 7; i++) mx_array_release(arr[i]);
}

TEST(multivariate_normal) {
    mx_array *k = mx_random_key(5150);
    float mv[2] = {1, -2}, cv[4] = {2, 0.6f, 0.6f, 1};
    int64_t s2 = 2, s22[2] = {2, 2}, n = NS;
    mx_array *mean = t_f32(mv, &s2, 1), *cov = t_f32(cv, s22, 2);
    mx_array *x = mx_random_multivariate_normal(mean, cov, &n, 1, MX_DTYPE_AUTO, k, S);
    int64_t es[2] = {NS, 2};
    CHECK(t_shape_is(x, es, 2) && mx_array_dtype(x) == MX_FLOAT32);
    /* exact: mean + z @ sqrtm(cov), z = normal(key) of shape (NS, 2) */
    mx_array *z = mx_random_normal(es, 2, MX_FLOAT32, NULL, NULL, k, S);
    int64_t m, mz;
    double *xv = read_all(x, &m), *zv = read_all(z, &mz);
    double sd = sqrt(2.0 * 1 - 0.36), tr = sqrt(3 + 2 * sd);
    double R[4] = {(2 + sd) / tr, 0.6 / tr, 0.6 / tr, (1 + sd) / tr}; /* sqrtm of a 2x2 SPD */
    int bad = 0;
    double s0 = 0, s1 = 0, c00 = 0, c01 = 0, c11 = 0;
    for (int64_t i = 0; i < NS; i++) {
        double r0 = 1 + zv[2 * i] * R[0] + zv[2 * i + 1] * R[2];
        double r1 = -2 + zv[2 * i] * R[1] + zv[2 * i + 1] * R[3];
        bad += fabs(xv[2 * i] - r0) > 1e-4 * (1 + fabs(r0)) || fabs(xv[2 * i + 1] - r1) > 1e-4 * (1 + fabs(r1));
        s0 += xv[2 * i];
        s1 += xv[2 * i + 1];
    }
    CHECK(m == 2 * NS && mz == 2 * NS && bad == 0);
    s0 /= NS;
    s1 /= NS;
    for (int64_t i = 0; i < NS; i++) {
        double d0 = xv[2 * i] - s0, d1 = xv[2 * i + 1] - s1;
        c00 += d0 * d0;
        c01 += d0 * d1;
        c11 += d1 * d1;
    }
    CHECK_CLOSE(s0, 1, 0.03, 0);
    CHECK_CLOSE(s1, -2, 0.03, 0);
    CHECK_CLOSE(c00 / NS, 2, 0.05, 0);
    CHECK_CLOSE(c01 / NS, 0.6, 0.03, 0);
    CHECK_CLOSE(c11 / NS, 1, 0.03, 0);
    free(xv);
    free(zv);
    /* batch shapes broadcast; errors as MLX */
    int64_t s3 = 3, c1233[4] = {1, 2, 3, 3}, sh[2] = {100, 2}, out3[3] = {100, 2, 3};
    mx_array *m3 = mx_zeros(&s3, 1, MX_FLOAT32, S), *cz = mx_zeros(c1233, 4, MX_FLOAT32, S);
    mx_array *y = mx_random_multivariate_normal(m3, cz, sh, 2, MX_FLOAT32, k, S);
    CHECK(t_shape_is(y, out3, 3) && mx_eval(&y, 1) == MX_OK);
    int64_t s31[2] = {3, 1}, s44[2] = {4, 4}, s33[2] = {3, 3};
    mx_array *m31 = mx_zeros(s31, 2, MX_FLOAT32, S), *c44 = mx_zeros(s44, 2, MX_FLOAT32, S);
    mx_array *c33 = mx_zeros(s33, 2, MX_FLOAT32, S);
    CHECK_ERR(mx_random_multivariate_normal(m31, c33, &n, 1, MX_FLOAT32, k, S), MX_ERR_VALUE,
              "multivariate_normal");
    CHECK_ERR(mx_random_multivariate_normal(m3, c44, &n, 1, MX_FLOAT32, k, S), MX_ERR_VALUE,
              "multivariate_normal");
    CHECK_ERR(mx_random_multivariate_normal(m3, c33, &n, 1, MX_FLOAT16, k, S), MX_ERR_VALUE,
              "multivariate_normal");
    CHECK_ERR(mx_random_multivariate_normal(m3, m3, &n, 1, MX_FLOAT32, k, S), MX_ERR_VALUE,
              "multivariate_normal");
    mx_array *arr[] = {k, mean, cov, x, z, m3, cz, y, m31, c44, c33};
    for (int i = 0; i < 11; i++) mx_array_release(arr[i]);
}
