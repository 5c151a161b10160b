/* python/src/device.c: devices, streams and memory (MLX's device.cpp, stream.cpp, memory.cpp):
 * DeviceType (mx.cpu, mx.gpu), Device, Stream, StreamContext (mx.stream), the default
 * device/stream functions, synchronize, device_info, and the memory counters and limits.
 * Also the stream= converter every op uses.
 *
 * ThreadLocalStream (new_thread_local_stream(device)) is a thin object that names a device and
 * resolves, at each use, to the calling thread's default stream of that device
 * (mx_default_stream), so every thread that uses it runs on its own current stream.
 * clear_streams() waits for this thread's default streams and resets its default stream to the
 * one it had at import; cmlx's stream registry is fixed, so streams are never freed, and the
 * random state is not tied to streams, so it is left alone. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "mxpy.h"

typedef struct {
    PyObject_HEAD
    mx_device_type t;
} devtype_obj;
typedef struct {
    PyObject_HEAD
    mx_device d;
} device_obj;
typedef struct {
    PyObject_HEAD
    mx_stream s;
} stream_obj;
typedef struct {
    PyObject_HEAD
    mx_stream s;          /* the stream to switch to (resolved) */
    mx_device old_device; /* restored on exit */
    mx_stream old_stream;
} ctx_obj;

PyTypeObject *mxpy_devicetype_type, *mxpy_device_type, *mxpy_stream_type;
static PyTypeObject *ctx_type, *tls_type;
static mx_stream initial_stream[2]; /* the default streams at import (for clear_streams) */
static PyObject *devtypes[2];

static const char *type_name(mx_device_type t) { return t == MX_GPU ? "gpu" : "cpu"; }

/* ---- DeviceType ---- */
static PyObject *devtype_repr(PyObject *self) {
    return PyUnicode_FromFormat("DeviceType.%s", type_name(((devtype_obj *)self)->t));
}
static Py_hash_t devtype_hash(PyObject *self) { return 0x6474 + ((devtype_obj *)self)->t; }

/* Device type of a Device or DeviceType, -1 if o is neither. */
static int type_of(PyObject *o) {
    if (PyObject_TypeCheck(o, mxpy_devicetype_type)) return ((devtype_obj *)o)->t;
    if (PyObject_TypeCheck(o, mxpy_device_type)) return ((device_obj *)o)->d.type;
    return -1;
}

