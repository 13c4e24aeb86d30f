/* Pool2DParams rules and the window walk shared by max_pool2d.c and average_pool2d.c; each op
   file keeps only how it reduces one window. Header-only (static inline) so both op files stay
   self-contained. */
#ifndef EMBER_KERNELS_POOL2D_H
#define EMBER_KERNELS_POOL2D_H

#include "ember_internal.h"
#include "kernels/conv_window.h"
#include "kernels/quant.h"
#include "kernels/vec_f32.h"
#include "threadpool.h"
#include "ukernels/pool.h"

struct pool2d_params {
    int32_t filter_h, filter_w;
    struct conv_window win; /* strides, dilations and pads */
    bool count_include_pad;
    uint8_t activation;
    float act_lo, act_hi;
    /* int8 or int16 (max pool only): input and output share scale and zero point; clamp
       range of the activation */
    bool is_i8, is_i16;
    int32_t q_min, q_max;
    /* NHWC sizes of input and output */
    int32_t batch, channels, in_h, in_w, out_h, out_w;
};

/* Output length along one axis: windows fit inside the padded axis (ONNX's ceil_mode reaches
   the runtime as extra trailing pad). So with count_include_pad every tap counts. */
static inline bool pool2d_axis_ok(int64_t in, int64_t filter, int64_t stride, int64_t dilation,
                                  int64_t pad_begin, int64_t pad_end, int64_t out) {
    int64_t span = in + pad_begin + pad_end - ((filter - 1) * dilation + 1);
    return span >= 0 && out == span / stride + 1;
}

static inline ember_status pool2d_bad_params(ember_context *ctx, const ember_node *node,
                                             const char *op) {
    return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                      "node %" PRIu32 " (%s): params out of bounds", node->index, op);
}

/* int8 pooling works on the stored values (LiteRT's reference kernels), so input and output
   must share one scale and zero point; padding never counts. */
static inline ember_status pool2d_quant_check(ember_context *ctx, const ember_node *node,
                                              const char *op, struct pool2d_params *p,
                                              const ember_tensor *in, const ember_tensor *out) {
    ember_status st = EMBER_STATUS_OK;
    if (p->is_i16 && ((st = ember_check_quant_i16(ctx, node, in, "input")) ||
                      (st = ember_check_quant_i16(ctx, node, out, "output"))))
        return st;
    if (p->is_i8 && ((st = ember_check_quant_i8(ctx, node, in, "input")) ||
                     (st = ember_check_quant_i8(ctx, node, out, "output"))))
        return st;
    if (in->scale != out->scale || in->zero_point != out->zero_point)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): quantized input and output must share scale "
                          "and "
                          "zero point, got %.9g/%" PRId32 " and %.9g/%" PRId32,
                          node->index, op, (double)in->scale, in->zero_point,
                          (double)out->scale, out->zero_point);
    if (p->count_include_pad)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): quantized pooling excludes padding, got "
                          "count_include_pad", node->index, op);
    if (p->is_i16)
        return ember_activation_range_i16(ctx, node, p->activation, out, &p->q_min, &p->q_max);
    return ember_activation_range_i8(ctx, node, p->activation, out, &p->q_min, &p->q_max);
}

/* Reads and validates the params of a pooling node. */
static inline ember_status pool2d_read_params(ember_context *ctx, const ember_node *node,
                                              const char *op, struct pool2d_params *p) {
    ember_status st = ember_check_arity(ctx, node, 1, 1, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_POOL2D_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_fb_table *t = &node->params;
    uint8_t cip = 0;
    if (!ember_fb_i32(t, EMBER_SLOT_POOL2D_PARAMS_FILTER_H, 0, &p->filter_h) ||
        !ember_fb_i32(t, EMBER_SLOT_POOL2D_PARAMS_FILTER_W, 0, &p->filter_w) ||
        !ember_fb_i32(t, EMBER_SLOT_POOL2D_PARAMS_STRIDE_H, 1, &p->win.stride_h) ||
        !ember_fb_i32(t, EMBER_SLOT_POOL2D_PARAMS_STRIDE_W, 1, &p->win.stride_w) ||
        !ember_fb_i32(t, EMBER_SLOT_POOL2D_PARAMS_DILATION_H, 1, &p->win.dilation_h) ||
        !ember_fb_i32(t, EMBER_SLOT_POOL2D_PARAMS_DILATION_W, 1, &p->win.dilation_w) ||
        !ember_fb_i32(t, EMBER_SLOT_POOL2D_PARAMS_PAD_TOP, 0, &p->win.pad_top) ||
        !ember_fb_i32(t, EMBER_SLOT_POOL2D_PARAMS_PAD_LEFT, 0, &p->win.pad_left) ||
        !ember_fb_i32(t, EMBER_SLOT_POOL2D_PARAMS_PAD_BOTTOM, 0, &p->win.pad_bottom) ||
        !ember_fb_i32(t, EMBER_SLOT_POOL2D_PARAMS_PAD_RIGHT, 0, &p->win.pad_right) ||
        !ember_fb_u8(t, EMBER_SLOT_POOL2D_PARAMS_COUNT_INCLUDE_PAD, 0, &cip) ||
        !ember_fb_u8(t, EMBER_SLOT_POOL2D_PARAMS_ACTIVATION, 0, &p->activation))
        return pool2d_bad_params(ctx, node, op);
    p->count_include_pad = cip != 0;
    if (p->filter_h < 1 || p->filter_w < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): filter must be >= 1, got %" PRId32 "x%" PRId32,
                          node->index, op, p->filter_h, p->filter_w);
    if ((st = conv_window_check(ctx, node, op, &p->win)))
        return st;
    return ember_activation_range(ctx, node, p->activation, &p->act_lo, &p->act_hi);
}

