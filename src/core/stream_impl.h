/* src/core/stream_impl.h: stream state shared by stream.c and eval.c. */
#ifndef MX_STREAM_IMPL_H
#define MX_STREAM_IMPL_H

#include <pthread.h>

#include "core.h"

typedef struct mx_task mx_task;
struct mx_task {
    mx_task   *next;
    mx_array **tape; /* strong references, in execution order */
    size_t     n;
};

typedef struct mx_stream_state {
    mx_device_type  device;
    int             index;
    pthread_mutex_t mu;
    pthread_cond_t  cv;   /* signalled when a task finishes or is queued */
    pthread_t       worker;
    int             has_worker;
    mx_task        *head, *tail;
    mx_status       error; /* sticky: reported once by the next synchronize/eval */
    char            error_msg[1024];
} mx_stream_state;

#include <stdatomic.h>
extern atomic_bool mx_async_used;

mx_stream_state *mx_stream_state_of(mx_stream s);
mx_status        mx_stream_submit(mx_stream s, mx_task *t);
mx_status        mx_stream_check_error(mx_stream s);
mx_status        mx_synchronize_all(void);
/* eval.c: run / free a task queued by mx_async_eval (on the worker thread). */
mx_status        mx_eval_run_task(mx_task *t);
void             mx_eval_free_task_refs(mx_task *t); /* the tape, not t */

#endif
