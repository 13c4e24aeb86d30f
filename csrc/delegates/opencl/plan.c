/* One partition on the device: its activations placed in one buffer by lifetime (as the
   core's arena planner does), constants uploaded once, kernels created and bound by the op
   encoders, and the launches invoke enqueues. Prepare allocates; invoke does not. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

typedef struct launch {
    cl_kernel kernel;
    cl_uint dims;
    size_t global[3];
    size_t local[3];
    bool has_local;             /* else the driver picks the work-group size */
    uint32_t node;
} launch;

/* A partition input or output: where it lives in the activation buffer, and (fp16) in the
   staging buffer where invoke converts it. */
typedef struct io_slot {
    uint32_t tensor;
    size_t offset;              /* bytes into the activation buffer */
    size_t count;               /* elements */
    size_t staging;             /* elements into the staging buffer */
} io_slot;

/* A tensor's life inside the partition, in node positions, and its place. */
typedef struct activation {
    uint32_t tensor;
    uint32_t first, last;
    size_t bytes;               /* aligned */
    size_t offset;
} activation;

struct cld_plan {
    cld_delegate *d;
    cld_device *dev;
    const ember_core_api *api;
    ember_interp *ip;
    uint32_t first_node;
    uint32_t node;              /* the node being encoded, for messages */
    size_t elem;                /* bytes per element on the device: 4, or 2 with fp16 */
    ember_status status;
    char msg[CLD_MSG_SIZE];

    uint32_t tensor_count;
    cld_ref *refs;              /* per tensor; mem NULL until placed or uploaded */
    cl_mem act;                 /* the partition's activations */
    size_t act_bytes;
    cl_mem *mems;               /* uploads, released with the plan */
    size_t mem_count, mem_cap;
    cl_kernel *kernels;
    size_t kernel_count, kernel_cap;
    launch *launches;
    size_t launch_count, launch_cap;
    io_slot *inputs, *outputs;
    uint32_t input_count, output_count;
    uint16_t *staging;          /* fp16 only */
};

/* ---- errors ----------------------------------------------------------------------------- */

