/* tests/c/test_gpu_streams.c: several GPU streams at once. Each cmlx GPU stream runs on its own
 * CUDA stream; these cases build the hazards that events must order (a read after a write on
 * another stream, reuse of a freed block by another stream, an in-place write over bytes another
 * stream still reads) behind a long-running matmul, so that missing ordering would show as wrong
 * values, and check every result exactly against values computed on the host. More streams than
 * CUDA queues, CPU <-> GPU hand-offs and asynchronous evaluation on two streams are covered too.
 * Every case skips where no GPU exists. */
#define FAMILY "gpu_streams"
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

static int have_gpu(void) {
    mx_device g = {MX_GPU, 0};
    if (mx_device_is_available(g)) return 1;
    printf("skip (no GPU)  ");
    return 0;
}

static mx_stream new_gpu_stream(void) {
    mx_device g = {MX_GPU, 0};
    mx_stream s = MX_DEFAULT_STREAM;
    CHECK(mx_new_stream(g, &s) == MX_OK);
    return s;
}

#define N 2048 /* matmul N^3: long enough (~ms) that a racing stream would overtake it */

static float *host(mx_array *a) { /* float32 values, read through the memory model */
    float *v = malloc(sizeof(float) * (size_t)(mx_array_size(a) + 1));
    if (v && mx_array_copy_to(a, v) != MX_OK) {
        free(v);
        return NULL;
    }
    return v;
}

/* a (N, N) float32 matrix of small random values on stream s, and the row sums of a @ a */
static mx_array *slow_rowsum(mx_array *a, mx_stream s) {
    mx_array *m = mx_matmul(a, a, s);
    int ax = 1;
    mx_array *r = mx_sum(m, &ax, 1, false, s);
    mx_array_release(m);
    return r;
}

static mx_array *random_matrix(uint64_t seed, mx_stream s) {
    int64_t sh[2] = {N, N};
    mx_array *k = mx_random_key(seed);
    mx_array *a = mx_random_normal(sh, 2, MX_FLOAT32, NULL, NULL, k, s);
    mx_array_release(k);
    CHECK(mx_eval(&a, 1) == MX_OK);
    return a;
}

TEST(read_after_write_on_another_stream) {
    if (!have_gpu()) return;
    mx_stream s1 = new_gpu_stream(), s2 = new_gpu_stream();
    mx_array *a = random_matrix(1, s1);
    for (int round = 0; round < 4; round++) {
        mx_array *p = mx_matmul(a, a, s1);                      /* written on s1 ... */
        mx_array *one = mx_array_scalar_f64(1.0, MX_FLOAT32);
        mx_array *q = mx_add(p, one, s2);                       /* ... read on s2 */
        mx_array *both[2] = {q, p};
        CHECK(mx_eval(both, 2) == MX_OK);
        float *pv = host(p), *qv = host(q);
        CHECK(pv && qv);
        int64_t bad = 0;
        for (int64_t i = 0; pv && qv && i < (int64_t)N * N; i++) bad += qv[i] != pv[i] + 1.0f;
        CHECK(bad == 0);
        free(pv), free(qv);
        mx_array_release(p), mx_array_release(q), mx_array_release(one);
    }
    mx_array_release(a);
}

TEST(freed_block_reused_by_another_stream) {
    if (!have_gpu()) return;
    mx_stream s1 = new_gpu_stream(), s2 = new_gpu_stream();
    mx_array *a = random_matrix(2, s1);
    for (int round = 0; round < 4; round++) {
        int64_t sh[1] = {N};
        mx_array *t = mx_ones(sh, 1, MX_FLOAT32, s1);
        CHECK(mx_eval(&t, 1) == MX_OK);
        mx_array *rs = slow_rowsum(a, s1);
        mx_array *z = mx_add(rs, t, s1); /* reads t after the long matmul */
        mx_array_release(t);             /* the add node holds the last reference */
        CHECK(mx_async_eval(&z, 1) == MX_OK);
        for (int spin = 0; spin < 200000 && !mx_array_is_evaluated(z); spin++) usleep(10);
        /* t's block is back in the cache while s1 may still be in its matmul: s2 takes a block of
         * the same size and overwrites it */
        mx_array *seven = mx_array_scalar_f64(7.0, MX_FLOAT32);
        mx_array *w = mx_full(sh, 1, seven, MX_FLOAT32, s2);
        mx_array *w2 = mx_multiply(w, seven, s2);
        CHECK(mx_eval(&w2, 1) == MX_OK);
        mx_array *both[2] = {z, rs};
        CHECK(mx_eval(both, 2) == MX_OK);
        float *zv = host(z), *rv = host(rs), *wv = host(w2);
        CHECK(zv && rv && wv);
        int64_t bad = 0;
        for (int64_t i = 0; zv && rv && wv && i < N; i++)
            bad += (zv[i] != rv[i] + 1.0f) + (wv[i] != 49.0f);
        CHECK(bad == 0);
        free(zv), free(rv), free(wv);
        mx_array_release(z), mx_array_release(rs), mx_array_release(w), mx_array_release(w2);
        mx_array_release(seven);
    }
    mx_array_release(a);
}

