/* src/ops/random.c: mx.random: keys, the global key (mutex protected), RANDOM_BITS nodes, and the
 * distributions, written as ordinary ops on top of random bits the way MLX writes them (so that
 * the streams agree with MLX's).
 *
 * The global key lives as two host words while it is concrete, so drawing with key == NULL splits
 * it on the host (no graph grows, no array stays alive between draws). When Python/compile installs
 * an unevaluated array or a tracer with mx_random_set_state, the global key becomes that array and
 * draws split it lazily with RANDOM_BITS nodes, so a traced function carries the key through. */
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "../prims/random_params.h"
#include "ops_impl.h"

/* ---- the global key ---- */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static bool            g_init;   /* g_words set */
static uint32_t        g_words[2];
static mx_array       *g_lazy;   /* when non-NULL, the global key (owned) */

static void seed_words(uint64_t seed, uint32_t *w) {
    w[0] = (uint32_t)(seed >> 32);
    w[1] = (uint32_t)seed;
}

/* under g_lock */
static void ensure_init(void) {
    if (g_init) return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    seed_words((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec, g_words);
    g_init = true;
}

/* split(key) on the host, as RANDOM_BITS would fill a (2, 2) block: 4 words, half 2, counters
 * (0, 2) -> words 0, 2 and (1, 3) -> words 1, 3. Row 0 = w[0..1], row 1 = w[2..3]. */
static void host_split(const uint32_t *k, uint32_t *w) {
    uint32_t a[2] = {0, 2}, b[2] = {1, 3};
    mx_threefry2x32_20(k[0], k[1], a);
    mx_threefry2x32_20(k[0], k[1], b);
    w[0] = a[0];
    w[1] = b[0];
    w[2] = a[1];
    w[3] = b[1];
}

void mx_random_seed(uint64_t seed) {
    pthread_mutex_lock(&g_lock);
    seed_words(seed, g_words);
    g_init = true;
    mx_array *old = g_lazy;
    g_lazy = NULL;
    pthread_mutex_unlock(&g_lock);
    mx_array_release(old);
}

mx_array *mx_random_key(uint64_t seed) {
    uint32_t w[2];
    seed_words(seed, w);
    int64_t two = 2;
    return mx_array_from_data(w, &two, 1, MX_UINT32);
}

static mx_status check_key(const char *op, mx_array *key) {
    char sb[256];
    MX_CHECK(key->v.m.dtype == MX_UINT32, MX_ERR_VALUE,
             "[%s] Expected key type uint32 but received %s.", op, DN(key->v.m.dtype));
    MX_CHECK(key->v.m.ndim == 1 && key->v.m.shape[0] == 2, MX_ERR_VALUE,
             "[%s] Expected key shape (2) but received %s.", op,
             mx_shape_str(key->v.m.shape, key->v.m.ndim, sb, sizeof sb));
    return MX_OK;
}

/* A RANDOM_BITS node: keys (..., 2) uint32 -> keys.shape[:-1] + shape of `width`-byte words. */
static mx_array *bits_node(const char *op, mx_array *keys, const int64_t *shape, int ndim,
                           int width, mx_stream s) {
    mx_random_bits_params p;
    memset(&p, 0, sizeof p);
    p.width = width;
    p.ndim = ndim;
    int kb = keys->v.m.ndim - 1;
    MX_CHECK_NULL(kb + ndim <= MX_MAX_DIMS, MX_ERR_VALUE,
                  "[%s] arrays have at most %d dimensions, got %d", op, MX_MAX_DIMS, kb + ndim);
    int64_t osh[MX_MAX_DIMS];
    for (int i = 0; i < kb; i++) osh[i] = keys->v.m.shape[i];
    for (int i = 0; i < ndim; i++) osh[kb + i] = p.shape[i] = shape[i];
    mx_meta o = {0};
    mx_meta_set(&o, width == 1 ? MX_UINT8 : width == 2 ? MX_UINT16 : MX_UINT32, osh, kb + ndim);
    return mx_node_make1(MX_PRIM_RANDOM_BITS, &p, sizeof p, &keys, 1, &o, s);
}

/* The next key of the global sequence (scope-tracked like any op result). */
static mx_array *next_key(mx_stream s) {
    pthread_mutex_lock(&g_lock);
    mx_array *r = NULL;
    if (g_lazy) {
        mx_scope sc = mx_scope_begin();
        int64_t sh[2] = {2, 2}, two = 2;
        mx_array *ks = bits_node("random", g_lazy, sh, 2, 4, s);
        int64_t st0[2] = {0, 0}, sp0[2] = {1, 2}, st1[2] = {1, 0}, sp1[2] = {2, 2};
        mx_array *k0 = ks ? mx_reshape(mx_slice(ks, st0, sp0, NULL, s), &two, 1, s) : NULL;
        mx_array *k1 = ks ? mx_reshape(mx_slice(ks, st1, sp1, NULL, s), &two, 1, s) : NULL;
        if (k0 && k1) {
            mx_array *old = g_lazy;
            g_lazy = mx_scope_keep(k0);
            mx_array_release(old);
            r = mx_scope_end(sc, k1);
        } else {
            mx_scope_end(sc, NULL);
        }
    } else {
        ensure_init();
        uint32_t w[4];
        host_split(g_words, w);
        g_words[0] = w[0];
        g_words[1] = w[1];
        int64_t two = 2;
        r = mx_array_from_data(w + 2, &two, 1, MX_UINT32);
    }
    pthread_mutex_unlock(&g_lock);
    return r;
}

mx_array *mx_random_state(void) {
    pthread_mutex_lock(&g_lock);
    mx_array *r;
    if (g_lazy) {
        r = mx_scope_track(mx_array_retain(g_lazy));
    } else {
        ensure_init();
        int64_t two = 2;
        r = mx_array_from_data(g_words, &two, 1, MX_UINT32);
    }
    pthread_mutex_unlock(&g_lock);
    return r;
}

mx_status mx_random_set_state(mx_array *key) {
    MX_CHECK(key, MX_ERR_VALUE, "[random] the state key is NULL");
    MX_TRY(check_key("random", key));
    uint32_t w[2];
    bool concrete = !key->is_tracer && mx_array_is_evaluated(key);
    if (concrete) MX_TRY(mx_array_copy_to(key, w));
    pthread_mutex_lock(&g_lock);
    mx_array *old = g_lazy;
    if (concrete) {
        g_words[0] = w[0];
        g_words[1] = w[1];
        g_init = true;
        g_lazy = NULL;
    } else {
        g_lazy = mx_array_retain(key);
    }
    pthread_mutex_unlock(&g_lock);
    mx_array_release(old);
    return MX_OK;
}

/* key given: validate and use; NULL: the next global key. Call inside a scope, after all other
 * argument checks, so that a failing call does not advance the global key. */
static mx_array *use_key(mx_array *key, mx_stream s) { return key ? key : next_key(s); }

#define KEY_CHECK(op, key)                                                                         \
    do {                                                                                           \
        if ((key) && check_key(op, key) != MX_OK) return NULL;                                    \
    } while (0)

/* ---- bits and split ---- */
static mx_status check_width(const char *op, int width) {
    MX_CHECK(width == 1 || width == 2 || width == 4, MX_ERR_VALUE,
             "[%s] Bit width must be in {1, 2, 4} but got %d.", op, width);
    return MX_OK;
}

mx_array *mx_random_bits(const int64_t *shape, int ndim, int width, mx_array *key, mx_stream s) {
    KEY_CHECK("bits", key);
    if (check_width("bits", width) != MX_OK) return NULL;
    if (mx_check_shape("bits", shape, ndim) != MX_OK) return NULL;
    mx_scope sc = mx_scope_begin();
    mx_array *k = use_key(key, s);
    mx_array *r = k ? bits_node("bits", k, shape, ndim, width, s) : NULL;
    return mx_scope_end(sc, r);
}

mx_array *mx_random_bits_batched(mx_array *keys, const int64_t *shape, int ndim, int width,
                                 mx_stream s) {
    MX_ARG(keys, "bits");
    char sb[256];
    MX_CHECK_NULL(keys->v.m.dtype == MX_UINT32, MX_ERR_VALUE,
                  "[bits] Expected key type uint32 but received %s.", DN(keys->v.m.dtype));
    MX_CHECK_NULL(keys->v.m.ndim >= 1 && keys->v.m.shape[keys->v.m.ndim - 1] == 2, MX_ERR_VALUE,
                  "[bits] Expected keys of shape (..., 2) but received %s.",
                  mx_shape_str(keys->v.m.shape, keys->v.m.ndim, sb, sizeof sb));
    if (check_width("bits", width) != MX_OK) return NULL;
    if (mx_check_shape("bits", shape, ndim) != MX_OK) return NULL;
    return bits_node("bits", keys, shape, ndim, width, s);
}

mx_array *mx_random_split(mx_array *key, int num, mx_stream s) {
    MX_ARG(key, "split");
    if (check_key("split", key) != MX_OK) return NULL;
    MX_CHECK_NULL(num >= 0, MX_ERR_VALUE, "[split] num must be non-negative, got %d", num);
    int64_t sh[2] = {num, 2};
    return bits_node("split", key, sh, 2, 4, s);
}

/* ---- uniform ---- */
static bool is_real_float(mx_dtype t) {
    return t == MX_FLOAT16 || t == MX_BFLOAT16 || t == MX_FLOAT32 || t == MX_FLOAT64;
}

static mx_status check_out_shape(const char *op, const int64_t *shape, int ndim,
                                 const int64_t *ashape, int andim) {
    int64_t b[MX_MAX_DIMS];
    int nb;
    MX_TRY(mx_broadcast_shapes2(op, shape, ndim, ashape, andim, b, &nb));
    bool same = nb == ndim;
    for (int i = 0; same && i < nb; i++) same = b[i] == shape[i];
    char s1[256], s2[256];
    MX_CHECK(same, MX_ERR_VALUE, "[%s] Cannot generate random values of shape %s from broadcasted "
             "shape %s.", op, mx_shape_str(shape, ndim, s1, sizeof s1),
             mx_shape_str(b, nb, s2, sizeof s2));
    return MX_OK;
}

/* uniform(low, high) inside the caller's scope: arguments are validated here, then the key is
 * drawn. low/high are arrays (any dtype, cast to dtype). */
static mx_array *uniform_core(mx_array *low, mx_array *high, const int64_t *shape, int ndim,
                              mx_dtype dtype, mx_array *key, mx_stream s) {
    MX_CHECK_NULL(is_real_float(dtype), MX_ERR_VALUE,
                  "[uniform] Can only generate uniform numbers with real floating point type.");
    if (mx_check_shape("uniform", shape, ndim) != MX_OK) return NULL;
    mx_array *lo = mx_astype(low, dtype, s);
    mx_array *range = mx_subtract(mx_astype(high, dtype, s), lo, s);
    if (!range) return NULL;
    if (check_out_shape("uniform", shape, ndim, range->v.m.shape, range->v.m.ndim) != MX_OK)
        return NULL;
    /* values in [0, below_one(dtype)] from 32 random bits, then scaled */
    double upper;
    mx_dtype ut = MX_FLOAT32;
    switch (dtype) {
    case MX_FLOAT16: upper = 1.0 - 0x1p-11; break;  /* largest float16 below 1 */
    case MX_BFLOAT16: upper = 1.0 - 0x1p-8; break;  /* largest bfloat16 below 1 */
    case MX_FLOAT64: upper = nextafter(1.0, 0.0); ut = MX_FLOAT64; break;
    default: upper = (double)nextafterf(1.0f, 0.0f); break;
    }
    mx_array *k = use_key(key, s);
    if (!k) return NULL;
    mx_array *u = mx_divide(bits_node("uniform", k, shape, ndim, 4, s),
                            mx_array_scalar_f64(4294967295.0, ut), s);
    u = mx_astype(mx_minimum(u, mx_array_scalar_f64(upper, ut), s), dtype, s);
    return mx_add(mx_multiply(range, u, s), lo, s);
}

mx_array *mx_random_uniform(mx_array *low, mx_array *high, const int64_t *shape, int ndim,
                            mx_dtype dtype, mx_array *key, mx_stream s) {
    KEY_CHECK("uniform", key);
    if (dtype == MX_DTYPE_AUTO) dtype = MX_FLOAT32;
    mx_scope sc = mx_scope_begin();
    mx_dtype st = is_real_float(dtype) ? dtype : MX_FLOAT32;
    mx_array *lo = low ? low : mx_array_scalar_f64(0.0, st);
    mx_array *hi = high ? high : mx_array_scalar_f64(1.0, st);
    mx_array *r = uniform_core(lo, hi, shape, ndim, dtype, key, s);
    return mx_scope_end(sc, r);
}

/* ---- normal and friends ---- */
static mx_status check_bcast(const char *op, const int64_t *shape, int ndim, mx_array *a) {
    if (!a) return MX_OK;
    int64_t b[MX_MAX_DIMS];
    int nb;
    return mx_broadcast_shapes2(op, shape, ndim, a->v.m.shape, a->v.m.ndim, b, &nb);
}

mx_array *mx_random_normal(const int64_t *shape, int ndim, mx_dtype dtype, mx_array *loc,
                           mx_array *scale, mx_array *key, mx_stream s) {
    KEY_CHECK("normal", key);
    if (dtype == MX_DTYPE_AUTO) dtype = MX_FLOAT32;
    MX_CHECK_NULL(is_real_float(dtype) || dtype == MX_COMPLEX64, MX_ERR_VALUE,
                  "[normal] Can only generate normal numbers with floating point type, got %s.",
                  DN(dtype));
    if (mx_check_shape("normal", shape, ndim) != MX_OK) return NULL;
    if (check_bcast("normal", shape, ndim, loc) != MX_OK) return NULL;
    if (check_bcast("normal", shape, ndim, scale) != MX_OK) return NULL;
    mx_scope sc = mx_scope_begin();
    mx_array *lo = mx_array_scalar_f64((double)nextafterf(-1.0f, 0.0f), MX_FLOAT32);
    mx_array *hi = mx_array_scalar_f64(1.0, MX_FLOAT32);
    mx_array *r;
    if (dtype == MX_COMPLEX64) {
        MX_CHECK_NULL(ndim < MX_MAX_DIMS, MX_ERR_VALUE,
                      "[normal] complex samples need at most %d dimensions", MX_MAX_DIMS - 1);
        int64_t sh[MX_MAX_DIMS];
        memcpy(sh, shape, sizeof(int64_t) * (size_t)ndim);
        sh[ndim] = 2;
        int last = -1;
        r = mx_erfinv(uniform_core(lo, hi, sh, ndim + 1, MX_FLOAT32, key, s), s);
        r = mx_squeeze(mx_view(r, MX_COMPLEX64, s), &last, 1, s);
        if (scale) r = mx_multiply(scale, r, s);
        if (loc) r = mx_add(loc, r, s);
        return mx_scope_end(sc, r);
    }
    mx_array *u = uniform_core(lo, hi, shape, ndim, MX_FLOAT32, key, s);
    mx_array *applied = mx_array_scalar_f64(sqrt(2.0), dtype);
    if (scale) applied = mx_multiply(applied, mx_astype(scale, dtype, s), s);
    r = mx_multiply(applied, mx_astype(mx_erfinv(u, s), dtype, s), s);
    if (loc) r = mx_add(mx_astype(loc, dtype, s), r, s);
    return mx_scope_end(sc, r);
}

mx_array *mx_random_randint(mx_array *low, mx_array *high, const int64_t *shape, int ndim,
                            mx_dtype dtype, mx_array *key, mx_stream s) {
    MX_ARG(low, "randint");
    MX_ARG(high, "randint");
    KEY_CHECK("randint", key);
    if (dtype == MX_DTYPE_AUTO) dtype = MX_INT32;
    MX_CHECK_NULL(mx_dtype_valid((int)dtype) && !mx_dtype_is_inexact(dtype), MX_ERR_VALUE,
                  "[randint] randint only accepts integer dtypes and bool.");
    MX_CHECK_NULL(!mx_dtype_is_complex(low->v.m.dtype) && !mx_dtype_is_complex(high->v.m.dtype),
                  MX_ERR_VALUE, "[randint] low and high must be real, got %s and %s.",
                  DN(low->v.m.dtype), DN(high->v.m.dtype));
    mx_scope sc = mx_scope_begin();
    mx_array *u = uniform_core(low, high, shape, ndim, MX_FLOAT32, key, s);
    /* MLX truncates max(u, low); floor is the same for non-negative values and unbiased below 0 */
    mx_array *r = u ? mx_astype(mx_floor(mx_maximum(u, mx_astype(low, MX_FLOAT32, s), s), s),
                                dtype, s)
                    : NULL;
    return mx_scope_end(sc, r);
}

mx_array *mx_random_bernoulli(mx_array *p, const int64_t *shape, int ndim, mx_array *key,
                              mx_stream s) {
    KEY_CHECK("bernoulli", key);
    MX_CHECK_NULL(!p || mx_dtype_is_float(p->v.m.dtype), MX_ERR_VALUE,
                  "[bernoulli] bernoulli probability `p` must be a float type.");
    mx_scope sc = mx_scope_begin();
    if (!p) p = mx_array_scalar_f64(0.5, MX_FLOAT32);
    if (!p) return mx_scope_end(sc, NULL);
    if (!shape) {
        shape = p->v.m.shape;
        ndim = p->v.m.ndim;
    }
    mx_array *r = NULL;
    if (mx_check_shape("bernoulli", shape, ndim) == MX_OK &&
        check_out_shape("bernoulli", shape, ndim, p->v.m.shape, p->v.m.ndim) == MX_OK) {
        mx_array *k = use_key(key, s);
        /* p on the scale [0, nextafter(2^32)]: p >= 1 is always true, p <= 0 never */
        float up = nextafterf(4294967295.0f, 3.4e38f);
        if (k)
            r = mx_less(bits_node("bernoulli", k, shape, ndim, 4, s),
                        mx_multiply(p, mx_array_scalar_f64((double)up, MX_FLOAT32), s), s);
    }
    return mx_scope_end(sc, r);
}

mx_array *mx_random_truncated_normal(mx_array *lower, mx_array *upper, const int64_t *shape,
                                     int ndim, mx_dtype dtype, mx_array *key, mx_stream s) {
    MX_ARG(lower, "trunc_normal");
    MX_ARG(upper, "trunc_normal");
    KEY_CHECK("trunc_normal", key);
    if (dtype == MX_DTYPE_AUTO) dtype = MX_FLOAT32;
    MX_CHECK_NULL(is_real_float(dtype), MX_ERR_VALUE,
                  "[trunc_normal] trunc_normal only accepts floating point dtypes.");
    int64_t bsh[MX_MAX_DIMS];
    if (!shape) {
        if (mx_broadcast_shapes2("trunc_normal", lower->v.m.shape, lower->v.m.ndim,
                                 upper->v.m.shape, upper->v.m.ndim, bsh, &ndim) != MX_OK)
            return NULL;
        shape = bsh;
    }
    mx_scope sc = mx_scope_begin();
    mx_array *sqrt2 = mx_array_scalar_f64(sqrt(2.0), dtype);
    mx_array *lo = mx_astype(lower, dtype, s), *hi = mx_astype(upper, dtype, s);
    mx_array *a = mx_erf(mx_divide(lo, sqrt2, s), s);
    mx_array *b = mx_erf(mx_divide(hi, sqrt2, s), s);
    mx_array *r = (a && b) ? uniform_core(a, b, shape, ndim, dtype, key, s) : NULL;
    r = mx_multiply(sqrt2, mx_erfinv(r, s), s);
    r = mx_maximum(mx_minimum(hi, r, s), lo, s);
    return mx_scope_end(sc, r);
}

mx_array *mx_random_gumbel(const int64_t *shape, int ndim, mx_dtype dtype, mx_array *key,
                           mx_stream s) {
    KEY_CHECK("gumbel", key);
    if (dtype == MX_DTYPE_AUTO) dtype = MX_FLOAT32;
    MX_CHECK_NULL(is_real_float(dtype), MX_ERR_VALUE,
                  "[gumbel] Can only generate gumbel numbers with real floating point type.");
    mx_scope sc = mx_scope_begin();
    mx_array *u = uniform_core(mx_array_scalar_f64(0.0, dtype), mx_array_scalar_f64(1.0, dtype),
                               shape, ndim, dtype, key, s);
    mx_array *r = mx_negative(mx_log(mx_negative(mx_log(u, s), s), s), s);
    return mx_scope_end(sc, r);
}

mx_array *mx_random_laplace(const int64_t *shape, int ndim, mx_dtype dtype, double loc,
                            double scale, mx_array *key, mx_stream s) {
    KEY_CHECK("laplace", key);
    if (dtype == MX_DTYPE_AUTO) dtype = MX_FLOAT32;
    MX_CHECK_NULL(is_real_float(dtype), MX_ERR_VALUE,
                  "[laplace] Can only generate uniform numbers with real floating point type.");
    mx_scope sc = mx_scope_begin();
    mx_array *u = uniform_core(
        mx_array_scalar_f64((double)nextafterf(-1.0f, 0.0f), MX_FLOAT32),
        mx_array_scalar_f64(1.0, MX_FLOAT32), shape, ndim, MX_FLOAT32, key, s);
    /* inverse CDF: sign(u) * log1p(-|u|) (symmetric, so the sign convention does not matter) */
    mx_array *r = mx_multiply(
        mx_sign(u, s),
        mx_log1p(mx_multiply(mx_array_scalar_f64(-1.0, dtype), mx_abs(u, s), s), s), s);
    r = mx_astype(r, dtype, s);
    if (scale != 1.0) r = mx_multiply(mx_array_scalar_f64((double)(float)scale, dtype), r, s);
    if (loc != 0.0) r = mx_add(mx_array_scalar_f64((double)(float)loc, dtype), r, s);
    return mx_scope_end(sc, r);
}

/* ---- categorical, permutation, multivariate normal ---- */
static mx_array *categorical_impl(mx_array *logits, int axis, const int64_t *shape, int ndim,
                                  mx_array *key, mx_stream s) {
    int off = axis + ndim - logits->v.m.ndim + 1;
    MX_CHECK_NULL(ndim < MX_MAX_DIMS, MX_ERR_VALUE,
                  "[categorical] arrays have at most %d dimensions", MX_MAX_DIMS);
    int64_t g[MX_MAX_DIMS];
    for (int i = 0, j = 0; i <= ndim; i++) g[i] = i == off ? logits->v.m.shape[axis] : shape[j++];
    /* the gumbel sample must broadcast against the logits: checked before the key is drawn */
    int64_t b[MX_MAX_DIMS];
    int nb;
    if (mx_broadcast_shapes2("categorical", g, ndim + 1, logits->v.m.shape, logits->v.m.ndim, b,
                             &nb) != MX_OK)
        return NULL;
    mx_array *gum = mx_random_gumbel(g, ndim + 1, MX_FLOAT32, key, s);
    return mx_argmax(mx_add(gum, logits, s), off, false, false, s);
}

mx_array *mx_random_categorical(mx_array *logits, int axis, const int64_t *shape, int ndim,
                                int num_samples, mx_array *key, mx_stream s) {
    MX_ARG(logits, "categorical");
    KEY_CHECK("categorical", key);
    int nd = logits->v.m.ndim, ax = axis < 0 ? axis + nd : axis;
    MX_CHECK_NULL(ax >= 0 && ax < nd, MX_ERR_VALUE,
                  "[categorical] Invalid axis %d for logits with %d dimensions.", axis, nd);
    MX_CHECK_NULL(!(shape && num_samples > 0), MX_ERR_VALUE,
                  "[categorical] At most one of shape or num_samples can be specified.");
    MX_CHECK_NULL(num_samples >= 0, MX_ERR_VALUE,
                  "[categorical] num_samples must be non-negative, got %d.", num_samples);
    int64_t red[MX_MAX_DIMS];
    int nred = 0;
    for (int i = 0; i < nd; i++)
        if (i != ax) red[nred++] = logits->v.m.shape[i];
    mx_scope sc = mx_scope_begin();
    mx_array *r = NULL;
    if (shape) {
        if (mx_check_shape("categorical", shape, ndim) == MX_OK) {
            int64_t b[MX_MAX_DIMS];
            int nb;
            char s1[256], s2[256];
            bool ok = mx_broadcast_shapes2("categorical", shape, ndim, red, nred, b, &nb) == MX_OK;
            for (int i = 0; ok && i < nb; i++) ok = nb == ndim && b[i] == shape[i];
            if (!ok) {
                mx_error_clear();
                mx_fail(MX_ERR_VALUE, "[categorical] Requested shape %s is not broadcast "
                        "compatible with reduced logits shape %s.",
                        mx_shape_str(shape, ndim, s1, sizeof s1), mx_shape_str(red, nred, s2, sizeof s2));
            } else {
                r = categorical_impl(logits, ax, shape, ndim, key, s);
            }
        }
    } else if (num_samples > 0) {
        int last = -1;
        mx_array *l = mx_expand_dims(logits, &last, 1, s);
        if (l) {
            int64_t sh[MX_MAX_DIMS];
            int k = 0;
            for (int i = 0; i < l->v.m.ndim; i++)
                if (i != ax) sh[k++] = l->v.m.shape[i];
            sh[k - 1] = num_samples;
            r = categorical_impl(l, ax, sh, k, key, s);
        }
    } else {
        r = categorical_impl(logits, ax, red, nred, key, s);
    }
    return mx_scope_end(sc, r);
}

mx_array *mx_random_permutation_n(int64_t n, mx_array *key, mx_stream s) {
    KEY_CHECK("permutation", key);
    MX_CHECK_NULL(n >= 0, MX_ERR_VALUE, "[permutation] n must be non-negative, got %lld",
                  (long long)n);
    mx_scope sc = mx_scope_begin();
    mx_array *r = mx_argsort(mx_random_bits(&n, 1, 4, key, s), 0, false, s);
    return mx_scope_end(sc, r);
}

mx_array *mx_random_permutation(mx_array *x, int axis, mx_array *key, mx_stream s) {
    MX_ARG(x, "permutation");
    KEY_CHECK("permutation", key);
    int ax;
    if (mx_norm_axis("permutation", axis, x->v.m.ndim, &ax) != MX_OK) return NULL;
    mx_scope sc = mx_scope_begin();
    mx_array *r = mx_take(x, mx_random_permutation_n(x->v.m.shape[ax], key, s), ax, false, s);
    return mx_scope_end(sc, r);
}

mx_array *mx_random_multivariate_normal(mx_array *mean, mx_array *cov, const int64_t *shape,
                                        int ndim, mx_dtype dtype, mx_array *key, mx_stream s) {
    MX_ARG(mean, "multivariate_normal");
    MX_ARG(cov, "multivariate_normal");
    KEY_CHECK("multivariate_normal", key);
    if (dtype == MX_DTYPE_AUTO) dtype = MX_FLOAT32;
    MX_CHECK_NULL(dtype == MX_FLOAT32, MX_ERR_VALUE, "[multivariate_normal] dtype must be float32.");
    const mx_meta *mm = &mean->v.m, *cm = &cov->v.m;
    MX_CHECK_NULL(mm->ndim >= 1, MX_ERR_VALUE,
                  "[multivariate_normal] mean must have at least one dimension.");
    MX_CHECK_NULL(cm->ndim >= 2, MX_ERR_VALUE,
                  "[multivariate_normal] cov must have at least two dimensions.");
    int64_t n = mm->shape[mm->ndim - 1];
    MX_CHECK_NULL(cm->shape[cm->ndim - 1] == cm->shape[cm->ndim - 2], MX_ERR_VALUE,
                  "[multivariate_normal] last two dimensions of cov must be equal.");
    MX_CHECK_NULL(n == cm->shape[cm->ndim - 1], MX_ERR_VALUE,
                  "[multivariate_normal] mean and cov must have compatible shapes.");
    MX_CHECK_NULL(!mx_dtype_is_complex(mm->dtype) && !mx_dtype_is_complex(cm->dtype), MX_ERR_VALUE,
                  "[multivariate_normal] mean and cov must be real.");
    if (mx_check_shape("multivariate_normal", shape, ndim) != MX_OK) return NULL;
    int64_t o[MX_MAX_DIMS];
    int no;
    if (mx_broadcast_shapes2("multivariate_normal", cm->shape, cm->ndim - 2, mm->shape,
                             mm->ndim - 1, o, &no) != MX_OK ||
        mx_broadcast_shapes2("multivariate_normal", o, no, shape, ndim, o, &no) != MX_OK)
        return NULL;
    MX_CHECK_NULL(no < MX_MAX_DIMS, MX_ERR_VALUE,
                  "[multivariate_normal] arrays have at most %d dimensions", MX_MAX_DIMS);
    o[no++] = n;
    mx_scope sc = mx_scope_begin();
    mx_array *c32 = mx_astype(cov, MX_FLOAT32, s);
    mx_array *sq = c32 ? mx_make_like(MX_PRIM_RANDOM_COV_SQRT, NULL, 0, &c32, 1, &c32->v.m,
                                      MX_FLOAT32, s)
                       : NULL;
    mx_array *z = sq ? mx_random_normal(o, no, dtype, NULL, NULL, key, s) : NULL;
    int m2 = -2;
    mx_array *r = mx_squeeze(mx_matmul(mx_expand_dims(z, &m2, 1, s), sq, s), &m2, 1, s);
    r = mx_add(mean, r, s);
    return mx_scope_end(sc, r);
}
