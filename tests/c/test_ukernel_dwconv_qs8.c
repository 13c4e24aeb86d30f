/* The int8 depthwise microkernels (csrc/ukernels/dwconv_qs8.h) byte for byte against a naive
   loop requantized with ember_requantize_i8 (kernels/fixed_point.h, LiteRT's reference
   arithmetic): every configuration this CPU runs, through ember_dwconv_qs8_row_run (row
   kernels on the interior, the unipass kernel on the edges), on random shapes covering every
   channel tail (1..70 channels around the 16- and 32-channel tiles), 3x3 and 5x5 at strides 1
   and 2, other windows (1x1 .. 4x6) with strides 1-3 and dilations 1-2, every padding from
   none to K-1; input and output zero points at -128, 127 or random, weights and inputs with
   -128 and 127, per-channel scales log-uniform in 1e-6..1 and some above 1 (left shifts),
   clamps narrower than int8. Each output row is written into a buffer with guard bytes on
   both sides (they must survive), and the input is sized to the byte so ASan catches a read
   past the last channel. Also: the selection picks a row kernel for the shapes it has one for
   and nothing under isa_mask EMBER_ISA_NONE. */
#include <math.h>

#include "ember_internal.h"
#include "kernels/fixed_point.h"
#include "test_util.h"
#include "ukernels/dwconv_qs8.h"

static uint32_t rng_state = 0x9e3779b9u;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static int32_t draw(int32_t lo, int32_t hi) { /* in [lo, hi] */
    return lo + (int32_t)(rng() % (uint32_t)(hi - lo + 1));
}

/* An int8 value, the extremes -128 and 127 one time in eight each. */
static int8_t rand_i8(void) {
    const uint32_t r = rng() % 8;
    return r == 0 ? -128 : r == 1 ? 127 : (int8_t)(rng() & 0xff);
}

static int32_t rand_zp(void) {
    const uint32_t r = rng() % 3;
    return r == 0 ? -128 : r == 1 ? 127 : (int32_t)(int8_t)(rng() & 0xff);
}

/* A real scale log-uniform in [1e-6, 1], one in eight in (1, 64] (a positive shift). */
static double rand_scale(void) {
    const double u = (double)(rng() % 100001) / 100000.0;
    if (rng() % 8 == 0)
        return 1.0 + 63.0 * u;
    return 1e-6 * pow(1e6, u);
}

typedef struct qcase {
    ember_dwconv_shape s;
    int32_t zp_in;
    ember_qs8_params p;
    int8_t *in, *filter;
    int32_t *bias, *mult, *shift;
} qcase;

