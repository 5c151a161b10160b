/* src/backend/cpu/jit.c: the CPU kernel of FUSED nodes (src/transforms/compile.h).
 *
 * For each (sub-tape, variant, compiler) it generates C source from the expression columns of
 * unary.def / binary.def (stringised with the same X-macros the ordinary kernels expand). Two
 * kinds of variant, each built when first seen:
 *   dense, per mask of scalar inputs:
 *     mx_fz_c(p, begin, end)     every operand dense row-major (scalar inputs loaded once)
 *     mx_fz_s(p, strides, n)     one run with run-time strides (any layout; the fallback)
 *   rows, per mask of inputs whose innermost stride is 0 (the others' is 1, the output's 1):
 *     mx_fz_r(p, os, rows, n)    `rows` rows of n elements, row r of operand o at p[o] + r*os[o]
 *                                bytes; stride-1 operands are read through restrict pointers,
 *                                stride-0 ones loaded once per row, so the inner loop vectorises
 *                                (a bias add: z (m, n) + b (n,) is stride 1 for both operands;
 *                                z (m, n) + b (m, 1) makes b a per-row scalar)
 * Every intermediate value is rounded to its dtype's storage type, exactly as the unfused kernels
 * store it, so results match the unfused graph. The source includes scalar.h (found next to this
 * file, or in $CMLX_JIT_INCLUDE) and is built with the system C compiler
 * (`cc -std=c11 -O3 -march=native -fPIC -shared`) into <cache dir>/fz_<hash>.so, where <hash>
 * covers the source, the compiler and the include directory; the object is dlopen'ed and kept
 * for the life of the process. Runs go over the thread pool.
 *
 * Without a compiler (or when generation, the build or dlopen fails, or an op has no generated
 * form) the sub-tape is interpreted with the ordinary CPU kernels: same results, silently.
 * What the GPU kernel of FUSED shares with this one (the stringised .def columns, the string
 * builder, input views, the collapsed iteration space, the interpreter) is in
 * src/transforms/fused_common.c.
 */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../transforms/fused_common.h"
#include "../../transforms/tape.h"
#include "cpu_impl.h"

typedef void (*fz_c_fn)(char *const *p, int64_t b, int64_t e);
typedef void (*fz_s_fn)(char *const *p, const int64_t *s, int64_t n);
typedef void (*fz_r_fn)(char *const *p, const int64_t *os, int64_t rows, int64_t n);

enum { KIND_DENSE, KIND_ROWS }; /* the variants (see the top of the file) */
/* Operands (inputs + the output) a generated kernel takes; a fused node has at most 3 inputs per
 * op and compile fuses at most 48 ops, so this is never reached in practice (the interpreter runs
 * anything larger). */
#define MX_FUSED_MAX_OPERANDS 160

/* ---- the dtype names as strings (the .def columns: mx_fused_expr_cols) ---- */
typedef struct dt_names {
    const char *t, *ct, *cls, *ld, *st;
} dt_names;

#define DT_NAMES(DT, T, CT, CLS, LD, ST, RT, STR, unused) [MX_##DT] = {#T, #CT, #CLS, #LD, #ST},
static const dt_names dts[MX_NUM_DTYPES] = {MX_CPU_DTYPES(DT_NAMES, 0)};
#undef DT_NAMES

