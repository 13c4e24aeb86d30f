/* Cold start of one model, split into its steps: getting the file's bytes (mmap, or one read),
   ember_interp_create (verification and the content hash), ember_interp_allocate (every node's
   prepare: weight packing, indirection buffers; the arena), the first invoke and a second one,
   each timed with CLOCK_MONOTONIC, with RSS (VmRSS) after each and the peak (VmHWM) at the end.

   Usage: bench_coldstart [--runs N] [--read | --populate] [--no-hash] [--threads N] [--isa-none]
                          [--verbose] model.ember
   --read reads the file into memory instead of mapping it; --populate maps it with
   MAP_POPULATE (every page mapped by the one mmap call instead of faulted in by the hash).
   With --runs N > 1 the program runs itself again N times, each in a fresh process (fork + exec),
   and prints the median of every column: a fresh process is the point (page faults, page
   cache aside). One line per run with --verbose. */
#define _DEFAULT_SOURCE /* MAP_POPULATE; POSIX 2008 too */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emberlite.h"

enum { COL_READ, COL_CREATE, COL_ALLOC, COL_INVOKE1, COL_INVOKE2, COL_TOTAL, COL_CPU_CREATE,
       COL_CPU_ALLOC, COL_CPU_INVOKE1, COL_CPU_TOTAL, COL_RSS_LOAD, COL_RSS_ALLOC, COL_RSS_INVOKE,
       COL_HWM, COL_COUNT };
static const char *const col_names[COL_COUNT] = {
    "read ms", "create ms", "allocate ms", "invoke1 ms", "invoke2 ms", "file->result ms",
    "cpu create ms", "cpu allocate ms", "cpu invoke1 ms", "cpu file->result",
    "RSS+ create MiB", "RSS+ alloc MiB", "RSS+ invoke MiB", "peak RSS+ MiB"};

static double clock_ms(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Wall clock, and this process's CPU time (all threads: with other processes on the machine,
   the steadier of the two, though it misses time spent waiting for a core). */
typedef struct {
    double wall, cpu;
} stamp;

static stamp now(void) {
    return (stamp){clock_ms(CLOCK_MONOTONIC), clock_ms(CLOCK_PROCESS_CPUTIME_ID)};
}

/* A field of /proc/self/status in KiB (0 where there is no /proc). */
static long status_kib(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return 0;
    char line[256];
    long kib = 0;
    const size_t n = strlen(field);
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            kib = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

typedef struct {
    int read_file, populate, verify_hash, threads, isa_none;
} config;

/* The file's bytes: a private read-only map (what the Python runtime does), or one read into a
   64-byte aligned buffer. */
static const void *load_file(const char *path, const config *cfg, size_t *size) {
    const int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(path);
        return NULL;
    }
    *size = (size_t)st.st_size;
    void *data = NULL;
    if (cfg->read_file) {
        if (posix_memalign(&data, 64, *size) != 0 || read(fd, data, *size) != (ssize_t)*size)
            data = NULL;
    } else {
#if defined(MAP_POPULATE)
        const int flags = MAP_SHARED | (cfg->populate ? MAP_POPULATE : 0);
#else
        const int flags = MAP_SHARED;
#endif
        data = mmap(NULL, *size, PROT_READ, flags, fd, 0);
        if (data == MAP_FAILED)
            data = NULL;
    }
    close(fd);
    if (data == NULL)
        fprintf(stderr, "%s: cannot load\n", path);
    return data;
}

