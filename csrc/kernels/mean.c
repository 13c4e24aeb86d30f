/* MEAN over a set of axes, float32 or int8. float32 sums go to a double scratch buffer so
   long reductions (global average pooling of large maps) keep float32 accuracy; int8 sums the
   stored values in int32 scratch and requantizes each sum once with 1/n folded into the
   multiplier, as LiteRT's reference kernel (/work/shared/int8-arithmetic.md, section 5). */
#include <math.h>
#include <string.h>

#include "ember_internal.h"
#include "kernels/quant.h"

/* The input viewed as runs of adjacent axes that are all reduced or all kept (size-1 axes
   dropped), walked in memory order. */
struct mean_data {
    uint32_t groups;
    size_t extent[EMBER_MAX_RANK];
    size_t out_stride[EMBER_MAX_RANK]; /* 0 for reduced groups */
    bool inner_reduced;                /* the last group is reduced */
    size_t in_count, out_count;
    size_t reduce_count;               /* input cells per output cell */
    /* int8 only: sum - in_zp * n requantized by (mult, shift), then out_zp added. */
    int32_t mult, shift, in_zp, out_zp;
};

/* int8 input and output: per-tensor quantization, and a reduced count that keeps the int32
   sum and its zero-point correction defined (LiteRT sums in int32 too). */
static ember_status mean_check_i8(ember_context *ctx, const ember_node *node,
                                  const ember_tensor *in, const ember_tensor *out) {
    ember_status st;
    if ((st = ember_check_quant_i8(ctx, node, in, "input")) ||
        (st = ember_check_quant_i8(ctx, node, out, "output")))
        return st;
    size_t n = in->count / (out->count > 0 ? out->count : 1);
    if (out->count > 0 && (n == 0 || n > (size_t)(INT32_MAX / 256)))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (mean): int8 needs 1..%d reduced elements per "
                          "output, got %zu",
                          node->index, INT32_MAX / 256, n);
    return EMBER_STATUS_OK;
}

static ember_status mean_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 1, 1, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_REDUCE_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    const uint8_t type = in->type == EMBER_TYPE_INT8 ? EMBER_TYPE_INT8 : EMBER_TYPE_FLOAT32;
    if ((st = ember_check_type(ctx, node, in, type, "input")) ||
        (st = ember_check_type(ctx, node, out, type, "output")))
        return st;

    ember_fb_vector axes;
    if (!ember_fb_vector_field(&node->params, EMBER_SLOT_REDUCE_PARAMS_AXES, 4, &axes))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (mean): axes out of bounds", node->index);
    if (axes.len < 1 || axes.len > in->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (mean): expected 1..%u axes, got %" PRIu32, node->index,
                          in->rank, axes.len);
    bool reduced[EMBER_MAX_RANK] = {false};
    int32_t prev = -1;
    for (uint32_t i = 0; i < axes.len; i++) {
        int32_t a = ember_fb_vector_i32(&axes, i);
        if (a <= prev || a >= (int32_t)in->rank)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (mean): axes must be ascending in [0,%u), got "
                              "%" PRId32 " at %" PRIu32,
                              node->index, in->rank, a, i);
        reduced[a] = true;
        prev = a;
    }

    bool keep = out->rank == in->rank;
    if (!keep && out->rank != in->rank - axes.len)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (mean): output rank must be %u or %" PRIu32 ", got %u",
                          node->index, in->rank, in->rank - axes.len, out->rank);
    uint32_t j = 0;
    for (uint32_t i = 0; i < in->rank; i++) {
        if (reduced[i] && !keep)
            continue;
        int32_t want = reduced[i] ? 1 : in->dims[i];
        if (out->dims[j] != want)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (mean): output dim %" PRIu32 " must be "
                              "%" PRId32 ", got %" PRId32,
                              node->index, j, want, out->dims[j]);
        j++;
    }
    return type == EMBER_TYPE_INT8 ? mean_check_i8(ctx, node, in, out) : EMBER_STATUS_OK;
}

static void ember_mean_f32_ref(const struct mean_data *d, const float *in, float *out,
                               double *acc) {
    if (d->out_count == 0)
        return;
    memset(acc, 0, d->out_count * sizeof(*acc));
    const size_t inner = d->extent[d->groups - 1];
    const uint32_t outer_groups = d->groups - 1;
    size_t idx[EMBER_MAX_RANK] = {0};
    size_t o = 0; /* output offset of the current outer index */
    for (size_t done = 0; done < d->in_count; done += inner) {
        if (d->inner_reduced) {
            double s = 0.0;
            for (size_t i = 0; i < inner; i++)
                s += in[i];
            acc[o] += s;
        } else {
            for (size_t i = 0; i < inner; i++)
                acc[o + i] += in[i];
        }
        in += inner;
        for (uint32_t g = outer_groups; g-- > 0;) {
            o += d->out_stride[g];
            if (++idx[g] < d->extent[g])
                break;
            o -= d->out_stride[g] * d->extent[g];
            idx[g] = 0;
        }
    }
    /* With no input cells per output the mean is NaN, like numpy's. */
    const double scale = d->reduce_count > 0 ? 1.0 / (double)d->reduce_count : 0.0;
    for (size_t i = 0; i < d->out_count; i++)
        out[i] = d->reduce_count > 0 ? (float)(acc[i] * scale) : (float)NAN;
}

