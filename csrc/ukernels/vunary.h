/* float32 element-wise unary microkernels: the loops of RELU, RELU6, CLAMP, LEAKY_RELU,
 * HARD_SWISH, HARD_SIGMOID, SIGMOID and TANH (csrc/kernels/), one layer below the ops.
 *
 * Each has the ops' ember_unary_f32 signature (below): out[i] = f(in[i]) for i < n,
 * out the same array as in or apart, any alignment, any n (0 included). RELU and RELU6 run the
 * clamp kernel with p = {0, +inf} and {0, 6}.
 *
 * clamp, leaky_relu (p.a = alpha), hard_swish and hard_sigmoid (p.a = alpha, p.b = beta) do
 * the reference's IEEE operations in its order (no FMA): bit-identical to the reference loops.
 *
 * sigmoid and tanh are approximations (the references call expf and tanhf):
 *   - exp(z), z <= 0, as 2^n * (1 + q(t)): n = round(z / ln 2), t = z - n ln 2 (ln 2 split in
 *     two, |t| <= ln 2 / 2), q(t) = t + t^2 (c2 + c3 t + c4 t^2 + c5 t^3 + c6 t^4) fitted to
 *     expm1 on that interval for relative error (1.7e-8 in exact arithmetic). 2^n is built in
 *     the exponent bits, so nothing depends on libm and no float is converted to an integer.
 *   - sigmoid(x) = e / (1 + e) with e = exp(-|x|), and 1 - that for x >= 0. For x < -87.3365
 *     (ln FLT_MIN) the result is 0: the reference's subnormal outputs (x down to -103.97) are
 *     flushed, an absolute error below 2^-126.
 *   - tanh(|x|) = -m / (2 + m) with m = expm1(-2|x|) = (2^n - 1) + 2^n q(t), which keeps the
 *     relative accuracy for tiny |x| (no 1 - e cancellation); |x| >= 9.010914 (where tanhf
 *     rounds to 1) gives 1; the sign of x is copied onto the result (tanh(-0) = -0).
 *   Largest relative error |y - f(x)| / |f(x)| against double-precision libm, measured over
 *   every float with 2^-24 <= |x| <= 88 (sigmoid) or 10 (tanh), outputs >= 2^-126: sigmoid
 *   1.78e-7 (every variant), tanh 1.83e-7 (AVX2, AVX-512F; aarch64 NEON does the same
 *   operations) and 1.91e-7 (portable), about 3 ulp (outside that range the results are
 *   1/2 + x/4, x, 0 or the limits); the bounds below hold
 *   them, and tests/c/test_ukernel_elementwise.c asserts them for every variant (NEON
 *   included) over every 1e-4 step of [-20, 20] and 64 values per binade 2^-149..2^127.
 *   +-inf give the limits (0, 1, +-1) exactly, NaN gives NaN, tanh(-0) = -0. */
#ifndef EMBER_UKERNELS_VUNARY_H
#define EMBER_UKERNELS_VUNARY_H

#include "kernels/kernels.h"

/* Up to two constants an op reads from its params (clamp's bounds, leaky_relu's alpha...). */
typedef struct ember_unary_params {
    float a, b;
} ember_unary_params;

/* out[i] = f(in[i]) for i < n; out may be the same array as in: the signature of the unary
   ops' reference loops (kernels/unary.h) and of these microkernels. */
typedef void (*ember_unary_f32)(const float *in, float *out, size_t n,
                                const ember_unary_params *p);

/* The approximations' stated relative error bounds (outputs >= 2^-126), every variant. */
#define EMBER_VSIGMOID_MAX_REL_ERR 1.8e-7
#define EMBER_VTANH_MAX_REL_ERR 1.95e-7

typedef enum ember_vunary_op {
    EMBER_VUNARY_CLAMP,
    EMBER_VUNARY_LEAKY_RELU,
    EMBER_VUNARY_HARD_SWISH,
    EMBER_VUNARY_HARD_SIGMOID,
    EMBER_VUNARY_SIGMOID,
    EMBER_VUNARY_TANH,
    EMBER_VUNARY_COUNT
} ember_vunary_op;

typedef struct ember_vunary_f32_config {
    const char *name; /* e.g. "vunary_f32_sigmoid_avx2", shown by `ember inspect` */
    uint32_t isa;     /* EMBER_ISA_* bits it needs */
    ember_unary_f32 fn;
} ember_vunary_f32_config;

