/* DEQUANTIZE: int8 or int16 -> float32, x = scale * (q - zero_point) with the input's
   per-tensor scale and zero point. Node data: dequantize_data. */
#include "ember_internal.h"
#include "kernels/quant.h"

struct dequantize_data {
    float scale;
    int32_t zero_point;
};

static ember_status dequantize_check(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (in != NULL && in->type == EMBER_TYPE_INT16)
        return ember_check_int8_conversion(ctx, node, EMBER_TYPE_INT16, EMBER_TYPE_FLOAT32);
    return ember_check_int8_conversion(ctx, node, EMBER_TYPE_INT8, EMBER_TYPE_FLOAT32);
}

static ember_status dequantize_prepare(ember_context *ctx, ember_node *node) {
    struct dequantize_data *data = ember_alloc(ctx, sizeof(*data));
    if (data == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    const ember_tensor *in = ember_input(ctx, node, 0);
    data->scale = in->scale;
    data->zero_point = in->zero_point;
    node->data = data;
    return EMBER_STATUS_OK;
}

/* LiteRT multiplies in double and narrows; q - zero_point has at most 9 significant bits, so
   that product is exact and the one float32 rounding here gives the same result. */
static void ember_dequantize_i8_f32_ref(const int8_t *in, float *out, size_t n, float scale,
                                        int32_t zero_point) {
    for (size_t i = 0; i < n; i++)
        out[i] = scale * (float)((int32_t)in[i] - zero_point);
}

/* int16 (16x8): q - zero_point has at most 17 significant bits, so the double product is
   exact too and the same float32 multiply matches. */
static void ember_dequantize_i16_f32_ref(const int16_t *in, float *out, size_t n, float scale,
                                         int32_t zero_point) {
    for (size_t i = 0; i < n; i++)
        out[i] = scale * (float)((int32_t)in[i] - zero_point);
}

static ember_status dequantize_eval(ember_context *ctx, const ember_node *node) {
    const struct dequantize_data *data = node->data;
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (in->type == EMBER_TYPE_INT16) {
        ember_dequantize_i16_f32_ref(in->data, ember_output(ctx, node, 0)->data, in->count,
                                     data->scale, data->zero_point);
        return EMBER_STATUS_OK;
    }
    ember_dequantize_i8_f32_ref(in->data, ember_output(ctx, node, 0)->data, in->count,
                                data->scale, data->zero_point);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_dequantize = {
    EMBER_OP_DEQUANTIZE, "dequantize", dequantize_check, dequantize_prepare, dequantize_eval,
};
