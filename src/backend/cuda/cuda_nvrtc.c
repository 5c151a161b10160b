/* src/backend/cuda/cuda_nvrtc.c: run-time compilation of CUDA C++ with NVRTC (cuda_nvrtc.h,
 * cuda_jit.h), for compile's fused groups (cuda_jit.c) and mx.fast.cuda_kernel.
 *
 * libnvrtc is opened with dlopen on first use (libnvrtc.so, .so.13, .so.12 on the loader's path,
 * then under $CUDA_HOME/lib64 and /usr/local/cuda/lib64), so libcmlx loads and runs without it;
 * nothing here links against libcuda either: images are loaded with the runtime's library API
 * (cudaLibraryLoadData / cudaLibraryGetKernel) and launched with cudaLaunchKernel on the kernel
 * handle, on the stream the backend gives at launch time (mx_cuda_stream()).
 *
 * Target: the current device's compute capability (cudaGetDeviceProperties): a CUBIN for sm_XY
 * when this NVRTC lists it (nvrtcGetSupportedArchs), else PTX for the newest compute_XY below it
 * (the driver finishes it).
 *
 * Caches: in memory, loaded images by key and their kernels by name (a mutex; entries live until
 * the process ends); on disk, one file per image in $MLX_PTX_CACHE_DIR, else
 * $XDG_CACHE_HOME/cmlx/ptx, else ~/.cache/cmlx/ptx. The key is a 128-bit hash of the source, the
 * name expression (if any), the options, the target and the NVRTC version. A file is a small
 * header (magic, format, key, sizes, a checksum of the image, the lowered kernel name) and the
 * image; it is written to a temporary file and renamed into place, and a file that does not check
 * out (or an image the driver refuses) is ignored and rebuilt. */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../transforms/fused_common.h"
#include "cuda_jit.h"
#include "cuda_nvrtc.h"

/* ---- libnvrtc through dlopen ---- */
typedef void *nvrtc_prog;
static struct {
    int (*version)(int *, int *);
    int (*num_archs)(int *);
    int (*archs)(int *);
    int (*create)(nvrtc_prog *, const char *, const char *, int, const char *const *,
                  const char *const *);
    int (*destroy)(nvrtc_prog *);
    int (*compile)(nvrtc_prog, int, const char *const *);
    int (*ptx_size)(nvrtc_prog, size_t *);
    int (*ptx)(nvrtc_prog, char *);
    int (*cubin_size)(nvrtc_prog, size_t *);
    int (*cubin)(nvrtc_prog, char *);
    int (*log_size)(nvrtc_prog, size_t *);
    int (*log)(nvrtc_prog, char *);
    int (*add_name)(nvrtc_prog, const char *);
    int (*lowered)(nvrtc_prog, const char *, const char **);
    const char *(*err)(int);
    void *lib;
    int   major, minor, n_archs, archs_list[64];
    bool  ok;
} nv;
static pthread_once_t nv_once = PTHREAD_ONCE_INIT;

static void *open_nvrtc(void) {
    static const char *const names[] = {"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12"};
    const char *dirs[2] = {getenv("CUDA_HOME"), "/usr/local/cuda"};
    for (int i = 0; i < 3; i++) {
        void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (h) return h;
    }
    for (int d = 0; d < 2; d++) {
        if (!dirs[d] || !dirs[d][0]) continue;
        for (int i = 0; i < 3; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/lib64/%s", dirs[d], names[i]);
            void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
            if (h) return h;
        }
    }
    return NULL;
}

#define NV_SYM(field, sym)                                                                         \
    do {                                                                                           \
        void *p_ = dlsym(nv.lib, sym);                                                             \
        if (!p_) ok = false;                                                                       \
        memcpy(&nv.field, &p_, sizeof p_);                                                         \
    } while (0)

