/* What the OpenCL delegate's C tests share: the plug-in loaded as a user loads it, and a
   model run through it on inputs every test fills the same way, so that a CPU run and a
   delegated run of one model see the same values. */
#ifndef EMBER_OPENCL_TEST_UTIL_H
#define EMBER_OPENCL_TEST_UTIL_H

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "emberlite.h"

/* dlopens the library and finds its two entry points; false, saying why on stderr, when
   either is missing. */
static inline bool opencl_test_load(const char *path, ember_delegate_create_fn *create,
                                    ember_delegate_destroy_fn *destroy) {
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    void *c = lib ? dlsym(lib, EMBER_DELEGATE_CREATE_SYMBOL) : NULL;
    void *d = lib ? dlsym(lib, EMBER_DELEGATE_DESTROY_SYMBOL) : NULL;
    /* ISO C has no cast between object and function pointers; dlsym's result is copied. */
    memcpy(create, &c, sizeof c);
    memcpy(destroy, &d, sizeof d);
    if (c != NULL && d != NULL)
        return true;
    const char *error = dlerror();
    fprintf(stderr, "cannot load the delegate from %s: %s\n", path,
            error ? error : "no entry points");
    return false;
}

/* Float inputs get small values of both signs from a fixed pattern; other inputs zeros. */
static inline void opencl_test_fill_inputs(ember_interp *ip) {
    for (uint32_t k = 0; k < ember_interp_input_count(ip); k++) {
        uint32_t t = ember_interp_input_tensor(ip, k);
        ember_tensor_info info;
        ember_interp_tensor_info(ip, t, &info);
        uint8_t *data = ember_interp_tensor_data(ip, t);
        if (info.type != EMBER_TYPE_FLOAT32) {
            memset(data, 0, info.bytes);
            continue;
        }
        for (size_t i = 0; i < info.bytes / sizeof(float); i++)
            ((float *)data)[i] = (float)((i * 37 + k * 11) % 23) / 7.0f - 1.5f;
    }
}

/* Adds the delegate d (none when NULL) to a created interpreter, allocates, fills the
   inputs and invokes; the first status that is not OK. */
static inline ember_status opencl_test_invoke(ember_interp *ip, ember_delegate *d) {
    ember_status status = d != NULL ? ember_interp_add_delegate(ip, d) : EMBER_STATUS_OK;
    if (status == EMBER_STATUS_OK)
        status = ember_interp_allocate(ip);
    if (status == EMBER_STATUS_OK) {
        opencl_test_fill_inputs(ip);
        status = ember_interp_invoke(ip);
    }
    return status;
}

#endif /* EMBER_OPENCL_TEST_UTIL_H */
