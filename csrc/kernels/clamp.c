/* CLAMP: y = min(max(x, min), max) (ONNX Clip; min > max gives max). Node data:
   ember_unary_data (unary.h) with p.a = min, p.b = max. */
#include "ember_internal.h"
#include "kernels/unary.h"

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
    const ember_status st = ember_unary_check(ctx, node, "clamp", EMBER_OP_PARAMS_CLAMP_PARAMS);
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

static ember_status clamp_prepare(ember_context *ctx, ember_node *node) {
    ember_unary_params p;
    const ember_status st = read_bounds(ctx, node, &p.a, &p.b);
    if (st != EMBER_STATUS_OK)
        return st;
    return ember_unary_prepare(ctx, node, ember_clamp_f32_ref, p);
}

const ember_kernel ember_kernel_clamp = {
    EMBER_OP_CLAMP, "clamp", clamp_check, clamp_prepare, ember_unary_eval,
};
