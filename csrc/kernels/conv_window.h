/* Rules shared by conv2d.c, depthwise_conv2d.c and transpose_conv2d.c: stride, dilation and
   padding, fused activation, the tensor checks all three make, and the walk of the filter
   window their reference loops share (conv_walk). Their three params tables begin with the
   same eight fields in the same vtable slots (checked below), so one reader serves all of
   them. Each op file keeps only its own rules (filter layout, output size). The pooling ops'
   windows clip their taps with conv_taps too (pool2d.h).
   Header-only (static inline) so each op file stays self-contained. */
#ifndef EMBER_KERNELS_CONV_WINDOW_H
#define EMBER_KERNELS_CONV_WINDOW_H

#include "ember_internal.h"
#include "kernels/epilogue.h"
#include "kernels/quant.h"

_Static_assert(EMBER_SLOT_CONV2D_PARAMS_STRIDE_H == EMBER_SLOT_DEPTHWISE_CONV2D_PARAMS_STRIDE_H &&
                   EMBER_SLOT_CONV2D_PARAMS_STRIDE_H ==
                       EMBER_SLOT_TRANSPOSE_CONV2D_PARAMS_STRIDE_H &&
                   EMBER_SLOT_CONV2D_PARAMS_PAD_RIGHT ==
                       EMBER_SLOT_DEPTHWISE_CONV2D_PARAMS_PAD_RIGHT &&
                   EMBER_SLOT_CONV2D_PARAMS_PAD_RIGHT ==
                       EMBER_SLOT_TRANSPOSE_CONV2D_PARAMS_PAD_RIGHT &&
                   EMBER_SLOT_CONV2D_PARAMS_PAD_RIGHT - EMBER_SLOT_CONV2D_PARAMS_STRIDE_H == 7,
               "conv params tables must share their first eight slots");

struct conv_window {
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left, pad_bottom, pad_right;
};

/* Strides and dilations >= 1, pads >= 0 (the pooling ops' windows follow the same rules). */
static inline ember_status conv_window_check(ember_context *ctx, const ember_node *node,
                                             const char *op, const struct conv_window *w) {
    if (w->stride_h < 1 || w->stride_w < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): strides must be >= 1, got %" PRId32 ",%" PRId32,
                          node->index, op, w->stride_h, w->stride_w);
    if (w->dilation_h < 1 || w->dilation_w < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): dilations must be >= 1, got %" PRId32 ",%" PRId32,
                          node->index, op, w->dilation_h, w->dilation_w);
    if (w->pad_top < 0 || w->pad_left < 0 || w->pad_bottom < 0 || w->pad_right < 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): pads must be >= 0, got "
                          "%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32,
                          node->index, op, w->pad_top, w->pad_left, w->pad_bottom, w->pad_right);
    return EMBER_STATUS_OK;
}

/* Reads the eight window fields of a conv-like params table: strides and dilations >= 1,
   pads >= 0. */
static inline ember_status conv_window_read(ember_context *ctx, const ember_node *node,
                                            const char *op, struct conv_window *w) {
    const ember_fb_table *t = &node->params;
    if (!ember_fb_i32(t, EMBER_SLOT_CONV2D_PARAMS_STRIDE_H, 1, &w->stride_h) ||
        !ember_fb_i32(t, EMBER_SLOT_CONV2D_PARAMS_STRIDE_W, 1, &w->stride_w) ||
        !ember_fb_i32(t, EMBER_SLOT_CONV2D_PARAMS_DILATION_H, 1, &w->dilation_h) ||
        !ember_fb_i32(t, EMBER_SLOT_CONV2D_PARAMS_DILATION_W, 1, &w->dilation_w) ||
        !ember_fb_i32(t, EMBER_SLOT_CONV2D_PARAMS_PAD_TOP, 0, &w->pad_top) ||
        !ember_fb_i32(t, EMBER_SLOT_CONV2D_PARAMS_PAD_LEFT, 0, &w->pad_left) ||
        !ember_fb_i32(t, EMBER_SLOT_CONV2D_PARAMS_PAD_BOTTOM, 0, &w->pad_bottom) ||
        !ember_fb_i32(t, EMBER_SLOT_CONV2D_PARAMS_PAD_RIGHT, 0, &w->pad_right))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): params out of bounds", node->index, op);
    return conv_window_check(ctx, node, op, w);
}

