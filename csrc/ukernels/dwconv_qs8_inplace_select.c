/* The in-place int8 depthwise configurations, best first, and the pixel walk that runs one
   (ukernels/dwconv_qs8_inplace.h). Host builds have none: the table is then empty. */
#include "ukernels/dwconv_qs8_inplace.h"

#if EMBER_HAVE_MVE || EMBER_HAVE_ARMDSP
static const ember_dwconv_qs8_inplace_config configs[] = {
#if EMBER_HAVE_MVE
    {"dwconv_qs8_c8_mve", EMBER_ISA_MVE, ember_dwconv_qs8_c8_mve},
#endif
#if EMBER_HAVE_ARMDSP
    {"dwconv_qs8_c4_armdsp", EMBER_ISA_ARMDSP, ember_dwconv_qs8_c4_armdsp},
#endif
};
#endif

const ember_dwconv_qs8_inplace_config *ember_dwconv_qs8_inplace_select(const ember_context *ctx,
                                                                       int32_t multiplier,
                                                                       const int32_t *shift,
                                                                       size_t out_c) {
    if (multiplier != 1 && multiplier != 2)
        return NULL;
    for (size_t c = 0; c < out_c; c++)
        if (shift[c] > 31)
            return NULL;
#if EMBER_HAVE_MVE || EMBER_HAVE_ARMDSP
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++)
        if (ember_isa_usable(ctx, configs[i].isa))
            return &configs[i];
#else
    (void)ctx;
#endif
    return NULL;
}

void ember_dwconv_qs8_inplace_run(const ember_dwconv_qs8_inplace_config *cfg,
                                  const ember_dwconv_qs8_inplace_shape *s,
                                  const ember_dwconv_qs8_inplace_params *p, const int8_t *input,
                                  const int8_t *filter, const int32_t *bias, int8_t *output) {
    const struct conv_window *w = &s->win;
    const size_t in_c = (size_t)s->in_c, out_c = p->channels;
    const size_t x_row_step = (size_t)w->dilation_h * (size_t)s->in_w * in_c;
    const size_t x_col_step = (size_t)w->dilation_w * in_c;
    const size_t w_row_step = (size_t)s->kw * out_c;
    struct conv_walk walk;
    conv_walk_init(&walk, w, s->batch, s->out_h, s->out_w, s->in_h, s->in_w, s->kh, s->kw);
    while (conv_walk_next(&walk)) {
        const int32_t rows = walk.ky1 - walk.ky0, cols = walk.kx1 - walk.kx0;
        const int8_t *x = input, *wt = filter;
        if (rows > 0 && cols > 0) {
            const int64_t y = walk.y0 + (int64_t)walk.ky0 * w->dilation_h;
            const int64_t xx = walk.x0 + (int64_t)walk.kx0 * w->dilation_w;
            x = input + conv_walk_pixel(&walk, y, xx) * in_c;
            wt = filter + ((size_t)walk.ky0 * (size_t)s->kw + (size_t)walk.kx0) * out_c;
        }
        cfg->pixel(x, wt, bias, rows > 0 ? (size_t)rows : 0, cols > 0 ? (size_t)cols : 0,
                   x_row_step, x_col_step, w_row_step, p, output);
        output += out_c;
    }
}
