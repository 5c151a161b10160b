/* src/transforms/rules_core.c: the rule table itself, helpers shared by rules, and the rules of
 * the core primitives (copies, conversions, views, where they are linear: the JVP of a linear
 * primitive is the same primitive applied to the tangent). as_strided scatters its cotangent back
 * through its index map; view (bit reinterpretation) has no derivative. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "rules.h"

static mx_rules       rules;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void) {
#define MX_GRAD_FAMILY(fam) mx_grad_register_##fam(&rules);
#include "families.def"
#undef MX_GRAD_FAMILY
}

const mx_rules *mx_grad_rules(void) {
    pthread_once(&once, init);
    return &rules;
}

/* ---- helpers ---- */
mx_array *mx_k(double v, mx_array *like) {
    return like ? mx_array_scalar_f64(v, like->v.m.dtype) : NULL;
}

mx_array *mx_zeros_meta(const mx_meta *m, mx_stream s) {
    return mx_zeros(m->shape, m->ndim, m->dtype, s);
}

mx_array *mx_node_output(const mx_grad_ctx *c, int i) {
    return c->out[i] ? c->out[i] : mx_node_handle((mx_node *)c->node, i);
}

mx_array *mx_sum_to_shape(mx_array *g, const mx_meta *m, mx_stream s) {
    if (!g) return NULL;
    int gd = g->v.m.ndim, lead = gd - m->ndim;
    int axes[MX_MAX_DIMS], n = 0;
    for (int i = 0; i < gd; i++) {
        int k = i - lead;
        if (k < 0 || (m->shape[k] == 1 && g->v.m.shape[i] != 1)) axes[n++] = i;
    }
    mx_array *r = n ? mx_sum(g, axes, n, true, s) : g;
    return r ? mx_reshape(r, m->shape, m->ndim, s) : NULL;
}

/* ---- linear primitives: vjp written per primitive, jvp = the same primitive on the tangent */
mx_status mx_rule_linear_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    const mx_node *n = c->node;
    out[0] = mx_make_like(n->prim, n->params, n->params_size, &tan[0], 1, &n->out[0].m,
                          tan[0]->v.m.dtype, c->s);
    return OK_OR_ERR(out[0]);
}

mx_status mx_rule_identity_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                               mx_array **grads) {
    (void)c;
    if (wanted[0]) grads[0] = cot[0];
    return MX_OK;
}

mx_status mx_rule_identity_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    (void)c;
    out[0] = tan[0];
    return MX_OK;
}

static mx_status astype_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                            mx_array **grads) {
    if (!wanted[0]) return MX_OK;
    grads[0] = mx_astype(cot[0], c->in[0]->v.m.dtype, c->s);
    return OK_OR_ERR(grads[0]);
}

static mx_status astype_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    out[0] = mx_astype(tan[0], c->node->out[0].m.dtype, c->s);
    return OK_OR_ERR(out[0]);
}

static mx_status broadcast_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                               mx_array **grads) {
    if (!wanted[0]) return MX_OK;
    grads[0] = mx_sum_to_shape(cot[0], &c->in[0]->v.m, c->s);
    return OK_OR_ERR(grads[0]);
}

static mx_status reshape_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                             mx_array **grads) {
    if (!wanted[0]) return MX_OK;
    grads[0] = mx_reshape(cot[0], c->in[0]->v.m.shape, c->in[0]->v.m.ndim, c->s);
    return OK_OR_ERR(grads[0]);
}

static mx_status transpose_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                               mx_array **grads) {
    if (!wanted[0]) return MX_OK;
    const mx_transpose_params *p = MX_PARAMS(mx_transpose_params, c->node);
    int inv[MX_MAX_DIMS], nd = c->in[0]->v.m.ndim;
    for (int i = 0; i < nd; i++) inv[p->perm[i]] = i;
    grads[0] = mx_transpose(cot[0], inv, nd, c->s);
    return OK_OR_ERR(grads[0]);
}

/* slice: the cotangent is written into the sliced positions of zeros (slice_update with the same
 * start/stop/step; an exclusive stop before index 0 is spelled MX_SLICE_NONE). */
