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

static int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Bytes written, or -1 for bad hex or too many bytes. */
static int from_hex(const char *hex, uint8_t *out, size_t capacity) {
    size_t n = strlen(hex);
    if (n % 2 != 0 || n / 2 > capacity)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int high = hex_digit(hex[2 * i]), low = hex_digit(hex[2 * i + 1]);
        if (high < 0 || low < 0)
            return -1;
        out[i] = (uint8_t)(high << 4 | low);
    }
    return (int)(n / 2);
}

/* S + L in place (little-endian): the same scalar mod L, which verification must refuse. */
static void add_order(uint8_t s[32]) {
    static const uint8_t order[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                      0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                      [31] = 0x10};
    unsigned carry = 0;
    for (int i = 0; i < 32; i++) {
        carry += (unsigned)s[i] + order[i];
        s[i] = (uint8_t)carry;
        carry >>= 8;
    }
}

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
