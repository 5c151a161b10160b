/* src/backend/cuda/cuda_fast.c: the GPU kernel of CUSTOM_KERNEL (mx.fast.cuda_kernel and
 * mx.fast.precompiled_cuda_kernel), following MLX's CustomKernel::eval_gpu:
 *   1. the kernel: a generated source is compiled once through NVRTC (cuda_nvrtc.h, cached in
 *      memory and on disk by source; include paths of the CUDA headers added); a precompiled
 *      PTX / cubin image is loaded once with cudaLibraryLoadData. The loaded handle is kept in
 *      the interned instance.
 *   2. outputs: fresh row-major device buffers, filled with init_value when given (arange with
 *      step 0: the float converted to the output dtype on the device).
 *   3. inputs: a row-major copy when ensure_row_contiguous and the input is not row-contiguous;
 *      otherwise a pointer to element [0, ..., 0] of the view as it is (strided, broadcast).
 *   4. parameters in signature order: per input its pointer, then Shape (int32 x MAX_NDIM),
 *      Strides (int64 x MAX_NDIM) and ndim (int32) when the instance passes them; per output its
 *      pointer; then the scalars (bool / int32 / float32) of precompiled kernels.
 *   5. launch ceil(grid / threadgroup) blocks of min(threadgroup, grid) threads on the backend's
 *      stream with the dynamic shared memory asked for; a grid with a 0 entry launches nothing.
 * Also the GPU kernels of RMS_NORM and LAYER_NORM (mx.fast.rms_norm / layer_norm): x copied to
 * row-major when it is not row-contiguous, weight / bias when they are not unit-stride, then
 * cu_norm.cu's row kernel on the node's stream (float64 refused).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../fast/fast_impl.h"
#include "../../prims/fast_params.h"
#include "cu_norm.h"
#include "cuda_impl.h"
#include "cuda_nvrtc.h"

#define SHAPE_SLOTS 16 /* MAX_NDIM of the generated prelude (kernel_source.c) */
#define SMEM_DEFAULT_MAX (48 * 1024)

/* device bytes of element [0..0], or NULL for an array without a buffer (empty) */
/* A failed runtime call as an error with file:line; the runtime's last error is reset, so that
 * the next launcher checking cudaGetLastError does not report this failure again. */
static mx_status rt_fail(int e, const char *what, int line) {
    (void)cudaGetLastError();
    return mx_cuda_status(e, what, __FILE__, line);
}

/* ---- loading the kernel ---- */
static mx_status load_precompiled(mx_fast_inst *k, void **out) {
    cudaLibrary_t lib = NULL;
    cudaKernel_t  fn = NULL;
    int e = (int)cudaLibraryLoadData(&lib, k->code, NULL, NULL, 0, NULL, NULL, 0);
    if (e) {
        (void)cudaGetLastError();
        return mx_fail(MX_ERR_BACKEND,
                       "[%s] cannot load the compiled source of '%s' (PTX, cubin or fatbin "
                       "expected): %s (%s:%d)",
                       k->op, k->symbol, mx_cu_error_string(e), __FILE__, __LINE__);
    }
    e = (int)cudaLibraryGetKernel(&fn, lib, k->symbol);
    if (e) {
        (void)cudaGetLastError();
        cudaLibraryUnload(lib);
        return mx_fail(MX_ERR_BACKEND, "[%s] no kernel named '%s' in the compiled source: %s (%s:%d)",
                       k->op, k->symbol, mx_cu_error_string(e), __FILE__, __LINE__);
    }
    void *expect = NULL;
    if (!atomic_compare_exchange_strong(&k->handle, &expect, (void *)fn)) {
        cudaLibraryUnload(lib); /* another thread loaded it first */
        fn = (cudaKernel_t)expect;
    }
    *out = (void *)fn;
    return MX_OK;
}

/* NVRTC options: the CUDA headers found by src/fast (kernel_source.c), else the directory the
 * NVRTC loader finds (next to libnvrtc, ...), with CUDA 13's include/cccl for cuda::std */
