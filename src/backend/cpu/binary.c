/* src/backend/cpu/binary.c: CPU kernels of every line of binary.def, generated per dtype, and the
 * ternary select (where). The op made both operands the same dtype and shape (broadcasts are
 * stride-0 views), so one inner loop per (op, dtype) with fast paths for contiguous and
 * scalar-operand runs covers every case. */
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wbool-operation"
#pragma GCC diagnostic ignored "-Wbool-compare"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wint-in-bool-context"
#pragma GCC diagnostic ignored "-Wshift-count-overflow"
#pragma GCC diagnostic ignored "-Wfloat-equal"
#include "cpu_impl.h"

#define OUTT_R_SAME(T) T
#define OUTT_R_FLOAT(T) T
#define OUTT_R_BOOL(T) bool
#define OUTT_R_LOGIC(T) bool
#define OST_R_LOGIC(ST) MX_ST_BOOL
#define OST_R_SAME(ST) ST
#define OST_R_FLOAT(ST) ST
#define OST_R_BOOL(ST) MX_ST_BOOL

#define BODY(IA, IB, IY) y[IY] = OST_##rule(ST)(MX_SEL_##CLS(fx, ix, cx))

#define GEN_B(DT, T, CT, CLS, LD, ST, RT, STR, ID, name, rule, kinds, fx, ix, cx)                  \
    static void b_##name##_##DT(void *ctx, char *const *p, const int64_t *s, int64_t n) {          \
        (void)ctx;                                                                                 \
        typedef OUTT_##rule(T) TO;                                                                 \
        TO *y = (TO *)p[0];                                                                        \
        const T *ap = (const T *)p[1], *bp = (const T *)p[2];                                      \
        int64_t ys = s[0], as = s[1], bs = s[2];                                                   \
        if (ys == 1 && as == 1 && bs == 1) {                                                       \
            for (int64_t i = 0; i < n; i++) {                                                      \
                CT a = LD(ap[i]), b = LD(bp[i]);                                                   \
                (void)a, (void)b;                                                                  \
                y[i] = OST_##rule(ST)(MX_SEL_##CLS(fx, ix, cx));                                   \
            }                                                                                      \
        } else if (ys == 1 && as == 0 && bs == 1) {                                                \
            const CT a = LD(ap[0]);                                                                \
            for (int64_t i = 0; i < n; i++) {                                                      \
                CT b = LD(bp[i]);                                                                  \
                (void)a, (void)b;                                                                  \
                y[i] = OST_##rule(ST)(MX_SEL_##CLS(fx, ix, cx));                                   \
            }                                                                                      \
        } else if (ys == 1 && as == 1 && bs == 0) {                                                \
            const CT b = LD(bp[0]);                                                                \
            for (int64_t i = 0; i < n; i++) {                                                      \
                CT a = LD(ap[i]);                                                                  \
                (void)a, (void)b;                                                                  \
                y[i] = OST_##rule(ST)(MX_SEL_##CLS(fx, ix, cx));                                   \
            }                                                                                      \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                      \
                CT a = LD(ap[i * as]), b = LD(bp[i * bs]);                                         \
                (void)a, (void)b;                                                                  \
                y[i * ys] = OST_##rule(ST)(MX_SEL_##CLS(fx, ix, cx));                              \
            }                                                                                      \
        }                                                                                          \
    }
#define SLOT_B(DT, T, CT, CLS, LD, ST, RT, STR, name) [MX_##DT] = b_##name##_##DT,

#define MX_BINARY(ID, name, rule, kinds, fx, ix, cx)                                               \
    MX_CPU_DTYPES(GEN_B, ID, name, rule, kinds, fx, ix, cx)                                        \
    static const mx_inner_fn tab_##name[MX_NUM_DTYPES] = {MX_CPU_DTYPES(SLOT_B, name)};
#define MX_PRIM(...)
#define MX_UNARY(...)
#include "../../prims/prims.def"
#undef MX_BINARY

static const mx_inner_fn *binary_tables[MX_PRIM_COUNT] = {
#define MX_BINARY(ID, name, rule, kinds, fx, ix, cx) [MX_PRIM_##ID] = tab_##name,
#include "../../prims/prims.def"
#undef MX_BINARY
};
#undef MX_PRIM
#undef MX_UNARY

static mx_status binary_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_prim_info *pi = &mx_prims[n->prim];
    mx_dtype t = in[0].m.dtype;
    if (!(pi->kinds & mx_dtype_kindbit(t)))
        return mx_fail(MX_ERR_UNSUPPORTED, "[%s] not supported for %s", pi->name,
                       mx_dtype_name(t));
    return mx_elementwise_run(&out[0], in, 2, binary_tables[n->prim][t], NULL, 1 << 14);
}

/* ---- where: out = cond ? x : y (cond bool; x, y and out one dtype) ---- */
#define GEN_W(T, SZ)                                                                               \
    static void where_##SZ(void *ctx, char *const *p, const int64_t *s, int64_t n) {               \
        (void)ctx;                                                                                 \
        T *o = (T *)p[0];                                                                          \
        const bool *c = (const bool *)p[1];                                                        \
        const T *x = (const T *)p[2], *y = (const T *)p[3];                                        \
        if (s[0] == 1 && s[1] == 1 && s[2] == 1 && s[3] == 1)                                      \
            for (int64_t i = 0; i < n; i++) o[i] = c[i] ? x[i] : y[i];                             \
        else                                                                                       \
            for (int64_t i = 0; i < n; i++)                                                        \
                o[i * s[0]] = c[i * s[1]] ? x[i * s[2]] : y[i * s[3]];                             \
    }
GEN_W(uint8_t, 1)
GEN_W(uint16_t, 2)
GEN_W(uint32_t, 4)
GEN_W(uint64_t, 8)

static mx_status where_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    mx_inner_fn f;
    switch (mx_dtype_size(out[0].m.dtype)) {
    case 1: f = where_1; break;
    case 2: f = where_2; break;
    case 4: f = where_4; break;
    default: f = where_8; break;
    }
    return mx_elementwise_run(&out[0], in, 3, f, NULL, 1 << 14);
}

void mx_cpu_register_binary(mx_kernel_fn *k) {
    for (int p = 0; p < MX_PRIM_COUNT; p++)
        if (binary_tables[p]) k[p] = binary_kernel;
    k[MX_PRIM_WHERE] = where_kernel;
}
