/* tests/c/test_fast.c: mx.fast custom CUDA kernels (include/mx/fast.h): argument checks of kernel
 * objects and calls, the generated source (signature, shape parameters only when mentioned and
 * never for 0-d inputs, template arguments, the symbol), NVRTC compiling generated sources for
 * compute_90 (NVRTC is loaded with dlopen and works without a GPU; skipped where absent), the CPU
 * kernel and vmap rule reporting errors, and runs on the GPU against C references (skipped
 * without a GPU): exp with a template type, a strided transposed input, init_value with
 * atomicAdd, two outputs, 0-d scalar inputs, float16, int/bool templates, a precompiled PTX
 * kernel with scalars, and compile errors carrying NVRTC's log. */
#define FAMILY "fast"
#include <dlfcn.h>
#include <stdlib.h>

#include "backend/backend.h"
#include "fast/fast_impl.h"
#include "harness.h"
#include "mx/fast.h"
#include "transforms/rules.h"

#define GPU mx_stream_of_device(MX_GPU)
#define CPU mx_stream_of_device(MX_CPU)

static mx_fast_kernel *mk(const char *name, const char *const *in, int nin, const char *const *out,
                          int nout, const char *src, const char *hdr, bool contig) {
    return mx_fast_cuda_kernel(name, in, nin, out, nout, src, hdr, contig, 0);
}

/* a launch with one output of `shape` and dtype t */
static mx_fast_launch one_out(const int64_t *const *shape, const int *nd, const mx_dtype *t,
                              int gx, int tx) {
    mx_fast_launch l;
    memset(&l, 0, sizeof l);
    l.output_shapes = shape;
    l.output_ndims = nd;
    l.output_dtypes = t;
    l.n_outputs = 1;
    l.grid[0] = gx, l.grid[1] = 1, l.grid[2] = 1;
    l.threadgroup[0] = tx, l.threadgroup[1] = 1, l.threadgroup[2] = 1;
    return l;
}

/* ---- kernel objects ---- */
TEST(kernel_argument_errors) {
    const char *in[2] = {"a", "b"}, *out[1] = {"out"}, *dup[1] = {"a"}, *bad[1] = {"1x"};
    mx_fast_kernel *k = mk("ok_name", in, 2, out, 1, "out[0] = a[0];", NULL, true);
    CHECK(k != NULL);
    CHECK(strcmp(mx_fast_kernel_name(k), "ok_name") == 0);
    CHECK(mx_fast_kernel_n_inputs(k) == 2 && mx_fast_kernel_n_outputs(k) == 1);
    CHECK(mx_fast_kernel_retain(k) == k);
    mx_fast_kernel_release(k);
    mx_fast_kernel_release(k);
    CHECK_ERR(mk("my-exp", in, 2, out, 1, "", NULL, true), MX_ERR_VALUE, "cuda_kernel");
    CHECK_ERR(mk("k", in, 2, out, 0, "", NULL, true), MX_ERR_VALUE, "cuda_kernel");
    CHECK_ERR(mk("k", in, 2, dup, 1, "", NULL, true), MX_ERR_VALUE, "cuda_kernel");
    CHECK_ERR(mk("k", bad, 1, out, 1, "", NULL, true), MX_ERR_VALUE, "cuda_kernel");
    CHECK_ERR(mk("k", in, 2, out, 1, NULL, NULL, true), MX_ERR_VALUE, "cuda_kernel");
    CHECK_ERR(mx_fast_cuda_kernel("k", in, 2, out, 1, "", NULL, true, -1), MX_ERR_VALUE,
              "cuda_kernel");
    mx_fast_kernel_release(NULL);
}

/* ---- the generated source ---- */
static int has(const char *s, const char *sub) {
    if (s && strstr(s, sub)) return 1;
    fprintf(stderr, "  missing in the source: <<%s>>\n", sub);
    return 0;
}

