/* QUANTIZE: float32 -> int8 or int16, q = clamp(round(x / scale) + zero_point) with the
   output's per-tensor scale and zero point; or between int8 and int16 in any direction
   (requantize), q_out = clamp(MBQM(q_in - zp_in, QM(s_in / s_out)) + zp_out) on the output's
   range (LiteRT's reference kernels, /work/shared/int8-arithmetic.md, section 5; int16
   tensors have zero point 0). Node data: quantize_data. */
#include "ember_internal.h"
#include "kernels/quant.h"

struct quantize_data {
    float scale;
    int32_t zero_point;
    /* integer input only: its zero point and the multiplier of double(s_in) / double(s_out). */
    int32_t in_zero_point, mult, shift;
};

static bool is_quantized(uint8_t type) {
    return type == EMBER_TYPE_INT8 || type == EMBER_TYPE_INT16;
}

static ember_status quantize_check(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    const uint8_t to = out != NULL && out->type == EMBER_TYPE_INT16 ? EMBER_TYPE_INT16
                                                                    : EMBER_TYPE_INT8;
    /* Between same-size integers an exact in-place alias is safe, as each output is written
       after its input is read; the conversion check allows it for equal types only. */
    const uint8_t from = in != NULL && is_quantized(in->type) ? in->type : EMBER_TYPE_FLOAT32;
    return ember_check_int8_conversion(ctx, node, from, to);
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
    if (is_quantized(in->type))
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

static void ember_quantize_f32_i16_ref(const float *in, int16_t *out, size_t n, float scale,
                                       int32_t zero_point) {
    for (size_t i = 0; i < n; i++)
        out[i] = ember_quantize_f32_i16(in[i], scale, zero_point);
}

/* Element i of an int8 (wide false) or int16 array. */
static int32_t load_q(const void *p, size_t i, bool wide) {
    return wide ? ((const int16_t *)p)[i] : ((const int8_t *)p)[i];
}

/* One reference loop for the four integer pairs: LiteRT's Requantize is the same formula for
   each, only the clamp range is the output type's. */
static void ember_quantize_int_ref(const void *in, bool in_wide, void *out, bool out_wide,
                                   size_t n, const struct quantize_data *d) {
    const int32_t lo = out_wide ? INT16_MIN : -128, hi = out_wide ? INT16_MAX : 127;
    for (size_t i = 0; i < n; i++) {
        int32_t q = ember_multiply_by_quantized_multiplier(load_q(in, i, in_wide) -
                                                               d->in_zero_point,
                                                           d->mult, d->shift) +
                    d->zero_point;
        q = q < lo ? lo : (q > hi ? hi : q);
        if (out_wide)
            ((int16_t *)out)[i] = (int16_t)q;
        else
            ((int8_t *)out)[i] = (int8_t)q;
    }
}

static ember_status quantize_eval(ember_context *ctx, const ember_node *node) {
    const struct quantize_data *data = node->data;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    const bool out_wide = out->type == EMBER_TYPE_INT16;
    if (is_quantized(in->type))
        ember_quantize_int_ref(in->data, in->type == EMBER_TYPE_INT16, out->data, out_wide,
                               in->count, data);
    else if (out_wide)
        ember_quantize_f32_i16_ref(in->data, out->data, in->count, data->scale,
                                   data->zero_point);
    else
        ember_quantize_f32_i8_ref(in->data, out->data, in->count, data->scale,
                                  data->zero_point);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_quantize = {
    EMBER_OP_QUANTIZE, "quantize", quantize_check, quantize_prepare, quantize_eval,
};
