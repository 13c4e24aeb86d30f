/* Opening OpenCL at run time: the ICD loader by dlopen, every function by dlsym, then a
   platform, a device, a context and an in-order queue. Each step that fails says which. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

char *cld_format(char *msg, size_t size, const char *fmt, ...) {
    if (msg == NULL || size == 0)
        return msg;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, size, fmt, ap);
    va_end(ap);
    return msg;
}

const char *cld_cl_error_name(cl_int code) {
    static const struct {
        cl_int code;
        const char *name;
    } names[] = {
        {0, "CL_SUCCESS"},
        {-1, "CL_DEVICE_NOT_FOUND"},
        {-2, "CL_DEVICE_NOT_AVAILABLE"},
        {-3, "CL_COMPILER_NOT_AVAILABLE"},
        {-4, "CL_MEM_OBJECT_ALLOCATION_FAILURE"},
        {-5, "CL_OUT_OF_RESOURCES"},
        {-6, "CL_OUT_OF_HOST_MEMORY"},
        {-11, "CL_BUILD_PROGRAM_FAILURE"},
        {-14, "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST"},
        {-30, "CL_INVALID_VALUE"},
        {-31, "CL_INVALID_DEVICE_TYPE"},
        {-32, "CL_INVALID_PLATFORM"},
        {-33, "CL_INVALID_DEVICE"},
        {-34, "CL_INVALID_CONTEXT"},
        {-36, "CL_INVALID_COMMAND_QUEUE"},
        {-37, "CL_INVALID_HOST_PTR"},
        {-38, "CL_INVALID_MEM_OBJECT"},
        {-42, "CL_INVALID_BINARY"},
        {-43, "CL_INVALID_BUILD_OPTIONS"},
        {-44, "CL_INVALID_PROGRAM"},
        {-45, "CL_INVALID_PROGRAM_EXECUTABLE"},
        {-46, "CL_INVALID_KERNEL_NAME"},
        {-47, "CL_INVALID_KERNEL_DEFINITION"},
        {-48, "CL_INVALID_KERNEL"},
        {-49, "CL_INVALID_ARG_INDEX"},
        {-50, "CL_INVALID_ARG_VALUE"},
        {-51, "CL_INVALID_ARG_SIZE"},
        {-52, "CL_INVALID_KERNEL_ARGS"},
        {-53, "CL_INVALID_WORK_DIMENSION"},
        {-54, "CL_INVALID_WORK_GROUP_SIZE"},
        {-55, "CL_INVALID_WORK_ITEM_SIZE"},
        {-56, "CL_INVALID_GLOBAL_OFFSET"},
        {-57, "CL_INVALID_EVENT_WAIT_LIST"},
        {-59, "CL_INVALID_OPERATION"},
        {-61, "CL_INVALID_BUFFER_SIZE"},
        {-63, "CL_INVALID_GLOBAL_WORK_SIZE"},
        {-1001, "CL_PLATFORM_NOT_FOUND_KHR"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == code)
            return names[i].name;
    return "unknown error";
}

static ember_status load_library(cld_device *dev, const char *path, char *msg, size_t size) {
    dlerror();
    dev->library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (dev->library == NULL) {
        const char *why = dlerror();
        cld_format(msg, size, "no OpenCL library: %s", why ? why : path);
        return EMBER_STATUS_UNSUPPORTED;
    }
    /* dlsym returns void *; POSIX guarantees it converts to a function pointer, which ISO C
       does not say, hence the memcpy into the field. */
