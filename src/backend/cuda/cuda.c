/* src/backend/cuda/cuda.c: the CUDA backend's core: device discovery, the stream, a caching
 * device allocator (size classes over cudaMalloc, freed blocks kept for reuse), and the moves that
 * implement the memory model: a buffer's bytes are copied host->device when a GPU kernel needs
 * them and device->host when the host reads them; `valid` says where they are current.
 *
 * Queues: each cmlx GPU stream gets a CUDA stream of its own (a "queue"; up to MX_CU_QUEUES, then
 * streams share queues round-robin, which only serialises them). Work of different queues runs
 * concurrently; it is ordered only where data flows, with events recorded lazily:
 *   - read after write: a kernel on queue Q reading bytes last written on queue W != Q makes Q
 *     wait for an event recorded on W (once: the buffer remembers which queues are ordered after
 *     its last write);
 *   - write after read: a kernel that may overwrite an input in place (a donated input) first
 *     orders its queue after every other queue that used the bytes;
 *   - reuse after free: a cached device block remembers the queues that used it; a queue that
 *     takes it from the cache waits for the others first.
 * An event recorded "now" on W covers everything W was given so far, which includes the work in
 * question (all of it is queued under the evaluator lock before the buffer changes hands), so one
 * event per queue suffices. The host waits for a buffer's writer queue before copying it back.
 * Large copies between host and device go through pinned staging (cuda_stage.c). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_impl.h"

static pthread_once_t    once = PTHREAD_ONCE_INIT;
static int               n_devices;
static mx_device_backend gpu;

/* ---- queues (state below is touched with the evaluator lock held) ---- */
#define MAX_CMLX_STREAMS 256
static cudaStream_t queue[MX_CU_QUEUES];
static cudaEvent_t  queue_ev[MX_CU_QUEUES];
static int          n_queues;   /* created */
static int          n_assigned; /* given to cmlx streams */
static int8_t       queue_of_stream[MAX_CMLX_STREAMS]; /* queue + 1, 0 = not assigned yet */
static int          cur;                               /* the queue kernels launch on */
static uint64_t     pending;                           /* queues given work since take_pending */

mx_status mx_cuda_status(int err, const char *what, const char *file, int line) {
    mx_status st = err == (int)cudaErrorMemoryAllocation ? MX_ERR_NOMEM : MX_ERR_BACKEND;
    return mx_fail(st, "[cuda] %s failed: %s (%s:%d)", what, mx_cu_error_string(err), file, line);
}

cudaStream_t mx_cuda_stream(void) { return queue[cur]; }
int          mx_cuda_queue(void) { return cur; }

/* the queue of a cmlx stream, created on first use; under its own lock, because synchronize
 * asks for it without the evaluator lock while a worker's evaluation may be creating queues */
static pthread_mutex_t queue_mu = PTHREAD_MUTEX_INITIALIZER;

static mx_status queue_for(mx_stream s, int *q) {
    s = mx_stream_resolve(s);
    int i = s.index >= 0 && s.index < MAX_CMLX_STREAMS ? s.index : 0;
    mx_status st = MX_OK;
    pthread_mutex_lock(&queue_mu);
    if (!queue_of_stream[i]) {
        int k = n_assigned < MX_CU_QUEUES ? n_assigned : i % MX_CU_QUEUES;
        if (k >= n_queues) {
            cudaError_t e = cudaStreamCreateWithFlags(&queue[k], cudaStreamNonBlocking);
            if (e == cudaSuccess) {
                e = cudaEventCreateWithFlags(&queue_ev[k], cudaEventDisableTiming);
                if (e != cudaSuccess) cudaStreamDestroy(queue[k]);
            }
            if (e != cudaSuccess) st = mx_cuda_status((int)e, "creating a queue", __FILE__, __LINE__);
            else n_queues++;
        }
        if (st == MX_OK) {
            if (n_assigned < MX_CU_QUEUES) n_assigned++;
            queue_of_stream[i] = (int8_t)(k + 1);
        }
    }
    *q = queue_of_stream[i] - 1;
    pthread_mutex_unlock(&queue_mu);
    return st;
}

/* make queue `to` wait for everything queue `from` was given so far */
static mx_status order_after(int to, int from) {
    if (to == from) return MX_OK;
    MX_CUDA_TRY(cudaEventRecord(queue_ev[from], queue[from]));
    MX_CUDA_TRY(cudaStreamWaitEvent(queue[to], queue_ev[from], 0));
    return MX_OK;
}

/* order the current queue after every queue of `users` */
static mx_status order_after_all(uint64_t users) {
    users &= ~(1ull << cur);
    while (users) {
        int u = __builtin_ctzll(users);
        users &= users - 1;
        MX_TRY(order_after(cur, u));
    }
    return MX_OK;
}

