/* CONV2D: input [N,H,W,Cin] (NHWC), filter [Cout,KH,KW,Cin/groups] (OHWI), optional bias
   [Cout], output [N,OH,OW,Cout]; grouped, strided, dilated, zero-padded, with a fused
   activation. Output channel oc belongs to group oc / (Cout/groups), which reads input
   channels [g * Cin/groups, (g + 1) * Cin/groups). */
#include "ember_internal.h"
#include "kernels/conv_window.h"
#include "kernels/vec_f32.h"

struct conv2d_data {
    struct conv_window win;
    int32_t groups;
    float act_lo, act_hi;
    int32_t batch, in_h, in_w, in_c;
    int32_t filter_h, filter_w;
    int32_t out_h, out_w, out_c;
};

/* Reads and validates params and tensors into `d`; shared by check and prepare. */
static ember_status conv2d_read(ember_context *ctx, const ember_node *node,
                                struct conv2d_data *d) {
    ember_status st = ember_check_arity(ctx, node, 2, 3, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_CONV2D_PARAMS);
    if (st == EMBER_STATUS_OK)
        st = conv_window_read(ctx, node, "conv2d", &d->win);
    if (st == EMBER_STATUS_OK)
        st = conv_activation(ctx, node, EMBER_SLOT_CONV2D_PARAMS_ACTIVATION, "conv2d",
                             &d->act_lo, &d->act_hi);
    if (st != EMBER_STATUS_OK)
        return st;
    if (!ember_fb_i32(&node->params, EMBER_SLOT_CONV2D_PARAMS_GROUPS, 1, &d->groups))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (conv2d): params out of bounds", node->index);
    if (d->groups < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (conv2d): groups must be >= 1, got %" PRId32,
                          node->index, d->groups);

    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *filter = ember_input(ctx, node, 1);
    const ember_tensor *bias = ember_input(ctx, node, 2);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (in == NULL || filter == NULL)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (conv2d): input and filter are required", node->index);
    if ((st = ember_check_type(ctx, node, in, EMBER_TYPE_FLOAT32, "input")) ||
        (st = ember_check_type(ctx, node, filter, EMBER_TYPE_FLOAT32, "filter")) ||
        (bias && (st = ember_check_type(ctx, node, bias, EMBER_TYPE_FLOAT32, "bias"))) ||
        (st = ember_check_type(ctx, node, out, EMBER_TYPE_FLOAT32, "output")) ||
        (st = ember_check_rank(ctx, node, in, 4, "input")) ||
        (st = ember_check_rank(ctx, node, filter, 4, "filter")) ||
        (bias && (st = ember_check_rank(ctx, node, bias, 1, "bias"))) ||
        (st = ember_check_rank(ctx, node, out, 4, "output")))
        return st;

    d->batch = in->dims[0];
    d->in_h = in->dims[1];
    d->in_w = in->dims[2];
    d->in_c = in->dims[3];
    d->out_c = filter->dims[0];
    d->filter_h = filter->dims[1];
    d->filter_w = filter->dims[2];
    const int32_t cin_g = filter->dims[3];
    if (d->out_c < 1 || d->filter_h < 1 || d->filter_w < 1 || cin_g < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (conv2d): filter dims must be >= 1, got "
                          "[%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 "]",
                          node->index, d->out_c, d->filter_h, d->filter_w, cin_g);
    if ((int64_t)cin_g * d->groups != d->in_c || d->out_c % d->groups != 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (conv2d): filter "
                          "[%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 "] with %" PRId32 " "
                          "groups does not fit %" PRId32 " input channels: expected filter dim 3 "
                          "= Cin/groups and Cout divisible by groups",
                          node->index, d->out_c, d->filter_h, d->filter_w, cin_g, d->groups,
                          d->in_c);
    if (bias && bias->dims[0] != d->out_c)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (conv2d): bias must have %" PRId32 " elements, got "
                          "%" PRId32,
                          node->index, d->out_c, bias->dims[0]);

    const struct conv_window *w = &d->win;
    int64_t out_h = conv_out_size(d->in_h, d->filter_h, w->stride_h, w->dilation_h, w->pad_top,
                                  w->pad_bottom);
    int64_t out_w = conv_out_size(d->in_w, d->filter_w, w->stride_w, w->dilation_w,
                                  w->pad_left, w->pad_right);
    if (out_h < 0 || out_w < 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (conv2d): dilated filter %" PRId32 "x%" PRId32 " does "
                          "not fit the padded input %" PRId32 "x%" PRId32,
                          node->index, d->filter_h, d->filter_w, d->in_h, d->in_w);
    if (out->dims[0] != d->batch || out->dims[1] != out_h || out->dims[2] != out_w ||
        out->dims[3] != d->out_c)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (conv2d): output shape must be "
                          "[%" PRId32 ",%lld,%lld,%" PRId32 "], got "
                          "[%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 "]",
                          node->index, d->batch, (long long)out_h, (long long)out_w, d->out_c,
                          out->dims[0], out->dims[1], out->dims[2], out->dims[3]);
    d->out_h = out->dims[1];
    d->out_w = out->dims[2];
    return EMBER_STATUS_OK;
}

