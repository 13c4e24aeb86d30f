/* A model's identity (versions, content hash) and its signature block (docs/signing.md).
 *
 * From format 10 a file is its body (body_size bytes, what the content hash covers) and,
 * optionally, a signature block after it: fixed little-endian fields, no FlatBuffer, so that
 * signing appends bytes and never changes the body or its hash:
 *     "EMSB"  u32 version (1)  u32 count (1..MAX_SIGNATURES)  u32 reserved (0)
 *     count x { key_id[EMBER_KEY_ID_SIZE]  Ed25519 signature[EMBER_SIGNATURE_SIZE] }
 * Each signature is over SIGNED_PREFIX followed by the content hash. */
#include <string.h>

#include "interp.h"

#define BLOCK_HEADER_SIZE 16
#define ENTRY_SIZE (EMBER_KEY_ID_SIZE + EMBER_SIGNATURE_SIZE)
#define MAX_SIGNATURES 16
#define BLOCK_VERSION 1u

static uint32_t read_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

ember_status ember_signature_block_check(ember_context *ctx, const uint8_t *block, size_t size,
                                         uint32_t *count) {
    *count = 0;
    if (size == 0)
        return EMBER_STATUS_OK;
    if (size < BLOCK_HEADER_SIZE || memcmp(block, "EMSB", 4) != 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "%zu bytes follow the model's body (body_size) and are not a "
                          "signature block (no \"EMSB\" header)", size);
    uint32_t version = read_u32(block + 4), n = read_u32(block + 8);
    if (version != BLOCK_VERSION)
        return ember_fail(ctx, EMBER_STATUS_VERSION,
                          "signature block version %" PRIu32 " is not supported (this "
                          "runtime reads version %u)", version, BLOCK_VERSION);
    if (n < 1 || n > MAX_SIGNATURES || read_u32(block + 12) != 0 ||
        size != BLOCK_HEADER_SIZE + (size_t)n * ENTRY_SIZE)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "signature block is malformed: count %" PRIu32 " (1..%d), reserved "
                          "field %" PRIu32 " (must be 0), %zu bytes for %zu expected",
                          n, MAX_SIGNATURES, read_u32(block + 12), size,
                          BLOCK_HEADER_SIZE + (size_t)(n <= MAX_SIGNATURES ? n : 0)
                              * ENTRY_SIZE);
    *count = n;
    return EMBER_STATUS_OK;
}

static const uint8_t *entry(const ember_model *m, uint32_t i) {
    return m->signature_block + BLOCK_HEADER_SIZE + (size_t)i * ENTRY_SIZE;
}

#if EMBER_NO_SIGNATURES
ember_status ember_key_id(const uint8_t *public_key, uint8_t *key_id) {
    (void)public_key;
    (void)key_id;
    return EMBER_STATUS_UNSUPPORTED;
}
#else
ember_status ember_key_id(const uint8_t *public_key, uint8_t *key_id) {
    if (public_key == NULL || key_id == NULL)
        return EMBER_STATUS_INVALID_ARGUMENT;
    ember_sha256 h;
    uint8_t digest[32];
    ember_sha256_init(&h);
    ember_sha256_update(&h, public_key, EMBER_PUBLIC_KEY_SIZE);
    ember_sha256_final(&h, digest);
    memcpy(key_id, digest, EMBER_KEY_ID_SIZE);
    return EMBER_STATUS_OK;
}

/* A signature made for this purpose cannot pass for one over any other 32-byte value the
   same key signs: the message names what it is. */
static const char SIGNED_PREFIX[] = "emberlite model signature v1"; /* + its NUL: 29 bytes */

static const char *hex_id(const uint8_t *id, char out[2 * EMBER_KEY_ID_SIZE + 1]) {
    for (int i = 0; i < EMBER_KEY_ID_SIZE; i++)
        ember_format(out + 2 * i, 3, "%02x", id[i]);
    return out;
}

