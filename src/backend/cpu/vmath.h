/* src/backend/cpu/vmath.h: branch-free float32 elementary functions that GCC can vectorise.
 *
 * The element-wise kernels (unary.c, binary.c) run `y[i] = f(x[i])` over contiguous runs; libm's
 * expf/logf/... are opaque calls that keep those loops scalar. Each function here is written as
 * straight-line code: range reduction, a polynomial, and selects (`c ? a : b`, which GCC
 * if-converts to masked blends) for the special values, with bit manipulation done through
 * memcpy. There are no branches and no calls except fmaf/fabsf/copysignf, which compile to single
 * instructions under -march=native, so a loop of them vectorises (AVX2 / AVX-512).
 *
 * Accuracy against double libm rounded to float (tests/c/test_vmath.c sweeps every 257th float32
 * bit pattern): exp 0.97 ulp, expm1 1.39, log 0.79, log2 0.78, log10 0.67, log1p 0.89,
 * sigmoid 2.33, tanh 1.30, sin and cos 0.50 (the last two also checked on all 2^32 inputs).
 * Special values follow C99 Annex F: NaN in gives NaN, overflow gives +inf, underflow gives 0
 * (through correctly scaled subnormals), log(0) = -inf, log(x < 0) = NaN, tanh(+-inf) = +-1,
 * sigmoid(-inf) = 0, sin/cos(+-inf) = NaN, and odd functions keep the sign of zero. The range
 * reductions assume round-to-nearest (the default mode).
 *
 * Every multiply-add that should be fused is an explicit fma, and no other `a * b + c` pattern is
 * left, so the results do not depend on -ffp-contract (the library builds as gnu11, where GCC
 * contracts, the compile JIT as c11, where it does not: both must give the same bits).
 *
 * Coefficients are minimax fits (float) or Taylor terms (double) computed for this file; the bits
 * of 2/pi used by the large-argument reduction were generated with integer arithmetic.
 */
#ifndef MX_CPU_VMATH_H
#define MX_CPU_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* forced inlining: the functions only vectorise inside the caller's loop */
#if defined(__GNUC__)
#define MX_VM_INLINE static inline __attribute__((always_inline))
#else
#define MX_VM_INLINE static inline
#endif

