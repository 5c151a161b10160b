/* src/fast/custom_kernel.c: mx.fast custom CUDA kernels as ops: kernel objects
 * (mx_fast_cuda_kernel), their calls (argument checks with "[cuda_kernel] ..." errors, then one
 * CUSTOM_KERNEL node whose params point at an interned instance: the generated source and symbol
 * for these dtypes and template arguments), precompiled kernels (a PTX / cubin image instead of
 * a source), and the intern table. The GPU kernel is src/backend/cuda/cuda_fast.c. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fast_impl.h"
#include "../prims/prim.h"

#define NAME_MAX_LEN 200

/* ---- kernel objects ---- */
static char *dupstr(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

static void kernel_free(mx_fast_kernel *k) {
    free(k->name);
    free(k->source);
    free(k->header);
    for (int i = 0; k->in_names && i < k->n_in; i++) free(k->in_names[i]);
    for (int i = 0; k->out_names && i < k->n_out; i++) free(k->out_names[i]);
    free(k->in_names);
    free(k->out_names);
    free(k->shape_info);
    free(k);
}

mx_fast_kernel *mx_fast_kernel_retain(mx_fast_kernel *k) {
    if (k) atomic_fetch_add_explicit(&k->refs, 1, memory_order_relaxed);
    return k;
}

void mx_fast_kernel_release(mx_fast_kernel *k) {
    if (k && atomic_fetch_sub_explicit(&k->refs, 1, memory_order_acq_rel) == 1) kernel_free(k);
}

const char *mx_fast_kernel_name(const mx_fast_kernel *k) { return k ? k->name : NULL; }
int mx_fast_kernel_n_inputs(const mx_fast_kernel *k) { return k ? k->n_in : 0; }
int mx_fast_kernel_n_outputs(const mx_fast_kernel *k) { return k ? k->n_out : 0; }

static mx_status check_name(const char *what, const char *s) {
    MX_CHECK(s && mx_fast_is_identifier(s) && strlen(s) <= NAME_MAX_LEN, MX_ERR_VALUE,
             "[cuda_kernel] %s '%.*s' is not a C identifier (letters, digits and '_', at most %d "
             "characters)",
             what, 80, s ? s : "(null)", NAME_MAX_LEN);
    return MX_OK;
}

static mx_status check_kernel_args(const char *name, const char *const *in, int n_in,
                                   const char *const *out, int n_out, const char *source,
                                   int shared_memory) {
    MX_TRY(check_name("kernel name", name));
    MX_CHECK(n_out >= 1 && out, MX_ERR_VALUE, "[cuda_kernel] must specify at least one output");
    MX_CHECK(n_in >= 0 && (n_in == 0 || in), MX_ERR_VALUE, "[cuda_kernel] bad input name list");
    MX_CHECK(n_in + n_out <= 0xffff, MX_ERR_VALUE, "[cuda_kernel] too many inputs and outputs");
    MX_CHECK(source != NULL, MX_ERR_VALUE, "[cuda_kernel] the source is NULL");
    MX_CHECK(shared_memory >= 0, MX_ERR_VALUE,
             "[cuda_kernel] shared_memory must be non-negative, got %d", shared_memory);
    for (int i = 0; i < n_in + n_out; i++) {
        const char *s = i < n_in ? in[i] : out[i - n_in];
        MX_TRY(check_name(i < n_in ? "input name" : "output name", s));
        for (int j = 0; j < i; j++)
            MX_CHECK(strcmp(s, j < n_in ? in[j] : out[j - n_in]) != 0, MX_ERR_VALUE,
                     "[cuda_kernel] the name '%s' is used twice in input_names and output_names",
                     s);
    }
    return MX_OK;
}

mx_fast_kernel *mx_fast_cuda_kernel(const char *name, const char *const *input_names, int n_inputs,
                                    const char *const *output_names, int n_outputs,
                                    const char *source, const char *header,
                                    bool ensure_row_contiguous, int shared_memory) {
    if (check_kernel_args(name, input_names, n_inputs, output_names, n_outputs, source,
                          shared_memory) != MX_OK)
        return NULL;
    mx_fast_kernel *k = calloc(1, sizeof *k);
    if (!k) goto oom;
    atomic_init(&k->refs, 1);
    k->n_in = n_inputs;
    k->n_out = n_outputs;
    k->ensure_row_contiguous = ensure_row_contiguous;
    k->shared_memory = shared_memory;
    k->name = dupstr(name);
    k->source = dupstr(source);
    k->header = dupstr(header ? header : "");
    k->in_names = calloc((size_t)n_inputs + 1, sizeof *k->in_names);
    k->out_names = calloc((size_t)n_outputs, sizeof *k->out_names);
    k->shape_info = calloc((size_t)n_inputs + 1, 1);
    if (!k->name || !k->source || !k->header || !k->in_names || !k->out_names || !k->shape_info)
        goto oom;
    for (int i = 0; i < n_inputs; i++) {
        if (!(k->in_names[i] = dupstr(input_names[i]))) goto oom;
        k->shape_info[i] = mx_fast_shape_info(source, input_names[i]);
    }
    for (int i = 0; i < n_outputs; i++)
        if (!(k->out_names[i] = dupstr(output_names[i]))) goto oom;
    return k;
oom:
    if (k) kernel_free(k);
    mx_fail(MX_ERR_NOMEM, "[cuda_kernel] out of memory");
    return NULL;
}

/* ---- the intern table ---- */
#define NBUCKETS 256
static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;
static mx_fast_inst   *buckets[NBUCKETS];

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 1099511628211ull;
    return h;
}

