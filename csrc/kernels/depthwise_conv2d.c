/* DEPTHWISE_CONV2D: input [N,H,W,C] (NHWC), filter [1,KH,KW,C*multiplier], optional bias
   [C*multiplier], output [N,OH,OW,C*multiplier]; strided, dilated, zero-padded, with a fused
   activation. Output channel c * multiplier + m reads only input channel c. */
#include <string.h>

#include "kernels/depthwise_conv2d.h"
#include "kernels/conv16x8.h"
#include "kernels/fixed_point.h"
#include "kernels/shape_rules.h"
#include "kernels/vec_f32.h"
#include "threadpool.h"

/* Reads and validates params and tensors into `d`; shared by check and prepare. */
static ember_status depthwise_conv2d_read(ember_context *ctx, const ember_node *node,
                                          struct depthwise_conv2d_data *d) {
    struct conv_tensors t;
    ember_status st = conv_params_read(ctx, node, "depthwise_conv2d",
                                       EMBER_OP_PARAMS_DEPTHWISE_CONV2D_PARAMS,
                                       EMBER_SLOT_DEPTHWISE_CONV2D_PARAMS_ACTIVATION, 3, &d->win,
                                       &d->act_lo, &d->act_hi, &d->act_fn);
    if (st == EMBER_STATUS_OK)
        st = conv_count_read(ctx, node, "depthwise_conv2d",
                             EMBER_SLOT_DEPTHWISE_CONV2D_PARAMS_DEPTH_MULTIPLIER,
                             "depth_multiplier", &d->multiplier);
    if (st == EMBER_STATUS_OK)
        st = conv_tensors_read(ctx, node, "depthwise_conv2d", &t);
    if (st != EMBER_STATUS_OK)
        return st;

    const ember_tensor *filter = t.filter;
    d->batch = t.in->dims[0];
    d->in_h = t.in->dims[1];
    d->in_w = t.in->dims[2];
    d->in_c = t.in->dims[3];
    d->filter_h = filter->dims[1];
    d->filter_w = filter->dims[2];
    d->out_c = filter->dims[3];
    if (d->in_c < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (depthwise_conv2d): input must have >= 1 channel, got "
                          "%" PRId32,
                          node->index, d->in_c);
    if (filter->dims[0] != 1 || d->filter_h < 1 || d->filter_w < 1 ||
        (int64_t)d->in_c * d->multiplier != d->out_c)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (depthwise_conv2d): filter must be [1,KH,KW,%lld] "
                          "with KH, KW >= 1 (%" PRId32 " channels x multiplier %" PRId32 "), got "
                          "[%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 "]",
                          node->index, (long long)d->in_c * d->multiplier, d->in_c, d->multiplier,
                          filter->dims[0], d->filter_h, d->filter_w, d->out_c);
    if ((st = conv_bias_check(ctx, node, "depthwise_conv2d", t.bias, d->out_c)) ||
        (st = conv_forward_output_check(ctx, node, "depthwise_conv2d", &d->win, &t, d->out_c)))
        return st;
    d->out_h = t.out->dims[1];
    d->out_w = t.out->dims[2];
    d->is_i8 = t.in->type == EMBER_TYPE_INT8;
    d->is_i16 = t.in->type == EMBER_TYPE_INT16;
    if (!d->is_i8 && !d->is_i16)
        return EMBER_STATUS_OK;
    if ((st = conv_quant_check(ctx, node, &t, 3, d->out_c)) ||
        (st = conv_quant_range(ctx, node, "depthwise_conv2d",
                               EMBER_SLOT_DEPTHWISE_CONV2D_PARAMS_ACTIVATION, t.out, &d->q_min,
                               &d->q_max)))
        return st;
    d->in_zp = t.in->zero_point;
    d->out_zp = t.out->zero_point;
    return EMBER_STATUS_OK;
}

ember_status ember_shape_depthwise_conv2d(ember_context *ctx, const ember_node *node) {
    return conv_filter_shape(ctx, node, "depthwise_conv2d", EMBER_OP_PARAMS_DEPTHWISE_CONV2D_PARAMS, 3);
}

