/* src/prims/sort_params.h: plain-data params of the sort family (sort.def). */
#ifndef MX_SORT_PARAMS_H
#define MX_SORT_PARAMS_H

#include <stdint.h>

/* SORT / ARGSORT / PARTITION / ARGPARTITION: the (normalised) axis; kth (normalised, in
 * [0, n)) for the partitions. SEARCHSORTED: right != 0 for side='right'. */
typedef struct mx_sort_params {
    int32_t axis;
    int32_t right;
    int64_t kth;
} mx_sort_params;

#endif
