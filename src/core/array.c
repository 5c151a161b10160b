/* src/core/array.c: handles and nodes: creation, reference counting with iterative release,
 * scopes, detach, and data access.
 *
 * Release is iterative: the last reference to a handle pushes it onto a thread-local worklist,
 * and one loop drains it, so a chain of a million nodes frees without recursion.
 */
#include <complex.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "half.h"

static atomic_llong live_arrays, live_nodes;
_Thread_local int mx_tracing_depth;

int64_t mx_debug_live_arrays(void) { return atomic_load(&live_arrays); }
int64_t mx_debug_live_nodes(void) { return atomic_load(&live_nodes); }

/* ---- a small growable pointer stack (thread-local worklists, scopes) ---- */
typedef struct ptr_stack {
    void  **items;
    size_t  n, cap;
} ptr_stack;

static bool stack_push(ptr_stack *s, void *p) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        void **it = realloc(s->items, cap * sizeof *it);
        if (!it) return false;
        s->items = it;
        s->cap = cap;
    }
    s->items[s->n++] = p;
    return true;
}

/* ---- release ---- */
static _Thread_local ptr_stack release_work;
static _Thread_local int releasing;

static void free_array_now(mx_array *a);

static void node_free(mx_node *n) {
    /* inputs go onto the worklist via mx_array_release (which only pushes while draining) */
    if (n->in) {
        for (int i = 0; i < n->n_in; i++) mx_array_release(n->in[i]);
    }
    for (int i = 0; i < n->n_out; i++) mx_buffer_release(n->out[i].buf);
    if (n->params_free) n->params_free(n->params);
    atomic_fetch_sub(&live_nodes, 1);
    free(n);
}

void mx_node_release(mx_node *n) {
    if (n && atomic_fetch_sub_explicit(&n->refs, 1, memory_order_acq_rel) == 1) node_free(n);
}

static void free_array_now(mx_array *a) {
    mx_node *n = a->node;
    mx_buffer_release(a->v.buf);
    atomic_fetch_sub(&live_arrays, 1);
    free(a);
    mx_node_release(n);
}

void mx_array_release(mx_array *a) {
    if (!a || atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) != 1) return;
    if (releasing) {
        if (!stack_push(&release_work, a)) free_array_now(a); /* out of memory: recurse */
        return;
    }
    releasing = 1;
    free_array_now(a);
    while (release_work.n) free_array_now(release_work.items[--release_work.n]);
    releasing = 0;
}

mx_array *mx_array_retain(mx_array *a) {
    if (a) atomic_fetch_add_explicit(&a->refs, 1, memory_order_relaxed);
    return a;
}

/* ---- scopes ---- */
static _Thread_local ptr_stack scope_items;
static _Thread_local int scope_depth;

mx_scope mx_scope_begin(void) {
    scope_depth++;
    mx_scope s = {scope_items.n};
    return s;
}

mx_array *mx_scope_track(mx_array *a) {
    if (a && scope_depth > 0 && !stack_push(&scope_items, a)) {
        /* cannot track: leave it to the caller rather than lose it */
    }
    return a;
}

mx_array *mx_scope_end(mx_scope sc, mx_array *result) {
    bool found = false;
    while (scope_items.n > sc.mark) {
        mx_array *a = scope_items.items[--scope_items.n];
        if (a == result && !found)
            found = true; /* the scope's reference passes on */
        else
            mx_array_release(a);
    }
    if (scope_depth > 0) scope_depth--;
    if (result && !found) mx_array_retain(result); /* result was not the scope's: give a new ref */
    if (result && scope_depth > 0) stack_push(&scope_items, result);
    return result;
}

int mx_scope_suspend(void) {
    int d = scope_depth;
    scope_depth = 0;
    return d;
}

void mx_scope_resume(int depth) { scope_depth = depth; }

