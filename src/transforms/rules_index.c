/* src/transforms/rules_index.c: derivative and vmap rules of the index family (src/prims/index.def).
 *
 * Derivatives follow MLX; index arrays, masks and start indices never get a gradient.
 *  gather          vjp: scatter_add of the cotangent into zeros; jvp: the gather of the tangent
 *  gather_axis     vjp: a scatter_add over the 3-D view (pre, axis, post) with arange indices on
 *                  the outer axes (there is no scatter_add along an axis); jvp: the same primitive
 *  scatter none    a: cotangent with the written positions zeroed; updates: gather of the cotangent
 *  scatter add     a: cotangent; updates: gather
 *  scatter max/min the gradient goes to whichever of a and the updates equals the result (ties:
 *                  to all of them, as MLX)
 *  scatter prod    a: g * (product of the updates landing there); update j: g * a * (product of
 *                  the other updates landing on the same element), computed without dividing by
 *                  zero (zero updates are counted separately)
 *  scatter_axis    (put_along_axis) as scatter none; masked_scatter: a: where(mask, 0, g) on the
 *                  masked positions that received a value; values: a scatter_add of those cotangent
 *                  entries at their rank (exclusive cumsum of the mask) -- the transpose of the
 *                  "gather at cumulative-sum positions"
 *  slice_update / dynamic_slice / dynamic_slice_update: zero the slice / take the slice, with the
 *                  same (static or run-time) starts.
 * JVPs of the linear cases rebuild the primitive on the tangents.
 *
 * vmap: the batch axis goes in front. Where the indices (or dynamic starts) are batched, the
 * batch is folded into one more indexed axis: an arange(B) index on axis 0 of the batched array,
 * with slice size 1 there (gather, scatter, dynamic slices). Unbatched operands are broadcast
 * (stride-0 views). masked_scatter is vmapped as a composite: where(mask & rank < nv,
 * take_along_axis(values, rank), a) with the per-example rank from a cumsum.
 */
#include <string.h>

#include "../prims/index_params.h"
#include "rules.h"

#define ERR_OR_OK() (mx_error_status() == MX_OK ? MX_OK : mx_error_status())

/* ---- helpers ---- */

/* The node's primitive and params rebuilt on new inputs with output meta m and dtype t. */
static mx_array *remake(const mx_grad_ctx *c, mx_array *const *in, int n, const mx_meta *m,
                        mx_dtype t) {
    return mx_make_like(c->node->prim, c->node->params, c->node->params_size, in, n, m, t, c->s);
}

/* tangent j or zeros like input j */
static mx_array *tan_or_zeros(const mx_grad_ctx *c, mx_array *const *tan, int j) {
    return tan[j] ? tan[j] : mx_zeros_like(c->in[j], MX_DTYPE_AUTO, c->s);
}

/* arange(B) (int32) shaped (B, 1, ..., 1) with `ones` trailing 1s */
static mx_array *arange_col(int64_t B, int ones, mx_stream s) {
    int64_t sh[MX_MAX_DIMS];
    MX_CHECK_NULL(ones + 1 <= MX_MAX_DIMS, MX_ERR_VALUE, "[vmap] too many dimensions");
    sh[0] = B;
    for (int i = 0; i < ones; i++) sh[1 + i] = 1;
    return mx_reshape(mx_arange(0, (double)B, 1, MX_INT32, s), sh, ones + 1, s);
}

/* x reshaped to (B, shape...) */
static mx_array *reshape_b(mx_array *x, int64_t B, const int64_t *shape, int nd, mx_stream s) {
    int64_t sh[MX_MAX_DIMS];
    MX_CHECK_NULL(nd + 1 <= MX_MAX_DIMS, MX_ERR_VALUE, "[vmap] too many dimensions");
    sh[0] = B;
    memcpy(sh + 1, shape, sizeof(int64_t) * (size_t)nd);
    return mx_reshape(x, sh, nd + 1, s);
}

/* insert a size-1 axis at position pos of x */
static mx_array *unsqueeze_at(mx_array *x, int pos, mx_stream s) {
    return mx_expand_dims(x, &pos, 1, s);
}

