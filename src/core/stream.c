/* src/core/stream.c: devices, the stream registry, per-thread default streams, and the worker
 * threads that run asynchronous evaluations.
 *
 * Streams live in a fixed registry (index = position). Each stream gets a worker thread on first
 * async use; synchronous mx_eval runs on the calling thread. An error hit by a worker sticks to
 * its stream and is reported (once) by the next mx_synchronize / mx_eval / wait on that stream.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../backend/backend.h"
#include "core.h"
#include "stream_impl.h"

#define MAX_STREAMS 256

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static mx_stream_state streams[MAX_STREAMS];
static int             n_streams;
static int             default_device_type = -1; /* resolved on first use: GPU when present */
static _Thread_local int tl_default[2] = {-1, -1}; /* per device type */

static int register_stream(mx_device_type d) {
    pthread_mutex_lock(&reg_lock);
    int i = n_streams < MAX_STREAMS ? n_streams++ : -1;
    if (i >= 0) {
        memset(&streams[i], 0, sizeof streams[i]);
        streams[i].device = d;
        streams[i].index = i;
        pthread_mutex_init(&streams[i].mu, NULL);
        pthread_cond_init(&streams[i].cv, NULL);
    }
    pthread_mutex_unlock(&reg_lock);
    return i;
}

static int device_default_stream_index(mx_device_type d) {
    static int global_default[2] = {-1, -1};
    if (tl_default[d] >= 0) return tl_default[d];
    pthread_mutex_lock(&reg_lock);
    int i = global_default[d];
    pthread_mutex_unlock(&reg_lock);
    if (i < 0) {
        i = register_stream(d);
        pthread_mutex_lock(&reg_lock);
        if (global_default[d] < 0) global_default[d] = i;
        i = global_default[d];
        pthread_mutex_unlock(&reg_lock);
    }
    tl_default[d] = i;
    return i;
}

int mx_device_count(mx_device_type t) {
    if (t == MX_CPU) return 1;
    const mx_device_backend *gpu = mx_gpu_backend();
    return gpu ? gpu->device_count() : 0;
}

bool mx_device_is_available(mx_device d) {
    return d.index >= 0 && d.index < mx_device_count(d.type);
}

mx_status mx_gpu_device_info(int index, mx_gpu_info *out) {
    const mx_device_backend *gpu = mx_gpu_backend();
    MX_CHECK(gpu && index >= 0 && index < gpu->device_count(), MX_ERR_VALUE,
             "[device_info] there is no GPU %d", index);
    return gpu->info(index, out);
}

static mx_device_type default_type(void) {
    if (default_device_type < 0) {
        const char *env = getenv("MX_DEFAULT_DEVICE"); /* "cpu" forces the CPU (tests) */
        mx_device g = {MX_GPU, 0};
        default_device_type = (env && strcmp(env, "cpu") == 0) ? MX_CPU
                              : mx_device_is_available(g)   ? MX_GPU
                                                            : MX_CPU;
    }
    return (mx_device_type)default_device_type;
}

mx_device mx_default_device(void) {
    mx_device d = {default_type(), 0};
    return d;
}

mx_status mx_set_default_device(mx_device d) {
    MX_CHECK(mx_device_is_available(d), MX_ERR_VALUE,
             "[set_default_device] the %s device %d is not available in this build",
             d.type == MX_GPU ? "gpu" : "cpu", d.index);
    default_device_type = d.type;
    return MX_OK;
}

mx_stream mx_default_stream(mx_device_type d) {
    mx_stream s = {device_default_stream_index(d), d};
    return s;
}

mx_status mx_set_default_stream(mx_stream s) {
    s = mx_stream_resolve(s);
    MX_CHECK(s.index >= 0 && s.index < n_streams, MX_ERR_VALUE,
             "[set_default_stream] unknown stream %d", s.index);
    tl_default[s.device] = s.index; /* the default of its device; the default device stays */
    return MX_OK;
}

mx_status mx_new_stream(mx_device d, mx_stream *out) {
    MX_CHECK(mx_device_is_available(d), MX_ERR_VALUE,
             "[new_stream] the %s device is not available in this build",
             d.type == MX_GPU ? "gpu" : "cpu");
    int i = register_stream(d.type);
    MX_CHECK(i >= 0, MX_ERR_VALUE, "[new_stream] too many streams (at most %d)", MAX_STREAMS);
    out->index = i;
    out->device = d.type;
    return MX_OK;
}

