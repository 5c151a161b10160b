/* python/src/fast_bind.c: the mlx.core.fast submodule (MLX's python/src/fast.cpp): custom CUDA
 * kernels. mx.fast.cuda_kernel(...) returns a callable kernel object whose call takes MLX's
 * keyword arguments (inputs, output_shapes, output_dtypes, grid, threadgroup, template,
 * init_value, verbose, stream) and returns the list of outputs; precompiled_cuda_kernel runs a
 * PTX / cubin image; metal_kernel raises (cmlx has no Metal backend). rms_norm(x, weight, eps, *,
 * stream=None) and layer_norm(x, weight, bias, eps, *, stream=None) with MLX's signatures (weight
 * and bias may be None). rope and scaled_dot_product_attention are a later issue. The C API is
 * include/mx/fast.h. */
#include <limits.h>

#include "mx/fast.h"
#include "mxpy.h"

/* ---- argument converters ---- */
/* A list/tuple of str into a PyMem array of borrowed UTF-8 pointers (valid while seq lives;
 * *keep holds the sequence). */
static int str_list(PyObject *seq, const char *what, const char ***out, int *n, PyObject **keep) {
    *out = NULL;
    *n = 0;
    *keep = NULL;
    if (PyUnicode_Check(seq) || !PySequence_Check(seq)) {
        PyErr_Format(PyExc_TypeError, "[cuda_kernel] %s must be a list of str, got %s", what,
                     Py_TYPE(seq)->tp_name);
        return -1;
    }
    PyObject *f = PySequence_Fast(seq, what);
    if (!f) return -1;
    Py_ssize_t k = PySequence_Fast_GET_SIZE(f);
    const char **v = PyMem_Calloc((size_t)k + 1, sizeof *v);
    if (!v) {
        Py_DECREF(f);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *s = PySequence_Fast_GET_ITEM(f, i);
        if (!PyUnicode_Check(s) || !(v[i] = PyUnicode_AsUTF8(s))) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError, "[cuda_kernel] %s must be a list of str, got a %s",
                             what, Py_TYPE(s)->tp_name);
            PyMem_Free(v);
            Py_DECREF(f);
            return -1;
        }
    }
    *out = v;
    *n = (int)k;
    *keep = f;
    return 0;
}

/* (x, y, z): three ints in [lo, INT_MAX] */
static int parse_dim3(const char *op, PyObject *o, const char *what, int lo, int out[3]) {
    if (PyUnicode_Check(o) || !PySequence_Check(o) || PySequence_Size(o) != 3) {
        if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "[%s] %s must be a tuple of 3 ints", op, what);
        }
        return -1;
    }
    for (Py_ssize_t i = 0; i < 3; i++) {
        PyObject *it = PySequence_GetItem(o, i);
        int64_t v = 0;
        int r = it ? mxpy_int(it, what, &v) : -1;
        Py_XDECREF(it);
        if (r < 0) return -1;
        if (v < lo || v > INT_MAX) {
            PyErr_Format(PyExc_ValueError, "[%s] %s entries must be in [%d, %d], got %lld", op,
                         what, lo, INT_MAX, (long long)v);
            return -1;
        }
        out[i] = (int)v;
    }
    return 0;
}

/* output_shapes and output_dtypes; arrays are PyMem (free with outputs_free) */
typedef struct outputs_desc {
    int       n;
    int64_t (*shapes)[MX_MAX_DIMS];
    const int64_t **shape_ptrs;
    int      *ndims;
    mx_dtype *dtypes;
} outputs_desc;

static void outputs_free(outputs_desc *d) {
    PyMem_Free(d->shapes);
    PyMem_Free(d->shape_ptrs);
    PyMem_Free(d->ndims);
    PyMem_Free(d->dtypes);
}

