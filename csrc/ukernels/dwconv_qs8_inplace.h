/* In-place int8 depthwise convolution microkernels for Cortex-M (armdsp, mve): the inner loop of
 * int8 DEPTHWISE_CONV2D on bare-metal builds, where the weights stay where the model keeps them
 * (flash). Nothing is packed and no scratch is asked for: a kernel reads the filter
 * [1, KH, KW, C * multiplier] and the bias of the model, and the per-channel multipliers and
 * shifts the reference already derived at prepare, so the arena the converter computes with the
 * reference kernels holds on the device.
 *
 * A kernel writes one output pixel, every output channel oc (input channel oc / multiplier):
 *     acc[oc] = bias[oc] + sum_taps w[t][oc] * (x[t][oc / multiplier] - zp_in)   (modulo 2^32)
 * over the window's in-image taps only, exactly as the reference loop (a padding tap adds
 * nothing there, and nothing here), then out = clamp(MBQM(acc, mult, shift) + zp_out) as
 * ukernels/requant_qs8.h. The sums wrap modulo 2^32 in the reference too, so any order of the
 * additions gives the same bytes.
 *
 * The taps: `rows` x `cols` of them; tap (i, j) of the input is at x + i * x_row_step +
 * j * x_col_step (bytes, the first in-image tap at x), its weights at w + i * w_row_step +
 * j * channels (w at the weights of that first tap). rows or cols 0: no tap (the bias alone). */
#ifndef EMBER_UKERNELS_DWCONV_QS8_INPLACE_H
#define EMBER_UKERNELS_DWCONV_QS8_INPLACE_H

#include "kernels/conv_window.h"
#include "kernels/kernels.h"
#include "ukernels/requant_qs8.h"

typedef struct ember_dwconv_qs8_inplace_params {
    size_t channels;           /* output channels */
    int32_t multiplier;        /* channel multiplier: 1 or 2 */
    int32_t in_zp;
    const int32_t *mult;       /* per output channel, from ember_quantize_multiplier */
    const int32_t *shift;      /* per output channel, each <= 31 (ember_qs8_split_shift) */
    ember_qs8_params out;
} ember_dwconv_qs8_inplace_params;

typedef void (*ember_dwconv_qs8_inplace_fn)(const int8_t *x, const int8_t *w, const int32_t *bias,
                                            size_t rows, size_t cols, size_t x_row_step,
                                            size_t x_col_step, size_t w_row_step,
                                            const ember_dwconv_qs8_inplace_params *p,
                                            int8_t *out);

typedef struct ember_dwconv_qs8_inplace_config {
    const char *name; /* e.g. "dwconv_qs8_c4_armdsp", shown by `ember inspect` */
    uint32_t isa;     /* EMBER_ISA_* bits it needs */
    ember_dwconv_qs8_inplace_fn pixel;
} ember_dwconv_qs8_inplace_config;

/* One node's geometry: NHWC input, [1, kh, kw, out_c] filter. */
typedef struct ember_dwconv_qs8_inplace_shape {
    int32_t batch, in_h, in_w, in_c, out_h, out_w, kh, kw;
    struct conv_window win;
} ember_dwconv_qs8_inplace_shape;

/* The best usable Cortex-M kernel for this channel multiplier and these per-channel shifts
   (out_c of them), checked before ember_reference_only: they run on bare-metal builds. NULL when
   none is built in or usable (the op keeps its reference loop): a multiplier other than 1 or 2,
   or a shift above 31 (requant_qs8.h). */
const ember_dwconv_qs8_inplace_config *ember_dwconv_qs8_inplace_select(const ember_context *ctx,
                                                                       int32_t multiplier,
                                                                       const int32_t *shift,
                                                                       size_t out_c);

/* Every output pixel of the node through cfg's kernel (filter and bias as the model stores
   them; bias may be NULL). */
void ember_dwconv_qs8_inplace_run(const ember_dwconv_qs8_inplace_config *cfg,
                                  const ember_dwconv_qs8_inplace_shape *s,
                                  const ember_dwconv_qs8_inplace_params *p, const int8_t *input,
                                  const int8_t *filter, const int32_t *bias, int8_t *output);

#if EMBER_HAVE_ARMDSP
/* Cortex-M4/M7/M33 DSP extension (csrc/ukernels/armdsp/dwconv_qs8_c4_armdsp.c): four channels
   per step, SXTAB16 subtracting the zero point from two bytes at once, SMLABB/SMLATT. */
void ember_dwconv_qs8_c4_armdsp(const int8_t *x, const int8_t *w, const int32_t *bias,
                                size_t rows, size_t cols, size_t x_row_step, size_t x_col_step,
                                size_t w_row_step, const ember_dwconv_qs8_inplace_params *p,
                                int8_t *out);
#endif
#if EMBER_HAVE_MVE
/* Cortex-M55 Helium (csrc/ukernels/mve/dwconv_qs8_c8_mve.c): eight channels per step, int16
   lanes multiplied into int32 ones (VMULLB/VMULLT), tail-predicated. */
void ember_dwconv_qs8_c8_mve(const int8_t *x, const int8_t *w, const int32_t *bias, size_t rows,
                             size_t cols, size_t x_row_step, size_t x_col_step,
                             size_t w_row_step, const ember_dwconv_qs8_inplace_params *p,
                             int8_t *out);
#endif

#endif /* EMBER_UKERNELS_DWCONV_QS8_INPLACE_H */
