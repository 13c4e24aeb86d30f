/* Caller-provided arenas: every size below the need is refused with ARENA_TOO_SMALL (and the
   need is reported), the exact size works and gives the same outputs as an arena the
   interpreter allocates itself, whatever garbage the arena held. Each arena is allocated at
   its exact size, so under ASan a kernel writing past the plan is caught. */
#define _POSIX_C_SOURCE 200112L
#include <stdlib.h>

#include "emberlite.h"
#include "interp.h" /* EMBER_ASAN and ember_arena_guard, for the poisoning test */
#include "test_util.h"

#if defined(EMBER_ASAN)
#include <fcntl.h>
#include <sanitizer/asan_interface.h>
#include <sys/wait.h>
#include <unistd.h>
#endif


static void fill_inputs(ember_interp *ip) {
    for (uint32_t i = 0; i < ember_interp_input_count(ip); i++) {
        uint32_t t = ember_interp_input_tensor(ip, i);
        ember_tensor_info info;
        ember_interp_tensor_info(ip, t, &info);
        if (info.type == EMBER_TYPE_INT8 || info.type == EMBER_TYPE_INT16) {
            /* every byte: an int16 tensor need not hold a whole number of floats */
            int8_t *q = ember_interp_tensor_data(ip, t);
            for (size_t k = 0; k < info.bytes; k++)
                q[k] = (int8_t)((int)((k * 37 + i) % 256) - 128);
            continue;
        }
        float *data = ember_interp_tensor_data(ip, t);
        for (size_t k = 0; k < info.bytes / sizeof(float); k++)
            data[k] = (float)((k * 7 + i) % 17) * 0.25f - 2.0f;
    }
}

/* Concatenated bytes of every output; the caller frees it. */
static uint8_t *outputs(ember_interp *ip, size_t *size) {
    *size = 0;
    for (uint32_t i = 0; i < ember_interp_output_count(ip); i++) {
        ember_tensor_info info;
        ember_interp_tensor_info(ip, ember_interp_output_tensor(ip, i), &info);
        *size += info.bytes;
    }
    uint8_t *out = malloc(*size ? *size : 1), *p = out;
    for (uint32_t i = 0; i < ember_interp_output_count(ip); i++) {
        uint32_t t = ember_interp_output_tensor(ip, i);
        ember_tensor_info info;
        ember_interp_tensor_info(ip, t, &info);
        memcpy(p, ember_interp_tensor_data(ip, t), info.bytes);
        p += info.bytes;
    }
    return out;
}

static void *exact_buffer(size_t size) {
    void *p = NULL;
    return posix_memalign(&p, 64, size ? size : 1) == 0 ? p : NULL;
}

/* Runs the model in a caller arena of `size` bytes; returns the status of allocate. */
static ember_status run_in(const uint8_t *model, size_t model_size, size_t size, size_t need,
                           const uint8_t *want, size_t want_size) {
    uint8_t *arena = exact_buffer(size);
    memset(arena, 0xa5, size);
    ember_options o;
    ember_options_init(&o);
    o.arena = arena;
    o.arena_size = size;
    ember_interp *ip = NULL;
    CHECK(ember_interp_create(model, model_size, &o, &ip) == EMBER_STATUS_OK);
    ember_status st = ember_interp_allocate(ip);
    CHECK_MSG(ember_interp_arena_size(ip) == need, "arena %zu: need %zu reported as %zu", size,
              need, ember_interp_arena_size(ip));
    if (st == EMBER_STATUS_OK) {
        fill_inputs(ip);
        CHECK(ember_interp_invoke(ip) == EMBER_STATUS_OK);
        size_t got_size;
        uint8_t *got = outputs(ip, &got_size);
        CHECK_MSG(got_size == want_size && memcmp(got, want, want_size) == 0,
                  "arena %zu: outputs differ from the interpreter's own arena", size);
        free(got);
        for (uint32_t t = 0; t < ember_interp_tensor_count(ip); t++) {
            ember_tensor_info info;
            ember_interp_tensor_info(ip, t, &info);
            uint8_t *data = ember_interp_tensor_data(ip, t);
            if (!info.is_constant)
                CHECK(data >= arena && data + info.bytes <= arena + need);
        }
    } else {
        char expect[96];
        snprintf(expect, sizeof expect, "arena holds %zu bytes, the model needs %zu", size, need);
        CHECK_MSG(strstr(ember_errmsg(ip), expect) != NULL, "message: %s", ember_errmsg(ip));
        CHECK(ember_interp_invoke(ip) == EMBER_STATUS_MISUSE);
    }
    ember_interp_destroy(ip);
    free(arena);
    return st;
}

