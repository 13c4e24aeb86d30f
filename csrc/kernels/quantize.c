/* QUANTIZE: float32 -> int8, q = clamp(round(x / scale) + zero_point, -128, 127) with the
   output's per-tensor scale and zero point; or int8 -> int8 (requantize), q_out =
   clamp(MBQM(q_in - zp_in, QM(s_in / s_out)) + zp_out, -128, 127) (LiteRT's reference kernels,
   /work/shared/int8-arithmetic.md, section 5). Node data: quantize_data. */
#include "ember_internal.h"
#include "kernels/quant.h"

struct quantize_data {
    float scale;
    int32_t zero_point;
    /* int8 input only: its zero point and the multiplier of double(s_in) / double(s_out). */
    int32_t in_zero_point, mult, shift;
};

static ember_status quantize_check(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (in == NULL || in->type != EMBER_TYPE_INT8)
        return ember_check_int8_conversion(ctx, node, EMBER_TYPE_FLOAT32, EMBER_TYPE_INT8);
    /* Same-size elements: an exact in-place alias is safe here, as each output is written
       after its input is read. */
    const ember_status st =
        ember_check_int8_conversion(ctx, node, EMBER_TYPE_INT8, EMBER_TYPE_INT8);
    return st != EMBER_STATUS_OK
               ? st
               : ember_check_quant_i8(ctx, node, ember_output(ctx, node, 0), "output");
}

static ember_status quantize_prepare(ember_context *ctx, ember_node *node) {
    struct quantize_data *data = ember_alloc(ctx, sizeof(*data));
    if (data == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    data->scale = out->scale;
    data->zero_point = out->zero_point;
    data->in_zero_point = in->zero_point;
    data->mult = data->shift = 0;
    if (in->type == EMBER_TYPE_INT8)
        ember_quantize_multiplier((double)in->scale / (double)out->scale, &data->mult,
                                  &data->shift);
    node->data = data;
    return EMBER_STATUS_OK;
}

static void ember_quantize_f32_i8_ref(const float *in, int8_t *out, size_t n, float scale,
                                      int32_t zero_point) {
    for (size_t i = 0; i < n; i++)
        out[i] = ember_quantize_f32_i8(in[i], scale, zero_point);
}

static void ember_quantize_i8_i8_ref(const int8_t *in, int8_t *out, size_t n,
                                     const struct quantize_data *d) {
    for (size_t i = 0; i < n; i++) {
        const int32_t q = ember_multiply_by_quantized_multiplier(in[i] - d->in_zero_point,
                                                                 d->mult, d->shift) +
                          d->zero_point;
        out[i] = (int8_t)(q < -128 ? -128 : (q > 127 ? 127 : q));
    }
}

static ember_status quantize_eval(ember_context *ctx, const ember_node *node) {
    const struct quantize_data *data = node->data;
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (in->type == EMBER_TYPE_INT8)
        ember_quantize_i8_i8_ref(in->data, ember_output(ctx, node, 0)->data, in->count, data);
    else
        ember_quantize_f32_i8_ref(in->data, ember_output(ctx, node, 0)->data, in->count,
                                  data->scale, data->zero_point);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_quantize = {
    EMBER_OP_QUANTIZE, "quantize", quantize_check, quantize_prepare, quantize_eval,
};
