/* src/backend/cpu/scalar.h: the scalar helpers named in unary.def / binary.def (MX_S*), and the
 * per-dtype storage/compute types the CPU kernels are generated for.
 *
 * Expressions in the .def tables use <tgmath.h> names, so one expression serves float, double and
 * float _Complex. Integer helpers are written so that no input is undefined behaviour (division by
 * zero gives 0, INT_MIN / -1 wraps, shifts past the width saturate) and so that nothing traps.
 */
#ifndef MX_CPU_SCALAR_H
#define MX_CPU_SCALAR_H

#include <complex.h>
#include <stdbool.h>
#include <stdint.h>
#include <tgmath.h>

#include "../../core/half.h"
#include "vmath.h"

double mx_erfinv_scalar(double x);

/* ---- float32 through vmath.h ----
 * The transcendental functions below take the branch-free, vectorisable float versions of
 * vmath.h for float (float32, and float16/bfloat16 which compute in float) and libm for double. */
#define MX_VM_PICK(x, vf, df) _Generic((x), float: vf, default: df)(x)
#define MX_SEXP(x) MX_VM_PICK(x, mx_vexpf, exp)
#define MX_SEXPM1(x) MX_VM_PICK(x, mx_vexpm1f, expm1)
#define MX_SLOG(x) MX_VM_PICK(x, mx_vlogf, log)
#define MX_SLOG2(x) MX_VM_PICK(x, mx_vlog2f, log2)
#define MX_SLOG10(x) MX_VM_PICK(x, mx_vlog10f, log10)
#define MX_SLOG1P(x) MX_VM_PICK(x, mx_vlog1pf, log1p)
#define MX_SSIN(x) MX_VM_PICK(x, mx_vsinf, sin)
#define MX_SCOS(x) MX_VM_PICK(x, mx_vcosf, cos)
#define MX_STANH(x) MX_VM_PICK(x, mx_vtanhf, tanh)

static inline double mx_sigmoid_d(double x) {
    return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
}

/* ---- unary ---- */
#define MX_SIABS(x) ((x) < 0 ? -(x) : (x))
#define MX_SISIGN(x) (((x) > 0) - ((x) < 0))
#define MX_SFSIGN(x) ((x) > 0 ? 1 : ((x) < 0 ? -1 : (x)))
#define MX_SCSIGN(x) ((x) == 0 ? (x) : (x) / cabs(x))
#define MX_SINEG(x) (0 - (x))
#define MX_SERFINV(x) mx_erfinv_scalar((double)(x))
#define MX_SCLOG2(x) (clog(x) / 0.69314718055994530942f)
#define MX_SCLOG10(x) (clog(x) / 2.30258509299404568402f)
#define MX_SSIGMOID(x) _Generic((x), float: mx_vsigmoidf, default: mx_sigmoid_d)(x)
#define MX_SCISNAN(x) (isnan(crealf(x)) || isnan(cimagf(x)))
#define MX_SCISINF(x) (isinf(crealf(x)) || isinf(cimagf(x)))
#define MX_SCISFINITE(x) (isfinite(crealf(x)) && isfinite(cimagf(x)))
#define MX_SINVERT(x) _Generic((x), bool: !(x), default: ~(x))

/* ---- binary ---- */
#define MX_SISUB(a, b) ((a) - (b))
/* Python semantics: floor division, remainder with the divisor's sign; b == 0 gives 0. */
#define MX_SIFLOORDIV(a, b)                                                                        \
    ((b) == 0 ? 0                                                                                  \
              : ((b) == -1 ? 0 - (a)                                                               \
                           : (a) / (b) - (((a) % (b) != 0) && (((a) < 0) != ((b) < 0)))))
#define MX_SIMOD(a, b)                                                                             \
    ((b) == 0 || (b) == -1 ? 0                                                                     \
                           : ((a) % (b) + ((((a) % (b)) != 0 && (((a) % (b) < 0) != ((b) < 0)))  \
                                               ? (b)                                               \
                                               : 0)))
#define MX_SFMOD(a, b) mx_fmod_py((a), (b))
#define MX_SIPOW(a, b) mx_ipow((int64_t)(a), (int64_t)(b))
#define MX_SLOGADDEXP(a, b) mx_logaddexp((a), (b))
#define MX_SFMIN(a, b) (isnan(a) ? (a) : (isnan(b) ? (b) : ((a) < (b) ? (a) : (b))))
#define MX_SFMAX(a, b) (isnan(a) ? (a) : (isnan(b) ? (b) : ((a) > (b) ? (a) : (b))))
#define MX_SISHL(a, b)                                                                             \
    (((b) < 0 || (uint64_t)(b) >= 8 * sizeof(a)) ? 0 : (uint64_t)(a) << (b))
#define MX_SISHR(a, b)                                                                             \
    (((b) < 0 || (uint64_t)(b) >= 8 * sizeof(a)) ? ((a) < 0 ? -1 : 0) : (a) >> (b))