TEST(in_place_write_waits_for_readers_on_other_streams) {
    if (!have_gpu()) return;
    mx_stream s1 = new_gpu_stream(), s2 = new_gpu_stream();
    mx_array *a = random_matrix(3, s1);
    for (int round = 0; round < 4; round++) {
        mx_array *x = mx_arange(0, N, 1, MX_FLOAT32, s2);
        CHECK(mx_eval(&x, 1) == MX_OK);
        mx_array *rs = slow_rowsum(a, s1);
        CHECK(mx_eval(&rs, 1) == MX_OK);
        mx_array *rs2 = slow_rowsum(a, s1);
        mx_array *y = mx_add(rs2, x, s1); /* s1 reads x behind a long matmul */
        mx_array *three = mx_array_scalar_f64(3.0, MX_FLOAT32);
        mx_array *x3 = mx_multiply(x, three, s2); /* may reuse x's bytes once y is queued */
        mx_array_release(x), mx_array_release(rs2);
        mx_array *both[2] = {y, x3};
        CHECK(mx_eval(both, 2) == MX_OK);
        float *yv = host(y), *rv = host(rs), *xv = host(x3);
        CHECK(yv && rv && xv);
        int64_t bad = 0;
        for (int64_t i = 0; yv && rv && xv && i < N; i++)
            bad += (yv[i] != rv[i] + (float)i) + (xv[i] != 3.0f * (float)i);
        CHECK(bad == 0);
        free(yv), free(rv), free(xv);
        mx_array_release(y), mx_array_release(rs), mx_array_release(x3), mx_array_release(three);
    }
    mx_array_release(a);
}

TEST(more_streams_than_queues_and_synchronize) {
    if (!have_gpu()) return;
    enum { NS = 72 };
    mx_array *r[NS];
    mx_stream s[NS];
    for (int i = 0; i < NS; i++) {
        s[i] = new_gpu_stream();
        mx_array *x = mx_arange(0, 1000, 1, MX_FLOAT32, s[i]);
        mx_array *k = mx_array_scalar_f64((double)i, MX_FLOAT32);
        r[i] = mx_add(x, k, s[i]);
        mx_array_release(x), mx_array_release(k);
    }
    /* a chain through every stream: r[i] += r[i - 1] read on stream i */
    for (int i = 1; i < NS; i++) {
        mx_array *t = mx_add(r[i], r[i - 1], s[i]);
        mx_array_release(r[i]);
        r[i] = t;
    }
    CHECK(mx_async_eval(&r[NS - 1], 1) == MX_OK);
    for (int i = 0; i < NS; i++) CHECK(mx_synchronize(s[i]) == MX_OK);
    float *v = host(r[NS - 1]);
    CHECK(v != NULL);
    /* r[i][j] = sum_{k<=i} (j + k) = (i + 1) j + i (i + 1) / 2 */
    int64_t bad = 0;
    for (int j = 0; v && j < 1000; j++)
        bad += v[j] != (float)((NS) * (double)j + (NS - 1) * NS / 2.0);
    CHECK(bad == 0);
    free(v);
    for (int i = 0; i < NS; i++) mx_array_release(r[i]);
}