static int outputs_parse(const char *op, PyObject *shapes, PyObject *dtypes, int want,
                         outputs_desc *d) {
    memset(d, 0, sizeof *d);
    PyObject *objs[2] = {shapes, dtypes};
    const char *names[2] = {"output_shapes", "output_dtypes"};
    Py_ssize_t len[2];
    for (int k = 0; k < 2; k++) {
        if (PyUnicode_Check(objs[k]) || MXPY_IS_ARRAY(objs[k]) || !PySequence_Check(objs[k])) {
            PyErr_Format(PyExc_TypeError, "[%s] %s must be a list, got %s", op, names[k],
                         Py_TYPE(objs[k])->tp_name);
            return -1;
        }
        if ((len[k] = PySequence_Size(objs[k])) < 0) return -1;
        if (want >= 0 && len[k] != want) {
            PyErr_Format(PyExc_ValueError,
                         "[%s] expected `%s` to have size %d but got size %zd", op, names[k],
                         want, len[k]);
            return -1;
        }
    }
    if (len[0] != len[1]) {
        PyErr_Format(PyExc_ValueError,
                     "[%s] `output_shapes` (size %zd) and `output_dtypes` (size %zd) differ", op,
                     len[0], len[1]);
        return -1;
    }
    if (len[0] > 0xffff) {
        PyErr_Format(PyExc_ValueError, "[%s] too many outputs", op);
        return -1;
    }
    int n = (int)len[0];
    d->n = n;
    d->shapes = PyMem_Calloc((size_t)n + 1, sizeof *d->shapes);
    d->shape_ptrs = PyMem_Calloc((size_t)n + 1, sizeof *d->shape_ptrs);
    d->ndims = PyMem_Calloc((size_t)n + 1, sizeof *d->ndims);
    d->dtypes = PyMem_Calloc((size_t)n + 1, sizeof *d->dtypes);
    if (!d->shapes || !d->shape_ptrs || !d->ndims || !d->dtypes) {
        PyErr_NoMemory();
        return -1;
    }
    for (int i = 0; i < n; i++) {
        PyObject *s = PySequence_GetItem(shapes, i), *t = PySequence_GetItem(dtypes, i);
        int r = s && t ? 0 : -1;
        if (r == 0 && PyIndex_Check(s)) { /* a shape is a sequence here, never a bare int */
            PyErr_Format(PyExc_TypeError, "[%s] output_shapes[%d] must be a sequence of ints",
                         op, i);
            r = -1;
        }
        if (r == 0) r = mxpy_shape(s, "output shape", d->shapes[i], &d->ndims[i]);
        if (r == 0) r = mxpy_dtype(t, MX_FLOAT32, &d->dtypes[i]);
        if (r == 0 && MXPY_ABSENT(t)) {
            PyErr_Format(PyExc_TypeError, "[%s] output_dtypes[%d] must be a Dtype", op, i);
            r = -1;
        }
        Py_XDECREF(s);
        Py_XDECREF(t);
        if (r < 0) return -1;
        d->shape_ptrs[i] = d->shapes[i];
    }
    return 0;
}

/* template=[(name, bool | int | Dtype), ...]; the names are borrowed from the pairs, which *keep
 * (a list or tuple of them) holds until the caller releases it */
