/* Fixed-point arithmetic of the quantized kernels (see fixed_point.h). */
#include <math.h>

#include "kernels/fixed_point.h"

void ember_quantize_multiplier(double real, int32_t *m, int32_t *shift) {
    *m = 0;
    *shift = 0;
    if (!(real > 0.0) || !isfinite(real))
        return;
    int exponent = 0;
    const double fraction = frexp(real, &exponent); /* in [0.5, 1) */
    /* fraction * 2^31 is exact, so adding 0.5 before floor rounds half away from zero. */
    int64_t q = (int64_t)floor(fraction * 2147483648.0 + 0.5);
    if (q == INT64_C(2147483648)) { /* the fraction rounded up to 1.0 */
        q /= 2;
        exponent++;
    }
    if (exponent < -31)
        return;
    *m = (int32_t)q;
    *shift = exponent;
}

/* The bodies of ember_srdhm, ember_rdbpot and ember_multiply_by_quantized_multiplier are
   static, so that ember_requantize_row_i8 inlines them: a shared library calls its own
   exported functions through the PLT and cannot inline them. */
static int32_t srdhm(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN)
        return INT32_MAX;
    const int64_t product = (int64_t)a * (int64_t)b;
    const int64_t nudge = product >= 0 ? (INT64_C(1) << 30) : 1 - (INT64_C(1) << 30);
    /* C division truncates toward zero: with the nudge, positive ties go up and negative
       ones (nudge one short of a half) toward zero. */
    return (int32_t)((product + nudge) / (INT64_C(1) << 31));
}

static int32_t rdbpot(int32_t x, int32_t exponent) {
    const int64_t mask = (INT64_C(1) << exponent) - 1;
    const int64_t remainder = (int64_t)x & mask;
    const int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    /* An arithmetic shift of a negative value floors; the remainder test rounds the tie. */
    return (int32_t)(((int64_t)x >> exponent) + (remainder > threshold ? 1 : 0));
}

static int32_t mbqm(int32_t x, int32_t m, int32_t shift) {
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    /* LiteRT multiplies by 2^left in int32 and wraps; unsigned arithmetic wraps the same way
       without undefined behaviour. */
    const uint32_t shifted = left < 32 ? (uint32_t)x << left : 0u;
    return rdbpot(srdhm((int32_t)shifted, m), right > 31 ? 31 : right);
}

int32_t ember_srdhm(int32_t a, int32_t b) {
    return srdhm(a, b);
}

int32_t ember_rdbpot(int32_t x, int32_t exponent) {
    return rdbpot(x, exponent);
}

int32_t ember_multiply_by_quantized_multiplier(int32_t x, int32_t m, int32_t shift) {
    return mbqm(x, m, shift);
}

