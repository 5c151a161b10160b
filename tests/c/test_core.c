/* tests/c/test_core.c: arrays, scopes, release, eval, views, dtype promotion, memory. */
#define FAMILY "core"
#include <stdlib.h>

#include "harness.h"

#define S MX_DEFAULT_STREAM

TEST(from_data_and_item) {
    float v[6] = {1, 2, 3, 4, 5, 6};
    int64_t sh[2] = {2, 3};
    mx_array *a = t_f32(v, sh, 2);
    CHECK(mx_array_ndim(a) == 2 && mx_array_size(a) == 6 && mx_array_nbytes(a) == 24);
    double out[6];
    CHECK(t_read(a, out, 6) == 6);
    for (int i = 0; i < 6; i++) CHECK(out[i] == v[i]);
    double d;
    CHECK_ERR(mx_array_item_f64(a, &d), MX_ERR_VALUE, "item");
    mx_array *s = mx_array_scalar_i64(7, MX_INT32);
    int64_t iv;
    CHECK(mx_array_item_i64(s, &iv) == MX_OK && iv == 7);
    mx_array_release(s);
    mx_array_release(a);
}

TEST(bad_shapes) {
    int64_t sh[1] = {-1};
    CHECK_ERR(mx_array_from_data(NULL, sh, 1, MX_FLOAT32), MX_ERR_VALUE, "array");
    int64_t big[17] = {0};
    CHECK_ERR(mx_zeros(big, 17, MX_FLOAT32, S), MX_ERR_VALUE, "full");
    int64_t ok16[16];
    for (int i = 0; i < 16; i++) ok16[i] = 1;
    ok16[15] = 3;
    mx_array *z = mx_zeros(ok16, 16, MX_FLOAT32, S);
    double out[3];
    CHECK(t_read(z, out, 3) == 3 && out[2] == 0);
    mx_array_release(z);
}

TEST(scope_releases) {
    int64_t before = mx_debug_live_arrays();
    mx_scope sc = mx_scope_begin();
    mx_array *a = mx_arange(0, 10, 1, MX_FLOAT32, S);
    mx_array *b = mx_exp(mx_add(a, a, S), S);
    mx_array *keep = mx_scope_end(sc, b);
    CHECK(mx_eval(&keep, 1) == MX_OK); /* evaluation detaches: the graph behind keep is freed */
    CHECK(mx_debug_live_arrays() == before + 1);
    double out[10];
    CHECK(t_read(keep, out, 10) == 10);
    CHECK_CLOSE(out[3], exp(6.0), 1e-4, 1e-6);
    mx_array_release(keep);
    CHECK(mx_debug_live_arrays() == before);
}

TEST(million_node_chain) {
    /* building and freeing a chain of 1e6 nodes must not recurse */
    mx_array *x = mx_array_scalar_f64(0, MX_FLOAT32);
    mx_array *one = mx_array_scalar_f64(1, MX_FLOAT32);
    for (int i = 0; i < 1000000; i++) {
        mx_array *y = mx_add(x, one, S);
        mx_array_release(x);
        x = y;
    }
    CHECK(mx_debug_live_nodes() >= 1000000);
    mx_array_release(x); /* unevaluated: frees the whole chain */
    CHECK(mx_debug_live_nodes() == 0);
    /* and evaluated */
    x = mx_array_scalar_f64(0, MX_FLOAT32);
    for (int i = 0; i < 1000000; i++) {
        mx_array *y = mx_add(x, one, S);
        mx_array_release(x);
        x = y;
    }
    double v = 0;
    CHECK(mx_array_item_f64(x, &v) == MX_OK && v == 1000000.0);
    CHECK(mx_debug_live_nodes() == 0);
    mx_array_release(x);
    mx_array_release(one);
}

TEST(views_share_memory) {
    mx_array *a = mx_arange(0, 24, 1, MX_FLOAT32, S);
    int64_t sh[3] = {2, 3, 4};
    mx_array *r = mx_reshape(a, sh, 3, S);
    int perm[3] = {2, 0, 1};
    mx_array *t = mx_transpose(r, perm, 3, S);
    int64_t st[3] = {MX_SLICE_NONE, 2, 3}, en[3] = {MX_SLICE_NONE, MX_SLICE_NONE, MX_SLICE_NONE};
    int64_t sp[3] = {-1, -1, -2};
    mx_array *sl = mx_slice(t, st, en, sp, S); /* [::-1, 2::-1, 3::-2] of (4, 2, 3) */
    int64_t want[3] = {4, 2, 2};
    CHECK(t_shape_is(sl, want, 3));
    double out[16];
    CHECK(t_read(sl, out, 16) == 16);
    /* reference: t[i,j,k] = r[j,k,i] = 12 j + 4 k + i */
    int n = 0;
    for (int i = 3; i >= 0; i--)
        for (int j = 1; j >= 0; j--)
            for (int k = 2; k >= 0; k -= 2) CHECK(out[n++] == 12 * j + 4 * k + i);
    CHECK(mx_array_data(t) != NULL && mx_array_data(a) != NULL);
    /* transpose is a view of a's buffer: the first element is the same address */
    CHECK(mx_array_data(t) == mx_array_data(a));
    mx_array *arr[4] = {a, r, t, sl};
    for (int i = 0; i < 4; i++) mx_array_release(arr[i]);
}

