/* NEON float32 unary microkernels (csrc/ukernels/vunary.h), aarch64 and armv7: 8 outputs per
   step, then 4, then the last 1..3 through a 4-float stack copy. clamp, leaky_relu, hard_swish
   and hard_sigmoid repeat the reference's operations with compare-and-select (VMAX/VMIN would
   turn a NaN bound test into NaN); armv7's NEON flushes subnormals to zero, so there they
   match the reference except where an input or output is subnormal. sigmoid and tanh are
   vunary.h's approximations with FMA and the vector divide, so aarch64 only. */
#include <arm_neon.h>
#include <string.h>

#include "ukernels/vunary.h"

struct consts {
    float32x4_t a, b;
};

typedef float32x4_t (*vec_fn)(float32x4_t x, const struct consts *k);

static inline void loop(const float *in, float *out, size_t n, const struct consts *k,
                        vec_fn f) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const float32x4_t x0 = vld1q_f32(in + i), x1 = vld1q_f32(in + i + 4);
        vst1q_f32(out + i, f(x0, k));
        vst1q_f32(out + i + 4, f(x1, k));
    }
    if (i + 4 <= n) {
        vst1q_f32(out + i, f(vld1q_f32(in + i), k));
        i += 4;
    }
    if (i < n) {
        float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        memcpy(t, in + i, (n - i) * sizeof(float));
        vst1q_f32(t, f(vld1q_f32(t), k));
        memcpy(out + i, t, (n - i) * sizeof(float));
    }
}

/* ember_clamp_f32: v < lo ? lo : v, then that > hi ? hi : it. */
static inline float32x4_t clamp(float32x4_t v, float32x4_t lo, float32x4_t hi) {
    const float32x4_t low_cut = vbslq_f32(vcltq_f32(v, lo), lo, v);
    return vbslq_f32(vcgtq_f32(low_cut, hi), hi, low_cut);
}

static inline float32x4_t f_clamp(float32x4_t x, const struct consts *k) {
    return clamp(x, k->a, k->b);
}

static inline float32x4_t f_leaky_relu(float32x4_t x, const struct consts *k) {
    return vbslq_f32(vcltq_f32(x, vdupq_n_f32(0.0f)), vmulq_f32(k->a, x), x);
}

static inline float32x4_t f_hard_swish(float32x4_t x, const struct consts *k) {
    (void)k;
    const float32x4_t r =
        clamp(vaddq_f32(x, vdupq_n_f32(3.0f)), vdupq_n_f32(0.0f), vdupq_n_f32(6.0f));
    return vmulq_f32(vmulq_f32(x, r), vdupq_n_f32(1.0f / 6.0f));
}

static inline float32x4_t f_hard_sigmoid(float32x4_t x, const struct consts *k) {
    const float32x4_t v = vaddq_f32(vmulq_f32(k->a, x), k->b);
    return clamp(v, vdupq_n_f32(0.0f), vdupq_n_f32(1.0f));
}

#if defined(__aarch64__)
/* q(t) of exp(z) = 2^n (1 + q(t)) (vunary.h), *scale = 2^n. */
static inline float32x4_t exp_parts(float32x4_t z, float32x4_t *scale) {
    const float32x4_t magic = vdupq_n_f32(EMBER_VEXP_MAGIC);
    const float32x4_t biased = vfmaq_f32(magic, z, vdupq_n_f32(EMBER_VEXP_LOG2E));
    *scale = vreinterpretq_f32_u32(vshlq_n_u32(vreinterpretq_u32_f32(biased), 23));
    const float32x4_t n = vsubq_f32(biased, magic);
    float32x4_t t = vfmsq_f32(z, n, vdupq_n_f32(EMBER_VEXP_LN2_HI));
    t = vfmsq_f32(t, n, vdupq_n_f32(EMBER_VEXP_LN2_LO));
    float32x4_t q = vdupq_n_f32(EMBER_VEXP_C6);
    q = vfmaq_f32(vdupq_n_f32(EMBER_VEXP_C5), q, t);
    q = vfmaq_f32(vdupq_n_f32(EMBER_VEXP_C4), q, t);
    q = vfmaq_f32(vdupq_n_f32(EMBER_VEXP_C3), q, t);
    q = vfmaq_f32(vdupq_n_f32(EMBER_VEXP_C2), q, t);
    return vfmaq_f32(t, vmulq_f32(q, t), t);
}

