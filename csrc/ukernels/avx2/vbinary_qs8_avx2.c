/* AVX2 int8 ADD and MUL microkernels (ukernels/vbinary_qs8.h): 16 outputs per step, eight
   int32 lanes per half, the exact requantization of requant_qs8_avx2.h; a tail goes through a
   16-byte copy. */
#include <immintrin.h>
#include <string.h>

#include "ukernels/avx2/requant_qs8_avx2.h"
#include "ukernels/vbinary_qs8.h"

/* ADD's arithmetic with fewer operations than the general requant_qs8_avx2.h, by two exact
   rewrites for its bounded ranges:
   - RDBPOT(h, r) for r >= 1 is (h + 2^(r-1) - [h < 0]) >> r (floor of the halved-up sum: ties
     go up for h >= 0 and down for h < 0, i.e. away from zero), valid while h + 2^(r-1) fits
     int32: here |h| < 2^29.
   - An input rescale h = floor((d * m + 2^10) / 2^11) (vbinary_qs8.h) has the sign of
     d = q - zp (h is 0 where they differ, and RDBPOT(0) = 0 either way), so [h < 0] is
     q < zp, and the zero point folds into constants: h = q * m_hi - zp * m_hi +
     ((q * m_lo + 2^10 - zp * m_lo) >> 11). With r = 0 the compare must never fire: zp is
     replaced by -128 there. */
typedef struct rescale_avx2 {
    __m256i mhi, mlo, lo_add, hi_add, sign_zp;
    __m128i rshift;
} rescale_avx2;

static inline rescale_avx2 rescale_setup(int32_t zp, int32_t mhi, int32_t mlo, int32_t rshift) {
    const int32_t half = rshift > 0 ? (int32_t)(UINT32_C(1) << (rshift - 1)) : 0;
    const rescale_avx2 r = {_mm256_set1_epi32(mhi),
                            _mm256_set1_epi32(mlo),
                            _mm256_set1_epi32((1 << 10) - zp * mlo),
                            _mm256_set1_epi32(half - zp * mhi),
                            _mm256_set1_epi32(rshift > 0 ? zp : INT8_MIN),
                            _mm_cvtsi32_si128(rshift)};
    return r;
}

static inline __m256i load8(const int8_t *p) {
    return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p));
}

/* ember_vbinary_qs8_rescale on eight lanes of stored values q. */
static inline __m256i rescale8(__m256i q, const rescale_avx2 *r) {
    const __m256i low =
        _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(q, r->mlo), r->lo_add), 11);
    const __m256i h = _mm256_add_epi32(_mm256_add_epi32(_mm256_mullo_epi32(q, r->mhi), low),
                                       r->hi_add);
    /* + (-1) where q < zp: the ties-down of negative values */
    return _mm256_sra_epi32(_mm256_add_epi32(h, _mm256_cmpgt_epi32(r->sign_zp, q)), r->rshift);
}

/* The output requantization: SRDHM by vpmuldq as requant_qs8_avx2.h (no left shift: ADD's
   output multiplier is < 1, MUL's takes the general form), then the rounding shift above
   with [h < 0] as the sign bit shifted down by 31, or by 32 (giving 0) when r = 0. */
typedef struct out_avx2 {
    __m256i mult, lshift, rshift, half;
    __m128i sign_shift, rshift_count;
} out_avx2;

static inline out_avx2 out_setup(const ember_vbinary_qs8_params *p) {
    const int32_t half = p->rshift > 0 ? (int32_t)(UINT32_C(1) << (p->rshift - 1)) : 0;
    const out_avx2 o = {_mm256_set1_epi32(p->mult), _mm256_set1_epi32(p->lshift),
                        _mm256_set1_epi32(p->rshift), _mm256_set1_epi32(half),
                        _mm_cvtsi32_si128(p->rshift > 0 ? 31 : 32),
                        _mm_cvtsi32_si128(p->rshift)};
    return o;
}

static inline __m256i add_requant8(__m256i x, const out_avx2 *o) {
    const __m256i half64 = _mm256_set1_epi64x(INT64_C(1) << 30);
    const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, o->mult), half64);
    const __m256i odd =
        _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), o->mult), half64);
    const __m256i h = _mm256_blend_epi32(_mm256_srli_epi64(even, 31),
                                         _mm256_slli_epi64(odd, 1), 0xAA);
    const __m256i t = _mm256_sub_epi32(_mm256_add_epi32(h, o->half),
                                       _mm256_srl_epi32(h, o->sign_shift));
    return _mm256_sra_epi32(t, o->rshift_count);
}

static inline __m128i add16(const int8_t *a, const int8_t *b, const rescale_avx2 *ra,
                            const rescale_avx2 *rb, const out_avx2 *o,
                            const ember_vbinary_qs8_params *p) {
    const __m256i s0 = _mm256_add_epi32(rescale8(load8(a), ra), rescale8(load8(b), rb));
    const __m256i s1 = _mm256_add_epi32(rescale8(load8(a + 8), ra), rescale8(load8(b + 8), rb));
    return ember_qs8_pack16_avx2(add_requant8(s0, o), add_requant8(s1, o), &p->out);
}