TEST(source_signature_shapes_and_templates) {
    const char *in[3] = {"inp", "w", "s"}, *out[2] = {"out", "out2"};
    const char *body = "  int e = inp_ndim + w_ndim;\n  (void)inp_shape; (void)inp_strides;\n"
                       "  (void)s_shape;\n  out[0] = T(e);\n";
    mx_fast_kernel *k = mk("myk", in, 3, out, 2, body, "__device__ int helper_fn() { return 1; }",
                           true);
    CHECK(k != NULL);
    mx_dtype idt[3] = {MX_FLOAT16, MX_BFLOAT16, MX_INT32}, odt[2] = {MX_FLOAT32, MX_COMPLEX64};
    int ind[3] = {2, 1, 0}; /* s is 0-d: no shape parameters even though mentioned */
    mx_fast_template_arg t[4] = {{"N", MX_FAST_TARG_INT, 4},
                                 {"B", MX_FAST_TARG_BOOL, 1},
                                 {"T", MX_FAST_TARG_DTYPE, MX_FLOAT32},
                                 {"M", MX_FAST_TARG_INT, -3}};
    char *sym = NULL;
    char *src = mx_fast_cuda_kernel_source(k, idt, ind, 3, odt, 2, t, 4, &sym);
    CHECK(src != NULL && sym != NULL);
    CHECK(sym && strcmp(sym, "custom_kernel_myk_4_t_float32_n3") == 0);
    CHECK(has(src, "extern \"C\" __global__ void custom_kernel_myk_4_t_float32_n3(\n"
                   "    const __half* inp,\n"
                   "    const __grid_constant__ Shape inp_shape,\n"
                   "    const __grid_constant__ Strides inp_strides,\n"
                   "    const __grid_constant__ int inp_ndim,\n"
                   "    const __nv_bfloat16* w,\n"
                   "    const __grid_constant__ int w_ndim,\n"
                   "    const int32_t* s,\n"
                   "    float* out,\n"
                   "    complex64_t* out2) {\n"
                   "  constexpr int N = 4;\n"
                   "  constexpr bool B = true;\n"
                   "  using T = float;\n"
                   "  constexpr int M = -3;\n"
                   "\n"
                   "  int e = inp_ndim + w_ndim;\n"));
    CHECK(src && !strstr(src, "Shape w_shape") && !strstr(src, "Shape s_shape"));
    /* the header comes after the prelude and before the kernel's namespace */
    const char *h = src ? strstr(src, "__device__ int helper_fn()") : NULL;
    const char *ns = src ? strstr(src, "namespace cg = cooperative_groups;") : NULL;
    const char *pre = src ? strstr(src, "using Strides = cuda::std::array<int64_t, MAX_NDIM>;") : NULL;
    CHECK(h && ns && pre && pre < h && h < ns);
    CHECK(has(src, "\n}\n\n} // namespace mlx::core::cu\n"));
    free(src);
    free(sym);
    /* with a 2-d s, its shape parameter appears */
    ind[2] = 2;
    src = mx_fast_cuda_kernel_source(k, idt, ind, 3, odt, 2, NULL, 0, &sym);
    CHECK(has(src, "    const int32_t* s,\n    const __grid_constant__ Shape s_shape,\n    float* out,"));
    CHECK(sym && strcmp(sym, "custom_kernel_myk") == 0);
    free(src);
    free(sym);
    /* errors */
    CHECK_ERR(mx_fast_cuda_kernel_source(k, idt, ind, 2, odt, 2, NULL, 0, NULL), MX_ERR_VALUE,
              "cuda_kernel");
    CHECK_ERR(mx_fast_cuda_kernel_source(k, idt, ind, 3, odt, 1, NULL, 0, NULL), MX_ERR_VALUE,
              "cuda_kernel");
    mx_dtype badt[3] = {MX_FLOAT16, (mx_dtype)99, MX_INT32};
    CHECK_ERR(mx_fast_cuda_kernel_source(k, badt, ind, 3, odt, 2, NULL, 0, NULL), MX_ERR_VALUE,
              "cuda_kernel");
    mx_fast_template_arg bt[4][2] = {
        {{"2x", MX_FAST_TARG_INT, 1}, {"N", MX_FAST_TARG_INT, 1}},
        {{"N", MX_FAST_TARG_INT, 1}, {"N", MX_FAST_TARG_INT, 2}},
        {{"B", MX_FAST_TARG_BOOL, 2}, {"N", MX_FAST_TARG_INT, 1}},
        {{"T", MX_FAST_TARG_DTYPE, 99}, {"N", MX_FAST_TARG_INT, 1}},
    };
    for (int i = 0; i < 4; i++)
        CHECK_ERR(mx_fast_cuda_kernel_source(k, idt, ind, 3, odt, 2, bt[i], 2, NULL),
                  MX_ERR_VALUE, "cuda_kernel");
    mx_fast_kernel_release(k);
}

