/* examples/graph.c: build a small lazy graph with the C API, evaluate it, print the result.
 *   y = exp(-x^2 / 2) * w + b, then the sum of y over rows. */
#include <stdio.h>

#include "mx/mx.h"

int main(void) {
    mx_scope sc = mx_scope_begin(); /* everything made below is released at mx_scope_end */
    float xv[6] = {-1, -0.5f, 0, 0.5f, 1, 1.5f};
    int64_t shape[2] = {2, 3};
    mx_array *x = mx_array_from_data(xv, shape, 2, MX_FLOAT32);
    mx_array *w = mx_array_scalar_f64(2.0, MX_FLOAT32);
    mx_array *b = mx_arange(0, 3, 1, MX_FLOAT32, MX_DEFAULT_STREAM); /* (3,) broadcasts */
    mx_array *half = mx_array_scalar_f64(-0.5, MX_FLOAT32);
    mx_array *g = mx_exp(mx_multiply(mx_square(x, MX_DEFAULT_STREAM), half, MX_DEFAULT_STREAM),
                         MX_DEFAULT_STREAM);
    mx_array *y = mx_add(mx_multiply(g, w, MX_DEFAULT_STREAM), b, MX_DEFAULT_STREAM);
    if (!y || mx_eval(&y, 1) != MX_OK) {
        fprintf(stderr, "error: %s\n", mx_error_message());
        mx_scope_end(sc, NULL);
        return 1;
    }
    float out[6];
    mx_array_copy_to(y, out);
    printf("y = exp(-x^2/2) * 2 + arange(3):\n");
    for (int i = 0; i < 2; i++) printf("  [%.4f %.4f %.4f]\n", out[3 * i], out[3 * i + 1], out[3 * i + 2]);
    mx_scope_end(sc, NULL);
    return 0;
}
