/* AVX-512F float32 sigmoid and tanh (csrc/ukernels/vunary.h): the AVX2 kernels' operations in
   the same order, 16 lanes wide, the tail by a masked load and store. Only these two: they are
   bound by arithmetic (about 20% faster than AVX2 on Zen 4), the other unary and binary ops by
   memory, where wider vectors gain nothing. */
#include <immintrin.h>

#include "ukernels/vunary.h"

/* q(t) of exp(z) = 2^n (1 + q(t)) (vunary.h), *scale = 2^n. */
static inline __m512 exp_parts(__m512 z, __m512 *scale) {
    const __m512 magic = _mm512_set1_ps(EMBER_VEXP_MAGIC);
    const __m512 biased = _mm512_fmadd_ps(z, _mm512_set1_ps(EMBER_VEXP_LOG2E), magic);
    *scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(biased), 23));
    const __m512 n = _mm512_sub_ps(biased, magic);
    __m512 t = _mm512_fnmadd_ps(n, _mm512_set1_ps(EMBER_VEXP_LN2_HI), z);
    t = _mm512_fnmadd_ps(n, _mm512_set1_ps(EMBER_VEXP_LN2_LO), t);
    __m512 q = _mm512_set1_ps(EMBER_VEXP_C6);
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(EMBER_VEXP_C5));
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(EMBER_VEXP_C4));
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(EMBER_VEXP_C3));
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(EMBER_VEXP_C2));
    return _mm512_fmadd_ps(_mm512_mul_ps(q, t), t, t);
}

static inline __m512i sign_bit(void) { return _mm512_set1_epi32((int32_t)UINT32_C(0x80000000)); }

static inline __m512 sigmoid16(__m512 x) {
    const __m512i xi = _mm512_castps_si512(x);
    const __m512 z = _mm512_castsi512_ps(_mm512_or_si512(xi, sign_bit())); /* -|x| */
    __m512 s;
    const __m512 q = exp_parts(z, &s);
    const __m512 e = _mm512_fmadd_ps(s, q, s);
    __m512 f = _mm512_div_ps(e, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
    const __mmask16 flush =
        _mm512_cmp_ps_mask(z, _mm512_set1_ps(EMBER_VSIGMOID_CUTOFF), _CMP_LT_OQ);
    f = _mm512_mask_mov_ps(f, flush, _mm512_setzero_ps());
    /* f where the sign bit is set (x < 0, -0, -NaN), 1 - f elsewhere. */
    const __mmask16 neg = _mm512_cmplt_epi32_mask(xi, _mm512_setzero_si512());
    return _mm512_mask_mov_ps(_mm512_sub_ps(_mm512_set1_ps(1.0f), f), neg, f);
}

static inline __m512 tanh16(__m512 x) {
    const __m512i sign = _mm512_and_si512(_mm512_castps_si512(x), sign_bit());
    const __m512 ax = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), sign));
    __m512 s;
    const __m512 q = exp_parts(_mm512_mul_ps(_mm512_set1_ps(-2.0f), ax), &s);
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 m = _mm512_fmadd_ps(s, q, _mm512_sub_ps(s, one)); /* expm1(-2|x|) */
    __m512 y = _mm512_div_ps(m, _mm512_sub_ps(_mm512_set1_ps(-2.0f), m)); /* -m / (2 + m) */
    const __mmask16 sat =
        _mm512_cmp_ps_mask(ax, _mm512_set1_ps(EMBER_VTANH_SATURATE), _CMP_GE_OQ);
    y = _mm512_mask_mov_ps(y, sat, one);
    const __m512i mag = _mm512_andnot_si512(sign_bit(), _mm512_castps_si512(y));
    return _mm512_castsi512_ps(_mm512_or_si512(mag, sign));
}

typedef __m512 (*vec_fn)(__m512 x);

static inline void loop(const float *in, float *out, size_t n, vec_fn f) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(out + i, f(_mm512_loadu_ps(in + i)));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(out + i, m, f(_mm512_maskz_loadu_ps(m, in + i)));
    }
}

void ember_vsigmoid_f32_avx512f(const float *in, float *out, size_t n,
                                const ember_unary_params *p) {
    (void)p;
    loop(in, out, n, sigmoid16);
}

void ember_vtanh_f32_avx512f(const float *in, float *out, size_t n,
                             const ember_unary_params *p) {
    (void)p;
    loop(in, out, n, tanh16);
}
