/* bench/bench_core.c: cmlx core timings on this machine (a benchmark, not a test).
 *
 * Prints one line per case, tab separated, for bench/bench_numpy.py to read:
 *     RESULT <case> <unit> <value> <best seconds>
 * Cases: fp32 add and exp over 16M elements (GB/s), sum over 16M (GB/s), matmul 1024^3 and
 * 2048^3 fp32 (GFLOP/s), softmax over the last axis of 4096x4096 (GB/s), and graph overhead (us per
 * op to build and evaluate a chain of 10,000 tiny adds). Every timing is build + mx_eval (cmlx is
 * lazy), best of N after one warm-up run; results are released outside the timed region.
 * Bytes counted: what the op must minimally move (inputs read + output written).
 *
 * Usage: bench_core [case ...]   (no argument: all cases)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mx/mx.h"

#define S MX_DEFAULT_STREAM
#define N16M (16LL << 20)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* a float32 array of n pseudo-random values in [lo, hi) */
static mx_array *fill(const int64_t *shape, int nd, float lo, float hi) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    float *v = malloc(sizeof(float) * (size_t)n);
    if (!v) return NULL;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int64_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        v[i] = lo + (hi - lo) * (float)((x >> 40) * (1.0 / 16777216.0));
    }
    mx_array *a = mx_array_from_data(v, shape, nd, MX_FLOAT32);
    free(v);
    return a;
}

typedef struct bctx {
    mx_array *a, *b, *one;
} bctx;
typedef mx_array *(*build_fn)(bctx *c);

static mx_array *b_add(bctx *c) { return mx_add(c->a, c->b, S); }
static mx_array *b_exp(bctx *c) { return mx_exp(c->a, S); }
static mx_array *b_sum(bctx *c) { return mx_sum(c->a, NULL, 0, false, S); }
static mx_array *b_matmul(bctx *c) { return mx_matmul(c->a, c->b, S); }
static mx_array *b_softmax(bctx *c) {
    int ax = -1;
    return mx_softmax(c->a, &ax, 1, false, S);
}
#define CHAIN 10000
static mx_array *b_chain(bctx *c) {
    mx_array *x = mx_array_retain(c->a);
    for (int i = 0; i < CHAIN && x; i++) {
        mx_array *y = mx_add(x, c->one, S);
        mx_array_release(x);
        x = y;
    }
    return x;
}

/* best wall time of reps runs of build + eval (after one warm-up); < 0 on error */
static double best_of(int reps, build_fn f, bctx *c) {
    double best = INFINITY;
    for (int r = -1; r < reps; r++) {
        double t0 = now();
        mx_array *out = f(c);
        if (!out || mx_eval(&out, 1) != MX_OK) {
            fprintf(stderr, "bench_core: %s\n", mx_error_message());
            mx_array_release(out);
            return -1;
        }
        double t = now() - t0;
        mx_array_release(out);
        if (r >= 0 && t < best) best = t;
    }
    return best;
}

static void report(const char *name, const char *unit, double value, double secs) {
    printf("RESULT\t%s\t%s\t%.4g\t%.6g\n", name, unit, value, secs);
    fflush(stdout);
}

static int wanted(int argc, char **argv, const char *name) {
    if (argc < 2) return 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return 1;
    return 0;
}

int main(int argc, char **argv) {
    const char *nt = getenv("MX_NUM_THREADS");
    printf("INFO\tcores\t%ld\n", sysconf(_SC_NPROCESSORS_ONLN));
    printf("INFO\tmx_num_threads\t%s\n", nt ? nt : "(all cores)");
    int64_t n = N16M;
    double mb = (double)n * 4.0 / 1e9; /* GB per 16M float32 array */
    bctx c = {0};
    if (wanted(argc, argv, "add_f32_16M") || wanted(argc, argv, "exp_f32_16M") ||
        wanted(argc, argv, "sum_f32_16M")) {
        c.a = fill(&n, 1, -1, 1);
        c.b = fill(&n, 1, -1, 1);
        if (!c.a || !c.b) return 1;
        double t;
        if (wanted(argc, argv, "add_f32_16M") && (t = best_of(7, b_add, &c)) > 0)
            report("add_f32_16M", "GB/s", 3 * mb / t, t);
        if (wanted(argc, argv, "exp_f32_16M") && (t = best_of(7, b_exp, &c)) > 0)
            report("exp_f32_16M", "GB/s", 2 * mb / t, t);
        if (wanted(argc, argv, "sum_f32_16M") && (t = best_of(7, b_sum, &c)) > 0)
            report("sum_f32_16M", "GB/s", mb / t, t);
        mx_array_release(c.a);
        mx_array_release(c.b);
    }
    const int sizes[2] = {1024, 2048};
    for (int k = 0; k < 2; k++) {
        char name[64];
        snprintf(name, sizeof name, "matmul_f32_%d", sizes[k]);
        if (!wanted(argc, argv, name)) continue;
        int64_t sh[2] = {sizes[k], sizes[k]};
        c.a = fill(sh, 2, -1, 1);
        c.b = fill(sh, 2, -1, 1);
        double t = best_of(k ? 3 : 5, b_matmul, &c);
        double fl = 2.0 * (double)sizes[k] * sizes[k] * sizes[k];
        if (t > 0) report(name, "GFLOP/s", fl / t / 1e9, t);
        mx_array_release(c.a);
        mx_array_release(c.b);
    }
    if (wanted(argc, argv, "softmax_f32_4096x4096")) {
        int64_t sh[2] = {4096, 4096};
        c.a = fill(sh, 2, -4, 4);
        double t = best_of(5, b_softmax, &c);
        if (t > 0) report("softmax_f32_4096x4096", "GB/s", 2 * (4096.0 * 4096 * 4 / 1e9) / t, t);
        mx_array_release(c.a);
    }
    if (wanted(argc, argv, "graph_add_chain_10k")) {
        int64_t one = 1;
        c.a = fill(&one, 1, 0, 1);
        c.one = mx_array_scalar_f64(1, MX_FLOAT32);
        double t = best_of(5, b_chain, &c);
        if (t > 0) report("graph_add_chain_10k", "us/op", t / CHAIN * 1e6, t);
        mx_array_release(c.a);
        mx_array_release(c.one);
    }
    return 0;
}
