/* src/backend/cuda/cuda_jit.c: the GPU kernel of FUSED nodes (src/transforms/compile.h).
 *
 * A fused element-wise group runs as one generated CUDA kernel (source: cuda_jit_src.c, built with
 * NVRTC through cuda_nvrtc.c, which keeps compiled images in memory and on disk). Per (interned
 * sub-tape, variant) the loaded kernels are kept in a table keyed by the description's pointer
 * and the variant, so a replay does no string work and no hashing of source:
 *   DENSE   every input dense row-major with the output's size, or a single element (loaded once);
 *           the vectorised entry runs when every pointer is aligned to its 16-byte step. Also
 *           when the inputs are all dense in one other axis order (transposed): the kernel runs
 *           in memory order and the output takes that order, as MLX's element-wise kernels do;
 *   STRIDED anything else (broadcast, transposed, sliced inputs): the inputs are viewed with the
 *           output's shape (stride 0 where broadcast), dimensions contiguous for every operand are
 *           merged, and the kernel splits the row-major output index over the collapsed shape
 *           (one variant per number of dimensions, 32-bit index arithmetic when it fits).
 * The output is a fresh device buffer (row-major, or the inputs' common order), or a donated
 * dense row-major input of the same size.
 *
 * Without NVRTC (or with the JIT turned off by mx_compile_set_compiler("")), or when a group
 * cannot be generated or built, the sub-tape runs op by op with the ordinary GPU kernels
 * (intermediates in temporary device buffers), never on the CPU. float64 anywhere in the group is
 * refused as the unfused GPU kernels refuse it. The input views, the collapsed iteration space and
 * the op-by-op interpreter are the CPU kernel's (src/transforms/fused_common.c). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../transforms/fused_common.h"
#include "cuda_jit.h"
#include "cuda_nvrtc.h"

static atomic_llong s_gpu_runs, s_fallback_runs, s_variants, s_failures;
static atomic_int   jit_on = 1;

void mx_cuda_jit_get_stats(mx_cuda_jit_stats *out) {
    out->gpu_runs = atomic_load(&s_gpu_runs);
    out->fallback_runs = atomic_load(&s_fallback_runs);
    out->variants = atomic_load(&s_variants);
    out->failures = atomic_load(&s_failures);
}

void mx_cuda_jit_set_enabled(int on) { atomic_store(&jit_on, on != 0); }

/* ---- the variant table ---- */
typedef struct variant_entry {
    const mx_fused_desc  *d;
    mx_cuda_jit_variant   v;
    bool                  ok;
    mx_nvrtc_fn          *f_main, *f_vec; /* DENSE: mx_fz_d, mx_fz_v; STRIDED: mx_fz_s */
    struct variant_entry *next;
} variant_entry;

#define VSLOTS 1024
static pthread_mutex_t var_mu = PTHREAD_MUTEX_INITIALIZER;
static variant_entry  *var_tab[VSLOTS];

static bool same_variant(const mx_cuda_jit_variant *a, const mx_cuda_jit_variant *b) {
    return a->kind == b->kind && a->scalar_mask == b->scalar_mask && a->ndim == b->ndim &&
           a->idx32 == b->idx32;
}

