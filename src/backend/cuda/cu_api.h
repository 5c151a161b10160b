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

/* ---- kernel families of cu_random.cu, cu_scan.cu, cu_index.cu, cu_sort.cu (cuda_families.c) ----
 * dtype arguments are mx_dtype values; strides are in elements; every launcher guards its indices
 * and returns 0 at once for empty work. */

/* RANDOM_BITS: keys dense (nkeys, 2) uint32; out gets bytes_per_key bytes per key, laid out as
 * the CPU kernel (src/backend/cpu/random.c) does, so both give identical bits. */
int mx_cu_random_bits(void *out, const uint32_t *keys, int64_t nkeys, int64_t bytes_per_key,
                      void *stream);

/* A strided walk over `rows` positions (the row-major order of shape[0..ndim)), each a run of n
 * elements `stride` apart: used by ARG_REDUCE. */
typedef struct mx_cu_rows {
    int     ndim;
    int64_t rows, n, stride;
    int64_t shape[MX_CU_MAX_DIMS];
    int64_t strides[MX_CU_MAX_DIMS];
} mx_cu_rows;
/* argmin (is_max 0) / argmax along each row of `in` into uint32 out[rows]: first index on ties,
 * the first NaN wins (as the CPU kernel). Not for complex64 / float64. */
int mx_cu_arg_reduce(int dtype, int is_max, uint32_t *out, const void *in, const mx_cu_rows *r,
                     void *stream);
/* has the GPU a scan kernel for (kind MX_SCAN_*, dtype)? (the CPU kernel's table) */
int mx_cu_has_scan(int kind, int dtype);
/* SCAN of a row-contiguous (outer, n, inner) array along n, into out of the same layout. */
int mx_cu_scan(int kind, int dtype, int reverse, int inclusive, void *out, const void *in,
               int64_t outer, int64_t n, int64_t inner, void *stream);

/* GATHER / SCATTER: nb batch dims (bshape, shared by the index arrays, with their strides) and
 * the nd dims of a (its shape, the strides of the array written or read), slice sizes per dim. */
typedef struct mx_cu_gather {
    int         nb, nd, n_idx, reduce;
    int64_t     bshape[MX_CU_MAX_DIMS];
    int64_t     slice[MX_CU_MAX_DIMS];
    int64_t     a_shape[MX_CU_MAX_DIMS];
    int64_t     a_strides[MX_CU_MAX_DIMS];  /* gather: of a; scatter: of the output */
    int64_t     u_strides[MX_CU_MAX_DIMS];  /* scatter: updates over nb + nd dims */
    int32_t     axes[MX_CU_MAX_DIMS];
    int32_t     idx_dtype[MX_CU_MAX_DIMS];
    int64_t     idx_strides[MX_CU_MAX_DIMS][MX_CU_MAX_DIMS];
    const void *idx[MX_CU_MAX_DIMS];
} mx_cu_gather;
/* out (row-major, nB * prod(slice) elements) = gather of a */
int mx_cu_gather_run(int elem_size, void *out, const void *a, const mx_cu_gather *g, void *stream);
/* out (already holding a) combined with the updates (reduce MX_SCATTER_*), atomically */
int mx_cu_scatter_run(int dtype, void *out, const void *upd, const mx_cu_gather *g, void *stream);

/* GATHER_AXIS / SCATTER_AXIS over shape[0..ndim) (the output's, resp. the indices'). */
typedef struct mx_cu_axis {
    int     ndim, axis, idx_dtype;
    int64_t dim; /* length of the indexed axis (a's, resp. the output's) */
    int64_t shape[MX_CU_MAX_DIMS];
    int64_t src_strides[MX_CU_MAX_DIMS]; /* gather: a; scatter: values */
    int64_t idx_strides[MX_CU_MAX_DIMS];
    int64_t dst_strides[MX_CU_MAX_DIMS]; /* scatter: the output */
} mx_cu_axis;
int mx_cu_gather_axis(int elem_size, void *out, const void *a, const void *idx,
                      const mx_cu_axis *g, void *stream);
int mx_cu_scatter_axis(int elem_size, void *out, const void *val, const void *idx,
                       const mx_cu_axis *g, void *stream);

/* DYNAMIC_SLICE (update = 0: iterate the output, read a at start + pos) and DYNAMIC_SLICE_UPDATE
 * (update = 1: iterate the update, write the output at start + pos). Starts are read from the
 * device array `start` (naxes integers of start_dtype, start_stride apart), wrapped once and
 * clamped into [0, dim - shape] on the device. */
typedef struct mx_cu_dyn {
    int     ndim, naxes, start_dtype, update;
    int64_t start_stride;
    int64_t shape[MX_CU_MAX_DIMS];       /* iteration shape */
    int64_t dim[MX_CU_MAX_DIMS];         /* the full array's shape */
    int64_t src_strides[MX_CU_MAX_DIMS];
    int64_t dst_strides[MX_CU_MAX_DIMS];
    int32_t axes[MX_CU_MAX_DIMS];
} mx_cu_dyn;
int mx_cu_dynamic_slice(int elem_size, void *dst, const void *src, const void *start,
                        const mx_cu_dyn *d, void *stream);

/* PAD: out (row-major, shape) from in (in_shape, in_strides) padded by lo (mode MX_PAD_*);
 * constant mode reads the value from the device pointer `value`. */
typedef struct mx_cu_pad {
    int     ndim, mode;
    int64_t shape[MX_CU_MAX_DIMS];
    int64_t in_shape[MX_CU_MAX_DIMS];
    int64_t in_strides[MX_CU_MAX_DIMS];
    int64_t lo[MX_CU_MAX_DIMS];
} mx_cu_pad;
int mx_cu_pad_run(int elem_size, void *out, const void *in, const void *value, const mx_cu_pad *p,
                  void *stream);

/* SORT (arg 0: values) / ARGSORT (arg 1: uint32 indices) of each row of a row-contiguous
 * (rows, n) array into out (rows, n): stable, NaN last, -0.0 == 0.0, complex lexicographic. */
int mx_cu_sort_rows(int dtype, int arg, void *out, const void *in, int64_t rows, int64_t n,
                    void *stream);

const char *mx_cu_error_string(int err);

#ifdef __cplusplus
}
#endif
#endif
