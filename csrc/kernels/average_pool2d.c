/* AVERAGE_POOL2D: mean of each (dilated) window, NHWC float32. The divisor counts the taps
   inside the input, or with count_include_pad every tap of the window (check guarantees each
   window lies inside the padded input). */
#include "ember_internal.h"
#include "kernels/pool2d.h"
#include "kernels/shape_rules.h"
#include "ukernels/pool_qs8.h"

struct average_pool2d_data {
    struct pool2d_params p;
    const ember_pool_f32_config *uk; /* float32 microkernels; NULL: the reference loop */
    const ember_pool_qs8_config *uk_i8; /* int8 (Cortex-M) microkernels; NULL: the reference */
};

/* pool2d_read, without int16: LiteRT's int16 average pool is not implemented here. */
static ember_status average_pool2d_read(ember_context *ctx, const ember_node *node,
                                        struct pool2d_params *p) {
    ember_status st = pool2d_read(ctx, node, "average_pool2d", p);
    if (st == EMBER_STATUS_OK && p->is_i16)
        return ember_fail(ctx, EMBER_STATUS_UNSUPPORTED,
                          "node %" PRIu32 " (average_pool2d): int16 (16x8) has no kernel",
                          node->index);
    return st;
}

static ember_status average_pool2d_check(ember_context *ctx, const ember_node *node) {
    struct pool2d_params p;
    return average_pool2d_read(ctx, node, &p);
}

/* The mean of the window's taps; a window of padding only stays 0. */
static void average_pool2d_window(const struct pool2d_params *p, const struct pool2d_window *w,
                                  float *out) {
    const size_t c_count = (size_t)p->channels;
    for (size_t c = 0; c < c_count; c++)
        out[c] = 0.0f;
    for (int32_t ky = 0; ky < w->rows; ky++) {
        for (int32_t kx = 0; kx < w->cols; kx++) {
            const float *src = w->first + (size_t)ky * w->row_step + (size_t)kx * w->col_step;
            for (size_t c = 0; c < c_count; c++)
                out[c] += src[c];
        }
    }
    int64_t taps = p->count_include_pad ? (int64_t)p->filter_h * p->filter_w
                                        : (int64_t)w->rows * w->cols;
    float scale = taps > 0 ? 1.0f / (float)taps : 0.0f;
    for (size_t c = 0; c < c_count; c++)
        out[c] *= scale;
}

static void ember_average_pool2d_f32_ref(const struct pool2d_params *p, const float *in,
                                         float *out) {
    pool2d_f32_walk(p, in, out, average_pool2d_window);
}

/* LiteRT's reference int8 average pool: the int32 sum of the stored values of the in-image
   taps, divided by their count rounding half away from zero, then clamped. A window of padding
   only gives 0 before the clamp. */
static void average_pool2d_window_i8(const struct pool2d_params *p, const void *taps,
                                     int32_t rows, int32_t cols, size_t row_step,
                                     size_t col_step, void *dst) {
    const int8_t *first = taps;
    int8_t *out = dst;
    /* 64-bit where LiteRT has 32: equal for every window under 2^24 taps, defined beyond. */
    const int64_t count = (int64_t)rows * cols;
    for (size_t c = 0; c < (size_t)p->channels; c++) {
        int64_t sum = 0;
        for (int32_t ky = 0; ky < rows; ky++)
            for (int32_t kx = 0; kx < cols; kx++)
                sum += first[(size_t)ky * row_step + (size_t)kx * col_step + c];
        int64_t avg = 0;
        if (count > 0)
            avg = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
        avg = avg < p->q_min ? p->q_min : avg > p->q_max ? p->q_max : avg;
        out[c] = (int8_t)avg;
    }
}

static void ember_average_pool2d_i8_ref(const struct pool2d_params *p, const int8_t *in,
                                        int8_t *out) {
    pool2d_q_walk(p, in, out, sizeof(int8_t), average_pool2d_window_i8);
}

/* The int8 microkernel over every output pixel, one call each (the Cortex-M builds that have
   it run no threads). */
static void average_pool2d_i8_fast(const struct average_pool2d_data *d, const int8_t *in,
                                   int8_t *out) {
    const struct pool2d_params *p = &d->p;
    const size_t c_count = (size_t)p->channels;
    const size_t row = (size_t)p->in_w * c_count;
    for (int32_t n = 0; n < p->batch; n++) {
        const int8_t *image = in + (size_t)n * (size_t)p->in_h * row;
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++, out += c_count) {
                int32_t rows, cols;
                size_t first;
                pool2d_window_at(p, oy, ox, &rows, &cols, &first);
                d->uk_i8->avg(image + first, (size_t)rows, (size_t)cols,
                              (size_t)p->win.dilation_h * row,
                              (size_t)p->win.dilation_w * c_count, c_count, p->q_min, p->q_max,
                              out);
            }
    }
}

static ember_status average_pool2d_prepare(ember_context *ctx, ember_node *node) {
    struct average_pool2d_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    d->uk = NULL;
    d->uk_i8 = NULL;
    const ember_status st = average_pool2d_read(ctx, node, &d->p);
    if (st == EMBER_STATUS_OK && d->p.is_i8) {
        d->uk_i8 = ember_pool_qs8_window_select(ctx); /* Cortex-M only, bare metal too */
        node->variant = d->uk_i8 != NULL ? d->uk_i8->avg_name : NULL;
    }
    if (st != EMBER_STATUS_OK || d->p.is_i8)
        return st;
    if (!EMBER_HAS_FLOAT_KERNELS)
        return ember_unsupported_types(ctx, node);
    d->uk = ember_reference_only(ctx) ? NULL : ember_pool_f32_select(ctx);
    node->variant = d->uk != NULL ? d->uk->avg_name : NULL;
    return EMBER_STATUS_OK;
}

static ember_status average_pool2d_eval(ember_context *ctx, const ember_node *node) {
    const struct average_pool2d_data *d = node->data;
    if (d->p.is_i8 && d->uk_i8 != NULL) {
        average_pool2d_i8_fast(d, ember_input(ctx, node, 0)->data,
                               ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    if (d->p.is_i8 || !EMBER_HAS_FLOAT_KERNELS) {
        ember_average_pool2d_i8_ref(&d->p, ember_input(ctx, node, 0)->data,
                                    ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    if (EMBER_PACKED_KERNELS && d->uk != NULL)
        pool2d_f32_fast(ctx, &d->p, ember_input(ctx, node, 0)->data,
                        ember_output(ctx, node, 0)->data, d->uk->avg, true);
    else
        ember_average_pool2d_f32_ref(&d->p, ember_input(ctx, node, 0)->data,
                                     ember_output(ctx, node, 0)->data);
    return EMBER_STATUS_OK;
}

ember_status ember_shape_average_pool2d(ember_context *ctx, const ember_node *node) {
    return pool2d_shape(ctx, node, "average_pool2d");
}

const ember_kernel ember_kernel_average_pool2d = {
    EMBER_OP_AVERAGE_POOL2D, "average_pool2d", average_pool2d_check, average_pool2d_prepare,
    average_pool2d_eval,
};