/* generate, build and load the kernels of a variant; false (counted) on any failure */
static bool prepare(variant_entry *e) {
    mx_nvrtc_stats before, after;
    mx_nvrtc_get_stats(&before);
    char *src = mx_cuda_jit_source(e->d, &e->v);
    int nopts;
    const char **opts = (const char **)mx_cuda_jit_options(&nopts);
    mx_status st = src ? MX_OK : mx_fail(MX_ERR_UNSUPPORTED, "[fused] no CUDA form for this group");
    if (st == MX_OK && e->v.kind == MX_CUDA_JIT_DENSE) {
        st = mx_nvrtc_get("fused", src, "mx_fz_d", opts, nopts, &e->f_main);
        if (st == MX_OK) st = mx_nvrtc_get("fused", src, "mx_fz_v", opts, nopts, &e->f_vec);
    } else if (st == MX_OK) {
        st = mx_nvrtc_get("fused", src, "mx_fz_s", opts, nopts, &e->f_main);
    }
    free(src);
    mx_nvrtc_get_stats(&after);
    if (after.compiles > before.compiles)
        mx_compile_count(MX_CC_JIT_BUILDS, after.compiles - before.compiles);
    if (st != MX_OK) {
        const char *dbg = getenv("CMLX_JIT_DEBUG");
        if (dbg && dbg[0] && strcmp(dbg, "0") != 0)
            fprintf(stderr, "cmlx: fused GPU kernel unavailable, running op by op: %s\n",
                    mx_error_message());
        mx_error_clear(); /* the fallback runs instead */
        atomic_fetch_add(&s_failures, 1);
        mx_compile_count(MX_CC_JIT_FAILURES, 1);
        return false;
    }
    atomic_fetch_add(&s_variants, 1);
    return true;
}

void mx_cuda_jit_forget(void) {
    pthread_mutex_lock(&var_mu);
    memset(var_tab, 0, sizeof var_tab); /* entries leak on purpose (tests only) */
    pthread_mutex_unlock(&var_mu);
    mx_nvrtc_forget();
}

static const variant_entry *variant_get(const mx_fused_desc *d, const mx_cuda_jit_variant *v) {
    size_t slot = (size_t)(((uintptr_t)d >> 4) ^ (v->scalar_mask * 0x9e3779b97f4a7c15ULL) ^
                           (uint64_t)(v->kind + 2 * v->ndim + 64 * v->idx32) * 0x51ed27u) %
                  VSLOTS;
    pthread_mutex_lock(&var_mu);
    variant_entry *e = var_tab[slot];
    while (e && !(e->d == d && same_variant(&e->v, v))) e = e->next;
    if (!e && (e = calloc(1, sizeof *e))) {
        e->d = d;
        e->v = *v;
        e->ok = prepare(e);
        e->next = var_tab[slot];
        var_tab[slot] = e;
    }
    pthread_mutex_unlock(&var_mu);
    return e && e->ok ? e : NULL;
}

/* ---- layouts ---- */
/* The float64 error of the unfused GPU kernels, named after the first op that meets float64. */
static mx_status check_f64(const mx_fused_desc *d) {
    for (int k = 0; k < d->n_ops; k++) {
        const mx_fused_op *op = &d->ops[k];
        if (op->prim == MX_PRIM_BROADCAST) continue;
        bool f64 = op->dtype == MX_FLOAT64;
        for (int j = 0; j < op->n_in; j++)
            f64 = f64 || mx_fused_value_dtype(d, op->in[j]) == MX_FLOAT64;
        if (f64) {
            mx_layout v;
            memset(&v, 0, sizeof v);
            v.m.dtype = MX_FLOAT64;
            return mx_cuda_no_f64(mx_prims[op->prim].name, &v, 1);
        }
    }
    return MX_OK;
}

/* the collapsed iteration space of the STRIDED variant: shape[nd], st[j][nd] per input */
typedef struct plan {
    int     nd;
    int64_t shape[MX_MAX_DIMS];
    int64_t (*st)[MX_MAX_DIMS];
} plan;

static bool fits32(const mx_fused_desc *d, const plan *pl, uint64_t smask, int64_t N) {
    if (N >= INT32_MAX) return false;
    for (int j = 0; j < d->n_in; j++) {
        if (j < 64 && (smask >> j & 1)) continue;
        int64_t span = 0;
        for (int k = 0; k < pl->nd; k++) {
            int64_t s = pl->st[j][k] < 0 ? -pl->st[j][k] : pl->st[j][k];
            span += (pl->shape[k] - 1) * s;
            if (span >= INT32_MAX) return false;
        }
    }
    return true;
}

