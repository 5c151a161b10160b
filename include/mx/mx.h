/* include/mx/mx.h: the whole public C API of cmlx. */
#ifndef MX_MX_H
#define MX_MX_H

#include "mx/array.h"
#include "mx/compile.h"
#include "mx/device.h"
#include "mx/dtype.h"
#include "mx/fast.h"
#include "mx/io.h"
#include "mx/memory.h"
#include "mx/ops.h"
#include "mx/random.h"
#include "mx/status.h"
#include "mx/transforms.h"

#endif