static pthread_once_t opts_once = PTHREAD_ONCE_INIT;
static const char    *opts[8];
static int            n_opts;
static char           inc[2][4200];

static void init_opts(void) {
    const char *const *base;
    int nb = mx_fast_nvrtc_options(&base);
    bool have_inc = false;
    for (int i = 0; i < nb && n_opts < 6; i++) {
        opts[n_opts++] = base[i];
        have_inc |= strncmp(base[i], "--include-path=", 15) == 0;
    }
    char dir[4096];
    if (!have_inc && mx_nvrtc_include_dir(dir, sizeof dir)) {
        snprintf(inc[0], sizeof inc[0], "--include-path=%s", dir);
        opts[n_opts++] = inc[0];
        snprintf(inc[1], sizeof inc[1], "%s/cccl/cuda/std/array", dir);
        if (access(inc[1], R_OK) == 0) {
            snprintf(inc[1], sizeof inc[1], "--include-path=%s/cccl", dir);
            opts[n_opts++] = inc[1];
        }
    }
}

static mx_status get_kernel(mx_fast_inst *k, void **out) {
    void *h = atomic_load(&k->handle);
    if (h) {
        *out = h;
        return MX_OK;
    }
    if (k->precompiled) return load_precompiled(k, out);
    pthread_once(&opts_once, init_opts);
    mx_nvrtc_fn *fn = NULL;
    MX_TRY(mx_nvrtc_get(k->op, k->code, k->symbol, opts, n_opts, &fn));
    atomic_store(&k->handle, (void *)fn);
    *out = fn;
    return MX_OK;
}

/* ---- outputs ---- */
static mx_status alloc_outputs(const mx_custom_kernel_params *p, int n_out, mx_layout *out) {
    for (int i = 0; i < n_out; i++) {
        MX_TRY(mx_cuda_alloc_out(&out[i]));
        int64_t n = mx_meta_size(&out[i].m);
        if (!p->has_init || n == 0) continue;
        mx_dtype t = out[i].m.dtype;
        if (p->init_value == 0.0f && !__builtin_signbit(p->init_value)) {
            MX_CUDA_TRY(cudaMemsetAsync(mx_cuda_ptr(&out[i]), 0, (size_t)n * mx_dtype_size(t),
                                        mx_cuda_stream()));
        } else { /* arange with step 0: every element is init_value converted to t */
            MX_CUDA_TRY(mx_cu_arange(t, mx_cuda_ptr(&out[i]), n, (double)p->init_value, 0.0,
                                     mx_cuda_stream()));
        }
    }
    return MX_OK;
}

/* ---- the kernel ---- */
typedef struct launch_buf {
    void   **args;
    void   **ptrs;
    int32_t (*shape)[SHAPE_SLOTS];
    int64_t (*strides)[SHAPE_SLOTS];
    int32_t *ndim;
    mx_layout *tmp; /* row-major copies of inputs */
} launch_buf;

static void launch_buf_free(launch_buf *b, int n_in) {
    for (int i = 0; b->tmp && i < n_in; i++)
        if (b->tmp[i].buf) mx_buffer_release(b->tmp[i].buf);
    free(b->args);
    free(b->ptrs);
    free(b->shape);
    free(b->strides);
    free(b->ndim);
    free(b->tmp);
}