/* Output length along one axis: windows that fit inside the padded axis; -1 when none does
   (a resize to such a size is refused). */
static inline int32_t conv_window_extent(int64_t in, int64_t taps, int64_t stride,
                                         int64_t dilation, int64_t pad_begin, int64_t pad_end) {
    const int64_t span = in + pad_begin + pad_end - ((taps - 1) * dilation + 1);
    return span < 0 || span / stride + 1 > INT32_MAX ? -1 : (int32_t)(span / stride + 1);
}

/* Shape rule of the forward convolutions and the pools: NHWC input, a KH x KW window, and
   `channels` output channels (ember_shape_rule). */
static inline ember_status conv_window_shape(ember_context *ctx, const ember_node *node,
                                             const struct conv_window *w, int32_t kh,
                                             int32_t kw, int32_t channels) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (in == NULL || in->rank != 4 || node->output_count < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 ": needs an NHWC input and an output", node->index);
    const int32_t dims[4] = {
        in->dims[0],
        conv_window_extent(in->dims[1], kh, w->stride_h, w->dilation_h, w->pad_top,
                           w->pad_bottom),
        conv_window_extent(in->dims[2], kw, w->stride_w, w->dilation_w, w->pad_left,
                           w->pad_right),
        channels};
    return ember_set_shape(ctx, node, ember_output(ctx, node, 0), 4, dims);
}

/* conv_window_shape for a convolution whose OHWI-shaped filter (input 1) gives the window and,
   at dim `channel_dim`, the output channels. */
static inline ember_status conv_filter_shape(ember_context *ctx, const ember_node *node,
                                             const char *op, uint8_t params_type,
                                             uint32_t channel_dim) {
    struct conv_window w;
    ember_status st = ember_check_params(ctx, node, params_type);
    if (st == EMBER_STATUS_OK)
        st = conv_window_read(ctx, node, op, &w);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *filter = ember_input(ctx, node, 1);
    if (filter == NULL || filter->rank != 4)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): needs a rank-4 filter", node->index, op);
    return conv_window_shape(ctx, node, &w, filter->dims[1], filter->dims[2],
                             filter->dims[channel_dim]);
}

/* Filter taps [*k0, *k1) of `taps` whose position start + k * dilation lies in [0, size).
   `start` may be negative (padding) or past the end. */
static inline void conv_taps(int64_t start, int32_t taps, int32_t dilation, int64_t size,
                             int32_t *k0, int32_t *k1) {
    int64_t lo = 0, hi = 0;
    if (dilation == 1) { /* the common case, without the divisions */
        lo = start >= 0 ? 0 : -start;
        hi = size - start > 0 ? size - start : 0;
    } else {
        lo = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
        hi = size - start <= 0 ? 0 : (size - start + dilation - 1) / dilation;
    }
    if (hi > taps)
        hi = taps;
    if (lo > hi)
        lo = hi;
    *k0 = (int32_t)lo;
    *k1 = (int32_t)hi;
}

/* The walk of a filter window over an image, shared by the reference loops: forward
   convolutions place the window at every output pixel and read the input under it;
   TRANSPOSE_CONV2D places it at every input pixel and writes the output under it. Placement
   (n, oy, ox) has its top-left corner at (y0, x0) = (oy * stride_h - pad_top,
   ox * stride_w - pad_left), negative inside the padding, and only the taps rows [ky0, ky1),
   columns [kx0, kx1) land inside the image (height size_h, width size_w). Tap (ky, kx) is at
   (y0 + ky * dilation_h, x0 + kx * dilation_w). Placements come in NHWC order, so a walk over
   output pixels writes its output sequentially. */
