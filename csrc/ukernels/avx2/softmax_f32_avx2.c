/* AVX2 SOFTMAX / LOG_SOFTMAX rows and the exp approximation they share
   (csrc/ukernels/softmax.h). Rows of any length: 8 (softmax) or 4 (log_softmax, in double)
   values per step, the last few through a lane mask. */
#include <immintrin.h>
#include <math.h>

#include "ukernels/softmax.h"

/* ln FLT_MIN, rounded up: below it exp is flushed to 0. */
#define EXP_CUTOFF -87.33654f

/* 8 - n leading entries of -1 select the first n lanes from &mask_table[8 - n]. */
static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

static inline __m256i mask8(size_t n) {
    return _mm256_loadu_si256((const __m256i *)(const void *)(mask_table + 8 - n));
}

static inline __m128i mask4(size_t n) {
    return _mm_loadu_si128((const __m128i *)(const void *)(mask_table + 8 - n));
}

/* exp(z) for z <= 0 or NaN: 2^k * p(r) as softmax.h states. max_ps(cutoff, z) keeps a NaN z
   (the second operand wins when either is NaN), so NaN flows through to the result. */
static inline __m256 exp8(__m256 z) {
    const __m256 cutoff = _mm256_set1_ps(EXP_CUTOFF);
    const __m256 magic = _mm256_set1_ps(0x1.8p23f); /* adding it rounds to an integer */
    const __m256 zc = _mm256_max_ps(cutoff, z);
    const __m256 k = _mm256_sub_ps(
        _mm256_fmadd_ps(zc, _mm256_set1_ps(0x1.715476p+0f), magic), magic);
    /* ln 2 = 0.693359375 (9 bits, so k * it is exact) - 2.12194440e-4 */
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), zc);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i bits = _mm256_slli_epi32(
        _mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    const __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
    return _mm256_andnot_ps(_mm256_cmp_ps(z, cutoff, _CMP_LT_OQ), y);
}

void ember_vexp_neg_f32_avx2(const float *z, float *y, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, exp8(_mm256_loadu_ps(z + i)));
    if (i < n) {
        const __m256i m = mask8(n - i);
        _mm256_maskstore_ps(y + i, m, exp8(_mm256_maskload_ps(z + i, m)));
    }
}

static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* The largest lane, ignoring NaN lanes as the reference's `v > m ? v : m` does. */
static inline float hmax8(__m256 v) {
    float lanes[8];
    _mm256_storeu_ps(lanes, v);
    float m = -INFINITY;
    for (size_t i = 0; i < 8; i++)
        m = lanes[i] > m ? lanes[i] : m;
    return m;
}

void ember_softmax_row_f32_avx2(const float *x, float *y, size_t n, float beta) {
    const __m256 vb = _mm256_set1_ps(beta), ninf = _mm256_set1_ps(-INFINITY);
    const size_t full = n & ~(size_t)7, rest = n - full;
    const __m256i mask = mask8(rest);
    __m256 vm = ninf; /* max_ps(v, best) = v > best ? v : best, as the reference's */
    for (size_t i = 0; i < full; i += 8)
        vm = _mm256_max_ps(_mm256_mul_ps(vb, _mm256_loadu_ps(x + i)), vm);
    if (rest > 0) {
        const __m256 v = _mm256_mul_ps(vb, _mm256_maskload_ps(x + full, mask));
        vm = _mm256_max_ps(_mm256_blendv_ps(ninf, v, _mm256_castsi256_ps(mask)), vm);
    }
    const __m256 m = _mm256_set1_ps(hmax8(vm));
    __m256 sum = _mm256_setzero_ps();
    for (size_t i = 0; i < full; i += 8) {
        const __m256 e = exp8(_mm256_sub_ps(_mm256_mul_ps(vb, _mm256_loadu_ps(x + i)), m));
        _mm256_storeu_ps(y + i, e);
        sum = _mm256_add_ps(sum, e);
    }
    if (rest > 0) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_mul_ps(vb, _mm256_maskload_ps(x + full, mask)), m));
        e = _mm256_and_ps(e, _mm256_castsi256_ps(mask));
        _mm256_maskstore_ps(y + full, mask, e);
        sum = _mm256_add_ps(sum, e);
    }
    const __m256 inv = _mm256_set1_ps(1.0f / hsum8(sum));
    for (size_t i = 0; i < full; i += 8)
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), inv));
    if (rest > 0)
        _mm256_maskstore_ps(y + full, mask,
                            _mm256_mul_ps(_mm256_maskload_ps(y + full, mask), inv));
}

