/* PRELU: out = x for x >= 0, alpha * x otherwise; inputs (x, alpha), alpha broadcasting
   against x, float32 or int8. int8 follows LiteRT's reference: the two branches have their
   own multipliers, s_in/s_out and s_in*s_alpha/s_out, each computed in float32.
   Node data: ember_binary_data (float) or prelu_i8_data. */
#include "ember_internal.h"
#include "kernels/broadcast.h"
#include "kernels/fixed_point.h"
#include "kernels/quant.h"

struct prelu_i8_params {
    int32_t in_zp, alpha_zp, out_zp;
    int32_t pos_mult, pos_shift; /* x >= 0: s_in / s_out */
    int32_t neg_mult, neg_shift; /* x < 0: s_in * s_alpha / s_out */
};

struct prelu_i8_data {
    ember_broadcast bc;
    struct prelu_i8_params q;
};

static ember_status prelu_i8_params_read(ember_context *ctx, const ember_node *node,
                                         struct prelu_i8_params *q) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *alpha = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    ember_status st = EMBER_STATUS_OK;
    if ((st = ember_check_quant_i8(ctx, node, x, "input")) ||
        (st = ember_check_quant_i8(ctx, node, alpha, "alpha")) ||
        (st = ember_check_quant_i8(ctx, node, out, "output")))
        return st;
    /* float32 ratios, as LiteRT computes them before widening to double */
    const float pos = x->scale / out->scale;
    const float neg = x->scale * alpha->scale / out->scale;
    ember_quantize_multiplier((double)pos, &q->pos_mult, &q->pos_shift);
    ember_quantize_multiplier((double)neg, &q->neg_mult, &q->neg_shift);
    q->in_zp = x->zero_point;
    q->alpha_zp = alpha->zero_point;
    q->out_zp = out->zero_point;
    return EMBER_STATUS_OK;
}

static ember_status prelu_check(ember_context *ctx, const ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    const uint8_t type = x != NULL && x->type == EMBER_TYPE_INT8 ? EMBER_TYPE_INT8
                                                                 : EMBER_TYPE_FLOAT32;
    ember_status st = ember_check_params(ctx, node, 0);
    if (st == EMBER_STATUS_OK)
        st = ember_binary_check_type(ctx, node, "prelu", type);
    if (st != EMBER_STATUS_OK)
        return st;
    /* The broadcast output was checked; it must also be x's own shape. */
    const ember_tensor *out = ember_output(ctx, node, 0);
    bool same = out->rank == x->rank;
    for (uint32_t d = 0; same && d < out->rank; d++)
        same = out->dims[d] == x->dims[d];
    if (!same)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (prelu): alpha '%s' must broadcast to the shape of "
                          "input '%s' (rank %u); the broadcast output '%s' has rank %u or "
                          "larger dims",
                          node->index, ember_input(ctx, node, 1)->name, x->name,
                          (unsigned)x->rank, out->name, (unsigned)out->rank);
    if (type != EMBER_TYPE_INT8)
        return EMBER_STATUS_OK;
    struct prelu_i8_params q;
    return prelu_i8_params_read(ctx, node, &q);
}

static void prelu_row(float *out, const float *x, size_t x_step, const float *alpha,
                      size_t a_step, size_t n, float lo, float hi) {
    (void)lo;
    (void)hi;
    for (size_t i = 0; i < n; i++) {
        const float v = x[i * x_step];
        out[i] = v < 0.0f ? alpha[i * a_step] * v : v;
    }
}

static void ember_prelu_f32_ref(const ember_broadcast *bc, const float *x, const float *alpha,
                                float *out) {
    ember_broadcast_f32(bc, x, alpha, out, prelu_row, 0.0f, 0.0f);
}

static void prelu_row_i8(int8_t *out, const int8_t *x, size_t x_step, const int8_t *alpha,
                         size_t a_step, size_t n, const void *params) {
    const struct prelu_i8_params *q = params;
    for (size_t i = 0; i < n; i++) {
        const int32_t v = x[i * x_step] - q->in_zp;
        int32_t y;
        if (v >= 0)
            y = ember_multiply_by_quantized_multiplier(v, q->pos_mult, q->pos_shift);
        else
            y = ember_multiply_by_quantized_multiplier(v * (alpha[i * a_step] - q->alpha_zp),
                                                       q->neg_mult, q->neg_shift);
        y += q->out_zp;
        out[i] = (int8_t)(y < -128 ? -128 : y > 127 ? 127 : y);
    }
}

static void ember_prelu_i8_ref(const struct prelu_i8_data *d, const int8_t *x,
                               const int8_t *alpha, int8_t *out) {
    ember_broadcast_i8(&d->bc, x, alpha, out, prelu_row_i8, &d->q);
}

static ember_status prelu_prepare(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    if (x->type != EMBER_TYPE_INT8) {
        const ember_status st = ember_binary_prepare(ctx, node);
        if (st == EMBER_STATUS_OK)
            ember_binary_select_f32(ctx, node, EMBER_VBINARY_PRELU);
        return st;
    }
    struct prelu_i8_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    ember_broadcast_init(&d->bc, x, ember_input(ctx, node, 1), ember_output(ctx, node, 0));
    return prelu_i8_params_read(ctx, node, &d->q);
}

static ember_status prelu_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *alpha = ember_input(ctx, node, 1);
    if (x->type == EMBER_TYPE_INT8) {
        ember_prelu_i8_ref(node->data, x->data, alpha->data, ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    const ember_binary_data *data = node->data;
    if (data->ops != NULL) {
        ember_binary_run_f32(ctx, data, x->data, alpha->data, ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    ember_prelu_f32_ref(&data->bc, x->data, alpha->data, ember_output(ctx, node, 0)->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_prelu = {
    EMBER_OP_PRELU, "prelu", prelu_check, prelu_prepare, prelu_eval,
};
