/* The plug-in's two entry points and its ember_delegate callbacks. OpenCL is opened at the
   first claim, not at create: creating a delegate costs nothing, and a machine without OpenCL
   learns why at the first node (every node is then refused with that reason). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember_internal.h"
#include "runtime.h"

#define CLD_EXPORT __attribute__((visibility("default")))

static bool parse_u32(const char *text, uint32_t *out) {
    if (text == NULL || *text < '0' || *text > '9')
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool copy_text(char *out, size_t size, const char *text) {
    int n = snprintf(out, size, "%s", text);
    return n >= 0 && (size_t)n < size;
}

static void default_cache_dir(cld_options *o) {
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n = -1;
    if (xdg != NULL && xdg[0] == '/')
        n = snprintf(o->cache_dir, sizeof o->cache_dir, "%s/emberlite/opencl", xdg);
    else if (home != NULL && home[0] == '/')
        n = snprintf(o->cache_dir, sizeof o->cache_dir, "%s/.cache/emberlite/opencl", home);
    if (n < 0 || (size_t)n >= sizeof o->cache_dir)
        o->cache_dir[0] = '\0';
}

static bool parse_device_type(cld_options *o, const char *value) {
    static const struct {
        const char *name;
        cl_device_type type;
    } types[] = {{"all", 0},
                 {"gpu", CL_DEVICE_TYPE_GPU},
                 {"cpu", CL_DEVICE_TYPE_CPU},
                 {"accelerator", CL_DEVICE_TYPE_ACCELERATOR}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(value, types[i].name) == 0) {
            o->device_type = types[i].type;
            snprintf(o->device_type_name, sizeof o->device_type_name, "%s", types[i].name);
            return true;
        }
    return false;
}

/* One key=value; false when the key is unknown or the value bad (the message says which). */
static bool parse_option(cld_options *o, const char *key, const char *value, char *msg,
                         size_t size) {
    bool ok;
    if (strcmp(key, "precision") == 0) {
        ok = strcmp(value, "fp32") == 0 || strcmp(value, "fp16") == 0;
        o->fp16 = strcmp(value, "fp16") == 0;
        if (!ok)
            cld_format(msg, size, "option precision: \"%s\" is not fp32 or fp16", value);
    } else if (strcmp(key, "cache_dir") == 0) {
        ok = copy_text(o->cache_dir, sizeof o->cache_dir, value);
        if (!ok)
            cld_format(msg, size, "option cache_dir: path too long");
    } else if (strcmp(key, "device_type") == 0) {
        ok = parse_device_type(o, value);
        if (!ok)
            cld_format(msg, size,
                       "option device_type: \"%s\" is not gpu, cpu, accelerator or all", value);
    } else if (strcmp(key, "opencl_library") == 0) {
        ok = value[0] != '\0' && copy_text(o->library, sizeof o->library, value);
        if (!ok)
            cld_format(msg, size, "option opencl_library: empty or too long");
    } else if (strcmp(key, "build_options") == 0) {
        ok = copy_text(o->build_options, sizeof o->build_options, value);
        if (!ok)
            cld_format(msg, size, "option build_options: longer than %zu characters",
                       sizeof o->build_options - 1);
    } else if (strcmp(key, "min_partition_nodes") == 0 ||
               strcmp(key, "max_partition_nodes") == 0) {
        uint32_t *field = key[1] == 'i' ? &o->min_partition_nodes : &o->max_partition_nodes;
        ok = parse_u32(value, field);
        if (!ok)
            cld_format(msg, size, "option %s: \"%s\" is not a count", key, value);
    } else {
        ok = false;
        cld_format(msg, size,
                   "unknown option \"%s\" (known: precision, cache_dir, device_type, "
                   "opencl_library, build_options, min_partition_nodes, max_partition_nodes)",
                   key);
    }
    return ok;
}

ember_status cld_options_parse(cld_options *o, const char *const *keys,
                               const char *const *values, size_t count, char *msg,
                               size_t size) {
    memset(o, 0, sizeof *o);
    default_cache_dir(o);
    snprintf(o->library, sizeof o->library, "libOpenCL.so.1");
    snprintf(o->device_type_name, sizeof o->device_type_name, "all");
    for (size_t i = 0; i < count; i++) {
        if (keys == NULL || values == NULL || keys[i] == NULL || values[i] == NULL) {
            cld_format(msg, size, "option %zu: NULL key or value", i);
            return EMBER_STATUS_INVALID_ARGUMENT;
        }
        if (!parse_option(o, keys[i], values[i], msg, size))
            return EMBER_STATUS_INVALID_ARGUMENT;
    }
    return EMBER_STATUS_OK;
}

