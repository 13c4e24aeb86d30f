/* LOG_SOFTMAX along one axis, float32: y = z - m - log(sum(exp(z - m))) with z = beta * x
   and m the largest z of the slice (so no exp overflows). Sums run in double. Node data:
   log_softmax_data.
   int8 follows LiteRT's reference kernel in fixed point: differences to the slice's max in
   Q5.26 as for SOFTMAX (softmax.c), a Q12.19 sum of their exps, its log in Q5.26, and outputs
   d - log(sum) of scale 16/256 and zero point 127 (so [-255/16, 0]). */
#include <math.h>

#include "ember_internal.h"
#include "kernels/fixed_point.h"
#include "kernels/quant.h"
#include "kernels/softmax.h"
#include "kernels/unary.h"

/* Q5.26 differences by (mult, left_shift); reverse_mult * 2^reverse_shift (< 1, shift <= 0)
   maps a Q5.26 value back to a difference of stored values. */
struct log_softmax_i8_params {
    int32_t mult, left_shift, reverse_mult, reverse_shift, diff_min;
};

/* The tensor seen as [outer, n, inner] with the axis in the middle. */
struct log_softmax_data {
    size_t outer, n, inner;
    float beta;
    struct log_softmax_i8_params q;
    /* float32 rows (inner == 1) by a microkernel; NULL: the reference loop */
    const ember_softmax_f32_config *uk;
};

/* LiteRT's int8 rules: per-tensor input and output, the output's scale exactly 16/256 and
   zero point 127, beta * s_in * 2^26 > 1 (a non-negative left shift), and a reverse
   multiplier below 1 (LiteRT aborts otherwise). */
static ember_status log_softmax_i8_params_read(ember_context *ctx, const ember_node *node,
                                               float beta, struct log_softmax_i8_params *q) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    ember_status st = EMBER_STATUS_OK;
    if ((st = ember_check_quant_i8(ctx, node, in, "input")) ||
        (st = ember_check_quant_i8(ctx, node, out, "output")))
        return st;
    if (out->zero_point != 127 || out->scale != 16.0f / 256.0f)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (log_softmax): int8 output '%s' must have scale "
                          "16/256 and zero point 127, got %.9g and %" PRId32,
                          node->index, out->name, (double)out->scale, out->zero_point);
    if ((st = ember_softmax_input_scaling_read(ctx, node, "log_softmax", beta, &q->mult,
                                               &q->left_shift, &q->diff_min)))
        return st;
    /* 2^(31 - left_shift) / mult is the size of one stored step in Q5.26, inverted. */
    const double reverse = ldexp(1.0, 31 - q->left_shift) / (double)q->mult;
    if (!(reverse < 1.0))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (log_softmax): int8 input scale %.9g gives a "
                          "reverse multiplier of 1, which LiteRT refuses",
                          node->index, (double)in->scale);
    ember_quantize_multiplier(reverse, &q->reverse_mult, &q->reverse_shift);
    return EMBER_STATUS_OK;
}

static ember_status log_softmax_check(ember_context *ctx, const ember_node *node) {
    float beta;
    const ember_status st = ember_softmax_check_params(ctx, node, "log_softmax", &beta);
    if (st != EMBER_STATUS_OK || ember_input(ctx, node, 0)->type != EMBER_TYPE_INT8)
        return st;
    struct log_softmax_i8_params q;
    return log_softmax_i8_params_read(ctx, node, beta, &q);
}

/* One slice at a time; each is read fully before it is written, so out may alias in. */
static void ember_log_softmax_f32_ref(const struct log_softmax_data *d, const float *in,
                                      float *out) {
    const size_t n = d->n, inner = d->inner;
    for (size_t o = 0; o < d->outer; o++) {
        for (size_t k = 0; k < inner; k++) {
            const float *x = in + o * n * inner + k;
            float *y = out + o * n * inner + k;
            double m = -INFINITY;
            for (size_t j = 0; j < n; j++)
                m = fmax(m, (double)d->beta * x[j * inner]);
            double sum = 0.0;
            for (size_t j = 0; j < n; j++)
                sum += exp((double)d->beta * x[j * inner] - m);
            const double log_sum = log(sum);
            for (size_t j = 0; j < n; j++)
                y[j * inner] = (float)((double)d->beta * x[j * inner] - m - log_sum);
        }
    }
}

/* The difference d = x - max (<= 0) as a Q5.26 value of beta * s_in * d. */
static int32_t scaled_diff(const struct log_softmax_i8_params *q, int32_t d) {
    return ember_multiply_by_quantized_multiplier(d, q->mult, q->left_shift);
}

/* ln(sum of exp(scaled differences)) of one slice in Q5.26, from a Q12.19 sum. LiteRT's int32
   sum wraps beyond 4096 (and its log is then undefined); this one saturates instead, which is
   the same wherever LiteRT's is defined. */