/* The output of a pooling node follows its input's height and width (ember_shape_rule). */
static inline ember_status pool2d_shape(ember_context *ctx, const ember_node *node,
                                        const char *op) {
    struct pool2d_params p;
    ember_status st = pool2d_read_params(ctx, node, op, &p);
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (st == EMBER_STATUS_OK && (in == NULL || in->rank != 4))
        st = ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                        "node %" PRIu32 " (%s): needs an NHWC input", node->index, op);
    return st ? st : conv_window_shape(ctx, node, &p.win, p.filter_h, p.filter_w, in->dims[3]);
}

/* Reads and validates the params and the input/output tensors of a pooling node. */
static inline ember_status pool2d_read(ember_context *ctx, const ember_node *node,
                                       const char *op, struct pool2d_params *p) {
    ember_status st = pool2d_read_params(ctx, node, op, p);
    if (st != EMBER_STATUS_OK)
        return st;

    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    p->is_i8 = in != NULL && in->type == EMBER_TYPE_INT8;
    p->is_i16 = in != NULL && in->type == EMBER_TYPE_INT16;
    const uint8_t type = p->is_i8 || p->is_i16 ? in->type : EMBER_TYPE_FLOAT32;
    if ((st = ember_check_type(ctx, node, in, type, "input")) ||
        (st = ember_check_type(ctx, node, out, type, "output")) ||
        ((p->is_i8 || p->is_i16) && (st = pool2d_quant_check(ctx, node, op, p, in, out))) ||
        (st = ember_check_rank(ctx, node, in, 4, "input")) ||
        (st = ember_check_rank(ctx, node, out, 4, "output")))
        return st;
    p->batch = in->dims[0];
    p->in_h = in->dims[1];
    p->in_w = in->dims[2];
    p->channels = in->dims[3];
    p->out_h = out->dims[1];
    p->out_w = out->dims[2];
    const struct conv_window *w = &p->win;
    if (out->dims[0] != p->batch || out->dims[3] != p->channels ||
        !pool2d_axis_ok(p->in_h, p->filter_h, w->stride_h, w->dilation_h, w->pad_top,
                        w->pad_bottom, p->out_h) ||
        !pool2d_axis_ok(p->in_w, p->filter_w, w->stride_w, w->dilation_w, w->pad_left,
                        w->pad_right, p->out_w))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): output shape "
                          "[%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 "] does not match input "
                          "[%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 "] with filter "
                          "%" PRId32 "x%" PRId32 ", strides %" PRId32 ",%" PRId32 ", dilations "
                          "%" PRId32 ",%" PRId32 ", pads "
                          "%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32,
                          node->index, op, out->dims[0], out->dims[1], out->dims[2], out->dims[3],
                          p->batch, p->in_h, p->in_w, p->channels, p->filter_h, p->filter_w,
                          w->stride_h, w->stride_w, w->dilation_h, w->dilation_w, w->pad_top,
                          w->pad_left, w->pad_bottom, w->pad_right);
    return EMBER_STATUS_OK;
}

/* The input pixels under one output pixel's window, padding excluded: `rows` x `cols` pixels of
   `channels` floats, the first at `first`, the next row `row_step` floats further and the next
   column `col_step`. A window of padding only has no rows or no columns. */
struct pool2d_window {
    const float *first;
    int32_t rows, cols;
    size_t row_step, col_step;
};

/* Writes one output pixel's `channels` values from its window. */
typedef void (*pool2d_reduce_fn)(const struct pool2d_params *p, const struct pool2d_window *w,
                                 float *out);

/* The window of output pixel (oy, ox): rows x cols in-image taps, the first `*first` elements
   into the image. A window of padding only has no rows or no columns, and *first 0: its first
   tap may lie outside the image. */
static inline void pool2d_window_at(const struct pool2d_params *p, int32_t oy, int32_t ox,
                                    int32_t *rows, int32_t *cols, size_t *first) {
    const size_t c_count = (size_t)p->channels;
    const size_t row = (size_t)p->in_w * c_count;
    const int64_t y0 = (int64_t)oy * p->win.stride_h - p->win.pad_top;
    const int64_t x0 = (int64_t)ox * p->win.stride_w - p->win.pad_left;
    int32_t ky0, ky1, kx0, kx1; /* the in-image taps, as for a convolution's window */
    conv_taps(y0, p->filter_h, p->win.dilation_h, p->in_h, &ky0, &ky1);
    conv_taps(x0, p->filter_w, p->win.dilation_w, p->in_w, &kx0, &kx1);
    *rows = ky1 - ky0;
    *cols = kx1 - kx0;
    *first = 0;
    if (*rows > 0 && *cols > 0)
        *first = (size_t)(y0 + (int64_t)ky0 * p->win.dilation_h) * row +
                 (size_t)(x0 + (int64_t)kx0 * p->win.dilation_w) * c_count;
}

