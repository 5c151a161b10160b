/* src/io/npy.c: NumPy .npy files (format versions 1-3): save, load from a path, parse from memory.
 * Header: magic "\x93NUMPY", version, header length, a Python-dict literal with descr,
 * fortran_order and shape. bfloat16 uses descr '<V2' (as MLX). Big-endian data is byte-swapped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/core.h"
#include "mx/io.h"

static const char *descr_of(mx_dtype t) {
    static const char *d[MX_NUM_DTYPES] = {
        [MX_BOOL] = "|b1",    [MX_UINT8] = "|u1",   [MX_UINT16] = "<u2",  [MX_UINT32] = "<u4",
        [MX_UINT64] = "<u8",  [MX_INT8] = "|i1",    [MX_INT16] = "<i2",   [MX_INT32] = "<i4",
        [MX_INT64] = "<i8",   [MX_FLOAT16] = "<f2", [MX_FLOAT32] = "<f4", [MX_FLOAT64] = "<f8",
        [MX_BFLOAT16] = "<V2", [MX_COMPLEX64] = "<c8"};
    return d[t];
}

/* descr like "<f4", "|u1", ">i8", "f4" -> dtype and whether bytes must be swapped */
static int parse_descr(const char *d, mx_dtype *t, int *swap) {
    char order = '=';
    if (*d == '<' || *d == '>' || *d == '|' || *d == '=') order = *d++;
    *swap = order == '>';
    static const struct {
        const char *code;
        mx_dtype    t;
    } map[] = {{"b1", MX_BOOL},    {"u1", MX_UINT8},   {"u2", MX_UINT16},  {"u4", MX_UINT32},
               {"u8", MX_UINT64},  {"i1", MX_INT8},    {"i2", MX_INT16},   {"i4", MX_INT32},
               {"i8", MX_INT64},   {"f2", MX_FLOAT16}, {"f4", MX_FLOAT32}, {"f8", MX_FLOAT64},
               {"V2", MX_BFLOAT16}, {"c8", MX_COMPLEX64}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(d, map[i].code) == 0) {
            *t = map[i].t;
            if (mx_dtype_size(*t) == 1) *swap = 0;
            return 1;
        }
    return 0;
}

static mx_status build_header(mx_array *a, char *hdr, size_t cap, size_t *len) {
    char shape[512] = "";
    size_t k = 0;
    int nd = mx_array_ndim(a);
    for (int i = 0; i < nd; i++)
        k += (size_t)snprintf(shape + k, sizeof shape - k, "%lld%s", (long long)mx_array_shape(a)[i],
                              (nd == 1 || i < nd - 1) ? ", " : "");
    if (nd == 1) shape[k - 1] = 0; /* "(3,)" */
    int n = snprintf(hdr + 10, cap - 10, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                     descr_of(mx_array_dtype(a)), shape);
    size_t total = 10 + (size_t)n + 1;
    size_t padded = (total + 63) / 64 * 64;
    MX_CHECK(padded <= cap && padded - 10 <= 65535, MX_ERR_VALUE, "[save] header too long");
    memset(hdr + 10 + n, ' ', padded - total);
    hdr[padded - 1] = '\n';
    memcpy(hdr, "\x93NUMPY\x01\x00", 8);
    hdr[8] = (char)((padded - 10) & 0xff);
    hdr[9] = (char)((padded - 10) >> 8);
    *len = padded;
    return MX_OK;
}

mx_status mx_npy_bytes(mx_array *a, void **out, size_t *n) {
    MX_CHECK(a != NULL, MX_ERR_VALUE, "[save] array is NULL");
    char hdr[1024];
    size_t hl = 0;
    MX_TRY(mx_array_wait(a));
    MX_TRY(build_header(a, hdr, sizeof hdr, &hl));
    size_t nb = mx_array_nbytes(a);
    char *buf = malloc(hl + nb + 1);
    MX_CHECK(buf != NULL, MX_ERR_NOMEM, "[save] out of memory");
    memcpy(buf, hdr, hl);
    mx_status st = mx_array_copy_to(a, buf + hl);
    if (st != MX_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    *n = hl + nb;
    return MX_OK;
}

mx_status mx_save_npy(const char *path, mx_array *a) {
    void *buf;
    size_t n;
    MX_TRY(mx_npy_bytes(a, &buf, &n));
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(buf);
        return mx_fail(MX_ERR_IO, "[save] cannot open '%s' for writing", path);
    }
    size_t w = fwrite(buf, 1, n, f);
    int rc = fclose(f);
    free(buf);
    MX_CHECK(w == n && rc == 0, MX_ERR_IO, "[save] failed writing '%s'", path);
    return MX_OK;
}

/* find `'key':` in the header dict and return a pointer just after the colon */
static const char *find_key(const char *h, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(h, pat);
    if (!p) {
        snprintf(pat, sizeof pat, "\"%s\"", key);
        p = strstr(h, pat);
    }
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    return *p == ':' ? p + 1 : NULL;
}

