/* AVX2 float32 binary microkernels (csrc/ukernels/vbinary.h): 16 outputs per step, then 8,
   then a masked load and store for the last 1..7 (so no byte past the arrays is touched).
   Each public kernel is one call of a loop helper with the op's vector function; both are
   static inline, so the calls become straight code. Bit-identical to the reference loops. */
#include <immintrin.h>
#include <math.h>

#include "ukernels/vbinary.h"

typedef __m256 (*op_fn)(__m256 x, __m256 y);

static inline __m256 op_add(__m256 x, __m256 y) { return _mm256_add_ps(x, y); }
static inline __m256 op_sub(__m256 x, __m256 y) { return _mm256_sub_ps(x, y); }
static inline __m256 op_mul(__m256 x, __m256 y) { return _mm256_mul_ps(x, y); }
static inline __m256 op_div(__m256 x, __m256 y) { return _mm256_div_ps(x, y); }
/* maxps(p, q) is p > q ? p : q: the reference's y > x ? y : x. */
static inline __m256 op_max(__m256 x, __m256 y) { return _mm256_max_ps(y, x); }
static inline __m256 op_min(__m256 x, __m256 y) { return _mm256_min_ps(y, x); }
static inline __m256 op_prelu(__m256 x, __m256 alpha) {
    const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_blendv_ps(x, _mm256_mul_ps(alpha, x), neg);
}
/* maxps(lo, v) is v < lo ? lo : v and minps(hi, v) is v > hi ? hi : v: ember_clamp_f32. */
static inline __m256 clamp(__m256 v, __m256 lo, __m256 hi) {
    return _mm256_min_ps(hi, _mm256_max_ps(lo, v));
}

/* Lanes [0, rest) on, for rest in 1..7: a window into -1 x 8, 0 x 8. */
static inline __m256i tail_mask(size_t rest) {
    static const int32_t ones_then_zeros[16] = {-1, -1, -1, -1, -1, -1, -1, -1};
    return _mm256_loadu_si256((const __m256i *)(ones_then_zeros + 8 - rest));
}

/* sa, sb: whether a, b repeat their first value (the vs and sv forms); lo, hi: the clamp
   (the -inf, +inf of MAXIMUM, MINIMUM and PRELU make it an identity, NaN kept). */
static inline void loop(size_t n, const float *a, const float *b, float *out, bool sa, bool sb,
                        __m256 lo, __m256 hi, op_fn op) {
    const __m256 xa = _mm256_broadcast_ss(a), xb = _mm256_broadcast_ss(b);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 a0 = sa ? xa : _mm256_loadu_ps(a + i);
        const __m256 a1 = sa ? xa : _mm256_loadu_ps(a + i + 8);
        const __m256 b0 = sb ? xb : _mm256_loadu_ps(b + i);
        const __m256 b1 = sb ? xb : _mm256_loadu_ps(b + i + 8);
        _mm256_storeu_ps(out + i, clamp(op(a0, b0), lo, hi));
        _mm256_storeu_ps(out + i + 8, clamp(op(a1, b1), lo, hi));
    }
    if (i + 8 <= n) {
        const __m256 a0 = sa ? xa : _mm256_loadu_ps(a + i);
        const __m256 b0 = sb ? xb : _mm256_loadu_ps(b + i);
        _mm256_storeu_ps(out + i, clamp(op(a0, b0), lo, hi));
        i += 8;
    }
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        const __m256 a0 = sa ? xa : _mm256_maskload_ps(a + i, m);
        const __m256 b0 = sb ? xb : _mm256_maskload_ps(b + i, m);
        _mm256_maskstore_ps(out + i, m, clamp(op(a0, b0), lo, hi));
    }
}

static inline void clamped(size_t n, const float *a, const float *b, float *out, bool sa,
                           bool sb, const ember_minmax_f32 *c, op_fn op) {
    if (n > 0)
        loop(n, a, b, out, sa, sb, _mm256_set1_ps(c->min), _mm256_set1_ps(c->max), op);
}

static inline void plain(size_t n, const float *a, const float *b, float *out, bool sa, bool sb,
                         op_fn op) {
    if (n > 0)
        loop(n, a, b, out, sa, sb, _mm256_set1_ps(-INFINITY), _mm256_set1_ps(INFINITY), op);
}

void ember_vadd_f32_vv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, false, false, c, op_add);
}
void ember_vadd_f32_vs_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, false, true, c, op_add);
}
void ember_vadd_f32_sv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, true, false, c, op_add);
}

void ember_vsub_f32_vv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, false, false, c, op_sub);
}
void ember_vsub_f32_vs_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, false, true, c, op_sub);
}
void ember_vsub_f32_sv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, true, false, c, op_sub);
}

void ember_vmul_f32_vv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, false, false, c, op_mul);
}
void ember_vmul_f32_vs_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, false, true, c, op_mul);
}
void ember_vmul_f32_sv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, true, false, c, op_mul);
}

void ember_vdiv_f32_vv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, false, false, c, op_div);
}
void ember_vdiv_f32_vs_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, false, true, c, op_div);
}
void ember_vdiv_f32_sv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, true, false, c, op_div);
}

void ember_vmax_f32_vv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    (void)c;
    plain(n, a, b, out, false, false, op_max);
}
void ember_vmax_f32_vs_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    (void)c;
    plain(n, a, b, out, false, true, op_max);
}
void ember_vmax_f32_sv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    (void)c;
    plain(n, a, b, out, true, false, op_max);
}

void ember_vmin_f32_vv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    (void)c;
    plain(n, a, b, out, false, false, op_min);
}
void ember_vmin_f32_vs_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    (void)c;
    plain(n, a, b, out, false, true, op_min);
}
void ember_vmin_f32_sv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    (void)c;
    plain(n, a, b, out, true, false, op_min);
}

void ember_vprelu_f32_vv_avx2(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *c) {
    (void)c;
    plain(n, a, b, out, false, false, op_prelu);
}
void ember_vprelu_f32_vs_avx2(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *c) {
    (void)c;
    plain(n, a, b, out, false, true, op_prelu);
}
