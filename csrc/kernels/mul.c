/* MUL: out = a * b with numpy broadcasting and an optional fused activation; plain integers
   (int8 to uint64, no quantization parameters) wrap modulo 2^width, as ONNX Runtime's (no
   activation).
   Node data: ember_binary_data (broadcast.h), shared with the other binary ops, or for int8
   mul_i8_data: LiteRT's reference int8 MUL multiplies the zero-point-corrected inputs in int32
   and requantizes the product once by f32(s_a * s_b / s_out) (docs/int8-arithmetic.md,
   section 4; the ratio is computed in float32, as LiteRT does). */
#include "ember_internal.h"
#include "kernels/broadcast.h"
#include "kernels/elementwise_qs8.h"
#include "kernels/fixed_point.h"
#include "kernels/quant.h"

struct mul_i8_data {
    ember_broadcast bc;
    ember_binary_i8_params q;
    ember_binary_qs8 fast; /* the microkernels, or ops NULL: the reference loop */
};

static ember_status mul_i8_params_read(ember_context *ctx, const ember_node *node,
                                       ember_binary_i8_params *q) {
    const ember_status st = ember_binary_i8_params_read(ctx, node, "mul", q);
    if (st != EMBER_STATUS_OK)
        return st;
    /* Each float32 operation rounds to float32 on its own, as in LiteRT's C++. */
    const float product = ember_input(ctx, node, 0)->scale * ember_input(ctx, node, 1)->scale;
    const float ratio = product / ember_output(ctx, node, 0)->scale;
    ember_quantize_multiplier((double)ratio, &q->mult, &q->shift);
    return EMBER_STATUS_OK;
}

static ember_status mul_check(ember_context *ctx, const ember_node *node) {
    if (ember_binary_is_int(ctx, node))
        return ember_binary_check_int(ctx, node, "mul");
    const ember_tensor *a = ember_input(ctx, node, 0);
    if (a == NULL || a->type != EMBER_TYPE_INT8)
        return ember_binary_check(ctx, node, "mul");
    ember_binary_i8_params q;
    ember_status st = ember_binary_check_type(ctx, node, "mul", EMBER_TYPE_INT8);
    return st != EMBER_STATUS_OK ? st : mul_i8_params_read(ctx, node, &q);
}

/* Steps are 0 or 1, and 0 on both sides only for a one-element row, so a zero step on one
   side means the other side runs contiguously; each case is a plain vectorisable loop. */
static void mul_row(float *out, const float *a, size_t a_step, const float *b, size_t b_step,
                    size_t n, float lo, float hi) {
    if (a_step == 0) {
        const float x = a[0];
        for (size_t i = 0; i < n; i++)
            out[i] = ember_clamp_f32(x * b[i], lo, hi);
    } else if (b_step == 0) {
        const float y = b[0];
        for (size_t i = 0; i < n; i++)
            out[i] = ember_clamp_f32(a[i] * y, lo, hi);
    } else {
        for (size_t i = 0; i < n; i++)
            out[i] = ember_clamp_f32(a[i] * b[i], lo, hi);
    }
}

static void ember_mul_f32_ref(const ember_broadcast *bc, const float *a, const float *b,
                              float *out, float lo, float hi) {
    ember_broadcast_f32(bc, a, b, out, mul_row, lo, hi);
}

/* uint32_t and uint64_t are at least int's width, so neither is promoted to a signed int. */
EMBER_INT_ROWS(mul_rows_int, (W)x * (W)y)

/* Operands within [-255, 255] each, so the int32 product cannot overflow. */
static void mul_row_i8(int8_t *out, const int8_t *a, size_t a_step, const int8_t *b,
                       size_t b_step, size_t n, const void *params) {
    const ember_binary_i8_params *q = params;
    for (size_t i = 0; i < n; i++) {
        const int32_t product = (a[i * a_step] - q->a_zp) * (b[i * b_step] - q->b_zp);
        out[i] = (int8_t)ember_requantize_i8(product, q->mult, q->shift, q->out_zp, q->q_min,
                                             q->q_max);
    }
}

static void ember_mul_i8_ref(const struct mul_i8_data *d, const int8_t *a, const int8_t *b,
                             int8_t *out) {
    ember_broadcast_i8(&d->bc, a, b, out, mul_row_i8, &d->q);
}

static ember_status mul_prepare(ember_context *ctx, ember_node *node) {
    const ember_tensor *a = ember_input(ctx, node, 0);
    if (ember_binary_is_int(ctx, node))
        return ember_binary_prepare(ctx, node);
    if (a->type != EMBER_TYPE_INT8) {
        const ember_status st = ember_binary_prepare(ctx, node);
        if (st == EMBER_STATUS_OK)
            ember_binary_select_f32(ctx, node, EMBER_VBINARY_MUL);
        return st;
    }
    struct mul_i8_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    d->fast.ops = NULL;
    ember_broadcast_init(&d->bc, a, ember_input(ctx, node, 1), ember_output(ctx, node, 0));
    const ember_status st = mul_i8_params_read(ctx, node, &d->q);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_binary_i8_params *q = &d->q;
    const ember_qs8_params out = {q->out_zp, q->q_min, q->q_max};
    const bool ok =
        ember_vbinary_qs8_mul_params(q->a_zp, q->b_zp, q->mult, q->shift, &out, &d->fast.p);
    ember_binary_qs8_select(ctx, node, EMBER_VBINARY_MUL, ok, &d->fast);
    return EMBER_STATUS_OK;
}

static ember_status mul_eval(ember_context *ctx, const ember_node *node) {
    if (ember_binary_is_int(ctx, node)) {
        ember_binary_eval_int(ctx, node, &mul_rows_int);
        return EMBER_STATUS_OK;
    }
    if (ember_input(ctx, node, 0)->type == EMBER_TYPE_INT8) {
        const struct mul_i8_data *d = node->data;
        if (d->fast.ops != NULL) {
            ember_binary_qs8_run(ctx, &d->bc, &d->fast, ember_input(ctx, node, 0)->data,
                                 ember_input(ctx, node, 1)->data,
                                 ember_output(ctx, node, 0)->data);
            return EMBER_STATUS_OK;
        }
        ember_mul_i8_ref(node->data, ember_input(ctx, node, 0)->data,
                         ember_input(ctx, node, 1)->data, ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    const ember_binary_data *data = node->data;
    if (data->ops != NULL) {
        ember_binary_run_f32(ctx, data, ember_input(ctx, node, 0)->data,
                             ember_input(ctx, node, 1)->data, ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    ember_mul_f32_ref(&data->bc, ember_input(ctx, node, 0)->data, ember_input(ctx, node, 1)->data,
                      ember_output(ctx, node, 0)->data, data->lo, data->hi);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_mul = {
    EMBER_OP_MUL, "mul", mul_check, mul_prepare, mul_eval,
};