void ember_vadd_qs8_vv_avx2(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                            const ember_vbinary_qs8_params *p) {
    const rescale_avx2 ra = rescale_setup(p->a_zp, p->a_mhi, p->a_mlo, p->a_rshift);
    const rescale_avx2 rb = rescale_setup(p->b_zp, p->b_mhi, p->b_mlo, p->b_rshift);
    const out_avx2 o = out_setup(p);
    for (; n >= 16; n -= 16, a += 16, b += 16, out += 16)
        _mm_storeu_si128((__m128i *)out, add16(a, b, &ra, &rb, &o, p));
    if (n > 0) {
        int8_t ta[16] = {0}, tb[16] = {0}, to[16];
        memcpy(ta, a, n);
        memcpy(tb, b, n);
        _mm_storeu_si128((__m128i *)to, add16(ta, tb, &ra, &rb, &o, p));
        memcpy(out, to, n);
    }
}

static inline __m128i add16_s(const int8_t *a, __m256i rb, const rescale_avx2 *ra,
                              const out_avx2 *o, const ember_vbinary_qs8_params *p) {
    const __m256i s0 = _mm256_add_epi32(rescale8(load8(a), ra), rb);
    const __m256i s1 = _mm256_add_epi32(rescale8(load8(a + 8), ra), rb);
    return ember_qs8_pack16_avx2(add_requant8(s0, o), add_requant8(s1, o), &p->out);
}

void ember_vadd_qs8_vs_avx2(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                            const ember_vbinary_qs8_params *p) {
    const rescale_avx2 ra = rescale_setup(p->a_zp, p->a_mhi, p->a_mlo, p->a_rshift);
    const __m256i rb = _mm256_set1_epi32(
        ember_vbinary_qs8_rescale(b[0] - p->b_zp, p->b_mhi, p->b_mlo, p->b_rshift));
    const out_avx2 o = out_setup(p);
    for (; n >= 16; n -= 16, a += 16, out += 16)
        _mm_storeu_si128((__m128i *)out, add16_s(a, rb, &ra, &o, p));
    if (n > 0) {
        int8_t ta[16] = {0}, to[16];
        memcpy(ta, a, n);
        _mm_storeu_si128((__m128i *)to, add16_s(ta, rb, &ra, &o, p));
        memcpy(out, to, n);
    }
}

/* (a - zp_a) * db for eight lanes, requantized. */
static inline __m256i mul8(const int8_t *a, __m256i azp, __m256i db, const out_avx2 *o) {
    const __m256i prod = _mm256_mullo_epi32(_mm256_sub_epi32(load8(a), azp), db);
    return ember_qs8_mbqm_avx2(prod, o->mult, o->lshift, o->rshift);
}

static inline __m128i mul16(const int8_t *a, const int8_t *b, __m256i azp, __m256i bzp,
                            const out_avx2 *o, const ember_vbinary_qs8_params *p) {
    return ember_qs8_pack16_avx2(mul8(a, azp, _mm256_sub_epi32(load8(b), bzp), o),
                                 mul8(a + 8, azp, _mm256_sub_epi32(load8(b + 8), bzp), o),
                                 &p->out);
}

void ember_vmul_qs8_vv_avx2(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                            const ember_vbinary_qs8_params *p) {
    const __m256i azp = _mm256_set1_epi32(p->a_zp), bzp = _mm256_set1_epi32(p->b_zp);
    const out_avx2 o = out_setup(p);
    for (; n >= 16; n -= 16, a += 16, b += 16, out += 16)
        _mm_storeu_si128((__m128i *)out, mul16(a, b, azp, bzp, &o, p));
    if (n > 0) {
        int8_t ta[16] = {0}, tb[16] = {0}, to[16];
        memcpy(ta, a, n);
        memcpy(tb, b, n);
        _mm_storeu_si128((__m128i *)to, mul16(ta, tb, azp, bzp, &o, p));
        memcpy(out, to, n);
    }
}

void ember_vmul_qs8_vs_avx2(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                            const ember_vbinary_qs8_params *p) {
    const __m256i azp = _mm256_set1_epi32(p->a_zp), db = _mm256_set1_epi32(b[0] - p->b_zp);
    const out_avx2 o = out_setup(p);
    for (; n >= 16; n -= 16, a += 16, out += 16)
        _mm_storeu_si128((__m128i *)out,
                         ember_qs8_pack16_avx2(mul8(a, azp, db, &o), mul8(a + 8, azp, db, &o),
                                               &p->out));
    if (n > 0) {
        int8_t ta[16] = {0}, to[16];
        memcpy(ta, a, n);
        _mm_storeu_si128((__m128i *)to, ember_qs8_pack16_avx2(mul8(ta, azp, db, &o),
                                                              mul8(ta + 8, azp, db, &o),
                                                              &p->out));
        memcpy(out, to, n);
    }
}
