/* The thread pool's own cost (csrc/threadpool.c), for 1..N threads: nanoseconds per
   ember_parallel_1d call of `threads` tiles that do nothing (the caller may run them all before
   a worker looks), and of tiles that each wait until every thread holds one (a full fork-join:
   every worker must wake), back to back and after a gap of busy work on the calling thread (the
   workers have gone from polling to yielding to asleep); then a compute-bound job of equal
   tiles, 1 thread against N, for the pool's scaling on this machine.

   Usage: bench_threadpool [--threads N] [--calls N]
   Wall-clock numbers: on a machine other processes share, a thread preempted while it holds a
   tile shows up here, so compare medians taken in one run. */
#define _POSIX_C_SOURCE 200809L
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "threadpool.h"

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void empty_task(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)arg, (void)thread, (void)begin, (void)end;
}

/* Calls so far times threads, plus the tiles of this call that have started. */
static atomic_long joined;

/* Waits until every tile of the call has started: each thread then holds exactly one. */
static void join_task(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)thread, (void)begin, (void)end;
    const long target = *(const long *)arg;
    atomic_fetch_add(&joined, 1);
    /* Then yielding: with more threads than free cores, the one awaited may need this core. */
    for (int spin = 0; atomic_load(&joined) < target; spin++)
        if (spin > 2000)
            sched_yield();
}

/* About `arg` nanoseconds of dependent floating-point work per element of the tile. */
static void work_task(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)thread;
    const long steps = *(const long *)arg;
    volatile float sink;
    for (size_t e = begin; e < end; e++) {
        float x = 1.0f;
        for (long s = 0; s < steps; s++)
            x = x * 0.999999f + 1e-7f;
        sink = x;
    }
    (void)sink;
}

static volatile double spin_sink;

static void busy_ns(double ns) {
    double t0 = now_ns();
    while (now_ns() - t0 < ns)
        spin_sink += 1.0;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median and 90th percentile of `calls` timed dispatches of `tiles` tiles (empty, or joining
   every thread), each after `gap_ns` of busy work on the caller. */
static void time_dispatch(ember_context *ctx, size_t tiles, bool join, double gap_ns, int calls,
                          double *median, double *p90) {
    double *t = malloc(sizeof *t * (size_t)calls);
    if (t == NULL)
        exit(1);
    for (int c = 0; c < calls; c++) {
        if (gap_ns > 0)
            busy_ns(gap_ns);
        long target = atomic_load(&joined) + (long)tiles;
        double t0 = now_ns();
        ember_parallel_1d(ctx, join ? join_task : empty_task, &target, tiles, 1);
        t[c] = now_ns() - t0;
    }
    qsort(t, (size_t)calls, sizeof *t, by_value);
    *median = t[calls / 2];
    *p90 = t[calls * 9 / 10];
    free(t);
}

static double time_work(ember_context *ctx, long steps, int calls) {
    double best = 1e300;
    for (int c = 0; c < calls; c++) {
        double t0 = now_ns();
        ember_parallel_1d(ctx, work_task, &steps, 64, 1);
        double t = now_ns() - t0;
        best = t < best ? t : best;
    }
    return best;
}

static bool make_pool(ember_context *ctx, char *msg, size_t msg_size, int threads) {
    memset(ctx, 0, sizeof *ctx);
    ctx->msg = msg;
    ctx->msg_size = msg_size;
    if (ember_threadpool_create(ctx, threads) != EMBER_STATUS_OK) {
        fprintf(stderr, "%d threads: %s\n", threads, msg);
        return false;
    }
    return true;
}

int main(int argc, char **argv) {
    int max_threads = 4, calls = 20000;
    for (int a = 1; a + 1 < argc; a += 2) {
        if (strcmp(argv[a], "--threads") == 0)
            max_threads = atoi(argv[a + 1]);
        else if (strcmp(argv[a], "--calls") == 0)
            calls = atoi(argv[a + 1]);
    }
    if (max_threads < 1 || calls < 10) {
        fprintf(stderr, "usage: bench_threadpool [--threads N >= 1] [--calls N >= 10]\n");
        return 2;
    }
    /* (join, gap): empty back to back; joined back to back, after 20 us, after 200 us. */
    static const struct {
        bool join;
        double gap_ns;
    } columns[] = {{false, 0}, {true, 0}, {true, 20e3}, {true, 200e3}};
    char msg[256];
    ember_context ctx;
    printf("ns per call (median / p90), tiles = threads\n");
    printf("threads   empty          joined         joined,        joined,\n");
    printf("          back-to-back   back-to-back   after 20 us    after 200 us\n");
    for (int threads = 1; threads <= max_threads; threads++) {
        if (!make_pool(&ctx, msg, sizeof msg, threads))
            return 1;
        printf("%7d", threads);
        for (size_t c = 0; c < sizeof columns / sizeof columns[0]; c++) {
            double median, p90, gap = columns[c].gap_ns;
            int n = gap > 0 ? calls / (gap > 50e3 ? 100 : 10) : calls;
            time_dispatch(&ctx, (size_t)threads, columns[c].join, gap, n < 10 ? 10 : n, &median,
                          &p90);
            printf("   %6.0f / %-6.0f", median, p90);
        }
        printf("\n");
        ember_threadpool_destroy(&ctx);
    }
    /* 64 tiles of ~20 us each: the pool's speed-up where the work divides evenly. */
    const long steps = 5000;
    if (!make_pool(&ctx, msg, sizeof msg, 1))
        return 1;
    double one = time_work(&ctx, steps, 20);
    ember_threadpool_destroy(&ctx);
    printf("compute-bound job, 64 tiles: 1 thread %.2f ms (best of 20)\n", one * 1e-6);
    for (int threads = 2; threads <= max_threads; threads++) {
        if (!make_pool(&ctx, msg, sizeof msg, threads))
            return 1;
        double many = time_work(&ctx, steps, 20);
        ember_threadpool_destroy(&ctx);
        printf("  %d threads %.2f ms: x%.2f\n", threads, many * 1e-6, one / many);
    }
    return 0;
}