/* What decides the launches of a graph's kernels, and so what a driver that compiles at
   first launch (PoCL) compiles: each node's op and its tensors' types and shapes. */
static void graph_digest(const ember_core_api *api, const ember_interp *ip, uint8_t out[32]) {
    ember_sha256 h;
    ember_sha256_init(&h);
    uint32_t nodes = api->node_count(ip);
    for (uint32_t n = 0; n < nodes; n++) {
        const char *op = api->node_op(ip, n);
        ember_sha256_update(&h, op ? op : "", op ? strlen(op) + 1 : 1);
        for (uint32_t is_output = 0; is_output < 2; is_output++) {
            uint32_t count = api->node_io_count(ip, n, is_output);
            for (uint32_t i = 0; i < count; i++) {
                ember_tensor_info info;
                int32_t fields[2 + EMBER_MAX_RANK] = {-1, 0};
                uint32_t t = api->node_io(ip, n, is_output, i);
                if (t != EMBER_NO_TENSOR && api->tensor_info(ip, t, &info) == EMBER_STATUS_OK) {
                    fields[0] = (int32_t)info.type;
                    fields[1] = (int32_t)info.rank;
                    for (uint32_t k = 0; k < info.rank && k < EMBER_MAX_RANK; k++)
                        fields[2 + k] = info.dims[k];
                }
                ember_sha256_update(&h, fields, sizeof fields);
            }
        }
    }
    ember_sha256_final(&h, out);
}

/* Opens the device and the program once; false (with the reason kept) when either fails. */
static bool start(cld_delegate *d, const ember_interp *ip) {
    if (d->started)
        return d->start_status == EMBER_STATUS_OK;
    d->started = true;
    d->start_status = cld_device_open(&d->device, &d->options, d->start_error,
                                      sizeof d->start_error);
    if (d->start_status != EMBER_STATUS_OK)
        return false;
    uint8_t graph[32];
    graph_digest(d->api, ip, graph);
    d->start_status = cld_program_open(&d->program, &d->device, &d->options, graph,
                                       d->start_error, sizeof d->start_error);
    return d->start_status == EMBER_STATUS_OK;
}

/* Kernels index tensors with int, and the op encoders compute strides (products of dims) in
   int32: a node is taken only when every one of its tensors' dims multiply to at most
   INT32_MAX, counting a 0 dim as 1 (an empty tensor's other dims still make strides). */
static bool strides_fit_int32(const ember_tensor_info *info, const char *side,
                              uint32_t position, char *why, size_t why_size) {
    int64_t product = 1;
    for (uint32_t d = 0; d < info->rank && d < EMBER_MAX_RANK; d++) {
        const int64_t dim = info->dims[d] > 0 ? info->dims[d] : 1;
        if (product > INT32_MAX / dim)
            return cld_why(why, why_size, "%s %u is too large for the kernels' int indices",
                           side, (unsigned)position);
        product *= dim;
    }
    return true;
}

static int claim(void *user, const ember_interp *ip, uint32_t node, char *why,
                 size_t why_size) {
    cld_delegate *d = user;
    pthread_mutex_lock(&d->lock);
    bool started = start(d, ip);
    if (!started)
        cld_format(why, why_size, "%s", d->start_error);
    pthread_mutex_unlock(&d->lock);
    if (!started)
        return 0;
    const char *op_name = d->api->node_op(ip, node);
    const cld_op *op = cld_find_op(op_name);
    if (op == NULL) {
        cld_format(why, why_size, "no OpenCL kernel for %s", op_name ? op_name : "this op");
        return 0;
    }
    return cld_check_tensors(d->api, ip, node, strides_fit_int32, why, why_size) &&
           op->supports(d->api, ip, node, why, why_size);
}

static ember_status prepare(void *user, ember_interp *ip, const ember_partition *partition,
                            void **state, char *msg, size_t size) {
    cld_delegate *d = user;
    *state = NULL;
    pthread_mutex_lock(&d->lock);
    ember_status status = start(d, ip) ? EMBER_STATUS_OK : d->start_status;
    if (status != EMBER_STATUS_OK)
        cld_format(msg, size, "%s", d->start_error);
    pthread_mutex_unlock(&d->lock);
    if (status != EMBER_STATUS_OK)
        return status;
    cld_plan *plan = NULL;
    status = cld_plan_create(d, ip, partition, &plan, msg, size);
    *state = plan;
    pthread_mutex_lock(&d->lock);
    if (status == EMBER_STATUS_OK) {
        /* The plan's first run compiled what the driver compiles at first launch: now the
           binary holds it (see docs/opencl.md, "The program cache"). */
        cld_program_save(&d->program, &d->device);
        cld_format(d->last_prepare, sizeof d->last_prepare,
                   "last prepare: %u nodes from node %u on the device",
                   (unsigned)partition->node_count,
                   (unsigned)(partition->node_count ? partition->nodes[0] : 0));
    } else {
        cld_format(d->last_prepare, sizeof d->last_prepare, "last prepare failed: %s", msg);
    }
    pthread_mutex_unlock(&d->lock);
    return status;
}

