/* src/backend/cuda/cu_scalar.cuh: the device-side twins of src/backend/cpu/scalar.h, so that the
 * expression columns of unary.def / binary.def compile as CUDA C++ unchanged: the MX_S* helpers,
 * a complex64 type with the <complex.h> names the tables use (cexp, csqrt, cabs, conj, creal ...),
 * and float16 / bfloat16 loads and stores (computed through float). */
#ifndef MX_CU_SCALAR_CUH
#define MX_CU_SCALAR_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#include <type_traits>

/* ---- complex64 ---- */
struct c64 {
    float re, im;
    __device__ c64() : re(0), im(0) {}
    __device__ c64(float r, float i = 0) : re(r), im(i) {}
    __device__ explicit operator float() const { return re; }
    __device__ explicit operator bool() const { return re != 0 || im != 0; }
};
__device__ inline c64 operator+(c64 a, c64 b) { return c64(a.re + b.re, a.im + b.im); }
__device__ inline c64 operator-(c64 a, c64 b) { return c64(a.re - b.re, a.im - b.im); }
__device__ inline c64 operator-(c64 a) { return c64(-a.re, -a.im); }
__device__ inline c64 operator*(c64 a, c64 b) {
    return c64(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
}
__device__ inline c64 operator/(c64 a, c64 b) {
    float d = b.re * b.re + b.im * b.im;
    return c64((a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d);
}
__device__ inline c64 operator+(float a, c64 b) { return c64(a) + b; }
__device__ inline c64 operator-(float a, c64 b) { return c64(a) - b; }
__device__ inline c64 operator*(float a, c64 b) { return c64(a) * b; }
__device__ inline c64 operator/(float a, c64 b) { return c64(a) / b; }
__device__ inline c64 operator/(c64 a, float b) { return a / c64(b); }
__device__ inline c64 operator*(c64 a, float b) { return a * c64(b); }
__device__ inline bool operator==(c64 a, c64 b) { return a.re == b.re && a.im == b.im; }
__device__ inline bool operator!=(c64 a, c64 b) { return !(a == b); }
__device__ inline bool operator==(c64 a, int b) { return a.re == (float)b && a.im == 0; }
__device__ inline bool operator!(c64 a) { return a.re == 0 && a.im == 0; }

__device__ inline float creal(c64 a) { return a.re; }
__device__ inline float cimag(c64 a) { return a.im; }
__device__ inline c64 conj(c64 a) { return c64(a.re, -a.im); }
__device__ inline float cabs(c64 a) { return hypotf(a.re, a.im); }
__device__ inline float crealf(c64 a) { return a.re; }
__device__ inline float cimagf(c64 a) { return a.im; }
__device__ inline c64 cexp(c64 a) {
    float e = expf(a.re);
    return c64(e * cosf(a.im), e * sinf(a.im));
}
__device__ inline c64 clog(c64 a) { return c64(logf(cabs(a)), atan2f(a.im, a.re)); }
__device__ inline c64 csqrt(c64 a) {
    float r = cabs(a);
    float re = sqrtf(fmaxf(0.f, (r + a.re) * 0.5f)), im = sqrtf(fmaxf(0.f, (r - a.re) * 0.5f));
    return c64(re, a.im < 0 ? -im : im);
}
__device__ inline c64 cpow(c64 a, c64 b) {
    if (a.re == 0 && a.im == 0) return c64(b.re == 0 && b.im == 0 ? 1.f : 0.f);
    return cexp(b * clog(a));
}
__device__ inline c64 csin(c64 a) {
    return c64(sinf(a.re) * coshf(a.im), cosf(a.re) * sinhf(a.im));
}
__device__ inline c64 ccos(c64 a) {
    return c64(cosf(a.re) * coshf(a.im), -sinf(a.re) * sinhf(a.im));
}
__device__ inline c64 ctan(c64 a) { return csin(a) / ccos(a); }
__device__ inline c64 csinh(c64 a) {
    return c64(sinhf(a.re) * cosf(a.im), coshf(a.re) * sinf(a.im));
}
__device__ inline c64 ccosh(c64 a) {
    return c64(coshf(a.re) * cosf(a.im), sinhf(a.re) * sinf(a.im));
}
__device__ inline c64 ctanh(c64 a) { return csinh(a) / ccosh(a); }
/* inverse functions through logs and square roots (principal branches) */
__device__ inline c64 casinh(c64 a) { return clog(a + csqrt(a * a + c64(1))); }
__device__ inline c64 cacosh(c64 a) { return clog(a + csqrt(a + c64(1)) * csqrt(a - c64(1))); }
__device__ inline c64 catanh(c64 a) { return (clog(c64(1) + a) - clog(c64(1) - a)) * 0.5f; }
__device__ inline c64 casin(c64 a) { /* -i asinh(i a) */
    c64 r = casinh(c64(-a.im, a.re));
    return c64(r.im, -r.re);
}
__device__ inline c64 cacos(c64 a) {
    c64 s = casin(a);
    return c64(1.57079632679489662f - s.re, -s.im);
}
__device__ inline c64 catan(c64 a) { /* -i atanh(i a) */
    c64 r = catanh(c64(-a.im, a.re));
    return c64(r.im, -r.re);
}

/* ---- the MX_S* helpers of scalar.h ---- */
template <class T> __device__ inline T mx_siabs(T x) {
    if constexpr (std::is_unsigned<T>::value || std::is_same<T, bool>::value) return x;
    else return x < 0 ? -x : x;
}
#define MX_SIABS(x) mx_siabs(x)
#define MX_SISIGN(x) (((x) > 0) - ((x) < 0))
#define MX_SFSIGN(x) ((x) > 0 ? 1 : ((x) < 0 ? -1 : (x)))
#define MX_SCSIGN(x) ((x) == 0 ? (x) : (x) / c64(cabs(x)))
#define MX_SINEG(x) (0 - (x))
#define MX_SERFINV(x) erfinv(x)
#define MX_SCLOG2(x) (clog(x) / 0.69314718055994530942f)
#define MX_SCLOG10(x) (clog(x) / 2.30258509299404568402f)
#define MX_SSIGMOID(x) ((x) >= 0 ? 1 / (1 + exp(-(x))) : exp(x) / (1 + exp(x)))
#define MX_SCISNAN(x) (isnan((x).re) || isnan((x).im))
#define MX_SCISINF(x) (isinf((x).re) || isinf((x).im))
#define MX_SCISFINITE(x) (isfinite((x).re) && isfinite((x).im))
template <class T> __device__ inline T mx_sinvert(T x) {
    if constexpr (std::is_same<T, bool>::value) return !x;
    else return (T)~x;
}
#define MX_SINVERT(x) mx_sinvert(x)
#define MX_SISUB(a, b) ((a) - (b))
#define MX_SIFLOORDIV(a, b)                                                                        \
    ((b) == 0 ? 0                                                                                  \
              : ((b) == (decltype(b))-1 && std::is_signed<decltype(b)>::value                     \
                     ? 0 - (a)                                                                     \
                     : (a) / (b) - (((a) % (b) != 0) && (((a) < 0) != ((b) < 0)))))
#define MX_SIMOD(a, b)                                                                             \
    ((b) == 0 || ((b) == (decltype(b))-1 && std::is_signed<decltype(b)>::value)                   \
         ? 0                                                                                       \
         : ((a) % (b) + ((((a) % (b)) != 0 && (((a) % (b) < 0) != ((b) < 0))) ? (b) : 0)))
template <class T> __device__ inline T mx_fmod_py(T a, T b) {
    T r = fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}
#define MX_SFMOD(a, b) mx_fmod_py(a, b)
__device__ inline int64_t mx_ipow(int64_t a, int64_t b) {
    if (b < 0) return a == 1 ? 1 : (a == -1 ? ((b & 1) ? -1 : 1) : 0);
    uint64_t r = 1, x = (uint64_t)a;
    while (b) {
        if (b & 1) r *= x;
        x *= x;
        b >>= 1;
    }
    return (int64_t)r;
}
#define MX_SIPOW(a, b) mx_ipow((int64_t)(a), (int64_t)(b))
template <class T> __device__ inline T mx_logaddexp(T a, T b) {
    if (isnan(a) || isnan(b)) return a + b;
    T m = a > b ? a : b;
    if (isinf(m)) return m;
    return m + log1p(exp(-fabs(a - b)));
}
#define MX_SLOGADDEXP(a, b) mx_logaddexp(a, b)
#define MX_SFMIN(a, b) (isnan(a) ? (a) : (isnan(b) ? (b) : ((a) < (b) ? (a) : (b))))
#define MX_SFMAX(a, b) (isnan(a) ? (a) : (isnan(b) ? (b) : ((a) > (b) ? (a) : (b))))
#define MX_SISHL(a, b) (((b) < 0 || (uint64_t)(b) >= 8 * sizeof(a)) ? 0 : (uint64_t)(a) << (b))
#define MX_SISHR(a, b)                                                                             \
    (((b) < 0 || (uint64_t)(b) >= 8 * sizeof(a)) ? ((a) < 0 ? -1 : 0) : (a) >> (b))

/* the CPU's vectorised float math helpers: on the GPU the CUDA math library is already fast */
#define MX_SEXP(x) exp(x)
#define MX_SEXPM1(x) expm1(x)
#define MX_SLOG(x) log(x)
#define MX_SLOG2(x) log2(x)
#define MX_SLOG10(x) log10(x)
#define MX_SLOG1P(x) log1p(x)
#define MX_SSIN(x) sin(x)
#define MX_SCOS(x) cos(x)
#define MX_STANH(x) tanh(x)
#define MX_SERF(x) erf(x)

/* ---- storage <-> compute ---- */
struct f16s { uint16_t bits; };
struct bf16s { uint16_t bits; };
__device__ inline float mx_ld(f16s v) { return __half2float(__ushort_as_half(v.bits)); }
__device__ inline float mx_ld(bf16s v) { return __bfloat162float(__ushort_as_bfloat16(v.bits)); }
template <class T> __device__ inline T mx_ld(T v) { return v; }
template <class S> struct mx_compute { using type = S; };
template <> struct mx_compute<f16s> { using type = float; };
template <> struct mx_compute<bf16s> { using type = float; };
template <class S, class V> __device__ inline S mx_st(V v) {
    if constexpr (std::is_same<S, f16s>::value) return f16s{__half_as_ushort(__float2half((float)v))};
    else if constexpr (std::is_same<S, bf16s>::value)
        return bf16s{__bfloat16_as_ushort(__float2bfloat16((float)v))};
    else if constexpr (std::is_same<S, bool>::value) return (bool)(v);
    else if constexpr (std::is_same<S, c64>::value) {
        if constexpr (std::is_same<V, c64>::value) return v;
        else return c64((float)v);
    } else if constexpr (std::is_same<V, c64>::value) return (S)v.re;
    else return (S)v;
}

#endif
