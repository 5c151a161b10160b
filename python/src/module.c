/* python/src/module.c: the extension module cmlx._core (exposed as cmlx.core and mlx.core).
 * Initialises each area in a fixed order, as MLX's python/src/mlx.cpp does: errors, dtypes,
 * devices/streams, the array type, indexing, printing, the op families, transforms, memory,
 * random, and last the array methods that forward to ops present in the module. */
#include "mxpy.h"

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT, "cmlx._core",
    "cmlx core: arrays, devices and operations (MLX's mlx.core API).", -1, NULL,
    NULL, NULL, NULL, NULL,
};

int mxpy_init_io(PyObject *m); /* io_bind.c (declaration to move into mxpy.h) */
int mxpy_init_compile(PyObject *m); /* compile_bind.c */
int mxpy_init_fast(PyObject *m);    /* fast_bind.c: the mx.fast submodule */
PyMODINIT_FUNC PyInit__core(void);
PyMODINIT_FUNC PyInit__core(void) {
    PyObject *m = PyModule_Create(&core_module);
    if (!m) return NULL;
    int (*const inits[])(PyObject *) = {
        mxpy_init_errors,     mxpy_init_dtype,     mxpy_init_device,
        mxpy_init_array,      mxpy_init_indexing,  mxpy_init_print,
        mxpy_init_ops,        mxpy_init_ops_shape, mxpy_init_ops_reduce,
        mxpy_init_transforms, mxpy_init_memory,    mxpy_init_random,
        mxpy_init_io,         mxpy_init_array_methods,
        mxpy_init_compile,
        mxpy_init_custom,
        mxpy_init_fast,
    };
    for (size_t i = 0; i < sizeof inits / sizeof inits[0]; i++) {
        if (inits[i](m) < 0) {
            Py_DECREF(m);
            return NULL;
        }
    }
    if (PyModule_AddStringConstant(m, "__version__", "0.32.2") < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
