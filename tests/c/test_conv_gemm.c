/* The float32 convolution plumbing of csrc/kernels/conv_gemm.c on the microkernels this CPU
   gets from ember_gemm_f32_select (NEON under qemu-aarch64/arm, AVX2/AVX-512 natively): the
   1x1 GEMM, indirect GEMM and small-Cin gather paths, with batches, strides, dilations, every
   padding, odd Cout and clamps, against a double-precision convolution (1e-5 x sum |a*b| per
   output, plus a tiny absolute floor); and the same bits on 1 and 2 threads. */
#include <math.h>

#include "ember_internal.h"
#include "emberlite.h"
#include "kernels/conv_gemm.h"
#include "test_util.h"
#include "threadpool.h"

static uint32_t rng_state = 0x2545f491u;

static float rand_float(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (float)(rng_state % 20001) / 10000.0f - 1.0f;
}

typedef struct conv_case {
    const char *name;
    enum conv_gemm_path path;
    int32_t batch, in_h, in_w, in_c, out_c, kh, kw;
    struct conv_window win;
    float lo, hi;
} conv_case;

typedef struct conv_data {
    int32_t out_h, out_w;
    size_t in_count, out_count, k;
    float *input, *filter, *bias;
} conv_data;

static int32_t out_size(int32_t in, int32_t taps, int32_t stride, int32_t dilation,
                        int32_t pad_begin, int32_t pad_end) {
    return (in + pad_begin + pad_end - ((taps - 1) * dilation + 1)) / stride + 1;
}

/* Output (n, oy, ox, oc) in double, and sum |a*b| (+ |bias|) in *mag. */
static double conv_at(const conv_case *t, const conv_data *d, int32_t n, int32_t oy, int32_t ox,
                      int32_t oc, double *mag) {
    const struct conv_window *w = &t->win;
    double sum = d->bias[oc];
    *mag = fabs(sum);
    for (int32_t ky = 0; ky < t->kh; ky++)
        for (int32_t kx = 0; kx < t->kw; kx++) {
            const int32_t y = oy * w->stride_h - w->pad_top + ky * w->dilation_h;
            const int32_t x = ox * w->stride_w - w->pad_left + kx * w->dilation_w;
            if (y < 0 || y >= t->in_h || x < 0 || x >= t->in_w)
                continue;
            const float *src = d->input + (((size_t)n * t->in_h + y) * t->in_w + x) * t->in_c;
            const float *tap = d->filter + (((size_t)oc * t->kh + ky) * t->kw + kx) * t->in_c;
            for (int32_t c = 0; c < t->in_c; c++) {
                const double p = (double)src[c] * tap[c];
                sum += p;
                *mag += fabs(p);
            }
        }
    return sum;
}

static void check_output(const conv_case *t, const conv_data *d, const float *out) {
    size_t bad = 0, i = 0;
    for (int32_t n = 0; n < t->batch; n++)
        for (int32_t oy = 0; oy < d->out_h; oy++)
            for (int32_t ox = 0; ox < d->out_w; ox++)
                for (int32_t oc = 0; oc < t->out_c; oc++, i++) {
                    double mag = 0.0;
                    double want = conv_at(t, d, n, oy, ox, oc, &mag);
                    want = want < t->lo ? t->lo : want > t->hi ? t->hi : want;
                    bad += !(fabs(out[i] - want) <= 1e-5 * mag + 1e-6);
                }
    CHECK_MSG(bad == 0, "%s: %zu of %zu outputs wrong", t->name, bad, d->out_count);
}

static float *random_floats(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n && p != NULL; i++)
        p[i] = rand_float();
    return p;
}

/* Prepares the plan as CONV2D's prepare does, for ctx's thread count. */
static bool prepare(ember_context *ctx, const conv_case *t, const conv_data *d,
                    struct conv_gemm *g) {
    ember_node node = {0};
    const size_t m = (size_t)t->batch * (size_t)d->out_h * (size_t)d->out_w;
    g->cfg = ember_gemm_f32_select(ctx);
    if (g->cfg == NULL ||
        conv_gemm_pack_nk(ctx, &node, "test", g, m, (size_t)t->out_c, d->k, d->filter,
                          d->bias, t->lo, t->hi) != EMBER_STATUS_OK)
        return false;
    const struct conv_gemm_window cw = {&t->win, t->in_h, t->in_w, t->in_c, t->kh, t->kw,
                                        d->out_h, d->out_w};
    if (t->path != CONV_GEMM_DIRECT &&
        conv_gemm_indirect(ctx, &node, "test", g, &cw) != EMBER_STATUS_OK)
        return false;
    return g->path == t->path;
}

