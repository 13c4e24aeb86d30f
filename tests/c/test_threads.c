/* num_threads through the interpreter: every model the C tests load (build/models), on the
   default isa_mask (fast paths), gives bit-identical outputs and the same status on 2 and 3
   threads as on 1, invoked several times in a row on the same pool. Built with ThreadSanitizer by
   `make c-test-tsan`, so the kernels' parallel tasks are checked for data races too. */
#include "emberlite.h"
#include "test_util.h"

#define THREAD_COUNTS 3
#define INVOKES 3

/* Deterministic inputs: small floats (no overflow to inf), random bytes for 8-bit types, zeros
   for the rest (indices and shapes that must stay in range). */
static void fill_inputs(ember_interp *ip) {
    uint32_t state = 12345u;
    for (uint32_t i = 0; i < ember_interp_input_count(ip); i++) {
        uint32_t t = ember_interp_input_tensor(ip, i);
        ember_tensor_info info;
        ember_interp_tensor_info(ip, t, &info);
        uint8_t *data = ember_interp_tensor_data(ip, t);
        memset(data, 0, info.bytes);
        for (size_t b = 0; b < info.bytes; b++) {
            state = state * 1664525u + 1013904223u;
            if (info.type == EMBER_TYPE_INT8 || info.type == EMBER_TYPE_UINT8)
                data[b] = (uint8_t)(state >> 24);
            else if (info.type == EMBER_TYPE_FLOAT32 && b % 4 == 0) {
                float v = (float)(state >> 8) / 16777216.0f * 4.0f - 2.0f;
                memcpy(data + b, &v, sizeof v);
            }
        }
    }
}

/* All output bytes of one invoke, concatenated; *size gets their count. */
static uint8_t *outputs_of(ember_interp *ip, size_t *size) {
    size_t total = 0;
    for (uint32_t o = 0; o < ember_interp_output_count(ip); o++) {
        ember_tensor_info info;
        ember_interp_tensor_info(ip, ember_interp_output_tensor(ip, o), &info);
        total += info.bytes;
    }
    uint8_t *buf = malloc(total ? total : 1);
    size_t at = 0;
    for (uint32_t o = 0; buf != NULL && o < ember_interp_output_count(ip); o++) {
        uint32_t t = ember_interp_output_tensor(ip, o);
        ember_tensor_info info;
        ember_interp_tensor_info(ip, t, &info);
        if (info.bytes > 0)
            memcpy(buf + at, ember_interp_tensor_data(ip, t), info.bytes);
        at += info.bytes;
    }
    *size = total;
    return buf;
}

typedef struct run_result {
    ember_status status;
    uint8_t *bytes;
    size_t size;
} run_result;

static run_result run(const uint8_t *model, size_t size, int32_t threads, const char *name) {
    run_result r = {EMBER_STATUS_ERROR, NULL, 0};
    ember_options o;
    ember_options_init(&o);
    o.num_threads = threads;
    ember_interp *ip = NULL;
    ember_status st = ember_interp_create(model, size, &o, &ip);
    if (st == EMBER_STATUS_OK)
        st = ember_interp_allocate(ip);
    CHECK_MSG(st == EMBER_STATUS_OK, "%s on %d threads: %s", name, (int)threads,
              ember_errmsg(ip));
    if (st == EMBER_STATUS_OK) {
        for (int k = 0; k < INVOKES; k++) {
            fill_inputs(ip);
            r.status = ember_interp_invoke(ip);
            size_t n;
            uint8_t *bytes = outputs_of(ip, &n);
            /* Repeated invokes on one pool agree with the first. */
            if (k > 0)
                CHECK_MSG(n == r.size && (n == 0 || memcmp(bytes, r.bytes, n) == 0),
                          "%s on %d threads: invoke %d differs from invoke 0", name, (int)threads,
                          k);
            free(r.bytes);
            r.bytes = bytes, r.size = n;
        }
    }
    ember_interp_destroy(ip);
    return r;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/models";
    static char names[TEST_MAX_MODELS][64];
    int count = test_model_names(dir, names, TEST_MAX_MODELS);
    CHECK(count > 0);
    for (int m = 0; m < count; m++) {
        size_t size;
        uint8_t *model = test_read_file(dir, names[m], &size);
        CHECK_MSG(model != NULL, "%s", names[m]);
        if (model == NULL)
            continue;
        run_result one = run(model, size, 1, names[m]);
        for (int32_t threads = 2; threads <= THREAD_COUNTS; threads++) {
            run_result many = run(model, size, threads, names[m]);
            CHECK_MSG(many.status == one.status, "%s: status %s on %d threads, %s on 1",
                      names[m], ember_status_str(many.status), (int)threads,
                      ember_status_str(one.status));
            CHECK_MSG(many.size == one.size &&
                          (one.size == 0 || memcmp(many.bytes, one.bytes, one.size) == 0),
                      "%s: outputs on %d threads differ from 1 thread", names[m], (int)threads);
            free(many.bytes);
        }
        free(one.bytes);
        free(model);
    }
    return test_report("test_threads");
}