mx_array *mx_scope_keep(mx_array *a) {
    for (size_t i = scope_items.n; i-- > 0;)
        if (scope_items.items[i] == a) {
            memmove(&scope_items.items[i], &scope_items.items[i + 1],
                    (scope_items.n - i - 1) * sizeof(void *));
            scope_items.n--;
            return a;
        }
    return a; /* not scope-owned: the caller owns it already */
}

/* ---- creation ---- */
static mx_array *array_alloc(void) {
    mx_array *a = calloc(1, sizeof *a);
    if (!a) {
        mx_fail(MX_ERR_NOMEM, "[array] out of memory");
        return NULL;
    }
    atomic_init(&a->refs, 1);
    atomic_fetch_add(&live_arrays, 1);
    return a;
}

mx_array *mx_array_from_view(const mx_layout *v) {
    mx_array *a = array_alloc();
    if (!a) {
        mx_buffer_release(v->buf);
        return NULL;
    }
    a->v = *v;
    return mx_scope_track(a);
}

mx_status mx_node_make(int prim, const void *params, size_t params_size, mx_array *const *inputs,
                       int n_in, const mx_meta *metas, int n_out, mx_stream s, mx_array **out) {
    for (int i = 0; i < n_in; i++)
        if (!inputs[i]) {
            if (mx_error_status() == MX_OK)
                mx_fail(MX_ERR_VALUE, "[graph] input %d of a node is NULL", i);
            return mx_error_status();
        }
    size_t psz = (params_size + 15) & ~(size_t)15;
    size_t sz = sizeof(mx_node) + psz + (size_t)n_in * sizeof(mx_array *) +
                (size_t)n_out * sizeof(mx_layout);
    mx_node *n = calloc(1, (sz + 15) & ~(size_t)15);
    if (!n) return mx_fail(MX_ERR_NOMEM, "[graph] out of memory");
    char *p = (char *)(n + 1);
    n->params = params_size ? p : NULL;
    if (params_size) memcpy(p, params, params_size);
    p += psz;
    n->in = (mx_array **)p;
    p += (size_t)n_in * sizeof(mx_array *);
    n->out = (mx_layout *)p;
    atomic_init(&n->refs, 0);
    atomic_init(&n->status, MX_NODE_PENDING);
    n->prim = (uint16_t)prim;
    n->n_in = n_in;
    n->n_out = (uint16_t)n_out;
    n->params_size = (uint32_t)params_size;
    n->stream = mx_stream_resolve(s);
    n->keep_inputs = mx_tracing_depth > 0;
    for (int i = 0; i < n_in; i++) n->in[i] = mx_array_retain(inputs[i]);
    for (int i = 0; i < n_out; i++) n->out[i].m = metas[i];
    atomic_fetch_add(&live_nodes, 1);
    for (int i = 0; i < n_out; i++) {
        mx_array *a = array_alloc();
        if (!a) {
            for (int j = 0; j < i; j++) mx_array_release(out[j]);
            if (i == 0) node_free(n);
            return MX_ERR_NOMEM;
        }
        atomic_fetch_add(&n->refs, 1);
        a->node = n;
        a->out_idx = (uint16_t)i;
        a->is_tracer = mx_tracing_depth > 0;
        a->v.m = metas[i];
        out[i] = a;
    }
    for (int i = 0; i < n_out; i++) mx_scope_track(out[i]);
    return MX_OK;
}

mx_array *mx_node_make1(int prim, const void *params, size_t params_size, mx_array *const *inputs,
                        int n_in, const mx_meta *meta, mx_stream s) {
    mx_array *out = NULL;
    if (mx_node_make(prim, params, params_size, inputs, n_in, meta, 1, s, &out) != MX_OK)
        return NULL;
    return out;
}

