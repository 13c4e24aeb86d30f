/* The hybrid microkernels (csrc/ukernels/hybrid_qs8.h) of every configuration this CPU runs
   (AVX2 natively; the portable ones everywhere, under qemu too) against the scalar forms, bit
   for bit: min/max, quantization and the float output, on lengths around every vector width,
   values with NaN, infinities, -0 and ties at .5, zero points -128 and 127, clamps finite and
   infinite. And the parameters of a block: its range holds 0, lo maps to -128 and hi to 127. */
#include <math.h>
#include <string.h>

#include "ember_internal.h"
#include "emberlite.h"
#include "ukernels/hybrid_qs8.h"
#include "test_util.h"

#define MAX_N 100

static uint32_t rng_state = 0x2545f491u;

static uint32_t next(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Mostly uniform in [-scale, scale]; 1 in 16 an edge value. */
static float rand_value(float scale) {
    static const float edges[] = {0.0f, -0.0f, 0.5f, -0.5f, 1.5f, 2.5f, -2.5f, 1e30f, -1e30f};
    const uint32_t r = next();
    if (r % 16 == 0)
        return edges[(r >> 8) % (sizeof edges / sizeof edges[0])];
    return scale * ((float)(r % 40001) / 20000.0f - 1.0f);
}

static bool same_bits(const void *a, const void *b, size_t bytes) {
    return memcmp(a, b, bytes) == 0;
}

static void check_minmax(const ember_hybrid_qs8_config *c, size_t n, bool specials) {
    float x[MAX_N];
    for (size_t i = 0; i < n; i++)
        x[i] = rand_value(3.0f);
    if (specials && n > 2) {
        x[next() % n] = NAN;
        x[next() % n] = (next() & 1) ? INFINITY : -INFINITY;
    }
    float lo = 0.0f, hi = 0.0f, want_lo = 0.0f, want_hi = 0.0f;
    c->minmax(n, x, &lo, &hi);
    ember_hybrid_minmax_scalar(n, x, &want_lo, &want_hi);
    CHECK_MSG(same_bits(&lo, &want_lo, 4) && same_bits(&hi, &want_hi, 4),
              "%s minmax n %zu: [%g, %g], want [%g, %g]", c->name, n, lo, hi, want_lo,
              want_hi);
}

static void check_quantize(const ember_hybrid_qs8_config *c, size_t n, float inv, int32_t zp) {
    float x[MAX_N];
    int8_t q[MAX_N + 1], want[MAX_N + 1];
    for (size_t i = 0; i < n; i++)
        x[i] = rand_value(200.0f / inv);
    if (n > 3)
        x[next() % n] = NAN;
    q[n] = want[n] = 0x5a; /* the guard byte after the row */
    c->quantize(n, x, inv, zp, q);
    ember_hybrid_quantize_scalar(n, x, inv, zp, want);
    CHECK_MSG(same_bits(q, want, n + 1), "%s quantize n %zu, inv %g, zp %d", c->name, n, inv,
              (int)zp);
}

/* rows x n outputs from acc rows n + 3 apart into y rows n + 1 apart (the gap a guard). */
/* rows x n outputs from acc rows n + 3 apart into y rows n + 1 apart (the gap a guard). */
static void check_out(const ember_hybrid_qs8_config *c, size_t rows, size_t n, int32_t zp,
                      float lo, float hi) {
    static int32_t acc[3 * (MAX_N + 3)], zc[MAX_N];
    static float m[MAX_N], bias[MAX_N], y[3 * (MAX_N + 1)], want[3 * (MAX_N + 1)];
    for (size_t k = 0; k < rows * (n + 3); k++)
        acc[k] = (int32_t)next();
    for (size_t j = 0; j < n; j++) {
        const float w_scale =
            ldexpf(1.0f, -(int)(next() % 20)) * (1.0f + (float)(next() % 97) / 97.0f);
        ember_hybrid_qs8_factor(zp, (int32_t)(next() % 200001) - 100000, 1.0f / 3.0f, w_scale,
                                &zc[j], &m[j]);
        bias[j] = rand_value(4.0f);
    }
    for (size_t k = 0; k < rows * (n + 1); k++)
        y[k] = want[k] = 7.0f;
    c->out(rows, n, acc, n + 3, zc, m, bias, lo, hi, y, n + 1);
    ember_hybrid_out_scalar(rows, n, acc, n + 3, zc, m, bias, lo, hi, want, n + 1);
    CHECK_MSG(same_bits(y, want, rows * (n + 1) * sizeof(float)),
              "%s out %zu x %zu, zp %d, [%g, %g]", c->name, rows, n, (int)zp, lo, hi);
}

static void check_params(void) {
    const float ranges[][2] = {{-1.0f, 3.0f}, {0.0f, 6.0f}, {-2.5f, 0.0f}, {-1e-20f, 1e-20f}};
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        const float lo = ranges[i][0], hi = ranges[i][1];
        const ember_hybrid_qs8_params p = ember_hybrid_qs8_params_of(lo, hi);
        CHECK_MSG(ember_hybrid_qs8_quantize1(lo, p.inv_scale, p.zp) == -128 &&
                      ember_hybrid_qs8_quantize1(hi, p.inv_scale, p.zp) >= 126 &&
                      ember_hybrid_qs8_quantize1(0.0f, p.inv_scale, p.zp) == p.zp,
                  "range [%g, %g]: scale %g, zp %d", lo, hi, p.scale, (int)p.zp);
    }
    const ember_hybrid_qs8_params zero = ember_hybrid_qs8_params_of(0.0f, 0.0f);
    const ember_hybrid_qs8_params inf = ember_hybrid_qs8_params_of(-INFINITY, 1.0f);
    CHECK(zero.scale == 1.0f && zero.zp == 0 && inf.scale == 1.0f && inf.zp == 0);
}

int main(void) {
    char msg[256];
    ember_context ctx = {.msg = msg, .msg_size = sizeof msg, .isa_mask = EMBER_ISA_ALL,
                         .cpu_features = ember_detect_cpu_features()};
    size_t count = 0;
    const ember_hybrid_qs8_config *configs = ember_hybrid_qs8_configs(&count);
    for (size_t i = 0; i < count; i++) {
        const ember_hybrid_qs8_config *c = &configs[i];
        if (!ember_isa_usable(&ctx, c->isa))
            continue;
        for (size_t n = 0; n <= MAX_N; n += n < 40 ? 1 : 13) {
            check_minmax(c, n, false);
            check_minmax(c, n, true);
            check_quantize(c, n, 1.0f, 0);
            check_quantize(c, n, 37.5f, -128);
            check_quantize(c, n, 0.01f, 127);
            check_out(c, 1, n, -128, -INFINITY, INFINITY);
            check_out(c, 3, n, 127, 0.0f, 6.0f);
            check_out(c, 2, n, 3, -1.0f, 1.0f);
        }
    }
    check_params();
    CHECK(ember_hybrid_qs8_select(&ctx) == &configs[0] || !ember_isa_usable(&ctx, configs[0].isa));
    ctx.isa_mask = EMBER_ISA_NONE;
    CHECK(ember_hybrid_qs8_select(&ctx) == NULL);
    return test_report("test_ukernel_hybrid_qs8");
}
