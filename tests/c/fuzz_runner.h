/* What the runners of the structure-aware .ember fuzzer (tests/fuzz/fuzz_ember.py) share:
   fuzz_ember_run.c for the core, delegates/fuzz_opencl_run.c for the OpenCL delegate. Each
   reads the models it is given the same way, draws its pseudo-random inputs from a model's
   own bytes (so a finding replays), and caps what the interpreter may allocate. */
#ifndef EMBER_FUZZ_RUNNER_H
#define EMBER_FUZZ_RUNNER_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emberlite.h"

/* Largest block the interpreter may allocate (arena, tables, scratch): a model that asks for
   more is refused with NO_MEMORY instead of exhausting the machine. A runner may lower it
   (alloc_cap) where one model stands for many inputs and a slow one would pass for a hang. */
#define ALLOC_CAP ((size_t)256 << 20)
#define MAX_MODEL_BYTES ((size_t)64 << 20)

static size_t alloc_cap = ALLOC_CAP;

static inline void *capped_alloc(void *user, size_t size, size_t align) {
    (void)user;
    if (size > alloc_cap)
        return NULL;
    void *p = NULL;
    /* The exact size, so that ASan's redzone starts at the first byte past the block. */
    if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size ? size : 1))
        return NULL;
    return p;
}

static inline void capped_free(void *user, void *ptr) {
    (void)user;
    free(ptr);
}

/* xorshift64*: the input bytes of a model depend only on its bytes. */
static inline uint64_t next(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static inline uint64_t seed_of(const uint8_t *data, size_t size) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ull;
    return h | 1;
}

/* Interpreter options whose allocator is capped_alloc. */
static inline void capped_options(ember_options *options) {
    static const ember_allocator allocator = {capped_alloc, capped_free, NULL};
    ember_options_init(options);
    options->allocator = &allocator;
}

/* The file's bytes in a block of their exact size; NULL when unreadable or larger than
   MAX_MODEL_BYTES. */
static inline uint8_t *read_model(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *data = NULL;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (size_t)st.st_size <= MAX_MODEL_BYTES) {
        *size = (size_t)st.st_size;
        data = capped_alloc(NULL, *size, 64);
        if (data && fread(data, 1, *size, f) != *size) {
            free(data);
            data = NULL;
        }
    }
    fclose(f);
    return data;
}

/* Prints "RUN <path>" (flushed, so that a crash is pinned on this model) and reads the
   model; NULL, printed as "SKIPPED", when read_model cannot. */
static inline uint8_t *start_model(const char *path, size_t *size) {
    printf("RUN %s\n", path);
    fflush(stdout);
    uint8_t *data = read_model(path, size);
    if (data == NULL)
        printf("SKIPPED cannot read (or larger than %zu bytes)\n", MAX_MODEL_BYTES);
    return data;
}

static inline int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* run_model on each *.ember file of a directory, in name order, up to the first that
   returns non-zero (its status); on `dir` itself when it is a file. */
static inline int run_dir(const char *dir, int (*run_model)(const char *path)) {
    DIR *d = opendir(dir);
    if (d == NULL)
        return run_model(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        const size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 6, ".ember") != 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(names, cap * sizeof *names);
            if (grown == NULL)
                break;
            names = grown;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    int rc = 0;
    char path[4096];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (rc == 0)
            rc = run_model(path);
        free(names[i]);
    }
    free(names);
    return rc;
}

#endif /* EMBER_FUZZ_RUNNER_H */