static mx_status slice_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                           mx_array **grads) {
    if (!wanted[0]) return MX_OK;
    const mx_slice_params *p = MX_PARAMS(mx_slice_params, c->node);
    const mx_meta *im = &c->in[0]->v.m, *om = &c->node->out[0].m;
    int64_t start[MX_MAX_DIMS], stop[MX_MAX_DIMS], step[MX_MAX_DIMS];
    for (int d = 0; d < im->ndim; d++) {
        start[d] = p->start[d];
        step[d] = p->step[d];
        int64_t last = p->start[d] + (om->shape[d] - 1) * p->step[d];
        stop[d] = om->shape[d] == 0 ? start[d] : (step[d] > 0 ? last + 1 : (last - 1 < 0 ? MX_SLICE_NONE : last - 1));
    }
    mx_array *z = mx_zeros(im->shape, im->ndim, cot[0]->v.m.dtype, c->s);
    grads[0] = mx_slice_update(z, cot[0], start, stop, step, c->s);
    return OK_OR_ERR(grads[0]);
}

static mx_status stop_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                          mx_array **grads) {
    (void)c, (void)cot, (void)wanted, (void)grads;
    return MX_OK;
}

static mx_status stop_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    (void)c, (void)tan;
    out[0] = NULL;
    return MX_OK;
}

static mx_status full_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                          mx_array **grads) {
    if (!wanted[0]) return MX_OK;
    grads[0] = mx_sum_to_shape(cot[0], &c->in[0]->v.m, c->s);
    return OK_OR_ERR(grads[0]);
}

static mx_status depends_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                             mx_array **grads) {
    for (int i = 0; i < c->n_out; i++)
        if (wanted[i]) grads[i] = cot[i];
    return MX_OK;
}

static mx_status depends_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    for (int i = 0; i < c->n_out; i++) out[i] = tan[i];
    return MX_OK;
}

/* as_strided: out[i] = flat(x)[offset + sum_d i_d strides[d]] over the row-major input, so the
 * VJP scatter-adds the cotangent into zeros of the input's size through the same index map (built
 * by applying as_strided to arange); overlapping windows accumulate. The JVP is mx_rule_linear_jvp. */
static mx_status as_strided_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                                mx_array **grads) {
    if (!wanted[0]) return MX_OK;
    const mx_as_strided_params *p = MX_PARAMS(mx_as_strided_params, c->node);
    const mx_meta *im = &c->in[0]->v.m, *om = &c->node->out[0].m;
    mx_stream s = c->s;
    int64_t n = 1, m = 1;
    for (int d = 0; d < im->ndim; d++) n *= im->shape[d];
    for (int d = 0; d < om->ndim; d++) m *= om->shape[d];
    mx_dtype it = n > INT32_MAX ? MX_INT64 : MX_INT32;
    mx_array *idx = mx_as_strided(mx_arange(0, (double)n, 1, it, s), om->shape, p->strides,
                                  om->ndim, p->offset, s);
    idx = mx_reshape(idx, &m, 1, s);
    mx_array *z = mx_zeros(&n, 1, cot[0]->v.m.dtype, s);
    int axis0 = 0;
    mx_array *flat = mx_scatter_add(z, &idx, 1, mx_reshape(cot[0], &m, 1, s), &axis0, s);
    grads[0] = mx_reshape(flat, im->shape, im->ndim, s);
    return OK_OR_ERR(grads[0]);
}

/* view (bit reinterpretation): no derivative, like a NO_GRAD primitive (the bits of one dtype
 * are not a differentiable function of the values of another). */
static mx_status view_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                          mx_array **grads) {
    (void)c, (void)cot, (void)wanted, (void)grads;
    return MX_OK;
}

