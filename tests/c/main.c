/* tests/c/main.c: runs the registered C tests. `cmlx_tests [family ...]` runs those families
 * (all when none given). Every test must leave no live arrays behind. Prints ctest-friendly
 * output (at most T_MAX_PRINTED failure lines per test) and a final "N passed, N failed" line.
 * Also the harness helpers of harness.h: arrays from values, reading, the CPU stream for float64
 * work, and the finite-difference checker. */
#include <stdlib.h>

#include "harness.h"

#define MAX_TESTS 2048
static struct {
    const char *family, *name;
    test_fn     fn;
} tests[MAX_TESTS];
static int n_tests;
int test_failures;

void test_register(const char *family, const char *name, test_fn fn) {
    if (n_tests < MAX_TESTS) tests[n_tests++] = (typeof(tests[0])){family, name, fn};
}

mx_array *t_f32(const float *v, const int64_t *shape, int ndim) {
    return mx_array_from_data(v, shape, ndim, MX_FLOAT32);
}
mx_array *t_f64(const double *v, const int64_t *shape, int ndim) {
    return mx_array_from_data(v, shape, ndim, MX_FLOAT64);
}
mx_array *t_i32(const int32_t *v, const int64_t *shape, int ndim) {
    return mx_array_from_data(v, shape, ndim, MX_INT32);
}

/* ---- devices ---- */
mx_stream t_cpu(void) {
    static mx_stream cpu = {-1, MX_CPU};
    if (cpu.index < 0) {
        mx_device d = {MX_CPU, 0};
        if (mx_new_stream(d, &cpu) != MX_OK) cpu = mx_stream_of_device(MX_CPU);
    }
    return cpu;
}

static int       cpu_depth;
static mx_device saved_device;
static mx_stream saved_cpu_stream;

void t_cpu_begin(void) {
    if (cpu_depth++ > 0) return;
    saved_device = mx_default_device();
    saved_cpu_stream = mx_default_stream(MX_CPU);
    mx_device cpu = {MX_CPU, 0};
    mx_set_default_device(cpu);
    mx_set_default_stream(t_cpu());
}

void t_cpu_end(void) {
    if (cpu_depth <= 0 || --cpu_depth > 0) return;
    mx_set_default_stream(saved_cpu_stream);
    mx_set_default_device(saved_device);
}

mx_dtype t_dt = MX_FLOAT64;

void t_pass_begin(int pass) {
    t_dt = pass ? MX_FLOAT32 : MX_FLOAT64;
    if (!pass) t_cpu_begin();
}

void t_pass_end(int pass) {
    if (!pass) t_cpu_end();
    t_dt = MX_FLOAT64;
}

int t_gpu_default(void) { return mx_default_device().type == MX_GPU; }

mx_stream t_stream_for(mx_dtype dt) { return dt == MX_FLOAT64 ? t_cpu() : MX_DEFAULT_STREAM; }

int t_has_gpu(void) { return mx_device_count(MX_GPU) > 0; }

void t_check_gpu_refuses_f64(mx_array *a, const char *what) {
    mx_error_clear();
    mx_status st = a ? mx_eval(&a, 1) : mx_error_status();
    if (st != MX_ERR_VALUE || !strstr(mx_error_message(), "float64 is not supported on the GPU"))
        T_FAIL("%s: expected the GPU to refuse float64, got status %d [%s]", what, (int)st,
               mx_error_message());
    mx_error_clear();
    mx_array_release(a);
}

/* ---- failures ---- */
static int printed, suppressed;

int t_fail(void) {
    test_failures++;
    if (printed < T_MAX_PRINTED) {
        printed++;
        return 1;
    }
    suppressed++;
    return 0;
}

int64_t t_read(mx_array *a, double *out, int64_t max) {
    if (!a) return -1;
    /* through the CPU: float64 does not exist on the GPU; ours even inside a scope */
    mx_array *f = mx_scope_keep(mx_astype(a, MX_FLOAT64, t_cpu()));
    if (!f) return -1;
    int64_t n = mx_array_size(f);
    if (n > max) n = max;
    double *tmp = malloc(sizeof(double) * (size_t)(mx_array_size(f) + 1));
    if (mx_array_copy_to(f, tmp) != MX_OK) {
        free(tmp);
        mx_array_release(f);
        return -1;
    }
    for (int64_t i = 0; i < n; i++) out[i] = tmp[i];
    free(tmp);
    mx_array_release(f);
    return n;
}