TEST(broadcast_and_promotion) {
    int32_t iv[3] = {1, 2, 3};
    int64_t s3[1] = {3}, s21[2] = {2, 1};
    mx_array *a = t_i32(iv, s3, 1);
    float fv[2] = {10, 20};
    mx_array *b = t_f32(fv, s21, 2);
    mx_array *c = mx_add(a, b, S);
    CHECK(mx_array_dtype(c) == MX_FLOAT32);
    int64_t w[2] = {2, 3};
    CHECK(t_shape_is(c, w, 2));
    double out[6];
    t_read(c, out, 6);
    CHECK(out[0] == 11 && out[5] == 23);
    CHECK(mx_promote_types(MX_UINT64, MX_INT8) == MX_FLOAT32);
    CHECK(mx_promote_types(MX_UINT32, MX_INT16) == MX_INT64);
    CHECK(mx_promote_types(MX_FLOAT16, MX_BFLOAT16) == MX_FLOAT32);
    CHECK(mx_promote_types(MX_FLOAT64, MX_COMPLEX64) == MX_COMPLEX64);
    CHECK(mx_promote_types(MX_INT64, MX_FLOAT16) == MX_FLOAT16);
    int64_t s4[1] = {4};
    mx_array *d = mx_zeros(s4, 1, MX_FLOAT32, S);
    CHECK_ERR(mx_add(a, d, S), MX_ERR_VALUE, "add");
    mx_array *arr[4] = {a, b, c, d};
    for (int i = 0; i < 4; i++) mx_array_release(arr[i]);
}

TEST(memory_accounting) {
    mx_clear_cache();
    size_t a0 = mx_get_active_memory();
    int64_t sh[1] = {1000};
    mx_array *z = mx_zeros(sh, 1, MX_FLOAT32, S);
    mx_eval(&z, 1);
    CHECK(mx_get_active_memory() - a0 == 4000);
    mx_reset_peak_memory();
    CHECK(mx_get_peak_memory() == mx_get_active_memory());
    mx_array_release(z);
    CHECK(mx_get_active_memory() == a0);
    CHECK(mx_get_cache_memory() >= 4000);
    mx_clear_cache();
    CHECK(mx_get_cache_memory() == 0);
    size_t old = mx_set_cache_limit(0);
    z = mx_zeros(sh, 1, MX_FLOAT32, S);
    mx_eval(&z, 1);
    mx_array_release(z);
    CHECK(mx_get_cache_memory() == 0);
    mx_set_cache_limit(old);
}

TEST(donation_reuses_buffer) {
    int64_t sh[1] = {1 << 20};
    mx_array *x = mx_ones(sh, 1, MX_FLOAT32, S);
    mx_eval(&x, 1);
    const void *p = mx_array_data(x);
    mx_array *y = mx_exp(x, S);
    mx_array_release(x); /* now only y's node holds x: its buffer may be donated */
    CHECK(mx_eval(&y, 1) == MX_OK);
    CHECK(mx_array_data(y) == p);
    double v;
    mx_array *s = mx_slice(y, NULL, NULL, NULL, S);
    mx_array_release(s);
    int64_t one[1] = {0}, two[1] = {1}, st[1] = {1};
    mx_array *e = mx_slice(y, one, two, st, S);
    CHECK(mx_array_item_f64(e, &v) == MX_OK);
    CHECK_CLOSE(v, exp(1.0), 1e-6, 1e-6);
    mx_array_release(e);
    mx_array_release(y);
}

TEST(async_eval_and_streams) {
    mx_stream s2;
    mx_device cpu = {MX_CPU, 0};
    CHECK(mx_new_stream(cpu, &s2) == MX_OK);
    mx_array *a = mx_arange(0, 1000, 1, MX_FLOAT32, s2);
    mx_array *b = mx_multiply(a, a, S); /* consumes an array of another stream */
    CHECK(mx_async_eval(&b, 1) == MX_OK);
    double v[1000];
    CHECK(t_read(b, v, 1000) == 1000);
    CHECK(v[999] == 999.0 * 999.0);
    CHECK(mx_synchronize(s2) == MX_OK);
    CHECK(mx_synchronize(MX_DEFAULT_STREAM) == MX_OK); /* the worker drops its tape refs */
    mx_device gpu = {MX_GPU, 0};
    if (mx_device_is_available(gpu)) CHECK(mx_new_stream(gpu, &s2) == MX_OK);
    else CHECK_ERR(mx_new_stream(gpu, &s2), MX_ERR_VALUE, "new_stream");
    mx_array_release(a);
    mx_array_release(b);
}
