/* The thread pool behind ember_parallel_1d/2d (csrc/threadpool.h).
 *
 * With EMBER_HAVE_THREADS, num_threads - 1 POSIX threads are started once and wait for jobs; the
 * calling thread is thread 0 and works too. A job is published by writing its fields and then
 * storing its tile count into `remaining` (release); every thread claims tiles by decrementing
 * `remaining` (so each tile is claimed exactly once) and, after running one, decrements
 * `pending`; the caller returns when `pending` reaches 0. The caller waits for tiles, not for
 * workers: a worker still asleep when the caller has run every tile finds nothing left, so short
 * jobs cost the caller no wake-up latency. Waiting threads spin briefly (a model dispatches
 * ~100 jobs per invoke, some only microseconds apart), then sleep on a condition variable.
 *
 * If a worker cannot be started, ember_threadpool_create stops the ones already running and
 * fails with EMBER_STATUS_ERROR: the thread count is fixed before prepare sizes scratch by it,
 * and running on fewer threads than asked without saying so would hide the problem. */
#include "threadpool.h"

#include <string.h>

/* Above this, num_threads is taken for a mistake rather than a machine. */
#define EMBER_MAX_THREADS 256

/* Tile k of a job, for both shapes: 1-D jobs have one column of tiles (tiles_j == 1). */
typedef struct job {
    ember_task_1d fn_1d;
    ember_task_2d fn_2d; /* NULL for a 1-D job */
    const void *arg;
    size_t range_i, tile_i, range_j, tile_j, tiles_j, count;
} job;

static void run_tile(const job *jb, size_t thread, size_t k) {
    size_t i = k / jb->tiles_j * jb->tile_i;
    size_t i_len = jb->range_i - i < jb->tile_i ? jb->range_i - i : jb->tile_i;
    if (jb->fn_2d == NULL) {
        jb->fn_1d(jb->arg, thread, i, i + i_len);
        return;
    }
    size_t j = k % jb->tiles_j * jb->tile_j;
    size_t j_len = jb->range_j - j < jb->tile_j ? jb->range_j - j : jb->tile_j;
    jb->fn_2d(jb->arg, thread, i, i_len, j, j_len);
}

static size_t tiles_of(size_t range, size_t tile) {
    return range / tile + (range % tile != 0);
}

#if EMBER_HAVE_THREADS

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

/* A waiting thread polls with PAUSE (40-140 cycles each), then with sched_yield (so that on a
   busy machine a thread preempted on the same core, often the one it waits for, gets to run),
   then sleeps. */
#ifndef SPIN_PAUSES
#define SPIN_PAUSES 256
#endif
#ifndef SPIN_YIELDS
#define SPIN_YIELDS 64
#endif

typedef struct worker {
    struct ember_threadpool *pool;
    size_t index; /* 1..threads-1 */
    pthread_t id;
} worker;

struct ember_threadpool {
    ember_allocator allocator; /* the pool's own block is freed through this copy */
    size_t threads;            /* workers + the caller */
    size_t started;            /* workers running */
    worker *workers;
    job current;               /* written by the caller before `remaining` is published */
    pthread_mutex_t lock;
    pthread_cond_t wake;       /* workers sleep here for a new generation */
    pthread_cond_t done;       /* the caller sleeps here for pending == 0 */
    atomic_bool stop;
    /* Each counter on its own cache line: threads hammer `remaining` while the caller polls
       `pending`, and `generation` is polled by idle workers. */
    _Alignas(64) atomic_size_t remaining; /* tiles not yet claimed: a claim takes the value */
    _Alignas(64) atomic_size_t pending;   /* tiles claimed or not, but not yet finished */
    _Alignas(64) atomic_uint generation;  /* bumped once per job (and to stop) */
    atomic_uint sleepers;                 /* workers asleep, or about to be, on `wake` */
    atomic_bool caller_asleep;            /* the caller is asleep, or about to be, on `done` */
};

static inline void relax(int spin) {
    if (spin >= SPIN_PAUSES)
        sched_yield();
#if defined(__x86_64__) || defined(__i386__)
    else
        __builtin_ia32_pause();
#elif defined(__aarch64__) || (defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7)
    else
        __asm__ __volatile__("yield");
#endif
}

/* 1 + the index of the thread whose tiles this thread is running, 0 outside a job. A task that
   calls ember_parallel_* runs the inner tiles inline, under its own index: dispatching from a
   task would overwrite the running job, and index 0 would share thread 0's scratch. */
static _Thread_local size_t task_thread;

/* Claims and runs tiles until none is left. A claim always takes a tile of the job published
   last (a late thread may claim tiles of the next job, never of a finished one), and the fields
   are read only after a claim, which synchronises with the publishing store. */
