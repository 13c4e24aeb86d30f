/* Ed25519 verification on a Cortex-M (`make mcu-test` runs it under qemu-system-arm on the
 * Cortex-M4 board): RFC 8032's five vectors (tests/c/ed25519_vectors.h) are accepted, and
 * each is refused with one bit flipped in the message, in R, in S or in the key, and with
 * S + L. The firmware is built with the signature code in (-DEMBER_NO_SIGNATURES=0), which
 * bare-metal library builds leave out. Prints one line per vector, the deepest stack use,
 * and exits with the number of failed checks. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ed25519_vectors.h"
#include "emberlite.h"
#include "platform.h"

#define MAX_MESSAGE 1024

static uint8_t message[MAX_MESSAGE];

/* The vector's key, signature and message (into `message`); its size, or -1 for bad hex. */
static int load(const ed25519_vector *v, uint8_t key[32], uint8_t signature[64]) {
    int size = from_hex(v->message, message, sizeof message);
    if (size < 0 || from_hex(v->public_key, key, 32) != 32 ||
        from_hex(v->signature, signature, 64) != 64)
        return -1;
    return size;
}

/* The number of checks of vector v that failed. Case 0 is the vector as published, cases 1
   to 4 flip a bit of the message, the key, R and S, case 5 adds L to S. */
static int check_vector(const ed25519_vector *v) {
    static const char *const cases[] = {"as published", "a bit of the message flipped",
                                        "a bit of the key flipped", "a bit of R flipped",
                                        "a bit of S flipped", "S + L"};
    int failed = 0;
    for (int c = 0; c < 6; c++) {
        uint8_t key[32], signature[64];
        int size = load(v, key, signature);
        if (size < 0) {
            printf("FAIL %s: bad hex\n", v->name);
            return 1;
        }
        if (c == 1 && size == 0)
            continue;
        uint8_t *const flipped[] = {NULL, message, key, signature, signature + 32};
        if (c >= 1 && c <= 4)
            flipped[c][0] ^= 0x04;
        if (c == 5)
            add_order(signature + 32);
        if (ember_ed25519_verify(key, message, (size_t)size, signature) != (c == 0)) {
            printf("FAIL %s: %s: %s\n", v->name, cases[c], c == 0 ? "refused" : "accepted");
            failed++;
        }
    }
    if (failed == 0)
        printf("ok %s: accepted, and refused when altered\n", v->name);
    return failed;
}

int main(void) {
    int failed = 0;
    for (size_t i = 0; i < ED25519_VECTOR_COUNT; i++)
        failed += check_vector(&ed25519_vectors[i]);
    printf("stack used: %lu of %lu bytes\n", (unsigned long)platform_stack_used(),
           (unsigned long)platform_stack_size());
    printf("ed25519 vectors: %s\n", failed ? "FAILED" : "all passed");
    return failed;
}
