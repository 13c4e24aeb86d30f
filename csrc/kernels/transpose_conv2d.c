/* TRANSPOSE_CONV2D (ONNX ConvTranspose): input [N,H,W,Cin] (NHWC), filter
   [Cout,KH,KW,Cin/groups], optional bias [Cout], output [N,OH,OW,Cout]. Input pixel (iy, ix)
   adds into output pixel (iy * stride - pad_top + ky * dilation, ...) for every filter tap that
   lands inside the output; pads are those of the equivalent forward convolution. The output
   size comes from the output tensor, which may exceed the minimal size by an output padding
   smaller than max(stride, dilation).
   int8 (LiteRT's reference integer transpose convolution): the products filter x (input - zero
   point) are summed in an int32 scratch image, then each sum gets the int32 bias and is
   requantized per output channel by double(s_in) * double(s_w[c]) / double(s_out). */
#include <math.h>
#include <string.h>

#include "ember_internal.h"
#include "kernels/conv_gemm.h"
#include "kernels/conv_window.h"
#include "kernels/fixed_point.h"
#include "kernels/quant.h"
#include "kernels/vec_f32.h"
#include "kernels/shape_rules.h"

struct transpose_conv2d_data {
    struct conv_window win;
    int32_t groups;
    float act_lo, act_hi;
    int32_t batch, in_h, in_w, in_c;
    int32_t filter_h, filter_w;
    int32_t out_h, out_w, out_c;
    /* int8 only: zero points, clamp range, per-output-channel multipliers */
    bool is_i8;
    int32_t in_zp, out_zp, q_min, q_max;
    int32_t *mult, *shift;
    /* float32 with a constant filter and one group: the GEMM of the input's rows by the
       filter read as [Cout x KH x KW][Cin] (gemm.cfg NULL: the reference), run chunk_rows
       input pixels at a time into scratch, then scattered into the output */
    struct conv_gemm gemm;
    size_t chunk_rows;
};

static ember_status transpose_conv2d_quant_read(ember_context *ctx, const ember_node *node,
                                                const struct conv_tensors *t,
                                                struct transpose_conv2d_data *d) {
    uint8_t act = 0;
    if (!ember_fb_u8(&node->params, EMBER_SLOT_TRANSPOSE_CONV2D_PARAMS_ACTIVATION, 0, &act))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (transpose_conv2d): params out of bounds",
                          node->index);
    ember_status st;
    if ((st = conv_quant_check(ctx, node, t, 0, d->out_c)) ||
        (st = ember_activation_range_i8(ctx, node, act, t->out, &d->q_min, &d->q_max)))
        return st;
    d->in_zp = t->in->zero_point;
    d->out_zp = t->out->zero_point;
    return EMBER_STATUS_OK;
}

/* The shortest ConvTranspose output along one axis: output padding adds to it. */
static int64_t transpose_minimal(int64_t in, int64_t taps, int64_t stride, int64_t dilation,
                                 int64_t pad_begin, int64_t pad_end) {
    return (in - 1) * stride - pad_begin - pad_end + dilation * (taps - 1) + 1;
}

/* True when `out` is a valid ConvTranspose output length along one axis. */
static bool transpose_axis_ok(int64_t in, int64_t taps, int64_t stride, int64_t dilation,
                              int64_t pad_begin, int64_t pad_end, int64_t out) {
    int64_t minimal = transpose_minimal(in, taps, stride, dilation, pad_begin, pad_end);
    int64_t limit = stride > dilation ? stride : dilation;
    return out - minimal >= 0 && out - minimal < limit;
}

/* Output length along NHWC dim d after a resize. The file keeps no output padding: the stored
   shapes give it (the stored output over the shortest one of the stored input), and it stays
   what it was; check then bounds it as for any file. -1: no valid length. */
static int32_t transpose_extent(const ember_tensor *in, const ember_tensor *out, uint32_t d,
                                int32_t taps, int32_t stride, int32_t dilation,
                                int32_t pad_begin, int32_t pad_end) {
    const int64_t padding = ember_fb_vector_i32(&out->stored_shape, d) -
                            transpose_minimal(ember_fb_vector_i32(&in->stored_shape, d), taps,
                                              stride, dilation, pad_begin, pad_end);
    const int64_t n = transpose_minimal(in->dims[d], taps, stride, dilation, pad_begin,
                                        pad_end) + padding;
    return n < 0 || n > INT32_MAX ? -1 : (int32_t)n;
}