static ember_status depthwise_conv2d_check(ember_context *ctx, const ember_node *node) {
    struct depthwise_conv2d_data d;
    return depthwise_conv2d_read(ctx, node, &d);
}

static void ember_depthwise_conv2d_f32_ref(const struct depthwise_conv2d_data *d,
                                           const float *input, const float *filter,
                                           const float *bias, float *output) {
    const struct conv_window *w = &d->win;
    const size_t in_c = (size_t)d->in_c;
    const size_t out_c = (size_t)d->out_c;
    const size_t mult = (size_t)d->multiplier;
    struct conv_walk p;
    conv_walk_init(&p, w, d->batch, d->out_h, d->out_w, d->in_h, d->in_w, d->filter_h,
                   d->filter_w);
    while (conv_walk_next(&p)) {
        /* All channels of one output pixel are accumulated together: input, filter and output
           are all contiguous along the channel axis. */
        for (size_t oc = 0; oc < out_c; oc++)
            output[oc] = bias ? bias[oc] : 0.0f;
        for (int32_t ky = p.ky0; ky < p.ky1; ky++) {
            const int64_t y = p.y0 + (int64_t)ky * w->dilation_h;
            for (int32_t kx = p.kx0; kx < p.kx1; kx++) {
                const int64_t x = p.x0 + (int64_t)kx * w->dilation_w;
                const float *src = input + conv_walk_pixel(&p, y, x) * in_c;
                const float *taps =
                    filter + ((size_t)ky * (size_t)d->filter_w + (size_t)kx) * out_c;
                if (mult == 1) {
                    vec_f32_mul_add(output, src, taps, in_c);
                    continue;
                }
                for (size_t c = 0; c < in_c; c++)
                    vec_f32_scale_add(output + c * mult, src[c], taps + c * mult, mult);
            }
        }
        vec_f32_clamp_row(output, out_c, d->act_lo, d->act_hi);
        for (size_t oc = 0; d->act_fn != EMBER_FUSED_ACTIVATION_NONE && oc < out_c; oc++)
            output[oc] = ember_epilogue_f32_fn(d->act_fn, output[oc]);
        output += out_c;
    }
}

/* LiteRT's reference per-channel int8 depthwise convolution: output channel oc = c * multiplier
   + m sums filter x (input - zero point) over the in-image taps of input channel c, adds the
   bias and is requantized with its own multiplier. The sum wraps like LiteRT's. */
static void depthwise_conv2d_i8_ref(const struct depthwise_conv2d_data *d, const int8_t *input,
                                    const int8_t *filter, const int32_t *bias, int8_t *output) {
    const struct conv_window *w = &d->win;
    const size_t in_c = (size_t)d->in_c;
    const size_t out_c = (size_t)d->out_c;
    struct conv_walk p;
    conv_walk_init(&p, w, d->batch, d->out_h, d->out_w, d->in_h, d->in_w, d->filter_h,
                   d->filter_w);
    while (conv_walk_next(&p)) {
        for (size_t oc = 0; oc < out_c; oc++) {
            const size_t ic = oc / (size_t)d->multiplier;
            uint32_t acc = bias ? (uint32_t)bias[oc] : 0u;
            for (int32_t ky = p.ky0; ky < p.ky1; ky++) {
                const int64_t y = p.y0 + (int64_t)ky * w->dilation_h;
                for (int32_t kx = p.kx0; kx < p.kx1; kx++) {
                    const int64_t x = p.x0 + (int64_t)kx * w->dilation_w;
                    const int8_t v = input[conv_walk_pixel(&p, y, x) * in_c + ic];
                    const int8_t f =
                        filter[((size_t)ky * (size_t)d->filter_w + (size_t)kx) * out_c + oc];
                    acc += (uint32_t)(f * (v - d->in_zp));
                }
            }
            *output++ = (int8_t)ember_requantize_i8((int32_t)acc, d->mult[oc], d->shift[oc],
                                                    d->out_zp, d->q_min, d->q_max);
        }
    }
}

/* LiteRT's reference 16x8 depthwise convolution: the same loop on int16 inputs (zero point
   0) with an int64 sum and bias, requantized by the int64 multiply. The sum wraps. */