mx_fast_inst *mx_fast_intern(const char *op, const char *symbol, const void *code,
                             size_t code_len, int precompiled, int n_in,
                             const uint8_t *shape_info) {
    uint64_t h = fnv(14695981039346656037ull, op, strlen(op) + 1);
    h = fnv(h, symbol, strlen(symbol) + 1);
    h = fnv(h, code, code_len);
    h = fnv(h, &precompiled, sizeof precompiled);
    h = fnv(h, &n_in, sizeof n_in);
    if (n_in) h = fnv(h, shape_info, (size_t)n_in);
    pthread_mutex_lock(&intern_lock);
    mx_fast_inst *e = buckets[h % NBUCKETS];
    for (; e; e = e->next)
        if (e->hash == h && e->precompiled == precompiled && e->n_in == n_in &&
            e->code_len == code_len && strcmp(e->op, op) == 0 && strcmp(e->symbol, symbol) == 0 &&
            memcmp(e->code, code, code_len) == 0 &&
            (n_in == 0 || memcmp(e->shape_info, shape_info, (size_t)n_in) == 0))
            break;
    if (!e && (e = calloc(1, sizeof *e))) {
        e->hash = h;
        e->op = strcmp(op, "cuda_kernel") == 0 ? "cuda_kernel" : "precompiled_cuda_kernel";
        e->symbol = dupstr(symbol);
        e->code = malloc(code_len + 1);
        e->shape_info = malloc((size_t)n_in + 1);
        if (!e->symbol || !e->code || !e->shape_info) {
            free(e->symbol);
            free(e->code);
            free(e->shape_info);
            free(e);
            e = NULL;
        } else {
            memcpy(e->code, code, code_len);
            e->code[code_len] = 0; /* PTX must be NUL-terminated */
            e->code_len = code_len;
            e->precompiled = precompiled;
            e->n_in = n_in;
            if (n_in) memcpy(e->shape_info, shape_info, (size_t)n_in);
            atomic_init(&e->handle, NULL);
            e->next = buckets[h % NBUCKETS];
            buckets[h % NBUCKETS] = e;
        }
    }
    pthread_mutex_unlock(&intern_lock);
    if (!e) mx_fail(MX_ERR_NOMEM, "[%s] out of memory", op);
    return e;
}