mx_array *mx_node_handle(mx_node *n, int i) {
    mx_array *a = array_alloc();
    if (!a) return NULL;
    atomic_fetch_add(&n->refs, 1);
    a->node = n;
    a->out_idx = (uint16_t)i;
    a->is_tracer = mx_tracing_depth > 0;
    a->v.m = n->out[i].m;
    if (atomic_load(&n->status) == MX_NODE_DONE && !(mx_tracing_depth > 0)) mx_array_detach(a);
    return mx_scope_track(a);
}

void mx_array_detach(mx_array *a) {
    mx_node *n = a->node;
    if (!n) return;
    mx_layout v = n->out[a->out_idx];
    v.m = a->v.m;
    v.flags &= ~(uint32_t)MX_DONATABLE;
    a->v = v;
    mx_buffer_retain(v.buf);
    a->node = NULL;
    mx_node_release(n);
}

mx_array *mx_array_from_data(const void *data, const int64_t *shape, int ndim, mx_dtype dtype) {
    MX_CHECK_NULL(mx_dtype_valid((int)dtype), MX_ERR_VALUE, "[array] invalid dtype %d", (int)dtype);
    if (mx_check_shape("array", shape, ndim) != MX_OK) return NULL;
    mx_layout v = {0};
    mx_meta_set(&v.m, dtype, shape, ndim);
    if (mx_layout_alloc(&v) != MX_OK) return NULL;
    size_t nb = (size_t)mx_meta_size(&v.m) * mx_dtype_size(dtype);
    if (nb) {
        MX_CHECK_NULL(data != NULL, MX_ERR_VALUE, "[array] data is NULL for a non-empty array");
        memcpy(v.buf->ptr, data, nb);
    }
    return mx_array_from_view(&v);
}

mx_array *mx_array_wrap(void *ptr, const int64_t *shape, const int64_t *strides, int ndim,
                        mx_dtype dtype, void (*release)(void *owner), void *owner) {
    MX_CHECK_NULL(mx_dtype_valid((int)dtype), MX_ERR_VALUE, "[array] invalid dtype %d", (int)dtype);
    if (mx_check_shape("array", shape, ndim) != MX_OK) return NULL;
    mx_layout v = {0};
    mx_meta_set(&v.m, dtype, shape, ndim);
    /* the span reachable through the strides, in elements, from the lowest address */
    int64_t lo = 0, hi = 0, size = mx_meta_size(&v.m);
    mx_layout_set_row_major(&v);
    if (strides) {
        for (int i = 0; i < ndim; i++) {
            v.strides[i] = strides[i];
            if (shape[i] > 1) {
                int64_t e = strides[i] * (shape[i] - 1);
                if (e < 0) lo += e;
                else hi += e;
            }
        }
    } else if (size) {
        hi = size - 1;
    }
    size_t isz = mx_dtype_size(dtype);
    size_t nbytes = size ? (size_t)(hi - lo + 1) * isz : 0;
    v.buf = mx_buffer_wrap((char *)ptr + lo * (int64_t)isz, nbytes, release, owner);
    if (!v.buf) return NULL;
    v.offset = -lo;
    mx_layout_update_flags(&v);
    return mx_array_from_view(&v);
}

/* write one value of any type into an element of dtype t */
static void store_scalar(void *p, mx_dtype t, double d, int64_t i, uint64_t u, int kind, float re,
                         float im) {
    /* kind: 0 double, 1 int64, 2 uint64, 3 complex */
#define V(T) (kind == 0 ? (T)d : kind == 1 ? (T)i : kind == 2 ? (T)u : (T)re)
    switch (t) {
    case MX_BOOL: *(bool *)p = kind == 0 ? d != 0 : kind == 1 ? i != 0 : kind == 2 ? u != 0 : (re != 0 || im != 0); break;
    case MX_UINT8: *(uint8_t *)p = V(uint8_t); break;
    case MX_UINT16: *(uint16_t *)p = V(uint16_t); break;
    case MX_UINT32: *(uint32_t *)p = V(uint32_t); break;
    case MX_UINT64: *(uint64_t *)p = V(uint64_t); break;
    case MX_INT8: *(int8_t *)p = V(int8_t); break;
    case MX_INT16: *(int16_t *)p = V(int16_t); break;
    case MX_INT32: *(int32_t *)p = V(int32_t); break;
    case MX_INT64: *(int64_t *)p = V(int64_t); break;
    case MX_FLOAT16: *(uint16_t *)p = mx_float_to_half(V(float)); break;
    case MX_BFLOAT16: *(uint16_t *)p = mx_float_to_bf16(V(float)); break;
    case MX_FLOAT32: *(float *)p = V(float); break;
    case MX_FLOAT64: *(double *)p = V(double); break;
    case MX_COMPLEX64:
        *(float _Complex *)p = kind == 3 ? CMPLXF(re, im) : CMPLXF(V(float), 0.0f);
        break;
    default: break;
    }
#undef V
}