static void ember_depthwise_conv2d_i16_ref(const struct depthwise_conv2d_data *d,
                                           const int16_t *input, const int8_t *filter,
                                           const int64_t *bias, int16_t *output) {
    const struct conv_window *w = &d->win;
    const size_t in_c = (size_t)d->in_c;
    const size_t out_c = (size_t)d->out_c;
    struct conv_walk p;
    conv_walk_init(&p, w, d->batch, d->out_h, d->out_w, d->in_h, d->in_w, d->filter_h,
                   d->filter_w);
    while (conv_walk_next(&p)) {
        for (size_t oc = 0; oc < out_c; oc++) {
            const size_t ic = oc / (size_t)d->multiplier;
            uint64_t acc = bias ? (uint64_t)bias[oc] : 0u;
            for (int32_t ky = p.ky0; ky < p.ky1; ky++) {
                const int64_t y = p.y0 + (int64_t)ky * w->dilation_h;
                for (int32_t kx = p.kx0; kx < p.kx1; kx++) {
                    const int64_t x = p.x0 + (int64_t)kx * w->dilation_w;
                    const int16_t v = input[conv_walk_pixel(&p, y, x) * in_c + ic];
                    const int8_t f =
                        filter[((size_t)ky * (size_t)d->filter_w + (size_t)kx) * out_c + oc];
                    acc += (uint64_t)(int64_t)(f * v);
                }
            }
            *output++ = (int16_t)ember_requantize_i16((int64_t)acc, d->mult[oc], d->shift[oc],
                                                      d->q_min, d->q_max);
        }
    }
}

/* Packs the weights for the float32 microkernels (csrc/ukernels/dwconv.h) when they apply:
   channel multiplier 1, constant filter and bias, a non-empty input, and an isa_mask that
   allows optimised kernels. Otherwise f32_cfg stays NULL and eval runs the reference loop. */
static ember_status depthwise_conv2d_prepare_f32(ember_context *ctx, ember_node *node,
                                                 struct depthwise_conv2d_data *d) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *filter = ember_input(ctx, node, 1), *bias = ember_input(ctx, node, 2);
    if (d->multiplier != 1 || in->count == 0 || !filter->is_constant || filter->data == NULL ||
        (bias != NULL && (!bias->is_constant || bias->data == NULL)))
        return EMBER_STATUS_OK;
    ember_dwconv_shape *s = &d->f32_shape;
    *s = (ember_dwconv_shape){.channels = (size_t)d->in_c, .in_h = d->in_h,
                                  .in_w = d->in_w, .out_h = d->out_h, .out_w = d->out_w,
                                  .kh = d->filter_h, .kw = d->filter_w, .win = d->win};
    const ember_dwconv_f32_config *cfg =
        ember_reference_only(ctx) ? NULL : ember_dwconv_f32_select(ctx, s);
    d->epilogue = (struct ember_epilogue_f32){d->act_fn, d->act_lo, d->act_hi, NULL, NULL, NULL};
    if (cfg == NULL || (d->act_fn != EMBER_FUSED_ACTIVATION_NONE &&
                        !ember_epilogue_f32_select(ctx, &d->epilogue)))
        return EMBER_STATUS_OK;
    const size_t ks = (size_t)d->filter_h * (size_t)d->filter_w;
    const size_t zeros = ember_dwconv_f32_zero_count(s);
    d->f32_packed =
        ember_alloc(ctx, ember_dwconv_f32_packed_count(s->channels, ks) * sizeof(float));
    d->f32_zero = ember_alloc(ctx, zeros * sizeof(float)); /* zero-filled */
    if (d->f32_packed == NULL || d->f32_zero == NULL)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "node %" PRIu32 " (depthwise_conv2d): out of memory", node->index);
    ember_pack_dwconv_f32(s->channels, ks, filter->data, bias ? bias->data : NULL,
                          d->f32_packed);
    d->f32_ind_count = ember_dwconv_f32_ind_count(cfg, s);
    ember_request_scratch(ctx, ember_thread_count(ctx) * d->f32_ind_count * sizeof(float *));
    d->f32_cfg = cfg;
    node->variant = cfg->name;
    return EMBER_STATUS_OK;
}