/* ---- the allocator: free lists per size class (4 per power of two), under a mutex ---- */
#define NCLS 256
typedef struct dblock {
    struct dblock *next;
    void          *p;
    uint64_t       users; /* queues that used the block before it was freed */
} dblock;
static pthread_mutex_t mem_lock = PTHREAD_MUTEX_INITIALIZER;
static dblock         *free_lists[NCLS];
static size_t          cached_bytes;

static int dclass(size_t n, size_t *cap) {
    if (n <= 256) {
        *cap = 256;
        return 0;
    }
    int lg = 63 - __builtin_clzll((unsigned long long)(n - 1));
    size_t base = (size_t)1 << lg, step = base / 4, k = (n - base + step - 1) / step;
    *cap = base + k * step;
    int idx = (lg - 8) * 4 + (int)k;
    return idx < NCLS ? idx : -1;
}

/* size of the blocks of class i */
static size_t class_cap(int i) {
    if (i == 0) return 256;
    int lg = i / 4 + 8, k = i % 4;
    return ((size_t)1 << lg) + (size_t)k * ((size_t)1 << lg) / 4;
}

/* give cached blocks back (largest first) until at most `target` bytes stay cached; cudaFree
 * waits for the device, so blocks still used by queued kernels are released safely */
static void trim_cache(size_t target) {
    pthread_mutex_lock(&mem_lock);
    for (int i = NCLS - 1; i >= 0 && cached_bytes > target; i--) {
        while (free_lists[i] && cached_bytes > target) {
            dblock *b = free_lists[i];
            free_lists[i] = b->next;
            cudaFree(b->p);
            free(b);
            cached_bytes -= class_cap(i);
        }
    }
    pthread_mutex_unlock(&mem_lock);
    cudaMemPool_t pool; /* and the scratch pool of cudaMallocAsync */
    if (target == 0 && cudaDeviceGetDefaultMemPool(&pool, 0) == cudaSuccess) {
        cudaDeviceSynchronize();
        cudaMemPoolTrimTo(pool, 0);
        cudaDeviceGraphMemTrim(0); /* memory CUDA graphs keep between replays (cuda_graph.c) */
    }
    cudaGetLastError();
}

static void release_cache(void) { trim_cache(0); }

static size_t cache_bytes(void) {
    pthread_mutex_lock(&mem_lock);
    size_t r = cached_bytes;
    pthread_mutex_unlock(&mem_lock);
    return r;
}

/* ---- capture mode (cuda_graph.c): while a tape is captured into a CUDA graph, device memory
 * comes from the graph (cudaMallocAsync on the capturing queue: fixed addresses in every replay)
 * and is given back inside the graph. The blocks are remembered until freed; one freed after a
 * failed capture is dropped (it never existed). ---- */
static bool   capturing; /* evaluator lock held */
static void     **captured; /* under mem_lock */
static atomic_int n_captured;
static int        cap_captured;

void mx_cuda_capture_mode(bool on) { capturing = on; }

int mx_cuda_captured_blocks(void) {
    pthread_mutex_lock(&mem_lock);
    int n = n_captured;
    pthread_mutex_unlock(&mem_lock);
    return n;
}

/* remove p from the captured set; true if it was there */
static bool take_captured(void *p) {
    bool found = false;
    pthread_mutex_lock(&mem_lock);
    for (int i = n_captured - 1; i >= 0 && !found; i--)
        if (captured[i] == p) {
            captured[i] = captured[--n_captured];
            found = true;
        }
    pthread_mutex_unlock(&mem_lock);
    return found;
}

static mx_status capture_malloc(size_t nbytes, void **p) {
    pthread_mutex_lock(&mem_lock);
    if (n_captured == cap_captured) {
        int cap = cap_captured ? 2 * cap_captured : 64;
        void **nc = realloc(captured, sizeof *nc * (size_t)cap);
        if (nc) captured = nc, cap_captured = cap;
    }
    bool room = n_captured < cap_captured;
    pthread_mutex_unlock(&mem_lock);
    MX_CHECK(room, MX_ERR_NOMEM, "[cuda] out of memory");
    cudaError_t e = cudaMallocAsync(p, nbytes ? nbytes : 1, queue[cur]);
    if (e != cudaSuccess) {
        cudaGetLastError();
        *p = NULL;
        return mx_fail(MX_ERR_NOMEM, "[cuda] graph allocation of %zu bytes failed: %s", nbytes,
                       mx_cu_error_string((int)e));
    }
    pthread_mutex_lock(&mem_lock);
    captured[n_captured++] = *p;
    pthread_mutex_unlock(&mem_lock);
    return MX_OK;
}

