// src/backend/cuda/cu_random.cu: the RANDOM_BITS kernel on the GPU: threefry2x32-20 with the same
// counters and byte layout as the CPU kernel (src/backend/cpu/random.c), so GPU and CPU streams
// are identical bit for bit. Per key of B bytes: W = ceil(B / 4) words, half = W / 2, odd = W % 2;
// unit j < half encrypts (j, half + odd + j) into words j and half + odd + j; when W is odd, unit
// half encrypts (half, 0) into word half; the last word keeps only its first B % 4 bytes when the
// count is not whole (little-endian bytes, as the host's memcpy). One thread per (key, unit).
#include <cuda_runtime.h>
#include <stdint.h>

#include "cu_api.h"

namespace {

__device__ inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

// encrypt the counter (c0, c1) under the key (k0, k1): 20 rounds, a key injection every 4
__device__ inline void threefry2x32_20(uint32_t k0, uint32_t k1, uint32_t &c0, uint32_t &c1) {
    const uint32_t ks[3] = {k0, k1, k0 ^ k1 ^ 0x1BD11BDAu};
    const int rot[8] = {13, 15, 26, 6, 17, 29, 16, 24};
    uint32_t x0 = c0 + ks[0], x1 = c1 + ks[1];
#pragma unroll
    for (int i = 0; i < 5; i++) {
#pragma unroll
        for (int j = 0; j < 4; j++) {
            x0 += x1;
            x1 = rotl32(x1, rot[4 * (i & 1) + j]);
            x1 ^= x0;
        }
        x0 += ks[(i + 1) % 3];
        x1 += ks[(i + 2) % 3] + (uint32_t)(i + 1);
    }
    c0 = x0;
    c1 = x1;
}

// word w of a key's bytes (dst = the key's first byte, bytes = its byte count)
__device__ inline void put_word(unsigned char *dst, int64_t bytes, int64_t w, uint32_t v) {
    int64_t at = 4 * w, left = bytes - at;
    if (left <= 0) return;
    unsigned char *p = dst + at;
    if (left >= 4 && ((uintptr_t)p & 3) == 0) {
        *reinterpret_cast<uint32_t *>(p) = v;
        return;
    }
    int nb = left >= 4 ? 4 : (int)left;
    for (int b = 0; b < nb; b++) p[b] = (unsigned char)(v >> (8 * b));
}

__global__ void bits_kernel(unsigned char *out, const uint32_t *keys, int64_t nkeys,
                            int64_t bytes, int64_t half, int64_t odd) {
    int64_t units = half + odd, total = nkeys * units;
    for (int64_t u = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; u < total;
         u += (int64_t)blockDim.x * gridDim.x) {
        int64_t k = u / units, j = u - k * units;
        uint32_t k0 = keys[2 * k], k1 = keys[2 * k + 1];
        unsigned char *dst = out + k * bytes;
        if (j < half) {
            uint32_t c0 = (uint32_t)j, c1 = (uint32_t)(half + odd + j);
            threefry2x32_20(k0, k1, c0, c1);
            put_word(dst, bytes, j, c0);
            put_word(dst, bytes, half + odd + j, c1);
        } else { // the middle word of an odd count
            uint32_t c0 = (uint32_t)half, c1 = 0;
            threefry2x32_20(k0, k1, c0, c1);
            put_word(dst, bytes, half, c0);
        }
    }
}

} // namespace

extern "C" int mx_cu_random_bits(void *out, const uint32_t *keys, int64_t nkeys,
                                 int64_t bytes_per_key, void *stream) {
    if (nkeys <= 0 || bytes_per_key <= 0) return 0;
    int64_t words = (bytes_per_key + 3) / 4, half = words / 2, odd = words & 1;
    int64_t total = nkeys * (half + odd);
    int64_t blocks = (total + 255) / 256;
    if (blocks > 65535 * 16) blocks = 65535 * 16;
    if (blocks < 1) blocks = 1;
    bits_kernel<<<(unsigned)blocks, 256, 0, (cudaStream_t)stream>>>(
        (unsigned char *)out, keys, nkeys, bytes_per_key, half, odd);
    return (int)cudaGetLastError();
}