static void run_tiles(struct ember_threadpool *pool, size_t thread) {
    task_thread = thread + 1;
    size_t left = atomic_load_explicit(&pool->remaining, memory_order_acquire);
    while (left != 0) {
        if (!atomic_compare_exchange_weak_explicit(&pool->remaining, &left, left - 1,
                                                   memory_order_acquire, memory_order_acquire))
            continue;
        run_tile(&pool->current, thread, pool->current.count - left);
        /* seq_cst pairs with the caller's exchange of caller_asleep (neither misses the other). */
        if (atomic_fetch_sub(&pool->pending, 1) == 1 && atomic_load(&pool->caller_asleep)) {
            pthread_mutex_lock(&pool->lock);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->lock);
        }
        left = atomic_load_explicit(&pool->remaining, memory_order_acquire);
    }
    task_thread = 0;
}

/* Returns the generation after `seen` (or any, once stopping), spinning first, then asleep. */
static unsigned wait_generation(struct ember_threadpool *pool, unsigned seen) {
    for (int spin = 0; spin < SPIN_PAUSES + SPIN_YIELDS; spin++) {
        unsigned g = atomic_load_explicit(&pool->generation, memory_order_acquire);
        if (g != seen)
            return g;
        relax(spin);
    }
    pthread_mutex_lock(&pool->lock);
    /* seq_cst pairs with the caller's bump of generation then read of sleepers. */
    atomic_fetch_add(&pool->sleepers, 1);
    unsigned g;
    while ((g = atomic_load(&pool->generation)) == seen)
        pthread_cond_wait(&pool->wake, &pool->lock);
    atomic_fetch_sub(&pool->sleepers, 1);
    pthread_mutex_unlock(&pool->lock);
    return g;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    struct ember_threadpool *pool = w->pool;
    unsigned seen = 0;
    for (;;) {
        seen = wait_generation(pool, seen);
        if (atomic_load_explicit(&pool->stop, memory_order_acquire))
            return NULL;
        run_tiles(pool, w->index);
    }
}

static void bump_generation(struct ember_threadpool *pool) {
    atomic_fetch_add(&pool->generation, 1);
    if (atomic_load(&pool->sleepers) != 0) {
        pthread_mutex_lock(&pool->lock);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->lock);
    }
}

static void wait_done(struct ember_threadpool *pool) {
    for (int spin = 0; spin < SPIN_PAUSES + SPIN_YIELDS; spin++) {
        if (atomic_load_explicit(&pool->pending, memory_order_acquire) == 0)
            return;
        relax(spin);
    }
    pthread_mutex_lock(&pool->lock);
    /* An exchange, not a store: a read-modify-write orders the following load of `pending` on
       every implementation. A seq_cst store is STLR on aarch64, and qemu-user on an x86 host
       lets a later LDAR pass it, so caller and worker could each miss the other's write and
       the caller would sleep forever. */
    atomic_exchange(&pool->caller_asleep, true);
    while (atomic_load(&pool->pending) != 0)
        pthread_cond_wait(&pool->done, &pool->lock);
    atomic_store(&pool->caller_asleep, false);
    pthread_mutex_unlock(&pool->lock);
}

/* Runs the job on every thread and returns when all its tiles have run. */
static void dispatch(struct ember_threadpool *pool, const job *jb) {
    pool->current = *jb;
    atomic_store_explicit(&pool->pending, jb->count, memory_order_relaxed);
    atomic_store_explicit(&pool->remaining, jb->count, memory_order_release);
    bump_generation(pool);
    run_tiles(pool, 0);
    wait_done(pool);
}

static void stop_workers(struct ember_threadpool *pool) {
    atomic_store_explicit(&pool->stop, true, memory_order_release);
    bump_generation(pool);
    for (size_t w = 0; w < pool->started; w++)
        pthread_join(pool->workers[w].id, NULL);
    pool->started = 0;
}

static void free_pool(struct ember_threadpool *pool) {
    pthread_cond_destroy(&pool->done);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    ember_allocator a = pool->allocator;
    a.free(a.user, pool);
}

static ember_status init_sync(ember_context *ctx, struct ember_threadpool *pool) {
    if (pthread_mutex_init(&pool->lock, NULL) != 0)
        return ember_fail(ctx, EMBER_STATUS_ERROR, "thread pool: could not create a mutex");
    if (pthread_cond_init(&pool->wake, NULL) != 0) {
        pthread_mutex_destroy(&pool->lock);
        return ember_fail(ctx, EMBER_STATUS_ERROR, "thread pool: could not create a condition");
    }
    if (pthread_cond_init(&pool->done, NULL) != 0) {
        pthread_cond_destroy(&pool->wake);
        pthread_mutex_destroy(&pool->lock);
        return ember_fail(ctx, EMBER_STATUS_ERROR, "thread pool: could not create a condition");
    }
    return EMBER_STATUS_OK;
}

