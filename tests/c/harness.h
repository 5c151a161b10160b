/* tests/c/harness.h: a dependency-free test harness. TEST(name) registers a test in the family of
 * its file (FAMILY must be defined before including); CHECK* record failures and continue. */
#ifndef MX_TEST_HARNESS_H
#define MX_TEST_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mx/mx.h"

typedef void (*test_fn)(void);
void test_register(const char *family, const char *name, test_fn fn);
extern int test_failures;

#define TEST(name)                                                                                 \
    static void test_##name(void);                                                                \
    __attribute__((constructor)) static void reg_##name(void) {                                    \
        test_register(FAMILY, #name, test_##name);                                                 \
    }                                                                                              \
    static void test_##name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  FAIL %s:%d: %s  [last error: %s]\n", __FILE__, __LINE__, #cond,     \
                    mx_error_message());                                                           \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define CHECK_CLOSE(a, b, atol, rtol)                                                              \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!((isnan(a_) && isnan(b_)) || (a_ == b_) ||                                            \
              fabs(a_ - b_) <= (atol) + (rtol) * fabs(b_))) {                                      \
            fprintf(stderr, "  FAIL %s:%d: %s = %.17g, expected %.17g\n", __FILE__, __LINE__, #a,  \
                    a_, b_);                                                                       \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

/* expr must fail with status st and a message starting with "[op]" */
#define CHECK_ERR(expr, st, op)                                                                    \
    do {                                                                                           \
        mx_error_clear();                                                                          \
        (void)(expr);                                                                              \
        CHECK(mx_error_status() == (st));                                                          \
        CHECK(strncmp(mx_error_message(), "[" op "]", strlen("[" op "]")) == 0);                   \
        mx_error_clear();                                                                          \
    } while (0)

/* ---- helpers (tests/c/main.c) ---- */
/* float32 array from values */
mx_array *t_f32(const float *v, const int64_t *shape, int ndim);
mx_array *t_f64(const double *v, const int64_t *shape, int ndim);
mx_array *t_i32(const int32_t *v, const int64_t *shape, int ndim);
/* evaluate and read all elements as double (row-major); returns count, -1 on error */
int64_t t_read(mx_array *a, double *out, int64_t max);
/* shape equals */
int t_shape_is(mx_array *a, const int64_t *shape, int ndim);

 /* VJP (with a fixed cotangent u) and JVP (along each e_i) of f at x (float64, given shape) against
 * central differences of sum(u * f(x)); relative tolerance tol. */
typedef mx_array *(*t_fx_fn)(mx_array *x);
/* the mx_func calling a t_fx_fn passed as ctx */
mx_status t_call_fx(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max);
void t_check_fd(const char *name, t_fx_fn f, const double *x, const int64_t *shape, int nd,
                double tol);

#endif
