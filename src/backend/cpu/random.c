/* src/backend/cpu/random.c: CPU kernels of the random family (src/prims/random.def).
 *
 * RANDOM_BITS fills, for every key of the input (shape (..., 2), any strides), bytes_per_key bytes
 * of the output exactly as MLX's RandomBits does, so that streams match MLX bit for bit:
 *   W = ceil(bytes_per_key / 4) 32-bit words, half = W / 2, odd = W % 2;
 *   for j < half: threefry(key, (j, half + odd + j)) gives words j and half + odd + j;
 *   if W is odd:  threefry(key, (half, 0)).first gives word half;
 *   the last word keeps only its first bytes_per_key % 4 bytes when the count is not whole.
 * Work is split over (key, pair) units so one large draw and many small ones both use the pool.
 *
 * RANDOM_COV_SQRT gives, for each (n, n) matrix A of a batch, U sqrt(S) V^T from A's SVD (the
 * square root multivariate_normal uses, as MLX does; for a covariance it is the symmetric square
 * root). One-sided Jacobi in double: rotations make the columns of W = A V orthogonal, then
 * s_j = |W_j| and U sqrt(S) V^T = sum_j W_j v_j^T / sqrt(s_j). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../prims/random_params.h"
#include "cpu_impl.h"

typedef struct bits_ctx {
    const uint32_t *keys;  /* 2 * nkeys, dense */
    char           *out;
    int64_t         bytes; /* per key */
    int64_t         words; /* ceil(bytes / 4) */
    int64_t         half;
    int64_t         units; /* per key: half + odd */
} bits_ctx;

static inline void put_word(const bits_ctx *c, char *dst, int64_t w, uint32_t v) {
    int64_t at = 4 * w, left = c->bytes - at;
    memcpy(dst + at, &v, left >= 4 ? 4 : (size_t)left);
}

static void bits_range(void *vctx, int64_t begin, int64_t end) {
    const bits_ctx *c = vctx;
    int64_t odd = c->words & 1;
    int64_t u = begin;
    while (u < end) {
        int64_t k = u / c->units, j = u % c->units;
        int64_t stop = c->units;
        if (stop - j > end - u) stop = j + (end - u);
        uint32_t k0 = c->keys[2 * k], k1 = c->keys[2 * k + 1];
        char *dst = c->out + k * c->bytes;
        for (int64_t jj = j; jj < stop; jj++) {
            uint32_t ctr[2];
            if (jj < c->half) {
                ctr[0] = (uint32_t)jj;
                ctr[1] = (uint32_t)(c->half + odd + jj);
                mx_threefry2x32_20(k0, k1, ctr);
                put_word(c, dst, jj, ctr[0]);
                put_word(c, dst, c->half + odd + jj, ctr[1]);
            } else { /* the middle word of an odd count */
                ctr[0] = (uint32_t)c->half;
                ctr[1] = 0;
                mx_threefry2x32_20(k0, k1, ctr);
                put_word(c, dst, c->half, ctr[0]);
            }
        }
        u += stop - j;
    }
}

static mx_status random_bits_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    MX_TRY(mx_layout_alloc(&out[0]));
    int64_t nkeys = mx_meta_size(&in[0].m) / 2;
    int64_t total = mx_meta_size(&out[0].m) * (int64_t)mx_dtype_size(out[0].m.dtype);
    if (nkeys == 0 || total == 0) return MX_OK;
    /* keys as a dense (nkeys, 2) block */
    mx_layout tmp;
    const uint32_t *kp;
    bool own = false;
    if (in[0].flags & MX_ROW_CONTIG) {
        kp = (const uint32_t *)mx_layout_ptr(&in[0]);
    } else {
        MX_TRY(mx_cpu_copy_row_major(&in[0], &tmp));
        kp = (const uint32_t *)mx_layout_ptr(&tmp);
        own = true;
    }
    bits_ctx c;
    c.keys = kp;
    c.out = (char *)mx_layout_ptr(&out[0]);
    c.bytes = total / nkeys;
    c.words = (c.bytes + 3) / 4;
    c.half = c.words / 2;
    c.units = c.half + (c.words & 1);
    mx_parallel_for(nkeys * c.units, 1 << 12, bits_range, &c);
    if (own) mx_buffer_release(tmp.buf);
    return MX_OK;
}

typedef struct sqrt_ctx {
    const float *in;
    float       *out;
    int64_t      n;
    atomic_int   fail;
} sqrt_ctx;

