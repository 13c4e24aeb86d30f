/* SIGMOID: y = 1 / (1 + exp(-x)). Node data: ember_unary_data (unary.h). */
#include <math.h>

#include "ember_internal.h"
#include "kernels/unary.h"

static ember_status sigmoid_check(ember_context *ctx, const ember_node *node) {
    return ember_unary_check(ctx, node, "sigmoid", 0);
}

/* exp(-x) overflowing to inf for x < -88 gives exactly 0, the correctly rounded value. */
static void ember_sigmoid_f32_ref(const float *in, float *out, size_t n,
                                  const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = 1.0f / (1.0f + expf(-in[i]));
}

static ember_status sigmoid_prepare(ember_context *ctx, ember_node *node) {
    const ember_unary_params none = {0.0f, 0.0f};
    return ember_unary_prepare(ctx, node, ember_sigmoid_f32_ref, none);
}

const ember_kernel ember_kernel_sigmoid = {
    EMBER_OP_SIGMOID, "sigmoid", sigmoid_check, sigmoid_prepare, ember_unary_eval,
};
