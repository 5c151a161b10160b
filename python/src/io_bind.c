/* python/src/io_bind.c: file IO and interchange for mlx.core (MLX's python/src/load.cpp and the
 * DLPack parts of array.cpp), plus two small core names that have no other binding file yet.
 *
 *  - save(file, arr) / load(file, /, format=None, return_metadata=False, *, stream=None) for .npy,
 *    .npz and .safetensors; savez / savez_compressed (a zip of .npy members written with Python's
 *    zipfile module); save_safetensors(file, arrays, metadata=None). `file` is a path (str, bytes,
 *    os.PathLike) or a file-like object (read()/write(); .npz also needs seek()). Paths go through
 *    the C API in include/mx/io.h; file-like objects are read or written eagerly in memory (for
 *    safetensors through a temporary file, since the C loader maps files). C errors keep their
 *    mapping (MX_ERR_IO -> OSError); a corrupt .npz raises OSError too. .gguf is not supported
 *    yet (ValueError).
 *  - DLPack on the CPU: array.__dlpack__ / __dlpack_device__ (the legacy "dltensor" PyCapsule:
 *    an evaluated row-contiguous array, whose deleter drops our reference) and from_dlpack(x),
 *    which copies from any object with __dlpack__ (NumPy >= 1.22, another mlx array, ...).
 *  - median(a, /, axis=None, keepdims=False, *, stream=None): a composite (sort, then the middle
 *    element or the mean of the two middle ones; NaN propagates as in NumPy).
 *  - ArrayLike: MLX's typing class; ArrayLike(obj) wraps any array-like and converts through
 *    __mlx_array__, so it also works as an annotation. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mxpy.h"
#include "weak.h"

int mxpy_init_io(PyObject *m);

/* ==================================================================================== */
/* ---- file arguments ---- */

/* 1 and a new bytes object (the file-system encoded path) if file is a path; 0 if it is not a
 * path (a file-like object); -1 on error. */
static int path_arg(PyObject *file, PyObject **bytes) {
    *bytes = NULL;
    if (!PyUnicode_Check(file) && !PyBytes_Check(file) && !PyObject_HasAttrString(file, "__fspath__"))
        return 0;
    if (!PyUnicode_FSConverter(file, bytes)) return -1;
    return 1;
}

/* path with `suffix` appended unless it already ends with it (steals path). */
static PyObject *with_suffix(PyObject *path, const char *suffix) {
    if (!path) return NULL;
    size_t n = (size_t)PyBytes_GET_SIZE(path), k = strlen(suffix);
    if (n >= k && memcmp(PyBytes_AS_STRING(path) + n - k, suffix, k) == 0) return path;
    PyObject *r = PyBytes_FromFormat("%s%s", PyBytes_AS_STRING(path), suffix);
    Py_DECREF(path);
    return r;
}

/* The str form of a file-system path (zipfile treats bytes as a file object). */
static PyObject *path_str(PyObject *path) {
    return PyUnicode_DecodeFSDefaultAndSize(PyBytes_AS_STRING(path), PyBytes_GET_SIZE(path));
}

static int check_writer(PyObject *file, const char *fn) {
    if (PyObject_HasAttrString(file, "write")) return 0;
    PyErr_Format(PyExc_TypeError, "[%s] file must be a path or a writable file-like object, got %s",
                 fn, Py_TYPE(file)->tp_name);
    return -1;
}

