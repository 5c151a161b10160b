/* include/mx/io.h: reading and writing arrays: NumPy .npy and safetensors.
 *
 * Loading a safetensors file maps it into memory: the arrays point into the mapping (no copy) and
 * the mapping is released when the last of them is freed. Every malformed input (bad magic,
 * truncated data, a header that lies about offsets, unknown dtypes) returns MX_ERR_IO with a
 * message naming the file, never a crash. Arrays are evaluated before they are written.
 */
#ifndef MX_IO_H
#define MX_IO_H

#include <stddef.h>

#include "mx/array.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A list of named arrays plus string metadata (owned: free with mx_named_arrays_free). */
typedef struct mx_named_arrays {
    int        n;
    char     **names;
    mx_array **arrays; /* new references */
    int        n_meta;
    char     **meta_keys;
    char     **meta_values;
} mx_named_arrays;

void mx_named_arrays_free(mx_named_arrays *na);

/* .npy (format 1.0/2.0/3.0; little-endian; C or Fortran order). bfloat16 is written as '<V2'
 * ... MLX writes it as uint16-viewed data; we follow NumPy's descr for the other 13 dtypes. */
mx_status mx_save_npy(const char *path, mx_array *a);
mx_array *mx_load_npy(const char *path);
/* Parse an .npy image held in memory (copies the data). */
mx_array *mx_load_npy_bytes(const void *data, size_t n, const char *what);
/* Serialise to an .npy image in a malloc'd buffer (*out, *n); free() it. */
mx_status mx_npy_bytes(mx_array *a, void **out, size_t *n);

/* safetensors: dtypes BOOL U8 U16 U32 U64 I8 I16 I32 I64 F16 BF16 F32 F64 C64 on save (float64 is
 * accepted as F64); F8_E4M3 / F8_E8M0 load as uint8, as MLX. */
mx_status mx_save_safetensors(const char *path, const char *const *names, mx_array *const *arrays,
                              int n, const char *const *meta_keys, const char *const *meta_values,
                              int n_meta);
mx_status mx_load_safetensors(const char *path, mx_named_arrays *out);

#ifdef __cplusplus
}
#endif
#endif
