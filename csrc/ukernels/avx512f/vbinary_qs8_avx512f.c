/* AVX-512F int8 ADD and MUL microkernels (ukernels/vbinary_qs8.h): the AVX2 kernels'
   arithmetic on sixteen int32 lanes, mask registers for the rounding's compares and
   vpmovsdb's saturating narrow straight to 16 bytes; a tail of 1..15 goes through a
   16-byte copy. */
#include <immintrin.h>

#include "ukernels/vbinary_qs8.h"

/* RDBPOT(x, rshift) per lane; mask = 2^rshift - 1, half = mask >> 1. */
static inline __m512i rdbpot16(__m512i x, __m128i rshift, __m512i mask, __m512i half) {
    const __m512i one = _mm512_set1_epi32(1);
    const __mmask16 negative = _mm512_cmplt_epi32_mask(x, _mm512_setzero_si512());
    const __m512i threshold = _mm512_mask_add_epi32(half, negative, half, one);
    const __mmask16 up = _mm512_cmpgt_epi32_mask(_mm512_and_si512(x, mask), threshold);
    const __m512i shifted = _mm512_sra_epi32(x, rshift);
    return _mm512_mask_add_epi32(shifted, up, shifted, one);
}

typedef struct out_avx512 {
    __m512i mult, lshift, mask, half, zp;
    __m128i rshift, qmin, qmax;
} out_avx512;

static inline out_avx512 out_setup(const ember_vbinary_qs8_params *p) {
    const int32_t mask = (int32_t)((UINT32_C(1) << p->rshift) - 1u);
    const out_avx512 o = {_mm512_set1_epi32(p->mult),       _mm512_set1_epi32(p->lshift),
                          _mm512_set1_epi32(mask),          _mm512_set1_epi32(mask >> 1),
                          _mm512_set1_epi32(p->out.out_zp), _mm_cvtsi32_si128(p->rshift),
                          _mm_set1_epi8((char)p->out.qmin), _mm_set1_epi8((char)p->out.qmax)};
    return o;
}

/* clamp(MBQM(acc) + out_zp) of sixteen lanes as bytes: the 64-bit products of the even and
   odd lanes (vpmuldq), bits 31..62 of product + 2^30 put back in place. */
static inline __m128i requant16(__m512i acc, const out_avx512 *o) {
    const __m512i x = _mm512_sllv_epi32(acc, o->lshift);
    const __m512i half = _mm512_set1_epi64(INT64_C(1) << 30);
    const __m512i even = _mm512_add_epi64(_mm512_mul_epi32(x, o->mult), half);
    const __m512i odd =
        _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), o->mult), half);
    const __m512i high = _mm512_mask_blend_epi32((__mmask16)0xAAAA, _mm512_srli_epi64(even, 31),
                                                 _mm512_slli_epi64(odd, 1));
    const __m512i v = _mm512_add_epi32(rdbpot16(high, o->rshift, o->mask, o->half), o->zp);
    const __m128i b = _mm512_cvtsepi32_epi8(v);
    return _mm_min_epi8(_mm_max_epi8(b, o->qmin), o->qmax);
}

/* ADD's input rescale with the exact rewrites of vbinary_qs8_avx2.c: the zero point folded
   into constants, RDBPOT(h, r) = (h + 2^(r-1) - [q < zp]) >> r (never -1 where r = 0). */
typedef struct rescale_avx512 {
    __m512i mhi, mlo, lo_add, hi_add, sign_zp;
    __m128i rshift;
} rescale_avx512;

static inline rescale_avx512 rescale_setup(int32_t zp, int32_t mhi, int32_t mlo, int32_t rshift) {
    const int32_t half = rshift > 0 ? (int32_t)(UINT32_C(1) << (rshift - 1)) : 0;
    const rescale_avx512 r = {_mm512_set1_epi32(mhi),
                              _mm512_set1_epi32(mlo),
                              _mm512_set1_epi32((1 << 10) - zp * mlo),
                              _mm512_set1_epi32(half - zp * mhi),
                              _mm512_set1_epi32(rshift > 0 ? zp : INT8_MIN),
                              _mm_cvtsi32_si128(rshift)};
    return r;
}

