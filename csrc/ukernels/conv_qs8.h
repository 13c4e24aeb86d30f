/* In-place int8 CONV2D and FULLY_CONNECTED microkernels for Cortex-M (armdsp: the DSP extension
 * of Cortex-M4/M7/M33; mve: Helium on Cortex-M55). They read the filter or weights where the
 * model keeps them (flash on a bare-metal build): nothing is packed, no scratch is asked for,
 * and prepare derives nothing beyond what the reference loop uses (the conv's per-channel
 * multipliers, the FC's real multipliers).
 *
 * Both compute LiteRT's reference arithmetic (docs/int8-arithmetic.md, sections 2 and 3): per
 * output, the int32 sum over in-image taps of w * (x - zp_in), plus the bias, wrapping modulo
 * 2^32 like the reference's uint32 sum; the order of the additions therefore does not matter.
 * Padding taps are skipped, as in the reference (kernels/conv_window.h's conv_walk picks the
 * taps). The DSP kernels widen x - zp_in to int16 pairs (SXTAB16) and multiply-add pairs
 * (SMLAD); the MVE kernels sum x * w and w over 16-byte vectors (VMLADAVA, VADDVA) and
 * subtract zp_in * sum(w) at the end, which equals the same sum exactly.
 *
 * A FULLY_CONNECTED is the 1x1 case on its [rows, depth] input and [units, depth] weights; its
 * requantization (in double) stays with the op: the kernel hands each sum to `requant`.
 *
 * Tiles: 1x4 = one output pixel (or input row) and four output channels (units) per pass,
 * sharing the input loads; c4 / c16 = bytes of K per step. Only compiled for Cortex-M targets
 * (csrc/ukernels/armdsp, csrc/ukernels/mve). */
#ifndef EMBER_UKERNELS_CONV_QS8_H
#define EMBER_UKERNELS_CONV_QS8_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/conv_window.h"
#include "ukernels/requant_qs8.h"

/* An int8 convolution: NHWC input [batch, in_h, in_w, in_c], OHWI filter
   [out_c, filter_h, filter_w, in_c / groups], optional int32 bias [out_c], NHWC output
   [batch, out_h, out_w, out_c]; output channel oc belongs to group oc / (out_c / groups). */
typedef struct ember_conv_qs8_args {
    const struct conv_window *win;
    int32_t batch, in_h, in_w, in_c;
    int32_t filter_h, filter_w, groups;
    int32_t out_h, out_w, out_c;
    int32_t in_zp;
    const int32_t *mult, *shift; /* per output channel: shift in [-31, 31] */
    ember_qs8_params out;        /* zero point and clamp range of the output */
} ember_conv_qs8_args;

typedef void (*ember_conv_qs8_fn)(const ember_conv_qs8_args *a, const int8_t *input,
                                  const int8_t *filter, const int32_t *bias, int8_t *output);

void ember_conv_qs8_1x4c4_armdsp(const ember_conv_qs8_args *a, const int8_t *input,
                                 const int8_t *filter, const int32_t *bias, int8_t *output);
void ember_conv_qs8_1x4c16_mve(const ember_conv_qs8_args *a, const int8_t *input,
                               const int8_t *filter, const int32_t *bias, int8_t *output);

/* An int8 fully connected: input [rows, depth], weights [units, depth], optional int32 bias
   [units], output [rows, units]; output (r, n) = requant(requant_arg, sum, n) where sum is
   bias[n] + sum_k w[n, k] * (x[r, k] - in_zp) modulo 2^32. */
typedef struct ember_fc_qs8_args {
    size_t rows, depth, units;
    int32_t in_zp;
    int8_t (*requant)(const void *arg, uint32_t sum, size_t unit);
    const void *requant_arg;
} ember_fc_qs8_args;

typedef void (*ember_fc_qs8_fn)(const ember_fc_qs8_args *a, const int8_t *input,
                                const int8_t *weights, const int32_t *bias, int8_t *output);

void ember_fc_qs8_1x4c4_armdsp(const ember_fc_qs8_args *a, const int8_t *input,
                               const int8_t *weights, const int32_t *bias, int8_t *output);
void ember_fc_qs8_1x4c16_mve(const ember_fc_qs8_args *a, const int8_t *input,
                             const int8_t *weights, const int32_t *bias, int8_t *output);

#endif /* EMBER_UKERNELS_CONV_QS8_H */
