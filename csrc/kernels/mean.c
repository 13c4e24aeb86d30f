/* MEAN over a set of axes, float32 or int8. float32 sums go to a double scratch buffer so long
   reductions (global average pooling of large maps) keep float32 accuracy; int8 sums the stored
   values in int32 scratch and requantizes each sum once with 1/n folded into the multiplier, as
   LiteRT's reference kernel (docs/int8-arithmetic.md, section 5). The axes walk is
   shared with SUM (reduce.h); float32 axes read at eval (input 1) take the reference loop. */
#include <math.h>

#include "ember_internal.h"
#include "kernels/fixed_point.h"
#include "kernels/quant.h"
#include "kernels/reduce.h"
#include "threadpool.h"
#include "ukernels/pool.h"
#include "ukernels/pool_qs8.h"

struct mean_data {
    ember_reduce_plan plan;
    /* float32 over the axes between a batch and the channels (global average pooling of
       NHWC, keep_dims or not): the input as [batch, rows, channels], summed by `uk`; NULL
       when the axes are other or the reference loop is asked for. */
    const ember_pool_f32_config *uk;
    size_t batch, rows, channels;
    /* int8 only: sum - in_zp * n requantized by (mult, shift), then out_zp added; over the
       same axes as `uk` the channel-sum microkernel `uk_i8` with those as `q` (NULL: the
       reference loop). */
    int32_t mult, shift, in_zp, out_zp;
    const ember_pool_qs8_config *uk_i8;
    ember_chansum_qs8_params q;
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

/* The plan is [batch kept]? [rows reduced] [channels kept] with every extent > 0. */
static bool mean_is_channel_sum(struct mean_data *d) {
    const ember_reduce_plan *p = &d->plan;
    const uint32_t g = p->groups;
    if (g < 2 || g > 3 || p->inner_reduced || p->out_stride[g - 2] != 0 || p->in_count == 0)
        return false;
    d->batch = g == 3 ? p->extent[0] : 1;
    d->rows = p->extent[g - 2];
    d->channels = p->extent[g - 1];
    return true;
}

struct mean_task {
    const struct mean_data *d;
    const float *in;
    float *out;
};

/* One batch and channel tile: each channel is summed over the same rows in the same order
   whichever tile or thread holds it, so the outputs do not depend on the thread count. */
static void mean_f32_tile(const void *arg, size_t thread, size_t n, size_t n_len, size_t c,
                          size_t c_len) {
    (void)thread;
    const struct mean_task *t = arg;
    const struct mean_data *d = t->d;
    const double scale = 1.0 / (double)d->rows;
    for (size_t i = n; i < n + n_len; i++)
        d->uk->mean(t->in + i * d->rows * d->channels + c, d->rows, c_len, d->channels, scale,
                    t->out + i * d->channels + c);
}

static void mean_f32_fast(ember_context *ctx, const struct mean_data *d, const float *in,
                          float *out) {
    const struct mean_task t = {d, in, out};
    /* about two channel tiles per thread, in multiples of 16 channels */
    const size_t parts = 2 * ember_thread_count(ctx);
    size_t tile = (d->channels + parts - 1) / parts;
    tile = tile < 16 ? 16 : (tile + 15) / 16 * 16;
    ember_parallel_2d(ctx, mean_f32_tile, &t, d->batch, 1, d->channels, tile);
}

struct mean_i8_task {
    const struct mean_data *d;
    const int8_t *in;
    int8_t *out;
};

/* The int8 twin of mean_f32_tile. */
static void mean_i8_tile(const void *arg, size_t thread, size_t n, size_t n_len, size_t c,
                         size_t c_len) {
    (void)thread;
    const struct mean_i8_task *t = arg;
    const struct mean_data *d = t->d;
    for (size_t i = n; i < n + n_len; i++)
        d->uk_i8->mean(t->in + i * d->rows * d->channels + c, d->rows, c_len, d->channels,
                       &d->q, t->out + i * d->channels + c);
}

static void mean_i8_fast(ember_context *ctx, const struct mean_data *d, const int8_t *in,
                         int8_t *out) {
    const struct mean_i8_task t = {d, in, out};
    const size_t parts = 2 * ember_thread_count(ctx);
    size_t tile = (d->channels + parts - 1) / parts;
    tile = tile < 32 ? 32 : (tile + 31) / 32 * 32;
    ember_parallel_2d(ctx, mean_i8_tile, &t, d->batch, 1, d->channels, tile);
}

/* The channel-sum microkernels for an int8 MEAN whose axes allow them and whose multiplier
   they take (a shift of at most 31, see ember_qs8_split_shift). */
static void mean_select_i8(ember_context *ctx, ember_node *node, struct mean_data *d) {
    d->uk_i8 = NULL;
    if (!mean_is_channel_sum(d) ||
        !ember_qs8_split_shift(d->shift, &d->q.lshift, &d->q.rshift))
        return;
    d->q.offset = (int32_t)((uint32_t)d->in_zp * (uint32_t)d->plan.reduce_count);
    d->q.mult = d->mult;
    d->q.out.out_zp = d->out_zp;
    d->q.out.qmin = INT8_MIN;
    d->q.out.qmax = INT8_MAX;
    d->uk_i8 = ember_pool_qs8_select(ctx);
    node->variant = d->uk_i8 != NULL ? d->uk_i8->mean_name : NULL;
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
    d->uk = NULL;
    d->uk_i8 = NULL;
    ember_status st = ember_reduce_plan_init(ctx, node, "mean", &d->plan);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (in->type == EMBER_TYPE_FLOAT32 && mean_is_channel_sum(d)) {
        d->uk = ember_pool_f32_select(ctx);
        node->variant = d->uk != NULL ? d->uk->mean_name : NULL;
        if (d->uk != NULL)
            return EMBER_STATUS_OK; /* no scratch: the sums stay in registers */
    }
    const size_t cell = in->type == EMBER_TYPE_INT8 ? sizeof(int32_t) : sizeof(double);
    if (d->plan.out_count > SIZE_MAX / cell)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "node %" PRIu32 " (mean): %zu outputs need too much scratch", node->index,
                          d->plan.out_count);
    if (in->type == EMBER_TYPE_INT8 && d->plan.out_count > 0) {
        mean_multiplier_i8(d, in, ember_output(ctx, node, 0));
        mean_select_i8(ctx, node, d);
        if (d->uk_i8 != NULL)
            return EMBER_STATUS_OK; /* no scratch: the sums stay in registers */
    }
    ember_request_scratch(ctx, d->plan.out_count * cell);
    return EMBER_STATUS_OK;
}

