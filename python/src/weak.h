/* python/src/weak.h: the C functions of op families that other engineers are still landing.
 * Their references are weak: if the library does not define one yet, its address is NULL and the
 * binding that needs it is not registered (mxpy_op.fn == NULL), instead of the module failing to
 * load. Keep in step with include/mx (regenerate the list when families land). */
#ifndef MXPY_WEAK_H
#define MXPY_WEAK_H

#include "mx/mx.h"

#pragma weak mx_take
#pragma weak mx_take_along_axis
#pragma weak mx_put_along_axis
#pragma weak mx_gather
#pragma weak mx_scatter
#pragma weak mx_scatter_add
#pragma weak mx_scatter_prod
#pragma weak mx_scatter_max
#pragma weak mx_scatter_min
#pragma weak mx_masked_scatter
#pragma weak mx_slice_update
#pragma weak mx_slice_dynamic
#pragma weak mx_slice_update_dynamic
#pragma weak mx_sum
#pragma weak mx_prod
#pragma weak mx_min
#pragma weak mx_max
#pragma weak mx_mean
#pragma weak mx_all
#pragma weak mx_any
#pragma weak mx_logsumexp
#pragma weak mx_var
#pragma weak mx_std
#pragma weak mx_count_nonzero
#pragma weak mx_argmin
#pragma weak mx_argmax
#pragma weak mx_cumsum
#pragma weak mx_cumprod
#pragma weak mx_cummax
#pragma weak mx_cummin
#pragma weak mx_logcumsumexp
#pragma weak mx_softmax
#pragma weak mx_sort
#pragma weak mx_argsort
#pragma weak mx_partition
#pragma weak mx_argpartition
#pragma weak mx_topk
#pragma weak mx_searchsorted
#pragma weak mx_matmul
#pragma weak mx_addmm
#pragma weak mx_tensordot
#pragma weak mx_tensordot_n
#pragma weak mx_inner
#pragma weak mx_outer
#pragma weak mx_vecdot
#pragma weak mx_kron
#pragma weak mx_random_seed
#pragma weak mx_random_key
#pragma weak mx_random_split
#pragma weak mx_random_state
#pragma weak mx_random_set_state
#pragma weak mx_random_bits
#pragma weak mx_random_bits_batched
#pragma weak mx_random_uniform
#pragma weak mx_random_normal
#pragma weak mx_random_randint
#pragma weak mx_random_bernoulli
#pragma weak mx_random_truncated_normal
#pragma weak mx_random_gumbel
#pragma weak mx_random_laplace
#pragma weak mx_random_categorical
#pragma weak mx_random_permutation_n
#pragma weak mx_random_permutation
#pragma weak mx_random_multivariate_normal
#pragma weak mx_linspace
#pragma weak mx_eye
#pragma weak mx_identity
#pragma weak mx_tri
#pragma weak mx_meshgrid
#pragma weak mx_bartlett
#pragma weak mx_hanning
#pragma weak mx_hamming
#pragma weak mx_blackman
#pragma weak mx_concatenate
#pragma weak mx_stack
#pragma weak mx_split
#pragma weak mx_unstack
#pragma weak mx_pad
#pragma weak mx_repeat
#pragma weak mx_tile
#pragma weak mx_flip
#pragma weak mx_roll
#pragma weak mx_moveaxis
#pragma weak mx_swapaxes
#pragma weak mx_diagonal
#pragma weak mx_diag
#pragma weak mx_tril
#pragma weak mx_triu
#pragma weak mx_trace
#pragma weak mx_unflatten
#pragma weak mx_atleast_1d
#pragma weak mx_atleast_2d
#pragma weak mx_atleast_3d
#pragma weak mx_broadcast_arrays
#pragma weak mx_broadcast_shapes
#pragma weak mx_contiguous

#endif