struct depthwise_conv2d_f32_task {
    const struct depthwise_conv2d_data *d;
    const float *input;
    float *output;
    const float **ind; /* the scratch: f32_ind_count tap pointers per thread */
    ember_minmax_f32 clamp;
};

/* Output rows [begin, end) of the batch's n * out_h rows; each row's arithmetic is the same
   whichever thread runs it, so the output is bit-identical for any thread count. */
static void depthwise_conv2d_f32_rows(const void *arg, size_t thread, size_t begin,
                                      size_t end) {
    const struct depthwise_conv2d_f32_task *t = arg;
    const struct depthwise_conv2d_data *d = t->d;
    const size_t image = (size_t)d->in_h * (size_t)d->in_w * (size_t)d->in_c;
    const size_t row = (size_t)d->out_w * (size_t)d->out_c;
    const float **ind = t->ind + thread * d->f32_ind_count;
    for (size_t r = begin; r < end; r++) {
        ember_dwconv_f32_row_run(d->f32_cfg, &d->f32_shape,
                                 t->input + r / (size_t)d->out_h * image,
                                 (int32_t)(r % (size_t)d->out_h), d->f32_packed, d->f32_zero,
                                 ind, t->output + r * row, &t->clamp);
        /* SILU or HARD_SWISH over the row just written, while it is in cache. */
        if (d->act_fn != EMBER_FUSED_ACTIVATION_NONE)
            ember_epilogue_f32_row(&d->epilogue, t->output + r * row, NULL, row);
    }
}

static void depthwise_conv2d_f32_fast(ember_context *ctx, const struct depthwise_conv2d_data *d,
                                      const float *input, float *output) {
    const struct depthwise_conv2d_f32_task t = {d, input, output, ctx->scratch,
                                                {d->act_lo, d->act_hi}};
    const size_t rows = (size_t)d->batch * (size_t)d->out_h;
    /* A few tiles per thread even out rows of unequal cost (the padded edges). */
    const size_t tiles = ember_thread_count(ctx) * 4;
    ember_parallel_1d(ctx, depthwise_conv2d_f32_rows, &t, rows, (rows + tiles - 1) / tiles);
}

/* Packs the weights for the int8 microkernels (csrc/ukernels/dwconv_qs8.h) when they apply:
   channel multiplier 1, constant filter and bias, a non-empty input, an isa_mask that allows
   optimised kernels and multipliers they can represent. Otherwise q8_cfg stays NULL and eval
   runs the reference loop. Needs d->mult and d->shift. */
static ember_status depthwise_conv2d_prepare_i8(ember_context *ctx, ember_node *node,
                                                struct depthwise_conv2d_data *d) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *filter = ember_input(ctx, node, 1), *bias = ember_input(ctx, node, 2);
    node->variant = "depthwise_conv2d_i8_ref";
    /* Cortex-M: in place, no scratch, so bare-metal builds (reference_only) take it too. */
    d->inplace =
        ember_dwconv_qs8_inplace_select(ctx, d->multiplier, d->shift, (size_t)d->out_c);
    if (d->inplace != NULL) {
        node->variant = d->inplace->name;
        return EMBER_STATUS_OK;
    }
    if (ember_reference_only(ctx) || d->multiplier != 1 || in->count == 0 ||
        !filter->is_constant || filter->data == NULL ||
        (bias != NULL && (!bias->is_constant || bias->data == NULL)))
        return EMBER_STATUS_OK;
    ember_dwconv_shape *s = &d->q8_shape;
    *s = (ember_dwconv_shape){.channels = (size_t)d->in_c, .in_h = d->in_h,
                                  .in_w = d->in_w, .out_h = d->out_h, .out_w = d->out_w,
                                  .kh = d->filter_h, .kw = d->filter_w, .win = d->win};
    const ember_dwconv_qs8_config *cfg = ember_dwconv_qs8_select(ctx, s);
    if (cfg == NULL)
        return EMBER_STATUS_OK;
    const size_t zp_bytes = ember_dwconv_qs8_zp_row_size(s);
    d->q8_packed = ember_alloc(ctx, ember_dwconv_qs8_packed_size(cfg, s->channels, s->kh, s->kw));
    d->q8_zp_row = ember_alloc(ctx, zp_bytes);
    if (d->q8_packed == NULL || d->q8_zp_row == NULL)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "node %" PRIu32 " (depthwise_conv2d): out of memory", node->index);
    if (!ember_pack_dwconv_qs8(cfg, s->channels, s->kh, s->kw, filter->data,
                               bias ? bias->data : NULL, d->in_zp, d->mult, d->shift,
                               d->q8_packed))
        return EMBER_STATUS_OK; /* a shift above 31: the reference loop (requant_qs8.h) */
    memset(d->q8_zp_row, (int)(int8_t)d->in_zp, zp_bytes);
    d->q8_ind_count = ember_dwconv_qs8_ind_count(cfg, s);
    ember_request_scratch(ctx, ember_thread_count(ctx) * d->q8_ind_count * sizeof(int8_t *));
    d->q8_cfg = cfg;
    node->variant = cfg->name;
    return EMBER_STATUS_OK;
}

