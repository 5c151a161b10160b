/* src/prims/linalg_params.h: plain-data params of the linalg primitives (linalg.def). */
#ifndef MX_LINALG_PARAMS_H
#define MX_LINALG_PARAMS_H

/* ADDMM: out = alpha * (a @ b) + beta * c, inputs (a, b, c), c already broadcast to the output. */
typedef struct mx_addmm_params {
    double alpha, beta;
} mx_addmm_params;

#endif
