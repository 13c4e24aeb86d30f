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
 * Tiles: 1x4c4 (armdsp) = one output pixel (or input row) and four output channels (units)
 * per pass, sharing each 4-byte input word; 1x2c16 (mve) = two channels per pass, sharing each
 * 16-byte input vector, up to eight passes per call (the sums of 16 channels stay on the
 * stack; the conv requantizes four channels at once). The kernels are only compiled for
 * Cortex-M targets (csrc/ukernels/armdsp, csrc/ukernels/mve); the selects
 * (conv_qs8_inplace_select.c) find none on other builds. */
#ifndef EMBER_UKERNELS_CONV_QS8_INPLACE_H
#define EMBER_UKERNELS_CONV_QS8_INPLACE_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/conv_window.h"
#include "kernels/kernels.h"
#include "ukernels/requant_qs8.h"

/* What the inner products of these kernels walk: `rows` runs of n bytes each, the input's at
   x + r * x_stride against a weight run at w + r * w_stride (r < rows), and in the kernels'
   other channels at a fixed distance from it. A conv pixel's filter rows (their in-image taps
   side by side) are such runs, or, for grouped or horizontally dilated filters, one filter
   row's in-image taps; an FC row is one run. */
typedef struct ember_conv_qs8_runs {
    const int8_t *x;
    const int8_t *w;
    size_t n, rows;
    size_t x_stride, w_stride;
} ember_conv_qs8_runs;

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

/* A conv pixel's runs: `sets` sets of them, each set_dx input and set_dw filter bytes past
   the one before; `first` is the first set, its input from channel 0 of the pixel's first
   in-image tap (add the group's first channel), its weights at w_off from an output
   channel's filter start. With one group and no horizontal dilation, one set whose runs are
   the filter rows with their in-image taps side by side (NHWC input and OHWI filter keep
   them contiguous); else a set per filter row, one run per in-image tap. No set when the
   window has no in-image tap. */
typedef struct ember_conv_qs8_pixel {
    ember_conv_qs8_runs first;
    size_t w_off, sets, set_dx, set_dw;
} ember_conv_qs8_pixel;

static inline void ember_conv_qs8_pixel_runs(const ember_conv_qs8_args *a,
                                             const struct conv_walk *p, const int8_t *input,
                                             ember_conv_qs8_pixel *px) {
    const struct conv_window *w = a->win;
    const size_t in_c = (size_t)a->in_c, cin_g = in_c / (size_t)a->groups;
    const size_t row_stride = (size_t)a->filter_w * cin_g;
    const size_t in_row_dilated = (size_t)w->dilation_h * (size_t)a->in_w * in_c;
    *px = (ember_conv_qs8_pixel){{input, NULL, 0, 0, 0, 0}, 0, 0, 0, 0};
    if (p->kx1 <= p->kx0 || p->ky1 <= p->ky0)
        return;
    const int64_t y = p->y0 + (int64_t)p->ky0 * w->dilation_h;
    const int64_t x = p->x0 + (int64_t)p->kx0 * w->dilation_w;
    px->first.x = input + conv_walk_pixel(p, y, x) * in_c;
    px->w_off = (size_t)p->ky0 * row_stride + (size_t)p->kx0 * cin_g;
    if (a->groups == 1 && w->dilation_w == 1) {
        px->first.n = (size_t)(p->kx1 - p->kx0) * in_c;
        px->first.rows = (size_t)(p->ky1 - p->ky0);
        px->first.x_stride = in_row_dilated;
        px->first.w_stride = row_stride;
        px->sets = 1;
    } else {
        px->first.n = cin_g;
        px->first.rows = (size_t)(p->kx1 - p->kx0);
        px->first.x_stride = (size_t)w->dilation_w * in_c;
        px->first.w_stride = cin_g;
        px->sets = (size_t)(p->ky1 - p->ky0);
        px->set_dx = in_row_dilated;
        px->set_dw = row_stride;
    }
}

typedef void (*ember_conv_qs8_fn)(const ember_conv_qs8_args *a, const int8_t *input,
                                  const int8_t *filter, const int32_t *bias, int8_t *output);

void ember_conv_qs8_1x4c4_armdsp(const ember_conv_qs8_args *a, const int8_t *input,
                                 const int8_t *filter, const int32_t *bias, int8_t *output);
void ember_conv_qs8_1x2c16_mve(const ember_conv_qs8_args *a, const int8_t *input,
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
void ember_fc_qs8_1x2c16_mve(const ember_fc_qs8_args *a, const int8_t *input,
                             const int8_t *weights, const int32_t *bias, int8_t *output);

/* One ISA's pair of kernels and their names (node variants). */
typedef struct ember_conv_qs8_inplace_config {
    const char *conv_name, *fc_name;
    uint32_t isa;
    ember_conv_qs8_fn conv;
    ember_fc_qs8_fn fc;
} ember_conv_qs8_inplace_config;

/* The best configuration this CPU and the options allow for an int8 CONV2D whose out_c
   multipliers have these shifts, or NULL (none built in, or a shift past 31: the reference). */
const ember_conv_qs8_inplace_config *ember_conv_qs8_inplace_select(const ember_context *ctx,
                                                                   const int32_t *shift,
                                                                   size_t out_c);
/* The best configuration for an int8 FULLY_CONNECTED, or NULL. */
const ember_conv_qs8_inplace_config *ember_fc_qs8_inplace_select(const ember_context *ctx);

#endif /* EMBER_UKERNELS_CONV_QS8_INPLACE_H */
