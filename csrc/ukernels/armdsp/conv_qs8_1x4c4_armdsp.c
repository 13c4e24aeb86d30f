/* int8 CONV2D on the Cortex-M DSP extension, the filter read in place
 * (ukernels/conv_qs8_inplace.h): per output pixel (its taps are the reference's, from
 * conv_walk, walked as ember_conv_qs8_pixel_runs sets them out), four output channels at a
 * time share each input word, then one at a time at a group's end. Requantized as
 * ember_qs8_requantize does (the reference's MBQM). */
#include "ukernels/conv_qs8_inplace.h"
#include "ukernels/armdsp/dot_qs8_armdsp.h"

/* The output of channel oc from its sum: ember_qs8_requantize's arithmetic in fewer
   instructions. The rounding shift by r = -shift > 0 is (y >> r) + ((y >> (r - 1)) & 1) with
   y = h - (h < 0): adding 2^(r-1) to y carries into bit r exactly when bit r - 1 is set, so
   this is floor((h - (h < 0) + 2^(r-1)) / 2^r), RDBPOT's ties away from zero (h > INT32_MIN
   for m >= 0, so y does not wrap). */
static inline int8_t requant(const ember_conv_qs8_args *a, uint32_t sum, int32_t oc) {
    const int32_t shift = a->shift[oc];
    const uint32_t lshift = shift > 0 ? (uint32_t)shift : 0u;
    const int32_t x = (int32_t)(sum << lshift);
    const int32_t h = (int32_t)(((int64_t)x * a->mult[oc] + (INT64_C(1) << 30)) >> 31);
    int32_t v = h;
    if (shift < 0) {
        const int32_t y = h - (int32_t)((uint32_t)h >> 31);
        v = (y >> -shift) + ((y >> (-shift - 1)) & 1);
    }
    v = (int32_t)((uint32_t)v + (uint32_t)a->out.out_zp);
    v = v < a->out.qmin ? a->out.qmin : v;
    return (int8_t)(v > a->out.qmax ? a->out.qmax : v);
}

void ember_conv_qs8_1x4c4_armdsp(const ember_conv_qs8_args *a, const int8_t *input,
                                 const int8_t *filter, const int32_t *bias, int8_t *output) {
    const struct conv_window *w = a->win;
    const size_t cin_g = (size_t)a->in_c / (size_t)a->groups;
    const int32_t cout_g = a->out_c / a->groups;
    /* Bytes of one output channel's filter. */
    const size_t oc_stride = (size_t)a->filter_h * (size_t)a->filter_w * cin_g;
    struct conv_walk p;
    conv_walk_init(&p, w, a->batch, a->out_h, a->out_w, a->in_h, a->in_w, a->filter_h,
                   a->filter_w);
    while (conv_walk_next(&p)) {
        ember_conv_qs8_pixel px;
        ember_conv_qs8_pixel_runs(a, &p, input, &px);
        for (int32_t oc = 0; oc < a->out_c;) {
            /* Channels [oc, oc + nc) of one group: four, or one at a time at a group's end. */
            const int32_t group_end = (oc / cout_g + 1) * cout_g;
            const int32_t nc = group_end - oc >= 4 ? 4 : 1;
            uint32_t sums[4];
            for (int32_t c = 0; c < 4; c++)
                sums[c] = bias != NULL && c < nc ? (uint32_t)bias[oc + c] : 0u;
            const int8_t *const x0 = px.first.x + (size_t)(oc / cout_g) * cin_g;
            const int8_t *const w0 = filter + (size_t)oc * oc_stride + px.w_off;
            for (size_t set = 0; set < px.sets; set++) {
                ember_conv_qs8_runs r = px.first;
                r.x = x0 + set * px.set_dx;
                r.w = w0 + set * px.set_dw;
                if (nc == 4)
                    ember_dot_qs8_4_armdsp(&r, oc_stride, a->in_zp, sums);
                else
                    sums[0] = ember_dot_qs8_1_armdsp(&r, a->in_zp, sums[0]);
            }
            for (int32_t c = 0; c < nc; c++)
                output[oc + c] = requant(a, sums[c], oc + c);
            oc += nc;
        }
        output += a->out_c;
    }
}
