/* MEAN over a set of axes, float32 or int8. float32 sums go to a double scratch buffer so long
   reductions (global average pooling of large maps) keep float32 accuracy; int8 sums the stored
   values in int32 scratch and requantizes each sum once with 1/n folded into the multiplier, as
   LiteRT's reference kernel (docs/int8-arithmetic.md, section 5). The axes walk is
   shared with SUM (reduce.h). */
#include <math.h>

#include "ember_internal.h"
#include "kernels/fixed_point.h"
#include "kernels/quant.h"
#include "kernels/reduce.h"

struct mean_data {
    ember_reduce_plan plan;
    /* int8 only: sum - in_zp * n requantized by (mult, shift), then out_zp added. */
    int32_t mult, shift, in_zp, out_zp;
};

/* int8 input and output: per-tensor quantization, and a reduced count that keeps the int32
   sum and its zero-point correction defined (LiteRT sums in int32 too). */
static ember_status mean_check_i8(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    ember_status st;
    if ((st = ember_check_quant_i8(ctx, node, in, "input")) ||
        (st = ember_check_quant_i8(ctx, node, out, "output")))
        return st;
    size_t n = in->count / (out->count > 0 ? out->count : 1);
    if (out->count > 0 && (n == 0 || n > (size_t)(INT32_MAX / 256)))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (mean): int8 needs 1..%d reduced elements per "
                          "output, got %zu",
                          node->index, (int)(INT32_MAX / 256), n);
    return EMBER_STATUS_OK;
}

static ember_status mean_check(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (in == NULL || in->type != EMBER_TYPE_INT8)
        return ember_reduce_check(ctx, node, "mean", EMBER_TYPE_FLOAT32);
    ember_status st = ember_reduce_check(ctx, node, "mean", EMBER_TYPE_INT8);
    return st != EMBER_STATUS_OK ? st : mean_check_i8(ctx, node);
}

static void ember_mean_f32_ref(const ember_reduce_plan *d, const float *in, float *out,
                               double *acc) {
    ember_reduce_sum_f32(d, in, acc);
    /* With no input cells per output the mean is NaN, like numpy's. */
    const double scale = d->reduce_count > 0 ? 1.0 / (double)d->reduce_count : 0.0;
    for (size_t i = 0; i < d->out_count; i++)
        out[i] = d->reduce_count > 0 ? (float)(acc[i] * scale) : (float)NAN;
}

/* Sums of the stored int8 values per output cell (check bounds the count so real sums never
   wrap), then one requantization each. */
static void ember_mean_i8_ref(const struct mean_data *d, const int8_t *in, int8_t *out,
                              int32_t *acc) {
    ember_reduce_sum_i8(&d->plan, in, acc);
    const uint32_t offset = (uint32_t)d->in_zp * (uint32_t)d->plan.reduce_count;
    for (size_t i = 0; i < d->plan.out_count; i++) {
        const int32_t centred = (int32_t)((uint32_t)acc[i] - offset);
        out[i] = (int8_t)ember_requantize_i8(centred, d->mult, d->shift, d->out_zp, INT8_MIN,
                                             INT8_MAX);
    }
}

/* LiteRT folds 1/n into the multiplier of s_in / s_out: the mantissa is scaled up by 2^k
   (k = floor(log2 n), at most 32 and at most 31 + shift) before the integer division by n,
   and the exponent lowered by k. */
static void mean_multiplier_i8(struct mean_data *d, const ember_tensor *in,
                               const ember_tensor *out) {
    int32_t m = 0, e = 0;
    ember_quantize_multiplier((double)in->scale / (double)out->scale, &m, &e);
    const uint64_t n = d->plan.reduce_count;
    int32_t k = 0;
    while (k < 32 && (UINT64_C(2) << k) <= n)
        k++;
    if (k > 31 + e)
        k = 31 + e;
    if (k < 0)
        k = 0;
    d->mult = (int32_t)(((int64_t)m << k) / (int64_t)n);
    d->shift = e - k;
    d->in_zp = in->zero_point;
    d->out_zp = out->zero_point;
}

static ember_status mean_prepare(ember_context *ctx, ember_node *node) {
    struct mean_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    ember_status st = ember_reduce_plan_init(ctx, node, "mean", &d->plan);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const size_t cell = in->type == EMBER_TYPE_INT8 ? sizeof(int32_t) : sizeof(double);
    if (d->plan.out_count > SIZE_MAX / cell)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "node %" PRIu32 " (mean): %zu outputs need too much scratch", node->index,
                          d->plan.out_count);
    if (in->type == EMBER_TYPE_INT8 && d->plan.out_count > 0)
        mean_multiplier_i8(d, in, ember_output(ctx, node, 0));
    ember_request_scratch(ctx, d->plan.out_count * cell);
    return EMBER_STATUS_OK;
}

static ember_status mean_eval(ember_context *ctx, const ember_node *node) {
    const struct mean_data *d = node->data;
    if (ember_input(ctx, node, 0)->type == EMBER_TYPE_INT8)
        ember_mean_i8_ref(d, ember_input(ctx, node, 0)->data, ember_output(ctx, node, 0)->data,
                          ctx->scratch);
    else
        ember_mean_f32_ref(&d->plan, ember_input(ctx, node, 0)->data,
                           ember_output(ctx, node, 0)->data, ctx->scratch);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_mean = {
    EMBER_OP_MEAN, "mean", mean_check, mean_prepare, mean_eval,
};