static int template_parse(PyObject *o, mx_fast_template_arg **out, int *n, PyObject **keep) {
    *out = NULL;
    *n = 0;
    *keep = NULL;
    if (MXPY_ABSENT(o)) return 0;
    if (PyUnicode_Check(o) || !PySequence_Check(o)) {
        PyErr_Format(PyExc_TypeError, "[cuda_kernel] template must be a list of (name, value) "
                                      "pairs");
        return -1;
    }
    PyObject *f = PySequence_Fast(o, "template");
    if (!f) return -1;
    Py_ssize_t k = PySequence_Fast_GET_SIZE(f);
    mx_fast_template_arg *t = PyMem_Calloc((size_t)k + 1, sizeof *t);
    if (!t) {
        Py_DECREF(f);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *pair = Py_NewRef(PySequence_Fast_GET_ITEM(f, i));
        int r = 0;
        PyObject *nm = NULL, *v = NULL;
        if (r == 0 && (!PyTuple_Check(pair) && !PyList_Check(pair))) r = -2;
        if (r == 0 && PySequence_Size(pair) != 2) r = -2;
        if (r == 0) {
            nm = PySequence_GetItem(pair, 0);
            v = PySequence_GetItem(pair, 1);
            if (!nm || !v) r = -1;
        }
        if (r == 0 && (!PyUnicode_Check(nm) || !(t[i].name = PyUnicode_AsUTF8(nm)))) r = -2;
        if (r == 0) {
            if (PyBool_Check(v)) {
                t[i].kind = MX_FAST_TARG_BOOL;
                t[i].value = v == Py_True;
            } else if (PyLong_Check(v)) {
                long long x = PyLong_AsLongLong(v);
                if ((x == -1 && PyErr_Occurred()) || x < INT_MIN || x > INT_MAX) {
                    PyErr_Clear();
                    PyErr_Format(PyExc_OverflowError,
                                 "[cuda_kernel] template argument '%s' does not fit an int",
                                 t[i].name);
                    r = -1;
                }
                t[i].kind = MX_FAST_TARG_INT;
                t[i].value = (int)x;
            } else if (PyObject_TypeCheck(v, mxpy_dtype_type)) {
                mx_dtype dt;
                r = mxpy_dtype(v, MX_FLOAT32, &dt);
                t[i].kind = MX_FAST_TARG_DTYPE;
                t[i].value = (int)dt;
            } else {
                PyErr_SetString(PyExc_ValueError,
                                "[cuda_kernel] Invalid template argument. Must be "
                                "`mlx.core.Dtype`, `int` or `bool`.");
                r = -1;
            }
        }
        if (r == -2)
            PyErr_SetString(PyExc_TypeError,
                            "[cuda_kernel] template entries must be (name: str, value) pairs");
        /* the name stays alive: a tuple or list pair holds it, and *keep holds the pairs */
        Py_XDECREF(nm);
        Py_XDECREF(v);
        Py_XDECREF(pair);
        if (r < 0) {
            PyMem_Free(t);
            Py_DECREF(f);
            return -1;
        }
    }
    *out = t;
    *n = (int)k;
    *keep = f;
    return 0;
}

static int opt_float(PyObject *o, bool *has, float *out) {
    *has = false;
    if (MXPY_ABSENT(o)) return 0;
    double v;
    if (mxpy_double(o, "init_value", &v) < 0) return -1;
    *has = true;
    *out = (float)v;
    return 0;
}

/* write s to sys.stdout (print() may be redirected, as pytest's capsys does) */
static int write_stdout(const char *s) {
    PyObject *out = PySys_GetObject("stdout"); /* borrowed */
    if (!out || out == Py_None) return 0;
    PyObject *str = PyUnicode_FromString(s);
    if (!str) return -1;
    int r = PyFile_WriteObject(str, out, Py_PRINT_RAW);
    Py_DECREF(str);
    return r;
}

/* ---- the kernel object ---- */
typedef struct pykernel {
    PyObject_HEAD
    mx_fast_kernel *k;
} pykernel;

static void kernel_dealloc(PyObject *o) {
    mx_fast_kernel_release(((pykernel *)o)->k);
    Py_TYPE(o)->tp_free(o);
}

static PyObject *kernel_repr(PyObject *o) {
    return PyUnicode_FromFormat("<cuda_kernel '%s'>", mx_fast_kernel_name(((pykernel *)o)->k));
}

static int print_source(const mx_fast_kernel *k, mx_array **in, int n_in, const outputs_desc *od,
                        const mx_fast_template_arg *t, int nt) {
    mx_dtype *dt = PyMem_Calloc((size_t)n_in + 1, sizeof *dt);
    int *nd = PyMem_Calloc((size_t)n_in + 1, sizeof *nd);
    if (!dt || !nd) {
        PyMem_Free(dt);
        PyMem_Free(nd);
        PyErr_NoMemory();
        return -1;
    }
    for (int i = 0; i < n_in; i++) {
        dt[i] = mx_array_dtype(in[i]);
        nd[i] = mx_array_ndim(in[i]);
    }
    char *sym = NULL;
    char *src = mx_fast_cuda_kernel_source(k, dt, nd, n_in, od->dtypes, od->n, t, nt, &sym);
    PyMem_Free(dt);
    PyMem_Free(nd);
    if (!src) {
        mxpy_raise();
        return -1;
    }
    int r = write_stdout("Generated source code for `");
    if (r == 0) r = write_stdout(sym);
    if (r == 0) r = write_stdout("`:\n```\n");
    if (r == 0) r = write_stdout(src);
    if (r == 0) r = write_stdout("\n```\n");
    free(src);
    free(sym);
    return r;
}

