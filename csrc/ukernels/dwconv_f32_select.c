/* The float32 depthwise configurations, best first, and the row driver that runs one
   (csrc/ukernels/dwconv.h). */
#include "ukernels/dwconv.h"

/* Output pixels per unipass call: bounds the tap pointers of scratch (ks per pixel) whatever
   the image's width. */
#define UP_PIXELS 16

static const ember_dwconv_f32_config configs[] = {
#if EMBER_HAVE_AVX512F
    { "dwconv_f32_3x3s1_avx512f", EMBER_ISA_AVX512F, 3, 1, ember_dwconv_f32_3x3s1_avx512f,
      ember_dwconv_f32_up_avx512f },
    { "dwconv_f32_3x3s2_avx512f", EMBER_ISA_AVX512F, 3, 2, ember_dwconv_f32_3x3s2_avx512f,
      ember_dwconv_f32_up_avx512f },
    { "dwconv_f32_5x5s1_avx512f", EMBER_ISA_AVX512F, 5, 1, ember_dwconv_f32_5x5s1_avx512f,
      ember_dwconv_f32_up_avx512f },
    { "dwconv_f32_5x5s2_avx512f", EMBER_ISA_AVX512F, 5, 2, ember_dwconv_f32_5x5s2_avx512f,
      ember_dwconv_f32_up_avx512f },
    { "dwconv_f32_up_avx512f", EMBER_ISA_AVX512F, 0, 0, NULL, ember_dwconv_f32_up_avx512f },
#endif
#if EMBER_HAVE_AVX2
    { "dwconv_f32_3x3s1_avx2", EMBER_ISA_AVX2, 3, 1, ember_dwconv_f32_3x3s1_avx2,
      ember_dwconv_f32_up_avx2 },
    { "dwconv_f32_3x3s2_avx2", EMBER_ISA_AVX2, 3, 2, ember_dwconv_f32_3x3s2_avx2,
      ember_dwconv_f32_up_avx2 },
    { "dwconv_f32_5x5s1_avx2", EMBER_ISA_AVX2, 5, 1, ember_dwconv_f32_5x5s1_avx2,
      ember_dwconv_f32_up_avx2 },
    { "dwconv_f32_5x5s2_avx2", EMBER_ISA_AVX2, 5, 2, ember_dwconv_f32_5x5s2_avx2,
      ember_dwconv_f32_up_avx2 },
    { "dwconv_f32_up_avx2", EMBER_ISA_AVX2, 0, 0, NULL, ember_dwconv_f32_up_avx2 },
#endif
#if EMBER_HAVE_NEON
    { "dwconv_f32_3x3s1_neon", EMBER_ISA_NEON, 3, 1, ember_dwconv_f32_3x3s1_neon,
      ember_dwconv_f32_up_neon },
    { "dwconv_f32_3x3s2_neon", EMBER_ISA_NEON, 3, 2, ember_dwconv_f32_3x3s2_neon,
      ember_dwconv_f32_up_neon },
    { "dwconv_f32_5x5s1_neon", EMBER_ISA_NEON, 5, 1, ember_dwconv_f32_5x5s1_neon,
      ember_dwconv_f32_up_neon },
    { "dwconv_f32_5x5s2_neon", EMBER_ISA_NEON, 5, 2, ember_dwconv_f32_5x5s2_neon,
      ember_dwconv_f32_up_neon },
    { "dwconv_f32_up_neon", EMBER_ISA_NEON, 0, 0, NULL, ember_dwconv_f32_up_neon },
#endif
    { "dwconv_f32_up_scalar", EMBER_ISA_NONE, 0, 0, NULL, ember_dwconv_f32_up_scalar },
};

const ember_dwconv_f32_config *ember_dwconv_f32_configs(size_t *count) {
    *count = sizeof configs / sizeof configs[0];
    return configs;
}

