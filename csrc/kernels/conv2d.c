/* CONV2D: input [N,H,W,Cin] (NHWC), filter [Cout,KH,KW,Cin/groups] (OHWI), optional bias
   [Cout], output [N,OH,OW,Cout]; grouped, strided, dilated, zero-padded, with a fused
   activation. Output channel oc belongs to group oc / (Cout/groups), which reads input
   channels [g * Cin/groups, (g + 1) * Cin/groups). */
#include "kernels/conv2d.h"
#include "kernels/conv16x8.h"
#include "kernels/fixed_point.h"
#include "kernels/shape_rules.h"
#include "kernels/hybrid_gemm.h"
#include "kernels/vec_f32.h"

/* The optional residual (input 3): float32 only, the output's shape, and apart from the output
   in the arena (the GEMM paths write a tile of output before they add its residual). */
static ember_status conv2d_residual_check(ember_context *ctx, const ember_node *node,
                                          const ember_tensor *residual, const ember_tensor *out) {
    ember_status st = EMBER_STATUS_OK;
    if (out->type != EMBER_TYPE_FLOAT32)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (conv2d): a residual (input 3) is only supported "
                          "on float32 convolutions", node->index);
    if ((st = ember_check_type(ctx, node, residual, EMBER_TYPE_FLOAT32, "residual")) ||
        (st = ember_check_same_shape(ctx, node, "conv2d", residual, out)))
        return st;
    const bool apart = residual->arena_offset < 0 || out->arena_offset < 0 ||
                       residual->arena_offset + (int64_t)residual->bytes <= out->arena_offset ||
                       out->arena_offset + (int64_t)out->bytes <= residual->arena_offset;
    if (!apart)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (conv2d): the residual (input 3) overlaps the output "
                          "in the arena (residual at offset %lld, output at %lld, %zu bytes)",
                          node->index, (long long)residual->arena_offset,
                          (long long)out->arena_offset, out->bytes);
    return EMBER_STATUS_OK;
}

/* Reads and validates params and tensors into `d`; shared by check and prepare. */
static ember_status conv2d_read(ember_context *ctx, const ember_node *node,
                                struct conv2d_data *d) {
    struct conv_tensors t;
    ember_status st = conv_params_read(ctx, node, "conv2d", EMBER_OP_PARAMS_CONV2D_PARAMS,
                                       EMBER_SLOT_CONV2D_PARAMS_ACTIVATION, 4, &d->win,
                                       &d->act_lo, &d->act_hi, &d->act_fn);
    if (st == EMBER_STATUS_OK)
        st = conv_count_read(ctx, node, "conv2d", EMBER_SLOT_CONV2D_PARAMS_GROUPS, "groups",
                             &d->groups);
    if (st == EMBER_STATUS_OK)
        st = ember_hybrid_conv_tensors_read(ctx, node, "conv2d", &t);
    if (st != EMBER_STATUS_OK)
        return st;

    d->batch = t.in->dims[0];
    d->in_h = t.in->dims[1];
    d->in_w = t.in->dims[2];
    d->in_c = t.in->dims[3];
    d->out_c = t.filter->dims[0];
    d->filter_h = t.filter->dims[1];
    d->filter_w = t.filter->dims[2];
    if ((st = conv_grouped_filter_check(ctx, node, "conv2d", t.filter, d->groups, d->in_c)) ||
        (st = conv_bias_check(ctx, node, "conv2d", t.bias, d->out_c)) ||
        (st = conv_forward_output_check(ctx, node, "conv2d", &d->win, &t, d->out_c)))
        return st;
    d->out_h = t.out->dims[1];
    d->out_w = t.out->dims[2];
    d->is_i8 = t.in->type == EMBER_TYPE_INT8;
    d->is_i16 = t.in->type == EMBER_TYPE_INT16;
    const ember_tensor *residual = ember_input(ctx, node, 3);
    d->has_residual = residual != NULL;
    if (residual && (st = conv2d_residual_check(ctx, node, residual, t.out)))
        return st;
    if (!d->is_i8 && !d->is_i16)
        return EMBER_STATUS_OK;
    if ((st = conv_quant_check(ctx, node, &t, 0, d->out_c)) ||
        (st = conv_quant_range(ctx, node, "conv2d", EMBER_SLOT_CONV2D_PARAMS_ACTIVATION, t.out,
                               &d->q_min, &d->q_max)))
        return st;
    d->in_zp = t.in->zero_point;
    d->out_zp = t.out->zero_point;
    return EMBER_STATUS_OK;
}

