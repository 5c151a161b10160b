/* python/src/mxpy.h: what the files of the CPython extension share (cmlx._core).
 *
 * The extension is plain C over the CPython C API and the public C API of cmlx (include/mx).
 * Each file owns one area and exports `int mxpy_init_<area>(PyObject *m)`, called by module.c in a
 * fixed order. Conventions:
 *  - functions returning PyObject * return a new reference, or NULL with a Python error set;
 *  - functions returning int return 0 on success and -1 with a Python error set;
 *  - functions returning mx_array * return a new reference the caller releases, or NULL with a
 *    Python error set (never with only an mx error pending).
 */
#ifndef MXPY_H
#define MXPY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "mx/mx.h"

/* ---- the array object: exactly one owned handle ---- */
typedef struct mxpy_array {
    PyObject_HEAD
    mx_array *a;        /* owned; never NULL for a constructed object */
    PyObject *weakrefs; /* weak reference list */
} mxpy_array;

extern PyTypeObject *mxpy_array_type;
extern PyTypeObject *mxpy_dtype_type;
extern PyTypeObject *mxpy_stream_type;
extern PyTypeObject *mxpy_device_type;
extern PyTypeObject *mxpy_devicetype_type;

#define MXPY_IS_ARRAY(o) PyObject_TypeCheck((o), mxpy_array_type)
#define MXPY_ARR(o)      (((mxpy_array *)(o))->a)
/* An optional argument that was not given or was given as None. */
#define MXPY_ABSENT(o)   ((o) == NULL || (o) == Py_None)

/* ---- errors.c ---- */
/* Raise the Python exception mapped from this thread's last mx error; returns NULL. */
PyObject *mxpy_raise(void);
/* 0 for MX_OK, else raise the mapped exception and return -1. */
int mxpy_check(mx_status st);
/* Wrap a new mx_array reference into a new Python array (steals a); NULL a raises. */
PyObject *mxpy_wrap(mx_array *a);
/* Replace the handle held by self (steals a); -1 and raises if a is NULL. */
int mxpy_replace(PyObject *self, mx_array *a);

/* ---- args.c: the shared argument parser and converters ---- */
/* Parse args/kwargs against spec, e.g. "a, b, /, *, stream" or "shape, dtype=, *, stream=":
 * names before "/" are positional-only, names after "*" keyword-only, names ending in '=' are
 * optional. Fills out[i] (borrowed, NULL when not given) for each name in order. Errors follow
 * CPython's wording (TypeError). */
int mxpy_parse(const char *fn, PyObject *args, PyObject *kw, const char *spec, PyObject **out);
/* stream=: None, Stream, Device or DeviceType (device.c). */
int mxpy_stream(PyObject *o, mx_stream *out);
/* A Dtype object; absent gives dflt (dtype.c). */
int mxpy_dtype(PyObject *o, mx_dtype dflt, mx_dtype *out);
/* An int or a sequence of ints (shape); *ndim receives the count. */
int mxpy_shape(PyObject *o, const char *what, int64_t *shape, int *ndim);
/* An int or sequence of ints (axes); absent leaves *naxes = -1 (meaning "all"/None). */
int mxpy_axes(PyObject *o, int *axes, int *naxes);
/* Anything with __index__ into int64 (OverflowError beyond). */
int mxpy_int(PyObject *o, const char *what, int64_t *out);
int mxpy_bool(PyObject *o, bool dflt, bool *out);
int mxpy_double(PyObject *o, const char *what, double *out);

/* ---- convert.c: Python objects <-> arrays ---- */
/* Any array-like (array, scalar, nested list/tuple, buffer, __mlx_array__) to a new array;
 * dtype MX_DTYPE_AUTO infers MLX's dtype. */
mx_array *mxpy_to_array(PyObject *o, mx_dtype dtype);
/* A Python scalar made weakly typed against an array of dtype `like` (MLX's to_array with a
 * dtype); arrays and array-likes convert as mxpy_to_array. */
mx_array *mxpy_to_array_weak(PyObject *o, mx_dtype like);
/* Two operands of a binary op with MLX's weak typing of Python scalars. 0/-1. */
int mxpy_to_arrays(PyObject *a, PyObject *b, mx_array **x, mx_array **y);
/* True for bool/int/float/complex Python scalars (not arrays). */
bool mxpy_is_scalar(PyObject *o);
/* True for objects mxpy_to_array accepts without trying (arrays, scalars, lists, buffers). */
bool mxpy_is_array_like(PyObject *o);
/* Evaluate (GIL released) and return the host data pointer; NULL raises. */
const void *mxpy_data(mx_array *a);
int mxpy_eval(mx_array *const *arrays, int n);
/* Element i (row-major index through strides) of evaluated a as a Python object. */
PyObject *mxpy_element(mx_array *a, const void *data, const int64_t *strides, int64_t lin);
PyObject *mxpy_tolist(mx_array *a);
PyObject *mxpy_item(mx_array *a);
/* A NumPy array copy of a (bfloat16 as a uint16 view when raw_bf16, else error). */
PyObject *mxpy_to_numpy(mx_array *a, bool raw_bf16);
extern PyBufferProcs mxpy_array_as_buffer;
/* A list/tuple of array-likes into a new PyMem array of new references (free with
 * mxpy_free_arrays). */
