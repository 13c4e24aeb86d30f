/* L2_NORMALIZATION along the last axis. float32: y = x / max(sqrt(sum(x^2)), 1e-6), the
   epsilon of LiteRT's kernel, with the sum of squares in double. int8 (LiteRT's reference):
   the output is fixed at scale 1/128 and zero point 0; per row, acc = sum((q - zp)^2) in
   int32 gives an inverse-sqrt multiplier (fixed_point.h) and out = clamp(MBQM(q - zp, m,
   shift + 7)). Node data: l2_data. */
#include <math.h>

#include "ember_internal.h"
#include "kernels/fixed_point.h"
#include "kernels/quant.h"
#include "kernels/unary.h"

#define L2_EPSILON 1e-6
#define L2_I8_OUTPUT_SHIFT 7 /* the output's scale is 2^-7 */

struct l2_data {
    size_t rows, depth;
    int32_t in_zp; /* int8 */
};

static ember_status check_i8(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 1, 1, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, 0);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if ((st = ember_check_type(ctx, node, out, EMBER_TYPE_INT8, "output")) ||
        (st = ember_check_quant_i8(ctx, node, in, "input")) ||
        (st = ember_check_quant_i8(ctx, node, out, "output")))
        return st;
    if ((double)out->scale != 1.0 / 128.0 || out->zero_point != 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (l2_normalization): int8 output '%s' must have scale "
                          "1/128 and zero point 0, got %.9g and %" PRId32,
                          node->index, out->name, (double)out->scale, out->zero_point);
    if ((st = ember_check_same_shape(ctx, node, "l2_normalization", in, out)))
        return st;
    return ember_check_inplace(ctx, node, "l2_normalization", in, 0, out);
}

static ember_status l2_normalization_check(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_status st = in != NULL && in->type == EMBER_TYPE_INT8
                                ? check_i8(ctx, node)
                                : ember_unary_check(ctx, node, "l2_normalization", 0);
    if (st != EMBER_STATUS_OK)
        return st;
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

/* Each row is read fully before it is written, so out may alias in. */
static void ember_l2_normalization_i8_ref(const struct l2_data *d, const int8_t *in,
                                          int8_t *out) {
    for (size_t r = 0; r < d->rows; r++) {
        const int8_t *x = in + r * d->depth;
        int8_t *y = out + r * d->depth;
        uint32_t acc = 0; /* int32 that wraps, as LiteRT's; real rows never come close */
        for (size_t j = 0; j < d->depth; j++) {
            const int32_t v = x[j] - d->in_zp;
            acc += (uint32_t)(v * v);
        }
        int32_t m, shift;
        ember_inv_sqrt_multiplier((int32_t)acc, -1, &m, &shift);
        for (size_t j = 0; j < d->depth; j++) {
            const int32_t v = ember_multiply_by_quantized_multiplier(x[j] - d->in_zp, m,
                                                                     shift + L2_I8_OUTPUT_SHIFT);
            y[j] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
        }
    }
}

static ember_status l2_normalization_prepare(ember_context *ctx, ember_node *node) {
    struct l2_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    const ember_tensor *in = ember_input(ctx, node, 0);
    d->depth = (size_t)in->dims[in->rank - 1];
    d->rows = d->depth > 0 ? in->count / d->depth : 0;
    d->in_zp = in->type == EMBER_TYPE_INT8 ? in->zero_point : 0;
    node->data = d;
    return EMBER_STATUS_OK;
}

static ember_status l2_normalization_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (in->type == EMBER_TYPE_INT8) {
        ember_l2_normalization_i8_ref(node->data, in->data, ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    ember_l2_normalization_f32_ref(node->data, ember_input(ctx, node, 0)->data,
                                   ember_output(ctx, node, 0)->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_l2_normalization = {
    EMBER_OP_L2_NORMALIZATION, "l2_normalization", l2_normalization_check,
    l2_normalization_prepare, l2_normalization_eval,
};
