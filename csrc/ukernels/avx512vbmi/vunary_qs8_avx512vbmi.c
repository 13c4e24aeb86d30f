/* The int8 table lookup with AVX-512 VBMI (ukernels/vunary_qs8.h): the 256-entry table sits in
   four zmm registers; vpermi2b looks 64 bytes up in its lower and in its upper half at once
   (7 index bits each) and the index's top bit picks between them. Tails by masked loads and
   stores. */
#include <immintrin.h>

#include "ukernels/vunary_qs8.h"

static __m512i lookup64(__m512i x, const __m512i t[4]) {
    const __m512i lower = _mm512_permutex2var_epi8(t[0], x, t[1]);
    const __m512i upper = _mm512_permutex2var_epi8(t[2], x, t[3]);
    return _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), lower, upper);
}

void ember_vlut_qs8_avx512vbmi(size_t n, const int8_t *in, int8_t *out,
                               const int8_t table[256]) {
    const __m512i t[4] = {_mm512_loadu_si512(table), _mm512_loadu_si512(table + 64),
                          _mm512_loadu_si512(table + 128), _mm512_loadu_si512(table + 192)};
    for (; n >= 64; n -= 64, in += 64, out += 64)
        _mm512_storeu_si512(out, lookup64(_mm512_loadu_si512(in), t));
    if (n > 0) {
        const __mmask64 tail = _cvtu64_mask64((UINT64_C(1) << n) - 1);
        _mm512_mask_storeu_epi8(out, tail, lookup64(_mm512_maskz_loadu_epi8(tail, in), t));
    }
}