int t_shape_is(mx_array *a, const int64_t *shape, int ndim) {
    if (!a || mx_array_ndim(a) != ndim) return 0;
    for (int i = 0; i < ndim; i++)
        if (mx_array_shape(a)[i] != shape[i]) return 0;
    return 1;
}

mx_status t_call_fx(void *ctx, mx_array *const *in, int n, mx_array **out, int *n_out,
                    int max) {
    (void)n, (void)max;
    out[0] = ((t_fx_fn)ctx)(in[0]);
    *n_out = 1;
    return out[0] ? MX_OK : mx_error_status();
}

mx_array *t_array(const double *v, const int64_t *shape, int ndim, mx_dtype dt) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    if (dt == MX_FLOAT64) return t_f64(v, shape, ndim);
    if (dt == MX_FLOAT32 || dt == MX_INT32) {
        float   *f = malloc(sizeof(float) * (size_t)(n + 1));
        int32_t *k = malloc(sizeof(int32_t) * (size_t)(n + 1));
        for (int64_t i = 0; i < n; i++) f[i] = (float)v[i], k[i] = (int32_t)v[i];
        mx_array *a = dt == MX_FLOAT32 ? t_f32(f, shape, ndim) : t_i32(k, shape, ndim);
        free(f), free(k);
        return a;
    }
    mx_array *d = mx_scope_keep(t_f64(v, shape, ndim)), *a = mx_astype(d, dt, t_cpu());
    mx_array_release(d); /* ours even inside a scope; a belongs to the scope, if any */
    return a;
}

/* the VJP of f at x (dtype dt) with cotangent u into g[n] and the JVPs along each e_i into
 * jv[i * ny ..]; 0 on failure (reported) */
static int fd_derivatives(const char *name, t_fx_fn f, const double *x, const int64_t *shape,
                          int nd, mx_dtype dt, const double *u, int64_t ny, double *g,
                          double *jv) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    int ok = 1;
    mx_array *xa = t_array(x, shape, nd, dt), *uf = t_array(u, &ny, 1, dt);
    mx_array *y0 = f(xa);
    mx_array *ua = y0 ? mx_reshape(uf, mx_array_shape(y0), mx_array_ndim(y0), MX_DEFAULT_STREAM)
                      : NULL;
    mx_array *out[1] = {NULL}, *vj[1] = {NULL};
    int no;
    if (!ua || mx_vjp(t_call_fx, (void *)f, &xa, 1, &ua, 1, out, &no, 1, vj) != MX_OK ||
        mx_array_ndim(vj[0]) != nd || mx_array_dtype(vj[0]) != dt || t_read(vj[0], g, n) != n) {
        T_FAIL("%s (%s): vjp failed [%s]", name, mx_dtype_name(dt), mx_error_message());
        ok = 0;
    }
    double *e = calloc((size_t)n + 1, sizeof(double));
    for (int64_t i = 0; ok && i < n; i++) {
        e[i] = 1;
        mx_array *ea = t_array(e, shape, nd, dt), *o2[1] = {NULL}, *jt[1] = {NULL};
        e[i] = 0;
        if (mx_jvp(t_call_fx, (void *)f, &xa, 1, &ea, o2, &no, 1, jt) != MX_OK ||
            t_read(jt[0], jv + i * ny, ny) != ny) {
            T_FAIL("%s (%s): jvp failed [%s]", name, mx_dtype_name(dt), mx_error_message());
            ok = 0;
        }
        mx_array *arr[3] = {ea, o2[0], jt[0]};
        for (int q = 0; q < 3; q++) mx_array_release(arr[q]);
    }
    free(e);
    mx_array *arr[6] = {xa, uf, y0, ua, out[0], vj[0]};
    for (int q = 0; q < 6; q++) mx_array_release(arr[q]);
    return ok;
}

