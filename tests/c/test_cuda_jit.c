/* tests/c/test_cuda_jit.c: the GPU kernel of compile's fused groups (src/backend/cuda/cuda_jit*.c,
 * cuda_nvrtc.c).
 *   Without a GPU (NVRTC only): the generated CUDA source of groups using every op of unary.def
 *   and binary.def, for every GPU dtype, compiles for sm_90 in each variant; groups the GPU cannot
 *   run get no source; the disk cache (writes, hits, a corrupt file rebuilt, PTX for an unknown
 *   architecture, name expressions) and compile errors with the NVRTC log.
 *   With a GPU: compiled functions on a GPU stream against the same function uncompiled on the
 *   GPU (bit for bit) and on the CPU (bit for bit for add/mul chains and integers, close for
 *   transcendental ops), broadcast / transposed / misaligned inputs, float16 / bfloat16 /
 *   complex64, the op-by-op GPU fallback, the disk cache on a second build, float64 refused.
 * The CUDA entry points are weak references: in a build without the CUDA backend every test
 * skips. */
#define FAMILY "cuda_jit"
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/cuda/cuda_jit.h"
#include "harness.h"
#include "prims/prim.h"

#pragma weak mx_cuda_jit_source
#pragma weak mx_cuda_jit_options
#pragma weak mx_cuda_jit_vec_width
#pragma weak mx_cuda_jit_get_stats
#pragma weak mx_cuda_jit_set_enabled
#pragma weak mx_cuda_jit_forget
#pragma weak mx_nvrtc_available
#pragma weak mx_nvrtc_build
#pragma weak mx_nvrtc_get_stats
#pragma weak mx_nvrtc_cache_dir

static int have_nvrtc(void) {
    if (!mx_cuda_jit_source || !mx_nvrtc_available) {
        printf("skip (no CUDA backend in this build)  ");
        return 0;
    }
    if (!mx_nvrtc_available()) {
        printf("skip (NVRTC not available)  ");
        return 0;
    }
    return 1;
}

static int have_gpu(void) {
    if (!mx_cuda_jit_source || mx_device_count(MX_GPU) == 0) {
        printf("skip (no GPU)  ");
        return 0;
    }
    return 1;
}

/* ---- a temporary cache directory (MLX_PTX_CACHE_DIR) ---- */
static char cache_dir[256];
static char *old_cache_env;

static void cache_begin(void) {
    const char *o = getenv("MLX_PTX_CACHE_DIR");
    old_cache_env = o ? strdup(o) : NULL;
    snprintf(cache_dir, sizeof cache_dir, "/tmp/cmlx-test-ptx-XXXXXX");
    CHECK(mkdtemp(cache_dir) != NULL);
    setenv("MLX_PTX_CACHE_DIR", cache_dir, 1);
}

/* files in the directory whose name ends with suffix; the last one's path in path */
static int cache_files(const char *suffix, char *path, size_t n) {
    DIR *dir = opendir(cache_dir);
    int count = 0;
    if (!dir) return 0;
    for (struct dirent *e; (e = readdir(dir));) {
        size_t l = strlen(e->d_name), ls = strlen(suffix);
        if (l > ls && strcmp(e->d_name + l - ls, suffix) == 0) {
            count++;
            if (path) snprintf(path, n, "%s/%s", cache_dir, e->d_name);
        }
    }
    closedir(dir);
    return count;
}

static void cache_end(void) {
    DIR *dir = opendir(cache_dir);
    if (dir) {
        for (struct dirent *e; (e = readdir(dir));) {
            if (e->d_name[0] == '.') continue;
            char p[512];
            snprintf(p, sizeof p, "%s/%s", cache_dir, e->d_name);
            unlink(p);
        }
        closedir(dir);
    }
    rmdir(cache_dir);
    if (old_cache_env) setenv("MLX_PTX_CACHE_DIR", old_cache_env, 1);
    else unsetenv("MLX_PTX_CACHE_DIR");
    free(old_cache_env);
    old_cache_env = NULL;
}

/* ---- building sub-tape descriptions by hand ---- */
typedef struct gb {
    int         n_in, n_ops;
    uint8_t     in_dt[8];
    mx_fused_op ops[160];
    int32_t     out;
    mx_fused_desc d;
} gb;

static int gb_op(gb *g, int prim, int dt, int a, int b, int c) {
    mx_fused_op *op = &g->ops[g->n_ops];
    memset(op, 0, sizeof *op);
    op->prim = (uint16_t)prim;
    op->dtype = (uint8_t)dt;
    op->in[0] = a, op->in[1] = b, op->in[2] = c;
    op->n_in = (uint8_t)(c >= 0 ? 3 : (b >= 0 ? 2 : 1));
    return g->n_in + g->n_ops++;
}

