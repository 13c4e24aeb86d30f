/* HARD_SWISH: y = x * relu6(x + 3) / 6. float32: node data ember_unary_data (unary.h). int8:
   LiteRT's reference int16 fixed point (node data hard_swish_i8_data): the input moves to a
   "high resolution" scale s_in / 128, from which one multiplier gives the output and another
   the "reluish" factor relu6(x + 3) / 6 in Q0.15, and the two are multiplied. */
#include "ember_internal.h"
#include "kernels/elementwise_qs8.h"
#include "kernels/fixed_point.h"
#include "kernels/unary.h"

struct hard_swish_i8_data {
    int32_t in_zp, out_zp;
    int16_t out_mult, relu_mult; /* Q0.15 */
    int32_t out_exp, relu_exp;   /* powers of two applied with them */
    /* The vectorised lookup (NULL: the reference loop) in the table of hard_swish_i8 over
       every input byte, built at prepare: exact by construction. */
    const ember_vlut_qs8_config *lut;
    int8_t table[EMBER_I8_TABLE_SIZE];
};

/* LiteRT computes the two ratios in float32 and narrows the Q0.31 multipliers to Q0.15; the
   output multiplier is applied with a right shift only, so it must be < 1. */
static ember_status hard_swish_i8_read(ember_context *ctx, const ember_node *node,
                                       struct hard_swish_i8_data *d) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    const float hires_scale = (1.0f / 128.0f) * in->scale;
    const float out_ratio = hires_scale / out->scale;
    const float relu_ratio = hires_scale / (3.0f / 32768.0f);
    int32_t m = 0;
    ember_quantize_multiplier((double)out_ratio, &m, &d->out_exp);
    d->out_mult = ember_multiplier_to_int16(m);
    ember_quantize_multiplier((double)relu_ratio, &m, &d->relu_exp);
    d->relu_mult = ember_multiplier_to_int16(m);
    if (d->out_exp > 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (hard_swish): int8 output scale %.9g is too small "
                          "for input scale %.9g (needs >= input scale / 128)",
                          node->index, (double)out->scale, (double)in->scale);
    if (d->relu_exp > 31)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (hard_swish): int8 input scale %.9g is too large",
                          node->index, (double)in->scale);
    d->in_zp = in->zero_point;
    d->out_zp = out->zero_point;
    return EMBER_STATUS_OK;
}

static ember_status hard_swish_check(ember_context *ctx, const ember_node *node) {
    if (!ember_unary_is_i8(ctx, node))
        return ember_unary_check(ctx, node, "hard_swish", 0);
    struct hard_swish_i8_data d;
    const ember_status st = ember_unary_check_i8(ctx, node, "hard_swish", 0);
    return st != EMBER_STATUS_OK ? st : hard_swish_i8_read(ctx, node, &d);
}

static void ember_hard_swish_f32_ref(const float *in, float *out, size_t n,
                                     const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] * ember_clamp_f32(in[i] + 3.0f, 0.0f, 6.0f) * (1.0f / 6.0f);
}

static int8_t hard_swish_i8(int8_t q, const struct hard_swish_i8_data *d) {
    const int16_t hires = (int16_t)((q - d->in_zp) * 128); /* |.| <= 255 * 128 fits */
    const int16_t scaled = ember_srdhm16(hires, d->out_mult);
    /* relu6(x + 3) / 6 = clamp(x / 3, -1, 1) mapped onto [0, 1], in Q0.15. */
    int16_t reluish = hires;
    if (d->relu_exp > 0)
        reluish = ember_shift_left_sat16(reluish, d->relu_exp - 1);
    reluish = ember_srdhm16(reluish, d->relu_mult);
    if (d->relu_exp > 0)
        reluish = ember_shift_left_sat16(reluish, 1);
    if (d->relu_exp < 0)
        reluish = (int16_t)ember_rdbpot(reluish, -d->relu_exp);
    reluish = (int16_t)((reluish + (1 << 15)) >> 1);
    const int16_t product = ember_doubling_high_mul16(reluish, scaled);
    const int32_t v = ember_rdbpot(product, -d->out_exp) + d->out_zp;
    return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
}

static void ember_hard_swish_i8_ref(const int8_t *in, int8_t *out, size_t n,
                                    const struct hard_swish_i8_data *d) {
    for (size_t i = 0; i < n; i++)
        out[i] = hard_swish_i8(in[i], d);
}

static ember_status hard_swish_prepare(ember_context *ctx, ember_node *node) {
    if (!ember_unary_is_i8(ctx, node)) {
        const ember_unary_params none = {0.0f, 0.0f};
        return ember_unary_prepare_fast(ctx, node, ember_hard_swish_f32_ref, none,
                                        EMBER_VUNARY_HARD_SWISH, none);
    }
    struct hard_swish_i8_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    const ember_status st = hard_swish_i8_read(ctx, node, d);
    d->lut = st == EMBER_STATUS_OK ? ember_vlut_qs8_select(ctx) : NULL;
    if (d->lut == NULL)
        return st;
    for (int v = 0; v < EMBER_I8_TABLE_SIZE; v++)
        d->table[v] = hard_swish_i8((int8_t)v, d);
    node->variant = d->lut->name;
    return EMBER_STATUS_OK;
}

static ember_status hard_swish_eval(ember_context *ctx, const ember_node *node) {
    if (!ember_unary_is_i8(ctx, node))
        return ember_unary_eval(ctx, node);
    const ember_tensor *in = ember_input(ctx, node, 0);
    const struct hard_swish_i8_data *d = node->data;
    if (d->lut != NULL) {
        ember_vlut_qs8_run(ctx, d->lut->fn, in->count, in->data, ember_output(ctx, node, 0)->data,
                           d->table);
        return EMBER_STATUS_OK;
    }
    ember_hard_swish_i8_ref(in->data, ember_output(ctx, node, 0)->data, in->count, node->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_hard_swish = {
    EMBER_OP_HARD_SWISH, "hard_swish", hard_swish_check, hard_swish_prepare, hard_swish_eval,
};
