/* SHA-256 against the FIPS 180-4 example digests, fed in one piece and byte by byte (so
   every block boundary of the buffering is crossed). */
#include "ember_internal.h"
#include "test_util.h"

static void hex(const uint8_t digest[32], char out[65]) {
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static void check(const char *name, const uint8_t *msg, size_t len, size_t repeat,
                  const char *want) {
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        ember_sha256 h;
        uint8_t digest[32];
        char got[65];
        ember_sha256_init(&h);
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
        CHECK_MSG(strcmp(got, want) == 0, "%s%s: %s", name, bytewise ? " (bytewise)" : "", got);
    }
}

int main(void) {
    check("empty", (const uint8_t *)"", 0, 1,
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check("abc", (const uint8_t *)"abc", 3, 1,
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check("448 bits", (const uint8_t *)two, strlen(two), 1,
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    check("million a", (const uint8_t *)"aaaaaaaaaa", 10, 100000,
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    return test_report("test_sha256");
}