static const mx_fused_desc *gb_desc(gb *g) {
    g->out = g->n_in + g->n_ops - 1;
    mx_fused_desc d = {g->n_in, g->n_ops, 1, g->in_dt, g->ops, &g->out, 0, NULL};
    g->d = d;
    return &g->d;
}

static int rule_out(int prim, int t) {
    int r = mx_prims[prim].rule;
    if (r == R_BOOL || r == R_LOGIC) return MX_BOOL;
    if (r == R_REAL && t == MX_COMPLEX64) return MX_FLOAT32;
    return t;
}

/* inputs x, y (dtype t) and c (bool); every element-wise op accepting t on the running value (and
 * y), conversions of x to every GPU dtype, and where(c, cur, y) last */
static void every_op_group(gb *g, int t, char *covered) {
    memset(g, 0, sizeof *g);
    g->n_in = 3;
    g->in_dt[0] = g->in_dt[1] = (uint8_t)t;
    g->in_dt[2] = MX_BOOL;
    int cur = 0;
    for (int p = 0; p < MX_PRIM_COUNT; p++) {
        const mx_prim_info *pi = &mx_prims[p];
        if (!(pi->flags & MX_PF_ELEMENTWISE) || !(pi->kinds & mx_dtype_kindbit(t))) continue;
        int ot = rule_out(p, t);
        int v = pi->n_in == 1 ? gb_op(g, p, ot, cur, -1, -1) : gb_op(g, p, ot, cur, 1, -1);
        if (ot == t) cur = v;
        covered[p] = 1;
    }
    static const int to[] = {MX_BOOL, MX_UINT8, MX_INT32, MX_INT64, MX_FLOAT16, MX_FLOAT32,
                             MX_BFLOAT16, MX_COMPLEX64};
    for (int i = 0; i < 8; i++) gb_op(g, MX_PRIM_ASTYPE, to[i], cur, -1, -1);
    int b = gb_op(g, MX_PRIM_BROADCAST, t, 1, -1, -1);
    gb_op(g, MX_PRIM_WHERE, t, 2, cur, b);
}

static int build_ok(const char *src, const char *what) {
    int nopts, is_cubin = 0;
    const char *const *opts = mx_cuda_jit_options(&nopts);
    char *img = NULL, low[256];
    size_t size = 0;
    mx_status st = mx_nvrtc_build("test", src, NULL, opts, nopts, 90, &img, &size, &is_cubin, low,
                                  sizeof low);
    if (st != MX_OK) fprintf(stderr, "  %s: %s\n", what, mx_error_message());
    int ok = st == MX_OK && img && size > 0 && is_cubin;
    free(img);
    mx_error_clear();
    return ok;
}

TEST(source_of_every_op_compiles_for_sm90) {
    if (!have_nvrtc()) return;
    cache_begin();
    static const int dts[] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16, MX_INT32,  MX_BOOL,
                              MX_COMPLEX64, MX_UINT8, MX_INT64,   MX_UINT64, MX_INT8};
    char covered[MX_PRIM_COUNT] = {0};
    static gb g;
    for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++) {
        every_op_group(&g, dts[i], covered);
        const mx_fused_desc *d = gb_desc(&g);
        /* dense with y a scalar; strided over 3 dims in 32-bit and 1 dim in 64-bit indices */
        mx_cuda_jit_variant vs[3] = {{MX_CUDA_JIT_DENSE, 2, 0, 0},
                                     {MX_CUDA_JIT_STRIDED, 0, 3, 1},
                                     {MX_CUDA_JIT_STRIDED, 4, 1, 0}};
        int nv = dts[i] == MX_FLOAT32 || dts[i] == MX_FLOAT16 ? 3 : 2;
        for (int k = 0; k < nv; k++) {
            char *src = mx_cuda_jit_source(d, &vs[k]);
            CHECK(src != NULL);
            if (!src) continue;
            const char *names[3] = {"mx_fz_d", "mx_fz_s", "mx_fz_s"};
            CHECK(strstr(src, names[k]) != NULL);
            if (k == 0) CHECK(strstr(src, "mx_fz_v") != NULL && strstr(src, "mx_vec<") != NULL);
            if (!build_ok(src, mx_dtype_name((mx_dtype)dts[i]))) {
                CHECK(!"generated source compiles");
                fprintf(stderr, "  (dtype %s, variant %d)\n", mx_dtype_name((mx_dtype)dts[i]), k);
            }
            free(src);
        }
    }
    for (int p = 0; p < MX_PRIM_COUNT; p++)
        if ((mx_prims[p].flags & MX_PF_ELEMENTWISE) && !covered[p]) {
            fprintf(stderr, "  op %s in no group\n", mx_prims[p].name);
            CHECK(covered[p]);
        }
    cache_end();
}

