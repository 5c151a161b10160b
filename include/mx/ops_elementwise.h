/* include/mx/ops_elementwise.h: element-wise math (unary, binary, where, astype).
 *
 * All functions return a new reference (scope-owned inside a scope) or NULL with the thread's
 * error set. Arguments are borrowed. Binary ops promote both operands with mx_promote_types and
 * broadcast them with NumPy's rules; "FLOAT" ops compute integer and bool inputs as float32
 * (MLX's at-least-float rule). A NULL argument propagates: the op returns NULL and keeps the
 * existing error. Errors: MX_ERR_VALUE for shapes that cannot broadcast and for dtypes an op does
 * not accept, e.g. "[bitwise_and] not supported for float32".
 */
#ifndef MX_OPS_ELEMENTWISE_H
#define MX_OPS_ELEMENTWISE_H

#include "mx/array.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- unary; shape (...) -> (...) ---- */
mx_array *mx_abs(mx_array *a, mx_stream s);        /* complex64 -> float32 magnitude */
mx_array *mx_sign(mx_array *a, mx_stream s);       /* -1, 0, 1 (NaN stays NaN); complex: a/|a| */
mx_array *mx_negative(mx_array *a, mx_stream s);   /* unsigned wraps; bool not accepted */
mx_array *mx_square(mx_array *a, mx_stream s);
mx_array *mx_sqrt(mx_array *a, mx_stream s);       /* FLOAT */
mx_array *mx_rsqrt(mx_array *a, mx_stream s);      /* FLOAT: 1/sqrt(a) */
mx_array *mx_reciprocal(mx_array *a, mx_stream s); /* FLOAT: 1/a */
mx_array *mx_exp(mx_array *a, mx_stream s);        /* FLOAT */
mx_array *mx_expm1(mx_array *a, mx_stream s);      /* FLOAT */
mx_array *mx_erf(mx_array *a, mx_stream s);        /* FLOAT */
mx_array *mx_erfinv(mx_array *a, mx_stream s);     /* FLOAT; +-1 -> +-inf, outside -> NaN */
mx_array *mx_sin(mx_array *a, mx_stream s);        /* FLOAT, likewise the trigonometric family */
mx_array *mx_cos(mx_array *a, mx_stream s);
mx_array *mx_tan(mx_array *a, mx_stream s);
mx_array *mx_arcsin(mx_array *a, mx_stream s);
mx_array *mx_arccos(mx_array *a, mx_stream s);
mx_array *mx_arctan(mx_array *a, mx_stream s);
mx_array *mx_sinh(mx_array *a, mx_stream s);
mx_array *mx_cosh(mx_array *a, mx_stream s);
mx_array *mx_tanh(mx_array *a, mx_stream s);
mx_array *mx_arcsinh(mx_array *a, mx_stream s);
mx_array *mx_arccosh(mx_array *a, mx_stream s);
mx_array *mx_arctanh(mx_array *a, mx_stream s);
mx_array *mx_log(mx_array *a, mx_stream s);        /* FLOAT */
mx_array *mx_log2(mx_array *a, mx_stream s);
mx_array *mx_log10(mx_array *a, mx_stream s);
mx_array *mx_log1p(mx_array *a, mx_stream s);
mx_array *mx_sigmoid(mx_array *a, mx_stream s);    /* FLOAT: 1 / (1 + exp(-a)), stable */
mx_array *mx_floor(mx_array *a, mx_stream s);      /* integers unchanged; complex rejected */
mx_array *mx_ceil(mx_array *a, mx_stream s);
mx_array *mx_trunc(mx_array *a, mx_stream s);
mx_array *mx_round(mx_array *a, int decimals, mx_stream s); /* half to even, like NumPy */
mx_array *mx_isnan(mx_array *a, mx_stream s);      /* -> bool */
mx_array *mx_isinf(mx_array *a, mx_stream s);
mx_array *mx_isfinite(mx_array *a, mx_stream s);
mx_array *mx_isposinf(mx_array *a, mx_stream s);
mx_array *mx_isneginf(mx_array *a, mx_stream s);
mx_array *mx_logical_not(mx_array *a, mx_stream s); /* -> bool */
mx_array *mx_bitwise_invert(mx_array *a, mx_stream s); /* integers and bool */
mx_array *mx_conj(mx_array *a, mx_stream s);
mx_array *mx_real(mx_array *a, mx_stream s);       /* complex64 -> float32; real: unchanged */
mx_array *mx_imag(mx_array *a, mx_stream s);       /* complex64 -> float32; real: zeros */
mx_array *mx_positive(mx_array *a, mx_stream s);   /* a itself (a new reference) */
mx_array *mx_degrees(mx_array *a, mx_stream s);
mx_array *mx_radians(mx_array *a, mx_stream s);
/* NaN -> nan, +inf -> posinf, -inf -> neginf. Pass NAN for posinf/neginf to use the dtype's
 * largest finite values (MLX's None). Integer inputs are returned unchanged. */
