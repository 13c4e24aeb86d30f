/* int8 FULLY_CONNECTED on Cortex-M55 Helium, the weights read in place
 * (ukernels/conv_qs8_inplace.h): per input row, two units at a time share each 16-byte input
 * vector; the op requantizes each sum (a->requant). */
#include "ukernels/conv_qs8_inplace.h"
#include "ukernels/mve/dot_qs8_mve.h"

/* bias + sum_xw - zp * sum_w, modulo 2^32: the sum of w * (x - zp) plus the bias. */
static inline uint32_t finish(const int32_t *bias, size_t n, int32_t sum_xw, int32_t sum_w,
                              int32_t zp) {
    const uint32_t b = bias != NULL ? (uint32_t)bias[n] : 0u;
    return b + (uint32_t)sum_xw - (uint32_t)sum_w * (uint32_t)zp;
}

void ember_fc_qs8_1x2c16_mve(const ember_fc_qs8_args *a, const int8_t *input,
                             const int8_t *weights, const int32_t *bias, int8_t *output) {
    const size_t depth = a->depth, units = a->units;
    const int32_t zp = a->in_zp;
    for (size_t m = 0; m < a->rows; m++) {
        const int8_t *x = input + m * depth;
        int8_t *y = output + m * units;
        size_t n = 0;
        for (; n + 2 <= units; n += 2) {
            int32_t sum_xw[2] = {0, 0}, sum_w[2] = {0, 0};
            const ember_conv_qs8_runs r = {x, weights + n * depth, depth, 1, 0, 0};
            ember_dot_qs8_2_mve(&r, depth, sum_xw, sum_w);
            for (size_t c = 0; c < 2; c++)
                y[n + c] = a->requant(a->requant_arg,
                                      finish(bias, n + c, sum_xw[c], sum_w[c], zp), n + c);
        }
        for (; n < units; n++) {
            int32_t sum_xw = 0, sum_w = 0;
            const ember_conv_qs8_runs r = {x, weights + n * depth, depth, 1, 0, 0};
            ember_dot_qs8_1_mve(&r, &sum_xw, &sum_w);
            y[n] = a->requant(a->requant_arg, finish(bias, n, sum_xw, sum_w, zp), n);
        }
    }
}
