/* SHA-256 as specified in FIPS 180-4 (sections 4.1.2, 4.2.2, 5.1.1, 6.2). The block function
   (compression of whole 64-byte blocks) is picked at init: this portable one, or one using the
   CPU's SHA instructions (csrc/ukernels/shani/, csrc/ukernels/neonsha2/). */
#include <string.h>

#include "ember_internal.h"

const uint32_t ember_sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

static uint32_t rotr(uint32_t x, unsigned n) {
    return (x >> n) | (x << (32 - n));
}

static void compress(uint32_t state[8], const uint8_t block[64]) {
    uint32_t w[64];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)block[4 * t] << 24 | (uint32_t)block[4 * t + 1] << 16 |
               (uint32_t)block[4 * t + 2] << 8 | (uint32_t)block[4 * t + 3];
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int t = 0; t < 64; t++) {
        uint32_t big1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = h + big1 + ch + ember_sha256_k[t] + w[t];
        uint32_t big0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = big0 + maj;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

void ember_sha256_blocks_ref(uint32_t state[8], const uint8_t *data, size_t count) {
    for (size_t i = 0; i < count; i++)
        compress(state, data + 64 * i);
}

void ember_sha256_init(ember_sha256 *h) {
    static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(h->state, initial, sizeof initial);
    h->length = 0;
    h->used = 0;
    h->blocks = ember_sha256_blocks_ref;
}

void ember_sha256_init_isa(ember_sha256 *h, uint32_t isa) {
    ember_sha256_init(h);
#if EMBER_HAVE_SHA && defined(__x86_64__)
    if (isa & EMBER_ISA_SHA)
        h->blocks = ember_sha256_blocks_shani;
#elif EMBER_HAVE_SHA && defined(__aarch64__)
    if (isa & EMBER_ISA_SHA)
        h->blocks = ember_sha256_blocks_neonsha2;
#else
    (void)isa;
#endif
}

void ember_sha256_update(ember_sha256 *h, const void *data, size_t size) {
    const uint8_t *p = data;
    h->length += size;
    while (size > 0) {
        if (h->used == 0 && size >= 64) {
            /* Whole blocks straight from the caller's buffer, no copy. */
            const size_t count = size / 64;
            h->blocks(h->state, p, count);
            p += 64 * count;
            size -= 64 * count;
            continue;
        }
        size_t take = 64 - h->used;
        if (take > size)
            take = size;
        memcpy(h->block + h->used, p, take);
        h->used += (uint32_t)take;
        p += take;
        size -= take;
        if (h->used == 64) {
            h->blocks(h->state, h->block, 1);
            h->used = 0;
        }
    }
}

void ember_sha256_final(ember_sha256 *h, uint8_t digest[32]) {
    uint64_t bits = h->length * 8;
    /* Padding: a 1 bit, zeros up to 56 mod 64, then the message length in bits (big-endian). */
    h->block[h->used++] = 0x80;
    if (h->used > 56) {
        memset(h->block + h->used, 0, 64 - h->used);
        h->blocks(h->state, h->block, 1);
        h->used = 0;
    }
    memset(h->block + h->used, 0, 56 - h->used);
    for (int i = 0; i < 8; i++)
        h->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    h->blocks(h->state, h->block, 1);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (uint8_t)(h->state[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(h->state[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(h->state[i] >> 8);
        digest[4 * i + 3] = (uint8_t)h->state[i];
    }
}