static void nv_init(void) {
    nv.lib = open_nvrtc();
    if (!nv.lib) return;
    bool ok = true;
    NV_SYM(version, "nvrtcVersion");
    NV_SYM(num_archs, "nvrtcGetNumSupportedArchs");
    NV_SYM(archs, "nvrtcGetSupportedArchs");
    NV_SYM(create, "nvrtcCreateProgram");
    NV_SYM(destroy, "nvrtcDestroyProgram");
    NV_SYM(compile, "nvrtcCompileProgram");
    NV_SYM(ptx_size, "nvrtcGetPTXSize");
    NV_SYM(ptx, "nvrtcGetPTX");
    NV_SYM(cubin_size, "nvrtcGetCUBINSize");
    NV_SYM(cubin, "nvrtcGetCUBIN");
    NV_SYM(log_size, "nvrtcGetProgramLogSize");
    NV_SYM(log, "nvrtcGetProgramLog");
    NV_SYM(add_name, "nvrtcAddNameExpression");
    NV_SYM(lowered, "nvrtcGetLoweredName");
    NV_SYM(err, "nvrtcGetErrorString");
    if (!ok || nv.version(&nv.major, &nv.minor) != 0) return;
    int n = 0;
    if (nv.num_archs(&n) != 0 || n <= 0) return;
    int *a = malloc(sizeof(int) * (size_t)n);
    if (!a || nv.archs(a) != 0) {
        free(a);
        return;
    }
    for (int i = 0; i < n && nv.n_archs < 64; i++) nv.archs_list[nv.n_archs++] = a[i];
    free(a);
    nv.ok = true;
}

int mx_nvrtc_available(void) {
    pthread_once(&nv_once, nv_init);
    return nv.ok;
}

int mx_nvrtc_version(void) { return mx_nvrtc_available() ? nv.major * 1000 + nv.minor : 0; }

int mx_nvrtc_include_dir(char *buf, size_t n) {
    char cand[3][2048];
    int nc = 0;
    const char *e = getenv("CUDA_HOME");
    if (e && e[0]) snprintf(cand[nc++], sizeof cand[0], "%s/include", e);
    snprintf(cand[nc++], sizeof cand[0], "/usr/local/cuda/include");
    Dl_info info;
    if (mx_nvrtc_available() && dladdr((void *)(uintptr_t)nv.version, &info) && info.dli_fname) {
        snprintf(cand[nc], sizeof cand[0], "%s", info.dli_fname);
        char *slash = strrchr(cand[nc], '/');
        if (slash) {
            *slash = 0; /* <root>/lib64 or <root>/targets/<arch>/lib: ../include exists in both */
            size_t l = strlen(cand[nc]);
            snprintf(cand[nc] + l, sizeof cand[0] - l, "/../include");
            nc++;
        }
    }
    for (int i = 0; i < nc; i++) {
        char probe[2100];
        snprintf(probe, sizeof probe, "%.2040s/cuda_fp16.h", cand[i]);
        if (access(probe, R_OK) == 0) {
            snprintf(buf, n, "%s", cand[i]);
            return 1;
        }
    }
    if (n) buf[0] = 0;
    return 0;
}

/* ---- statistics ---- */
static atomic_llong st_compiles, st_disk_hits, st_disk_writes, st_disk_bad, st_loads;

void mx_nvrtc_get_stats(mx_nvrtc_stats *out) {
    out->compiles = atomic_load(&st_compiles);
    out->disk_hits = atomic_load(&st_disk_hits);
    out->disk_writes = atomic_load(&st_disk_writes);
    out->disk_bad = atomic_load(&st_disk_bad);
    out->loads = atomic_load(&st_loads);
}

/* ---- keys ---- */
typedef struct key128 {
    uint64_t a, b;
} key128;

static void key_add(key128 *k, const void *p, size_t n) {
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        k->a = (k->a ^ s[i]) * 0x100000001b3ULL;
        k->b = (k->b ^ s[i]) * 0x9e3779b97f4a7c15ULL;
        k->b ^= k->b >> 29;
    }
}

static void key_str(key128 *k, const char *s) { key_add(k, s ? s : "", (s ? strlen(s) : 0) + 1); }

static uint64_t checksum(const void *p, size_t n) {
    key128 k = {0xcbf29ce484222325ULL, 0};
    key_add(&k, p, n);
    return k.a;
}

