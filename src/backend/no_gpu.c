/* src/backend/no_gpu.c: built when the CUDA backend is not: there is no GPU backend. */
#include "backend.h"

const mx_device_backend *mx_gpu_backend(void) { return NULL; }
