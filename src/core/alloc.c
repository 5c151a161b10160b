/* src/core/alloc.c: host buffers, the size-class cache, and MLX's memory statistics.
 *
 * Blocks are rounded up to a size class (four classes per power of two, at least 64 bytes, 64-byte
 * aligned) and kept on a free list per class when released, while the cache is under its limit.
 * active = sum of requested bytes of live buffers; cache = sum of capacities on the free lists.
 * One mutex guards the lists and counters; it is never held while calling out.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "../backend/backend.h"
#include "mx/memory.h"

#define NUM_CLASSES 256

/* A cached block keeps the link to the next one in its own first bytes (blocks are >= 64 bytes),
 * so caching needs no allocation. Spare buffer headers are kept on a list too. */
typedef struct free_block {
    struct free_block *next;
} free_block;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static free_block     *lists[NUM_CLASSES];
static mx_buffer      *spare_headers; /* linked through ->owner */
static int             n_spare;
static size_t          active, peak, cache_bytes;
static size_t          mem_limit, cache_limit, wired_limit;
static int             limits_set;
static atomic_llong    live_buffers;

static void init_limits(void) {
    if (limits_set) return;
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    size_t total = (pages > 0 && psize > 0) ? (size_t)pages * (size_t)psize : ((size_t)8 << 30);
    mem_limit = (size_t)(total * 0.8);
    cache_limit = mem_limit; /* cache freely up to the memory limit, as MLX's default */
    limits_set = 1;
}

/* size class index and capacity: 4 classes per octave from 64 bytes up */
static int size_class(size_t n, size_t *cap) {
    if (n <= 64) {
        *cap = 64;
        return 0;
    }
    int lg = 63 - __builtin_clzll((unsigned long long)(n - 1)); /* 2^lg < n <= 2^(lg+1) */
    size_t base = (size_t)1 << lg, step = base / 4;
    size_t k = (n - base + step - 1) / step; /* 1..4 */
    *cap = base + k * step;
    int idx = (lg - 6) * 4 + (int)k;
    return idx < NUM_CLASSES ? idx : -1;
}

static size_t class_capacity(int i) {
    if (i == 0) return 64;
    int lg = (i - 1) / 4 + 6, k = (i - 1) % 4 + 1;
    return ((size_t)1 << lg) + (size_t)k * (((size_t)1 << lg) / 4);
}

/* unlink every cached block into one chain (lock held); the caller frees it unlocked */
static void free_list_clear_locked(free_block **out_chain) {
    for (int i = 0; i < NUM_CLASSES; i++) {
        free_block *b = lists[i];
        while (b) {
            free_block *nx = b->next;
            b->next = *out_chain;
            *out_chain = b;
            b = nx;
        }
        lists[i] = NULL;
    }
    cache_bytes = 0;
}

static void free_chain(free_block *c) {
    while (c) {
        free_block *nx = c->next;
        free(c);
        c = nx;
    }
}

static mx_buffer *header_new(void) { /* lock held */
    mx_buffer *b = spare_headers;
    if (b) {
        spare_headers = (mx_buffer *)b->owner;
        n_spare--;
    }
    return b;
}

mx_buffer *mx_buffer_alloc(size_t nbytes) {
    size_t cap;
    int cls = size_class(nbytes, &cap);
    if (cls < 0) cap = nbytes;
    void *p = NULL;
    free_block *to_free = NULL;
    pthread_mutex_lock(&lock);
    init_limits();
    mx_buffer *b = header_new();
    if (cls >= 0 && lists[cls]) {
        free_block *blk = lists[cls];
        lists[cls] = blk->next;
        cache_bytes -= cap;
        p = blk;
    } else if (active + cap > mem_limit && cache_bytes) {
        free_list_clear_locked(&to_free);
    }
    if (p) { /* the common case: one lock section in all */
        active += nbytes;
        if (active > peak) peak = active;
    }
    pthread_mutex_unlock(&lock);
    free_chain(to_free);
    if (!b && !(b = malloc(sizeof *b))) {
        if (p) { /* give the block back */
            pthread_mutex_lock(&lock);
            ((free_block *)p)->next = lists[cls];
            lists[cls] = p;
            cache_bytes += cap;
            active -= nbytes;
            pthread_mutex_unlock(&lock);
        }
        mx_fail(MX_ERR_NOMEM, "[malloc] cannot allocate a buffer header");
        return NULL;
    }
    if (!p) {
        p = aligned_alloc(64, (cap + 63) & ~(size_t)63);
        if (!p) {
            free(b);
            mx_fail(MX_ERR_NOMEM, "[malloc] cannot allocate %zu bytes", nbytes);
            return NULL;
        }
        pthread_mutex_lock(&lock);
        active += nbytes;
        if (active > peak) peak = active;
        pthread_mutex_unlock(&lock);
    }
    atomic_init(&b->refs, 1);
    b->ptr = p;
    b->dptr = NULL;
    b->nbytes = nbytes;
    b->capacity = cap;
    b->valid = MX_LOC_HOST;
    b->external = 0;
    b->dptr_counted = 0;
    b->dev_writer = 0;
    b->dev_seen = b->dev_users = 0;
    b->release = NULL;
    b->owner = NULL;
    atomic_fetch_add(&live_buffers, 1);
    return b;
}

mx_buffer *mx_buffer_wrap(void *ptr, size_t nbytes, void (*release)(void *), void *owner) {
    mx_buffer *b = malloc(sizeof *b);
    if (!b) {
        mx_fail(MX_ERR_NOMEM, "[malloc] cannot allocate a buffer header");
        return NULL;
    }
    atomic_init(&b->refs, 1);
    b->ptr = ptr;
    b->dptr = NULL;
    b->nbytes = nbytes;
    b->capacity = nbytes;
    b->valid = MX_LOC_HOST;
    b->external = 1;
    b->dptr_counted = 0;
    b->dev_writer = 0;
    b->dev_seen = b->dev_users = 0;
    b->release = release;
    b->owner = owner;
    atomic_fetch_add(&live_buffers, 1);
    return b;
}

