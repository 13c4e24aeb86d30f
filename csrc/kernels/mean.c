/* MEAN over a set of axes, float32. Sums go to a double scratch buffer so long reductions
   (global average pooling of large maps) keep float32 accuracy. The axes walk is shared with
   SUM (reduce.h). Node data: ember_reduce_plan. */
#include <math.h>

#include "ember_internal.h"
#include "kernels/reduce.h"

static ember_status mean_check(ember_context *ctx, const ember_node *node) {
    return ember_reduce_check(ctx, node, "mean", EMBER_TYPE_FLOAT32);
}

static void ember_mean_f32_ref(const ember_reduce_plan *d, const float *in, float *out,
                               double *acc) {
    ember_reduce_sum_f32(d, in, acc);
    /* With no input cells per output the mean is NaN, like numpy's. */
    const double scale = d->reduce_count > 0 ? 1.0 / (double)d->reduce_count : 0.0;
    for (size_t i = 0; i < d->out_count; i++)
        out[i] = d->reduce_count > 0 ? (float)(acc[i] * scale) : (float)NAN;
}

static ember_status mean_prepare(ember_context *ctx, ember_node *node) {
    ember_reduce_plan *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    const ember_status st = ember_reduce_plan_init(ctx, node, "mean", d);
    if (st != EMBER_STATUS_OK)
        return st;
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