/* ---- calls ---- */
static mx_status check_call(const char *op, int want_in, mx_array *const *inputs, int n_inputs,
                            const mx_fast_launch *l, int want_out, mx_stream s,
                            mx_array **outputs) {
    MX_CHECK(n_inputs == want_in, MX_ERR_VALUE,
             "[%s] expected `inputs` to have size %d but got size %d", op, want_in, n_inputs);
    MX_CHECK(l != NULL, MX_ERR_VALUE, "[%s] the launch description is NULL", op);
    MX_CHECK(outputs != NULL, MX_ERR_VALUE, "[%s] the outputs array is NULL", op);
    if (want_out < 0) {
        want_out = l->n_outputs;
        MX_CHECK(want_out >= 1 && want_out <= 0xffff, MX_ERR_VALUE,
                 "[%s] must specify at least one output", op);
    }
    MX_CHECK(l->n_outputs == want_out, MX_ERR_VALUE,
             "[%s] expected `output_shapes` and `output_dtypes` to have size %d but got size %d",
             op, want_out, l->n_outputs);
    MX_CHECK(l->output_shapes && l->output_ndims && l->output_dtypes, MX_ERR_VALUE,
             "[%s] output shapes and dtypes are required", op);
    for (int i = 0; i < n_inputs; i++) {
        MX_CHECK(inputs && inputs[i], MX_ERR_VALUE, "[%s] input %d is NULL", op, i);
        MX_CHECK(inputs[i]->v.m.dtype != MX_FLOAT64, MX_ERR_VALUE,
                 "[%s] input %d: float64 is not supported on the GPU", op, i);
    }
    for (int i = 0; i < want_out; i++) {
        mx_dtype t = l->output_dtypes[i];
        MX_CHECK(mx_dtype_valid(t), MX_ERR_VALUE, "[%s] output %d: invalid dtype %d", op, i, t);
        MX_CHECK(t != MX_FLOAT64, MX_ERR_VALUE,
                 "[%s] output %d: float64 is not supported on the GPU", op, i);
        int nd = l->output_ndims[i];
        MX_CHECK(nd >= 0 && nd <= MX_MAX_DIMS && (nd == 0 || l->output_shapes[i]), MX_ERR_VALUE,
                 "[%s] output %d: bad shape (ndim %d)", op, i, nd);
        MX_TRY(mx_check_shape(op, l->output_shapes[i], nd));
    }
    long long threads = 1;
    for (int d = 0; d < 3; d++) {
        MX_CHECK(l->grid[d] >= 0, MX_ERR_VALUE,
                 "[%s] grid entries must be non-negative, got (%d, %d, %d)", op, l->grid[0],
                 l->grid[1], l->grid[2]);
        MX_CHECK(l->threadgroup[d] >= 1, MX_ERR_VALUE,
                 "[%s] threadgroup entries must be positive, got (%d, %d, %d)", op,
                 l->threadgroup[0], l->threadgroup[1], l->threadgroup[2]);
        int g = l->grid[d] > 0 ? l->grid[d] : 1;
        threads *= l->threadgroup[d] < g ? l->threadgroup[d] : g;
    }
    MX_CHECK(threads <= 1024, MX_ERR_VALUE,
             "[%s] a block of (%d, %d, %d) threads has more than 1024 threads", op,
             l->threadgroup[0], l->threadgroup[1], l->threadgroup[2]);
    MX_TRY(mx_fast_check_template(op, l->template_args, l->n_template_args));
    mx_device dev = mx_stream_device(s);
    MX_CHECK(dev.type == MX_GPU, MX_ERR_VALUE,
             "[%s] custom CUDA kernels run only on the GPU (got a cpu stream)", op);
    MX_CHECK(mx_device_is_available(dev), MX_ERR_VALUE,
             "[%s] custom CUDA kernels run only on the GPU, and no GPU is available", op);
    return MX_OK;
}

static atomic_uint_fast64_t serial_counter;

