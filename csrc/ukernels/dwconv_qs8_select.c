/* The int8 depthwise configurations, best first, and the row driver that runs one
   (csrc/ukernels/dwconv_qs8.h). */
#include "ukernels/dwconv_qs8.h"

/* Output pixels per unipass call: bounds the tap pointers of scratch (2 per pair per pixel)
   whatever the image's width. */
#define UP_PIXELS 16

#define ROW(K, S, isa, bit, ct, layout)                                                \
    { "dwconv_qs8_" #K "x" #K "s" #S "_" #isa, bit, K, S,                             \
      ember_dwconv_qs8_##K##x##K##s##S##_##isa, ember_dwconv_qs8_up_##isa, ct, layout,     \
      layout == EMBER_DWQ_U8Q ? 4u : 2u }
/* An ISA's four row kernels and its unipass kernel. */
#define ROWS(isa, bit, ct, layout)                                                    \
    ROW(3, 1, isa, bit, ct, layout), ROW(3, 2, isa, bit, ct, layout),                \
        ROW(5, 1, isa, bit, ct, layout), ROW(5, 2, isa, bit, ct, layout),            \
    { "dwconv_qs8_up_" #isa, bit, 0, 0, NULL, ember_dwconv_qs8_up_##isa, ct, layout,       \
      layout == EMBER_DWQ_U8Q ? 4u : 2u }

static const ember_dwconv_qs8_config configs[] = {
#if EMBER_HAVE_AVX512VNNI
    ROWS(avx512vnni, EMBER_ISA_AVX512VNNI, 32, EMBER_DWQ_I16),
#endif
#if EMBER_HAVE_AVX2
    ROWS(avx2, EMBER_ISA_AVX2, 16, EMBER_DWQ_I16),
#endif
#if EMBER_HAVE_NEON
    ROWS(neon, EMBER_ISA_NEON, 16, EMBER_DWQ_I8),
#endif
    { "dwconv_qs8_up_scalar", EMBER_ISA_NONE, 0, 0, NULL, ember_dwconv_qs8_up_scalar, 16,
      EMBER_DWQ_I16, 2 },
};

const ember_dwconv_qs8_config *ember_dwconv_qs8_configs(size_t *count) {
    *count = sizeof configs / sizeof configs[0];
    return configs;
}

bool ember_dwconv_qs8_fits(const ember_dwconv_qs8_config *cfg, const ember_dwconv_shape *s) {
    return cfg->row == NULL || ember_dwconv_row_fits(cfg->kernel, cfg->stride, s);
}

const ember_dwconv_qs8_config *ember_dwconv_qs8_select(const ember_context *ctx,
                                                       const ember_dwconv_shape *s) {
    if (ember_reference_only(ctx))
        return NULL;
    const ember_dwconv_qs8_config *c = configs;
    while (!ember_isa_usable(ctx, c->isa) || !ember_dwconv_qs8_fits(c, s))
        c++;
    return c;
}

size_t ember_dwconv_qs8_ind_count(const ember_dwconv_qs8_config *cfg,
                                  const ember_dwconv_shape *s) {
    const size_t taps = cfg->group * ember_dwconv_qs8_groups(cfg, s->kh, s->kw);
    return cfg->row ? taps : taps * UP_PIXELS;
}

size_t ember_dwconv_qs8_zp_row_size(const ember_dwconv_shape *s) {
    return (size_t)(s->in_w > 0 ? s->in_w : 1) * (s->channels ? s->channels : 1);
}

/* The tap pointers of output pixel (oy, ox) in cfg's group order: input pixels, or the zp row
   in the padding (and for a group's empty slots, whose weight is 0). */
static void pixel_taps(const ember_dwconv_qs8_config *cfg, const ember_dwconv_shape *s,
                       const int8_t *image, int32_t oy, int32_t ox, const int8_t *zp_row,
                       const int8_t **ind) {
    const struct conv_window *w = &s->win;
    const int64_t y0 = (int64_t)oy * w->stride_h - w->pad_top;
    const int64_t x0 = (int64_t)ox * w->stride_w - w->pad_left;
    const size_t n = cfg->group * ember_dwconv_qs8_groups(cfg, s->kh, s->kw);
    for (size_t j = 0; j < n; j++) {
        const int32_t tap = ember_dwconv_qs8_group_tap(cfg, s->kh, s->kw, j);
        const int64_t y = y0 + (int64_t)(tap / s->kw) * w->dilation_h;
        const int64_t x = x0 + (int64_t)(tap % s->kw) * w->dilation_w;
        const bool inside = tap >= 0 && y >= 0 && y < s->in_h && x >= 0 && x < s->in_w;
        ind[j] = inside ? image + ((size_t)y * (size_t)s->in_w + (size_t)x) * s->channels
                        : zp_row;
    }
}

/* Output columns [*lo, *hi) whose taps all lie inside the image's width. */
static void interior(const ember_dwconv_shape *s, int32_t *lo, int32_t *hi) {
    const int64_t sw = s->win.stride_w, pad = s->win.pad_left;
    const int64_t last = (int64_t)s->in_w - s->kw + pad; /* largest in-image ox * sw */
    int64_t l = (pad + sw - 1) / sw, h = last < 0 ? 0 : last / sw + 1;
    if (h > s->out_w)
        h = s->out_w;
    if (l > h)
        l = h;
    *lo = (int32_t)l;
    *hi = (int32_t)h;
}

void ember_dwconv_qs8_row_run(const ember_dwconv_qs8_config *cfg, const ember_dwconv_shape *s,
                              const int8_t *image, int32_t oy, const void *packed,
                              const int8_t *zp_row, const int8_t **ind, int8_t *out_row,
                              const ember_qs8_params *p) {
    const size_t c = s->channels, pairs = ember_dwconv_qs8_groups(cfg, s->kh, s->kw);
    if (cfg->row == NULL) {
        for (int32_t ox0 = 0; ox0 < s->out_w; ox0 += UP_PIXELS) {
            const int32_t n = s->out_w - ox0 < UP_PIXELS ? s->out_w - ox0 : UP_PIXELS;
            for (int32_t i = 0; i < n; i++)
                pixel_taps(cfg, s, image, oy, ox0 + i, zp_row,
                           ind + (size_t)i * cfg->group * pairs);
            cfg->up((size_t)n, c, pairs, ind, packed, out_row + (size_t)ox0 * c, p);
        }
        return;
    }
    int32_t lo = 0, hi = 0;
    interior(s, &lo, &hi);
    for (int32_t ox = 0; ox < s->out_w; ox++) {
        if (ox == lo && lo < hi)
            ox = hi; /* the interior, computed below */
        if (ox == s->out_w)
            break;
        pixel_taps(cfg, s, image, oy, ox, zp_row, ind);
        cfg->up(1, c, pairs, ind, packed, out_row + (size_t)ox * c, p);
    }
    if (lo == hi)
        return;
    /* The zp row stands in for rows in the padding, at the same column offset. */
    const int8_t *rows[8];
    const int64_t y0 = (int64_t)oy * s->win.stride_h - s->win.pad_top;
    const size_t col = ((size_t)lo * (size_t)s->win.stride_w - (size_t)s->win.pad_left) * c;
    for (int32_t ky = 0; ky < s->kh; ky++) {
        const int64_t y = y0 + ky;
        rows[ky] =
            (y >= 0 && y < s->in_h ? image + (size_t)y * (size_t)s->in_w * c : zp_row) + col;
    }
    cfg->row((size_t)(hi - lo), c, rows, packed, out_row + (size_t)lo * c, p);
}
