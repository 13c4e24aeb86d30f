/* The hybrid microkernel configurations, best first (csrc/ukernels/hybrid_qs8.h). */
#include "ukernels/hybrid_qs8.h"

static const ember_hybrid_qs8_config configs[] = {
#if EMBER_HAVE_AVX2
    { "hybrid_qs8_avx2", EMBER_ISA_AVX2, ember_hybrid_minmax_avx2, ember_hybrid_quantize_avx2,
      ember_hybrid_out_avx2 },
#endif
    { "hybrid_qs8_scalar", EMBER_ISA_NONE, ember_hybrid_minmax_scalar,
      ember_hybrid_quantize_scalar, ember_hybrid_out_scalar },
};

const ember_hybrid_qs8_config *ember_hybrid_qs8_configs(size_t *count) {
    *count = sizeof configs / sizeof configs[0];
    return configs;
}

const ember_hybrid_qs8_config *ember_hybrid_qs8_select(const ember_context *ctx) {
    if (ember_reference_only(ctx))
        return NULL;
    const ember_hybrid_qs8_config *c = configs;
    while (!ember_isa_usable(ctx, c->isa))
        c++;
    return c;
}
