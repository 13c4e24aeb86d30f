/* int8 FULLY_CONNECTED on the Cortex-M DSP extension, the weights read in place
 * (ukernels/conv_qs8_inplace.h): per input row, four units at a time share each input word,
 * then one at a time; the op requantizes each sum (a->requant). */
#include "ukernels/conv_qs8_inplace.h"
#include "ukernels/armdsp/dot_qs8_armdsp.h"

void ember_fc_qs8_1x4c4_armdsp(const ember_fc_qs8_args *a, const int8_t *input,
                               const int8_t *weights, const int32_t *bias, int8_t *output) {
    const size_t depth = a->depth, units = a->units;
    for (size_t m = 0; m < a->rows; m++) {
        const int8_t *x = input + m * depth;
        int8_t *y = output + m * units;
        size_t n = 0;
        for (; n + 4 <= units; n += 4) {
            uint32_t sums[4];
            for (size_t c = 0; c < 4; c++)
                sums[c] = bias != NULL ? (uint32_t)bias[n + c] : 0u;
            const ember_conv_qs8_runs r = {x, weights + n * depth, depth, 1, 0, 0};
            ember_dot_qs8_4_armdsp(&r, depth, a->in_zp, sums);
            for (size_t c = 0; c < 4; c++)
                y[n + c] = a->requant(a->requant_arg, sums[c], n + c);
        }
        for (; n < units; n++) {
            const ember_conv_qs8_runs r = {x, weights + n * depth, depth, 1, 0, 0};
            const uint32_t sum =
                ember_dot_qs8_1_armdsp(&r, a->in_zp, bias != NULL ? (uint32_t)bias[n] : 0u);
            y[n] = a->requant(a->requant_arg, sum, n);
        }
    }
}