/* file.write(data[:n]). */
static int write_bytes(PyObject *file, const void *data, size_t n) {
    PyObject *b = PyBytes_FromStringAndSize(data, (Py_ssize_t)n);
    if (!b) return -1;
    PyObject *r = PyObject_CallMethod(file, "write", "O", b);
    Py_DECREF(b);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

/* All of file.read() as a new bytes object. */
static PyObject *read_all(PyObject *file, const char *fn) {
    if (!PyObject_HasAttrString(file, "read")) {
        PyErr_Format(PyExc_TypeError, "[%s] file must be a path or a readable file-like object, got %s",
                     fn, Py_TYPE(file)->tp_name);
        return NULL;
    }
    PyObject *r = PyObject_CallMethod(file, "read", NULL);
    if (!r) return NULL;
    if (PyBytes_Check(r)) return r;
    PyObject *b = PyObject_CallFunctionObjArgs((PyObject *)&PyBytes_Type, r, NULL);
    Py_DECREF(r);
    return b;
}

/* An array operand of save/savez (TypeError for things that are not array-like). */
static mx_array *array_arg(PyObject *o, const char *fn) {
    if (!mxpy_is_array_like(o)) {
        PyErr_Format(PyExc_TypeError, "[%s] expected an array, got %s", fn, Py_TYPE(o)->tp_name);
        return NULL;
    }
    return mxpy_to_array(o, MX_DTYPE_AUTO);
}

/* An .npy image of a (malloc'd; free it) with the GIL released. */
static int npy_image(mx_array *a, void **buf, size_t *n) {
    mx_status st;
    Py_BEGIN_ALLOW_THREADS st = mx_npy_bytes(a, buf, n);
    Py_END_ALLOW_THREADS return mxpy_check(st);
}

/* A temporary file path (new bytes) made with mkstemp; -1 on error. */
static PyObject *temp_path(int *fd) {
    const char *dir = getenv("TMPDIR");
    PyObject *p = PyBytes_FromFormat("%s/cmlx-io-XXXXXX", dir && *dir ? dir : "/tmp");
    if (!p) return NULL;
    *fd = mkstemp(PyBytes_AS_STRING(p));
    if (*fd < 0) {
        Py_DECREF(p);
        PyErr_SetFromErrno(PyExc_OSError);
        return NULL;
    }
    return p;
}

/* ==================================================================================== */
/* ---- save ---- */
static PyObject *py_save(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    PyObject *a[2], *path;
    if (mxpy_parse("save", args, kw, "file, arr", a) < 0) return NULL;
    int isp = path_arg(a[0], &path);
    if (isp < 0 || (!isp && check_writer(a[0], "save") < 0)) return NULL;
    mx_array *x = array_arg(a[1], "save");
    if (!x) {
        Py_XDECREF(path);
        return NULL;
    }
    int rc;
    if (isp) {
        path = with_suffix(path, ".npy");
        mx_status st = MX_OK;
        if (path) {
            const char *p = PyBytes_AS_STRING(path);
            Py_BEGIN_ALLOW_THREADS st = mx_save_npy(p, x);
            Py_END_ALLOW_THREADS
        }
        rc = path ? mxpy_check(st) : -1;
        Py_XDECREF(path);
    } else {
        void *buf = NULL;
        size_t n = 0;
        rc = npy_image(x, &buf, &n);
        if (rc == 0) rc = write_bytes(a[0], buf, n);
        free(buf);
    }
    mx_array_release(x);
    if (rc < 0) return NULL;
    Py_RETURN_NONE;
}

/* ---- savez / savez_compressed ---- */
static int zip_add(PyObject *zf, const char *name, mx_array *x) {
    void *buf = NULL;
    size_t n = 0;
    if (npy_image(x, &buf, &n) < 0) return -1;
    PyObject *b = PyBytes_FromStringAndSize(buf, (Py_ssize_t)n);
    free(buf);
    if (!b) return -1;
    PyObject *r = PyObject_CallMethod(zf, "writestr", "sO", name, b);
    Py_DECREF(b);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

/* Write every array of args (arr_0, ...) and kw (by name) into the open ZipFile zf. */
static int zip_arrays(PyObject *zf, PyObject *args, PyObject *kw, const char *fn) {
    Py_ssize_t npos = PyTuple_GET_SIZE(args);
    char name[64];
    for (Py_ssize_t i = 1; i < npos; i++) {
        snprintf(name, sizeof name, "arr_%zd", i - 1);
        if (kw && PyDict_GetItemString(kw, name)) {
            PyErr_Format(PyExc_ValueError,
                         "[%s] cannot use un-named variables and keyword %s", fn, name);
            return -1;
        }
        mx_array *x = array_arg(PyTuple_GET_ITEM(args, i), fn);
        strcat(name, ".npy");
        int rc = x ? zip_add(zf, name, x) : -1;
        mx_array_release(x);
        if (rc < 0) return -1;
    }
    PyObject *key, *val;
    Py_ssize_t pos = 0;
    while (kw && PyDict_Next(kw, &pos, &key, &val)) {
        PyObject *member = PyUnicode_FromFormat("%U.npy", key);
        const char *mname = member ? PyUnicode_AsUTF8(member) : NULL;
        mx_array *x = mname ? array_arg(val, fn) : NULL;
        int rc = x ? zip_add(zf, mname, x) : -1;
        mx_array_release(x);
        Py_XDECREF(member);
        if (rc < 0) return -1;
    }
    return 0;
}

static PyObject *savez_impl(PyObject *args, PyObject *kw, bool compressed) {
    const char *fn = compressed ? "savez_compressed" : "savez";
    if (PyTuple_GET_SIZE(args) < 1) {
        PyErr_Format(PyExc_TypeError, "%s() missing required argument 'file' (pos 1)", fn);
        return NULL;
    }
    PyObject *file = PyTuple_GET_ITEM(args, 0), *path;
    int isp = path_arg(file, &path);
    if (isp < 0 || (!isp && check_writer(file, fn) < 0)) return NULL;
    PyObject *target = file;
    if (isp) {
        path = with_suffix(path, ".npz");
        PyObject *str = path ? path_str(path) : NULL;
        Py_XDECREF(path);
        if (!str) return NULL;
        target = path = str;
    }
    PyObject *zipfile = PyImport_ImportModule("zipfile"), *zf = NULL;
    if (zipfile) {
        PyObject *mode = PyObject_GetAttrString(zipfile, compressed ? "ZIP_DEFLATED" : "ZIP_STORED");
        if (mode) zf = PyObject_CallMethod(zipfile, "ZipFile", "OsO", target, "w", mode);
        Py_XDECREF(mode);
    }
    Py_XDECREF(zipfile);
    Py_XDECREF(path);
    if (!zf) return NULL;
    int rc = zip_arrays(zf, args, kw, fn);
    PyObject *exc_type = NULL, *exc = NULL, *tb = NULL;
    if (rc < 0) PyErr_Fetch(&exc_type, &exc, &tb);
    PyObject *r = PyObject_CallMethod(zf, "close", NULL);
    Py_DECREF(zf);
    if (rc < 0) {
        Py_XDECREF(r);
        PyErr_Restore(exc_type, exc, tb);
        return NULL;
    }
    if (!r) return NULL;
    Py_DECREF(r);
    Py_RETURN_NONE;
}
static PyObject *py_savez(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    return savez_impl(args, kw, false);
}
static PyObject *py_savez_compressed(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    return savez_impl(args, kw, true);
}

/* ---- save_safetensors ---- */
typedef struct str_list {
    Py_ssize_t n;
    const char **s; /* borrowed UTF-8 of the dict's keys/values */
} str_list;

static int utf8_of(PyObject *o, const char *what, const char **out) {
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "[save_safetensors] %s must be str, got %s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    *out = PyUnicode_AsUTF8(o);
    return *out ? 0 : -1;
}

static PyObject *py_save_safetensors(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    PyObject *a[3], *path;
    if (mxpy_parse("save_safetensors", args, kw, "file, arrays, metadata=", a) < 0) return NULL;
    if (!PyDict_Check(a[1])) {
        PyErr_Format(PyExc_TypeError, "[save_safetensors] arrays must be a dict of str to array, got %s",
                     Py_TYPE(a[1])->tp_name);
        return NULL;
    }
    if (!MXPY_ABSENT(a[2]) && !PyDict_Check(a[2])) {
        PyErr_Format(PyExc_TypeError, "[save_safetensors] metadata must be a dict of str to str, got %s",
                     Py_TYPE(a[2])->tp_name);
        return NULL;
    }
    int isp = path_arg(a[0], &path);
    if (isp < 0 || (!isp && check_writer(a[0], "save_safetensors") < 0)) return NULL;
    Py_ssize_t n = PyDict_GET_SIZE(a[1]), nm = MXPY_ABSENT(a[2]) ? 0 : PyDict_GET_SIZE(a[2]);
    const char **names = PyMem_Calloc((size_t)n + 1, sizeof *names);
    mx_array **arrays = PyMem_Calloc((size_t)n + 1, sizeof *arrays);
    const char **mk = PyMem_Calloc((size_t)nm + 1, sizeof *mk), **mv = PyMem_Calloc((size_t)nm + 1, sizeof *mv);
    PyObject *result = NULL, *tmp = NULL;
    int fd = -1;
    if (!names || !arrays || !mk || !mv) {
        PyErr_NoMemory();
        goto done;
    }
    PyObject *key, *val;
    Py_ssize_t pos = 0, i = 0;
    while (PyDict_Next(a[1], &pos, &key, &val)) {
        if (utf8_of(key, "array names", &names[i]) < 0) goto done;
        if (!(arrays[i] = array_arg(val, "save_safetensors"))) goto done;
        i++;
    }
    pos = 0, i = 0;
    while (nm && PyDict_Next(a[2], &pos, &key, &val)) {
        if (utf8_of(key, "metadata keys", &mk[i]) < 0 || utf8_of(val, "metadata values", &mv[i]) < 0)
            goto done;
        i++;
    }
    if (isp) {
        path = with_suffix(path, ".safetensors");
        if (!path) goto done;
    } else {
        if (!(tmp = temp_path(&fd))) goto done;
        close(fd);
    }
    const char *p = PyBytes_AS_STRING(isp ? path : tmp);
    mx_status st;
    Py_BEGIN_ALLOW_THREADS st = mx_save_safetensors(p, names, arrays, (int)n, mk, mv, (int)nm);
    Py_END_ALLOW_THREADS if (mxpy_check(st) < 0) goto done;
    if (!isp) { /* copy the temporary file into the file-like object */
        PyObject *io = PyImport_ImportModule("io");
        PyObject *f = io ? PyObject_CallMethod(io, "open", "Os", tmp, "rb") : NULL;
        PyObject *data = f ? PyObject_CallMethod(f, "read", NULL) : NULL;
        PyObject *c = f ? PyObject_CallMethod(f, "close", NULL) : NULL;
        Py_XDECREF(c);
        Py_XDECREF(f);
        Py_XDECREF(io);
        PyObject *w = data ? PyObject_CallMethod(a[0], "write", "O", data) : NULL;
        Py_XDECREF(data);
        if (!w) goto done;
        Py_DECREF(w);
    }
    result = Py_None;
    Py_INCREF(result);
done:
    if (tmp) unlink(PyBytes_AS_STRING(tmp));
    Py_XDECREF(tmp);
    Py_XDECREF(path);
    for (Py_ssize_t j = 0; arrays && j < n; j++) mx_array_release(arrays[j]);
    PyMem_Free(names);
    PyMem_Free(arrays);
    PyMem_Free(mk);
    PyMem_Free(mv);
    return result;
}

/* ==================================================================================== */
/* ---- load ---- */
static PyObject *load_npy(PyObject *file, PyObject *path) {
    mx_array *x;
    if (path) {
        const char *p = PyBytes_AS_STRING(path);
        Py_BEGIN_ALLOW_THREADS x = mx_load_npy(p);
        Py_END_ALLOW_THREADS
    } else {
        PyObject *b = read_all(file, "load");
        if (!b) return NULL;
        const char *d = PyBytes_AS_STRING(b);
        size_t n = (size_t)PyBytes_GET_SIZE(b);
        Py_BEGIN_ALLOW_THREADS x = mx_load_npy_bytes(d, n, "<file object>");
        Py_END_ALLOW_THREADS Py_DECREF(b);
    }
    return mxpy_wrap(x);
}

/* A corrupt zip raises zipfile.BadZipFile: report it as OSError (chained), as the other loaders
 * do. Other pending errors stay as they are. */
static void zip_error_to_oserror(PyObject *zipfile) {
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    if (!t) return;
    PyErr_NormalizeException(&t, &v, &tb);
    PyObject *bad = PyObject_GetAttrString(zipfile, "BadZipFile");
    if (!bad) PyErr_Clear();
    if (bad && PyErr_GivenExceptionMatches(t, bad)) {
        PyErr_Format(PyExc_OSError, "[load] not a valid .npz file: %S", v ? v : Py_None);
        PyObject *t2, *v2, *tb2;
        PyErr_Fetch(&t2, &v2, &tb2);
        PyErr_NormalizeException(&t2, &v2, &tb2);
        if (v2 && v) PyException_SetCause(v2, v); /* steals v */
        else Py_XDECREF(v);
        PyErr_Restore(t2, v2, tb2);
        Py_XDECREF(t);
        Py_XDECREF(tb);
    } else {
        PyErr_Restore(t, v, tb);
    }
    Py_XDECREF(bad);
}

static PyObject *load_npz(PyObject *file, PyObject *path) {
    PyObject *zipfile = PyImport_ImportModule("zipfile");
    if (!zipfile) return NULL;
    PyObject *str = path ? path_str(path) : NULL;
    PyObject *zf = path && !str ? NULL : PyObject_CallMethod(zipfile, "ZipFile", "Os", str ? str : file, "r");
    Py_XDECREF(str);
    PyObject *out = NULL, *names = NULL;
    if (!zf) goto done;
    names = PyObject_CallMethod(zf, "namelist", NULL);
    if (!names || !(out = PyDict_New())) goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(names); i++) {
        PyObject *nm = PyList_GET_ITEM(names, i);
        PyObject *b = PyObject_CallMethod(zf, "read", "O", nm);
        if (b && !PyBytes_Check(b)) Py_CLEAR(b);
        const char *what = PyUnicode_AsUTF8(nm);
        if (!b || !what) {
            Py_XDECREF(b);
            Py_CLEAR(out);
            goto done;
        }
        const char *d = PyBytes_AS_STRING(b);
        size_t n = (size_t)PyBytes_GET_SIZE(b);
        mx_array *x;
        Py_BEGIN_ALLOW_THREADS x = mx_load_npy_bytes(d, n, what);
        Py_END_ALLOW_THREADS Py_DECREF(b);
        PyObject *arr = mxpy_wrap(x);
        size_t len = strlen(what);
        PyObject *key = len >= 4 && strcmp(what + len - 4, ".npy") == 0
                            ? PyUnicode_FromStringAndSize(what, (Py_ssize_t)len - 4)
                            : (Py_INCREF(nm), nm);
        int rc = arr && key ? PyDict_SetItem(out, key, arr) : -1;
        Py_XDECREF(arr);
        Py_XDECREF(key);
        if (rc < 0) {
            Py_CLEAR(out);
            goto done;
        }
    }
done:
    if (!out) zip_error_to_oserror(zipfile);
    if (zf) {
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        PyObject *r = PyObject_CallMethod(zf, "close", NULL);
        if (!r) PyErr_Clear();
        Py_XDECREF(r);
        PyErr_Restore(t, v, tb);
    }
    Py_XDECREF(names);
    Py_XDECREF(zf);
    Py_DECREF(zipfile);
    return out;
}

static PyObject *load_safetensors(PyObject *file, PyObject *path, bool meta) {
    PyObject *tmp = NULL;
    if (!path) { /* the C loader maps files: spill the file object into a temporary one */
        PyObject *b = read_all(file, "load");
        if (!b) return NULL;
        int fd;
        tmp = temp_path(&fd);
        if (!tmp) {
            Py_DECREF(b);
            return NULL;
        }
        const char *d = PyBytes_AS_STRING(b);
        Py_ssize_t n = PyBytes_GET_SIZE(b), w = 0;
        while (w < n) {
            ssize_t k = write(fd, d + w, (size_t)(n - w));
            if (k <= 0) break;
            w += k;
        }
        close(fd);
        Py_DECREF(b);
        if (w < n) {
            unlink(PyBytes_AS_STRING(tmp));
            Py_DECREF(tmp);
            PyErr_SetString(PyExc_OSError, "[load] cannot write a temporary file");
            return NULL;
        }
        path = tmp;
    }
    mx_named_arrays na;
    const char *p = PyBytes_AS_STRING(path);
    mx_status st;
    Py_BEGIN_ALLOW_THREADS st = mx_load_safetensors(p, &na);
    Py_END_ALLOW_THREADS if (tmp) unlink(PyBytes_AS_STRING(tmp)); /* the mapping stays valid */
    Py_XDECREF(tmp);
    if (mxpy_check(st) < 0) return NULL;
    PyObject *d = PyDict_New(), *md = meta ? PyDict_New() : NULL;
    bool ok = d && (!meta || md);
    for (int i = 0; ok && i < na.n; i++) {
        PyObject *arr = mxpy_wrap(na.arrays[i]);
        na.arrays[i] = NULL; /* stolen */
        ok = arr && PyDict_SetItemString(d, na.names[i], arr) == 0;
        Py_XDECREF(arr);
    }
    for (int i = 0; ok && meta && i < na.n_meta; i++) {
        PyObject *v = PyUnicode_FromString(na.meta_values[i]);
        ok = v && PyDict_SetItemString(md, na.meta_keys[i], v) == 0;
        Py_XDECREF(v);
    }
    mx_named_arrays_free(&na);
    if (!ok) {
        Py_XDECREF(d);
        Py_XDECREF(md);
        return NULL;
    }
    return meta ? Py_BuildValue("(NN)", d, md) : d;
}

/* The format named by the extension of a path ("" if none). */
static PyObject *format_of_name(const char *name) {
    const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');
    if (!dot || (slash && dot < slash)) return NULL;
    return PyUnicode_FromString(dot + 1);
}

static PyObject *py_load(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    PyObject *a[4], *path, *fmt = NULL, *result = NULL;
    mx_stream s;
    bool meta;
    if (mxpy_parse("load", args, kw, "file, /, format=, return_metadata=, *, stream=", a) < 0 ||
        mxpy_bool(a[2], false, &meta) < 0 || mxpy_stream(a[3], &s) < 0)
        return NULL;
    int isp = path_arg(a[0], &path);
    if (isp < 0) return NULL;
    if (!MXPY_ABSENT(a[1])) {
        if (!PyUnicode_Check(a[1])) {
            PyErr_Format(PyExc_TypeError, "[load] format must be a str, got %s", Py_TYPE(a[1])->tp_name);
            goto done;
        }
        fmt = a[1];
        Py_INCREF(fmt);
    } else if (isp) {
        fmt = format_of_name(PyBytes_AS_STRING(path));
    } else {
        PyObject *name = PyObject_GetAttrString(a[0], "name");
        if (!name) PyErr_Clear();
        if (name && PyUnicode_Check(name)) fmt = format_of_name(PyUnicode_AsUTF8(name));
        if (PyErr_Occurred()) PyErr_Clear();
        Py_XDECREF(name);
    }
    if (!fmt) {
        PyErr_SetString(PyExc_ValueError,
                        "[load] could not infer the file format from the extension; pass format=");
        goto done;
    }
    const char *f = PyUnicode_AsUTF8(fmt);
    if (!f) goto done;
    if (!strcmp(f, "safetensors")) {
        result = load_safetensors(a[0], path, meta);
    } else if (!strcmp(f, "npy") || !strcmp(f, "npz")) {
        if (meta) PyErr_Format(PyExc_ValueError, "[load] metadata not supported for format %s", f);
        else result = f[2] == 'y' ? load_npy(a[0], path) : load_npz(a[0], path);
    } else if (!strcmp(f, "gguf")) {
        PyErr_SetString(PyExc_ValueError, "[load] GGUF is not supported yet");
    } else {
        PyErr_Format(PyExc_ValueError, "[load] unknown file format '%s'", f);
    }
done:
    Py_XDECREF(fmt);
    Py_XDECREF(path);
    return result;
}

/* ==================================================================================== */
/* ---- DLPack (the stable ABI of dlpack.h v0.x, declared here) ---- */
typedef struct {
    int32_t device_type; /* kDLCPU = 1, kDLCUDAHost = 3 */
    int32_t device_id;
} dl_device;
typedef struct {
    uint8_t  code; /* 0 int, 1 uint, 2 float, 4 bfloat, 5 complex, 6 bool */
    uint8_t  bits;
    uint16_t lanes;
} dl_dtype;
typedef struct {
    void     *data;
    dl_device device;
    int32_t   ndim;
    dl_dtype  dtype;
    int64_t  *shape;
    int64_t  *strides; /* elements; NULL = row-major */
    uint64_t  byte_offset;
} dl_tensor;
typedef struct dl_managed {
    dl_tensor dl_tensor;
    void     *manager_ctx;
    void (*deleter)(struct dl_managed *self);
} dl_managed;

enum { DL_INT = 0, DL_UINT = 1, DL_FLOAT = 2, DL_BFLOAT = 4, DL_COMPLEX = 5, DL_BOOL = 6 };

static dl_dtype dl_dtype_of(mx_dtype t) {
    dl_dtype d = {DL_FLOAT, (uint8_t)(8 * mx_dtype_size(t)), 1};
    if (t == MX_BOOL) d.code = DL_BOOL;
    else if (t == MX_BFLOAT16) d.code = DL_BFLOAT;
    else if (t == MX_COMPLEX64) d.code = DL_COMPLEX;
    else if (mx_dtype_is_int(t)) d.code = mx_dtype_is_signed(t) ? DL_INT : DL_UINT;
    return d;
}

/* The exported tensor and its storage: one block, freed by the deleter. */
typedef struct dl_export {
    dl_managed m;
    mx_array  *a;
    int64_t    shape[MX_MAX_DIMS], strides[MX_MAX_DIMS];
} dl_export;

static void dl_export_delete(dl_managed *t) {
    dl_export *e = (dl_export *)t;
    mx_array_release(e->a);
    free(e);
}

static void dl_capsule_destructor(PyObject *cap) {
    if (!PyCapsule_IsValid(cap, "dltensor")) return; /* consumed ("used_dltensor") */
    dl_managed *t = PyCapsule_GetPointer(cap, "dltensor");
    if (t && t->deleter) t->deleter(t);
}

static PyObject *m_dlpack(PyObject *self, PyObject *args, PyObject *kw) {
    PyObject *a[4];
    bool copy = false;
    if (mxpy_parse("__dlpack__", args, kw, "*, stream=, max_version=, dl_device=, copy=", a) < 0)
        return NULL;
    if (!MXPY_ABSENT(a[2])) {
        int64_t dt = -1, di = -1;
        PyObject *seq = PySequence_Check(a[2]) && PySequence_Size(a[2]) == 2 ? a[2] : NULL;
        PyObject *x = seq ? PySequence_GetItem(seq, 0) : NULL, *y = seq ? PySequence_GetItem(seq, 1) : NULL;
        int rc = x && y ? (mxpy_int(x, "dl_device", &dt) < 0 || mxpy_int(y, "dl_device", &di) < 0) : -1;
        Py_XDECREF(x);
        Py_XDECREF(y);
        if (rc || dt != 1 || di != 0) {
            if (!PyErr_Occurred() || rc == 0)
                PyErr_SetString(PyExc_BufferError, "[__dlpack__] only the CPU device (1, 0) is supported");
            return NULL;
        }
    }
    bool copy_false = a[3] && a[3] != Py_None && !PyObject_IsTrue(a[3]);
    if (mxpy_bool(a[3], false, &copy) < 0) return NULL;
    mx_array *x = mx_array_retain(MXPY_ARR(self));
    if (mxpy_eval(&x, 1) < 0) {
        mx_array_release(x);
        return NULL;
    }
    if (copy || (mx_array_size(x) > 0 && !mx_array_is_row_contiguous(x))) {
        if (copy_false) {
            mx_array_release(x);
            PyErr_SetString(PyExc_BufferError, "[__dlpack__] the array is not row-contiguous; a copy is needed");
            return NULL;
        }
        mx_array *c = mx_copy(x, mx_stream_of_device(MX_CPU)); /* host-side, any dtype */
        mx_array_release(x);
        if (!c) return mxpy_raise();
        x = c;
        if (mxpy_eval(&x, 1) < 0) {
            mx_array_release(x);
            return NULL;
        }
    }
    static _Alignas(16) char empty[16];
    void *data = empty;
    if (mx_array_size(x) > 0 && !(data = (void *)mxpy_data(x))) {
        mx_array_release(x);
        return NULL;
    }
    dl_export *e = calloc(1, sizeof *e);
    if (!e) {
        mx_array_release(x);
        return PyErr_NoMemory();
    }
    int nd = mx_array_ndim(x);
    int64_t st = 1;
    for (int d = nd - 1; d >= 0; d--) {
        e->shape[d] = mx_array_shape(x)[d];
        e->strides[d] = st;
        st *= e->shape[d] > 0 ? e->shape[d] : 1;
    }
    e->a = x;
    e->m.dl_tensor = (dl_tensor){data, {1, 0}, nd, dl_dtype_of(mx_array_dtype(x)), e->shape,
                                 e->strides, 0};
    e->m.manager_ctx = e;
    e->m.deleter = dl_export_delete;
    PyObject *cap = PyCapsule_New(&e->m, "dltensor", dl_capsule_destructor);
    if (!cap) dl_export_delete(&e->m);
    return cap;
}

static PyObject *m_dlpack_device(PyObject *self, PyObject *unused) {
    (void)self, (void)unused;
    return Py_BuildValue("(ii)", 1, 0);
}

static int dl_to_mx(dl_dtype d, mx_dtype *t, bool *c128) {
    *c128 = false;
    if (d.lanes != 1) return -1;
    switch (d.code) {
    case DL_BOOL: *t = MX_BOOL; return d.bits == 8 ? 0 : -1;
    case DL_INT:
        *t = d.bits == 8 ? MX_INT8 : d.bits == 16 ? MX_INT16 : d.bits == 32 ? MX_INT32 : MX_INT64;
        return d.bits == 8 || d.bits == 16 || d.bits == 32 || d.bits == 64 ? 0 : -1;
    case DL_UINT:
        *t = d.bits == 8 ? MX_UINT8 : d.bits == 16 ? MX_UINT16 : d.bits == 32 ? MX_UINT32 : MX_UINT64;
        return d.bits == 8 || d.bits == 16 || d.bits == 32 || d.bits == 64 ? 0 : -1;
    case DL_FLOAT:
        *t = d.bits == 16 ? MX_FLOAT16 : d.bits == 32 ? MX_FLOAT32 : MX_FLOAT64;
        return d.bits == 16 || d.bits == 32 || d.bits == 64 ? 0 : -1;
    case DL_BFLOAT: *t = MX_BFLOAT16; return d.bits == 16 ? 0 : -1;
    case DL_COMPLEX:
        *t = MX_COMPLEX64;
        *c128 = d.bits == 128;
        return d.bits == 64 || d.bits == 128 ? 0 : -1;
    default: return -1;
    }
}

/* A row-major copy of the tensor's elements (itemsize bytes each) into dst. */
static void dl_gather(const dl_tensor *t, size_t isz, char *dst, int64_t count) {
    const char *base = (const char *)t->data + t->byte_offset;
    if (!t->strides) {
        memcpy(dst, base, (size_t)count * isz);
        return;
    }
    int64_t idx[MX_MAX_DIMS] = {0}, off = 0;
    for (int64_t k = 0; k < count; k++) {
        memcpy(dst + (size_t)k * isz, base + off * (int64_t)isz, isz);
        for (int d = t->ndim - 1; d >= 0; d--) {
            if (++idx[d] < t->shape[d]) {
                off += t->strides[d];
                break;
            }
            off -= (t->shape[d] - 1) * t->strides[d];
            idx[d] = 0;
        }
    }
}

static PyObject *py_from_dlpack(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    PyObject *a[2];
    if (mxpy_parse("from_dlpack", args, kw, "x, /, *, copy=", a) < 0) return NULL;
    if (a[1] && a[1] != Py_None && !PyObject_IsTrue(a[1])) {
        PyErr_SetString(PyExc_BufferError, "[from_dlpack] cmlx always copies the data (copy=False is not supported)");
        return NULL;
    }
    if (!PyObject_HasAttrString(a[0], "__dlpack__")) {
        PyErr_Format(PyExc_TypeError, "[from_dlpack] %s does not support the DLPack protocol",
                     Py_TYPE(a[0])->tp_name);
        return NULL;
    }
    if (PyObject_HasAttrString(a[0], "__dlpack_device__")) {
        PyObject *dev = PyObject_CallMethod(a[0], "__dlpack_device__", NULL);
        if (!dev) return NULL;
        long dt = -1;
        if (PyTuple_Check(dev) && PyTuple_GET_SIZE(dev) >= 1) dt = PyLong_AsLong(PyTuple_GET_ITEM(dev, 0));
        Py_DECREF(dev);
        if (dt == -1 && PyErr_Occurred()) return NULL;
        if (dt != 1 && dt != 3) {
            PyErr_Format(PyExc_BufferError, "[from_dlpack] only CPU tensors are supported (device type %ld)", dt);
            return NULL;
        }
    }
    PyObject *cap = PyObject_CallMethod(a[0], "__dlpack__", NULL);
    if (!cap) return NULL;
    if (!PyCapsule_IsValid(cap, "dltensor")) {
        Py_DECREF(cap);
        PyErr_SetString(PyExc_TypeError, "[from_dlpack] __dlpack__ did not return a 'dltensor' capsule");
        return NULL;
    }
    dl_managed *mt = PyCapsule_GetPointer(cap, "dltensor");
    const dl_tensor *t = &mt->dl_tensor;
    mx_dtype dt;
    bool c128;
    mx_array *x = NULL;
    if (t->device.device_type != 1 && t->device.device_type != 3) {
        PyErr_SetString(PyExc_BufferError, "[from_dlpack] only CPU tensors are supported");
    } else if (dl_to_mx(t->dtype, &dt, &c128) < 0) {
        PyErr_Format(PyExc_TypeError, "[from_dlpack] unsupported DLPack dtype (code %d, bits %d, lanes %d)",
                     t->dtype.code, t->dtype.bits, t->dtype.lanes);
    } else if (t->ndim < 0 || t->ndim > MX_MAX_DIMS) {
        PyErr_Format(PyExc_ValueError, "[from_dlpack] at most %d dimensions are supported", MX_MAX_DIMS);
    } else {
        int64_t count = 1, shape[MX_MAX_DIMS];
        for (int d = 0; d < t->ndim; d++) count *= (shape[d] = t->shape[d]);
        size_t isz = t->dtype.bits / 8;
        char *buf = PyMem_Malloc(count > 0 ? (size_t)count * isz : 1);
        if (!buf) {
            PyErr_NoMemory();
        } else {
            if (count > 0) {
                Py_BEGIN_ALLOW_THREADS dl_gather(t, isz, buf, count);
                Py_END_ALLOW_THREADS
            }
            if (c128) { /* complex128 -> complex64 in place */
                const double *s = (const double *)buf;
                float *f = (float *)buf;
                for (int64_t i = 0; i < 2 * count; i++) f[i] = (float)s[i];
            }
            x = mx_array_from_data(buf, shape, t->ndim, dt);
            PyMem_Free(buf);
            if (!x) mxpy_raise();
        }
    }
    /* we consumed the capsule: rename it and release the producer's tensor */
    if (PyCapsule_SetName(cap, "used_dltensor") == 0 && mt->deleter) mt->deleter(mt);
    Py_DECREF(cap);
    return x ? mxpy_wrap(x) : NULL;
}

/* ==================================================================================== */
/* ---- median ---- */
static PyObject *py_median(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    PyObject *a[4];
    int axes[MX_MAX_DIMS], naxes;
    bool keep;
    mx_stream s;
    if (mxpy_parse("median", args, kw, "a, /, axis=, keepdims=, *, stream=", a) < 0 ||
        mxpy_axes(a[1], axes, &naxes) < 0 || mxpy_bool(a[2], false, &keep) < 0 ||
        mxpy_stream(a[3], &s) < 0)
        return NULL;
    mx_array *x = mxpy_to_array(a[0], MX_DTYPE_AUTO);
    if (!x) return NULL;
    int nd = mx_array_ndim(x);
    const int64_t *sh = mx_array_shape(x);
    bool red[MX_MAX_DIMS] = {false};
    if (naxes < 0) {
        for (int d = 0; d < nd; d++) red[d] = true;
    } else {
        for (int i = 0; i < naxes; i++) {
            int ax = axes[i] < 0 ? axes[i] + nd : axes[i];
            if (ax < 0 || ax >= nd || red[ax]) {
                mx_array_release(x);
                if (ax < 0 || ax >= nd)
                    PyErr_Format(PyExc_ValueError,
                                 "[median] axis %d is out of bounds for array with %d dimensions",
                                 axes[i], nd);
                else
                    PyErr_Format(PyExc_ValueError, "[median] received duplicate axis %d", axes[i]);
                return NULL;
            }
            red[ax] = true;
        }
    }
    /* move the reduced axes last and merge them into one */
    int perm[MX_MAX_DIMS], np_ = 0, nkept = 0;
    int64_t shape2[MX_MAX_DIMS], n = 1, kshape[MX_MAX_DIMS];
    for (int d = 0; d < nd; d++)
        if (!red[d]) perm[np_++] = d, shape2[nkept++] = sh[d];
    for (int d = 0; d < nd; d++)
        if (red[d]) perm[np_++] = d, n *= sh[d];
    shape2[nkept] = n;
    for (int d = 0; d < nd; d++) kshape[d] = red[d] ? 1 : sh[d];
    mx_dtype t = mx_array_dtype(x);
    mx_dtype ft = mx_dtype_is_inexact(t) ? t : MX_FLOAT32;
    mx_scope sc = mx_scope_begin();
    mx_array *y = mx_reshape(mx_transpose(x, perm, nd, s), shape2, nkept + 1, s);
    y = mx_sort(mx_astype(y, ft, s), -1, false, s);
    int64_t start[MX_MAX_DIMS + 1], stop[MX_MAX_DIMS + 1];
    for (int d = 0; d < nkept; d++) start[d] = stop[d] = MX_SLICE_NONE;
    start[nkept] = n > 0 ? (n - 1) / 2 : 0;
    stop[nkept] = n > 0 ? n / 2 + 1 : 0;
    int last = -1;
    mx_array *r = mx_mean(mx_slice(y, start, stop, NULL, s), &last, 1, false, s);
    if (n > 0 && !mx_dtype_is_complex(ft)) { /* NaN sorts last: propagate it */
        start[nkept] = n - 1, stop[nkept] = n;
        mx_array *hi = mx_squeeze(mx_slice(y, start, stop, NULL, s), &last, 1, s);
        r = mx_where(mx_isnan(hi, s), hi, r, s);
    }
    if (r && mx_array_dtype(r) != ft) r = mx_astype(r, ft, s);
    if (keep) r = mx_reshape(r, kshape, nd, s);
    r = mx_scope_end(sc, r);
    mx_array_release(x);
    return mxpy_wrap(r);
}

/* ==================================================================================== */
/* ---- ArrayLike ---- */
typedef struct {
    PyObject_HEAD
    PyObject *obj;
} arraylike_obj;

static PyObject *arraylike_new(PyTypeObject *tp, PyObject *args, PyObject *kw) {
    PyObject *a[1];
    if (mxpy_parse("ArrayLike", args, kw, "obj", a) < 0) return NULL;
    arraylike_obj *o = (arraylike_obj *)tp->tp_alloc(tp, 0);
    if (o) {
        Py_INCREF(a[0]);
        o->obj = a[0];
    }
    return (PyObject *)o;
}
static void arraylike_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    Py_CLEAR(((arraylike_obj *)self)->obj);
    tp->tp_free(self);
    Py_DECREF(tp);
}
static PyObject *arraylike_mlx_array(PyObject *self, PyObject *unused) {
    (void)unused;
    return mxpy_wrap(mxpy_to_array(((arraylike_obj *)self)->obj, MX_DTYPE_AUTO));
}
static PyMethodDef arraylike_methods[] = {
    {"__mlx_array__", arraylike_mlx_array, METH_NOARGS, "The wrapped object as an mlx array."},
    {NULL, NULL, 0, NULL},
};
static PyType_Slot arraylike_slots[] = {
    {Py_tp_new, arraylike_new},
    {Py_tp_dealloc, arraylike_dealloc},
    {Py_tp_methods, arraylike_methods},
    {Py_tp_doc, "ArrayLike(obj)\n\nAny object convertible to an array (a typing name, as MLX's): an "
                "array, a Python scalar, a nested list/tuple, a buffer (NumPy array) or an object "
                "with __mlx_array__. ArrayLike(obj) wraps obj and converts it through __mlx_array__."},
    {0, NULL},
};
static PyType_Spec arraylike_spec = {"mlx.core.ArrayLike", sizeof(arraylike_obj), 0,
                                     Py_TPFLAGS_DEFAULT, arraylike_slots};

