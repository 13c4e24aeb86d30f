/* int8 fixed-point helpers (see quant.h). */
#include <math.h>

#include "kernels/broadcast.h" /* ember_check_inplace */
#include "kernels/quant.h"

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

int32_t ember_srdhm(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN)
        return INT32_MAX;
    const int64_t product = (int64_t)a * (int64_t)b;
    const int64_t nudge = product >= 0 ? (INT64_C(1) << 30) : 1 - (INT64_C(1) << 30);
    /* C division truncates toward zero: with the nudge, positive ties go up and negative
       ones (nudge one short of a half) toward zero. */
    return (int32_t)((product + nudge) / (INT64_C(1) << 31));
}

int32_t ember_rdbpot(int32_t x, int32_t exponent) {
    const int64_t mask = (INT64_C(1) << exponent) - 1;
    const int64_t remainder = (int64_t)x & mask;
    const int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    /* An arithmetic shift of a negative value floors; the remainder test rounds the tie. */
    return (int32_t)(((int64_t)x >> exponent) + (remainder > threshold ? 1 : 0));
}

int32_t ember_multiply_by_quantized_multiplier(int32_t x, int32_t m, int32_t shift) {
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    /* LiteRT multiplies by 2^left in int32 and wraps; unsigned arithmetic wraps the same way
       without undefined behaviour. */
    const uint32_t shifted = left < 32 ? (uint32_t)x << left : 0u;
    return ember_rdbpot(ember_srdhm((int32_t)shifted, m), right > 31 ? 31 : right);
}

int32_t ember_saturating_shift_left(int32_t x, int32_t exponent) {
    const int64_t v = (int64_t)x * ((int64_t)1 << exponent);
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

/* Leading zero bits of a positive int32 (x > 0). */
static int32_t leading_zeros(uint32_t x) {
    int32_t n = 0;
    while ((x & 0x80000000u) == 0) {
        x <<= 1;
        n++;
    }
    return n;
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
    const int32_t pairs = (leading_zeros((uint32_t)input) - 1) / 2 - 1;
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

/* zero_point + round(f32(bound / scale)), saturated well outside the int8 range so the
   conversion to int stays defined for tiny scales. */
static int32_t quantize_bound(float bound, const ember_tensor *out) {
    float q = roundf(bound / out->scale);
    if (q > 65536.0f)
        q = 65536.0f;
    if (q < -65536.0f)
        q = -65536.0f;
    return out->zero_point + (int32_t)q;
}

ember_status ember_activation_range_i8(ember_context *ctx, const ember_node *n, uint8_t act,
                                       const ember_tensor *out, int32_t *lo, int32_t *hi) {
    float flo = 0.0f, fhi = 0.0f;
    ember_status st = ember_activation_range(ctx, n, act, &flo, &fhi);
    if (st != EMBER_STATUS_OK)
        return st;
    *lo = -128;
    *hi = 127;
    if (isfinite(flo) && quantize_bound(flo, out) > *lo)
        *lo = quantize_bound(flo, out);
    if (isfinite(fhi) && quantize_bound(fhi, out) < *hi)
        *hi = quantize_bound(fhi, out);
    return EMBER_STATUS_OK;
}

float ember_quant_scale(const ember_tensor *t, uint32_t channel) {
    return t->quant_count > 1 ? ember_fb_vector_f32(&t->quant_scales, channel) : t->scale;
}

static const char *op_name(const ember_node *n) {
    return n->kernel != NULL ? n->kernel->name : "unknown op";
}

ember_status ember_check_quant_i8(ember_context *ctx, const ember_node *n, const ember_tensor *t,
                                  const char *what) {
    if (t->quant_count != 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): int8 %s '%s' needs one scale and zero point, "
                          "got %" PRIu32,
                          n->index, op_name(n), what, t->name, t->quant_count);
    if (t->zero_point < -128 || t->zero_point > 127)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): int8 %s '%s' zero point must be in "
                          "[-128, 127], got %" PRId32,
                          n->index, op_name(n), what, t->name, t->zero_point);
    return EMBER_STATUS_OK;
}

ember_status ember_check_quant_weights(ember_context *ctx, const ember_node *n,
                                       const ember_tensor *w, uint32_t axis, int32_t channels) {
    const bool per_channel = w->quant_count > 1;
    if (w->quant_count == 0 ||
        (per_channel && ((int64_t)w->quant_count != channels || w->quant_axis != (int32_t)axis)))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): int8 weights '%s' need 1 scale or %" PRId32 " "
                          "scales on axis %" PRIu32 ", got %" PRIu32 " on axis %" PRId32,
                          n->index, op_name(n), w->name, channels, axis, w->quant_count,
                          w->quant_axis);
    for (uint32_t c = 0; c < w->quant_count; c++) {
        const int64_t zp = ember_fb_vector_i64(&w->quant_zero_points, c);
        if (zp != 0)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): int8 weights '%s' zero point %" PRIu32 " "
                              "must be 0, got %lld",
                              n->index, op_name(n), w->name, c, (long long)zp);
    }
    return EMBER_STATUS_OK;
}

