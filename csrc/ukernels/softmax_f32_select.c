/* The float32 SOFTMAX / LOG_SOFTMAX row configurations, best first (csrc/ukernels/softmax.h).
   Without one for this CPU the ops keep their reference loops (libm's exp). */
#include "ukernels/softmax.h"

#if EMBER_HAVE_AVX2
static const ember_softmax_f32_config configs[] = {
    { EMBER_ISA_AVX2, "softmax_f32_avx2", "log_softmax_f32_avx2", ember_softmax_row_f32_avx2,
      ember_log_softmax_row_f32_avx2, ember_vexp_neg_f32_avx2 },
};

const ember_softmax_f32_config *ember_softmax_f32_configs(size_t *count) {
    *count = sizeof configs / sizeof configs[0];
    return configs;
}

const ember_softmax_f32_config *ember_softmax_f32_select(const ember_context *ctx) {
    if (ember_reference_only(ctx))
        return NULL;
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++)
        if (ember_isa_usable(ctx, configs[i].isa))
            return &configs[i];
    return NULL;
}
#else
const ember_softmax_f32_config *ember_softmax_f32_configs(size_t *count) {
    *count = 0;
    return NULL;
}

const ember_softmax_f32_config *ember_softmax_f32_select(const ember_context *ctx) {
    (void)ctx;
    return NULL;
}
#endif