struct conv_walk {
    const struct conv_window *win;
    int32_t batch, steps_h, steps_w;    /* placements: batch x steps_h x steps_w */
    int32_t size_h, size_w;             /* the image the taps must land in */
    int32_t filter_h, filter_w;
    int32_t n, oy, ox;                  /* the current placement */
    int64_t y0, x0;
    int32_t ky0, ky1, kx0, kx1;
};

static inline void conv_walk_init(struct conv_walk *p, const struct conv_window *win,
                                  int32_t batch, int32_t steps_h, int32_t steps_w,
                                  int32_t size_h, int32_t size_w, int32_t filter_h,
                                  int32_t filter_w) {
    *p = (struct conv_walk){.win = win, .batch = batch, .steps_h = steps_h, .steps_w = steps_w,
                            .size_h = size_h, .size_w = size_w, .filter_h = filter_h,
                            .filter_w = filter_w};
    /* Just before the first placement; no placement at all when a count is 0. */
    p->n = steps_h > 0 && steps_w > 0 ? 0 : batch;
    p->oy = -1;
    p->ox = steps_w - 1;
}

/* Moves to the next placement and fills its corner and taps; false after the last one. */
static inline bool conv_walk_next(struct conv_walk *p) {
    const struct conv_window *w = p->win;
    const bool new_row = ++p->ox == p->steps_w;
    if (new_row) {
        p->ox = 0;
        if (++p->oy == p->steps_h) {
            p->oy = 0;
            p->n++;
        }
    }
    if (p->n >= p->batch)
        return false;
    if (new_row) {
        p->y0 = (int64_t)p->oy * w->stride_h - w->pad_top;
        conv_taps(p->y0, p->filter_h, w->dilation_h, p->size_h, &p->ky0, &p->ky1);
    }
    p->x0 = (int64_t)p->ox * w->stride_w - w->pad_left;
    conv_taps(p->x0, p->filter_w, w->dilation_w, p->size_w, &p->kx0, &p->kx1);
    return true;
}

/* Index of the image pixel (y, x) of the current placement's batch entry, in pixels. */
static inline size_t conv_walk_pixel(const struct conv_walk *p, int64_t y, int64_t x) {
    return ((size_t)p->n * (size_t)p->size_h + (size_t)y) * (size_t)p->size_w + (size_t)x;
}

/* Output length of a forward convolution along one axis, or -1 when the dilated filter does
   not fit in the padded input. */
static inline int64_t conv_out_size(int64_t in, int64_t taps, int64_t stride, int64_t dilation,
                                   int64_t pad_begin, int64_t pad_end) {
    int64_t span = in + pad_begin + pad_end - ((taps - 1) * dilation + 1);
    return span < 0 ? -1 : span / stride + 1;
}

/* Checks that the fused activation field at `slot` is valid; gives its clamp range and, where
   `fn` is not NULL (float32 ops with kernels/epilogue.h), SILU or HARD_SWISH in *fn. */
static inline ember_status conv_activation(ember_context *ctx, const ember_node *node,
                                           uint32_t slot, const char *op, float *lo, float *hi,
                                           uint8_t *fn) {
    uint8_t act = 0;
    if (!ember_fb_u8(&node->params, slot, EMBER_FUSED_ACTIVATION_NONE, &act))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): params out of bounds", node->index, op);
    if (fn == NULL)
        return ember_activation_range(ctx, node, act, lo, hi);
    struct ember_epilogue_f32 e;
    const ember_status st = ember_epilogue_f32_read(ctx, node, act, &e);
    *lo = e.lo;
    *hi = e.hi;
    *fn = e.fn;
    return st;
}

/* What every conv-like node checks first: arity (input, filter, optional bias, then up to
   max_inputs; one output), params type, window fields and fused activation (act_fn: as
   conv_activation's fn). */
static inline ember_status conv_params_read(ember_context *ctx, const ember_node *node,
                                            const char *op, uint8_t params_type,
                                            uint32_t activation_slot, uint32_t max_inputs,
                                            struct conv_window *w, float *act_lo,
                                            float *act_hi, uint8_t *act_fn) {
    ember_status st = ember_check_arity(ctx, node, 2, max_inputs, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, params_type);
    if (st == EMBER_STATUS_OK)
        st = conv_window_read(ctx, node, op, w);
    if (st == EMBER_STATUS_OK)
        st = conv_activation(ctx, node, activation_slot, op, act_lo, act_hi, act_fn);
    return st;
}

