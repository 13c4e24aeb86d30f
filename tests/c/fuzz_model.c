/* libFuzzer entry: any byte string goes through create, allocate and invoke. The hash check
   is off for the run so mutated files reach the deeper checks (ember_model_verify still
   hashes each input); the arena is the caller's and capped, so a file claiming a huge arena
   is refused instead of exhausting memory. Nothing may crash, leak or read out of bounds. */
#include <stdlib.h>
#include <string.h>

#include "emberlite.h"

#define ARENA_CAP (256u << 10)

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

    ember_options options;
    ember_options_init(&options);
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
