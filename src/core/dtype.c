/* src/core/dtype.c: dtype facts (size, name, kind), the promotion lattice and categories.
 * The promotion table follows MLX's (mlx/dtype.cpp), which follows JAX's lattice. */
#include <string.h>

#include "half.h"
#include "mx/dtype.h"

#define T_(x) MX_##x
static const struct {
    const char *name;
    size_t      size;
    char        kind;
} info[MX_NUM_DTYPES] = {
    [MX_BOOL] = {"bool", 1, 'b'},       [MX_UINT8] = {"uint8", 1, 'u'},
    [MX_UINT16] = {"uint16", 2, 'u'},   [MX_UINT32] = {"uint32", 4, 'u'},
    [MX_UINT64] = {"uint64", 8, 'u'},   [MX_INT8] = {"int8", 1, 'i'},
    [MX_INT16] = {"int16", 2, 'i'},     [MX_INT32] = {"int32", 4, 'i'},
    [MX_INT64] = {"int64", 8, 'i'},     [MX_FLOAT16] = {"float16", 2, 'f'},
    [MX_FLOAT32] = {"float32", 4, 'f'}, [MX_FLOAT64] = {"float64", 8, 'f'},
    [MX_BFLOAT16] = {"bfloat16", 2, 'V'}, [MX_COMPLEX64] = {"complex64", 8, 'c'},
};

bool mx_dtype_valid(int t) { return t >= 0 && t < MX_NUM_DTYPES; }
size_t mx_dtype_size(mx_dtype t) { return mx_dtype_valid((int)t) ? info[t].size : 0; }
const char *mx_dtype_name(mx_dtype t) { return mx_dtype_valid((int)t) ? info[t].name : "invalid"; }
char mx_dtype_kind(mx_dtype t) { return mx_dtype_valid((int)t) ? info[t].kind : '?'; }

bool mx_dtype_is_float(mx_dtype t) {
    return t == MX_FLOAT16 || t == MX_FLOAT32 || t == MX_FLOAT64 || t == MX_BFLOAT16;
}
bool mx_dtype_is_int(mx_dtype t) { return t >= MX_UINT8 && t <= MX_INT64; }
bool mx_dtype_is_signed(mx_dtype t) { return t >= MX_INT8 && t <= MX_INT64; }
bool mx_dtype_is_complex(mx_dtype t) { return t == MX_COMPLEX64; }
bool mx_dtype_is_inexact(mx_dtype t) { return mx_dtype_is_float(t) || mx_dtype_is_complex(t); }

bool mx_dtype_from_name(const char *name, mx_dtype *out) {
    for (int i = 0; i < MX_NUM_DTYPES; i++)
        if (strcmp(name, info[i].name) == 0) {
            *out = (mx_dtype)i;
            return true;
        }
    if (strcmp(name, "bool_") == 0) {
        *out = MX_BOOL;
        return true;
    }
    return false;
}

/* ---- promotion ---- */
#define B_ MX_BOOL
#define U8 MX_UINT8
#define U16 MX_UINT16
#define U32 MX_UINT32
#define U64 MX_UINT64
#define I8 MX_INT8
#define I16 MX_INT16
#define I32 MX_INT32
#define I64 MX_INT64
#define F16 MX_FLOAT16
#define F32 MX_FLOAT32
#define F64 MX_FLOAT64
#define BF MX_BFLOAT16
#define C64 MX_COMPLEX64
static const unsigned char promote[MX_NUM_DTYPES][MX_NUM_DTYPES] = {
    /*         bool u8   u16  u32  u64  i8   i16  i32  i64  f16  f32  f64  bf16 c64 */
    /* bool */ {B_, U8, U16, U32, U64, I8, I16, I32, I64, F16, F32, F64, BF, C64},
    /* u8   */ {U8, U8, U16, U32, U64, I16, I16, I32, I64, F16, F32, F64, BF, C64},
    /* u16  */ {U16, U16, U16, U32, U64, I32, I32, I32, I64, F16, F32, F64, BF, C64},
    /* u32  */ {U32, U32, U32, U32, U64, I64, I64, I64, I64, F16, F32, F64, BF, C64},
    /* u64  */ {U64, U64, U64, U64, U64, F32, F32, F32, F32, F16, F32, F64, BF, C64},
    /* i8   */ {I8, I16, I32, I64, F32, I8, I16, I32, I64, F16, F32, F64, BF, C64},
    /* i16  */ {I16, I16, I32, I64, F32, I16, I16, I32, I64, F16, F32, F64, BF, C64},
    /* i32  */ {I32, I32, I32, I64, F32, I32, I32, I32, I64, F16, F32, F64, BF, C64},
    /* i64  */ {I64, I64, I64, I64, F32, I64, I64, I64, I64, F16, F32, F64, BF, C64},
    /* f16  */ {F16, F16, F16, F16, F16, F16, F16, F16, F16, F16, F32, F64, F32, C64},
    /* f32  */ {F32, F32, F32, F32, F32, F32, F32, F32, F32, F32, F32, F64, F32, C64},
    /* f64  */ {F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, C64},
    /* bf16 */ {BF, BF, BF, BF, BF, BF, BF, BF, BF, F32, F32, F64, BF, C64},
    /* c64  */ {C64, C64, C64, C64, C64, C64, C64, C64, C64, C64, C64, C64, C64, C64},
};

mx_dtype mx_promote_types(mx_dtype a, mx_dtype b) { return (mx_dtype)promote[a][b]; }

/* ---- categories ---- */
static const char *cat_names[] = {"complexfloating", "floating",        "inexact", "signedinteger",
                                  "unsignedinteger", "integer",         "number",  "generic"};
const char *mx_dtype_category_name(mx_dtype_category c) {
    return (unsigned)c < 8 ? cat_names[c] : "invalid";
}

/* parent of each category in the hierarchy; generic is the root */
static const int cat_parent[] = {
    [MX_COMPLEXFLOATING] = MX_INEXACT, [MX_FLOATING] = MX_INEXACT,
    [MX_INEXACT] = MX_NUMBER,          [MX_SIGNEDINTEGER] = MX_INTEGER,
    [MX_UNSIGNEDINTEGER] = MX_INTEGER, [MX_INTEGER] = MX_NUMBER,
    [MX_NUMBER] = MX_GENERIC,          [MX_GENERIC] = -1,
};

bool mx_category_issub(mx_dtype_category a, mx_dtype_category b) {
    for (int c = (int)a; c >= 0; c = cat_parent[c])
        if (c == (int)b) return true;
    return false;
}

mx_dtype_category mx_dtype_category_of(mx_dtype t) {
    if (t == MX_BOOL) return MX_GENERIC;
    if (mx_dtype_is_signed(t)) return MX_SIGNEDINTEGER;
    if (mx_dtype_is_int(t)) return MX_UNSIGNEDINTEGER;
    if (mx_dtype_is_complex(t)) return MX_COMPLEXFLOATING;
    return MX_FLOATING;
}

bool mx_issubdtype(mx_dtype t, mx_dtype_category c) {
    return mx_category_issub(mx_dtype_category_of(t), c);
}

/* ---- half conversions (exported wrappers of the inline ones in half.h) ---- */
float mx_f16_to_f32(mx_float16 h) { return mx_half_to_float(h); }
mx_float16 mx_f32_to_f16(float f) { return mx_float_to_half(f); }
float mx_bf16_to_f32(mx_bfloat16 h) { return mx_bf16_to_float(h); }
mx_bfloat16 mx_f32_to_bf16(float f) { return mx_float_to_bf16(f); }
