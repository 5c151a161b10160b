/* bench/bench_gpu.c: cmlx on the GPU, for bench/bench_gpu.py (which times PyTorch beside it).
 * Prints one line per case: "name value unit". Each case builds and evaluates (eval waits for the
 * GPU), best of several runs after a warm-up. */
#include <stdio.h>
#include <time.h>

#include "mx/mx.h"

#define G mx_stream_of_device(MX_GPU)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef mx_array *(*make_fn)(mx_array *const *in);
static double best(make_fn f, mx_array *const *in, int reps) {
    double b = 1e30;
    for (int r = 0; r < reps + 2; r++) {
        double t0 = now();
        mx_array *y = f(in);
        if (!y || mx_eval(&y, 1) != MX_OK) {
            fprintf(stderr, "error: %s\n", mx_error_message());
            return -1;
        }
        double t = now() - t0;
        mx_array_release(y);
        if (r >= 2 && t < b) b = t;
    }
    return b;
}

static mx_array *f_add(mx_array *const *in) { return mx_add(in[0], in[1], G); }
static mx_array *f_mm(mx_array *const *in) { return mx_matmul(in[0], in[1], G); }
static mx_array *f_softmax(mx_array *const *in) {
    int ax = -1;
    return mx_softmax(in[0], &ax, 1, false, G);
}
static mx_array *f_layer_norm(mx_array *const *in) {
    return mx_fast_layer_norm(in[0], in[1], in[2], 1e-5f, G);
}
static mx_array *f_sum(mx_array *const *in) { return mx_sum(in[0], NULL, 0, false, G); }

static mx_array *rnd(const int64_t *sh, int nd, mx_dtype t) {
    mx_array *k = mx_random_key(0);
    mx_array *x = mx_random_normal(sh, nd, MX_FLOAT32, NULL, NULL, k, G);
    mx_array *y = mx_astype(x, t, G);
    mx_eval(&y, 1);
    mx_array_release(k);
    mx_array_release(x);
    return y;
}

int main(void) {
    mx_device g = {MX_GPU, 0};
    if (!mx_device_is_available(g)) {
        printf("no GPU\n");
        return 0;
    }
    int64_t n256[1] = {256 << 20};
    mx_array *a = rnd(n256, 1, MX_FLOAT32), *b = rnd(n256, 1, MX_FLOAT32);
    mx_array *ab[2] = {a, b};
    double t = best(f_add, ab, 10);
    printf("add_fp32_256M %.1f GB/s\n", 3.0 * 4 * (256 << 20) / t / 1e9);
    t = best(f_sum, ab, 10);
    printf("sum_fp32_256M %.1f GB/s\n", 4.0 * (256 << 20) / t / 1e9);
    mx_array_release(a), mx_array_release(b);

    int64_t s4[2] = {4096, 4096};
    mx_array *m1 = rnd(s4, 2, MX_FLOAT32), *m2 = rnd(s4, 2, MX_FLOAT32), *mm[2] = {m1, m2};
    t = best(f_mm, mm, 10);
    printf("matmul_fp32_4096 %.1f TFLOP/s\n", 2.0 * 4096.0 * 4096 * 4096 / t / 1e12);
    mx_array_release(m1), mx_array_release(m2);

    int64_t s8[2] = {8192, 8192};
    mx_array *h1 = rnd(s8, 2, MX_BFLOAT16), *h2 = rnd(s8, 2, MX_BFLOAT16), *hh[2] = {h1, h2};
    t = best(f_mm, hh, 10);
    printf("matmul_bf16_8192 %.1f TFLOP/s\n", 2.0 * 8192.0 * 8192 * 8192 / t / 1e12);
    mx_array_release(h1), mx_array_release(h2);

    mx_array *sx = rnd(s8, 2, MX_FLOAT32);
    t = best(f_softmax, &sx, 10);
    printf("softmax_fp32_8192x8192 %.1f GB/s\n", 2.0 * 4 * 8192.0 * 8192 / t / 1e9);
    int64_t s8r[1] = {8192};
    mx_array *lw = rnd(s8r, 1, MX_FLOAT32), *lb = rnd(s8r, 1, MX_FLOAT32);
    mx_array *ln[3] = {sx, lw, lb};
    t = best(f_layer_norm, ln, 10);
    printf("layer_norm_fp32_8192x8192 %.1f GB/s\n", 2.0 * 4 * 8192.0 * 8192 / t / 1e9);
    mx_array_release(sx), mx_array_release(lw), mx_array_release(lb);

    /* transfers of 256M floats: device -> host (reading a GPU result on the host) and host -> device
     * (a GPU op on an array made from host data; the op itself is ~0.3 ms of the time) */
    {
        mx_array *zero = mx_array_scalar_f64(0.0, MX_FLOAT32);
        mx_array *src = rnd(n256, 1, MX_FLOAT32);
        double bd = 1e30, bh = 1e30;
        for (int r = 0; r < 5; r++) {
            mx_array *y = mx_add(src, zero, G);
            mx_eval(&y, 1);
            double t0 = now();
            const float *p = mx_array_data(y);
            double dt = now() - t0;
            if (!p) fprintf(stderr, "error: %s\n", mx_error_message());
            if (r >= 1 && dt < bd) bd = dt;
            mx_array *h = mx_array_from_data(p, n256, 1, MX_FLOAT32); /* host-only bytes */
            mx_array_release(y);
            t0 = now();
            mx_array *z = mx_add(h, zero, G);
            mx_eval(&z, 1);
            dt = now() - t0;
            if (r >= 1 && dt < bh) bh = dt;
            mx_array_release(z), mx_array_release(h);
        }
        printf("d2h_fp32_256M %.1f GB/s\n", 4.0 * (256 << 20) / bd / 1e9);
        printf("h2d_fp32_256M %.1f GB/s\n", 4.0 * (256 << 20) / bh / 1e9);
        mx_array_release(src), mx_array_release(zero);
    }

    /* dispatch: a chain of 1000 tiny adds, built and evaluated */
    mx_array *one = mx_ones(n256, 0, MX_FLOAT32, G);
    double bt = 1e30;
    for (int r = 0; r < 7; r++) {
        double t0 = now();
        mx_array *x = mx_array_retain(one);
        for (int i = 0; i < 1000; i++) {
            mx_array *y = mx_add(x, one, G);
            mx_array_release(x);
            x = y;
        }
        mx_eval(&x, 1);
        double dt = now() - t0;
        mx_array_release(x);
        if (r >= 2 && dt < bt) bt = dt;
    }
    printf("dispatch_chain_1000 %.2f us/op\n", bt / 1000 * 1e6);
    mx_array_release(one);
    return 0;
}
