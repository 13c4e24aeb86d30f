/* The int8 GEMM configurations, best first (csrc/ukernels/gemm_qs8.h). */
#include "ukernels/gemm_qs8.h"

static const ember_gemm_qs8_config configs[] = {
#if EMBER_HAVE_AVX512VNNI
#define VNNI_ISA (EMBER_ISA_AVX512VNNI | EMBER_ISA_AVX512F | EMBER_ISA_AVX2)
    /* 12 rows: 5% less time than 7 rows over MobileNetV2's GEMM shapes on Zen 4 (one core);
       a last tile of at most 4 rows runs a 4-row body. */
    { "gemm_qs8_12x16c4_avx512vnni", VNNI_ISA, 12, 4, 128, ember_gemm_qs8_12x16c4_avx512vnni,
      ember_igemm_qs8_12x16c4_avx512vnni, ember_gemm_qs8_i32_12x16c4_avx512vnni },
#endif
#if EMBER_HAVE_AVX2
    { "gemm_qs8_3x16c4_avx2", EMBER_ISA_AVX2, 3, 4, 0, ember_gemm_qs8_3x16c4_avx2,
      ember_igemm_qs8_3x16c4_avx2, ember_gemm_qs8_i32_3x16c4_avx2 },
#endif
#if EMBER_HAVE_NEONI8MM
    /* Built with +dotprod too: ask for both bits. */
    { "gemm_qs8_4x16c8_neoni8mm", EMBER_ISA_NEONI8MM | EMBER_ISA_NEONDOT, 4, 8, 0,
      ember_gemm_qs8_4x16c8_neoni8mm, ember_igemm_qs8_4x16c8_neoni8mm,
      ember_gemm_qs8_i32_4x16c8_neoni8mm },
#endif
#if EMBER_HAVE_NEONDOT
    { "gemm_qs8_4x16c4_neondot", EMBER_ISA_NEONDOT, 4, 4, 0, ember_gemm_qs8_4x16c4_neondot,
      ember_igemm_qs8_4x16c4_neondot, ember_gemm_qs8_i32_4x16c4_neondot },
#endif
#if EMBER_HAVE_NEON
    { "gemm_qs8_2x16c8_neon", EMBER_ISA_NEON, 2, 8, 0, ember_gemm_qs8_2x16c8_neon,
      ember_igemm_qs8_2x16c8_neon, ember_gemm_qs8_i32_2x16c8_neon },
#endif
    { "gemm_qs8_4x16c4_scalar", EMBER_ISA_NONE, 4, 4, 0, ember_gemm_qs8_4x16c4_scalar,
      ember_igemm_qs8_4x16c4_scalar, ember_gemm_qs8_i32_4x16c4_scalar },
};

const ember_gemm_qs8_config *ember_gemm_qs8_configs(size_t *count) {
    *count = sizeof configs / sizeof configs[0];
    return configs;
}

const ember_gemm_qs8_config *ember_gemm_qs8_select(const ember_context *ctx) {
    if (ember_reference_only(ctx))
        return NULL;
    const ember_gemm_qs8_config *c = configs;
    while (!ember_isa_usable(ctx, c->isa))
        c++;
    return c;
}