TEST(source_types_of_every_dtype) {
    static const struct {
        mx_dtype    t;
        const char *name;
    } types[] = {
        {MX_BOOL, "bool"},         {MX_UINT8, "uint8_t"},    {MX_UINT16, "uint16_t"},
        {MX_UINT32, "uint32_t"},   {MX_UINT64, "uint64_t"},  {MX_INT8, "int8_t"},
        {MX_INT16, "int16_t"},     {MX_INT32, "int32_t"},    {MX_INT64, "int64_t"},
        {MX_FLOAT16, "__half"},    {MX_FLOAT32, "float"},    {MX_BFLOAT16, "__nv_bfloat16"},
        {MX_COMPLEX64, "complex64_t"},
    };
    const char *in[1] = {"x"}, *out[1] = {"y"};
    mx_fast_kernel *k = mk("copy", in, 1, out, 1, "y[0] = x[0];", NULL, true);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        int nd = 1;
        char *src = mx_fast_cuda_kernel_source(k, &types[i].t, &nd, 1, &types[i].t, 1, NULL, 0,
                                               NULL);
        char want[128];
        snprintf(want, sizeof want, "    const %s* x,\n    %s* y) {\n", types[i].name,
                 types[i].name);
        CHECK(has(src, want));
        free(src);
    }
    mx_fast_kernel_release(k);
    /* shape parameters: a substring search of the body (MLX's rule) */
    CHECK(mx_fast_shape_info("a_shape[0] + a_ndim", "a") == (MX_FAST_SHAPE | MX_FAST_NDIM));
    CHECK(mx_fast_shape_info("ab_strides[0]", "a") == 0);
    CHECK(mx_fast_shape_info("ab_strides[0]", "ab") == MX_FAST_STRIDES);
}

/* instances are interned by content: one pointer per distinct (symbol, code, shape params) */
TEST(instances_are_interned) {
    uint8_t info[2] = {MX_FAST_SHAPE, 0}, other[2] = {MX_FAST_SHAPE | MX_FAST_NDIM, 0};
    const char code[] = "extern \"C\" __global__ void k1() {}";
    mx_fast_inst *a = mx_fast_intern("cuda_kernel", "k1", code, strlen(code), 0, 2, info);
    mx_fast_inst *b = mx_fast_intern("cuda_kernel", "k1", code, strlen(code), 0, 2, info);
    mx_fast_inst *c = mx_fast_intern("cuda_kernel", "k1", code, strlen(code), 0, 2, other);
    mx_fast_inst *d = mx_fast_intern("cuda_kernel", "k2", code, strlen(code), 0, 2, info);
    mx_fast_inst *e = mx_fast_intern("precompiled_cuda_kernel", "k1", code, 5, 1, 2, info);
    CHECK(a && a == b && c && c != a && d && d != a && e && e != a);
    if (a && e) {
        CHECK(strcmp(a->code, code) == 0 && a->code_len == strlen(code) && !a->precompiled);
        CHECK(strcmp(a->symbol, "k1") == 0 && strcmp(a->op, "cuda_kernel") == 0);
        CHECK(a->n_in == 2 && a->shape_info[0] == MX_FAST_SHAPE && a->shape_info[1] == 0);
        CHECK(e->precompiled && e->code_len == 5 && e->code[5] == 0); /* NUL appended */
        CHECK(strcmp(e->op, "precompiled_cuda_kernel") == 0);
    }
}

