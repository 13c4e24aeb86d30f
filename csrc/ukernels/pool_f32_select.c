/* The float32 pooling configurations, best first (csrc/ukernels/pool.h). */
#include "ukernels/pool.h"

static const ember_pool_f32_config configs[] = {
#if EMBER_HAVE_AVX2
    { EMBER_ISA_AVX2, "maxpool_f32_avx2", "avgpool_f32_avx2", "chansum_f32_avx2",
      ember_maxpool_f32_avx2, ember_avgpool_f32_avx2, ember_chansum_f32_avx2 },
#endif
#if EMBER_HAVE_NEON
    /* The channel sum is in double, which armv7 NEON lacks: the portable loop serves. */
    { EMBER_ISA_NEON, "maxpool_f32_neon", "avgpool_f32_neon", "chansum_f32_c8",
      ember_maxpool_f32_neon, ember_avgpool_f32_neon, ember_chansum_f32_c8 },
#endif
    { EMBER_ISA_NONE, "maxpool_f32_c8", "avgpool_f32_c8", "chansum_f32_c8",
      ember_maxpool_f32_c8, ember_avgpool_f32_c8, ember_chansum_f32_c8 },
};

const ember_pool_f32_config *ember_pool_f32_configs(size_t *count) {
    *count = sizeof configs / sizeof configs[0];
    return configs;
}

const ember_pool_f32_config *ember_pool_f32_select(const ember_context *ctx) {
    if (ember_reference_only(ctx))
        return NULL;
    const ember_pool_f32_config *c = configs;
    while (!ember_isa_usable(ctx, c->isa))
        c++;
    return c;
}