/* Runs `reduce` over every output pixel in NHWC order, then clamps each pixel's outputs to the
   fused activation range. */
static inline void pool2d_f32_walk(const struct pool2d_params *p, const float *in, float *out,
                                   pool2d_reduce_fn reduce) {
    const size_t c_count = (size_t)p->channels;
    const size_t row = (size_t)p->in_w * c_count;
    const size_t row_step = (size_t)p->win.dilation_h * row;
    const size_t col_step = (size_t)p->win.dilation_w * c_count;
    for (int32_t n = 0; n < p->batch; n++) {
        const float *image = in + (size_t)n * (size_t)p->in_h * row;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                struct pool2d_window w = {image, 0, 0, row_step, col_step};
                size_t first;
                pool2d_window_at(p, oy, ox, &w.rows, &w.cols, &first);
                w.first = image + first;
                reduce(p, &w, out);
                vec_f32_clamp_row(out, c_count, p->act_lo, p->act_hi);
                out += c_count;
            }
        }
    }
}

/* The fast float32 walk: output rows (batch x out_h) are the tiles shared out to the threads,
   and each output pixel is one microkernel call over its window; a pixel's arithmetic does not
   depend on which thread runs it. `average` selects the scale: 1 / taps as the reference's. */
struct pool2d_f32_task {
    const struct pool2d_params *p;
    const float *in;
    float *out;
    ember_pool_f32_fn fn;
    bool average;
};

static inline void pool2d_f32_rows(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)thread;
    const struct pool2d_f32_task *t = arg;
    const struct pool2d_params *p = t->p;
    const size_t c_count = (size_t)p->channels;
    const size_t row = (size_t)p->in_w * c_count;
    const size_t row_step = (size_t)p->win.dilation_h * row;
    const size_t col_step = (size_t)p->win.dilation_w * c_count;
    const int64_t window = (int64_t)p->filter_h * p->filter_w;
    for (size_t r = begin; r < end; r++) {
        const float *image = t->in + r / (size_t)p->out_h * (size_t)p->in_h * row;
        const int32_t oy = (int32_t)(r % (size_t)p->out_h);
        float *out = t->out + r * (size_t)p->out_w * c_count;
        for (int32_t ox = 0; ox < p->out_w; ox++, out += c_count) {
            int32_t rows, cols;
            size_t first;
            pool2d_window_at(p, oy, ox, &rows, &cols, &first);
            float scale = 0.0f;
            if (t->average) {
                const int64_t taps = p->count_include_pad ? window : (int64_t)rows * cols;
                scale = taps > 0 ? 1.0f / (float)taps : 0.0f;
            }
            t->fn(image + first, (size_t)rows, (size_t)cols, row_step, col_step, c_count,
                  scale, p->act_lo, p->act_hi, out);
        }
    }
}

static inline void pool2d_f32_fast(ember_context *ctx, const struct pool2d_params *p,
                                   const float *in, float *out, ember_pool_f32_fn fn,
                                   bool average) {
    const struct pool2d_f32_task t = {p, in, out, fn, average};
    ember_parallel_1d(ctx, pool2d_f32_rows, &t, (size_t)p->batch * (size_t)p->out_h, 1);
}

/* One output pixel of a quantized pool: `channels` values from the window's stored values,
   int8 or int16 as the op's reducer knows; steps count elements. */
typedef void (*pool2d_reduce_q_fn)(const struct pool2d_params *p, const void *first,
                                   int32_t rows, int32_t cols, size_t row_step,
                                   size_t col_step, void *out);

/* The quantized twin of pool2d_f32_walk over `elem_size`-byte elements; `reduce` also
   applies the clamp range. */
static inline void pool2d_q_walk(const struct pool2d_params *p, const void *in, void *out,
                                 size_t elem_size, pool2d_reduce_q_fn reduce) {
    const size_t c_count = (size_t)p->channels;
    const size_t row = (size_t)p->in_w * c_count;
    const size_t row_step = (size_t)p->win.dilation_h * row;
    const size_t col_step = (size_t)p->win.dilation_w * c_count;
    const unsigned char *src = in;
    unsigned char *dst = out;
    for (int32_t n = 0; n < p->batch; n++) {
        const size_t image = (size_t)n * (size_t)p->in_h * row;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                int32_t rows, cols;
                size_t first;
                pool2d_window_at(p, oy, ox, &rows, &cols, &first);
                reduce(p, src + (image + first) * elem_size, rows, cols, row_step, col_step,
                       dst);
                dst += c_count * elem_size;
            }
        }
    }
}

#endif /* EMBER_KERNELS_POOL2D_H */