TEST(no_source_for_what_the_gpu_cannot_run) {
    if (!have_nvrtc()) return;
    static gb g;
    mx_cuda_jit_variant dense = {MX_CUDA_JIT_DENSE, 0, 0, 0};
    /* float64 input */
    memset(&g, 0, sizeof g);
    g.n_in = 1, g.in_dt[0] = MX_FLOAT64;
    gb_op(&g, MX_PRIM_EXP, MX_FLOAT64, 0, -1, -1);
    CHECK(mx_cuda_jit_source(gb_desc(&g), &dense) == NULL);
    /* a float64 intermediate */
    memset(&g, 0, sizeof g);
    g.n_in = 1, g.in_dt[0] = MX_FLOAT32;
    int a = gb_op(&g, MX_PRIM_ASTYPE, MX_FLOAT64, 0, -1, -1);
    gb_op(&g, MX_PRIM_ASTYPE, MX_FLOAT32, a, -1, -1);
    CHECK(mx_cuda_jit_source(gb_desc(&g), &dense) == NULL);
    /* bitwise_and of floats; exp of an integer (ops promote first); a mismatched binary */
    memset(&g, 0, sizeof g);
    g.n_in = 2, g.in_dt[0] = g.in_dt[1] = MX_FLOAT32;
    gb_op(&g, MX_PRIM_BITWISE_AND, MX_FLOAT32, 0, 1, -1);
    CHECK(mx_cuda_jit_source(gb_desc(&g), &dense) == NULL);
    memset(&g, 0, sizeof g);
    g.n_in = 2, g.in_dt[0] = MX_INT32, g.in_dt[1] = MX_FLOAT32;
    gb_op(&g, MX_PRIM_EXP, MX_FLOAT32, 0, -1, -1);
    CHECK(mx_cuda_jit_source(gb_desc(&g), &dense) == NULL);
    memset(&g, 0, sizeof g);
    g.n_in = 2, g.in_dt[0] = MX_INT32, g.in_dt[1] = MX_FLOAT32;
    gb_op(&g, MX_PRIM_ADD, MX_INT32, 0, 1, -1);
    CHECK(mx_cuda_jit_source(gb_desc(&g), &dense) == NULL);
    /* a fine group still generates, and a bad variant does not */
    memset(&g, 0, sizeof g);
    g.n_in = 2, g.in_dt[0] = g.in_dt[1] = MX_FLOAT32;
    gb_op(&g, MX_PRIM_ADD, MX_FLOAT32, 0, 1, -1);
    char *s = mx_cuda_jit_source(gb_desc(&g), &dense);
    CHECK(s != NULL);
    free(s);
    mx_cuda_jit_variant bad = {MX_CUDA_JIT_STRIDED, 0, 0, 0};
    CHECK(mx_cuda_jit_source(gb_desc(&g), &bad) == NULL);
    CHECK(mx_cuda_jit_vec_width(gb_desc(&g)) == 4);
}

/* a small kernel whose source is unique to this run (nothing on disk yet) */
static char *unique_source(const char *extra) {
    char *s = malloc(512);
    snprintf(s, 512,
             "/* %ld %s */\nextern \"C\" __global__ void k(float *o) { o[threadIdx.x] *= 2.f; }\n"
             "template <int N> __global__ void tk(float *o) { o[threadIdx.x] += N; }\n",
             (long)getpid(), extra);
    return s;
}