static ember_status conv2d_check(ember_context *ctx, const ember_node *node) {
    struct conv2d_data d;
    return conv2d_read(ctx, node, &d);
}

static void ember_conv2d_f32_ref(const struct conv2d_data *d, const float *input,
                                 const float *filter, const float *bias, float *output) {
    const struct conv_window *w = &d->win;
    const size_t in_c = (size_t)d->in_c;
    const size_t out_c = (size_t)d->out_c;
    const size_t cin_g = in_c / (size_t)d->groups;
    const size_t cout_g = out_c / (size_t)d->groups;
    const size_t in_row = (size_t)d->in_w * in_c;
    const size_t filter_row = (size_t)d->filter_w * cin_g;
    const size_t filter_oc = (size_t)d->filter_h * filter_row;
    /* With one group and no horizontal dilation, a run of horizontal taps reads adjacent
       input pixels and adjacent filter columns: one dot product instead of one per tap. */
    const bool merge_taps = d->groups == 1 && w->dilation_w == 1;
    for (int32_t n = 0; n < d->batch; n++) {
        const float *image = input + (size_t)n * (size_t)d->in_h * in_row;
        for (int32_t oy = 0; oy < d->out_h; oy++) {
            const int64_t y0 = (int64_t)oy * w->stride_h - w->pad_top;
            int32_t ky0, ky1;
            conv_taps(y0, d->filter_h, w->dilation_h, d->in_h, &ky0, &ky1);
            float *out_row = output + ((size_t)n * (size_t)d->out_h + (size_t)oy) *
                                          (size_t)d->out_w * out_c;
            /* Output channel outside the row loop: its filter stays in cache for the row. */
            for (size_t oc = 0; oc < out_c; oc++) {
                const float *filter_oc_start = filter + oc * filter_oc;
                const float *group_in = image + (oc / cout_g) * cin_g;
                const float start = bias ? bias[oc] : 0.0f;
                for (int32_t ox = 0; ox < d->out_w; ox++) {
                    const int64_t x0 = (int64_t)ox * w->stride_w - w->pad_left;
                    int32_t kx0, kx1;
                    conv_taps(x0, d->filter_w, w->dilation_w, d->in_w, &kx0, &kx1);
                    float acc = start;
                    for (int32_t ky = ky0; ky < ky1; ky++) {
                        const float *src =
                            group_in + (size_t)(y0 + (int64_t)ky * w->dilation_h) * in_row;
                        const float *taps = filter_oc_start + (size_t)ky * filter_row;
                        if (merge_taps) {
                            acc += vec_f32_dot(src + (size_t)(x0 + kx0) * in_c,
                                               taps + (size_t)kx0 * cin_g,
                                               (size_t)(kx1 - kx0) * in_c);
                            continue;
                        }
                        for (int32_t kx = kx0; kx < kx1; kx++) {
                            const int64_t x = x0 + (int64_t)kx * w->dilation_w;
                            acc += vec_f32_dot(src + (size_t)x * in_c,
                                               taps + (size_t)kx * cin_g, cin_g);
                        }
                    }
                    out_row[(size_t)ox * out_c + oc] = vec_f32_clamp(acc, d->act_lo, d->act_hi);
                }
            }
        }
    }
}

static ember_status conv2d_prepare(ember_context *ctx, ember_node *node) {
    struct conv2d_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY, "node %" PRIu32 " (conv2d): out of memory",
                          node->index);
    node->data = d;
    return conv2d_read(ctx, node, d);
}

static ember_status conv2d_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *out = ember_output(ctx, node, 0);
    /* An empty output may still have huge batch or height dims: skip their loops. */
    if (out->count == 0)
        return EMBER_STATUS_OK;
    const ember_tensor *bias = ember_input(ctx, node, 2);
    ember_conv2d_f32_ref(node->data, ember_input(ctx, node, 0)->data,
                         ember_input(ctx, node, 1)->data, bias ? bias->data : NULL, out->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_conv2d = {
    EMBER_OP_CONV2D, "conv2d", conv2d_check, conv2d_prepare, conv2d_eval,
};
