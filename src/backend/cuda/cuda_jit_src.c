/* src/backend/cuda/cuda_jit_src.c: CUDA C++ source for the GPU kernel of FUSED nodes
 * (src/transforms/compile.h), generated from the expression columns of unary.def / binary.def
 * (the stringised columns the CPU JIT uses too: src/transforms/fused_common.c) and compiled at run
 * time with NVRTC (cuda_nvrtc.c) by cuda_jit.c.
 *
 * The source is self-contained: a prelude (below) carries the device helpers of cu_scalar.cuh
 * (complex64, the MX_S* helpers, storage <-> compute conversions) written without any header, so
 * NVRTC needs no include path: float16 / bfloat16 loads and stores are the PTX conversions
 * cuda_fp16.h / cuda_bf16.h use (cvt.f32.f16, cvt.rn.f16.f32, cvt.rn.bf16.f32 on sm_80+, the
 * same round-to-nearest-even in integer arithmetic below sm_80), and std::is_same & co. are small
 * local traits. KEEP THE PRELUDE IN STEP WITH cu_scalar.cuh: the unfused GPU kernels compute
 * with those helpers, and fused results must equal theirs bit for bit.
 *
 * Every op result is converted to its dtype's storage type with mx_st (as the unfused kernels
 * store it) and passed through mx_keep, an opaque register move: the compiler cannot contract a
 * product of one op with a sum of the next into an FMA (the unfused kernels round in between);
 * the kernels are built with --fmad=true like nvcc's (FMAs inside one op's expression, as there)
 * and ptxas contraction off, so nothing is contracted across ops after the barrier either.
 *
 * Variants (cuda_jit.h): DENSE defines mx_fz_d (grid-stride, flat index; scalar inputs loaded
 * once) and mx_fz_v (the same moving 16 bytes of the widest operand per step through aligned
 * vector loads and stores, then a scalar tail); STRIDED defines mx_fz_s (the flat output index
 * split over the collapsed shape, a compile-time number of dimensions, in 32- or 64-bit
 * arithmetic). The op-by-op body is one inline function shared by the loops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../transforms/fused_common.h"
#include "cuda_jit.h"

/* ---- the prelude: cu_scalar.cuh's helpers without headers ---- */
static const char prelude[] =
    "/* cmlx fused element-wise kernel (generated; see src/backend/cuda/cuda_jit_src.c) */\n"
    "typedef signed char mx_i8; typedef short mx_i16; typedef int mx_i32; typedef long mx_i64;\n"
    "typedef unsigned char mx_u8; typedef unsigned short mx_u16; typedef unsigned int mx_u32;\n"
    "typedef unsigned long mx_u64;\n"
    "template <class A, class B> struct mx_same { static constexpr bool value = false; };\n"
    "template <class A> struct mx_same<A, A> { static constexpr bool value = true; };\n"
    "template <class T> struct mx_signed { static constexpr bool value = T(-1) < T(0); };\n"
    "template <class T> struct mx_signed<const T> : mx_signed<T> {};\n"
    "template <class T> struct mx_unsigned { static constexpr bool value = T(0) < T(-1); };\n"
    "template <class T> struct mx_unsigned<const T> : mx_unsigned<T> {};\n"
    /* complex64 */
    "struct c64 {\n"
    "    float re, im;\n"
    "    __device__ c64() : re(0), im(0) {}\n"
    "    __device__ c64(float r, float i = 0) : re(r), im(i) {}\n"
    "    __device__ explicit operator float() const { return re; }\n"
    "    __device__ explicit operator bool() const { return re != 0 || im != 0; }\n"
    "};\n"
    "__device__ inline c64 operator+(c64 a, c64 b) { return c64(a.re + b.re, a.im + b.im); }\n"
    "__device__ inline c64 operator-(c64 a, c64 b) { return c64(a.re - b.re, a.im - b.im); }\n"
    "__device__ inline c64 operator-(c64 a) { return c64(-a.re, -a.im); }\n"
    "__device__ inline c64 operator*(c64 a, c64 b) {\n"
    "    return c64(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);\n"
    "}\n"
    "__device__ inline c64 operator/(c64 a, c64 b) {\n"
    "    float d = b.re * b.re + b.im * b.im;\n"
    "    return c64((a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d);\n"
    "}\n"
    "__device__ inline c64 operator+(float a, c64 b) { return c64(a) + b; }\n"
    "__device__ inline c64 operator-(float a, c64 b) { return c64(a) - b; }\n"
    "__device__ inline c64 operator*(float a, c64 b) { return c64(a) * b; }\n"
    "__device__ inline c64 operator/(float a, c64 b) { return c64(a) / b; }\n"
    "__device__ inline c64 operator/(c64 a, float b) { return a / c64(b); }\n"
    "__device__ inline c64 operator*(c64 a, float b) { return a * c64(b); }\n"
    "__device__ inline bool operator==(c64 a, c64 b) { return a.re == b.re && a.im == b.im; }\n"
    "__device__ inline bool operator!=(c64 a, c64 b) { return !(a == b); }\n"
    "__device__ inline bool operator==(c64 a, int b) { return a.re == (float)b && a.im == 0; }\n"
    "__device__ inline bool operator!(c64 a) { return a.re == 0 && a.im == 0; }\n"
    "__device__ inline float creal(c64 a) { return a.re; }\n"
    "__device__ inline float cimag(c64 a) { return a.im; }\n"
    "__device__ inline c64 conj(c64 a) { return c64(a.re, -a.im); }\n"
    "__device__ inline float cabs(c64 a) { return hypotf(a.re, a.im); }\n"
    "__device__ inline float crealf(c64 a) { return a.re; }\n"
    "__device__ inline float cimagf(c64 a) { return a.im; }\n"
    "__device__ inline c64 cexp(c64 a) {\n"
    "    float e = expf(a.re);\n"
    "    return c64(e * cosf(a.im), e * sinf(a.im));\n"
    "}\n"
    "__device__ inline c64 clog(c64 a) { return c64(logf(cabs(a)), atan2f(a.im, a.re)); }\n"
    "__device__ inline c64 csqrt(c64 a) {\n"
    "    float r = cabs(a);\n"
    "    float re = sqrtf(fmaxf(0.f, (r + a.re) * 0.5f)), im = sqrtf(fmaxf(0.f, (r - a.re) * 0.5f));\n"
    "    return c64(re, a.im < 0 ? -im : im);\n"
    "}\n"
    "__device__ inline c64 cpow(c64 a, c64 b) {\n"
    "    if (a.re == 0 && a.im == 0) return c64(b.re == 0 && b.im == 0 ? 1.f : 0.f);\n"
    "    return cexp(b * clog(a));\n"
    "}\n"
    "__device__ inline c64 csin(c64 a) { return c64(sinf(a.re) * coshf(a.im), cosf(a.re) * sinhf(a.im)); }\n"
    "__device__ inline c64 ccos(c64 a) { return c64(cosf(a.re) * coshf(a.im), -sinf(a.re) * sinhf(a.im)); }\n"
    "__device__ inline c64 ctan(c64 a) { return csin(a) / ccos(a); }\n"
    "__device__ inline c64 csinh(c64 a) { return c64(sinhf(a.re) * cosf(a.im), coshf(a.re) * sinf(a.im)); }\n"
    "__device__ inline c64 ccosh(c64 a) { return c64(coshf(a.re) * cosf(a.im), sinhf(a.re) * sinf(a.im)); }\n"
    "__device__ inline c64 ctanh(c64 a) { return csinh(a) / ccosh(a); }\n"
    "__device__ inline c64 casinh(c64 a) { return clog(a + csqrt(a * a + c64(1))); }\n"
    "__device__ inline c64 cacosh(c64 a) { return clog(a + csqrt(a + c64(1)) * csqrt(a - c64(1))); }\n"
    "__device__ inline c64 catanh(c64 a) { return (clog(c64(1) + a) - clog(c64(1) - a)) * 0.5f; }\n"
    "__device__ inline c64 casin(c64 a) {\n"
    "    c64 r = casinh(c64(-a.im, a.re));\n"
    "    return c64(r.im, -r.re);\n"
    "}\n"
    "__device__ inline c64 cacos(c64 a) {\n"
    "    c64 s = casin(a);\n"
    "    return c64(1.57079632679489662f - s.re, -s.im);\n"
    "}\n"
    "__device__ inline c64 catan(c64 a) {\n"
    "    c64 r = catanh(c64(-a.im, a.re));\n"
    "    return c64(r.im, -r.re);\n"
    "}\n"
    /* the MX_S* helpers */
    "template <class T> __device__ inline T mx_siabs(T x) {\n"
    "    if constexpr (mx_unsigned<T>::value || mx_same<T, bool>::value) return x;\n"
    "    else return x < 0 ? -x : x;\n"
    "}\n"
    "#define MX_SIABS(x) mx_siabs(x)\n"
    "#define MX_SISIGN(x) (((x) > 0) - ((x) < 0))\n"
    "#define MX_SFSIGN(x) ((x) > 0 ? 1 : ((x) < 0 ? -1 : (x)))\n"
    "#define MX_SCSIGN(x) ((x) == 0 ? (x) : (x) / c64(cabs(x)))\n"
    "#define MX_SINEG(x) (0 - (x))\n"
    "#define MX_SERFINV(x) erfinv(x)\n"
    "#define MX_SCLOG2(x) (clog(x) / 0.69314718055994530942f)\n"
    "#define MX_SCLOG10(x) (clog(x) / 2.30258509299404568402f)\n"
    "#define MX_SSIGMOID(x) ((x) >= 0 ? 1 / (1 + exp(-(x))) : exp(x) / (1 + exp(x)))\n"
    "#define MX_SCISNAN(x) (isnan((x).re) || isnan((x).im))\n"
    "#define MX_SCISINF(x) (isinf((x).re) || isinf((x).im))\n"
    "#define MX_SCISFINITE(x) (isfinite((x).re) && isfinite((x).im))\n"
    "template <class T> __device__ inline T mx_sinvert(T x) {\n"
    "    if constexpr (mx_same<T, bool>::value) return !x;\n"
    "    else return (T)~x;\n"
    "}\n"
    "#define MX_SINVERT(x) mx_sinvert(x)\n"
    "#define MX_SISUB(a, b) ((a) - (b))\n"
    "#define MX_SIFLOORDIV(a, b) ((b) == 0 ? 0 : ((b) == (decltype(b))-1 && "
    "mx_signed<decltype(b)>::value ? 0 - (a) : (a) / (b) - (((a) % (b) != 0) && "
    "(((a) < 0) != ((b) < 0)))))\n"
    "#define MX_SIMOD(a, b) ((b) == 0 || ((b) == (decltype(b))-1 && "
    "mx_signed<decltype(b)>::value) ? 0 : ((a) % (b) + ((((a) % (b)) != 0 && "
    "(((a) % (b) < 0) != ((b) < 0))) ? (b) : 0)))\n"
    "template <class T> __device__ inline T mx_fmod_py(T a, T b) {\n"
    "    T r = fmod(a, b);\n"
    "    if (r != 0 && ((r < 0) != (b < 0))) r += b;\n"
    "    return r;\n"
    "}\n"
    "#define MX_SFMOD(a, b) mx_fmod_py(a, b)\n"
    "__device__ inline mx_i64 mx_ipow(mx_i64 a, mx_i64 b) {\n"
    "    if (b < 0) return a == 1 ? 1 : (a == -1 ? ((b & 1) ? -1 : 1) : 0);\n"
    "    mx_u64 r = 1, x = (mx_u64)a;\n"
    "    while (b) {\n"
    "        if (b & 1) r *= x;\n"
    "        x *= x;\n"
    "        b >>= 1;\n"
    "    }\n"
    "    return (mx_i64)r;\n"
    "}\n"
    "#define MX_SIPOW(a, b) mx_ipow((mx_i64)(a), (mx_i64)(b))\n"
    "template <class T> __device__ inline T mx_logaddexp(T a, T b) {\n"
    "    if (isnan(a) || isnan(b)) return a + b;\n"
    "    T m = a > b ? a : b;\n"
    "    if (isinf(m)) return m;\n"
    "    return m + log1p(exp(-fabs(a - b)));\n"
    "}\n"
    "#define MX_SLOGADDEXP(a, b) mx_logaddexp(a, b)\n"
    "#define MX_SFMIN(a, b) (isnan(a) ? (a) : (isnan(b) ? (b) : ((a) < (b) ? (a) : (b))))\n"
    "#define MX_SFMAX(a, b) (isnan(a) ? (a) : (isnan(b) ? (b) : ((a) > (b) ? (a) : (b))))\n"
    "#define MX_SISHL(a, b) (((b) < 0 || (mx_u64)(b) >= 8 * sizeof(a)) ? 0 : (mx_u64)(a) << (b))\n"
    "#define MX_SISHR(a, b) (((b) < 0 || (mx_u64)(b) >= 8 * sizeof(a)) ? ((a) < 0 ? -1 : 0) : "
    "(a) >> (b))\n"
    "#define MX_SEXP(x) exp(x)\n"
    "#define MX_SEXPM1(x) expm1(x)\n"
    "#define MX_SLOG(x) log(x)\n"
    "#define MX_SLOG2(x) log2(x)\n"
    "#define MX_SLOG10(x) log10(x)\n"
    "#define MX_SLOG1P(x) log1p(x)\n"
    "#define MX_SSIN(x) sin(x)\n"
    "#define MX_SCOS(x) cos(x)\n"
    "#define MX_STANH(x) tanh(x)\n"
    "#define MX_SERF(x) erf(x)\n"
    /* storage <-> compute: the instructions of cuda_fp16.h / cuda_bf16.h */
    "struct f16s { unsigned short bits; };\n"
    "struct bf16s { unsigned short bits; };\n"
    "__device__ inline float mx_ld(f16s v) {\n"
    "    float f;\n"
    "    asm(\"cvt.f32.f16 %0, %1;\" : \"=f\"(f) : \"h\"(v.bits));\n"
    "    return f;\n"
    "}\n"
    "__device__ inline float mx_ld(bf16s v) { return __uint_as_float((unsigned)v.bits << 16); }\n"
    "template <class T> __device__ inline T mx_ld(T v) { return v; }\n"
    "__device__ inline f16s mx_f2h(float f) {\n"
    "    unsigned short h;\n"
    "    asm(\"cvt.rn.f16.f32 %0, %1;\" : \"=h\"(h) : \"f\"(f));\n"
    "    return f16s{h};\n"
    "}\n"
    "__device__ inline bf16s mx_f2bf(float f) {\n"
    "#if __CUDA_ARCH__ >= 800\n"
    "    unsigned short h;\n"
    "    asm(\"cvt.rn.bf16.f32 %0, %1;\" : \"=h\"(h) : \"f\"(f));\n"
    "    return bf16s{h};\n"
    "#else\n"
    "    unsigned u = __float_as_uint(f);\n"
    "    if ((u & 0x7fffffffu) > 0x7f800000u) return bf16s{(unsigned short)0x7fffu};\n"
    "    u += 0x7fffu + ((u >> 16) & 1u);\n"
    "    return bf16s{(unsigned short)(u >> 16)};\n"
    "#endif\n"
    "}\n"
    "template <class S, class V> __device__ inline S mx_st(V v) {\n"
    "    if constexpr (mx_same<S, f16s>::value) return mx_f2h((float)v);\n"
    "    else if constexpr (mx_same<S, bf16s>::value) return mx_f2bf((float)v);\n"
    "    else if constexpr (mx_same<S, bool>::value) return (bool)(v);\n"
    "    else if constexpr (mx_same<S, c64>::value) {\n"
    "        if constexpr (mx_same<V, c64>::value) return v;\n"
    "        else return c64((float)v);\n"
    "    } else if constexpr (mx_same<V, c64>::value) return (S)v.re;\n"
    "    else return (S)v;\n"
    "}\n"
    /* the op boundary: an opaque move, so no FMA spans two ops */
    "__device__ inline float mx_keep(float v) {\n"
    "    float r;\n"
    "    asm(\"mov.b32 %0, %1;\" : \"=f\"(r) : \"f\"(v));\n"
    "    return r;\n"
    "}\n"
    "__device__ inline c64 mx_keep(c64 v) { return c64(mx_keep(v.re), mx_keep(v.im)); }\n"
    "template <class T> __device__ inline T mx_keep(T v) { return v; }\n"
    "template <class T, int N> struct alignas(sizeof(T) * N) mx_vec { T v[N]; };\n\n";