/* ==================================================================================== */
#define KWF(f) ((PyCFunction)(void (*)(void))(f))
static PyMethodDef io_funcs[] = {
    {"save", KWF(py_save), METH_VARARGS | METH_KEYWORDS,
     "save(file, arr)\n\nSave an array to a NumPy .npy file (\".npy\" is appended to a path "
     "without it). file is a path or a writable file-like object."},
    {"savez", KWF(py_savez), METH_VARARGS | METH_KEYWORDS,
     "savez(file, *args, **kwargs)\n\nSave arrays to an uncompressed .npz archive; positional "
     "arrays are named arr_0, arr_1, ..."},
    {"savez_compressed", KWF(py_savez_compressed), METH_VARARGS | METH_KEYWORDS,
     "savez_compressed(file, *args, **kwargs)\n\nAs savez, with zip deflate compression."},
    {"save_safetensors", KWF(py_save_safetensors), METH_VARARGS | METH_KEYWORDS,
     "save_safetensors(file, arrays, metadata=None)\n\nSave a dict of str to array in the "
     "safetensors format, with optional str to str metadata (\".safetensors\" is appended to a "
     "path without it)."},
    {"load", KWF(py_load), METH_VARARGS | METH_KEYWORDS,
     "load(file, /, format=None, return_metadata=False, *, stream=None)\n\nLoad arrays from "
     ".npy (an array), .npz (a dict) or .safetensors (a dict, or (dict, metadata) with "
     "return_metadata=True). The format comes from the file name's extension unless given. "
     "Arrays are read eagerly."},
    {"from_dlpack", KWF(py_from_dlpack), METH_VARARGS | METH_KEYWORDS,
     "from_dlpack(x, /, *, copy=None) -> array\n\nA copy of a CPU tensor that implements the "
     "DLPack protocol (__dlpack__)."},
    {NULL, NULL, 0, NULL},
};
static PyMethodDef median_def = {
    "median", KWF(py_median), METH_VARARGS | METH_KEYWORDS,
    "median(a, /, axis=None, keepdims=False, *, stream=None) -> array\n\nThe median along the "
    "given axes (all axes when None); the mean of the two middle values for an even count. "
    "Integer inputs give float32; NaN propagates."};