static mx_array *scalar_make(mx_dtype t, double d, int64_t i, uint64_t u, int kind, float re,
                             float im) {
    MX_CHECK_NULL(mx_dtype_valid((int)t), MX_ERR_VALUE, "[array] invalid dtype %d", (int)t);
    unsigned char tmp[16] = {0};
    store_scalar(tmp, t, d, i, u, kind, re, im);
    return mx_array_from_data(tmp, NULL, 0, t);
}

mx_array *mx_array_scalar_f64(double v, mx_dtype t) { return scalar_make(t, v, 0, 0, 0, 0, 0); }
mx_array *mx_array_scalar_i64(int64_t v, mx_dtype t) { return scalar_make(t, 0, v, 0, 1, 0, 0); }
mx_array *mx_array_scalar_u64(uint64_t v, mx_dtype t) { return scalar_make(t, 0, 0, v, 2, 0, 0); }
mx_array *mx_array_scalar_c64(float re, float im) {
    return scalar_make(MX_COMPLEX64, 0, 0, 0, 3, re, im);
}
mx_array *mx_array_scalar_bool(bool v) { return scalar_make(MX_BOOL, 0, v, 0, 1, 0, 0); }

/* ---- metadata ---- */
int mx_array_ndim(const mx_array *a) { return a->v.m.ndim; }
const int64_t *mx_array_shape(const mx_array *a) { return a->v.m.shape; }
int64_t mx_array_dim(const mx_array *a, int axis) {
    int ax = axis < 0 ? axis + a->v.m.ndim : axis;
    return (ax >= 0 && ax < a->v.m.ndim) ? a->v.m.shape[ax] : -1;
}
int64_t mx_array_size(const mx_array *a) { return mx_meta_size(&a->v.m); }
size_t mx_array_nbytes(const mx_array *a) {
    return (size_t)mx_meta_size(&a->v.m) * mx_dtype_size(a->v.m.dtype);
}
mx_dtype mx_array_dtype(const mx_array *a) { return a->v.m.dtype; }
size_t mx_array_itemsize(const mx_array *a) { return mx_dtype_size(a->v.m.dtype); }

/* ---- data access ---- */
const void *mx_array_data(mx_array *a) {
    if (!a) {
        mx_fail(MX_ERR_VALUE, "[data] array is NULL");
        return NULL;
    }
    if (mx_array_ensure_host(a) != MX_OK) return NULL;
    return mx_layout_ptr(&a->v);
}

const int64_t *mx_array_strides(mx_array *a) {
    if (mx_array_ensure_host(a) != MX_OK) return NULL;
    return a->v.strides;
}

bool mx_array_is_row_contiguous(mx_array *a) {
    if (mx_array_ensure_host(a) != MX_OK) return false;
    return (a->v.flags & MX_ROW_CONTIG) != 0;
}