/* storage type, compute type, expression column (F float, I integer/bool, C complex) */
typedef struct gpu_dt {
    const char *st, *ct;
    char        cls;
} gpu_dt;

static const gpu_dt gdt[MX_NUM_DTYPES] = {
    [MX_BOOL] = {"bool", "bool", 'I'},         [MX_UINT8] = {"mx_u8", "mx_u8", 'I'},
    [MX_UINT16] = {"mx_u16", "mx_u16", 'I'},   [MX_UINT32] = {"mx_u32", "mx_u32", 'I'},
    [MX_UINT64] = {"mx_u64", "mx_u64", 'I'},   [MX_INT8] = {"mx_i8", "mx_i8", 'I'},
    [MX_INT16] = {"mx_i16", "mx_i16", 'I'},    [MX_INT32] = {"mx_i32", "mx_i32", 'I'},
    [MX_INT64] = {"mx_i64", "mx_i64", 'I'},    [MX_FLOAT16] = {"f16s", "float", 'F'},
    [MX_FLOAT32] = {"float", "float", 'F'},    [MX_FLOAT64] = {NULL, NULL, 0},
    [MX_BFLOAT16] = {"bf16s", "float", 'F'},   [MX_COMPLEX64] = {"c64", "c64", 'C'},
};

static bool gpu_dtype(int t) { return t >= 0 && t < MX_NUM_DTYPES && gdt[t].st != NULL; }