int mxpy_to_array_list(PyObject *seq, mx_array ***out, int *n);
void mxpy_free_arrays(mx_array **v, int n);
/* A Python list of arrays from n new references (stolen, also on error). */
PyObject *mxpy_wrap_list(mx_array **v, int n);

/* ---- print.c ---- */
PyObject *mxpy_array_repr(mx_array *a);

/* ---- dtype.c ---- */
/* A new reference to the Dtype object of t. */
PyObject *mxpy_dtype_object(mx_dtype t);

/* ---- device.c ---- */
PyObject *mxpy_device_object(mx_device d);

/* ---- indexing.c ---- */
PyObject *mxpy_getitem(PyObject *self, PyObject *idx);
int mxpy_setitem(PyObject *self, PyObject *idx, PyObject *val);
/* The `at` property: an ArrayAt object. */
PyObject *mxpy_array_at(PyObject *self, void *closure);

/* ---- ops tables (ops_bind.c) ----
 * One entry per module function: its PyMethodDef (whose C function receives the entry's capsule
 * as `self`, so families with one signature share one caller), the argument spec for
 * mxpy_parse, and the C function it calls, which may be NULL (weak symbol not in the library
 * yet): such entries are not registered. */
typedef void (*mxpy_fn)(void);
typedef struct mxpy_op {
    PyMethodDef def;
    const char *spec;
    mxpy_fn     fn;
} mxpy_op;
#define MXPY_OP(name, call, spec, fn, doc)                                                         \
    {{name, (PyCFunction)(void (*)(void))(call), METH_VARARGS | METH_KEYWORDS, doc}, spec,       \
     (mxpy_fn)(fn)}
/* Register every entry whose fn is present (table ends with an entry of NULL name). */
int mxpy_register_ops(PyObject *m, const mxpy_op *ops);
/* The entry a generic caller was registered with. */
#define MXPY_OP_OF(self) ((const mxpy_op *)PyCapsule_GetPointer((self), NULL))
/* mxpy_parse with the entry's name and spec. */
#define MXPY_PARSE(op, args, kw, out) mxpy_parse((op)->def.ml_name, args, kw, (op)->spec, out)

/* ---- array_type.c ---- */
/* A module-level op looked up by name in cmlx.core, for array methods that forward to it. */
PyObject *mxpy_call_op(const char *name, PyObject *self, PyObject *args, PyObject *kw);
/* Set the function behind the @ operator (NULL: not available). */
void mxpy_set_matmul(mx_array *(*f)(mx_array *, mx_array *, mx_stream));

/* ---- the areas, in the order module.c initialises them ---- */
int mxpy_init_errors(PyObject *m);
int mxpy_init_dtype(PyObject *m);
int mxpy_init_device(PyObject *m);
int mxpy_init_array(PyObject *m);
int mxpy_init_indexing(PyObject *m);
int mxpy_init_print(PyObject *m);
int mxpy_init_ops(PyObject *m);
int mxpy_init_ops_shape(PyObject *m);
int mxpy_init_ops_reduce(PyObject *m);
int mxpy_init_random(PyObject *m);
int mxpy_init_transforms(PyObject *m);
int mxpy_init_custom(PyObject *m); /* custom_bind.c: mx.custom_function */
int mxpy_init_memory(PyObject *m);
int mxpy_init_array_methods(PyObject *m); /* last: method forwards to the ops present */

/* custom_bind.c: the body of mx.checkpoint(fun)(*args, **kw): fun runs as a checkpoint (its
 * intermediates are recomputed in the backward pass). New reference or NULL. */
PyObject *mxpy_checkpoint_call(PyObject *fun, PyObject *args, PyObject *kw);

/* Add an object to the module (steals o; -1 on error). */
int mxpy_add(PyObject *m, const char *name, PyObject *o);

/* random_bind.c: the persistent mx.random.state list, kept in step with the C global key */
PyObject *mxpy_random_state_list(void);
int       mxpy_random_state_pull(void); /* element 0 <- the global key */
int       mxpy_random_state_push(void); /* the global key <- element 0 */

/* Wrappers' tails: release the converted argument x and wrap (or fail with) the result r. */
static inline PyObject *mxpy_done(mx_array *x, mx_array *r) {
    mx_array_release(x);
    return mxpy_wrap(r);
}
static inline PyObject *mxpy_fail_release(mx_array *x) {
    mx_array_release(x);
    return NULL;
}
/* An optional int argument (default dflt) that must fit in 32 bits; "what" names it in errors. */
int mxpy_opt_int(PyObject *o, const char *what, int64_t dflt, int *out);

#endif
