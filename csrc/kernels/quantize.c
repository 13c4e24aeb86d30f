/* QUANTIZE: float32 -> int8, q = clamp(round(x / scale) + zero_point, -128, 127) with the
   output's per-tensor scale and zero point; or a requantization int8 -> int8, uint8 -> int8 or
   int8 -> uint8, q_out = clamp(MBQM(q_in - zp_in, QM(s_in / s_out)) + zp_out) to the output
   type's range (LiteRT's reference kernels, /work/shared/int8-arithmetic.md, section 5). With
   equal scales the multiplier is exactly 1, so uint8 <-> int8 is then a zero point shift.
   uint8 serves only at a graph's edges (quantize(io="uint8"), TFLite's uint8 inputs and
   outputs). Node data: quantize_data. */
#include "ember_internal.h"
#include "kernels/quant.h"

struct quantize_data {
    float scale;
    int32_t zero_point;
    /* Integer input only: its zero point, the multiplier of double(s_in) / double(s_out) and
       the output type's range. */
    int32_t in_zero_point, mult, shift, lo, hi;
};

static bool is_int8_or_uint8(const ember_tensor *t) {
    return t != NULL && (t->type == EMBER_TYPE_INT8 || t->type == EMBER_TYPE_UINT8);
}

/* The uint8 side of a requantization: one scale (the verifier keeps zero points in
   [0, 255]). */
static ember_status check_quant_u8(ember_context *ctx, const ember_node *n, const ember_tensor *t,
                                   const char *what) {
    if (t->quant_count == 1)
        return EMBER_STATUS_OK;
    return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                      "node %" PRIu32 " (quantize): uint8 %s '%s' needs one scale and zero "
                      "point, got %" PRIu32,
                      n->index, what, t->name, t->quant_count);
}

static ember_status quantize_check(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (!is_int8_or_uint8(in))
        return ember_check_int8_conversion(ctx, node, EMBER_TYPE_FLOAT32, EMBER_TYPE_INT8);
    /* int8 -> int8 or uint8, uint8 -> int8 (never uint8 -> uint8). Same-size elements: an
       exact in-place alias of equal types is safe here, as each output is written after its
       input is read. */
    const ember_tensor *out = ember_output(ctx, node, 0);
    const bool to_u8 = in->type == EMBER_TYPE_INT8 && out != NULL && out->type == EMBER_TYPE_UINT8;
    const ember_status st = ember_check_int8_conversion(
        ctx, node, in->type, to_u8 ? EMBER_TYPE_UINT8 : EMBER_TYPE_INT8);
    if (st != EMBER_STATUS_OK)
        return st;
    if (in->type == EMBER_TYPE_UINT8)
        return check_quant_u8(ctx, node, in, "input");
    return to_u8 ? check_quant_u8(ctx, node, out, "output")
                 : ember_check_quant_i8(ctx, node, out, "output");
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
    data->lo = out->type == EMBER_TYPE_UINT8 ? 0 : -128;
    data->hi = out->type == EMBER_TYPE_UINT8 ? 255 : 127;
    if (is_int8_or_uint8(in))
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

static inline int32_t requantize_one(int32_t q, const struct quantize_data *d) {
    const int32_t v =
        ember_multiply_by_quantized_multiplier(q - d->in_zero_point, d->mult, d->shift) +
        d->zero_point;
    return v < d->lo ? d->lo : (v > d->hi ? d->hi : v);
}

static void ember_quantize_i8_i8_ref(const int8_t *in, int8_t *out, size_t n,
                                       const struct quantize_data *d) {
    for (size_t i = 0; i < n; i++)
        out[i] = (int8_t)requantize_one(in[i], d);
}

static void ember_quantize_u8_i8_ref(const uint8_t *in, int8_t *out, size_t n,
                                       const struct quantize_data *d) {
    for (size_t i = 0; i < n; i++)
        out[i] = (int8_t)requantize_one(in[i], d);
}

static void ember_quantize_i8_u8_ref(const int8_t *in, uint8_t *out, size_t n,
                                       const struct quantize_data *d) {
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)requantize_one(in[i], d);
}

static ember_status quantize_eval(ember_context *ctx, const ember_node *node) {
    const struct quantize_data *data = node->data;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (in->type == EMBER_TYPE_UINT8)
        ember_quantize_u8_i8_ref(in->data, out->data, in->count, data);
    else if (in->type == EMBER_TYPE_INT8 && out->type == EMBER_TYPE_UINT8)
        ember_quantize_i8_u8_ref(in->data, out->data, in->count, data);
    else if (in->type == EMBER_TYPE_INT8)
        ember_quantize_i8_i8_ref(in->data, out->data, in->count, data);
    else
        ember_quantize_f32_i8_ref(in->data, out->data, in->count, data->scale,
                                  data->zero_point);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_quantize = {
    EMBER_OP_QUANTIZE, "quantize", quantize_check, quantize_prepare, quantize_eval,
};