static bool is_name_expr(const char *name) {
    return name && (strchr(name, '<') || strchr(name, ':') || strchr(name, '('));
}

/* ---- the disk cache ---- */
void mx_nvrtc_cache_dir(char *buf, size_t n) {
    const char *e = getenv("MLX_PTX_CACHE_DIR");
    if (e && e[0]) snprintf(buf, n, "%s", e);
    else if ((e = getenv("XDG_CACHE_HOME")) && e[0]) snprintf(buf, n, "%s/cmlx/ptx", e);
    else if ((e = getenv("HOME")) && e[0]) snprintf(buf, n, "%s/.cache/cmlx/ptx", e);
    else if (n) buf[0] = 0; /* no cache on disk */
}

#define CACHE_MAGIC "CMLXNVRT"
#define CACHE_FORMAT 1u
typedef struct cache_head {
    char     magic[8];
    uint32_t format, is_cubin;
    uint64_t key_a, key_b;
    uint64_t image_size, image_sum;
    uint32_t lowered_len, pad;
} cache_head;

static void cache_path(char *buf, size_t n, const char *dir, key128 k, int is_cubin) {
    snprintf(buf, n, "%s/%016llx%016llx.%s", dir, (unsigned long long)k.a,
             (unsigned long long)k.b, is_cubin ? "cubin" : "ptx");
}

/* The image of key k from the disk, or false (missing, or a file that does not check out). */
static bool cache_read(const char *dir, key128 k, int is_cubin, char **image, size_t *size,
                       char *lowered, size_t n_lowered) {
    char path[4300];
    if (!dir[0]) return false;
    cache_path(path, sizeof path, dir, k, is_cubin);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    cache_head h;
    bool ok = fread(&h, sizeof h, 1, f) == 1 && memcmp(h.magic, CACHE_MAGIC, 8) == 0 &&
              h.format == CACHE_FORMAT && h.is_cubin == (uint32_t)is_cubin && h.key_a == k.a &&
              h.key_b == k.b && h.lowered_len < n_lowered && h.image_size > 0 &&
              h.image_size < ((uint64_t)1 << 31);
    char *img = NULL;
    if (ok) {
        ok = fread(lowered, 1, h.lowered_len, f) == h.lowered_len;
        lowered[ok ? h.lowered_len : 0] = 0;
    }
    if (ok) ok = (img = malloc((size_t)h.image_size + 1)) != NULL;
    if (ok) ok = fread(img, 1, (size_t)h.image_size, f) == h.image_size && fgetc(f) == EOF;
    if (ok) ok = checksum(img, (size_t)h.image_size) == h.image_sum;
    if (ok && !is_cubin) ok = img[h.image_size - 1] == 0; /* PTX is NUL-terminated */
    fclose(f);
    if (!ok) {
        free(img);
        atomic_fetch_add(&st_disk_bad, 1);
        return false;
    }
    img[h.image_size] = 0;
    *image = img;
    *size = (size_t)h.image_size;
    atomic_fetch_add(&st_disk_hits, 1);
    return true;
}

/* Best effort: a failure only means the next process compiles again. */
static void cache_write(const char *dir, key128 k, int is_cubin, const char *image, size_t size,
                        const char *lowered) {
    static atomic_int seq;
    char path[4300], tmp[4400];
    if (!dir[0] || !mx_mkdir_p(dir)) return;
    cache_path(path, sizeof path, dir, k, is_cubin);
    snprintf(tmp, sizeof tmp, "%s.%ld.%d.tmp", path, (long)getpid(), atomic_fetch_add(&seq, 1));
    cache_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, CACHE_MAGIC, 8);
    h.format = CACHE_FORMAT;
    h.is_cubin = (uint32_t)is_cubin;
    h.key_a = k.a;
    h.key_b = k.b;
    h.image_size = size;
    h.image_sum = checksum(image, size);
    h.lowered_len = (uint32_t)strlen(lowered);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) return;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        return;
    }
    bool ok = fwrite(&h, sizeof h, 1, f) == 1 &&
              fwrite(lowered, 1, h.lowered_len, f) == h.lowered_len &&
              fwrite(image, 1, size, f) == size;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return;
    }
    atomic_fetch_add(&st_disk_writes, 1);
}

