/* src/backend/cpu/pool.h: the CPU thread pool used by kernels.
 *
 * mx_parallel_for(n, grain, fn, ctx) splits [0, n) into at most one contiguous chunk per thread
 * (the calling thread takes one) and returns when all are done. Ranges below `grain` elements per
 * thread run inline. Calls from inside a pool task run inline (no nested parallelism).
 */
#ifndef MX_CPU_POOL_H
#define MX_CPU_POOL_H

#include <stdint.h>

typedef void (*mx_range_fn)(void *ctx, int64_t begin, int64_t end);

void mx_parallel_for(int64_t n, int64_t grain, mx_range_fn fn, void *ctx);
int  mx_pool_threads(void); /* threads including the caller */

#endif