/* The fastest usable kernel for `op`, the portable one at worst; NULL under isa_mask
   EMBER_ISA_NONE (the op then runs its reference loop, the oracle). */
const ember_vunary_f32_config *ember_vunary_f32_select(const ember_context *ctx,
                                                       ember_vunary_op op);
/* Every configuration of `op`, best first (for the tests). */
const ember_vunary_f32_config *ember_vunary_f32_configs(ember_vunary_op op, size_t *count);

void ember_vclamp_f32_scalar(const float *in, float *out, size_t n, const ember_unary_params *p);
void ember_vleaky_relu_f32_scalar(const float *in, float *out, size_t n,
                                  const ember_unary_params *p);
void ember_vhard_swish_f32_scalar(const float *in, float *out, size_t n,
                                  const ember_unary_params *p);
void ember_vhard_sigmoid_f32_scalar(const float *in, float *out, size_t n,
                                    const ember_unary_params *p);
void ember_vsigmoid_f32_scalar(const float *in, float *out, size_t n,
                               const ember_unary_params *p);
void ember_vtanh_f32_scalar(const float *in, float *out, size_t n, const ember_unary_params *p);

#if EMBER_HAVE_AVX2
void ember_vclamp_f32_avx2(const float *in, float *out, size_t n, const ember_unary_params *p);
void ember_vleaky_relu_f32_avx2(const float *in, float *out, size_t n,
                                const ember_unary_params *p);
void ember_vhard_swish_f32_avx2(const float *in, float *out, size_t n,
                                const ember_unary_params *p);
void ember_vhard_sigmoid_f32_avx2(const float *in, float *out, size_t n,
                                  const ember_unary_params *p);
void ember_vsigmoid_f32_avx2(const float *in, float *out, size_t n, const ember_unary_params *p);
void ember_vtanh_f32_avx2(const float *in, float *out, size_t n, const ember_unary_params *p);
#endif

#if EMBER_HAVE_AVX512F
void ember_vsigmoid_f32_avx512f(const float *in, float *out, size_t n,
                                const ember_unary_params *p);
void ember_vtanh_f32_avx512f(const float *in, float *out, size_t n, const ember_unary_params *p);
#endif

#if EMBER_HAVE_NEON
void ember_vclamp_f32_neon(const float *in, float *out, size_t n, const ember_unary_params *p);
void ember_vleaky_relu_f32_neon(const float *in, float *out, size_t n,
                                const ember_unary_params *p);
void ember_vhard_swish_f32_neon(const float *in, float *out, size_t n,
                                const ember_unary_params *p);
void ember_vhard_sigmoid_f32_neon(const float *in, float *out, size_t n,
                                  const ember_unary_params *p);
#if defined(__aarch64__) /* FMA and the vector divide */
void ember_vsigmoid_f32_neon(const float *in, float *out, size_t n, const ember_unary_params *p);
void ember_vtanh_f32_neon(const float *in, float *out, size_t n, const ember_unary_params *p);
#endif
#endif

/* The approximations' constants, shared by every variant: the round-to-integer bias with the
   exponent bias 127 in its low bits, ln 2 split so that n * LN2_HI is exact for |n| < 512, and
   the expm1 polynomial. */
#define EMBER_VEXP_MAGIC 0x1.8000FEp23f
#define EMBER_VEXP_LOG2E 0x1.715476p+0f
#define EMBER_VEXP_LN2_HI 0x1.62E400p-1f
#define EMBER_VEXP_LN2_LO 0x1.7F7D1Cp-20f
#define EMBER_VEXP_C2 0x1.FFFFFEp-2f
#define EMBER_VEXP_C3 0x1.5554B0p-3f
#define EMBER_VEXP_C4 0x1.555674p-5f
#define EMBER_VEXP_C5 0x1.122746p-7f
#define EMBER_VEXP_C6 0x1.6BEBB2p-10f
/* sigmoid's flush-to-0 bound (just below ln FLT_MIN) and tanh's saturation bound. */
#define EMBER_VSIGMOID_CUTOFF -0x1.5D58A0p+6f
#define EMBER_VTANH_SATURATE 0x1.205968p+3f

#endif /* EMBER_UKERNELS_VUNARY_H */
