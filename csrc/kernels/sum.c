/* SUM over a set of axes, float32, accumulated in a double scratch buffer; the axes walk is
   shared with MEAN (reduce.h). Node data: ember_reduce_plan. */
#include "ember_internal.h"
#include "kernels/reduce.h"

static ember_status sum_check(ember_context *ctx, const ember_node *node) {
    return ember_reduce_check(ctx, node, "sum", EMBER_TYPE_FLOAT32);
}

static void ember_sum_f32_ref(const ember_reduce_plan *d, const float *in, float *out,
                              double *acc) {
    ember_reduce_sum_f32(d, in, acc);
    for (size_t i = 0; i < d->out_count; i++)
        out[i] = (float)acc[i];
}

static ember_status sum_prepare(ember_context *ctx, ember_node *node) {
    ember_reduce_plan *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    const ember_status st = ember_reduce_plan_init(ctx, node, "sum", d);
    if (st != EMBER_STATUS_OK)
        return st;
    if (d->out_count > SIZE_MAX / sizeof(double))
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "node %" PRIu32 " (sum): %zu outputs need too much scratch", node->index,
                          d->out_count);
    ember_request_scratch(ctx, d->out_count * sizeof(double));
    return EMBER_STATUS_OK;
}

static ember_status sum_eval(ember_context *ctx, const ember_node *node) {
    ember_sum_f32_ref(node->data, ember_input(ctx, node, 0)->data,
                      ember_output(ctx, node, 0)->data, ctx->scratch);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_sum = {
    EMBER_OP_SUM, "sum", sum_check, sum_prepare, sum_eval,
};