/* Reads a count field (groups, depth_multiplier) that must be >= 1; `name` names it in the
   message. */
static inline ember_status conv_count_read(ember_context *ctx, const ember_node *node,
                                           const char *op, uint32_t slot, const char *name,
                                           int32_t *value) {
    if (!ember_fb_i32(&node->params, slot, 1, value))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): params out of bounds", node->index, op);
    if (*value < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): %s must be >= 1, got %" PRId32, node->index, op,
                          name, *value);
    return EMBER_STATUS_OK;
}

struct conv_tensors {
    const ember_tensor *in, *filter, *bias, *out; /* bias may be NULL */
};

/* Finds the node's tensors and checks that input and filter are present, input, filter and
   output are all float32 (bias float32), all int8 (bias int32) or 16x8 (int16 input and
   output, int8 filter, int64 bias), input, filter and output are 4D and bias is 1D. */
static inline ember_status conv_tensors_read(ember_context *ctx, const ember_node *node,
                                             const char *op, struct conv_tensors *t) {
    t->in = ember_input(ctx, node, 0);
    t->filter = ember_input(ctx, node, 1);
    t->bias = ember_input(ctx, node, 2);
    t->out = ember_output(ctx, node, 0);
    if (t->in == NULL || t->filter == NULL)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): input and filter are required", node->index,
                          op);
    ember_status st = EMBER_STATUS_OK;
    const uint8_t type = t->in->type == EMBER_TYPE_INT8 || t->in->type == EMBER_TYPE_INT16
                             ? t->in->type
                             : EMBER_TYPE_FLOAT32;
    const uint8_t filter_type = type == EMBER_TYPE_INT16 ? EMBER_TYPE_INT8 : type;
    const uint8_t bias_type = type == EMBER_TYPE_INT8    ? EMBER_TYPE_INT32
                              : type == EMBER_TYPE_INT16 ? EMBER_TYPE_INT64
                                                         : EMBER_TYPE_FLOAT32;
    if ((st = ember_check_type(ctx, node, t->in, type, "input")) ||
        (st = ember_check_type(ctx, node, t->filter, filter_type, "filter")) ||
        (t->bias && (st = ember_check_type(ctx, node, t->bias, bias_type, "bias"))) ||
        (st = ember_check_type(ctx, node, t->out, type, "output")) ||
        (st = ember_check_rank(ctx, node, t->in, 4, "input")) ||
        (st = ember_check_rank(ctx, node, t->filter, 4, "filter")) ||
        (t->bias && (st = ember_check_rank(ctx, node, t->bias, 1, "bias"))) ||
        (st = ember_check_rank(ctx, node, t->out, 4, "output")))
        return st;
    return EMBER_STATUS_OK;
}

/* Checks a grouped OHWI filter [Cout,KH,KW,Cin/groups] against `in_c` input channels: every
   dim >= 1, Cin/groups * groups == in_c, Cout divisible by groups. */
static inline ember_status conv_grouped_filter_check(ember_context *ctx, const ember_node *node,
                                                     const char *op,
                                                     const ember_tensor *filter,
                                                     int32_t groups, int32_t in_c) {
    const int32_t *f = filter->dims;
    if (f[0] < 1 || f[1] < 1 || f[2] < 1 || f[3] < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): filter dims must be >= 1, got "
                          "[%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 "]",
                          node->index, op, f[0], f[1], f[2], f[3]);
    if ((int64_t)f[3] * groups != in_c || f[0] % groups != 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): filter "
                          "[%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 "] with %" PRId32 " "
                          "groups does not fit %" PRId32 " input channels: expected filter dim 3 "
                          "= Cin/groups and Cout divisible by groups",
                          node->index, op, f[0], f[1], f[2], f[3], groups, in_c);
    return EMBER_STATUS_OK;
}

