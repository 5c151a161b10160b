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