/* ember_vbinary_qs8_rescale on sixteen lanes. */
static inline __m512i rescale16(__m128i bytes, const rescale_avx512 *r) {
    const __m512i q = _mm512_cvtepi8_epi32(bytes);
    const __m512i low =
        _mm512_srai_epi32(_mm512_add_epi32(_mm512_mullo_epi32(q, r->mlo), r->lo_add), 11);
    const __m512i h = _mm512_add_epi32(_mm512_add_epi32(_mm512_mullo_epi32(q, r->mhi), low),
                                       r->hi_add);
    const __mmask16 below = _mm512_cmpgt_epi32_mask(r->sign_zp, q);
    return _mm512_sra_epi32(_mm512_mask_sub_epi32(h, below, h, _mm512_set1_epi32(1)),
                            r->rshift);
}

/* n (1..16) bytes from p, the rest 0, without reading past p + n. */
static inline __m128i load_partial(const int8_t *p, size_t n) {
    int8_t tmp[16] = {0};
    for (size_t i = 0; i < n; i++)
        tmp[i] = p[i];
    return _mm_loadu_si128((const __m128i *)tmp);
}

static inline void store_partial(int8_t *p, __m128i v, size_t n) {
    int8_t tmp[16];
    _mm_storeu_si128((__m128i *)tmp, v);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[i];
}

void ember_vadd_qs8_vv_avx512f(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                               const ember_vbinary_qs8_params *p) {
    const rescale_avx512 ra = rescale_setup(p->a_zp, p->a_mhi, p->a_mlo, p->a_rshift);
    const rescale_avx512 rb = rescale_setup(p->b_zp, p->b_mhi, p->b_mlo, p->b_rshift);
    const out_avx512 o = out_setup(p);
    for (; n >= 16; n -= 16, a += 16, b += 16, out += 16) {
        const __m512i s = _mm512_add_epi32(rescale16(_mm_loadu_si128((const __m128i *)a), &ra),
                                           rescale16(_mm_loadu_si128((const __m128i *)b), &rb));
        _mm_storeu_si128((__m128i *)out, requant16(s, &o));
    }
    if (n > 0) {
        const __m512i s = _mm512_add_epi32(rescale16(load_partial(a, n), &ra),
                                           rescale16(load_partial(b, n), &rb));
        store_partial(out, requant16(s, &o), n);
    }
}

void ember_vadd_qs8_vs_avx512f(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                               const ember_vbinary_qs8_params *p) {
    const rescale_avx512 ra = rescale_setup(p->a_zp, p->a_mhi, p->a_mlo, p->a_rshift);
    const __m512i rb = _mm512_set1_epi32(
        ember_vbinary_qs8_rescale(b[0] - p->b_zp, p->b_mhi, p->b_mlo, p->b_rshift));
    const out_avx512 o = out_setup(p);
    for (; n >= 16; n -= 16, a += 16, out += 16) {
        const __m512i s = _mm512_add_epi32(rescale16(_mm_loadu_si128((const __m128i *)a), &ra), rb);
        _mm_storeu_si128((__m128i *)out, requant16(s, &o));
    }
    if (n > 0)
        store_partial(out, requant16(_mm512_add_epi32(rescale16(load_partial(a, n), &ra), rb), &o),
                      n);
}

static inline __m128i mul16(__m128i a, __m512i azp, __m512i db, const out_avx512 *o) {
    const __m512i da = _mm512_sub_epi32(_mm512_cvtepi8_epi32(a), azp);
    return requant16(_mm512_mullo_epi32(da, db), o);
}

void ember_vmul_qs8_vv_avx512f(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                               const ember_vbinary_qs8_params *p) {
    const __m512i azp = _mm512_set1_epi32(p->a_zp), bzp = _mm512_set1_epi32(p->b_zp);
    const out_avx512 o = out_setup(p);
    for (; n >= 16; n -= 16, a += 16, b += 16, out += 16) {
        const __m512i db =
            _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)b)), bzp);
        _mm_storeu_si128((__m128i *)out,
                         mul16(_mm_loadu_si128((const __m128i *)a), azp, db, &o));
    }
    if (n > 0) {
        const __m512i db = _mm512_sub_epi32(_mm512_cvtepi8_epi32(load_partial(b, n)), bzp);
        store_partial(out, mul16(load_partial(a, n), azp, db, &o), n);
    }
}

void ember_vmul_qs8_vs_avx512f(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                               const ember_vbinary_qs8_params *p) {
    const __m512i azp = _mm512_set1_epi32(p->a_zp), db = _mm512_set1_epi32(b[0] - p->b_zp);
    const out_avx512 o = out_setup(p);
    for (; n >= 16; n -= 16, a += 16, out += 16)
        _mm_storeu_si128((__m128i *)out,
                         mul16(_mm_loadu_si128((const __m128i *)a), azp, db, &o));
    if (n > 0)
        store_partial(out, mul16(load_partial(a, n), azp, db, &o), n);
}
