/* libFuzzer entry: any byte string goes through create, allocate and invoke. The hash check
   is off for the run so mutated files reach the deeper checks (ember_model_verify still
   hashes each input); the arena is the caller's and capped, and so is each allocation, so a
   file claiming huge tensors is refused instead of exhausting memory. A model with dynamic
   dims is then resized twice (every dynamic dim to its min, then to a size the input's last
   bytes pick) and allocated and invoked again each time. Then the file's identity is checked
   as a caller that trusts keys would (check_identity: the content hash, the signature block,
   Ed25519, the rollback floor), with the options the input's last byte picks. Nothing may
   crash, leak or read out of bounds. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "emberlite.h"

#define ARENA_CAP (256u << 10)

/* A file may claim tensors of many gigabytes; the allocator refuses blocks above this (so the
   NO_MEMORY paths get fuzzed too) instead of letting libFuzzer report an out-of-memory. */
#define ALLOC_CAP (16u << 20)

static void *capped_alloc(void *user, size_t size, size_t align) {
    (void)user;
    if (size > ALLOC_CAP)
        return NULL;
    return aligned_alloc(align, (size + align - 1) / align * align);
}

static void capped_free(void *user, void *ptr) {
    (void)user;
    free(ptr);
}

static const ember_allocator capped_allocator = {capped_alloc, capped_free, NULL};

/* One arena for the whole run (allocating it per input would dominate the run time); it is
   zeroed before each input so every run starts from the same state. */
static uint8_t *shared_arena(void) {
    static uint8_t *arena;
    if (arena == NULL)
        arena = aligned_alloc(64, ARENA_CAP);
    return arena;
}

/* Resizes every graph input: each dynamic dim to its min, or (pick) to min + a byte of the
   input modulo the range; fixed dims stay. Refusals are fine: allocate then says why. */
static void resize_inputs(ember_interp *ip, const uint8_t *data, size_t size, int pick) {
    for (uint32_t i = 0; i < ember_interp_input_count(ip); i++) {
        const uint32_t t = ember_interp_input_tensor(ip, i);
        ember_tensor_info info;
        if (ember_interp_tensor_info(ip, t, &info) != EMBER_STATUS_OK)
            continue;
        int32_t dims[EMBER_MAX_RANK];
        for (uint32_t d = 0; d < info.rank && d < EMBER_MAX_RANK; d++) {
            int32_t lo = info.dims[d], hi = info.dims[d];
            const char *name;
            ember_interp_dim_range(ip, t, d, &lo, &hi, &name);
            const uint32_t span = (uint32_t)hi - (uint32_t)lo + 1u;
            const uint8_t byte = size > 0 ? data[(size - 1 - (i * 8 + d) % size)] : 0;
            dims[d] = pick && span > 0 ? (int32_t)((uint32_t)lo + byte % span) : lo;
        }
        ember_interp_resize_input(ip, i, dims, info.rank);
    }
}

static bool has_dynamic_dims(const ember_interp *ip) {
    for (uint32_t i = 0; i < ember_interp_input_count(ip); i++) {
        const uint32_t t = ember_interp_input_tensor(ip, i);
        ember_tensor_info info;
        if (ember_interp_tensor_info(ip, t, &info) != EMBER_STATUS_OK)
            continue;
        for (uint32_t d = 0; d < info.rank; d++) {
            int32_t lo, hi;
            const char *name;
            if (ember_interp_dim_range(ip, t, d, &lo, &hi, &name) == EMBER_STATUS_OK && lo != hi)
                return true;
        }
    }
    return false;
}

/* The public half of the test key that tests/fuzz/make_signed_seeds.py signs the signed seeds
   of tests/c/corpus with (its private seed is SHA-256 of "emberlite fuzz_model trusted key"),
   so that mutants of those seeds reach the Ed25519 verification. */
static const uint8_t TRUSTED_KEY[EMBER_PUBLIC_KEY_SIZE] = {
    0xa7, 0x44, 0xe6, 0x32, 0xd5, 0x29, 0x47, 0xc1, 0x05, 0x55, 0xc4, 0xfd, 0x1f, 0x1d, 0xb9, 0xf1,
    0x31, 0xfd, 0xf6, 0xe1, 0x8e, 0x61, 0x28, 0xd8, 0xc0, 0x94, 0xe1, 0xfb, 0x8a, 0x9b, 0xb9, 0xe1};

/* Create with the identity checks on, as the input's last byte picks: 0, the content hash
   alone; 1, the hash and a signature by TRUSTED_KEY; 2, no key but a minimum model version,
   the byte before (0 to 255, around the small versions the seeds carry). An accepted file's
   identity is then read back, key ids one past the last signature included (refused). */
static void check_identity(const uint8_t *model, size_t size, const uint8_t *data) {
    const uint8_t pick = size > 0 ? data[size - 1] : 0;
    ember_options options;
    ember_options_init(&options);
    options.allocator = &capped_allocator;
    options.verify_hash = 1;
    if (pick % 3 == 1) {
        options.trusted_keys = TRUSTED_KEY;
        options.trusted_key_count = 1;
    } else if (pick % 3 == 2) {
        options.min_model_version = size > 1 ? data[size - 2] : 0;
    }
    ember_interp *ip = NULL;
    if (ember_interp_create(model, size, &options, &ip) == EMBER_STATUS_OK) {
        ember_model_info info;
        uint8_t key_id[EMBER_KEY_ID_SIZE];
        if (ember_interp_model_info(ip, &info) == EMBER_STATUS_OK)
            for (uint32_t i = 0; i <= info.signature_count; i++)
                ember_interp_signature_key_id(ip, i, key_id);
    }
    ember_interp_destroy(ip);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *model = aligned_alloc(64, (size + 63) / 64 * 64 + 64);
    uint8_t *arena = shared_arena();
    if (model == NULL || arena == NULL) {
        free(model);
        return 0;
    }
    memcpy(model, data, size);
    memset(arena, 0, ARENA_CAP);

    char msg[256];
    ember_model_verify(model, size, msg, sizeof msg);

    ember_options options;
    ember_options_init(&options);
    options.allocator = &capped_allocator;
    options.verify_hash = 0;
    options.arena = arena;
    options.arena_size = ARENA_CAP;
    ember_interp *ip = NULL;
    if (ember_interp_create(model, size, &options, &ip) == EMBER_STATUS_OK &&
        ember_interp_allocate(ip) == EMBER_STATUS_OK) {
        ember_interp_invoke(ip);
        for (int pick = 0; pick < 2 && has_dynamic_dims(ip); pick++) {
            resize_inputs(ip, data, size, pick);
            if (ember_interp_allocate(ip) == EMBER_STATUS_OK)
                ember_interp_invoke(ip);
        }
    }
    ember_interp_destroy(ip);
    check_identity(model, size, data);
    free(model);
    return 0;
}
