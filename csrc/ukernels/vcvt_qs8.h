/* int8 <-> float32 conversion microkernels, QUANTIZE's and DEQUANTIZE's fast forms, byte and
 * bit identical to their scalar definitions:
 *   quantize:   out[i] = clamp(bound(roundf(in[i] / scale)) + zero_point, -128, 127), with the
 *               float32 division, ties away from zero, bound() to [-512, 512] and NaN -> -512
 *               (ember_quantize_f32_i8, kernels/quantize.h);
 *   dequantize: out[i] = scale * (float)(in[i] - zero_point), one float32 multiply.
 * Any n (0 included), any alignment; no byte past in[n - 1] is read nor past out[n - 1]
 * written. */
#ifndef EMBER_UKERNELS_VCVT_QS8_H
#define EMBER_UKERNELS_VCVT_QS8_H

#include "kernels/kernels.h"

typedef void (*ember_vcvt_f32_qs8_fn)(size_t n, const float *in, int8_t *out, float scale,
                                      int32_t zero_point);
typedef void (*ember_vcvt_qs8_f32_fn)(size_t n, const int8_t *in, float *out, float scale,
                                      int32_t zero_point);

typedef struct ember_vcvt_qs8_config {
    const char *name; /* e.g. "vcvt_qs8_avx2", shown by `ember inspect` */
    uint32_t isa;     /* EMBER_ISA_* bits it needs */
    ember_vcvt_f32_qs8_fn quantize;
    ember_vcvt_qs8_f32_fn dequantize;
} ember_vcvt_qs8_config;

/* The fastest usable configuration, the portable one at worst; NULL under isa_mask
   EMBER_ISA_NONE (the op then runs its reference loop). */
const ember_vcvt_qs8_config *ember_vcvt_qs8_select(const ember_context *ctx);
/* Every configuration, best first (for the tests). */
const ember_vcvt_qs8_config *ember_vcvt_qs8_configs(size_t *count);

void ember_vcvt_f32_qs8_scalar(size_t n, const float *in, int8_t *out, float scale,
                               int32_t zero_point);
void ember_vcvt_qs8_f32_scalar(size_t n, const int8_t *in, float *out, float scale,
                               int32_t zero_point);
#if EMBER_HAVE_AVX2
void ember_vcvt_f32_qs8_avx2(size_t n, const float *in, int8_t *out, float scale,
                             int32_t zero_point);
void ember_vcvt_qs8_f32_avx2(size_t n, const int8_t *in, float *out, float scale,
                             int32_t zero_point);
#endif
#if EMBER_HAVE_NEON && defined(__aarch64__)
void ember_vcvt_f32_qs8_neon(size_t n, const float *in, int8_t *out, float scale,
                             int32_t zero_point);
void ember_vcvt_qs8_f32_neon(size_t n, const int8_t *in, float *out, float scale,
                             int32_t zero_point);
#endif

#endif /* EMBER_UKERNELS_VCVT_QS8_H */