ember_status ember_shape_conv2d(ember_context *ctx, const ember_node *node) {
    return conv_filter_shape(ctx, node, "conv2d", EMBER_OP_PARAMS_CONV2D_PARAMS, 0);
}

static ember_status conv2d_check(ember_context *ctx, const ember_node *node) {
    struct conv2d_data d;
    return conv2d_read(ctx, node, &d);
}

/* Where tap (ky, kx) of output channel oc starts in an OHWI filter, in units of cin_g. */
static inline size_t filter_tap(const struct conv2d_data *d, int32_t oc, int32_t ky,
                                int32_t kx) {
    return ((size_t)oc * (size_t)d->filter_h + (size_t)ky) * (size_t)d->filter_w + (size_t)kx;
}

/* The oracle of the GEMM paths: one sum per output, tap by tap, each tap's channels as one
   dot product (in 8 lanes, so that the oracle itself runs at a usable speed). */
static void ember_conv2d_f32_ref(const struct conv2d_data *d, const float *input,
                                 const float *filter, const float *bias, const float *residual,
                                 float *output) {
    const struct conv_window *w = &d->win;
    const size_t in_c = (size_t)d->in_c;
    const size_t cin_g = in_c / (size_t)d->groups;
    const size_t cout_g = (size_t)d->out_c / (size_t)d->groups;
    struct conv_walk p;
    conv_walk_init(&p, w, d->batch, d->out_h, d->out_w, d->in_h, d->in_w, d->filter_h,
                   d->filter_w);
    while (conv_walk_next(&p)) {
        for (int32_t oc = 0; oc < d->out_c; oc++) {
            const size_t c0 = ((size_t)oc / cout_g) * cin_g;
            float acc = bias ? bias[oc] : 0.0f;
            for (int32_t ky = p.ky0; ky < p.ky1; ky++) {
                const int64_t y = p.y0 + (int64_t)ky * w->dilation_h;
                for (int32_t kx = p.kx0; kx < p.kx1; kx++) {
                    const int64_t x = p.x0 + (int64_t)kx * w->dilation_w;
                    const float *src = input + conv_walk_pixel(&p, y, x) * in_c + c0;
                    const float *taps = filter + filter_tap(d, oc, ky, kx) * cin_g;
                    acc += vec_f32_dot(src, taps, cin_g);
                }
            }
            if (residual != NULL)
                acc += *residual++;
            *output++ = ember_epilogue_f32_fn(d->act_fn, vec_f32_clamp(acc, d->act_lo, d->act_hi));
        }
    }
}

/* LiteRT's reference per-channel int8 convolution: int32 sums of filter x (input - zero
   point) over in-image taps (so padding acts as the input zero point), plus the bias, then
   requantized per output channel. The sum wraps like LiteRT's. */
static void ember_conv2d_i8_ref(const struct conv2d_data *d, const int8_t *input,
                                const int8_t *filter, const int32_t *bias, int8_t *output) {
    const struct conv_window *w = &d->win;
    const size_t in_c = (size_t)d->in_c;
    const size_t cin_g = in_c / (size_t)d->groups;
    const size_t cout_g = (size_t)d->out_c / (size_t)d->groups;
    struct conv_walk p;
    conv_walk_init(&p, w, d->batch, d->out_h, d->out_w, d->in_h, d->in_w, d->filter_h,
                   d->filter_w);
    while (conv_walk_next(&p)) {
        for (int32_t oc = 0; oc < d->out_c; oc++) {
            const size_t c0 = ((size_t)oc / cout_g) * cin_g;
            uint32_t acc = bias ? (uint32_t)bias[oc] : 0u;
            for (int32_t ky = p.ky0; ky < p.ky1; ky++) {
                const int64_t y = p.y0 + (int64_t)ky * w->dilation_h;
                for (int32_t kx = p.kx0; kx < p.kx1; kx++) {
                    const int64_t x = p.x0 + (int64_t)kx * w->dilation_w;
                    const int8_t *src = input + conv_walk_pixel(&p, y, x) * in_c + c0;
                    const int8_t *taps = filter + filter_tap(d, oc, ky, kx) * cin_g;
                    for (size_t ic = 0; ic < cin_g; ic++)
                        acc += (uint32_t)(taps[ic] * (src[ic] - d->in_zp));
                }
            }
            *output++ = (int8_t)ember_requantize_i8((int32_t)acc, d->mult[oc], d->shift[oc],
                                                    d->out_zp, d->q_min, d->q_max);
        }
    }
}

/* LiteRT's reference 16x8 convolution: the same loop on int16 inputs (zero point 0) with an
   int64 sum and bias, requantized by the int64 multiply (one rounding). The sum wraps. */
