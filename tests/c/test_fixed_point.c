/* The fixed-point arithmetic of the quantized kernels (csrc/kernels/fixed_point.c) on vectors
   worked out by hand from LiteRT's definitions (ties away from zero, two roundings), plus
   error-bound properties over pseudo-random operands. The Python tests check the same
   arithmetic bit for bit through the int8 kernels against a numpy model. */
#include <inttypes.h>
#include <math.h>

#include "kernels/fixed_point.h"
#include "test_util.h"

static void check_multiplier(double real, int32_t want_m, int32_t want_shift) {
    int32_t m = -1, shift = -1;
    ember_quantize_multiplier(real, &m, &shift);
    CHECK_MSG(m == want_m && shift == want_shift,
              "QM(%.17g) = (%" PRId32 ", %" PRId32 "), want (%" PRId32 ", %" PRId32 ")", real, m,
              shift, want_m, want_shift);
}

static void test_quantize_multiplier(void) {
    const int32_t half = INT32_C(1) << 30;
    check_multiplier(0.5, half, 0);
    check_multiplier(1.0, half, 1);
    check_multiplier(0.75, 3 * (INT32_C(1) << 29), 0);
    check_multiplier(0.25, half, -1);
    check_multiplier(3.0, 3 * (INT32_C(1) << 29), 2);
    check_multiplier(1.0 - ldexp(1.0, -40), half, 1); /* the mantissa rounds up to 1.0 */
    check_multiplier(ldexp(1.0, -32), half, -31);     /* the smallest kept */
    check_multiplier(ldexp(1.0, -33), 0, 0);          /* flushed to zero */
    check_multiplier(0.0, 0, 0);
    check_multiplier(-0.5, 0, 0);
    check_multiplier(NAN, 0, 0);
}

static void test_srdhm_rdbpot(void) {
    const int32_t half = INT32_C(1) << 30; /* SRDHM by this is x / 2 */
    CHECK(ember_srdhm(INT32_MIN, INT32_MIN) == INT32_MAX);
    CHECK(ember_srdhm(5, half) == 3);   /* 2.5 */
    /* A negative product gets the nudge 1 - 2^30, one short of a half, so after the
       truncating division a negative tie goes toward zero (gemmlowp and LiteRT do this). */
    CHECK(ember_srdhm(-5, half) == -2); /* -2.5 */
    CHECK(ember_srdhm(-7, half) == -3); /* -3.5 */
    CHECK(ember_srdhm(-3, 3 * (INT32_C(1) << 29)) == -2); /* -2.25 */
    CHECK(ember_srdhm(3, half) == 2);   /* 1.5 */
    CHECK(ember_srdhm(4, half) == 2);
    CHECK(ember_srdhm(-1, half) == 0);  /* -0.5 */
    CHECK(ember_srdhm(INT32_MAX, INT32_MAX) == INT32_MAX - 1);
    CHECK(ember_rdbpot(5, 1) == 3);
    CHECK(ember_rdbpot(-5, 1) == -3);
    CHECK(ember_rdbpot(6, 2) == 2);  /* 1.5 */
    CHECK(ember_rdbpot(-6, 2) == -2);
    CHECK(ember_rdbpot(-7, 2) == -2); /* -1.75 */
    CHECK(ember_rdbpot(5, 2) == 1);   /* 1.25 */
    CHECK(ember_rdbpot(-5, 2) == -1);
    CHECK(ember_rdbpot(123, 0) == 123);
    CHECK(ember_rdbpot(INT32_MIN, 31) == -1);
    CHECK(ember_rdbpot(INT32_MAX, 31) == 1);
}

