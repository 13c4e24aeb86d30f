/* HARD_SIGMOID: y = clamp(alpha * x + beta, 0, 1). Node data: ember_unary_data (unary.h)
   with p.a = alpha, p.b = beta. */
#include "ember_internal.h"
#include "kernels/unary.h"

static ember_status read_params(ember_context *ctx, const ember_node *node, float *alpha,
                                float *beta) {
    const ember_status st =
        ember_unary_param_f32(ctx, node, "hard_sigmoid", EMBER_SLOT_HARD_SIGMOID_PARAMS_ALPHA,
                              0.2f, "alpha", false, alpha);
    if (st != EMBER_STATUS_OK)
        return st;
    return ember_unary_param_f32(ctx, node, "hard_sigmoid", EMBER_SLOT_HARD_SIGMOID_PARAMS_BETA,
                                 0.5f, "beta", false, beta);
}

static ember_status hard_sigmoid_check(ember_context *ctx, const ember_node *node) {
    const ember_status st =
        ember_unary_check(ctx, node, "hard_sigmoid", EMBER_OP_PARAMS_HARD_SIGMOID_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    float alpha, beta;
    return read_params(ctx, node, &alpha, &beta);
}

static void ember_hard_sigmoid_f32_ref(const float *in, float *out, size_t n,
                                       const ember_unary_params *p) {
    const float alpha = p->a, beta = p->b;
    for (size_t i = 0; i < n; i++)
        out[i] = ember_clamp_f32(alpha * in[i] + beta, 0.0f, 1.0f);
}

static ember_status hard_sigmoid_prepare(ember_context *ctx, ember_node *node) {
    ember_unary_params p;
    const ember_status st = read_params(ctx, node, &p.a, &p.b);
    if (st != EMBER_STATUS_OK)
        return st;
    return ember_unary_prepare_fast(ctx, node, ember_hard_sigmoid_f32_ref, p,
                                    EMBER_VUNARY_HARD_SIGMOID, p);
}

const ember_kernel ember_kernel_hard_sigmoid = {
    EMBER_OP_HARD_SIGMOID, "hard_sigmoid", hard_sigmoid_check, hard_sigmoid_prepare,
    ember_unary_eval,
};