static void ember_conv2d_i16_ref(const struct conv2d_data *d, const int16_t *input,
                                 const int8_t *filter, const int64_t *bias, int16_t *output) {
    const struct conv_window *w = &d->win;
    const size_t in_c = (size_t)d->in_c;
    const size_t cin_g = in_c / (size_t)d->groups;
    const size_t cout_g = (size_t)d->out_c / (size_t)d->groups;
    struct conv_walk p;
    conv_walk_init(&p, w, d->batch, d->out_h, d->out_w, d->in_h, d->in_w, d->filter_h,
                   d->filter_w);
    while (conv_walk_next(&p)) {
        for (int32_t oc = 0; oc < d->out_c; oc++) {
            const size_t c0 = ((size_t)oc / cout_g) * cin_g;
            uint64_t acc = bias ? (uint64_t)bias[oc] : 0u;
            for (int32_t ky = p.ky0; ky < p.ky1; ky++) {
                const int64_t y = p.y0 + (int64_t)ky * w->dilation_h;
                for (int32_t kx = p.kx0; kx < p.kx1; kx++) {
                    const int64_t x = p.x0 + (int64_t)kx * w->dilation_w;
                    const int16_t *src = input + conv_walk_pixel(&p, y, x) * in_c + c0;
                    const int8_t *taps = filter + filter_tap(d, oc, ky, kx) * cin_g;
                    for (size_t ic = 0; ic < cin_g; ic++)
                        acc += (uint64_t)(int64_t)(taps[ic] * src[ic]);
                }
            }
            *output++ = (int16_t)ember_requantize_i16((int64_t)acc, d->mult[oc], d->shift[oc],
                                                      d->q_min, d->q_max);
        }
    }
}

/* A 1x1 stride-1 unpadded convolution: a GEMM straight on the NHWC input. */
static bool conv2d_pointwise(const struct conv2d_data *d) {
    const struct conv_window *w = &d->win;
    return d->filter_h == 1 && d->filter_w == 1 && w->stride_h == 1 && w->stride_w == 1 &&
           w->pad_top == 0 && w->pad_left == 0 && w->pad_bottom == 0 && w->pad_right == 0;
}

/* float32 with a constant filter and bias and one group: the filter packed for the GEMM
   microkernels; a 1x1 stride-1 unpadded convolution runs as a GEMM straight on the NHWC input,
   any other as an indirect GEMM (or a gather for few input channels). Else the reference. */
static ember_status conv2d_f32_prepare(ember_context *ctx, ember_node *node,
                                       struct conv2d_data *d) {
    const ember_tensor *filter = ember_input(ctx, node, 1);
    const ember_tensor *bias = ember_input(ctx, node, 2);
    const ember_gemm_f32_config *cfg = ember_gemm_f32_select(ctx);
    if (cfg == NULL || d->groups != 1 || !filter->is_constant || filter->data == NULL ||
        (bias && (!bias->is_constant || bias->data == NULL)))
        return EMBER_STATUS_OK;
    const struct conv_window *w = &d->win;
    struct conv_gemm *g = &d->gemm;
    /* A residual is added before the clamp: the microkernels then clamp to +-inf only. */
    const bool epilogue = d->has_residual || d->act_fn != EMBER_FUSED_ACTIVATION_NONE;
    d->epilogue = (struct ember_epilogue_f32){d->act_fn, d->act_lo, d->act_hi, NULL, NULL, NULL};
    if (epilogue && !ember_epilogue_f32_select(ctx, &d->epilogue))
        return EMBER_STATUS_OK;
    g->cfg = cfg;
    g->epilogue = epilogue ? &d->epilogue : NULL;
    const size_t k = (size_t)d->filter_h * (size_t)d->filter_w * (size_t)d->in_c;
    const size_t m = (size_t)d->batch * (size_t)d->out_h * (size_t)d->out_w;
    ember_status st = conv_gemm_pack_nk(ctx, node, "conv2d", g, m, (size_t)d->out_c, k,
                                        filter->data, bias ? bias->data : NULL,
                                        epilogue ? -INFINITY : d->act_lo,
                                        epilogue ? INFINITY : d->act_hi);
    const struct conv_gemm_window cw = {w, d->in_h, d->in_w, d->in_c, d->filter_h,
                                        d->filter_w, d->out_h, d->out_w};
    if (st == EMBER_STATUS_OK && !conv2d_pointwise(d))
        st = conv_gemm_indirect(ctx, node, "conv2d", g, &cw);
    if (st == EMBER_STATUS_OK)
        conv_gemm_name(node, g);
    return st;
}

