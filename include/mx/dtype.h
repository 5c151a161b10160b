/* include/mx/dtype.h: element types, their sizes and categories, and MLX's promotion lattice.
 *
 * The order of mx_dtype is MLX's (Dtype::Val) and is part of the ABI. float16 and bfloat16 are
 * stored as 16-bit patterns (mx_float16 / mx_bfloat16) and computed through float on the CPU.
 */
#ifndef MX_DTYPE_H
#define MX_DTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mx_dtype {
    MX_BOOL = 0,
    MX_UINT8,
    MX_UINT16,
    MX_UINT32,
    MX_UINT64,
    MX_INT8,
    MX_INT16,
    MX_INT32,
    MX_INT64,
    MX_FLOAT16,
    MX_FLOAT32,
    MX_FLOAT64,
    MX_BFLOAT16,
    MX_COMPLEX64,
    MX_NUM_DTYPES
} mx_dtype;

typedef uint16_t mx_float16;  /* IEEE binary16 bit pattern */
typedef uint16_t mx_bfloat16; /* bfloat16 bit pattern (upper half of a float32) */

/* MLX's DtypeCategory, in MLX's order. */
typedef enum mx_dtype_category {
    MX_COMPLEXFLOATING = 0,
    MX_FLOATING,
    MX_INEXACT,
    MX_SIGNEDINTEGER,
    MX_UNSIGNEDINTEGER,
    MX_INTEGER,
    MX_NUMBER,
    MX_GENERIC,
} mx_dtype_category;

size_t      mx_dtype_size(mx_dtype t);     /* bytes per element; 0 for an invalid value */
const char *mx_dtype_name(mx_dtype t);     /* "float32", "bool", ...; "invalid" if out of range */
char        mx_dtype_kind(mx_dtype t);     /* NumPy kind letter: b u i f V(bfloat16) c */
bool        mx_dtype_valid(int t);         /* t is one of the 14 dtypes */
bool        mx_dtype_is_float(mx_dtype t); /* float16, bfloat16, float32, float64 */
bool        mx_dtype_is_int(mx_dtype t);   /* signed or unsigned integer (not bool) */
bool        mx_dtype_is_signed(mx_dtype t);
bool        mx_dtype_is_complex(mx_dtype t);
bool        mx_dtype_is_inexact(mx_dtype t); /* floating or complex */
/* Parse "float32" etc. Returns false for an unknown name. */
bool        mx_dtype_from_name(const char *name, mx_dtype *out);

/* MLX promote_types: the common type of a and b (JAX-style lattice; e.g. uint64 + int8 -> float32,
 * float16 + bfloat16 -> float32, anything + complex64 -> complex64). */
mx_dtype mx_promote_types(mx_dtype a, mx_dtype b);

/* "No dtype given" for functions whose dtype argument is optional (MLX dtype=None). */
#define MX_DTYPE_AUTO ((mx_dtype)-1)

/* issubdtype over dtypes and categories. */
bool mx_issubdtype(mx_dtype t, mx_dtype_category c);
bool mx_category_issub(mx_dtype_category a, mx_dtype_category b);
/* The category a dtype belongs to most narrowly (bool -> GENERIC). */
mx_dtype_category mx_dtype_category_of(mx_dtype t);
const char *mx_dtype_category_name(mx_dtype_category c);

/* float16 / bfloat16 conversions (round to nearest even; NaN stays NaN). */
float       mx_f16_to_f32(mx_float16 h);
mx_float16  mx_f32_to_f16(float f);
float       mx_bf16_to_f32(mx_bfloat16 h);
mx_bfloat16 mx_f32_to_bf16(float f);

#ifdef __cplusplus
}
#endif
#endif
