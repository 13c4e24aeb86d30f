/* AVX2 int8 table lookup (ukernels/vunary_qs8.h): vpshufb looks up 16 entries at a time, so
   the table is read as 16 slices T_k = table[16k .. 16k + 15]. vpshufb gives 0 where an index
   byte has its top bit set, else the entry of its low 4 bits. Step k looks up x - 16k: plain
   byte subtraction for k = 0..8, then saturating (k = 9..15). For x < 128 the index is
   non-negative exactly for k <= x / 16; for x >= 128, j = x / 16, exactly for j - 7 <= k <= j
   (the wrapped x - 16k stays >= 128 below that; the saturating steps stop at -128 above).
   XOR-ing the lookups of D_k = T_k ^ T_(k-1) (^ D_(k-8) for k >= 8) over those k leaves T_j:
   the window of D's always telescopes to the one slice. 16 shuffles, 16 XORs and 15
   subtractions per 32 bytes; the tail goes through a 32-byte copy. */
#include <immintrin.h>
#include <string.h>

#include "ukernels/vunary_qs8.h"

static inline __m256i lookup32(__m256i x, const __m256i d[16]) {
    const __m256i sixteen = _mm256_set1_epi8(16);
    __m256i y = _mm256_shuffle_epi8(d[0], x);
    for (int k = 1; k <= 8; k++) {
        x = _mm256_sub_epi8(x, sixteen);
        y = _mm256_xor_si256(y, _mm256_shuffle_epi8(d[k], x));
    }
    for (int k = 9; k < 16; k++) {
        x = _mm256_subs_epi8(x, sixteen);
        y = _mm256_xor_si256(y, _mm256_shuffle_epi8(d[k], x));
    }
    return y;
}

void ember_vlut_qs8_avx2(size_t n, const int8_t *in, int8_t *out, const int8_t table[256]) {
    if (n < 32) {
        ember_vlut_qs8_scalar(n, in, out, table);
        return;
    }
    __m128i t[16];
    __m256i d[16];
    for (int k = 0; k < 16; k++) {
        t[k] = _mm_loadu_si128((const __m128i *)(table + 16 * k));
        __m128i v = k > 0 ? _mm_xor_si128(t[k], t[k - 1]) : t[k];
        if (k >= 8)
            v = _mm_xor_si128(v, _mm256_castsi256_si128(d[k - 8]));
        d[k] = _mm256_broadcastsi128_si256(v);
    }
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i x = _mm256_loadu_si256((const __m256i *)(in + i));
        _mm256_storeu_si256((__m256i *)(out + i), lookup32(x, d));
    }
    if (i < n) {
        int8_t tmp[32] = {0};
        memcpy(tmp, in + i, n - i);
        _mm256_storeu_si256((__m256i *)tmp,
                            lookup32(_mm256_loadu_si256((const __m256i *)tmp), d));
        memcpy(out + i, tmp, n - i);
    }
}