TEST(disk_cache_writes_hits_and_rebuilds_corrupt_files) {
    if (!have_nvrtc()) return;
    cache_begin();
    char *src = unique_source("disk"), *img = NULL, *img2 = NULL, low[256], path[600];
    size_t n1 = 0, n2 = 0;
    int cubin = 0;
    mx_nvrtc_stats s0, s1, s2, s3, s4;
    mx_nvrtc_get_stats(&s0);
    CHECK(mx_nvrtc_build("t", src, "k", NULL, 0, 90, &img, &n1, &cubin, low, sizeof low) == MX_OK);
    mx_nvrtc_get_stats(&s1);
    CHECK(cubin == 1 && n1 > 0 && strcmp(low, "k") == 0);
    CHECK(s1.compiles == s0.compiles + 1 && s1.disk_writes == s0.disk_writes + 1);
    CHECK(cache_files(".cubin", path, sizeof path) == 1);
    /* the second build reads the file: same bytes, no compilation */
    CHECK(mx_nvrtc_build("t", src, "k", NULL, 0, 90, &img2, &n2, &cubin, low, sizeof low) == MX_OK);
    mx_nvrtc_get_stats(&s2);
    CHECK(s2.compiles == s1.compiles && s2.disk_hits == s1.disk_hits + 1);
    CHECK(n2 == n1 && img && img2 && memcmp(img, img2, n1) == 0);
    free(img2);
    img2 = NULL;
    /* a corrupt file (a flipped byte of the image) is ignored and rewritten */
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, -10, SEEK_END);
        int c = fgetc(f);
        fseek(f, -10, SEEK_END);
        fputc(c ^ 0x5a, f);
        fclose(f);
    }
    CHECK(mx_nvrtc_build("t", src, "k", NULL, 0, 90, &img2, &n2, &cubin, low, sizeof low) == MX_OK);
    mx_nvrtc_get_stats(&s3);
    CHECK(s3.disk_bad == s2.disk_bad + 1 && s3.compiles == s2.compiles + 1);
    CHECK(n2 == n1 && img2 && memcmp(img, img2, n1) == 0);
    free(img2);
    img2 = NULL;
    /* truncated to its header: ignored as well */
    CHECK(truncate(path, 20) == 0);
    CHECK(mx_nvrtc_build("t", src, "k", NULL, 0, 90, &img2, &n2, &cubin, low, sizeof low) == MX_OK);
    mx_nvrtc_get_stats(&s4);
    CHECK(s4.disk_bad == s3.disk_bad + 1 && s4.compiles == s3.compiles + 1 && n2 == n1);
    free(img2);
    img2 = NULL;
    CHECK(cache_files(".cubin", NULL, 0) == 1 && cache_files(".tmp", NULL, 0) == 0);
    /* an architecture this NVRTC does not know (9.5): PTX for compute_90, NUL-terminated */
    CHECK(mx_nvrtc_build("t", src, "k", NULL, 0, 95, &img2, &n2, &cubin, low, sizeof low) == MX_OK);
    CHECK(cubin == 0 && img2 && n2 > 0 && img2[n2 - 1] == 0 && strstr(img2, ".target sm_90"));
    CHECK(cache_files(".ptx", NULL, 0) == 1);
    free(img2);
    img2 = NULL;
    /* a name expression gets its lowered (mangled) name, also when read back from the disk */
    for (int i = 0; i < 2; i++) {
        CHECK(mx_nvrtc_build("t", src, "tk<3>", NULL, 0, 90, &img2, &n2, &cubin, low,
                             sizeof low) == MX_OK);
        CHECK(strncmp(low, "_Z", 2) == 0 && strstr(low, "tk") != NULL);
        free(img2);
        img2 = NULL;
    }
    free(img);
    free(src);
    cache_end();
}

TEST(compile_errors_carry_the_nvrtc_log) {
    if (!have_nvrtc()) return;
    char *img = NULL, low[64];
    size_t n = 0;
    int cubin;
    const char *src = "extern \"C\" __global__ void k(float *o) { o[0] = undefined_thing; }\n";
    mx_error_clear();
    CHECK(mx_nvrtc_build("fused", src, "k", NULL, 0, 90, &img, &n, &cubin, low, sizeof low) ==
          MX_ERR_BACKEND);
    CHECK(strncmp(mx_error_message(), "[fused]", 7) == 0);
    CHECK(strstr(mx_error_message(), "undefined_thing") != NULL);
    CHECK(img == NULL);
    mx_error_clear();
    CHECK(mx_nvrtc_build("fused", src, "k", NULL, 0, 50, &img, &n, &cubin, low, sizeof low) ==
          MX_ERR_UNSUPPORTED); /* no target at or below sm_50 */
    mx_error_clear();
}

/* ======================= GPU ======================= */
#define GPU mx_stream_of_device(MX_GPU)
#define CPU mx_stream_of_device(MX_CPU)

typedef mx_array *(*gbody)(mx_array *const *in, mx_stream s);
typedef struct gctx {
    gbody     f;
    mx_stream s;
} gctx;

static mx_status call_g(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out,
                        int max) {
    (void)n, (void)max;
    gctx *c = ctx;
    mx_scope scope = mx_scope_begin();
    mx_array *r = c->f(in, c->s);
    out[0] = mx_scope_end(scope, r);
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}

static mx_array *sc(double v, mx_array *like) {
    return mx_array_scalar_f64(v, mx_array_dtype(like));
}

/* deterministic values in [lo, hi) as dtype t, shape (a, b) */
static mx_array *vals(int64_t a, int64_t b, double lo, double hi, unsigned seed, mx_dtype t) {
    int64_t sh[2] = {a, b}, n = a * b;
    double *v = malloc(sizeof(double) * (size_t)(n + 1));
    unsigned s = seed * 2654435761u + 12345u;
    for (int64_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        v[i] = lo + (hi - lo) * (double)(s >> 8) / (double)(1u << 24);
    }
    mx_array *x = t_f64(v, sh, 2), *r = mx_astype(x, t, CPU);
    mx_array_release(x);
    free(v);
    return r;
}

