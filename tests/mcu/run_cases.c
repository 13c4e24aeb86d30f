/* Device side of tests/mcu/test_mcu_kernels.py: runs every case the host wrote into the
 * current directory (files read over semihosting) and compares the outputs with the host's
 * reference kernels byte for byte.
 *
 * cases.txt, one line per case: NAME INPUTS OUTPUTS ARENA, with NAME.ember, NAME.in<i> and
 * NAME.out<i> (the host's outputs) beside it; ARENA is the arena size the host's reference
 * kernels need, which the device must need too. Prints one line per case and a summary; exits
 * with the number of failed cases (0: all passed). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "emberlite.h"

#define MODEL_CAPACITY (1u << 20)
#define POOL_CAPACITY (2u << 20)
#define IO_CAPACITY (256u << 10)

static uint8_t model[MODEL_CAPACITY] __attribute__((aligned(16)));
static uint8_t pool_memory[POOL_CAPACITY] __attribute__((aligned(64)));
static uint8_t expected[IO_CAPACITY];

/* Reads a whole file into buf; returns its size, or SIZE_MAX when missing or too big. */
static size_t read_file(const char *path, uint8_t *buf, size_t capacity) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return SIZE_MAX;
    size_t n = fread(buf, 1, capacity, f);
    int more = fgetc(f) != EOF;
    fclose(f);
    return more ? SIZE_MAX : n;
}

static int fail(const char *name, const char *why, const char *detail) {
    printf("FAIL %s: %s%s%s\n", name, why, detail[0] ? ": " : "", detail);
    return 1;
}

static int load_inputs(ember_interp *ip, const char *name, unsigned inputs) {
    char path[160];
    for (unsigned i = 0; i < inputs; i++) {
        ember_tensor_info info;
        uint32_t t = ember_interp_input_tensor(ip, i);
        if (ember_interp_tensor_info(ip, t, &info) != EMBER_STATUS_OK)
            return fail(name, "no input", "");
        snprintf(path, sizeof path, "%s.in%u", name, i);
        if (read_file(path, ember_interp_tensor_data(ip, t), info.bytes) != info.bytes)
            return fail(name, "input file of the wrong size", path);
    }
    return 0;
}

static int compare_outputs(ember_interp *ip, const char *name, unsigned outputs) {
    char path[160];
    for (unsigned o = 0; o < outputs; o++) {
        ember_tensor_info info;
        uint32_t t = ember_interp_output_tensor(ip, o);
        if (ember_interp_tensor_info(ip, t, &info) != EMBER_STATUS_OK)
            return fail(name, "no output", "");
        snprintf(path, sizeof path, "%s.out%u", name, o);
        if (info.bytes > IO_CAPACITY || read_file(path, expected, IO_CAPACITY) != info.bytes)
            return fail(name, "expected-output file of the wrong size", path);
        const uint8_t *got = ember_interp_tensor_data(ip, t);
        for (size_t i = 0; i < info.bytes; i++) {
            if (got[i] != expected[i]) {
                printf("FAIL %s: output %u byte %u is %u, the host's reference gives %u\n", name,
                       o, (unsigned)i, got[i], expected[i]);
                return 1;
            }
        }
    }
    return 0;
}

static void print_variants(ember_interp *ip) {
    for (uint32_t n = 0; n < ember_interp_node_count(ip); n++)
        printf("%s%s=%s", n ? "," : "", ember_interp_node_op(ip, n),
               ember_interp_node_variant(ip, n));
}

static int run_case(const char *name, unsigned inputs, unsigned outputs, unsigned long arena) {
    char path[160];
    snprintf(path, sizeof path, "%s.ember", name);
    size_t size = read_file(path, model, sizeof model);
    if (size == SIZE_MAX)
        return fail(name, "cannot read the model", path);
    ember_pool pool;
    ember_pool_init(&pool, pool_memory, sizeof pool_memory);
    ember_allocator allocator = ember_pool_allocator(&pool);
    ember_options options;
    ember_options_init(&options);
    options.allocator = &allocator;
    ember_interp *ip = NULL;
    ember_status st = ember_interp_create(model, size, &options, &ip);
    if (st == EMBER_STATUS_OK)
        st = ember_interp_allocate(ip);
    int failed = 0;
    if (st != EMBER_STATUS_OK)
        failed = fail(name, "create/allocate failed", ember_errmsg(ip));
    else if (ember_interp_arena_size(ip) != arena) {
        printf("FAIL %s: the device needs %lu bytes of arena, the host computed %lu\n", name,
               (unsigned long)ember_interp_arena_size(ip), arena);
        failed = 1;
    } else if ((failed = load_inputs(ip, name, inputs)) == 0) {
        st = ember_interp_invoke(ip);
        failed = st != EMBER_STATUS_OK ? fail(name, "invoke failed", ember_errmsg(ip))
                                       : compare_outputs(ip, name, outputs);
    }
    if (!failed) {
        printf("ok %s ", name);
        print_variants(ip);
        printf("\n");
    }
    ember_interp_destroy(ip);
    if (pool.used != 0)
        failed = fail(name, "destroy did not give the pool back", "");
    return failed;
}

int main(void) {
    FILE *list = fopen("cases.txt", "r");
    if (list == NULL) {
        printf("FAIL: no cases.txt in the current directory\n");
        return 1;
    }
    char name[128];
    unsigned inputs, outputs;
    unsigned long arena;
    int passed = 0, failed = 0;
    while (fscanf(list, "%127s %u %u %lu", name, &inputs, &outputs, &arena) == 4) {
        if (run_case(name, inputs, outputs, arena))
            failed++;
        else
            passed++;
    }
    fclose(list);
    printf("summary: %d passed, %d failed\n", passed, failed);
    return failed != 0 || passed == 0;
}
