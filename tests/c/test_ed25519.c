/* Ed25519 verification (csrc/ed25519.c) and SHA-512 (csrc/sha512.c) against published data:
   SHA-512 on the FIPS 180-4 examples (fed whole and byte by byte, so every buffering path
   runs), then RFC 8032's five Ed25519 vectors, accepted, and altered in every way a check
   must catch: one flipped bit of the message, of R, of S or of the key (a bit of each byte
   for TEST 2 and TEST 1024, of every 16th byte of the latter's message; the first and last
   bit of each part for the rest), S + L (the same S, not reduced), a longer or an empty
   message, and keys and R values that are non-canonical encodings of points (y >= p, x = 0
   with the sign bit set) next to their canonical forms, which verify. */
#include "ed25519.h"
#include "ed25519_vectors.h"
#include "test_util.h"

static void sha512_hex(const uint8_t *msg, size_t len, size_t repeat, int bytewise,
                       char out[129]) {
    ember_sha512 h;
    uint8_t digest[64];
    ember_sha512_init(&h);
    for (size_t r = 0; r < repeat; r++) {
        if (bytewise) {
            for (size_t i = 0; i < len; i++)
                ember_sha512_update(&h, msg + i, 1);
        } else {
            ember_sha512_update(&h, msg, len);
        }
    }
    ember_sha512_final(&h, digest);
    for (int i = 0; i < 64; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static void check_sha512(const char *name, const char *msg, size_t repeat, const char *want) {
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        char got[129];
        sha512_hex((const uint8_t *)msg, strlen(msg), repeat, bytewise, got);
        CHECK_MSG(strcmp(got, want) == 0, "SHA-512 %s%s: %s", name,
                  bytewise ? " (bytewise)" : "", got);
    }
}

static void test_sha512(void) {
    check_sha512("abc", "abc", 1,
                 "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                 "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    check_sha512("empty", "", 1,
                 "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                 "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    check_sha512("896 bits",
                 "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                 "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 1,
                 "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
                 "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
    const char *million = "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
                          "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b";
    check_sha512("million a", "aaaaaaaaaa", 100000, million);
    uint8_t *as = malloc(1000000);
    CHECK(as != NULL);
    if (as != NULL) {
        char got[129];
        memset(as, 'a', 1000000);
        sha512_hex(as, 1000000, 1, 0, got);
        CHECK_MSG(strcmp(got, million) == 0, "SHA-512 million a in one buffer: %s", got);
    }
    free(as);
}

typedef struct signed_message {
    uint8_t key[32];
    uint8_t signature[64];
    uint8_t message[1100];
    size_t size;
} signed_message;

static int load(signed_message *m, const ed25519_vector *v) {
    int size = from_hex(v->message, m->message, sizeof m->message);
    m->size = size < 0 ? 0 : (size_t)size;
    return from_hex(v->public_key, m->key, 32) == 32 &&
           from_hex(v->signature, m->signature, 64) == 64 && size >= 0;
}

static int verifies(const signed_message *m) {
    return ember_ed25519_verify(m->key, m->message, m->size, m->signature);
}

/* The copy of m with bit `bit` of the part at `offset` (in bytes of `part`) flipped must fail. */
static void check_flip(const signed_message *m, const char *name, const char *part, size_t bit) {
    signed_message altered = *m;
    uint8_t *bytes = strcmp(part, "message") == 0 ? altered.message
                     : strcmp(part, "key") == 0   ? altered.key
                     : strcmp(part, "R") == 0     ? altered.signature
                                                  : altered.signature + 32;
    bytes[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    CHECK_MSG(!verifies(&altered), "%s: accepted with bit %zu of %s flipped", name, bit, part);
}

static void test_vector(const ed25519_vector *v, int every_byte) {
    signed_message m;
    CHECK_MSG(load(&m, v), "%s: bad hex", v->name);
    CHECK_MSG(verifies(&m), "%s: valid signature refused", v->name);
    const struct {
        const char *part;
        size_t bits;
    } parts[] = {{"message", 8 * m.size}, {"key", 256}, {"R", 256}, {"S", 256}};
    for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
        if (parts[p].bits == 0)
            continue;
        if (every_byte) {
            /* At most 64 bytes of a part: TEST 1024's message every 16th byte. */
            const size_t bytes = parts[p].bits / 8, step = bytes > 64 ? bytes / 64 : 1;
            for (size_t byte = 0; byte < bytes; byte += step)
                check_flip(&m, v->name, parts[p].part, 8 * byte + byte % 8);
        } else {
            check_flip(&m, v->name, parts[p].part, 0);
            check_flip(&m, v->name, parts[p].part, parts[p].bits - 1);
        }
    }
    signed_message altered = m;
    add_order(altered.signature + 32);
    CHECK_MSG(!verifies(&altered), "%s: S + L accepted", v->name);
    altered = m;
    altered.message[altered.size++] = 0;
    CHECK_MSG(!verifies(&altered), "%s: accepted with a byte appended", v->name);
    if (m.size > 0) {
        altered.size = 0;
        CHECK_MSG(!verifies(&altered), "%s: accepted for the empty message", v->name);
    }
}

/* With A the identity (y = 1, x = 0), [S]B = R + [k]A holds for any message when R encodes
   [S]B: S = 1 with R = B, or S = 0 with R the identity. Those verify (RFC 8032 does not refuse
   small-order keys); the same points under a non-canonical encoding must not. */
static void test_encodings(void) {
    static const uint8_t base_y[32] = {0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                       0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                       0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                       0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66};
    uint8_t identity[32] = {1}, identity_plus_p[32], identity_signed[32], signature[64];
    /* y = 1 + p = 2^255 - 18, and y = 1 with the x sign bit (x = 0 has no negative). */
    memset(identity_plus_p, 0xff, 32);
    identity_plus_p[0] = 0xee;
    identity_plus_p[31] = 0x7f;
    memcpy(identity_signed, identity, 32);
    identity_signed[31] |= 0x80;
    const uint8_t *msg = (const uint8_t *)"any message";

    memcpy(signature, base_y, 32);
    memset(signature + 32, 0, 32);
    signature[32] = 1;
    CHECK(ember_ed25519_verify(identity, msg, 11, signature) == 1);
    CHECK(ember_ed25519_verify(identity_plus_p, msg, 11, signature) == 0);
    CHECK(ember_ed25519_verify(identity_signed, msg, 11, signature) == 0);

    memcpy(signature, identity, 32);
    memset(signature + 32, 0, 32);
    CHECK(ember_ed25519_verify(identity, msg, 11, signature) == 1);
    memcpy(signature, identity_plus_p, 32);
    CHECK(ember_ed25519_verify(identity, msg, 11, signature) == 0);
    memcpy(signature, identity_signed, 32);
    CHECK(ember_ed25519_verify(identity, msg, 11, signature) == 0);

    /* Keys of y = p .. 2^255 - 1, none canonical, with a valid vector's signature. */
    signed_message m;
    CHECK(load(&m, &ed25519_vectors[1]));
    for (unsigned low = 0xed; low <= 0xff; low++) {
        memset(m.key, 0xff, 32);
        m.key[0] = (uint8_t)low;
        m.key[31] = 0x7f;
        CHECK_MSG(!verifies(&m), "key with y = 0x7f..ff%02x accepted", low);
    }
}

int main(void) {
    test_sha512();
    for (size_t i = 0; i < ED25519_VECTOR_COUNT; i++)
        test_vector(&ed25519_vectors[i], i == 1 || i == 3);
    test_encodings();
    return test_report("test_ed25519");
}