/* ---- compiling ---- */
/* sm_<arch> as a CUBIN when NVRTC knows it, else PTX for the newest compute_XY below arch */
static mx_status pick_target(const char *what, int arch, int *target, int *is_cubin) {
    int best = 0;
    for (int i = 0; i < nv.n_archs; i++) {
        if (nv.archs_list[i] == arch) {
            *target = arch;
            *is_cubin = 1;
            return MX_OK;
        }
        if (nv.archs_list[i] < arch && nv.archs_list[i] > best) best = nv.archs_list[i];
    }
    MX_CHECK(best > 0, MX_ERR_UNSUPPORTED, "[%s] NVRTC %d.%d cannot build for compute capability %d.%d",
             what, nv.major, nv.minor, arch / 10, arch % 10);
    *target = best;
    *is_cubin = 0;
    return MX_OK;
}

static mx_status nv_fail(const char *what, const char *step, int rc, nvrtc_prog p) {
    char log[900] = "";
    size_t n = 0;
    if (p && nv.log_size(p, &n) == 0 && n > 1) {
        char *full = malloc(n + 1);
        if (full && nv.log(p, full) == 0) snprintf(log, sizeof log, "%s", full);
        free(full);
    }
    return mx_fail(MX_ERR_BACKEND, "[%s] NVRTC %s failed (%s)%s%s", what, step, nv.err(rc),
                   log[0] ? ":\n" : "", log);
}

static mx_status nv_compile(const char *what, const char *source, const char *name,
                            const char *const *opts, int nopts, int target, int is_cubin,
                            char **image, size_t *size, char *lowered, size_t n_lowered) {
    const char *all[64];
    char arch_opt[32];
    MX_CHECK(nopts >= 0 && nopts < 63, MX_ERR_VALUE, "[%s] too many NVRTC options (%d)", what, nopts);
    for (int i = 0; i < nopts; i++) all[i] = opts[i];
    snprintf(arch_opt, sizeof arch_opt, "-arch=%s_%d", is_cubin ? "sm" : "compute", target);
    all[nopts] = arch_opt;
    nvrtc_prog p = NULL;
    int rc = nv.create(&p, source, "cmlx_kernel.cu", 0, NULL, NULL);
    if (rc != 0) return nv_fail(what, "program creation", rc, NULL);
    mx_status st = MX_OK;
    bool expr = is_name_expr(name);
    if (expr && (rc = nv.add_name(p, name)) != 0) st = nv_fail(what, "name expression", rc, p);
    if (st == MX_OK && (rc = nv.compile(p, nopts + 1, all)) != 0) st = nv_fail(what, "compile", rc, p);
    if (st == MX_OK && expr) {
        const char *low = NULL;
        if ((rc = nv.lowered(p, name, &low)) != 0 || !low) st = nv_fail(what, "lowered name", rc, p);
        else if (strlen(low) >= n_lowered)
            st = mx_fail(MX_ERR_BACKEND, "[%s] lowered kernel name too long", what);
        else snprintf(lowered, n_lowered, "%s", low);
    } else if (st == MX_OK) {
        snprintf(lowered, n_lowered, "%s", name ? name : "");
    }
    size_t n = 0;
    char *img = NULL;
    if (st == MX_OK && (rc = (is_cubin ? nv.cubin_size : nv.ptx_size)(p, &n)) != 0)
        st = nv_fail(what, "image size", rc, p);
    if (st == MX_OK && !(img = malloc(n + 1))) st = mx_fail(MX_ERR_NOMEM, "[%s] out of memory", what);
    if (st == MX_OK && (rc = (is_cubin ? nv.cubin : nv.ptx)(p, img)) != 0)
        st = nv_fail(what, "image", rc, p);
    nv.destroy(&p);
    if (st != MX_OK) {
        free(img);
        return st;
    }
    img[n] = 0;
    *image = img;
    *size = n;
    atomic_fetch_add(&st_compiles, 1);
    return MX_OK;
}

