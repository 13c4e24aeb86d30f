/* int8 FULLY_CONNECTED on Cortex-M55 Helium, the weights read in place
 * (ukernels/conv_qs8_inplace.h): per input row, two units at a time share each 16-byte input
 * vector; the op requantizes each sum (a->requant). */
#include "ukernels/conv_qs8_inplace.h"
#include "ukernels/mve/dot_qs8_mve.h"

/* Units per pass over an input row (their sums stay on the stack). */
#define BLOCK 16

void ember_fc_qs8_1x2c16_mve(const ember_fc_qs8_args *a, const int8_t *input,
                             const int8_t *weights, const int32_t *bias, int8_t *output) {
    const size_t depth = a->depth, units = a->units;
    const int32_t zp = a->in_zp;
    for (size_t m = 0; m < a->rows; m++) {
        const int8_t *x = input + m * depth;
        int8_t *y = output + m * units;
        for (size_t n = 0; n < units;) {
            /* Units [n, n + nc): their pairs in one pass over the row, an odd last one alone. */
            const size_t nc = units - n >= BLOCK ? BLOCK : units - n;
            const size_t pairs = nc / 2;
            int32_t tot[BLOCK];
            for (size_t c = 0; c < BLOCK; c++)
                tot[c] = 0;
            const ember_conv_qs8_runs r = {x, weights + n * depth, depth, 1, 0, 0};
            ember_dot_qs8_pairs_mve(&r, depth, pairs, zp, tot);
            if (nc & 1) {
                int32_t sum_xw = 0, sum_w = 0;
                const ember_conv_qs8_runs odd = {x, weights + (n + nc - 1) * depth, depth, 1,
                                                 0, 0};
                ember_dot_qs8_1_mve(&odd, &sum_xw, &sum_w);
                tot[nc - 1] = (int32_t)((uint32_t)sum_xw - (uint32_t)sum_w * (uint32_t)zp);
            }
            for (size_t c = 0; c < nc; c++) {
                const uint32_t b = bias != NULL ? (uint32_t)bias[n + c] : 0u;
                y[n + c] = a->requant(a->requant_arg, b + (uint32_t)tot[c], n + c);
            }
            n += nc;
        }
    }
}