mx_array *mx_nan_to_num(mx_array *a, double nan, double posinf, double neginf, mx_stream s);

/* ---- binary; (...a), (...b) -> broadcast(...) ---- */
mx_array *mx_add(mx_array *a, mx_array *b, mx_stream s);
mx_array *mx_subtract(mx_array *a, mx_array *b, mx_stream s);
mx_array *mx_multiply(mx_array *a, mx_array *b, mx_stream s);
mx_array *mx_divide(mx_array *a, mx_array *b, mx_stream s);       /* FLOAT */
mx_array *mx_floor_divide(mx_array *a, mx_array *b, mx_stream s); /* ints: Python //, x//0 = 0 */
mx_array *mx_remainder(mx_array *a, mx_array *b, mx_stream s);    /* sign of the divisor */
mx_array *mx_power(mx_array *a, mx_array *b, mx_stream s);
mx_array *mx_arctan2(mx_array *a, mx_array *b, mx_stream s);      /* FLOAT */
mx_array *mx_logaddexp(mx_array *a, mx_array *b, mx_stream s);    /* FLOAT */
mx_array *mx_minimum(mx_array *a, mx_array *b, mx_stream s);      /* NaN propagates */
mx_array *mx_maximum(mx_array *a, mx_array *b, mx_stream s);
mx_array *mx_equal(mx_array *a, mx_array *b, mx_stream s);        /* -> bool */
mx_array *mx_not_equal(mx_array *a, mx_array *b, mx_stream s);
mx_array *mx_less(mx_array *a, mx_array *b, mx_stream s);
mx_array *mx_less_equal(mx_array *a, mx_array *b, mx_stream s);
mx_array *mx_greater(mx_array *a, mx_array *b, mx_stream s);
mx_array *mx_greater_equal(mx_array *a, mx_array *b, mx_stream s);
mx_array *mx_logical_and(mx_array *a, mx_array *b, mx_stream s);  /* inputs cast to bool */
mx_array *mx_logical_or(mx_array *a, mx_array *b, mx_stream s);
mx_array *mx_logical_xor(mx_array *a, mx_array *b, mx_stream s);
mx_array *mx_bitwise_and(mx_array *a, mx_array *b, mx_stream s);  /* integers and bool */
mx_array *mx_bitwise_or(mx_array *a, mx_array *b, mx_stream s);
mx_array *mx_bitwise_xor(mx_array *a, mx_array *b, mx_stream s);
mx_array *mx_left_shift(mx_array *a, mx_array *b, mx_stream s);   /* integers; past width -> 0 */
mx_array *mx_right_shift(mx_array *a, mx_array *b, mx_stream s);
/* Writes floor_divide(a, b) and remainder(a, b) to q and r (new references). */
mx_status mx_divmod(mx_array *a, mx_array *b, mx_stream s, mx_array **q, mx_array **r);

/* ---- ternary ---- */
/* cond ? x : y, all three broadcast together; cond is cast to bool, x and y promoted. */
mx_array *mx_where(mx_array *cond, mx_array *x, mx_array *y, mx_stream s);
/* minimum(maximum(a, a_min), a_max); either bound may be NULL (but not both). */
mx_array *mx_clip(mx_array *a, mx_array *a_min, mx_array *a_max, mx_stream s);

/* ---- dtype ---- */
/* Convert to dtype (C conversion rules; float -> int truncates; complex -> real takes the real
 * part; anything -> bool is != 0). Returns a if the dtype is already right (a new reference). */
mx_array *mx_astype(mx_array *a, mx_dtype dtype, mx_stream s);

#ifdef __cplusplus
}
#endif
#endif
