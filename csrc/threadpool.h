/* Splitting a kernel's work over the interpreter's threads (csrc/threadpool.c).
 *
 * A kernel cuts its output into tiles and hands a task to ember_parallel_1d/2d; every tile runs
 * exactly once, on some thread, and the call returns when all have run. Tiles never split a
 * reduction (a GEMM's K, a pooling window), so each output element is computed by the same
 * instructions in the same order whatever the thread count: results are bit-identical for any
 * num_threads. Nothing is allocated: the workers are created once, by ember_threadpool_create.
 * Without EMBER_HAVE_THREADS (bare-metal builds) every tile runs on the calling thread. */
#ifndef EMBER_THREADPOOL_H
#define EMBER_THREADPOOL_H

#include "ember_internal.h"

/* Runs the tile [begin, end) of a 1-D range. `thread` (< ember_thread_count) names the thread
   running it, for per-thread scratch: ask for ember_thread_count(ctx) slices at prepare. */
typedef void (*ember_task_1d)(const void *arg, size_t thread, size_t begin, size_t end);
/* Runs the tile of rows [i, i + i_len) and columns [j, j + j_len) of a 2-D range. */
typedef void (*ember_task_2d)(const void *arg, size_t thread, size_t i, size_t i_len, size_t j,
                              size_t j_len);

/* Calls fn over [0, range) in tiles of `tile` elements (the last may be shorter). A task may
   call ember_parallel_1d/2d itself: those tiles run inline, on its thread, with its index. */
void ember_parallel_1d(ember_context *ctx, ember_task_1d fn, const void *arg, size_t range,
                       size_t tile);
/* Calls fn over [0, range_i) x [0, range_j) in tile_i x tile_j tiles. */
void ember_parallel_2d(ember_context *ctx, ember_task_2d fn, const void *arg, size_t range_i,
                       size_t tile_i, size_t range_j, size_t tile_j);
/* How many threads tasks run on (1 without a pool): kernels size their tiles by it. */
size_t ember_thread_count(const ember_context *ctx);

/* Starts num_threads - 1 workers (the caller is the other one) with memory from ctx's
   allocator; num_threads <= 1 or a build without threads leaves ctx->pool NULL. */
ember_status ember_threadpool_create(ember_context *ctx, int32_t num_threads);
/* Stops and joins the workers and frees the pool; ctx->pool becomes NULL. */
void ember_threadpool_destroy(ember_context *ctx);

#endif /* EMBER_THREADPOOL_H */
