/* AVERAGE_POOL2D: mean of each (dilated) window, NHWC float32. The divisor counts the taps
   inside the input, or with count_include_pad every tap of the window (check guarantees each
   window lies inside the padded input). */
#include "ember_internal.h"
#include "kernels/pool2d.h"

struct average_pool2d_data {
    struct pool2d_params p;
};

static ember_status average_pool2d_check(ember_context *ctx, const ember_node *node) {
    struct pool2d_params p;
    return pool2d_read(ctx, node, "average_pool2d", &p);
}

static void ember_average_pool2d_f32_ref(const struct pool2d_params *p, const float *in,
                                         float *out) {
    const size_t c_count = (size_t)p->channels;
    const size_t row = (size_t)p->in_w * c_count;
    for (int32_t n = 0; n < p->batch; n++) {
        const float *image = in + (size_t)n * (size_t)p->in_h * row;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            int64_t y0 = (int64_t)oy * p->stride_h - p->pad_top;
            int32_t ky0, ky1;
            pool2d_taps(y0, p->filter_h, p->dilation_h, p->in_h, &ky0, &ky1);
            int32_t rows = p->count_include_pad ? p->filter_h : ky1 - ky0;
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                int64_t x0 = (int64_t)ox * p->stride_w - p->pad_left;
                int32_t kx0, kx1;
                pool2d_taps(x0, p->filter_w, p->dilation_w, p->in_w, &kx0, &kx1);
                int32_t cols = p->count_include_pad ? p->filter_w : kx1 - kx0;
                for (size_t c = 0; c < c_count; c++)
                    out[c] = 0.0f;
                for (int32_t ky = ky0; ky < ky1; ky++) {
                    const float *src_row =
                        image + (size_t)(y0 + (int64_t)ky * p->dilation_h) * row;
                    for (int32_t kx = kx0; kx < kx1; kx++) {
                        const float *src =
                            src_row + (size_t)(x0 + (int64_t)kx * p->dilation_w) * c_count;
                        for (size_t c = 0; c < c_count; c++)
                            out[c] += src[c];
                    }
                }
                /* A window of padding only stays 0. */
                int64_t taps = (int64_t)rows * cols;
                float scale = taps > 0 ? 1.0f / (float)taps : 0.0f;
                for (size_t c = 0; c < c_count; c++) {
                    float v = out[c] * scale;
                    out[c] = v < p->act_lo ? p->act_lo : (v > p->act_hi ? p->act_hi : v);
                }
                out += c_count;
            }
        }
    }
}

static ember_status average_pool2d_prepare(ember_context *ctx, ember_node *node) {
    struct average_pool2d_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    return pool2d_read(ctx, node, "average_pool2d", &d->p);
}

static ember_status average_pool2d_eval(ember_context *ctx, const ember_node *node) {
    const struct average_pool2d_data *d = node->data;
    ember_average_pool2d_f32_ref(&d->p, ember_input(ctx, node, 0)->data,
                                 ember_output(ctx, node, 0)->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_average_pool2d = {
    EMBER_OP_AVERAGE_POOL2D, "average_pool2d", average_pool2d_check, average_pool2d_prepare,
    average_pool2d_eval,
};