/* One cold start in this process; fills col[] and returns 0, or prints why and returns 1. */
static int run_once(const char *path, const config *cfg, double *col) {
    const long rss0 = status_kib("VmRSS");
    const stamp t0 = now();
    size_t size = 0;
    const void *data = load_file(path, cfg, &size);
    if (data == NULL)
        return 1;
    const stamp t1 = now();
    ember_options opts;
    ember_options_init(&opts);
    opts.verify_hash = cfg->verify_hash;
    opts.num_threads = cfg->threads;
    if (cfg->isa_none)
        opts.isa_mask = EMBER_ISA_NONE;
    ember_interp *ip = NULL;
    ember_status st = ember_interp_create(data, size, &opts, &ip);
    const stamp t2 = now();
    const long rss_create = status_kib("VmRSS");
    if (st == EMBER_STATUS_OK)
        st = ember_interp_allocate(ip);
    const stamp t3 = now();
    const long rss_alloc = status_kib("VmRSS");
    if (st == EMBER_STATUS_OK) {
        ember_tensor_info info;
        const uint32_t in = ember_interp_input_tensor(ip, 0);
        if (ember_interp_tensor_info(ip, in, &info) == EMBER_STATUS_OK)
            memset(ember_interp_tensor_data(ip, in), 0, info.bytes);
        st = ember_interp_invoke(ip);
    }
    const stamp t4 = now();
    const long rss_invoke = status_kib("VmRSS");
    if (st == EMBER_STATUS_OK)
        st = ember_interp_invoke(ip);
    const stamp t5 = now();
    if (st != EMBER_STATUS_OK) {
        fprintf(stderr, "%s: %s\n", path, ip ? ember_errmsg(ip) : ember_status_str(st));
        return 1;
    }
    const double mib = 1.0 / 1024;
    const double v[COL_COUNT] = {t1.wall - t0.wall, t2.wall - t1.wall, t3.wall - t2.wall,
                                 t4.wall - t3.wall, t5.wall - t4.wall, t4.wall - t0.wall,
                                 t2.cpu - t1.cpu, t3.cpu - t2.cpu, t4.cpu - t3.cpu,
                                 t4.cpu - t0.cpu,
                                 (double)(rss_create - rss0) * mib,
                                 (double)(rss_alloc - rss0) * mib,
                                 (double)(rss_invoke - rss0) * mib,
                                 (double)(status_kib("VmHWM") - rss0) * mib};
    memcpy(col, v, sizeof v);
    ember_interp_destroy(ip);
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs argv (this program with --child) `runs` times in fresh processes, reading each child's
   columns from a pipe, and prints the medians. */
static int run_children(char **argv, int runs, int verbose) {
    double *all = calloc((size_t)runs * COL_COUNT, sizeof *all);
    if (all == NULL)
        return 1;
    for (int r = 0; r < runs; r++) {
        int fds[2];
        if (pipe(fds) != 0)
            return 1;
        const pid_t pid = fork();
        if (pid == 0) {
            dup2(fds[1], STDOUT_FILENO);
            close(fds[0]);
            execv(argv[0], argv);
            _exit(127);
        }
        close(fds[1]);
        FILE *f = fdopen(fds[0], "r");
        int got = 0;
        for (int c = 0; c < COL_COUNT && f != NULL; c++)
            got += fscanf(f, "%lf", &all[r * COL_COUNT + c]) == 1;
        if (f != NULL)
            fclose(f);
        int status = 0;
        waitpid(pid, &status, 0);
        if (got != COL_COUNT || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "run %d failed\n", r);
            return 1;
        }
        if (verbose) {
            for (int c = 0; c < COL_COUNT; c++)
                printf("%8.2f ", all[r * COL_COUNT + c]);
            printf("\n");
        }
    }
    double *column = malloc((size_t)runs * sizeof *column);
    for (int c = 0; c < COL_COUNT && column != NULL; c++) {
        for (int r = 0; r < runs; r++)
            column[r] = all[r * COL_COUNT + c];
        qsort(column, (size_t)runs, sizeof *column, cmp_double);
        printf("%-16s median %8.2f  min %8.2f  max %8.2f\n", col_names[c], column[runs / 2],
               column[0], column[runs - 1]);
    }
    free(column);
    free(all);
    return 0;
}

int main(int argc, char **argv) {
    config cfg = {0, 0, 1, 1, 0};
    int runs = 1, child = 0, verbose = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            cfg.threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--read") == 0)
            cfg.read_file = 1;
        else if (strcmp(argv[i], "--populate") == 0)
            cfg.populate = 1;
        else if (strcmp(argv[i], "--no-hash") == 0)
            cfg.verify_hash = 0;
        else if (strcmp(argv[i], "--isa-none") == 0)
            cfg.isa_none = 1;
        else if (strcmp(argv[i], "--verbose") == 0)
            verbose = 1;
        else if (strcmp(argv[i], "--child") == 0)
            child = 1;
        else
            path = argv[i];
    }
    if (path == NULL || runs < 1) {
        fprintf(stderr, "usage: %s [--runs N] [--read | --populate] [--no-hash] [--threads N] "
                        "[--isa-none] [--verbose] model.ember\n", argv[0]);
        return 2;
    }
    if (!child) {
        /* argv again, with --child appended: each run is a fresh exec of this program. */
        char **child_argv = calloc((size_t)argc + 2, sizeof *child_argv);
        if (child_argv == NULL)
            return 1;
        memcpy(child_argv, argv, (size_t)argc * sizeof *argv);
        child_argv[argc] = "--child";
        if (verbose) {
            for (int c = 0; c < COL_COUNT; c++)
                printf("%s | ", col_names[c]);
            printf("\n");
        }
        const int rc = run_children(child_argv, runs, verbose);
        free(child_argv);
        return rc;
    }
    double col[COL_COUNT];
    if (run_once(path, &cfg, col) != 0)
        return 1;
    for (int c = 0; c < COL_COUNT; c++)
        printf("%.4f\n", col[c]);
    return 0;
}
