/* include/mx/fast.h: mx.fast: the fused normalisations (MLX's mx.fast.rms_norm and
 * mx.fast.layer_norm, at the end) and custom kernels: user CUDA kernels run on the GPU (MLX's
 * mx.fast.cuda_kernel and mx.fast.precompiled_cuda_kernel).
 *
 * A kernel object holds the body of a CUDA __global__ function; the signature is generated from
 * the input and output names, as MLX does:
 *   - each input `x` becomes `const T* x` (T from the array's dtype: bool, uint8_t .. int64_t,
 *     __half, __nv_bfloat16, float, complex64_t (cuFloatComplex)); when the source mentions
 *     `x_shape`, `x_strides` or `x_ndim` (and x is not 0-d) it also receives
 *     `const __grid_constant__ Shape x_shape` (cuda::std::array<int32_t, MAX_NDIM>),
 *     `const __grid_constant__ Strides x_strides` (cuda::std::array<int64_t, MAX_NDIM>, in
 *     elements) and `const __grid_constant__ int x_ndim`;
 *   - each output `y` becomes `T* y`;
 *   - template arguments become `constexpr int N = 4;`, `constexpr bool B = true;` or
 *     `using T = float;` at the top of the body.
 * Python scalars passed as inputs are 0-d arrays (`const int32_t* n`: read n[0]). The kernel
 * lives in namespace mlx::core::cu with `namespace cg = cooperative_groups`, after the user's
 * header; cuda_fp16.h, cuda_bf16.h, cuComplex.h, cooperative_groups.h and cuda::std's array,
 * cstdint and limits are included, `inf` is float infinity, and `elem_to_loc(elem, shape,
 * strides, ndim)` maps a row-major element index to a strided offset.
 * grid counts threads per dimension (Metal's convention): the launch has ceil(grid/threadgroup)
 * blocks of min(threadgroup, grid) threads. init_value, when given, fills every output first
 * (converted to the output's dtype); otherwise outputs start uninitialised.
 *
 * Everything runs only on the GPU: calls on a CPU stream fail with MX_ERR_VALUE. float64 inputs
 * and outputs are refused (no float64 on the GPU). Compile errors (with NVRTC's log) surface
 * when the outputs are evaluated, as MX_ERR_BACKEND.
 */
#ifndef MX_FAST_H
#define MX_FAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mx/array.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mx_fast_kernel mx_fast_kernel; /* immutable, reference counted */

/* A custom CUDA kernel (MLX's cuda_kernel). Names must be C identifiers, distinct, with at least
 * one output; header may be NULL. shared_memory: bytes of dynamic shared memory per block.
 * A new reference, or NULL with "[cuda_kernel] ..." (MX_ERR_VALUE). */
mx_fast_kernel *mx_fast_cuda_kernel(const char *name, const char *const *input_names, int n_inputs,
                                    const char *const *output_names, int n_outputs,
                                    const char *source, const char *header,
                                    bool ensure_row_contiguous, int shared_memory);
mx_fast_kernel *mx_fast_kernel_retain(mx_fast_kernel *k); /* NULL-safe; returns k */
void            mx_fast_kernel_release(mx_fast_kernel *k); /* NULL-safe */
const char     *mx_fast_kernel_name(const mx_fast_kernel *k);
int             mx_fast_kernel_n_inputs(const mx_fast_kernel *k);
int             mx_fast_kernel_n_outputs(const mx_fast_kernel *k);

/* Template arguments: an int, a bool (value 0/1) or a dtype (value: an mx_dtype). */
typedef enum mx_fast_targ_kind {
    MX_FAST_TARG_INT = 0,
    MX_FAST_TARG_BOOL,
    MX_FAST_TARG_DTYPE,
} mx_fast_targ_kind;

typedef struct mx_fast_template_arg {
    const char       *name; /* a C identifier */
    mx_fast_targ_kind kind;
    int               value;
} mx_fast_template_arg;

/* One launch: the outputs (n_outputs shapes, ndims and dtypes), grid and threadgroup (3 each;
 * grid entries >= 0, a 0 launches nothing; threadgroup entries >= 1), template arguments, and
 * an optional init_value. */