ember_status ember_shape_transpose_conv2d(ember_context *ctx, const ember_node *node) {
    struct conv_window w;
    ember_status st = ember_check_params(ctx, node, EMBER_OP_PARAMS_TRANSPOSE_CONV2D_PARAMS);
    if (st == EMBER_STATUS_OK)
        st = conv_window_read(ctx, node, "transpose_conv2d", &w);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0), *filter = ember_input(ctx, node, 1);
    ember_tensor *out = node->output_count == 1 ? ember_output(ctx, node, 0) : NULL;
    if (in == NULL || filter == NULL || out == NULL || in->rank != 4 || filter->rank != 4 ||
        out->rank != 4)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (transpose_conv2d): needs NHWC input and output and "
                          "a rank-4 filter", node->index);
    const int32_t dims[4] = {
        in->dims[0],
        transpose_extent(in, out, 1, filter->dims[1], w.stride_h, w.dilation_h, w.pad_top,
                         w.pad_bottom),
        transpose_extent(in, out, 2, filter->dims[2], w.stride_w, w.dilation_w, w.pad_left,
                         w.pad_right),
        filter->dims[0]};
    return ember_set_shape(ctx, node, out, 4, dims);
}

/* Reads and validates params and tensors into `d`; shared by check and prepare. */
static ember_status transpose_conv2d_read(ember_context *ctx, const ember_node *node,
                                          struct transpose_conv2d_data *d) {
    struct conv_tensors t;
    ember_status st = conv_params_read(ctx, node, "transpose_conv2d",
                                       EMBER_OP_PARAMS_TRANSPOSE_CONV2D_PARAMS,
                                       EMBER_SLOT_TRANSPOSE_CONV2D_PARAMS_ACTIVATION, 3, &d->win,
                                       &d->act_lo, &d->act_hi, NULL);
    if (st == EMBER_STATUS_OK)
        st = conv_count_read(ctx, node, "transpose_conv2d",
                             EMBER_SLOT_TRANSPOSE_CONV2D_PARAMS_GROUPS, "groups", &d->groups);
    if (st == EMBER_STATUS_OK)
        st = conv_tensors_read(ctx, node, "transpose_conv2d", &t);
    if (st == EMBER_STATUS_OK && t.in->type == EMBER_TYPE_INT16)
        return ember_fail(ctx, EMBER_STATUS_UNSUPPORTED,
                          "node %" PRIu32 " (transpose_conv2d): int16 (16x8) has no kernel",
                          node->index);
    if (st != EMBER_STATUS_OK)
        return st;

    d->batch = t.in->dims[0];
    d->in_h = t.in->dims[1];
    d->in_w = t.in->dims[2];
    d->in_c = t.in->dims[3];
    d->out_c = t.filter->dims[0];
    d->filter_h = t.filter->dims[1];
    d->filter_w = t.filter->dims[2];
    if (d->in_h < 1 || d->in_w < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (transpose_conv2d): input height and width must be >= "
                          "1, got %" PRId32 "x%" PRId32,
                          node->index, d->in_h, d->in_w);
    if ((st = conv_grouped_filter_check(ctx, node, "transpose_conv2d", t.filter, d->groups,
                                        d->in_c)) ||
        (st = conv_bias_check(ctx, node, "transpose_conv2d", t.bias, d->out_c)))
        return st;

    const ember_tensor *out = t.out;
    const struct conv_window *w = &d->win;
    d->out_h = out->dims[1];
    d->out_w = out->dims[2];
    if (out->dims[0] != d->batch || out->dims[3] != d->out_c ||
        !transpose_axis_ok(d->in_h, d->filter_h, w->stride_h, w->dilation_h, w->pad_top,
                           w->pad_bottom, d->out_h) ||
        !transpose_axis_ok(d->in_w, d->filter_w, w->stride_w, w->dilation_w, w->pad_left,
                           w->pad_right, d->out_w))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (transpose_conv2d): output shape "
                          "[%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 "] does not match input "
                          "[%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 "] with filter "
                          "%" PRId32 "x%" PRId32 ", strides %" PRId32 ",%" PRId32 ", dilations "
                          "%" PRId32 ",%" PRId32 ", pads "
                          "%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 " (output padding must "
                          "be in [0, max(stride, dilation)))",
                          node->index, out->dims[0], out->dims[1], out->dims[2], out->dims[3],
                          d->batch, d->in_h, d->in_w, d->in_c, d->filter_h, d->filter_w,
                          w->stride_h, w->stride_w, w->dilation_h, w->dilation_w, w->pad_top,
                          w->pad_left, w->pad_bottom, w->pad_right);
    d->is_i8 = t.in->type == EMBER_TYPE_INT8;
    return d->is_i8 ? transpose_conv2d_quant_read(ctx, node, &t, d) : EMBER_STATUS_OK;
}