mx_status mx_cuda_malloc(size_t nbytes, void **p) {
    size_t cap;
    int c = dclass(nbytes, &cap);
    *p = NULL;
    if (capturing) return capture_malloc(nbytes, p);
    if (c >= 0) {
        pthread_mutex_lock(&mem_lock);
        dblock *b = free_lists[c];
        if (b) {
            free_lists[c] = b->next;
            cached_bytes -= cap;
        }
        pthread_mutex_unlock(&mem_lock);
        if (b) {
            *p = b->p;
            uint64_t users = b->users;
            free(b);
            return order_after_all(users); /* they may still be reading or writing it */
        }
    } else {
        cap = nbytes;
    }
    cudaError_t e = cudaMalloc(p, cap ? cap : 1);
    if (e == cudaErrorMemoryAllocation) { /* give the cache back and try once more */
        cudaGetLastError();
        cudaDeviceSynchronize();
        release_cache();
        e = cudaMalloc(p, cap ? cap : 1);
    }
    if (e != cudaSuccess) {
        cudaGetLastError(); /* clear it: the process keeps working */
        *p = NULL;
        return mx_fail(MX_ERR_NOMEM, "[cuda] out of GPU memory allocating %zu bytes", nbytes);
    }
    return MX_OK;
}

void mx_cuda_free(void *p, size_t nbytes, uint64_t users) {
    if (n_captured && take_captured(p)) {
        if (capturing) cudaFreeAsync(p, queue[cur]); /* a free node of the graph */
        return;
    }
    size_t cap;
    int c = dclass(nbytes, &cap);
    size_t limit = mx_mem_cache_limit();
    dblock *b = c >= 0 && cache_bytes() + cap <= limit ? malloc(sizeof *b) : NULL;
    if (!b) {
        cudaFree(p); /* synchronises with the device */
        return;
    }
    b->p = p;
    b->users = users;
    pthread_mutex_lock(&mem_lock);
    b->next = free_lists[c];
    free_lists[c] = b;
    cached_bytes += cap;
    pthread_mutex_unlock(&mem_lock);
}

/* ---- the memory model ---- */
static void note_use(mx_buffer *b) {
    b->dev_users |= 1ull << cur;
    b->dev_seen |= 1ull << cur;
}

static void note_write(mx_buffer *b) {
    b->dev_writer = (int16_t)(cur + 1);
    b->dev_seen = 1ull << cur;
    b->dev_users |= 1ull << cur;
}

/* host bytes -> device, on the current queue */
static mx_status to_device(mx_buffer *b) {
    if (!b->dptr) MX_TRY(mx_cuda_malloc(b->nbytes, &b->dptr));
    if (b->nbytes && (b->valid & MX_LOC_HOST))
        MX_TRY(mx_cuda_h2d(b->dptr, b->ptr, b->nbytes, queue[cur]));
    b->valid |= MX_LOC_DEVICE;
    note_write(b);
    return MX_OK;
}

static mx_status enter(const mx_node *n, const mx_layout *in) {
    MX_TRY(queue_for(n->stream, &cur));
    pending |= 1ull << cur;
    for (int i = 0; i < n->n_in; i++) {
        mx_buffer *b = in[i].buf;
        if (!b) continue;
        if (!(b->valid & MX_LOC_DEVICE)) {
            MX_TRY(to_device(b));
        } else if (b->dev_writer > 0 && !(b->dev_seen & (1ull << cur))) {
            MX_TRY(order_after(cur, b->dev_writer - 1)); /* read after write */
        }
        if (in[i].flags & MX_DONATABLE) MX_TRY(order_after_all(b->dev_users)); /* may be written */
        note_use(b);
    }
    return MX_OK;
}

static void leave(const mx_node *n) {
    for (int i = 0; i < n->n_out; i++)
        if (n->out[i].buf && n->out[i].buf->dptr) note_write(n->out[i].buf);
}

static mx_status to_host(mx_buffer *b) {
    if (b->valid & MX_LOC_HOST) return MX_OK;
    if (!b->ptr && !mx_buffer_host_alloc(b)) return mx_error_status();
    /* the copy runs on the writer's queue, after the write (no writer known: after everything) */
    cudaStream_t w = queue[0];
    if (b->dev_writer > 0) w = queue[b->dev_writer - 1];
    else MX_CUDA_TRY(cudaDeviceSynchronize());
    if (b->nbytes) MX_TRY(mx_cuda_d2h(b->ptr, b->dptr, b->nbytes, w)); /* returns when done */
    MX_CUDA_TRY(cudaStreamSynchronize(w));
    b->valid |= MX_LOC_HOST;
    return MX_OK;
}

