/* src/io/safetensors.c: safetensors files. Layout: u64 little-endian header length N, N bytes of
 * JSON ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}), then
 * the data. Loading maps the file: each array points into the mapping (no copy when aligned),
 * and the mapping is unmapped when the last array using it is freed. */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/core.h"
#include "json.h"
#include "mx/io.h"

static const struct {
    const char *name;
    mx_dtype    t;
} st_types[] = {{"BOOL", MX_BOOL},   {"U8", MX_UINT8},       {"U16", MX_UINT16},
                {"U32", MX_UINT32},  {"U64", MX_UINT64},     {"I8", MX_INT8},
                {"I16", MX_INT16},   {"I32", MX_INT32},      {"I64", MX_INT64},
                {"F16", MX_FLOAT16}, {"BF16", MX_BFLOAT16},  {"F32", MX_FLOAT32},
                {"F64", MX_FLOAT64}, {"C64", MX_COMPLEX64},  {"F8_E4M3", MX_UINT8},
                {"F8_E8M0", MX_UINT8}};

static const char *st_name(mx_dtype t) {
    for (size_t i = 0; i < sizeof st_types / sizeof st_types[0]; i++)
        if (st_types[i].t == t) return st_types[i].name;
    return "?";
}

/* ---- saving ---- */
typedef struct sbuf {
    char  *p;
    size_t n, cap;
} sbuf;

static int sb_put(sbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->cap + n + 1) * 2;
        char *np = realloc(b->p, cap);
        if (!np) return 0;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 1;
}
static int sb_str(sbuf *b, const char *s) { return sb_put(b, s, strlen(s)); }
static int sb_json_str(sbuf *b, const char *s) {
    int ok = sb_put(b, "\"", 1);
    for (; *s && ok; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            ok = sb_put(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            ok = sb_put(b, esc, 6);
        } else {
            ok = sb_put(b, (const char *)&c, 1);
        }
    }
    return ok && sb_put(b, "\"", 1);
}

mx_status mx_save_safetensors(const char *path, const char *const *names, mx_array *const *arrays,
                              int n, const char *const *meta_keys, const char *const *meta_values,
                              int n_meta) {
    MX_TRY(mx_eval(arrays, n));
    sbuf h = {0};
    int ok = sb_str(&h, "{");
    if (n_meta > 0) {
        ok = ok && sb_str(&h, "\"__metadata__\":{");
        for (int i = 0; i < n_meta && ok; i++) {
            ok = (i == 0 || sb_str(&h, ",")) && sb_json_str(&h, meta_keys[i]) && sb_str(&h, ":") &&
                 sb_json_str(&h, meta_values[i]);
        }
        ok = ok && sb_str(&h, "}");
    }
    size_t off = 0;
    for (int i = 0; i < n && ok; i++) {
        MX_CHECK(arrays[i] != NULL, MX_ERR_VALUE, "[save_safetensors] array '%s' is NULL", names[i]);
        char tmp[96];
        ok = ((n_meta == 0 && i == 0) || sb_str(&h, ",")) && sb_json_str(&h, names[i]) &&
             sb_str(&h, ":{\"dtype\":\"") && sb_str(&h, st_name(mx_array_dtype(arrays[i]))) &&
             sb_str(&h, "\",\"shape\":[");
        for (int d = 0; d < mx_array_ndim(arrays[i]) && ok; d++) {
            snprintf(tmp, sizeof tmp, "%s%lld", d ? "," : "", (long long)mx_array_shape(arrays[i])[d]);
            ok = sb_str(&h, tmp);
        }
        size_t nb = mx_array_nbytes(arrays[i]);
        snprintf(tmp, sizeof tmp, "],\"data_offsets\":[%zu,%zu]}", off, off + nb);
        ok = ok && sb_str(&h, tmp);
        off += nb;
    }
    ok = ok && sb_str(&h, "}");
    while (ok && h.n % 8) ok = sb_str(&h, " ");
    if (!ok) {
        free(h.p);
        return mx_fail(MX_ERR_NOMEM, "[save_safetensors] out of memory");
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(h.p);
        return mx_fail(MX_ERR_IO, "[save_safetensors] cannot open '%s' for writing", path);
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)h.n >> (8 * i));
    int wok = fwrite(len8, 1, 8, f) == 8 && fwrite(h.p, 1, h.n, f) == h.n;
    free(h.p);
    for (int i = 0; i < n && wok; i++) {
        size_t nb = mx_array_nbytes(arrays[i]);
        if (!nb) continue;
        if (mx_array_is_row_contiguous(arrays[i])) {
            wok = fwrite(mx_array_data(arrays[i]), 1, nb, f) == nb;
        } else {
            void *tmp = malloc(nb);
            wok = tmp && mx_array_copy_to(arrays[i], tmp) == MX_OK && fwrite(tmp, 1, nb, f) == nb;
            free(tmp);
        }
    }
    int rc = fclose(f);
    MX_CHECK(wok && rc == 0, MX_ERR_IO, "[save_safetensors] failed writing '%s'", path);
    return MX_OK;
}

/* ---- loading ---- */
typedef struct mapping {
    atomic_int refs;
    void      *base;
    size_t     len;
} mapping;

static void mapping_release(void *owner) {
    mapping *m = owner;
    if (atomic_fetch_sub(&m->refs, 1) == 1) {
        munmap(m->base, m->len);
        free(m);
    }
}

static mx_status fail_load(const char *path, const char *what) {
    return mx_fail(MX_ERR_IO, "[load_safetensors] '%s': %s", path, what);
}