static PyObject *kernel_call(PyObject *self, PyObject *args, PyObject *kw) {
    const mx_fast_kernel *k = ((pykernel *)self)->k;
    PyObject *a[9];
    if (mxpy_parse("cuda_kernel", args, kw,
                   "*, inputs, output_shapes, output_dtypes, grid, threadgroup, template=, "
                   "init_value=, verbose=, stream=",
                   a) < 0)
        return NULL;
    mx_array **in = NULL;
    int n_in = 0, nt = 0;
    outputs_desc od;
    memset(&od, 0, sizeof od);
    mx_fast_template_arg *t = NULL;
    mx_fast_launch l;
    memset(&l, 0, sizeof l);
    bool verbose = false;
    mx_stream s;
    PyObject *result = NULL, *keep_t = NULL;
    if (mxpy_to_array_list(a[0], &in, &n_in) < 0) goto done;
    if (n_in != mx_fast_kernel_n_inputs(k)) {
        PyErr_Format(PyExc_ValueError, "[cuda_kernel] expected `inputs` to have size %d but got "
                                       "size %d",
                     mx_fast_kernel_n_inputs(k), n_in);
        goto done;
    }
    if (outputs_parse("cuda_kernel", a[1], a[2], mx_fast_kernel_n_outputs(k), &od) < 0) goto done;
    if (parse_dim3("cuda_kernel", a[3], "grid", 0, l.grid) < 0) goto done;
    if (parse_dim3("cuda_kernel", a[4], "threadgroup", 1, l.threadgroup) < 0) goto done;
    if (template_parse(a[5], &t, &nt, &keep_t) < 0) goto done;
    if (opt_float(a[6], &l.has_init_value, &l.init_value) < 0) goto done;
    if (mxpy_bool(a[7], false, &verbose) < 0) goto done;
    if (mxpy_stream(a[8], &s) < 0) goto done;
    l.output_shapes = od.shape_ptrs;
    l.output_ndims = od.ndims;
    l.output_dtypes = od.dtypes;
    l.n_outputs = od.n;
    l.template_args = t;
    l.n_template_args = nt;
    mx_array **outs = PyMem_Calloc((size_t)od.n + 1, sizeof *outs);
    if (!outs) {
        PyErr_NoMemory();
        goto done;
    }
    if (mxpy_check(mx_fast_cuda_kernel_call(k, in, n_in, &l, s, outs)) < 0) {
        PyMem_Free(outs);
        goto done;
    }
    if (verbose && print_source(k, in, n_in, &od, t, nt) < 0) {
        for (int i = 0; i < od.n; i++) mx_array_release(outs[i]);
        PyMem_Free(outs);
        goto done;
    }
    result = mxpy_wrap_list(outs, od.n); /* steals the references */
    PyMem_Free(outs);
done:
    mxpy_free_arrays(in, n_in);
    outputs_free(&od);
    PyMem_Free(t);
    Py_XDECREF(keep_t);
    return result;
}

static PyTypeObject kernel_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mlx.core.fast.CudaKernel",
    .tp_basicsize = sizeof(pykernel),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_call = kernel_call,
    .tp_dealloc = kernel_dealloc,
    .tp_repr = kernel_repr,
    .tp_doc = "A custom CUDA kernel (mx.fast.cuda_kernel). Call it with keyword arguments:\n"
              "kernel(*, inputs, output_shapes, output_dtypes, grid, threadgroup, template=None,\n"
              "       init_value=None, verbose=False, stream=None) -> list[array]",
};

