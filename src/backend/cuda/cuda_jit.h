/* src/backend/cuda/cuda_jit.h: the plain-C interface (no CUDA headers, so the C tests can include
 * it) of the GPU kernel of FUSED nodes: the CUDA source generator (cuda_jit_src.c), the kernel
 * (cuda_jit.c) and the NVRTC layer's build and cache entry points (cuda_nvrtc.c) that the tests
 * drive without a GPU. Everything here exists only in builds with the CUDA backend; the tests
 * reference it through weak symbols. */
#ifndef MX_CUDA_JIT_H
#define MX_CUDA_JIT_H

#include "../../transforms/compile.h"

/* ---- source generation (cuda_jit_src.c) ---- */
enum {
    MX_CUDA_JIT_DENSE = 0,   /* every input dense row-major or a scalar; flat index. Defines
                                mx_fz_d(n, ptrs...) and the vectorised mx_fz_v(n, ptrs...), which
                                moves `vec` elements per step (all non-scalar pointers aligned) */
    MX_CUDA_JIT_STRIDED = 1, /* any strides: the output is row-major, the flat index is split
                                over the collapsed shape; mx_fz_s(n, mx_fz_nd, ptrs...) */
};
typedef struct mx_cuda_jit_variant {
    int      kind;        /* MX_CUDA_JIT_* */
    uint64_t scalar_mask; /* inputs (bit j < 64) read once: size-1 inputs */
    int      ndim;        /* STRIDED: collapsed dimensions, 1..MX_MAX_DIMS */
    int      idx32;       /* STRIDED: index arithmetic in 32 bits (n and every offset < 2^31) */
} mx_cuda_jit_variant;

/* The CUDA C++ source (malloc'ed, NUL-terminated) for the sub-tape d in variant v, or NULL when
 * some op has no generated form (float64 anywhere, an op not accepting its dtype, mismatched
 * operand dtypes, a FUSED description with more than one output) or out of memory. The source
 * needs no header (not even the CUDA ones): float16 / bfloat16 conversions are written in it. */
char *mx_cuda_jit_source(const mx_fused_desc *d, const mx_cuda_jit_variant *v);
/* Elements per vector step of the dense variant of d (16 bytes of the widest operand). */
int mx_cuda_jit_vec_width(const mx_fused_desc *d);
/* The NVRTC options every generated kernel is built with (count in *n). */
const char *const *mx_cuda_jit_options(int *n);

/* ---- the kernel (cuda_jit.c) ---- */
typedef struct mx_cuda_jit_stats {
    int64_t gpu_runs;      /* FUSED nodes run by a generated kernel on the GPU */
    int64_t fallback_runs; /* FUSED nodes run with the ordinary GPU kernels, op by op */
    int64_t variants;      /* (sub-tape, variant) kernels prepared (built or found on disk) */
    int64_t failures;      /* variants that could not be generated, built or loaded */
} mx_cuda_jit_stats;
void mx_cuda_jit_get_stats(mx_cuda_jit_stats *out);
/* Tests: on = 0 makes FUSED nodes use the op-by-op fallback even when NVRTC works. */
void mx_cuda_jit_set_enabled(int on);
/* Tests: forget the prepared variants and the loaded kernels (mx_nvrtc_forget), so the next run
 * of a group builds again, from the disk cache when it has the image. */
void mx_cuda_jit_forget(void);

/* ---- NVRTC (cuda_nvrtc.c; the launch side is in cuda_nvrtc.h) ---- */
int mx_nvrtc_available(void); /* also declared in cuda_nvrtc.h */
/* "major.minor" of the loaded NVRTC, or 0 when none. */
int mx_nvrtc_version(void);
/* Build (or read from the disk cache) the image of `source` for compute capability `arch`
 * (e.g. 90): a CUBIN when this NVRTC knows sm_<arch>, else PTX for the newest compute_XY <= arch.
 * `name`: NULL or the kernel's name; a name expression (with '<', ':' or '(') is added to the
 * program and its lowered name written to lowered (size n_lowered). *image (malloc'ed, PTX
 * NUL-terminated) and *size; *is_cubin says which. Errors: MX_ERR_BACKEND "[what] ..." with the
 * NVRTC log for compile errors, MX_ERR_UNSUPPORTED when NVRTC is not available. */
mx_status mx_nvrtc_build(const char *what, const char *source, const char *name,
                         const char *const *opts, int nopts, int arch, char **image, size_t *size,
                         int *is_cubin, char *lowered, size_t n_lowered);
/* The disk cache directory in use ($MLX_PTX_CACHE_DIR, else $XDG_CACHE_HOME/cmlx/ptx, else
 * ~/.cache/cmlx/ptx), read at every build. */
void mx_nvrtc_cache_dir(char *buf, size_t n);
typedef struct mx_nvrtc_stats {
    int64_t compiles;    /* NVRTC compilations that succeeded */
    int64_t disk_hits;   /* images read from the disk cache */
    int64_t disk_writes; /* images written to it */
    int64_t disk_bad;    /* cache files ignored (corrupt, truncated, wrong key) */
    int64_t loads;       /* images loaded into the device (cudaLibraryLoadData) */
} mx_nvrtc_stats;
void mx_nvrtc_get_stats(mx_nvrtc_stats *out);
/* Tests: forget the loaded kernels of the in-memory cache (handles already given out stay
 * valid), so the next mx_nvrtc_get goes to the disk cache. */
void mx_nvrtc_forget(void);

#endif
