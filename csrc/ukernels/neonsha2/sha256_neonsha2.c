/* SHA-256 block function on the ARMv8 cryptography extension (SHA256H, SHA256H2, SHA256SU0,
 * SHA256SU1), FIPS 180-4 section 6.2.2. The working variables stay in natural order, {A, B,
 * C, D} and {E, F, G, H}: SHA256H advances the first by four rounds and SHA256H2 the second,
 * both from the same W[t..t+3] + K[t..t+3] and from the values before those rounds. The
 * schedule is W[t..t+3] = SU1(SU0(W[t-16..t-13], W[t-12..t-9]), W[t-8..t-5], W[t-4..t-1]). */
#if defined(__aarch64__)
#include <arm_neon.h>

#include "ember_internal.h"

static inline void rounds4(uint32x4_t *abcd, uint32x4_t *efgh, uint32x4_t w, const uint32_t *k) {
    const uint32x4_t wk = vaddq_u32(w, vld1q_u32(k));
    const uint32x4_t abcd_before = *abcd;
    *abcd = vsha256hq_u32(*abcd, *efgh, wk);
    *efgh = vsha256h2q_u32(*efgh, abcd_before, wk);
}

static void block(uint32x4_t *abcd, uint32x4_t *efgh, const uint8_t *data) {
    /* Message words are big-endian: reverse the bytes of each 32-bit lane. */
    uint32x4_t w0 = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(data)));
    uint32x4_t w1 = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(data + 16)));
    uint32x4_t w2 = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(data + 32)));
    uint32x4_t w3 = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(data + 48)));
    const uint32x4_t abcd0 = *abcd, efgh0 = *efgh;
    rounds4(abcd, efgh, w0, ember_sha256_k);
    rounds4(abcd, efgh, w1, ember_sha256_k + 4);
    rounds4(abcd, efgh, w2, ember_sha256_k + 8);
    rounds4(abcd, efgh, w3, ember_sha256_k + 12);
    for (int t = 16; t < 64; t += 4) {
        const uint32x4_t w = vsha256su1q_u32(vsha256su0q_u32(w0, w1), w2, w3);
        rounds4(abcd, efgh, w, ember_sha256_k + t);
        w0 = w1;
        w1 = w2;
        w2 = w3;
        w3 = w;
    }
    *abcd = vaddq_u32(*abcd, abcd0);
    *efgh = vaddq_u32(*efgh, efgh0);
}

void ember_sha256_blocks_neonsha2(uint32_t state[8], const uint8_t *data, size_t count) {
    uint32x4_t abcd = vld1q_u32(state), efgh = vld1q_u32(state + 4);
    for (size_t i = 0; i < count; i++)
        block(&abcd, &efgh, data + 64 * i);
    vst1q_u32(state, abcd);
    vst1q_u32(state + 4, efgh);
}
#endif