typedef struct mx_fast_launch {
    const int64_t *const       *output_shapes;
    const int                  *output_ndims;
    const mx_dtype             *output_dtypes;
    int                         n_outputs;
    int                         grid[3];
    int                         threadgroup[3];
    const mx_fast_template_arg *template_args;
    int                         n_template_args;
    bool                        has_init_value;
    float                       init_value;
} mx_fast_launch;

/* Run k on inputs (k's input count, in order) on stream s (a GPU stream): writes n_outputs new
 * references to outputs. Errors "[cuda_kernel] ..." (nothing is written to outputs). */
mx_status mx_fast_cuda_kernel_call(const mx_fast_kernel *k, mx_array *const *inputs, int n_inputs,
                                   const mx_fast_launch *l, mx_stream s, mx_array **outputs);

/* The full CUDA source k compiles to for inputs of these dtypes and ndims, these output dtypes
 * and template arguments (what verbose=True prints). A malloc'd string the caller frees with
 * free(); NULL with "[cuda_kernel] ..." on bad arguments. When kernel_name is not NULL it
 * receives the generated function's name (malloc'd too). Works without a GPU. */
char *mx_fast_cuda_kernel_source(const mx_fast_kernel *k, const mx_dtype *input_dtypes,
                                 const int *input_ndims, int n_inputs,
                                 const mx_dtype *output_dtypes, int n_outputs,
                                 const mx_fast_template_arg *template_args, int n_template_args,
                                 char **kernel_name);

/* Scalar arguments of precompiled kernels, passed by value after the outputs. */
typedef enum mx_fast_scalar_kind {
    MX_FAST_SCALAR_BOOL = 0,
    MX_FAST_SCALAR_INT,   /* int32 */
    MX_FAST_SCALAR_FLOAT, /* float32 */
} mx_fast_scalar_kind;

typedef struct mx_fast_scalar {
    mx_fast_scalar_kind kind;
    int32_t             i; /* BOOL (0/1) and INT */
    float               f; /* FLOAT */
} mx_fast_scalar;

/* Run the kernel `name` (its symbol: extern "C" or mangled) of a PTX, cubin or fatbin image
 * (MLX's precompiled_cuda_kernel). Its parameters are: one pointer per input, one per output,
 * then the scalars. No shape parameters; template arguments are not allowed (l->n_template_args
 * must be 0). At most 32 scalars. Errors "[precompiled_cuda_kernel] ...". */
mx_status mx_fast_precompiled_cuda_kernel(const char *name, const void *image, size_t image_size,
                                          mx_array *const *inputs, int n_inputs,
                                          const mx_fast_launch *l, const mx_fast_scalar *scalars,
                                          int n_scalars, int shared_memory,
                                          bool ensure_row_contiguous, mx_stream s,
                                          mx_array **outputs);

/* ---- normalisations over the last axis ----
 * rms_norm:   y = x / sqrt(mean(x^2) + eps) * weight
 * layer_norm: y = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias   (var: biased, 1/n)
 * weight and bias are optional (NULL: none) and must be 1-D with the size of x's last axis.
 * The output has x's shape and MLX's dtype: x's dtype without a weight, else x promoted with the
 * weight (and the bias, for layer_norm with both), which must be a floating type; every input is
 * converted to it first. float16 / bfloat16 / float32 accumulate in float32 (float64, CPU only,
 * in float64); the normalised value is rounded to the output dtype before the weight multiplies
 * it and the bias is added, as in MLX. Differentiable in x, weight and bias (vjp, jvp) and
 * batchable (vmap). Errors (MX_ERR_VALUE, MLX's wording): "[rms_norm] Input must have at least 1
 * dimension ...", "[rms_norm] weight must have 1 dimension but has 2 dimensions.", "... must
 * have the same size as the last dimension of x ...", "[rms_norm] Received unsupported type
 * int32." (resp. "[layer_norm] ..."); float64 on a GPU stream fails when evaluated. A new
 * reference or NULL; x NULL propagates. */
mx_array *mx_fast_rms_norm(mx_array *x, mx_array *weight, float eps, mx_stream s);
mx_array *mx_fast_layer_norm(mx_array *x, mx_array *weight, mx_array *bias, float eps,
                             mx_stream s);

#ifdef __cplusplus
}
#endif
#endif