/* ---- calls ---- */
TEST(call_argument_errors) {
    mx_scope sc = mx_scope_begin();
    const char *in[2] = {"a", "b"}, *out[1] = {"out"};
    mx_fast_kernel *k = mk("k2", in, 2, out, 1, "out[0] = a[0] + b[0];", NULL, true);
    float v[4] = {1, 2, 3, 4};
    int64_t sh[1] = {4};
    const int64_t *shp[1] = {sh};
    int nd[1] = {1};
    mx_dtype f32 = MX_FLOAT32, f64 = MX_FLOAT64;
    mx_array *a = t_f32(v, sh, 1), *b = t_f32(v, sh, 1), *ab[2] = {a, b}, *res[2] = {NULL, NULL};
    mx_array *d = mx_astype(a, MX_FLOAT64, CPU), *ad[2] = {a, d};
    mx_fast_launch l = one_out(shp, nd, &f32, 4, 4);
    /* wrong input count, wrong output count */
    CHECK_ERR(mx_fast_cuda_kernel_call(k, ab, 1, &l, GPU, res), MX_ERR_VALUE, "cuda_kernel");
    l.n_outputs = 2;
    CHECK_ERR(mx_fast_cuda_kernel_call(k, ab, 2, &l, GPU, res), MX_ERR_VALUE, "cuda_kernel");
    l.n_outputs = 1;
    /* float64 inputs and outputs */
    CHECK_ERR(mx_fast_cuda_kernel_call(k, ad, 2, &l, GPU, res), MX_ERR_VALUE, "cuda_kernel");
    mx_fast_launch l64 = one_out(shp, nd, &f64, 4, 4);
    CHECK_ERR(mx_fast_cuda_kernel_call(k, ab, 2, &l64, GPU, res), MX_ERR_VALUE, "cuda_kernel");
    /* negative output dimension */
    int64_t neg[1] = {-1};
    const int64_t *negp[1] = {neg};
    mx_fast_launch ln = one_out(negp, nd, &f32, 4, 4);
    CHECK_ERR(mx_fast_cuda_kernel_call(k, ab, 2, &ln, GPU, res), MX_ERR_VALUE, "cuda_kernel");
    /* grid and threadgroup */
    mx_fast_launch lg = one_out(shp, nd, &f32, -1, 4);
    CHECK_ERR(mx_fast_cuda_kernel_call(k, ab, 2, &lg, GPU, res), MX_ERR_VALUE, "cuda_kernel");
    lg = one_out(shp, nd, &f32, 4, 0);
    CHECK_ERR(mx_fast_cuda_kernel_call(k, ab, 2, &lg, GPU, res), MX_ERR_VALUE, "cuda_kernel");
    lg = one_out(shp, nd, &f32, 4096, 256);
    lg.grid[1] = 64, lg.threadgroup[1] = 8; /* 2048 threads per block */
    CHECK_ERR(mx_fast_cuda_kernel_call(k, ab, 2, &lg, GPU, res), MX_ERR_VALUE, "cuda_kernel");
    /* a bad template argument */
    mx_fast_template_arg bt = {"bad name", MX_FAST_TARG_INT, 1};
    mx_fast_launch lt = one_out(shp, nd, &f32, 4, 4);
    lt.template_args = &bt;
    lt.n_template_args = 1;
    CHECK_ERR(mx_fast_cuda_kernel_call(k, ab, 2, &lt, GPU, res), MX_ERR_VALUE, "cuda_kernel");
    /* the CPU: custom kernels run only on the GPU */
    CHECK_ERR(mx_fast_cuda_kernel_call(k, ab, 2, &l, CPU, res), MX_ERR_VALUE, "cuda_kernel");
    if (mx_device_count(MX_GPU) == 0) /* the default stream is then the CPU's */
        CHECK_ERR(mx_fast_cuda_kernel_call(k, ab, 2, &l, MX_DEFAULT_STREAM, res), MX_ERR_VALUE,
                  "cuda_kernel");
    CHECK(res[0] == NULL && res[1] == NULL);
    CHECK_ERR(mx_fast_cuda_kernel_call(NULL, ab, 2, &l, GPU, res), MX_ERR_VALUE, "cuda_kernel");
    /* precompiled kernels */
    const char img[] = "// not really PTX";
    mx_fast_scalar scal[33];
    memset(scal, 0, sizeof scal);
    CHECK_ERR(mx_fast_precompiled_cuda_kernel("k", img, 0, ab, 2, &l, NULL, 0, 0, false, GPU, res),
              MX_ERR_VALUE, "precompiled_cuda_kernel");
    CHECK_ERR(mx_fast_precompiled_cuda_kernel("k", img, sizeof img, ab, 2, &l, scal, 33, 0, false,
                                              GPU, res),
              MX_ERR_VALUE, "precompiled_cuda_kernel");
    scal[0].kind = (mx_fast_scalar_kind)7;
    CHECK_ERR(mx_fast_precompiled_cuda_kernel("k", img, sizeof img, ab, 2, &l, scal, 1, 0, false,
                                              GPU, res),
              MX_ERR_VALUE, "precompiled_cuda_kernel");
    CHECK_ERR(mx_fast_precompiled_cuda_kernel("k", img, sizeof img, ab, 2, &lt, NULL, 0, 0, false,
                                              GPU, res),
              MX_ERR_VALUE, "precompiled_cuda_kernel");
    CHECK_ERR(mx_fast_precompiled_cuda_kernel("k", img, sizeof img, ab, 2, &l, NULL, 0, 0, false,
                                              CPU, res),
              MX_ERR_VALUE, "precompiled_cuda_kernel");
    CHECK(res[0] == NULL);
    mx_fast_kernel_release(k);
    mx_scope_end(sc, NULL);
}

TEST(cpu_kernel_and_vmap_rule_report_errors) {
    CHECK(mx_prims[MX_PRIM_CUSTOM_KERNEL].flags & MX_PF_NO_GRAD);
    const mx_backend *cpu = mx_cpu_backend();
    CHECK(cpu && cpu->kernels[MX_PRIM_CUSTOM_KERNEL]);
    if (cpu && cpu->kernels[MX_PRIM_CUSTOM_KERNEL]) {
        mx_error_clear();
        CHECK(cpu->kernels[MX_PRIM_CUSTOM_KERNEL](NULL, NULL, NULL) == MX_ERR_UNSUPPORTED);
        CHECK(strstr(mx_error_message(), "[cuda_kernel] custom CUDA kernels run only on the GPU"));
        mx_error_clear();
    }
    const mx_rules *r = mx_grad_rules();
    CHECK(r && r->vmap[MX_PRIM_CUSTOM_KERNEL]);
    if (r && r->vmap[MX_PRIM_CUSTOM_KERNEL]) {
        mx_grad_ctx c;
        memset(&c, 0, sizeof c);
        mx_array *o[1] = {NULL};
        int ax = 0, oax = 0;
        CHECK_ERR(r->vmap[MX_PRIM_CUSTOM_KERNEL](&c, o, &ax, o, &oax), MX_ERR_UNSUPPORTED,
                  "cuda_kernel");
    }
}

