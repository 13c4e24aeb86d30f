/* The in-place Cortex-M int8 pooling configurations (armdsp, mve) for MAX_POOL2D's and
   AVERAGE_POOL2D's windows, best first (ukernels/pool_qs8.h). Host builds have none. */
#include "ukernels/pool_qs8.h"

#if EMBER_HAVE_MVE || EMBER_HAVE_ARMDSP
static const ember_pool_qs8_config configs[] = {
#if EMBER_HAVE_MVE
    { EMBER_ISA_MVE, "maxpool_qs8_mve", NULL, ember_maxpool_qs8_mve, NULL, "avgpool_qs8_mve",
      ember_avgpool_qs8_mve },
#endif
#if EMBER_HAVE_ARMDSP
    { EMBER_ISA_ARMDSP, "maxpool_qs8_armdsp", NULL, ember_maxpool_qs8_armdsp, NULL,
      "avgpool_qs8_armdsp", ember_avgpool_qs8_armdsp },
#endif
};
#endif

const ember_pool_qs8_config *ember_pool_qs8_window_select(const ember_context *ctx) {
#if EMBER_HAVE_MVE || EMBER_HAVE_ARMDSP
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++)
        if (ember_isa_usable(ctx, configs[i].isa))
            return &configs[i];
#else
    (void)ctx;
#endif
    return NULL;
}
