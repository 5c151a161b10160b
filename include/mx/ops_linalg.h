/* include/mx/ops_linalg.h: the linalg family of ops (filled by its owner). */
#ifndef MX_OPS_LINALG_H
#define MX_OPS_LINALG_H

#include "mx/array.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
