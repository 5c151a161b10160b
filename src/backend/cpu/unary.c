/* src/backend/cpu/unary.c: CPU kernels of every line of unary.def, generated per dtype.
 * Each (op, dtype) pair becomes an inner loop over a run of elements (contiguous fast path the
 * compiler vectorises, and a strided path); mx_elementwise_run supplies layout and threads. */
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wbool-operation"
#pragma GCC diagnostic ignored "-Wbool-compare"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wint-in-bool-context"
#include "cpu_impl.h"

#define OUTT_R_SAME(T, RT) T
#define OUTT_R_FLOAT(T, RT) T
#define OUTT_R_BOOL(T, RT) bool
#define OUTT_R_REAL(T, RT) RT
#define OST_R_SAME(ST, STR) ST
#define OST_R_FLOAT(ST, STR) ST
#define OST_R_BOOL(ST, STR) MX_ST_BOOL
#define OST_R_REAL(ST, STR) STR

#define GEN_U(DT, T, CT, CLS, LD, ST, RT, STR, ID, name, rule, kinds, fx, ix, cx)                  \
    static void u_##name##_##DT(void *ctx, char *const *p, const int64_t *s, int64_t n) {          \
        (void)ctx;                                                                                 \
        typedef OUTT_##rule(T, RT) TO;                                                             \
        TO *y = (TO *)p[0];                                                                        \
        const T *xp = (const T *)p[1];                                                             \
        int64_t ys = s[0], xs = s[1];                                                              \
        if (ys == 1 && xs == 1) {                                                                  \
            for (int64_t i = 0; i < n; i++) {                                                      \
                CT x = LD(xp[i]);                                                                  \
                (void)x;                                                                           \
                y[i] = OST_##rule(ST, STR)(MX_SEL_##CLS(fx, ix, cx));                              \
            }                                                                                      \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                      \
                CT x = LD(xp[i * xs]);                                                             \
                (void)x;                                                                           \
                y[i * ys] = OST_##rule(ST, STR)(MX_SEL_##CLS(fx, ix, cx));                         \
            }                                                                                      \
        }                                                                                          \
    }
#define SLOT_U(DT, T, CT, CLS, LD, ST, RT, STR, name) [MX_##DT] = u_##name##_##DT,

#define MX_UNARY(ID, name, rule, kinds, fx, ix, cx)                                                \
    MX_CPU_DTYPES(GEN_U, ID, name, rule, kinds, fx, ix, cx)                                        \
    static const mx_inner_fn tab_##name[MX_NUM_DTYPES] = {MX_CPU_DTYPES(SLOT_U, name)};
#define MX_PRIM(...)
#define MX_BINARY(...)
#include "../../prims/prims.def"
#undef MX_UNARY

static const mx_inner_fn *unary_tables[MX_PRIM_COUNT] = {
#define MX_UNARY(ID, name, rule, kinds, fx, ix, cx) [MX_PRIM_##ID] = tab_##name,
#include "../../prims/prims.def"
#undef MX_UNARY
};
#undef MX_PRIM
#undef MX_BINARY

static mx_status unary_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_prim_info *pi = &mx_prims[n->prim];
    mx_dtype t = in[0].m.dtype;
    if (!(pi->kinds & mx_dtype_kindbit(t)))
        return mx_fail(MX_ERR_UNSUPPORTED, "[%s] not supported for %s", pi->name,
                       mx_dtype_name(t));
    return mx_elementwise_run(&out[0], in, 1, unary_tables[n->prim][t], NULL, 1 << 14);
}

void mx_cpu_register_unary(mx_kernel_fn *k) {
    for (int p = 0; p < MX_PRIM_COUNT; p++)
        if (unary_tables[p]) k[p] = unary_kernel;
}