MX_VM_INLINE uint32_t mx_vm_f2u(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
MX_VM_INLINE float mx_vm_u2f(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
MX_VM_INLINE uint64_t mx_vm_d2u(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

MX_VM_INLINE double mx_vm_u2d(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* c ? a : b as a bitwise blend. Written as `c ? a : b`, GCC tends to sink the computation of a
 * and b into branches, and its if-conversion then refuses to speculate the (possibly trapping)
 * floating-point operations back, which leaves control flow in the loop and stops vectorisation.
 * A blend of bit patterns keeps both operands computed on every path. */
MX_VM_INLINE float mx_vm_self(int c, float a, float b) {
    uint32_t m = 0u - (uint32_t)(c != 0);
    return mx_vm_u2f((mx_vm_f2u(a) & m) | (mx_vm_f2u(b) & ~m));
}
MX_VM_INLINE double mx_vm_seld(int c, double a, double b) {
    uint64_t m = 0u - (uint64_t)(c != 0);
    return mx_vm_u2d((mx_vm_d2u(a) & m) | (mx_vm_d2u(b) & ~m));
}

/* 2^n for an integer n in [-126, 127], built from its exponent field */
MX_VM_INLINE float mx_vm_pow2i(int32_t n) { return mx_vm_u2f((uint32_t)(n + 127) << 23); }

/* expm1 on the reduced interval |r| <= ln2/2 (slightly more): r + r^2 q(r), relative error of
 * the polynomial about 2.4e-9 */
MX_VM_INLINE float mx_vm_expm1_poly(float r) {
    float q = fmaf(r, 1.984595874e-04f, 1.394165214e-03f);
    q = fmaf(r, q, 8.333391510e-03f);
    q = fmaf(r, q, 4.166634753e-02f);
    q = fmaf(r, q, 1.666666567e-01f);
    q = fmaf(r, q, 5.000000000e-01f);
    return fmaf(r * r, q, r);
}

/* x = n ln2 + r with n = nearest integer of x/ln2 (|n| < 2^22): returns r, sets *n */
MX_VM_INLINE float mx_vm_exp_reduce(float x, int32_t *n) {
    const float shifter = 0x1.8p23f; /* adding it rounds to an integer kept in the low bits */
    float kf = fmaf(x, 0x1.715476p+0f, shifter);
    *n = (int32_t)(mx_vm_f2u(kf) - mx_vm_f2u(shifter));
    kf -= shifter;
    float r = fmaf(kf, -0x1.62e430p-1f, x); /* ln2 high part, exact product */
    return fmaf(kf, 0x1.05c610p-29f, r);    /* minus the low part of ln2 */
}

/* e^x = *u * (return value): the last product is left to the caller, so that 1 + e^x can be
 * one fma (see mx_vexpf) */
MX_VM_INLINE float mx_vm_exp_split(float x, float *u) {
    float xc = x > 89.0f ? 89.0f : x; /* NaN passes both clamps */
    xc = xc < -104.0f ? -104.0f : xc;
    int32_t n;
    float r = mx_vm_exp_reduce(xc, &n);
    float p = mx_vm_expm1_poly(r);
    int32_t n1 = n >> 1, n2 = n - n1; /* n in [-150, 128]: both halves are normal exponents */
    float s1 = mx_vm_pow2i(n1), s2 = mx_vm_pow2i(n2);
    *u = fmaf(s1, p, s1); /* one rounding for s1 (1 + p); the product with s2 is exact unless */
    return s2;            /* the result is subnormal or overflows */
}

/* e^x. Overflows to +inf above 88.72, underflows through subnormals to 0 below -103.97. */
MX_VM_INLINE float mx_vexpf(float x) {
    float u;
    float s2 = mx_vm_exp_split(x, &u);
    return u * s2;
}

/* e^x - 1, accurate for small |x|. */
MX_VM_INLINE float mx_vexpm1f(float x) {
    float xc = x > 89.0f ? 89.0f : x; /* below -30 the result is -1 in float */
    xc = xc < -30.0f ? -30.0f : xc;
    int32_t n;
    float r = mx_vm_exp_reduce(xc, &n);
    float p = mx_vm_expm1_poly(r);
    int32_t nc = n > 127 ? 127 : n; /* n in [-44, 128] */
    float t = mx_vm_pow2i(nc);
    float y = fmaf(t, p, t - 1.0f) * mx_vm_self(n > 127, 2.0f, 1.0f); /* 2^n (1 + p) - 1 */
    return mx_vm_self(x == 0, x, y);                                     /* keeps -0 */
}

/* log core: x = 2^k (1 + f) with 1 + f in [sqrt(1/2), sqrt(2)), x finite > 0 (subnormals
 * included). Returns k; log(x) = k ln2 + f + *lo with f exact and *lo the small remainder. */
MX_VM_INLINE float mx_vm_log_core(float x, float *f_out, float *lo_out) {
    int sub = x < 0x1p-126f;
    float xscaled = x * 0x1p23f; /* computed unconditionally: GCC does not speculate FP ops */
    float xs = mx_vm_self(sub, xscaled, x);
    uint32_t ix = mx_vm_f2u(xs) - 0x3f3504f3u; /* bits of sqrt(1/2) */
    int32_t k = ((int32_t)ix >> 23) - (sub ? 23 : 0);
    float m = mx_vm_u2f((ix & 0x007fffffu) + 0x3f3504f3u);
    float f = m - 1.0f; /* exact */
    float s = f / (2.0f + f);
    float z = s * s;
    /* log(1+f) = 2 atanh(s) = 2s + s R(z); with f = 2s + s f this is f - hfsq + s (hfsq + R) */
    float hfsq = 0.5f * f * f;
    float hR = fmaf(z, fmaf(z, fmaf(z, 2.989839911e-01f, 3.997662663e-01f), 6.666678190e-01f),
                    hfsq); /* hfsq + R(z) */
    *f_out = f;
    *lo_out = fmaf(s, hR, -hfsq);
    return (float)k;
}

/* the value of log-type functions outside (0, inf): 0 -> -inf, < 0 -> NaN, inf -> inf, NaN */
MX_VM_INLINE float mx_vm_log_special(float x, float y) {
    int zero = x == 0, neg = x < 0, ok = (x > 0) & (x < INFINITY);
    float sv = mx_vm_self(neg, NAN, x);
    sv = mx_vm_self(zero, -INFINITY, sv);
    return mx_vm_self(ok, y, sv);
}

/* natural logarithm */
MX_VM_INLINE float mx_vlogf(float x) {
    float f, lo;
    float k = mx_vm_log_core(x, &f, &lo);
    float y = fmaf(k, 0x1.62e430p-1f, f + fmaf(k, -0x1.05c610p-29f, lo));
    return mx_vm_log_special(x, y);
}

/* log base 2; the last combination is done in double so that only one rounding is visible */
MX_VM_INLINE float mx_vlog2f(float x) {
    float f, lo;
    float k = mx_vm_log_core(x, &f, &lo);
    double y = fma((double)f + (double)lo, 1.4426950408889634, (double)k);
    return mx_vm_log_special(x, (float)y);
}

/* log base 10 */
MX_VM_INLINE float mx_vlog10f(float x) {
    float f, lo;
    float k = mx_vm_log_core(x, &f, &lo);
    double y = fma((double)f + (double)lo, 0.43429448190325182, (double)k * 0.30102999566398120);
    return mx_vm_log_special(x, (float)y);
}

/* log(1 + x), accurate for small |x|: u = 1 + x with its rounding error c recovered exactly, then
 * log1p(x) = log(u) + c / u. */
MX_VM_INLINE float mx_vlog1pf(float x) {
    float u = 1.0f + x;
    float bb = u - x;
    float c = (1.0f - bb) + (x - (u - bb)); /* 1 + x = u + c exactly */
    float f, lo;
    float k = mx_vm_log_core(u, &f, &lo);
    lo += c / u;
    float y = fmaf(k, 0x1.62e430p-1f, f + fmaf(k, -0x1.05c610p-29f, lo));
    y = mx_vm_log_special(u, y);
    return mx_vm_self(x == 0, x, y);
}

/* logistic sigmoid 1 / (1 + e^-x), with t = e^-|x| so that nothing overflows: x >= 0 gives
 * 1 / (1 + t), x < 0 gives t / (1 + t) (tiny and subnormal results for large negative x). */
MX_VM_INLINE float mx_vsigmoidf(float x) {
    float u, s2 = mx_vm_exp_split(-fabsf(x), &u);
    float t = u * s2;
    return mx_vm_self(x >= 0, 1.0f, t) / fmaf(u, s2, 1.0f);
}

/* hyperbolic tangent: odd polynomial below 0.625, 1 - 2 / (e^2|x| + 1) above */
MX_VM_INLINE float mx_vtanhf(float x) {
    float a = fabsf(x);
    float z = x * x;
    float P = fmaf(z, -5.666977260e-03f, 2.060617693e-02f);
    P = fmaf(z, P, -5.373000726e-02f);
    P = fmaf(z, P, 1.333133131e-01f);
    P = fmaf(z, P, -3.333327770e-01f);
    float small = fmaf(a * z, P, a);
    float u, s2 = mx_vm_exp_split(a + a, &u); /* e^2a = +inf for a > 44: the quotient is */
    float big = 1.0f - 2.0f / fmaf(u, s2, 1.0f);   /* then 0 and the result 1 */
    return copysignf(mx_vm_self(a < 0.625f, small, big), x); /* odd; NaN stays NaN */
}

/* ---- sin / cos ----
 * Reduction |x| = (n + r/(pi/2)) pi/2 with |r| <= pi/4, computed in double:
 *  - |x| < 2^15: Cody-Waite with pi/2 in three doubles (the first product is exact);
 *  - larger: Payne-Hanek in integers: the float's 24-bit significand times a 96-bit window of
 *    the bits of 2/pi starting where the product's bits stop being multiples of 4; the low 64
 *    bits give the quadrant and 62 fraction bits.
 * Both are computed for every element (no branches) and one is selected; the polynomials are
 * evaluated in double and rounded once. */
MX_VM_INLINE uint32_t mx_vm_2opi_word(int j) {
    /* word j holds the bits of 2/pi of weight 2^-(32j-31) .. 2^-32j; word 0 is the integer part */
    static const uint32_t w[9] = {0x00000000u, 0xA2F9836Eu, 0x4E441529u, 0xFC2757D1u, 0xF534DDC0u,
                                  0xDB629599u, 0x3C439041u, 0xFE5163ABu, 0xDEBBC561u};
    return w[j];
}

MX_VM_INLINE double mx_vm_trig_reduce(float x, uint32_t *quadrant) {
    double a = fabs((double)x);
    /* small: n = nearest integer of a 2/pi, r = a - n pi/2 */
    const double shifter = 0x1.8p52;
    double kd = fma(a, 0x1.45f306dc9c883p-1, shifter);
    uint32_t ns = (uint32_t)mx_vm_d2u(kd);
    double nd = kd - shifter;
    double rs = fma(nd, -0x1.921fb54442d18p+0, a);
    rs = fma(nd, -0x1.1a62633145c07p-54, rs);
    rs = fma(nd, 0x1.f1976b7ed8fbcp-110, rs);
    /* large: x = m 2^E; window of 2/pi bits from weight 2^-(E-1) */
    uint32_t ux = mx_vm_f2u(x) & 0x7fffffffu;
    int32_t E = (int32_t)(ux >> 23) - 150;
    E = E < -8 ? -8 : (E > 104 ? 104 : E); /* the path is only used for E >= -8 */
    uint32_t m = (ux & 0x007fffffu) | 0x00800000u;
    int32_t pos = E + 30; /* bit index of the window start inside words 0.. */
    int j = pos >> 5;
    uint32_t s = (uint32_t)(pos & 31);
    uint64_t p0 = ((uint64_t)mx_vm_2opi_word(j) << 32) | mx_vm_2opi_word(j + 1);
    uint64_t p1 = ((uint64_t)mx_vm_2opi_word(j + 1) << 32) | mx_vm_2opi_word(j + 2);
    uint64_t p2 = ((uint64_t)mx_vm_2opi_word(j + 2) << 32) | mx_vm_2opi_word(j + 3);
    uint64_t w0 = (uint32_t)(p0 >> (32 - s)), w1 = (uint32_t)(p1 >> (32 - s));
    uint64_t w2 = (uint32_t)(p2 >> (32 - s));
    uint64_t a2 = m * w2, a1 = m * w1, a0 = m * w0;
    uint64_t t1 = (a2 >> 32) + (a1 & 0xffffffffu);
    uint64_t t2 = (t1 >> 32) + (a1 >> 32) + a0;
    uint64_t F = (t2 << 32) | (t1 & 0xffffffffu); /* (|x| 2/pi) mod 4, 2.62 fixed point */
    uint64_t nb = (F + (1ull << 61)) >> 62;
    int64_t fr = (int64_t)(F - (nb << 62));
    double rb = (double)fr * (0x1p-62 * 0x1.921fb54442d18p+0);
    int big = a >= 0x1p15;
    *quadrant = big ? (uint32_t)nb : ns;
    return mx_vm_seld(big, rb, rs);
}

MX_VM_INLINE double mx_vm_sin_poly(double r) {
    double z = r * r;
    double p = fma(z, -1.0 / 39916800, 1.0 / 362880);
    p = fma(z, p, -1.0 / 5040);
    p = fma(z, p, 1.0 / 120);
    p = fma(z, p, -1.0 / 6);
    return fma(r * z, p, r);
}
MX_VM_INLINE double mx_vm_cos_poly(double r) {
    double z = r * r;
    double p = fma(z, 1.0 / 479001600, -1.0 / 3628800);
    p = fma(z, p, 1.0 / 40320);
    p = fma(z, p, -1.0 / 720);
    p = fma(z, p, 1.0 / 24);
    p = fma(z, p, -0.5);
    return fma(z, p, 1.0);
}

/* sin(x) for the whole float range (exact argument reduction) */
MX_VM_INLINE float mx_vsinf(float x) {
    uint32_t q;
    double r = mx_vm_trig_reduce(x, &q);
    double sp = mx_vm_sin_poly(r), cp = mx_vm_cos_poly(r);
    double y = mx_vm_seld(q & 1, cp, sp);
    y = mx_vm_u2d(mx_vm_d2u(y) ^ ((uint64_t)(q & 2) << 62)); /* negate in quadrants 2, 3 */
    float yf = (float)y;
    yf = mx_vm_u2f(mx_vm_f2u(yf) ^ (mx_vm_f2u(x) & 0x80000000u)); /* sin is odd */
    float nan = x - x;                                              /* inf, NaN -> NaN */
    return mx_vm_self(fabsf(x) <= 0x1.fffffep127f, yf, nan);
}

/* cos(x) for the whole float range */
MX_VM_INLINE float mx_vcosf(float x) {
    uint32_t q;
    double r = mx_vm_trig_reduce(x, &q);
    q += 1;
    double sp = mx_vm_sin_poly(r), cp = mx_vm_cos_poly(r);
    double y = mx_vm_seld(q & 1, cp, sp);
    y = mx_vm_u2d(mx_vm_d2u(y) ^ ((uint64_t)(q & 2) << 62)); /* negate in quadrants 2, 3 */
    float yf = (float)y, nan = x - x;
    return mx_vm_self(fabsf(x) <= 0x1.fffffep127f, yf, nan);
}

#endif
