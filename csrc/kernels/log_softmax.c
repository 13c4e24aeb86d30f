/* LOG_SOFTMAX along one axis, float32: y = z - m - log(sum(exp(z - m))) with z = beta * x
   and m the largest z of the slice (so no exp overflows). Sums run in double. Node data:
   log_softmax_data. */
#include <math.h>

#include "ember_internal.h"
#include "kernels/unary.h"

/* The tensor seen as [outer, n, inner] with the axis in the middle. */
struct log_softmax_data {
    size_t outer, n, inner;
    float beta;
};

static ember_status read_params(ember_context *ctx, const ember_node *node, int32_t *axis,
                                float *beta) {
    if (!ember_fb_i32(&node->params, EMBER_SLOT_SOFTMAX_PARAMS_AXIS, 0, axis))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (log_softmax): axis field is out of bounds",
                          node->index);
    return ember_unary_param_f32(ctx, node, "log_softmax", EMBER_SLOT_SOFTMAX_PARAMS_BETA, 1.0f,
                                 "beta", false, beta);
}

static ember_status log_softmax_check(ember_context *ctx, const ember_node *node) {
    ember_status st =
        ember_unary_check(ctx, node, "log_softmax", EMBER_OP_PARAMS_SOFTMAX_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    int32_t axis;
    float beta;
    if ((st = read_params(ctx, node, &axis, &beta)))
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (axis < 0 || (uint32_t)axis >= in->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (log_softmax): axis must be in [0, %u) for a "
                          "rank-%u input, got %" PRId32,
                          node->index, (unsigned)in->rank, (unsigned)in->rank, axis);
    return EMBER_STATUS_OK;
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

static ember_status log_softmax_prepare(ember_context *ctx, ember_node *node) {
    struct log_softmax_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    int32_t axis;
    const ember_status st = read_params(ctx, node, &axis, &d->beta);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    ember_axis_extents(in, (uint32_t)axis, &d->outer, &d->inner);
    d->inner /= sizeof(float);
    d->n = (size_t)in->dims[axis];
    node->data = d;
    return EMBER_STATUS_OK;
}

static ember_status log_softmax_eval(ember_context *ctx, const ember_node *node) {
    ember_log_softmax_f32_ref(node->data, ember_input(ctx, node, 0)->data,
                              ember_output(ctx, node, 0)->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_log_softmax = {
    EMBER_OP_LOG_SOFTMAX, "log_softmax", log_softmax_check, log_softmax_prepare,
    log_softmax_eval,
};
