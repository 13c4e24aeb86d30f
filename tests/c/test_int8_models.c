/* Whole integer models, bit for bit: every model in MODEL_DIR/index.txt whose inputs and
   outputs are all int8, uint8 or int16 tensors (int8_block, int8_depthwise5x5 and
   int16x8_block from make_models.py, and the one-op integer models) gives the same status and output bytes on the
   optimised kernels as on the reference kernels (EMBER_ISA_NONE, 1 thread): on each ISA tier
   this CPU has (e.g. AVX2 alone, then with AVX-512, then everything: EMBER_ISA_ALL) at 1 and 2
   threads, for two different inputs. int8 arithmetic is exact, so any difference is a bug. */
#include "ember_internal.h"
#include "emberlite.h"
#include "test_util.h"

#define INVOKES 2
#define MAX_MASKS 8

/* The tiers tried, lowest first; each runs only when the CPU has its first bit. */
static const uint32_t TIERS[] = {
    EMBER_ISA_AVX2,
    EMBER_ISA_AVX2 | EMBER_ISA_AVX512F,
    EMBER_ISA_AVX2 | EMBER_ISA_AVX512F | EMBER_ISA_AVX512VNNI,
    EMBER_ISA_NEON,
    EMBER_ISA_NEON | EMBER_ISA_NEONDOT,
    EMBER_ISA_NEON | EMBER_ISA_NEONDOT | EMBER_ISA_NEONI8MM,
};

/* The masks to compare with the reference: the tiers the CPU has (each a different set of
   usable bits) and EMBER_ISA_ALL; returns their count. */
static int masks_for(uint32_t features, uint32_t masks[MAX_MASKS]) {
    int n = 0;
    uint32_t seen[MAX_MASKS];
    for (size_t i = 0; i <= sizeof TIERS / sizeof TIERS[0]; i++) {
        uint32_t mask = i < sizeof TIERS / sizeof TIERS[0] ? TIERS[i] : EMBER_ISA_ALL;
        uint32_t usable = mask & features;
        bool dup = usable == 0;
        for (int k = 0; k < n && !dup; k++)
            dup = seen[k] == usable;
        if (!dup && n < MAX_MASKS)
            seen[n] = usable, masks[n++] = mask;
    }
    return n;
}

static bool integer_type(ember_type type) {
    return type == EMBER_TYPE_INT8 || type == EMBER_TYPE_UINT8 || type == EMBER_TYPE_INT16;
}

/* Whether every input and output of the model is an integer tensor. */
static bool integer_io(ember_interp *ip) {
    for (uint32_t io = 0; io < 2; io++) {
        uint32_t count = io ? ember_interp_output_count(ip) : ember_interp_input_count(ip);
        for (uint32_t i = 0; i < count; i++) {
            ember_tensor_info info;
            ember_interp_tensor_info(
                ip, io ? ember_interp_output_tensor(ip, i) : ember_interp_input_tensor(ip, i),
                &info);
            if (!integer_type(info.type))
                return false;
        }
    }
    return true;
}

/* Random bytes in every input, from `seed`. */
static void fill_inputs(ember_interp *ip, uint32_t seed) {
    uint32_t state = seed;
    for (uint32_t i = 0; i < ember_interp_input_count(ip); i++) {
        uint32_t t = ember_interp_input_tensor(ip, i);
        ember_tensor_info info;
        ember_interp_tensor_info(ip, t, &info);
        uint8_t *data = ember_interp_tensor_data(ip, t);
        for (size_t b = 0; b < info.bytes; b++) {
            state = state * 1664525u + 1013904223u;
            data[b] = (uint8_t)(state >> 24);
        }
    }
}

typedef struct outputs {
    ember_status status[INVOKES];
    uint8_t *bytes; /* every invoke's outputs, one after the other */
    size_t size;    /* bytes of one invoke */
} outputs;

static size_t output_bytes(ember_interp *ip) {
    size_t total = 0;
    for (uint32_t o = 0; o < ember_interp_output_count(ip); o++) {
        ember_tensor_info info;
        ember_interp_tensor_info(ip, ember_interp_output_tensor(ip, o), &info);
        total += info.bytes;
    }
    return total;
}

static void copy_outputs(ember_interp *ip, uint8_t *to) {
    for (uint32_t o = 0; o < ember_interp_output_count(ip); o++) {
        uint32_t t = ember_interp_output_tensor(ip, o);
        ember_tensor_info info;
        ember_interp_tensor_info(ip, t, &info);
        if (info.bytes > 0)
            memcpy(to, ember_interp_tensor_data(ip, t), info.bytes);
        to += info.bytes;
    }
}

