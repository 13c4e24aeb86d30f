/* The int8 binary microkernel configurations per op, best first (ukernels/vbinary_qs8.h). */
#include "ukernels/vbinary_qs8.h"

static const ember_vbinary_qs8_ops add_configs[] = {
#if EMBER_HAVE_MVE
    { "vbinary_qs8_add_mve", EMBER_ISA_MVE, ember_vadd_qs8_vv_mve, ember_vadd_qs8_vs_mve },
#endif
#if EMBER_HAVE_ARMDSP
    { "vbinary_qs8_add_armdsp", EMBER_ISA_ARMDSP, ember_vadd_qs8_vv_armdsp,
      ember_vadd_qs8_vs_armdsp },
#endif
#if EMBER_HAVE_AVX512F
    { "vbinary_qs8_add_avx512f", EMBER_ISA_AVX512F, ember_vadd_qs8_vv_avx512f,
      ember_vadd_qs8_vs_avx512f },
#endif
#if EMBER_HAVE_AVX2
    { "vbinary_qs8_add_avx2", EMBER_ISA_AVX2, ember_vadd_qs8_vv_avx2, ember_vadd_qs8_vs_avx2 },
#endif
#if EMBER_HAVE_NEON
    { "vbinary_qs8_add_neon", EMBER_ISA_NEON, ember_vadd_qs8_vv_neon, ember_vadd_qs8_vs_neon },
#endif
    { "vbinary_qs8_add_scalar", EMBER_ISA_NONE, ember_vadd_qs8_vv_scalar,
      ember_vadd_qs8_vs_scalar },
};

static const ember_vbinary_qs8_ops mul_configs[] = {
#if EMBER_HAVE_AVX512F
    { "vbinary_qs8_mul_avx512f", EMBER_ISA_AVX512F, ember_vmul_qs8_vv_avx512f,
      ember_vmul_qs8_vs_avx512f },
#endif
#if EMBER_HAVE_AVX2
    { "vbinary_qs8_mul_avx2", EMBER_ISA_AVX2, ember_vmul_qs8_vv_avx2, ember_vmul_qs8_vs_avx2 },
#endif
#if EMBER_HAVE_NEON
    { "vbinary_qs8_mul_neon", EMBER_ISA_NEON, ember_vmul_qs8_vv_neon, ember_vmul_qs8_vs_neon },
#endif
    { "vbinary_qs8_mul_scalar", EMBER_ISA_NONE, ember_vmul_qs8_vv_scalar,
      ember_vmul_qs8_vs_scalar },
};

const ember_vbinary_qs8_ops *ember_vbinary_qs8_configs(ember_vbinary_op op, size_t *count) {
    switch (op) {
    case EMBER_VBINARY_ADD:
        *count = sizeof add_configs / sizeof add_configs[0];
        return add_configs;
    case EMBER_VBINARY_MUL:
        *count = sizeof mul_configs / sizeof mul_configs[0];
        return mul_configs;
    default:
        *count = 0;
        return NULL;
    }
}

const ember_vbinary_qs8_ops *ember_vbinary_qs8_select(const ember_context *ctx,
                                                      ember_vbinary_op op) {
    size_t count = 0;
    const ember_vbinary_qs8_ops *c = ember_vbinary_qs8_configs(op, &count);
    /* The Cortex-M kernels first: in place, so bare-metal builds take them too. */
    for (size_t i = 0; i < count; i++)
        if ((c[i].isa & (EMBER_ISA_MVE | EMBER_ISA_ARMDSP)) != 0 &&
            ember_isa_usable(ctx, c[i].isa))
            return &c[i];
    if (ember_reference_only(ctx) || c == NULL)
        return NULL;
    while (!ember_isa_usable(ctx, c->isa))
        c++;
    return c;
}
