/* The float32 depthwise microkernels (csrc/ukernels/dwconv.h) against a naive double loop:
   every configuration this CPU runs, through ember_dwconv_f32_row_run (row kernels on the
   interior, unipass kernels on the edges), on random shapes covering every channel tail (1..40
   channels), 3x3 and 5x5 at strides 1 and 2, other windows with strides 1-3 and dilations 1-2,
   every padding from none to KxK-1, and random clamps. An output passes within
   1e-5 x (|bias| + sum |x * w|). Also: the selection picks a row kernel for the shapes it
   has one for, and nothing under isa_mask EMBER_ISA_NONE. */
#include <math.h>

#include "test_util.h"
#include "ukernels/dwconv.h"

static uint32_t rng = 12345u;

static uint32_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static int32_t draw(int32_t lo, int32_t hi) { /* in [lo, hi] */
    return lo + (int32_t)(next() % (uint32_t)(hi - lo + 1));
}

static float uniform(void) {
    return (float)(next() % 20001u) / 10000.0f - 1.0f;
}

static uint32_t cpu_isa(void) {
    uint32_t isa = 0;
#if EMBER_HAVE_AVX2 && defined(__GNUC__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        isa |= EMBER_ISA_AVX2;
#endif
#if EMBER_HAVE_AVX512F && defined(__GNUC__)
    if ((isa & EMBER_ISA_AVX2) && __builtin_cpu_supports("avx512f"))
        isa |= EMBER_ISA_AVX512F;
#endif
#if EMBER_HAVE_NEON
    isa |= EMBER_ISA_NEON; /* every CPU the cross tests emulate has it */
#endif
    return isa;
}

/* Output (oy, ox, c) of the naive loop, and its error bound in *bound. */
static double naive(const ember_dwconv_shape *s, const float *in, const float *filter,
                    const float *bias, int32_t oy, int32_t ox, size_t c, double *bound) {
    const struct conv_window *w = &s->win;
    double sum = bias[c], mag = fabs(bias[c]);
    for (int32_t ky = 0; ky < s->kh; ky++)
        for (int32_t kx = 0; kx < s->kw; kx++) {
            const int32_t y = oy * w->stride_h - w->pad_top + ky * w->dilation_h;
            const int32_t x = ox * w->stride_w - w->pad_left + kx * w->dilation_w;
            if (y < 0 || y >= s->in_h || x < 0 || x >= s->in_w)
                continue;
            const size_t at = ((size_t)y * (size_t)s->in_w + (size_t)x) * s->channels + c;
            const double p = (double)in[at] *
                             filter[((size_t)ky * (size_t)s->kw + (size_t)kx) * s->channels + c];
            sum += p;
            mag += fabs(p);
        }
    *bound = 1e-5 * mag + 1e-30;
    return sum;
}

/* A shape for cfg: its window and stride, or anything for a unipass configuration. */
static ember_dwconv_shape draw_shape(const ember_dwconv_f32_config *cfg) {
    ember_dwconv_shape s = {0};
    s.channels = (size_t)draw(1, 40);
    const int32_t k = cfg->row ? cfg->kernel : 0;
    s.kh = k ? k : draw(1, 6);
    s.kw = k ? k : draw(1, 6);
    s.win.stride_h = k ? cfg->stride : draw(1, 3);
    s.win.stride_w = k ? cfg->stride : draw(1, 3);
    s.win.dilation_h = k ? 1 : draw(1, 2);
    s.win.dilation_w = k ? 1 : draw(1, 2);
    s.win.pad_top = draw(0, s.kh - 1);
    s.win.pad_bottom = draw(0, s.kh - 1);
    s.win.pad_left = draw(0, s.kw - 1);
    s.win.pad_right = draw(0, s.kw - 1);
    s.in_h = draw(1, 9);
    s.in_w = draw(1, 24); /* interiors of 8 + 4 + 1.. pixels at strides 1 and 2 */
    const int32_t span_h = (s.kh - 1) * s.win.dilation_h + 1;
    const int32_t span_w = (s.kw - 1) * s.win.dilation_w + 1;
    if (s.in_h + s.win.pad_top + s.win.pad_bottom < span_h)
        s.win.pad_bottom = span_h - s.in_h - s.win.pad_top;
    if (s.in_w + s.win.pad_left + s.win.pad_right < span_w)
        s.win.pad_right = span_w - s.in_w - s.win.pad_left;
    s.out_h = (s.in_h + s.win.pad_top + s.win.pad_bottom - span_h) / s.win.stride_h + 1;
    s.out_w = (s.in_w + s.win.pad_left + s.win.pad_right - span_w) / s.win.stride_w + 1;
    return s;
}

