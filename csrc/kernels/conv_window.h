/* Stride, dilation and padding rules shared by conv2d.c, depthwise_conv2d.c and
   transpose_conv2d.c. Their three params tables begin with the same eight fields in the same
   vtable slots (checked below), so one reader serves all of them. Header-only (static inline)
   so each op file stays self-contained. */
#ifndef EMBER_KERNELS_CONV_WINDOW_H
#define EMBER_KERNELS_CONV_WINDOW_H

#include "ember_internal.h"

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

/* Output length of a forward convolution along one axis, or -1 when the dilated filter does
   not fit in the padded input. */
static inline int64_t conv_out_size(int64_t in, int64_t taps, int64_t stride, int64_t dilation,
                                   int64_t pad_begin, int64_t pad_end) {
    int64_t span = in + pad_begin + pad_end - ((taps - 1) * dilation + 1);
    return span < 0 ? -1 : span / stride + 1;
}

/* Checks that the fused activation field at `slot` is valid; gives its clamp range. */
static inline ember_status conv_activation(ember_context *ctx, const ember_node *node,
                                           uint32_t slot, const char *op, float *lo, float *hi) {
    uint8_t act = 0;
    if (!ember_fb_u8(&node->params, slot, EMBER_FUSED_ACTIVATION_NONE, &act))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): params out of bounds", node->index, op);
    return ember_activation_range(ctx, node, act, lo, hi);
}

#endif /* EMBER_KERNELS_CONV_WINDOW_H */