/* ---- module functions ---- */
static PyObject *py_cuda_kernel(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    PyObject *a[7];
    if (mxpy_parse("cuda_kernel", args, kw,
                   "name, input_names, output_names, source, header=, ensure_row_contiguous=, "
                   "shared_memory=",
                   a) < 0)
        return NULL;
    const char **in = NULL, **out = NULL;
    int n_in = 0, n_out = 0;
    PyObject *keep_in = NULL, *keep_out = NULL, *result = NULL;
    bool contig = true;
    int smem = 0;
    const char *name, *source, *header = "";
    if (!PyUnicode_Check(a[0]) || !PyUnicode_Check(a[3]) ||
        (!MXPY_ABSENT(a[4]) && !PyUnicode_Check(a[4]))) {
        PyErr_SetString(PyExc_TypeError, "[cuda_kernel] name, source and header must be str");
        return NULL;
    }
    if (!(name = PyUnicode_AsUTF8(a[0])) || !(source = PyUnicode_AsUTF8(a[3]))) return NULL;
    if (!MXPY_ABSENT(a[4]) && !(header = PyUnicode_AsUTF8(a[4]))) return NULL;
    if (mxpy_bool(a[5], true, &contig) < 0 ||
        mxpy_opt_int(a[6], "shared_memory", 0, &smem) < 0)
        return NULL;
    if (str_list(a[1], "input_names", &in, &n_in, &keep_in) < 0) goto done;
    if (str_list(a[2], "output_names", &out, &n_out, &keep_out) < 0) goto done;
    mx_fast_kernel *k = mx_fast_cuda_kernel(name, in, n_in, out, n_out, source, header, contig,
                                            smem);
    if (!k) {
        mxpy_raise();
        goto done;
    }
    pykernel *o = PyObject_New(pykernel, &kernel_type);
    if (!o) {
        mx_fast_kernel_release(k);
        goto done;
    }
    o->k = k;
    result = (PyObject *)o;
done:
    PyMem_Free(in);
    PyMem_Free(out);
    Py_XDECREF(keep_in);
    Py_XDECREF(keep_out);
    return result;
}

/* scalars=[bool | int | float, ...] */
static int scalars_parse(PyObject *o, mx_fast_scalar **out, int *n) {
    *out = NULL;
    *n = 0;
    const char *op = "precompiled_cuda_kernel";
    if (PyUnicode_Check(o) || !PySequence_Check(o)) {
        PyErr_Format(PyExc_TypeError, "[%s] scalars must be a list", op);
        return -1;
    }
    Py_ssize_t k = PySequence_Size(o);
    if (k < 0) return -1;
    mx_fast_scalar *v = PyMem_Calloc((size_t)k + 1, sizeof *v);
    if (!v) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *x = PySequence_GetItem(o, i);
        int r = x ? 0 : -1;
        if (r == 0 && PyBool_Check(x)) {
            v[i].kind = MX_FAST_SCALAR_BOOL;
            v[i].i = x == Py_True;
        } else if (r == 0 && PyLong_Check(x)) {
            long long y = PyLong_AsLongLong(x);
            if ((y == -1 && PyErr_Occurred()) || y < INT_MIN || y > INT_MAX) {
                PyErr_Clear();
                PyErr_Format(PyExc_OverflowError, "[%s] scalar %zd does not fit an int32", op, i);
                r = -1;
            }
            v[i].kind = MX_FAST_SCALAR_INT;
            v[i].i = (int32_t)y;
        } else if (r == 0 && PyFloat_Check(x)) {
            v[i].kind = MX_FAST_SCALAR_FLOAT;
            v[i].f = (float)PyFloat_AS_DOUBLE(x);
        } else if (r == 0) {
            PyErr_Format(PyExc_ValueError,
                         "[%s] Invalid scalar argument type. Received %s but must be one of "
                         "bool, int or float",
                         op, Py_TYPE(x)->tp_name);
            r = -1;
        }
        Py_XDECREF(x);
        if (r < 0) {
            PyMem_Free(v);
            return -1;
        }
    }
    *out = v;
    *n = (int)k;
    return 0;
}