static ember_status transpose_conv2d_check(ember_context *ctx, const ember_node *node) {
    struct transpose_conv2d_data d;
    return transpose_conv2d_read(ctx, node, &d);
}

static void ember_transpose_conv2d_f32_ref(const struct transpose_conv2d_data *d,
                                           const float *input, const float *filter,
                                           const float *bias, float *output) {
    const struct conv_window *w = &d->win;
    const size_t in_c = (size_t)d->in_c;
    const size_t out_c = (size_t)d->out_c;
    const size_t groups = (size_t)d->groups;
    const size_t cin_g = in_c / groups;
    const size_t cout_g = out_c / groups;
    const size_t filter_oc = (size_t)d->filter_h * (size_t)d->filter_w * cin_g;
    const size_t out_pixels = (size_t)d->batch * (size_t)d->out_h * (size_t)d->out_w;

    for (size_t p = 0; p < out_pixels; p++)
        for (size_t oc = 0; oc < out_c; oc++)
            output[p * out_c + oc] = bias ? bias[oc] : 0.0f;

    /* Scatter: each input pixel adds its contribution to every output pixel it reaches. */
    struct conv_walk p;
    conv_walk_init(&p, w, d->batch, d->in_h, d->in_w, d->out_h, d->out_w, d->filter_h,
                   d->filter_w);
    for (const float *src = input; conv_walk_next(&p); src += in_c) {
        for (int32_t ky = p.ky0; ky < p.ky1; ky++) {
            const int64_t y = p.y0 + (int64_t)ky * w->dilation_h;
            for (int32_t kx = p.kx0; kx < p.kx1; kx++) {
                const int64_t x = p.x0 + (int64_t)kx * w->dilation_w;
                float *dst = output + conv_walk_pixel(&p, y, x) * out_c;
                const float *taps =
                    filter + ((size_t)ky * (size_t)d->filter_w + (size_t)kx) * cin_g;
                for (size_t g = 0; g < groups; g++) {
                    const float *src_g = src + g * cin_g;
                    for (size_t oc = g * cout_g; oc < (g + 1) * cout_g; oc++)
                        dst[oc] += vec_f32_dot(src_g, taps + oc * filter_oc, cin_g);
                }
            }
        }
    }
    vec_f32_clamp_row(output, out_pixels * out_c, d->act_lo, d->act_hi);
}

/* The int8 scatter into `acc` (one int32 per output element, wrapping in unsigned arithmetic
   where LiteRT's int32 would overflow), then bias, requantization and clamp. */