/* ---- NVRTC: generated sources compile for compute_90 (no GPU needed) ---- */
typedef struct nvrtc_prog_s *nvrtc_prog;
static struct {
    int tried, ok;
    int (*create)(nvrtc_prog *, const char *, const char *, int, const char *const *,
                  const char *const *);
    int (*compile)(nvrtc_prog, int, const char *const *);
    int (*log_size)(nvrtc_prog, size_t *);
    int (*log)(nvrtc_prog, char *);
    int (*ptx_size)(nvrtc_prog, size_t *);
    int (*ptx)(nvrtc_prog, char *);
    int (*destroy)(nvrtc_prog *);
} nv;

static int nvrtc_load(void) {
    if (nv.tried) return nv.ok;
    nv.tried = 1;
    const char *libs[] = {"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12",
                          "/usr/local/cuda/lib64/libnvrtc.so"};
    void *h = NULL;
    for (size_t i = 0; !h && i < sizeof libs / sizeof libs[0]; i++) h = dlopen(libs[i], RTLD_NOW);
    if (!h) return 0;
    *(void **)&nv.create = dlsym(h, "nvrtcCreateProgram");
    *(void **)&nv.compile = dlsym(h, "nvrtcCompileProgram");
    *(void **)&nv.log_size = dlsym(h, "nvrtcGetProgramLogSize");
    *(void **)&nv.log = dlsym(h, "nvrtcGetProgramLog");
    *(void **)&nv.ptx_size = dlsym(h, "nvrtcGetPTXSize");
    *(void **)&nv.ptx = dlsym(h, "nvrtcGetPTX");
    *(void **)&nv.destroy = dlsym(h, "nvrtcDestroyProgram");
    nv.ok = nv.create && nv.compile && nv.log_size && nv.log && nv.ptx_size && nv.ptx &&
            nv.destroy;
    return nv.ok;
}

/* compile for compute_90 with the library's options; returns the PTX (malloc'd) or NULL, with
 * the log in *log (malloc'd) */
static char *nvrtc_ptx(const char *src, char **log) {
    const char *const *lib_opts;
    int n = mx_fast_nvrtc_options(&lib_opts);
    const char *opts[8];
    for (int i = 0; i < n && i < 7; i++) opts[i] = lib_opts[i];
    opts[n] = "--gpu-architecture=compute_90";
    nvrtc_prog p = NULL;
    char *ptx = NULL;
    *log = NULL;
    if (nv.create(&p, src, "custom_kernel.cu", 0, NULL, NULL) != 0) return NULL;
    int rc = nv.compile(p, n + 1, opts);
    size_t ls = 0;
    nv.log_size(p, &ls);
    *log = calloc(ls + 1, 1);
    if (*log && ls) nv.log(p, *log);
    size_t ps = 0;
    if (rc == 0 && nv.ptx_size(p, &ps) == 0 && (ptx = calloc(ps + 1, 1))) nv.ptx(p, ptx);
    nv.destroy(&p);
    return ptx;
}

static int nvrtc_usable(void) {
    if (!nvrtc_load()) {
        printf("skip (no NVRTC)  ");
        return 0;
    }
    const char *const *o;
    int n = mx_fast_nvrtc_options(&o);
    if (n < 2) { /* only --std: the CUDA headers were not found */
        printf("skip (no CUDA headers)  ");
        return 0;
    }
    return 1;
}

/* generate and compile; checks that the PTX defines the symbol */
static void compile_case(const char *what, mx_fast_kernel *k, const mx_dtype *idt, const int *ind,
                         const mx_dtype *odt, const mx_fast_template_arg *t, int nt) {
    char *sym = NULL, *log = NULL;
    char *src = mx_fast_cuda_kernel_source(k, idt, ind, mx_fast_kernel_n_inputs(k), odt,
                                           mx_fast_kernel_n_outputs(k), t, nt, &sym);
    CHECK(src != NULL);
    if (!src) return;
    char *ptx = nvrtc_ptx(src, &log);
    if (!ptx) fprintf(stderr, "  FAIL %s: NVRTC log:\n%s\n", what, log ? log : "(none)");
    CHECK(ptx != NULL);
    char entry[256];
    snprintf(entry, sizeof entry, ".entry %s(", sym);
    CHECK(ptx == NULL || strstr(ptx, entry) != NULL);
    free(ptx);
    free(log);
    free(src);
    free(sym);
}