static void test_model(const char *dir, const char *name) {
    size_t size;
    uint8_t *model = test_read_file(dir, name, &size);
    CHECK_MSG(model != NULL, "%s", name);
    if (model == NULL)
        return;
    uint8_t *pristine = test_aligned_copy(model, size);

    ember_interp *ip = NULL;
    CHECK(ember_interp_create(model, size, NULL, &ip) == EMBER_STATUS_OK);
    CHECK(ember_interp_allocate(ip) == EMBER_STATUS_OK);
    CHECK(ember_interp_allocate(ip) == EMBER_STATUS_OK); /* a second call changes nothing */
    fill_inputs(ip);
    CHECK(ember_interp_invoke(ip) == EMBER_STATUS_OK);
    size_t want_size;
    uint8_t *want = outputs(ip, &want_size);
    const size_t need = ember_interp_arena_size(ip);
    ember_interp_destroy(ip);
    CHECK(need > 0 && need % 64 == 0);

    int too_small = 0, tried = 0;
    const size_t step = need / 97 ? need / 97 : 1;
    for (size_t s = 0; s < need; s += step) {
        tried++;
        too_small += run_in(model, size, s, need, want, want_size) == EMBER_STATUS_ARENA_TOO_SMALL;
    }
    const size_t near[] = {need - 1, need - 16, need - 64};
    for (size_t i = 0; i < sizeof near / sizeof near[0]; i++) {
        tried++;
        too_small += run_in(model, size, near[i], need, want, want_size) ==
                     EMBER_STATUS_ARENA_TOO_SMALL;
    }
    CHECK_MSG(too_small == tried, "%s: %d of %d small arenas refused", name, too_small, tried);
    CHECK(run_in(model, size, need, need, want, want_size) == EMBER_STATUS_OK);
    CHECK(run_in(model, size, need + 100, need, want, want_size) == EMBER_STATUS_OK);

    /* A misaligned arena is the caller's mistake, not a size problem. */
    uint8_t *arena = exact_buffer(need + 64);
    ember_options o;
    ember_options_init(&o);
    o.arena = arena + 16;
    o.arena_size = need;
    CHECK(ember_interp_create(model, size, &o, &ip) == EMBER_STATUS_OK);
    CHECK(ember_interp_allocate(ip) == EMBER_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(ember_errmsg(ip), "aligned") != NULL);
    ember_interp_destroy(ip);
    free(arena);

    CHECK_MSG(memcmp(model, pristine, size) == 0, "%s: the model bytes were written", name);
    free(pristine);
    free(want);
    free(model);
}

#if defined(EMBER_ASAN)
static ember_interp *allocated(const char *dir, const char *name, uint8_t **file) {
    size_t size;
    ember_interp *ip = NULL;
    *file = test_read_file(dir, name, &size);
    CHECK(*file != NULL && ember_interp_create(*file, size, NULL, &ip) == EMBER_STATUS_OK &&
          ember_interp_allocate(ip) == EMBER_STATUS_OK);
    return ip;
}

/* Whether exactly the tensor's bytes are addressable, and the byte after it is not. */
static bool exactly_open(ember_interp *ip, const char *name) {
    for (uint32_t t = 0; t < ember_interp_tensor_count(ip); t++) {
        ember_tensor_info info;
        ember_interp_tensor_info(ip, t, &info);
        const uint8_t *p = ember_interp_tensor_data(ip, t);
        if (strcmp(info.name, name) == 0)
            return __asan_region_is_poisoned((void *)p, info.bytes) == NULL &&
                   __asan_address_is_poisoned(p + info.bytes);
    }
    return false;
}

static bool closed(ember_interp *ip, const char *name) {
    for (uint32_t t = 0; t < ember_interp_tensor_count(ip); t++) {
        ember_tensor_info info;
        ember_interp_tensor_info(ip, t, &info);
        if (strcmp(info.name, name) == 0)
            return __asan_address_is_poisoned(ember_interp_tensor_data(ip, t));
    }
    return false;
}

/* Reads one byte past the tensor in a child process; true if ASan stopped the child. */
static bool over_read_caught(ember_interp *ip, const char *name) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2); /* the report is expected; keep the test log clean */
        for (uint32_t t = 0; t < ember_interp_tensor_count(ip); t++) {
            ember_tensor_info info;
            ember_interp_tensor_info(ip, t, &info);
            const volatile uint8_t *p = ember_interp_tensor_data(ip, t);
            if (strcmp(info.name, name) == 0)
                _exit(p[info.bytes] == 0x5a ? 0 : 0); /* both arms: only the read matters */
        }
        _exit(0);
    }
    int status = 0;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
           WEXITSTATUS(status) != 0;
}

/* Under ASan, while a node runs only its own non-constant tensors and the scratch area are
   addressable in the arena; after invoke all of it is again. concat: relu a -> ra,
   concatenation (ra, b) -> cat, split cat -> s0, s1. */
static void test_poison(const char *dir) {
    uint8_t *file;
    ember_interp *ip = allocated(dir, "concat.ember", &file);
    const ember_node *relu = &ip->model.nodes[0];
    ember_arena_guard(ip, relu);
    CHECK(exactly_open(ip, "a") && exactly_open(ip, "ra"));
    CHECK(closed(ip, "b") && closed(ip, "cat") && closed(ip, "s1")); /* s0 reuses ra's bytes */
    CHECK(over_read_caught(ip, "a"));
    ember_arena_guard(ip, NULL);
    CHECK(__asan_region_is_poisoned(ip->arena, ip->arena_need) == NULL);
    CHECK(!over_read_caught(ip, "a")); /* the child's read is only caught when poisoned */
    fill_inputs(ip);
    CHECK(ember_interp_invoke(ip) == EMBER_STATUS_OK);
    CHECK(__asan_region_is_poisoned(ip->arena, ip->arena_need) == NULL);
    ember_interp_destroy(ip);
    free(file);

    ip = allocated(dir, "op_sum.ember", &file); /* SUM asks for scratch */
    ember_arena_guard(ip, &ip->model.nodes[0]);
    const uint8_t *scratch = ip->ctx.scratch;
    CHECK(ip->ctx.scratch_size > 0 && ip->ctx.scratch_size % 64 != 0);
    CHECK(__asan_region_is_poisoned((void *)scratch, ip->ctx.scratch_size) == NULL);
    CHECK(__asan_address_is_poisoned(scratch + ip->ctx.scratch_size));
    ember_arena_guard(ip, NULL);
    ember_interp_destroy(ip);
    free(file);
}
#endif

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/models";
    static char names[TEST_MAX_MODELS][64];
    int count = test_model_names(dir, names, TEST_MAX_MODELS);
    CHECK(count > 0);
    for (int i = 0; i < count; i++)
        test_model(dir, names[i]);
#if defined(EMBER_ASAN)
    test_poison(dir);
#endif
    return test_report("test_arena");
}
