/* libFuzzer entry: any byte string goes through create, allocate and invoke. The hash check
   is off for the run so mutated files reach the deeper checks (ember_model_verify still
   hashes each input); the arena is the caller's and capped, so a file claiming a huge arena
   is refused instead of exhausting memory. Nothing may crash, leak or read out of bounds. */
#include <stdlib.h>
#include <string.h>

#include "emberlite.h"

#define ARENA_CAP (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *model = aligned_alloc(64, (size + 63) / 64 * 64 + 64);
    uint8_t *arena = aligned_alloc(64, ARENA_CAP);
    if (model == NULL || arena == NULL) {
        free(model);
        free(arena);
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
    free(arena);
    free(model);
    return 0;
}
