/* The float32 GEMM configurations, best first (csrc/ukernels/gemm.h). */
#include "ukernels/gemm.h"

static const ember_gemm_f32_config configs[] = {
#if EMBER_HAVE_AVX2
    { "gemm_f32_6x16_avx2", EMBER_ISA_AVX2, 6, ember_gemm_f32_6x16_avx2,
      ember_igemm_f32_6x16_avx2 },
#endif
#if EMBER_HAVE_NEON && defined(__aarch64__)
    { "gemm_f32_4x16_neonfma", EMBER_ISA_NEON, 4, ember_gemm_f32_4x16_neonfma,
      ember_igemm_f32_4x16_neonfma },
#elif EMBER_HAVE_NEON
    { "gemm_f32_4x16_neon", EMBER_ISA_NEON, 4, ember_gemm_f32_4x16_neon,
      ember_igemm_f32_4x16_neon },
#endif
    { "gemm_f32_4x16_scalar", EMBER_ISA_NONE, 4, ember_gemm_f32_4x16_scalar,
      ember_igemm_f32_4x16_scalar },
};

const ember_gemm_f32_config *ember_gemm_f32_configs(size_t *count) {
    *count = sizeof configs / sizeof configs[0];
    return configs;
}

const ember_gemm_f32_config *ember_gemm_f32_select(const ember_context *ctx) {
    if (ctx->isa_mask == EMBER_ISA_NONE)
        return NULL;
    const ember_gemm_f32_config *c = configs;
    while (!ember_isa_usable(ctx, c->isa))
        c++;
    return c;
}