/* All ones in the lanes whose sign bit is set (negative numbers, -0, -NaN). */
static inline uint32x4_t sign_mask(float32x4_t x) {
    return vreinterpretq_u32_s32(vshrq_n_s32(vreinterpretq_s32_f32(x), 31));
}

static inline float32x4_t f_sigmoid(float32x4_t x, const struct consts *k) {
    (void)k;
    const uint32x4_t sign_bit = vdupq_n_u32(UINT32_C(0x80000000));
    const float32x4_t z = vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(x), sign_bit));
    float32x4_t s;
    const float32x4_t q = exp_parts(z, &s);
    const float32x4_t e = vfmaq_f32(s, s, q);
    float32x4_t f = vdivq_f32(e, vaddq_f32(vdupq_n_f32(1.0f), e));
    const uint32x4_t flush = vcltq_f32(z, vdupq_n_f32(EMBER_VSIGMOID_CUTOFF));
    f = vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(f), flush));
    return vbslq_f32(sign_mask(x), f, vsubq_f32(vdupq_n_f32(1.0f), f));
}

static inline float32x4_t f_tanh(float32x4_t x, const struct consts *k) {
    (void)k;
    const uint32x4_t sign_bit = vdupq_n_u32(UINT32_C(0x80000000));
    const uint32x4_t sign = vandq_u32(vreinterpretq_u32_f32(x), sign_bit);
    const float32x4_t ax = vabsq_f32(x);
    float32x4_t s;
    const float32x4_t q = exp_parts(vmulq_f32(vdupq_n_f32(-2.0f), ax), &s);
    const float32x4_t one = vdupq_n_f32(1.0f);
    const float32x4_t m = vfmaq_f32(vsubq_f32(s, one), s, q); /* expm1(-2|x|) */
    float32x4_t y = vdivq_f32(m, vsubq_f32(vdupq_n_f32(-2.0f), m)); /* -m / (2 + m) */
    y = vbslq_f32(vcgeq_f32(ax, vdupq_n_f32(EMBER_VTANH_SATURATE)), one, y);
    const uint32x4_t mag = vbicq_u32(vreinterpretq_u32_f32(y), sign_bit);
    return vreinterpretq_f32_u32(vorrq_u32(mag, sign));
}
#endif

void ember_vclamp_f32_neon(const float *in, float *out, size_t n, const ember_unary_params *p) {
    const struct consts k = {vdupq_n_f32(p->a), vdupq_n_f32(p->b)};
    loop(in, out, n, &k, f_clamp);
}

void ember_vleaky_relu_f32_neon(const float *in, float *out, size_t n,
                                const ember_unary_params *p) {
    const struct consts k = {vdupq_n_f32(p->a), vdupq_n_f32(0.0f)};
    loop(in, out, n, &k, f_leaky_relu);
}

void ember_vhard_swish_f32_neon(const float *in, float *out, size_t n,
                                const ember_unary_params *p) {
    (void)p;
    const struct consts k = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
    loop(in, out, n, &k, f_hard_swish);
}

void ember_vhard_sigmoid_f32_neon(const float *in, float *out, size_t n,
                                  const ember_unary_params *p) {
    const struct consts k = {vdupq_n_f32(p->a), vdupq_n_f32(p->b)};
    loop(in, out, n, &k, f_hard_sigmoid);
}

#if defined(__aarch64__)
void ember_vsigmoid_f32_neon(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    const struct consts k = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
    loop(in, out, n, &k, f_sigmoid);
}

void ember_vtanh_f32_neon(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    const struct consts k = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
    loop(in, out, n, &k, f_tanh);
}
#endif
