/* The int8 pooling microkernels (ukernels/pool_qs8.h), every configuration this CPU runs, byte
   for byte against loops written here with the reference kernels' expressions: max pool over
   windows of 0..3 x 0..3 taps (0: padding only, -128 before the clamp) with channels 1..70
   (every tail of the 32/16-channel steps) and clamps; MEAN's channel sums over 1..60 rows
   requantized with ember_requantize_i8 (kernels/fixed_point.h) for zero points -128, 127 or
   random and multipliers spanning 1e-6..4 (left shifts). Inputs at odd addresses, a guard
   after every output. NEON runs under qemu (make cross-test). */
#include <math.h>

#include "ember_internal.h"
#include "kernels/fixed_point.h"
#include "test_util.h"
#include "ukernels/pool_qs8.h"

#define MAX_C 70
#define PAD 8
#define GUARD 0x5A

static uint32_t rng_state = 0x1234567u;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static int8_t rand_i8(void) {
    const uint32_t r = rng() % 8;
    return r == 0 ? -128 : r == 1 ? 127 : (int8_t)(rng() & 0xff);
}

static int32_t rand_zp(void) {
    const uint32_t r = rng() % 3;
    return r == 0 ? -128 : r == 1 ? 127 : (int32_t)(int8_t)(rng() & 0xff);
}

static bool guard_ok(const int8_t *p) {
    for (size_t i = 0; i < PAD; i++)
        if (p[i] != (int8_t)GUARD)
            return false;
    return true;
}

/* Input image: 3 x 3 taps of MAX_C + 1 channels (col_step) at an odd address. */
static void check_max(const ember_pool_qs8_config *k) {
    static int8_t buf[1 + 3 * 3 * (MAX_C + 1) * 2];
    const int8_t *first = buf + 1;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = rand_i8();
    const size_t col_step = MAX_C + 1, row_step = 3 * col_step;
    for (size_t channels = 1; channels <= MAX_C; channels++) {
        const size_t rows = rng() % 4, cols = rng() % 4;
        const int32_t qmin = rng() % 2 ? -128 : (int32_t)(rng() % 60) - 60;
        const int32_t qmax = rng() % 2 ? 127 : qmin + (int32_t)(rng() % 120);
        int8_t out[MAX_C + PAD];
        memset(out, GUARD, sizeof out);
        k->max(first, rows, cols, row_step, col_step, channels, qmin, qmax, out);
        bool same = true;
        for (size_t c = 0; c < channels; c++) {
            int32_t best = -128;
            for (size_t y = 0; y < rows; y++)
                for (size_t x = 0; x < cols; x++) {
                    const int32_t v = first[y * row_step + x * col_step + c];
                    best = v > best ? v : best;
                }
            best = best < qmin ? qmin : best > qmax ? qmax : best;
            same = same && out[c] == best;
        }
        CHECK_MSG(same && guard_ok(out + channels), "%s channels=%zu window %zux%zu",
                  k->max_name, channels, rows, cols);
    }
}

static void check_mean(const ember_pool_qs8_config *k) {
    enum { MAX_ROWS = 60 };
    static int8_t buf[1 + MAX_ROWS * (MAX_C + 3)];
    const int8_t *in = buf + 1;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = rand_i8();
    for (size_t channels = 1; channels <= MAX_C; channels++) {
        const size_t rows = 1 + rng() % MAX_ROWS, stride = channels + rng() % 3;
        const int32_t in_zp = rand_zp();
        int32_t mult = 0, shift = 0;
        ember_quantize_multiplier(1e-6 * pow(4e6, (double)(rng() % 1001) / 1000.0) / (double)rows,
                                  &mult, &shift);
        ember_chansum_qs8_params p = {(int32_t)((uint32_t)in_zp * (uint32_t)rows), mult, 0, 0,
                                      {rand_zp(), -128, 127}};
        if (rng() % 3 == 0) {
            p.out.qmin = -100;
            p.out.qmax = 90;
        }
        if (!ember_qs8_split_shift(shift, &p.lshift, &p.rshift))
            continue;
        int8_t out[MAX_C + PAD];
        memset(out, GUARD, sizeof out);
        k->mean(in, rows, channels, stride, &p, out);
        bool same = true;
        for (size_t c = 0; c < channels; c++) {
            int32_t sum = 0;
            for (size_t r = 0; r < rows; r++)
                sum += in[r * stride + c];
            const int32_t want = ember_requantize_i8(sum - in_zp * (int32_t)rows, mult, shift,
                                                     p.out.out_zp, p.out.qmin, p.out.qmax);
            same = same && out[c] == want;
        }
        CHECK_MSG(same && guard_ok(out + channels), "%s channels=%zu rows=%zu shift=%d",
                  k->mean_name, channels, rows, (int)shift);
    }
}

int main(void) {
    const uint32_t features = ember_detect_cpu_features();
    size_t count = 0;
    const ember_pool_qs8_config *configs = ember_pool_qs8_configs(&count);
    CHECK(count >= 1 && configs[count - 1].isa == EMBER_ISA_NONE);
    for (size_t c = 0; c < count; c++) {
        if ((configs[c].isa & ~features) != 0)
            continue;
        check_max(&configs[c]);
        check_mean(&configs[c]);
    }
    return test_report("test_ukernel_pool_qs8");
}