static int32_t clamp(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

int32_t ember_requantize_i8(int32_t acc, int32_t m, int32_t shift, int32_t out_zp, int32_t q_min,
                            int32_t q_max) {
    /* LiteRT adds the zero point in int32, which wraps next to INT32_MIN/MAX. */
    return clamp(ember_wrap_add(mbqm(acc, m, shift), out_zp), q_min, q_max);
}

void ember_requantize_row_i8(const uint32_t *acc, size_t n, const int32_t *mult,
                             const int32_t *shift, int32_t out_zp, int32_t q_min, int32_t q_max,
                             int8_t *out) {
    for (size_t i = 0; i < n; i++) {
        out[i] = (int8_t)ember_requantize_i8((int32_t)acc[i], mult[i], shift[i], out_zp, q_min,
                                             q_max);
    }
}

int32_t ember_multiply_by_quantized_multiplier_i64(int64_t x, int32_t m, int32_t shift) {
    const int64_t limit = INT64_C(1) << 47;
    const int64_t v = x < -limit ? -limit : x >= limit ? limit - 1 : x;
    const int64_t reduced = m < 0x7FFF0000 ? ((int64_t)m + (1 << 15)) >> 16 : 0x7FFF;
    const int32_t total = 15 - (shift < -31 ? -31 : shift); /* in [1, 46] */
    /* |v * reduced| < 2^62, so neither the product nor the rounding term overflows; the
       arithmetic shift floors, which with the added half rounds ties toward +infinity. */
    const int64_t r = (v * reduced + (INT64_C(1) << (total - 1))) >> total;
    return (int32_t)(r < INT32_MIN ? INT32_MIN : r > INT32_MAX ? INT32_MAX : r);
}

int32_t ember_requantize_i16(int64_t acc, int32_t m, int32_t shift, int32_t q_min, int32_t q_max) {
    return clamp(ember_multiply_by_quantized_multiplier_i64(acc, m, shift), q_min, q_max);
}

int32_t ember_rounding_half_sum(int32_t a, int32_t b) {
    const int64_t sum = (int64_t)a + (int64_t)b;
    /* Truncating division after a +-1 nudge: halves go away from zero. */
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

int32_t ember_saturating_shift_left(int32_t x, int32_t exponent) {
    if (exponent == 0)
        return x;
    const int32_t limit = (int32_t)((INT64_C(1) << (31 - exponent)) - 1);
    if (x > limit)
        return INT32_MAX;
    if (x < -limit)
        return INT32_MIN;
    return (int32_t)((uint32_t)x << exponent);
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out: with x = a + 1/8,
   exp(a) = exp(-1/8) * (1 + x + x^2/2 + x^3/6 + x^4/24). */
static int32_t exp_on_quarter(int32_t a) {
    const int32_t exp_minus_one_eighth = 1895147668; /* round(exp(-1/8) * 2^31) */
    const int32_t one_third = 715827883;             /* round(2^31 / 3) */
    const int32_t x = ember_wrap_add(a, INT32_C(1) << 28);
    const int32_t x2 = ember_srdhm(x, x);
    const int32_t x3 = ember_srdhm(x2, x);
    const int32_t x4 = ember_srdhm(x2, x2);
    /* (x^4/4 + x^3) / 3 + x^2, halved: x^4/24 + x^3/6 + x^2/2. */
    const int32_t poly = ember_rdbpot(
        ember_wrap_add(ember_srdhm(ember_wrap_add(ember_rdbpot(x4, 2), x3), one_third), x2), 1);
    return ember_wrap_add(exp_minus_one_eighth,
                          ember_srdhm(exp_minus_one_eighth, ember_wrap_add(x, poly)));
}

int32_t ember_exp_on_negative_values(int32_t a, int32_t integer_bits) {
    /* round(exp(-2^k) * 2^31) for k = -2 .. 4. */
    static const int32_t exp_of_minus_pow2[7] = {1672461947, 1302514674, 790015084, 290630308,
                                                 39332535,   720401,     242};
    const int32_t fraction_bits = 31 - integer_bits;
    const int32_t quarter = INT32_C(1) << (fraction_bits - 2);
    /* a = r - n/4 with r in [-1/4, 0) and n >= 0 a whole number of quarters. */
    const int32_t r = (int32_t)((uint32_t)(a & (quarter - 1)) - (uint32_t)quarter);
    const uint32_t quarters = (uint32_t)r - (uint32_t)a; /* n/4 in a's format */
    int32_t result = exp_on_quarter(ember_saturating_shift_left(r, integer_bits));
    for (int32_t k = -2; k <= 4; k++) {
        /* Bits at or above 2^integer_bits cannot be set in a value of that format. */
        if (integer_bits > k && (quarters & (UINT32_C(1) << (fraction_bits + k))) != 0)
            result = ember_srdhm(result, exp_of_minus_pow2[k + 2]);
    }
    /* Below -32 the product above does not flush to 0 by itself. */
    if (integer_bits > 5 && a < -(INT32_C(1) << (36 - integer_bits)))
        result = 0;
    return a == 0 ? INT32_MAX : result;
}

bool ember_softmax_input_scaling(double beta_scale, int32_t *mult, int32_t *left_shift,
                                 int32_t *diff_min) {
    const double one = (double)(INT32_C(1) << (31 - EMBER_SOFTMAX_DIFF_BITS)); /* 1.0 in Q5.26 */
    const double real = fmin(beta_scale * one, 2147483647.0);
    if (!(real > 1.0))
        return false;
    ember_quantize_multiplier(real, mult, left_shift);
    /* The most negative difference whose scaled value still fits Q5.26: 31 * 2^26 / 2^shift. */
    const double radius = 31.0 * one / ldexp(1.0, *left_shift);
    *diff_min = -(int32_t)floor(radius);
    return true;
}

int32_t ember_one_over_one_plus_x(int32_t x) {
    const int32_t forty_eight_17ths = 1515870810;         /* 48/17 in Q2.29 */
    const int32_t minus_thirty_two_17ths = -1010580540;   /* -32/17 in Q2.29 */
    const int32_t one_q2 = INT32_C(1) << 29;              /* 1.0 in Q2.29 */
    /* Newton-Raphson for 1/d with d = (1 + x) / 2 in [1/2, 1), a Q0.31 value. */
    const int32_t half_d = ember_rounding_half_sum(x, INT32_MAX);
    int32_t y = ember_wrap_add(forty_eight_17ths, ember_srdhm(half_d, minus_thirty_two_17ths));
    for (int i = 0; i < 3; i++) {
        /* 1 - d*y in Q2.29 (d*y is near 1, far from INT32_MIN, so the negation is safe). */
        const int32_t error = ember_wrap_add(one_q2, -ember_srdhm(half_d, y));
        /* y * error is Q4.27; back to Q2.29 by a saturating shift of 2. */
        y = ember_wrap_add(y, ember_saturating_shift_left(ember_srdhm(y, error), 2));
    }
    /* y ~ 1/d = 2/(1 + x) in Q2.29 is 1/(1 + x) in Q1.30; Q0.31 is one more shift. */
    return ember_saturating_shift_left(y, 1);
}

int32_t ember_leading_zeros(uint32_t x) {
    int32_t n = 0;
    while (n < 32 && (x & (UINT32_C(0x80000000) >> n)) == 0)
        n++;
    return n;
}

int32_t ember_leading_sign_bits(int32_t x) {
    return ember_leading_zeros(x >= 0 ? (uint32_t)x : ~(uint32_t)x) - 1;
}

/* int32 a + b and a - b clamped to [INT32_MIN, INT32_MAX]. */
static int32_t saturating_add(int32_t a, int32_t b) {
    const int64_t s = (int64_t)a + b;
    return s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : (int32_t)s);
}

static int32_t saturating_sub(int32_t a, int32_t b) {
    const int64_t s = (int64_t)a - b;
    return s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : (int32_t)s);
}

/* The log is assembled in Q(out+1) ("accumulator" bits, one spare so that the power-of-two part
   times ln 2 may saturate without spoiling the sum) from x = 2^k * r: k ln 2 plus ln r for r
   near 1, ln r from a rational approximation in q = 2 (r - 2^-1/4) (a Pade-like quotient with
   the constants below), each part in Q0.31. k and r come from the better of two splits of x,
   as is or pre-multiplied by sqrt(1/2), so that r stays within a quarter octave of 2^-1/4. */
int32_t ember_log_x_ge_1(int32_t x, int32_t input_bits, int32_t output_bits) {
    const int32_t ln2 = 1488522236;              /* ln 2 */
    const int32_t sqrt_sqrt_half = 1805811301;   /* 2^-1/4 */
    const int32_t sqrt_half = 1518500250;        /* 2^-1/2 */
    const int32_t alpha_n = 117049297;           /* 11/240 * 2^1/4 */
    const int32_t alpha_d = 127690142;           /* 1/20 * 2^1/4 */
    const int32_t alpha_i = 1057819769;          /* 2 * 2^-1/4 - 2^1/4 */
    const int32_t alpha_f = 638450708;           /* 1/4 * 2^1/4 */
    const int32_t accum_bits = output_bits + 1;
    const int32_t quarter = ember_rdbpot(INT32_C(1) << 29, accum_bits); /* 1/4, Q(accum) */
    /* Split a: x's raw read as Q0.31 and normalised, times sqrt(1/2) (then doubled back). */
    const int32_t lz_a = ember_leading_zeros((uint32_t)x);
    const int32_t r_a = ember_saturating_shift_left(
        ember_srdhm(ember_saturating_shift_left(x, lz_a - 1), sqrt_half), 1);
    const int32_t pow_a = saturating_add(
        ember_saturating_shift_left(input_bits - lz_a, 31 - accum_bits), quarter);
    /* Split b: normalised after the multiplication by sqrt(1/2). */
    const int32_t lz_b = ember_leading_zeros((uint32_t)ember_srdhm(x, sqrt_half)) - 1;
    const int32_t r_b = ember_saturating_shift_left(x, lz_b);
    const int32_t pow_b = saturating_sub(
        ember_saturating_shift_left(input_bits - lz_b, 31 - accum_bits), quarter);
    const int32_t r = r_a < r_b ? r_a : r_b;
    const int32_t pow2 = pow_a > pow_b ? pow_a : pow_b;

    const int32_t p = ember_rounding_half_sum(r, sqrt_sqrt_half);
    int32_t q = ember_wrap_sub(r, sqrt_sqrt_half);
    q = ember_wrap_add(q, q);
    const int32_t q2 = ember_srdhm(q, q);
    const int32_t num =
        ember_wrap_add(ember_srdhm(q, r), ember_srdhm(ember_srdhm(q, q2), alpha_n));
    const int32_t denom_minus_one = ember_wrap_add(
        ember_srdhm(p, ember_wrap_add(ember_wrap_add(alpha_i, q), ember_srdhm(alpha_d, q2))),
        ember_srdhm(alpha_f, q));
    const int32_t ln_r = ember_srdhm(ember_rdbpot(num, accum_bits),
                                     ember_one_over_one_plus_x(denom_minus_one));
    const int32_t sum = ember_wrap_add(ember_srdhm(pow2, ln2), ln_r);
    return ember_saturating_shift_left(sum, accum_bits - output_bits);
}

void ember_inv_sqrt_multiplier(int32_t input, int32_t reverse_shift, int32_t *m,
                               int32_t *shift) {
    if (input <= 1) {
        *m = INT32_MAX;
        *shift = 0;
        return;
    }
    int32_t sh = 11;
    while (input >= (1 << 29)) {
        input /= 4;
        sh++;
    }
    /* Shift left by bit pairs, one pair short of the top, so input lands in [2^27, 2^29). */
    const int32_t pairs = (ember_leading_zeros((uint32_t)input) - 1) / 2 - 1;
    sh -= pairs;
    input <<= 2 * pairs;
    /* Q3.28 fixed point: raw / 2^28. A product of Qa and Qb values is Q(a+b) via SRDHM. */
    const int32_t half_input = ember_rdbpot(input >> 1, 1);
    const int32_t three_halves = (1 << 28) + (1 << 27);
    int32_t x = 1 << 28; /* 1.0 */
    for (int i = 0; i < 5; i++) {
        const int32_t x3 = ember_saturating_shift_left(ember_srdhm(ember_srdhm(x, x), x), 6);
        const uint32_t diff = (uint32_t)ember_srdhm(three_halves, x) -
                              (uint32_t)ember_srdhm(half_input, x3); /* Q6.25, wrapping */
        x = ember_saturating_shift_left((int32_t)diff, 3);
    }
    x = ember_srdhm(x, 1518500250); /* sqrt(2)/2 in Q0.31 */
    if (sh < 0) {
        x = (int32_t)((uint32_t)x << -sh);
        sh = 0;
    }
    *m = x;
    *shift = sh * reverse_shift;
}

int16_t ember_srdhm16(int16_t a, int16_t b) {
    if (a == INT16_MIN && b == INT16_MIN)
        return INT16_MAX;
    const int32_t product = (int32_t)a * (int32_t)b;
    const int32_t nudge = product >= 0 ? (1 << 14) : 1 - (1 << 14);
    return (int16_t)((product + nudge) / (1 << 15)); /* truncating, as ember_srdhm */
}

int16_t ember_doubling_high_mul16(int16_t a, int16_t b) {
    if (a == INT16_MIN && b == INT16_MIN)
        return INT16_MAX;
    return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

int16_t ember_shift_left_sat16(int16_t x, int32_t exponent) {
    const int64_t v = (int64_t)x * (INT64_C(1) << (exponent > 31 ? 31 : exponent));
    return (int16_t)(v < INT16_MIN ? INT16_MIN : v > INT16_MAX ? INT16_MAX : v);
}

int16_t ember_multiplier_to_int16(int32_t m) {
    if (m >= INT32_MAX - (1 << 15))
        return INT16_MAX;
    return (int16_t)((m + (1 << 15)) >> 16);
}