static const char *EXP_SRC = "  auto elem = cooperative_groups::this_grid().thread_rank();\n"
                             "  if (elem < N) { T tmp = inp[elem]; out[elem] = exp(tmp); }\n";
static const char *STRIDED_SRC =
    "  auto elem = cg::this_grid().thread_rank();\n"
    "  if (elem < out_size[0]) {\n"
    "    int64_t loc = elem_to_loc(int64_t(elem), inp_shape.data(), inp_strides.data(), inp_ndim);\n"
    "    out[elem] = inp[loc] * 2.0f;\n"
    "  }\n";
static const char *ATOMIC_SRC = "  auto e = threadIdx.x + blockIdx.x * blockDim.x;\n"
                                "  if (e < n[0]) atomicAdd(&out[0], inp[e]);\n";

TEST(nvrtc_compiles_generated_sources) {
    if (!nvrtc_usable()) return;
    const char *in1[1] = {"inp"}, *out1[1] = {"out"}, *in2[2] = {"inp", "out_size"};
    const char *in_at[2] = {"inp", "n"};
    /* exp with a template type and size */
    mx_fast_kernel *k = mk("myexp", in1, 1, out1, 1, EXP_SRC, NULL, true);
    mx_dtype f16 = MX_FLOAT16, f32 = MX_FLOAT32, bf = MX_BFLOAT16, i32 = MX_INT32;
    int nd2 = 2;
    mx_fast_template_arg t[2] = {{"T", MX_FAST_TARG_DTYPE, MX_FLOAT32}, {"N", MX_FAST_TARG_INT, 64}};
    compile_case("exp f16", k, &f16, &nd2, &f16, t, 2);
    compile_case("exp f32", k, &f32, &nd2, &f32, t, 2);
    compile_case("exp bf16", k, &bf, &nd2, &bf, t, 2);
    mx_fast_kernel_release(k);
    /* strided input through elem_to_loc with shape, strides and ndim */
    k = mk("strided", in2, 2, out1, 1, STRIDED_SRC, NULL, false);
    mx_dtype idt[2] = {MX_FLOAT32, MX_INT32};
    int ind[2] = {2, 1};
    compile_case("strided", k, idt, ind, &f32, NULL, 0);
    mx_fast_kernel_release(k);
    /* atomicAdd into an initialised output, a 0-d scalar input */
    k = mk("accum", in_at, 2, out1, 1, ATOMIC_SRC, NULL, true);
    mx_dtype adt[2] = {MX_FLOAT32, MX_INT32};
    int and_[2] = {1, 0};
    compile_case("atomic", k, adt, and_, &f32, NULL, 0);
    mx_fast_kernel_release(k);
    /* every dtype at once: inputs x0..x12, outputs y0..y12 */
    static const mx_dtype all[13] = {MX_BOOL,  MX_UINT8,   MX_UINT16,  MX_UINT32,   MX_UINT64,
                                     MX_INT8,  MX_INT16,   MX_INT32,   MX_INT64,    MX_FLOAT16,
                                     MX_FLOAT32, MX_BFLOAT16, MX_COMPLEX64};
    char names[26][8], body[1024] = "  auto i = threadIdx.x;\n";
    const char *xin[13], *yout[13];
    int alln[13];
    for (int i = 0; i < 13; i++) {
        snprintf(names[i], 8, "x%d", i);
        snprintf(names[13 + i], 8, "y%d", i);
        xin[i] = names[i];
        yout[i] = names[13 + i];
        alln[i] = 1;
        size_t len = strlen(body);
        snprintf(body + len, sizeof body - len, "  y%d[i] = x%d[i];\n", i, i);
    }
    k = mk("all_types", xin, 13, yout, 13, body, NULL, true);
    compile_case("all dtypes", k, all, alln, all, NULL, 0);
    mx_fast_kernel_release(k);
    /* int and bool templates, a header with a helper */
    k = mk("tmpl", in1, 1, out1, 1,
           "  auto i = threadIdx.x;\n  if constexpr (NEG) out[i] = -scale_by<N>(inp[i]);\n"
           "  else out[i] = scale_by<N>(inp[i]);\n",
           "template <int K> __device__ float scale_by(float x) { return K * x; }", true);
    mx_fast_template_arg tb[2] = {{"N", MX_FAST_TARG_INT, 3}, {"NEG", MX_FAST_TARG_BOOL, 1}};
    compile_case("templates", k, &f32, &nd2, &f32, tb, 2);
    (void)i32;
    mx_fast_kernel_release(k);
    /* a bad body fails, with a log naming the error (the check above can fail) */
    k = mk("broken", in1, 1, out1, 1, "  out[0] = not_declared_anywhere;\n", NULL, true);
    char *src = mx_fast_cuda_kernel_source(k, &f32, &nd2, 1, &f32, 1, NULL, 0, NULL), *log = NULL;
    char *ptx = src ? nvrtc_ptx(src, &log) : NULL;
    CHECK(src && !ptx && log && strstr(log, "not_declared_anywhere"));
    free(src);
    free(ptx);
    free(log);
    mx_fast_kernel_release(k);
}

