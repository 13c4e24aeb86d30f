/* The fast row epilogue of csrc/kernels/epilogue.c on the microkernels this CPU selects (NEON
   under qemu-aarch64/arm, AVX2/AVX-512 natively) against the reference's expression per value,
   ember_epilogue_f32_ref(c + residual): the residual add with a clamp and HARD_SWISH bit for
   bit, SILU within the sigmoid approximation's bound (vunary.h) plus the multiply's rounding;
   rows of every length around the SiLU chunk (256), in place. Under isa_mask NONE no
   microkernels are selected (the ops then run their reference loops). */
#include <math.h>

#include "ember_internal.h"
#include "emberlite.h"
#include "kernels/epilogue.h"
#include "test_util.h"

#define MAX_N 600

static uint32_t rng_state = 0x9e3779b9u;

/* Uniform in [-scale, scale]. */
static float rand_float(float scale) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return scale * ((float)(rng_state % 40001) / 20000.0f - 1.0f);
}

static void check_row(const ember_context *ctx, uint8_t fn, float lo, float hi, bool residual,
                      size_t n) {
    struct ember_epilogue_f32 e = {fn, lo, hi, NULL, NULL, NULL};
    CHECK(ember_epilogue_f32_select(ctx, &e));
    static float c[MAX_N], r[MAX_N], want[MAX_N];
    for (size_t i = 0; i < n; i++) {
        c[i] = rand_float(12.0f);
        r[i] = rand_float(4.0f);
        want[i] = ember_epilogue_f32_ref(&e, residual ? c[i] + r[i] : c[i]);
    }
    ember_epilogue_f32_row(&e, c, residual ? r : NULL, n);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        const bool same = memcmp(&c[i], &want[i], sizeof(float)) == 0;
        /* The approximation's relative bound, the product's half ulp and the reference's
           own expf error. */
        const bool close = fabsf(c[i] - want[i]) <= 5e-7f * fabsf(want[i]) + 1e-37f;
        bad += fn == EMBER_FUSED_ACTIVATION_SILU ? !close : !same;
    }
    CHECK_MSG(bad == 0, "fn %u, residual %d, n %zu: %zu values off", (unsigned)fn, residual, n,
              bad);
}

int main(void) {
    char msg[256];
    ember_context ctx = {.msg = msg, .msg_size = sizeof msg, .isa_mask = EMBER_ISA_ALL,
                         .cpu_features = ember_detect_cpu_features()};
    static const size_t lengths[] = {0, 1, 7, 16, 63, 255, 256, 257, 513, MAX_N};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        const size_t n = lengths[i];
        check_row(&ctx, EMBER_FUSED_ACTIVATION_NONE, -INFINITY, INFINITY, true, n);
        check_row(&ctx, EMBER_FUSED_ACTIVATION_NONE, 0.0f, 6.0f, true, n);
        check_row(&ctx, EMBER_FUSED_ACTIVATION_SILU, -INFINITY, INFINITY, false, n);
        check_row(&ctx, EMBER_FUSED_ACTIVATION_SILU, -INFINITY, INFINITY, true, n);
        check_row(&ctx, EMBER_FUSED_ACTIVATION_HARD_SWISH, -INFINITY, INFINITY, false, n);
        check_row(&ctx, EMBER_FUSED_ACTIVATION_HARD_SWISH, -INFINITY, INFINITY, true, n);
    }
    ctx.isa_mask = EMBER_ISA_NONE;
    struct ember_epilogue_f32 e = {EMBER_FUSED_ACTIVATION_SILU, -INFINITY, INFINITY, NULL, NULL,
                                   NULL};
    CHECK(!ember_epilogue_f32_select(&ctx, &e));
    return test_report("test_epilogue");
}
