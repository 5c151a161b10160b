/* src/fast/fast_impl.h: what the mx.fast files share (the src/fast files, the CPU and GPU kernels of
 * CUSTOM_KERNEL, the tests): kernel objects, the generated CUDA source, the interned instances
 * that CUSTOM_KERNEL nodes point at, and the NVRTC options generated sources need. */
#ifndef MX_FAST_IMPL_H
#define MX_FAST_IMPL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"
#include "../prims/fast_params.h"
#include "mx/fast.h"

/* which shape parameters an input receives (bits of shape_info) */
enum { MX_FAST_SHAPE = 1, MX_FAST_STRIDES = 2, MX_FAST_NDIM = 4 };

struct mx_fast_kernel {
    atomic_int refs;
    char      *name, *source, *header;
    int        n_in, n_out;
    char     **in_names, **out_names;
    uint8_t   *shape_info; /* per input: the MX_FAST_* names the source mentions */
    bool       ensure_row_contiguous;
    int        shared_memory;
};

/* One compiled form of a kernel: the generated source (or a precompiled image) and its symbol.
 * Interned by content and never freed, so nodes and compile's tapes may keep the pointer. */
typedef struct mx_fast_inst {
    struct mx_fast_inst *next; /* intern chain */
    uint64_t             hash;
    const char          *op;   /* "cuda_kernel" or "precompiled_cuda_kernel": error tag */
    char                *symbol;
    char                *code; /* NUL-terminated source, or the image with a NUL appended */
    size_t               code_len;
    int                  precompiled;
    int                  n_in;
    uint8_t             *shape_info; /* n_in entries (0 for precompiled kernels) */
    _Atomic(void *)      handle;     /* the backend's loaded kernel, set once (cuda_fast.c) */
} mx_fast_inst;

/* The interned instance with this content (a new one the first time). NULL with an error when
 * out of memory. */
mx_fast_inst *mx_fast_intern(const char *op, const char *symbol, const void *code,
                             size_t code_len, int precompiled, int n_in,
                             const uint8_t *shape_info);

/* The CUDA type name of a dtype ("float", "__half", "complex64_t", ...; "double" for float64,
 * used only by template arguments); NULL for an invalid value. */
const char *mx_fast_cuda_type(mx_dtype t);
/* Is s a C identifier? */
bool mx_fast_is_identifier(const char *s);
/* The MX_FAST_* bits of input `name` in source (MLX: a substring search for name_shape, ...). */
uint8_t mx_fast_shape_info(const char *source, const char *name);
/* Validate template arguments: "[op] ..." errors. */
mx_status mx_fast_check_template(const char *op, const mx_fast_template_arg *t, int n);
/* The full source and symbol of kernel k for these input dtypes/ndims, output dtypes and
 * template arguments (validated by the caller). Malloc'd strings; MX_ERR_NOMEM on failure. */
mx_status mx_fast_build_source(const mx_fast_kernel *k, const mx_dtype *in_dtypes,
                               const int *in_ndims, const mx_dtype *out_dtypes,
                               const mx_fast_template_arg *t, int nt, char **source,
                               char **symbol);
/* The NVRTC options generated sources need (include paths of the CUDA toolkit headers found on
 * this machine, C++17); the array is static. Returns the count. */
int mx_fast_nvrtc_options(const char *const **opts);

#endif
