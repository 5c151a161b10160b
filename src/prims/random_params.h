/* src/prims/random_params.h: the params of the random family (random.def) and the threefry2x32
 * hash shared by the op layer (src/ops/random.c, which splits the global key on the host) and the
 * kernels (src/backend/cpu/random.c).
 *
 * threefry2x32 with 20 rounds (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", and
 * Random123): a counter (c0, c1) is encrypted under a key (k0, k1). Rotation constants
 * {13,15,26,6} then {17,29,16,24}; key schedule ks = {k0, k1, k0 ^ k1 ^ 0x1BD11BDA}; a key
 * injection after every 4 rounds, the i-th one adding ks[i % 3], ks[(i + 1) % 3] + i. */
#ifndef MX_RANDOM_PARAMS_H
#define MX_RANDOM_PARAMS_H

#include <stdint.h>

#include "mx/array.h"

/* RANDOM_BITS: the output is keys.shape[:-1] + shape with elements of `width` bytes (uint8,
 * uint16, uint32). Each key's bytes are filled as MLX's RandomBits does (see the CPU kernel). */
typedef struct mx_random_bits_params {
    int32_t width; /* 1, 2 or 4 */
    int32_t ndim;  /* of shape */
    int64_t shape[MX_MAX_DIMS];
} mx_random_bits_params;

static inline uint32_t mx_rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

/* Encrypt counter (c[0], c[1]) under key (k0, k1), in place. */
static inline void mx_threefry2x32_20(uint32_t k0, uint32_t k1, uint32_t *c) {
    static const int rot[8] = {13, 15, 26, 6, 17, 29, 16, 24};
    const uint32_t ks[3] = {k0, k1, k0 ^ k1 ^ 0x1BD11BDAu};
    uint32_t x0 = c[0] + ks[0], x1 = c[1] + ks[1];
    for (int i = 0; i < 5; i++) {
        const int *r = rot + 4 * (i & 1);
        for (int j = 0; j < 4; j++) {
            x0 += x1;
            x1 = mx_rotl32(x1, r[j]);
            x1 ^= x0;
        }
        x0 += ks[(i + 1) % 3];
        x1 += ks[(i + 2) % 3] + (uint32_t)(i + 1);
    }
    c[0] = x0;
    c[1] = x1;
}

#endif
