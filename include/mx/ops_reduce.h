/* include/mx/ops_reduce.h: the reduce family of ops (filled by its owner). */
#ifndef MX_OPS_REDUCE_H
#define MX_OPS_REDUCE_H

#include "mx/array.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
