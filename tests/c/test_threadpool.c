/* The thread pool (csrc/threadpool.c): every tile of 1-D and 2-D ranges runs exactly once, with
   the right bounds and a thread index below ember_thread_count, for 1..4 threads and ranges and
   tiles that do not divide; tiles really run at the same time; a task's own parallel call runs
   inline under its thread index; 10k dispatches in a row lose no tile; create/destroy cycles
   leak nothing; dispatch allocates nothing; bad thread counts and allocator failures are
   refused with a message. Built with ThreadSanitizer by `make c-test-tsan`. */
#include <sched.h>
#include <stdatomic.h>

#include "threadpool.h"
#include "test_util.h"

typedef struct counter {
    long calls, fail_at, live;
} counter;

static void *count_alloc(void *user, size_t size, size_t align) {
    counter *c = user;
    if (++c->calls == c->fail_at)
        return NULL;
    void *p = aligned_alloc(align, size ? (size + align - 1) / align * align : align);
    c->live += p != NULL;
    return p;
}

static void count_free(void *user, void *ptr) {
    counter *c = user;
    c->live -= ptr != NULL;
    free(ptr);
}

typedef struct fixture {
    counter count;
    ember_allocator allocator;
    char msg[256];
    ember_context ctx;
} fixture;

static void fixture_init(fixture *f) {
    memset(f, 0, sizeof *f);
    f->allocator = (ember_allocator){count_alloc, count_free, &f->count};
    f->ctx.msg = f->msg;
    f->ctx.msg_size = sizeof f->msg;
    f->ctx.allocator = &f->allocator;
}

#define MAX_RANGE 600

/* What the tasks saw: hits per element, and every tile's bounds checked against the job. */
typedef struct record {
    size_t range_i, tile_i, range_j, tile_j, threads;
    atomic_int hits[MAX_RANGE];
    atomic_int bad; /* tiles with wrong bounds or thread index */
} record;

static void record_reset(record *r, size_t range_i, size_t tile_i, size_t range_j, size_t tile_j,
                         size_t threads) {
    r->range_i = range_i, r->tile_i = tile_i ? tile_i : range_i;
    r->range_j = range_j, r->tile_j = tile_j ? tile_j : range_j;
    r->threads = threads;
    for (size_t e = 0; e < MAX_RANGE; e++)
        atomic_init(&r->hits[e], 0);
    atomic_init(&r->bad, 0);
}

/* A tile is right when it starts on a tile boundary and ends at the next one or the range end. */
static bool tile_ok(size_t begin, size_t len, size_t range, size_t tile) {
    size_t want = range - begin < tile ? range - begin : tile;
    return begin % tile == 0 && begin < range && len == want;
}

static void task_1d(const void *arg, size_t thread, size_t begin, size_t end) {
    record *r = (record *)arg;
    if (thread >= r->threads || end < begin || !tile_ok(begin, end - begin, r->range_i, r->tile_i))
        atomic_fetch_add(&r->bad, 1);
    for (size_t e = begin; e < end && e < MAX_RANGE; e++)
        atomic_fetch_add(&r->hits[e], 1);
}

static void task_2d(const void *arg, size_t thread, size_t i, size_t i_len, size_t j,
                    size_t j_len) {
    record *r = (record *)arg;
    if (thread >= r->threads || !tile_ok(i, i_len, r->range_i, r->tile_i) ||
        !tile_ok(j, j_len, r->range_j, r->tile_j))
        atomic_fetch_add(&r->bad, 1);
    for (size_t a = i; a < i + i_len; a++)
        for (size_t b = j; b < j + j_len; b++)
            if (a * r->range_j + b < MAX_RANGE)
                atomic_fetch_add(&r->hits[a * r->range_j + b], 1);
}

static bool each_once(record *r, size_t elements) {
    for (size_t e = 0; e < elements; e++)
        if (atomic_load(&r->hits[e]) != 1)
            return false;
    return atomic_load(&r->bad) == 0;
}