static PyObject *py_precompiled(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    const char *op = "precompiled_cuda_kernel";
    PyObject *a[13];
    if (mxpy_parse(op, args, kw,
                   "*, name, compiled_source, inputs, output_shapes, output_dtypes, scalars, grid, "
                   "threadgroup, shared_memory=, init_value=, ensure_row_contiguous=, stream=",
                   a) < 0)
        return NULL;
    if (!PyUnicode_Check(a[0])) {
        PyErr_Format(PyExc_TypeError, "[%s] name must be a str", op);
        return NULL;
    }
    const char *name = PyUnicode_AsUTF8(a[0]);
    if (!name) return NULL;
    Py_buffer img;
    memset(&img, 0, sizeof img);
    const void *bytes = NULL;
    Py_ssize_t nbytes = 0;
    if (PyUnicode_Check(a[1])) { /* PTX text given as str */
        if (!(bytes = PyUnicode_AsUTF8AndSize(a[1], &nbytes))) return NULL;
    } else if (PyObject_GetBuffer(a[1], &img, PyBUF_CONTIG_RO) == 0) {
        bytes = img.buf;
        nbytes = img.len;
    } else {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "[%s] compiled_source must be bytes, got %s", op,
                     Py_TYPE(a[1])->tp_name);
        return NULL;
    }
    mx_array **in = NULL;
    int n_in = 0, n_sc = 0, smem = 0;
    outputs_desc od;
    memset(&od, 0, sizeof od);
    mx_fast_scalar *sc = NULL;
    mx_fast_launch l;
    memset(&l, 0, sizeof l);
    bool contig = false;
    mx_stream s;
    PyObject *result = NULL;
    mx_array **outs = NULL;
    if (mxpy_to_array_list(a[2], &in, &n_in) < 0) goto done;
    if (outputs_parse(op, a[3], a[4], -1, &od) < 0) goto done;
    if (scalars_parse(a[5], &sc, &n_sc) < 0) goto done;
    if (parse_dim3(op, a[6], "grid", 0, l.grid) < 0) goto done;
    if (parse_dim3(op, a[7], "threadgroup", 1, l.threadgroup) < 0) goto done;
    if (mxpy_opt_int(a[8], "shared_memory", 0, &smem) < 0) goto done;
    if (opt_float(a[9], &l.has_init_value, &l.init_value) < 0) goto done;
    if (mxpy_bool(a[10], false, &contig) < 0) goto done;
    if (mxpy_stream(a[11], &s) < 0) goto done;
    l.output_shapes = od.shape_ptrs;
    l.output_ndims = od.ndims;
    l.output_dtypes = od.dtypes;
    l.n_outputs = od.n;
    if (!(outs = PyMem_Calloc((size_t)od.n + 1, sizeof *outs))) {
        PyErr_NoMemory();
        goto done;
    }
    if (mxpy_check(mx_fast_precompiled_cuda_kernel(name, bytes, (size_t)nbytes, in, n_in, &l, sc,
                                                   n_sc, smem, contig, s, outs)) < 0)
        goto done;
    result = mxpy_wrap_list(outs, od.n);
done:
    PyMem_Free(outs);
    mxpy_free_arrays(in, n_in);
    outputs_free(&od);
    PyMem_Free(sc);
    if (img.obj) PyBuffer_Release(&img);
    return result;
}

static PyObject *py_metal_kernel(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m, (void)args, (void)kw;
    PyErr_SetString(PyExc_RuntimeError,
                    "[metal_kernel] metal_kernel is not available: cmlx has no Metal backend "
                    "(use mx.fast.cuda_kernel)");
    return NULL;
}

/* ---- rms_norm / layer_norm ---- */
/* an optional array argument: None (or absent) gives NULL; 0 or -1 with an exception */
static int opt_array(PyObject *o, mx_array **out) {
    *out = NULL;
    if (MXPY_ABSENT(o)) return 0;
    *out = mxpy_to_array(o, MX_DTYPE_AUTO);
    return *out ? 0 : -1;
}

/* rms_norm (n_params 1: weight) or layer_norm (2: weight, bias) */
static PyObject *norm_call(const char *op, int n_params, PyObject *args, PyObject *kw) {
    PyObject *a[5];
    const char *spec =
        n_params == 1 ? "x, weight, eps, *, stream=" : "x, weight, bias, eps, *, stream=";
    if (mxpy_parse(op, args, kw, spec, a) < 0) return NULL;
    mx_array *x = NULL, *p[2] = {NULL, NULL}, *r = NULL;
    double eps = 0;
    mx_stream s;
    PyObject *res = NULL;
    if (!(x = mxpy_to_array(a[0], MX_DTYPE_AUTO))) goto done;
    for (int i = 0; i < n_params; i++)
        if (opt_array(a[1 + i], &p[i]) < 0) goto done;
    if (mxpy_double(a[1 + n_params], "eps", &eps) < 0) goto done;
    if (mxpy_stream(a[2 + n_params], &s) < 0) goto done;
    r = n_params == 1 ? mx_fast_rms_norm(x, p[0], (float)eps, s)
                      : mx_fast_layer_norm(x, p[0], p[1], (float)eps, s);
    res = mxpy_wrap(r); /* raises when r is NULL */
done:
    mx_array_release(x);
    mx_array_release(p[0]);
    mx_array_release(p[1]);
    return res;
}