/* a header goes back to the spare list (lock held), or is freed when there are plenty */
static bool header_keep(mx_buffer *b) {
    if (n_spare >= 4096) return false;
    b->owner = spare_headers;
    spare_headers = b;
    n_spare++;
    return true;
}

void mx_buffer_release(mx_buffer *b) {
    if (!b || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1) return;
    atomic_fetch_sub(&live_buffers, 1);
    if (b->dptr) mx_gpu_backend()->free_device(b);
    if (b->external) {
        if (b->release) b->release(b->owner);
        free(b);
        return;
    }
    if (!b->ptr) { /* device-only bytes: nothing on the host to cache */
        free(b);
        return;
    }
    size_t cap;
    int cls = size_class(b->nbytes, &cap);
    void *p = b->ptr;
    pthread_mutex_lock(&lock);
    if (!b->dptr_counted) active -= b->nbytes; /* a device buffer's host mirror is not counted */
    bool keep = cls >= 0 && cache_bytes + cap <= cache_limit;
    if (keep) {
        ((free_block *)p)->next = lists[cls];
        lists[cls] = p;
        cache_bytes += cap;
    }
    bool kept_header = header_keep(b);
    pthread_mutex_unlock(&lock);
    if (!keep) free(p);
    if (!kept_header) free(b);
}

int64_t mx_debug_live_buffers(void) { return atomic_load(&live_buffers); }

mx_buffer *mx_buffer_new_device(size_t nbytes) {
    mx_buffer *b = calloc(1, sizeof *b);
    if (!b) {
        mx_fail(MX_ERR_NOMEM, "[malloc] cannot allocate a buffer header");
        return NULL;
    }
    atomic_init(&b->refs, 1);
    b->nbytes = nbytes;
    b->capacity = nbytes;
    b->valid = MX_LOC_DEVICE;
    b->dptr_counted = 1;
    atomic_fetch_add(&live_buffers, 1);
    return b;
}

void *mx_buffer_host_alloc(mx_buffer *b) {
    if (b->ptr) return b->ptr;
    mx_buffer *tmp = mx_buffer_alloc(b->nbytes); /* borrow a block from the host cache */
    if (!tmp) return NULL;
    b->ptr = tmp->ptr;
    b->capacity = tmp->capacity;
    pthread_mutex_lock(&lock);
    active -= tmp->nbytes; /* the bytes are counted once, on the device side */
    pthread_mutex_unlock(&lock);
    atomic_fetch_sub(&live_buffers, 1);
    free(tmp);
    return b->ptr;
}

void mx_mem_note(long long delta) {
    pthread_mutex_lock(&lock);
    active = (size_t)((long long)active + delta);
    if (active > peak) peak = active;
    pthread_mutex_unlock(&lock);
}

/* ---- the memory API ---- */
#define LOCKED(expr)                                                                               \
    do {                                                                                           \
        pthread_mutex_lock(&lock);                                                                 \
        init_limits();                                                                             \
        expr;                                                                                      \
        pthread_mutex_unlock(&lock);                                                               \
    } while (0)

size_t mx_get_active_memory(void) {
    size_t r;
    LOCKED(r = active);
    return r;
}
size_t mx_get_peak_memory(void) {
    size_t r;
    LOCKED(r = peak);
    return r;
}
void mx_reset_peak_memory(void) { LOCKED(peak = active); }
size_t mx_mem_cache_limit(void) {
    size_t r;
    LOCKED(r = cache_limit);
    return r;
}
/* host and device caches together, as MLX reports its allocator's cache */
size_t mx_get_cache_memory(void) {
    size_t r;
    LOCKED(r = cache_bytes);
    const mx_device_backend *gpu = mx_gpu_backend();
    return r + (gpu ? gpu->cache_bytes() : 0);
}
size_t mx_get_memory_limit(void) {
    size_t r;
    LOCKED(r = mem_limit);
    return r;
}
size_t mx_set_memory_limit(size_t limit) {
    size_t r;
    LOCKED(r = mem_limit; mem_limit = limit);
    return r;
}
size_t mx_set_wired_limit(size_t limit) {
    size_t r;
    LOCKED(r = wired_limit; wired_limit = limit);
    return r;
}

static void trim_cache_to(size_t target) {
    free_block *chain = NULL;
    pthread_mutex_lock(&lock);
    for (int i = NUM_CLASSES - 1; i >= 0 && cache_bytes > target; i--) {
        while (lists[i] && cache_bytes > target) {
            free_block *b = lists[i];
            lists[i] = b->next;
            cache_bytes -= class_capacity(i);
            b->next = chain;
            chain = b;
        }
    }
    pthread_mutex_unlock(&lock);
    free_chain(chain);
}

size_t mx_set_cache_limit(size_t limit) {
    size_t r;
    LOCKED(r = cache_limit; cache_limit = limit);
    trim_cache_to(limit);
    const mx_device_backend *gpu = mx_gpu_backend();
    if (gpu) gpu->trim_cache(limit);
    return r;
}

void mx_clear_cache(void) {
    free_block *chain = NULL;
    pthread_mutex_lock(&lock);
    free_list_clear_locked(&chain);
    pthread_mutex_unlock(&lock);
    free_chain(chain);
    const mx_device_backend *gpu = mx_gpu_backend();
    if (gpu) gpu->trim_cache(0);
}