/* read (real parts of) a as float64 */
static double *readd(mx_array *a, int64_t *n, int imag) {
    mx_array *p = imag ? mx_imag(a, CPU) : mx_array_retain(a);
    *n = p ? mx_array_size(p) : 0;
    double *v = malloc(sizeof(double) * (size_t)(*n + 1));
    if (!p || t_read(p, v, *n) != *n) *n = -1;
    mx_array_release(p);
    return v;
}

/* max |a - b| / (atol + rtol |b|) <= 1 elementwise (0, 0: bit-equal as float64) */
static void compare(const char *what, mx_array *got, mx_array *want, double atol, double rtol) {
    CHECK(got && want && mx_array_dtype(got) == mx_array_dtype(want));
    if (!got || !want) return;
    int parts = mx_array_dtype(want) == MX_COMPLEX64 ? 2 : 1;
    for (int part = 0; part < parts; part++) {
        int64_t n1, n2;
        double *a = readd(got, &n1, part), *b = readd(want, &n2, part);
        CHECK(n1 == n2 && n1 > 0);
        for (int64_t i = 0; i < n1 && n1 == n2; i++) {
            bool same = (isnan(a[i]) && isnan(b[i])) || a[i] == b[i];
            if (!same && !(fabs(a[i] - b[i]) <= atol + rtol * fabs(b[i]))) {
                fprintf(stderr, "  FAIL %s [%lld]: %.10g vs %.10g\n", what, (long long)i, a[i],
                        b[i]);
                test_failures++;
                break;
            }
        }
        free(a);
        free(b);
    }
}

/* f compiled on the GPU, and uncompiled on the GPU and on the CPU */
typedef struct three {
    mx_array *fused, *gpu, *cpu;
} three;

static three run3(gbody f, mx_array *const *in, int n_in) {
    three r = {0};
    gctx g = {f, GPU}, c = {f, CPU};
    mx_compiled *cf = mx_compile(call_g, &g, 0);
    int n = 0;
    CHECK(mx_compiled_call(cf, in, n_in, &r.fused, &n, 1) == MX_OK);
    CHECK(call_g(&g, in, n_in, &r.gpu, &n, 1) == MX_OK);
    CHECK(call_g(&c, in, n_in, &r.cpu, &n, 1) == MX_OK);
    mx_compiled_free(cf);
    return r;
}

static void release3(three *r) {
    mx_array_release(r->fused);
    mx_array_release(r->gpu);
    mx_array_release(r->cpu);
}

/* evaluate the fused result and check it was computed by a generated kernel on the device */
static void check_ran_on_gpu(mx_array *a, const mx_cuda_jit_stats *before) {
    mx_cuda_jit_stats after;
    CHECK(a && mx_eval(&a, 1) == MX_OK);
    mx_cuda_jit_get_stats(&after);
    CHECK(after.gpu_runs > before->gpu_runs);
    CHECK(after.fallback_runs == before->fallback_runs);
    CHECK(a && a->node == NULL && a->v.buf && a->v.buf->valid == MX_LOC_DEVICE);
}

static mx_array *f32_chain(mx_array *const *in, mx_stream s) {
    mx_array *x = in[0], *y = in[1], *z = in[2];
    mx_array *t = mx_add(mx_multiply(x, y, s), z, s);
    t = mx_subtract(mx_multiply(t, x, s), mx_multiply(y, z, s), s);
    return mx_add(mx_multiply(t, sc(0.75, x), s), mx_multiply(x, x, s), s);
}

TEST(gpu_float32_add_mul_chain_is_exact) {
    if (!have_gpu()) return;
    mx_array *in[3] = {vals(67, 129, -2, 2, 1, MX_FLOAT32), vals(67, 129, -2, 2, 2, MX_FLOAT32),
                       vals(67, 129, -2, 2, 3, MX_FLOAT32)};
    mx_cuda_jit_stats st;
    mx_cuda_jit_get_stats(&st);
    three r = run3(f32_chain, in, 3);
    check_ran_on_gpu(r.fused, &st);
    compare("fused vs cpu", r.fused, r.cpu, 0, 0);
    compare("fused vs gpu", r.fused, r.gpu, 0, 0);
    release3(&r);
    for (int i = 0; i < 3; i++) mx_array_release(in[i]);
}

static mx_array *transcendental(mx_array *const *in, mx_stream s) {
    mx_array *x = in[0];
    mx_array *x3 = mx_multiply(mx_multiply(x, x, s), x, s);
    mx_array *inner = mx_multiply(mx_add(x, mx_multiply(x3, sc(0.044715, x), s), s),
                                  sc(0.7978845608, x), s);
    mx_array *gelu = mx_multiply(mx_multiply(x, sc(0.5, x), s),
                                 mx_add(mx_tanh(inner, s), sc(1, x), s), s);
    mx_array *t = mx_add(gelu, mx_exp(mx_negative(mx_abs(x, s), s), s), s);
    t = mx_add(t, mx_multiply(mx_erf(x, s), mx_sigmoid(x, s), s), s);
    t = mx_add(t, mx_log1p(mx_square(x, s), s), s);
    t = mx_add(t, mx_sin(mx_cos(x, s), s), s);
    return mx_maximum(mx_divide(t, mx_sqrt(mx_add(mx_square(x, s), sc(1, x), s), s), s),
                      mx_logaddexp(x, sc(-1, x), s), s);
}