static void swap_bytes(char *p, int64_t n, size_t isz, mx_dtype t) {
    size_t unit = t == MX_COMPLEX64 ? 4 : isz; /* complex: swap each float */
    int64_t count = n * (int64_t)(isz / unit);
    for (int64_t i = 0; i < count; i++) {
        char *e = p + i * (int64_t)unit;
        for (size_t a = 0, b = unit - 1; a < b; a++, b--) {
            char c = e[a];
            e[a] = e[b];
            e[b] = c;
        }
    }
}

mx_array *mx_load_npy_bytes(const void *data, size_t n, const char *what) {
    const unsigned char *d = data;
    MX_CHECK_NULL(n >= 10 && memcmp(d, "\x93NUMPY", 6) == 0, MX_ERR_IO,
                  "[load] '%s' is not an .npy file (bad magic)", what);
    int major = d[6];
    size_t hl, off;
    if (major == 1) {
        hl = (size_t)d[8] | (size_t)d[9] << 8;
        off = 10;
    } else {
        MX_CHECK_NULL(major <= 3 && n >= 12, MX_ERR_IO, "[load] '%s': unsupported .npy version %d", what, major);
        hl = (size_t)d[8] | (size_t)d[9] << 8 | (size_t)d[10] << 16 | (size_t)d[11] << 24;
        off = 12;
    }
    MX_CHECK_NULL(hl <= n - off && hl < (1u << 20), MX_ERR_IO, "[load] '%s': truncated header", what);
    char *h = malloc(hl + 1);
    MX_CHECK_NULL(h != NULL, MX_ERR_NOMEM, "[load] out of memory");
    memcpy(h, d + off, hl);
    h[hl] = 0;
    mx_dtype t = MX_FLOAT32;
    int swap = 0, fortran = 0, nd = 0;
    int64_t shape[MX_MAX_DIMS];
    const char *p = find_key(h, "descr"), *err = NULL;
    char descr[16] = "";
    if (p) {
        while (*p == ' ') p++;
        char q = *p++;
        size_t k = 0;
        while (*p && *p != q && k < sizeof descr - 1) descr[k++] = *p++;
        descr[k] = 0;
    }
    if (!p || !parse_descr(descr, &t, &swap)) err = "unsupported or missing descr";
    p = err ? NULL : find_key(h, "fortran_order");
    if (!err && p) {
        while (*p == ' ') p++;
        fortran = strncmp(p, "True", 4) == 0;
    }
    p = err ? NULL : find_key(h, "shape");
    if (!err && !p) err = "missing shape";
    if (!err) {
        while (*p == ' ') p++;
        if (*p++ != '(') err = "malformed shape";
        while (!err && *p && *p != ')') {
            while (*p == ' ' || *p == ',') p++;
            if (*p == ')') break;
            char *e;
            long long v = strtoll(p, &e, 10);
            if (e == p || v < 0 || nd >= MX_MAX_DIMS) err = "malformed shape";
            else shape[nd++] = v;
            p = e;
        }
    }
    free(h);
    MX_CHECK_NULL(!err, MX_ERR_IO, "[load] '%s': %s", what, err);
    MX_CHECK_NULL(mx_check_shape("load", shape, nd) == MX_OK, MX_ERR_IO, "[load] '%s': bad shape", what);
    size_t isz = mx_dtype_size(t);
    int64_t cnt = 1;
    for (int i = 0; i < nd; i++) cnt *= shape[i];
    size_t nb = (size_t)cnt * isz;
    MX_CHECK_NULL(nb <= n - off - hl, MX_ERR_IO, "[load] '%s': truncated data (%zu of %zu bytes)",
                  what, n - off - hl, nb);
    mx_layout v = {0};
    mx_meta_set(&v.m, t, shape, nd);
    if (mx_layout_alloc(&v) != MX_OK) return NULL;
    memcpy(v.buf->ptr, d + off + hl, nb);
    if (swap) swap_bytes(v.buf->ptr, cnt, isz, t);
    if (fortran && nd > 1) {
        int64_t st = 1;
        for (int i = 0; i < nd; i++) {
            v.strides[i] = st;
            st *= shape[i];
        }
        mx_layout_update_flags(&v);
    }
    return mx_array_from_view(&v);
}

mx_array *mx_load_npy(const char *path) {
    FILE *f = fopen(path, "rb");
    MX_CHECK_NULL(f != NULL, MX_ERR_IO, "[load] cannot open '%s'", path);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = sz > 0 ? malloc((size_t)sz) : NULL;
    size_t got = buf ? fread(buf, 1, (size_t)sz, f) : 0;
    fclose(f);
    if (!buf || got != (size_t)sz) {
        free(buf);
        mx_fail(MX_ERR_IO, "[load] cannot read '%s'", path);
        return NULL;
    }
    mx_array *a = mx_load_npy_bytes(buf, (size_t)sz, path);
    free(buf);
    return a;
}

void mx_named_arrays_free(mx_named_arrays *na) {
    if (!na) return;
    for (int i = 0; i < na->n; i++) {
        free(na->names[i]);
        mx_array_release(na->arrays[i]);
    }
    for (int i = 0; i < na->n_meta; i++) {
        free(na->meta_keys[i]);
        free(na->meta_values[i]);
    }
    free(na->names);
    free(na->arrays);
    free(na->meta_keys);
    free(na->meta_values);
    memset(na, 0, sizeof *na);
}
