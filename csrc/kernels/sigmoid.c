/* SIGMOID: y = 1 / (1 + exp(-x)). float32: node data ember_unary_data (unary.h). int8: a
   lookup in the 256-entry table the converter built from the quantization parameters (input
   1, see ember_unary_check_table_i8), so every target gives the same bytes; node data: the
   vectorised lookup (ukernels/vunary_qs8.h) or NULL. */
#include <math.h>

#include "ember_internal.h"
#include "kernels/elementwise_qs8.h"
#include "kernels/unary.h"

static ember_status sigmoid_check(ember_context *ctx, const ember_node *node) {
    if (ember_unary_is_i8(ctx, node))
        return ember_unary_check_table_i8(ctx, node, "sigmoid");
    return ember_unary_check(ctx, node, "sigmoid", 0);
}

/* exp(-x) overflowing to inf for x < -88 gives exactly 0, the correctly rounded value. */
static void ember_sigmoid_f32_ref(const float *in, float *out, size_t n,
                                  const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = 1.0f / (1.0f + expf(-in[i]));
}

static void ember_sigmoid_i8_ref(const int8_t *in, int8_t *out, size_t n, const int8_t *table) {
    for (size_t i = 0; i < n; i++)
        out[i] = table[(uint8_t)in[i]];
}

static ember_status sigmoid_prepare(ember_context *ctx, ember_node *node) {
    if (ember_unary_is_i8(ctx, node)) {
        /* node data: the lookup microkernel, or none (the reference loop) */
        const ember_vlut_qs8_config *lut = ember_vlut_qs8_select(ctx);
        node->data = (void *)lut;
        node->variant = lut != NULL ? lut->name : NULL;
        return EMBER_STATUS_OK;
    }
    const ember_unary_params none = {0.0f, 0.0f};
    return ember_unary_prepare_fast(ctx, node, ember_sigmoid_f32_ref, none,
                                    EMBER_VUNARY_SIGMOID, none);
}

static ember_status sigmoid_eval(ember_context *ctx, const ember_node *node) {
    if (!ember_unary_is_i8(ctx, node))
        return ember_unary_eval(ctx, node);
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_vlut_qs8_config *lut = node->data;
    if (lut != NULL) {
        ember_vlut_qs8_run(ctx, lut->fn, in->count, in->data, ember_output(ctx, node, 0)->data,
                           ember_input(ctx, node, 1)->data);
        return EMBER_STATUS_OK;
    }
    ember_sigmoid_i8_ref(in->data, ember_output(ctx, node, 0)->data, in->count,
                         ember_input(ctx, node, 1)->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_sigmoid = {
    EMBER_OP_SIGMOID, "sigmoid", sigmoid_check, sigmoid_prepare, sigmoid_eval,
};
