/* Runner of the structure-aware .ember fuzzer (tests/fuzz/fuzz_ember.py), built with ASan and
   UBSan against the sanitized library. Usage: fuzz_ember_run FILE|DIR...
   For each model (a directory's *.ember files in name order) it prints "RUN <path>", then
   creates the interpreter with the content hash checked, allocates, fills the inputs with
   pseudo-random bytes drawn from the file's own bytes, invokes, overwrites every other
   run-time tensor (outputs included) with other bytes and invokes a second time with the same
   inputs (set once, as a caller may). Both invokes must give the same status and the same
   output bytes: a difference means a kernel read memory it had not written in this invoke
   (another tensor, its own output, stale scratch) or wrote over an input. A refusal at
   create or allocate is no finding ("REFUSED"); a crash, a sanitizer report or a mismatch
   ends the process with a non-zero status right after the "RUN" line of the model that
   caused it, so the driver knows which it was. A model with dynamic dims is then resized
   (each dynamic dim to its min, then to a size drawn from the seed), allocated and run the
   same way at each size ("RESIZED" lines). */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emberlite.h"
#include "fuzz_runner.h"

/* Floats are mostly ordinary values in [-8, 8) (so the kernels' arithmetic paths run), now and
   then raw bytes (NaN, infinities, denormals); other types get raw bytes, bools 0 or 1. */
static void fill(void *dst, const ember_tensor_info *info, uint64_t *s) {
    uint8_t *p = dst;
    const int raw = next(s) % 8 == 0;
    if (info->type == EMBER_TYPE_FLOAT32 && !raw) {
        for (size_t i = 0; i + 4 <= info->bytes; i += 4) {
            float v = (float)((int64_t)(next(s) >> 40) - (1 << 23)) / (float)(1 << 20);
            memcpy(p + i, &v, 4);
        }
        return;
    }
    for (size_t i = 0; i < info->bytes; i++) {
        uint8_t v = (uint8_t)(next(s) >> 56);
        p[i] = info->type == EMBER_TYPE_BOOL ? (uint8_t)(v & 1) : v;
    }
}

static int is_input(const ember_interp *ip, uint32_t t) {
    for (uint32_t i = 0; i < ember_interp_input_count(ip); i++)
        if (ember_interp_input_tensor(ip, i) == t)
            return 1;
    return 0;
}

static void fill_inputs(ember_interp *ip, uint64_t seed) {
    for (uint32_t i = 0; i < ember_interp_input_count(ip); i++) {
        const uint32_t t = ember_interp_input_tensor(ip, i);
        ember_tensor_info info;
        void *data = ember_interp_tensor_data(ip, t);
        if (data && ember_interp_tensor_info(ip, t, &info) == EMBER_STATUS_OK)
            fill(data, &info, &seed);
    }
}

/* Overwrites every run-time tensor but the inputs with bytes unlike the first invoke's. */
static void scribble(ember_interp *ip, uint64_t seed) {
    for (uint32_t t = 0; t < ember_interp_tensor_count(ip); t++) {
        ember_tensor_info info;
        void *data = ember_interp_tensor_data(ip, t);
        if (data == NULL || ember_interp_tensor_info(ip, t, &info) != EMBER_STATUS_OK ||
            info.is_constant || is_input(ip, t))
            continue;
        memset(data, (int)(0x5a ^ (next(&seed) & 0xff)), info.bytes);
    }
}

/* Copies of the outputs' bytes after an invoke, concatenated; NULL when they are too big. */
static uint8_t *snapshot(ember_interp *ip, size_t *total) {
    *total = 0;
    for (uint32_t i = 0; i < ember_interp_output_count(ip); i++) {
        ember_tensor_info info;
        if (ember_interp_tensor_info(ip, ember_interp_output_tensor(ip, i), &info) ==
            EMBER_STATUS_OK)
            *total += info.bytes;
    }
    uint8_t *copy = malloc(*total ? *total : 1);
    size_t at = 0;
    for (uint32_t i = 0; copy && i < ember_interp_output_count(ip); i++) {
        const uint32_t t = ember_interp_output_tensor(ip, i);
        ember_tensor_info info;
        const void *data = ember_interp_tensor_data(ip, t);
        if (ember_interp_tensor_info(ip, t, &info) != EMBER_STATUS_OK)
            continue;
        if (data)
            memcpy(copy + at, data, info.bytes);
        at += info.bytes;
    }
    return copy;
}