static int32_t log_sum_of_exps(const struct log_softmax_i8_params *q, const int8_t *x, size_t n,
                               size_t stride, int32_t max) {
    int64_t sum = 0;
    for (size_t j = 0; j < n; j++) {
        const int32_t d = x[j * stride] - max;
        if (d >= q->diff_min)
            sum += ember_rdbpot(
                ember_exp_on_negative_values(scaled_diff(q, d), EMBER_SOFTMAX_DIFF_BITS),
                EMBER_SOFTMAX_SUM_BITS); /* Q0.31 -> Q12.19 */
    }
    /* The max alone contributes 1.0, so sum >= 2^19 > 0. */
    return ember_log_x_ge_1(sum > INT32_MAX ? INT32_MAX : (int32_t)sum, EMBER_SOFTMAX_SUM_BITS,
                            EMBER_SOFTMAX_DIFF_BITS);
}

/* One slice of n values `stride` apart; in place is safe since each output is written after
   its input was last read. */
static void log_softmax_i8_slice(const struct log_softmax_i8_params *q, const int8_t *x,
                                 int8_t *y, size_t n, size_t stride) {
    int32_t max = INT8_MIN;
    for (size_t j = 0; j < n; j++)
        max = x[j * stride] > max ? x[j * stride] : max;
    const int32_t log_sum = log_sum_of_exps(q, x, n, stride, max);
    /* Differences at or below this give outputs at or below -16 (Q5.26 log_sum - 2^31 mapped
       back to stored steps), so they are set to -128 directly, as LiteRT does. */
    const int32_t cut = ember_multiply_by_quantized_multiplier(
        ember_wrap_add(log_sum, INT32_MIN), q->reverse_mult, q->reverse_shift);
    const int32_t min_diff = cut > q->diff_min - 1 ? cut : q->diff_min - 1;
    /* Q5.26 to the output's 4 fractional bits (scale 1/16). */
    const int32_t out_shift = 31 - EMBER_SOFTMAX_DIFF_BITS - 4;
    for (size_t j = 0; j < n; j++) {
        const int32_t d = x[j * stride] - max;
        int32_t v = INT8_MIN;
        if (d > min_diff) {
            v = ember_rdbpot(ember_wrap_sub(scaled_diff(q, d), log_sum), out_shift) + 127;
            v = v > INT8_MAX ? INT8_MAX : (v < INT8_MIN ? INT8_MIN : v);
        }
        y[j * stride] = (int8_t)v;
    }
}

static void ember_log_softmax_i8_ref(const struct log_softmax_data *d, const int8_t *in,
                                     int8_t *out) {
    for (size_t o = 0; o < d->outer; o++) {
        for (size_t k = 0; k < d->inner; k++) {
            const size_t base = o * d->n * d->inner + k;
            log_softmax_i8_slice(&d->q, in + base, out + base, d->n, d->inner);
        }
    }
}

static ember_status log_softmax_prepare(ember_context *ctx, ember_node *node) {
    struct log_softmax_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    int32_t axis;
    const ember_status st =
        ember_softmax_read_params(ctx, node, "log_softmax", &axis, &d->beta);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const bool is_i8 = in->type == EMBER_TYPE_INT8;
    ember_axis_extents(in, (uint32_t)axis, &d->outer, &d->inner);
    d->inner /= ember_type_bytes(in->type); /* elements, not bytes */
    d->n = (size_t)in->dims[axis];
    node->data = d;
    d->uk = NULL;
    if (is_i8)
        return log_softmax_i8_params_read(ctx, node, d->beta, &d->q);
    if (d->inner == 1) {
        d->uk = ember_softmax_f32_select(ctx);
        node->variant = d->uk != NULL ? d->uk->log_softmax_name : NULL;
    }
    return EMBER_STATUS_OK;
}

static ember_status log_softmax_eval(ember_context *ctx, const ember_node *node) {
    if (ember_input(ctx, node, 0)->type == EMBER_TYPE_INT8) {
        ember_log_softmax_i8_ref(node->data, ember_input(ctx, node, 0)->data,
                                 ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    const struct log_softmax_data *d = node->data;
    if (d->uk != NULL)
        ember_softmax_f32_fast(ctx, d->uk->log_softmax, ember_input(ctx, node, 0)->data,
                               ember_output(ctx, node, 0)->data, d->outer, d->n, d->beta);
    else
        ember_log_softmax_f32_ref(d, ember_input(ctx, node, 0)->data,
                                  ember_output(ctx, node, 0)->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_log_softmax = {
    EMBER_OP_LOG_SOFTMAX, "log_softmax", log_softmax_check, log_softmax_prepare,
    log_softmax_eval,
};
