/* src/backend/cpu/gemm.c: the CPU batched matrix-product engine behind the MATMUL and ADDMM
 * kernels (src/backend/cpu/linalg.c), on OpenBLAS.
 *
 *  - Each operand's last two axes are handed to BLAS as they lie when they are row-contiguous
 *    (NoTrans, ld = row stride) or column-contiguous (CblasTrans, ld = column stride); any other
 *    layout (negative or zero strides inside the matrix, overlapping rows) and every float16 /
 *    bfloat16 operand is first copied / converted to a dense row-major (float32) scratch. Scratch
 *    copies skip broadcast batch axes: a stride-0 batch axis stays stride 0 and is never expanded.
 *  - Batches: when b's batch axes are all broadcast and a's batch axes are contiguous with its rows
 *    (x @ W), the batch folds into M and one gemm runs. Otherwise the broadcast batch is walked;
 *    many small products are spread over the thread pool with OpenBLAS held to one thread (the
 *    evaluator lock serialises kernels, so nothing else calls BLAS meanwhile); large products run
 *    one after another, each threaded inside OpenBLAS.
 *  - M == 1 or N == 1 uses gemv; K == 0 writes beta * c (or zeros).
 */
#include <cblas.h>
#include <complex.h>
#include <limits.h>
#include <string.h>

#include "cpu_impl.h"

/* OpenBLAS extensions (also declared by OpenBLAS's cblas.h). */
void openblas_set_num_threads(int num_threads);
int  openblas_get_num_threads(void);

/* Shared with linalg.c (no header of its own: see the family's report). */
mx_status mx_cpu_gemm(const char *op, const mx_layout *a, const mx_layout *b, const mx_layout *c,
                      double alpha, double beta, mx_layout *out);

/* Products of at most this many multiply-adds are "small": batched ones go to the pool (OpenBLAS
 * itself runs products below 64^3 on one thread). */
#define SMALL_MNK (64 * 64 * 64)

/* Products per pool chunk: ~30 us of work, counting ~2048 multiply-adds of call overhead each. */
static int64_t small_grain(int64_t mnk) { return 131072 / (mnk + 2048) + 1; }

typedef struct operand {
    const char *base;                 /* element [0, ..., 0] (bytes) */
    int64_t     bstride[MX_MAX_DIMS]; /* batch strides (elements); 0 = broadcast */
    int64_t     rs, cs;               /* matrix row / column strides (elements) */
    int         trans;                /* 0: row-major with ld; 1: column-major with ld */
    int64_t     ld;
    mx_layout   tmp;                  /* scratch copy (tmp.buf NULL when none) */
} operand;

/* Can BLAS read the R x C matrix with strides (rs, cs) as it lies? Sets trans and ld. */
static bool classify(int64_t R, int64_t C, int64_t rs, int64_t cs, operand *o) {
    int64_t mc = C > 1 ? C : 1, mr = R > 1 ? R : 1;
    if ((C <= 1 || cs == 1) && (R <= 1 || rs >= mc)) {
        o->trans = 0;
        o->ld = R <= 1 ? mc : rs;
        o->rs = R <= 1 ? mc : rs;
        o->cs = 1;
        return o->ld <= INT_MAX;
    }
    if ((R <= 1 || rs == 1) && (C <= 1 || cs >= mr)) {
        o->trans = 1;
        o->ld = C <= 1 ? mr : cs;
        o->rs = 1;
        o->cs = C <= 1 ? mr : cs;
        return o->ld <= INT_MAX;
    }
    return false;
}

/* Prepare x (shape (batch..., R, C)) for compute dtype ct. On success the caller releases
 * o->tmp.buf (NULL-safe). */
static mx_status prep_operand(const mx_layout *x, mx_dtype ct, operand *o) {
    memset(o, 0, sizeof *o);
    int nd = x->m.ndim, nb = nd - 2;
    int64_t R = x->m.shape[nd - 2], C = x->m.shape[nd - 1];
    if (x->m.dtype == ct && classify(R, C, x->strides[nd - 2], x->strides[nd - 1], o)) {
        o->base = (const char *)mx_layout_ptr(x);
        for (int d = 0; d < nb; d++) o->bstride[d] = x->m.shape[d] == 1 ? 0 : x->strides[d];
        return MX_OK;
    }
    /* dense row-major copy of the distinct matrices only (broadcast batch axes -> extent 1) */
    mx_layout red = *x;
    for (int d = 0; d < nb; d++)
        if (x->strides[d] == 0) red.m.shape[d] = 1;
    mx_layout_update_flags(&red);
    o->tmp.m = red.m;
    o->tmp.m.dtype = ct;
    MX_TRY(mx_layout_alloc(&o->tmp));
    if (mx_meta_size(&red.m) > 0) {
        if (x->m.dtype == ct) mx_cpu_copy_into(&red, &o->tmp);
        else mx_cpu_convert_into(&red, &o->tmp);
    }
    o->base = (const char *)mx_layout_ptr(&o->tmp);
    for (int d = 0; d < nb; d++) o->bstride[d] = red.m.shape[d] == 1 ? 0 : o->tmp.strides[d];
    classify(R, C, o->tmp.strides[nd - 2], o->tmp.strides[nd - 1], o); /* row-major: always ok */
    return MX_OK;
}

