/* The float32 binary microkernel configurations per op, best first (csrc/ukernels/vbinary.h). */
#include "ukernels/vbinary.h"

static const ember_vbinary_f32_ops add_configs[] = {
#if EMBER_HAVE_AVX2
    { "vbinary_f32_add_avx2", EMBER_ISA_AVX2, ember_vadd_f32_vv_avx2, ember_vadd_f32_vs_avx2,
      ember_vadd_f32_sv_avx2 },
#endif
#if EMBER_HAVE_NEON
    { "vbinary_f32_add_neon", EMBER_ISA_NEON, ember_vadd_f32_vv_neon, ember_vadd_f32_vs_neon,
      ember_vadd_f32_sv_neon },
#endif
    { "vbinary_f32_add_scalar", EMBER_ISA_NONE, ember_vadd_f32_vv_scalar,
      ember_vadd_f32_vs_scalar, ember_vadd_f32_sv_scalar },
};

static const ember_vbinary_f32_ops sub_configs[] = {
#if EMBER_HAVE_AVX2
    { "vbinary_f32_sub_avx2", EMBER_ISA_AVX2, ember_vsub_f32_vv_avx2, ember_vsub_f32_vs_avx2,
      ember_vsub_f32_sv_avx2 },
#endif
#if EMBER_HAVE_NEON
    { "vbinary_f32_sub_neon", EMBER_ISA_NEON, ember_vsub_f32_vv_neon, ember_vsub_f32_vs_neon,
      ember_vsub_f32_sv_neon },
#endif
    { "vbinary_f32_sub_scalar", EMBER_ISA_NONE, ember_vsub_f32_vv_scalar,
      ember_vsub_f32_vs_scalar, ember_vsub_f32_sv_scalar },
};

static const ember_vbinary_f32_ops mul_configs[] = {
#if EMBER_HAVE_AVX2
    { "vbinary_f32_mul_avx2", EMBER_ISA_AVX2, ember_vmul_f32_vv_avx2, ember_vmul_f32_vs_avx2,
      ember_vmul_f32_sv_avx2 },
#endif
#if EMBER_HAVE_NEON
    { "vbinary_f32_mul_neon", EMBER_ISA_NEON, ember_vmul_f32_vv_neon, ember_vmul_f32_vs_neon,
      ember_vmul_f32_sv_neon },
#endif
    { "vbinary_f32_mul_scalar", EMBER_ISA_NONE, ember_vmul_f32_vv_scalar,
      ember_vmul_f32_vs_scalar, ember_vmul_f32_sv_scalar },
};

static const ember_vbinary_f32_ops div_configs[] = {
#if EMBER_HAVE_AVX2
    { "vbinary_f32_div_avx2", EMBER_ISA_AVX2, ember_vdiv_f32_vv_avx2, ember_vdiv_f32_vs_avx2,
      ember_vdiv_f32_sv_avx2 },
#endif
#if EMBER_HAVE_NEON && defined(__aarch64__)
    { "vbinary_f32_div_neon", EMBER_ISA_NEON, ember_vdiv_f32_vv_neon, ember_vdiv_f32_vs_neon,
      ember_vdiv_f32_sv_neon },
#endif
    { "vbinary_f32_div_scalar", EMBER_ISA_NONE, ember_vdiv_f32_vv_scalar,
      ember_vdiv_f32_vs_scalar, ember_vdiv_f32_sv_scalar },
};

static const ember_vbinary_f32_ops max_configs[] = {
#if EMBER_HAVE_AVX2
    { "vbinary_f32_maximum_avx2", EMBER_ISA_AVX2, ember_vmax_f32_vv_avx2, ember_vmax_f32_vs_avx2,
      ember_vmax_f32_sv_avx2 },
#endif
#if EMBER_HAVE_NEON
    { "vbinary_f32_maximum_neon", EMBER_ISA_NEON, ember_vmax_f32_vv_neon, ember_vmax_f32_vs_neon,
      ember_vmax_f32_sv_neon },
#endif
    { "vbinary_f32_maximum_scalar", EMBER_ISA_NONE, ember_vmax_f32_vv_scalar,
      ember_vmax_f32_vs_scalar, ember_vmax_f32_sv_scalar },
};

static const ember_vbinary_f32_ops min_configs[] = {
#if EMBER_HAVE_AVX2
    { "vbinary_f32_minimum_avx2", EMBER_ISA_AVX2, ember_vmin_f32_vv_avx2, ember_vmin_f32_vs_avx2,
      ember_vmin_f32_sv_avx2 },
#endif
#if EMBER_HAVE_NEON
    { "vbinary_f32_minimum_neon", EMBER_ISA_NEON, ember_vmin_f32_vv_neon, ember_vmin_f32_vs_neon,
      ember_vmin_f32_sv_neon },
#endif
    { "vbinary_f32_minimum_scalar", EMBER_ISA_NONE, ember_vmin_f32_vv_scalar,
      ember_vmin_f32_vs_scalar, ember_vmin_f32_sv_scalar },
};

static const ember_vbinary_f32_ops prelu_configs[] = {
#if EMBER_HAVE_AVX2
    { "vbinary_f32_prelu_avx2", EMBER_ISA_AVX2, ember_vprelu_f32_vv_avx2,
      ember_vprelu_f32_vs_avx2, NULL },
#endif
#if EMBER_HAVE_NEON
    { "vbinary_f32_prelu_neon", EMBER_ISA_NEON, ember_vprelu_f32_vv_neon,
      ember_vprelu_f32_vs_neon, NULL },
#endif
    { "vbinary_f32_prelu_scalar", EMBER_ISA_NONE, ember_vprelu_f32_vv_scalar,
      ember_vprelu_f32_vs_scalar, NULL },
};

const ember_vbinary_f32_ops *ember_vbinary_f32_configs(ember_vbinary_op op, size_t *count) {
    switch (op) {
    case EMBER_VBINARY_ADD:
        *count = sizeof add_configs / sizeof add_configs[0];
        return add_configs;
    case EMBER_VBINARY_SUB:
        *count = sizeof sub_configs / sizeof sub_configs[0];
        return sub_configs;
    case EMBER_VBINARY_MUL:
        *count = sizeof mul_configs / sizeof mul_configs[0];
        return mul_configs;
    case EMBER_VBINARY_DIV:
        *count = sizeof div_configs / sizeof div_configs[0];
        return div_configs;
    case EMBER_VBINARY_MAXIMUM:
        *count = sizeof max_configs / sizeof max_configs[0];
        return max_configs;
    case EMBER_VBINARY_MINIMUM:
        *count = sizeof min_configs / sizeof min_configs[0];
        return min_configs;
    case EMBER_VBINARY_PRELU:
    case EMBER_VBINARY_COUNT:
        break;
    }
    *count = sizeof prelu_configs / sizeof prelu_configs[0];
    return prelu_configs;
}

const ember_vbinary_f32_ops *ember_vbinary_f32_select(const ember_context *ctx,
                                                      ember_vbinary_op op) {
    if (ember_reference_only(ctx))
        return NULL;
    size_t count = 0;
    const ember_vbinary_f32_ops *c = ember_vbinary_f32_configs(op, &count);
    while (!ember_isa_usable(ctx, c->isa))
        c++;
    return c;
}
