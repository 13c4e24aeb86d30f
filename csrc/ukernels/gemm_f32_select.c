/* The float32 GEMM configurations, best first (csrc/ukernels/gemm.h). On Zen 4 (AVX-512 run as
   two 256-bit halves) 7x16 AVX-512F and 6x16 AVX2 reach the same FMA rate per filled row tile;
   7 rows win on the real layers because their M (112^2 ... 7^2) has no remainder (MobileNetV2's
   GEMMs: 5.2 vs 6.3 ms, ResNet50's 78 vs 90 ms in bench/kernels/bench_ukernels.c); 8 and 12 rows
   were slower everywhere. */
#include "ukernels/gemm.h"

static const ember_gemm_f32_config configs[] = {
#if EMBER_HAVE_AVX512F
    { "gemm_f32_7x16_avx512f", EMBER_ISA_AVX512F, 7, ember_gemm_f32_7x16_avx512f,
      ember_igemm_f32_7x16_avx512f },
#endif
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
    if (ember_reference_only(ctx))
        return NULL;
    const ember_gemm_f32_config *c = configs;
    while (!ember_isa_usable(ctx, c->isa))
        c++;
    return c;
}