/* one matrix: a (n x n, row-major) -> o; work holds 2 n^2 doubles */
static void cov_sqrt_one(const float *a, float *o, int64_t n, double *work) {
    double *w = work, *v = work + n * n;
    for (int64_t i = 0; i < n * n; i++) {
        w[i] = a[i];
        v[i] = 0;
    }
    for (int64_t i = 0; i < n; i++) v[i * n + i] = 1;
    for (int sweep = 0; sweep < 60; sweep++) {
        bool rotated = false;
        for (int64_t p = 0; p < n - 1; p++) {
            for (int64_t q = p + 1; q < n; q++) {
                double al = 0, be = 0, ga = 0;
                for (int64_t i = 0; i < n; i++) {
                    double x = w[i * n + p], y = w[i * n + q];
                    al += x * x;
                    be += y * y;
                    ga += x * y;
                }
                if (ga == 0 || fabs(ga) <= 1e-15 * sqrt(al * be)) continue;
                rotated = true;
                double zeta = (be - al) / (2 * ga);
                double t = (zeta >= 0 ? 1.0 : -1.0) / (fabs(zeta) + sqrt(1 + zeta * zeta));
                double c = 1 / sqrt(1 + t * t), sn = c * t;
                for (int64_t i = 0; i < n; i++) {
                    double x = w[i * n + p], y = w[i * n + q];
                    w[i * n + p] = c * x - sn * y;
                    w[i * n + q] = sn * x + c * y;
                    x = v[i * n + p];
                    y = v[i * n + q];
                    v[i * n + p] = c * x - sn * y;
                    v[i * n + q] = sn * x + c * y;
                }
            }
        }
        if (!rotated) break;
    }
    /* scale column j of W by 1 / sqrt(s_j) (0 for a null direction), then W V^T */
    for (int64_t j = 0; j < n; j++) {
        double s2 = 0;
        for (int64_t i = 0; i < n; i++) s2 += w[i * n + j] * w[i * n + j];
        double f = s2 > 0 ? 1 / sqrt(sqrt(s2)) : 0;
        for (int64_t i = 0; i < n; i++) w[i * n + j] *= f;
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < n; k++) {
            double acc = 0;
            for (int64_t j = 0; j < n; j++) acc += w[i * n + j] * v[k * n + j];
            o[i * n + k] = (float)acc;
        }
}

static void cov_sqrt_range(void *vctx, int64_t begin, int64_t end) {
    sqrt_ctx *c = vctx;
    int64_t nn = c->n * c->n;
    double *work = malloc(sizeof(double) * (size_t)(2 * nn));
    if (!work) {
        atomic_store(&c->fail, 1);
        return;
    }
    for (int64_t b = begin; b < end; b++) cov_sqrt_one(c->in + b * nn, c->out + b * nn, c->n, work);
    free(work);
}

static mx_status cov_sqrt_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    MX_TRY(mx_layout_alloc(&out[0]));
    int64_t total = mx_meta_size(&out[0].m);
    int nd = out[0].m.ndim;
    int64_t dim = out[0].m.shape[nd - 1];
    if (total == 0) return MX_OK;
    mx_layout tmp;
    const float *src;
    bool own = false;
    if (in[0].flags & MX_ROW_CONTIG) {
        src = (const float *)mx_layout_ptr(&in[0]);
    } else {
        MX_TRY(mx_cpu_copy_row_major(&in[0], &tmp));
        src = (const float *)mx_layout_ptr(&tmp);
        own = true;
    }
    sqrt_ctx c;
    c.in = src;
    c.out = (float *)mx_layout_ptr(&out[0]);
    c.n = dim;
    atomic_init(&c.fail, 0);
    int64_t grain = dim >= 32 ? 1 : 4096 / (dim * dim * dim) + 1;
    mx_parallel_for(total / (dim * dim), grain, cov_sqrt_range, &c);
    if (own) mx_buffer_release(tmp.buf);
    MX_CHECK(!atomic_load(&c.fail), MX_ERR_NOMEM, "[multivariate_normal] out of memory");
    return MX_OK;
}

void mx_cpu_register_random(mx_kernel_fn *k) {
    k[MX_PRIM_RANDOM_BITS] = random_bits_kernel;
    k[MX_PRIM_RANDOM_COV_SQRT] = cov_sqrt_kernel;
}