TEST(cpu_and_gpu_streams_hand_off) {
    if (!have_gpu()) return;
    mx_stream g1 = new_gpu_stream(), g2 = new_gpu_stream();
    mx_stream c = mx_stream_of_device(MX_CPU);
    mx_array *a = random_matrix(4, g1);
    mx_array *rs = slow_rowsum(a, g1);                      /* GPU */
    mx_array *e = mx_negative(rs, c);                       /* CPU reads it */
    mx_array *two = mx_array_scalar_f64(2.0, MX_FLOAT32);
    mx_array *f = mx_multiply(e, two, g2);                  /* GPU (other stream) reads that */
    CHECK(mx_eval(&f, 1) == MX_OK);
    float *rv = host(rs), *fv = host(f);
    CHECK(rv && fv);
    int64_t bad = 0;
    for (int i = 0; rv && fv && i < N; i++) bad += fv[i] != -2.0f * rv[i];
    CHECK(bad == 0);
    free(rv), free(fv);
    mx_array_release(a), mx_array_release(rs), mx_array_release(e), mx_array_release(two);
    mx_array_release(f);
}

TEST(async_eval_on_two_streams_at_once) {
    if (!have_gpu()) return;
    mx_stream s1 = new_gpu_stream(), s2 = new_gpu_stream();
    mx_array *a = random_matrix(5, s1), *b = random_matrix(6, s2);
    mx_array *ra = slow_rowsum(a, s1), *rb = slow_rowsum(b, s2);
    CHECK(mx_async_eval(&ra, 1) == MX_OK);
    CHECK(mx_async_eval(&rb, 1) == MX_OK);
    mx_array *both[2] = {ra, rb};
    CHECK(mx_eval(both, 2) == MX_OK);
    /* the same sums computed again on the default GPU stream agree exactly */
    mx_stream g = mx_stream_of_device(MX_GPU);
    mx_array *ra2 = slow_rowsum(a, g), *rb2 = slow_rowsum(b, g);
    mx_array *again[2] = {ra2, rb2};
    CHECK(mx_eval(again, 2) == MX_OK);
    float *v[4] = {host(ra), host(ra2), host(rb), host(rb2)};
    CHECK(v[0] && v[1] && v[2] && v[3]);
    int64_t bad = 0;
    for (int i = 0; v[0] && v[1] && v[2] && v[3] && i < N; i++)
        bad += (v[0][i] != v[1][i]) + (v[2][i] != v[3][i]);
    CHECK(bad == 0);
    for (int i = 0; i < 4; i++) free(v[i]);
    mx_array_release(a), mx_array_release(b), mx_array_release(ra), mx_array_release(rb);
    mx_array_release(ra2), mx_array_release(rb2);
}

/* Large moves go through the pinned staging chunks (16 MiB each, from 4 MiB up): sizes below, at
 * and across chunk boundaries, both directions, checked exactly. */
TEST(large_moves_through_pinned_staging) {
    if (!have_gpu()) return;
    const int64_t sizes[] = {(4 << 20) - 1, 4 << 20, (16 << 20) + 7, (40 << 20) + 13};
    for (int k = 0; k < 4; k++) {
        int64_t n = sizes[k];
        uint8_t *h = malloc((size_t)n), *back = malloc((size_t)n);
        CHECK(h && back);
        if (!h || !back) {
            free(h), free(back);
            return;
        }
        for (int64_t i = 0; i < n; i++) h[i] = (uint8_t)((i * 2654435761u) >> 13);
        mx_array *x = mx_array_from_data(h, &n, 1, MX_UINT8);       /* host bytes */
        mx_array *one = mx_array_scalar_i64(1, MX_UINT8);
        mx_array *y = mx_add(x, one, mx_stream_of_device(MX_GPU));   /* host -> device */
        CHECK(mx_eval(&y, 1) == MX_OK);
        CHECK(mx_array_copy_to(y, back) == MX_OK);                    /* device -> host */
        int64_t bad = 0;
        for (int64_t i = 0; i < n; i++) bad += back[i] != (uint8_t)(h[i] + 1);
        CHECK(bad == 0);
        /* and a CPU kernel reading the GPU result, then the GPU reading that again */
        mx_array *z = mx_add(y, one, mx_stream_of_device(MX_CPU));
        mx_array *w = mx_add(z, one, mx_stream_of_device(MX_GPU));
        CHECK(mx_array_copy_to(w, back) == MX_OK);
        bad = 0;
        for (int64_t i = 0; i < n; i++) bad += back[i] != (uint8_t)(h[i] + 3);
        CHECK(bad == 0);
        mx_array_release(x), mx_array_release(one), mx_array_release(y), mx_array_release(z);
        mx_array_release(w);
        free(h), free(back);
    }
}
