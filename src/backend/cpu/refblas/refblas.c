/* src/backend/cpu/refblas/refblas.c: reference GEMM/GEMV for builds without OpenBLAS (see
 * cblas.h beside it). Row-major and column-major, with transposes, in plain loops (i-k-j order so
 * the inner loop is contiguous for the common case). Also no-op thread-count hooks. */
#include <complex.h>

#include "cblas.h"

void openblas_set_num_threads(int n);
int  openblas_get_num_threads(void);
void openblas_set_num_threads(int n) { (void)n; }
int  openblas_get_num_threads(void) { return 1; }

/* element (i, j) of an M x N operand stored with leading dimension ld, maybe transposed */
#define AT(P, row_major, trans, ld, i, j)                                                          \
    ((row_major) != ((trans) != CblasNoTrans) ? (P)[(long)(i) * (ld) + (j)] : (P)[(long)(j) * (ld) + (i)])

#define GEMM(NAME, T, CONJ)                                                                        \
    static void NAME##_impl(int rm, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint M, blasint N,  \
                            blasint K, T alpha, const T *A, blasint lda, const T *B, blasint ldb,  \
                            T beta, T *C, blasint ldc) {                                           \
        for (blasint i = 0; i < M; i++) {                                                          \
            for (blasint j = 0; j < N; j++) {                                                      \
                T *c = rm ? &C[(long)i * ldc + j] : &C[(long)j * ldc + i];                         \
                *c = beta == (T)0 ? (T)0 : *c * beta;                                              \
            }                                                                                      \
            for (blasint k = 0; k < K; k++) {                                                      \
                T a = AT(A, rm, ta, lda, i, k);                                                    \
                if (ta == CblasConjTrans) a = CONJ(a);                                             \
                a *= alpha;                                                                        \
                for (blasint j = 0; j < N; j++) {                                                  \
                    T b = AT(B, rm, tb, ldb, k, j);                                                \
                    if (tb == CblasConjTrans) b = CONJ(b);                                         \
                    T *c = rm ? &C[(long)i * ldc + j] : &C[(long)j * ldc + i];                     \
                    *c += a * b;                                                                   \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }
#define NOCONJ(x) (x)
GEMM(sg, float, NOCONJ)
GEMM(dg, double, NOCONJ)
GEMM(cg, float _Complex, conjf)

void cblas_sgemm(CBLAS_ORDER o, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint M, blasint N,
                 blasint K, float alpha, const float *A, blasint lda, const float *B, blasint ldb,
                 float beta, float *C, blasint ldc) {
    sg_impl(o == CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void cblas_dgemm(CBLAS_ORDER o, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint M, blasint N,
                 blasint K, double alpha, const double *A, blasint lda, const double *B,
                 blasint ldb, double beta, double *C, blasint ldc) {
    dg_impl(o == CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void cblas_cgemm(CBLAS_ORDER o, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint M, blasint N,
                 blasint K, const void *alpha, const void *A, blasint lda, const void *B,
                 blasint ldb, const void *beta, void *C, blasint ldc) {
    cg_impl(o == CblasRowMajor, ta, tb, M, N, K, *(const float _Complex *)alpha, A, lda, B, ldb,
            *(const float _Complex *)beta, C, ldc);
}

/* y = alpha * op(A) x + beta * y, as a gemm with one column */
#define GEMV(NAME, GEMMF, T)                                                                       \
    void NAME(CBLAS_ORDER o, CBLAS_TRANSPOSE t, blasint M, blasint N, T alpha, const T *A,       \
              blasint lda, const T *x, blasint incx, T beta, T *y, blasint incy) {                 \
        blasint rows = t == CblasNoTrans ? M : N, cols = t == CblasNoTrans ? N : M;                \
        int rm = o == CblasRowMajor;                                                               \
        for (blasint i = 0; i < rows; i++) {                                                       \
            T acc = 0;                                                                             \
            for (blasint k = 0; k < cols; k++) acc += AT(A, rm, t, lda, i, k) * x[(long)k * incx]; \
            y[(long)i * incy] = alpha * acc + (beta == (T)0 ? (T)0 : beta * y[(long)i * incy]);    \
        }                                                                                          \
    }
GEMV(cblas_sgemv, sg, float)
GEMV(cblas_dgemv, dg, double)

void cblas_cgemv(CBLAS_ORDER o, CBLAS_TRANSPOSE t, blasint M, blasint N, const void *alpha,
                 const void *A, blasint lda, const void *x, blasint incx, const void *beta,
                 void *y, blasint incy) {
    const float _Complex *a = A, *xv = x, al = *(const float _Complex *)alpha,
                         be = *(const float _Complex *)beta;
    float _Complex *yv = y;
    blasint rows = t == CblasNoTrans ? M : N, cols = t == CblasNoTrans ? N : M;
    int rm = o == CblasRowMajor;
    for (blasint i = 0; i < rows; i++) {
        float _Complex acc = 0;
        for (blasint k = 0; k < cols; k++) {
            float _Complex v = AT(a, rm, t, lda, i, k);
            if (t == CblasConjTrans) v = conjf(v);
            acc += v * xv[(long)k * incx];
        }
        yv[(long)i * incy] = al * acc + (be == 0 ? 0 : be * yv[(long)i * incy]);
    }
}
