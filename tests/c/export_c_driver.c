/* Firmware's view of a model exported by `ember export-c --name tiny` (built and run by
   tests/test_cli_export_c.py, with the generated files' folder on the include path): the
   header's figures against what the library reports, and one run of the model from the array
   in a caller's arena of exactly TINY_ARENA_SIZE bytes, as a board without a heap runs it.
   Usage: export_c_driver INPUT.bin OUTPUT.bin (TINY_INPUT0_BYTES in, TINY_OUTPUT0_BYTES out). */
#include <ctype.h>

#include "emberlite.h"
#include "test_util.h"
/* Generated into the test's temporary folder, which -I names. */
#include <tiny.h>

_Static_assert(TINY_EMBER_VERSION == EMBER_RUNTIME_VERSION, "exported by another version");
_Static_assert(TINY_MODEL_ALIGNMENT >= EMBER_MODEL_ALIGNMENT, "model alignment too small");
_Static_assert(TINY_INPUT_COUNT == 1 && TINY_OUTPUT_COUNT == 1, "the test model's shape");

/* Bytes past the arena that must stay untouched: the model may not use more than it said. */
#define GUARD 256
#define GUARD_BYTE 0xA5

_Alignas(TINY_ARENA_ALIGNMENT) static uint8_t arena[TINY_ARENA_SIZE + GUARD];

typedef struct expected_tensor {
    uint32_t tensor;
    const char *name;
    ember_type type;
    uint32_t rank;
    int32_t dims[EMBER_MAX_RANK];
    size_t bytes;
    uint32_t quant_count;
    int32_t quant_axis;
    float scale;
    int64_t zero_point;
} expected_tensor;

static const expected_tensor tiny_input = {
    TINY_INPUT0_TENSOR, TINY_INPUT0_NAME, TINY_INPUT0_TYPE, TINY_INPUT0_RANK, TINY_INPUT0_DIMS,
    TINY_INPUT0_BYTES, TINY_INPUT0_QUANT_COUNT, TINY_INPUT0_QUANT_AXIS, TINY_INPUT0_SCALE,
    TINY_INPUT0_ZERO_POINT};
static const expected_tensor tiny_output = {
    TINY_OUTPUT0_TENSOR, TINY_OUTPUT0_NAME, TINY_OUTPUT0_TYPE, TINY_OUTPUT0_RANK,
    TINY_OUTPUT0_DIMS, TINY_OUTPUT0_BYTES, TINY_OUTPUT0_QUANT_COUNT, TINY_OUTPUT0_QUANT_AXIS,
    TINY_OUTPUT0_SCALE, TINY_OUTPUT0_ZERO_POINT};

#define OP_NAME(op) #op,
static const char *const tiny_ops[TINY_OP_COUNT] = {TINY_OPS(OP_NAME)};

static ember_status create(ember_interp **ip, size_t arena_size) {
    ember_options options;
    ember_options_init(&options);
    options.isa_mask = EMBER_ISA_NONE; /* what a bare-metal build runs */
    options.num_threads = 1;
    options.arena = arena;
    options.arena_size = arena_size;
    return ember_interp_create(tiny_model, tiny_model_size, &options, ip);
}

static void check_tensor(ember_interp *ip, uint32_t tensor, const expected_tensor *want) {
    ember_tensor_info info;
    CHECK(tensor == want->tensor);
    CHECK(ember_interp_tensor_info(ip, tensor, &info) == EMBER_STATUS_OK);
    CHECK_MSG(strcmp(info.name, want->name) == 0, "%s vs %s", info.name, want->name);
    CHECK(info.type == want->type && info.rank == want->rank && info.bytes == want->bytes);
    for (uint32_t d = 0; d < info.rank; d++)
        CHECK_MSG(info.dims[d] == want->dims[d], "dim %u", d);
    CHECK(info.quant_count == want->quant_count && info.quant_axis == want->quant_axis);
    CHECK_MSG(info.scale == want->scale && info.zero_point == want->zero_point,
              "scale %.9g zero point %lld", (double)info.scale, (long long)info.zero_point);
}

