/* NEON float32 binary microkernels (csrc/ukernels/vbinary.h), aarch64 and armv7: 8 outputs per
   step, then 4, then the last 1..3 through a 4-float stack copy. Comparisons and selects, not
   VMAX/VMIN (which return NaN for a NaN in either operand), give the reference's NaN and -0
   behaviour. DIV needs aarch64's vector divide. armv7's NEON flushes subnormals to zero, so
   there the results match the reference except where an input or output is subnormal. */
#include <arm_neon.h>
#include <math.h>
#include <string.h>

#include "ukernels/vbinary.h"

typedef float32x4_t (*op_fn)(float32x4_t x, float32x4_t y);

static inline float32x4_t op_add(float32x4_t x, float32x4_t y) { return vaddq_f32(x, y); }
static inline float32x4_t op_sub(float32x4_t x, float32x4_t y) { return vsubq_f32(x, y); }
static inline float32x4_t op_mul(float32x4_t x, float32x4_t y) { return vmulq_f32(x, y); }
#if defined(__aarch64__)
static inline float32x4_t op_div(float32x4_t x, float32x4_t y) { return vdivq_f32(x, y); }
#endif
/* The reference's y > x ? y : x and y < x ? y : x. */
static inline float32x4_t op_max(float32x4_t x, float32x4_t y) {
    return vbslq_f32(vcgtq_f32(y, x), y, x);
}
static inline float32x4_t op_min(float32x4_t x, float32x4_t y) {
    return vbslq_f32(vcltq_f32(y, x), y, x);
}
static inline float32x4_t op_prelu(float32x4_t x, float32x4_t alpha) {
    return vbslq_f32(vcltq_f32(x, vdupq_n_f32(0.0f)), vmulq_f32(alpha, x), x);
}
/* ember_clamp_f32: v < lo ? lo : v, then that > hi ? hi : it. */
static inline float32x4_t clamp(float32x4_t v, float32x4_t lo, float32x4_t hi) {
    const float32x4_t low_cut = vbslq_f32(vcltq_f32(v, lo), lo, v);
    return vbslq_f32(vcgtq_f32(low_cut, hi), hi, low_cut);
}

static inline float32x4_t load(const float *p, bool repeat, float32x4_t rep) {
    return repeat ? rep : vld1q_f32(p);
}

/* sa, sb: whether a, b repeat their first value (the vs and sv forms). */
static inline void loop(size_t n, const float *a, const float *b, float *out, bool sa, bool sb,
                        float32x4_t lo, float32x4_t hi, op_fn op) {
    const float32x4_t xa = vld1q_dup_f32(a), xb = vld1q_dup_f32(b);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const float32x4_t a0 = load(a + i, sa, xa), a1 = load(a + i + 4, sa, xa);
        const float32x4_t b0 = load(b + i, sb, xb), b1 = load(b + i + 4, sb, xb);
        vst1q_f32(out + i, clamp(op(a0, b0), lo, hi));
        vst1q_f32(out + i + 4, clamp(op(a1, b1), lo, hi));
    }
    if (i + 4 <= n) {
        vst1q_f32(out + i, clamp(op(load(a + i, sa, xa), load(b + i, sb, xb)), lo, hi));
        i += 4;
    }
    if (i < n) {
        float ta[4] = {0.0f}, tb[4] = {0.0f}, to[4];
        memcpy(ta, a + (sa ? 0 : i), (sa ? 1 : n - i) * sizeof(float));
        memcpy(tb, b + (sb ? 0 : i), (sb ? 1 : n - i) * sizeof(float));
        vst1q_f32(to, clamp(op(load(ta, sa, xa), load(tb, sb, xb)), lo, hi));
        memcpy(out + i, to, (n - i) * sizeof(float));
    }
}

static inline void clamped(size_t n, const float *a, const float *b, float *out, bool sa,
                           bool sb, const ember_minmax_f32 *c, op_fn op) {
    if (n > 0)
        loop(n, a, b, out, sa, sb, vdupq_n_f32(c->min), vdupq_n_f32(c->max), op);
}

static inline void plain(size_t n, const float *a, const float *b, float *out, bool sa, bool sb,
                         op_fn op) {
    if (n > 0)
        loop(n, a, b, out, sa, sb, vdupq_n_f32(-INFINITY), vdupq_n_f32(INFINITY), op);
}

void ember_vadd_f32_vv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, false, false, c, op_add);
}
void ember_vadd_f32_vs_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, false, true, c, op_add);
}
void ember_vadd_f32_sv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, true, false, c, op_add);
}

void ember_vsub_f32_vv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, false, false, c, op_sub);
}
void ember_vsub_f32_vs_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, false, true, c, op_sub);
}
void ember_vsub_f32_sv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, true, false, c, op_sub);
}

void ember_vmul_f32_vv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, false, false, c, op_mul);
}
void ember_vmul_f32_vs_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, false, true, c, op_mul);
}
void ember_vmul_f32_sv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, true, false, c, op_mul);
}

#if defined(__aarch64__)
void ember_vdiv_f32_vv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, false, false, c, op_div);
}
void ember_vdiv_f32_vs_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, false, true, c, op_div);
}
void ember_vdiv_f32_sv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    clamped(n, a, b, out, true, false, c, op_div);
}
#endif

void ember_vmax_f32_vv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    (void)c;
    plain(n, a, b, out, false, false, op_max);
}
void ember_vmax_f32_vs_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    (void)c;
    plain(n, a, b, out, false, true, op_max);
}
void ember_vmax_f32_sv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    (void)c;
    plain(n, a, b, out, true, false, op_max);
}

void ember_vmin_f32_vv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    (void)c;
    plain(n, a, b, out, false, false, op_min);
}
void ember_vmin_f32_vs_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    (void)c;
    plain(n, a, b, out, false, true, op_min);
}
void ember_vmin_f32_sv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *c) {
    (void)c;
    plain(n, a, b, out, true, false, op_min);
}

void ember_vprelu_f32_vv_neon(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *c) {
    (void)c;
    plain(n, a, b, out, false, false, op_prelu);
}
void ember_vprelu_f32_vs_neon(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *c) {
    (void)c;
    plain(n, a, b, out, false, true, op_prelu);
}