/* ---- one product: C (M x N, row-major, ldc = N) = alpha * A @ B + beta * C ---- */
typedef struct gemm_job {
    mx_dtype       ct;
    int            M, N, K;
    const operand *A, *B;
    char          *C;       /* output base (bytes) */
    size_t         isz;
    double         alpha, beta;
    int            nbd;     /* batch dims */
    const int64_t *bshape;  /* batch extents */
} gemm_job;

#define TR(t) ((t) ? CblasTrans : CblasNoTrans)

static void product(const gemm_job *j, const char *pa, const char *pb, char *pc) {
    const operand *A = j->A, *B = j->B;
    int M = j->M, N = j->N, K = j->K;
    int lda = (int)A->ld, ldb = (int)B->ld;
    /* vector increments (classify makes them positive) */
    int inca = K > 1 ? (int)A->cs : 1, incb = K > 1 ? (int)B->rs : 1;
    switch (j->ct) {
    case MX_FLOAT32: {
        float al = (float)j->alpha, be = (float)j->beta;
        const float *a = (const float *)pa, *b = (const float *)pb;
        float *c = (float *)pc;
        if (N == 1) {
            if (!A->trans) cblas_sgemv(CblasRowMajor, CblasNoTrans, M, K, al, a, lda, b, incb, be, c, 1);
            else cblas_sgemv(CblasRowMajor, CblasTrans, K, M, al, a, lda, b, incb, be, c, 1);
        } else if (M == 1) {
            if (!B->trans) cblas_sgemv(CblasRowMajor, CblasTrans, K, N, al, b, ldb, a, inca, be, c, 1);
            else cblas_sgemv(CblasRowMajor, CblasNoTrans, N, K, al, b, ldb, a, inca, be, c, 1);
        } else {
            cblas_sgemm(CblasRowMajor, TR(A->trans), TR(B->trans), M, N, K, al, a, lda, b, ldb, be,
                        c, N);
        }
        break;
    }
    case MX_FLOAT64: {
        double al = j->alpha, be = j->beta;
        const double *a = (const double *)pa, *b = (const double *)pb;
        double *c = (double *)pc;
        if (N == 1) {
            if (!A->trans) cblas_dgemv(CblasRowMajor, CblasNoTrans, M, K, al, a, lda, b, incb, be, c, 1);
            else cblas_dgemv(CblasRowMajor, CblasTrans, K, M, al, a, lda, b, incb, be, c, 1);
        } else if (M == 1) {
            if (!B->trans) cblas_dgemv(CblasRowMajor, CblasTrans, K, N, al, b, ldb, a, inca, be, c, 1);
            else cblas_dgemv(CblasRowMajor, CblasNoTrans, N, K, al, b, ldb, a, inca, be, c, 1);
        } else {
            cblas_dgemm(CblasRowMajor, TR(A->trans), TR(B->trans), M, N, K, al, a, lda, b, ldb, be,
                        c, N);
        }
        break;
    }
    default: { /* complex64 */
        float _Complex al = (float)j->alpha, be = (float)j->beta;
        if (N == 1) {
            if (!A->trans) cblas_cgemv(CblasRowMajor, CblasNoTrans, M, K, &al, pa, lda, pb, incb, &be, pc, 1);
            else cblas_cgemv(CblasRowMajor, CblasTrans, K, M, &al, pa, lda, pb, incb, &be, pc, 1);
        } else if (M == 1) {
            if (!B->trans) cblas_cgemv(CblasRowMajor, CblasTrans, K, N, &al, pb, ldb, pa, inca, &be, pc, 1);
            else cblas_cgemv(CblasRowMajor, CblasNoTrans, N, K, &al, pb, ldb, pa, inca, &be, pc, 1);
        } else {
            cblas_cgemm(CblasRowMajor, TR(A->trans), TR(B->trans), M, N, K, &al, pa, lda, pb, ldb,
                        &be, pc, N);
        }
        break;
    }
    }
}

/* Products [b0, b1) of the batch (row-major batch index). */
static void batch_range(void *ctx, int64_t b0, int64_t b1) {
    const gemm_job *j = ctx;
    int64_t idx[MX_MAX_DIMS] = {0};
    int64_t rem = b0;
    for (int d = j->nbd - 1; d >= 0; d--) {
        idx[d] = rem % j->bshape[d];
        rem /= j->bshape[d];
    }
    size_t isz = j->isz;
    int64_t mn = (int64_t)j->M * j->N;
    for (int64_t bi = b0; bi < b1; bi++) {
        int64_t oa = 0, ob = 0;
        for (int d = 0; d < j->nbd; d++) {
            oa += idx[d] * j->A->bstride[d];
            ob += idx[d] * j->B->bstride[d];
        }
        product(j, j->A->base + oa * (int64_t)isz, j->B->base + ob * (int64_t)isz,
                j->C + bi * mn * (int64_t)isz);
        for (int d = j->nbd - 1; d >= 0; d--) {
            if (++idx[d] < j->bshape[d]) break;
            idx[d] = 0;
        }
    }
}