/* beta * x of 4 values in double (exact: a product of two floats fits a double). */
static inline __m256d product4(const float *x, __m256d vb) {
    return _mm256_mul_pd(vb, _mm256_cvtps_pd(_mm_loadu_ps(x)));
}

static inline __m256d product4_masked(const float *x, __m256d vb, __m128i mask) {
    return _mm256_mul_pd(vb, _mm256_cvtps_pd(_mm_maskload_ps(x, mask)));
}

static inline double hmax4d(__m256d v) {
    double lanes[4];
    _mm256_storeu_pd(lanes, v);
    double m = -INFINITY;
    for (size_t i = 0; i < 4; i++)
        m = lanes[i] > m ? lanes[i] : m;
    return m;
}

static inline double hsum4d(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

/* exp of two groups of 4 double differences, as floats, added to sum in double. */
static inline __m256d add_exps(__m256d sum, __m256d z_lo, __m256d z_hi) {
    const __m256 e = exp8(_mm256_set_m128(_mm256_cvtpd_ps(z_hi), _mm256_cvtpd_ps(z_lo)));
    sum = _mm256_add_pd(sum, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
    return _mm256_add_pd(sum, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
}

void ember_log_softmax_row_f32_avx2(const float *x, float *y, size_t n, float beta) {
    const __m256d vb = _mm256_set1_pd((double)beta), ninf = _mm256_set1_pd(-INFINITY);
    const size_t full = n & ~(size_t)3, rest = n - full;
    const __m128i mask = mask4(rest);
    const __m256d wide_mask = _mm256_castsi256_pd(_mm256_cvtepi32_epi64(mask));
    __m256d vm = ninf;
    for (size_t i = 0; i < full; i += 4)
        vm = _mm256_max_pd(product4(x + i, vb), vm);
    if (rest > 0)
        vm = _mm256_max_pd(_mm256_blendv_pd(ninf, product4_masked(x + full, vb, mask),
                                            wide_mask), vm);
    const __m256d m = _mm256_set1_pd(hmax4d(vm));
    __m256d sum = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 8 <= full; i += 8)
        sum = add_exps(sum, _mm256_sub_pd(product4(x + i, vb), m),
                       _mm256_sub_pd(product4(x + i + 4, vb), m));
    /* at most one group of 4 and the masked rest; padding lanes are -inf (exp 0) */
    __m256d z_lo = ninf, z_hi = ninf;
    if (i < full) {
        z_lo = _mm256_sub_pd(product4(x + i, vb), m);
        if (rest > 0)
            z_hi = _mm256_blendv_pd(ninf, _mm256_sub_pd(product4_masked(x + full, vb, mask), m),
                                    wide_mask);
    } else if (rest > 0) {
        z_lo = _mm256_blendv_pd(ninf, _mm256_sub_pd(product4_masked(x + full, vb, mask), m),
                                wide_mask);
    }
    if (i < n)
        sum = add_exps(sum, z_lo, z_hi);
    const __m256d shift = _mm256_set1_pd(log(hsum4d(sum)));
    for (i = 0; i < full; i += 4)
        _mm_storeu_ps(y + i, _mm256_cvtpd_ps(_mm256_sub_pd(
                                 _mm256_sub_pd(product4(x + i, vb), m), shift)));
    if (rest > 0)
        _mm_maskstore_ps(y + full, mask, _mm256_cvtpd_ps(_mm256_sub_pd(
                             _mm256_sub_pd(product4_masked(x + full, vb, mask), m), shift)));
}