typedef mx_array *(*scatter_fn)(mx_array *, mx_array *const *, int, mx_array *, const int *,
                                mx_stream);
static scatter_fn scatter_op(int reduce) {
    switch (reduce) {
    case MX_SCATTER_ADD: return mx_scatter_add;
    case MX_SCATTER_PROD: return mx_scatter_prod;
    case MX_SCATTER_MAX: return mx_scatter_max;
    case MX_SCATTER_MIN: return mx_scatter_min;
    default: return mx_scatter;
    }
}

static void axes_of(const mx_gather_params *p, int *axes) {
    for (int i = 0; i < p->n_idx; i++) axes[i] = p->axes[i];
}

/* ---- gather ---- */

static mx_status gather_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                            mx_array **grads) {
    if (!wanted[0]) return MX_OK;
    const mx_gather_params *p = MX_PARAMS(mx_gather_params, c->node);
    int axes[MX_MAX_DIMS];
    axes_of(p, axes);
    mx_array *z = mx_zeros(c->in[0]->v.m.shape, c->in[0]->v.m.ndim, cot[0]->v.m.dtype, c->s);
    grads[0] = mx_scatter_add(z, c->in + 1, p->n_idx, cot[0], axes, c->s);
    return OK_OR_ERR(grads[0]);
}

/* linear in input 0: the primitive on the tangent, the other inputs unchanged */
static mx_status linear0_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    mx_array *in[MX_MAX_DIMS + 2];
    if (c->n_in > MX_MAX_DIMS + 2) return mx_fail(MX_ERR_VALUE, "[jvp] too many inputs");
    in[0] = tan_or_zeros(c, tan, 0);
    for (int j = 1; j < c->n_in; j++) in[j] = c->in[j];
    out[0] = in[0] ? remake(c, in, c->n_in, &c->node->out[0].m, in[0]->v.m.dtype) : NULL;
    return OK_OR_ERR(out[0]);
}

static mx_status gather_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                             mx_array **out, int *out_ax) {
    const mx_gather_params *p = MX_PARAMS(mx_gather_params, c->node);
    const mx_meta *am = &c->in[0]->v.m, *om = &c->node->out[0].m;
    int n = p->n_idx, nd = am->ndim, nb = n ? c->in[1]->v.m.ndim : 0, axes[MX_MAX_DIMS + 1];
    int64_t B = mx_vmap_batch(in, ax, c->n_in), slice[MX_MAX_DIMS];
    bool idx_batched = false;
    for (int j = 1; j < c->n_in; j++) idx_batched |= ax[j] >= 0;
    MX_CHECK(nd + nb + 1 <= MX_MAX_DIMS, MX_ERR_VALUE, "[vmap] too many dimensions");
    mx_stream s = c->s;
    if (!idx_batched) { /* gather from (B, a...) with the B axis taken whole: out (idx.., B, slice) */
        mx_array *a = mx_batch_front(in[0], ax[0], B, s);
        slice[0] = B;
        memcpy(slice + 1, p->slice, sizeof(int64_t) * (size_t)nd);
        for (int i = 0; i < n; i++) axes[i] = p->axes[i] + 1;
        out[0] = mx_gather(a, in + 1, n, axes, slice, s);
        out_ax[0] = nb;
        return OK_OR_ERR(out[0]);
    }
    mx_array *idx[MX_MAX_DIMS + 1];
    int k = 0;
    if (ax[0] >= 0) { /* both batched: arange index on the batch axis of a */
        idx[k] = arange_col(B, nb, s);
        axes[k] = 0;
        slice[k++] = 1;
    }
    for (int i = 0; i < n; i++) {
        idx[k + i] = ax[1 + i] >= 0 ? mx_batch_front(in[1 + i], ax[1 + i], B, s) : in[1 + i];
        axes[k + i] = p->axes[i] + k;
    }
    memcpy(slice + k, p->slice, sizeof(int64_t) * (size_t)nd);
    mx_array *a = ax[0] >= 0 ? mx_batch_front(in[0], ax[0], B, s) : in[0];
    mx_array *r = mx_gather(a, idx, n + k, axes, slice, s);
    out[0] = k ? reshape_b(r, B, om->shape, om->ndim, s) : r;
    out_ax[0] = 0;
    return OK_OR_ERR(out[0]);
}

