/* include/mx/random.h: mx.random (filled by its owner). */
#ifndef MX_RANDOM_H
#define MX_RANDOM_H

#include "mx/array.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
