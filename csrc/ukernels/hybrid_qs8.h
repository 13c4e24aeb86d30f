/* The element-wise microkernels of the hybrid (dynamic-range, int8-computing) CONV2D and
 * FULLY_CONNECTED (kernels/hybrid_gemm.c): float32 activations quantized per inference to
 * int8, int8 weights quantized per output channel, int32 sums from ember_gemm_qs8's gemm_i32,
 * and the float32 output made from those sums.
 *
 * The quantization of a block of inputs (an image, or one row of a FULLY_CONNECTED input) is
 * asymmetric, as LiteRT's hybrid kernels with asymmetric_quantize_inputs: its range [lo, hi]
 * always holds 0, scale = (hi - lo) / 255 and the zero point maps lo to -128, so the 256
 * levels cover the values actually there. Activations after RELU or RELU6 (most inputs of a
 * convolution) are all >= 0: a symmetric scale, max|x| / 127, would leave half the levels
 * unused and double the rounding error.
 *
 * Every function here is defined by the scalar forms below (the reference loops call them);
 * an optimised variant gives the same bits: min/max are exact, the rounding is to nearest
 * even (the default rounding mode, as cvtps2dq and fcvtns), the int32 arithmetic wraps, and
 * the float operations are the same, in the same order, without fused multiply-adds. */
#ifndef EMBER_UKERNELS_HYBRID_QS8_H
#define EMBER_UKERNELS_HYBRID_QS8_H

#include <math.h>

#include "kernels/kernels.h"

/* How one block of float32 values is quantized: q = clamp(round(x * inv_scale) + zp). */
typedef struct ember_hybrid_qs8_params {
    float scale, inv_scale;
    int32_t zp;
} ember_hybrid_qs8_params;

/* lo = min(0, x...), hi = max(0, x...) over n values (NaNs are skipped): *lo and *hi come in
   as 0 or as the results of earlier values of the same block. */
typedef void (*ember_hybrid_minmax_fn)(size_t n, const float *x, float *lo, float *hi);
/* q[i] = ember_hybrid_qs8_quantize1(x[i], inv_scale, zp) for i < n. */
typedef void (*ember_hybrid_quantize_fn)(size_t n, const float *x, float inv_scale, int32_t zp,
                                         int8_t *q);
/* y[i][j] = ember_hybrid_qs8_out1(acc[i][j], zc[j], m[j], bias[j], lo, hi) for i < rows,
   j < n; rows of acc acc_stride int32 apart, of y y_stride floats apart. zc and m are a block's
   factors (ember_hybrid_qs8_factor). */
typedef void (*ember_hybrid_out_fn)(size_t rows, size_t n, const int32_t *acc,
                                    size_t acc_stride, const int32_t *zc, const float *m,
                                    const float *bias, float lo, float hi, float *y,
                                    size_t y_stride);

typedef struct ember_hybrid_qs8_config {
    const char *name;
    uint32_t isa;
    ember_hybrid_minmax_fn minmax;
    ember_hybrid_quantize_fn quantize;
    ember_hybrid_out_fn out;
} ember_hybrid_qs8_config;

/* The range of values a float input may take and still round to an int32 in one step. */
#define EMBER_HYBRID_QS8_BOUND 256.0f

/* The parameters of a block whose values lie in [lo, hi] (lo <= 0 <= hi). A block of zeros,
   or one whose range is not finite, gets scale 1 and zero point 0 (its values then quantize
   to their clamped, rounded selves: defined, if meaningless, for infinities). */
static inline ember_hybrid_qs8_params ember_hybrid_qs8_params_of(float lo, float hi) {
    ember_hybrid_qs8_params p = {1.0f, 1.0f, 0};
    const float scale = (hi - lo) / 255.0f;
    if (!(scale > 0.0f) || !(scale <= 3.4e38f))
        return p;
    p.scale = scale;
    p.inv_scale = 1.0f / scale;
    const float zp = nearbyintf(-128.0f - lo / scale);
    p.zp = zp < -128.0f ? -128 : zp > 127.0f ? 127 : (int32_t)zp;
    return p;
}

static inline int8_t ember_hybrid_qs8_quantize1(float x, float inv_scale, int32_t zp) {
    float v = x * inv_scale;
    /* max then min as the vector instructions do them: a NaN becomes the lower bound */
    v = v > -EMBER_HYBRID_QS8_BOUND ? v : -EMBER_HYBRID_QS8_BOUND;
    v = v < EMBER_HYBRID_QS8_BOUND ? v : EMBER_HYBRID_QS8_BOUND;
    const int32_t q = (int32_t)nearbyintf(v) + zp;
    return (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
}

/* Column j's factors for a block quantized with zero point zp and scale `scale`: zc = zp *
   sum_k w[k][j] (wrapping), and m = scale * w_scale[j]. */
static inline void ember_hybrid_qs8_factor(int32_t zp, int32_t colsum, float scale,
                                           float w_scale, int32_t *zc, float *m) {
    *zc = (int32_t)((uint32_t)zp * (uint32_t)colsum);
    *m = scale * w_scale;
}

/* One output: the sum of (q - zp) * w from acc = sum q * w minus zc, times m, plus the bias,
   clamped (max then min). */
static inline float ember_hybrid_qs8_out1(int32_t acc, int32_t zc, float m, float bias,
                                          float lo, float hi) {
    const int32_t s = (int32_t)((uint32_t)acc - (uint32_t)zc);
    const float prod = (float)s * m; /* its own statement: never contracted into an FMA */
    float y = prod + bias;
    y = y > lo ? y : lo;
    return y < hi ? y : hi;
}

/* The portable forms (csrc/ukernels/hybrid_qs8_scalar.c). */
void ember_hybrid_minmax_scalar(size_t n, const float *x, float *lo, float *hi);
void ember_hybrid_quantize_scalar(size_t n, const float *x, float inv_scale, int32_t zp,
                                  int8_t *q);
void ember_hybrid_out_scalar(size_t rows, size_t n, const int32_t *acc, size_t acc_stride,
                             const int32_t *zc, const float *m, const float *bias, float lo,
                             float hi, float *y, size_t y_stride);
#if EMBER_HAVE_AVX2
void ember_hybrid_minmax_avx2(size_t n, const float *x, float *lo, float *hi);
void ember_hybrid_quantize_avx2(size_t n, const float *x, float inv_scale, int32_t zp,
                                int8_t *q);
void ember_hybrid_out_avx2(size_t rows, size_t n, const int32_t *acc, size_t acc_stride,
                           const int32_t *zc, const float *m, const float *bias, float lo, float hi,
                           float *y, size_t y_stride);
#endif

/* The fastest configuration this CPU and the options allow, the portable one at worst; NULL
   under isa_mask EMBER_ISA_NONE (the op's reference loop then calls the scalar forms). */
const ember_hybrid_qs8_config *ember_hybrid_qs8_select(const ember_context *ctx);
/* Every configuration built into the library, best first (for the tests). */
const ember_hybrid_qs8_config *ember_hybrid_qs8_configs(size_t *count);

#endif /* EMBER_UKERNELS_HYBRID_QS8_H */
