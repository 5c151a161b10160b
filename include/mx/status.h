/* include/mx/status.h: the error channel of the whole C API.
 *
 * Functions that produce arrays return a new `mx_array *` or NULL; functions that do not return an
 * `mx_status`. Either way, on failure the calling thread's last error holds a status and a message
 * tagged with the op, e.g. "[reshape] cannot reshape array of size 6 into shape (4, 2)".
 * Nothing in the library aborts or exits.
 */
#ifndef MX_STATUS_H
#define MX_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mx_status {
    MX_OK = 0,
    MX_ERR_VALUE,       /* bad value: shapes, axes, dtype combination    -> ValueError          */
    MX_ERR_TYPE,        /* wrong kind of argument                        -> TypeError           */
    MX_ERR_INDEX,       /* index or axis out of range                    -> IndexError          */
    MX_ERR_NOMEM,       /* host or device allocation failed              -> MemoryError         */
    MX_ERR_UNSUPPORTED, /* no kernel for this primitive/dtype here       -> NotImplementedError */
    MX_ERR_IO,          /* missing file, bad magic, truncated            -> OSError             */
    MX_ERR_BACKEND,     /* CUDA, driver or JIT compiler failure          -> RuntimeError        */
    MX_ERR_CALLBACK,    /* a user callback failed; the host already holds the exception      */
    MX_ERR_INTERNAL,    /* broken invariant: our bug                     -> RuntimeError        */
    MX_ERR_OVERFLOW,    /* a value does not fit the requested type       -> OverflowError       */
} mx_status;

/* This thread's last error (MX_OK if none was recorded since the last clear). */
mx_status mx_error_status(void);
/* This thread's last error message; "" when there is none. Valid until the next failing call. */
const char *mx_error_message(void);
/* Forget this thread's last error. */
void mx_error_clear(void);
/* Record an error on this thread (printf-style message; should start with "[op]"). Returns st.
 * Exposed so that bindings and tools report through the same channel. */
mx_status mx_error_set(mx_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif
