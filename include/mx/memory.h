/* include/mx/memory.h: MLX's memory API over the caching allocator.
 *
 * active: bytes held by live buffers (the exact sizes requested); peak: the highest active since
 * start or the last reset; cache: bytes of freed blocks kept for reuse. Freed blocks are cached by
 * size class while the cache is under its limit. When active memory would pass the memory limit
 * the cache is cleared first; allocation then proceeds if the system allows (MLX's relaxed mode).
 */
#ifndef MX_MEMORY_H
#define MX_MEMORY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

size_t mx_get_active_memory(void);
size_t mx_get_peak_memory(void);
void   mx_reset_peak_memory(void);
size_t mx_get_cache_memory(void);
size_t mx_get_memory_limit(void);
/* Each setter returns the previous value. A cache limit of 0 disables caching. */
size_t mx_set_memory_limit(size_t limit);
size_t mx_set_cache_limit(size_t limit);
size_t mx_set_wired_limit(size_t limit); /* accepted for API parity; no effect on Linux */
void   mx_clear_cache(void);

#ifdef __cplusplus
}
#endif
#endif