static PyObject *py_rms_norm(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    return norm_call("rms_norm", 1, args, kw);
}

static PyObject *py_layer_norm(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    return norm_call("layer_norm", 2, args, kw);
}

#define KW METH_VARARGS | METH_KEYWORDS
#define FN(f) (PyCFunction)(void (*)(void))(f)
static PyMethodDef fast_funcs[] = {
    {"rms_norm", FN(py_rms_norm), KW,
     "rms_norm(x: array, weight: array | None, eps: float, *, stream: None | Stream | Device = "
     "None) -> array\n\n"
     "Root Mean Square normalization (RMS norm) with respect to the last axis of x:\n"
     "x / sqrt(mean(x**2, -1) + eps) * weight. weight (one-dimensional, the size of the last\n"
     "axis) may be None for no scaling. Accumulates in float32 (float64 for float64 inputs)."},
    {"layer_norm", FN(py_layer_norm), KW,
     "layer_norm(x: array, weight: array | None, bias: array | None, eps: float, *, stream: "
     "None | Stream | Device = None) -> array\n\n"
     "Layer normalization with respect to the last axis of x:\n"
     "(x - mean) / sqrt(var + eps) * weight + bias. weight and bias (one-dimensional, the size\n"
     "of the last axis) may be None. Accumulates in float32 (float64 for float64 inputs)."},
    {"cuda_kernel", FN(py_cuda_kernel), KW,
     "cuda_kernel(name, input_names, output_names, source, header='', "
     "ensure_row_contiguous=True, shared_memory=0) -> CudaKernel\n\n"
     "A JIT-compiled custom CUDA kernel from the body of its function; the signature is made\n"
     "from input_names and output_names (plus <name>_shape, _strides and _ndim of an input when\n"
     "the source mentions them). Call the result with inputs=, output_shapes=, output_dtypes=,\n"
     "grid= (threads per dimension), threadgroup=, template=, init_value=, verbose=, stream=."},
    {"precompiled_cuda_kernel", FN(py_precompiled), KW,
     "precompiled_cuda_kernel(*, name, compiled_source, inputs, output_shapes, output_dtypes, "
     "scalars, grid, threadgroup, shared_memory=0, init_value=None, "
     "ensure_row_contiguous=False, stream=None) -> list[array]\n\n"
     "Run the kernel `name` of a PTX or cubin image (bytes); scalars (bool, int, float) are\n"
     "passed by value after the outputs."},
    {"metal_kernel", FN(py_metal_kernel), KW,
     "metal_kernel(...)\n\nNot available: cmlx has no Metal backend (raises RuntimeError)."},
    {NULL, NULL, 0, NULL},
};

int mxpy_init_fast(PyObject *m);
int mxpy_init_fast(PyObject *m) {
    if (PyType_Ready(&kernel_type) < 0) return -1;
    PyObject *f = PyModule_New("mlx.core.fast");
    if (!f) return -1;
    if (PyModule_AddFunctions(f, fast_funcs) < 0 ||
        PyModule_AddObjectRef(f, "CudaKernel", (PyObject *)&kernel_type) < 0) {
        Py_DECREF(f);
        return -1;
    }
    /* `import mlx.core.fast` / `import cmlx.core.fast` find the submodule in sys.modules */
    PyObject *mods = PyImport_GetModuleDict(); /* borrowed */
    if (PyDict_SetItemString(mods, "mlx.core.fast", f) < 0 ||
        PyDict_SetItemString(mods, "cmlx.core.fast", f) < 0) {
        Py_DECREF(f);
        return -1;
    }
    return mxpy_add(m, "fast", f);
}