static void test_multiply(void) {
    const int32_t half = INT32_C(1) << 30;
    /* 5 x 0.25 = 1.25: SRDHM gives 3 (2.5 rounded), then 3 / 2 = 1.5 gives 2. One rounding
       would give 1; LiteRT's default build gives 2. */
    CHECK(ember_multiply_by_quantized_multiplier(5, half, -1) == 2);
    CHECK(ember_multiply_by_quantized_multiplier(-5, half, -1) == -1); /* -2, then -1 */
    CHECK(ember_multiply_by_quantized_multiplier(-7, half, -1) == -2); /* -3, then -1.5 */
    CHECK(ember_multiply_by_quantized_multiplier(-6, half, -1) == -2); /* -3, then -1.5 */
    CHECK(ember_multiply_by_quantized_multiplier(3, half, -1) == 1);
    CHECK(ember_multiply_by_quantized_multiplier(3, half, 2) == 6);      /* 3 x 2 */
    CHECK(ember_multiply_by_quantized_multiplier(half, half, 2) == 0);   /* 2^32 wraps */
    CHECK(ember_multiply_by_quantized_multiplier(-100, half, -31) == 0); /* -2.3e-8 */
    CHECK(ember_multiply_by_quantized_multiplier(7, 0, 0) == 0);

    /* Random operands: the result is within 1 of the exact product (two roundings). */
    uint64_t state = 0x9E3779B97F4A7C15u;
    int worst_ok = 1;
    for (int i = 0; i < 100000; i++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        const int32_t x = (int32_t)((state >> 33) % (1u << 21)) - (1 << 20);
        const double real = ldexp(1.0 + (double)((state >> 8) & 0xFFFFFF) / 16777216.0,
                                  -(int)((state >> 40) % 20) - 1);
        int32_t m = 0, shift = 0;
        ember_quantize_multiplier(real, &m, &shift);
        const double rebuilt = ldexp((double)m, shift - 31);
        const double got = ember_multiply_by_quantized_multiplier(x, m, shift);
        if (fabs(rebuilt - real) > ldexp(real, -30) || fabs(got - (double)x * real) > 1.0) {
            worst_ok = 0;
            fprintf(stderr, "x=%" PRId32 " real=%.17g -> m=%" PRId32 " shift=%" PRId32 " y=%g\n",
                    x, real, m, shift, got);
            break;
        }
    }
    CHECK(worst_ok);
}

static void test_fixed_point_helpers(void) {
    CHECK(ember_rounding_half_sum(3, 4) == 4);   /* 3.5 */
    CHECK(ember_rounding_half_sum(-3, -4) == -4); /* -3.5, away from zero */
    CHECK(ember_rounding_half_sum(2, 4) == 3);
    CHECK(ember_rounding_half_sum(INT32_MAX, INT32_MAX) == INT32_MAX);
    CHECK(ember_saturating_shift_left(3, 2) == 12);
    CHECK(ember_saturating_shift_left(-3, 2) == -12);
    CHECK(ember_saturating_shift_left(INT32_C(1) << 29, 2) == INT32_MAX);
    CHECK(ember_saturating_shift_left(-(INT32_C(1) << 29), 2) == INT32_MIN);
    CHECK(ember_saturating_shift_left(-5, 0) == -5);
    /* exp(0) and 1/(1 + 0) are 1.0, saturated to the largest Q0.31 value. */
    CHECK(ember_exp_on_negative_values(0, 5) == INT32_MAX);
    CHECK(ember_one_over_one_plus_x(0) == INT32_MAX);
    /* Error bounds over the range: exp of a Q5.26 input, 1/(1+x) of a Q0.31 one. */
    double worst_exp = 0.0, worst_recip = 0.0;
    for (int32_t i = 0; i <= 20000; i++) {
        const int32_t a = -(int32_t)((int64_t)i * 31 * (INT64_C(1) << 26) / 20000);
        const double got = ember_exp_on_negative_values(a, 5) / 2147483648.0;
        worst_exp = fmax(worst_exp, fabs(got - exp(a / 67108864.0)));
        const int32_t x = (int32_t)((int64_t)i * INT32_MAX / 20000);
        const double r = ember_one_over_one_plus_x(x) / 2147483648.0;
        worst_recip = fmax(worst_recip, fabs(r - 1.0 / (1.0 + x / 2147483648.0)));
    }
    CHECK_MSG(worst_exp < 5e-7, "exp error %g", worst_exp);
    CHECK_MSG(worst_recip < 1e-8, "reciprocal error %g", worst_recip);
}

int main(void) {
    test_fixed_point_helpers();
    test_quantize_multiplier();
    test_srdhm_rdbpot();
    test_multiply();
    return test_report("test_fixed_point");
}
