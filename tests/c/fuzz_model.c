/* libFuzzer entry: any byte string goes through create, allocate and invoke. The hash check
   is off for the run so mutated files reach the deeper checks (ember_model_verify still
   hashes each input); the arena is the caller's and capped, and so is each allocation, so a
   file claiming huge tensors is refused instead of exhausting memory. Nothing may crash, leak
   or read out of bounds. */
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

/* One arena for the whole run (allocating it per input would dominate the run time); it is
   zeroed before each input so every run starts from the same state. */
static uint8_t *shared_arena(void) {
    static uint8_t *arena;
    if (arena == NULL)
        arena = aligned_alloc(64, ARENA_CAP);
    return arena;
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

    const ember_allocator allocator = {capped_alloc, capped_free, NULL};
    ember_options options;
    ember_options_init(&options);
    options.allocator = &allocator;
    options.verify_hash = 0;
    options.arena = arena;
    options.arena_size = ARENA_CAP;
    ember_interp *ip = NULL;
    if (ember_interp_create(model, size, &options, &ip) == EMBER_STATUS_OK &&
        ember_interp_allocate(ip) == EMBER_STATUS_OK)
        ember_interp_invoke(ip);
    ember_interp_destroy(ip);
    free(model);
    return 0;
}
