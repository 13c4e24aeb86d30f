/* Every float32 SOFTMAX / LOG_SOFTMAX row configuration this CPU runs
   (ember_softmax_f32_configs; none on Arm yet, where the ops keep their reference loops):
   - the exp approximation against double-precision exp on every float of a dense sweep of
     [-88, 0] (2^-12 steps) and the points near its cutoff: relative error at most
     EMBER_SOFTMAX_EXP_MAX_REL_ERR where exp(z) >= FLT_MIN, 0 below the cutoff, exp(0) = 1,
     exp(-inf) = 0, NaN to NaN;
   - rows of 1..70 values and of 1000 (every tail of the 8- and 4-value steps), betas of both
     signs, in place and apart, against a double-precision softmax and log-softmax: relative
     error within 3 x the exp bound + n x 2^-24 + the float rounding of beta * x - m that the
     reference shares (softmax), absolute within 4 x the exp bound + an output's rounding
     (log_softmax, which works in double); a NaN in the row makes the whole row NaN.
   Buffers are allocated to their exact size, so ASan catches a read or write past them. */
#include <float.h>
#include <math.h>

#include "emberlite.h"
#include "test_util.h"
#include "ukernels/softmax.h"

static uint32_t rng_state = 0x7f4a7c15u;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void check_exp(const ember_softmax_f32_config *cfg) {
    const size_t n = 88u << 12;
    float *z = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
    if (z == NULL || y == NULL) {
        CHECK_MSG(false, "out of memory");
        free(z), free(y);
        return;
    }
    for (size_t i = 0; i < n; i++)
        z[i] = -(float)i / 4096.0f;
    cfg->exp(z, y, n);
    double worst = 0.0;
    size_t bad_flush = 0;
    for (size_t i = 0; i < n; i++) {
        const double want = exp((double)z[i]);
        if (want >= FLT_MIN) {
            const double err = fabs((double)y[i] - want) / want;
            worst = err > worst ? err : worst;
        } else if (z[i] < -87.3366f) {
            bad_flush += y[i] != 0.0f;
        }
    }
    printf("%s: exp max relative error %.3g\n", cfg->softmax_name, worst);
    CHECK_MSG(worst <= EMBER_SOFTMAX_EXP_MAX_REL_ERR, "%s: exp error %.3g", cfg->softmax_name,
              worst);
    CHECK_MSG(bad_flush == 0, "%s: %zu values below the cutoff not 0", cfg->softmax_name,
              bad_flush);
    const float special[4] = {0.0f, -INFINITY, NAN, -0.0f};
    float out[4];
    cfg->exp(special, out, 4);
    CHECK(out[0] == 1.0f && out[1] == 0.0f && isnan(out[2]) && out[3] == 1.0f);
    free(z), free(y);
}

/* A row of n values, scaled so beta * x spans about 30; a NaN at `nan_at` (< n) if asked. */
static float *random_row(size_t n, size_t nan_at) {
    float *x = malloc(n * sizeof(float));
    for (size_t i = 0; i < n && x != NULL; i++)
        x[i] = (float)(rng() % 30001) / 1000.0f - 15.0f;
    if (x != NULL && nan_at < n)
        x[nan_at] = NAN;
    return x;
}

static void check_row(const ember_softmax_f32_config *cfg, size_t n, float beta, bool in_place,
                      bool with_nan) {
    float *x = random_row(n, with_nan ? rng() % n : n);
    float *y = in_place ? x : malloc(n * sizeof(float));
    double *z = malloc(n * sizeof(double));
    if (x == NULL || y == NULL || z == NULL) {
        CHECK_MSG(false, "out of memory");
        free(z), free(x);
        if (!in_place)
            free(y);
        return;
    }
    double m = -INFINITY, sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        z[i] = (double)beta * x[i];
        m = z[i] > m ? z[i] : m;
    }
    for (size_t i = 0; i < n; i++)
        sum += exp(z[i] - m);
    const bool log_form = rng() % 2;
    (log_form ? cfg->log_softmax : cfg->softmax)(x, y, n, beta);
    const double rel = 3 * EMBER_SOFTMAX_EXP_MAX_REL_ERR + (double)n * 0x1p-24;
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (with_nan) {
            bad += !isnan(y[i]);
        } else if (log_form) {
            const double want = z[i] - m - log(sum);
            bad += !(fabs(y[i] - want) <= 4 * EMBER_SOFTMAX_EXP_MAX_REL_ERR +
                                             fabs(want) * 0x1p-24);
        } else {
            /* beta * x and its difference to m are rounded to float, as in the reference:
               exp of a value off by d is off by d relative */
            const double z_err = (fabs(z[i]) + fabs(z[i] - m) + fabs(m)) * 0x1p-23;
            const double want = exp(z[i] - m) / sum;
            bad += !(fabs(y[i] - want) <= (rel + z_err) * want + 1e-38);
        }
    }
    CHECK_MSG(bad == 0, "%s: %zu of %zu outputs off (beta %g, %s%s)",
              log_form ? cfg->log_softmax_name : cfg->softmax_name, bad, n, (double)beta,
              in_place ? "in place" : "apart", with_nan ? ", NaN input" : "");
    free(z), free(x);
    if (!in_place)
        free(y);
}

int main(void) {
    const uint32_t features = ember_detect_cpu_features();
    size_t count = 0;
    const ember_softmax_f32_config *cfgs = ember_softmax_f32_configs(&count);
    const float betas[4] = {1.0f, 0.5f, 2.5f, -1.0f};
    for (size_t c = 0; c < count; c++) {
        const ember_softmax_f32_config *cfg = &cfgs[c];
        if ((cfg->isa & features) != cfg->isa) {
            printf("%s: skipped, this CPU lacks ISA 0x%x\n", cfg->softmax_name,
                   (unsigned)cfg->isa);
            continue;
        }
        check_exp(cfg);
        for (size_t n = 1; n <= 70; n++)
            for (size_t rep = 0; rep < 4; rep++)
                check_row(cfg, n, betas[rep], rep % 2 == 0, false);
        for (size_t rep = 0; rep < 8; rep++) {
            check_row(cfg, 1000, betas[rep % 4], rep % 2 == 1, false);
            check_row(cfg, 1 + rng() % 40, 1.0f, rep % 2 == 1, true);
        }
    }
    if (count == 0)
        printf("no softmax microkernel on this target: the ops run their reference loops\n");
    return test_report("test_ukernel_softmax");
}
