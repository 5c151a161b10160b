/* src/prims/prim.h: the primitive registry. Every primitive is one line of a .def table:
 *   prims.def          includes every family table below; the enum and mx_prims[] come from it
 *   unary.def binary.def   elementwise families: one line per op, with its scalar expressions
 *   <family>.def       structured primitives: MX_PRIM(ID, name, n_in, n_out, flags)
 * A primitive's kernels live in per-backend tables indexed by mx_prim_id (src/backend/). */
#ifndef MX_PRIM_H
#define MX_PRIM_H

#include <stdint.h>

enum {
    MX_PF_ELEMENTWISE = 1, /* output[i] depends on input[i] only; inputs share the output shape */
    MX_PF_VIEW        = 2, /* output shares its input's buffer (no copy) */
    MX_PF_NO_GRAD     = 4, /* not differentiable (integer or boolean results) */
    MX_PF_RANDOM      = 8, /* depends on a key input */
    MX_PF_META        = 16, /* the kernel reads no element data (a pure view): it runs on any
                               stream without moving bytes between host and device */
};

/* kinds of dtypes an elementwise op accepts (after the op's promotion) */
enum { K_B = 1, K_U = 2, K_I = 4, K_F = 8, K_C = 16 };
#define K_INT (K_U | K_I)
#define K_REAL (K_B | K_U | K_I | K_F)
#define K_ALL (K_REAL | K_C)
#define K_NUM (K_U | K_I | K_F | K_C)

/* output dtype rules of elementwise ops */
enum {
    R_SAME = 0, /* output dtype = input dtype */
    R_FLOAT,    /* ints and bool are cast to float32 first (MLX at_least_float) */
    R_BOOL,     /* output is bool */
    R_REAL,     /* complex -> float32 (abs, real, imag); real inputs keep their dtype */
    R_LOGIC,    /* inputs are cast to bool first; output bool (logical_and, logical_or) */
};

typedef enum mx_prim_id {
#define MX_PRIM(ID, name, n_in, n_out, flags) MX_PRIM_##ID,
#define MX_UNARY(ID, name, rule, kinds, fx, ix, cx) MX_PRIM_##ID,
#define MX_BINARY(ID, name, rule, kinds, fx, ix, cx) MX_PRIM_##ID,
#include "prims.def"
#undef MX_PRIM
#undef MX_UNARY
#undef MX_BINARY
    MX_PRIM_COUNT
} mx_prim_id;

typedef struct mx_prim_info {
    const char *name;  /* error tag and name in generated code */
    int8_t      n_in;  /* -1: variadic */
    int8_t      n_out; /* -1: variadic */
    uint32_t    flags; /* MX_PF_* */
    uint8_t     rule;  /* elementwise: R_* */
    uint8_t     kinds; /* elementwise: K_* accepted */
} mx_prim_info;

extern const mx_prim_info mx_prims[MX_PRIM_COUNT];

/* Kind bit of a dtype (K_B, K_U, ...). */
int mx_dtype_kindbit(int dtype);

#endif
