/* MEAN over a set of axes, float32. Sums go to a double scratch buffer so long reductions
   (global average pooling of large maps) keep float32 accuracy. */
#include <math.h>
#include <string.h>

#include "ember_internal.h"

/* The input viewed as runs of adjacent axes that are all reduced or all kept (size-1 axes
   dropped), walked in memory order. */
struct mean_data {
    uint32_t groups;
    size_t extent[EMBER_MAX_RANK];
    size_t out_stride[EMBER_MAX_RANK]; /* 0 for reduced groups */
    bool inner_reduced;                /* the last group is reduced */
    size_t in_count, out_count;
    size_t reduce_count;               /* input cells per output cell */
};

static ember_status mean_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 1, 1, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_REDUCE_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if ((st = ember_check_type(ctx, node, in, EMBER_TYPE_FLOAT32, "input")) ||
        (st = ember_check_type(ctx, node, out, EMBER_TYPE_FLOAT32, "output")))
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
    return EMBER_STATUS_OK;
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
    d->out_count = ember_output(ctx, node, 0)->count;
    if (d->out_count > SIZE_MAX / sizeof(double))
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "node %" PRIu32 " (mean): %zu outputs need too much scratch", node->index,
                          d->out_count);
    ember_request_scratch(ctx, d->out_count * sizeof(double));
    return EMBER_STATUS_OK;
}

static ember_status mean_eval(ember_context *ctx, const ember_node *node) {
    ember_mean_f32_ref(node->data, ember_input(ctx, node, 0)->data,
                       ember_output(ctx, node, 0)->data, ctx->scratch);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_mean = {
    EMBER_OP_MEAN, "mean", mean_check, mean_prepare, mean_eval,
};
