/* The in-place int8 CONV2D / FULLY_CONNECTED configurations for Cortex-M, best first
   (ukernels/conv_qs8_inplace.h). Host builds have none: the table is then empty. */
#include "ukernels/conv_qs8_inplace.h"

#if EMBER_HAVE_MVE || EMBER_HAVE_ARMDSP
static const ember_conv_qs8_inplace_config configs[] = {
#if EMBER_HAVE_MVE
    {"conv_qs8_1x2c16_mve", "fc_qs8_1x2c16_mve", EMBER_ISA_MVE, ember_conv_qs8_1x2c16_mve,
     ember_fc_qs8_1x2c16_mve},
#endif
#if EMBER_HAVE_ARMDSP
    {"conv_qs8_1x4c4_armdsp", "fc_qs8_1x4c4_armdsp", EMBER_ISA_ARMDSP,
     ember_conv_qs8_1x4c4_armdsp, ember_fc_qs8_1x4c4_armdsp},
#endif
};
#endif

const ember_conv_qs8_inplace_config *ember_fc_qs8_inplace_select(const ember_context *ctx) {
#if EMBER_HAVE_MVE || EMBER_HAVE_ARMDSP
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++)
        if (ember_isa_usable(ctx, configs[i].isa))
            return &configs[i];
#else
    (void)ctx;
#endif
    return NULL;
}

const ember_conv_qs8_inplace_config *ember_conv_qs8_inplace_select(const ember_context *ctx,
                                                                   const int32_t *shift,
                                                                   size_t out_c) {
    /* A left shift of 32 or more is beyond ember_qs8_requantize (ukernels/requant_qs8.h). */
    for (size_t c = 0; c < out_c; c++)
        if (shift[c] > 31)
            return NULL;
    return ember_fc_qs8_inplace_select(ctx);
}