/* ---- running a generated kernel ---- */
#define MAX_PARAM_BYTES 4000 /* the kernel parameter space every device has (4 KiB) */

static unsigned blocks_for(int64_t work) {
    int64_t b = (work + 255) / 256;
    return (unsigned)(b < 1 ? 1 : (b > 65535 * 8 ? 65535 * 8 : b));
}

static mx_status run_generated(const variant_entry *e, const mx_fused_desc *d, const mx_layout *in,
                               const plan *pl, mx_layout *out, int64_t N) {
    int n_in = d->n_in;
    void *ptrs[160], *argv[164], *optr = mx_cuda_ptr(out);
    int64_t n = N;
    int na = 0;
    unsigned grid[3] = {1, 1, 1}, block[3] = {256, 1, 1};
    int64_t g64[MX_MAX_DIMS * 161];
    int32_t g32[MX_MAX_DIMS * 161];
    argv[na++] = &n;
    const mx_nvrtc_fn *f = e->f_main;
    if (e->v.kind == MX_CUDA_JIT_STRIDED) {
        int nd = pl->nd, rows = n_in > 0 ? n_in : 1;
        for (int k = 0; k < nd; k++) {
            g64[k] = pl->shape[k];
            g32[k] = (int32_t)pl->shape[k];
        }
        for (int j = 0; j < n_in; j++)
            for (int k = 0; k < nd; k++) {
                g64[nd + j * nd + k] = pl->st[j][k];
                g32[nd + j * nd + k] = (int32_t)pl->st[j][k];
            }
        for (int k = n_in * nd; k < rows * nd; k++) g64[nd + k] = g32[nd + k] = 0;
        argv[na++] = e->v.idx32 ? (void *)g32 : (void *)g64;
        grid[0] = blocks_for(N);
    } else {
        int V = mx_cuda_jit_vec_width(d);
        bool aligned = N >= V && ((uintptr_t)optr % (uintptr_t)(V * mx_dtype_size(out->m.dtype))) == 0;
        for (int j = 0; j < n_in && aligned; j++)
            if (!(j < 64 && (e->v.scalar_mask >> j & 1)))
                aligned = ((uintptr_t)mx_cuda_ptr(&in[j]) %
                           (uintptr_t)(V * mx_dtype_size(in[j].m.dtype))) == 0;
        if (aligned) f = e->f_vec;
        grid[0] = blocks_for(aligned ? (N + V - 1) / V : N);
    }
    for (int j = 0; j < n_in; j++) {
        ptrs[j] = mx_cuda_ptr(&in[j]);
        argv[na++] = &ptrs[j];
    }
    argv[na++] = &optr;
    MX_TRY(mx_nvrtc_launch(f, grid, block, 0, argv));
    atomic_fetch_add(&s_gpu_runs, 1);
    mx_compile_count(MX_CC_JIT_RUNS, 1);
    return MX_OK;
}

/* The generated kernel for this call, or NULL (then the op-by-op fallback runs). pl->st must
 * hold n_in rows. *order is set when the inputs share a dense axis order that is not row-major
 * (mx_cuda_shared_order; an input spread by stride 0 does not qualify: the dense kernel reads
 * every input that is not a single element at the flat index): the dense kernel runs and the output must take the strides in `strides`. */