/* ---- vmap of the structural core primitives (batch axis moved to the front) ---- */
static mx_status broadcast_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                                mx_array **out, int *out_ax) {
    int64_t B = mx_vmap_batch(in, ax, 1), sh[MX_MAX_DIMS];
    const mx_meta *o = &c->node->out[0].m, *i0 = &c->in[0]->v.m;
    mx_array *x = mx_batch_front(in[0], ax[0], B, c->s);
    MX_CHECK(o->ndim < MX_MAX_DIMS, MX_ERR_VALUE, "[vmap] too many dimensions");
    sh[0] = B; /* (B, 1.., in shape) then broadcast to (B, out shape) */
    for (int d = 0; d < o->ndim; d++) sh[1 + d] = 1;
    for (int d = 0; d < i0->ndim; d++) sh[1 + o->ndim - i0->ndim + d] = i0->shape[d];
    x = mx_reshape(x, sh, o->ndim + 1, c->s);
    memcpy(sh + 1, o->shape, sizeof(int64_t) * (size_t)o->ndim);
    out[0] = mx_broadcast_to(x, sh, o->ndim + 1, c->s);
    out_ax[0] = 0;
    return OK_OR_ERR(out[0]);
}

static mx_status reshape_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                              mx_array **out, int *out_ax) {
    int64_t B = mx_vmap_batch(in, ax, 1), sh[MX_MAX_DIMS];
    const mx_meta *o = &c->node->out[0].m;
    MX_CHECK(o->ndim < MX_MAX_DIMS, MX_ERR_VALUE, "[vmap] too many dimensions");
    sh[0] = B;
    memcpy(sh + 1, o->shape, sizeof(int64_t) * (size_t)o->ndim);
    out[0] = mx_reshape(mx_batch_front(in[0], ax[0], B, c->s), sh, o->ndim + 1, c->s);
    out_ax[0] = 0;
    return OK_OR_ERR(out[0]);
}

static mx_status transpose_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                                mx_array **out, int *out_ax) {
    const mx_transpose_params *p = MX_PARAMS(mx_transpose_params, c->node);
    int nd = c->in[0]->v.m.ndim, perm[MX_MAX_DIMS];
    MX_CHECK(nd < MX_MAX_DIMS, MX_ERR_VALUE, "[vmap] too many dimensions");
    perm[0] = 0;
    for (int i = 0; i < nd; i++) perm[i + 1] = p->perm[i] + 1;
    out[0] = mx_transpose(mx_batch_front(in[0], ax[0], 1, c->s), perm, nd + 1, c->s);
    out_ax[0] = 0;
    return OK_OR_ERR(out[0]);
}

static mx_status slice_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                            mx_array **out, int *out_ax) {
    const mx_slice_params *p = MX_PARAMS(mx_slice_params, c->node);
    int nd = c->in[0]->v.m.ndim;
    MX_CHECK(nd < MX_MAX_DIMS, MX_ERR_VALUE, "[vmap] too many dimensions");
    int64_t B = mx_vmap_batch(in, ax, 1);
    mx_slice_params q;
    memset(&q, 0, sizeof q);
    q.step[0] = 1;
    for (int d = 0; d < nd; d++) {
        q.start[d + 1] = p->start[d];
        q.step[d + 1] = p->step[d];
    }
    mx_array *x = mx_batch_front(in[0], ax[0], B, c->s);
    MX_CHECK(x != NULL, mx_error_status(), "%s", mx_error_message());
    return mx_vmap_remake(c, &q, &x, B, out, out_ax);
}

/* as_strided on the batch-front input: each example is one row of B of the row-major input,
 * so the batch stride is the per-example size; the strides and offset within it are unchanged. */
static mx_status as_strided_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                                 mx_array **out, int *out_ax) {
    const mx_as_strided_params *p = MX_PARAMS(mx_as_strided_params, c->node);
    const mx_meta *im = &c->in[0]->v.m, *om = &c->node->out[0].m;
    MX_CHECK(om->ndim < MX_MAX_DIMS, MX_ERR_VALUE, "[vmap] too many dimensions");
    int64_t B = mx_vmap_batch(in, ax, 1), n = 1;
    for (int d = 0; d < im->ndim; d++) n *= im->shape[d];
    mx_as_strided_params q;
    memset(&q, 0, sizeof q);
    q.strides[0] = n;
    for (int d = 0; d < om->ndim; d++) q.strides[d + 1] = p->strides[d];
    q.offset = p->offset;
    mx_array *x = mx_batch_front(in[0], ax[0], B, c->s);
    MX_CHECK(x != NULL, mx_error_status(), "%s", mx_error_message());
    return mx_vmap_remake(c, &q, &x, B, out, out_ax);
}