static void ember_transpose_conv2d_i8_ref(const struct transpose_conv2d_data *d,
                                          const int8_t *input, const int8_t *filter,
                                          const int32_t *bias, int8_t *output, uint32_t *acc) {
    const struct conv_window *w = &d->win;
    const size_t in_c = (size_t)d->in_c;
    const size_t out_c = (size_t)d->out_c;
    const size_t cin_g = in_c / (size_t)d->groups;
    const size_t cout_g = out_c / (size_t)d->groups;
    const size_t out_row = (size_t)d->out_w * out_c;
    const size_t filter_oc = (size_t)d->filter_h * (size_t)d->filter_w * cin_g;
    const size_t count = (size_t)d->batch * (size_t)d->out_h * out_row;
    memset(acc, 0, count * sizeof(*acc));
    struct conv_walk p;
    conv_walk_init(&p, w, d->batch, d->in_h, d->in_w, d->out_h, d->out_w, d->filter_h,
                   d->filter_w);
    for (const int8_t *src = input; conv_walk_next(&p); src += in_c) {
        for (int32_t ky = p.ky0; ky < p.ky1; ky++) {
            const int64_t y = p.y0 + (int64_t)ky * w->dilation_h;
            for (int32_t kx = p.kx0; kx < p.kx1; kx++) {
                const int64_t x = p.x0 + (int64_t)kx * w->dilation_w;
                uint32_t *dst = acc + conv_walk_pixel(&p, y, x) * out_c;
                const int8_t *taps =
                    filter + ((size_t)ky * (size_t)d->filter_w + (size_t)kx) * cin_g;
                for (size_t oc = 0; oc < out_c; oc++) {
                    const int8_t *src_g = src + (oc / cout_g) * cin_g;
                    const int8_t *tap = taps + oc * filter_oc;
                    uint32_t sum = 0;
                    for (size_t ic = 0; ic < cin_g; ic++)
                        sum += (uint32_t)(tap[ic] * (src_g[ic] - d->in_zp));
                    dst[oc] += sum;
                }
            }
        }
    }
    for (size_t i = 0; i < count; i++) {
        const size_t oc = i % out_c;
        const uint32_t total = acc[i] + (bias ? (uint32_t)bias[oc] : 0u);
        output[i] = (int8_t)ember_requantize_i8((int32_t)total, d->mult[oc], d->shift[oc],
                                                d->out_zp, d->q_min, d->q_max);
    }
}

/* Bytes of scratch for the GEMM's output rows (Cout x KH x KW floats per input pixel). */
#define TRANSPOSE_CONV2D_CHUNK_BYTES (512u * 1024u)

static ember_status transpose_conv2d_f32_prepare(ember_context *ctx, ember_node *node,
                                                 struct transpose_conv2d_data *d) {
    const ember_tensor *filter = ember_input(ctx, node, 1);
    const ember_gemm_f32_config *cfg = ember_gemm_f32_select(ctx);
    if (cfg == NULL || d->groups != 1 || !filter->is_constant || filter->data == NULL)
        return EMBER_STATUS_OK;
    const size_t n = (size_t)d->out_c * (size_t)d->filter_h * (size_t)d->filter_w;
    const size_t m = (size_t)d->batch * (size_t)d->in_h * (size_t)d->in_w;
    d->gemm.cfg = cfg;
    ember_status st = conv_gemm_pack_nk(ctx, node, "transpose_conv2d", &d->gemm, m, n,
                                        (size_t)d->in_c, filter->data, NULL, -INFINITY,
                                        INFINITY);
    if (st != EMBER_STATUS_OK)
        return st;
    size_t rows = TRANSPOSE_CONV2D_CHUNK_BYTES / sizeof(float) / n / cfg->mr * cfg->mr;
    rows = rows < cfg->mr ? cfg->mr : rows;
    d->chunk_rows = rows < m ? rows : m;
    ember_request_scratch(ctx, d->chunk_rows * n * sizeof(float));
    conv_gemm_name(node, &d->gemm);
    return EMBER_STATUS_OK;
}

/* Adds one input pixel's GEMM row (column (oc * KH + ky) * KW + kx) into the output pixels
   its in-image taps reach, in the reference's order. */
static void transpose_conv2d_scatter(const struct transpose_conv2d_data *d,
                                     const struct conv_walk *p, const float *col,
                                     float *output) {
    const struct conv_window *w = &d->win;
    const size_t out_c = (size_t)d->out_c;
    const size_t taps = (size_t)d->filter_h * (size_t)d->filter_w;
    for (int32_t ky = p->ky0; ky < p->ky1; ky++) {
        const int64_t y = p->y0 + (int64_t)ky * w->dilation_h;
        for (int32_t kx = p->kx0; kx < p->kx1; kx++) {
            const int64_t x = p->x0 + (int64_t)kx * w->dilation_w;
            float *dst = output + conv_walk_pixel(p, y, x) * out_c;
            const float *src = col + (size_t)ky * (size_t)d->filter_w + (size_t)kx;
            for (size_t oc = 0; oc < out_c; oc++)
                dst[oc] += src[oc * taps];
        }
    }
}