/* sum(u * f(x)) for a fixed u: its gradient via vjp vs central differences; and jvp along e_i */
void t_check_fd32(const char *name, t_fx_fn f, const double *x, const int64_t *shape, int nd,
                  double tol, double tol32) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    t_cpu_begin(); /* float64: on T_CPU */
    mx_array *xa = t_f64(x, shape, nd), *y0 = f(xa);
    int64_t ny = y0 ? mx_array_size(y0) : 0;
    mx_array_release(xa);
    mx_array_release(y0);
    if (!y0) {
        T_FAIL("%s: %s", name, mx_error_message());
        t_cpu_end();
        return;
    }
    double *u = malloc(sizeof(double) * (size_t)(ny + 1)), *g = calloc((size_t)n + 1, sizeof(double));
    double *jv = calloc((size_t)(n * ny + 1), sizeof(double));
    for (int64_t i = 0; i < ny; i++) u[i] = 0.3 + 0.1 * (double)(i % 7);
    int ok = fd_derivatives(name, f, x, shape, nd, MX_FLOAT64, u, ny, g, jv);
    double *xp = malloc(sizeof(double) * (size_t)n), *yp = malloc(sizeof(double) * (size_t)(ny + 1)),
           *ym = malloc(sizeof(double) * (size_t)(ny + 1));
    for (int64_t i = 0; ok && i < n; i++) {
        double h = 1e-6;
        memcpy(xp, x, sizeof(double) * (size_t)n);
        xp[i] += h;
        mx_array *a = t_f64(xp, shape, nd), *ya = f(a);
        xp[i] -= 2 * h;
        mx_array *b = t_f64(xp, shape, nd), *yb = f(b);
        if (t_read(ya, yp, ny) != ny || t_read(yb, ym, ny) != ny) {
            T_FAIL("%s: f failed [%s]", name, mx_error_message());
            ok = 0;
        }
        double fd = 0, jd = 0;
        for (int64_t k = 0; k < ny; k++) fd += u[k] * (yp[k] - ym[k]) / (2 * h);
        /* jvp along e_i, dotted with u, must equal the same number */
        for (int64_t k = 0; k < ny; k++) jd += u[k] * jv[i * ny + k];
        if (ok && (fabs(g[i] - fd) > tol * (1 + fabs(fd)) || fabs(jd - fd) > tol * (1 + fabs(fd))))
            T_FAIL("%s: d/dx[%lld] vjp %g jvp %g fd %g", name, (long long)i, g[i], jd, fd);
        mx_array *arr[4] = {a, ya, b, yb};
        for (int q = 0; q < 4; q++) mx_array_release(arr[q]);
    }
    t_cpu_end();
    /* float32 on the default device against the float64 derivatives */
    double *g32 = calloc((size_t)n + 1, sizeof(double)), *jv32 = calloc((size_t)(n * ny + 1), sizeof(double));
    if (ok && fd_derivatives(name, f, x, shape, nd, MX_FLOAT32, u, ny, g32, jv32)) {
        for (int64_t i = 0; i < n; i++)
            if (!(fabs(g32[i] - g[i]) <= tol32 * (1 + fabs(g[i]))))
                T_FAIL("%s (float32): vjp[%lld] %.9g, float64 %.9g", name, (long long)i, g32[i], g[i]);
        for (int64_t i = 0; i < n * ny; i++)
            if (!(fabs(jv32[i] - jv[i]) <= tol32 * (1 + fabs(jv[i]))))
                T_FAIL("%s (float32): jvp along e_%lld [%lld] %.9g, float64 %.9g", name,
                       (long long)(i / ny), (long long)(i % ny), jv32[i], jv[i]);
    }
    free(xp), free(yp), free(ym), free(jv), free(u), free(g), free(g32), free(jv32);
}

void t_check_fd(const char *name, t_fx_fn f, const double *x, const int64_t *shape, int nd,
                double tol) {
    t_check_fd32(name, f, x, shape, nd, tol, T_FD_TOL32);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int passed = 0, failed = 0;
    for (int i = 0; i < n_tests; i++) {
        int run = argc < 2;
        for (int k = 1; k < argc; k++) run |= strcmp(argv[k], tests[i].family) == 0;
        if (!run) continue;
        int before = test_failures;
        int64_t live = mx_debug_live_arrays();
        mx_error_clear();
        printed = suppressed = 0;
        t_dt = MX_FLOAT64;
        tests[i].fn();
        if (suppressed) fprintf(stderr, "  ... %d more failures\n", suppressed);
        if (cpu_depth != 0) {
            fprintf(stderr, "  FAIL %s.%s left t_cpu_begin() on\n", tests[i].family, tests[i].name);
            test_failures++;
            cpu_depth = 1;
            t_cpu_end();
        }
        if (mx_debug_live_arrays() != live) {
            fprintf(stderr, "  FAIL %s.%s leaked %lld arrays\n", tests[i].family, tests[i].name,
                    (long long)(mx_debug_live_arrays() - live));
            test_failures++;
        }
        if (test_failures == before) {
            passed++;
            printf("ok   %s.%s\n", tests[i].family, tests[i].name);
        } else {
            failed++;
            printf("FAIL %s.%s\n", tests[i].family, tests[i].name);
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
