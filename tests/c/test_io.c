/* tests/c/test_io.c: .npy and safetensors round trips, and malformed files give MX_ERR_IO. */
#define FAMILY "io"
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

#define S MX_DEFAULT_STREAM

static void tmp_path(char *buf, size_t n, const char *ext) {
    snprintf(buf, n, "/tmp/cmlx_test_%d_%s", (int)getpid(), ext);
}

static void write_file(const char *p, const void *d, size_t n) {
    FILE *f = fopen(p, "wb");
    fwrite(d, 1, n, f);
    fclose(f);
}

TEST(npy_round_trip_all_dtypes) {
    char path[256];
    tmp_path(path, sizeof path, "a.npy");
    for (int t = 0; t < MX_NUM_DTYPES; t++) {
        mx_array *x = mx_arange(0, 6, 1, MX_FLOAT32, S);
        int64_t sh[2] = {2, 3};
        mx_array *r = mx_reshape(x, sh, 2, S);
        mx_array *tr = mx_transpose(r, NULL, 0, S); /* strided: saved in row-major order */
        mx_array *c = mx_astype(tr, (mx_dtype)t, t_stream_for((mx_dtype)t)); /* float64: CPU */
        CHECK(mx_save_npy(path, c) == MX_OK);
        mx_array *l = mx_load_npy(path);
        CHECK(l && mx_array_dtype(l) == (mx_dtype)t);
        int64_t want[2] = {3, 2};
        CHECK(t_shape_is(l, want, 2));
        double a[6], b[6];
        CHECK(t_read(c, a, 6) == 6 && t_read(l, b, 6) == 6);
        for (int i = 0; i < 6; i++) CHECK(a[i] == b[i]);
        mx_array *arr[5] = {x, r, tr, c, l};
        for (int i = 0; i < 5; i++) mx_array_release(arr[i]);
    }
    unlink(path);
}

TEST(npy_fortran_and_bigendian) {
    /* hand-made header: big-endian int16, fortran order, shape (2, 2) */
    char hdr[128];
    memset(hdr, ' ', sizeof hdr);
    const char *dict = "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 2), }";
    memcpy(hdr, "\x93NUMPY\x01", 7);
    hdr[7] = 0;
    hdr[8] = 128 - 10;
    hdr[9] = 0;
    memcpy(hdr + 10, dict, strlen(dict));
    hdr[127] = '\n';
    unsigned char data[8] = {0, 1, 0, 2, 0, 3, 0, 4}; /* column-major 1 2 3 4 */
    unsigned char file[136];
    memcpy(file, hdr, 128);
    memcpy(file + 128, data, 8);
    mx_array *a = mx_load_npy_bytes(file, sizeof file, "mem");
    double v[4];
    CHECK(t_read(a, v, 4) == 4);
    CHECK(v[0] == 1 && v[1] == 3 && v[2] == 2 && v[3] == 4);
    mx_array_release(a);
    CHECK_ERR(mx_load_npy_bytes(file, 40, "mem"), MX_ERR_IO, "load");
    CHECK_ERR(mx_load_npy_bytes(file, 134, "mem"), MX_ERR_IO, "load");
    CHECK_ERR(mx_load_npy_bytes("garbage!!!!!", 12, "mem"), MX_ERR_IO, "load");
    CHECK_ERR(mx_load_npy("/nonexistent/x.npy"), MX_ERR_IO, "load");
}

TEST(safetensors_round_trip) {
    char path[256];
    tmp_path(path, sizeof path, "a.safetensors");
    mx_array *a = mx_arange(0, 12, 1, MX_FLOAT32, S);
    mx_array *b = mx_astype(a, MX_BFLOAT16, S);
    mx_array *c = mx_array_scalar_i64(-5, MX_INT64);
    const char *names[3] = {"w.0", "b\"q", "scalar"};
    mx_array *arrs[3] = {a, b, c};
    const char *mk[1] = {"format"}, *mv[1] = {"mlx"};
    CHECK(mx_save_safetensors(path, names, arrs, 3, mk, mv, 1) == MX_OK);
    mx_named_arrays na;
    CHECK(mx_load_safetensors(path, &na) == MX_OK);
    CHECK(na.n == 3 && na.n_meta == 1);
    CHECK(na.n_meta == 1 && strcmp(na.meta_keys[0], "format") == 0 && strcmp(na.meta_values[0], "mlx") == 0);
    for (int i = 0; i < na.n; i++) {
        int k = strcmp(na.names[i], "w.0") == 0 ? 0 : strcmp(na.names[i], "b\"q") == 0 ? 1 : 2;
        CHECK(mx_array_dtype(na.arrays[i]) == mx_array_dtype(arrs[k]));
        CHECK(mx_array_size(na.arrays[i]) == mx_array_size(arrs[k]));
        double x[12], y[12];
        int64_t n = t_read(na.arrays[i], x, 12);
        t_read(arrs[k], y, 12);
        for (int j = 0; j < n; j++) CHECK(x[j] == y[j]);
    }
    /* arrays outlive the struct's other parts: keep one, free the rest, read again */
    mx_array *keep = mx_array_retain(na.arrays[0]);
    mx_named_arrays_free(&na);
    double v[12];
    CHECK(t_read(keep, v, 12) == 12);
    mx_array_release(keep);
    mx_array_release(a);
    mx_array_release(b);
    mx_array_release(c);
    unlink(path);
}

TEST(safetensors_corrupt_files) {
    char path[256];
    tmp_path(path, sizeof path, "bad.safetensors");
    mx_named_arrays na;
    write_file(path, "abc", 3);
    CHECK_ERR(mx_load_safetensors(path, &na), MX_ERR_IO, "load_safetensors");
    unsigned char big[16] = {0xff, 0xff, 0, 0, 0, 0, 0, 0, '{', '}'};
    write_file(path, big, sizeof big);
    CHECK_ERR(mx_load_safetensors(path, &na), MX_ERR_IO, "load_safetensors");
    const char *js = "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
    unsigned char buf[128] = {0};
    size_t L = strlen(js);
    buf[0] = (unsigned char)L;
    memcpy(buf + 8, js, L);
    write_file(path, buf, 8 + L + 8); /* 8 of the 16 data bytes: truncated */
    CHECK_ERR(mx_load_safetensors(path, &na), MX_ERR_IO, "load_safetensors");
    const char *js2 = "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]";
    L = strlen(js2);
    buf[0] = (unsigned char)L;
    memcpy(buf + 8, js2, L);
    write_file(path, buf, 8 + L);
    CHECK_ERR(mx_load_safetensors(path, &na), MX_ERR_IO, "load_safetensors");
    const char *js3 = "{\"x\":{\"dtype\":\"Q9\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    L = strlen(js3);
    buf[0] = (unsigned char)L;
    memcpy(buf + 8, js3, L);
    write_file(path, buf, 8 + L + 4);
    CHECK_ERR(mx_load_safetensors(path, &na), MX_ERR_IO, "load_safetensors");
    CHECK_ERR(mx_load_safetensors("/nonexistent.safetensors", &na), MX_ERR_IO, "load_safetensors");
    unlink(path);
}