static void run_case(const conv_case *t) {
    conv_data d = {0};
    const struct conv_window *w = &t->win;
    d.out_h = out_size(t->in_h, t->kh, w->stride_h, w->dilation_h, w->pad_top, w->pad_bottom);
    d.out_w = out_size(t->in_w, t->kw, w->stride_w, w->dilation_w, w->pad_left, w->pad_right);
    d.in_count = (size_t)t->batch * t->in_h * t->in_w * t->in_c;
    d.out_count = (size_t)t->batch * d.out_h * d.out_w * t->out_c;
    d.k = (size_t)t->kh * t->kw * t->in_c;
    d.input = random_floats(d.in_count);
    d.filter = random_floats((size_t)t->out_c * d.k);
    d.bias = random_floats((size_t)t->out_c);
    float *out1 = malloc(d.out_count * sizeof(float));
    float *out2 = malloc(d.out_count * sizeof(float));
    char msg[256];
    ember_context ctx = {.msg = msg, .msg_size = sizeof msg, .isa_mask = EMBER_ISA_ALL,
                         .cpu_features = ember_detect_cpu_features()};
    struct conv_gemm g = {0};
    /* Two threads first: the plan's scratch request then covers both runs. */
    CHECK(ember_threadpool_create(&ctx, 2) == EMBER_STATUS_OK);
    const bool ready = prepare(&ctx, t, &d, &g);
    CHECK_MSG(ready, "%s: not prepared on the expected path (%s)", t->name, msg);
    ctx.scratch = ctx.scratch_size ? aligned_alloc(64, (ctx.scratch_size + 63) / 64 * 64) : NULL;
    if (ready && out1 != NULL && out2 != NULL) {
        conv_gemm_run(&ctx, &g, d.input, out2);
        ember_threadpool_destroy(&ctx);
        conv_gemm_run(&ctx, &g, d.input, out1);
        check_output(t, &d, out1);
        CHECK_MSG(memcmp(out1, out2, d.out_count * sizeof(float)) == 0,
                  "%s: 1 and 2 threads differ", t->name);
    }
    ember_threadpool_destroy(&ctx);
    ember_free_all(&ctx);
    free(ctx.scratch), free(out1), free(out2), free(d.input), free(d.filter), free(d.bias);
}

#define WIN(s_h, s_w, d_h, d_w, t, l, b, r) {s_h, s_w, d_h, d_w, t, l, b, r}

static const conv_case cases[] = {
    {"1x1", CONV_GEMM_DIRECT, 2, 5, 4, 7, 17, 1, 1, WIN(1, 1, 1, 1, 0, 0, 0, 0), -INFINITY,
     INFINITY},
    {"1x1_s2", CONV_GEMM_INDIRECT, 1, 7, 6, 6, 20, 1, 1, WIN(2, 2, 1, 1, 0, 0, 0, 0), -INFINITY,
     INFINITY},
    {"3x3_s1_relu6", CONV_GEMM_INDIRECT, 1, 6, 5, 8, 33, 3, 3, WIN(1, 1, 1, 1, 1, 1, 1, 1), 0.0f,
     0.5f},
    {"3x3_s2_cin3", CONV_GEMM_GATHER, 2, 7, 9, 3, 16, 3, 3, WIN(2, 2, 1, 1, 0, 1, 1, 0),
     -INFINITY, INFINITY},
    {"5x5_dil2_cout1", CONV_GEMM_INDIRECT, 1, 8, 7, 5, 1, 5, 5, WIN(1, 1, 2, 2, 2, 2, 2, 2),
     -INFINITY, INFINITY},
    {"7x7_s2_cin3", CONV_GEMM_GATHER, 1, 12, 10, 3, 24, 7, 7, WIN(2, 2, 1, 1, 3, 3, 3, 3), 0.0f,
     INFINITY},
    {"3x3_cin1", CONV_GEMM_GATHER, 1, 5, 6, 1, 5, 3, 3, WIN(1, 1, 1, 1, 1, 1, 1, 1), -INFINITY,
     INFINITY},
    {"dil3x2_s2_cin4", CONV_GEMM_GATHER, 2, 9, 8, 4, 9, 3, 3, WIN(2, 2, 3, 2, 1, 0, 2, 1),
     -INFINITY, INFINITY},
    {"asym_pads", CONV_GEMM_INDIRECT, 1, 5, 6, 6, 18, 3, 2, WIN(1, 1, 1, 1, 0, 1, 2, 3),
     -0.25f, 0.25f},
};

int main(void) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
    return test_report("test_conv_gemm");
}