/* view: with the batch in front the per-example last axis stays last (a 0-d example keeps its
 * size), so the same primitive applies. */
static mx_status view_vmap(const mx_grad_ctx *c, mx_array *const *in, const int *ax,
                           mx_array **out, int *out_ax) {
    int64_t B = mx_vmap_batch(in, ax, 1);
    mx_array *x = mx_batch_front(in[0], ax[0], B, c->s);
    MX_CHECK(x != NULL, mx_error_status(), "%s", mx_error_message());
    return mx_vmap_remake(c, c->node->params, &x, B, out, out_ax);
}

void mx_grad_register_core(mx_rules *r) {
    int same[] = {MX_PRIM_COPY, MX_PRIM_IDENTITY, MX_PRIM_ASTYPE, MX_PRIM_STOP_GRADIENT,
                  MX_PRIM_FULL, MX_PRIM_DEPENDS};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) r->vmap[same[i]] = mx_vmap_elementwise;
    r->vmap[MX_PRIM_BROADCAST] = broadcast_vmap;
    r->vmap[MX_PRIM_RESHAPE] = reshape_vmap;
    r->vmap[MX_PRIM_TRANSPOSE] = transpose_vmap;
    r->vmap[MX_PRIM_SLICE] = slice_vmap;
    r->vjp[MX_PRIM_COPY] = mx_rule_identity_vjp;
    r->jvp[MX_PRIM_COPY] = mx_rule_identity_jvp;
    r->vjp[MX_PRIM_IDENTITY] = mx_rule_identity_vjp;
    r->jvp[MX_PRIM_IDENTITY] = mx_rule_identity_jvp;
    r->vjp[MX_PRIM_ASTYPE] = astype_vjp;
    r->jvp[MX_PRIM_ASTYPE] = astype_jvp;
    r->vjp[MX_PRIM_BROADCAST] = broadcast_vjp;
    r->jvp[MX_PRIM_BROADCAST] = mx_rule_linear_jvp;
    r->vjp[MX_PRIM_RESHAPE] = reshape_vjp;
    r->jvp[MX_PRIM_RESHAPE] = mx_rule_linear_jvp;
    r->vjp[MX_PRIM_TRANSPOSE] = transpose_vjp;
    r->jvp[MX_PRIM_TRANSPOSE] = mx_rule_linear_jvp;
    r->vjp[MX_PRIM_SLICE] = slice_vjp;
    r->jvp[MX_PRIM_SLICE] = mx_rule_linear_jvp;
    r->vjp[MX_PRIM_FULL] = full_vjp;
    r->jvp[MX_PRIM_FULL] = mx_rule_linear_jvp;
    r->vjp[MX_PRIM_STOP_GRADIENT] = stop_vjp;
    r->jvp[MX_PRIM_STOP_GRADIENT] = stop_jvp;
    r->vjp[MX_PRIM_DEPENDS] = depends_vjp;
    r->jvp[MX_PRIM_DEPENDS] = depends_jvp;
    r->vjp[MX_PRIM_AS_STRIDED] = as_strided_vjp;
    r->jvp[MX_PRIM_AS_STRIDED] = mx_rule_linear_jvp;
    r->vmap[MX_PRIM_AS_STRIDED] = as_strided_vmap;
    r->vjp[MX_PRIM_VIEW_DTYPE] = view_vjp;
    r->jvp[MX_PRIM_VIEW_DTYPE] = stop_jvp;
    r->vmap[MX_PRIM_VIEW_DTYPE] = view_vmap;
    /* ARANGE has no inputs: NO_GRAD, and vmap never reaches it (nothing batched flows in) */
}