#define CLD_CL_LOAD(ret, name, params)                                                        \
    {                                                                                         \
        void *symbol = dlsym(dev->library, #name);                                           \
        if (symbol == NULL) {                                                                 \
            cld_format(msg, size, "OpenCL library %s has no %s", path, #name);               \
            dlclose(dev->library);                                                            \
            dev->library = NULL;                                                              \
            return EMBER_STATUS_UNSUPPORTED;                                                  \
        }                                                                                     \
        memcpy(&dev->cl.name, &symbol, sizeof symbol);                                       \
    }
    CLD_CL_FUNCTIONS(CLD_CL_LOAD)
#undef CLD_CL_LOAD
    return EMBER_STATUS_OK;
}

/* A string property into a fixed buffer, truncated when longer (a query of the size first:
   a too-small buffer is an error in OpenCL, not a truncation). */
static void platform_text(cld_device *dev, cl_platform_id p, cl_platform_info what, char *out,
                          size_t size) {
    size_t need = 0;
    out[0] = '\0';
    if (dev->cl.clGetPlatformInfo(p, what, 0, NULL, &need) != CL_SUCCESS || need == 0)
        return;
    char *text = malloc(need + 1);
    if (text == NULL)
        return;
    if (dev->cl.clGetPlatformInfo(p, what, need, text, NULL) == CL_SUCCESS) {
        text[need] = '\0';
        snprintf(out, size, "%s", text);
    }
    free(text);
}

/* The device's string property, malloc'ed (NULL when the query fails). */
static char *device_text_alloc(cld_device *dev, cl_device_info what) {
    size_t need = 0;
    if (dev->cl.clGetDeviceInfo(dev->device, what, 0, NULL, &need) != CL_SUCCESS)
        return NULL;
    char *text = malloc(need + 1);
    if (text == NULL)
        return NULL;
    if (dev->cl.clGetDeviceInfo(dev->device, what, need, text, NULL) != CL_SUCCESS) {
        free(text);
        return NULL;
    }
    text[need] = '\0';
    return text;
}

static void device_text(cld_device *dev, cl_device_info what, char *out, size_t size) {
    char *text = device_text_alloc(dev, what);
    snprintf(out, size, "%s", text ? text : "");
    free(text);
}

static const char *type_name(cl_device_type type) {
    if (type == CL_DEVICE_TYPE_GPU)
        return "gpu";
    if (type == CL_DEVICE_TYPE_CPU)
        return "cpu";
    if (type == CL_DEVICE_TYPE_ACCELERATOR)
        return "accelerator";
    return "all";
}

/* The first device of `type` on any platform; false when there is none. */
static bool find_device(cld_device *dev, const cl_platform_id *platforms, cl_uint count,
                        cl_device_type type) {
    for (cl_uint i = 0; i < count; i++) {
        cl_device_id device = NULL;
        cl_uint found = 0;
        if (dev->cl.clGetDeviceIDs(platforms[i], type, 1, &device, &found) == CL_SUCCESS &&
            found > 0 && device != NULL) {
            dev->platform = platforms[i];
            dev->device = device;
            return true;
        }
    }
    return false;
}

static ember_status pick_device(cld_device *dev, cl_device_type type, char *msg, size_t size) {
    enum { MAX_PLATFORMS = 16 };
    cl_platform_id platforms[MAX_PLATFORMS];
    cl_uint count = 0;
    cl_int err = dev->cl.clGetPlatformIDs(MAX_PLATFORMS, platforms, &count);
    if (err != CL_SUCCESS || count == 0) {
        cld_format(msg, size, "no OpenCL platform (clGetPlatformIDs: %d %s)", (int)err,
                   err != CL_SUCCESS ? cld_cl_error_name(err) : "none listed");
        return EMBER_STATUS_UNSUPPORTED;
    }
    if (count > MAX_PLATFORMS)
        count = MAX_PLATFORMS;
    bool found = type != 0 ? find_device(dev, platforms, count, type)
                           : find_device(dev, platforms, count, CL_DEVICE_TYPE_GPU) ||
                                 find_device(dev, platforms, count, CL_DEVICE_TYPE_ALL);
    if (!found) {
        cld_format(msg, size, "no OpenCL device of type %s (%u platform%s)", type_name(type),
                   (unsigned)count, count == 1 ? "" : "s");
        return EMBER_STATUS_UNSUPPORTED;
    }
    return EMBER_STATUS_OK;
}

static void read_facts(cld_device *dev) {
    platform_text(dev, dev->platform, CL_PLATFORM_NAME, dev->platform_name,
                  sizeof dev->platform_name);
    platform_text(dev, dev->platform, CL_PLATFORM_VERSION, dev->platform_version,
                  sizeof dev->platform_version);
    device_text(dev, CL_DEVICE_NAME, dev->name, sizeof dev->name);
    device_text(dev, CL_DEVICE_VENDOR, dev->vendor, sizeof dev->vendor);
    device_text(dev, CL_DRIVER_VERSION, dev->driver_version, sizeof dev->driver_version);
    device_text(dev, CL_DEVICE_VERSION, dev->version, sizeof dev->version);
    char *extensions = device_text_alloc(dev, CL_DEVICE_EXTENSIONS);
    dev->has_fp16 = false;
    /* Extension names are separated by spaces; match whole names only. */
    for (const char *p = extensions; p != NULL && (p = strstr(p, "cl_khr_fp16")) != NULL;
         p += 11) {
        bool starts = p == extensions || p[-1] == ' ';
        bool ends = p[11] == '\0' || p[11] == ' ';
        if (starts && ends)
            dev->has_fp16 = true;
    }
    free(extensions);
    cl_uint align_bits = 0;
    if (dev->cl.clGetDeviceInfo(dev->device, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof align_bits,
                                &align_bits, NULL) != CL_SUCCESS)
        align_bits = 0;
    /* Tensors start at 64 bytes at least (vector loads, cache lines), more if the device
       asks; an absurd value from a driver is not trusted. */
    dev->base_align = align_bits / 8 > 64 && align_bits / 8 <= 4096 ? align_bits / 8 : 64;
    if (dev->cl.clGetDeviceInfo(dev->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE,
                                sizeof dev->max_alloc, &dev->max_alloc, NULL) != CL_SUCCESS)
        dev->max_alloc = 0;
    /* Unknown means groups of one: the serial kernels, which any device runs. */
    if (dev->cl.clGetDeviceInfo(dev->device, CL_DEVICE_MAX_WORK_GROUP_SIZE,
                                sizeof dev->max_group, &dev->max_group, NULL) != CL_SUCCESS ||
        dev->max_group == 0)
        dev->max_group = 1;
}

ember_status cld_device_open(cld_device *dev, const cld_options *options, char *msg,
                             size_t size) {
    memset(dev, 0, sizeof *dev);
    ember_status status = load_library(dev, options->library, msg, size);
    if (status != EMBER_STATUS_OK)
        return status;
    status = pick_device(dev, options->device_type, msg, size);
    if (status != EMBER_STATUS_OK)
        return status;
    read_facts(dev);
    cl_int err = CL_SUCCESS;
    dev->context = dev->cl.clCreateContext(NULL, 1, &dev->device, NULL, NULL, &err);
    if (dev->context == NULL || err != CL_SUCCESS) {
        cld_format(msg, size, "OpenCL device %s: clCreateContext: %d %s", dev->name, (int)err,
                   cld_cl_error_name(err));
        dev->context = NULL;
        return EMBER_STATUS_UNSUPPORTED;
    }
    dev->queue = dev->cl.clCreateCommandQueue(dev->context, dev->device, 0, &err);
    if (dev->queue == NULL || err != CL_SUCCESS) {
        cld_format(msg, size, "OpenCL device %s: clCreateCommandQueue: %d %s", dev->name,
                   (int)err, cld_cl_error_name(err));
        dev->queue = NULL;
        cld_device_close(dev);
        return EMBER_STATUS_UNSUPPORTED;
    }
    return EMBER_STATUS_OK;
}

/* The library stays loaded once an OpenCL call was made: drivers start threads and register
   exit handlers in it (PoCL does) that would run in unmapped code after a dlclose. dlopen
   counts references, so opening it again returns the same handle. */
void cld_device_close(cld_device *dev) {
    if (dev->queue != NULL)
        dev->cl.clReleaseCommandQueue(dev->queue);
    if (dev->context != NULL)
        dev->cl.clReleaseContext(dev->context);
    dev->queue = NULL;
    dev->context = NULL;
    dev->device = NULL;
}