static mx_status make_node(mx_custom_kernel_params *p, mx_array *const *inputs, int n_inputs,
                           const mx_fast_launch *l, mx_stream s, mx_array **outputs) {
    mx_meta *metas = calloc((size_t)l->n_outputs, sizeof *metas);
    MX_CHECK(metas != NULL, MX_ERR_NOMEM, "[%s] out of memory", p->inst->op);
    for (int i = 0; i < l->n_outputs; i++)
        mx_meta_set(&metas[i], l->output_dtypes[i], l->output_shapes[i], l->output_ndims[i]);
    p->serial = atomic_fetch_add(&serial_counter, 1) + 1;
    for (int d = 0; d < 3; d++) {
        p->grid[d] = l->grid[d];
        p->block[d] = l->threadgroup[d];
    }
    p->has_init = l->has_init_value;
    p->init_value = l->has_init_value ? l->init_value : 0.0f;
    mx_status st = mx_node_make(MX_PRIM_CUSTOM_KERNEL, p, sizeof *p, inputs, n_inputs, metas,
                                l->n_outputs, s, outputs);
    free(metas);
    return st;
}

mx_status mx_fast_cuda_kernel_call(const mx_fast_kernel *k, mx_array *const *inputs, int n_inputs,
                                   const mx_fast_launch *l, mx_stream s, mx_array **outputs) {
    MX_CHECK(k != NULL, MX_ERR_VALUE, "[cuda_kernel] the kernel is NULL");
    MX_TRY(check_call("cuda_kernel", k->n_in, inputs, n_inputs, l, k->n_out, s, outputs));
    mx_dtype *dt = calloc((size_t)n_inputs + 1, sizeof *dt);
    int *nd = calloc((size_t)n_inputs + 1, sizeof *nd);
    char *src = NULL, *sym = NULL;
    mx_status st = dt && nd ? MX_OK : mx_fail(MX_ERR_NOMEM, "[cuda_kernel] out of memory");
    for (int i = 0; st == MX_OK && i < n_inputs; i++) {
        dt[i] = inputs[i]->v.m.dtype;
        nd[i] = inputs[i]->v.m.ndim;
    }
    if (st == MX_OK)
        st = mx_fast_build_source(k, dt, nd, l->output_dtypes, l->template_args,
                                  l->n_template_args, &src, &sym);
    mx_fast_inst *inst = NULL;
    if (st == MX_OK) {
        /* 0-d inputs pass no shape parameters: the instance records what is passed */
        uint8_t *info = calloc((size_t)n_inputs + 1, 1);
        if (!info) st = mx_fail(MX_ERR_NOMEM, "[cuda_kernel] out of memory");
        for (int i = 0; info && i < n_inputs; i++) info[i] = nd[i] > 0 ? k->shape_info[i] : 0;
        if (info && !(inst = mx_fast_intern("cuda_kernel", sym, src, strlen(src), 0, n_inputs,
                                            info)))
            st = mx_error_status();
        free(info);
    }
    if (st == MX_OK) {
        mx_custom_kernel_params p;
        memset(&p, 0, sizeof p);
        p.inst = inst;
        p.shared_memory = k->shared_memory;
        p.ensure_row_contiguous = k->ensure_row_contiguous;
        st = make_node(&p, inputs, n_inputs, l, s, outputs);
    }
    free(dt);
    free(nd);
    free(src);
    free(sym);
    return st;
}

