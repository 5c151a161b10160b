/* src/prims/fast_params.h: plain-data params of the fast family (fast.def). */
#ifndef MX_FAST_PARAMS_H
#define MX_FAST_PARAMS_H

#include <stdint.h>

#define MX_FAST_MAX_SCALARS 32

struct mx_fast_inst;

/* CUSTOM_KERNEL: `inst` is the interned kernel instance (src/fast/fast_impl.h: its symbol, full
 * source or precompiled image, and which shape parameters each input passes). Instances are
 * never freed, so the pointer stays valid in copies of these params (compile's tapes). `serial`
 * is unique per call, so two calls are never merged as common subexpressions (MLX never merges
 * custom kernels). grid is in threads per dimension (as Metal's), block the threadgroup. Scalars
 * (precompiled kernels only) follow the outputs in the kernel's parameters: kind 0 bool, 1 int32,
 * 2 float32 (MX_FAST_SCALAR_*), their bits in scalar_bits. */
typedef struct mx_custom_kernel_params {
    struct mx_fast_inst       *inst;
    uint64_t                   serial;
    int32_t                    grid[3];
    int32_t                    block[3];
    int32_t                    shared_memory;
    int32_t                    ensure_row_contiguous;
    int32_t                    has_init;
    float                      init_value;
    int32_t                    n_scalars;
    int32_t                    scalar_kind[MX_FAST_MAX_SCALARS];
    uint32_t                   scalar_bits[MX_FAST_MAX_SCALARS];
} mx_custom_kernel_params;

/* RMS_NORM and LAYER_NORM: the inputs are x, then weight when has_weight, then bias when
 * has_bias (LAYER_NORM only). eps is MLX's float; float64 kernels use it widened to double. */
typedef struct mx_norm_params {
    float   eps;
    int32_t has_weight;
    int32_t has_bias;
} mx_norm_params;

#endif