/* ---- source generation ---- */
/* The loop body: op results t<k>, inputs named by names[0..n_in). false: an op has no C form. */
static bool gen_ops(mx_sbuf *b, const mx_fused_desc *d, char (*names)[24]) {
    for (int k = 0; k < d->n_ops; k++) {
        const mx_fused_op *op = &d->ops[k];
        int vid = d->n_in + k, ot = op->dtype, it = mx_fused_value_dtype(d, op->in[0]);
        const mx_prim_info *pi = &mx_prims[op->prim];
        if (op->prim == MX_PRIM_BROADCAST) {
            memcpy(names[vid], names[op->in[0]], sizeof names[vid]);
            continue;
        }
        snprintf(names[vid], sizeof names[vid], "t%d", k);
        const char *a0 = names[op->in[0]];
        const char *ex = mx_fused_pick(&mx_fused_expr_cols[op->prim], dts[it].cls[0]);
        if (op->prim == MX_PRIM_WHERE) {
            mx_sbuf_printf(b, "    %s t%d = %s ? %s : %s;\n", dts[ot].t, k, a0, names[op->in[1]],
                           names[op->in[2]]);
        } else if (op->prim == MX_PRIM_ASTYPE) {
            mx_sbuf_printf(b, "    %s t%d = %s((%s)%s(%s));\n", dts[ot].t, k, dts[ot].st,
                           dts[ot].ct, dts[it].ld, a0);
        } else if (op->prim == MX_PRIM_ERFINV || !(pi->flags & MX_PF_ELEMENTWISE) ||
                   !(pi->kinds & mx_dtype_kindbit(it)) || !mx_fused_expr_cols[op->prim].fx) {
            return false;
        } else if (op->n_in == 1) {
            mx_sbuf_printf(b, "    %s t%d;\n    { %s x = %s(%s); (void)x; t%d = %s(%s); }\n",
                           dts[ot].t, k, dts[it].ct, dts[it].ld, a0, k, dts[ot].st, ex);
        } else {
            mx_sbuf_printf(b,
                           "    %s t%d;\n    { %s a = %s(%s), b = %s(%s); (void)a; (void)b; "
                           "t%d = %s(%s); }\n",
                           dts[ot].t, k, dts[it].ct, dts[it].ld, a0, dts[it].ld, names[op->in[1]],
                           k, dts[ot].st, ex);
        }
    }
    return true;
}

/* mx_fz_r for the operands whose bit is set in bcast_mask broadcast along the inner dimension. */
static bool gen_rows(mx_sbuf *b, const mx_fused_desc *d, uint64_t bcast_mask, char (*names)[24]) {
    int ov = d->outs[0], odt = mx_fused_value_dtype(d, ov);
    mx_sbuf_printf(b, "void mx_fz_r(char *const *p, const int64_t *os, int64_t rows, int64_t n);\n"
                      "void mx_fz_r(char *const *p, const int64_t *os, int64_t rows, int64_t n) {\n"
                      "  for (int64_t r = 0; r < rows; r++) {\n");
    for (int j = 0; j < d->n_in; j++) {
        const char *t = dts[d->in_dtype[j]].t;
        if (bcast_mask >> j & 1) {
            mx_sbuf_printf(b, "    const %s s%d = *(const %s *)(p[%d] + r * os[%d]);\n", t, j, t,
                           j, j);
            snprintf(names[j], sizeof names[j], "s%d", j);
        } else {
            mx_sbuf_printf(b, "    const %s *restrict P%d = (const %s *)(p[%d] + r * os[%d]);\n",
                           t, j, t, j, j);
            snprintf(names[j], sizeof names[j], "v%d", j);
        }
    }
    mx_sbuf_printf(b, "    %s *restrict O = (%s *)(p[%d] + r * os[%d]);\n"
                      "    for (int64_t i = 0; i < n; i++) {\n",
                   dts[odt].t, dts[odt].t, d->n_in, d->n_in);
    for (int j = 0; j < d->n_in; j++)
        if (!(bcast_mask >> j & 1))
            mx_sbuf_printf(b, "    const %s v%d = P%d[i];\n", dts[d->in_dtype[j]].t, j, j);
    bool ok = gen_ops(b, d, names);
    mx_sbuf_printf(b, "    O[i] = %s;\n    }\n  }\n}\n", names[ov]);
    return ok;
}