/* int8 with a constant filter and bias and one group: the filter packed for the int8 GEMM
   microkernels with the input zero point in the bias, on the same three paths as float32.
   Else (or when a multiplier's shift is beyond the microkernels) the reference loop. */
static ember_status conv2d_i8_prepare(ember_context *ctx, ember_node *node,
                                      struct conv2d_data *d) {
    const ember_tensor *filter = ember_input(ctx, node, 1);
    const ember_tensor *bias = ember_input(ctx, node, 2);
    const ember_gemm_qs8_config *cfg =
        ember_reference_only(ctx) ? NULL : ember_gemm_qs8_select(ctx);
    if (cfg == NULL || d->groups != 1 || !filter->is_constant || filter->data == NULL ||
        (bias && (!bias->is_constant || bias->data == NULL)))
        return EMBER_STATUS_OK;
    struct conv_gemm_qs8 *g = &d->qgemm;
    const size_t k = (size_t)d->filter_h * (size_t)d->filter_w * (size_t)d->in_c;
    const size_t m = (size_t)d->batch * (size_t)d->out_h * (size_t)d->out_w;
    conv_gemm_qs8_init(g, cfg, m, (size_t)d->out_c, k, d->in_zp, d->out_zp, d->q_min, d->q_max);
    const struct conv_gemm_window cw = {&d->win, d->in_h, d->in_w, d->in_c, d->filter_h,
                                        d->filter_w, d->out_h, d->out_w};
    ember_status st = EMBER_STATUS_OK;
    if (!conv2d_pointwise(d))
        st = conv_gemm_qs8_window(ctx, node, "conv2d", g, &cw);
    if (st == EMBER_STATUS_OK)
        st = conv_gemm_qs8_pack(ctx, node, "conv2d", g, filter->data, bias ? bias->data : NULL,
                                d->mult, d->shift);
    if (st == EMBER_STATUS_OK && g->cfg != NULL)
        conv_gemm_qs8_name(node, g);
    return st;
}

/* float32 input, int8 filter: dynamic range computing in int8 (kernels/hybrid_gemm.c, on the
   microkernels of ember_hybrid_qs8_select() and the int8 GEMM's gemm_i32). */
static ember_status conv2d_hybrid_prepare(ember_context *ctx, ember_node *node,
                                          struct conv2d_data *d) {
    const struct ember_hybrid_shape s = {
        &d->win, d->batch, d->in_h, d->in_w, d->in_c, d->filter_h, d->filter_w, d->out_h,
        d->out_w, 0, (size_t)d->out_c, 0, d->act_fn, d->act_lo, d->act_hi, d->has_residual,
        d->groups};
    return ember_hybrid_prepare(ctx, node, "conv2d", &s, ember_input(ctx, node, 1),
                                ember_input(ctx, node, 2), &d->hybrid);
}

/* int16 (16x8): the multipliers, and the fast plan of kernels/conv16x8.c for one group. */
static ember_status conv2d_i16_prepare(ember_context *ctx, ember_node *node,
                                       struct conv2d_data *d) {
    ember_status st = ember_channel_multipliers_i16(ctx, node, ember_input(ctx, node, 0),
                                                    ember_input(ctx, node, 1),
                                                    ember_output(ctx, node, 0), d->out_c,
                                                    &d->mult, &d->shift);
    if (st != EMBER_STATUS_OK || d->groups != 1)
        return st;
    const struct conv16x8_conv c = {&d->win, d->batch, d->in_h, d->in_w, d->in_c,
                                    d->filter_h, d->filter_w, d->out_h, d->out_w, d->out_c,
                                    d->mult, d->shift, d->q_min, d->q_max};
    return conv16x8_conv2d_prepare(ctx, node, ember_gemm_qs16x8_select(ctx), &c, &d->fast16);
}

#if EMBER_HAVE_MVE || EMBER_HAVE_ARMDSP
/* int8 on Cortex-M: the in-place kernel of the best ISA built in (ukernels/conv_qs8_inplace.h:
   the filter read where the model keeps it, no scratch), unless a multiplier's shift is past
   31 (the reference then). */
static void conv2d_i8_mcu_select(ember_context *ctx, ember_node *node, struct conv2d_data *d) {
    const ember_conv_qs8_inplace_config *cfg =
        ember_conv_qs8_inplace_select(ctx, d->shift, (size_t)d->out_c);
    if (cfg != NULL) {
        d->mcu = cfg->conv;
        node->variant = cfg->conv_name;
    }
}
#endif

