/* src/backend/cuda/cuda_stage.c: host <-> device copies of large buffers through pinned staging.
 *
 * A buffer's host bytes are ordinary (pageable) memory from the host cache. Copying pageable
 * memory makes the driver stage it through its own pinned buffers, one thread at a time. Here two
 * pinned chunks are used in turn: the host side of a chunk is copied by the CPU thread pool while
 * the DMA engine moves the other chunk, so both run at once. Small copies (below STAGE_MIN) go
 * straight to cudaMemcpyAsync. Each chunk has an event recorded after the DMA that uses it; the
 * host waits on it before touching the chunk again, whatever queue that DMA was on. Everything
 * here runs with the evaluator lock held (the backend's moves are serialised), so the two chunks
 * need no lock of their own.
 */
#include <string.h>

#include "../cpu/pool.h"
#include "cuda_impl.h"

#define STAGE_MIN   ((size_t)4 << 20)  /* smaller copies go directly */
#define STAGE_CHUNK ((size_t)16 << 20) /* bytes per pinned chunk */

static void       *stage[2];
static cudaEvent_t stage_ev[2];
static int         stage_state; /* 0: not tried yet, 1: ready, -1: unavailable (copy directly) */

static int stage_ready(void) {
    if (stage_state) return stage_state > 0;
    stage_state = -1;
    for (int i = 0; i < 2; i++) {
        if (cudaHostAlloc(&stage[i], STAGE_CHUNK, cudaHostAllocDefault) != cudaSuccess ||
            cudaEventCreateWithFlags(&stage_ev[i], cudaEventDisableTiming) != cudaSuccess) {
            cudaGetLastError(); /* no pinned memory: the direct copies still work */
            return 0;
        }
    }
    stage_state = 1;
    return 1;
}

typedef struct {
    char       *dst;
    const char *src;
} copy_ctx;

static void copy_range(void *ctx, int64_t b, int64_t e) {
    copy_ctx *c = ctx;
    memcpy(c->dst + b, c->src + b, (size_t)(e - b));
}

/* memcpy over the CPU pool (1 MiB or more per thread) */
static void host_copy(void *dst, const void *src, size_t n) {
    copy_ctx c = {dst, src};
    mx_parallel_for((int64_t)n, (int64_t)1 << 20, copy_range, &c);
}

mx_status mx_cuda_h2d(void *dst, const void *src, size_t n, cudaStream_t s) {
    if (n < STAGE_MIN || !stage_ready()) {
        MX_CUDA_TRY(cudaMemcpyAsync(dst, src, n, cudaMemcpyHostToDevice, s));
        return MX_OK;
    }
    for (size_t off = 0, k = 0; off < n; k++) {
        size_t len = n - off < STAGE_CHUNK ? n - off : STAGE_CHUNK;
        int i = (int)(k & 1);
        MX_CUDA_TRY(cudaEventSynchronize(stage_ev[i])); /* its last DMA has read it */
        host_copy(stage[i], (const char *)src + off, len);
        MX_CUDA_TRY(cudaMemcpyAsync((char *)dst + off, stage[i], len, cudaMemcpyHostToDevice, s));
        MX_CUDA_TRY(cudaEventRecord(stage_ev[i], s));
        off += len;
    }
    return MX_OK; /* the last DMAs finish on s; the chunks are reused only after their events */
}

static size_t chunk_len(size_t n, size_t k) {
    size_t off = k * STAGE_CHUNK;
    return n - off < STAGE_CHUNK ? n - off : STAGE_CHUNK;
}

static mx_status d2h_issue(void *const *stg, const char *src, size_t n, size_t k, cudaStream_t s) {
    int i = (int)(k & 1);
    MX_CUDA_TRY(cudaMemcpyAsync(stg[i], src + k * STAGE_CHUNK, chunk_len(n, k),
                                cudaMemcpyDeviceToHost, s));
    MX_CUDA_TRY(cudaEventRecord(stage_ev[i], s));
    return MX_OK;
}

mx_status mx_cuda_d2h(void *dst, const void *src, size_t n, cudaStream_t s) {
    if (n < STAGE_MIN || !stage_ready()) {
        MX_CUDA_TRY(cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToHost, s));
        MX_CUDA_TRY(cudaStreamSynchronize(s));
        return MX_OK;
    }
    size_t nchunks = (n + STAGE_CHUNK - 1) / STAGE_CHUNK;
    for (size_t k = 0; k < 2 && k < nchunks; k++) {
        MX_CUDA_TRY(cudaEventSynchronize(stage_ev[k])); /* an earlier upload may still read it */
        MX_TRY(d2h_issue(stage, src, n, k, s));
    }
    for (size_t k = 0; k < nchunks; k++) {
        int i = (int)(k & 1);
        MX_CUDA_TRY(cudaEventSynchronize(stage_ev[i])); /* chunk k has landed */
        host_copy((char *)dst + k * STAGE_CHUNK, stage[i], chunk_len(n, k));
        if (k + 2 < nchunks) MX_TRY(d2h_issue(stage, src, n, k + 2, s));
    }
    return MX_OK;
}