static void random_case(qcase *q, int32_t k, int32_t stride) {
    ember_dwconv_shape *s = &q->s;
    const bool row = k > 0;
    /* One case in four has 8 channels past whole 16-channel tiles (the AVX2 tail's fast path). */
    s->channels = rng() % 4 == 0 ? (size_t)(16 * draw(0, 3) + 8) : (size_t)draw(1, 70);
    s->kh = row ? k : draw(1, 4);
    s->kw = row ? k : draw(1, 6);
    struct conv_window *w = &s->win;
    w->stride_h = w->stride_w = row ? stride : draw(1, 3);
    w->dilation_h = row ? 1 : draw(1, 2);
    w->dilation_w = row ? 1 : draw(1, 2);
    w->pad_top = draw(0, s->kh - 1);
    w->pad_left = draw(0, s->kw - 1);
    w->pad_bottom = draw(0, s->kh - 1);
    w->pad_right = draw(0, s->kw - 1);
    const int32_t eh = (s->kh - 1) * w->dilation_h + 1, ew = (s->kw - 1) * w->dilation_w + 1;
    s->in_h = draw(eh > w->pad_top + w->pad_bottom ? eh - w->pad_top - w->pad_bottom : 1, 9);
    s->in_w = draw(ew > w->pad_left + w->pad_right ? ew - w->pad_left - w->pad_right : 1, 19);
    s->out_h = (s->in_h + w->pad_top + w->pad_bottom - eh) / w->stride_h + 1;
    s->out_w = (s->in_w + w->pad_left + w->pad_right - ew) / w->stride_w + 1;
    q->zp_in = rand_zp();
    q->p.out_zp = rand_zp();
    q->p.qmin = rng() % 2 ? -128 : draw(-128, 0);
    q->p.qmax = rng() % 2 ? 127 : draw(q->p.qmin, 127);
    const size_t c = s->channels, ks = (size_t)s->kh * (size_t)s->kw;
    const size_t in_n = (size_t)s->in_h * (size_t)s->in_w * c;
    q->in = malloc(in_n);
    q->filter = malloc(ks * c);
    q->bias = malloc(c * sizeof(int32_t));
    q->mult = malloc(c * sizeof(int32_t));
    q->shift = malloc(c * sizeof(int32_t));
    for (size_t i = 0; i < in_n; i++)
        q->in[i] = rand_i8();
    for (size_t i = 0; i < ks * c; i++)
        q->filter[i] = rand_i8();
    const double s_in = 0.02 * rand_scale() + 1e-4;
    for (size_t i = 0; i < c; i++) {
        q->bias[i] = rng() % 4 == 0 ? (int32_t)rng() : draw(-40000, 40000);
        ember_quantize_multiplier(rand_scale() * (1.0 + s_in), &q->mult[i], &q->shift[i]);
    }
    /* One case in six: zero weights, scale 1 and sums within 255 of INT32_MIN/MAX, where the
       zero point's int32 add wraps in LiteRT's arithmetic (a saturating add would not). */
    if (rng() % 6 == 0) {
        memset(q->filter, 0, ks * c);
        for (size_t i = 0; i < c; i++) {
            q->bias[i] = rng() % 2 ? INT32_MAX - draw(0, 255) : INT32_MIN + draw(0, 255);
            ember_quantize_multiplier(1.0 - 1e-9, &q->mult[i], &q->shift[i]);
        }
    }
}

static void free_case(qcase *q) {
    free(q->in);
    free(q->filter);
    free(q->bias);
    free(q->mult);
    free(q->shift);
}

/* Output (oy, ox, c) of the reference loop. */
static int8_t naive(const qcase *q, int32_t oy, int32_t ox, size_t c) {
    const ember_dwconv_shape *s = &q->s;
    const struct conv_window *w = &s->win;
    uint32_t acc = (uint32_t)q->bias[c];
    for (int32_t ky = 0; ky < s->kh; ky++) {
        for (int32_t kx = 0; kx < s->kw; kx++) {
            const int32_t y = oy * w->stride_h - w->pad_top + ky * w->dilation_h;
            const int32_t x = ox * w->stride_w - w->pad_left + kx * w->dilation_w;
            if (y < 0 || y >= s->in_h || x < 0 || x >= s->in_w)
                continue;
            const int8_t v = q->in[((size_t)y * (size_t)s->in_w + (size_t)x) * s->channels + c];
            const int8_t f = q->filter[((size_t)ky * (size_t)s->kw + (size_t)kx) * s->channels + c];
            acc += (uint32_t)(f * (v - q->zp_in));
        }
    }
    return (int8_t)ember_requantize_i8((int32_t)acc, q->mult[c], q->shift[c], q->p.out_zp,
                                       q->p.qmin, q->p.qmax);
}

#define GUARD 16