/* The trusted key whose id is `id`, or NULL. */
static const uint8_t *trusted_key(const ember_options *o, const uint8_t *id) {
    for (size_t k = 0; k < o->trusted_key_count; k++) {
        const uint8_t *key = o->trusted_keys + k * EMBER_PUBLIC_KEY_SIZE;
        uint8_t key_id[EMBER_KEY_ID_SIZE];
        ember_key_id(key, key_id);
        if (memcmp(key_id, id, EMBER_KEY_ID_SIZE) == 0)
            return key;
    }
    return NULL;
}

static bool signature_holds(const uint8_t *key, const uint8_t *hash, const uint8_t *sig) {
    uint8_t message[sizeof SIGNED_PREFIX + 32];
    memcpy(message, SIGNED_PREFIX, sizeof SIGNED_PREFIX);
    memcpy(message + sizeof SIGNED_PREFIX, hash, 32);
    return ember_ed25519_verify(key, message, sizeof message, sig) == 1;
}
#endif

ember_status ember_signatures_check(ember_context *ctx, ember_model *m,
                                    const ember_options *o) {
#if EMBER_NO_SIGNATURES
    (void)m;
    (void)o;
    return ember_fail(ctx, EMBER_STATUS_UNSUPPORTED, "this build has no signature check "
                      "(EMBER_NO_SIGNATURES): it cannot honour trusted keys");
#else
    if (o->trusted_keys == NULL)
        return ember_fail(ctx, EMBER_STATUS_INVALID_ARGUMENT,
                          "trusted_key_count is %zu but trusted_keys is NULL",
                          o->trusted_key_count);
    char id[2 * EMBER_KEY_ID_SIZE + 1];
    for (uint32_t i = 0; i < m->info.signature_count; i++) {
        const uint8_t *key = trusted_key(o, entry(m, i));
        if (key == NULL)
            continue;
        if (!signature_holds(key, m->info.content_hash, entry(m, i) + EMBER_KEY_ID_SIZE))
            return ember_fail(ctx, EMBER_STATUS_BAD_SIGNATURE,
                              "signature %" PRIu32 " (trusted key id %s) does not verify: the "
                              "model was changed after it was signed, or the signature is "
                              "forged", i, hex_id(entry(m, i), id));
        if (m->info.verified_signature == EMBER_NO_SIGNATURE)
            m->info.verified_signature = i;
    }
    if (m->info.verified_signature != EMBER_NO_SIGNATURE)
        return EMBER_STATUS_OK;
    if (m->info.signature_count == 0)
        return ember_fail(ctx, EMBER_STATUS_UNSIGNED,
                          "the model is not signed (format %" PRIu32 "), and %zu trusted key(s) "
                          "were given", m->info.format_version, o->trusted_key_count);
    return ember_fail(ctx, EMBER_STATUS_UNSIGNED,
                      "none of the model's %" PRIu32 " signature(s) is by a trusted key (the "
                      "first is by key id %s)", m->info.signature_count, hex_id(entry(m, 0), id));
#endif
}

ember_status ember_interp_model_info(const ember_interp *interp, ember_model_info *info) {
    const ember_model *m = ember_interp_model(interp);
    if (m == NULL || info == NULL)
        return m == NULL ? EMBER_STATUS_MISUSE : EMBER_STATUS_INVALID_ARGUMENT;
    *info = m->info;
    return EMBER_STATUS_OK;
}

ember_status ember_interp_signature_key_id(const ember_interp *interp, uint32_t index,
                                           uint8_t *key_id) {
    const ember_model *m = ember_interp_model(interp);
    if (m == NULL)
        return EMBER_STATUS_MISUSE;
    if (key_id == NULL || index >= m->info.signature_count)
        return EMBER_STATUS_INVALID_ARGUMENT;
    memcpy(key_id, entry(m, index), EMBER_KEY_ID_SIZE);
    return EMBER_STATUS_OK;
}