/* ---- checks ---- */
/* the dtype the unfused GPU kernel writes for an element-wise op on `it` */
static int rule_out(int prim, int it) {
    switch (mx_prims[prim].rule) {
    case R_BOOL:
    case R_LOGIC: return MX_BOOL;
    case R_REAL: return it == MX_COMPLEX64 ? MX_FLOAT32 : it;
    default: return it;
    }
}

/* Can every op of d be generated? (value ids in range, dtypes the GPU has, the .def accepts) */
static bool desc_ok(const mx_fused_desc *d) {
    if (!d || d->n_out != 1 || d->n_in < 0 || d->n_ops < 1) return false;
    int nv = d->n_in + d->n_ops;
    if (d->outs[0] < 0 || d->outs[0] >= nv) return false;
    for (int j = 0; j < d->n_in; j++)
        if (!gpu_dtype(d->in_dtype[j])) return false;
    for (int k = 0; k < d->n_ops; k++) {
        const mx_fused_op *op = &d->ops[k];
        if (op->prim >= MX_PRIM_COUNT || op->n_in < 1 || op->n_in > 3 || !gpu_dtype(op->dtype))
            return false;
        for (int j = 0; j < op->n_in; j++)
            if (op->in[j] < 0 || op->in[j] >= d->n_in + k) return false;
        int it = mx_fused_value_dtype(d, op->in[0]), ot = op->dtype;
        const mx_prim_info *pi = &mx_prims[op->prim];
        switch (op->prim) {
        case MX_PRIM_BROADCAST:
            if (op->n_in != 1 || ot != it) return false;
            break;
        case MX_PRIM_ASTYPE:
            if (op->n_in != 1) return false;
            break;
        case MX_PRIM_WHERE:
            if (op->n_in != 3 || it != MX_BOOL || mx_fused_value_dtype(d, op->in[1]) != ot ||
                mx_fused_value_dtype(d, op->in[2]) != ot)
                return false;
            break;
        default:
            if (!(pi->flags & MX_PF_ELEMENTWISE) || op->n_in != pi->n_in ||
                !mx_fused_expr_cols[op->prim].fx || !(pi->kinds & mx_dtype_kindbit(it)) ||
                rule_out(op->prim, it) != ot)
                return false;
            if (op->n_in == 2 && mx_fused_value_dtype(d, op->in[1]) != it) return false;
        }
    }
    return true;
}

