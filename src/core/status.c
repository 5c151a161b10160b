/* src/core/status.c: the thread-local last error (status + message). */
#include <stdarg.h>
#include <stdio.h>

#include "mx/status.h"

static _Thread_local mx_status tl_status = MX_OK;
static _Thread_local char tl_msg[1024];

mx_status mx_error_status(void) { return tl_status; }

const char *mx_error_message(void) { return tl_status == MX_OK ? "" : tl_msg; }

void mx_error_clear(void) {
    tl_status = MX_OK;
    tl_msg[0] = 0;
}

mx_status mx_error_set(mx_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tl_msg, sizeof tl_msg, fmt, ap);
    va_end(ap);
    tl_status = st;
    return st;
}
