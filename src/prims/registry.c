/* src/prims/registry.c: mx_prims[], expanded from prims.def. */
#include "prim.h"

#include "mx/dtype.h"

const mx_prim_info mx_prims[MX_PRIM_COUNT] = {
#define MX_PRIM(ID, nm, nin, nout, fl) [MX_PRIM_##ID] = {#nm, nin, nout, fl, 0, 0},
#define MX_UNARY(ID, nm, rule, kinds, fx, ix, cx)                                                 \
    [MX_PRIM_##ID] = {#nm, 1, 1, MX_PF_ELEMENTWISE, rule, kinds},
#define MX_BINARY(ID, nm, rule, kinds, fx, ix, cx)                                                \
    [MX_PRIM_##ID] = {#nm, 2, 1, MX_PF_ELEMENTWISE, rule, kinds},
#include "prims.def"
#undef MX_PRIM
#undef MX_UNARY
#undef MX_BINARY
};

int mx_dtype_kindbit(int t) {
    if (t == MX_BOOL) return K_B;
    if (mx_dtype_is_signed((mx_dtype)t)) return K_I;
    if (mx_dtype_is_int((mx_dtype)t)) return K_U;
    if (mx_dtype_is_complex((mx_dtype)t)) return K_C;
    return K_F;
}
