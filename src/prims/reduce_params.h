/* src/prims/reduce_params.h: the plain-data params of the reduce family (reduce.def). */
#ifndef MX_REDUCE_PARAMS_H
#define MX_REDUCE_PARAMS_H

#include <stdint.h>

/* reduction kinds (REDUCE) */
enum { MX_RED_SUM = 0, MX_RED_PROD, MX_RED_MIN, MX_RED_MAX, MX_RED_AND, MX_RED_OR };

/* REDUCE: input and output share the dtype; the output shape is the input shape with the reduced
 * axes set to 1 (the op removes them afterwards when keepdims is false). */
typedef struct mx_reduce_params {
    int32_t  type;  /* MX_RED_* */
    uint32_t axes;  /* bit i set: axis i is reduced */
    int32_t  mean;  /* SUM only: divide by the number of reduced elements before storing */
} mx_reduce_params;

/* ARG_REDUCE: output shape = input shape with axis set to 1; dtype uint32. */
enum { MX_ARG_MIN = 0, MX_ARG_MAX };
typedef struct mx_arg_reduce_params {
    int32_t type; /* MX_ARG_* */
    int32_t axis; /* normalised */
} mx_arg_reduce_params;

/* SCAN: same shape and dtype as the input. */
enum { MX_SCAN_SUM = 0, MX_SCAN_PROD, MX_SCAN_MAX, MX_SCAN_MIN, MX_SCAN_LOGADDEXP };
typedef struct mx_scan_params {
    int32_t type;      /* MX_SCAN_* */
    int32_t axis;      /* normalised */
    int32_t reverse;   /* scan from the end */
    int32_t inclusive; /* 0: element i holds the scan of the elements before i */
} mx_scan_params;

/* SOFTMAX (last axis): same shape and dtype (a floating type) as the input. */
typedef struct mx_softmax_params {
    int32_t precise; /* recorded for MLX parity; half types are always computed in float32 */
} mx_softmax_params;

#endif
