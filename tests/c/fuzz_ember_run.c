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
   same way at each size ("RESIZED" lines).
   With --mutants K each model is followed by K mutants of its bytes (mutate_model: flipped
   bits, and FlatBuffer words and bytes set to edge values), each with its content hash
   recomputed so that it gets past the hash to the verifier and the kernels; each is run like
   a model after a "MUTANT <k>" line. `--dump-mutant K OUT FILE` writes FILE's mutant K to OUT
   (how the driver keeps one that found something). */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember_internal.h"
#include "ember_schema.h"
#include "emberlite.h"
#include "fuzz_runner.h"

/* What a mutant may allocate: one generated model stands for many mutants, and a mutant that
   turns a dim into millions must be refused quickly, not run for seconds and pass for a hang. */
#define MUTANT_ALLOC_CAP ((size_t)4 << 20)

static unsigned mutant_count;

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

/* Create, allocate and both invokes (and the resized runs) of one file's bytes: 0, or
   run_interp's 3. */
static int run_bytes(const uint8_t *data, size_t size) {
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
    return rc;
}

/* Where a file's parts lie, for mutate_model: the content hash (hash_pos 0: none), the body
   it covers, and the end of the FlatBuffer (the first buffer's data, else the body's end). */
typedef struct layout {
    uint32_t hash_pos;
    size_t body_size;
    size_t flatbuffer_end;
} layout;

static layout layout_of(const uint8_t *data, size_t size) {
    layout l = {0, size, size};
    ember_fb_table root;
    uint32_t format = 0;
    uint64_t body = size;
    if (!ember_fb_root(data, size, &root) ||
        !ember_fb_struct_field(&root, EMBER_SLOT_MODEL_CONTENT_HASH, 32, &l.hash_pos) ||
        !ember_fb_u32(&root, EMBER_SLOT_MODEL_FORMAT_VERSION, 0, &format) ||
        (format >= 10 && !ember_fb_u64(&root, EMBER_SLOT_MODEL_BODY_SIZE, size, &body)))
        return (layout){0, size, size};
    l.body_size = body >= 8 && body <= size ? (size_t)body : size;
    if (l.hash_pos + (size_t)32 > l.body_size)
        l.hash_pos = 0;
    l.flatbuffer_end = l.body_size;
    ember_fb_vector buffers;
    if (!ember_fb_vector_field(&root, EMBER_SLOT_MODEL_BUFFERS, 4, &buffers))
        return l;
    for (uint32_t i = 0; i < buffers.len; i++) {
        ember_fb_table buffer;
        uint64_t offset = 0, bytes = 0;
        if (ember_fb_vector_table(&buffers, i, &buffer) &&
            ember_fb_u64(&buffer, EMBER_SLOT_BUFFER_OFFSET, 0, &offset) &&
            ember_fb_u64(&buffer, EMBER_SLOT_BUFFER_SIZE, 0, &bytes) && bytes > 0 &&
            offset >= 8 && offset < l.flatbuffer_end)
            l.flatbuffer_end = (size_t)offset;
    }
    return l;
}

/* Stores SHA-256 of the body, with the hash's own 32 bytes taken as zero, in the hash. */
static void rehash(uint8_t *data, const layout *l) {
    if (l->hash_pos == 0)
        return;
    memset(data + l->hash_pos, 0, 32);
    ember_sha256 h;
    ember_sha256_init(&h);
    ember_sha256_update(&h, data, l->body_size);
    ember_sha256_final(&h, data + l->hash_pos);
}

/* A position mostly in the FlatBuffer (the structure the verifier checks), else anywhere in
   the file (weights, padding, a signature block). */
static size_t pick_position(const layout *l, size_t size, uint64_t *s) {
    const size_t span = next(s) % 4 ? l->flatbuffer_end : size;
    return span ? (size_t)(next(s) % span) : 0;
}

static void set_word(uint8_t *data, size_t size, size_t at, uint64_t value, size_t width) {
    if (at + width <= size)
        memcpy(data + at, &value, width);
}

/* One to four edits of `data`: a flipped bit, a byte or an aligned 2-, 4- or 8-byte word
   (FlatBuffer offsets, counts, dims, ulong sizes) set to an edge value or nudged by one, then
   the hash recomputed. */