static struct ember_threadpool *alloc_pool(ember_context *ctx, size_t threads) {
    const ember_allocator *a = ctx->allocator ? ctx->allocator : ember_default_allocator();
    size_t size = sizeof(struct ember_threadpool) + (threads - 1) * sizeof(worker);
    struct ember_threadpool *pool = a->alloc(a->user, size, 64);
    if (pool == NULL) {
        ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                   "out of memory: could not allocate the thread pool (%zu bytes)", size);
        return NULL;
    }
    memset(pool, 0, size);
    pool->allocator = *a;
    pool->threads = threads;
    pool->workers = (worker *)(pool + 1);
    atomic_init(&pool->stop, false);
    atomic_init(&pool->remaining, 0);
    atomic_init(&pool->pending, 0);
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->sleepers, 0);
    atomic_init(&pool->caller_asleep, false);
    return pool;
}

ember_status ember_threadpool_create(ember_context *ctx, int32_t num_threads) {
    ctx->pool = NULL;
    if (num_threads <= 1)
        return EMBER_STATUS_OK;
    if (num_threads > EMBER_MAX_THREADS)
        return ember_fail(ctx, EMBER_STATUS_INVALID_ARGUMENT,
                          "num_threads is %d; at most %d are supported", (int)num_threads,
                          EMBER_MAX_THREADS);
    struct ember_threadpool *pool = alloc_pool(ctx, (size_t)num_threads);
    if (pool == NULL)
        return EMBER_STATUS_NO_MEMORY;
    ember_status st = init_sync(ctx, pool);
    if (st != EMBER_STATUS_OK) {
        ember_allocator a = pool->allocator;
        a.free(a.user, pool);
        return st;
    }
    for (size_t w = 0; w + 1 < pool->threads; w++) {
        pool->workers[w] = (worker){.pool = pool, .index = w + 1};
        int err = pthread_create(&pool->workers[w].id, NULL, worker_main, &pool->workers[w]);
        if (err != 0) {
            stop_workers(pool);
            free_pool(pool);
            return ember_fail(ctx, EMBER_STATUS_ERROR,
                              "num_threads is %d: could not start thread %zu (pthread_create "
                              "error %d); try fewer threads",
                              (int)num_threads, w + 1, err);
        }
        pool->started++;
    }
    ctx->pool = pool;
    return EMBER_STATUS_OK;
}

void ember_threadpool_destroy(ember_context *ctx) {
    struct ember_threadpool *pool = ctx->pool;
    ctx->pool = NULL;
    if (pool == NULL)
        return;
    stop_workers(pool);
    free_pool(pool);
}

size_t ember_thread_count(const ember_context *ctx) {
    return ctx->pool != NULL ? ctx->pool->threads : 1;
}

#else /* !EMBER_HAVE_THREADS: every task runs on the calling thread; num_threads is ignored. */

ember_status ember_threadpool_create(ember_context *ctx, int32_t num_threads) {
    (void)num_threads;
    ctx->pool = NULL;
    return EMBER_STATUS_OK;
}

void ember_threadpool_destroy(ember_context *ctx) {
    ctx->pool = NULL;
}

size_t ember_thread_count(const ember_context *ctx) {
    (void)ctx;
    return 1;
}

#endif /* EMBER_HAVE_THREADS */

/* Without a pool, with a single tile, or inside a task, the tiles run here in order with no
   synchronisation. */
static void run_job(ember_context *ctx, const job *jb) {
    size_t thread = 0;
#if EMBER_HAVE_THREADS
    if (task_thread != 0)
        thread = task_thread - 1;
    else if (ctx->pool != NULL && jb->count > 1) {
        dispatch(ctx->pool, jb);
        return;
    }
#else
    (void)ctx;
#endif
    for (size_t k = 0; k < jb->count; k++)
        run_tile(jb, thread, k);
}

void ember_parallel_1d(ember_context *ctx, ember_task_1d fn, const void *arg, size_t range,
                       size_t tile) {
    if (range == 0)
        return;
    if (tile == 0 || tile > range)
        tile = range;
    job jb = {fn, NULL, arg, range, tile, 1, 1, 1, tiles_of(range, tile)};
    run_job(ctx, &jb);
}

void ember_parallel_2d(ember_context *ctx, ember_task_2d fn, const void *arg, size_t range_i,
                       size_t tile_i, size_t range_j, size_t tile_j) {
    if (range_i == 0 || range_j == 0)
        return;
    if (tile_i == 0 || tile_i > range_i)
        tile_i = range_i;
    if (tile_j == 0 || tile_j > range_j)
        tile_j = range_j;
    size_t tiles_j = tiles_of(range_j, tile_j);
    job jb = {NULL, fn, arg, range_i, tile_i, range_j, tile_j, tiles_j,
              tiles_of(range_i, tile_i) * tiles_j};
    run_job(ctx, &jb);
}
