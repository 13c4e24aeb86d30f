/* LEAKY_RELU: y = x for x >= 0, alpha * x otherwise. float32: node data ember_unary_data
   (unary.h) with p.a = alpha. int8: node data leaky_relu_i8_data; each sign of the input
   offset gets its own requantization multiplier (1 and alpha, times s_in / s_out). */
#include "ember_internal.h"
#include "kernels/elementwise_qs8.h"
#include "kernels/fixed_point.h"
#include "kernels/quant.h"
#include "kernels/unary.h"

struct leaky_relu_i8_data {
    int32_t in_zp, out_zp;
    int32_t id_mult, id_shift;       /* s_in / s_out */
    int32_t alpha_mult, alpha_shift; /* |alpha| * s_in / s_out */
    bool negate;                     /* alpha < 0 */
    ember_lut_qs8 lut;               /* the table of the reference over every byte */
};

static ember_status read_alpha(ember_context *ctx, const ember_node *node, float *alpha) {
    return ember_unary_param_f32(ctx, node, "leaky_relu", EMBER_SLOT_LEAKY_RELU_PARAMS_ALPHA,
                                 0.01f, "alpha", false, alpha);
}

static ember_status leaky_relu_check(ember_context *ctx, const ember_node *node) {
    const ember_status st =
        ember_unary_is_i8(ctx, node)
            ? ember_unary_check_i8(ctx, node, "leaky_relu", EMBER_OP_PARAMS_LEAKY_RELU_PARAMS)
            : ember_unary_check(ctx, node, "leaky_relu", EMBER_OP_PARAMS_LEAKY_RELU_PARAMS);
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

static void ember_leaky_relu_i8_ref(const int8_t *in, int8_t *out, size_t n,
                                    const struct leaky_relu_i8_data *d) {
    for (size_t i = 0; i < n; i++) {
        const int32_t v = in[i] - d->in_zp;
        int32_t y;
        if (v >= 0) {
            y = ember_multiply_by_quantized_multiplier(v, d->id_mult, d->id_shift);
        } else {
            y = ember_multiply_by_quantized_multiplier(v, d->alpha_mult, d->alpha_shift);
            y = d->negate ? -y : y;
        }
        y += d->out_zp;
        out[i] = (int8_t)(y < -128 ? -128 : y > 127 ? 127 : y);
    }
}

/* The ratios are float32, as LiteRT computes them (s_in * alpha, then / s_out). */
static void leaky_relu_i8_init(const ember_tensor *in, const ember_tensor *out, float alpha,
                               struct leaky_relu_i8_data *d) {
    const float id_ratio = in->scale / out->scale;
    const float alpha_ratio = in->scale * alpha / out->scale;
    ember_quantize_multiplier((double)id_ratio, &d->id_mult, &d->id_shift);
    ember_quantize_multiplier(alpha_ratio < 0.0f ? -(double)alpha_ratio : (double)alpha_ratio,
                              &d->alpha_mult, &d->alpha_shift);
    d->negate = alpha_ratio < 0.0f;
    d->in_zp = in->zero_point;
    d->out_zp = out->zero_point;
}

static ember_status leaky_relu_prepare(ember_context *ctx, ember_node *node) {
    ember_unary_params p = {0.0f, 0.0f};
    const ember_status st = read_alpha(ctx, node, &p.a);
    if (st != EMBER_STATUS_OK)
        return st;
    if (!ember_unary_is_i8(ctx, node))
        return ember_unary_prepare_fast(ctx, node, ember_leaky_relu_f32_ref, p,
                                        EMBER_VUNARY_LEAKY_RELU, p);
    struct leaky_relu_i8_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    leaky_relu_i8_init(ember_input(ctx, node, 0), ember_output(ctx, node, 0), p.a, d);
    node->data = d;
    int8_t bytes[256];
    if (ember_lut_qs8_begin(ctx, node, &d->lut, bytes))
        ember_leaky_relu_i8_ref(bytes, d->lut.table, 256, d);
    return EMBER_STATUS_OK;
}

static ember_status leaky_relu_eval(ember_context *ctx, const ember_node *node) {
    if (!ember_unary_is_i8(ctx, node))
        return ember_unary_eval(ctx, node);
    const struct leaky_relu_i8_data *d = node->data;
    if (ember_lut_qs8_eval(ctx, node, &d->lut))
        return EMBER_STATUS_OK;
    const ember_tensor *in = ember_input(ctx, node, 0);
    ember_leaky_relu_i8_ref(in->data, ember_output(ctx, node, 0)->data, in->count, d);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_leaky_relu = {
    EMBER_OP_LEAKY_RELU, "leaky_relu", leaky_relu_check, leaky_relu_prepare, leaky_relu_eval,
};