/* One random case of cfg; returns false (with a message) on a mismatch. */
static bool run_case(const ember_dwconv_f32_config *cfg, int index) {
    const ember_dwconv_shape s = draw_shape(cfg);
    const size_t c = s.channels, ks = (size_t)s.kh * (size_t)s.kw;
    const size_t in_n = (size_t)s.in_h * (size_t)s.in_w * c;
    const size_t out_n = (size_t)s.out_h * (size_t)s.out_w * c;
    float *in = malloc(in_n * sizeof(float)), *filter = malloc(ks * c * sizeof(float));
    float *bias = malloc(c * sizeof(float)), *out = malloc(out_n * sizeof(float));
    float *packed = malloc(ember_dwconv_f32_packed_count(c, ks) * sizeof(float));
    float *zero = calloc(ember_dwconv_f32_zero_count(&s), sizeof(float));
    const float **ind = malloc(ember_dwconv_f32_ind_count(cfg, &s) * sizeof(float *));
    for (size_t i = 0; i < in_n; i++)
        in[i] = uniform();
    for (size_t i = 0; i < ks * c; i++)
        filter[i] = uniform();
    for (size_t i = 0; i < c; i++)
        bias[i] = uniform();
    ember_pack_dwconv_f32(c, ks, filter, bias, packed);
    const bool clamped = next() % 2;
    const ember_minmax_f32 clamp = {clamped ? -0.5f : -INFINITY, clamped ? 0.75f : INFINITY};
    for (int32_t oy = 0; oy < s.out_h; oy++)
        ember_dwconv_f32_row_run(cfg, &s, in, oy, packed, zero,
                                 ind, out + (size_t)oy * (size_t)s.out_w * c, &clamp);
    bool ok = true;
    for (int32_t oy = 0; oy < s.out_h && ok; oy++)
        for (int32_t ox = 0; ox < s.out_w && ok; ox++)
            for (size_t ch = 0; ch < c && ok; ch++) {
                double bound = 0;
                double want = naive(&s, in, filter, bias, oy, ox, ch, &bound);
                want = want < clamp.min ? clamp.min : want > clamp.max ? clamp.max : want;
                const float got = out[((size_t)oy * (size_t)s.out_w + (size_t)ox) * c + ch];
                ok = fabs(got - want) <= bound;
                if (!ok)
                    fprintf(stderr, "%s case %d: %zu ch, %dx%d in %dx%d, stride %d,%d dil %d,%d "
                            "pad %d,%d,%d,%d: (%d,%d,%zu) got %.9g want %.9g\n", cfg->name,
                            index, c, s.kh, s.kw, s.in_h, s.in_w, s.win.stride_h,
                            s.win.stride_w, s.win.dilation_h, s.win.dilation_w, s.win.pad_top,
                            s.win.pad_left, s.win.pad_bottom, s.win.pad_right, oy, ox, ch,
                            (double)got, want);
            }
    free(in), free(filter), free(bias), free(out), free(packed), free(zero), free(ind);
    return ok;
}

static void check_selection(uint32_t isa) {
    ember_context ctx = {0};
    ctx.cpu_features = isa;
    ctx.isa_mask = EMBER_ISA_ALL;
    ember_dwconv_shape s = {.channels = 8, .in_h = 8, .in_w = 8, .out_h = 8, .out_w = 8,
                                .kh = 3, .kw = 3,
                                .win = {1, 1, 1, 1, 1, 1, 1, 1}};
    const ember_dwconv_f32_config *cfg = ember_dwconv_f32_select(&ctx, &s);
    CHECK(cfg != NULL && ember_dwconv_f32_fits(cfg, &s));
    if (isa != 0 && cfg != NULL)
        CHECK_MSG(cfg->row != NULL && cfg->kernel == 3 && cfg->stride == 1, "3x3s1 got %s",
                  cfg->name);
    s.win.dilation_w = 2;
    cfg = ember_dwconv_f32_select(&ctx, &s);
    CHECK(cfg != NULL && cfg->row == NULL);
    ctx.isa_mask = EMBER_ISA_NONE;
    CHECK(ember_dwconv_f32_select(&ctx, &s) == NULL);
}

int main(void) {
    const uint32_t isa = cpu_isa();
    size_t count = 0;
    const ember_dwconv_f32_config *configs = ember_dwconv_f32_configs(&count);
    for (size_t i = 0; i < count; i++) {
        if ((configs[i].isa & isa) != configs[i].isa)
            continue;
        int failed = 0;
        for (int k = 0; k < 60 && failed < 3; k++)
            failed += !run_case(&configs[i], k);
        CHECK_MSG(failed == 0, "%s: %d cases failed", configs[i].name, failed);
    }
    check_selection(isa);
    return test_report("test_ukernel_dwconv");
}
