/* ember_pool, the allocator of builds with no heap: a model runs with everything taken from the
   pool, destroy gives the pool back whole, a pool one byte smaller than the high-water mark
   fails cleanly with NO_MEMORY and a message, blocks honour their alignment, and a free of a
   block that is not the most recent one changes nothing. */
#include "emberlite.h"
#include "test_util.h"

static uint8_t memory[1 << 22] __attribute__((aligned(64)));

static ember_status run(const uint8_t *model, size_t size, ember_pool *pool, char *msg,
                        size_t msg_size) {
    ember_allocator a = ember_pool_allocator(pool);
    ember_options o;
    ember_options_init(&o);
    o.allocator = &a;
    return test_run_model(model, size, &o, 1, msg, msg_size);
}

static void check_model(const uint8_t *model, size_t size, const char *name) {
    char msg[256];
    ember_pool pool;
    ember_pool_init(&pool, memory, sizeof memory);
    ember_status st = run(model, size, &pool, msg, sizeof msg);
    CHECK_MSG(st == EMBER_STATUS_OK, "%s: %s", name, msg);
    CHECK_MSG(pool.used == 0 && pool.top == NULL, "%s: %zu bytes still taken", name, pool.used);
    size_t need = pool.high_water;
    CHECK(need > 0);

    ember_pool_init(&pool, memory, need);
    CHECK_MSG(run(model, size, &pool, msg, sizeof msg) == EMBER_STATUS_OK, "%s: %s", name, msg);
    ember_pool_init(&pool, memory, need - 1);
    st = run(model, size, &pool, msg, sizeof msg);
    CHECK_MSG(st == EMBER_STATUS_NO_MEMORY, "%s with one byte less: %s", name,
              ember_status_str(st));
    CHECK_MSG(st == EMBER_STATUS_INVALID_ARGUMENT || strstr(msg, "memory") != NULL,
              "%s with one byte less: '%s'", name, msg);
    CHECK_MSG(pool.used == 0, "%s: a failed run left %zu bytes taken", name, pool.used);
}

static void check_blocks(void) {
    ember_pool pool;
    ember_pool_init(&pool, memory + 1, 1000);
    ember_allocator a = ember_pool_allocator(&pool);
    uint8_t *x = a.alloc(a.user, 10, 64);
    uint8_t *y = a.alloc(a.user, 3, 16);
    CHECK(x != NULL && (uintptr_t)x % 64 == 0 && y != NULL && (uintptr_t)y % 16 == 0);
    CHECK(y >= x + 10);
    size_t used = pool.used;
    a.free(a.user, x); /* not the most recent block */
    CHECK(pool.used == used);
    a.free(a.user, y);
    a.free(a.user, x);
    CHECK(pool.used == 0 && pool.high_water == used);
    CHECK(a.alloc(a.user, 2000, 16) == NULL);
    CHECK(a.alloc(a.user, SIZE_MAX, 16) == NULL);
    CHECK(a.alloc(a.user, 8, 3) == NULL); /* not a power of two */
    ember_pool_init(&pool, NULL, 100);
    CHECK(a.alloc(a.user, 1, 1) == NULL);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/models";
    const char *names[] = {"conv_relu_add.ember", "fc.ember", "int8_block.ember",
                           "dynamic_seq.ember"};
    for (size_t m = 0; m < sizeof names / sizeof names[0]; m++) {
        size_t size = 0;
        uint8_t *model = test_read_file(dir, names[m], &size);
        CHECK_MSG(model != NULL, "cannot read %s/%s", dir, names[m]);
        if (model != NULL)
            check_model(model, size, names[m]);
        free(model);
    }
    check_blocks();
    return test_report("test_pool");
}