static mx_status build_args(const mx_node *n, const mx_custom_kernel_params *p,
                            const mx_layout *in, mx_layout *out, launch_buf *b, bool *scal_b,
                            int32_t *scal_i, float *scal_f) {
    const mx_fast_inst *k = p->inst;
    int n_in = n->n_in, n_out = n->n_out, nargs = n_out + p->n_scalars;
    for (int i = 0; i < n_in; i++)
        nargs += 1 + !!(k->shape_info[i] & MX_FAST_SHAPE) + !!(k->shape_info[i] & MX_FAST_STRIDES) +
                 !!(k->shape_info[i] & MX_FAST_NDIM);
    size_t ni = (size_t)n_in + 1;
    b->args = calloc((size_t)nargs + 1, sizeof *b->args);
    b->ptrs = calloc(ni + (size_t)n_out, sizeof *b->ptrs);
    b->shape = calloc(ni, sizeof *b->shape);
    b->strides = calloc(ni, sizeof *b->strides);
    b->ndim = calloc(ni, sizeof *b->ndim);
    b->tmp = calloc(ni, sizeof *b->tmp);
    MX_CHECK(b->args && b->ptrs && b->shape && b->strides && b->ndim && b->tmp, MX_ERR_NOMEM,
             "[%s] out of memory", k->op);
    int a = 0;
    for (int i = 0; i < n_in; i++) {
        const mx_layout *v = &in[i];
        if (p->ensure_row_contiguous && !(v->flags & MX_ROW_CONTIG) && mx_meta_size(&v->m) > 0) {
            MX_TRY(mx_cuda_copy_row_major(v, &b->tmp[i]));
            v = &b->tmp[i];
        }
        b->ptrs[i] = mx_cuda_dptr(v);
        b->args[a++] = &b->ptrs[i];
        uint8_t info = k->shape_info[i];
        for (int d = 0; d < v->m.ndim; d++) {
            MX_CHECK(!(info & MX_FAST_SHAPE) || v->m.shape[d] <= INT32_MAX, MX_ERR_VALUE,
                     "[%s] input %d: dimension %lld does not fit the int32 Shape parameter",
                     k->op, i, (long long)v->m.shape[d]);
            b->shape[i][d] = (int32_t)v->m.shape[d];
            b->strides[i][d] = v->strides[d];
        }
        b->ndim[i] = v->m.ndim;
        if (info & MX_FAST_SHAPE) b->args[a++] = b->shape[i];
        if (info & MX_FAST_STRIDES) b->args[a++] = b->strides[i];
        if (info & MX_FAST_NDIM) b->args[a++] = &b->ndim[i];
    }
    for (int i = 0; i < n_out; i++) {
        b->ptrs[n_in + i] = mx_cuda_dptr(&out[i]);
        b->args[a++] = &b->ptrs[n_in + i];
    }
    for (int i = 0; i < p->n_scalars; i++) {
        uint32_t bits = p->scalar_bits[i];
        switch (p->scalar_kind[i]) {
        case MX_FAST_SCALAR_BOOL:
            scal_b[i] = bits != 0;
            b->args[a++] = &scal_b[i];
            break;
        case MX_FAST_SCALAR_INT:
            scal_i[i] = (int32_t)bits;
            b->args[a++] = &scal_i[i];
            break;
        default:
            memcpy(&scal_f[i], &bits, 4);
            b->args[a++] = &scal_f[i];
            break;
        }
    }
    return MX_OK;
}

