/* src/backend/cpu/refblas/cblas.h: the few CBLAS declarations cmlx uses, for builds without
 * OpenBLAS (e.g. a GPU machine with no package access): refblas.c implements them with plain
 * loops. Slow but correct; the real build links OpenBLAS instead of this. */
#ifndef MX_REFBLAS_CBLAS_H
#define MX_REFBLAS_CBLAS_H

enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113 };
typedef enum CBLAS_ORDER CBLAS_ORDER;
typedef enum CBLAS_TRANSPOSE CBLAS_TRANSPOSE;
typedef int blasint;

void cblas_sgemm(CBLAS_ORDER o, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint M, blasint N,
                 blasint K, float alpha, const float *A, blasint lda, const float *B, blasint ldb,
                 float beta, float *C, blasint ldc);
void cblas_dgemm(CBLAS_ORDER o, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint M, blasint N,
                 blasint K, double alpha, const double *A, blasint lda, const double *B,
                 blasint ldb, double beta, double *C, blasint ldc);
void cblas_cgemm(CBLAS_ORDER o, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint M, blasint N,
                 blasint K, const void *alpha, const void *A, blasint lda, const void *B,
                 blasint ldb, const void *beta, void *C, blasint ldc);
void cblas_sgemv(CBLAS_ORDER o, CBLAS_TRANSPOSE t, blasint M, blasint N, float alpha,
                 const float *A, blasint lda, const float *x, blasint incx, float beta, float *y,
                 blasint incy);
void cblas_dgemv(CBLAS_ORDER o, CBLAS_TRANSPOSE t, blasint M, blasint N, double alpha,
                 const double *A, blasint lda, const double *x, blasint incx, double beta,
                 double *y, blasint incy);
void cblas_cgemv(CBLAS_ORDER o, CBLAS_TRANSPOSE t, blasint M, blasint N, const void *alpha,
                 const void *A, blasint lda, const void *x, blasint incx, const void *beta,
                 void *y, blasint incy);

#endif
