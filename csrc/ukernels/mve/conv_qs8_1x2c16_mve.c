/* int8 CONV2D on Cortex-M55 Helium, the filter read in place (ukernels/conv_qs8.h): per output
 * pixel, four output channels at a time share each 16-byte input vector; the taps are the
 * reference's (conv_walk). With one group and no horizontal dilation, the in-image taps of a
 * filter row are one contiguous run of input (NHWC) and of filter (OHWI), so each filter row is
 * one inner product. At a group's end, the one to three channels left take one pass each.
 * Requantized four channels at once (a predicated store writes the nc < 4 of a group's end). */
#include "ukernels/conv_qs8.h"
#include "ukernels/mve/dot_qs8_mve.h"

void ember_conv_qs8_1x4c16_mve(const ember_conv_qs8_args *a, const int8_t *input,
                               const int8_t *filter, const int32_t *bias, int8_t *output) {
    const struct conv_window *w = a->win;
    const size_t in_c = (size_t)a->in_c;
    const size_t cin_g = in_c / (size_t)a->groups;
    const int32_t cout_g = a->out_c / a->groups;
    /* Bytes of one output channel's filter and of one of its rows. */
    const size_t oc_stride = (size_t)a->filter_h * (size_t)a->filter_w * cin_g;
    const size_t row_stride = (size_t)a->filter_w * cin_g;
    const bool row_runs = a->groups == 1 && w->dilation_w == 1;
    struct conv_walk p;
    conv_walk_init(&p, w, a->batch, a->out_h, a->out_w, a->in_h, a->in_w, a->filter_h,
                   a->filter_w);
    while (conv_walk_next(&p)) {
        for (int32_t oc = 0; oc < a->out_c;) {
            /* Channels [oc, oc + nc) of one group. */
            const int32_t group_end = (oc / cout_g + 1) * cout_g;
            const int32_t nc = group_end - oc >= 4 ? 4 : group_end - oc;
            const size_t c0 = (size_t)(oc / cout_g) * cin_g;
            const int8_t *filter_oc = filter + (size_t)oc * oc_stride;
            int32_t sum_xw[4] = {0, 0, 0, 0}, sum_w[4] = {0, 0, 0, 0};
            for (int32_t ky = p.ky0; ky < p.ky1; ky++) {
                const int64_t y = p.y0 + (int64_t)ky * w->dilation_h;
                const int8_t *taps = filter_oc + (size_t)ky * row_stride;
                /* One run per filter row, or one per tap. */
                const int32_t runs = row_runs ? 1 : p.kx1 - p.kx0;
                const size_t run = row_runs ? (size_t)(p.kx1 - p.kx0) * in_c : cin_g;
                for (int32_t r = 0; r < runs; r++) {
                    const int32_t kx = p.kx0 + r;
                    const int64_t x = p.x0 + (int64_t)kx * w->dilation_w;
                    const int8_t *src = input + conv_walk_pixel(&p, y, x) * in_c + c0;
                    const int8_t *wt = taps + (size_t)kx * cin_g;
                    if (nc == 4)
                        ember_dot_qs8_4_mve(src, wt, oc_stride, run, sum_xw, sum_w);
                    else
                        for (int32_t c = 0; c < nc; c++)
                            ember_dot_qs8_1_mve(src, wt + (size_t)c * oc_stride, run,
                                                &sum_xw[c], &sum_w[c]);
                }
            }
            const mve_pred16_t pc = vctp32q((uint32_t)nc);
            const int32x4_t b = bias != NULL ? vldrwq_z_s32(bias + oc, pc) : vdupq_n_s32(0);
            const int32x4_t sums = ember_dot_qs8_finish_mve(b, sum_xw, sum_w, a->in_zp);
            const int32x4_t v = ember_qs8_requant4_mve(sums, vldrwq_z_s32(a->mult + oc, pc),
                                                       vldrwq_z_s32(a->shift + oc, pc), &a->out);
            vstrbq_p_s32(output + oc, v, pc);
            oc += nc;
        }
        output += a->out_c;
    }
}
