/* The int8 GEMM configurations, best first (csrc/ukernels/gemm_qs8.h). */
#include "ukernels/gemm_qs8.h"

static const ember_gemm_qs8_config configs[] = {
    { "gemm_qs8_4x16c4_scalar", EMBER_ISA_NONE, 4, 4, 0, ember_gemm_qs8_4x16c4_scalar,
      ember_igemm_qs8_4x16c4_scalar, ember_gemm_qs8_i32_4x16c4_scalar },
};

const ember_gemm_qs8_config *ember_gemm_qs8_configs(size_t *count) {
    *count = sizeof configs / sizeof configs[0];
    return configs;
}

const ember_gemm_qs8_config *ember_gemm_qs8_select(const ember_context *ctx) {
    if (ctx->isa_mask == EMBER_ISA_NONE)
        return NULL;
    const ember_gemm_qs8_config *c = configs;
    while (!ember_isa_usable(ctx, c->isa))
        c++;
    return c;
}