static char *gen_source(const mx_fused_desc *d, int kind, uint64_t mask) {
    mx_sbuf b = {0};
    char (*names)[24] = calloc((size_t)(d->n_in + d->n_ops), sizeof *names);
    if (!names) return NULL;
    int ov = d->outs[0], odt = mx_fused_value_dtype(d, ov);
    bool ok = true;
    mx_sbuf_printf(&b, "/* generated by cmlx compile: one fused element-wise loop */\n"
                       "#include \"scalar.h\"\n\n");
    if (kind == KIND_ROWS) {
        ok = gen_rows(&b, d, mask, names);
        free(names);
        if (!ok || b.bad) {
            free(b.s);
            return NULL;
        }
        return b.s;
    }
    uint64_t scalar_mask = mask;
    /* dense */
    mx_sbuf_printf(&b, "void mx_fz_c(char *const *p, int64_t b_, int64_t e_);\n"
                       "void mx_fz_c(char *const *p, int64_t b_, int64_t e_) {\n");
    for (int j = 0; j < d->n_in; j++) {
        const char *t = dts[d->in_dtype[j]].t;
        if (scalar_mask >> j & 1) {
            mx_sbuf_printf(&b, "  const %s s%d = *(const %s *)p[%d];\n", t, j, t, j);
            snprintf(names[j], sizeof names[j], "s%d", j);
        } else {
            mx_sbuf_printf(&b, "  const %s *restrict P%d = (const %s *)p[%d];\n", t, j, t, j);
            snprintf(names[j], sizeof names[j], "v%d", j);
        }
    }
    mx_sbuf_printf(&b, "  %s *restrict O = (%s *)p[%d];\n  for (int64_t i = b_; i < e_; i++) {\n",
                   dts[odt].t, dts[odt].t, d->n_in);
    for (int j = 0; j < d->n_in; j++)
        if (!(scalar_mask >> j & 1))
            mx_sbuf_printf(&b, "    const %s v%d = P%d[i];\n", dts[d->in_dtype[j]].t, j, j);
    ok = gen_ops(&b, d, names);
    mx_sbuf_printf(&b, "    O[i] = %s;\n  }\n}\n\n", names[ov]);
    /* strided run */
    mx_sbuf_printf(&b, "void mx_fz_s(char *const *p, const int64_t *s, int64_t n);\n"
                       "void mx_fz_s(char *const *p, const int64_t *s, int64_t n) {\n"
                       "  for (int64_t i = 0; i < n; i++) {\n");
    for (int j = 0; j < d->n_in; j++) {
        const char *t = dts[d->in_dtype[j]].t;
        mx_sbuf_printf(&b, "    const %s v%d = ((const %s *)p[%d])[i * s[%d]];\n", t, j, t, j, j);
        snprintf(names[j], sizeof names[j], "v%d", j);
    }
    ok = ok && gen_ops(&b, d, names);
    mx_sbuf_printf(&b, "    ((%s *)p[%d])[i * s[%d]] = %s;\n  }\n}\n", dts[odt].t, d->n_in, d->n_in,
                   names[ov]);
    free(names);
    if (!ok || b.bad) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* ---- building and loading ---- */
static uint64_t fnv_str(uint64_t h, const char *s) {
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return (h ^ 0xff) * 0x100000001b3ULL;
}

static void include_dir(char *buf, size_t n) {
    const char *e = getenv("CMLX_JIT_INCLUDE");
    if (e && e[0]) snprintf(buf, n, "%s", e);
    else {
        snprintf(buf, n, "%s", __FILE__);
        char *slash = strrchr(buf, '/');
        if (slash) *slash = 0;
        else snprintf(buf, n, ".");
    }
}

static bool safe_path(const char *s) { return !strchr(s, '\'') && !strchr(s, '\n'); }

/* Build (or find on disk) and load the kernel for src; NULL on any failure. */
static void *build_and_load(const char *src, const char *cc, const char *inc) {
    char dir[2048], so[2304], cfile[2304], tmp[2304];
    mx_compile_jit_cache_dir(dir, sizeof dir);
    uint64_t h = fnv_str(fnv_str(fnv_str(0xcbf29ce484222325ULL, src), cc), inc);
    if (!safe_path(dir) || !safe_path(inc) || !mx_mkdir_p(dir)) return NULL;
    snprintf(so, sizeof so, "%s/fz_%016llx.so", dir, (unsigned long long)h);
    if (access(so, R_OK) == 0) {
        void *dl = dlopen(so, RTLD_NOW | RTLD_LOCAL);
        if (dl) return dl;
    }
    snprintf(cfile, sizeof cfile, "%s/fz_%016llx_%ld.c", dir, (unsigned long long)h, (long)getpid());
    snprintf(tmp, sizeof tmp, "%s/fz_%016llx_%ld.so", dir, (unsigned long long)h, (long)getpid());
    FILE *f = fopen(cfile, "w");
    if (!f) return NULL;
    bool wrote = fputs(src, f) >= 0;
    if (fclose(f) != 0 || !wrote) {
        unlink(cfile);
        return NULL;
    }
    size_t cl = strlen(cc) + strlen(inc) + strlen(tmp) + strlen(cfile) + 256;
    char *cmd = malloc(cl);
    if (!cmd) {
        unlink(cfile);
        return NULL;
    }
    snprintf(cmd, cl,
             "%s -std=c11 -O3 -march=native -fPIC -shared -I'%s' -o '%s' '%s' -lm >/dev/null 2>&1",
             cc, inc, tmp, cfile);
    int rc = system(cmd);
    free(cmd);
    unlink(cfile);
    if (rc != 0 || rename(tmp, so) != 0) {
        unlink(tmp);
        return NULL;
    }
    mx_compile_count(MX_CC_JIT_BUILDS, 1);
    return dlopen(so, RTLD_NOW | RTLD_LOCAL);
}

/* ---- the in-memory kernel cache: (desc, scalar mask, compiler) -> entry points ---- */
typedef struct jit_entry {
    const mx_fused_desc *d;
    int                  kind;
    uint64_t             mask, cc_hash;
    fz_c_fn              fc;
    fz_s_fn              fs;
    fz_r_fn              fr;
    bool                 ok;
    struct jit_entry    *next;
} jit_entry;

static pthread_mutex_t jit_mu = PTHREAD_MUTEX_INITIALIZER;
static jit_entry      *jit_tab[512];

static const jit_entry *jit_get(const mx_fused_desc *d, int kind, uint64_t mask) {
    char cc[1024];
    mx_compile_jit_compiler(cc, sizeof cc);
    if (!cc[0]) return NULL;
    uint64_t ch = fnv_str(0xcbf29ce484222325ULL, cc);
    size_t slot = (size_t)(((uintptr_t)d >> 4) ^ mask ^ ch ^ (uint64_t)kind * 0x9e37u) & 511;
    pthread_mutex_lock(&jit_mu);
    jit_entry *e = jit_tab[slot];
    while (e && !(e->d == d && e->kind == kind && e->mask == mask && e->cc_hash == ch)) e = e->next;
    if (!e && (e = calloc(1, sizeof *e))) {
        e->d = d;
        e->kind = kind;
        e->mask = mask;
        e->cc_hash = ch;
        char inc[2048], probe[2100];
        include_dir(inc, sizeof inc);
        snprintf(probe, sizeof probe, "%s/scalar.h", inc);
        char *src = access(probe, R_OK) == 0 ? gen_source(d, kind, mask) : NULL;
        void *dl = src ? build_and_load(src, cc, inc) : NULL;
        free(src);
        if (dl && kind == KIND_ROWS) {
            e->fr = (fz_r_fn)(uintptr_t)dlsym(dl, "mx_fz_r");
            e->ok = e->fr != NULL;
        } else if (dl) {
            e->fc = (fz_c_fn)(uintptr_t)dlsym(dl, "mx_fz_c");
            e->fs = (fz_s_fn)(uintptr_t)dlsym(dl, "mx_fz_s");
            e->ok = e->fc && e->fs;
        }
        if (!e->ok) mx_compile_count(MX_CC_JIT_FAILURES, 1);
        e->next = jit_tab[slot];
        jit_tab[slot] = e;
    }
    pthread_mutex_unlock(&jit_mu);
    return e && e->ok ? e : NULL;
}

/* ---- running a generated kernel ---- */
/* The iteration space: the output's dimensions with those that are contiguous for every operand
 * merged (size-1 dimensions dropped). Operand o's stride along dimension i is st[o][i] (elements);
 * operands 0..n_in-1 are the inputs viewed with the output's shape, n_in the row-major output. */
typedef struct plan {
    int     nops, nd;
    int64_t shape[MX_MAX_DIMS];
    int64_t (*st)[MX_MAX_DIMS]; /* nops rows */
} plan;

static void make_plan(const mx_fused_desc *d, const mx_layout *bv, const mx_meta *S, plan *pl) {
    int n_in = d->n_in;
    pl->nops = n_in + 1;
    pl->nd = mx_fused_collapse(n_in, bv, S, pl->shape, pl->st);
    /* the row-major output merges wherever the inputs do: its strides are the collapsed shape's
     * row-major ones (0 for a space of one element) */
    int64_t acc = mx_meta_size(S) == 1 ? 0 : 1;
    for (int k = pl->nd - 1; k >= 0; k--) {
        pl->st[n_in][k] = acc;
        acc *= pl->shape[k];
    }
}

/* The rows variant applies when every input's innermost stride is 0 or 1 (the output's is 1):
 * *bmask gets the inputs of stride 0. */
static bool rows_applicable(const mx_fused_desc *d, const plan *pl, uint64_t *bmask) {
    int last = pl->nd - 1;
    *bmask = 0;
    if (d->n_in > 64) return false;
    for (int j = 0; j < d->n_in; j++) {
        int64_t s = pl->st[j][last];
        if (s == 0) *bmask |= (uint64_t)1 << j;
        else if (s != 1) return false;
    }
    return pl->st[d->n_in][last] == 1;
}

typedef struct run_ctx {
    const jit_entry *k;
    char          **base;
    const size_t   *isz;
    const plan     *pl;
    const int64_t  *os; /* rows variant: byte stride between rows, per operand */
} run_ctx;

static void run_dense(void *ctx, int64_t b, int64_t e) {
    run_ctx *r = ctx;
    r->k->fc(r->base, b, e);
}

/* Row `row` of the iteration space (all dimensions but the last, row-major) for every operand,
 * over the dimensions [0, upto). */
static void row_ptrs(const run_ctx *r, int64_t row, int upto, char **p) {
    const plan *pl = r->pl;
    for (int o = 0; o < pl->nops; o++) p[o] = r->base[o];
    for (int dd = upto - 1; dd >= 0; dd--) {
        int64_t i = row % pl->shape[dd];
        row /= pl->shape[dd];
        for (int o = 0; o < pl->nops; o++) p[o] += i * pl->st[o][dd] * (int64_t)r->isz[o];
    }
}

static void run_strided(void *ctx, int64_t b, int64_t e) {
    run_ctx *r = ctx;
    const plan *pl = r->pl;
    char *p[MX_FUSED_MAX_OPERANDS];
    int64_t s[MX_FUSED_MAX_OPERANDS];
    int last = pl->nd - 1;
    for (int o = 0; o < pl->nops; o++) s[o] = pl->st[o][last];
    for (int64_t row = b; row < e; row++) {
        row_ptrs(r, row, last, p);
        r->k->fs(p, s, pl->shape[last]);
    }
}

/* Rows [b, e): one call per run of rows inside the same outer block of dimension nd - 2. */
static void run_rows(void *ctx, int64_t b, int64_t e) {
    run_ctx *r = ctx;
    const plan *pl = r->pl;
    char *p[MX_FUSED_MAX_OPERANDS];
    int last = pl->nd - 1, rd = pl->nd - 2;
    int64_t outer = rd >= 0 ? pl->shape[rd] : 1;
    for (int64_t row = b; row < e;) {
        int64_t i2 = row % outer, cnt = outer - i2;
        if (cnt > e - row) cnt = e - row;
        row_ptrs(r, row / outer, rd > 0 ? rd : 0, p);
        for (int o = 0; o < pl->nops; o++) p[o] += i2 * r->os[o];
        r->k->fr(p, r->os, cnt, pl->shape[last]);
        row += cnt;
    }
}

static mx_status run_jit(const jit_entry *k, const mx_fused_desc *d, const mx_layout *in,
                         const plan *pl, mx_layout *out) {
    int nops = d->n_in + 1;
    char *base[MX_FUSED_MAX_OPERANDS];
    size_t isz[MX_FUSED_MAX_OPERANDS];
    int64_t os[MX_FUSED_MAX_OPERANDS];
    MX_TRY(mx_layout_alloc(out));
    int64_t N = mx_meta_size(&out->m);
    if (N == 0) return MX_OK;
    for (int j = 0; j < d->n_in; j++) {
        base[j] = (char *)mx_layout_ptr(&in[j]);
        isz[j] = mx_dtype_size(in[j].m.dtype);
    }
    base[d->n_in] = (char *)mx_layout_ptr(out);
    isz[d->n_in] = mx_dtype_size(out->m.dtype);
    run_ctx r = {k, base, isz, pl, os};
    if (!pl) {
        mx_parallel_for(N, 1 << 14, run_dense, &r);
        return MX_OK;
    }
    int64_t inner = pl->shape[pl->nd - 1], rows = N / inner;
    int64_t grain = inner >= (1 << 14) ? 1 : (1 << 14) / inner;
    if (k->kind == KIND_ROWS) {
        for (int o = 0; o < nops; o++)
            os[o] = pl->nd >= 2 ? pl->st[o][pl->nd - 2] * (int64_t)isz[o] : 0;
        mx_parallel_for(rows, grain, run_rows, &r);
    } else {
        mx_parallel_for(rows, grain, run_strided, &r);
    }
    return MX_OK;
}

static mx_status fused_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_fused_desc *d = mx_fused_of(n);
    MX_CHECK(d && d->n_out == 1 && n->n_out == 1 && n->n_in == d->n_in, MX_ERR_INTERNAL,
             "[fused] malformed fused node");
    mx_layout bl[8], *bv = d->n_in <= 8 ? bl : malloc(sizeof *bv * (size_t)d->n_in);
    MX_CHECK(bv != NULL, MX_ERR_NOMEM, "[fused] out of memory");
    int64_t N = mx_meta_size(&out[0].m);
    uint64_t mask = 0;
    mx_status rc = mx_fused_views(d, in, &out[0].m, bv);
    bool dense = mx_fused_dense(in, d->n_in, N, &mask);
    const jit_entry *k = NULL;
    int64_t stl[8 + 1][MX_MAX_DIMS];
    plan pl = {0, 0, {0}, stl};
    bool use_plan = false;
    if (rc == MX_OK && d->n_in + 1 > MX_FUSED_MAX_OPERANDS) {
        /* more operands than the runners hold on their stacks: interpret */
    } else if (rc == MX_OK && dense && d->n_in <= 64) {
        k = jit_get(d, KIND_DENSE, mask);
    } else if (rc == MX_OK) {
        if (d->n_in > 8 && !(pl.st = malloc(sizeof *pl.st * (size_t)(d->n_in + 1))))
            rc = mx_fail(MX_ERR_NOMEM, "[fused] out of memory");
        if (rc == MX_OK) {
            make_plan(d, bv, &out[0].m, &pl);
            use_plan = true;
            uint64_t bmask;
            if (rows_applicable(d, &pl, &bmask)) k = jit_get(d, KIND_ROWS, bmask);
            if (!k) k = jit_get(d, KIND_DENSE, 0); /* its strided entry */
        }
    }
    if (rc == MX_OK && k) {
        mx_compile_count(MX_CC_JIT_RUNS, 1);
        rc = run_jit(k, d, in, use_plan ? &pl : NULL, &out[0]);
    } else if (rc == MX_OK) {
        mx_compile_count(MX_CC_INTERP_RUNS, 1);
        rc = mx_fused_interpret(n, d, bv, &out[0], mx_cpu_backend()->kernels, "cpu");
    }
    if (pl.st != stl) free(pl.st);
    if (bv != bl) free(bv);
    return rc;
}

void mx_cpu_register_jit(mx_kernel_fn *k) {
    k[MX_PRIM_FUSED] = fused_kernel;
    k[MX_PRIM_COMPILED_CALL] = mx_tape_call_cpu;
}