/* Creates and allocates the model with `mask` and `threads`; NULL (reported) on failure. */
static ember_interp *open_model(const uint8_t *model, size_t size, uint32_t mask,
                                int32_t threads, const char *name) {
    ember_options o;
    ember_options_init(&o);
    o.isa_mask = mask;
    o.num_threads = threads;
    ember_interp *ip = NULL;
    ember_status st = ember_interp_create(model, size, &o, &ip);
    if (st == EMBER_STATUS_OK)
        st = ember_interp_allocate(ip);
    CHECK_MSG(st == EMBER_STATUS_OK, "%s, mask 0x%x, %d threads: %s", name, (unsigned)mask,
              (int)threads, ember_errmsg(ip));
    if (st != EMBER_STATUS_OK) {
        ember_interp_destroy(ip);
        return NULL;
    }
    return ip;
}

/* The model's statuses and outputs for INVOKES different inputs. */
static bool run(ember_interp *ip, outputs *out) {
    out->size = output_bytes(ip);
    out->bytes = calloc(INVOKES, out->size ? out->size : 1);
    if (out->bytes == NULL)
        return false;
    for (int k = 0; k < INVOKES; k++) {
        fill_inputs(ip, 12345u + 7919u * (uint32_t)k);
        out->status[k] = ember_interp_invoke(ip);
        copy_outputs(ip, out->bytes + (size_t)k * out->size);
    }
    return true;
}

static void compare(const outputs *ref, const outputs *got, uint32_t mask, int32_t threads,
                    const char *name) {
    for (int k = 0; k < INVOKES; k++) {
        CHECK_MSG(got->status[k] == ref->status[k], "%s, mask 0x%x, %d threads, input %d: %s, "
                  "reference %s", name, (unsigned)mask, (int)threads, k,
                  ember_status_str(got->status[k]), ember_status_str(ref->status[k]));
        if (got->status[k] != EMBER_STATUS_OK || ref->status[k] != EMBER_STATUS_OK)
            continue;
        const uint8_t *a = ref->bytes + (size_t)k * ref->size;
        const uint8_t *b = got->bytes + (size_t)k * got->size;
        size_t differ = 0;
        for (size_t i = 0; i < ref->size; i++)
            differ += a[i] != b[i];
        CHECK_MSG(got->size == ref->size && differ == 0, "%s, mask 0x%x, %d threads, input %d: "
                  "%zu of %zu output bytes differ from the reference kernels'", name,
                  (unsigned)mask, (int)threads, k, differ, ref->size);
    }
}

/* Runs one model on every mask and thread count against the reference; false when the
   model is not all-integer (skipped). */
static bool check_model(const uint8_t *model, size_t size, const char *name) {
    ember_interp *ip = open_model(model, size, EMBER_ISA_NONE, 1, name);
    if (ip == NULL)
        return false;
    outputs ref = {0};
    bool integer = integer_io(ip);
    uint32_t masks[MAX_MASKS];
    int mask_count = masks_for(ember_interp_cpu_features(ip), masks);
    if (integer)
        CHECK_MSG(run(ip, &ref), "%s: out of memory", name);
    ember_interp_destroy(ip);
    for (int m = 0; integer && ref.bytes != NULL && m < mask_count; m++) {
        for (int32_t threads = 1; threads <= 2; threads++) {
            ember_interp *fast = open_model(model, size, masks[m], threads, name);
            outputs got = {0};
            if (fast != NULL && run(fast, &got))
                compare(&ref, &got, masks[m], threads, name);
            free(got.bytes);
            ember_interp_destroy(fast);
        }
    }
    free(ref.bytes);
    return integer;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/models";
    static char names[TEST_MAX_MODELS][64];
    int count = test_model_names(dir, names, TEST_MAX_MODELS), networks = 0, checked = 0;
    CHECK(count > 0);
    for (int m = 0; m < count; m++) {
        size_t size;
        uint8_t *model = test_read_file(dir, names[m], &size);
        CHECK_MSG(model != NULL, "%s", names[m]);
        if (model == NULL)
            continue;
        if (check_model(model, size, names[m])) {
            checked++;
            networks += strncmp(names[m], "int8_", 5) == 0 ||
                        strncmp(names[m], "int16x8_", 8) == 0;
        }
        free(model);
    }
    /* The whole networks must be there: without them this test checks single ops only. */
    CHECK_MSG(networks == 3, "%d int8_* / int16x8_* networks in %s/index.txt, expected 3",
              networks, dir);
    printf("test_int8_models: %d integer models, each on the reference and the optimised "
           "kernels\n", checked);
    return test_report("test_int8_models");
}
