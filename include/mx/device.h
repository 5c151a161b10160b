/* include/mx/device.h: devices and streams.
 *
 * Arrays have no device; streams do. Every op takes an `mx_stream` last: MX_DEFAULT_STREAM means
 * "this thread's default stream of the default device"; mx_stream_of_device(d) means that device's
 * default stream. Work on different streams may run concurrently; the evaluator orders work across
 * streams by data dependencies, so an op on one stream may freely consume arrays made on another.
 */
#ifndef MX_DEVICE_H
#define MX_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "mx/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mx_device_type { MX_CPU = 0, MX_GPU = 1 } mx_device_type;

typedef struct mx_device {
    mx_device_type type;
    int            index;
} mx_device;

/* A stream handle. index >= 0 names a stream in the registry; index == -1 means the default
 * stream of the default device, index == -2 the default stream of `device`, resolved at use. */
typedef struct mx_stream {
    int32_t        index;
    mx_device_type device;
} mx_stream;

#define MX_DEFAULT_STREAM ((mx_stream){-1, MX_CPU})

static inline mx_stream mx_stream_of_device(mx_device_type d) {
    mx_stream s = {-2, d};
    return s;
}

mx_device mx_default_device(void);
/* MX_ERR_VALUE if the device is not available (e.g. GPU without the CUDA backend). */
mx_status mx_set_default_device(mx_device d);
bool      mx_device_is_available(mx_device d);
int       mx_device_count(mx_device_type t);

/* This thread's default stream on device type d. */
mx_stream mx_default_stream(mx_device_type d);
/* Make s this thread's default stream of its device (the default device does not change). */
mx_status mx_set_default_stream(mx_stream s);
/* A new stream on device d; MX_ERR_VALUE if d is unavailable. */
mx_status mx_new_stream(mx_device d, mx_stream *out);
/* Resolve the sentinels above into a concrete registered stream. */
mx_stream mx_stream_resolve(mx_stream s);
/* The device a (resolved) stream runs on. */
mx_device mx_stream_device(mx_stream s);
/* Wait for all work scheduled on s (MX_DEFAULT_STREAM: the default stream) and report any error
 * a worker hit while running it (sticky errors are reported once). */
mx_status mx_synchronize(mx_stream s);
/* What the GPU backend reports about device `index` (MLX's device_info CUDA fields). */
typedef struct mx_gpu_info {
    char   name[256];
    char   uuid[64];       /* "GPU-xxxxxxxx-xxxx-..." */
    char   pci_bus_id[32]; /* "0000:00:06.0" */
    int    compute_capability_major, compute_capability_minor;
    size_t total_memory, free_memory;
} mx_gpu_info;
/* MX_ERR_VALUE when there is no such GPU. */
mx_status mx_gpu_device_info(int index, mx_gpu_info *out);

/* Number of registered streams (for the Python Stream repr and tests). */
int mx_stream_count(void);

#ifdef __cplusplus
}
#endif
#endif