/* ---- gather_axis (take_along_axis): inputs a (broadcast), idx ---- */

static mx_status gather_axis_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                                 mx_array **grads) {
    if (!wanted[0]) return MX_OK;
    const mx_axis_params *p = MX_PARAMS(mx_axis_params, c->node);
    const mx_meta *am = &c->in[0]->v.m, *om = &c->node->out[0].m;
    mx_stream s = c->s;
    int axis = p->axis;
    int64_t pre = 1, post = 1;
    for (int d = 0; d < axis; d++) pre *= am->shape[d];
    for (int d = axis + 1; d < am->ndim; d++) post *= am->shape[d];
    int64_t ash[3] = {pre, am->shape[axis], post}, ish[3] = {pre, om->shape[axis], post};
    int64_t ush[6] = {pre, om->shape[axis], post, 1, 1, 1}, c0[3] = {pre, 1, 1}, c2[3] = {1, 1, post};
    mx_array *idx[3] = {mx_reshape(mx_arange(0, (double)pre, 1, MX_INT32, s), c0, 3, s),
                        mx_reshape(c->in[1], ish, 3, s),
                        mx_reshape(mx_arange(0, (double)post, 1, MX_INT32, s), c2, 3, s)};
    int axes[3] = {0, 1, 2};
    mx_array *z = mx_zeros(ash, 3, cot[0]->v.m.dtype, s);
    mx_array *r = mx_scatter_add(z, idx, 3, mx_reshape(cot[0], ush, 6, s), axes, s);
    grads[0] = mx_reshape(r, am->shape, am->ndim, s);
    return OK_OR_ERR(grads[0]);
}

static mx_status gather_axis_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                                  mx_array **out, int *out_ax) {
    const mx_axis_params *p = MX_PARAMS(mx_axis_params, c->node);
    int64_t B = mx_vmap_batch(in, ax, 2);
    mx_array *a = mx_batch_front(in[0], ax[0], B, c->s), *i = mx_batch_front(in[1], ax[1], B, c->s);
    out[0] = mx_take_along_axis(a, i, p->axis + 1, false, c->s);
    out_ax[0] = 0;
    return OK_OR_ERR(out[0]);
}

/* ---- scatter: inputs a, updates, idx... ---- */

static mx_status scatter_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                             mx_array **grads) {
    const mx_gather_params *p = MX_PARAMS(mx_gather_params, c->node);
    int axes[MX_MAX_DIMS], n = p->n_idx;
    axes_of(p, axes);
    mx_stream s = c->s;
    mx_array *g = cot[0], *a = c->in[0], *u = c->in[1], *const *idx = c->in + 2;
    mx_array *zero = mx_k(0, g);
#define GATHER(x) mx_gather((x), idx, n, axes, p->slice, s)
    switch (p->reduce) {
    case MX_SCATTER_NONE:
        if (wanted[0]) grads[0] = mx_scatter(g, idx, n, mx_zeros_like(u, MX_DTYPE_AUTO, s), axes, s);
        if (wanted[1]) grads[1] = GATHER(g);
        break;
    case MX_SCATTER_ADD:
        if (wanted[0]) grads[0] = g;
        if (wanted[1]) grads[1] = GATHER(g);
        break;
    case MX_SCATTER_MAX:
    case MX_SCATTER_MIN: {
        mx_array *y = mx_node_output(c, 0);
        if (wanted[0]) grads[0] = mx_where(mx_equal(y, a, s), g, zero, s);
        if (wanted[1]) grads[1] = mx_where(mx_equal(GATHER(y), u, s), GATHER(g), zero, s);
        break;
    }
    case MX_SCATTER_PROD: {
        if (wanted[0]) grads[0] = mx_multiply(g, mx_scatter_prod(mx_ones_like(a, MX_DTYPE_AUTO, s),
                                                                  idx, n, u, axes, s), s);
        if (wanted[1]) {
            /* d y / d u_j = a * prod of the other updates on that element: from the product of
             * the nonzero updates (times a) and the count of zero updates there */
            mx_array *isz = mx_equal(u, mx_k(0, u), s), *one = mx_k(1, u);
            mx_array *unz = mx_where(isz, one, u, s);
            mx_array *pnz = GATHER(mx_scatter_prod(a, idx, n, unz, axes, s));
            mx_array *nz = GATHER(mx_scatter_add(mx_zeros_like(a, MX_DTYPE_AUTO, s), idx, n,
                                                 mx_astype(isz, a->v.m.dtype, s), axes, s));
            mx_array *d = mx_where(isz, mx_where(mx_equal(nz, one, s), pnz, zero, s),
                                   mx_where(mx_equal(nz, mx_k(0, u), s), mx_divide(pnz, unz, s),
                                            zero, s),
                                   s);
            grads[1] = mx_multiply(GATHER(g), d, s);
        }
        break;
    }
    default:
        return mx_fail(MX_ERR_UNSUPPORTED, "[vjp] scatter with reduction %d has no derivative",
                       p->reduce);
    }
#undef GATHER
    return ERR_OR_OK();
}

static mx_status scatter_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    const mx_gather_params *p = MX_PARAMS(mx_gather_params, c->node);
    mx_stream s = c->s;
    if (p->reduce == MX_SCATTER_NONE || p->reduce == MX_SCATTER_ADD) { /* linear in (a, updates) */
        mx_array *in[MX_MAX_DIMS + 2];
        in[0] = tan_or_zeros(c, tan, 0);
        in[1] = tan_or_zeros(c, tan, 1);
        for (int j = 2; j < c->n_in; j++) in[j] = c->in[j];
        out[0] = in[0] && in[1] ? remake(c, in, c->n_in, &c->node->out[0].m, in[0]->v.m.dtype)
                                : NULL;
        return OK_OR_ERR(out[0]);
    }
    /* the vjp gives the partial derivatives (element-wise factors): use them with cot = 1 */
    mx_array *ones = mx_ones_like(mx_node_output(c, 0), MX_DTYPE_AUTO, s), *g[MX_MAX_DIMS + 2];
    bool w[MX_MAX_DIMS + 2] = {0};
    memset(g, 0, sizeof g);
    w[0] = tan[0] != NULL;
    w[1] = tan[1] != NULL;
    MX_TRY(scatter_vjp(c, &ones, w, g));
    int axes[MX_MAX_DIMS];
    axes_of(p, axes);
    mx_array *ta = tan[0] ? mx_multiply(g[0], tan[0], s) : mx_zeros_like(c->in[0], MX_DTYPE_AUTO, s);
    out[0] = tan[1] ? mx_scatter_add(ta, c->in + 2, p->n_idx, mx_multiply(g[1], tan[1], s), axes, s)
                    : ta;
    return OK_OR_ERR(out[0]);
}

static mx_status scatter_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                              mx_array **out, int *out_ax) {
    const mx_gather_params *p = MX_PARAMS(mx_gather_params, c->node);
    const mx_meta *um = &c->in[1]->v.m;
    int n = p->n_idx, nd = c->in[0]->v.m.ndim, nb = um->ndim - nd, axes[MX_MAX_DIMS + 1];
    int64_t B = mx_vmap_batch(in, ax, c->n_in);
    MX_CHECK(um->ndim + 2 <= MX_MAX_DIMS, MX_ERR_VALUE, "[vmap] too many dimensions");
    mx_stream s = c->s;
    mx_array *idx[MX_MAX_DIMS + 1];
    idx[0] = arange_col(B, nb, s);
    axes[0] = 0;
    for (int i = 0; i < n; i++) {
        idx[1 + i] = ax[2 + i] >= 0 ? mx_batch_front(in[2 + i], ax[2 + i], B, s) : in[2 + i];
        axes[1 + i] = p->axes[i] + 1;
    }
    mx_array *a = mx_batch_front(in[0], ax[0], B, s);
    mx_array *u = unsqueeze_at(mx_batch_front(in[1], ax[1], B, s), 1 + nb, s);
    out[0] = scatter_op(p->reduce)(a, idx, n + 1, u, axes, s);
    out_ax[0] = 0;
    return OK_OR_ERR(out[0]);
}