char *mx_fast_cuda_kernel_source(const mx_fast_kernel *k, const mx_dtype *input_dtypes,
                                 const int *input_ndims, int n_inputs,
                                 const mx_dtype *output_dtypes, int n_outputs,
                                 const mx_fast_template_arg *template_args, int n_template_args,
                                 char **kernel_name) {
    MX_CHECK_NULL(k != NULL, MX_ERR_VALUE, "[cuda_kernel] the kernel is NULL");
    MX_CHECK_NULL(n_inputs == k->n_in && (n_inputs == 0 || (input_dtypes && input_ndims)),
                  MX_ERR_VALUE, "[cuda_kernel] expected %d input dtypes and ndims, got %d",
                  k->n_in, n_inputs);
    MX_CHECK_NULL(n_outputs == k->n_out && output_dtypes, MX_ERR_VALUE,
                  "[cuda_kernel] expected %d output dtypes, got %d", k->n_out, n_outputs);
    for (int i = 0; i < n_inputs; i++)
        MX_CHECK_NULL(mx_dtype_valid(input_dtypes[i]) && input_ndims[i] >= 0 &&
                          input_ndims[i] <= MX_MAX_DIMS,
                      MX_ERR_VALUE, "[cuda_kernel] input %d: bad dtype or ndim", i);
    for (int i = 0; i < n_outputs; i++)
        MX_CHECK_NULL(mx_dtype_valid(output_dtypes[i]), MX_ERR_VALUE,
                      "[cuda_kernel] output %d: invalid dtype %d", i, output_dtypes[i]);
    if (mx_fast_check_template("cuda_kernel", template_args, n_template_args) != MX_OK)
        return NULL;
    char *src = NULL;
    if (mx_fast_build_source(k, input_dtypes, input_ndims, output_dtypes, template_args,
                             n_template_args, &src, kernel_name) != MX_OK)
        return NULL;
    return src;
}

mx_status mx_fast_precompiled_cuda_kernel(const char *name, const void *image, size_t image_size,
                                          mx_array *const *inputs, int n_inputs,
                                          const mx_fast_launch *l, const mx_fast_scalar *scalars,
                                          int n_scalars, int shared_memory,
                                          bool ensure_row_contiguous, mx_stream s,
                                          mx_array **outputs) {
    const char *op = "precompiled_cuda_kernel";
    MX_CHECK(name && *name && strlen(name) <= 4096, MX_ERR_VALUE,
             "[%s] the kernel name is empty", op);
    MX_CHECK(image && image_size > 0, MX_ERR_VALUE, "[%s] the compiled source is empty", op);
    MX_CHECK(n_inputs >= 0 && n_inputs <= 0xffff, MX_ERR_VALUE, "[%s] bad number of inputs %d",
             op, n_inputs);
    MX_CHECK(n_scalars >= 0 && n_scalars <= MX_FAST_MAX_SCALARS && (n_scalars == 0 || scalars),
             MX_ERR_VALUE, "[%s] at most %d scalar arguments are supported, got %d", op,
             MX_FAST_MAX_SCALARS, n_scalars);
    MX_CHECK(shared_memory >= 0, MX_ERR_VALUE, "[%s] shared_memory must be non-negative, got %d",
             op, shared_memory);
    MX_CHECK(!l || l->n_template_args == 0, MX_ERR_VALUE,
             "[%s] precompiled kernels take no template arguments", op);
    MX_TRY(check_call(op, n_inputs, inputs, n_inputs, l, -1, s, outputs));
    mx_custom_kernel_params p;
    memset(&p, 0, sizeof p);
    p.n_scalars = n_scalars;
    for (int i = 0; i < n_scalars; i++) {
        p.scalar_kind[i] = (int32_t)scalars[i].kind;
        switch (scalars[i].kind) {
        case MX_FAST_SCALAR_BOOL: p.scalar_bits[i] = scalars[i].i != 0; break;
        case MX_FAST_SCALAR_INT: p.scalar_bits[i] = (uint32_t)scalars[i].i; break;
        case MX_FAST_SCALAR_FLOAT: memcpy(&p.scalar_bits[i], &scalars[i].f, 4); break;
        default:
            return mx_fail(MX_ERR_VALUE, "[%s] scalar %d: the kind must be bool, int or float",
                           op, i);
        }
    }
    uint8_t *none = calloc((size_t)n_inputs + 1, 1); /* no shape parameters */
    MX_CHECK(none != NULL, MX_ERR_NOMEM, "[%s] out of memory", op);
    p.inst = mx_fast_intern(op, name, image, image_size, 1, n_inputs, none);
    free(none);
    if (!p.inst) return mx_error_status();
    p.shared_memory = shared_memory;
    p.ensure_row_contiguous = ensure_row_contiguous;
    return make_node(&p, inputs, n_inputs, l, s, outputs);
}
