/* Every float32 bilinear RESIZE row configuration this CPU runs (ember_resize_f32_configs)
   against a loop with the reference kernel's expression, bit for bit: random rows of 1..9
   output pixels, 1..41 channels (every tail of the 16- and 8-channel steps), columns picked
   at random (lo <= hi, equal at the border) with weights in [0, 1), NaN and -0.0 inputs.
   Buffers are allocated to their exact size, so ASan catches a read or write past them. */
#include <math.h>

#include "emberlite.h"
#include "test_util.h"
#include "ukernels/resize.h"

static uint32_t rng_state = 0x1b873593u;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static float rand_float(void) {
    const uint32_t r = rng() % 64;
    return r == 0 ? NAN : r == 1 ? -0.0f : (float)(rng() % 20001) / 1000.0f - 10.0f;
}

static bool same(float a, float b) {
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static float oracle(float a0, float a1, float b0, float b1, float wx, float wy) {
    float top = a0 + wx * (a1 - a0);
    float bottom = b0 + wx * (b1 - b0);
    return top + wy * (bottom - top);
}

static void check_row(const ember_resize_f32_config *cfg) {
    const size_t in_w = 1 + rng() % 6, out_w = 1 + rng() % 9, channels = 1 + rng() % 41;
    const size_t row = in_w * channels;
    float *r0 = malloc(row * sizeof(float)), *r1 = malloc(row * sizeof(float));
    float *out = malloc(out_w * channels * sizeof(float)), *wx = malloc(out_w * sizeof(float));
    int32_t *lo = malloc(out_w * sizeof(int32_t)), *hi = malloc(out_w * sizeof(int32_t));
    if (!r0 || !r1 || !out || !wx || !lo || !hi) {
        CHECK_MSG(false, "out of memory");
    } else {
        for (size_t i = 0; i < row; i++)
            r0[i] = rand_float(), r1[i] = rand_float();
        for (size_t x = 0; x < out_w; x++) {
            lo[x] = (int32_t)(rng() % in_w);
            hi[x] = (size_t)lo[x] + 1 < in_w ? lo[x] + 1 : lo[x];
            wx[x] = (float)(rng() % 1024) / 1024.0f;
        }
        const float wy = (float)(rng() % 1024) / 1024.0f;
        cfg->bilinear(r0, r1, lo, hi, wx, wy, out_w, channels, out);
        size_t bad = 0;
        for (size_t x = 0; x < out_w; x++)
            for (size_t c = 0; c < channels; c++) {
                const size_t i0 = (size_t)lo[x] * channels + c, i1 = (size_t)hi[x] * channels + c;
                bad += !same(out[x * channels + c],
                             oracle(r0[i0], r0[i1], r1[i0], r1[i1], wx[x], wy));
            }
        CHECK_MSG(bad == 0, "%s: %zu of %zu outputs differ (%zu channels)", cfg->name, bad,
                  out_w * channels, channels);
    }
    free(r0), free(r1), free(out), free(wx), free(lo), free(hi);
}

int main(void) {
    const uint32_t features = ember_detect_cpu_features();
    size_t count = 0;
    const ember_resize_f32_config *cfgs = ember_resize_f32_configs(&count);
    size_t tested = 0;
    for (size_t i = 0; i < count; i++) {
        if ((cfgs[i].isa & features) != cfgs[i].isa) {
            printf("%s: skipped, this CPU lacks ISA 0x%x\n", cfgs[i].name, (unsigned)cfgs[i].isa);
            continue;
        }
        for (size_t rep = 0; rep < 300; rep++)
            check_row(&cfgs[i]);
        tested++;
    }
    CHECK_MSG(tested >= 1, "no configuration ran");
    return test_report("test_ukernel_resize");
}
