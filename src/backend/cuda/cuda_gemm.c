/* src/backend/cuda/cuda_gemm.c: matmul and addmm through cuBLAS (float32 with TF32 only when
 * MLX_ENABLE_TF32=1, as MLX; float16 and bfloat16 accumulate in float32). Row-major products are
 * computed as column-major C^T = B^T A^T; a transposed (column-contiguous) operand is passed with
 * CUBLAS_OP_T instead of being copied; batches use one strided-batched call when the batch dims
 * collapse to one stride (0 for a broadcast operand), otherwise the operand is copied first. */
#include <cublas_v2.h>
#include <stdlib.h>
#include <string.h>

#include "../../prims/linalg_params.h"
#include "cuda_impl.h"

/* one cuBLAS handle per queue (its workspace must not be shared by concurrent streams); created
 * on first use, with the evaluator lock held */
static cublasHandle_t handles[MX_CU_QUEUES];

static mx_status handle_for_queue(const char *opname, cublasHandle_t *h) {
    int q = mx_cuda_queue();
    if (q < 0 || q >= MX_CU_QUEUES) q = 0;
    if (!handles[q]) {
        cublasStatus_t cs = cublasCreate(&handles[q]);
        if (cs != CUBLAS_STATUS_SUCCESS) {
            handles[q] = NULL;
            return mx_fail(MX_ERR_BACKEND, "[%s] cuBLAS could not be initialised (status %d)",
                           opname, (int)cs);
        }
        cublasSetStream(handles[q], mx_cuda_stream());
    }
    *h = handles[q];
    return MX_OK;
}

/* one operand: its 2-D op and leading dimension, and one batch stride (or -1 if none fits) */
typedef struct operand {
    cublasOperation_t op;
    int64_t           ld, bstride;
    const mx_layout  *v;
} operand;

static int describe(const mx_layout *v, int64_t rows, int64_t cols, int64_t batch, operand *o) {
    int nd = v->m.ndim;
    int64_t sr = v->strides[nd - 2], sc = v->strides[nd - 1];
    o->v = v;
    if ((sc == 1 || cols == 1) && (sr == cols || rows == 1)) {
        o->op = CUBLAS_OP_N;
        o->ld = cols > 0 ? cols : 1;
    } else if ((sr == 1 || rows == 1) && (sc == rows || cols == 1)) {
        o->op = CUBLAS_OP_T;
        o->ld = rows > 0 ? rows : 1;
    } else {
        return 0;
    }
    /* the batch dims must collapse to one stride (0 when the operand is broadcast) */
    o->bstride = 0;
    int64_t prev_stride = 0, prev_shape = 0;
    int first = 1;
    for (int d = nd - 3; d >= 0; d--) {
        int64_t sh = v->m.shape[d], st = v->strides[d];
        if (sh == 1) continue;
        if (first) {
            o->bstride = st;
            first = 0;
        } else if (st != prev_stride * prev_shape) {
            return 0;
        }
        prev_stride = st;
        prev_shape = sh;
    }
    (void)batch;
    return 1;
}

static cudaDataType_t cuda_type(mx_dtype t) {
    return t == MX_FLOAT16 ? CUDA_R_16F : t == MX_BFLOAT16 ? CUDA_R_16BF : t == MX_COMPLEX64 ? CUDA_C_32F : CUDA_R_32F;
}

static mx_status gemm(const char *opname, const mx_layout *a_in, const mx_layout *b_in,
                      const mx_layout *c_in, double alpha, double beta, mx_layout *out) {
    cublasHandle_t handle = NULL;
    MX_TRY(handle_for_queue(opname, &handle));
    const mx_layout *ins[2] = {a_in, b_in};
    for (int i = 0; i < 2; i++) MX_TRY(mx_cuda_no_f64(opname, ins[i], 1));
    int nd = out->m.ndim;
    int64_t M = out->m.shape[nd - 2], N = out->m.shape[nd - 1], K = a_in->m.shape[nd - 1];
    int64_t batch = 1;
    for (int d = 0; d < nd - 2; d++) batch *= out->m.shape[d];
    mx_layout ta = {0}, tb = {0};
    operand A, B;
    mx_status st = MX_OK;
    if (!describe(a_in, M, K, batch, &A)) {
        st = mx_cuda_copy_row_major(a_in, &ta);
        if (st == MX_OK) describe(&ta, M, K, batch, &A);
    }
    if (st == MX_OK && !describe(b_in, K, N, batch, &B)) {
        st = mx_cuda_copy_row_major(b_in, &tb);
        if (st == MX_OK) describe(&tb, K, N, batch, &B);
    }
    if (st == MX_OK) st = mx_cuda_alloc_out(out);
    if (st == MX_OK && c_in) { /* out starts as c (broadcast), scaled by beta in the call */
        const mx_layout *v[2] = {out, c_in};
        mx_cu_nd cn;
        mx_cuda_nd(&cn, v, 2);
        int e = mx_cu_copy((int)mx_dtype_size(out->m.dtype), mx_cuda_ptr(out), mx_cuda_ptr(c_in),
                           &cn, mx_cuda_stream());
        if (e) st = mx_cuda_status(e, "mx_cu_copy", __FILE__, __LINE__);
    } else if (st == MX_OK) {
        beta = 0;
    }
    if (st == MX_OK && mx_meta_size(&out->m) > 0) {
        mx_dtype t = out->m.dtype;
        const char *tf = getenv("MLX_ENABLE_TF32");
        cublasComputeType_t ct = (t == MX_FLOAT32 && tf && strcmp(tf, "1") == 0)
                                     ? CUBLAS_COMPUTE_32F_FAST_TF32
                                     : CUBLAS_COMPUTE_32F;
        float fa[2] = {(float)alpha, 0}, fb[2] = {(float)beta, 0};
        if (K == 0) { /* no products: out = beta * c (or zeros) */
            fa[0] = 0;
        }
        cublasStatus_t cs = cublasGemmStridedBatchedEx(
            handle, B.op, A.op, (int)N, (int)M, (int)(K ? K : 1), fa, mx_cuda_ptr(B.v), cuda_type(t),
            (int)B.ld, B.bstride, mx_cuda_ptr(A.v), cuda_type(t), (int)A.ld, A.bstride, fb,
            mx_cuda_ptr(out), cuda_type(t), (int)N, M * N, (int)batch, ct, CUBLAS_GEMM_DEFAULT);
        if (cs != CUBLAS_STATUS_SUCCESS)
            st = mx_fail(MX_ERR_BACKEND, "[%s] cuBLAS gemm failed with status %d (%s:%d)", opname,
                         (int)cs, __FILE__, __LINE__);
    }
    if (ta.buf) mx_buffer_release(ta.buf);
    if (tb.buf) mx_buffer_release(tb.buf);
    return st;
}

static mx_status matmul_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    (void)n;
    return gemm("matmul", &in[0], &in[1], NULL, 1.0, 0.0, &out[0]);
}

static mx_status addmm_kernel(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_addmm_params *p = MX_PARAMS(mx_addmm_params, n);
    return gemm("addmm", &in[0], &in[1], &in[2], p->alpha, p->beta, &out[0]);
}

void mx_cuda_register_gemm(mx_kernel_fn *k) {
    k[MX_PRIM_MATMUL] = matmul_kernel;
    k[MX_PRIM_ADDMM] = addmm_kernel;
}