TEST(gpu_transcendental_group) {
    if (!have_gpu()) return;
    mx_array *x = vals(123, 77, -4, 4, 4, MX_FLOAT32);
    mx_cuda_jit_stats st;
    mx_cuda_jit_get_stats(&st);
    three r = run3(transcendental, &x, 1);
    check_ran_on_gpu(r.fused, &st);
    compare("fused vs gpu", r.fused, r.gpu, 0, 0);
    compare("fused vs cpu", r.fused, r.cpu, 2e-6, 2e-5);
    release3(&r);
    mx_array_release(x);
}

/* xt (transposed), b (a row), c (a column), plus a scalar */
static mx_array *bcast(mx_array *const *in, mx_stream s) {
    mx_array *xt = mx_transpose(in[0], NULL, 0, s);
    mx_array *t = mx_add(mx_multiply(xt, in[1], s), in[2], s);
    return mx_subtract(mx_multiply(t, sc(3, t), s), mx_multiply(xt, xt, s), s);
}

TEST(gpu_broadcast_and_transposed_inputs) {
    if (!have_gpu()) return;
    int64_t shapes[2][2] = {{40, 70}, {301, 517}};
    for (int k = 0; k < 2; k++) {
        int64_t a = shapes[k][0], b = shapes[k][1];
        mx_array *in[3] = {vals(a, b, -3, 3, 5, MX_FLOAT32), vals(1, a, -1, 1, 6, MX_FLOAT32),
                           vals(b, 1, -1, 1, 7, MX_FLOAT32)};
        mx_cuda_jit_stats st;
        mx_cuda_jit_get_stats(&st);
        three r = run3(bcast, in, 3);
        check_ran_on_gpu(r.fused, &st);
        compare("broadcast fused vs cpu", r.fused, r.cpu, 0, 0);
        compare("broadcast fused vs gpu", r.fused, r.gpu, 0, 0);
        release3(&r);
        for (int i = 0; i < 3; i++) mx_array_release(in[i]);
    }
}

static mx_array *two_in(mx_array *const *in, mx_stream s) {
    mx_array *t = mx_add(mx_multiply(in[0], in[1], s), mx_multiply(in[0], sc(0.5, in[0]), s), s);
    return mx_subtract(mx_tanh(t, s), in[1], s);
}

/* inputs transposed alike: the kernel runs in their memory order and the output keeps it
 * (column-major here), fused or not; one transposed and one row-major input: row-major */
TEST(gpu_transposed_inputs_keep_their_order) {
    if (!have_gpu()) return;
    mx_array *x = vals(259, 131, -2, 2, 8, MX_FLOAT32), *y = vals(259, 131, -2, 2, 9, MX_FLOAT32);
    mx_array *xt = mx_transpose(x, NULL, 0, CPU), *yt = mx_transpose(y, NULL, 0, CPU);
    mx_array *y2 = vals(131, 259, -2, 2, 10, MX_FLOAT32);
    CHECK(mx_eval((mx_array *[]){xt, yt}, 2) == MX_OK);
    mx_array *same[2] = {xt, yt}, *mixed[2] = {xt, y2};
    for (int k = 0; k < 2; k++) {
        mx_cuda_jit_stats st;
        mx_cuda_jit_get_stats(&st);
        three r = run3(two_in, k == 0 ? same : mixed, 2);
        check_ran_on_gpu(r.fused, &st);
        compare("transposed fused vs cpu", r.fused, r.cpu, 2e-6, 2e-6);
        compare("transposed fused vs gpu", r.fused, r.gpu, 0, 0);
        /* the unfused GPU kernels keep the order too (cuda_util.c: mx_cuda_ew_out) */
        CHECK(mx_eval(&r.gpu, 1) == MX_OK);
        mx_array *res[2] = {r.fused, r.gpu};
        for (int q = 0; q < 2; q++)
            if (res[q] && !res[q]->node) {
                uint32_t f = res[q]->v.flags;
                CHECK(k == 0 ? (f & MX_COL_CONTIG) && !(f & MX_ROW_CONTIG)
                             : (f & MX_ROW_CONTIG) != 0);
            }
        release3(&r);
    }
    mx_array_release(xt), mx_array_release(yt), mx_array_release(x), mx_array_release(y);
    mx_array_release(y2);
}