/* 0: ran or refused; 3: the two invokes disagree. */
static int run_interp(ember_interp *ip, uint64_t seed) {
    fill_inputs(ip, seed);
    const ember_status first = ember_interp_invoke(ip);
    size_t n1, n2;
    uint8_t *out1 = snapshot(ip, &n1);
    scribble(ip, seed ^ 0x9e3779b97f4a7c15ull);
    const ember_status second = ember_interp_invoke(ip);
    uint8_t *out2 = snapshot(ip, &n2);
    int rc = 0;
    if (first != second) {
        printf("MISMATCH invoke statuses %s then %s: %s\n", ember_status_str(first),
               ember_status_str(second), ember_errmsg(ip));
        rc = 3;
    } else if (first == EMBER_STATUS_OK && out1 && out2 && n1 == n2 && memcmp(out1, out2, n1)) {
        size_t i = 0;
        while (out1[i] == out2[i])
            i++;
        printf("MISMATCH outputs differ between two invokes at output byte %zu of %zu\n", i, n1);
        rc = 3;
    } else {
        printf("INVOKED %s%s%s\n", ember_status_str(first), first ? ": " : "",
               first ? ember_errmsg(ip) : "");
    }
    free(out1);
    free(out2);
    return rc;
}

/* Resizes every graph input: each dynamic dim to its min (draw == 0) or to a size in its
   range drawn from *s; fixed dims keep their size. Returns whether any dim is dynamic. */
static int resize_inputs(ember_interp *ip, int draw, uint64_t *s) {
    int dynamic = 0;
    for (uint32_t i = 0; i < ember_interp_input_count(ip); i++) {
        const uint32_t t = ember_interp_input_tensor(ip, i);
        ember_tensor_info info;
        if (ember_interp_tensor_info(ip, t, &info) != EMBER_STATUS_OK)
            continue;
        int32_t dims[EMBER_MAX_RANK];
        for (uint32_t d = 0; d < info.rank; d++) {
            int32_t lo = info.dims[d], hi = info.dims[d];
            const char *name;
            ember_interp_dim_range(ip, t, d, &lo, &hi, &name);
            dynamic |= lo != hi;
            const uint64_t span = (uint64_t)((int64_t)hi - lo + 1);
            dims[d] = draw && lo != hi ? (int32_t)(lo + (int64_t)(next(s) % span)) : lo;
        }
        if (dynamic && ember_interp_resize_input(ip, i, dims, info.rank) != EMBER_STATUS_OK)
            printf("RESIZE refused: %s\n", ember_errmsg(ip));
    }
    return dynamic;
}

/* The model at its dynamic dims' minima and at a drawn size: 0, or run_interp's 3. */
static int run_resized(ember_interp *ip, uint64_t seed) {
    uint64_t s = seed ^ 0x2545f4914f6cdd1dull;
    for (int draw = 0; draw < 2; draw++) {
        if (!resize_inputs(ip, draw, &s))
            return 0;
        const ember_status st = ember_interp_allocate(ip);
        printf("RESIZED allocate %s%s%s\n", ember_status_str(st), st ? ": " : "",
               st ? ember_errmsg(ip) : "");
        const int rc = st == EMBER_STATUS_OK ? run_interp(ip, seed + (uint64_t)draw + 1) : 0;
        if (rc)
            return rc;
    }
    return 0;
}

static int run_model(const char *path) {
    size_t size = 0;
    uint8_t *data = start_model(path, &size);
    if (data == NULL)
        return 0;
    ember_options options;
    capped_options(&options);
    ember_interp *ip = NULL;
    int rc = 0;
    ember_status st = ember_interp_create(data, size, &options, &ip);
    if (st != EMBER_STATUS_OK)
        printf("REFUSED create %s: %s\n", ember_status_str(st), ip ? ember_errmsg(ip) : "");
    else if ((st = ember_interp_allocate(ip)) != EMBER_STATUS_OK)
        printf("REFUSED allocate %s: %s\n", ember_status_str(st), ember_errmsg(ip));
    else if ((rc = run_interp(ip, seed_of(data, size))) == 0)
        rc = run_resized(ip, seed_of(data, size));
    ember_interp_destroy(ip);
    free(data);
    fflush(stdout);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const int rc = run_dir(argv[i], run_model);
        if (rc)
            return rc;
    }
    printf("DONE\n");
    return 0;
}
