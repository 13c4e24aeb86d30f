/* Bounded dynamic shapes in C: dynamic_seq.ember (tests/c/make_models.py: x [1, S, 8] and
   mask [1, S, 1], S in 1..16) resized to every S, down and up again, in the interpreter's own
   arena and in a caller's arena of the bound's size: every allocate succeeds, the arena need
   never grows, the shapes follow S and the outputs are relu(x + pos[:S]) * mask. Bad resizes
   fail with INVALID_ARGUMENT and a message naming the input and the dim; invoke between a
   resize and allocate is MISUSE; inputs disagreeing on S fail allocate naming both. */
#define _POSIX_C_SOURCE 200112L /* posix_memalign, for an arena of the exact size */
#include <math.h>

#include "emberlite.h"
#include "test_util.h"

#define SMAX 16
#define C 8

static ember_interp *open_model(const uint8_t *model, size_t size, void *arena, size_t bytes) {
    ember_options o;
    ember_options_init(&o);
    o.arena = arena;
    o.arena_size = bytes;
    ember_interp *ip = NULL;
    CHECK(ember_interp_create(model, size, &o, &ip) == EMBER_STATUS_OK);
    return ip;
}

static bool has(const ember_interp *ip, const char *text) {
    return strstr(ember_errmsg(ip), text) != NULL;
}

static ember_status resize_both(ember_interp *ip, int32_t sx, int32_t smask) {
    const int32_t x[3] = {1, sx, C}, m[3] = {1, smask, 1};
    ember_status st = ember_interp_resize_input(ip, 0, x, 3);
    return st ? st : ember_interp_resize_input(ip, 1, m, 3);
}

static void check_dims(ember_interp *ip, uint32_t tensor, uint32_t rank, const int32_t *dims,
                       int32_t s) {
    ember_tensor_info info;
    CHECK(ember_interp_tensor_info(ip, tensor, &info) == EMBER_STATUS_OK);
    bool same = info.rank == rank;
    for (uint32_t d = 0; same && d < rank; d++)
        same = info.dims[d] == dims[d];
    CHECK_MSG(same, "S=%d: tensor '%s' has rank %u dim1 %d", s, info.name, info.rank,
              info.dims[info.rank > 1 ? 1 : 0]);
}

/* Runs at S = s and checks shapes and values; returns the arena need after allocate. */
static size_t run_at(ember_interp *ip, int32_t s) {
    CHECK(resize_both(ip, s, s) == EMBER_STATUS_OK);
    CHECK_MSG(ember_interp_allocate(ip) == EMBER_STATUS_OK, "S=%d: %s", s, ember_errmsg(ip));
    const uint32_t tx = ember_interp_input_tensor(ip, 0), tm = ember_interp_input_tensor(ip, 1);
    const uint32_t ty = ember_interp_output_tensor(ip, 0), tz = ember_interp_output_tensor(ip, 1);
    check_dims(ip, tx, 3, (const int32_t[]){1, s, C}, s);
    check_dims(ip, ty, 2, (const int32_t[]){1, s * C}, s);
    check_dims(ip, tz, 2, (const int32_t[]){1, s * C - 1}, s);
    float *x = ember_interp_tensor_data(ip, tx), *m = ember_interp_tensor_data(ip, tm);
    for (int32_t i = 0; i < s * C; i++)
        x[i] = (float)((i * 7) % 13) - 6.0f;
    for (int32_t i = 0; i < s; i++)
        m[i] = i % 3 == 0 ? 0.0f : 1.5f;
    CHECK_MSG(ember_interp_invoke(ip) == EMBER_STATUS_OK, "S=%d: %s", s, ember_errmsg(ip));
    const float *y = ember_interp_tensor_data(ip, ty), *z = ember_interp_tensor_data(ip, tz);
    int wrong = 0;
    for (int32_t i = 0; i < s * C; i++) {
        const float want = fmaxf(x[i] + 0.25f * (float)i, 0.0f) * m[i / C];
        wrong += y[i] != want || (i > 0 && z[i - 1] != want);
    }
    CHECK_MSG(wrong == 0, "S=%d: %d wrong output values", s, wrong);
    return ember_interp_arena_size(ip);
}

static void sweep(const uint8_t *model, size_t size, void *arena, size_t bytes,
                  size_t bound_need) {
    ember_interp *ip = open_model(model, size, arena, bytes);
    if (ip == NULL)
        return;
    static const int32_t order[] = {16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                    16, 7, 1, 16};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        const size_t need = run_at(ip, order[k]);
        CHECK_MSG(need <= bound_need, "S=%d: arena need %zu above the bound's %zu", order[k],
                  need, bound_need);
    }
    ember_interp_destroy(ip);
}