/* ---- scatter_axis (put_along_axis): inputs a, idx, values ---- */

static mx_status scatter_axis_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                                  mx_array **grads) {
    mx_stream s = c->s;
    if (wanted[0]) {
        mx_array *in[3] = {cot[0], c->in[1], mx_zeros_like(c->in[2], MX_DTYPE_AUTO, s)};
        grads[0] = remake(c, in, 3, &c->node->out[0].m, cot[0]->v.m.dtype);
    }
    if (wanted[2]) {
        mx_array *in[2] = {cot[0], c->in[1]};
        mx_axis_params q = *MX_PARAMS(mx_axis_params, c->node);
        grads[2] = mx_make_like(MX_PRIM_GATHER_AXIS, &q, sizeof q, in, 2, &c->in[2]->v.m,
                                cot[0]->v.m.dtype, s);
    }
    return ERR_OR_OK();
}

static mx_status scatter_axis_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    mx_array *in[3] = {tan_or_zeros(c, tan, 0), c->in[1], tan_or_zeros(c, tan, 2)};
    out[0] = in[0] && in[2] ? remake(c, in, 3, &c->node->out[0].m, in[0]->v.m.dtype) : NULL;
    return OK_OR_ERR(out[0]);
}

static mx_status scatter_axis_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                                   mx_array **out, int *out_ax) {
    const mx_axis_params *p = MX_PARAMS(mx_axis_params, c->node);
    int64_t B = mx_vmap_batch(in, ax, 3);
    mx_array *b[3];
    for (int j = 0; j < 3; j++) b[j] = mx_batch_front(in[j], ax[j], B, c->s);
    out[0] = mx_put_along_axis(b[0], b[1], b[2], p->axis + 1, false, c->s);
    out_ax[0] = 0;
    return OK_OR_ERR(out[0]);
}

/* ---- masked_scatter: inputs a, mask (a's shape), values (1-D) ---- */

/* the flattened mask's positions that receive a value (eff) and their ranks */
static void masked_ranks(mx_array *mask, int64_t nv, mx_array **eff, mx_array **rank, int axis,
                         mx_stream s) {
    mx_array *r = mx_cumsum(mx_astype(mask, MX_INT32, s), axis, false, false, false, s);
    *rank = r;
    *eff = mx_logical_and(mask, mx_less(r, mx_array_scalar_i64(nv, MX_INT32), s), s);
}

static mx_status masked_scatter_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                                    mx_array **grads) {
    mx_stream s = c->s;
    const mx_meta *am = &c->in[0]->v.m;
    int64_t nv = c->in[2]->v.m.shape[0], size = mx_meta_size(am), m1 = -1;
    mx_array *g = cot[0], *zero = mx_k(0, g), *eff, *rank;
    masked_ranks(mx_reshape(c->in[1], &m1, 1, s), nv, &eff, &rank, 0, s);
    if (wanted[0])
        grads[0] = mx_where(mx_reshape(eff, am->shape, am->ndim, s), zero, g, s);
    if (wanted[2]) {
        if (nv == 0 || size == 0) {
            grads[2] = mx_zeros_like(c->in[2], g->v.m.dtype, s);
        } else {
            int64_t ush[2] = {size, 1};
            int ax0 = 0;
            mx_array *idx = mx_where(eff, rank, mx_k(0, rank), s);
            mx_array *upd = mx_reshape(mx_where(eff, mx_reshape(g, &m1, 1, s), zero, s), ush, 2, s);
            grads[2] = mx_scatter_add(mx_zeros_like(c->in[2], g->v.m.dtype, s), &idx, 1, upd, &ax0, s);
        }
    }
    return ERR_OR_OK();
}

static mx_status masked_scatter_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    mx_array *in[3] = {tan_or_zeros(c, tan, 0), c->in[1], tan_or_zeros(c, tan, 2)};
    out[0] = in[0] && in[2] ? remake(c, in, 3, &c->node->out[0].m, in[0]->v.m.dtype) : NULL;
    return OK_OR_ERR(out[0]);
}

