/* Internal declarations of the signature code: SHA-512 (csrc/sha512.c), which Ed25519 hashes
   with (RFC 8032, 5.1), and whose digest the tests check on their own. ember_ed25519_verify
   itself is public (emberlite.h). Builds with EMBER_NO_SIGNATURES have neither. */
#ifndef EMBER_ED25519_H
#define EMBER_ED25519_H

#include <stddef.h>
#include <stdint.h>

#include "ember_config.h"

#if !EMBER_NO_SIGNATURES
/* SHA-512 (FIPS 180-4, 6.4) over a message fed in pieces of any size. */
typedef struct ember_sha512 {
    uint64_t state[8];
    uint64_t length; /* bytes so far: messages stay below 2^61 bytes, so 64 bits of bit count */
    uint8_t block[128];
    uint32_t used;   /* bytes of `block` waiting for the rest of their block */
} ember_sha512;

void ember_sha512_init(ember_sha512 *h);
void ember_sha512_update(ember_sha512 *h, const void *data, size_t size);
void ember_sha512_final(ember_sha512 *h, uint8_t digest[64]);
#endif

#endif /* EMBER_ED25519_H */
