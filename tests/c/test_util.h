/* A minimal harness for the C tests: CHECK counts passes and failures, test_report prints the
   "N passed, N failed" line and gives the exit status, test_read_file loads a model into a
   64-byte aligned buffer. Each test program runs as `test_x MODEL_DIR`. */
#ifndef EMBER_TEST_UTIL_H
#define EMBER_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emberlite.h"

static int test_passed;
static int test_failed;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (cond) {                                                                    \
            test_passed++;                                                             \
        } else {                                                                       \
            test_failed++;                                                             \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);   \
        }                                                                              \
    } while (0)

/* Like CHECK, with a printf-style note for the failure (e.g. the case name). */
#define CHECK_MSG(cond, ...)                                                           \
    do {                                                                               \
        if (cond) {                                                                    \
            test_passed++;                                                             \
        } else {                                                                       \
            test_failed++;                                                             \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                              \
            fputc('\n', stderr);                                                       \
        }                                                                              \
    } while (0)

static inline int test_report(const char *name) {
    printf("%s: %d passed, %d failed\n", name, test_passed, test_failed);
    return test_failed != 0;
}

/* 64-byte aligned copy of `size` bytes (at least 64 allocated); free with free(). */
static inline uint8_t *test_aligned_copy(const void *data, size_t size) {
    size_t cap = (size + 63) / 64 * 64;
    uint8_t *buf = aligned_alloc(64, cap ? cap : 64);
    if (buf != NULL && size > 0)
        memcpy(buf, data, size);
    return buf;
}

/* Reads `dir/name` into a 64-byte aligned buffer; NULL (with a message) on failure. */
static inline uint8_t *test_read_file(const char *dir, const char *name, size_t *size) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s (run tests/c/make_models.py first)\n", path);
        return NULL;
    }
    uint8_t *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        size_t cap = ((size_t)n + 63) / 64 * 64;
        buf = aligned_alloc(64, cap ? cap : 64);
        if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    if (buf == NULL)
        fprintf(stderr, "cannot read %s\n", path);
    *size = buf ? (size_t)n : 0;
    return buf;
}

/* Creates an interpreter over the model with `options`, allocates, sets every input byte to
   `fill` and invokes; copies the message it ends with into msg and destroys it. Returns the
   first status that was not OK (OK when all were). */
static inline ember_status test_run_model(const uint8_t *model, size_t size,
                                          const ember_options *options, uint8_t fill,
                                          char *msg, size_t msg_size) {
    ember_interp *ip = NULL;
    ember_status st = ember_interp_create(model, size, options, &ip);
    if (st == EMBER_STATUS_OK)
        st = ember_interp_allocate(ip);
    for (uint32_t i = 0; st == EMBER_STATUS_OK && i < ember_interp_input_count(ip); i++) {
        uint32_t t = ember_interp_input_tensor(ip, i);
        ember_tensor_info info;
        ember_interp_tensor_info(ip, t, &info);
        memset(ember_interp_tensor_data(ip, t), fill, info.bytes);
    }
    if (st == EMBER_STATUS_OK)
        st = ember_interp_invoke(ip);
    snprintf(msg, msg_size, "%s", ember_errmsg(ip));
    ember_interp_destroy(ip);
    return st;
}

#define TEST_MAX_MODELS 128

/* The model names listed in `dir`/index.txt (written by make_models.py); returns the count. */
static inline int test_model_names(const char *dir, char names[][64], int max) {
    char path[1024];
    snprintf(path, sizeof path, "%s/index.txt", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s (run tests/c/make_models.py first)\n", path);
        return 0;
    }
    int n = 0;
    while (n < max && fgets(names[n], 64, f) != NULL) {
        names[n][strcspn(names[n], "\r\n")] = '\0';
        if (names[n][0] != '\0')
            n++;
    }
    fclose(f);
    return n;
}

#endif /* EMBER_TEST_UTIL_H */
