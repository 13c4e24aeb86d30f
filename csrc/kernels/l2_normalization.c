/* L2_NORMALIZATION along the last axis, float32: y = x / max(sqrt(sum(x^2)), 1e-6), the
   epsilon of LiteRT's kernel. The sum of squares runs in double. Node data: l2_data. */
#include <math.h>

#include "ember_internal.h"
#include "kernels/unary.h"

#define L2_EPSILON 1e-6

struct l2_data {
    size_t rows, depth;
};

static ember_status l2_normalization_check(ember_context *ctx, const ember_node *node) {
    const ember_status st = ember_unary_check(ctx, node, "l2_normalization", 0);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (in->rank < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (l2_normalization): input '%s' must have rank >= 1",
                          node->index, in->name);
    return EMBER_STATUS_OK;
}

/* Each row is read fully before it is written, so out may alias in. */
static void ember_l2_normalization_f32_ref(const struct l2_data *d, const float *in,
                                           float *out) {
    for (size_t r = 0; r < d->rows; r++) {
        const float *x = in + r * d->depth;
        float *y = out + r * d->depth;
        double squares = 0.0;
        for (size_t j = 0; j < d->depth; j++)
            squares += (double)x[j] * (double)x[j];
        const double norm = fmax(sqrt(squares), L2_EPSILON);
        for (size_t j = 0; j < d->depth; j++)
            y[j] = (float)((double)x[j] / norm);
    }
}

static ember_status l2_normalization_prepare(ember_context *ctx, ember_node *node) {
    struct l2_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    const ember_tensor *in = ember_input(ctx, node, 0);
    d->depth = (size_t)in->dims[in->rank - 1];
    d->rows = d->depth > 0 ? in->count / d->depth : 0;
    node->data = d;
    return EMBER_STATUS_OK;
}

static ember_status l2_normalization_eval(ember_context *ctx, const ember_node *node) {
    ember_l2_normalization_f32_ref(node->data, ember_input(ctx, node, 0)->data,
                                   ember_output(ctx, node, 0)->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_l2_normalization = {
    EMBER_OP_L2_NORMALIZATION, "l2_normalization", l2_normalization_check,
    l2_normalization_prepare, l2_normalization_eval,
};
