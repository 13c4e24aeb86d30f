/* ADD: out = a + b with numpy broadcasting and an optional fused activation.
   Node data: ember_binary_data (broadcast.h), shared with the other binary ops. */
#include "ember_internal.h"
#include "kernels/broadcast.h"
#include "kernels/quant.h"

/* LiteRT's int8 ADD: both inputs are moved to a common scale (2 x the larger input scale) with
   20 bits of headroom, added, and the sum requantized to the output. */
#define ADD_I8_LEFT_SHIFT 20

struct add_i8_params {
    int32_t a_zp, b_zp, out_zp;
    int32_t a_mult, a_shift, b_mult, b_shift, out_mult, out_shift;
    int32_t q_min, q_max;
};

struct add_i8_data {
    ember_broadcast bc;
    struct add_i8_params q;
};

/* Multipliers and zero points of an int8 ADD; the output multiplier must be < 1 because LiteRT
   applies it with a right shift only. */
static ember_status add_i8_params_read(ember_context *ctx, const ember_node *node,
                                       struct add_i8_params *q) {
    const ember_tensor *a = ember_input(ctx, node, 0);
    const ember_tensor *b = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    uint8_t act = 0;
    ember_status st = EMBER_STATUS_OK;
    if ((st = ember_check_quant_i8(ctx, node, a, "input 0")) ||
        (st = ember_check_quant_i8(ctx, node, b, "input 1")) ||
        (st = ember_check_quant_i8(ctx, node, out, "output")))
        return st;
    if (!ember_fb_u8(&node->params, EMBER_SLOT_BINARY_PARAMS_ACTIVATION, 0, &act))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (add): activation field is out of bounds",
                          node->index);
    if ((st = ember_activation_range_i8(ctx, node, act, out, &q->q_min, &q->q_max)))
        return st;
    const double twice_max = 2.0 * (double)(a->scale > b->scale ? a->scale : b->scale);
    ember_quantize_multiplier((double)a->scale / twice_max, &q->a_mult, &q->a_shift);
    ember_quantize_multiplier((double)b->scale / twice_max, &q->b_mult, &q->b_shift);
    ember_quantize_multiplier(twice_max / ((double)(1 << ADD_I8_LEFT_SHIFT) * out->scale),
                              &q->out_mult, &q->out_shift);
    if (q->out_shift > 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (add): int8 output scale %.9g is too small for "
                          "input scales %.9g and %.9g (needs > 2 x the larger / 2^20)",
                          node->index, (double)out->scale, (double)a->scale, (double)b->scale);
    q->a_zp = a->zero_point;
    q->b_zp = b->zero_point;
    q->out_zp = out->zero_point;
    return EMBER_STATUS_OK;
}

static ember_status add_check(ember_context *ctx, const ember_node *node) {
    const ember_tensor *a = ember_input(ctx, node, 0);
    if (a == NULL || a->type != EMBER_TYPE_INT8)
        return ember_binary_check(ctx, node, "add");
    struct add_i8_params q;
    ember_status st = ember_binary_check_type(ctx, node, "add", EMBER_TYPE_INT8);
    return st != EMBER_STATUS_OK ? st : add_i8_params_read(ctx, node, &q);
}

/* Steps are 0 or 1, and 0 on both sides only for a one-element row, so a zero step on one
   side means the other side runs contiguously; each case is a plain vectorisable loop. */
static void add_row(float *out, const float *a, size_t a_step, const float *b, size_t b_step,
                    size_t n, float lo, float hi) {
    if (a_step == 0) {
        const float x = a[0];
        for (size_t i = 0; i < n; i++)
            out[i] = ember_clamp_f32(x + b[i], lo, hi);
    } else if (b_step == 0) {
        const float y = b[0];
        for (size_t i = 0; i < n; i++)
            out[i] = ember_clamp_f32(a[i] + y, lo, hi);
    } else {
        for (size_t i = 0; i < n; i++)
            out[i] = ember_clamp_f32(a[i] + b[i], lo, hi);
    }
}

static void ember_add_f32_ref(const ember_broadcast *bc, const float *a, const float *b,
                              float *out, float lo, float hi) {
    ember_broadcast_f32(bc, a, b, out, add_row, lo, hi);
}

static void add_row_i8(int8_t *out, const int8_t *a, size_t a_step, const int8_t *b,
                       size_t b_step, size_t n, const void *params) {
    const struct add_i8_params *q = params;
    for (size_t i = 0; i < n; i++) {
        const int32_t x = (a[i * a_step] - q->a_zp) * (1 << ADD_I8_LEFT_SHIFT);
        const int32_t y = (b[i * b_step] - q->b_zp) * (1 << ADD_I8_LEFT_SHIFT);
        const int32_t sum =
            ember_multiply_by_quantized_multiplier(x, q->a_mult, q->a_shift) +
            ember_multiply_by_quantized_multiplier(y, q->b_mult, q->b_shift);
        int32_t v = ember_multiply_by_quantized_multiplier(sum, q->out_mult, q->out_shift) +
                    q->out_zp;
        v = v < q->q_min ? q->q_min : v > q->q_max ? q->q_max : v;
        out[i] = (int8_t)v;
    }
}

static void ember_add_i8_ref(const struct add_i8_data *d, const int8_t *a, const int8_t *b,
                             int8_t *out) {
    ember_broadcast_i8(&d->bc, a, b, out, add_row_i8, &d->q);
}

static ember_status add_prepare(ember_context *ctx, ember_node *node) {
    const ember_tensor *a = ember_input(ctx, node, 0);
    if (a->type != EMBER_TYPE_INT8)
        return ember_binary_prepare(ctx, node);
    struct add_i8_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    ember_broadcast_init(&d->bc, a, ember_input(ctx, node, 1), ember_output(ctx, node, 0));
    return add_i8_params_read(ctx, node, &d->q);
}

static ember_status add_eval(ember_context *ctx, const ember_node *node) {
    if (ember_input(ctx, node, 0)->type == EMBER_TYPE_INT8) {
        ember_add_i8_ref(node->data, ember_input(ctx, node, 0)->data,
                         ember_input(ctx, node, 1)->data, ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    const ember_binary_data *data = node->data;
    ember_add_f32_ref(&data->bc, ember_input(ctx, node, 0)->data, ember_input(ctx, node, 1)->data,
                      ember_output(ctx, node, 0)->data, data->lo, data->hi);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_add = {
    EMBER_OP_ADD, "add", add_check, add_prepare, add_eval,
};
