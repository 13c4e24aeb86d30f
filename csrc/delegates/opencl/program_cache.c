/* The compiled-program cache file's format: writing its header and checking a whole file. No
   I/O and no OpenCL here, so the checks can be fuzzed alone (tests/c/delegates/
   fuzz_program_cache.c). A file is trusted only when every field verifies. */
#include <string.h>

#include "ember_internal.h"
#include "runtime.h"

static const uint8_t magic[8] = {'E', 'M', 'B', 'R', 'C', 'L', 'P', 'C'};

enum {
    OFFSET_VERSION = 8,
    OFFSET_ZERO = 12,
    OFFSET_KEY = 16,
    OFFSET_LENGTH = 48,
    OFFSET_HASH = 56,
};
_Static_assert(OFFSET_HASH + 32 == CLD_CACHE_HEADER_SIZE, "cache header layout");

void cld_sha256(const void *data, size_t size, uint8_t digest[32]) {
    ember_sha256 h;
    ember_sha256_init(&h);
    ember_sha256_update(&h, data, size);
    ember_sha256_final(&h, digest);
}

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

void cld_cache_header(uint8_t header[CLD_CACHE_HEADER_SIZE], const uint8_t key[32],
                      const uint8_t *payload, size_t payload_size) {
    memcpy(header, magic, sizeof magic);
    put_u32(header + OFFSET_VERSION, CLD_CACHE_FORMAT_VERSION);
    put_u32(header + OFFSET_ZERO, 0);
    memcpy(header + OFFSET_KEY, key, 32);
    put_u64(header + OFFSET_LENGTH, payload_size);
    cld_sha256(payload, payload_size, header + OFFSET_HASH);
}

cld_cache_verdict cld_cache_parse(const uint8_t *bytes, size_t size, const uint8_t key[32],
                                  size_t *payload_offset, size_t *payload_size) {
    if (bytes == NULL || size < CLD_CACHE_HEADER_SIZE)
        return CLD_CACHE_TRUNCATED;
    if (memcmp(bytes, magic, sizeof magic) != 0)
        return CLD_CACHE_BAD_MAGIC;
    if (get_u32(bytes + OFFSET_VERSION) != CLD_CACHE_FORMAT_VERSION ||
        get_u32(bytes + OFFSET_ZERO) != 0)
        return CLD_CACHE_BAD_VERSION;
    if (memcmp(bytes + OFFSET_KEY, key, 32) != 0)
        return CLD_CACHE_KEY_MISMATCH;
    /* Compared as u64 against what the file holds: no addition that could wrap. */
    uint64_t length = get_u64(bytes + OFFSET_LENGTH);
    if (length == 0 || length != (uint64_t)(size - CLD_CACHE_HEADER_SIZE))
        return CLD_CACHE_BAD_LENGTH;
    uint8_t digest[32];
    cld_sha256(bytes + CLD_CACHE_HEADER_SIZE, (size_t)length, digest);
    if (memcmp(digest, bytes + OFFSET_HASH, 32) != 0)
        return CLD_CACHE_HASH_MISMATCH;
    *payload_offset = CLD_CACHE_HEADER_SIZE;
    *payload_size = (size_t)length;
    return CLD_CACHE_OK;
}

const char *cld_cache_verdict_str(cld_cache_verdict verdict) {
    switch (verdict) {
    case CLD_CACHE_OK:
        return "verified";
    case CLD_CACHE_TRUNCATED:
        return "shorter than its header";
    case CLD_CACHE_BAD_MAGIC:
        return "not a cache file (bad magic)";
    case CLD_CACHE_BAD_VERSION:
        return "unknown cache format version";
    case CLD_CACHE_KEY_MISMATCH:
        return "key mismatch";
    case CLD_CACHE_BAD_LENGTH:
        return "payload length does not match the file size";
    case CLD_CACHE_HASH_MISMATCH:
        return "payload hash mismatch";
    }
    return "unknown verdict";
}
