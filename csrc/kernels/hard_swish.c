/* HARD_SWISH: y = x * relu6(x + 3) / 6. Node data: ember_unary_data (unary.h). */
#include "ember_internal.h"
#include "kernels/unary.h"

static ember_status hard_swish_check(ember_context *ctx, const ember_node *node) {
    return ember_unary_check(ctx, node, "hard_swish", 0);
}

static void ember_hard_swish_f32_ref(const float *in, float *out, size_t n,
                                     const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] * ember_clamp_f32(in[i] + 3.0f, 0.0f, 6.0f) * (1.0f / 6.0f);
}

static ember_status hard_swish_prepare(ember_context *ctx, ember_node *node) {
    const ember_unary_params none = {0.0f, 0.0f};
    return ember_unary_prepare(ctx, node, ember_hard_swish_f32_ref, none);
}

const ember_kernel ember_kernel_hard_swish = {
    EMBER_OP_HARD_SWISH, "hard_swish", hard_swish_check, hard_swish_prepare, ember_unary_eval,
};
