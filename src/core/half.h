/* src/core/half.h: inline float16/bfloat16 <-> float conversions used by every CPU kernel.
 * Uses the F16C instructions when the compiler targets them, a bit-exact software path otherwise.
 * Rounding is to nearest even; NaN payloads are kept quiet. */
#ifndef MX_HALF_H
#define MX_HALF_H

#include <stdint.h>
#include <string.h>

#if defined(__F16C__)
#include <immintrin.h>
#endif

static inline float mx_bits_to_float(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static inline uint32_t mx_float_to_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static inline float mx_half_to_float(uint16_t h) {
#if defined(__F16C__)
    return _cvtsh_ss(h);
#else
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    if (exp == 0x1f) return mx_bits_to_float(sign | 0x7f800000 | (man << 13));
    if (exp == 0) { /* zero or subnormal: man * 2^-24 */
        float f = (float)man * 5.9604644775390625e-08f;
        return sign ? -f : f;
    }
    return mx_bits_to_float(sign | ((exp + 112) << 23) | (man << 13));
#endif
}

static inline uint16_t mx_float_to_half(float f) {
#if defined(__F16C__)
    return _cvtss_sh(f, 0);
#else
    uint32_t u = mx_float_to_bits(f), sign = (u >> 16) & 0x8000;
    uint32_t a = u & 0x7fffffff;
    if (a > 0x7f800000) return (uint16_t)(sign | 0x7e00 | ((a >> 13) & 0x3ff)); /* NaN */
    if (a >= 0x477ff000) return (uint16_t)(sign | 0x7c00);                       /* overflow */
    if (a < 0x38800000) { /* subnormal or zero in half */
        float v = mx_bits_to_float(a) * 16777216.0f; /* scale by 2^24, round to int (even) */
        uint32_t r = (uint32_t)__builtin_rintf(v);
        return (uint16_t)(sign | r);
    }
    uint32_t r = a + 0xfff + ((a >> 13) & 1); /* round to nearest even */
    return (uint16_t)(sign | ((r - 0x38000000) >> 13));
#endif
}

static inline float mx_bf16_to_float(uint16_t h) { return mx_bits_to_float((uint32_t)h << 16); }

static inline uint16_t mx_float_to_bf16(float f) {
    uint32_t u = mx_float_to_bits(f);
    if ((u & 0x7fffffff) > 0x7f800000) return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fff + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

#endif
