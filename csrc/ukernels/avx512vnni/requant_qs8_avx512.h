/* AVX-512 form of the int8 requantization (ukernels/requant_qs8.h) for the files of the
 * avx512vnni directory: sixteen lanes at once, both roundings done in one 64-bit step.
 * Header-only. The per-column values are derived once per panel (ember_qs8_cols_avx512) and
 * applied to each row of the tile.
 *
 * With x' = acc << lshift, p = x' * m (exact in 64 bits) and r = rshift, the reference computes
 * h = floor((p + 2^30) / 2^31) (SRDHM) and then rounds h / 2^r half away from zero (RDBPOT):
 * floor((h + 2^(r-1) - [h < 0]) / 2^r) for r > 0. The two floors merge into one,
 *     result = floor((p + 2^30 + 2^(30+r) - 2^31 [p < 0]) / 2^(31+r))        (r > 0)
 *     result = floor((p + 2^30) / 2^31)                                          (r = 0)
 * where [p < 0] may replace [h < 0]: they differ only for -2^30 <= p < 0, where h = 0 and
 * the numerator stays in [0, 2^(31+r)), so the result is 0 either way (m = 0 gives p = 0 and
 * 0 too). One 64-bit add, a masked subtract and an arithmetic shift per half (vpsravq), no
 * 32-bit rounding fix-ups; the low 32 bits of the result are the reference's int32. */
#ifndef EMBER_UKERNELS_AVX512VNNI_REQUANT_QS8_AVX512_H
#define EMBER_UKERNELS_AVX512VNNI_REQUANT_QS8_AVX512_H

#include <immintrin.h>
#include <stdbool.h>

#include "ukernels/requant_qs8.h"

/* A panel's 16 multipliers as the vector code uses them: for the even columns (low halves of
   the 64-bit lanes) and the odd ones, the addend 2^30 + 2^(30+r), the negative correction
   2^31 (0 when r = 0) and the shift 31 + r. When every r <= 22 the output zero point is in
   the addend too (zp 2^(31+r): the sum stays below 2^63), which saves the add per row;
   the low 32 bits are then MBQM + zp modulo 2^32, as the scalar form adds it. */
typedef struct ember_qs8_cols_avx512 {
    __m512i m, m_odd, lshift, add_even, add_odd, neg_even, neg_odd, shift_even, shift_odd, zp;
    bool shifts_left, zp_folded;
} ember_qs8_cols_avx512;

static inline void ember_qs8_cols_half_avx512(__m512i r, __m512i zp, bool fold, __m512i *add,
                                              __m512i *neg, __m512i *shift) {
    const __m512i q30 = _mm512_set1_epi64(INT64_C(1) << 30);
    const __mmask8 rounds = _mm512_test_epi64_mask(r, r);
    *add = _mm512_mask_add_epi64(q30, rounds, q30, _mm512_sllv_epi64(q30, r));
    *neg = _mm512_maskz_mov_epi64(rounds, _mm512_set1_epi64(INT64_C(1) << 31));
    *shift = _mm512_add_epi64(r, _mm512_set1_epi64(31));
    if (fold)
        *add = _mm512_add_epi64(*add, _mm512_sllv_epi64(zp, *shift));
}

/* q: mult[16], lshift[16], rshift[16] (the tail of a packed panel, ukernels/gemm_qs8.h). */
static inline ember_qs8_cols_avx512 ember_qs8_cols_load_avx512(const int32_t *q,
                                                                int32_t out_zp) {
    ember_qs8_cols_avx512 c;
    c.m = _mm512_loadu_si512(q);
    c.m_odd = _mm512_srli_epi64(c.m, 32);
    c.lshift = _mm512_loadu_si512(q + 16);
    c.shifts_left = _mm512_test_epi32_mask(c.lshift, c.lshift) != 0;
    c.zp = _mm512_set1_epi32(out_zp);
    const __m512i r = _mm512_loadu_si512(q + 32);
    c.zp_folded = _mm512_cmpgt_epi32_mask(r, _mm512_set1_epi32(22)) == 0;
    const __m512i zp64 = _mm512_set1_epi64(out_zp);
    const __m512i r_even = _mm512_and_si512(r, _mm512_set1_epi64(0xffffffff));
    ember_qs8_cols_half_avx512(r_even, zp64, c.zp_folded, &c.add_even, &c.neg_even,
                               &c.shift_even);
    ember_qs8_cols_half_avx512(_mm512_srli_epi64(r, 32), zp64, c.zp_folded, &c.add_odd,
                               &c.neg_odd, &c.shift_odd);
    return c;
}

static inline __m512i ember_qs8_round_half_avx512(__m512i p, __m512i add, __m512i neg,
                                                  __m512i shift) {
    const __mmask8 negative = _mm512_cmplt_epi64_mask(p, _mm512_setzero_si512());
    const __m512i t = _mm512_add_epi64(p, add);
    return _mm512_srav_epi64(_mm512_mask_sub_epi64(t, negative, t, neg), shift);
}

/* Sixteen sums x (already shifted left) times their multipliers: the low 32 bits of each
   64-bit result, back in column order, the output zero point in them when it is folded into
   the addend. For columns with no left shift and a folded zero point (the common case, which
   a tile tests once, not per row) this is the whole requantization before the clamp. */
static inline __m512i ember_qs8_mbqm_folded_avx512(__m512i x, const ember_qs8_cols_avx512 *c) {
    const __m512i even = ember_qs8_round_half_avx512(_mm512_mul_epi32(x, c->m), c->add_even,
                                                     c->neg_even, c->shift_even);
    const __m512i odd =
        ember_qs8_round_half_avx512(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), c->m_odd),
                                    c->add_odd, c->neg_odd, c->shift_odd);
    const __m512i order = _mm512_set_epi32(30, 14, 28, 12, 26, 10, 24, 8, 22, 6, 20, 4, 18, 2,
                                           16, 0);
    return _mm512_permutex2var_epi32(even, order, odd);
}

/* Sixteen sums times their multipliers plus the output zero point (modulo 2^32): per lane
   RDBPOT(SRDHM(acc << lshift, m), rshift) + out_zp, as ember_qs8_requantize computes it
   before its clamp. */
static inline __m512i ember_qs8_mbqm_avx512(__m512i acc, const ember_qs8_cols_avx512 *c) {
    const __m512i x = c->shifts_left ? _mm512_sllv_epi32(acc, c->lshift) : acc;
    const __m512i v = ember_qs8_mbqm_folded_avx512(x, c);
    return c->zp_folded ? v : _mm512_add_epi32(v, c->zp);
}

/* Clamped and narrowed to 16 int8: the saturating narrowing keeps the order of values, so
   clamping its bytes to [qmin, qmax] (within the int8 range) equals clamping the int32. */
static inline __m128i ember_qs8_narrow_avx512(__m512i v, __m128i qmin, __m128i qmax) {
    return _mm_min_epi8(_mm_max_epi8(_mm512_cvtsepi32_epi8(v), qmin), qmax);
}

#endif /* EMBER_UKERNELS_AVX512VNNI_REQUANT_QS8_AVX512_H */
