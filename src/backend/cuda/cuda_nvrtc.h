/* src/backend/cuda/cuda_nvrtc.h: run-time compilation of CUDA C++ source (NVRTC) into kernels the
 * backend can launch, shared by compile's fused groups (cuda_jit.c) and mx.fast.cuda_kernel
 * (cuda_fast.c). libnvrtc is loaded with dlopen on first use, so the library loads and works
 * without it (callers then fall back). Compiled images are cached in memory for the life of the
 * process and on disk (MLX_PTX_CACHE_DIR, else a per-user cache directory), keyed by a hash of
 * the source, the options, the target architecture and the NVRTC version. */
#ifndef MX_CUDA_NVRTC_H
#define MX_CUDA_NVRTC_H

#include "cuda_impl.h"

typedef struct mx_nvrtc_fn mx_nvrtc_fn; /* a loaded kernel; owned by the cache, never freed */

/* Is NVRTC usable here (library found, symbols resolved)? Cheap after the first call. */
int mx_nvrtc_available(void);

/* The kernel `name` (an extern "C" __global__ function, or a name expression such as
 * "my_kernel<float, 4>" that NVRTC lowers) of `source`, compiled for the current GPU with
 * `nopts` extra NVRTC options (the -arch option is added: sm_XY of the current device, or
 * compute_XY when this NVRTC does not know the device). Errors (no NVRTC, compile errors with the
 * log) come back as MX_ERR_BACKEND with "[what] ..." messages (MX_ERR_UNSUPPORTED when NVRTC is
 * missing). Thread-safe. The build, the disk cache and their counters are in cuda_jit.h. */
mx_status mx_nvrtc_get(const char *what, const char *source, const char *name, const char **opts,
                       int nopts, mx_nvrtc_fn **out);

/* Launch on the backend's current stream (mx_cuda_stream()); args as for cudaLaunchKernel. */
mx_status mx_nvrtc_launch(const mx_nvrtc_fn *f, const unsigned grid[3], const unsigned block[3],
                          size_t shared_bytes, void **args);

/* The CUDA include directory (holding cuda_fp16.h): $CUDA_HOME/include, /usr/local/cuda/include
 * or ../include next to the loaded libnvrtc; 1 and the path in buf, or 0. NVRTC itself searches
 * no directory: pass "-I<dir>" to sources that include CUDA headers. */
int mx_nvrtc_include_dir(char *buf, size_t n);

#endif
