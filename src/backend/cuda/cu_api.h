/* src/backend/cuda/cu_api.h: the boundary between the C side of the CUDA backend (cuda*.c, which
 * sees the core's structs) and the CUDA C++ kernels (*.cu, which see only these plain structs).
 * Every launcher is asynchronous on `stream` and returns a cudaError_t as an int (0 = success). */
#ifndef MX_CU_API_H
#define MX_CU_API_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MX_CU_MAX_DIMS 16
#define MX_CU_NOPS 4

/* An N-operand strided iteration space (element strides; operand 0 is the output). */
typedef struct mx_cu_nd {
    int     ndim;
    int     nops;
    int64_t n;                           /* total elements */
    int64_t shape[MX_CU_MAX_DIMS];
    int64_t strides[MX_CU_NOPS][MX_CU_MAX_DIMS];
    int     contiguous;                  /* every operand dense with stride 1 (or 0 for scalars) */
    int64_t flat_stride[MX_CU_NOPS];     /* when contiguous: 1, or 0 for a broadcast scalar */
} mx_cu_nd;

/* element-wise: op is an mx_prim_id of unary.def / binary.def; dtype the input dtype */
int mx_cu_unary(int op, int dtype, int out_dtype, void *out, const void *in, const mx_cu_nd *nd,
                void *stream);
int mx_cu_binary(int op, int dtype, int out_dtype, void *out, const void *a, const void *b,
                 const mx_cu_nd *nd, void *stream);
/* does the GPU have a kernel for (op, dtype)? */
int mx_cu_has_unary(int op, int dtype);
int mx_cu_has_binary(int op, int dtype);
int mx_cu_where(int elem_size, void *out, const void *cond, const void *x, const void *y,
                const mx_cu_nd *nd, void *stream);
int mx_cu_convert(int from, int to, void *out, const void *in, const mx_cu_nd *nd, void *stream);
int mx_cu_copy(int elem_size, void *out, const void *in, const mx_cu_nd *nd, void *stream);
int mx_cu_arange(int dtype, void *out, int64_t n, double start, double step, void *stream);

/* rows x cols, row-contiguous input; reduce each row (kind: 0 sum 1 prod 2 min 3 max 4 and 5 or)
 * writing one value per row; mean divides by cols. */
int mx_cu_reduce_rows(int kind, int mean, int dtype, void *out, const void *in, int64_t rows,
                      int64_t cols, void *stream);
/* softmax over the last axis of a row-contiguous (rows, cols) array */
int mx_cu_softmax_rows(int dtype, void *out, const void *in, int64_t rows, int64_t cols,
                       void *stream);

const char *mx_cu_error_string(int err);

#ifdef __cplusplus
}
#endif
#endif