static key128 image_key(const char *source, const char *name, const char *const *opts, int nopts,
                        int target, int is_cubin) {
    key128 k = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
    int meta[4] = {target, is_cubin, nv.major, nv.minor};
    key_str(&k, "cmlx-nvrtc-1");
    key_str(&k, source);
    key_str(&k, is_name_expr(name) ? name : "");
    for (int i = 0; i < nopts; i++) key_str(&k, opts[i]);
    key_add(&k, meta, sizeof meta);
    return k;
}

/* the image for (source, target), from the disk cache or compiled (and then written there) */
static mx_status build_image(const char *what, const char *source, const char *name,
                             const char *const *opts, int nopts, int target, int is_cubin,
                             key128 k, bool use_disk, char **image, size_t *size, char *lowered,
                             size_t n_lowered) {
    char dir[4096];
    mx_nvrtc_cache_dir(dir, sizeof dir);
    if (use_disk && cache_read(dir, k, is_cubin, image, size, lowered, n_lowered)) return MX_OK;
    MX_TRY(nv_compile(what, source, name, opts, nopts, target, is_cubin, image, size, lowered,
                      n_lowered));
    cache_write(dir, k, is_cubin, *image, *size, lowered);
    return MX_OK;
}

mx_status mx_nvrtc_build(const char *what, const char *source, const char *name,
                         const char *const *opts, int nopts, int arch, char **image, size_t *size,
                         int *is_cubin, char *lowered, size_t n_lowered) {
    MX_CHECK(mx_nvrtc_available(), MX_ERR_UNSUPPORTED, "[%s] NVRTC (libnvrtc) is not available",
             what);
    MX_CHECK(source && image && size && is_cubin && lowered && n_lowered > 0, MX_ERR_VALUE,
             "[%s] missing argument", what);
    int target = 0;
    MX_TRY(pick_target(what, arch, &target, is_cubin));
    key128 k = image_key(source, name, opts, nopts, target, *is_cubin);
    return build_image(what, source, name, opts, nopts, target, *is_cubin, k, true, image, size,
                       lowered, n_lowered);
}

/* ---- loaded images and kernels ---- */
typedef struct lib_entry lib_entry;
struct mx_nvrtc_fn {
    char         *name;
    cudaKernel_t  kernel;
    mx_nvrtc_fn  *next;
};
struct lib_entry {
    key128        key;
    cudaLibrary_t lib;
    char          lowered[512]; /* for a name expression */
    mx_nvrtc_fn  *fns;
    lib_entry    *next;
};
#define NSLOT 256
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static lib_entry      *libs[NSLOT];
static atomic_int      dev_arch[64]; /* compute capability per device, 0 = not read */

void mx_nvrtc_forget(void) {
    pthread_mutex_lock(&cache_mu);
    memset(libs, 0, sizeof libs); /* entries leak on purpose: handles given out stay valid */
    pthread_mutex_unlock(&cache_mu);
}

static mx_status device_arch(int *arch) {
    int dev = 0;
    MX_CUDA_TRY(cudaGetDevice(&dev));
    int known = dev >= 0 && dev < 64 ? atomic_load(&dev_arch[dev]) : 0;
    if (known) {
        *arch = known;
        return MX_OK;
    }
    struct cudaDeviceProp p;
    MX_CUDA_TRY(cudaGetDeviceProperties(&p, dev));
    *arch = p.major * 10 + p.minor;
    if (dev >= 0 && dev < 64) atomic_store(&dev_arch[dev], *arch);
    return MX_OK;
}

/* Load the image for key k (building it when needed); a cached image the driver refuses is
 * rebuilt once from the source. Called with cache_mu held. */