mx_status mx_load_safetensors(const char *path, mx_named_arrays *out) {
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY);
    MX_CHECK(fd >= 0, MX_ERR_IO, "[load_safetensors] cannot open '%s'", path);
    struct stat stt;
    if (fstat(fd, &stt) != 0 || stt.st_size < 8) {
        close(fd);
        return fail_load(path, "file too small to be safetensors");
    }
    size_t len = (size_t)stt.st_size;
    void *base = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    MX_CHECK(base != MAP_FAILED, MX_ERR_IO, "[load_safetensors] cannot map '%s'", path);
    mapping *mp = malloc(sizeof *mp);
    if (!mp) {
        munmap(base, len);
        return mx_fail(MX_ERR_NOMEM, "[load_safetensors] out of memory");
    }
    atomic_init(&mp->refs, 1); /* ours, dropped at the end */
    mp->base = base;
    mp->len = len;
    const unsigned char *b = base;
    uint64_t hn = 0;
    for (int i = 0; i < 8; i++) hn |= (uint64_t)b[i] << (8 * i);
    mx_status st = MX_OK;
    mx_json *root = NULL;
    const char *jerr = NULL;
    if (hn > len - 8) st = fail_load(path, "header length exceeds the file size (truncated?)");
    else if (!(root = mx_json_parse((const char *)b + 8, (size_t)hn, &jerr)) || root->type != MX_JSON_OBJ)
        st = mx_fail(MX_ERR_IO, "[load_safetensors] '%s': bad JSON header (%s)", path,
                     jerr ? jerr : "not an object");
    size_t data0 = 8 + (size_t)hn, dlen = len - data0;
    int cap = root ? root->n : 0;
    if (st == MX_OK) {
        out->names = calloc((size_t)cap + 1, sizeof(char *));
        out->arrays = calloc((size_t)cap + 1, sizeof(mx_array *));
        out->meta_keys = calloc((size_t)cap + 1, sizeof(char *));
        out->meta_values = calloc((size_t)cap + 1, sizeof(char *));
        if (!out->names || !out->arrays || !out->meta_keys || !out->meta_values)
            st = mx_fail(MX_ERR_NOMEM, "[load_safetensors] out of memory");
    }
    for (mx_json *e = root ? root->child : NULL; e && st == MX_OK; e = e->next) {
        if (strcmp(e->key, "__metadata__") == 0) {
            if (e->type != MX_JSON_OBJ) {
                st = fail_load(path, "__metadata__ is not an object");
                break;
            }
            for (mx_json *m = e->child; m && st == MX_OK; m = m->next) {
                if (m->type != MX_JSON_STR) {
                    st = fail_load(path, "metadata values must be strings");
                    break;
                }
                if (out->n_meta >= cap) break;
                out->meta_keys[out->n_meta] = strdup(m->key);
                out->meta_values[out->n_meta] = strdup(m->str);
                out->n_meta++;
            }
            continue;
        }
        mx_json *dt = mx_json_get(e, "dtype"), *sh = mx_json_get(e, "shape"),
                *of = mx_json_get(e, "data_offsets");
        if (!dt || dt->type != MX_JSON_STR || !sh || sh->type != MX_JSON_ARR || !of ||
            of->type != MX_JSON_ARR || of->n != 2 || sh->n > MX_MAX_DIMS) {
            st = mx_fail(MX_ERR_IO, "[load_safetensors] '%s': malformed entry for '%s'", path, e->key);
            break;
        }
        mx_dtype t = MX_NUM_DTYPES;
        for (size_t i = 0; i < sizeof st_types / sizeof st_types[0]; i++)
            if (strcmp(dt->str, st_types[i].name) == 0) t = st_types[i].t;
        if (t == MX_NUM_DTYPES) {
            st = mx_fail(MX_ERR_IO, "[load_safetensors] '%s': unsupported dtype '%s' for '%s'", path,
                         dt->str, e->key);
            break;
        }
        int64_t shape[MX_MAX_DIMS];
        int nd = 0;
        __int128 cnt = 1;
        for (mx_json *d = sh->child; d; d = d->next) {
            if (d->type != MX_JSON_NUM || !d->is_int || d->inum < 0) {
                nd = -1;
                break;
            }
            shape[nd++] = d->inum;
            cnt *= d->inum;
        }
        mx_json *o0 = of->child, *o1 = o0->next;
        if (nd < 0 || o0->type != MX_JSON_NUM || o1->type != MX_JSON_NUM || !o0->is_int ||
            !o1->is_int || o0->inum < 0 || o1->inum < o0->inum || (uint64_t)o1->inum > dlen ||
            cnt * (__int128)mx_dtype_size(t) != (__int128)(o1->inum - o0->inum)) {
            st = mx_fail(MX_ERR_IO, "[load_safetensors] '%s': offsets or shape of '%s' do not match the data (truncated file?)",
                         path, e->key);
            break;
        }
        char *ptr = (char *)base + data0 + o0->inum;
        mx_array *a;
        if (((uintptr_t)ptr % mx_dtype_size(t)) == 0) {
            atomic_fetch_add(&mp->refs, 1);
            a = mx_array_wrap(ptr, shape, NULL, nd, t, mapping_release, mp);
            if (!a) mapping_release(mp);
        } else { /* misaligned data: copy it */
            a = mx_array_from_data(ptr, shape, nd, t);
        }
        if (!a) {
            st = mx_error_status();
            break;
        }
        out->names[out->n] = strdup(e->key);
        out->arrays[out->n] = mx_scope_keep(a);
        out->n++;
    }
    mx_json_free(root);
    mapping_release(mp);
    if (st != MX_OK) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", mx_error_message());
        mx_named_arrays_free(out);
        mx_fail(st, "%s", msg);
    }
    return st;
}
