/* include/mx/ops_index.h: the index family of ops (filled by its owner). */
#ifndef MX_OPS_INDEX_H
#define MX_OPS_INDEX_H

#include "mx/array.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
