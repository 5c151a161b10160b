/* src/backend/cuda/cu_norm.h: the launcher of cu_norm.cu, the GPU kernels of RMS_NORM and
 * LAYER_NORM (their C side is cuda_fast.c). Plain arguments only, like cu_api.h: asynchronous on
 * `stream`, returns a cudaError_t as an int (0 = success), returns 0 at once for empty work. */
#ifndef MX_CU_NORM_H
#define MX_CU_NORM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Normalise each row of the row-contiguous (rows, cols) x into out (same layout): layer = 0 is
 * rms_norm (x / sqrt(mean(x^2) + eps)), layer = 1 layer_norm ((x - mean) / sqrt(var + eps)),
 * then times w and plus b (unit-stride vectors of cols elements; NULL = none), rounding to the
 * dtype after each step as the CPU kernel. dtype: MX_FLOAT32, MX_FLOAT16 or MX_BFLOAT16 (others:
 * cudaErrorInvalidValue). Statistics accumulate in float. */
int mx_cu_norm_rows(int layer, int dtype, void *out, const void *x, const void *w, const void *b,
                    int64_t rows, int64_t cols, float eps, void *stream);

#ifdef __cplusplus
}
#endif
#endif
