/* Every float32 pooling microkernel configuration this CPU runs (ember_pool_f32_configs)
   against naive loops written with the reference kernels' expressions: max, average and the
   MEAN channel sum must match them bit for bit (same taps in the same order), on random
   windows of 0..3 x 0..3 taps (0: padding only), dilated steps, 1..41 channels (every tail of
   the 32-, 8- and 4-channel blocks), clamp ranges that bite, and NaN and -0.0 taps. Buffers
   are allocated to their exact size, so ASan catches a read or write past them. */
#include <float.h>
#include <math.h>

#include "emberlite.h"
#include "test_util.h"
#include "ukernels/pool.h"

static uint32_t rng_state = 0x2545f491u;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static size_t rand_in(size_t lo, size_t hi) {
    return lo + rng() % (hi - lo + 1);
}

static float rand_float(void) {
    const uint32_t r = rng() % 64;
    if (r == 0)
        return NAN;
    if (r == 1)
        return -0.0f;
    return (float)(rng() % 20001) / 1000.0f - 10.0f;
}

static float *random_floats(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n && p != NULL; i++)
        p[i] = rand_float();
    return p;
}

static bool same(float a, float b) {
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static float clamp(float v, float lo, float hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

typedef struct pool_case {
    size_t rows, cols, row_step, col_step, channels;
    float scale, lo, hi;
} pool_case;

static float oracle(const pool_case *t, const float *in, size_t c, bool average) {
    float acc = average ? 0.0f : -FLT_MAX;
    for (size_t r = 0; r < t->rows; r++)
        for (size_t k = 0; k < t->cols; k++) {
            const float v = in[r * t->row_step + k * t->col_step + c];
            acc = average ? acc + v : (v > acc ? v : acc);
        }
    return clamp(average ? acc * t->scale : acc, t->lo, t->hi);
}

static void check_pool(const char *name, ember_pool_f32_fn fn, bool average) {
    pool_case t;
    t.rows = rand_in(0, 3);
    t.cols = rand_in(0, 3);
    t.channels = rand_in(1, 41);
    t.col_step = t.channels * rand_in(1, 2);
    t.row_step = t.col_step * (t.cols + rand_in(0, 2)) + rand_in(0, 3);
    const size_t taps = t.rows * t.cols;
    t.scale = taps > 0 ? 1.0f / (float)taps : 0.0f;
    const bool clamped = rng() % 2;
    t.lo = clamped ? -2.0f : -FLT_MAX;
    t.hi = clamped ? 3.0f : FLT_MAX;
    const size_t n = taps > 0 ? (t.rows - 1) * t.row_step + (t.cols - 1) * t.col_step +
                                    t.channels : 0;
    float *in = random_floats(n);
    float *out = malloc(t.channels * sizeof(float));
    if (in == NULL || out == NULL) {
        CHECK_MSG(false, "out of memory");
        free(in), free(out);
        return;
    }
    fn(taps > 0 ? in : NULL, t.rows, t.cols, t.row_step, t.col_step, t.channels, t.scale, t.lo,
       t.hi, out);
    size_t bad = 0;
    for (size_t c = 0; c < t.channels; c++)
        bad += !same(out[c], oracle(&t, in, c, average));
    CHECK_MSG(bad == 0, "%s: %zu of %zu channels differ (%zux%zu taps, row_step %zu, "
              "col_step %zu)", name, bad, t.channels, t.rows, t.cols, t.row_step, t.col_step);
    free(in), free(out);
}

static void check_chansum(const char *name, ember_chansum_f32_fn fn) {
    const size_t rows = rand_in(1, 20), channels = rand_in(1, 41);
    const size_t stride = channels + rand_in(0, 5);
    const size_t n = (rows - 1) * stride + channels;
    float *in = random_floats(n);
    float *out = malloc(channels * sizeof(float));
    if (in == NULL || out == NULL) {
        CHECK_MSG(false, "out of memory");
        free(in), free(out);
        return;
    }
    const double scale = 1.0 / (double)rows;
    fn(in, rows, channels, stride, scale, out);
    size_t bad = 0;
    for (size_t c = 0; c < channels; c++) {
        double acc = 0.0;
        for (size_t r = 0; r < rows; r++)
            acc += in[r * stride + c];
        bad += !same(out[c], (float)(acc * scale));
    }
    CHECK_MSG(bad == 0, "%s: %zu of %zu channels differ (%zu rows, stride %zu)", name, bad,
              channels, rows, stride);
    free(in), free(out);
}

int main(void) {
    const uint32_t features = ember_detect_cpu_features();
    size_t count = 0;
    const ember_pool_f32_config *cfgs = ember_pool_f32_configs(&count);
    size_t tested = 0;
    for (size_t i = 0; i < count; i++) {
        const ember_pool_f32_config *cfg = &cfgs[i];
        if ((cfg->isa & features) != cfg->isa) {
            printf("%s: skipped, this CPU lacks ISA 0x%x\n", cfg->max_name, (unsigned)cfg->isa);
            continue;
        }
        for (size_t rep = 0; rep < 150; rep++) {
            check_pool(cfg->max_name, cfg->max, false);
            check_pool(cfg->avg_name, cfg->avg, true);
            check_chansum(cfg->mean_name, cfg->mean);
        }
        tested++;
    }
    CHECK_MSG(tested >= 1, "no configuration ran");
    return test_report("test_ukernel_pool");
}
