/* The thread pool behind ember_parallel_1d/2d (csrc/threadpool.h). */
#include "threadpool.h"

size_t ember_thread_count(const ember_context *ctx) {
    (void)ctx;
    return 1;
}

ember_status ember_threadpool_create(ember_context *ctx, int32_t num_threads) {
    (void)num_threads;
    ctx->pool = NULL;
    return EMBER_STATUS_OK;
}

void ember_threadpool_destroy(ember_context *ctx) {
    ctx->pool = NULL;
}

void ember_parallel_1d(ember_context *ctx, ember_task_1d fn, const void *arg, size_t range,
                       size_t tile) {
    (void)ctx;
    if (tile == 0)
        tile = range;
    for (size_t begin = 0; begin < range; begin += tile)
        fn(arg, 0, begin, range - begin < tile ? range : begin + tile);
}

void ember_parallel_2d(ember_context *ctx, ember_task_2d fn, const void *arg, size_t range_i,
                       size_t tile_i, size_t range_j, size_t tile_j) {
    (void)ctx;
    if (tile_i == 0)
        tile_i = range_i;
    if (tile_j == 0)
        tile_j = range_j;
    for (size_t i = 0; i < range_i; i += tile_i)
        for (size_t j = 0; j < range_j; j += tile_j)
            fn(arg, 0, i, range_i - i < tile_i ? range_i - i : tile_i, j,
               range_j - j < tile_j ? range_j - j : tile_j);
}