static void check_ranges(ember_context *ctx, size_t threads) {
    static record r;
    static const size_t cases_1d[][2] = {{1, 1}, {1, 0}, {7, 1}, {7, 2}, {7, 3}, {7, 7},
                                         {7, 9}, {100, 0}, {101, 4}, {599, 13}, {64, 16}};
    for (size_t c = 0; c < sizeof cases_1d / sizeof cases_1d[0]; c++) {
        size_t range = cases_1d[c][0], tile = cases_1d[c][1];
        record_reset(&r, range, tile, 1, 1, threads);
        ember_parallel_1d(ctx, task_1d, &r, range, tile);
        CHECK_MSG(each_once(&r, range), "1-D range %zu tile %zu, %zu threads", range, tile,
                  threads);
    }
    static const size_t cases_2d[][4] = {{1, 1, 1, 1}, {7, 3, 5, 2}, {5, 0, 9, 0}, {13, 4, 1, 1},
                                         {1, 1, 31, 4}, {23, 5, 17, 3}, {20, 1, 30, 30},
                                         {3, 7, 11, 20}};
    for (size_t c = 0; c < sizeof cases_2d / sizeof cases_2d[0]; c++) {
        const size_t *k = cases_2d[c];
        record_reset(&r, k[0], k[1], k[2], k[3], threads);
        ember_parallel_2d(ctx, task_2d, &r, k[0], k[1], k[2], k[3]);
        CHECK_MSG(each_once(&r, k[0] * k[2]), "2-D %zux%zu tiles %zux%zu, %zu threads", k[0],
                  k[2], k[1], k[3], threads);
    }
    /* Empty ranges call nothing. */
    record_reset(&r, 0, 1, 1, 1, threads);
    ember_parallel_1d(ctx, task_1d, &r, 0, 4);
    ember_parallel_2d(ctx, task_2d, &r, 0, 1, 5, 1);
    ember_parallel_2d(ctx, task_2d, &r, 5, 1, 0, 1);
    CHECK(each_once(&r, 0) && atomic_load(&r.hits[0]) == 0);
}

/* Every tile waits (bounded) until all `threads` tiles have started: only a pool that runs them
   on `threads` threads at once lets every tile see them all. */
typedef struct rendezvous {
    size_t threads;
    atomic_size_t arrived;
    atomic_int missed;
} rendezvous;

static void task_meet(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)thread, (void)begin, (void)end;
    rendezvous *r = (rendezvous *)arg;
    atomic_fetch_add(&r->arrived, 1);
    long spins = 0;
    while (atomic_load(&r->arrived) < r->threads && spins++ < 20000000)
        sched_yield();
    if (atomic_load(&r->arrived) < r->threads)
        atomic_fetch_add(&r->missed, 1);
}

static void check_concurrent(ember_context *ctx, size_t threads) {
    rendezvous r = {threads, 0, 0};
    ember_parallel_1d(ctx, task_meet, &r, threads, 1);
    CHECK_MSG(atomic_load(&r.missed) == 0 && atomic_load(&r.arrived) == threads,
              "%zu tiles did not run at once on %zu threads", threads, threads);
}

/* A task that runs a 2-D job of its own: the inner tiles must all run, on the outer task's
   thread index (so per-thread scratch stays private), while the outer job goes on. */
typedef struct nested {
    ember_context *ctx;
    record inner[8]; /* one per outer tile */
    atomic_int wrong_thread;
} nested;

typedef struct inner_arg {
    record *rec;
    size_t thread;
    atomic_int *wrong_thread;
} inner_arg;

static void task_inner(const void *arg, size_t thread, size_t i, size_t i_len, size_t j,
                       size_t j_len) {
    const inner_arg *a = arg;
    if (thread != a->thread)
        atomic_fetch_add(a->wrong_thread, 1);
    task_2d(a->rec, thread, i, i_len, j, j_len);
}

static void task_outer(const void *arg, size_t thread, size_t begin, size_t end) {
    nested *n = (nested *)arg;
    for (size_t t = begin; t < end; t++) {
        inner_arg a = {&n->inner[t], thread, &n->wrong_thread};
        ember_parallel_2d(n->ctx, task_inner, &a, 5, 2, 7, 3);
    }
}