/* Can a's batch fold into its rows (b broadcast over the whole batch)? */
static bool can_fold(const operand *A, const operand *B, const int64_t *bshape, int nbd, int64_t M) {
    if (nbd == 0 || A->trans) return false;
    for (int d = 0; d < nbd; d++)
        if (bshape[d] > 1 && B->bstride[d] != 0) return false;
    int64_t expect = A->ld * M;
    for (int d = nbd - 1; d >= 0; d--) {
        if (bshape[d] == 1) continue;
        if (A->bstride[d] != expect) return false;
        expect *= bshape[d];
    }
    return true;
}

/* alpha * a @ b + beta * c into out (out->m set; allocated here). a: (batch..., M, K),
 * b: (batch..., K, N), c: NULL or a view of out's shape. All of out's dtype. */
mx_status mx_cpu_gemm(const char *op, const mx_layout *a, const mx_layout *b, const mx_layout *c,
                      double alpha, double beta, mx_layout *out) {
    MX_TRY(mx_layout_alloc(out));
    int nd = out->m.ndim, nbd = nd - 2;
    int64_t M = out->m.shape[nd - 2], N = out->m.shape[nd - 1], K = a->m.shape[nd - 1];
    int64_t total = mx_meta_size(&out->m);
    if (total == 0) return MX_OK;
    mx_dtype ot = out->m.dtype;
    mx_dtype ct = (ot == MX_FLOAT16 || ot == MX_BFLOAT16) ? MX_FLOAT32 : ot;
    MX_CHECK(ct == MX_FLOAT32 || ct == MX_FLOAT64 || ct == MX_COMPLEX64, MX_ERR_UNSUPPORTED,
             "[%s] no CPU kernel for %s", op, mx_dtype_name(ot));
    MX_CHECK(M <= INT_MAX && N <= INT_MAX && K <= INT_MAX, MX_ERR_UNSUPPORTED,
             "[%s] matrix dimensions above %d are not supported by BLAS", op, INT_MAX);

    /* the result buffer products are written to: out itself, or a float32 scratch */
    mx_layout acc = *out, acc_tmp = {0};
    if (ct != ot) {
        acc_tmp.m = out->m;
        acc_tmp.m.dtype = ct;
        MX_TRY(mx_layout_alloc(&acc_tmp));
        acc = acc_tmp;
    }
    bool use_c = c && beta != 0;
    if (use_c) { /* acc = c (converted), then the products accumulate with beta */
        if (c->m.dtype == ct) mx_cpu_copy_into(c, &acc);
        else mx_cpu_convert_into(c, &acc);
    } else {
        beta = 0;
    }
    size_t isz = mx_dtype_size(ct);
    mx_status st = MX_OK;

    if (K == 0) { /* empty sum: beta * c or zeros */
        if (!use_c) memset(mx_layout_ptr(&acc), 0, (size_t)total * isz);
        else if (beta != 1) {
            char *p = mx_layout_ptr(&acc);
            for (int64_t i = 0; i < total; i++) {
                if (ct == MX_FLOAT32) ((float *)p)[i] *= (float)beta;
                else if (ct == MX_FLOAT64) ((double *)p)[i] *= beta;
                else ((float _Complex *)p)[i] *= (float)beta;
            }
        }
    } else {
        operand A, B;
        memset(&B, 0, sizeof B);
        st = prep_operand(a, ct, &A);
        if (st == MX_OK) st = prep_operand(b, ct, &B);
        if (st == MX_OK) {
            int64_t nbatch = 1;
            for (int d = 0; d < nbd; d++) nbatch *= out->m.shape[d];
            gemm_job j = {.ct = ct, .M = (int)M, .N = (int)N, .K = (int)K, .A = &A, .B = &B,
                          .C = (char *)mx_layout_ptr(&acc), .isz = isz, .alpha = alpha,
                          .beta = beta, .nbd = nbd, .bshape = out->m.shape};
            if (nbatch > 1 && can_fold(&A, &B, out->m.shape, nbd, M) && M * nbatch <= INT_MAX) {
                j.M = (int)(M * nbatch);
                j.nbd = 0;
                batch_range(&j, 0, 1);
            } else if (M * N * K <= SMALL_MNK && mx_pool_threads() > 1 &&
                       nbatch >= 2 * small_grain(M * N * K)) {
                int saved = openblas_get_num_threads();
                openblas_set_num_threads(1);
                mx_parallel_for(nbatch, small_grain(M * N * K), batch_range, &j);
                openblas_set_num_threads(saved);
            } else {
                batch_range(&j, 0, nbatch);
            }
        }
        mx_buffer_release(A.tmp.buf);
        mx_buffer_release(B.tmp.buf);
    }
    if (acc_tmp.buf) {
        if (st == MX_OK) mx_cpu_convert_into(&acc_tmp, out);
        mx_buffer_release(acc_tmp.buf);
    }
    return st;
}
