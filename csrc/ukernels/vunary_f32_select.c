/* The float32 unary microkernel configurations per op, best first (csrc/ukernels/vunary.h). */
#include "ukernels/vunary.h"

static const ember_vunary_f32_config clamp_configs[] = {
#if EMBER_HAVE_AVX2
    { "vunary_f32_clamp_avx2", EMBER_ISA_AVX2, ember_vclamp_f32_avx2 },
#endif
#if EMBER_HAVE_NEON
    { "vunary_f32_clamp_neon", EMBER_ISA_NEON, ember_vclamp_f32_neon },
#endif
    { "vunary_f32_clamp_scalar", EMBER_ISA_NONE, ember_vclamp_f32_scalar },
};

static const ember_vunary_f32_config leaky_relu_configs[] = {
#if EMBER_HAVE_AVX2
    { "vunary_f32_leaky_relu_avx2", EMBER_ISA_AVX2, ember_vleaky_relu_f32_avx2 },
#endif
#if EMBER_HAVE_NEON
    { "vunary_f32_leaky_relu_neon", EMBER_ISA_NEON, ember_vleaky_relu_f32_neon },
#endif
    { "vunary_f32_leaky_relu_scalar", EMBER_ISA_NONE, ember_vleaky_relu_f32_scalar },
};

static const ember_vunary_f32_config hard_swish_configs[] = {
#if EMBER_HAVE_AVX2
    { "vunary_f32_hard_swish_avx2", EMBER_ISA_AVX2, ember_vhard_swish_f32_avx2 },
#endif
#if EMBER_HAVE_NEON
    { "vunary_f32_hard_swish_neon", EMBER_ISA_NEON, ember_vhard_swish_f32_neon },
#endif
    { "vunary_f32_hard_swish_scalar", EMBER_ISA_NONE, ember_vhard_swish_f32_scalar },
};

static const ember_vunary_f32_config hard_sigmoid_configs[] = {
#if EMBER_HAVE_AVX2
    { "vunary_f32_hard_sigmoid_avx2", EMBER_ISA_AVX2, ember_vhard_sigmoid_f32_avx2 },
#endif
#if EMBER_HAVE_NEON
    { "vunary_f32_hard_sigmoid_neon", EMBER_ISA_NEON, ember_vhard_sigmoid_f32_neon },
#endif
    { "vunary_f32_hard_sigmoid_scalar", EMBER_ISA_NONE, ember_vhard_sigmoid_f32_scalar },
};

static const ember_vunary_f32_config sigmoid_configs[] = {
#if EMBER_HAVE_AVX512F
    { "vunary_f32_sigmoid_avx512f", EMBER_ISA_AVX512F, ember_vsigmoid_f32_avx512f },
#endif
#if EMBER_HAVE_AVX2
    { "vunary_f32_sigmoid_avx2", EMBER_ISA_AVX2, ember_vsigmoid_f32_avx2 },
#endif
#if EMBER_HAVE_NEON && defined(__aarch64__)
    { "vunary_f32_sigmoid_neon", EMBER_ISA_NEON, ember_vsigmoid_f32_neon },
#endif
    { "vunary_f32_sigmoid_scalar", EMBER_ISA_NONE, ember_vsigmoid_f32_scalar },
};

static const ember_vunary_f32_config tanh_configs[] = {
#if EMBER_HAVE_AVX512F
    { "vunary_f32_tanh_avx512f", EMBER_ISA_AVX512F, ember_vtanh_f32_avx512f },
#endif
#if EMBER_HAVE_AVX2
    { "vunary_f32_tanh_avx2", EMBER_ISA_AVX2, ember_vtanh_f32_avx2 },
#endif
#if EMBER_HAVE_NEON && defined(__aarch64__)
    { "vunary_f32_tanh_neon", EMBER_ISA_NEON, ember_vtanh_f32_neon },
#endif
    { "vunary_f32_tanh_scalar", EMBER_ISA_NONE, ember_vtanh_f32_scalar },
};

#define COUNT(t) (sizeof(t) / sizeof((t)[0]))

const ember_vunary_f32_config *ember_vunary_f32_configs(ember_vunary_op op, size_t *count) {
    switch (op) {
    case EMBER_VUNARY_CLAMP:
        *count = COUNT(clamp_configs);
        return clamp_configs;
    case EMBER_VUNARY_LEAKY_RELU:
        *count = COUNT(leaky_relu_configs);
        return leaky_relu_configs;
    case EMBER_VUNARY_HARD_SWISH:
        *count = COUNT(hard_swish_configs);
        return hard_swish_configs;
    case EMBER_VUNARY_HARD_SIGMOID:
        *count = COUNT(hard_sigmoid_configs);
        return hard_sigmoid_configs;
    case EMBER_VUNARY_SIGMOID:
        *count = COUNT(sigmoid_configs);
        return sigmoid_configs;
    case EMBER_VUNARY_TANH:
    case EMBER_VUNARY_COUNT:
        break;
    }
    *count = COUNT(tanh_configs);
    return tanh_configs;
}

const ember_vunary_f32_config *ember_vunary_f32_select(const ember_context *ctx,
                                                       ember_vunary_op op) {
    if (ember_reference_only(ctx))
        return NULL;
    size_t count = 0;
    const ember_vunary_f32_config *c = ember_vunary_f32_configs(op, &count);
    while (!ember_isa_usable(ctx, c->isa))
        c++;
    return c;
}
