/* SOFTMAX: y = exp(beta * x - m) / sum(exp(beta * x - m)) along one axis, where m is the
   largest beta * x in the slice, so no exp overflows whatever the logits. */
#include <math.h>

#include "ember_internal.h"
#include "kernels/unary.h"

/* The tensor seen as [outer, n, inner] with the softmax axis in the middle. */
struct softmax_data {
    size_t outer, n, inner;
    float beta;
};

static ember_status read_params(ember_context *ctx, const ember_node *node, int32_t *axis,
                                float *beta) {
    if (!ember_fb_i32(&node->params, EMBER_SLOT_SOFTMAX_PARAMS_AXIS, 0, axis))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (softmax): axis field is out of bounds", node->index);
    return ember_unary_param_f32(ctx, node, "softmax", EMBER_SLOT_SOFTMAX_PARAMS_BETA, 1.0f,
                                 "beta", false, beta);
}

static ember_status softmax_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_unary_check(ctx, node, "softmax", EMBER_OP_PARAMS_SOFTMAX_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    int32_t axis;
    float beta;
    st = read_params(ctx, node, &axis, &beta);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (axis < 0 || (uint32_t)axis >= in->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (softmax): axis must be in [0, %u) for a rank-%u "
                          "input, got %" PRId32,
                          node->index, (unsigned)in->rank, (unsigned)in->rank, axis);
    return EMBER_STATUS_OK;
}

/* Softmax of each contiguous row of n values (inner == 1). */
static void softmax_rows(const struct softmax_data *d, const float *in, float *out) {
    const size_t n = d->n;
    const float beta = d->beta;
    for (size_t o = 0; o < d->outer; o++) {
        const float *x = in + o * n;
        float *y = out + o * n;
        float m = -INFINITY;
        for (size_t j = 0; j < n; j++)
            m = beta * x[j] > m ? beta * x[j] : m;
        float sum = 0.0f;
        for (size_t j = 0; j < n; j++) {
            y[j] = expf(beta * x[j] - m);
            sum += y[j];
        }
        const float inv = 1.0f / sum;
        for (size_t j = 0; j < n; j++)
            y[j] *= inv;
    }
}

/* Softmax along a strided axis: the inner positions are processed side by side, keeping one
   running max and sum per position in scratch, so every pass reads memory in order. */
static void softmax_strided(const struct softmax_data *d, const float *in, float *out,
                            float *scratch) {
    const size_t n = d->n, inner = d->inner;
    const float beta = d->beta;
    float *m = scratch, *sum = scratch + inner;
    for (size_t o = 0; o < d->outer; o++) {
        const float *x = in + o * n * inner;
        float *y = out + o * n * inner;
        for (size_t k = 0; k < inner; k++) {
            m[k] = -INFINITY;
            sum[k] = 0.0f;
        }
        for (size_t j = 0; j < n; j++) {
            const float *xr = x + j * inner;
            for (size_t k = 0; k < inner; k++)
                m[k] = beta * xr[k] > m[k] ? beta * xr[k] : m[k];
        }
        for (size_t j = 0; j < n; j++) {
            const float *xr = x + j * inner;
            float *yr = y + j * inner;
            for (size_t k = 0; k < inner; k++) {
                yr[k] = expf(beta * xr[k] - m[k]);
                sum[k] += yr[k];
            }
        }
        for (size_t k = 0; k < inner; k++)
            sum[k] = 1.0f / sum[k];
        for (size_t j = 0; j < n; j++) {
            float *yr = y + j * inner;
            for (size_t k = 0; k < inner; k++)
                yr[k] *= sum[k];
        }
    }
}

/* In place (out == in) is safe: each pass reads an element before writing the same one. */
static void ember_softmax_f32_ref(const struct softmax_data *d, const float *in, float *out,
                                  float *scratch) {
    if (d->outer == 0 || d->n == 0 || d->inner == 0)
        return;
    if (d->inner == 1)
        softmax_rows(d, in, out);
    else
        softmax_strided(d, in, out, scratch);
}

static ember_status softmax_prepare(ember_context *ctx, ember_node *node) {
    int32_t axis;
    float beta;
    const ember_status st = read_params(ctx, node, &axis, &beta);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    struct softmax_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    d->outer = d->inner = 1;
    for (uint32_t i = 0; i < in->rank; i++) {
        if (i < (uint32_t)axis)
            d->outer *= (size_t)in->dims[i];
        else if (i > (uint32_t)axis)
            d->inner *= (size_t)in->dims[i];
    }
    d->n = (size_t)in->dims[axis];
    d->beta = beta;
    if (d->inner > 1) {
        if (d->inner > SIZE_MAX / (2 * sizeof(float)))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (softmax): %zu positions after the axis need too "
                              "much scratch",
                              node->index, d->inner);
        ember_request_scratch(ctx, 2 * d->inner * sizeof(float));
    }
    node->data = d;
    return EMBER_STATUS_OK;
}

static ember_status softmax_eval(ember_context *ctx, const ember_node *node) {
    ember_softmax_f32_ref(node->data, ember_input(ctx, node, 0)->data,
                          ember_output(ctx, node, 0)->data, ctx->scratch);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_softmax = {
    EMBER_OP_SOFTMAX, "softmax", softmax_check, softmax_prepare, softmax_eval,
};
