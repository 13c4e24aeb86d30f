/* The portable int8 <-> float32 conversions and the configurations, best first
   (ukernels/vcvt_qs8.h). */
#include "ukernels/vcvt_qs8.h"

#include "kernels/quantize.h"

void ember_vcvt_f32_qs8_scalar(size_t n, const float *in, int8_t *out, float scale,
                               int32_t zero_point) {
    for (size_t i = 0; i < n; i++)
        out[i] = ember_quantize_f32_i8(in[i], scale, zero_point);
}

void ember_vcvt_qs8_f32_scalar(size_t n, const int8_t *in, float *out, float scale,
                               int32_t zero_point) {
    for (size_t i = 0; i < n; i++)
        out[i] = scale * (float)((int32_t)in[i] - zero_point);
}

static const ember_vcvt_qs8_config configs[] = {
#if EMBER_HAVE_AVX2
    { "vcvt_qs8_avx2", EMBER_ISA_AVX2, ember_vcvt_f32_qs8_avx2, ember_vcvt_qs8_f32_avx2 },
#endif
#if EMBER_HAVE_NEON && defined(__aarch64__)
    { "vcvt_qs8_neon", EMBER_ISA_NEON, ember_vcvt_f32_qs8_neon, ember_vcvt_qs8_f32_neon },
#endif
    { "vcvt_qs8_scalar", EMBER_ISA_NONE, ember_vcvt_f32_qs8_scalar, ember_vcvt_qs8_f32_scalar },
};

const ember_vcvt_qs8_config *ember_vcvt_qs8_configs(size_t *count) {
    *count = sizeof configs / sizeof configs[0];
    return configs;
}

const ember_vcvt_qs8_config *ember_vcvt_qs8_select(const ember_context *ctx) {
    if (ember_reference_only(ctx))
        return NULL;
    const ember_vcvt_qs8_config *c = configs;
    while (!ember_isa_usable(ctx, c->isa))
        c++;
    return c;
}