/* The reference loop over the stored axes or (float32 only) the run-time ones. */
static ember_status mean_f32_eval(ember_context *ctx, const ember_node *node,
                                  const struct mean_data *d) {
    ember_reduce_plan runtime;
    const ember_reduce_plan *plan;
    const ember_status st = ember_reduce_eval_plan(ctx, node, "mean", &d->plan, &runtime, &plan);
    if (st == EMBER_STATUS_OK)
        ember_mean_f32_ref(plan, ember_input(ctx, node, 0)->data,
                           ember_output(ctx, node, 0)->data, ctx->scratch);
    return st;
}

static ember_status mean_eval(ember_context *ctx, const ember_node *node) {
    const struct mean_data *d = node->data;
    if (d->uk_i8 != NULL)
        mean_i8_fast(ctx, d, ember_input(ctx, node, 0)->data, ember_output(ctx, node, 0)->data);
    else if (ember_input(ctx, node, 0)->type == EMBER_TYPE_INT8)
        ember_mean_i8_ref(d, ember_input(ctx, node, 0)->data, ember_output(ctx, node, 0)->data,
                          ctx->scratch);
    else if (d->uk != NULL)
        mean_f32_fast(ctx, d, ember_input(ctx, node, 0)->data, ember_output(ctx, node, 0)->data);
    else
        return mean_f32_eval(ctx, node, d);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_mean = {
    EMBER_OP_MEAN, "mean", mean_check, mean_prepare, mean_eval,
};
