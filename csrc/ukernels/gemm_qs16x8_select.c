/* The 16x8 GEMM and depthwise configurations, best first (csrc/ukernels/gemm_qs16x8.h). */
#include "ukernels/gemm_qs16x8.h"

static const ember_gemm_qs16x8_config gemm_configs[] = {
#if EMBER_HAVE_AVX512VNNI
    { "gemm_qs16x8_8x16c2_avx512vnni",
      EMBER_ISA_AVX512VNNI | EMBER_ISA_AVX512F | EMBER_ISA_AVX2, 8, 2,
      ember_gemm_qs16x8_8x16c2_avx512vnni, ember_igemm_qs16x8_8x16c2_avx512vnni,
      ember_requant_qs16x8_avx2 },
#endif
#if EMBER_HAVE_AVX2
    { "gemm_qs16x8_4x16c2_avx2", EMBER_ISA_AVX2, 4, 2, ember_gemm_qs16x8_4x16c2_avx2,
      ember_igemm_qs16x8_4x16c2_avx2, ember_requant_qs16x8_avx2 },
#endif
#if EMBER_HAVE_NEON
    { "gemm_qs16x8_4x16_neon", EMBER_ISA_NEON, 4, 1, ember_gemm_qs16x8_4x16_neon,
      ember_igemm_qs16x8_4x16_neon, ember_requant_qs16x8_scalar },
#endif
    { "gemm_qs16x8_4x16c2_scalar", EMBER_ISA_NONE, 4, 2, ember_gemm_qs16x8_4x16c2_scalar,
      ember_igemm_qs16x8_4x16c2_scalar, ember_requant_qs16x8_scalar },
};

static const ember_dwconv_qs16x8_config dwconv_configs[] = {
#if EMBER_HAVE_AVX2
    { "dwconv_qs16x8_c16_avx2", EMBER_ISA_AVX2, ember_dwconv_qs16x8_c16_avx2,
      ember_requant_qs16x8_avx2 },
#endif
#if EMBER_HAVE_NEON
    { "dwconv_qs16x8_c16_neon", EMBER_ISA_NEON, ember_dwconv_qs16x8_c16_neon,
      ember_requant_qs16x8_scalar },
#endif
    { "dwconv_qs16x8_c16_scalar", EMBER_ISA_NONE, ember_dwconv_qs16x8_c16_scalar,
      ember_requant_qs16x8_scalar },
};

const ember_gemm_qs16x8_config *ember_gemm_qs16x8_configs(size_t *count) {
    *count = sizeof gemm_configs / sizeof gemm_configs[0];
    return gemm_configs;
}

const ember_dwconv_qs16x8_config *ember_dwconv_qs16x8_configs(size_t *count) {
    *count = sizeof dwconv_configs / sizeof dwconv_configs[0];
    return dwconv_configs;
}

const ember_gemm_qs16x8_config *ember_gemm_qs16x8_select(const ember_context *ctx) {
    if (ember_reference_only(ctx))
        return NULL;
    const ember_gemm_qs16x8_config *c = gemm_configs;
    while (!ember_isa_usable(ctx, c->isa))
        c++;
    return c;
}

const ember_dwconv_qs16x8_config *ember_dwconv_qs16x8_select(const ember_context *ctx) {
    if (ember_reference_only(ctx))
        return NULL;
    const ember_dwconv_qs16x8_config *c = dwconv_configs;
    while (!ember_isa_usable(ctx, c->isa))
        c++;
    return c;
}
