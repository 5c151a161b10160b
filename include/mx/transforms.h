/* include/mx/transforms.h: function transforms over C closures: vjp, jvp, value_and_grad, and
 * graph utilities (stop_gradient lives in ops_shape.h; depends is here).
 *
 * A function is an mx_func: it receives borrowed inputs and writes up to `max_out` outputs
 * (new references, which the transform takes over) and their count. It may capture anything in
 * ctx; arrays it captures are constants of the transform. It returns MX_OK or an error status
 * (MX_ERR_CALLBACK when the caller's language already holds the exception).
 *
 * Results are new references. Transforms nest (the gradient of a gradient) and may be called
 * from several threads (tracing state is per thread).
 */
#ifndef MX_TRANSFORMS_H
#define MX_TRANSFORMS_H

#include "mx/array.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef mx_status (*mx_func)(void *ctx, mx_array *const *in, int n_in, mx_array **out, int *n_out,
                             int max_out);

/* Vector-Jacobian product. Runs f(primals) -> outputs (written to outputs[0..*n_outputs), at most
 * max_outputs), then pulls cotangents (one per output, each of its output's shape; NULL entries
 * mean zeros) back to vjps[0..n_primals) (each of its primal's shape and dtype).
 * Errors: MX_ERR_VALUE when n_cotangents differs from the number of outputs or a shape differs;
 * MX_ERR_UNSUPPORTED when a primitive on the path has no derivative rule; f's own status. */
mx_status mx_vjp(mx_func f, void *ctx, mx_array *const *primals, int n_primals,
                 mx_array *const *cotangents, int n_cotangents, mx_array **outputs,
                 int *n_outputs, int max_outputs, mx_array **vjps);

/* Jacobian-vector product: tangents (one per primal, NULL = zeros) pushed forward to jvps
 * (one per output). */
mx_status mx_jvp(mx_func f, void *ctx, mx_array *const *primals, int n_primals,
                 mx_array *const *tangents, mx_array **outputs, int *n_outputs, int max_outputs,
                 mx_array **jvps);

/* The value of f and the gradient of its first output (which must have exactly one element) with
 * respect to the primals listed in argnums (NULL: primal 0 only). grads[k] is the gradient for
 * primals[argnums[k]]. All outputs are returned (auxiliary outputs pass through). */
mx_status mx_value_and_grad(mx_func f, void *ctx, mx_array *const *primals, int n_primals,
                            const int *argnums, int n_argnums, mx_array **outputs, int *n_outputs,
                            int max_outputs, mx_array **grads);

/* Vectorising map: f applied to each slice of the inputs along in_axes[i] (-1: input i is not
 * mapped; NULL: every input along axis 0), results stacked along out_axes[k] (NULL: 0).
 * Errors: MX_ERR_VALUE when no input is mapped or the mapped sizes differ;
 * MX_ERR_UNSUPPORTED when a primitive on the path has no vmap rule. */
mx_status mx_vmap(mx_func f, void *ctx, mx_array *const *inputs, int n_inputs, const int *in_axes,
                  const int *out_axes, mx_array **outputs, int *n_outputs, int max_outputs);

/* ---- custom_function and checkpoint ----
 * mx_custom_call(f, ...) computes f(inputs) and attaches the given rules to the result: when a
 * transform meets it, the user's rule runs instead of differentiating (or vmapping) through f.
 * A NULL rule means "through f as usual". Rules receive borrowed arrays and return new references.
 * The call takes ownership of ctx: it stays alive while any graph uses it and `release(ctx)` is
 * called exactly once afterwards -- or right away when the call fails or f returns no arrays.
 *   vjp:  (primals[n_primals], cotangents[n_outputs], outputs[n_outputs]) -> vjps[n_primals]
 *   jvp:  (primals, tangents[n_primals] (NULL = zero)) -> jvps[n_outputs]
 *   vmap: (inputs, axes[n_primals] (-1 = unmapped)) -> outputs[*n_out], out_axes[*n_out] */
typedef struct mx_custom_rules {
    mx_status (*vjp)(void *ctx, mx_array *const *primals, int n_primals, mx_array *const *cotangents,
                     mx_array *const *outputs, int n_outputs, mx_array **vjps);
    mx_status (*jvp)(void *ctx, mx_array *const *primals, int n_primals, mx_array *const *tangents,
                     int n_outputs, mx_array **jvps);
    mx_status (*vmap)(void *ctx, mx_array *const *inputs, const int *axes, int n_inputs,
                      mx_array **outputs, int *out_axes, int *n_outputs, int max_outputs);
    void *ctx;
    void (*release)(void *ctx);
} mx_custom_rules;

mx_status mx_custom_call(mx_func f, void *f_ctx, const mx_custom_rules *rules,
                         mx_array *const *inputs, int n_inputs, mx_array **outputs, int *n_outputs,
                         int max_outputs);

/* Gradient checkpointing: outputs of f(inputs); in a backward pass f is run again (its
 * intermediates are not kept from the forward pass). ctx is released with `release` (may be NULL)
 * once no graph refers to it, or at once on failure, as for mx_custom_call. */
mx_status mx_checkpoint_call(mx_func f, void *ctx, void (*release)(void *ctx),
                             mx_array *const *inputs, int n_inputs, mx_array **outputs,
                             int *n_outputs, int max_outputs);

/* MLX depends: outputs[i] are inputs[i] (same values, views), scheduled after `deps` ran. */
mx_status mx_depends(mx_array *const *inputs, int n_inputs, mx_array *const *deps, int n_deps,
                     mx_array **outputs, mx_stream s);

#ifdef __cplusplus
}
#endif
#endif