ember_status ember_check_quant_bias(ember_context *ctx, const ember_node *n,
                                    const ember_tensor *bias, const ember_tensor *in,
                                    const ember_tensor *w, int32_t channels) {
    if (bias->quant_count == 0)
        return EMBER_STATUS_OK;
    if (bias->quant_count != 1 && (int64_t)bias->quant_count != channels)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): int32 bias '%s' needs 1 or %" PRId32 " scales, "
                          "got %" PRIu32,
                          n->index, op_name(n), bias->name, channels, bias->quant_count);
    for (uint32_t c = 0; c < bias->quant_count; c++) {
        const int64_t zp = ember_fb_vector_i64(&bias->quant_zero_points, c);
        const double got = ember_quant_scale(bias, c);
        /* A single bias scale must fit every channel's weight scale. */
        for (uint32_t k = bias->quant_count > 1 ? c : 0;
             k < (bias->quant_count > 1 ? c + 1 : (uint32_t)channels); k++) {
            const double want = (double)in->scale * (double)ember_quant_scale(w, k);
            if (zp != 0 || fabs(got - want) > 1e-6 * fmin(got, want))
                return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                                  "node %" PRIu32 " (%s): int32 bias '%s' channel %" PRIu32 " "
                                  "must have zero point 0 and scale input x weight scale = "
                                  "%.9g, got zero point %lld, scale %.9g",
                                  n->index, op_name(n), bias->name, k, want, (long long)zp, got);
        }
    }
    return EMBER_STATUS_OK;
}

ember_status ember_channel_multipliers(ember_context *ctx, const ember_node *n,
                                       const ember_tensor *in, const ember_tensor *w,
                                       const ember_tensor *out, int32_t channels, int32_t **m,
                                       int32_t **shift) {
    *m = ember_alloc(ctx, (size_t)channels * sizeof(int32_t));
    *shift = ember_alloc(ctx, (size_t)channels * sizeof(int32_t));
    if (*m == NULL || *shift == NULL)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY, "node %" PRIu32 " (%s): out of memory",
                          n->index, op_name(n));
    for (int32_t c = 0; c < channels; c++) {
        const double real = (double)in->scale * (double)ember_quant_scale(w, (uint32_t)c) /
                            (double)out->scale;
        ember_quantize_multiplier(real, &(*m)[c], &(*shift)[c]);
    }
    return EMBER_STATUS_OK;
}

ember_status ember_check_same_quant(ember_context *ctx, const ember_node *n,
                                    const ember_tensor *in, const ember_tensor *out) {
    if (in->type != EMBER_TYPE_INT8 && out->type != EMBER_TYPE_INT8)
        return EMBER_STATUS_OK;
    bool same = in->quant_count == out->quant_count && in->quant_axis == out->quant_axis;
    for (uint32_t q = 0; same && q < in->quant_count; q++)
        same = ember_fb_vector_f32(&in->quant_scales, q) ==
                   ember_fb_vector_f32(&out->quant_scales, q) &&
               ember_fb_vector_i64(&in->quant_zero_points, q) ==
                   ember_fb_vector_i64(&out->quant_zero_points, q);
    if (!same)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): int8 '%s' and '%s' must have the same scale and "
                          "zero point (the op does not requantize), got %.9g/%" PRId32 " and "
                          "%.9g/%" PRId32,
                          n->index, op_name(n), in->name, out->name, (double)in->scale,
                          in->zero_point, (double)out->scale, out->zero_point);
    return EMBER_STATUS_OK;
}

ember_status ember_check_int8_conversion(ember_context *ctx, const ember_node *node,
                                         uint8_t from, uint8_t to) {
    ember_status st = ember_check_arity(ctx, node, 1, 1, 1);
    if (st != EMBER_STATUS_OK || (st = ember_check_params(ctx, node, 0)) != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if ((st = ember_check_type(ctx, node, in, from, "input 0")) != EMBER_STATUS_OK ||
        (st = ember_check_type(ctx, node, out, to, "output")) != EMBER_STATUS_OK)
        return st;
    const ember_tensor *q = from == EMBER_TYPE_INT8 ? in : out;
    if ((st = ember_check_quant_i8(ctx, node, q, from == EMBER_TYPE_INT8 ? "input" : "output")) !=
        EMBER_STATUS_OK)
        return st;
    if (out->rank != in->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): output rank must equal the input rank %u, got %u",
                          node->index, op_name(node), (unsigned)in->rank, (unsigned)out->rank);
    for (uint32_t d = 0; d < in->rank; d++) {
        if (out->dims[d] != in->dims[d])
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): output dim %" PRIu32 " must equal the "
                              "input's %" PRId32 ", got %" PRId32,
                              node->index, op_name(node), d, in->dims[d], out->dims[d]);
    }
    return ember_check_inplace(ctx, node, op_name(node), in, 0, out);
}