/* Checks that an optional bias has one element per output channel. */
static inline ember_status conv_bias_check(ember_context *ctx, const ember_node *node,
                                           const char *op, const ember_tensor *bias,
                                           int32_t out_c) {
    if (bias && bias->dims[0] != out_c)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): bias must have %" PRId32 " elements, got "
                          "%" PRId32,
                          node->index, op, out_c, bias->dims[0]);
    return EMBER_STATUS_OK;
}

/* Checks the output shape of a forward convolution (conv2d, depthwise_conv2d):
   [N, conv_out_size(H), conv_out_size(W), out_c], with filter taps KH, KW in filter dims 1, 2. */
static inline ember_status conv_forward_output_check(ember_context *ctx, const ember_node *node,
                                                     const char *op,
                                                     const struct conv_window *w,
                                                     const struct conv_tensors *t,
                                                     int32_t out_c) {
    const int32_t *in = t->in->dims, *out = t->out->dims;
    const int32_t filter_h = t->filter->dims[1], filter_w = t->filter->dims[2];
    int64_t out_h = conv_out_size(in[1], filter_h, w->stride_h, w->dilation_h, w->pad_top,
                                  w->pad_bottom);
    int64_t out_w = conv_out_size(in[2], filter_w, w->stride_w, w->dilation_w, w->pad_left,
                                  w->pad_right);
    if (out_h < 0 || out_w < 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): dilated filter %" PRId32 "x%" PRId32 " does "
                          "not fit the padded input %" PRId32 "x%" PRId32,
                          node->index, op, filter_h, filter_w, in[1], in[2]);
    if (out[0] != in[0] || out[1] != out_h || out[2] != out_w || out[3] != out_c)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): output shape must be "
                          "[%" PRId32 ",%lld,%lld,%" PRId32 "], got "
                          "[%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 "]",
                          node->index, op, in[0], (long long)out_h, (long long)out_w, out_c,
                          out[0], out[1], out[2], out[3]);
    return EMBER_STATUS_OK;
}

/* Quantization of a forward convolution: per-tensor input and output (int8, or int16 with
   zero point 0), weights with one scale or one per output channel along `filter_axis`; an
   int32 bias scaled input x weight scale, an int64 one with zero points 0. */
static inline ember_status conv_quant_check(ember_context *ctx, const ember_node *node,
                                            const struct conv_tensors *t, uint32_t filter_axis,
                                            int32_t out_c) {
    ember_status st = EMBER_STATUS_OK;
    if (t->in->type == EMBER_TYPE_INT16) {
        if ((st = ember_check_quant_i16(ctx, node, t->in, "input")) ||
            (st = ember_check_quant_i16(ctx, node, t->out, "output")) ||
            (st = ember_check_quant_weights(ctx, node, t->filter, filter_axis, out_c)) ||
            (t->bias && (st = ember_check_quant_bias_i64(ctx, node, t->bias))))
            return st;
        return EMBER_STATUS_OK;
    }
    if ((st = ember_check_quant_i8(ctx, node, t->in, "input")) ||
        (st = ember_check_quant_i8(ctx, node, t->out, "output")) ||
        (st = ember_check_quant_weights(ctx, node, t->filter, filter_axis, out_c)) ||
        (t->bias && (st = ember_check_quant_bias(ctx, node, t->bias, t->in, t->filter, out_c))))
        return st;
    return EMBER_STATUS_OK;
}

/* The clamp range of a quantized convolution's fused activation (field `slot`), on the int8
   or int16 range of its output. */
static inline ember_status conv_quant_range(ember_context *ctx, const ember_node *node,
                                            const char *op, uint32_t slot,
                                            const ember_tensor *out, int32_t *lo, int32_t *hi) {
    uint8_t act = 0;
    if (!ember_fb_u8(&node->params, slot, 0, &act))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): params out of bounds", node->index, op);
    return out->type == EMBER_TYPE_INT16 ? ember_activation_range_i16(ctx, node, act, out, lo, hi)
                                         : ember_activation_range_i8(ctx, node, act, out, lo, hi);
}

#endif /* EMBER_KERNELS_CONV_WINDOW_H */
