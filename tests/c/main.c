/* tests/c/main.c: runs the registered C tests. `cmlx_tests [family ...]` runs those families
 * (all when none given). Every test must leave no live arrays behind. Prints ctest-friendly
 * output and a final "N passed, N failed" line. */
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

int64_t t_read(mx_array *a, double *out, int64_t max) {
    if (!a) return -1;
    /* through the CPU: float64 does not exist on the GPU; ours even inside a scope */
    mx_array *f = mx_scope_keep(mx_astype(a, MX_FLOAT64, mx_stream_of_device(MX_CPU)));
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

/* sum(u * f(x)) for a fixed u: its gradient via vjp vs central differences; and jvp along e_i */
void t_check_fd(const char *name, t_fx_fn f, const double *x, const int64_t *shape, int nd,
                double tol) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    mx_array *xa = t_f64(x, shape, nd), *y0 = f(xa);
    if (!y0) {
        fprintf(stderr, "  FAIL %s: %s\n", name, mx_error_message());
        test_failures++;
        mx_array_release(xa);
        return;
    }
    int64_t ny = mx_array_size(y0);
    double *u = malloc(sizeof(double) * (size_t)(ny + 1)), *g = calloc((size_t)n + 1, sizeof(double));
    for (int64_t i = 0; i < ny; i++) u[i] = 0.3 + 0.1 * (double)(i % 7);
    mx_array *uf = t_f64(u, &ny, 1);
    mx_array *ua = mx_reshape(uf, mx_array_shape(y0), mx_array_ndim(y0), MX_DEFAULT_STREAM);
    mx_array_release(uf);
    mx_array *out[1] = {NULL}, *vj[1] = {NULL};
    int no;
    CHECK(mx_vjp(t_call_fx, (void *)f, &xa, 1, &ua, 1, out, &no, 1, vj) == MX_OK);
    CHECK(vj[0] && mx_array_ndim(vj[0]) == nd && mx_array_dtype(vj[0]) == MX_FLOAT64);
    CHECK(t_read(vj[0], g, n) == n);
    double *xp = malloc(sizeof(double) * (size_t)n), *yp = malloc(sizeof(double) * (size_t)(ny + 1)),
           *ym = malloc(sizeof(double) * (size_t)(ny + 1)), *jvv = malloc(sizeof(double) * (size_t)(ny + 1));
    for (int64_t i = 0; i < n; i++) {
        double h = 1e-6;
        memcpy(xp, x, sizeof(double) * (size_t)n);
        xp[i] += h;
        mx_array *a = t_f64(xp, shape, nd), *ya = f(a);
        t_read(ya, yp, ny);
        xp[i] -= 2 * h;
        mx_array *b = t_f64(xp, shape, nd), *yb = f(b);
        t_read(yb, ym, ny);
        double fd = 0, jd = 0;
        for (int64_t k = 0; k < ny; k++) fd += u[k] * (yp[k] - ym[k]) / (2 * h);
        /* jvp along e_i, dotted with u, must equal the same number */
        double *e = calloc((size_t)n, sizeof(double));
        e[i] = 1;
        mx_array *ea = t_f64(e, shape, nd), *o2[1] = {NULL}, *jv[1] = {NULL};
        CHECK(mx_jvp(t_call_fx, (void *)f, &xa, 1, &ea, o2, &no, 1, jv) == MX_OK);
        CHECK(t_read(jv[0], jvv, ny) == ny);
        for (int64_t k = 0; k < ny; k++) jd += u[k] * jvv[k];
        if (fabs(g[i] - fd) > tol * (1 + fabs(fd)) || fabs(jd - fd) > tol * (1 + fabs(fd))) {
            fprintf(stderr, "  FAIL %s: d/dx[%lld] vjp %g jvp %g fd %g\n", name, (long long)i, g[i],
                    jd, fd);
            test_failures++;
        }
        free(e);
        mx_array *arr[7] = {a, ya, b, yb, ea, o2[0], jv[0]};
        for (int q = 0; q < 7; q++) mx_array_release(arr[q]);
    }
    free(xp), free(yp), free(ym), free(jvv), free(u), free(g);
    mx_array *arr[5] = {xa, y0, ua, out[0], vj[0]};
    for (int q = 0; q < 5; q++) mx_array_release(arr[q]);
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
        tests[i].fn();
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