static mx_status custom_kernel_gpu(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_custom_kernel_params *p = MX_PARAMS(mx_custom_kernel_params, n);
    mx_fast_inst *k = p->inst;
    MX_TRY(mx_cuda_no_f64(k->op, in, n->n_in));
    MX_TRY(mx_cuda_no_f64(k->op, out, n->n_out));
    void *fn = NULL;
    MX_TRY(get_kernel(k, &fn)); /* compile errors come before any work */
    MX_TRY(alloc_outputs(p, n->n_out, out));
    unsigned grid[3], block[3];
    bool empty = false;
    for (int d = 0; d < 3; d++) {
        unsigned g = (unsigned)p->grid[d], t = (unsigned)p->block[d];
        block[d] = t < g ? t : g;
        grid[d] = (g + t - 1) / t;
        empty |= g == 0;
    }
    if (empty) return MX_OK;
    launch_buf b;
    memset(&b, 0, sizeof b);
    bool    scal_b[MX_FAST_MAX_SCALARS];
    int32_t scal_i[MX_FAST_MAX_SCALARS];
    float   scal_f[MX_FAST_MAX_SCALARS];
    mx_status st = build_args(n, p, in, out, &b, scal_b, scal_i, scal_f);
    size_t smem = (size_t)p->shared_memory;
    if (st == MX_OK && k->precompiled) {
        if (smem > SMEM_DEFAULT_MAX) {
            int e = (int)cudaFuncSetAttribute((const void *)fn,
                                              cudaFuncAttributeMaxDynamicSharedMemorySize,
                                              (int)smem);
            if (e) st = rt_fail(e, "cudaFuncSetAttribute", __LINE__);
        }
        if (st == MX_OK) {
            dim3 gd = {grid[0], grid[1], grid[2]}, bd = {block[0], block[1], block[2]};
            int e = (int)cudaLaunchKernel((const void *)fn, gd, bd, b.args, smem,
                                          mx_cuda_stream());
            if (e) st = rt_fail(e, "cudaLaunchKernel", __LINE__);
        }
    } else if (st == MX_OK) {
        st = mx_nvrtc_launch((const mx_nvrtc_fn *)fn, grid, block, smem, b.args);
        if (st != MX_OK) (void)cudaGetLastError(); /* a bad launch configuration is not sticky */
    }
    launch_buf_free(&b, n->n_in);
    return st;
}

/* ---- rms_norm / layer_norm ---- */

/* v itself when it is row-contiguous (1-D: unit stride), else a row-major copy in *tmp */
static mx_status row_major(const mx_layout *v, mx_layout *tmp, const mx_layout **res) {
    if (v->flags & MX_ROW_CONTIG) {
        *res = v;
        return MX_OK;
    }
    MX_TRY(mx_cuda_copy_row_major(v, tmp));
    *res = tmp;
    return MX_OK;
}

static mx_status norm_gpu(const mx_node *n, const mx_layout *in, mx_layout *out) {
    const mx_norm_params *p = MX_PARAMS(mx_norm_params, n);
    int layer = n->prim == MX_PRIM_LAYER_NORM;
    const char *op = layer ? "layer_norm" : "rms_norm";
    MX_TRY(mx_cuda_no_f64(op, in, n->n_in));
    MX_TRY(mx_cuda_alloc_out(&out[0]));
    int64_t size = mx_meta_size(&in[0].m), cols = in[0].m.shape[in[0].m.ndim - 1];
    if (size == 0 || cols == 0) return MX_OK;
    const mx_layout *v[3] = {&in[0], p->has_weight ? &in[1] : NULL,
                             p->has_bias ? &in[1 + !!p->has_weight] : NULL};
    mx_layout tmp[3];
    memset(tmp, 0, sizeof tmp);
    const void *ptr[3] = {NULL, NULL, NULL};
    mx_status st = MX_OK;
    for (int i = 0; i < 3 && st == MX_OK; i++) {
        if (!v[i]) continue;
        st = row_major(v[i], &tmp[i], &v[i]);
        if (st == MX_OK) ptr[i] = mx_cuda_ptr(v[i]);
    }
    if (st == MX_OK) {
        int e = mx_cu_norm_rows(layer, in[0].m.dtype, mx_cuda_ptr(&out[0]), ptr[0], ptr[1],
                                ptr[2], size / cols, cols, p->eps, mx_cuda_stream());
        if (e) st = rt_fail(e, "mx_cu_norm_rows", __LINE__);
    }
    for (int i = 0; i < 3; i++)
        if (tmp[i].buf) mx_buffer_release(tmp[i].buf);
    return st;
}

void mx_cuda_register_fast(mx_kernel_fn *k) {
    k[MX_PRIM_CUSTOM_KERNEL] = custom_kernel_gpu;
    k[MX_PRIM_RMS_NORM] = norm_gpu;
    k[MX_PRIM_LAYER_NORM] = norm_gpu;
}
