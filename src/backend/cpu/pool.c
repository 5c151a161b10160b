/* src/backend/cpu/pool.c: a fixed pool of worker threads (one per core, the caller included).
 * One job runs at a time (a mutex serialises callers); workers wait on a condition variable and
 * the last one to finish signals the caller. Thread count: MX_NUM_THREADS or the number of cores. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool.h"

#define MAX_THREADS 256

static pthread_once_t  once = PTHREAD_ONCE_INIT;
static int             nthreads = 1;
static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER; /* one job at a time */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  start_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t  done_cv = PTHREAD_COND_INITIALIZER;
static uint64_t        job_gen;
static int             pending;
static mx_range_fn     job_fn;
static void           *job_ctx;
static int64_t         job_n, job_chunk;
static _Thread_local int in_pool_task;

static void run_chunk(int t) {
    int64_t b = (int64_t)t * job_chunk, e = b + job_chunk;
    if (e > job_n) e = job_n;
    if (b < e) job_fn(job_ctx, b, e);
}

static void *worker(void *arg) {
    int t = (int)(intptr_t)arg;
    uint64_t seen = 0;
    in_pool_task = 1;
    pthread_mutex_lock(&mu);
    for (;;) {
        while (job_gen == seen) pthread_cond_wait(&start_cv, &mu);
        seen = job_gen;
        pthread_mutex_unlock(&mu);
        run_chunk(t);
        pthread_mutex_lock(&mu);
        if (--pending == 0) pthread_cond_signal(&done_cv);
    }
    return NULL;
}

static void init(void) {
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    const char *env = getenv("MX_NUM_THREADS");
    if (env && atoi(env) > 0) nc = atoi(env);
    if (nc < 1) nc = 1;
    if (nc > MAX_THREADS) nc = MAX_THREADS;
    int started = 1;
    for (int t = 1; t < nc; t++) {
        pthread_t th;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&th, &attr, worker, (void *)(intptr_t)t) == 0) started++;
        pthread_attr_destroy(&attr);
        if (started != t + 1) break;
    }
    nthreads = started;
}

int mx_pool_threads(void) {
    pthread_once(&once, init);
    return nthreads;
}

void mx_parallel_for(int64_t n, int64_t grain, mx_range_fn fn, void *ctx) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int nt = mx_pool_threads();
    if (in_pool_task || nt == 1 || n < 2 * grain) {
        fn(ctx, 0, n);
        return;
    }
    int64_t want = n / grain;
    int use = want < nt ? (int)want : nt;
    pthread_mutex_lock(&job_lock);
    pthread_mutex_lock(&mu);
    job_fn = fn;
    job_ctx = ctx;
    job_n = n;
    job_chunk = (n + use - 1) / use;
    /* chunks beyond `use` are empty: every worker still reports in */
    pending = nt - 1;
    job_gen++;
    pthread_cond_broadcast(&start_cv);
    pthread_mutex_unlock(&mu);
    in_pool_task = 1;
    run_chunk(0);
    in_pool_task = 0;
    pthread_mutex_lock(&mu);
    while (pending > 0) pthread_cond_wait(&done_cv, &mu);
    pthread_mutex_unlock(&mu);
    pthread_mutex_unlock(&job_lock);
}