static void mutate_model(uint8_t *data, size_t size, const layout *l, uint64_t *s) {
    static const uint64_t edges[] = {0, 1, 2, 3, 4, 7, 8, 0x40, 0x7f, 0x80, 0xff, 0x100, 0x7fff,
                                     0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000u,
                                     0xffffffffu, 0x100000000ull, UINT64_MAX, INT64_MAX};
    const unsigned edits = 1 + (unsigned)(next(s) % 4);
    for (unsigned e = 0; e < edits && size > 0; e++) {
        const size_t at = pick_position(l, size, s);
        const size_t width = (size_t)1 << (next(s) % 4);
        const size_t aligned = at / width * width;
        uint64_t old = 0;
        memcpy(&old, data + aligned, aligned + width <= size ? width : 0);
        switch (next(s) % 4) {
        case 0:
            data[at] ^= (uint8_t)(1u << (next(s) % 8));
            break;
        case 1:
            set_word(data, size, aligned, edges[next(s) % (sizeof edges / sizeof *edges)], width);
            break;
        case 2:
            set_word(data, size, aligned, old + (next(s) % 2 ? 1 : UINT64_MAX), width);
            break;
        default:
            set_word(data, size, aligned, (uint64_t)size - (next(s) % 256), width);
        }
    }
    rehash(data, l);
}

/* Mutant k of a file: its bytes depend only on the file's and k, so a finding replays. */
static void make_mutant(const uint8_t *data, size_t size, const layout *l, unsigned k,
                        uint8_t *out) {
    memcpy(out, data, size);
    uint64_t s = seed_of(data, size) ^ ((uint64_t)(k + 1) * 0x9e3779b97f4a7c15ull);
    mutate_model(out, size, l, &s);
}

static int run_mutants(const uint8_t *data, size_t size) {
    const layout l = layout_of(data, size);
    uint8_t *mutant = capped_alloc(NULL, size, 64);
    int rc = 0;
    alloc_cap = MUTANT_ALLOC_CAP;
    for (unsigned k = 0; mutant && rc == 0 && k < mutant_count; k++) {
        make_mutant(data, size, &l, k, mutant);
        printf("MUTANT %u\n", k);
        fflush(stdout);
        rc = run_bytes(mutant, size);
    }
    alloc_cap = ALLOC_CAP;
    free(mutant);
    return rc;
}

static int run_model(const char *path) {
    size_t size = 0;
    uint8_t *data = start_model(path, &size);
    if (data == NULL)
        return 0;
    int rc = run_bytes(data, size);
    if (rc == 0 && mutant_count > 0)
        rc = run_mutants(data, size);
    free(data);
    fflush(stdout);
    return rc;
}

static int dump_mutant(const char *k_text, const char *out_path, const char *path) {
    size_t size = 0;
    uint8_t *data = read_model(path, &size);
    uint8_t *mutant = data ? capped_alloc(NULL, size, 64) : NULL;
    FILE *out = mutant ? fopen(out_path, "wb") : NULL;
    int rc = 1;
    if (out) {
        const layout l = layout_of(data, size);
        make_mutant(data, size, &l, (unsigned)strtoul(k_text, NULL, 10), mutant);
        rc = fwrite(mutant, 1, size, out) == size ? 0 : 1;
        rc |= fclose(out) != 0;
    }
    free(mutant);
    free(data);
    return rc;
}

int main(int argc, char **argv) {
    int first = 1;
    if (argc == 5 && strcmp(argv[1], "--dump-mutant") == 0)
        return dump_mutant(argv[2], argv[3], argv[4]);
    if (argc > 2 && strcmp(argv[1], "--mutants") == 0) {
        mutant_count = (unsigned)strtoul(argv[2], NULL, 10);
        first = 3;
    }
    if (argc <= first) {
        fprintf(stderr, "usage: %s [--mutants K] FILE|DIR...\n"
                        "       %s --dump-mutant K OUT FILE\n", argv[0], argv[0]);
        return 2;
    }
    for (int i = first; i < argc; i++) {
        const int rc = run_dir(argv[i], run_model);
        if (rc)
            return rc;
    }
    printf("DONE\n");
    return 0;
}