/* ---- the GPU ---- */
static int have_gpu(void) {
    if (mx_device_count(MX_GPU) > 0) return 1;
    printf("skip (no GPU)  ");
    return 0;
}

static void close_to(const char *what, mx_array *a, const double *want, int64_t n, double tol) {
    double got[256];
    CHECK(a != NULL && n <= 256);
    if (!a || n > 256) return;
    int64_t r = t_read(a, got, n);
    CHECK(r == n);
    for (int64_t i = 0; i < r; i++)
        if (!(fabs(got[i] - want[i]) <= tol * (1 + fabs(want[i])))) {
            fprintf(stderr, "  FAIL %s[%lld]: got %.9g want %.9g\n", what, (long long)i, got[i],
                    want[i]);
            test_failures++;
            return;
        }
}

TEST(gpu_exp_strided_init_two_outputs) {
    if (!have_gpu()) return;
    mx_scope sc = mx_scope_begin();
    float v[64];
    double want[64];
    for (int i = 0; i < 64; i++) v[i] = (float)(0.05 * i - 1.5);
    int64_t sh[2] = {4, 16};
    const int64_t *shp[1] = {sh};
    int nd2 = 2;
    mx_array *x = t_f32(v, sh, 2), *res[2] = {NULL, NULL};
    /* exp with T = float32 on float16 data and on float32 data */
    const char *in1[1] = {"inp"}, *out1[1] = {"out"};
    mx_fast_kernel *k = mk("myexp", in1, 1, out1, 1, EXP_SRC, NULL, true);
    mx_fast_template_arg t[2] = {{"T", MX_FAST_TARG_DTYPE, MX_FLOAT32}, {"N", MX_FAST_TARG_INT, 64}};
    for (int h = 0; h < 2; h++) {
        mx_dtype dt = h ? MX_FLOAT16 : MX_FLOAT32;
        mx_array *xi = h ? mx_astype(x, MX_FLOAT16, GPU) : x;
        mx_fast_launch l = one_out(shp, &nd2, &dt, 64, 256);
        l.template_args = t;
        l.n_template_args = 2;
        CHECK(mx_fast_cuda_kernel_call(k, &xi, 1, &l, GPU, res) == MX_OK);
        double xin[64];
        CHECK(t_read(xi, xin, 64) == 64); /* float16 inputs are rounded already */
        for (int i = 0; i < 64; i++) want[i] = exp(xin[i]);
        close_to(h ? "exp f16" : "exp f32", res[0], want, 64, h ? 1e-3 : 1e-6);
    }
    mx_fast_kernel_release(k);
    /* strided: a transposed (16, 4) view, not made contiguous, read through elem_to_loc */
    const char *in2[2] = {"inp", "out_size"};
    k = mk("strided", in2, 2, out1, 1, STRIDED_SRC, NULL, false);
    mx_array *xt = mx_transpose(x, NULL, 0, GPU), *sz = mx_array_scalar_i64(64, MX_INT32);
    mx_array *ins[2] = {xt, mx_reshape(sz, (int64_t[]){1}, 1, GPU)};
    int64_t tsh[2] = {16, 4};
    const int64_t *tshp[1] = {tsh};
    mx_dtype f32 = MX_FLOAT32;
    mx_fast_launch ls = one_out(tshp, &nd2, &f32, 64, 32);
    CHECK(mx_fast_cuda_kernel_call(k, ins, 2, &ls, GPU, res) == MX_OK);
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 4; j++) want[i * 4 + j] = 2.0 * v[j * 16 + i];
    close_to("strided", res[0], want, 64, 1e-6);
    mx_fast_kernel_release(k);
    /* init_value and atomicAdd: out = 10 + sum(x) */
    const char *in_at[2] = {"inp", "n"};
    k = mk("accum", in_at, 2, out1, 1, ATOMIC_SRC, NULL, true);
    int64_t one = 1;
    const int64_t *onep[1] = {&one};
    int nd1 = 1;
    mx_array *xf = mx_reshape(x, (int64_t[]){64}, 1, GPU), *n64 = mx_array_scalar_i64(64, MX_INT32);
    mx_array *ain[2] = {xf, n64};
    mx_fast_launch la = one_out(onep, &nd1, &f32, 64, 32);
    la.has_init_value = true;
    la.init_value = 10.0f;
    CHECK(mx_fast_cuda_kernel_call(k, ain, 2, &la, GPU, res) == MX_OK);
    double s = 10;
    for (int i = 0; i < 64; i++) s += v[i];
    close_to("atomic sum", res[0], &s, 1, 1e-5);
    mx_fast_kernel_release(k);
    /* two outputs of different dtypes */
    const char *out2[2] = {"sq", "neg"};
    k = mk("two", in1, 1, out2, 2,
           "  auto i = threadIdx.x + blockIdx.x * blockDim.x;\n"
           "  if (i < 64) { sq[i] = inp[i] * inp[i]; neg[i] = int32_t(-inp[i] * 10.0f); }\n",
           NULL, true);
    mx_dtype odt[2] = {MX_FLOAT32, MX_INT32};
    const int64_t *shp2[2] = {sh, sh};
    int nds[2] = {2, 2};
    mx_fast_launch l2 = one_out(shp2, nds, odt, 64, 16);
    l2.n_outputs = 2;
    CHECK(mx_fast_cuda_kernel_call(k, &x, 1, &l2, GPU, res) == MX_OK);
    double w2[64];
    for (int i = 0; i < 64; i++) want[i] = (double)v[i] * v[i], w2[i] = (int32_t)(-v[i] * 10.0f);
    close_to("two: sq", res[0], want, 64, 1e-6);
    close_to("two: neg", res[1], w2, 64, 0);
    mx_fast_kernel_release(k);
    mx_scope_end(sc, NULL);
}