mx_stream mx_stream_resolve(mx_stream s) {
    if (s.index == -1) return mx_default_stream(default_type());
    if (s.index == -2) return mx_default_stream(s.device);
    return s;
}

mx_device mx_stream_device(mx_stream s) {
    s = mx_stream_resolve(s);
    mx_device d = {s.device, 0};
    return d;
}

int mx_stream_count(void) {
    pthread_mutex_lock(&reg_lock);
    int n = n_streams;
    pthread_mutex_unlock(&reg_lock);
    return n;
}

mx_stream_state *mx_stream_state_of(mx_stream s) {
    s = mx_stream_resolve(s);
    if (s.index < 0 || s.index >= MAX_STREAMS) return NULL;
    return &streams[s.index];
}

/* ---- workers ---- */
static void *worker_main(void *arg) {
    mx_stream_state *st = arg;
    pthread_mutex_lock(&st->mu);
    for (;;) {
        while (!st->head) pthread_cond_wait(&st->cv, &st->mu);
        mx_task *t = st->head;
        pthread_mutex_unlock(&st->mu);
        mx_status rc = mx_eval_run_task(t);
        char msg[1024] = "";
        if (rc != MX_OK) snprintf(msg, sizeof msg, "%s", mx_error_message());
        mx_error_clear();
        mx_eval_free_task_refs(t); /* releases the tape; t itself stays valid for t->next */
        pthread_mutex_lock(&st->mu);
        if (rc != MX_OK && st->error == MX_OK) {
            st->error = rc;
            snprintf(st->error_msg, sizeof st->error_msg, "%s", msg);
        }
        st->head = t->next;
        if (!st->head) st->tail = NULL;
        free(t);
        pthread_cond_broadcast(&st->cv);
    }
    return NULL;
}

atomic_bool mx_async_used; /* some work was ever queued on a worker (sticky errors possible) */

mx_status mx_stream_submit(mx_stream s, mx_task *t) {
    atomic_store(&mx_async_used, true);
    mx_stream_state *st = mx_stream_state_of(s);
    MX_CHECK(st != NULL, MX_ERR_VALUE, "[async_eval] unknown stream %d", s.index);
    pthread_mutex_lock(&st->mu);
    if (!st->has_worker) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&st->worker, &attr, worker_main, st);
        pthread_attr_destroy(&attr);
        if (rc != 0) {
            pthread_mutex_unlock(&st->mu);
            return mx_fail(MX_ERR_BACKEND, "[async_eval] cannot start a stream worker thread");
        }
        st->has_worker = 1;
    }
    t->next = NULL;
    if (st->tail) st->tail->next = t;
    else st->head = t;
    st->tail = t;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    return MX_OK;
}

static mx_status take_error(mx_stream_state *st) {
    mx_status rc = st->error;
    if (rc != MX_OK) {
        mx_fail(rc, "%s", st->error_msg);
        st->error = MX_OK;
    }
    return rc;
}

mx_status mx_stream_check_error(mx_stream s) {
    mx_stream_state *st = mx_stream_state_of(s);
    if (!st) return MX_OK;
    pthread_mutex_lock(&st->mu);
    mx_status rc = take_error(st);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

mx_status mx_synchronize(mx_stream s) {
    mx_stream_state *st = mx_stream_state_of(s);
    MX_CHECK(st != NULL, MX_ERR_VALUE, "[synchronize] unknown stream %d", s.index);
    pthread_mutex_lock(&st->mu);
    while (st->head) pthread_cond_wait(&st->cv, &st->mu);
    mx_status rc = take_error(st);
    pthread_mutex_unlock(&st->mu);
    if (rc == MX_OK && st->device == MX_GPU) rc = mx_gpu_backend()->synchronize(s);
    return rc;
}

mx_status mx_synchronize_all(void) {
    mx_status rc = MX_OK;
    int n = mx_stream_count();
    for (int i = 0; i < n; i++) {
        mx_stream s = {i, streams[i].device};
        mx_status r = mx_synchronize(s);
        if (rc == MX_OK) rc = r;
    }
    return rc;
}