static inline int64_t mx_ipow(int64_t a, int64_t b) {
    if (b < 0) return a == 1 ? 1 : (a == -1 ? ((b & 1) ? -1 : 1) : 0);
    uint64_t r = 1, x = (uint64_t)a; /* unsigned: wraps like the C types do */
    while (b) {
        if (b & 1) r *= x;
        x *= x;
        b >>= 1;
    }
    return (int64_t)r;
}

#define MX_FMOD_PY(T, F)                                                                           \
    static inline T mx_fmod_py_##F(T a, T b) {                                                     \
        T r = fmod(a, b);                                                                          \
        if (r != 0 && ((r < 0) != (b < 0))) r += b;                                                \
        return r;                                                                                  \
    }                                                                                              \
    static inline T mx_logaddexp_##F(T a, T b) {                                                   \
        if (isnan(a) || isnan(b)) return a + b;                                                    \
        T m = a > b ? a : b;                                                                       \
        if (isinf(m) && m < 0) return m;                                                           \
        if (isinf(m)) return m;                                                                    \
        return m + log1p(exp(-fabs(a - b)));                                                       \
    }
MX_FMOD_PY(float, f)
MX_FMOD_PY(double, d)
#define mx_fmod_py(a, b) _Generic((a) + (b), double: mx_fmod_py_d, default: mx_fmod_py_f)((a), (b))
#define mx_logaddexp(a, b)                                                                         \
    _Generic((a) + (b), double: mx_logaddexp_d, default: mx_logaddexp_f)((a), (b))

/* ---- dtypes as the CPU kernels see them ----
 * X(DT, storage type, compute type, class (I integer/bool, F real float, C complex),
 *   load(v) -> compute, store(v) -> storage, real-part storage type, store of a real value) */
#define MX_CPU_DTYPES(X, ...)                                                                      \
    X(BOOL, bool, bool, I, MX_LD_ID, MX_ST_BOOL, bool, MX_ST_BOOL, __VA_ARGS__)                    \
    X(UINT8, uint8_t, uint8_t, I, MX_LD_ID, MX_ST_CAST(uint8_t), uint8_t, MX_ST_CAST(uint8_t),     \
      __VA_ARGS__)                                                                                 \
    X(UINT16, uint16_t, uint16_t, I, MX_LD_ID, MX_ST_CAST(uint16_t), uint16_t,                     \
      MX_ST_CAST(uint16_t), __VA_ARGS__)                                                           \
    X(UINT32, uint32_t, uint32_t, I, MX_LD_ID, MX_ST_CAST(uint32_t), uint32_t,                     \
      MX_ST_CAST(uint32_t), __VA_ARGS__)                                                           \
    X(UINT64, uint64_t, uint64_t, I, MX_LD_ID, MX_ST_CAST(uint64_t), uint64_t,                     \
      MX_ST_CAST(uint64_t), __VA_ARGS__)                                                           \
    X(INT8, int8_t, int8_t, I, MX_LD_ID, MX_ST_CAST(int8_t), int8_t, MX_ST_CAST(int8_t),           \
      __VA_ARGS__)                                                                                 \
    X(INT16, int16_t, int16_t, I, MX_LD_ID, MX_ST_CAST(int16_t), int16_t, MX_ST_CAST(int16_t),     \
      __VA_ARGS__)                                                                                 \
    X(INT32, int32_t, int32_t, I, MX_LD_ID, MX_ST_CAST(int32_t), int32_t, MX_ST_CAST(int32_t),     \
      __VA_ARGS__)                                                                                 \
    X(INT64, int64_t, int64_t, I, MX_LD_ID, MX_ST_CAST(int64_t), int64_t, MX_ST_CAST(int64_t),     \
      __VA_ARGS__)                                                                                 \
    X(FLOAT16, uint16_t, float, F, mx_half_to_float, MX_ST_HALF, uint16_t, MX_ST_HALF,            \
      __VA_ARGS__)                                                                                 \
    X(FLOAT32, float, float, F, MX_LD_ID, MX_ST_CAST(float), float, MX_ST_CAST(float),             \
      __VA_ARGS__)                                                                                 \
    X(FLOAT64, double, double, F, MX_LD_ID, MX_ST_CAST(double), double, MX_ST_CAST(double),        \
      __VA_ARGS__)                                                                                 \
    X(BFLOAT16, uint16_t, float, F, mx_bf16_to_float, MX_ST_BF16, uint16_t, MX_ST_BF16,           \
      __VA_ARGS__)                                                                                 \
    X(COMPLEX64, float _Complex, float _Complex, C, MX_LD_ID, MX_ST_CAST(float _Complex), float,   \
      MX_ST_REAL, __VA_ARGS__)

#define MX_LD_ID(v) (v)
#define MX_ST_CAST(T) (T)
#define MX_ST_BOOL(v) ((bool)(v))
#define MX_ST_HALF(v) mx_float_to_half((float)(v))
#define MX_ST_BF16(v) mx_float_to_bf16((float)(v))
#define MX_ST_REAL(v) ((float)creal(v))

/* pick the expression column for a class */
#define MX_SEL_I(fx, ix, cx) ix
#define MX_SEL_F(fx, ix, cx) fx
#define MX_SEL_C(fx, ix, cx) cx

#endif