/* The body: mx_fz_body(v0, ..., out) computes the sub-tape on one element. */
static void gen_body(mx_sbuf *b, const mx_fused_desc *d, char (*names)[16]) {
    mx_sbuf_printf(b, "__device__ __forceinline__ void mx_fz_body(");
    for (int j = 0; j < d->n_in; j++) {
        mx_sbuf_printf(b, "%s v%d, ", gdt[d->in_dtype[j]].st, j);
        snprintf(names[j], sizeof names[j], "v%d", j);
    }
    int od = mx_fused_value_dtype(d, d->outs[0]);
    mx_sbuf_printf(b, "%s &out_) {\n", gdt[od].st);
    for (int k = 0; k < d->n_ops; k++) {
        const mx_fused_op *op = &d->ops[k];
        int vid = d->n_in + k, ot = op->dtype, it = mx_fused_value_dtype(d, op->in[0]);
        const char *a0 = names[op->in[0]];
        if (op->prim == MX_PRIM_BROADCAST) { /* the identity on values */
            memcpy(names[vid], names[op->in[0]], sizeof names[vid]);
            continue;
        }
        snprintf(names[vid], sizeof names[vid], "t%d", k);
        const char *ex = mx_fused_pick(&mx_fused_expr_cols[op->prim], gdt[it].cls);
        if (op->prim == MX_PRIM_WHERE) {
            mx_sbuf_printf(b, "    %s t%d = %s ? %s : %s;\n", gdt[ot].st, k, a0, names[op->in[1]],
                           names[op->in[2]]);
        } else if (op->prim == MX_PRIM_ASTYPE) {
            mx_sbuf_printf(b, "    %s t%d = mx_keep(mx_st<%s>((%s)mx_ld(%s)));\n", gdt[ot].st, k,
                           gdt[ot].st, gdt[it].ct, a0);
        } else if (op->n_in == 1) {
            mx_sbuf_printf(b,
                           "    %s t%d;\n    { %s x = (%s)mx_ld(%s); (void)x; "
                           "t%d = mx_keep(mx_st<%s>(%s)); }\n",
                           gdt[ot].st, k, gdt[it].ct, gdt[it].ct, a0, k, gdt[ot].st, ex);
        } else {
            mx_sbuf_printf(b,
                           "    %s t%d;\n    { %s a = (%s)mx_ld(%s), b = (%s)mx_ld(%s); (void)a; "
                           "(void)b; t%d = mx_keep(mx_st<%s>(%s)); }\n",
                           gdt[ot].st, k, gdt[it].ct, gdt[it].ct, a0, gdt[it].ct, names[op->in[1]],
                           k, gdt[ot].st, ex);
        }
    }
    mx_sbuf_printf(b, "    out_ = %s;\n}\n\n", names[d->outs[0]]);
}

