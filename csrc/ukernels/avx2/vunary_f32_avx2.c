/* AVX2 float32 unary microkernels (csrc/ukernels/vunary.h): 16 outputs per step, then 8, then
   a masked load and store for the last 1..7. clamp, leaky_relu, hard_swish and hard_sigmoid
   repeat the reference's operations (bit-identical); sigmoid and tanh are vunary.h's
   approximations, here with FMA in the range reduction and the polynomial. */
#include <immintrin.h>

#include "ukernels/vunary.h"

/* The per-call constants a vector function needs (set once per call). */
struct consts {
    __m256 a, b;
};

typedef __m256 (*vec_fn)(__m256 x, const struct consts *k);

static inline __m256i tail_mask(size_t rest) {
    static const int32_t ones_then_zeros[16] = {-1, -1, -1, -1, -1, -1, -1, -1};
    return _mm256_loadu_si256((const __m256i *)(ones_then_zeros + 8 - rest));
}

static inline void loop(const float *in, float *out, size_t n, const struct consts *k,
                        vec_fn f) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 x0 = _mm256_loadu_ps(in + i), x1 = _mm256_loadu_ps(in + i + 8);
        _mm256_storeu_ps(out + i, f(x0, k));
        _mm256_storeu_ps(out + i + 8, f(x1, k));
    }
    if (i + 8 <= n) {
        _mm256_storeu_ps(out + i, f(_mm256_loadu_ps(in + i), k));
        i += 8;
    }
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        _mm256_maskstore_ps(out + i, m, f(_mm256_maskload_ps(in + i, m), k));
    }
}

/* maxps(lo, v) is v < lo ? lo : v and minps(hi, v) is v > hi ? hi : v: ember_clamp_f32. */
static inline __m256 clamp(__m256 v, __m256 lo, __m256 hi) {
    return _mm256_min_ps(hi, _mm256_max_ps(lo, v));
}

static inline __m256 f_clamp(__m256 x, const struct consts *k) { return clamp(x, k->a, k->b); }

static inline __m256 f_leaky_relu(__m256 x, const struct consts *k) {
    const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_blendv_ps(x, _mm256_mul_ps(k->a, x), neg);
}

static inline __m256 f_hard_swish(__m256 x, const struct consts *k) {
    (void)k;
    const __m256 r = clamp(_mm256_add_ps(x, _mm256_set1_ps(3.0f)), _mm256_setzero_ps(),
                           _mm256_set1_ps(6.0f));
    return _mm256_mul_ps(_mm256_mul_ps(x, r), _mm256_set1_ps(1.0f / 6.0f));
}

static inline __m256 f_hard_sigmoid(__m256 x, const struct consts *k) {
    const __m256 v = _mm256_add_ps(_mm256_mul_ps(k->a, x), k->b);
    return clamp(v, _mm256_setzero_ps(), _mm256_set1_ps(1.0f));
}

/* q(t) of exp(z) = 2^n (1 + q(t)) (vunary.h), *scale = 2^n. */
static inline __m256 exp_parts(__m256 z, __m256 *scale) {
    const __m256 magic = _mm256_set1_ps(EMBER_VEXP_MAGIC);
    const __m256 biased = _mm256_fmadd_ps(z, _mm256_set1_ps(EMBER_VEXP_LOG2E), magic);
    *scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(biased), 23));
    const __m256 n = _mm256_sub_ps(biased, magic);
    __m256 t = _mm256_fnmadd_ps(n, _mm256_set1_ps(EMBER_VEXP_LN2_HI), z);
    t = _mm256_fnmadd_ps(n, _mm256_set1_ps(EMBER_VEXP_LN2_LO), t);
    __m256 q = _mm256_set1_ps(EMBER_VEXP_C6);
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(EMBER_VEXP_C5));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(EMBER_VEXP_C4));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(EMBER_VEXP_C3));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(EMBER_VEXP_C2));
    return _mm256_fmadd_ps(_mm256_mul_ps(q, t), t, t);
}

static inline __m256 f_sigmoid(__m256 x, const struct consts *k) {
    (void)k;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 z = _mm256_or_ps(x, sign); /* -|x| */
    __m256 s;
    const __m256 q = exp_parts(z, &s);
    const __m256 e = _mm256_fmadd_ps(s, q, s);
    __m256 f = _mm256_div_ps(e, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    const __m256 flush = _mm256_cmp_ps(z, _mm256_set1_ps(EMBER_VSIGMOID_CUTOFF), _CMP_LT_OQ);
    f = _mm256_andnot_ps(flush, f);
    /* blendv picks by the sign bit: f for x < 0 (and -0, -NaN), 1 - f otherwise. */
    return _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), f), f, x);
}

static inline __m256 f_tanh(__m256 x, const struct consts *k) {
    (void)k;
    const __m256 sign_bit = _mm256_set1_ps(-0.0f);
    const __m256 sign = _mm256_and_ps(x, sign_bit);
    const __m256 ax = _mm256_xor_ps(x, sign);
    __m256 s;
    const __m256 q = exp_parts(_mm256_mul_ps(_mm256_set1_ps(-2.0f), ax), &s);
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 m = _mm256_fmadd_ps(s, q, _mm256_sub_ps(s, one)); /* expm1(-2|x|) */
    __m256 y = _mm256_div_ps(m, _mm256_sub_ps(_mm256_set1_ps(-2.0f), m)); /* -m / (2 + m) */
    const __m256 sat = _mm256_cmp_ps(ax, _mm256_set1_ps(EMBER_VTANH_SATURATE), _CMP_GE_OQ);
    y = _mm256_blendv_ps(y, one, sat);
    return _mm256_or_ps(_mm256_andnot_ps(sign_bit, y), sign);
}

void ember_vclamp_f32_avx2(const float *in, float *out, size_t n, const ember_unary_params *p) {
    const struct consts k = {_mm256_set1_ps(p->a), _mm256_set1_ps(p->b)};
    loop(in, out, n, &k, f_clamp);
}

void ember_vleaky_relu_f32_avx2(const float *in, float *out, size_t n,
                                const ember_unary_params *p) {
    const struct consts k = {_mm256_set1_ps(p->a), _mm256_setzero_ps()};
    loop(in, out, n, &k, f_leaky_relu);
}

void ember_vhard_swish_f32_avx2(const float *in, float *out, size_t n,
                                const ember_unary_params *p) {
    (void)p;
    const struct consts k = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    loop(in, out, n, &k, f_hard_swish);
}

void ember_vhard_sigmoid_f32_avx2(const float *in, float *out, size_t n,
                                  const ember_unary_params *p) {
    const struct consts k = {_mm256_set1_ps(p->a), _mm256_set1_ps(p->b)};
    loop(in, out, n, &k, f_hard_sigmoid);
}

void ember_vsigmoid_f32_avx2(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    const struct consts k = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    loop(in, out, n, &k, f_sigmoid);
}

void ember_vtanh_f32_avx2(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    const struct consts k = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    loop(in, out, n, &k, f_tanh);
}
