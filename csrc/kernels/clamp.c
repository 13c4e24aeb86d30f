/* CLAMP: y = min(max(x, min), max) (ONNX Clip; min > max gives max). float32: node data
   ember_unary_data (unary.h) with p.a = min, p.b = max. int8: requantize, then clamp at the
   output's quantized min and max (ember_requant_i8, quant.h), as LiteRT's QuantizedReluX
   does for RELU_N1_TO_1 (imported as CLAMP -1..1). */
#include "ember_internal.h"
#include "kernels/elementwise_qs8.h"
#include "kernels/quant.h"
#include "kernels/unary.h"

/* int8: the requantization and its table over every input byte. */
struct clamp_i8_data {
    ember_requant_i8 p;
    ember_lut_qs8 lut;
};

/* Infinite bounds stand for an omitted ONNX min or max. */
static ember_status read_bounds(ember_context *ctx, const ember_node *node, float *lo, float *hi) {
    const ember_status st = ember_unary_param_f32(ctx, node, "clamp", EMBER_SLOT_CLAMP_PARAMS_MIN,
                                                  0.0f, "min", true, lo);
    if (st != EMBER_STATUS_OK)
        return st;
    return ember_unary_param_f32(ctx, node, "clamp", EMBER_SLOT_CLAMP_PARAMS_MAX, 0.0f, "max",
                                 true, hi);
}

static ember_status clamp_check(ember_context *ctx, const ember_node *node) {
    const ember_status st =
        ember_unary_is_i8(ctx, node)
            ? ember_unary_check_i8(ctx, node, "clamp", EMBER_OP_PARAMS_CLAMP_PARAMS)
            : ember_unary_check(ctx, node, "clamp", EMBER_OP_PARAMS_CLAMP_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    float lo, hi;
    return read_bounds(ctx, node, &lo, &hi);
}

static void ember_clamp_f32_ref(const float *in, float *out, size_t n,
                                const ember_unary_params *p) {
    const float lo = p->a, hi = p->b;
    for (size_t i = 0; i < n; i++)
        out[i] = ember_clamp_f32(in[i], lo, hi);
}

static void ember_clamp_i8_ref(const int8_t *in, int8_t *out, size_t n,
                               const ember_requant_i8 *p) {
    for (size_t i = 0; i < n; i++)
        out[i] = ember_requant_i8_apply(in[i], p);
}

static ember_status clamp_prepare(ember_context *ctx, ember_node *node) {
    ember_unary_params p;
    const ember_status st = read_bounds(ctx, node, &p.a, &p.b);
    if (st != EMBER_STATUS_OK)
        return st;
    if (!ember_unary_is_i8(ctx, node))
        return ember_unary_prepare_fast(ctx, node, ember_clamp_f32_ref, p, EMBER_VUNARY_CLAMP,
                                        p);
    struct clamp_i8_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    ember_requant_i8_init(ember_input(ctx, node, 0), ember_output(ctx, node, 0), p.a, p.b,
                          &d->p);
    node->data = d;
    int8_t bytes[256];
    if (ember_lut_qs8_begin(ctx, node, &d->lut, bytes))
        ember_clamp_i8_ref(bytes, d->lut.table, 256, &d->p);
    return EMBER_STATUS_OK;
}

static ember_status clamp_eval(ember_context *ctx, const ember_node *node) {
    if (!ember_unary_is_i8(ctx, node))
        return ember_unary_eval(ctx, node);
    const struct clamp_i8_data *d = node->data;
    if (ember_lut_qs8_eval(ctx, node, &d->lut))
        return EMBER_STATUS_OK;
    const ember_tensor *in = ember_input(ctx, node, 0);
    ember_clamp_i8_ref(in->data, ember_output(ctx, node, 0)->data, in->count, &d->p);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_clamp = {
    EMBER_OP_CLAMP, "clamp", clamp_check, clamp_prepare, clamp_eval,
};
