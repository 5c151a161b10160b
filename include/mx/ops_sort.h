/* include/mx/ops_sort.h: the sort family of ops (filled by its owner). */
#ifndef MX_OPS_SORT_H
#define MX_OPS_SORT_H

#include "mx/array.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