static mx_status load_lib(const char *what, const char *source, const char *name,
                          const char *const *opts, int nopts, int target, int is_cubin, key128 k,
                          lib_entry **out) {
    lib_entry *e = calloc(1, sizeof *e);
    MX_CHECK(e != NULL, MX_ERR_NOMEM, "[%s] out of memory", what);
    mx_status st = MX_OK;
    for (int attempt = 0; attempt < 2; attempt++) {
        char *img = NULL;
        size_t size = 0;
        st = build_image(what, source, name, opts, nopts, target, is_cubin, k, attempt == 0, &img,
                         &size, e->lowered, sizeof e->lowered);
        if (st != MX_OK) break;
        cudaError_t ce = cudaLibraryLoadData(&e->lib, img, NULL, NULL, 0, NULL, NULL, 0);
        free(img);
        if (ce == cudaSuccess) {
            atomic_fetch_add(&st_loads, 1);
            break;
        }
        cudaGetLastError();
        st = mx_cuda_status(ce, "cudaLibraryLoadData", __FILE__, __LINE__);
    }
    if (st != MX_OK) {
        free(e);
        return st;
    }
    e->key = k;
    size_t slot = (size_t)(k.a % NSLOT);
    e->next = libs[slot];
    libs[slot] = e;
    *out = e;
    return MX_OK;
}

mx_status mx_nvrtc_get(const char *what, const char *source, const char *name, const char **opts,
                       int nopts, mx_nvrtc_fn **out) {
    MX_CHECK(mx_nvrtc_available(), MX_ERR_UNSUPPORTED, "[%s] NVRTC (libnvrtc) is not available",
             what);
    MX_CHECK(source && name && name[0] && out, MX_ERR_VALUE, "[%s] missing source or kernel name",
             what);
    int arch = 0, target = 0, is_cubin = 0;
    MX_TRY(device_arch(&arch));
    MX_TRY(pick_target(what, arch, &target, &is_cubin));
    key128 k = image_key(source, name, (const char *const *)opts, nopts, target, is_cubin);
    pthread_mutex_lock(&cache_mu);
    lib_entry *e = libs[k.a % NSLOT];
    while (e && !(e->key.a == k.a && e->key.b == k.b)) e = e->next;
    mx_status st = MX_OK;
    if (!e)
        st = load_lib(what, source, name, (const char *const *)opts, nopts, target, is_cubin, k, &e);
    mx_nvrtc_fn *f = NULL;
    if (st == MX_OK) {
        f = e->fns;
        while (f && strcmp(f->name, name) != 0) f = f->next;
    }
    if (st == MX_OK && !f) {
        f = calloc(1, sizeof *f);
        if (f) f->name = strdup(name);
        if (!f || !f->name) {
            if (f) free(f);
            f = NULL;
            st = mx_fail(MX_ERR_NOMEM, "[%s] out of memory", what);
        }
        const char *sym = is_name_expr(name) ? e->lowered : name;
        cudaError_t ce = st == MX_OK ? cudaLibraryGetKernel(&f->kernel, e->lib, sym) : cudaSuccess;
        if (ce != cudaSuccess) {
            cudaGetLastError();
            free(f->name);
            free(f);
            f = NULL;
            st = mx_fail(MX_ERR_BACKEND, "[%s] no kernel '%s' in the compiled source (%s)", what,
                         name, mx_cu_error_string((int)ce));
        }
        if (f) {
            f->next = e->fns;
            e->fns = f;
        }
    }
    pthread_mutex_unlock(&cache_mu);
    if (st == MX_OK) *out = f;
    return st;
}

mx_status mx_nvrtc_launch(const mx_nvrtc_fn *f, const unsigned grid[3], const unsigned block[3],
                          size_t shared_bytes, void **args) {
    dim3 g = {grid[0], grid[1], grid[2]}, b = {block[0], block[1], block[2]};
    if (shared_bytes > 48 * 1024) /* above the default limit: opt in (per kernel, idempotent) */
        MX_CUDA_TRY(cudaFuncSetAttribute((const void *)f->kernel,
                                         cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         (int)shared_bytes));
    MX_CUDA_TRY(cudaLaunchKernel((const void *)f->kernel, g, b, args, shared_bytes,
                                 mx_cuda_stream()));
    return MX_OK;
}
