/* python/src/trees.h: pytrees for the transforms (MLX's python/src/trees.h semantics).
 *
 * A tree is a Python list, tuple or dict (subclasses included) nesting other trees; anything
 * else is a leaf. Leaves are visited depth-first: list/tuple items in order, dict values in the
 * dict's insertion order. Rebuilt trees are plain list/tuple/dict objects (a namedtuple becomes a
 * tuple, an OrderedDict a dict), as in MLX.
 */
#ifndef MXPY_TREES_H
#define MXPY_TREES_H

#include "mxpy.h"

/* A growable vector of owned array references. Zero-initialise; mxpy_arrvec_free releases. */
typedef struct mxpy_arrvec {
    mx_array **v;
    int n, cap;
} mxpy_arrvec;

/* Append a (retained: the vector takes its own reference). 0/-1 (MemoryError). */
int mxpy_arrvec_push(mxpy_arrvec *v, mx_array *a);
/* Release every element and the storage; leaves v empty and reusable. */
void mxpy_arrvec_free(mxpy_arrvec *v);

/* A growable vector of ints. Zero-initialise; free with PyMem_Free(v.v). */
typedef struct mxpy_intvec {
    int *v;
    int n, cap;
} mxpy_intvec;
int mxpy_intvec_push(mxpy_intvec *v, int x);

/* Append the array leaves of tree to out (new references), depth-first. strict: any other leaf
 * raises ValueError "[tree_flatten] The argument should contain only arrays"; else other leaves
 * are skipped. 0/-1. Trees deeper than 500 levels raise RecursionError. */
int mxpy_tree_flatten(PyObject *tree, bool strict, mxpy_arrvec *out);

/* A new tree shaped like `tree` whose array leaves are replaced, in flatten order, by new Python
 * arrays over values[*index], values[*index + 1], ... (each retained); other leaves are kept (new
 * references to the same objects). Advances *index; raises ValueError when fewer than n values
 * remain. Returns a new reference or NULL. */
PyObject *mxpy_tree_unflatten(PyObject *tree, mx_array *const *values, int n, int *index);

/* MLX's vmap axes: visit `tree` together with the prefix tree `axes` (an int or None at a node
 * applies to the whole subtree; containers must match in kind, list/tuple length and dict keys)
 * and append one axis per array leaf of tree to out: None -> -1, an int normalised against
 * ndim + extra (extra = 1 for output axes), a one-element tuple (int,) or (None,) only when tree
 * itself is a single array. Non-array leaves of tree raise ValueError
 * "[vmap] The <what> should contain only arrays". Errors: ValueError with MLX's messages. 0/-1. */
int mxpy_tree_axes(PyObject *tree, PyObject *axes, int extra, const char *what, mxpy_intvec *out);

#endif
