/* CONV2D int8, AVX2 build of the reference's arithmetic (ember_conv2d_i8_ref in
   kernels/conv2d.c): portable C whose fixed-size blocks (kernels/vec_i8.h) the compiler turns
   into 16-bit multiply-adds with this directory's -mavx2. Byte-identical to the reference:
   its int32 sums wrap modulo 2^32, and so do these, whatever the order of the additions. */
#include "kernels/conv2d.h"
#include "kernels/fixed_point.h"
#include "kernels/vec_i8.h"

/* The sum of one output channel's taps for the pixel whose window starts at (y0, x0), taps
   [ky0, ky1) x [kx0, kx1) in the image; `zp` is the input zero point, or 0 when the caller
   folded it out. With one group and no horizontal dilation a row of taps is one contiguous
   run of input and filter: one dot product. */
static uint32_t window_sum(const struct conv2d_data *d, const int8_t *group_in,
                           const int8_t *taps_oc, int64_t y0, int64_t x0, int32_t ky0,
                           int32_t ky1, int32_t kx0, int32_t kx1, int32_t zp) {
    const struct conv_window *w = &d->win;
    const size_t in_c = (size_t)d->in_c;
    const size_t cin_g = in_c / (size_t)d->groups;
    const size_t in_row = (size_t)d->in_w * in_c;
    const size_t filter_row = (size_t)d->filter_w * cin_g;
    const bool merge_taps = d->groups == 1 && w->dilation_w == 1;
    uint32_t sum = 0;
    for (int32_t ky = ky0; ky < ky1; ky++) {
        const int8_t *src = group_in + (size_t)(y0 + (int64_t)ky * w->dilation_h) * in_row;
        const int8_t *taps = taps_oc + (size_t)ky * filter_row;
        if (merge_taps) {
            sum += vec_i8_dot(src + (size_t)(x0 + kx0) * in_c, zp, taps + (size_t)kx0 * cin_g,
                              (size_t)(kx1 - kx0) * in_c);
            continue;
        }
        for (int32_t kx = kx0; kx < kx1; kx++) {
            const int64_t x = x0 + (int64_t)kx * w->dilation_w;
            sum += vec_i8_dot(src + (size_t)x * in_c, zp, taps + (size_t)kx * cin_g, cin_g);
        }
    }
    return sum;
}

/* Where the whole window lies in the image, sum w * (x - zp) = sum w * x - zp * sum w (also
   modulo 2^32): with the filter sums from prepare the inner loop loses the subtraction.
   Border pixels keep the per-tap zero point, since their padding taps contribute nothing.
   Output channels are innermost so the pixel's window stays in cache while the filters stream
   past; their sums go to d->acc_row, requantized in one call. */
void ember_conv2d_i8_avx2(const struct conv2d_data *d, const int8_t *input,
                          const int8_t *filter, const int32_t *bias, int8_t *output) {
    const struct conv_window *w = &d->win;
    const size_t in_c = (size_t)d->in_c;
    const size_t out_c = (size_t)d->out_c;
    const size_t cin_g = in_c / (size_t)d->groups;
    const size_t cout_g = out_c / (size_t)d->groups;
    const size_t filter_oc = (size_t)d->filter_h * (size_t)d->filter_w * cin_g;
    for (int32_t n = 0; n < d->batch; n++) {
        const int8_t *image = input + (size_t)n * (size_t)d->in_h * (size_t)d->in_w * in_c;
        for (int32_t oy = 0; oy < d->out_h; oy++) {
            const int64_t y0 = (int64_t)oy * w->stride_h - w->pad_top;
            int32_t ky0, ky1;
            conv_taps(y0, d->filter_h, w->dilation_h, d->in_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < d->out_w; ox++) {
                const int64_t x0 = (int64_t)ox * w->stride_w - w->pad_left;
                int32_t kx0, kx1;
                conv_taps(x0, d->filter_w, w->dilation_w, d->in_w, &kx0, &kx1);
                const bool fold = d->filter_sum && ky0 == 0 && ky1 == d->filter_h && kx0 == 0 &&
                                  kx1 == d->filter_w;
                for (size_t oc = 0; oc < out_c; oc++) {
                    uint32_t sum = bias ? (uint32_t)bias[oc] : 0u;
                    if (fold)
                        sum -= (uint32_t)d->in_zp * d->filter_sum[oc];
                    d->acc_row[oc] = sum + window_sum(d, image + (oc / cout_g) * cin_g,
                                                      filter + oc * filter_oc, y0, x0, ky0, ky1,
                                                      kx0, kx1, fold ? 0 : d->in_zp);
                }
                ember_requantize_row_i8(d->acc_row, out_c, d->mult, d->shift, d->out_zp,
                                        d->q_min, d->q_max, output);
                output += out_c;
            }
        }
    }
}