ember_status cld_fail(cld_plan *plan, ember_status status, const char *fmt, ...) {
    if (plan->status != EMBER_STATUS_OK)
        return plan->status;
    plan->status = status != EMBER_STATUS_OK ? status : EMBER_STATUS_ERROR;
    char detail[CLD_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    const char *op = plan->api->node_op(plan->ip, plan->node);
    cld_format(plan->msg, sizeof plan->msg, "opencl: node %u (%s): %s", (unsigned)plan->node,
               op ? op : "?", detail);
    return plan->status;
}

static ember_status cl_fail(cld_plan *plan, const char *call, cl_int err) {
    return cld_fail(plan, EMBER_STATUS_ERROR, "%s: %d %s", call, (int)err,
                    cld_cl_error_name(err));
}

ember_status cld_status(const cld_plan *plan) {
    return plan->status;
}

const ember_core_api *cld_api(const cld_plan *plan) {
    return plan->api;
}

ember_interp *cld_interp(const cld_plan *plan) {
    return plan->ip;
}

bool cld_fp16(const cld_plan *plan) {
    return plan->elem == 2;
}

/* ---- sizes and growth ---------------------------------------------------------------------- */

static bool mul_size(size_t a, size_t b, size_t *out) {
    if (b != 0 && a > SIZE_MAX / b)
        return false;
    *out = a * b;
    return true;
}

static bool align_up(size_t v, size_t align, size_t *out) {
    if (v > SIZE_MAX - (align - 1))
        return false;
    *out = (v + align - 1) / align * align;
    return true;
}

/* Makes room for one more element in a growing array. */
static bool reserve(cld_plan *plan, void **array, size_t *cap, size_t count, size_t elem) {
    if (count < *cap)
        return true;
    size_t next = *cap ? *cap * 2 : 16, bytes;
    if (next < *cap || !mul_size(next, elem, &bytes)) {
        cld_fail(plan, EMBER_STATUS_NO_MEMORY, "too many objects");
        return false;
    }
    void *grown = realloc(*array, bytes);
    if (grown == NULL) {
        cld_fail(plan, EMBER_STATUS_NO_MEMORY, "out of memory");
        return false;
    }
    *array = grown;
    *cap = next;
    return true;
}

/* ---- uploads ------------------------------------------------------------------------------ */

static cl_mem new_buffer(cld_plan *plan, cl_mem_flags flags, size_t bytes, const void *host) {
    if (plan->dev->max_alloc != 0 && bytes > plan->dev->max_alloc) {
        cld_fail(plan, EMBER_STATUS_UNSUPPORTED,
                 "a buffer of %zu bytes, the device allows %llu", bytes,
                 (unsigned long long)plan->dev->max_alloc);
        return NULL;
    }
    if (!reserve(plan, (void **)&plan->mems, &plan->mem_cap, plan->mem_count, sizeof(cl_mem)))
        return NULL;
    cl_int err = CL_SUCCESS;
    cl_mem mem = plan->dev->cl.clCreateBuffer(plan->dev->context, flags, bytes, (void *)host,
                                              &err);
    if (mem == NULL || err != CL_SUCCESS) {
        cl_fail(plan, "clCreateBuffer", err);
        return NULL;
    }
    plan->mems[plan->mem_count++] = mem;
    return mem;
}

static cld_ref upload_bytes(cld_plan *plan, const void *data, size_t bytes) {
    cld_ref ref = {NULL, 0};
    static const uint32_t zero[4];
    /* An empty upload still gets a buffer (OpenCL has no empty ones): kernels bind it. */
    ref.mem = new_buffer(plan, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                         bytes > 0 ? bytes : sizeof zero, bytes > 0 ? data : zero);
    return ref;
}

cld_ref cld_upload(cld_plan *plan, const float *values, size_t count) {
    cld_ref none = {NULL, 0};
    size_t bytes;
    if (plan->status != EMBER_STATUS_OK)
        return none;
    if (!mul_size(count, plan->elem, &bytes) || (count > 0 && values == NULL)) {
        cld_fail(plan, EMBER_STATUS_INVALID_ARGUMENT, "upload of %zu values", count);
        return none;
    }
    if (!cld_fp16(plan))
        return upload_bytes(plan, values, bytes);
    uint16_t *halves = malloc(bytes > 0 ? bytes : 1);
    if (halves == NULL) {
        cld_fail(plan, EMBER_STATUS_NO_MEMORY, "out of memory converting %zu values", count);
        return none;
    }
    for (size_t i = 0; i < count; i++)
        halves[i] = cld_float_to_half(values[i]);
    cld_ref ref = upload_bytes(plan, halves, bytes);
    free(halves);
    return ref;
}

cld_ref cld_upload_i32(cld_plan *plan, const int32_t *values, size_t count) {
    cld_ref none = {NULL, 0};
    size_t bytes;
    if (plan->status != EMBER_STATUS_OK)
        return none;
    if (!mul_size(count, sizeof(int32_t), &bytes) || (count > 0 && values == NULL)) {
        cld_fail(plan, EMBER_STATUS_INVALID_ARGUMENT, "upload of %zu int32 values", count);
        return none;
    }
    return upload_bytes(plan, values, bytes);
}

cld_ref cld_tensor(cld_plan *plan, uint32_t tensor) {
    cld_ref none = {NULL, 0};
    if (plan->status != EMBER_STATUS_OK)
        return none;
    if (tensor >= plan->tensor_count) {
        cld_fail(plan, EMBER_STATUS_INVALID_ARGUMENT, "tensor %u does not exist",
                 (unsigned)tensor);
        return none;
    }
    if (plan->refs[tensor].mem != NULL)
        return plan->refs[tensor];
    ember_tensor_info info;
    if (plan->api->tensor_info(plan->ip, tensor, &info) != EMBER_STATUS_OK || !info.is_constant) {
        cld_fail(plan, EMBER_STATUS_INVALID_ARGUMENT,
                 "tensor %u is neither a constant nor in the partition", (unsigned)tensor);
        return none;
    }
    const void *data = plan->api->tensor_data(plan->ip, tensor);
    if (data == NULL && info.bytes > 0) {
        cld_fail(plan, EMBER_STATUS_ERROR, "constant tensor %u has no data", (unsigned)tensor);
        return none;
    }
    if (info.type == EMBER_TYPE_FLOAT32)
        plan->refs[tensor] = cld_upload(plan, data, info.bytes / sizeof(float));
    else if (info.type == EMBER_TYPE_INT32)
        plan->refs[tensor] = cld_upload_i32(plan, data, info.bytes / sizeof(int32_t));
    else
        cld_fail(plan, EMBER_STATUS_UNSUPPORTED, "constant tensor %u (%s) is %s",
                 (unsigned)tensor, info.name ? info.name : "", cld_type_name(info.type));
    return plan->status == EMBER_STATUS_OK ? plan->refs[tensor] : none;
}

/* ---- kernels and launches ----------------------------------------------------------------- */

cl_kernel cld_kernel(cld_plan *plan, const char *name) {
    if (plan->status != EMBER_STATUS_OK)
        return NULL;
    if (!reserve(plan, (void **)&plan->kernels, &plan->kernel_cap, plan->kernel_count,
                 sizeof(cl_kernel)))
        return NULL;
    cl_int err = CL_SUCCESS;
    cl_kernel kernel = plan->dev->cl.clCreateKernel(plan->d->program.program, name, &err);
    if (kernel == NULL || err != CL_SUCCESS) {
        cld_fail(plan, EMBER_STATUS_ERROR, "clCreateKernel(%s): %d %s", name, (int)err,
                 cld_cl_error_name(err));
        return NULL;
    }
    plan->kernels[plan->kernel_count++] = kernel;
    return kernel;
}

cld_args cld_args_begin(cld_plan *plan, cl_kernel kernel) {
    cld_args args = {plan, kernel, 0};
    return args;
}

static void set_arg(cld_args *args, size_t size, const void *value) {
    cld_plan *plan = args->plan;
    if (plan->status != EMBER_STATUS_OK)
        return;
    if (args->kernel == NULL) {
        cld_fail(plan, EMBER_STATUS_INVALID_ARGUMENT, "argument %u of no kernel",
                 (unsigned)args->next);
        return;
    }
    cl_int err = plan->dev->cl.clSetKernelArg(args->kernel, args->next, size, value);
    if (err != CL_SUCCESS)
        cld_fail(plan, EMBER_STATUS_ERROR, "clSetKernelArg(%u): %d %s", (unsigned)args->next,
                 (int)err, cld_cl_error_name(err));
    args->next++;
}

void cld_arg_ref(cld_args *args, cld_ref ref) {
    if (args->plan->status == EMBER_STATUS_OK && ref.mem == NULL) {
        cld_fail(args->plan, EMBER_STATUS_INVALID_ARGUMENT, "argument %u: no buffer",
                 (unsigned)args->next);
        return;
    }
    cl_int offset = (cl_int)ref.offset; /* below INT_MAX: checked when placed */
    set_arg(args, sizeof ref.mem, &ref.mem);
    set_arg(args, sizeof offset, &offset);
}

void cld_arg_int(cld_args *args, int32_t value) {
    cl_int v = value;
    set_arg(args, sizeof v, &v);
}

void cld_arg_float(cld_args *args, float value) {
    set_arg(args, sizeof value, &value);
}

static void record_launch(cld_plan *plan, cl_kernel kernel, uint32_t dims,
                          const size_t *global, const size_t *local) {
    if (plan->status != EMBER_STATUS_OK)
        return;
    if (kernel == NULL || dims < 1 || dims > 3 || global == NULL) {
        cld_fail(plan, EMBER_STATUS_INVALID_ARGUMENT, "launch of %u dims", (unsigned)dims);
        return;
    }
    for (uint32_t i = 0; i < dims; i++)
        if (local != NULL && (local[i] == 0 || global[i] % local[i] != 0)) {
            cld_fail(plan, EMBER_STATUS_INVALID_ARGUMENT,
                     "launch of %zu work items in groups of %zu", global[i], local[i]);
            return;
        }
    for (uint32_t i = 0; i < dims; i++)
        if (global[i] == 0)
            return; /* nothing to compute; OpenCL refuses empty ranges */
    if (!reserve(plan, (void **)&plan->launches, &plan->launch_cap, plan->launch_count,
                 sizeof(launch)))
        return;
    launch *l = &plan->launches[plan->launch_count++];
    *l = (launch){kernel, dims, {1, 1, 1}, {1, 1, 1}, local != NULL, plan->node};
    memcpy(l->global, global, dims * sizeof *global);
    if (local != NULL)
        memcpy(l->local, local, dims * sizeof *local);
}

void cld_launch(cld_plan *plan, cl_kernel kernel, uint32_t dims, const size_t *global) {
    record_launch(plan, kernel, dims, global, NULL);
}

void cld_launch_local(cld_plan *plan, cl_kernel kernel, uint32_t dims, const size_t *global,
                      const size_t *local) {
    if (plan->status == EMBER_STATUS_OK && local == NULL) {
        cld_fail(plan, EMBER_STATUS_INVALID_ARGUMENT, "launch in groups of no size");
        return;
    }
    record_launch(plan, kernel, dims, global, local);
}

size_t cld_group_size(cld_plan *plan, cl_kernel kernel, size_t want) {
    if (plan->status != EMBER_STATUS_OK || kernel == NULL)
        return 1;
    size_t kernel_max = 0;
    if (plan->dev->cl.clGetKernelWorkGroupInfo(kernel, plan->dev->device,
                                               CL_KERNEL_WORK_GROUP_SIZE, sizeof kernel_max,
                                               &kernel_max, NULL) != CL_SUCCESS)
        return 1;
    size_t limit = want < plan->dev->max_group ? want : plan->dev->max_group;
    limit = limit < kernel_max ? limit : kernel_max;
    size_t size = 1;
    while (size <= limit / 2)
        size *= 2;
    return limit == 0 ? 1 : size;
}

/* ---- placement -------------------------------------------------------------------------- */

static int by_size_desc(const void *a, const void *b) {
    const activation *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    return x->tensor < y->tensor ? -1 : x->tensor > y->tensor;
}

static int by_offset(const void *a, const void *b) {
    const activation *const *x = a, *const *y = b;
    return (*x)->offset < (*y)->offset ? -1 : (*x)->offset > (*y)->offset;
}

/* Greedy by size: each tensor, largest first, goes to the lowest offset where it overlaps no
   placed tensor alive at the same time. */
static void place(activation *acts, size_t count, activation **live, size_t *total) {
    *total = 0;
    for (size_t i = 0; i < count; i++) {
        activation *a = &acts[i];
        size_t n = 0;
        for (size_t j = 0; j < i; j++)
            if (acts[j].first <= a->last && a->first <= acts[j].last)
                live[n++] = &acts[j];
        qsort(live, n, sizeof *live, by_offset);
        size_t offset = 0;
        for (size_t j = 0; j < n; j++) {
            if (offset + a->bytes <= live[j]->offset)
                break;
            /* Sizes are multiples of the alignment, so every end is aligned. */
            size_t end = live[j]->offset + live[j]->bytes;
            if (end > offset)
                offset = end;
        }
        a->offset = offset;
        if (offset + a->bytes > *total)
            *total = offset + a->bytes;
    }
}

/* The activation tensors the partition's nodes touch, with their lifetimes. */
static ember_status collect(cld_plan *plan, const ember_partition *p, activation **out,
                            size_t *count) {
    const ember_core_api *api = plan->api;
    uint32_t *first = malloc(plan->tensor_count * sizeof *first);
    uint32_t *last = malloc(plan->tensor_count * sizeof *last);
    activation *acts = NULL;
    if (first == NULL || last == NULL) {
        free(first);
        free(last);
        return cld_fail(plan, EMBER_STATUS_NO_MEMORY, "out of memory");
    }
    memset(first, 0xff, plan->tensor_count * sizeof *first);
    size_t n = 0;
    for (uint32_t k = 0; k < p->node_count && plan->status == EMBER_STATUS_OK; k++) {
        plan->node = p->nodes[k];
        for (uint32_t is_output = 0; is_output < 2; is_output++) {
            uint32_t io = api->node_io_count(plan->ip, plan->node, is_output);
            for (uint32_t i = 0; i < io; i++) {
                uint32_t t = api->node_io(plan->ip, plan->node, is_output, i);
                ember_tensor_info info;
                if (t == EMBER_NO_TENSOR || t >= plan->tensor_count ||
                    api->tensor_info(plan->ip, t, &info) != EMBER_STATUS_OK || info.is_constant)
                    continue;
                if (info.type != EMBER_TYPE_FLOAT32) {
                    cld_fail(plan, EMBER_STATUS_UNSUPPORTED,
                             "tensor %u (%s) is %s: activations on the device are float32",
                             (unsigned)t, info.name ? info.name : "", cld_type_name(info.type));
                    break;
                }
                if (first[t] == UINT32_MAX) {
                    first[t] = k;
                    n++;
                }
                last[t] = k;
            }
        }
    }
    if (plan->status == EMBER_STATUS_OK && (acts = calloc(n ? n : 1, sizeof *acts)) == NULL)
        cld_fail(plan, EMBER_STATUS_NO_MEMORY, "out of memory");
    if (plan->status == EMBER_STATUS_OK) {
        for (uint32_t i = 0; i < p->input_count; i++)
            if (p->inputs[i] < plan->tensor_count && first[p->inputs[i]] != UINT32_MAX)
                first[p->inputs[i]] = 0;
        for (uint32_t i = 0; i < p->output_count; i++)
            if (p->outputs[i] < plan->tensor_count && first[p->outputs[i]] != UINT32_MAX)
                last[p->outputs[i]] = p->node_count - 1;
        size_t j = 0;
        for (uint32_t t = 0; t < plan->tensor_count; t++)
            if (first[t] != UINT32_MAX)
                acts[j++] = (activation){t, first[t], last[t], 0, 0};
    }
    free(first);
    free(last);
    *out = acts;
    *count = n;
    return plan->status;
}

static ember_status size_activations(cld_plan *plan, activation *acts, size_t count) {
    size_t align = plan->dev->base_align;
    for (size_t i = 0; i < count; i++) {
        ember_tensor_info info;
        plan->api->tensor_info(plan->ip, acts[i].tensor, &info);
        size_t elements = info.bytes / sizeof(float), bytes;
        if (!mul_size(elements, plan->elem, &bytes) || !align_up(bytes, align, &bytes) ||
            bytes > SIZE_MAX / 4 / (count + 1))
            return cld_fail(plan, EMBER_STATUS_UNSUPPORTED, "tensor %u: %zu elements",
                            (unsigned)acts[i].tensor, elements);
        acts[i].bytes = bytes;
    }
    return EMBER_STATUS_OK;
}

/* Plans and creates the activation buffer; every activation gets its ref. */
static ember_status place_activations(cld_plan *plan, const ember_partition *p) {
    activation *acts = NULL;
    size_t count = 0;
    if (collect(plan, p, &acts, &count) != EMBER_STATUS_OK ||
        size_activations(plan, acts, count) != EMBER_STATUS_OK) {
        free(acts);
        return plan->status;
    }
    plan->node = plan->first_node;
    qsort(acts, count, sizeof *acts, by_size_desc);
    activation **live = malloc((count ? count : 1) * sizeof *live);
    if (live == NULL) {
        free(acts);
        return cld_fail(plan, EMBER_STATUS_NO_MEMORY, "out of memory");
    }
    place(acts, count, live, &plan->act_bytes);
    free(live);
    if (plan->act_bytes / plan->elem > INT_MAX) {
        free(acts);
        return cld_fail(plan, EMBER_STATUS_UNSUPPORTED,
                        "activations of %zu bytes: offsets past what an int kernel argument holds",
                        plan->act_bytes);
    }
    plan->act = new_buffer(plan, CL_MEM_READ_WRITE,
                           plan->act_bytes ? plan->act_bytes : plan->dev->base_align, NULL);
    for (size_t i = 0; i < count && plan->act != NULL; i++)
        plan->refs[acts[i].tensor] = (cld_ref){plan->act, (uint32_t)(acts[i].offset / plan->elem)};
    free(acts);
    return plan->status;
}

/* The partition's inputs and outputs, with their staging places for fp16. */
static ember_status plan_io(cld_plan *plan, const ember_partition *p) {
    plan->inputs = calloc(p->input_count ? p->input_count : 1, sizeof *plan->inputs);
    plan->outputs = calloc(p->output_count ? p->output_count : 1, sizeof *plan->outputs);
    if (plan->inputs == NULL || plan->outputs == NULL)
        return cld_fail(plan, EMBER_STATUS_NO_MEMORY, "out of memory");
    size_t staging = 0;
    for (uint32_t k = 0; k < p->input_count + p->output_count; k++) {
        bool is_output = k >= p->input_count;
        uint32_t t = is_output ? p->outputs[k - p->input_count] : p->inputs[k];
        ember_tensor_info info;
        if (t >= plan->tensor_count || plan->refs[t].mem != plan->act ||
            plan->api->tensor_info(plan->ip, t, &info) != EMBER_STATUS_OK)
            return cld_fail(plan, EMBER_STATUS_INVALID_ARGUMENT,
                            "partition %s tensor %u is not one of its activations",
                            is_output ? "output" : "input", (unsigned)t);
        io_slot slot = {t, (size_t)plan->refs[t].offset * plan->elem, info.bytes / sizeof(float),
                        staging};
        if (slot.count > SIZE_MAX - staging)
            return cld_fail(plan, EMBER_STATUS_UNSUPPORTED, "inputs and outputs too large");
        staging += slot.count;
        if (is_output)
            plan->outputs[plan->output_count++] = slot;
        else
            plan->inputs[plan->input_count++] = slot;
    }
    size_t bytes;
    if (cld_fp16(plan)) {
        if (!mul_size(staging ? staging : 1, sizeof(uint16_t), &bytes) ||
            (plan->staging = malloc(bytes)) == NULL)
            return cld_fail(plan, EMBER_STATUS_NO_MEMORY, "no staging buffer of %zu halves",
                            staging);
    }
    return EMBER_STATUS_OK;
}

static ember_status encode(cld_plan *plan, const ember_partition *p) {
    for (uint32_t k = 0; k < p->node_count && plan->status == EMBER_STATUS_OK; k++) {
        plan->node = p->nodes[k];
        const char *name = plan->api->node_op(plan->ip, plan->node);
        const cld_op *op = cld_find_op(name);
        if (op == NULL)
            return cld_fail(plan, EMBER_STATUS_UNSUPPORTED, "no OpenCL kernel");
        ember_status status = op->encode(plan, plan->node);
        if (status != EMBER_STATUS_OK && plan->status == EMBER_STATUS_OK)
            cld_fail(plan, status, "encoding failed");
    }
    return plan->status;
}

static ember_status enqueue_launches(cld_plan *plan) {
    cld_device *dev = plan->dev;
    for (size_t i = 0; i < plan->launch_count; i++) {
        const launch *l = &plan->launches[i];
        cl_int err = dev->cl.clEnqueueNDRangeKernel(dev->queue, l->kernel, l->dims, NULL,
                                                    l->global, l->has_local ? l->local : NULL,
                                                    0, NULL, NULL);
        if (err != CL_SUCCESS) {
            plan->node = l->node;
            return cl_fail(plan, "clEnqueueNDRangeKernel", err);
        }
    }
    return EMBER_STATUS_OK;
}

/* A first run on zeroed activations at prepare: argument errors show here (the partition
   then runs on the CPU), and drivers that compile kernels at their first launch (PoCL) do it
   now, so the program binary saved to the cache holds the compiled kernels. */
static ember_status warm_up(cld_plan *plan) {
    cld_device *dev = plan->dev;
    void *zeros = calloc(1, plan->act_bytes ? plan->act_bytes : 1);
    if (zeros == NULL)
        return cld_fail(plan, EMBER_STATUS_NO_MEMORY, "out of memory");
    cl_int err = dev->cl.clEnqueueWriteBuffer(dev->queue, plan->act, CL_TRUE, 0, plan->act_bytes,
                                              zeros, 0, NULL, NULL);
    free(zeros);
    if (plan->act_bytes > 0 && err != CL_SUCCESS)
        return cl_fail(plan, "clEnqueueWriteBuffer", err);
    ember_status status = enqueue_launches(plan);
    err = dev->cl.clFinish(dev->queue);
    if (status == EMBER_STATUS_OK && err != CL_SUCCESS)
        return cl_fail(plan, "clFinish", err);
    return plan->status;
}

ember_status cld_plan_create(cld_delegate *d, ember_interp *ip, const ember_partition *p,
                             cld_plan **out, char *msg, size_t msg_size) {
    *out = NULL;
    cld_plan *plan = calloc(1, sizeof *plan);
    if (plan == NULL) {
        cld_format(msg, msg_size, "opencl: out of memory");
        return EMBER_STATUS_NO_MEMORY;
    }
    plan->d = d;
    plan->dev = &d->device;
    plan->api = d->api;
    plan->ip = ip;
    plan->elem = d->options.fp16 ? 2 : 4;
    plan->first_node = p->node_count > 0 ? p->nodes[0] : 0;
    plan->node = plan->first_node;
    plan->tensor_count = d->api->tensor_count(ip);
    plan->refs = calloc(plan->tensor_count ? plan->tensor_count : 1, sizeof *plan->refs);
    if (plan->refs == NULL)
        cld_fail(plan, EMBER_STATUS_NO_MEMORY, "out of memory");
    else if (place_activations(plan, p) == EMBER_STATUS_OK && plan_io(plan, p) == EMBER_STATUS_OK &&
             encode(plan, p) == EMBER_STATUS_OK)
        warm_up(plan);
    if (plan->status != EMBER_STATUS_OK) {
        ember_status status = plan->status;
        cld_format(msg, msg_size, "%s", plan->msg);
        cld_plan_destroy(plan);
        return status;
    }
    *out = plan;
    return EMBER_STATUS_OK;
}

/* ---- invoke ------------------------------------------------------------------------------- */

static ember_status write_inputs(cld_plan *plan) {
    cld_device *dev = plan->dev;
    for (uint32_t i = 0; i < plan->input_count; i++) {
        const io_slot *s = &plan->inputs[i];
        const float *data = plan->api->tensor_data(plan->ip, s->tensor);
        if (data == NULL)
            return cld_fail(plan, EMBER_STATUS_MISUSE, "input tensor %u has no data",
                            (unsigned)s->tensor);
        const void *src = data;
        if (cld_fp16(plan)) {
            uint16_t *halves = plan->staging + s->staging;
            for (size_t j = 0; j < s->count; j++)
                halves[j] = cld_float_to_half(data[j]);
            src = halves;
        }
        /* Not blocking: the arena and the staging buffer stay untouched until clFinish. */
        cl_int err = dev->cl.clEnqueueWriteBuffer(dev->queue, plan->act, CL_FALSE, s->offset,
                                                  s->count * plan->elem, src, 0, NULL, NULL);
        if (s->count > 0 && err != CL_SUCCESS)
            return cl_fail(plan, "clEnqueueWriteBuffer", err);
    }
    return EMBER_STATUS_OK;
}

static ember_status read_outputs(cld_plan *plan) {
    cld_device *dev = plan->dev;
    for (uint32_t i = 0; i < plan->output_count; i++) {
        const io_slot *s = &plan->outputs[i];
        void *data = plan->api->tensor_data(plan->ip, s->tensor);
        if (data == NULL)
            return cld_fail(plan, EMBER_STATUS_MISUSE, "output tensor %u has no data",
                            (unsigned)s->tensor);
        void *dst = cld_fp16(plan) ? (void *)(plan->staging + s->staging) : data;
        cl_int err = dev->cl.clEnqueueReadBuffer(dev->queue, plan->act, CL_FALSE, s->offset,
                                                 s->count * plan->elem, dst, 0, NULL, NULL);
        if (s->count > 0 && err != CL_SUCCESS)
            return cl_fail(plan, "clEnqueueReadBuffer", err);
    }
    return EMBER_STATUS_OK;
}

static void convert_outputs(cld_plan *plan) {
    for (uint32_t i = 0; i < plan->output_count; i++) {
        const io_slot *s = &plan->outputs[i];
        float *data = plan->api->tensor_data(plan->ip, s->tensor);
        const uint16_t *halves = plan->staging + s->staging;
        for (size_t j = 0; j < s->count; j++)
            data[j] = cld_half_to_float(halves[j]);
    }
}

ember_status cld_plan_invoke(cld_plan *plan, char *msg, size_t msg_size) {
    plan->status = EMBER_STATUS_OK;
    plan->node = plan->first_node;
    if (write_inputs(plan) == EMBER_STATUS_OK && enqueue_launches(plan) == EMBER_STATUS_OK)
        read_outputs(plan);
    /* Always waited for, even after an error: enqueued copies still use the arena. */
    cl_int err = plan->dev->cl.clFinish(plan->dev->queue);
    if (err != CL_SUCCESS)
        cl_fail(plan, "clFinish", err);
    if (plan->status != EMBER_STATUS_OK) {
        cld_format(msg, msg_size, "%s", plan->msg);
        return plan->status;
    }
    if (cld_fp16(plan))
        convert_outputs(plan);
    return EMBER_STATUS_OK;
}

void cld_plan_destroy(cld_plan *plan) {
    if (plan == NULL)
        return;
    const cld_cl *cl = &plan->dev->cl;
    for (size_t i = 0; i < plan->kernel_count; i++)
        cl->clReleaseKernel(plan->kernels[i]);
    for (size_t i = 0; i < plan->mem_count; i++)
        cl->clReleaseMemObject(plan->mems[i]);
    free(plan->kernels);
    free(plan->mems);
    free(plan->launches);
    free(plan->inputs);
    free(plan->outputs);
    free(plan->staging);
    free(plan->refs);
    free(plan);
}