static bool is_scalar(const mx_cuda_jit_variant *v, int j) {
    return j < 64 && (v->scalar_mask >> j & 1);
}

/* "(long n, [extra, ]const T0 *p0, ..., OT *po) {" and the scalar loads */
static void gen_head(mx_sbuf *b, const mx_fused_desc *d, const mx_cuda_jit_variant *v,
                     const char *name, const char *extra) {
    int od = mx_fused_value_dtype(d, d->outs[0]);
    mx_sbuf_printf(b, "extern \"C\" __global__ void __launch_bounds__(256) %s(long n, %s", name,
                   extra);
    for (int j = 0; j < d->n_in; j++)
        mx_sbuf_printf(b, "const %s *p%d, ", gdt[d->in_dtype[j]].st, j);
    mx_sbuf_printf(b, "%s *po) {\n", gdt[od].st);
    for (int j = 0; j < d->n_in; j++)
        if (is_scalar(v, j))
            mx_sbuf_printf(b, "    const %s s%d = *p%d;\n", gdt[d->in_dtype[j]].st, j, j);
    mx_sbuf_printf(b, "    const long step_ = (long)blockDim.x * gridDim.x;\n"
                      "    const long i0_ = (long)blockIdx.x * blockDim.x + threadIdx.x;\n");
}