static void bad_resizes(const uint8_t *model, size_t size) {
    ember_interp *ip = open_model(model, size, NULL, 0);
    if (ip == NULL)
        return;
    CHECK(ember_interp_allocate(ip) == EMBER_STATUS_OK);
    const int32_t above[3] = {1, 17, C}, below[3] = {1, 0, C}, fixed[3] = {1, 4, 9};
    const int32_t batch[3] = {2, 4, C}, rank2[2] = {1, 4};
    CHECK(ember_interp_resize_input(ip, 0, above, 3) == EMBER_STATUS_INVALID_ARGUMENT);
    CHECK_MSG(has(ip, "input 0 'x': dim 1 ('S') must be in [1, 16], got 17"), "%s",
              ember_errmsg(ip));
    CHECK(ember_interp_resize_input(ip, 0, below, 3) == EMBER_STATUS_INVALID_ARGUMENT);
    CHECK(has(ip, "must be in [1, 16], got 0"));
    CHECK(ember_interp_resize_input(ip, 0, fixed, 3) == EMBER_STATUS_INVALID_ARGUMENT);
    CHECK_MSG(has(ip, "input 0 'x': dim 2 is fixed at 8, got 9"), "%s", ember_errmsg(ip));
    CHECK(ember_interp_resize_input(ip, 0, batch, 3) == EMBER_STATUS_INVALID_ARGUMENT);
    CHECK(has(ip, "dim 0 is fixed at 1, got 2"));
    CHECK(ember_interp_resize_input(ip, 0, rank2, 2) == EMBER_STATUS_INVALID_ARGUMENT);
    CHECK(has(ip, "has rank 3; a resize cannot change it (got 2)"));
    CHECK(ember_interp_resize_input(ip, 2, above, 3) == EMBER_STATUS_INVALID_ARGUMENT);
    CHECK(has(ip, "input 2 does not exist (the model has 2)"));
    CHECK(ember_interp_resize_input(ip, 0, NULL, 3) == EMBER_STATUS_INVALID_ARGUMENT);
    /* Refused resizes changed nothing: still allocated, invoke runs. */
    CHECK(ember_interp_invoke(ip) == EMBER_STATUS_OK);

    int32_t lo = 0, hi = 0;
    const char *name = NULL;
    CHECK(ember_interp_dim_range(ip, ember_interp_input_tensor(ip, 0), 1, &lo, &hi, &name) ==
          EMBER_STATUS_OK);
    CHECK(lo == 1 && hi == SMAX && name != NULL && strcmp(name, "S") == 0);
    CHECK(ember_interp_dim_range(ip, ember_interp_input_tensor(ip, 0), 2, &lo, &hi, &name) ==
          EMBER_STATUS_OK);
    CHECK(lo == C && hi == C && strcmp(name, "") == 0);
    CHECK(ember_interp_dim_range(ip, ember_interp_input_tensor(ip, 0), 3, &lo, &hi, &name) ==
          EMBER_STATUS_INVALID_ARGUMENT);
    CHECK(ember_interp_dim_range(ip, ember_interp_output_tensor(ip, 0), 0, &lo, &hi, &name) ==
          EMBER_STATUS_INVALID_ARGUMENT);
    CHECK(ember_interp_dim_range(ip, 100000, 0, &lo, &hi, &name) ==
          EMBER_STATUS_INVALID_ARGUMENT);

    /* Invoke between a resize and allocate; inputs that disagree on S. */
    CHECK(resize_both(ip, 5, 6) == EMBER_STATUS_OK);
    CHECK(ember_interp_invoke(ip) == EMBER_STATUS_MISUSE);
    CHECK(ember_interp_allocate(ip) == EMBER_STATUS_INVALID_ARGUMENT);
    CHECK_MSG(has(ip, "inputs 'x' and 'mask' disagree on dimension 'S' (5 and 6)"), "%s",
              ember_errmsg(ip));
    CHECK(ember_interp_invoke(ip) == EMBER_STATUS_MISUSE);
    CHECK(run_at(ip, 5) > 0);
    ember_interp_destroy(ip);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/models";
    size_t size = 0;
    uint8_t *model = test_read_file(dir, "dynamic_seq.ember", &size);
    if (model == NULL)
        return 1;
    ember_interp *ip = open_model(model, size, NULL, 0);
    size_t bound_need = 0;
    if (ip != NULL && ember_interp_allocate(ip) == EMBER_STATUS_OK)
        bound_need = ember_interp_arena_size(ip);
    ember_interp_destroy(ip);
    CHECK(bound_need > 0);

    sweep(model, size, NULL, 0, bound_need);
    void *arena = NULL;
    CHECK(posix_memalign(&arena, 64, bound_need) == 0);
    if (arena != NULL) {
        memset(arena, 0xa5, bound_need);
        sweep(model, size, arena, bound_need, bound_need);
    }
    free(arena);
    bad_resizes(model, size);
    free(model);
    return test_report("test_dynamic_shapes");
}