static void check_nested(ember_context *ctx, size_t threads) {
    static nested n;
    n.ctx = ctx;
    atomic_init(&n.wrong_thread, 0);
    for (size_t t = 0; t < 8; t++)
        record_reset(&n.inner[t], 5, 2, 7, 3, threads);
    ember_parallel_1d(ctx, task_outer, &n, 8, 1);
    bool all = true;
    for (size_t t = 0; t < 8; t++)
        all = all && each_once(&n.inner[t], 5 * 7);
    CHECK_MSG(all && atomic_load(&n.wrong_thread) == 0, "nested jobs on %zu threads", threads);
}

static void task_count(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)thread;
    atomic_fetch_add((atomic_long *)arg, (long)(end - begin));
}

static void task_count_2d(const void *arg, size_t thread, size_t i, size_t i_len, size_t j,
                          size_t j_len) {
    (void)thread, (void)i, (void)j;
    atomic_fetch_add((atomic_long *)arg, (long)(i_len * j_len));
}

static void check_pool(int32_t threads) {
    fixture f;
    fixture_init(&f);
    CHECK(ember_threadpool_create(&f.ctx, threads) == EMBER_STATUS_OK);
    size_t n = ember_thread_count(&f.ctx);
#if EMBER_HAVE_THREADS
    CHECK_MSG(n == (size_t)(threads < 1 ? 1 : threads), "%d threads: count %zu", threads, n);
    CHECK((f.ctx.pool == NULL) == (threads <= 1));
#else
    CHECK(n == 1 && f.ctx.pool == NULL);
#endif
    long calls = f.count.calls;
    check_ranges(&f.ctx, n);
    check_concurrent(&f.ctx, n);
    check_nested(&f.ctx, n);
    /* Back-to-back dispatches: a tile lost or run twice across jobs changes the sum. */
    atomic_long sum;
    atomic_init(&sum, 0);
    for (int rep = 0; rep < 10000; rep++) {
        if (rep % 2 == 0)
            ember_parallel_1d(&f.ctx, task_count, &sum, 9, 1);
        else
            ember_parallel_2d(&f.ctx, task_count_2d, &sum, 3, 1, 5, 2);
    }
    CHECK_MSG(atomic_load(&sum) == 5000L * 9 + 5000L * 15, "%d threads: sum %ld", threads,
              atomic_load(&sum));
    CHECK_MSG(f.count.calls == calls, "%d threads: dispatch allocated %ld times", threads,
              f.count.calls - calls);
    ember_threadpool_destroy(&f.ctx);
    CHECK(f.ctx.pool == NULL && ember_thread_count(&f.ctx) == 1);
    CHECK_MSG(f.count.live == 0, "%d threads: %ld blocks leaked", threads, f.count.live);
}

/* Pools created and destroyed in a row, some never dispatched to, some once. */
static void check_cycles(void) {
    fixture f;
    fixture_init(&f);
    for (int cycle = 0; cycle < 40; cycle++) {
        CHECK(ember_threadpool_create(&f.ctx, 2 + cycle % 3) == EMBER_STATUS_OK);
        if (cycle % 2) {
            atomic_long sum;
            atomic_init(&sum, 0);
            ember_parallel_1d(&f.ctx, task_count, &sum, 10, 3);
            CHECK(atomic_load(&sum) == 10);
        }
        ember_threadpool_destroy(&f.ctx);
    }
    CHECK(f.count.live == 0);
    ember_threadpool_destroy(&f.ctx); /* a second destroy is harmless */
}

static void check_refusals(void) {
#if EMBER_HAVE_THREADS
    fixture f;
    fixture_init(&f);
    CHECK(ember_threadpool_create(&f.ctx, 100000) == EMBER_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(f.msg, "num_threads") != NULL && f.ctx.pool == NULL);
    f.count.fail_at = f.count.calls + 1;
    CHECK(ember_threadpool_create(&f.ctx, 3) == EMBER_STATUS_NO_MEMORY);
    CHECK(strstr(f.msg, "memory") != NULL && f.ctx.pool == NULL && f.count.live == 0);
    CHECK(ember_threadpool_create(&f.ctx, 3) == EMBER_STATUS_OK); /* not sticky */
    ember_threadpool_destroy(&f.ctx);
    CHECK(f.count.live == 0);
#endif
}

int main(void) {
    for (int32_t threads = -1; threads <= 4; threads++)
        check_pool(threads);
    check_cycles();
    check_refusals();
    return test_report("test_threadpool");
}