static bool is_listed(const char *op) {
    char upper[64] = {0};
    for (size_t i = 0; op[i] != '\0' && i + 1 < sizeof upper; i++)
        upper[i] = (char)toupper((unsigned char)op[i]);
    for (size_t i = 0; i < TINY_OP_COUNT; i++)
        if (strcmp(upper, tiny_ops[i]) == 0)
            return true;
    return false;
}

/* One byte short of the stated arena: refused cleanly, with a message, at allocate. */
static void check_one_byte_short(void) {
    ember_interp *ip = NULL;
    CHECK(create(&ip, TINY_ARENA_SIZE - 1) == EMBER_STATUS_OK);
    CHECK(ember_interp_allocate(ip) == EMBER_STATUS_ARENA_TOO_SMALL);
    printf("one byte short: %s\n", ember_errmsg(ip));
    CHECK(strstr(ember_errmsg(ip), "arena") != NULL);
    CHECK(ember_interp_arena_size(ip) == TINY_ARENA_SIZE);
    ember_interp_destroy(ip);
}

static bool read_exactly(const char *path, void *data, size_t size) {
    FILE *f = fopen(path, "rb");
    bool ok = f != NULL && fread(data, 1, size, f) == size && fgetc(f) == EOF;
    if (f != NULL)
        fclose(f);
    return ok;
}

static bool write_all(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    bool ok = f != NULL && fwrite(data, 1, size, f) == size;
    return (f == NULL || fclose(f) == 0) && ok;
}

/* Exactly the stated arena: the header agrees with the library, and the model runs without
   touching a byte past the arena. */
static void run_exact(const char *input_path, const char *output_path) {
    ember_interp *ip = NULL;
    memset(arena + TINY_ARENA_SIZE, GUARD_BYTE, GUARD);
    CHECK(create(&ip, TINY_ARENA_SIZE) == EMBER_STATUS_OK);
    CHECK_MSG(ember_interp_allocate(ip) == EMBER_STATUS_OK, "%s", ember_errmsg(ip));
    CHECK_MSG(ember_interp_arena_size(ip) == TINY_ARENA_SIZE, "library: %zu",
              ember_interp_arena_size(ip));
    CHECK(ember_interp_node_count(ip) == TINY_NODE_COUNT);
    for (uint32_t n = 0; n < ember_interp_node_count(ip); n++)
        CHECK_MSG(is_listed(ember_interp_node_op(ip, n)), "%s", ember_interp_node_op(ip, n));
    check_tensor(ip, ember_interp_input_tensor(ip, 0), &tiny_input);
    check_tensor(ip, ember_interp_output_tensor(ip, 0), &tiny_output);
    CHECK(read_exactly(input_path, ember_interp_tensor_data(ip, TINY_INPUT0_TENSOR),
                       TINY_INPUT0_BYTES));
    CHECK_MSG(ember_interp_invoke(ip) == EMBER_STATUS_OK, "%s", ember_errmsg(ip));
    CHECK(write_all(output_path, ember_interp_tensor_data(ip, TINY_OUTPUT0_TENSOR),
                    TINY_OUTPUT0_BYTES));
    size_t touched = 0;
    for (size_t i = 0; i < GUARD; i++)
        touched += arena[TINY_ARENA_SIZE + i] != GUARD_BYTE;
    CHECK_MSG(touched == 0, "%zu bytes past the arena written", touched);
    ember_interp_destroy(ip);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s INPUT.bin OUTPUT.bin\n", argv[0]);
        return 2;
    }
    CHECK((uintptr_t)tiny_model % TINY_MODEL_ALIGNMENT == 0);
    CHECK(tiny_model_size == TINY_MODEL_SIZE);
    check_one_byte_short();
    run_exact(argv[1], argv[2]);
    return test_report("export_c_driver");
}