/* a misaligned slice (offset 1 element) and sizes that leave a vector tail */
static mx_array *sliced(mx_array *const *in, mx_stream s) {
    int64_t st[1] = {1}, sp[1] = {MX_SLICE_NONE}, step[1] = {1};
    mx_array *x = mx_slice(in[0], st, sp, step, s);
    return mx_add(mx_multiply(x, x, s), mx_multiply(x, sc(0.25, x), s), s);
}

static mx_array *flat_chain(mx_array *const *in, mx_stream s) {
    mx_array *x = in[0];
    return mx_add(mx_multiply(x, x, s), mx_multiply(x, sc(0.25, x), s), s);
}

TEST(gpu_vector_tail_and_misaligned_views) {
    if (!have_gpu()) return;
    int64_t sizes[3] = {4099, 8, 3};
    for (int k = 0; k < 3; k++) {
        mx_array *x = vals(1, sizes[k], -2, 2, 8, MX_FLOAT32);
        mx_array *x1 = mx_reshape(x, (int64_t[]){sizes[k]}, 1, CPU);
        three r = run3(flat_chain, &x1, 1);
        compare("tail fused vs cpu", r.fused, r.cpu, 0, 0);
        release3(&r);
        if (sizes[k] > 1) {
            r = run3(sliced, &x1, 1);
            compare("misaligned fused vs cpu", r.fused, r.cpu, 0, 0);
            release3(&r);
        }
        mx_array_release(x1);
        mx_array_release(x);
    }
}

static mx_array *half_chain(mx_array *const *in, mx_stream s) {
    mx_array *x = in[0], *y = in[1];
    mx_array *t = mx_add(mx_multiply(x, y, s), mx_exp(mx_negative(x, s), s), s);
    return mx_sqrt(mx_add(mx_multiply(t, t, s), sc(1, t), s), s);
}

TEST(gpu_float16_bfloat16_groups) {
    if (!have_gpu()) return;
    mx_dtype dts[2] = {MX_FLOAT16, MX_BFLOAT16};
    double tol[2] = {2e-3, 1.6e-2};
    for (int k = 0; k < 2; k++) {
        mx_array *in[2] = {vals(33, 65, -2, 2, 9, dts[k]), vals(33, 65, -2, 2, 10, dts[k])};
        mx_cuda_jit_stats st;
        mx_cuda_jit_get_stats(&st);
        three r = run3(half_chain, in, 2);
        check_ran_on_gpu(r.fused, &st);
        compare("half fused vs gpu", r.fused, r.gpu, 0, 0);
        compare("half fused vs cpu", r.fused, r.cpu, tol[k], tol[k]);
        release3(&r);
        for (int i = 0; i < 2; i++) mx_array_release(in[i]);
    }
}

static mx_array *int_chain(mx_array *const *in, mx_stream s) {
    mx_array *x = in[0], *y = in[1];
    mx_array *q = mx_floor_divide(x, y, s), *m = mx_remainder(x, y, s);
    mx_array *t = mx_add(mx_multiply(q, y, s), m, s); /* == x */
    t = mx_bitwise_xor(mx_maximum(t, mx_negative(y, s), s), mx_left_shift(y, sc(2, y), s), s);
    return mx_where(mx_greater(x, y, s), t, mx_multiply(y, sc(3, y), s), s);
}

static mx_array *bool_chain(mx_array *const *in, mx_stream s) {
    mx_array *a = mx_greater(in[0], in[1], s), *b = mx_less(in[0], sc(0.5, in[0]), s);
    return mx_logical_or(mx_logical_and(a, mx_logical_not(b, s), s), mx_equal(a, b, s), s);
}

static mx_array *complex_chain(mx_array *const *in, mx_stream s) {
    mx_array *z = in[0], *w = in[1];
    mx_array *t = mx_add(mx_multiply(z, w, s), mx_conj(z, s), s);
    return mx_add(mx_exp(mx_multiply(t, sc(0.25, t), s), s), mx_square(w, s), s);
}

