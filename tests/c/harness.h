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

/* Printed failures are capped per test (T_MAX_PRINTED; the runner prints "... N more"): t_fail()
 * counts one failure and says whether to print it. T_FAIL(fmt, ...) counts and prints one line. */
#define T_MAX_PRINTED 10
int t_fail(void);
#define T_FAIL(...)                                                                                \
    do {                                                                                           \
        if (t_fail()) {                                                                            \
            fprintf(stderr, "  FAIL " __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond) && t_fail())                                                                   \
            fprintf(stderr, "  FAIL %s:%d: %s  [last error: %s]\n", __FILE__, __LINE__, #cond,     \
                    mx_error_message());                                                           \
    } while (0)

#define CHECK_CLOSE(a, b, atol, rtol)                                                              \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!((isnan(a_) && isnan(b_)) || (a_ == b_) ||                                            \
              fabs(a_ - b_) <= (atol) + (rtol) * fabs(b_)) &&                                      \
            t_fail())                                                                              \
            fprintf(stderr, "  FAIL %s:%d: %s = %.17g, expected %.17g\n", __FILE__, __LINE__, #a,  \
                    a_, b_);                                                                       \
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
/* Devices. Tests run their ops on MX_DEFAULT_STREAM: the GPU when there is one (the CPU with
 * MX_DEFAULT_DEVICE=cpu). The GPU refuses float64 as MLX does ("[op] float64 is not supported on
 * the GPU"), so float64 work (references, float64 subjects, reading) goes to T_CPU, a CPU stream
 * of the harness's own, either explicitly (ops taking T_CPU) or, for code that uses the default
 * stream (transforms, callbacks), between t_cpu_begin() and t_cpu_end(): the CPU is then the
 * default device and T_CPU its default stream (MLX's `with mx.stream(mx.cpu)`); they nest, and
 * the runner fails a test that leaves it on. */
mx_stream t_cpu(void);
#define T_CPU t_cpu()
void t_cpu_begin(void);
void t_cpu_end(void);
/* Tests that check a float64 reference (finite differences, exact values) and exercise the
 * default device run their body twice: `for (int pass = 0; pass < 2; pass++) { t_pass_begin(pass);
 * ... t_pass_end(pass); }`: pass 0 in float64 on the CPU (t_cpu_begin), pass 1 in float32 on the
 * default device. t_dt is the current pass's dtype (float64 outside passes). */
extern mx_dtype t_dt;
/* the tolerance for the current pass */
#define T_TOL(tol64, tol32) (t_dt == MX_FLOAT64 ? (tol64) : (tol32))
void t_pass_begin(int pass);
void t_pass_end(int pass);
/* 1 when the default device is the GPU */
int t_gpu_default(void);
/* T_CPU for float64, else the default stream: where work in dtype dt can run */
mx_stream t_stream_for(mx_dtype dt);
/* When there is a GPU: evaluating a (built on mx_stream_of_device(MX_GPU) from float64 data) must
 * fail with MX_ERR_VALUE "[op] float64 is not supported on the GPU ..."; releases a. */
void t_check_gpu_refuses_f64(mx_array *a, const char *what);
#define T_GPU mx_stream_of_device(MX_GPU)
/* 1 when this build and machine have a GPU */
int t_has_gpu(void);

/* float32 array from values */
mx_array *t_f32(const float *v, const int64_t *shape, int ndim);
mx_array *t_f64(const double *v, const int64_t *shape, int ndim);
mx_array *t_i32(const int32_t *v, const int64_t *shape, int ndim);
/* an array of dtype dt holding the values v (converted on the host, or on T_CPU) */
mx_array *t_array(const double *v, const int64_t *shape, int ndim, mx_dtype dt);
/* evaluate and read all elements as double (row-major, through T_CPU); returns count, -1 on error */
int64_t t_read(mx_array *a, double *out, int64_t max);
/* shape equals */
int t_shape_is(mx_array *a, const int64_t *shape, int ndim);

/* VJP (with a fixed cotangent u) and JVP (along each e_i) of f at x against central differences
 * of sum(u * f(x)), all in float64 on T_CPU (t_cpu_begin), relative tolerance tol; then the same
 * VJP and JVPs in float32 on the default device against the float64 ones (relative tolerance
 * T_FD_TOL32, or tol32 for t_check_fd32). f builds its ops on MX_DEFAULT_STREAM and keeps x's
 * dtype (constants in x's dtype). */
typedef mx_array *(*t_fx_fn)(mx_array *x);
#define T_FD_TOL32 2e-4
/* the mx_func calling a t_fx_fn passed as ctx */
mx_status t_call_fx(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out, int max);
void t_check_fd(const char *name, t_fx_fn f, const double *x, const int64_t *shape, int nd,
                double tol);
void t_check_fd32(const char *name, t_fx_fn f, const double *x, const int64_t *shape, int nd,
                  double tol, double tol32);

#endif