struct depthwise_conv2d_i8_task {
    const struct depthwise_conv2d_data *d;
    const int8_t *input;
    int8_t *output;
    const int8_t **ind; /* the scratch: q8_ind_count tap pointers per thread */
    ember_qs8_params params;
};

/* Output rows [begin, end) of the batch's n * out_h rows (bit-identical for any split). */
static void depthwise_conv2d_i8_rows(const void *arg, size_t thread, size_t begin, size_t end) {
    const struct depthwise_conv2d_i8_task *t = arg;
    const struct depthwise_conv2d_data *d = t->d;
    const size_t image = (size_t)d->in_h * (size_t)d->in_w * (size_t)d->in_c;
    const size_t row = (size_t)d->out_w * (size_t)d->out_c;
    const int8_t **ind = t->ind + thread * d->q8_ind_count;
    for (size_t r = begin; r < end; r++)
        ember_dwconv_qs8_row_run(d->q8_cfg, &d->q8_shape, t->input + r / (size_t)d->out_h * image,
                                 (int32_t)(r % (size_t)d->out_h), d->q8_packed, d->q8_zp_row,
                                 ind, t->output + r * row, &t->params);
}

static void depthwise_conv2d_i8_fast(ember_context *ctx, const struct depthwise_conv2d_data *d,
                                     const int8_t *input, int8_t *output) {
    const struct depthwise_conv2d_i8_task t = {d, input, output, ctx->scratch,
                                               {d->out_zp, d->q_min, d->q_max}};
    const size_t rows = (size_t)d->batch * (size_t)d->out_h;
    const size_t tiles = ember_thread_count(ctx) * 4;
    ember_parallel_1d(ctx, depthwise_conv2d_i8_rows, &t, rows, (rows + tiles - 1) / tiles);
}

/* The in-place Cortex-M kernel over every output pixel (ukernels/dwconv_qs8_inplace.h). */
static void depthwise_conv2d_i8_inplace(const struct depthwise_conv2d_data *d, const int8_t *input,
                                        const int8_t *filter, const int32_t *bias,
                                        int8_t *output) {
    const ember_dwconv_qs8_inplace_shape s = {d->batch, d->in_h,  d->in_w,     d->in_c, d->out_h,
                                              d->out_w, d->filter_h, d->filter_w, d->win};
    const ember_dwconv_qs8_inplace_params p = {(size_t)d->out_c, d->multiplier, d->in_zp, d->mult,
                                               d->shift, {d->out_zp, d->q_min, d->q_max}};
    ember_dwconv_qs8_inplace_run(d->inplace, &s, &p, input, filter, bias, output);
}