static ember_status invoke(void *user, ember_interp *ip, void *state, char *msg, size_t size) {
    (void)user;
    (void)ip;
    if (state == NULL) {
        cld_format(msg, size, "opencl: invoke of a partition that was not prepared");
        return EMBER_STATUS_MISUSE;
    }
    return cld_plan_invoke(state, msg, size);
}

static void release(void *user, void *state) {
    (void)user;
    if (state != NULL)
        cld_plan_destroy(state);
}

static void describe(void *user, char *text, size_t size) {
    cld_delegate *d = user;
    const cld_options *o = &d->options;
    char settings[CLD_PATH_SIZE + 256];
    cld_format(settings, sizeof settings,
               "precision %s, device_type %s, cache %s%s%s", o->fp16 ? "fp16" : "fp32",
               o->device_type_name, o->cache_dir[0] ? o->cache_dir : "off",
               o->build_options[0] ? ", build_options " : "", o->build_options);
    pthread_mutex_lock(&d->lock);
    if (!d->started) {
        cld_format(text, size, "opencl: not started yet (opens the device at the first node); %s",
                   settings);
    } else if (d->start_status != EMBER_STATUS_OK && d->device.context == NULL) {
        cld_format(text, size, "opencl: unavailable: %s; %s", d->start_error, settings);
    } else {
        const cld_device *dev = &d->device;
        cld_format(text, size,
                   "opencl: device %s (%s; %s; driver %s; platform %s, %s; cl_khr_fp16 %s); "
                   "%s; %s%s%s%s%s",
                   dev->name, dev->vendor, dev->version, dev->driver_version, dev->platform_name,
                   dev->platform_version, dev->has_fp16 ? "yes" : "no", settings,
                   d->start_status != EMBER_STATUS_OK ? "unavailable: " : "",
                   d->start_status != EMBER_STATUS_OK ? d->start_error : "", d->program.report,
                   d->last_prepare[0] ? "; " : "", d->last_prepare);
    }
    pthread_mutex_unlock(&d->lock);
}

CLD_EXPORT ember_delegate *ember_delegate_create(const ember_core_api *api,
                                                 const char *const *keys,
                                                 const char *const *values, size_t count,
                                                 char *msg, size_t msg_size) {
    if (api == NULL || api->abi_version != EMBER_DELEGATE_ABI_VERSION) {
        cld_format(msg, msg_size, "opencl delegate: core API version %u, built for %u",
                   api ? (unsigned)api->abi_version : 0u, (unsigned)EMBER_DELEGATE_ABI_VERSION);
        return NULL;
    }
    cld_delegate *d = calloc(1, sizeof *d);
    if (d == NULL) {
        cld_format(msg, msg_size, "opencl delegate: out of memory");
        return NULL;
    }
    if (cld_options_parse(&d->options, keys, values, count, msg, msg_size) != EMBER_STATUS_OK) {
        free(d);
        return NULL;
    }
    if (pthread_mutex_init(&d->lock, NULL) != 0) {
        cld_format(msg, msg_size, "opencl delegate: no mutex");
        free(d);
        return NULL;
    }
    d->api = api;
    d->base = (ember_delegate){
        .abi_version = EMBER_DELEGATE_ABI_VERSION,
        .name = "opencl",
        .user = d,
        .min_partition_nodes = d->options.min_partition_nodes,
        .max_partition_nodes = d->options.max_partition_nodes,
        .claim = claim,
        .prepare = prepare,
        .invoke = invoke,
        .release = release,
        .describe = describe,
    };
    return &d->base;
}

CLD_EXPORT void ember_delegate_destroy(ember_delegate *delegate) {
    if (delegate == NULL)
        return;
    cld_delegate *d = delegate->user;
    if (d->started) {
        cld_program_close(&d->program, &d->device);
        cld_device_close(&d->device);
    }
    pthread_mutex_destroy(&d->lock);
    free(d);
}
