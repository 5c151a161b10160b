/* src/backend/cuda/cuda.c: the CUDA backend's core: device discovery, the stream, a caching
 * device allocator (size classes over cudaMalloc, freed blocks kept for reuse), and the moves that
 * implement the memory model: a buffer's bytes are copied host->device when a GPU kernel needs
 * them and device->host when the host reads them; `valid` says where they are current.
 * All GPU work goes to one CUDA stream for now, so work of different cmlx streams is ordered. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_impl.h"

static pthread_once_t    once = PTHREAD_ONCE_INIT;
static int               n_devices;
static cudaStream_t      stream;
static mx_device_backend gpu;

mx_status mx_cuda_status(int err, const char *what, const char *file, int line) {
    mx_status st = err == (int)cudaErrorMemoryAllocation ? MX_ERR_NOMEM : MX_ERR_BACKEND;
    return mx_fail(st, "[cuda] %s failed: %s (%s:%d)", what, mx_cu_error_string(err), file, line);
}

cudaStream_t mx_cuda_stream(void) { return stream; }

/* ---- the allocator: free lists per size class (4 per power of two), under a mutex ---- */
#define NCLS 256
typedef struct dblock {
    struct dblock *next;
    void          *p;
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

static void release_cache(void) {
    pthread_mutex_lock(&mem_lock);
    for (int i = 0; i < NCLS; i++) {
        while (free_lists[i]) {
            dblock *b = free_lists[i];
            free_lists[i] = b->next;
            cudaFree(b->p);
            free(b);
        }
    }
    cached_bytes = 0;
    pthread_mutex_unlock(&mem_lock);
}

mx_status mx_cuda_malloc(size_t nbytes, void **p) {
    size_t cap;
    int c = dclass(nbytes, &cap);
    *p = NULL;
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
            free(b);
            return MX_OK;
        }
    } else {
        cap = nbytes;
    }
    cudaError_t e = cudaMalloc(p, cap ? cap : 1);
    if (e == cudaErrorMemoryAllocation) { /* give the cache back and try once more */
        cudaGetLastError();
        cudaStreamSynchronize(stream);
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

void mx_cuda_free(void *p, size_t nbytes) {
    size_t cap;
    int c = dclass(nbytes, &cap);
    dblock *b = c >= 0 ? malloc(sizeof *b) : NULL;
    if (!b) {
        cudaFree(p);
        return;
    }
    b->p = p;
    pthread_mutex_lock(&mem_lock);
    b->next = free_lists[c];
    free_lists[c] = b;
    cached_bytes += cap;
    pthread_mutex_unlock(&mem_lock);
}

/* ---- the memory model ---- */
static mx_status to_device(mx_buffer *b, mx_stream s) {
    (void)s;
    if (b->valid & MX_LOC_DEVICE) return MX_OK;
    if (!b->dptr) MX_TRY(mx_cuda_malloc(b->nbytes, &b->dptr));
    if (b->nbytes && (b->valid & MX_LOC_HOST))
        MX_CUDA_TRY(cudaMemcpyAsync(b->dptr, b->ptr, b->nbytes, cudaMemcpyHostToDevice, stream));
    b->valid |= MX_LOC_DEVICE;
    return MX_OK;
}

static mx_status to_host(mx_buffer *b) {
    if (b->valid & MX_LOC_HOST) return MX_OK;
    if (!b->ptr && !mx_buffer_host_alloc(b)) return mx_error_status();
    MX_CUDA_TRY(cudaStreamSynchronize(stream));
    if (b->nbytes) MX_CUDA_TRY(cudaMemcpy(b->ptr, b->dptr, b->nbytes, cudaMemcpyDeviceToHost));
    b->valid |= MX_LOC_HOST;
    return MX_OK;
}

static void free_device(mx_buffer *b) {
    /* the block may still be read by queued kernels: those are ordered on the one stream before
     * any later kernel that gets the block from the cache */
    mx_cuda_free(b->dptr, b->nbytes);
    if (b->dptr_counted) mx_mem_note(-(long long)b->nbytes);
    b->dptr = NULL;
}

static mx_status synchronize(mx_stream s) {
    (void)s;
    MX_CUDA_TRY(cudaStreamSynchronize(stream));
    MX_CUDA_TRY(cudaGetLastError());
    return MX_OK;
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
    int cur = 0;
    cudaGetDevice(&cur);
    if (cur == index && cudaMemGetInfo(&fr, &tot) == cudaSuccess) out->free_memory = fr;
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
    if (cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking) != cudaSuccess) {
        cudaGetLastError();
        n_devices = 0;
        return;
    }
    gpu.base.name = "cuda";
    gpu.to_device = to_device;
    gpu.to_host = to_host;
    gpu.free_device = free_device;
    gpu.synchronize = synchronize;
    gpu.device_count = device_count;
    gpu.info = info;
    mx_cuda_register_kernels(gpu.base.kernels);
    mx_cuda_register_gemm(gpu.base.kernels);
    mx_cuda_register_jit(gpu.base.kernels);
    mx_cuda_register_misc(gpu.base.kernels);
    mx_cuda_register_fast(gpu.base.kernels);
}

const mx_device_backend *mx_gpu_backend(void) {
    pthread_once(&once, init);
    return n_devices > 0 ? &gpu : NULL;
}