/* int16 (16x8): the multipliers, and the fast plan of kernels/conv16x8.c for multiplier 1. */
static ember_status depthwise_conv2d_i16_prepare(ember_context *ctx, ember_node *node,
                                                 struct depthwise_conv2d_data *d) {
    ember_status st = ember_channel_multipliers_i16(ctx, node, ember_input(ctx, node, 0),
                                                    ember_input(ctx, node, 1),
                                                    ember_output(ctx, node, 0), d->out_c,
                                                    &d->mult, &d->shift);
    if (st != EMBER_STATUS_OK || d->multiplier != 1)
        return st;
    const struct conv16x8_conv c = {&d->win, d->batch, d->in_h, d->in_w, d->in_c,
                                    d->filter_h, d->filter_w, d->out_h, d->out_w, d->out_c,
                                    d->mult, d->shift, d->q_min, d->q_max};
    return conv16x8_depthwise_prepare(ctx, node, ember_dwconv_qs16x8_select(ctx), &c,
                                      &d->fast16);
}

static ember_status depthwise_conv2d_prepare(ember_context *ctx, ember_node *node) {
    struct depthwise_conv2d_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "node %" PRIu32 " (depthwise_conv2d): out of memory", node->index);
    node->data = d;
    ember_status st = depthwise_conv2d_read(ctx, node, d);
    if (st != EMBER_STATUS_OK)
        return st;
    if (EMBER_HAS_FLOAT_KERNELS && !d->is_i8 && !d->is_i16)
        return depthwise_conv2d_prepare_f32(ctx, node, d);
    if (EMBER_HAS_INT16_KERNELS && d->is_i16)
        return depthwise_conv2d_i16_prepare(ctx, node, d);
    if (!d->is_i8)
        return ember_unsupported_types(ctx, node);
    st = ember_channel_multipliers(ctx, node, ember_input(ctx, node, 0),
                                   ember_input(ctx, node, 1), ember_output(ctx, node, 0),
                                   d->out_c, &d->mult, &d->shift);
    return st != EMBER_STATUS_OK ? st : depthwise_conv2d_prepare_i8(ctx, node, d);
}

static ember_status depthwise_conv2d_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *out = ember_output(ctx, node, 0);
    /* An empty output may still have huge batch or height dims: skip their loops. */
    if (out->count == 0)
        return EMBER_STATUS_OK;
    const ember_tensor *bias = ember_input(ctx, node, 2);
    const struct depthwise_conv2d_data *d = node->data;
    if (EMBER_HAS_INT16_KERNELS && d->is_i16 && d->fast16 != NULL) {
        conv16x8_run(ctx, d->fast16, ember_input(ctx, node, 0)->data, out->data);
        return EMBER_STATUS_OK;
    }
    if (EMBER_HAS_INT16_KERNELS && d->is_i16) {
        ember_depthwise_conv2d_i16_ref(d, ember_input(ctx, node, 0)->data,
                                       ember_input(ctx, node, 1)->data,
                                       bias ? bias->data : NULL, out->data);
        return EMBER_STATUS_OK;
    }
    if (d->is_i8 && d->inplace != NULL) {
        depthwise_conv2d_i8_inplace(d, ember_input(ctx, node, 0)->data,
                                    ember_input(ctx, node, 1)->data, bias ? bias->data : NULL,
                                    out->data);
        return EMBER_STATUS_OK;
    }
    if (d->is_i8 && EMBER_PACKED_KERNELS && d->q8_cfg != NULL) {
        depthwise_conv2d_i8_fast(ctx, d, ember_input(ctx, node, 0)->data, out->data);
        return EMBER_STATUS_OK;
    }
    if (d->is_i8 || !EMBER_HAS_FLOAT_KERNELS) {
        depthwise_conv2d_i8_ref(d, ember_input(ctx, node, 0)->data,
                                ember_input(ctx, node, 1)->data, bias ? bias->data : NULL,
                                out->data);
        return EMBER_STATUS_OK;
    }
    if (EMBER_PACKED_KERNELS && d->f32_cfg != NULL) {
        depthwise_conv2d_f32_fast(ctx, d, ember_input(ctx, node, 0)->data, out->data);
        return EMBER_STATUS_OK;
    }
    ember_depthwise_conv2d_f32_ref(node->data, ember_input(ctx, node, 0)->data,
                                   ember_input(ctx, node, 1)->data, bias ? bias->data : NULL,
                                   out->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_depthwise_conv2d = {
    EMBER_OP_DEPTHWISE_CONV2D, "depthwise_conv2d", depthwise_conv2d_check,
    depthwise_conv2d_prepare, depthwise_conv2d_eval,
};
