/* The AVX2 16x8 depthwise microkernel (ukernels/gemm_qs16x8.h): 16 channels at a time, each
   tap's 16 products formed from their low and high halves (vpmullw, vpmulhw) and interleaved
   into int32; blocks of EMBER_QS16X8_BLOCK taps summed in int32, then added into int64. */
#include <immintrin.h>
#include <string.h>

#include "ukernels/gemm_qs16x8.h"

#define CT EMBER_DWCONV_QS16X8_CT

/* p0 holds channels 0-3 and 8-11, p1 channels 4-7 and 12-15 (vpunpck works per 128 bits). */
static void flush(__m256i *p0, __m256i *p1, int64_t sum[CT]) {
    const __m256i lo = _mm256_permute2x128_si256(*p0, *p1, 0x20);
    const __m256i hi = _mm256_permute2x128_si256(*p0, *p1, 0x31);
    const __m256i parts[4] = {
        _mm256_cvtepi32_epi64(_mm256_castsi256_si128(lo)),
        _mm256_cvtepi32_epi64(_mm256_extracti128_si256(lo, 1)),
        _mm256_cvtepi32_epi64(_mm256_castsi256_si128(hi)),
        _mm256_cvtepi32_epi64(_mm256_extracti128_si256(hi, 1)),
    };
    for (size_t q = 0; q < 4; q++) {
        __m256i *at = (__m256i *)(void *)(sum + 4 * q);
        _mm256_storeu_si256(at, _mm256_add_epi64(_mm256_loadu_si256(at), parts[q]));
    }
    *p0 = *p1 = _mm256_setzero_si256();
}

static __m256i load_channels(const int16_t *p, size_t n) {
    if (n == CT)
        return _mm256_loadu_si256((const __m256i *)(const void *)p);
    int16_t part[CT] = {0};
    memcpy(part, p, n * sizeof(int16_t));
    return _mm256_loadu_si256((const __m256i *)(const void *)part);
}

void ember_dwconv_qs16x8_c16_avx2(size_t channels, size_t ks, const int16_t *const *in,
                                  const void *w, int64_t *acc) {
    const char *group = w;
    for (size_t c0 = 0; c0 < channels; c0 += CT) {
        const size_t n = channels - c0 < CT ? channels - c0 : CT;
        int64_t sum[CT];
        memcpy(sum, group, sizeof sum);
        const int16_t *taps = (const int16_t *)(const void *)(group + sizeof sum);
        __m256i p0 = _mm256_setzero_si256(), p1 = _mm256_setzero_si256();
        size_t used = 0;
        for (size_t t = 0; t < ks; t++) {
            const __m256i x = load_channels(in[t] + c0, n);
            const __m256i f = _mm256_loadu_si256((const __m256i *)(const void *)(taps + t * CT));
            const __m256i lo = _mm256_mullo_epi16(x, f), hi = _mm256_mulhi_epi16(x, f);
            p0 = _mm256_add_epi32(p0, _mm256_unpacklo_epi16(lo, hi));
            p1 = _mm256_add_epi32(p1, _mm256_unpackhi_epi16(lo, hi));
            if (++used == EMBER_QS16X8_BLOCK) {
                flush(&p0, &p1, sum);
                used = 0;
            }
        }
        flush(&p0, &p1, sum);
        memcpy(acc + c0, sum, n * sizeof(int64_t));
        group += CT * sizeof(int64_t) + ks * CT * sizeof(int16_t);
    }
}
