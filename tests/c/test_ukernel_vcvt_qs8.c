/* The int8 <-> float32 conversion microkernels (ukernels/vcvt_qs8.h), every configuration
   this CPU runs, against their scalar definitions: quantize byte for byte against
   ember_quantize_f32_i8 on values around the int8 range, ties (k + 0.5) * scale, huge values,
   +-inf, NaN, +-0 and subnormals; dequantize bit for bit against scale * (float)(q - zp) on
   every byte. Every length 0..70, zero points -128, 127 or random, scales 1e-6..1 and powers of
   two. Inputs are copied to buffers of exactly n elements (ASan catches an over-read) and the
   output is followed by a guard. NEON and portable runs under qemu (make cross-test). */
#include <math.h>

#include "ember_internal.h"
#include "kernels/quantize.h"
#include "test_util.h"
#include "ukernels/vcvt_qs8.h"

#define MAX_N 70
#define PAD 8
#define GUARD 0x5A

static uint32_t rng_state = 0x2545f491u;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static int32_t rand_zp(void) {
    const uint32_t r = rng() % 3;
    return r == 0 ? -128 : r == 1 ? 127 : (int32_t)(int8_t)(rng() & 0xff);
}

static float rand_scale(void) {
    if (rng() % 3 == 0)
        return ldexpf(1.0f, (int)(rng() % 14) - 12);
    const double u = (double)(rng() % 100001) / 100000.0;
    return (float)(1e-6 * pow(1e6, u));
}

static float rand_input(float scale) {
    static const float special[] = {INFINITY, -INFINITY, NAN, 0.0f, -0.0f, 1e-45f, -1e-45f,
                                    3e38f, -3e38f, 1e20f, -1e20f};
    const int32_t k = (int32_t)(rng() % 1400) - 700;
    switch (rng() % 5) {
    case 0:
        return special[rng() % (sizeof special / sizeof special[0])];
    case 1:
        return ((float)k + 0.5f) * scale;
    case 2:
        return (float)((k + 0.5) * (double)scale);
    default:
        return ((float)(int32_t)(rng() % 2001) - 1000.0f) * 0.25f * scale;
    }
}

static void check_quantize(const ember_vcvt_qs8_config *c, size_t n) {
    const float scale = rand_scale();
    const int32_t zp = rand_zp();
    float *in = malloc(n > 0 ? n * sizeof(float) : 1);
    int8_t out[MAX_N + PAD];
    if (in == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        in[i] = rand_input(scale);
    memset(out, GUARD, sizeof out);
    c->quantize(n, in, out, scale, zp);
    bool ok = true;
    for (size_t i = 0; i < n; i++)
        ok = ok && out[i] == ember_quantize_f32_i8(in[i], scale, zp);
    for (size_t i = n; i < n + PAD; i++)
        ok = ok && out[i] == (int8_t)GUARD;
    CHECK_MSG(ok, "%s: quantize n=%zu scale=%g zp=%d", c->name, n, (double)scale, (int)zp);
    free(in);
}

static void check_dequantize(const ember_vcvt_qs8_config *c, size_t n) {
    const float scale = rand_scale();
    const int32_t zp = rand_zp();
    int8_t *in = malloc(n > 0 ? n : 1);
    float out[MAX_N + PAD], guard;
    const uint32_t guard_bits = 0x5A5A5A5Au;
    memcpy(&guard, &guard_bits, sizeof guard);
    if (in == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        in[i] = (int8_t)(i < 2 ? (i == 0 ? -128 : 127) : (int8_t)(rng() & 0xff));
    for (size_t i = 0; i < MAX_N + PAD; i++)
        out[i] = guard;
    c->dequantize(n, in, out, scale, zp);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const float want = scale * (float)((int32_t)in[i] - zp);
        ok = ok && memcmp(&out[i], &want, sizeof want) == 0;
    }
    for (size_t i = n; i < n + PAD; i++)
        ok = ok && memcmp(&out[i], &guard, sizeof guard) == 0;
    CHECK_MSG(ok, "%s: dequantize n=%zu scale=%g zp=%d", c->name, n, (double)scale, (int)zp);
    free(in);
}

int main(void) {
    const uint32_t features = ember_detect_cpu_features();
    size_t count;
    const ember_vcvt_qs8_config *configs = ember_vcvt_qs8_configs(&count);
    for (size_t c = 0; c < count; c++) {
        if ((configs[c].isa & features) != configs[c].isa)
            continue;
        for (size_t n = 0; n <= MAX_N; n++) {
            for (int rep = 0; rep < 3; rep++) {
                check_quantize(&configs[c], n);
                check_dequantize(&configs[c], n);
            }
        }
    }
    return test_report("test_ukernel_vcvt_qs8");
}
