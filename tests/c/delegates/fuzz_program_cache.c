/* libFuzzer harness for the OpenCL delegate's cache file reader (program_cache.c): any bytes
   must give a verdict without reading outside them, and a file the reader accepts must be one
   whose header matches what the writer makes for its payload under the expected key.
   Built and run by `make fuzz-opencl-cache` (mk/opencl.mk). */
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

static const uint8_t expected_key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                         17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
                                         31, 32};

/* Half the inputs are made into a header with the expected key and a payload hash that
   matches, so the fuzzer reaches the accepting path and the length checks, not only the
   magic. */
static void check(const uint8_t *bytes, size_t size) {
    size_t offset = 0, payload = 0;
    cld_cache_verdict v = cld_cache_parse(bytes, size, expected_key, &offset, &payload);
    if (cld_cache_verdict_str(v) == NULL)
        abort();
    if (v != CLD_CACHE_OK)
        return;
    if (offset != CLD_CACHE_HEADER_SIZE || offset + payload != size)
        abort();
    uint8_t header[CLD_CACHE_HEADER_SIZE];
    cld_cache_header(header, expected_key, bytes + offset, payload);
    if (memcmp(header, bytes, CLD_CACHE_HEADER_SIZE) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* An exact-size copy, so ASan sees any read past the end. */
    uint8_t *bytes = malloc(size ? size : 1);
    if (bytes == NULL)
        return 0;
    memcpy(bytes, data, size);
    check(bytes, size);
    if (size > 1 && (data[0] & 1)) {
        size_t payload = size - 1;
        uint8_t *file = malloc(CLD_CACHE_HEADER_SIZE + payload);
        if (file != NULL) {
            cld_cache_header(file, expected_key, data + 1, payload);
            memcpy(file + CLD_CACHE_HEADER_SIZE, data + 1, payload);
            /* The fuzzer's first byte picks a header byte to change (or none). */
            size_t at = data[0] >> 1;
            if (at < CLD_CACHE_HEADER_SIZE)
                file[at] ^= data[payload];
            check(file, CLD_CACHE_HEADER_SIZE + payload);
            free(file);
        }
    }
    free(bytes);
    return 0;
}