static mx_status masked_scatter_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                                     mx_array **out, int *out_ax) {
    mx_stream s = c->s;
    const mx_meta *am = &c->in[0]->v.m;
    int64_t B = mx_vmap_batch(in, ax, 3), nv = c->in[2]->v.m.shape[0], size = mx_meta_size(am);
    mx_array *a = mx_batch_front(in[0], ax[0], B, s);
    out_ax[0] = 0;
    if (nv == 0 || size == 0) {
        out[0] = a;
        return OK_OR_ERR(out[0]);
    }
    mx_array *mask = reshape_b(mx_batch_front(in[1], ax[1], B, s), B, &size, 1, s);
    mx_array *v = mx_batch_front(in[2], ax[2], B, s), *eff, *rank;
    masked_ranks(mask, nv, &eff, &rank, 1, s);
    mx_array *pos = mx_minimum(rank, mx_array_scalar_i64(nv - 1, MX_INT32), s);
    mx_array *vals = mx_take_along_axis(v, pos, 1, false, s);
    out[0] = mx_where(reshape_b(eff, B, am->shape, am->ndim, s),
                      reshape_b(vals, B, am->shape, am->ndim, s), a, s);
    return OK_OR_ERR(out[0]);
}

/* ---- slice_update: inputs a, update (the slice's shape) ---- */

static mx_status slice_update_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                                  mx_array **grads) {
    const mx_slice_update_params *p = MX_PARAMS(mx_slice_update_params, c->node);
    mx_stream s = c->s;
    if (wanted[0]) {
        mx_array *in[2] = {cot[0], mx_zeros_like(c->in[1], cot[0]->v.m.dtype, s)};
        grads[0] = remake(c, in, 2, &c->node->out[0].m, cot[0]->v.m.dtype);
    }
    if (wanted[1]) {
        mx_slice_params q;
        memset(&q, 0, sizeof q);
        memcpy(q.start, p->start, sizeof q.start);
        memcpy(q.step, p->step, sizeof q.step);
        grads[1] = mx_make_like(MX_PRIM_SLICE, &q, sizeof q, &cot[0], 1, &c->in[1]->v.m,
                                cot[0]->v.m.dtype, s);
        grads[1] = mx_sum_to_shape(grads[1], &c->in[1]->v.m, s);
    }
    return ERR_OR_OK();
}

/* linear in inputs 0 and 1 (the rest are indices) */
static mx_status linear01_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    mx_array *in[3] = {tan_or_zeros(c, tan, 0), tan_or_zeros(c, tan, 1), c->n_in > 2 ? c->in[2] : NULL};
    out[0] = in[0] && in[1] ? remake(c, in, c->n_in, &c->node->out[0].m, in[0]->v.m.dtype) : NULL;
    return OK_OR_ERR(out[0]);
}

static mx_status slice_update_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                                   mx_array **out, int *out_ax) {
    const mx_slice_update_params *p = MX_PARAMS(mx_slice_update_params, c->node);
    int nd = c->in[0]->v.m.ndim;
    MX_CHECK(nd < MX_MAX_DIMS, MX_ERR_VALUE, "[vmap] too many dimensions");
    int64_t B = mx_vmap_batch(in, ax, 2);
    mx_slice_update_params q;
    memset(&q, 0, sizeof q);
    q.step[0] = 1;
    memcpy(q.start + 1, p->start, sizeof(int64_t) * (size_t)nd);
    memcpy(q.step + 1, p->step, sizeof(int64_t) * (size_t)nd);
    mx_array *b[2] = {mx_batch_front(in[0], ax[0], B, c->s), mx_batch_front(in[1], ax[1], B, c->s)};
    MX_CHECK(b[0] && b[1], mx_error_status(), "%s", mx_error_message());
    return mx_vmap_remake(c, &q, b, B, out, out_ax);
}

/* ---- dynamic slice: inputs a, start; dynamic slice update: a, update, start ---- */

