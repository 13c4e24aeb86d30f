/* Portable float32 binary microkernels (csrc/ukernels/vbinary.h): plain loops the compiler may
   vectorise for the target's baseline. Each public kernel is one call of a loop helper with
   the op's scalar function; both are static inline, so the call becomes straight code. */
#include "ukernels/vbinary.h"

typedef float (*op_fn)(float x, float y);

static inline float op_add(float x, float y) { return x + y; }
static inline float op_sub(float x, float y) { return x - y; }
static inline float op_mul(float x, float y) { return x * y; }
static inline float op_div(float x, float y) { return x / y; }
/* The reference's y > x ? y : x, NaN in x kept. */
static inline float op_max(float x, float y) { return y > x ? y : x; }
static inline float op_min(float x, float y) { return y < x ? y : x; }
static inline float op_prelu(float x, float alpha) { return x < 0.0f ? alpha * x : x; }

static inline void loop_vv(size_t n, const float *a, const float *b, float *out,
                           const ember_minmax_f32 *clamp, op_fn op) {
    const float lo = clamp->min, hi = clamp->max;
    for (size_t i = 0; i < n; i++)
        out[i] = ember_clamp_f32(op(a[i], b[i]), lo, hi);
}

static inline void loop_vs(size_t n, const float *a, const float *b, float *out,
                           const ember_minmax_f32 *clamp, op_fn op) {
    const float lo = clamp->min, hi = clamp->max, y = b[0];
    for (size_t i = 0; i < n; i++)
        out[i] = ember_clamp_f32(op(a[i], y), lo, hi);
}

static inline void loop_sv(size_t n, const float *a, const float *b, float *out,
                           const ember_minmax_f32 *clamp, op_fn op) {
    const float lo = clamp->min, hi = clamp->max, x = a[0];
    for (size_t i = 0; i < n; i++)
        out[i] = ember_clamp_f32(op(x, b[i]), lo, hi);
}

/* MAXIMUM, MINIMUM and PRELU have no clamp. */
static inline void plain_vv(size_t n, const float *a, const float *b, float *out, op_fn op) {
    for (size_t i = 0; i < n; i++)
        out[i] = op(a[i], b[i]);
}

static inline void plain_vs(size_t n, const float *a, const float *b, float *out, op_fn op) {
    const float y = b[0];
    for (size_t i = 0; i < n; i++)
        out[i] = op(a[i], y);
}

static inline void plain_sv(size_t n, const float *a, const float *b, float *out, op_fn op) {
    const float x = a[0];
    for (size_t i = 0; i < n; i++)
        out[i] = op(x, b[i]);
}

void ember_vadd_f32_vv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    loop_vv(n, a, b, out, clamp, op_add);
}
void ember_vadd_f32_vs_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    loop_vs(n, a, b, out, clamp, op_add);
}
void ember_vadd_f32_sv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    loop_sv(n, a, b, out, clamp, op_add);
}

void ember_vsub_f32_vv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    loop_vv(n, a, b, out, clamp, op_sub);
}
void ember_vsub_f32_vs_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    loop_vs(n, a, b, out, clamp, op_sub);
}
void ember_vsub_f32_sv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    loop_sv(n, a, b, out, clamp, op_sub);
}

void ember_vmul_f32_vv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    loop_vv(n, a, b, out, clamp, op_mul);
}
void ember_vmul_f32_vs_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    loop_vs(n, a, b, out, clamp, op_mul);
}
void ember_vmul_f32_sv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    loop_sv(n, a, b, out, clamp, op_mul);
}

void ember_vdiv_f32_vv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    loop_vv(n, a, b, out, clamp, op_div);
}
void ember_vdiv_f32_vs_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    loop_vs(n, a, b, out, clamp, op_div);
}
void ember_vdiv_f32_sv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    loop_sv(n, a, b, out, clamp, op_div);
}

void ember_vmax_f32_vv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    (void)clamp;
    plain_vv(n, a, b, out, op_max);
}
void ember_vmax_f32_vs_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    (void)clamp;
    plain_vs(n, a, b, out, op_max);
}
void ember_vmax_f32_sv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    (void)clamp;
    plain_sv(n, a, b, out, op_max);
}

void ember_vmin_f32_vv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    (void)clamp;
    plain_vv(n, a, b, out, op_min);
}
void ember_vmin_f32_vs_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    (void)clamp;
    plain_vs(n, a, b, out, op_min);
}
void ember_vmin_f32_sv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp) {
    (void)clamp;
    plain_sv(n, a, b, out, op_min);
}

void ember_vprelu_f32_vv_scalar(size_t n, const float *a, const float *b, float *out,
                                const ember_minmax_f32 *clamp) {
    (void)clamp;
    plain_vv(n, a, b, out, op_prelu);
}
void ember_vprelu_f32_vs_scalar(size_t n, const float *a, const float *b, float *out,
                                const ember_minmax_f32 *clamp) {
    (void)clamp;
    plain_vs(n, a, b, out, op_prelu);
}
