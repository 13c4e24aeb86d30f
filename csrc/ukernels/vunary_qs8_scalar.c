/* The portable int8 table lookup and the lookup configurations, best first
   (ukernels/vunary_qs8.h). */
#include "ukernels/vunary_qs8.h"

void ember_vlut_qs8_scalar(size_t n, const int8_t *in, int8_t *out, const int8_t table[256]) {
    size_t i = 0;
    /* Four independent loads per step keep the table reads in flight. */
    for (; i + 4 <= n; i += 4) {
        const uint8_t x0 = (uint8_t)in[i], x1 = (uint8_t)in[i + 1];
        const uint8_t x2 = (uint8_t)in[i + 2], x3 = (uint8_t)in[i + 3];
        out[i] = table[x0];
        out[i + 1] = table[x1];
        out[i + 2] = table[x2];
        out[i + 3] = table[x3];
    }
    for (; i < n; i++)
        out[i] = table[(uint8_t)in[i]];
}

static const ember_vlut_qs8_config configs[] = {
#if EMBER_HAVE_AVX512VBMI
    { "vlut_qs8_avx512vbmi", EMBER_ISA_AVX512VBMI, ember_vlut_qs8_avx512vbmi },
#endif
#if EMBER_HAVE_AVX2
    { "vlut_qs8_avx2", EMBER_ISA_AVX2, ember_vlut_qs8_avx2 },
#endif
#if EMBER_HAVE_NEON
    { "vlut_qs8_neon", EMBER_ISA_NEON, ember_vlut_qs8_neon },
#endif
    { "vlut_qs8_scalar", EMBER_ISA_NONE, ember_vlut_qs8_scalar },
};

const ember_vlut_qs8_config *ember_vlut_qs8_configs(size_t *count) {
    *count = sizeof configs / sizeof configs[0];
    return configs;
}

const ember_vlut_qs8_config *ember_vlut_qs8_select(const ember_context *ctx) {
    if (ember_reference_only(ctx))
        return NULL;
    const ember_vlut_qs8_config *c = configs;
    while (!ember_isa_usable(ctx, c->isa))
        c++;
    return c;
}