static ember_status conv2d_prepare(ember_context *ctx, ember_node *node) {
    struct conv2d_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY, "node %" PRIu32 " (conv2d): out of memory",
                          node->index);
    node->data = d;
    ember_status st = conv2d_read(ctx, node, d);
    if (st != EMBER_STATUS_OK)
        return st;
    const bool is_f32 = !d->is_i8 && !d->is_i16;
    if (EMBER_HAS_FLOAT_KERNELS && is_f32 && ember_input(ctx, node, 1)->type == EMBER_TYPE_INT8)
        return conv2d_hybrid_prepare(ctx, node, d);
    if (EMBER_HAS_FLOAT_KERNELS && is_f32)
        return conv2d_f32_prepare(ctx, node, d);
    if (EMBER_HAS_INT16_KERNELS && d->is_i16)
        return conv2d_i16_prepare(ctx, node, d);
    if (!d->is_i8)
        return ember_unsupported_types(ctx, node);
    st = ember_channel_multipliers(ctx, node, ember_input(ctx, node, 0),
                                   ember_input(ctx, node, 1), ember_output(ctx, node, 0),
                                   d->out_c, &d->mult, &d->shift);
    if (st != EMBER_STATUS_OK)
        return st;
#if EMBER_HAVE_MVE || EMBER_HAVE_ARMDSP
    conv2d_i8_mcu_select(ctx, node, d);
    if (d->mcu != NULL)
        return EMBER_STATUS_OK;
#endif
    return conv2d_i8_prepare(ctx, node, d);
}

static ember_status conv2d_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *out = ember_output(ctx, node, 0);
    /* An empty output may still have huge batch or height dims: skip their loops. */
    if (out->count == 0)
        return EMBER_STATUS_OK;
    const ember_tensor *bias = ember_input(ctx, node, 2);
    const struct conv2d_data *d = node->data;
    if (EMBER_HAS_INT16_KERNELS && d->is_i16 && d->fast16 != NULL) {
        conv16x8_run(ctx, d->fast16, ember_input(ctx, node, 0)->data, out->data);
        return EMBER_STATUS_OK;
    }
    if (EMBER_HAS_INT16_KERNELS && d->is_i16) {
        ember_conv2d_i16_ref(d, ember_input(ctx, node, 0)->data, ember_input(ctx, node, 1)->data,
                             bias ? bias->data : NULL, out->data);
        return EMBER_STATUS_OK;
    }
    if (d->is_i8 && d->mcu != NULL) {
        const ember_conv_qs8_args a = {
            &d->win,     d->batch,    d->in_h,     d->in_w,  d->in_c,
            d->filter_h, d->filter_w, d->groups,   d->out_h, d->out_w,
            d->out_c,    d->in_zp,    d->mult,     d->shift, {d->out_zp, d->q_min, d->q_max}};
        d->mcu(&a, ember_input(ctx, node, 0)->data, ember_input(ctx, node, 1)->data,
               bias ? bias->data : NULL, out->data);
        return EMBER_STATUS_OK;
    }
    if (d->is_i8 && EMBER_PACKED_KERNELS && d->qgemm.cfg != NULL) {
        conv_gemm_qs8_run(ctx, &d->qgemm, ember_input(ctx, node, 0)->data, out->data);
        return EMBER_STATUS_OK;
    }
    if (d->is_i8 || !EMBER_HAS_FLOAT_KERNELS) {
        ember_conv2d_i8_ref(d, ember_input(ctx, node, 0)->data, ember_input(ctx, node, 1)->data,
                            bias ? bias->data : NULL, out->data);
        return EMBER_STATUS_OK;
    }
    const ember_tensor *residual = ember_input(ctx, node, 3);
    const float *res = residual ? residual->data : NULL;
    if (EMBER_PACKED_KERNELS && d->hybrid != NULL) {
        ember_hybrid_run(ctx, d->hybrid, ember_input(ctx, node, 0)->data, res, out->data);
        return EMBER_STATUS_OK;
    }
    if (EMBER_PACKED_KERNELS && d->gemm.cfg != NULL) {
        conv_gemm_run_epilogue(ctx, &d->gemm, ember_input(ctx, node, 0)->data, res, out->data);
        return EMBER_STATUS_OK;
    }
    ember_conv2d_f32_ref(node->data, ember_input(ctx, node, 0)->data,
                         ember_input(ctx, node, 1)->data, bias ? bias->data : NULL, res,
                         out->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_conv2d = {
    EMBER_OP_CONV2D, "conv2d", conv2d_check, conv2d_prepare, conv2d_eval,
};