mx_status mx_array_copy_to(mx_array *a, void *dst) {
    MX_TRY(mx_array_ensure_host(a));
    const mx_layout *v = &a->v;
    size_t isz = mx_dtype_size(v->m.dtype);
    int64_t n = mx_meta_size(&v->m);
    if (n == 0) return MX_OK;
    if (v->flags & MX_ROW_CONTIG) {
        memcpy(dst, mx_layout_ptr(v), (size_t)n * isz);
        return MX_OK;
    }
    int64_t idx[MX_MAX_DIMS] = {0};
    const char *base = mx_layout_ptr(v);
    char *o = dst;
    for (int64_t k = 0; k < n; k++) {
        int64_t off = 0;
        for (int d = 0; d < v->m.ndim; d++) off += idx[d] * v->strides[d];
        memcpy(o + k * (int64_t)isz, base + off * (int64_t)isz, isz);
        for (int d = v->m.ndim - 1; d >= 0; d--) {
            if (++idx[d] < v->m.shape[d]) break;
            idx[d] = 0;
        }
    }
    return MX_OK;
}

static mx_status item_ptr(mx_array *a, const void **p) {
    int64_t n = mx_meta_size(&a->v.m);
    MX_CHECK(n == 1, MX_ERR_VALUE,
             "[item] can only convert an array of size 1 to a scalar, got size %lld",
             (long long)n);
    MX_TRY(mx_array_ensure_host(a));
    *p = mx_layout_ptr(&a->v);
    return MX_OK;
}

#define LOAD_AS(T, p, t, out)                                                                      \
    switch (t) {                                                                                   \
    case MX_BOOL: out = (T)(*(const bool *)p); break;                                             \
    case MX_UINT8: out = (T)(*(const uint8_t *)p); break;                                         \
    case MX_UINT16: out = (T)(*(const uint16_t *)p); break;                                       \
    case MX_UINT32: out = (T)(*(const uint32_t *)p); break;                                       \
    case MX_UINT64: out = (T)(*(const uint64_t *)p); break;                                       \
    case MX_INT8: out = (T)(*(const int8_t *)p); break;                                           \
    case MX_INT16: out = (T)(*(const int16_t *)p); break;                                         \
    case MX_INT32: out = (T)(*(const int32_t *)p); break;                                         \
    case MX_INT64: out = (T)(*(const int64_t *)p); break;                                         \
    case MX_FLOAT16: out = (T)mx_half_to_float(*(const uint16_t *)p); break;                      \
    case MX_BFLOAT16: out = (T)mx_bf16_to_float(*(const uint16_t *)p); break;                     \
    case MX_FLOAT32: out = (T)(*(const float *)p); break;                                         \
    case MX_FLOAT64: out = (T)(*(const double *)p); break;                                        \
    case MX_COMPLEX64: out = (T)crealf(*(const float _Complex *)p); break;                        \
    default: out = 0; break;                                                                       \
    }

mx_status mx_array_item_f64(mx_array *a, double *out) {
    const void *p = NULL;
    MX_TRY(item_ptr(a, &p));
    LOAD_AS(double, p, a->v.m.dtype, *out);
    return MX_OK;
}

mx_status mx_array_item_i64(mx_array *a, int64_t *out) {
    const void *p = NULL;
    MX_TRY(item_ptr(a, &p));
    if (mx_dtype_is_float(a->v.m.dtype) || a->v.m.dtype == MX_COMPLEX64) {
        double d;
        LOAD_AS(double, p, a->v.m.dtype, d);
        *out = (int64_t)d;
    } else {
        LOAD_AS(int64_t, p, a->v.m.dtype, *out);
    }
    return MX_OK;
}

mx_status mx_array_item_c64(mx_array *a, float *re, float *im) {
    const void *p = NULL;
    MX_TRY(item_ptr(a, &p));
    if (a->v.m.dtype == MX_COMPLEX64) {
        float _Complex c = *(const float _Complex *)p;
        *re = crealf(c);
        *im = cimagf(c);
    } else {
        double d;
        LOAD_AS(double, p, a->v.m.dtype, d);
        *re = (float)d;
        *im = 0;
    }
    return MX_OK;
}