static const variant_entry *choose(const mx_fused_desc *d, const mx_layout *in,
                                   const mx_layout *bv, const mx_meta *S, int64_t N, plan *pl,
                                   bool *order, int64_t *strides) {
    char cc[8];
    mx_compile_jit_compiler(cc, sizeof cc);
    *order = false;
    if (!atomic_load(&jit_on) || !cc[0] || d->n_in > 156 || !mx_nvrtc_available()) return NULL;
    mx_cuda_jit_variant v = {MX_CUDA_JIT_DENSE, 0, 0, 0};
    if (!mx_fused_dense(in, d->n_in, N, &v.scalar_mask) &&
        !(*order = mx_cuda_shared_order(S, in, d->n_in, false, strides))) {
        /* the row-major output merges wherever the inputs do */
        pl->nd = mx_fused_collapse(d->n_in, bv, S, pl->shape, pl->st);
        v.kind = MX_CUDA_JIT_STRIDED;
        v.ndim = pl->nd;
        v.idx32 = fits32(d, pl, v.scalar_mask, N);
        size_t isz = v.idx32 ? 4 : 8, rows = d->n_in > 0 ? (size_t)d->n_in : 1;
        size_t param = 8 + isz * (size_t)pl->nd * (rows + 1) + 8 * ((size_t)d->n_in + 1);
        if (param > MAX_PARAM_BYTES) return NULL;
    }
    return variant_get(d, &v);
}

/* ---- the fallback: the ordinary GPU kernels, one op at a time ---- */
static mx_status run_op_by_op(const mx_node *n, const mx_fused_desc *d, const mx_layout *bv,
                              mx_layout *out) {
    const mx_device_backend *gpu = mx_gpu_backend();
    MX_CHECK(gpu != NULL, MX_ERR_INTERNAL, "[fused] no GPU backend");
    MX_TRY(mx_fused_interpret(n, d, bv, out, gpu->base.kernels, "GPU"));
    atomic_fetch_add(&s_fallback_runs, 1);
    mx_compile_count(MX_CC_INTERP_RUNS, 1);
    return MX_OK;
}

static mx_status fused_gpu(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_fused_desc *d = mx_fused_of(n);
    MX_CHECK(d && d->n_out == 1 && n->n_out == 1 && n->n_in == d->n_in && d->n_ops >= 1,
             MX_ERR_INTERNAL, "[fused] malformed fused node");
    MX_TRY(check_f64(d));
    MX_CHECK((int)out[0].m.dtype == mx_fused_value_dtype(d, d->outs[0]), MX_ERR_INTERNAL,
             "[fused] output dtype does not match the fused graph");
    int n_in = d->n_in;
    mx_layout bl[8], *bv = n_in <= 8 ? bl : malloc(sizeof *bv * (size_t)n_in);
    int64_t stl[8][MX_MAX_DIMS], (*st)[MX_MAX_DIMS] = stl;
    if (n_in > 8) st = malloc(sizeof *st * (size_t)n_in);
    mx_status rc = MX_OK;
    if (!bv || !st) rc = mx_fail(MX_ERR_NOMEM, "[fused] out of memory");
    if (rc == MX_OK) rc = mx_fused_views(d, in, &out[0].m, bv);
    int64_t N = mx_meta_size(&out[0].m);
    if (rc == MX_OK && N == 0) {
        rc = mx_cuda_alloc_out(&out[0]);
    } else if (rc == MX_OK) {
        plan pl = {0, {0}, st};
        bool order = false;
        int64_t ost[MX_MAX_DIMS];
        const variant_entry *e = choose(d, in, bv, &out[0].m, N, &pl, &order, ost);
        if (e) {
            rc = order ? mx_cuda_alloc_out(&out[0]) : mx_cuda_out_reuse(&out[0], in, n_in);
            if (rc == MX_OK && order) { /* the inputs' axis order, over the same N elements */
                memcpy(out[0].strides, ost, sizeof(int64_t) * (size_t)out[0].m.ndim);
                mx_layout_update_flags(&out[0]);
            }
            if (rc == MX_OK) rc = run_generated(e, d, order ? in : bv, &pl, &out[0], N);
        } else {
            rc = run_op_by_op(n, d, bv, &out[0]);
        }
    }
    if (bv != bl) free(bv);
    if (st != stl) free(st);
    return rc;
}

void mx_cuda_register_jit(mx_kernel_fn *k) { k[MX_PRIM_FUSED] = fused_gpu; }