/* the body's call; element expression of input j in `elem` (with %d for j), output `out` */
static void gen_call(mx_sbuf *b, const mx_fused_desc *d, const mx_cuda_jit_variant *v,
                     const char *elem, const char *out) {
    mx_sbuf_printf(b, "mx_fz_body(");
    for (int j = 0; j < d->n_in; j++) {
        if (is_scalar(v, j)) mx_sbuf_printf(b, "s%d, ", j);
        else {
            char e[64];
            snprintf(e, sizeof e, elem, j, j);
            mx_sbuf_printf(b, "%s, ", e);
        }
    }
    mx_sbuf_printf(b, "%s);\n", out);
}

int mx_cuda_jit_vec_width(const mx_fused_desc *d) {
    size_t w = mx_dtype_size((mx_dtype)mx_fused_value_dtype(d, d->outs[0]));
    for (int j = 0; j < d->n_in; j++) {
        size_t s = mx_dtype_size((mx_dtype)d->in_dtype[j]);
        if (s > w) w = s;
    }
    return w ? (int)(16 / w) : 1;
}

static void gen_dense(mx_sbuf *b, const mx_fused_desc *d, const mx_cuda_jit_variant *v) {
    int od = mx_fused_value_dtype(d, d->outs[0]), V = mx_cuda_jit_vec_width(d);
    gen_head(b, d, v, "mx_fz_d", "");
    mx_sbuf_printf(b, "    for (long i = i0_; i < n; i += step_) ");
    gen_call(b, d, v, "p%d[i]", "po[i]");
    mx_sbuf_printf(b, "}\n\n");
    gen_head(b, d, v, "mx_fz_v", "");
    mx_sbuf_printf(b, "    const long nv_ = n / %d;\n"
                      "    for (long i = i0_; i < nv_; i += step_) {\n",
                   V);
    for (int j = 0; j < d->n_in; j++)
        if (!is_scalar(v, j))
            mx_sbuf_printf(b, "        const mx_vec<%s, %d> w%d = "
                              "((const mx_vec<%s, %d> *)p%d)[i];\n",
                           gdt[d->in_dtype[j]].st, V, j, gdt[d->in_dtype[j]].st, V, j);
    mx_sbuf_printf(b, "        mx_vec<%s, %d> wo_;\n"
                      "#pragma unroll\n        for (int e = 0; e < %d; e++) ",
                   gdt[od].st, V, V);
    gen_call(b, d, v, "w%d.v[e]", "wo_.v[e]");
    mx_sbuf_printf(b, "        ((mx_vec<%s, %d> *)po)[i] = wo_;\n    }\n", gdt[od].st, V);
    mx_sbuf_printf(b, "    for (long i = nv_ * %d + i0_; i < n; i += step_) ", V);
    gen_call(b, d, v, "p%d[i]", "po[i]");
    mx_sbuf_printf(b, "}\n");
}