static PyMethodDef dlpack_methods[] = {
    {"__dlpack__", KWF(m_dlpack), METH_VARARGS | METH_KEYWORDS,
     "__dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None)\n\nExport "
     "the array as a DLPack capsule (CPU, row-contiguous)."},
    {"__dlpack_device__", m_dlpack_device, METH_NOARGS,
     "__dlpack_device__(self) -> tuple\n\n(1, 0): the CPU."},
    {NULL, NULL, 0, NULL},
};

int mxpy_init_io(PyObject *m) {
    if (PyModule_AddFunctions(m, io_funcs) < 0) return -1;
    if (mx_sort && mx_mean) {
        PyObject *name = PyModule_GetNameObject(m);
        PyObject *f = name ? PyCFunction_NewEx(&median_def, NULL, name) : NULL;
        Py_XDECREF(name);
        if (mxpy_add(m, "median", f) < 0) return -1;
    }
    PyObject *al = PyType_FromSpec(&arraylike_spec);
    if (mxpy_add(m, "ArrayLike", al) < 0) return -1;
    for (PyMethodDef *d = dlpack_methods; d->ml_name; d++) {
        PyObject *descr = PyDescr_NewMethod(mxpy_array_type, d);
        if (!descr || PyDict_SetItemString(mxpy_array_type->tp_dict, d->ml_name, descr) < 0) {
            Py_XDECREF(descr);
            return -1;
        }
        Py_DECREF(descr);
    }
    PyType_Modified(mxpy_array_type);
    return 0;
}