/* The GEMM path: bias first, then chunk by chunk the GEMM (over the thread pool) and its
   scatter, then the clamp. */
static void transpose_conv2d_f32_gemm(ember_context *ctx, const struct transpose_conv2d_data *d,
                                      const float *input, const float *bias, float *output) {
    const size_t out_c = (size_t)d->out_c;
    const size_t out_pixels = (size_t)d->batch * (size_t)d->out_h * (size_t)d->out_w;
    for (size_t p = 0; p < out_pixels; p++)
        for (size_t oc = 0; oc < out_c; oc++)
            output[p * out_c + oc] = bias ? bias[oc] : 0.0f;
    struct conv_walk p;
    conv_walk_init(&p, &d->win, d->batch, d->in_h, d->in_w, d->out_h, d->out_w, d->filter_h,
                   d->filter_w);
    struct conv_gemm g = d->gemm;
    float *col = ctx->scratch;
    for (size_t row = 0; row < d->gemm.m; row += d->chunk_rows) {
        g.m = d->gemm.m - row < d->chunk_rows ? d->gemm.m - row : d->chunk_rows;
        conv_gemm_run(ctx, &g, input + row * g.k, col);
        for (size_t r = 0; r < g.m && conv_walk_next(&p); r++)
            transpose_conv2d_scatter(d, &p, col + r * g.n, output);
    }
    vec_f32_clamp_row(output, out_pixels * out_c, d->act_lo, d->act_hi);
}

static ember_status transpose_conv2d_prepare(ember_context *ctx, ember_node *node) {
    struct transpose_conv2d_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "node %" PRIu32 " (transpose_conv2d): out of memory", node->index);
    node->data = d;
    ember_status st = transpose_conv2d_read(ctx, node, d);
    if (st != EMBER_STATUS_OK)
        return st;
    if (!d->is_i8)
        return transpose_conv2d_f32_prepare(ctx, node, d);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (out->count > SIZE_MAX / sizeof(uint32_t))
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "node %" PRIu32 " (transpose_conv2d): %zu outputs need too much "
                          "scratch",
                          node->index, out->count);
    ember_request_scratch(ctx, out->count * sizeof(uint32_t));
    return ember_channel_multipliers(ctx, node, ember_input(ctx, node, 0),
                                     ember_input(ctx, node, 1), out, d->out_c, &d->mult,
                                     &d->shift);
}

static ember_status transpose_conv2d_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *out = ember_output(ctx, node, 0);
    /* An empty output may still have huge height or width dims: skip their loops. */
    if (out->count == 0)
        return EMBER_STATUS_OK;
    const ember_tensor *bias = ember_input(ctx, node, 2);
    const struct transpose_conv2d_data *d = node->data;
    if (d->is_i8) {
        ember_transpose_conv2d_i8_ref(d, ember_input(ctx, node, 0)->data,
                                      ember_input(ctx, node, 1)->data, bias ? bias->data : NULL,
                                      out->data, ctx->scratch);
        return EMBER_STATUS_OK;
    }
    if (d->gemm.cfg != NULL) {
        transpose_conv2d_f32_gemm(ctx, d, ember_input(ctx, node, 0)->data,
                                  bias ? bias->data : NULL, out->data);
        return EMBER_STATUS_OK;
    }
    ember_transpose_conv2d_f32_ref(node->data, ember_input(ctx, node, 0)->data,
                                   ember_input(ctx, node, 1)->data, bias ? bias->data : NULL,
                                   out->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_transpose_conv2d = {
    EMBER_OP_TRANSPOSE_CONV2D, "transpose_conv2d", transpose_conv2d_check,
    transpose_conv2d_prepare, transpose_conv2d_eval,
};