static void gen_strided(mx_sbuf *b, const mx_fused_desc *d, const mx_cuda_jit_variant *v) {
    const char *I = v->idx32 ? "int" : "long", *U = v->idx32 ? "unsigned" : "unsigned long";
    int nd = v->ndim, nin = d->n_in > 0 ? d->n_in : 1;
    mx_sbuf_printf(b, "struct mx_fz_nd { %s sh[%d]; %s st[%d][%d]; };\n\n", I, nd, I, nin, nd);
    gen_head(b, d, v, "mx_fz_s", "const mx_fz_nd g, ");
    mx_sbuf_printf(b, "    for (long i = i0_; i < n; i += step_) {\n        %s r_ = (%s)i;\n", U,
                   U);
    for (int j = 0; j < d->n_in; j++)
        if (!is_scalar(v, j)) mx_sbuf_printf(b, "        %s o%d = 0;\n", I, j);
    mx_sbuf_printf(b, "#pragma unroll\n        for (int k = %d; k > 0; k--) {\n"
                      "            const %s q_ = r_ / (%s)g.sh[k];\n"
                      "            const %s c_ = (%s)(r_ - q_ * (%s)g.sh[k]);\n"
                      "            r_ = q_;\n",
                   nd - 1, U, U, I, I, U);
    for (int j = 0; j < d->n_in; j++)
        if (!is_scalar(v, j)) mx_sbuf_printf(b, "            o%d += c_ * g.st[%d][k];\n", j, j);
    mx_sbuf_printf(b, "        }\n");
    for (int j = 0; j < d->n_in; j++)
        if (!is_scalar(v, j))
            mx_sbuf_printf(b, "        o%d += (%s)r_ * g.st[%d][0];\n", j, I, j);
    mx_sbuf_printf(b, "        ");
    gen_call(b, d, v, "p%d[o%d]", "po[i]");
    mx_sbuf_printf(b, "    }\n}\n");
}

char *mx_cuda_jit_source(const mx_fused_desc *d, const mx_cuda_jit_variant *v) {
    if (!v || !desc_ok(d)) return NULL;
    if (v->kind == MX_CUDA_JIT_STRIDED && (v->ndim < 1 || v->ndim > MX_MAX_DIMS)) return NULL;
    if (v->kind != MX_CUDA_JIT_DENSE && v->kind != MX_CUDA_JIT_STRIDED) return NULL;
    char (*names)[16] = calloc((size_t)(d->n_in + d->n_ops), sizeof *names);
    if (!names) return NULL;
    mx_sbuf b = {0};
    mx_sbuf_printf(&b, "%s", prelude);
    gen_body(&b, d, names);
    if (v->kind == MX_CUDA_JIT_DENSE) gen_dense(&b, d, v);
    else gen_strided(&b, d, v);
    free(names);
    if (b.bad) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

const char *const *mx_cuda_jit_options(int *n) {
    /* FMAs as nvcc forms them inside one op (NVVM); none formed later by ptxas (see the top) */
    static const char *const opts[] = {"-std=c++17", "--fmad=true", "-Xptxas=--fmad=false"};
    *n = (int)(sizeof opts / sizeof opts[0]);
    return opts;
}