static void free_device(mx_buffer *b) {
    /* queued kernels may still use the block: whoever takes it from the cache waits for them */
    mx_cuda_free(b->dptr, b->nbytes, b->dev_users);
    if (b->dptr_counted) mx_mem_note(-(long long)b->nbytes);
    b->dptr = NULL;
}

static uint64_t take_pending(void) {
    uint64_t p = pending;
    pending = 0;
    return p;
}

static mx_status wait_queues(uint64_t qs) {
    while (qs) {
        int q = __builtin_ctzll(qs);
        qs &= qs - 1;
        MX_CUDA_TRY(cudaStreamSynchronize(queue[q]));
    }
    MX_CUDA_TRY(cudaGetLastError());
    return MX_OK;
}

static mx_status synchronize(mx_stream s) {
    int q;
    MX_TRY(queue_for(s, &q));
    return wait_queues(1ull << q);
}

static int device_count(void) { return n_devices; }

static mx_status info(int index, mx_gpu_info *out) {
    struct cudaDeviceProp p;
    memset(out, 0, sizeof *out);
    MX_CUDA_TRY(cudaGetDeviceProperties(&p, index));
    snprintf(out->name, sizeof out->name, "%s", p.name);
    const unsigned char *u = (const unsigned char *)p.uuid.bytes;
    snprintf(out->uuid, sizeof out->uuid,
             "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    snprintf(out->pci_bus_id, sizeof out->pci_bus_id, "%04x:%02x:%02x.0", p.pciDomainID, p.pciBusID,
             p.pciDeviceID);
    out->compute_capability_major = p.major;
    out->compute_capability_minor = p.minor;
    out->total_memory = p.totalGlobalMem;
    size_t fr = 0, tot = 0;
    int dev = 0;
    cudaGetDevice(&dev);
    if (dev == index && cudaMemGetInfo(&fr, &tot) == cudaSuccess) out->free_memory = fr;
    cudaGetLastError();
    return MX_OK;
}

mx_status mx_cuda_alloc_out(mx_layout *out) {
    mx_layout_set_row_major(out);
    size_t nb = (size_t)out->data_size * mx_dtype_size(out->m.dtype);
    mx_buffer *b = mx_buffer_new_device(nb);
    if (!b) return MX_ERR_NOMEM;
    mx_status st = mx_cuda_malloc(nb, &b->dptr);
    if (st != MX_OK) {
        b->dptr_counted = 0;
        mx_buffer_release(b);
        return st;
    }
    mx_mem_note((long long)nb);
    /* used by the current queue from birth: kernels' temporaries never pass through enter/leave */
    b->dev_writer = (int16_t)(cur + 1);
    b->dev_seen = b->dev_users = 1ull << cur;
    out->buf = b;
    out->offset = 0;
    return MX_OK;
}

static void init(void) {
    if (cudaGetDeviceCount(&n_devices) != cudaSuccess || n_devices < 1) {
        cudaGetLastError();
        n_devices = 0;
        return;
    }
    /* queue 0 exists from the start: kernels called outside `enter` (none should be) use it */
    if (cudaStreamCreateWithFlags(&queue[0], cudaStreamNonBlocking) != cudaSuccess ||
        cudaEventCreateWithFlags(&queue_ev[0], cudaEventDisableTiming) != cudaSuccess) {
        cudaGetLastError();
        n_devices = 0;
        return;
    }
    n_queues = 1;
    /* kernels' scratch comes from the stream-ordered pool (cudaMallocAsync): keep what it holds
     * instead of unmapping it at every synchronisation (the default threshold is 0) */
    cudaMemPool_t pool;
    if (cudaDeviceGetDefaultMemPool(&pool, 0) == cudaSuccess) {
        uint64_t keep = 1ull << 30;
        cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
    }
    cudaGetLastError();
    gpu.base.name = "cuda";
    gpu.enter = enter;
    gpu.leave = leave;
    gpu.to_host = to_host;
    gpu.free_device = free_device;
    gpu.take_pending = take_pending;
    gpu.wait_queues = wait_queues;
    gpu.synchronize = synchronize;
    gpu.cache_bytes = cache_bytes;
    gpu.trim_cache = trim_cache;
    gpu.device_count = device_count;
    gpu.info = info;
    mx_cuda_register_kernels(gpu.base.kernels);
    mx_cuda_register_gemm(gpu.base.kernels);
    mx_cuda_register_jit(gpu.base.kernels);
    mx_cuda_register_misc(gpu.base.kernels);
    mx_cuda_register_fast(gpu.base.kernels);
    mx_cuda_register_graph(gpu.base.kernels);
}

const mx_device_backend *mx_gpu_backend(void) {
    pthread_once(&once, init);
    return n_devices > 0 ? &gpu : NULL;
}