TEST(gpu_integer_bool_complex_groups) {
    if (!have_gpu()) return;
    mx_array *x = vals(45, 91, -1000, 1000, 11, MX_INT32), *y0 = vals(45, 91, 1, 50, 12, MX_INT32);
    mx_array *in[2] = {x, y0};
    three r = run3(int_chain, in, 2);
    compare("int32 fused vs cpu", r.fused, r.cpu, 0, 0);
    compare("int32 fused vs gpu", r.fused, r.gpu, 0, 0);
    release3(&r);
    mx_array *f[2] = {vals(45, 91, 0, 1, 13, MX_FLOAT32), vals(45, 91, 0, 1, 14, MX_FLOAT32)};
    r = run3(bool_chain, f, 2);
    compare("bool fused vs cpu", r.fused, r.cpu, 0, 0);
    release3(&r);
    mx_array *c[2];
    const float unit[2] = {0, 1};
    mx_array *j = mx_array_from_data(unit, NULL, 0, MX_COMPLEX64);
    for (int i = 0; i < 2; i++) {
        mx_array *im = mx_multiply(f[1 - i], j, CPU), *re = mx_astype(f[i], MX_COMPLEX64, CPU);
        c[i] = mx_add(re, im, CPU);
        mx_array_release(im);
        mx_array_release(re);
    }
    mx_array_release(j);
    r = run3(complex_chain, c, 2);
    compare("complex fused vs gpu", r.fused, r.gpu, 1e-6, 1e-6);
    compare("complex fused vs cpu", r.fused, r.cpu, 1e-5, 1e-5);
    release3(&r);
    for (int i = 0; i < 2; i++) {
        mx_array_release(f[i]);
        mx_array_release(c[i]);
    }
    mx_array_release(x);
    mx_array_release(y0);
}

TEST(gpu_fallback_runs_op_by_op_on_the_gpu) {
    if (!have_gpu()) return;
    mx_array *in[3] = {vals(31, 17, -2, 2, 15, MX_FLOAT32), vals(31, 17, -2, 2, 16, MX_FLOAT32),
                       vals(31, 17, -2, 2, 17, MX_FLOAT32)};
    mx_cuda_jit_set_enabled(0);
    mx_cuda_jit_stats a, b;
    mx_cuda_jit_get_stats(&a);
    three r = run3(f32_chain, in, 3);
    CHECK(r.fused && mx_eval(&r.fused, 1) == MX_OK);
    mx_cuda_jit_get_stats(&b);
    mx_cuda_jit_set_enabled(1);
    CHECK(b.fallback_runs > a.fallback_runs && b.gpu_runs == a.gpu_runs);
    CHECK(r.fused && r.fused->v.buf && r.fused->v.buf->valid == MX_LOC_DEVICE);
    compare("fallback vs cpu", r.fused, r.cpu, 0, 0);
    release3(&r);
    for (int i = 0; i < 3; i++) mx_array_release(in[i]);
}

static mx_array *cache_chain(mx_array *const *in, mx_stream s) { /* a group no other test has */
    mx_array *x = in[0];
    return mx_arctan(mx_add(mx_cosh(mx_multiply(x, sc(0.3, x), s), s), mx_expm1(x, s), s), s);
}

TEST(gpu_disk_cache_serves_a_second_build) {
    if (!have_gpu()) return;
    cache_begin();
    mx_array *x = vals(19, 23, -1, 1, 18, MX_FLOAT32);
    mx_nvrtc_stats n0, n1, n2;
    mx_nvrtc_get_stats(&n0);
    three r = run3(cache_chain, &x, 1);
    CHECK(r.fused && mx_eval(&r.fused, 1) == MX_OK);
    mx_nvrtc_get_stats(&n1);
    CHECK(n1.compiles > n0.compiles && n1.disk_writes > n0.disk_writes);
    CHECK(cache_files(".cubin", NULL, 0) + cache_files(".ptx", NULL, 0) >= 1);
    compare("first build", r.fused, r.gpu, 0, 0);
    release3(&r);
    mx_cuda_jit_forget(); /* the next run builds again: from the disk */
    mx_cuda_jit_stats st;
    mx_cuda_jit_get_stats(&st);
    r = run3(cache_chain, &x, 1);
    check_ran_on_gpu(r.fused, &st);
    mx_nvrtc_get_stats(&n2);
    CHECK(n2.compiles == n1.compiles && n2.disk_hits > n1.disk_hits && n2.loads > n1.loads);
    compare("second build", r.fused, r.gpu, 0, 0);
    compare("second build vs cpu", r.fused, r.cpu, 1e-6, 1e-5);
    release3(&r);
    mx_array_release(x);
    cache_end();
}

static mx_array *f64_chain(mx_array *const *in, mx_stream s) {
    return mx_multiply(mx_exp(in[0], s), in[0], s);
}

TEST(gpu_float64_group_is_refused) {
    if (!have_gpu()) return;
    mx_array *x = vals(3, 4, -1, 1, 19, MX_FLOAT64);
    gctx g = {f64_chain, GPU};
    mx_compiled *cf = mx_compile(call_g, &g, 0);
    mx_array *out = NULL;
    int n = 0;
    mx_status st = mx_compiled_call(cf, &x, 1, &out, &n, 1);
    if (st == MX_OK) st = mx_eval(&out, 1);
    CHECK(st == MX_ERR_VALUE);
    CHECK(strstr(mx_error_message(), "float64 is not supported on the GPU") != NULL);
    CHECK(strncmp(mx_error_message(), "[exp]", 5) == 0);
    mx_error_clear();
    mx_array_release(out);
    mx_compiled_free(cf);
    mx_array_release(x);
}
