/* src/fast/kernel_source.c: the CUDA source of mx.fast.cuda_kernel kernels (pure string work,
 * no GPU needed): the prelude every kernel sees, the signature generated from the input and
 * output names (with <name>_shape / _strides / _ndim when the body mentions them), template
 * arguments as constants and type aliases, the kernel's symbol, and the NVRTC options (include
 * paths of the CUDA toolkit headers) the source needs. Layout as MLX's CUDA custom kernels:
 *   prelude, user header, namespace mlx::core::cu { __global__ kernel(signature) { body } }.
 * The kernel is extern "C", so its symbol is its plain name (no name lowering needed). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fast_impl.h"

/* ---- a growable string ---- */
typedef struct sbuf {
    char  *s;
    size_t n, cap;
    int    oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t len) {
    if (b->oom) return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + len + 1) cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, len);
    b->n += len;
    b->s[b->n] = 0;
}

static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_fmt(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_fmt(sbuf *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    sb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ---- names and types ---- */
const char *mx_fast_cuda_type(mx_dtype t) {
    switch (t) {
    case MX_BOOL: return "bool";
    case MX_UINT8: return "uint8_t";
    case MX_UINT16: return "uint16_t";
    case MX_UINT32: return "uint32_t";
    case MX_UINT64: return "uint64_t";
    case MX_INT8: return "int8_t";
    case MX_INT16: return "int16_t";
    case MX_INT32: return "int32_t";
    case MX_INT64: return "int64_t";
    case MX_FLOAT16: return "__half";
    case MX_FLOAT32: return "float";
    case MX_FLOAT64: return "double";
    case MX_BFLOAT16: return "__nv_bfloat16";
    case MX_COMPLEX64: return "complex64_t";
    default: return NULL;
    }
}

bool mx_fast_is_identifier(const char *s) {
    if (!s || !*s) return false;
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

static bool mentions(const char *source, const char *name, const char *suffix) {
    char buf[300];
    int n = snprintf(buf, sizeof buf, "%s%s", name, suffix);
    if (n < 0 || (size_t)n >= sizeof buf) return false; /* names are checked shorter than this */
    return strstr(source, buf) != NULL;
}

uint8_t mx_fast_shape_info(const char *source, const char *name) {
    uint8_t r = 0;
    if (mentions(source, name, "_shape")) r |= MX_FAST_SHAPE;
    if (mentions(source, name, "_strides")) r |= MX_FAST_STRIDES;
    if (mentions(source, name, "_ndim")) r |= MX_FAST_NDIM;
    return r;
}

mx_status mx_fast_check_template(const char *op, const mx_fast_template_arg *t, int n) {
    MX_CHECK(n >= 0 && (n == 0 || t), MX_ERR_VALUE, "[%s] bad template argument list", op);
    for (int i = 0; i < n; i++) {
        MX_CHECK(mx_fast_is_identifier(t[i].name) && strlen(t[i].name) < 256, MX_ERR_VALUE,
                 "[%s] template argument name '%s' is not a C identifier", op,
                 t[i].name ? t[i].name : "(null)");
        for (int j = 0; j < i; j++)
            MX_CHECK(strcmp(t[i].name, t[j].name) != 0, MX_ERR_VALUE,
                     "[%s] template argument '%s' is given twice", op, t[i].name);
        switch (t[i].kind) {
        case MX_FAST_TARG_INT: break;
        case MX_FAST_TARG_BOOL:
            MX_CHECK(t[i].value == 0 || t[i].value == 1, MX_ERR_VALUE,
                     "[%s] template argument '%s': a bool must be 0 or 1, got %d", op, t[i].name,
                     t[i].value);
            break;
        case MX_FAST_TARG_DTYPE:
            MX_CHECK(mx_dtype_valid(t[i].value), MX_ERR_VALUE,
                     "[%s] template argument '%s': invalid dtype %d", op, t[i].name, t[i].value);
            break;
        default:
            return mx_fail(MX_ERR_VALUE,
                           "[%s] template argument '%s': the kind must be an int, a bool or a "
                           "dtype",
                           op, t[i].name);
        }
    }
    return MX_OK;
}

/* ---- the source ---- */
static const char prelude[] =
    "// cmlx custom CUDA kernel (mx.fast.cuda_kernel)\n"
    "#include <cuda_fp16.h>\n"
    "#include <cuda_bf16.h>\n"
    "#include <cuComplex.h>\n"
    "#include <cooperative_groups.h>\n"
    "#include <cuda/std/array>\n"
    "#include <cuda/std/cstdint>\n"
    "#include <cuda/std/limits>\n"
    "\n"
    "#define MAX_NDIM 16\n"
    "#define inf cuda::std::numeric_limits<float>::infinity()\n"
    "\n"
    "typedef cuFloatComplex complex64_t;\n"
    "\n"
    "namespace mlx::core::cu {\n"
    "\n"
    "// shapes and strides of inputs, passed by value (strides in elements)\n"
    "using Shape = cuda::std::array<int32_t, MAX_NDIM>;\n"
    "using Strides = cuda::std::array<int64_t, MAX_NDIM>;\n"
    "\n"
    "// the offset of row-major element `elem` of an array with this shape and these strides\n"
    "template <typename IdxT = int64_t>\n"
    "__device__ inline IdxT elem_to_loc(IdxT elem, const int32_t* shape, const int64_t* strides,\n"
    "                                   int ndim) {\n"
    "  IdxT loc = 0;\n"
    "  for (int d = ndim - 1; d >= 0; --d) {\n"
    "    loc += (elem % shape[d]) * IdxT(strides[d]);\n"
    "    elem /= shape[d];\n"
    "  }\n"
    "  return loc;\n"
    "}\n"
    "\n"
    "} // namespace mlx::core::cu\n"
    "\n";

/* "_4", "_n3" (negative), "_t", "_f", "_float32": the template part of the symbol */
static void symbol_suffix(sbuf *b, const mx_fast_template_arg *t, int nt) {
    for (int i = 0; i < nt; i++) {
        if (t[i].kind == MX_FAST_TARG_INT) {
            if (t[i].value < 0) sb_fmt(b, "_n%lld", -(long long)t[i].value);
            else sb_fmt(b, "_%d", t[i].value);
        } else if (t[i].kind == MX_FAST_TARG_BOOL) {
            sb_str(b, t[i].value ? "_t" : "_f");
        } else {
            sb_fmt(b, "_%s", mx_dtype_name((mx_dtype)t[i].value));
        }
    }
}

mx_status mx_fast_build_source(const mx_fast_kernel *k, const mx_dtype *in_dtypes,
                               const int *in_ndims, const mx_dtype *out_dtypes,
                               const mx_fast_template_arg *t, int nt, char **source,
                               char **symbol) {
    sbuf name = {0}, b = {0};
    sb_fmt(&name, "custom_kernel_%s", k->name);
    symbol_suffix(&name, t, nt);

    sb_str(&b, prelude);
    if (k->header && *k->header) {
        sb_str(&b, k->header);
        sb_str(&b, "\n\n");
    }
    sb_str(&b, "namespace mlx::core::cu {\n\nnamespace cg = cooperative_groups;\n\n");
    sb_str(&b, "extern \"C\" __global__ void ");
    sb_str(&b, name.s ? name.s : "");
    sb_str(&b, "(\n");
    for (int i = 0; i < k->n_in; i++) {
        const char *nm = k->in_names[i];
        sb_fmt(&b, "    const %s* %s,\n", mx_fast_cuda_type(in_dtypes[i]), nm);
        if (in_ndims[i] > 0) { /* 0-d inputs get no shape parameters (as MLX) */
            if (k->shape_info[i] & MX_FAST_SHAPE)
                sb_fmt(&b, "    const __grid_constant__ Shape %s_shape,\n", nm);
            if (k->shape_info[i] & MX_FAST_STRIDES)
                sb_fmt(&b, "    const __grid_constant__ Strides %s_strides,\n", nm);
            if (k->shape_info[i] & MX_FAST_NDIM)
                sb_fmt(&b, "    const __grid_constant__ int %s_ndim,\n", nm);
        }
    }
    for (int i = 0; i < k->n_out; i++)
        sb_fmt(&b, "    %s* %s%s", mx_fast_cuda_type(out_dtypes[i]), k->out_names[i],
               i + 1 < k->n_out ? ",\n" : ") {\n");
    for (int i = 0; i < nt; i++) {
        if (t[i].kind == MX_FAST_TARG_INT)
            sb_fmt(&b, "  constexpr int %s = %d;\n", t[i].name, t[i].value);
        else if (t[i].kind == MX_FAST_TARG_BOOL)
            sb_fmt(&b, "  constexpr bool %s = %s;\n", t[i].name, t[i].value ? "true" : "false");
        else
            sb_fmt(&b, "  using %s = %s;\n", t[i].name, mx_fast_cuda_type((mx_dtype)t[i].value));
    }
    if (nt) sb_str(&b, "\n");
    sb_str(&b, k->source);
    sb_str(&b, "\n}\n\n} // namespace mlx::core::cu\n");

    if (b.oom || name.oom || !b.s || !name.s) {
        free(b.s);
        free(name.s);
        return mx_fail(MX_ERR_NOMEM, "[cuda_kernel] out of memory");
    }
    *source = b.s;
    if (symbol) *symbol = name.s;
    else free(name.s);
    return MX_OK;
}

/* ---- NVRTC options ---- */
static pthread_once_t opts_once = PTHREAD_ONCE_INIT;
static char           inc_main[600], inc_cccl[620];
static const char    *opts[4];
static int            n_opts;

static bool readable(const char *dir, const char *rel) {
    char p[700];
    int n = snprintf(p, sizeof p, "%s/%s", dir, rel);
    return n > 0 && (size_t)n < sizeof p && access(p, R_OK) == 0;
}

/* The toolkit's include directory: $CUDA_HOME, $CUDA_PATH, then the usual install places.
 * CUDA 13 keeps cuda/std (CCCL) under include/cccl. */
static void find_includes(void) {
    const char *cands[] = {getenv("CUDA_HOME"), getenv("CUDA_PATH"), "/usr/local/cuda",
                           "/opt/cuda", "/usr"};
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
        const char *d = cands[i];
        if (!d || !*d || strlen(d) > 500) continue;
        char inc[560];
        snprintf(inc, sizeof inc, "%s/include", d);
        if (!readable(inc, "cuda_fp16.h")) continue;
        snprintf(inc_main, sizeof inc_main, "--include-path=%s", inc);
        opts[n_opts++] = inc_main;
        if (readable(inc, "cccl/cuda/std/array")) {
            snprintf(inc_cccl, sizeof inc_cccl, "--include-path=%s/cccl", inc);
            opts[n_opts++] = inc_cccl;
        }
        break;
    }
    opts[n_opts++] = "--std=c++17";
}

int mx_fast_nvrtc_options(const char *const **out) {
    pthread_once(&opts_once, find_includes);
    *out = opts;
    return n_opts;
}
