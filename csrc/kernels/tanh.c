/* TANH: y = tanh(x). Node data: ember_unary_data (unary.h). */
#include <math.h>

#include "ember_internal.h"
#include "kernels/unary.h"

static ember_status tanh_check(ember_context *ctx, const ember_node *node) {
    return ember_unary_check(ctx, node, "tanh", 0);
}

static void ember_tanh_f32_ref(const float *in, float *out, size_t n,
                               const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = tanhf(in[i]);
}

static ember_status tanh_prepare(ember_context *ctx, ember_node *node) {
    const ember_unary_params none = {0.0f, 0.0f};
    return ember_unary_prepare(ctx, node, ember_tanh_f32_ref, none);
}

const ember_kernel ember_kernel_tanh = {
    EMBER_OP_TANH, "tanh", tanh_check, tanh_prepare, ember_unary_eval,
};