/* Runs cfg on the case row by row; true when every byte matches the naive loop. */
static bool run_case(const ember_dwconv_qs8_config *cfg, const qcase *q) {
    const ember_dwconv_shape *s = &q->s;
    const size_t c = s->channels, row = (size_t)s->out_w * c;
    void *packed = malloc(ember_dwconv_qs8_packed_size(cfg, c, s->kh, s->kw));
    const size_t zsize = ember_dwconv_qs8_zp_row_size(s);
    int8_t *zp_row = malloc(zsize);
    const int8_t **ind = malloc(ember_dwconv_qs8_ind_count(cfg, s) * sizeof(*ind));
    int8_t *out = malloc(row + 2 * GUARD);
    memset(zp_row, q->zp_in, zsize);
    bool ok = ember_pack_dwconv_qs8(cfg, c, s->kh, s->kw, q->filter, q->bias, q->zp_in, q->mult,
                                    q->shift, packed);
    for (int32_t oy = 0; ok && oy < s->out_h; oy++) {
        memset(out, 0x5a, row + 2 * GUARD);
        ember_dwconv_qs8_row_run(cfg, s, q->in, oy, packed, zp_row, ind, out + GUARD, &q->p);
        for (size_t i = 0; i < GUARD; i++)
            ok = ok && out[i] == 0x5a && out[GUARD + row + i] == 0x5a;
        for (int32_t ox = 0; ok && ox < s->out_w; ox++) {
            for (size_t ch = 0; ch < c; ch++) {
                const int8_t want = naive(q, oy, ox, ch), got = out[GUARD + (size_t)ox * c + ch];
                if (got != want) {
                    fprintf(stderr, "%s: %zu ch %dx%d s%d d%d pad %d,%d in %dx%d: (%d,%d,%zu) "
                                    "got %d want %d\n",
                            cfg->name, c, s->kh, s->kw, s->win.stride_w, s->win.dilation_w,
                            s->win.pad_top, s->win.pad_left, s->in_h, s->in_w, oy, ox, ch, got,
                            want);
                    ok = false;
                    break;
                }
            }
        }
    }
    free(packed);
    free(zp_row);
    free(ind);
    free(out);
    return ok;
}

static void check_config(const ember_dwconv_qs8_config *cfg, int cases) {
    for (int i = 0; i < cases; i++) {
        qcase q;
        random_case(&q, cfg->row ? cfg->kernel : 0, cfg->stride);
        CHECK_MSG(run_case(cfg, &q), "%s case %d", cfg->name, i);
        free_case(&q);
    }
}

/* A row kernel for 3x3/5x5 at strides 1 and 2 where the CPU has one, nothing under NONE. */
static void check_select(uint32_t features) {
    ember_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.cpu_features = features;
    ember_dwconv_shape s = {.channels = 8, .in_h = 9, .in_w = 9, .out_h = 9, .out_w = 9,
                                .kh = 3, .kw = 3,
                                .win = {1, 1, 1, 1, 1, 1, 1, 1}};
    ctx.isa_mask = EMBER_ISA_NONE;
    CHECK(ember_dwconv_qs8_select(&ctx, &s) == NULL);
    ctx.isa_mask = EMBER_ISA_ALL;
    const ember_dwconv_qs8_config *cfg = ember_dwconv_qs8_select(&ctx, &s);
    const bool has_rows = (features & (EMBER_ISA_AVX2 | EMBER_ISA_NEON)) != 0;
    CHECK(cfg != NULL && (cfg->row != NULL) == has_rows);
    s.win.dilation_w = 2;
    cfg = ember_dwconv_qs8_select(&ctx, &s);
    CHECK(cfg != NULL && cfg->row == NULL);
}

int main(void) {
    const uint32_t features = ember_detect_cpu_features();
    check_select(features);
    size_t count = 0;
    const ember_dwconv_qs8_config *cfgs = ember_dwconv_qs8_configs(&count);
    for (size_t i = 0; i < count; i++) {
        if ((cfgs[i].isa & features) != cfgs[i].isa) {
            printf("%s: skipped, this CPU lacks ISA 0x%x\n", cfgs[i].name, (unsigned)cfgs[i].isa);
            continue;
        }
        check_config(&cfgs[i], cfgs[i].row ? 12 : 40);
    }
    return test_report("test_ukernel_dwconv_qs8");
}
