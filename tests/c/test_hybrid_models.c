/* The hybrid (dynamic range computing in int8) network of make_models.py, hybrid_block.ember,
   bit for bit: on each ISA tier this CPU has and EMBER_ISA_ALL, at 1 and 2 threads, its float
   outputs equal the reference loops' (EMBER_ISA_NONE, 1 thread) for two inputs. The int32 sums
   are exact and the float steps the same (kernels/hybrid_gemm.h), so any difference is a bug.
   Natively, under the sanitizers and under qemu (the NEON gemm_i32 kernels). */
#include <string.h>

#include "ember_internal.h"
#include "emberlite.h"
#include "test_util.h"

#define INVOKES 2
#define MAX_OUT 4096

static const uint32_t TIERS[] = {
    EMBER_ISA_AVX2,
    EMBER_ISA_AVX2 | EMBER_ISA_AVX512F | EMBER_ISA_AVX512VNNI,
    EMBER_ISA_NEON,
    EMBER_ISA_NEON | EMBER_ISA_NEONDOT,
    EMBER_ISA_NEON | EMBER_ISA_NEONDOT | EMBER_ISA_NEONI8MM,
    EMBER_ISA_ALL,
};

/* Floats in [-2, 2) from `seed` in every input (float32 only in this model). */
static void fill_inputs(ember_interp *ip, uint32_t seed) {
    uint32_t state = seed;
    for (uint32_t i = 0; i < ember_interp_input_count(ip); i++) {
        uint32_t t = ember_interp_input_tensor(ip, i);
        ember_tensor_info info;
        ember_interp_tensor_info(ip, t, &info);
        float *data = ember_interp_tensor_data(ip, t);
        for (size_t k = 0; k < info.bytes / sizeof(float); k++) {
            state = state * 1664525u + 1013904223u;
            data[k] = (float)(state >> 8) / (float)(1u << 22) - 2.0f;
        }
    }
}

/* Every invoke's outputs one after the other into out; returns the bytes of one invoke. */
static size_t run(ember_interp *ip, uint8_t *out) {
    size_t size = 0;
    for (int k = 0; k < INVOKES; k++) {
        fill_inputs(ip, 777u + 7919u * (uint32_t)k);
        CHECK(ember_interp_invoke(ip) == EMBER_STATUS_OK);
        size = 0;
        for (uint32_t o = 0; o < ember_interp_output_count(ip); o++) {
            uint32_t t = ember_interp_output_tensor(ip, o);
            ember_tensor_info info;
            ember_interp_tensor_info(ip, t, &info);
            if (size + info.bytes <= MAX_OUT / INVOKES)
                memcpy(out + (size_t)k * (MAX_OUT / INVOKES) + size,
                       ember_interp_tensor_data(ip, t), info.bytes);
            size += info.bytes;
        }
    }
    CHECK_MSG(size <= MAX_OUT / INVOKES, "outputs of %zu bytes", size);
    return size;
}

static ember_interp *open_model(const uint8_t *model, size_t size, uint32_t mask,
                                int32_t threads) {
    ember_options o;
    ember_options_init(&o);
    o.isa_mask = mask;
    o.num_threads = threads;
    ember_interp *ip = NULL;
    ember_status st = ember_interp_create(model, size, &o, &ip);
    if (st == EMBER_STATUS_OK)
        st = ember_interp_allocate(ip);
    CHECK_MSG(st == EMBER_STATUS_OK, "mask 0x%x, %d threads: %s", (unsigned)mask, (int)threads,
              ember_errmsg(ip));
    if (st != EMBER_STATUS_OK) {
        ember_interp_destroy(ip);
        return NULL;
    }
    return ip;
}

/* How many nodes run a variant whose name starts with `prefix`. */
static int variants(const ember_interp *ip, const char *prefix) {
    int n = 0;
    for (uint32_t i = 0; i < ember_interp_node_count(ip); i++) {
        const char *v = ember_interp_node_variant(ip, i);
        n += v != NULL && strncmp(v, prefix, strlen(prefix)) == 0;
    }
    return n;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/models";
    size_t size = 0;
    uint8_t *model = test_read_file(dir, "hybrid_block.ember", &size);
    CHECK(model != NULL);
    static uint8_t want[MAX_OUT], got[MAX_OUT];
    ember_interp *ip = model ? open_model(model, size, EMBER_ISA_NONE, 1) : NULL;
    size_t bytes = 0;
    if (ip != NULL) {
        CHECK_MSG(variants(ip, "hybrid_ref") == 5, "%d hybrid_ref nodes, expected 5",
                  variants(ip, "hybrid_ref"));
        bytes = run(ip, want);
        ember_interp_destroy(ip);
    }
    const uint32_t features = ember_detect_cpu_features();
    for (size_t m = 0; bytes > 0 && m < sizeof TIERS / sizeof TIERS[0]; m++) {
        if ((TIERS[m] & features) == 0)
            continue;
        for (int32_t threads = 1; threads <= 2; threads++) {
            ember_interp *fast = open_model(model, size, TIERS[m], threads);
            if (fast == NULL)
                continue;
            CHECK_MSG(variants(fast, "hybrid_gemm_") == 3 && variants(fast, "hybrid_gather") == 2,
                      "mask 0x%x: not every hybrid node runs a microkernel",
                      (unsigned)TIERS[m]);
            memset(got, 0, sizeof got);
            CHECK(run(fast, got) == bytes);
            for (int k = 0; k < INVOKES; k++) {
                const size_t at = (size_t)k * (MAX_OUT / INVOKES);
                CHECK_MSG(memcmp(got + at, want + at, bytes) == 0,
                          "mask 0x%x, %d threads, input %d: outputs differ from the reference",
                          (unsigned)TIERS[m], (int)threads, k);
            }
            ember_interp_destroy(fast);
        }
    }
    free(model);
    return test_report("test_hybrid_models");
}
