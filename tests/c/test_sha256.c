/* SHA-256: every block function this CPU runs (the portable one; SHA-NI or the ARMv8 SHA-256
   instructions where the CPU has them) against the FIPS 180-4 example digests, fed in one
   piece and byte by byte (so every block boundary of the buffering is crossed), the
   million-'a' vector also as one 1,000,000-byte buffer (the whole-block path); then each
   against the portable one on every length 0..300 split at random points, and on a 1 MB
   random buffer. */
#include "ember_internal.h"
#include "test_util.h"

static uint32_t rng_state = 0x2545f491u;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void hex(const uint8_t digest[32], char out[65]) {
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

/* The digest of msg with the block function of `isa`, fed in pieces of at most `piece`. */
static void digest_of(uint32_t isa, const uint8_t *msg, size_t len, size_t piece,
                      uint8_t digest[32]) {
    ember_sha256 h;
    ember_sha256_init_isa(&h, isa);
    for (size_t at = 0; at < len; at += piece)
        ember_sha256_update(&h, msg + at, len - at < piece ? len - at : piece);
    ember_sha256_final(&h, digest);
}

static void check(uint32_t isa, const char *name, const uint8_t *msg, size_t len, size_t repeat,
                  const char *want) {
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        ember_sha256 h;
        uint8_t digest[32];
        char got[65];
        ember_sha256_init_isa(&h, isa);
        for (size_t r = 0; r < repeat; r++) {
            if (bytewise) {
                for (size_t i = 0; i < len; i++)
                    ember_sha256_update(&h, msg + i, 1);
            } else {
                ember_sha256_update(&h, msg, len);
            }
        }
        ember_sha256_final(&h, digest);
        hex(digest, got);
        CHECK_MSG(strcmp(got, want) == 0, "isa 0x%x %s%s: %s", (unsigned)isa, name,
                  bytewise ? " (bytewise)" : "", got);
    }
}

static void check_vectors(uint32_t isa) {
    check(isa, "empty", (const uint8_t *)"", 0, 1,
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check(isa, "abc", (const uint8_t *)"abc", 3, 1,
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check(isa, "448 bits", (const uint8_t *)two, strlen(two), 1,
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *million = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    check(isa, "million a", (const uint8_t *)"aaaaaaaaaa", 10, 100000, million);
    uint8_t *as = malloc(1000000);
    CHECK(as != NULL);
    if (as != NULL) {
        memset(as, 'a', 1000000);
        uint8_t digest[32];
        char got[65];
        digest_of(isa, as, 1000000, 1000000, digest);
        hex(digest, got);
        CHECK_MSG(strcmp(got, million) == 0, "isa 0x%x million a in one buffer: %s",
                  (unsigned)isa, got);
    }
    free(as);
}

/* isa's block function against the portable one on random bytes. */
static void check_against_ref(uint32_t isa) {
    enum { BIG = 1 << 20 };
    uint8_t *buf = malloc(BIG);
    CHECK(buf != NULL);
    if (buf == NULL)
        return;
    for (size_t i = 0; i < BIG; i++)
        buf[i] = (uint8_t)rng();
    size_t bad = 0;
    for (size_t len = 0; len <= 300; len++) {
        uint8_t want[32], got[32];
        const size_t piece = 1 + rng() % 130;
        digest_of(EMBER_ISA_NONE, buf + len, len, len + 1, want);
        digest_of(isa, buf + len, len, piece, got);
        bad += memcmp(want, got, 32) != 0;
    }
    CHECK_MSG(bad == 0, "isa 0x%x: %zu of the lengths 0..300 differ from the portable digest",
              (unsigned)isa, bad);
    uint8_t want[32], got[32];
    digest_of(EMBER_ISA_NONE, buf, BIG, BIG, want);
    digest_of(isa, buf + 0, BIG, BIG, got);
    CHECK_MSG(memcmp(want, got, 32) == 0, "isa 0x%x: the 1 MB digest differs", (unsigned)isa);
    free(buf);
}

int main(void) {
    const uint32_t features = ember_detect_cpu_features();
    const uint32_t isas[] = {EMBER_ISA_NONE, EMBER_ISA_SHA};
    for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
        ember_sha256 h;
        ember_sha256_init_isa(&h, isas[i] & features);
        if (isas[i] != EMBER_ISA_NONE && h.blocks == ember_sha256_blocks_ref) {
            printf("test_sha256: isa 0x%x: not on this CPU or build\n", (unsigned)isas[i]);
            continue;
        }
        printf("test_sha256: isa 0x%x: checking its block function\n", (unsigned)isas[i]);
        check_vectors(isas[i]);
        if (isas[i] != EMBER_ISA_NONE)
            check_against_ref(isas[i]);
    }
    return test_report("test_sha256");
}
