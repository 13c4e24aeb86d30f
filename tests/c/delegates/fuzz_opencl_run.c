/* Runner of the structure-aware .ember fuzzer (tests/fuzz/fuzz_ember.py) for the OpenCL
   delegate: the random models go through the delegate's claim, prepare (placement, uploads,
   the op encoders, the first run) and invoke, built with ASan and UBSan against the sanitized
   core and the sanitized delegate (EMBER_OPENCL_LIBRARY, one delegate for the whole process,
   no cache). Usage: EMBER_OPENCL_LIBRARY=LIB fuzz_opencl_run FILE|DIR...
   For each model it prints "RUN <path>", runs it on the CPU alone, then with the delegate on
   the same inputs. A finding (non-zero exit right after the model's RUN line): a crash or a
   sanitizer report, an allocate that fails only with the delegate (a partition the delegate
   cannot prepare must fall back to the CPU), or an invoke that fails only with it. Outputs
   are not compared: random weights and inputs make NaN and overflow common, and the CPU
   comparisons live in test_opencl_models.c and the Python tests. */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emberlite.h"
#include "fuzz_runner.h"
#include "opencl_test_util.h"

static ember_delegate *delegate;

/* Floats in [-8, 8), other types raw bytes (bools 0 or 1): the same inputs for both runs. */
static void fill_inputs(ember_interp *ip, uint64_t seed) {
    for (uint32_t i = 0; i < ember_interp_input_count(ip); i++) {
        const uint32_t t = ember_interp_input_tensor(ip, i);
        ember_tensor_info info;
        uint8_t *p = ember_interp_tensor_data(ip, t);
        if (p == NULL || ember_interp_tensor_info(ip, t, &info) != EMBER_STATUS_OK)
            continue;
        for (size_t k = 0; k < info.bytes; k++) {
            uint8_t v = (uint8_t)(next(&seed) >> 56);
            p[k] = info.type == EMBER_TYPE_BOOL ? (uint8_t)(v & 1) : v;
        }
        if (info.type == EMBER_TYPE_FLOAT32)
            for (size_t k = 0; k + 4 <= info.bytes; k += 4) {
                float v = (float)((int64_t)(next(&seed) >> 40) - (1 << 23)) / (float)(1 << 20);
                memcpy(p + k, &v, 4);
            }
    }
}

typedef struct outcome {
    ember_status allocate, invoke;
    uint32_t on_device;
    char msg[256];
} outcome;

static outcome run_once(const uint8_t *data, size_t size, uint64_t seed, bool delegated) {
    ember_options options;
    capped_options(&options);
    outcome o = {EMBER_STATUS_ERROR, EMBER_STATUS_ERROR, 0, ""};
    ember_interp *ip = NULL;
    ember_status st = ember_interp_create(data, size, &options, &ip);
    if (st == EMBER_STATUS_OK && delegated)
        st = ember_interp_add_delegate(ip, delegate);
    if (st == EMBER_STATUS_OK) {
        o.allocate = ember_interp_allocate(ip);
        if (o.allocate == EMBER_STATUS_OK) {
            fill_inputs(ip, seed);
            o.invoke = ember_interp_invoke(ip);
            for (uint32_t n = 0; n < ember_interp_node_count(ip); n++) {
                ember_node_placement p;
                if (ember_interp_node_placement(ip, n, &p) == EMBER_STATUS_OK && p.delegate)
                    o.on_device++;
            }
        }
        snprintf(o.msg, sizeof o.msg, "%s", ember_errmsg(ip));
    }
    ember_interp_destroy(ip);
    return o;
}

static int run_model(const char *path) {
    size_t size = 0;
    uint8_t *data = start_model(path, &size);
    if (data == NULL)
        return 0;
    const uint64_t seed = seed_of(data, size);
    int rc = 0;
    outcome cpu = run_once(data, size, seed, false);
    if (cpu.allocate != EMBER_STATUS_OK) {
        printf("REFUSED allocate %s: %s\n", ember_status_str(cpu.allocate), cpu.msg);
    } else {
        outcome gpu = run_once(data, size, seed, true);
        if (gpu.allocate != EMBER_STATUS_OK || (cpu.invoke == EMBER_STATUS_OK &&
                                               gpu.invoke != EMBER_STATUS_OK)) {
            printf("MISMATCH with the delegate: allocate %s, invoke %s (CPU: invoke %s): %s\n",
                   ember_status_str(gpu.allocate), ember_status_str(gpu.invoke),
                   ember_status_str(cpu.invoke), gpu.msg);
            rc = 1;
        } else {
            printf("INVOKED %s, %u nodes on the device\n", ember_status_str(gpu.invoke),
                   (unsigned)gpu.on_device);
        }
    }
    free(data);
    fflush(stdout);
    return rc;
}

int main(int argc, char **argv) {
    const char *library = getenv("EMBER_OPENCL_LIBRARY");
    ember_delegate_create_fn create_fn;
    ember_delegate_destroy_fn destroy_fn;
    if (argc < 2 || library == NULL || !opencl_test_load(library, &create_fn, &destroy_fn)) {
        fprintf(stderr, "usage: EMBER_OPENCL_LIBRARY=LIB %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    static const char *const keys[] = {"cache_dir"};
    static const char *const values[] = {""};
    char msg[256] = "";
    delegate = create_fn(ember_core_api_get(), keys, values, 1, msg, sizeof msg);
    if (delegate == NULL) {
        fprintf(stderr, "no delegate: %s\n", msg);
        return 2;
    }
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++)
        rc = run_dir(argv[i], run_model);
    destroy_fn(delegate);
    if (rc == 0)
        printf("DONE\n");
    return rc;
}
