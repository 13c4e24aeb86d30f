/* LEAKY_RELU: y = x for x >= 0, alpha * x otherwise. Node data: ember_unary_data (unary.h)
   with p.a = alpha. */
#include "ember_internal.h"
#include "kernels/unary.h"

static ember_status read_alpha(ember_context *ctx, const ember_node *node, float *alpha) {
    return ember_unary_param_f32(ctx, node, "leaky_relu", EMBER_SLOT_LEAKY_RELU_PARAMS_ALPHA,
                                 0.01f, "alpha", false, alpha);
}

static ember_status leaky_relu_check(ember_context *ctx, const ember_node *node) {
    const ember_status st =
        ember_unary_check(ctx, node, "leaky_relu", EMBER_OP_PARAMS_LEAKY_RELU_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    float alpha;
    return read_alpha(ctx, node, &alpha);
}

static void ember_leaky_relu_f32_ref(const float *in, float *out, size_t n,
                                     const ember_unary_params *p) {
    const float alpha = p->a;
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] < 0.0f ? alpha * in[i] : in[i];
}

static ember_status leaky_relu_prepare(ember_context *ctx, ember_node *node) {
    ember_unary_params p = {0.0f, 0.0f};
    const ember_status st = read_alpha(ctx, node, &p.a);
    if (st != EMBER_STATUS_OK)
        return st;
    return ember_unary_prepare(ctx, node, ember_leaky_relu_f32_ref, p);
}

const ember_kernel ember_kernel_leaky_relu = {
    EMBER_OP_LEAKY_RELU, "leaky_relu", leaky_relu_check, leaky_relu_prepare, ember_unary_eval,
};
