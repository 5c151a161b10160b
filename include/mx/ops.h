/* include/mx/ops.h: every core op, by family. Names are MLX's Python names with the mx_ prefix;
 * arguments follow the Python order with the stream last. */
#ifndef MX_OPS_H
#define MX_OPS_H

#include "mx/ops_creation.h"
#include "mx/ops_elementwise.h"
#include "mx/ops_index.h"
#include "mx/ops_linalg.h"
#include "mx/ops_reduce.h"
#include "mx/ops_shape.h"
#include "mx/ops_sort.h"

#endif
