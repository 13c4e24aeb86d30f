/* RELU6: y = min(max(x, 0), 6). Node data: ember_unary_data (unary.h). */
#include "ember_internal.h"
#include "kernels/unary.h"

static ember_status relu6_check(ember_context *ctx, const ember_node *node) {
    return ember_unary_check(ctx, node, "relu6", 0);
}

static void ember_relu6_f32_ref(const float *in, float *out, size_t n,
                                const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = ember_clamp_f32(in[i], 0.0f, 6.0f);
}

static ember_status relu6_prepare(ember_context *ctx, ember_node *node) {
    const ember_unary_params none = {0.0f, 0.0f};
    return ember_unary_prepare(ctx, node, ember_relu6_f32_ref, none);
}

const ember_kernel ember_kernel_relu6 = {
    EMBER_OP_RELU6, "relu6", relu6_check, relu6_prepare, ember_unary_eval,
};