TEST(gpu_precompiled_and_compile_errors) {
    if (!have_gpu()) return;
    mx_scope sc = mx_scope_begin();
    float v[8] = {1, -2, 3.5f, 4, 0.25f, -6, 7, 8};
    int64_t sh[1] = {8};
    const int64_t *shp[1] = {sh};
    int nd1 = 1;
    mx_dtype f32 = MX_FLOAT32;
    mx_array *x = t_f32(v, sh, 1), *res[1] = {NULL};
    /* a compile error surfaces at evaluation, with NVRTC's log */
    const char *in1[1] = {"inp"}, *out1[1] = {"out"};
    mx_fast_kernel *k = mk("broken", in1, 1, out1, 1, "  out[0] = not_declared_anywhere;\n", NULL,
                           true);
    mx_fast_launch l = one_out(shp, &nd1, &f32, 8, 8);
    CHECK(mx_fast_cuda_kernel_call(k, &x, 1, &l, GPU, res) == MX_OK);
    mx_error_clear();
    CHECK(mx_eval(res, 1) == MX_ERR_BACKEND);
    CHECK(strstr(mx_error_message(), "not_declared_anywhere") != NULL);
    mx_error_clear();
    mx_fast_kernel_release(k);
    /* precompiled: PTX from NVRTC, scalars (float, int, bool) after the outputs */
    if (nvrtc_load()) {
        const char *src = "extern \"C\" __global__ void axpb(const float* x, float* y, float a,\n"
                          "                                 int b, bool neg) {\n"
                          "  int i = threadIdx.x;\n"
                          "  float r = a * x[i] + b;\n"
                          "  y[i] = neg ? -r : r;\n"
                          "}\n";
        char *log = NULL, *ptx = nvrtc_ptx(src, &log);
        CHECK(ptx != NULL);
        if (ptx) {
            mx_fast_scalar sc3[3] = {{MX_FAST_SCALAR_FLOAT, 0, 1.5f},
                                     {MX_FAST_SCALAR_INT, -2, 0},
                                     {MX_FAST_SCALAR_BOOL, 1, 0}};
            CHECK(mx_fast_precompiled_cuda_kernel("axpb", ptx, strlen(ptx), &x, 1, &l, sc3, 3, 0,
                                                  false, GPU, res) == MX_OK);
            double want[8];
            for (int i = 0; i < 8; i++) want[i] = -(1.5 * v[i] - 2);
            close_to("precompiled", res[0], want, 8, 1e-6);
            /* an unknown symbol */
            CHECK(mx_fast_precompiled_cuda_kernel("nope", ptx, strlen(ptx), &x, 1, &l, sc3, 3, 0,
                                                  false, GPU, res) == MX_OK);
            mx_error_clear();
            CHECK(mx_eval(res, 1) == MX_ERR_BACKEND);
            mx_error_clear();
        }
        free(ptx);
        free(log);
    }
    mx_scope_end(sc, NULL);
}