static PyObject *devtype_richcompare(PyObject *a, PyObject *b, int op) {
    if (op != Py_EQ && op != Py_NE) Py_RETURN_NOTIMPLEMENTED;
    if (!PyObject_TypeCheck(a, mxpy_devicetype_type) || !PyObject_TypeCheck(b, mxpy_devicetype_type))
        Py_RETURN_NOTIMPLEMENTED;
    bool eq = type_of(a) == type_of(b);
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}
static PyObject *devtype_name(PyObject *self, void *c) {
    (void)c;
    return PyUnicode_FromString(type_name(((devtype_obj *)self)->t));
}
static PyObject *devtype_value(PyObject *self, void *c) {
    (void)c;
    return PyLong_FromLong(((devtype_obj *)self)->t);
}
static PyGetSetDef devtype_getset[] = {
    {"name", devtype_name, NULL, NULL, NULL},
    {"value", devtype_value, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
static PyType_Slot devtype_slots[] = {
    {Py_tp_repr, devtype_repr},     {Py_tp_hash, devtype_hash},
    {Py_tp_richcompare, devtype_richcompare}, {Py_tp_getset, devtype_getset},
    {0, NULL},
};
static PyType_Spec devtype_spec = {"mlx.core.DeviceType", sizeof(devtype_obj), 0,
                                   Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
                                   devtype_slots};

/* ---- Device ---- */
PyObject *mxpy_device_object(mx_device d) {
    device_obj *o = PyObject_New(device_obj, mxpy_device_type);
    if (o) o->d = d;
    return (PyObject *)o;
}

static int to_device(PyObject *o, mx_device *d) {
    if (PyObject_TypeCheck(o, mxpy_device_type)) {
        *d = ((device_obj *)o)->d;
        return 0;
    }
    if (PyObject_TypeCheck(o, mxpy_devicetype_type)) {
        d->type = ((devtype_obj *)o)->t;
        d->index = 0;
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "expected a Device or DeviceType, got %s", Py_TYPE(o)->tp_name);
    return -1;
}

static PyObject *device_new(PyTypeObject *tp, PyObject *args, PyObject *kw) {
    (void)tp;
    PyObject *a[2];
    int64_t idx = 0;
    if (mxpy_parse("Device", args, kw, "type, index=", a) < 0) return NULL;
    if (!PyObject_TypeCheck(a[0], mxpy_devicetype_type)) {
        PyErr_SetString(PyExc_TypeError, "Device() type must be a DeviceType");
        return NULL;
    }
    if (a[1] && mxpy_int(a[1], "index", &idx) < 0) return NULL;
    mx_device d = {((devtype_obj *)a[0])->t, (int)idx};
    return mxpy_device_object(d);
}
static PyObject *device_repr(PyObject *self) {
    mx_device d = ((device_obj *)self)->d;
    return PyUnicode_FromFormat("Device(%s, %d)", type_name(d.type), d.index);
}
static PyObject *device_richcompare(PyObject *a, PyObject *b, int op) {
    if (op != Py_EQ && op != Py_NE) Py_RETURN_NOTIMPLEMENTED;
    int ta = type_of(a), tb = type_of(b);
    if (ta < 0 || tb < 0) Py_RETURN_NOTIMPLEMENTED;
    bool eq = ta == tb;
    if (PyObject_TypeCheck(a, mxpy_device_type) && PyObject_TypeCheck(b, mxpy_device_type))
        eq = eq && ((device_obj *)a)->d.index == ((device_obj *)b)->d.index;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}
static Py_hash_t device_hash(PyObject *self) {
    mx_device d = ((device_obj *)self)->d;
    return 0x6476 + d.type * 131 + d.index;
}
static PyObject *device_type_get(PyObject *self, void *c) {
    (void)c;
    PyObject *t = devtypes[((device_obj *)self)->d.type];
    Py_INCREF(t);
    return t;
}
static PyGetSetDef device_getset[] = {
    {"type", device_type_get, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
static PyType_Slot device_slots[] = {
    {Py_tp_new, device_new},   {Py_tp_repr, device_repr},     {Py_tp_richcompare, device_richcompare},
    {Py_tp_hash, device_hash}, {Py_tp_getset, device_getset},
    {Py_tp_doc, "A device to run operations on."},
    {0, NULL},
};
static PyType_Spec device_spec = {"mlx.core.Device", sizeof(device_obj), 0, Py_TPFLAGS_DEFAULT,
                                  device_slots};

/* ---- Stream ---- */
static PyObject *stream_object(mx_stream s) {
    stream_obj *o = PyObject_New(stream_obj, mxpy_stream_type);
    if (o) o->s = mx_stream_resolve(s);
    return (PyObject *)o;
}
static PyObject *stream_repr(PyObject *self) {
    mx_stream s = ((stream_obj *)self)->s;
    return PyUnicode_FromFormat("Stream(Device(%s, 0), %d)", type_name(s.device), (int)s.index);
}
static PyObject *stream_richcompare(PyObject *a, PyObject *b, int op) {
    if ((op != Py_EQ && op != Py_NE) || !PyObject_TypeCheck(a, mxpy_stream_type) ||
        !PyObject_TypeCheck(b, mxpy_stream_type))
        Py_RETURN_NOTIMPLEMENTED;
    mx_stream x = ((stream_obj *)a)->s, y = ((stream_obj *)b)->s;
    bool eq = x.index == y.index && x.device == y.device;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}
static Py_hash_t stream_hash(PyObject *self) { return 0x7374 + ((stream_obj *)self)->s.index; }
static PyObject *stream_device(PyObject *self, void *c) {
    (void)c;
    return mxpy_device_object(mx_stream_device(((stream_obj *)self)->s));
}
static PyObject *stream_index(PyObject *self, void *c) {
    (void)c;
    return PyLong_FromLong(((stream_obj *)self)->s.index);
}
static PyObject *stream_new(PyTypeObject *tp, PyObject *args, PyObject *kw) {
    (void)tp;
    PyObject *a[1];
    mx_device d;
    if (mxpy_parse("Stream", args, kw, "device", a) < 0 || to_device(a[0], &d) < 0) return NULL;
    return stream_object(mx_stream_of_device(d.type));
}
static PyGetSetDef stream_getset[] = {
    {"device", stream_device, NULL, NULL, NULL},
    {"index", stream_index, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
static PyType_Slot stream_slots[] = {
    {Py_tp_new, stream_new},   {Py_tp_repr, stream_repr},     {Py_tp_richcompare, stream_richcompare},
    {Py_tp_hash, stream_hash}, {Py_tp_getset, stream_getset},
    {Py_tp_doc, "A stream for running operations on a given device."},
    {0, NULL},
};
static PyType_Spec stream_spec = {"mlx.core.Stream", sizeof(stream_obj), 0, Py_TPFLAGS_DEFAULT,
                                  stream_slots};

/* ---- ThreadLocalStream ---- */
typedef struct {
    PyObject_HEAD
    mx_device_type t;
} tls_obj;

static PyObject *tls_object(mx_device_type t) {
    tls_obj *o = PyObject_New(tls_obj, tls_type);
    if (o) o->t = t;
    return (PyObject *)o;
}
static PyObject *tls_new(PyTypeObject *tp, PyObject *args, PyObject *kw) {
    (void)tp;
    PyObject *a[1];
    mx_device d;
    if (mxpy_parse("ThreadLocalStream", args, kw, "device", a) < 0 || to_device(a[0], &d) < 0)
        return NULL;
    return tls_object(d.type);
}
static PyObject *tls_repr(PyObject *self) {
    return PyUnicode_FromFormat("ThreadLocalStream(Device(%s, 0))", type_name(((tls_obj *)self)->t));
}
static PyObject *tls_richcompare(PyObject *a, PyObject *b, int op) {
    if ((op != Py_EQ && op != Py_NE) || !PyObject_TypeCheck(a, tls_type) ||
        !PyObject_TypeCheck(b, tls_type))
        Py_RETURN_NOTIMPLEMENTED;
    bool eq = ((tls_obj *)a)->t == ((tls_obj *)b)->t;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}
static Py_hash_t tls_hash(PyObject *self) { return 0x746c + ((tls_obj *)self)->t; }
static PyObject *tls_device(PyObject *self, void *c) {
    (void)c;
    mx_device d = {((tls_obj *)self)->t, 0};
    return mxpy_device_object(d);
}
static PyObject *tls_stream(PyObject *self, void *c);
static PyGetSetDef tls_getset[] = {
    {"device", tls_device, NULL, "The device the stream runs on.", NULL},
    {"stream", tls_stream, NULL, "The Stream it resolves to on the calling thread.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
static PyType_Slot tls_slots[] = {
    {Py_tp_new, tls_new},   {Py_tp_repr, tls_repr},     {Py_tp_richcompare, tls_richcompare},
    {Py_tp_hash, tls_hash}, {Py_tp_getset, tls_getset},
    {Py_tp_doc, "ThreadLocalStream(device)\n\nA stream resolved per thread: wherever a stream "
                "is accepted it stands for the calling thread's default stream of its device."},
    {0, NULL},
};
static PyType_Spec tls_spec = {"mlx.core.ThreadLocalStream", sizeof(tls_obj), 0,
                               Py_TPFLAGS_DEFAULT, tls_slots};

int mxpy_stream(PyObject *o, mx_stream *out) {
    if (!MXPY_ABSENT(o) && PyObject_TypeCheck(o, tls_type)) {
        mx_device_type t = ((tls_obj *)o)->t;
        if (!mx_device_is_available((mx_device){t, 0})) {
            PyErr_Format(PyExc_ValueError, "[stream] the %s device is not available", type_name(t));
            return -1;
        }
        *out = mx_default_stream(t);
        return 0;
    }
    if (MXPY_ABSENT(o)) {
        *out = MX_DEFAULT_STREAM;
        return 0;
    }
    if (PyObject_TypeCheck(o, mxpy_stream_type)) {
        *out = ((stream_obj *)o)->s;
        return 0;
    }
    int t = type_of(o);
    if (t < 0) {
        PyErr_Format(PyExc_TypeError, "stream must be a Stream, Device or DeviceType, got %s",
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    if (!mx_device_is_available((mx_device){(mx_device_type)t, 0})) {
        PyErr_Format(PyExc_ValueError, "[stream] the %s device is not available",
                     type_name((mx_device_type)t));
        return -1;
    }
    *out = mx_stream_of_device((mx_device_type)t);
    return 0;
}

static PyObject *tls_stream(PyObject *self, void *c) {
    (void)c;
    mx_stream s;
    if (mxpy_stream(self, &s) < 0) return NULL;
    return stream_object(s);
}

/* ---- StreamContext ---- */
static PyObject *ctx_new(PyTypeObject *tp, PyObject *args, PyObject *kw) {
    PyObject *a[1];
    mx_stream s;
    if (mxpy_parse("StreamContext", args, kw, "s", a) < 0 || mxpy_stream(a[0], &s) < 0)
        return NULL;
    ctx_obj *o = (ctx_obj *)tp->tp_alloc(tp, 0);
    if (o) o->s = mx_stream_resolve(s);
    return (PyObject *)o;
}
static PyObject *ctx_enter(PyObject *self, PyObject *unused) {
    (void)unused;
    ctx_obj *c = (ctx_obj *)self;
    c->old_device = mx_default_device();
    c->old_stream = mx_default_stream(c->s.device);
    mx_device d = {c->s.device, 0};
    if (mxpy_check(mx_set_default_device(d)) < 0 || mxpy_check(mx_set_default_stream(c->s)) < 0)
        return NULL;
    Py_INCREF(self);
    return self;
}
static PyObject *ctx_exit(PyObject *self, PyObject *args) {
    (void)args;
    ctx_obj *c = (ctx_obj *)self;
    if (mxpy_check(mx_set_default_stream(c->old_stream)) < 0 ||
        mxpy_check(mx_set_default_device(c->old_device)) < 0)
        return NULL;
    Py_RETURN_FALSE;
}
static PyMethodDef ctx_methods[] = {
    {"__enter__", ctx_enter, METH_NOARGS, NULL},
    {"__exit__", ctx_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};
static PyType_Slot ctx_slots[] = {
    {Py_tp_new, ctx_new},
    {Py_tp_methods, ctx_methods},
    {Py_tp_doc, "A context manager setting the default device and stream."},
    {0, NULL},
};
static PyType_Spec ctx_spec = {"mlx.core.StreamContext", sizeof(ctx_obj), 0, Py_TPFLAGS_DEFAULT,
                               ctx_slots};

/* ---- functions ---- */
#define FN(name) static PyObject *py_##name(PyObject *m, PyObject *args, PyObject *kw)

FN(default_device) {
    PyObject *a[1];
    (void)m;
    if (mxpy_parse("default_device", args, kw, "", a) < 0) return NULL;
    return mxpy_device_object(mx_default_device());
}
FN(set_default_device) {
    PyObject *a[1];
    mx_device d;
    (void)m;
    if (mxpy_parse("set_default_device", args, kw, "device", a) < 0 || to_device(a[0], &d) < 0 ||
        mxpy_check(mx_set_default_device(d)) < 0)
        return NULL;
    Py_RETURN_NONE;
}
FN(is_available) {
    PyObject *a[1];
    mx_device d;
    (void)m;
    if (mxpy_parse("is_available", args, kw, "device", a) < 0 || to_device(a[0], &d) < 0)
        return NULL;
    return PyBool_FromLong(mx_device_is_available(d));
}
FN(device_count) {
    PyObject *a[1];
    (void)m;
    if (mxpy_parse("device_count", args, kw, "device_type", a) < 0) return NULL;
    int t = type_of(a[0]);
    if (t < 0) {
        PyErr_SetString(PyExc_TypeError, "device_count() expects a DeviceType");
        return NULL;
    }
    return PyLong_FromLong(mx_device_count((mx_device_type)t));
}
FN(device_info) {
    PyObject *a[1];
    mx_device d;
    (void)m;
    if (mxpy_parse("device_info", args, kw, "d=", a) < 0) return NULL;
    if (MXPY_ABSENT(a[0])) d = mx_default_device();
    else if (to_device(a[0], &d) < 0) return NULL;
    if (!mx_device_is_available(d)) {
        PyErr_Format(PyExc_ValueError, "[device_info] the %s device is not available",
                     type_name(d.type));
        return NULL;
    }
    if (d.type == MX_GPU) {
        mx_gpu_info gi;
        if (mxpy_check(mx_gpu_device_info(d.index, &gi)) < 0) return NULL;
        char arch[32];
        snprintf(arch, sizeof arch, "sm_%d%d", gi.compute_capability_major, gi.compute_capability_minor);
        return Py_BuildValue("{s:s,s:s,s:K,s:K,s:K,s:s,s:s,s:i,s:i}", "device_name", gi.name,
                             "architecture", arch, "memory_size", (unsigned long long)gi.total_memory,
                             "total_memory", (unsigned long long)gi.total_memory, "free_memory",
                             (unsigned long long)gi.free_memory, "uuid", gi.uuid, "pci_bus_id",
                             gi.pci_bus_id, "compute_capability_major", gi.compute_capability_major,
                             "compute_capability_minor", gi.compute_capability_minor);
    }
    struct utsname u;
    const char *arch = uname(&u) == 0 ? u.machine : "unknown";
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    unsigned long long mem = pages > 0 && psz > 0 ? (unsigned long long)pages * psz : 0;
    return Py_BuildValue("{s:s,s:s,s:K}", "device_name", "cpu", "architecture", arch,
                         "memory_size", mem);
}
FN(default_stream) {
    PyObject *a[1];
    mx_device d;
    (void)m;
    if (mxpy_parse("default_stream", args, kw, "device", a) < 0 || to_device(a[0], &d) < 0)
        return NULL;
    return stream_object(mx_default_stream(d.type));
}
FN(set_default_stream) {
    PyObject *a[1];
    (void)m;
    mx_stream s;
    if (mxpy_parse("set_default_stream", args, kw, "stream", a) < 0) return NULL;
    if (!PyObject_TypeCheck(a[0], mxpy_stream_type) && !PyObject_TypeCheck(a[0], tls_type)) {
        PyErr_SetString(PyExc_TypeError, "set_default_stream() expects a Stream");
        return NULL;
    }
    if (mxpy_stream(a[0], &s) < 0 || mxpy_check(mx_set_default_stream(s)) < 0) return NULL;
    Py_RETURN_NONE;
}
FN(new_stream) {
    PyObject *a[1];
    mx_device d;
    mx_stream s;
    (void)m;
    if (mxpy_parse("new_stream", args, kw, "device", a) < 0 || to_device(a[0], &d) < 0 ||
        mxpy_check(mx_new_stream(d, &s)) < 0)
        return NULL;
    return stream_object(s);
}
FN(new_thread_local_stream) {
    PyObject *a[1];
    mx_device d;
    (void)m;
    if (mxpy_parse("new_thread_local_stream", args, kw, "device", a) < 0 || to_device(a[0], &d) < 0)
        return NULL;
    if (!mx_device_is_available(d)) {
        PyErr_Format(PyExc_ValueError, "[new_thread_local_stream] the %s device is not available",
                     type_name(d.type));
        return NULL;
    }
    return tls_object(d.type);
}
FN(clear_streams) {
    PyObject *a[1];
    mx_status st = MX_OK;
    (void)m;
    if (mxpy_parse("clear_streams", args, kw, "", a) < 0) return NULL;
    for (int t = 0; t < 2; t++) {
        if (!mx_device_is_available((mx_device){(mx_device_type)t, 0})) continue;
        mx_stream cur = mx_default_stream((mx_device_type)t);
        Py_BEGIN_ALLOW_THREADS st = mx_synchronize(cur);
        Py_END_ALLOW_THREADS if (mxpy_check(st) < 0) return NULL;
        if (initial_stream[t].index >= 0 &&
            mxpy_check(mx_set_default_stream(initial_stream[t])) < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}
FN(stream) {
    (void)m;
    return PyObject_Call((PyObject *)ctx_type, args, kw);
}
FN(synchronize) {
    PyObject *a[1];
    mx_stream s;
    mx_status st;
    (void)m;
    if (mxpy_parse("synchronize", args, kw, "stream=", a) < 0 || mxpy_stream(a[0], &s) < 0)
        return NULL;
    Py_BEGIN_ALLOW_THREADS st = mx_synchronize(s);
    Py_END_ALLOW_THREADS if (mxpy_check(st) < 0) return NULL;
    Py_RETURN_NONE;
}

#define DEF(name, doc)                                                                             \
    {#name, (PyCFunction)(void (*)(void))py_##name, METH_VARARGS | METH_KEYWORDS, doc}
static PyMethodDef device_funcs[] = {
    DEF(default_device, "default_device() -> Device\n\nGet the default device."),
    DEF(set_default_device, "set_default_device(device)\n\nSet the default device."),
    DEF(is_available, "is_available(device) -> bool\n\nCheck if a back-end is available."),
    DEF(device_count, "device_count(device_type) -> int\n\nNumber of devices of a type."),
    DEF(device_info, "device_info(d=None) -> dict\n\nInformation about a device."),
    DEF(default_stream, "default_stream(device) -> Stream\n\nThe device's default stream."),
    DEF(set_default_stream, "set_default_stream(stream)\n\nSet the default stream."),
    DEF(new_stream, "new_stream(device) -> Stream\n\nMake a new stream on the device."),
    {"new_thread_unsafe_stream", (PyCFunction)(void (*)(void))py_new_stream, METH_VARARGS | METH_KEYWORDS,
     "new_thread_unsafe_stream(device) -> Stream\n\nA new stream usable from any thread (cmlx "
     "streams all are)."},
    DEF(new_thread_local_stream,
        "new_thread_local_stream(device) -> ThreadLocalStream\n\nA stream that resolves, on "
        "each thread that uses it, to that thread's default stream of the device."),
    DEF(clear_streams,
        "clear_streams()\n\nWait for this thread's default streams and reset its default "
        "stream to the initial one (cmlx never frees registered streams)."),
    DEF(stream, "stream(s) -> StreamContext\n\nContext manager for the default device and stream."),
    DEF(synchronize, "synchronize(stream=None)\n\nWait for the stream's work to finish."),
    {NULL, NULL, 0, NULL},
};

int mxpy_init_device(PyObject *m) {
    mxpy_devicetype_type = (PyTypeObject *)PyType_FromSpec(&devtype_spec);
    mxpy_device_type = (PyTypeObject *)PyType_FromSpec(&device_spec);
    mxpy_stream_type = (PyTypeObject *)PyType_FromSpec(&stream_spec);
    ctx_type = (PyTypeObject *)PyType_FromSpec(&ctx_spec);
    tls_type = (PyTypeObject *)PyType_FromSpec(&tls_spec);
    if (!mxpy_devicetype_type || !mxpy_device_type || !mxpy_stream_type || !ctx_type || !tls_type)
        return -1;
    for (int t = 0; t < 2; t++) {
        initial_stream[t].index = -1;
        if (mx_device_is_available((mx_device){(mx_device_type)t, 0}))
            initial_stream[t] = mx_default_stream((mx_device_type)t);
    }
    PyTypeObject *types[] = {mxpy_devicetype_type, mxpy_device_type, mxpy_stream_type, ctx_type,
                             tls_type};
    const char *names[] = {"DeviceType", "Device", "Stream", "StreamContext", "ThreadLocalStream"};
    for (int i = 0; i < 5; i++) {
        Py_INCREF(types[i]);
        if (mxpy_add(m, names[i], (PyObject *)types[i]) < 0) return -1;
    }
    for (int t = 0; t < 2; t++) {
        devtype_obj *o = PyObject_New(devtype_obj, mxpy_devicetype_type);
        if (!o) return -1;
        o->t = (mx_device_type)t;
        devtypes[t] = (PyObject *)o;
        if (PyDict_SetItemString(mxpy_devicetype_type->tp_dict, type_name(o->t), (PyObject *)o) < 0)
            return -1;
        Py_INCREF(o);
        if (mxpy_add(m, type_name(o->t), (PyObject *)o) < 0) return -1;
    }
    PyType_Modified(mxpy_devicetype_type);
    return PyModule_AddFunctions(m, device_funcs);
}

/* ---- memory ---- */
static PyObject *size_arg(const char *fn, PyObject *args, PyObject *kw, size_t (*set)(size_t)) {
    PyObject *a[1];
    int64_t v;
    if (mxpy_parse(fn, args, kw, "limit", a) < 0 || mxpy_int(a[0], "limit", &v) < 0) return NULL;
    if (v < 0) {
        PyErr_Format(PyExc_ValueError, "[%s] limit must be non-negative", fn);
        return NULL;
    }
    return PyLong_FromSize_t(set((size_t)v));
}
#define MEM_GET(name)                                                                              \
    static PyObject *py_##name(PyObject *m, PyObject *unused) {                                    \
        (void)m, (void)unused;                                                                     \
        return PyLong_FromSize_t(mx_##name());                                                     \
    }
MEM_GET(get_active_memory)
MEM_GET(get_peak_memory)
MEM_GET(get_cache_memory)
MEM_GET(get_memory_limit)
static PyObject *py_reset_peak_memory(PyObject *m, PyObject *unused) {
    (void)m, (void)unused;
    mx_reset_peak_memory();
    Py_RETURN_NONE;
}
static PyObject *py_clear_cache(PyObject *m, PyObject *unused) {
    (void)m, (void)unused;
    mx_clear_cache();
    Py_RETURN_NONE;
}
FN(set_memory_limit) { (void)m; return size_arg("set_memory_limit", args, kw, mx_set_memory_limit); }
FN(set_cache_limit) { (void)m; return size_arg("set_cache_limit", args, kw, mx_set_cache_limit); }
FN(set_wired_limit) { (void)m; return size_arg("set_wired_limit", args, kw, mx_set_wired_limit); }

static PyMethodDef memory_funcs[] = {
    {"get_active_memory", py_get_active_memory, METH_NOARGS,
     "get_active_memory() -> int\n\nBytes held by live arrays."},
    {"get_peak_memory", py_get_peak_memory, METH_NOARGS,
     "get_peak_memory() -> int\n\nThe peak of active memory since start or the last reset."},
    {"reset_peak_memory", py_reset_peak_memory, METH_NOARGS,
     "reset_peak_memory()\n\nReset the peak memory counter."},
    {"get_cache_memory", py_get_cache_memory, METH_NOARGS,
     "get_cache_memory() -> int\n\nBytes kept in the allocator cache."},
    {"get_memory_limit", py_get_memory_limit, METH_NOARGS,
     "get_memory_limit() -> int\n\nThe memory limit."},
    DEF(set_memory_limit, "set_memory_limit(limit) -> int\n\nSet the memory limit; returns the previous one."),
    DEF(set_cache_limit, "set_cache_limit(limit) -> int\n\nSet the cache limit; returns the previous one."),
    DEF(set_wired_limit, "set_wired_limit(limit) -> int\n\nAccepted for parity; no effect on Linux."),
    {"clear_cache", py_clear_cache, METH_NOARGS, "clear_cache()\n\nFree the allocator cache."},
    {NULL, NULL, 0, NULL},
};

/* ---- mlx.core.cuda ---- */
static PyObject *cuda_is_available(PyObject *m, PyObject *unused) {
    (void)m, (void)unused;
    return PyBool_FromLong(mx_device_is_available((mx_device){MX_GPU, 0}));
}
static PyMethodDef cuda_funcs[] = {
    {"is_available", cuda_is_available, METH_NOARGS,
     "is_available() -> bool\n\nWhether the CUDA backend is built and a GPU is present."},
    {NULL, NULL, 0, NULL},
};

int mxpy_init_memory(PyObject *m) {
    if (PyModule_AddFunctions(m, memory_funcs) < 0) return -1;
    PyObject *c = PyModule_New("mlx.core.cuda");
    if (!c) return -1;
    if (PyModule_AddFunctions(c, cuda_funcs) < 0) {
        Py_DECREF(c);
        return -1;
    }
    if (PyModule_AddObject(m, "cuda", c) < 0) {
        Py_DECREF(c);
        return -1;
    }
    return 0;
}