static mx_status dynamic_slice_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                                   mx_array **grads) {
    if (!wanted[0]) return MX_OK;
    const mx_dyn_slice_params *p = MX_PARAMS(mx_dyn_slice_params, c->node);
    mx_array *in[3] = {mx_zeros_like(c->in[0], cot[0]->v.m.dtype, c->s), cot[0], c->in[1]};
    grads[0] = mx_make_like(MX_PRIM_DYNAMIC_SLICE_UPDATE, p, sizeof *p, in, 3, &c->in[0]->v.m,
                            cot[0]->v.m.dtype, c->s);
    return OK_OR_ERR(grads[0]);
}

static mx_status dynamic_slice_update_vjp(const mx_grad_ctx *c, mx_array *const *cot,
                                          const bool *wanted, mx_array **grads) {
    const mx_dyn_slice_params *p = MX_PARAMS(mx_dyn_slice_params, c->node);
    mx_stream s = c->s;
    if (wanted[0]) {
        mx_array *in[3] = {cot[0], mx_zeros_like(c->in[1], cot[0]->v.m.dtype, s), c->in[2]};
        grads[0] = remake(c, in, 3, &c->node->out[0].m, cot[0]->v.m.dtype);
    }
    if (wanted[1]) {
        mx_array *in[2] = {cot[0], c->in[2]};
        grads[1] = mx_make_like(MX_PRIM_DYNAMIC_SLICE, p, sizeof *p, in, 2, &c->in[1]->v.m,
                                cot[0]->v.m.dtype, s);
    }
    return ERR_OR_OK();
}

/* column i of the batched starts (B, naxes) as a (B,) index */
static mx_array *start_col(mx_array *st, int i, int64_t B, mx_stream s) {
    int64_t b[2] = {0, i}, e[2] = {B, i + 1};
    return mx_reshape(mx_slice(st, b, e, NULL, s), &B, 1, s);
}

static mx_status dynamic_slice_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                                    mx_array **out, int *out_ax) {
    const mx_dyn_slice_params *p = MX_PARAMS(mx_dyn_slice_params, c->node);
    const mx_meta *om = &c->node->out[0].m;
    int nd = c->in[0]->v.m.ndim;
    MX_CHECK(nd + 1 < MX_MAX_DIMS, MX_ERR_VALUE, "[vmap] too many dimensions");
    int64_t B = mx_vmap_batch(in, ax, 2);
    mx_stream s = c->s;
    if (ax[1] < 0 || p->naxes == 0) { /* the same starts for every example */
        mx_dyn_slice_params q = *p;
        for (int i = 0; i < q.naxes; i++) q.axes[i]++;
        mx_array *b[2] = {mx_batch_front(in[0], ax[0], B, s), in[1]};
        if (ax[1] >= 0) b[1] = mx_reshape(in[1], (int64_t[]){0}, 1, s); /* naxes == 0 */
        MX_CHECK(b[0] && b[1], mx_error_status(), "%s", mx_error_message());
        return mx_vmap_remake(c, &q, b, B, out, out_ax);
    }
    /* batched starts: a gather with one index per sliced axis (plus arange on a's batch) */
    mx_array *st = mx_batch_front(in[1], ax[1], B, s), *idx[MX_MAX_DIMS + 1];
    int axes[MX_MAX_DIMS + 1], k = 0;
    int64_t slice[MX_MAX_DIMS + 1];
    if (ax[0] >= 0) {
        idx[k] = arange_col(B, 0, s);
        axes[k] = 0;
        slice[k++] = 1;
    }
    for (int i = 0; i < p->naxes; i++) {
        idx[k + i] = start_col(st, i, B, s);
        axes[k + i] = p->axes[i] + k;
    }
    memcpy(slice + k, om->shape, sizeof(int64_t) * (size_t)nd);
    mx_array *a = ax[0] >= 0 ? mx_batch_front(in[0], ax[0], B, s) : in[0];
    mx_array *r = mx_gather(a, idx, p->naxes + k, axes, slice, s);
    out[0] = k ? reshape_b(r, B, om->shape, om->ndim, s) : r;
    out_ax[0] = 0;
    return OK_OR_ERR(out[0]);
}

