/* DEPTHWISE_CONV2D int8, AVX2 build of the reference's arithmetic
   (ember_depthwise_conv2d_i8_ref in kernels/depthwise_conv2d.c): portable C whose fixed-size
   blocks (kernels/vec_i8.h) the compiler vectorizes with this directory's -mavx2.
   Byte-identical to the reference: both sums wrap modulo 2^32, whatever the order. */
#include "kernels/depthwise_conv2d.h"
#include "kernels/fixed_point.h"
#include "kernels/vec_i8.h"

/* Adds one tap (input pixel `src`, filter taps `taps` of all out_c channels) to `acc`. Input,
   filter and sums are contiguous along the channel axis: with multiplier 1, one row op. */
static void add_tap(const struct depthwise_conv2d_data *d, uint32_t *acc, const int8_t *src,
                    const int8_t *taps) {
    const size_t out_c = (size_t)d->out_c;
    const size_t mult = (size_t)d->multiplier;
    if (mult == 1) {
        vec_i8_mul_add(acc, src, d->in_zp, taps, out_c);
        return;
    }
    for (size_t oc = 0; oc < out_c; oc++)
        acc[oc] += (uint32_t)(taps[oc] * (src[oc / mult] - d->in_zp));
}

/* All channels of one output pixel are summed together, tap by tap, in d->acc_row, then
   requantized in one call. */
void ember_depthwise_conv2d_i8_avx2(const struct depthwise_conv2d_data *d, const int8_t *input,
                                    const int8_t *filter, const int32_t *bias, int8_t *output) {
    const struct conv_window *w = &d->win;
    const size_t in_c = (size_t)d->in_c;
    const size_t out_c = (size_t)d->out_c;
    const size_t in_row = (size_t)d->in_w * in_c;
    uint32_t *acc = d->acc_row;
    for (int32_t n = 0; n < d->batch; n++) {
        const int8_t *image = input + (size_t)n * (size_t)d->in_h * in_row;
        for (int32_t oy = 0; oy < d->out_h; oy++) {
            const int64_t y0 = (int64_t)oy * w->stride_h - w->pad_top;
            int32_t ky0, ky1;
            conv_taps(y0, d->filter_h, w->dilation_h, d->in_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < d->out_w; ox++) {
                const int64_t x0 = (int64_t)ox * w->stride_w - w->pad_left;
                int32_t kx0, kx1;
                conv_taps(x0, d->filter_w, w->dilation_w, d->in_w, &kx0, &kx1);
                for (size_t oc = 0; oc < out_c; oc++)
                    acc[oc] = bias ? (uint32_t)bias[oc] : 0u;
                for (int32_t ky = ky0; ky < ky1; ky++) {
                    const int64_t y = y0 + (int64_t)ky * w->dilation_h;
                    for (int32_t kx = kx0; kx < kx1; kx++) {
                        const int64_t x = x0 + (int64_t)kx * w->dilation_w;
                        add_tap(d, acc, image + (size_t)y * in_row + (size_t)x * in_c,
                                filter + ((size_t)ky * (size_t)d->filter_w + (size_t)kx) * out_c);
                    }
                }
                ember_requantize_row_i8(acc, out_c, d->mult, d->shift, d->out_zp, d->q_min,
                                        d->q_max, output);
                output += out_c;
            }
        }
    }
}
