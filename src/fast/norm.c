/* src/fast/norm.c: mx.fast.rms_norm and mx.fast.layer_norm as ops (MLX's fast::rms_norm and
 * fast::layer_norm): argument checks with MLX's "[rms_norm] ..." / "[layer_norm] ..." messages,
 * MLX's output dtype (x promoted with weight, and with bias when there is a weight), then one
 * RMS_NORM / LAYER_NORM node whose inputs are all converted to that dtype. Kernels:
 * src/backend/cpu/fast.c, src/backend/cuda/cu_norm.cu; rules: src/transforms/rules_fast.c. */
#include <string.h>

#include "../ops/ops_impl.h"
#include "../prims/fast_params.h"
#include "norm_impl.h"

mx_array *mx_fast_norm_node(int prim, mx_array *x, mx_array *w, mx_array *b, float eps,
                            mx_stream s) {
    const char *op = prim == MX_PRIM_RMS_NORM ? "rms_norm" : "layer_norm";
    MX_ARG(x, op);
    MX_CHECK_NULL(x->v.m.ndim >= 1, MX_ERR_VALUE,
                  "[%s] Input must have at least 1 dimension but got input with 0 dimensions.",
                  op);
    mx_norm_params p;
    memset(&p, 0, sizeof p);
    p.eps = eps;
    p.has_weight = w != NULL;
    p.has_bias = b != NULL && prim == MX_PRIM_LAYER_NORM;
    mx_array *in[3] = {x, NULL, NULL};
    int n = 1;
    if (p.has_weight) in[n++] = w;
    if (p.has_bias) in[n++] = b;
    mx_meta m = x->v.m;
    return mx_node_make1(prim, &p, sizeof p, in, n, &m, s);
}

static mx_array *norm_op(int prim, mx_array *x, mx_array *w, mx_array *b, float eps, mx_stream s) {
    const char *op = prim == MX_PRIM_RMS_NORM ? "rms_norm" : "layer_norm";
    MX_ARG(x, op);
    const mx_meta *xm = &x->v.m;
    MX_CHECK_NULL(xm->ndim >= 1, MX_ERR_VALUE,
                  "[%s] Input must have at least 1 dimension but got input with 0 dimensions.",
                  op);
    int64_t d = xm->shape[xm->ndim - 1];
    mx_array *params[2] = {w, b};
    const char *names[2] = {"weight", "bias"};
    for (int i = 0; i < 2; i++) {
        const mx_array *v = params[i];
        if (!v) continue;
        MX_CHECK_NULL(v->v.m.ndim == 1, MX_ERR_VALUE,
                      "[%s] %s must have 1 dimension but has %d dimensions.", op, names[i],
                      v->v.m.ndim);
        MX_CHECK_NULL(v->v.m.shape[0] == d, MX_ERR_VALUE,
                      "[%s] %s must have the same size as the last dimension of x but has %lld "
                      "elements.",
                      op, names[i], (long long)v->v.m.shape[0]);
    }
    /* MLX: x's dtype without a weight (even with a bias), else promoted with weight and bias */
    mx_dtype t = xm->dtype;
    if (w) {
        t = mx_promote_types(t, w->v.m.dtype);
        if (b) t = mx_promote_types(t, b->v.m.dtype);
    }
    MX_CHECK_NULL(mx_dtype_is_float(t), MX_ERR_VALUE, "[%s] Received unsupported type %s.", op,
                  mx_dtype_name(t));
    mx_scope sc = mx_scope_begin();
    mx_array *xc = mx_astype(x, t, s);
    mx_array *wc = w ? mx_astype(w, t, s) : NULL, *bc = b ? mx_astype(b, t, s) : NULL;
    mx_array *r = NULL;
    if (xc && (!w || wc) && (!b || bc)) r = mx_fast_norm_node(prim, xc, wc, bc, eps, s);
    return mx_scope_end(sc, r);
}

mx_array *mx_fast_rms_norm(mx_array *x, mx_array *weight, float eps, mx_stream s) {
    return norm_op(MX_PRIM_RMS_NORM, x, weight, NULL, eps, s);
}

mx_array *mx_fast_layer_norm(mx_array *x, mx_array *weight, mx_array *bias, float eps,
                             mx_stream s) {
    return norm_op(MX_PRIM_LAYER_NORM, x, weight, bias, eps, s);
}