static mx_status dynamic_slice_update_vmap(const mx_grad_ctx *c, mx_array *const *in,
                                           const int *ax, mx_array **out, int *out_ax) {
    const mx_dyn_slice_params *p = MX_PARAMS(mx_dyn_slice_params, c->node);
    int nd = c->in[0]->v.m.ndim;
    MX_CHECK(nd + 2 < MX_MAX_DIMS, MX_ERR_VALUE, "[vmap] too many dimensions");
    int64_t B = mx_vmap_batch(in, ax, 3);
    mx_stream s = c->s;
    mx_array *a = mx_batch_front(in[0], ax[0], B, s), *u = mx_batch_front(in[1], ax[1], B, s);
    if (ax[2] < 0 || p->naxes == 0) {
        mx_dyn_slice_params q = *p;
        for (int i = 0; i < q.naxes; i++) q.axes[i]++;
        mx_array *b[3] = {a, u, in[2]};
        if (ax[2] >= 0) b[2] = mx_reshape(in[2], (int64_t[]){0}, 1, s);
        MX_CHECK(b[0] && b[1] && b[2], mx_error_status(), "%s", mx_error_message());
        return mx_vmap_remake(c, &q, b, B, out, out_ax);
    }
    /* batched starts: a scatter of the (B, 1, update...) slices at arange(B) and the starts */
    mx_array *st = mx_batch_front(in[2], ax[2], B, s), *idx[MX_MAX_DIMS + 1];
    int axes[MX_MAX_DIMS + 1];
    idx[0] = arange_col(B, 0, s);
    axes[0] = 0;
    for (int i = 0; i < p->naxes; i++) {
        idx[1 + i] = start_col(st, i, B, s);
        axes[1 + i] = p->axes[i] + 1;
    }
    out[0] = mx_scatter(a, idx, p->naxes + 1, unsqueeze_at(u, 1, s), axes, s);
    out_ax[0] = 0;
    return OK_OR_ERR(out[0]);
}

void mx_grad_register_index(mx_rules *r) {
    r->vjp[MX_PRIM_GATHER] = gather_vjp;
    r->jvp[MX_PRIM_GATHER] = linear0_jvp;
    r->vmap[MX_PRIM_GATHER] = gather_vmap;
    r->vjp[MX_PRIM_GATHER_AXIS] = gather_axis_vjp;
    r->jvp[MX_PRIM_GATHER_AXIS] = linear0_jvp;
    r->vmap[MX_PRIM_GATHER_AXIS] = gather_axis_vmap;
    r->vjp[MX_PRIM_SCATTER] = scatter_vjp;
    r->jvp[MX_PRIM_SCATTER] = scatter_jvp;
    r->vmap[MX_PRIM_SCATTER] = scatter_vmap;
    r->vjp[MX_PRIM_SCATTER_AXIS] = scatter_axis_vjp;
    r->jvp[MX_PRIM_SCATTER_AXIS] = scatter_axis_jvp;
    r->vmap[MX_PRIM_SCATTER_AXIS] = scatter_axis_vmap;
    r->vjp[MX_PRIM_MASKED_SCATTER] = masked_scatter_vjp;
    r->jvp[MX_PRIM_MASKED_SCATTER] = masked_scatter_jvp;
    r->vmap[MX_PRIM_MASKED_SCATTER] = masked_scatter_vmap;
    r->vjp[MX_PRIM_SLICE_UPDATE] = slice_update_vjp;
    r->jvp[MX_PRIM_SLICE_UPDATE] = linear01_jvp;
    r->vmap[MX_PRIM_SLICE_UPDATE] = slice_update_vmap;
    r->vjp[MX_PRIM_DYNAMIC_SLICE] = dynamic_slice_vjp;
    r->jvp[MX_PRIM_DYNAMIC_SLICE] = linear0_jvp;
    r->vmap[MX_PRIM_DYNAMIC_SLICE] = dynamic_slice_vmap;
    r->vjp[MX_PRIM_DYNAMIC_SLICE_UPDATE] = dynamic_slice_update_vjp;
    r->jvp[MX_PRIM_DYNAMIC_SLICE_UPDATE] = linear01_jvp;
    r->vmap[MX_PRIM_DYNAMIC_SLICE_UPDATE] = dynamic_slice_update_vmap;
}
