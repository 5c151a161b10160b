/* src/transforms/rules_elementwise.c: VJP and JVP rules of the element-wise primitives,
 * generated from elementwise_grad.def, plus where. NONE lines give zero derivatives (the rule
 * returns no gradient; the driver fills zeros where a result is needed). Complex inputs follow
 * MLX's convention (VJP = g * conj(f'(z)), JVP = t * f'(z)): see elementwise_grad.def. */
#include "rules.h"

#define MUL(p, q) mx_multiply((p), (q), s)
#define DIV(p, q) mx_divide((p), (q), s)
#define ADD(p, q) mx_add((p), (q), s)
#define SUB(p, q) mx_subtract((p), (q), s)
#define K(v, like) mx_k((v), (like))
#define NONE NULL

#define IS_C(x) mx_dtype_is_complex((x)->v.m.dtype)

/* The complex VJP convention (see elementwise_grad.def): for a complex input the VJP of a
 * holomorphic line is conj(expr(conj(g))) = g * conj(f'(z)); real inputs use expr(g) as is. */
static mx_array *conj_if(bool cx, mx_array *a, mx_stream s) {
    return cx && a ? mx_conj(a, s) : a;
}

static mx_status rule_status(mx_array *r) {
    return (r || mx_error_status() == MX_OK) ? MX_OK : mx_error_status();
}

/* ---- unary: d = expr(g, x, y) ---- */
#define MX_UGRAD_BODY(ID, vexpr, jexpr, holo)                                                      \
    static mx_array *ud_##ID(mx_array *g, mx_array *x, mx_array *y, mx_stream s) {                 \
        (void)g, (void)x, (void)y, (void)s;                                                        \
        return vexpr;                                                                              \
    }                                                                                              \
    static mx_array *uj_d_##ID(mx_array *g, mx_array *x, mx_array *y, mx_stream s) {               \
        (void)g, (void)x, (void)y, (void)s;                                                        \
        return jexpr;                                                                              \
    }                                                                                              \
    static mx_status uv_##ID(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,       \
                             mx_array **grads) {                                                   \
        if (!wanted[0]) return MX_OK;                                                              \
        mx_array *y = mx_node_output(c, 0);                                                        \
        bool cx = (holo) && IS_C(c->in[0]);                                                        \
        grads[0] = conj_if(cx, ud_##ID(conj_if(cx, cot[0], c->s), c->in[0], y, c->s), c->s);       \
        return rule_status(grads[0]);                                                              \
    }                                                                                              \
    static mx_status uj_##ID(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {         \
        mx_array *y = mx_node_output(c, 0);                                                        \
        out[0] = uj_d_##ID(tan[0], c->in[0], y, c->s);                                             \
        return rule_status(out[0]);                                                                \
    }
#define MX_UGRAD(ID, expr) MX_UGRAD_BODY(ID, expr, expr, 1)
#define MX_UGRAD2(ID, vexpr, jexpr) MX_UGRAD_BODY(ID, vexpr, jexpr, 0)
#define MX_BGRAD(ID, da, db)                                                                       \
    static mx_array *bda_##ID(mx_array *g, mx_array *a, mx_array *b, mx_array *y, mx_stream s) {   \
        (void)g, (void)a, (void)b, (void)y, (void)s;                                               \
        return da;                                                                                 \
    }                                                                                              \
    static mx_array *bdb_##ID(mx_array *g, mx_array *a, mx_array *b, mx_array *y, mx_stream s) {   \
        (void)g, (void)a, (void)b, (void)y, (void)s;                                               \
        return db;                                                                                 \
    }                                                                                              \
    static mx_status bv_##ID(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,       \
                             mx_array **grads) {                                                   \
        mx_array *y = mx_node_output(c, 0);                                                        \
        bool cx = IS_C(c->in[0]) || IS_C(c->in[1]);                                                \
        mx_array *g = conj_if(cx, cot[0], c->s);                                                   \
        if (wanted[0]) grads[0] = conj_if(cx, bda_##ID(g, c->in[0], c->in[1], y, c->s), c->s);     \
        if (wanted[1]) grads[1] = conj_if(cx, bdb_##ID(g, c->in[0], c->in[1], y, c->s), c->s);     \
        return mx_error_status() == MX_OK ? MX_OK : mx_error_status();                            \
    }                                                                                              \
    static mx_status bj_##ID(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {         \
        mx_array *y = mx_node_output(c, 0);                                                        \
        mx_array *s0 = tan[0] ? bda_##ID(tan[0], c->in[0], c->in[1], y, c->s) : NULL;             \
        mx_array *s1 = tan[1] ? bdb_##ID(tan[1], c->in[0], c->in[1], y, c->s) : NULL;             \
        out[0] = s0 && s1 ? mx_add(s0, s1, c->s) : (s0 ? s0 : s1);                                 \
        return mx_error_status() == MX_OK ? MX_OK : mx_error_status();                            \
    }
#include "elementwise_grad.def"
#undef MX_UGRAD
#undef MX_UGRAD2
#undef MX_BGRAD

static mx_status where_vjp(const mx_grad_ctx *c, mx_array *const *cot, const bool *wanted,
                           mx_array **grads) {
    mx_stream s = c->s;
    mx_array *z = mx_k(0, cot[0]);
    if (wanted[1]) grads[1] = mx_where(c->in[0], cot[0], z, s);
    if (wanted[2]) grads[2] = mx_where(c->in[0], z, cot[0], s);
    return mx_error_status() == MX_OK ? MX_OK : mx_error_status();
}

static mx_status where_jvp(const mx_grad_ctx *c, mx_array *const *tan, mx_array **out) {
    mx_stream s = c->s;
    mx_array *t1 = tan[1] ? tan[1] : mx_zeros_like(c->in[1], MX_DTYPE_AUTO, s);
    mx_array *t2 = tan[2] ? tan[2] : mx_zeros_like(c->in[2], MX_DTYPE_AUTO, s);
    out[0] = mx_where(c->in[0], t1, t2, s);
    return out[0] ? MX_OK : mx_error_status();
}

void mx_grad_register_elementwise(mx_rules *r) {
#define MX_UGRAD(ID, expr)                                                                         \
    r->vjp[MX_PRIM_##ID] = uv_##ID;                                                                \
    r->jvp[MX_PRIM_##ID] = uj_##ID;                                                                \
    r->vmap[MX_PRIM_##ID] = mx_vmap_elementwise;
#define MX_UGRAD2(ID, vexpr, jexpr) MX_UGRAD(ID, vexpr)
#define MX_BGRAD(ID, da, db)                                                                       \
    r->vjp[MX_PRIM_##ID] = bv_##ID;                                                                \
    r->jvp[MX_PRIM_##ID] = bj_##ID;                                                                \
    r->vmap[MX_PRIM_##ID] = mx_vmap_elementwise;
#include "elementwise_grad.def"
#undef MX_UGRAD
#undef MX_UGRAD2
#undef MX_BGRAD
    r->vjp[MX_PRIM_WHERE] = where_vjp;
    r->jvp[MX_PRIM_WHERE] = where_jvp;
    r->vmap[MX_PRIM_WHERE] = mx_vmap_elementwise;
}
