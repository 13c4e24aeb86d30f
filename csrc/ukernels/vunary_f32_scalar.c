/* Portable float32 unary microkernels (csrc/ukernels/vunary.h): plain loops the compiler may
   vectorise for the target's baseline; sigmoid and tanh are the approximations vunary.h
   describes, written one element at a time with the same steps as the vector versions. */
#include <string.h>

#include "ukernels/vunary.h"

static inline uint32_t bits_of(float v) {
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static inline float float_of(uint32_t u) {
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* exp(z) = 2^n (1 + q(t)) for z in [EMBER_VSIGMOID_CUTOFF, 0] (tanh: [-2 x 9.02, 0]):
   returns q(t) and sets *scale to 2^n. Out of range z gives garbage, never UB. */
static inline float exp_parts(float z, float *scale) {
    const float biased = z * EMBER_VEXP_LOG2E + EMBER_VEXP_MAGIC;
    /* The low bits of `biased` hold n + 127; shifted into the exponent field they give 2^n. */
    *scale = float_of(bits_of(biased) << 23);
    const float n = biased - EMBER_VEXP_MAGIC;
    float t = z - n * EMBER_VEXP_LN2_HI;
    t = t - n * EMBER_VEXP_LN2_LO;
    float q = EMBER_VEXP_C6;
    q = q * t + EMBER_VEXP_C5;
    q = q * t + EMBER_VEXP_C4;
    q = q * t + EMBER_VEXP_C3;
    q = q * t + EMBER_VEXP_C2;
    return (q * t) * t + t;
}

static inline float sigmoid1(float x) {
    const float z = float_of(bits_of(x) | UINT32_C(0x80000000)); /* -|x| */
    float s;
    const float q = exp_parts(z, &s);
    const float e = s + s * q;
    float f = e / (1.0f + e);
    if (z < EMBER_VSIGMOID_CUTOFF)
        f = 0.0f;
    return bits_of(x) >> 31 ? f : 1.0f - f;
}

static inline float tanh1(float x) {
    const uint32_t sign = bits_of(x) & UINT32_C(0x80000000);
    const float ax = float_of(bits_of(x) ^ sign);
    float s;
    const float q = exp_parts(-2.0f * ax, &s);
    const float m = (s - 1.0f) + s * q; /* expm1(-2|x|), exact s - 1 for n >= -24 */
    float y = -m / (2.0f + m);
    if (ax >= EMBER_VTANH_SATURATE)
        y = 1.0f;
    return float_of((bits_of(y) & UINT32_C(0x7fffffff)) | sign);
}

void ember_vclamp_f32_scalar(const float *in, float *out, size_t n, const ember_unary_params *p) {
    const float lo = p->a, hi = p->b;
    for (size_t i = 0; i < n; i++)
        out[i] = ember_clamp_f32(in[i], lo, hi);
}

void ember_vleaky_relu_f32_scalar(const float *in, float *out, size_t n,
                                  const ember_unary_params *p) {
    const float alpha = p->a;
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] < 0.0f ? alpha * in[i] : in[i];
}

void ember_vhard_swish_f32_scalar(const float *in, float *out, size_t n,
                                  const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] * ember_clamp_f32(in[i] + 3.0f, 0.0f, 6.0f) * (1.0f / 6.0f);
}

void ember_vhard_sigmoid_f32_scalar(const float *in, float *out, size_t n,
                                    const ember_unary_params *p) {
    const float alpha = p->a, beta = p->b;
    for (size_t i = 0; i < n; i++)
        out[i] = ember_clamp_f32(alpha * in[i] + beta, 0.0f, 1.0f);
}

void ember_vsigmoid_f32_scalar(const float *in, float *out, size_t n,
                               const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = sigmoid1(in[i]);
}

void ember_vtanh_f32_scalar(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = tanh1(in[i]);
}
