/* int8 CONV2D on Cortex-M55 Helium, the filter read in place (ukernels/conv_qs8_inplace.h): per
 * output pixel (its taps are the reference's, from conv_walk, walked as
 * ember_conv_qs8_pixel_runs sets them out), blocks of up to 16 output channels of one group
 * in one call, two at a time sharing each 16-byte input vector. Requantized four channels at
 * once (a predicated store writes the one to three of a group's end). */
#include "ukernels/conv_qs8_inplace.h"
#include "ukernels/mve/dot_qs8_mve.h"
#include "ukernels/mve/mve.h"

/* Output channels per pass over a pixel's runs (the sums stay on the stack). */
#define BLOCK 16

void ember_conv_qs8_1x2c16_mve(const ember_conv_qs8_args *a, const int8_t *input,
                               const int8_t *filter, const int32_t *bias, int8_t *output) {
    const struct conv_window *w = a->win;
    const size_t in_c = (size_t)a->in_c;
    const size_t cin_g = in_c / (size_t)a->groups;
    const int32_t cout_g = a->out_c / a->groups;
    /* Bytes of one output channel's filter and of one of its rows. */
    const size_t oc_stride = (size_t)a->filter_h * (size_t)a->filter_w * cin_g;
    struct conv_walk p;
    conv_walk_init(&p, w, a->batch, a->out_h, a->out_w, a->in_h, a->in_w, a->filter_h,
                   a->filter_w);
    while (conv_walk_next(&p)) {
        ember_conv_qs8_pixel px;
        ember_conv_qs8_pixel_runs(a, &p, input, &px);
        for (int32_t oc = 0; oc < a->out_c;) {
            /* Channels [oc, oc + nc) of one group: their pairs in one pass over the runs, the
               odd one of a group's end in another. */
            const int32_t group_end = (oc / cout_g + 1) * cout_g;
            const int32_t nc = group_end - oc >= BLOCK ? BLOCK : group_end - oc;
            const size_t pairs = (size_t)nc / 2;
            int32_t tot[BLOCK], odd_xw = 0, odd_w = 0;
            for (int32_t c = 0; c < BLOCK; c++)
                tot[c] = 0;
            const int8_t *const x0 = px.first.x + (size_t)(oc / cout_g) * cin_g;
            const int8_t *const w0 = filter + (size_t)oc * oc_stride + px.w_off;
            for (size_t set = 0; set < px.sets; set++) {
                ember_conv_qs8_runs r = px.first;
                r.x = x0 + set * px.set_dx;
                r.w = w0 + set * px.set_dw;
                ember_dot_qs8_pairs_mve(&r, oc_stride, pairs, a->in_zp, tot);
                if (nc & 1) {
                    r.w += 2 * pairs * oc_stride;
                    ember_dot_qs8_1_mve(&r, &odd_xw, &odd_w);
                }
            }
            if (nc & 1)
                tot[nc - 1] = (int32_t)((uint32_t)odd_xw - (uint32_t)odd_w * (uint32_t)a->in_zp);
            for (int32_t c = 0; c < nc; c += 4) {
                const mve_pred16_t pc = vctp32q((uint32_t)(nc - c));
                const int32x4_t b =
                    bias != NULL ? vldrwq_z_s32(bias + oc + c, pc) : vdupq_n_s32(0);
                const int32x4_t sums = vaddq_s32(b, vldrwq_s32(tot + c));
                const int32x4_t v =
                    mve_requant(sums, vldrwq_z_s32(a->mult + oc + c, pc),
                                vldrwq_z_s32(a->shift + oc + c, pc), &a->out);
                vstrbq_p_s32(output + oc + c, v, pc);
            }
            oc += nc;
        }
        output += a->out_c;
    }
}
