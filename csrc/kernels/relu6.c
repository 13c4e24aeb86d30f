/* RELU6: y = min(max(x, 0), 6). float32: node data ember_unary_data (unary.h). int8:
   requantize, then clamp at the output's real 0 and 6 (ember_requant_i8, quant.h), as
   LiteRT's QuantizedReluX. */
#include "ember_internal.h"
#include "kernels/elementwise_qs8.h"
#include "kernels/quant.h"
#include "kernels/unary.h"

/* int8: the requantization and its table over every input byte. */
struct relu6_i8_data {
    ember_requant_i8 p;
    ember_lut_qs8 lut;
};

static ember_status relu6_check(ember_context *ctx, const ember_node *node) {
    if (ember_unary_is_i8(ctx, node))
        return ember_unary_check_i8(ctx, node, "relu6", 0);
    return ember_unary_check(ctx, node, "relu6", 0);
}

static void ember_relu6_f32_ref(const float *in, float *out, size_t n,
                                const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = ember_clamp_f32(in[i], 0.0f, 6.0f);
}

static void ember_relu6_i8_ref(const int8_t *in, int8_t *out, size_t n,
                               const ember_requant_i8 *p) {
    for (size_t i = 0; i < n; i++)
        out[i] = ember_requant_i8_apply(in[i], p);
}

static ember_status relu6_prepare(ember_context *ctx, ember_node *node) {
    if (!ember_unary_is_i8(ctx, node)) {
        const ember_unary_params none = {0.0f, 0.0f}, bounds = {0.0f, 6.0f};
        return ember_unary_prepare_fast(ctx, node, ember_relu6_f32_ref, none, EMBER_VUNARY_CLAMP,
                                        bounds);
    }
    struct relu6_i8_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    ember_requant_i8_init(ember_input(ctx, node, 0), ember_output(ctx, node, 0), 0.0f, 6.0f,
                          &d->p);
    node->data = d;
    int8_t bytes[256];
    if (ember_lut_qs8_begin(ctx, node, &d->lut, bytes))
        ember_relu6_i8_ref(bytes, d->lut.table, 256, &d->p);
    return EMBER_STATUS_OK;
}

static ember_status relu6_eval(ember_context *ctx, const ember_node *node) {
    if (!ember_unary_is_i8(ctx, node))
        return ember_unary_eval(ctx, node);
    const struct relu6_i8_data *d = node->data;
    if (ember_lut_qs8_eval(ctx, node, &d->lut))
        return EMBER_STATUS_OK;
    const ember_tensor *in = ember_input(ctx, node, 0);
    ember_relu6_i8_ref(in->data, ember_output(ctx, node, 0)->data, in->count, &d->p);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_relu6 = {
    EMBER_OP_RELU6, "relu6", relu6_check, relu6_prepare, relu6_eval,
};
