/* SHA-256 block function on the x86 SHA extensions (SHA-NI), FIPS 180-4 section 6.2.2.
 *
 * SHA256RNDS2 runs two rounds on the working variables held as two vectors, {F, E, B, A} and
 * {H, G, D, C} (lane 0 first), taking W[t] + K[t] for its two rounds from lanes 0 and 1 of
 * its third operand; the result is the new {F, E, B, A}, and the old one becomes the new
 * {H, G, D, C}. SHA256MSG1 and SHA256MSG2 compute the message schedule 4 words at a time:
 * W[t..t+3] = MSG2(MSG1(W[t-16..t-13], W[t-12..t-9]) + W[t-7..t-4], W[t-4..t-1]). */
#if defined(__x86_64__)
#include <immintrin.h>

#include "ember_internal.h"

/* Four rounds from the 4 schedule words `w` (K still to be added, from k). */
static inline void rounds4(__m128i *abef, __m128i *cdgh, __m128i w, const uint32_t *k) {
    const __m128i wk = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)k));
    const __m128i abef0 = *abef;
    const __m128i abef2 = _mm_sha256rnds2_epu32(*cdgh, abef0, wk);
    /* The second pair of rounds takes lanes 2 and 3 of wk, moved down to 0 and 1. */
    *abef = _mm_sha256rnds2_epu32(abef0, abef2, _mm_shuffle_epi32(wk, 0x0e));
    *cdgh = abef2;
}

/* W[t..t+3] from the 16 words before them, held as w0 (oldest) .. w3. */
static inline __m128i schedule4(__m128i w0, __m128i w1, __m128i w2, __m128i w3) {
    /* W[t-7..t-4]: the last three words of w2 followed by the first of w3. */
    const __m128i w7 = _mm_alignr_epi8(w3, w2, 4);
    return _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), w7), w3);
}

static void block(__m128i *abef, __m128i *cdgh, const uint8_t *data) {
    /* Message words are big-endian: reverse the bytes of each 32-bit lane. */
    const __m128i bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)data), bswap);
    __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), bswap);
    __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), bswap);
    __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), bswap);
    const __m128i abef0 = *abef, cdgh0 = *cdgh;
    rounds4(abef, cdgh, w0, ember_sha256_k);
    rounds4(abef, cdgh, w1, ember_sha256_k + 4);
    rounds4(abef, cdgh, w2, ember_sha256_k + 8);
    rounds4(abef, cdgh, w3, ember_sha256_k + 12);
    for (int t = 16; t < 64; t += 4) {
        const __m128i w = schedule4(w0, w1, w2, w3);
        rounds4(abef, cdgh, w, ember_sha256_k + t);
        w0 = w1;
        w1 = w2;
        w2 = w3;
        w3 = w;
    }
    *abef = _mm_add_epi32(*abef, abef0);
    *cdgh = _mm_add_epi32(*cdgh, cdgh0);
}

void ember_sha256_blocks_shani(uint32_t state[8], const uint8_t *data, size_t count) {
    /* state is {A, B, C, D}, {E, F, G, H}; the instructions want {F, E, B, A}, {H, G, D, C}. */
    const __m128i abcd = _mm_loadu_si128((const __m128i *)state);
    const __m128i efgh = _mm_loadu_si128((const __m128i *)(state + 4));
    const __m128i badc = _mm_shuffle_epi32(abcd, 0xb1); /* {B, A, D, C} */
    const __m128i hgfe = _mm_shuffle_epi32(efgh, 0x1b); /* {H, G, F, E} */
    __m128i abef = _mm_alignr_epi8(badc, hgfe, 8);      /* {F, E, B, A} */
    __m128i cdgh = _mm_blend_epi16(hgfe, badc, 0xf0);   /* {H, G, D, C} */
    for (size_t i = 0; i < count; i++)
        block(&abef, &cdgh, data + 64 * i);
    const __m128i abfe = _mm_shuffle_epi32(abef, 0x1b); /* {A, B, E, F} */
    const __m128i ghcd = _mm_shuffle_epi32(cdgh, 0xb1); /* {G, H, C, D} */
    _mm_storeu_si128((__m128i *)state, _mm_blend_epi16(abfe, ghcd, 0xf0));
    _mm_storeu_si128((__m128i *)(state + 4), _mm_alignr_epi8(ghcd, abfe, 8));
}
#endif