/* Sums of the stored int8 values per output cell, in wrapping 32-bit arithmetic (check bounds
   the count so real sums never wrap), then one requantization each. */
static void ember_mean_i8_ref(const struct mean_data *d, const int8_t *in, int8_t *out,
                              uint32_t *acc) {
    if (d->out_count == 0)
        return;
    memset(acc, 0, d->out_count * sizeof(*acc));
    const size_t inner = d->extent[d->groups - 1];
    const uint32_t outer_groups = d->groups - 1;
    size_t idx[EMBER_MAX_RANK] = {0};
    size_t o = 0;
    for (size_t done = 0; done < d->in_count; done += inner) {
        if (d->inner_reduced) {
            uint32_t s = 0;
            for (size_t i = 0; i < inner; i++)
                s += (uint32_t)(int32_t)in[i];
            acc[o] += s;
        } else {
            for (size_t i = 0; i < inner; i++)
                acc[o + i] += (uint32_t)(int32_t)in[i];
        }
        in += inner;
        for (uint32_t g = outer_groups; g-- > 0;) {
            o += d->out_stride[g];
            if (++idx[g] < d->extent[g])
                break;
            o -= d->out_stride[g] * d->extent[g];
            idx[g] = 0;
        }
    }
    const uint32_t offset = (uint32_t)d->in_zp * (uint32_t)d->reduce_count;
    for (size_t i = 0; i < d->out_count; i++) {
        const int32_t centred = (int32_t)(acc[i] - offset);
        int32_t v = ember_multiply_by_quantized_multiplier(centred, d->mult, d->shift) + d->out_zp;
        out[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
}

/* LiteRT folds 1/n into the multiplier of s_in / s_out: the mantissa is scaled up by 2^k
   (k = floor(log2 n), at most 32 and at most 31 + shift) before the integer division by n,
   and the exponent lowered by k. */
static void mean_multiplier_i8(struct mean_data *d, const ember_tensor *in,
                               const ember_tensor *out) {
    int32_t m = 0, e = 0;
    ember_quantize_multiplier((double)in->scale / (double)out->scale, &m, &e);
    const uint64_t n = d->reduce_count;
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
    const ember_tensor *in = ember_input(ctx, node, 0);
    ember_fb_vector axes;
    if (!ember_fb_vector_field(&node->params, EMBER_SLOT_REDUCE_PARAMS_AXES, 4, &axes))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (mean): axes out of bounds", node->index);
    bool reduced[EMBER_MAX_RANK] = {false};
    for (uint32_t i = 0; i < axes.len; i++)
        reduced[ember_fb_vector_i32(&axes, i)] = true;

    size_t extent[EMBER_MAX_RANK];
    bool group_reduced[EMBER_MAX_RANK];
    uint32_t groups = 0;
    d->reduce_count = 1;
    for (uint32_t i = 0; i < in->rank; i++) {
        size_t n = (size_t)in->dims[i];
        if (reduced[i])
            d->reduce_count *= n;
        if (n == 1)
            continue;
        if (groups > 0 && group_reduced[groups - 1] == reduced[i]) {
            extent[groups - 1] *= n;
        } else {
            extent[groups] = n;
            group_reduced[groups] = reduced[i];
            groups++;
        }
    }
    if (groups == 0) {
        extent[0] = 1;
        group_reduced[0] = false;
        groups = 1;
    }
    size_t stride = 1;
    for (uint32_t g = groups; g-- > 0;) {
        d->extent[g] = extent[g];
        d->out_stride[g] = group_reduced[g] ? 0 : stride;
        if (!group_reduced[g])
            stride *= extent[g];
    }
    d->groups = groups;
    d->inner_reduced = group_reduced[groups - 1];
    d->in_count = in->count;
    const ember_tensor *out = ember_output(ctx, node, 0);
    d->out_count = out->count;
    const size_t cell = in->type == EMBER_TYPE_INT8 ? sizeof(uint32_t) : sizeof(double);
    if (d->out_count > SIZE_MAX / cell)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "node %" PRIu32 " (mean): %zu outputs need too much scratch", node->index,
                          d->out_count);
    if (in->type == EMBER_TYPE_INT8 && d->out_count > 0)
        mean_multiplier_i8(d, in, out);
    ember_request_scratch(ctx, d->out_count * cell);
    return EMBER_STATUS_OK;
}

static ember_status mean_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (in->type == EMBER_TYPE_INT8) {
        ember_mean_i8_ref(node->data, in->data, ember_output(ctx, node, 0)->data, ctx->scratch);
        return EMBER_STATUS_OK;
    }
    ember_mean_f32_ref(node->data, in->data, ember_output(ctx, node, 0)->data, ctx->scratch);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_mean = {
    EMBER_OP_MEAN, "mean", mean_check, mean_prepare, mean_eval,
};