bool ember_dwconv_f32_fits(const ember_dwconv_f32_config *cfg, const ember_dwconv_shape *s) {
    return cfg->row == NULL || ember_dwconv_row_fits(cfg->kernel, cfg->stride, s);
}

const ember_dwconv_f32_config *ember_dwconv_f32_select(const ember_context *ctx,
                                                       const ember_dwconv_shape *s) {
    if (ember_reference_only(ctx))
        return NULL;
    const ember_dwconv_f32_config *c = configs;
    while (!ember_isa_usable(ctx, c->isa) || !ember_dwconv_f32_fits(c, s))
        c++;
    return c;
}

size_t ember_dwconv_f32_ind_count(const ember_dwconv_f32_config *cfg,
                                  const ember_dwconv_shape *s) {
    const size_t ks = (size_t)s->kh * (size_t)s->kw;
    return cfg->row ? ks : ks * UP_PIXELS;
}

size_t ember_dwconv_f32_zero_count(const ember_dwconv_shape *s) {
    return (size_t)(s->in_w > 0 ? s->in_w : 1) * (s->channels ? s->channels : 1);
}

/* The ks tap pointers of output pixel (oy, ox): input pixels, or `zero` in the padding. */
static void pixel_taps(const ember_dwconv_shape *s, const float *image, int32_t oy,
                       int32_t ox, const float *zero, const float **ind) {
    const struct conv_window *w = &s->win;
    const int64_t y0 = (int64_t)oy * w->stride_h - w->pad_top;
    const int64_t x0 = (int64_t)ox * w->stride_w - w->pad_left;
    for (int32_t ky = 0; ky < s->kh; ky++) {
        const int64_t y = y0 + (int64_t)ky * w->dilation_h;
        for (int32_t kx = 0; kx < s->kw; kx++) {
            const int64_t x = x0 + (int64_t)kx * w->dilation_w;
            const bool inside = y >= 0 && y < s->in_h && x >= 0 && x < s->in_w;
            *ind++ = inside ? image + ((size_t)y * (size_t)s->in_w + (size_t)x) * s->channels
                            : zero;
        }
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

void ember_dwconv_f32_row_run(const ember_dwconv_f32_config *cfg, const ember_dwconv_shape *s,
                              const float *image, int32_t oy, const float *packed,
                              const float *zero, const float **ind, float *out_row,
                              const ember_minmax_f32 *clamp) {
    const size_t c = s->channels;
    const size_t ks = (size_t)s->kh * (size_t)s->kw;
    if (cfg->row == NULL) {
        for (int32_t ox0 = 0; ox0 < s->out_w; ox0 += UP_PIXELS) {
            const int32_t n = s->out_w - ox0 < UP_PIXELS ? s->out_w - ox0 : UP_PIXELS;
            for (int32_t i = 0; i < n; i++)
                pixel_taps(s, image, oy, ox0 + i, zero, ind + (size_t)i * ks);
            cfg->up((size_t)n, c, ks, ind, packed, out_row + (size_t)ox0 * c, clamp);
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
        pixel_taps(s, image, oy, ox, zero, ind);
        cfg->up(1, c, ks, ind, packed, out_row + (size_t)ox * c, clamp);
    }
    if (lo == hi)
        return;
    /* The zero row stands in for rows in the padding, at the same column offset. */
    const float *rows[8];
    const int64_t y0 = (int64_t)oy * s->win.stride_h - s->win.pad_top;
    const size_t col = ((size_t)lo * (size_t)s->win.stride_w - (size_t)s->win.pad_left) * c;
    for (int32_t ky = 0; ky < s->kh; ky++) {
        const int64_t y = y0 + ky;
        rows[ky] = (y >= 0 && y < s->in_h ? image + (size_t)y * (size_t)s->in_w * c : zero) + col;
    }
    cfg->row((size_t)(hi - lo), c, rows, packed, out_row + (size_t)lo * c, clamp);
}
