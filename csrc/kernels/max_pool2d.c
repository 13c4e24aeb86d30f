/* MAX_POOL2D: the largest input cell under each (dilated) window, NHWC float32, int8 or
   int16. Padded cells are skipped rather than read as a value, so they never win. */
#include <float.h>

#include "ember_internal.h"
#include "kernels/pool2d.h"
#include "kernels/shape_rules.h"
#include "ukernels/pool_qs8.h"

struct max_pool2d_data {
    struct pool2d_params p;
    const ember_pool_f32_config *uk; /* float32 microkernels; NULL: the reference loop */
    const ember_pool_qs8_config *uk_i8; /* int8 microkernels; NULL: the reference loop */
};

static ember_status max_pool2d_check(ember_context *ctx, const ember_node *node) {
    struct pool2d_params p;
    return pool2d_read(ctx, node, "max_pool2d", &p);
}

/* The largest tap of the window. A window of padding only (pads as wide as the window, or a
   dilation that steps over a small input) yields -FLT_MAX, as ONNX Runtime does. */
static void max_pool2d_window(const struct pool2d_params *p, const struct pool2d_window *w,
                              float *out) {
    const size_t c_count = (size_t)p->channels;
    for (size_t c = 0; c < c_count; c++)
        out[c] = -FLT_MAX;
    for (int32_t ky = 0; ky < w->rows; ky++) {
        for (int32_t kx = 0; kx < w->cols; kx++) {
            const float *src = w->first + (size_t)ky * w->row_step + (size_t)kx * w->col_step;
            for (size_t c = 0; c < c_count; c++)
                out[c] = src[c] > out[c] ? src[c] : out[c];
        }
    }
}

static void ember_max_pool2d_f32_ref(const struct pool2d_params *p, const float *in,
                                     float *out) {
    pool2d_f32_walk(p, in, out, max_pool2d_window);
}

/* LiteRT's reference int8 max pool: the largest stored value of the in-image taps (-128 for
   a window of padding only), clamped to the activation range. */
static void max_pool2d_window_i8(const struct pool2d_params *p, const void *taps, int32_t rows,
                                 int32_t cols, size_t row_step, size_t col_step, void *dst) {
    const int8_t *first = taps;
    int8_t *out = dst;
    for (size_t c = 0; c < (size_t)p->channels; c++) {
        int32_t best = -128;
        for (int32_t ky = 0; ky < rows; ky++)
            for (int32_t kx = 0; kx < cols; kx++) {
                const int32_t v = first[(size_t)ky * row_step + (size_t)kx * col_step + c];
                best = v > best ? v : best;
            }
        best = ember_clamp_i32(best, p->q_min, p->q_max);
        out[c] = (int8_t)best;
    }
}

static void ember_max_pool2d_i8_ref(const struct pool2d_params *p, const int8_t *in,
                                    int8_t *out) {
    pool2d_q_walk(p, in, out, sizeof(int8_t), max_pool2d_window_i8);
}

/* The fast int8 walk: output rows (batch x out_h) shared out to the threads, one microkernel
   call per output pixel; a pixel's bytes do not depend on which thread runs it. */
struct max_pool2d_i8_task {
    const struct pool2d_params *p;
    const int8_t *in;
    int8_t *out;
    ember_maxpool_qs8_fn fn;
};

static void max_pool2d_i8_rows(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)thread;
    const struct max_pool2d_i8_task *t = arg;
    const struct pool2d_params *p = t->p;
    const size_t c_count = (size_t)p->channels;
    const size_t row = (size_t)p->in_w * c_count;
    const size_t row_step = (size_t)p->win.dilation_h * row;
    const size_t col_step = (size_t)p->win.dilation_w * c_count;
    for (size_t r = begin; r < end; r++) {
        const int8_t *image = t->in + r / (size_t)p->out_h * (size_t)p->in_h * row;
        const int32_t oy = (int32_t)(r % (size_t)p->out_h);
        int8_t *out = t->out + r * (size_t)p->out_w * c_count;
        for (int32_t ox = 0; ox < p->out_w; ox++, out += c_count) {
            int32_t rows, cols;
            size_t first;
            pool2d_window_at(p, oy, ox, &rows, &cols, &first);
            t->fn(image + first, (size_t)rows, (size_t)cols, row_step, col_step, c_count,
                  p->q_min, p->q_max, out);
        }
    }
}

static void max_pool2d_i8_fast(ember_context *ctx, const struct max_pool2d_data *d,
                               const int8_t *in, int8_t *out) {
    const struct max_pool2d_i8_task t = {&d->p, in, out, d->uk_i8->max};
    ember_parallel_1d(ctx, max_pool2d_i8_rows, &t, (size_t)d->p.batch * (size_t)d->p.out_h, 1);
}

/* The int16 (16x8) twin: -32768 for a window of padding only. */
static void max_pool2d_window_i16(const struct pool2d_params *p, const void *taps,
                                  int32_t rows, int32_t cols, size_t row_step, size_t col_step,
                                  void *dst) {
    const int16_t *first = taps;
    int16_t *out = dst;
    for (size_t c = 0; c < (size_t)p->channels; c++) {
        int32_t best = INT16_MIN;
        for (int32_t ky = 0; ky < rows; ky++)
            for (int32_t kx = 0; kx < cols; kx++) {
                const int32_t v = first[(size_t)ky * row_step + (size_t)kx * col_step + c];
                best = v > best ? v : best;
            }
        best = ember_clamp_i32(best, p->q_min, p->q_max);
        out[c] = (int16_t)best;
    }
}

static void ember_max_pool2d_i16_ref(const struct pool2d_params *p, const int16_t *in,
                                     int16_t *out) {
    pool2d_q_walk(p, in, out, sizeof(int16_t), max_pool2d_window_i16);
}

static ember_status max_pool2d_prepare(ember_context *ctx, ember_node *node) {
    struct max_pool2d_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    d->uk = NULL;
    d->uk_i8 = NULL;
    const ember_status st = pool2d_read(ctx, node, "max_pool2d", &d->p);
    if (st == EMBER_STATUS_OK && d->p.is_i8) {
        d->uk_i8 = ember_pool_qs8_window_select(ctx); /* Cortex-M, bare metal too */
        if (d->uk_i8 == NULL)
            d->uk_i8 = ember_pool_qs8_select(ctx);
        node->variant = d->uk_i8 != NULL ? d->uk_i8->max_name : NULL;
    }
    if (st != EMBER_STATUS_OK || d->p.is_i8 || d->p.is_i16)
        return st;
    if (!EMBER_HAS_FLOAT_KERNELS)
        return ember_unsupported_types(ctx, node);
    d->uk = ember_reference_only(ctx) ? NULL : ember_pool_f32_select(ctx);
    node->variant = d->uk != NULL ? d->uk->max_name : NULL;
    return EMBER_STATUS_OK;
}

static ember_status max_pool2d_eval(ember_context *ctx, const ember_node *node) {
    const struct max_pool2d_data *d = node->data;
    if (EMBER_HAS_INT16_KERNELS && d->p.is_i16) {
        ember_max_pool2d_i16_ref(&d->p, ember_input(ctx, node, 0)->data,
                                 ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    if (d->p.is_i8 && d->uk_i8 != NULL) {
        max_pool2d_i8_fast(ctx, d, ember_input(ctx, node, 0)->data,
                           ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    if (d->p.is_i8 || !EMBER_HAS_FLOAT_KERNELS) {
        ember_max_pool2d_i8_ref(&d->p, ember_input(ctx, node, 0)->data,
                                ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    if (EMBER_PACKED_KERNELS && d->uk != NULL)
        pool2d_f32_fast(ctx, &d->p, ember_input(ctx, node, 0)->data,
                        ember_output(ctx, node, 0)->data, d->uk->max, false);
    else
        ember_max_pool2d_f32_ref(&d->p, ember_input(ctx, node, 0)->data,
                                 ember_output(ctx, node, 0)->data);
    return EMBER_STATUS_OK;
}

ember_status ember_shape_max_pool2d(ember_context *ctx, const ember_node *node) {
    return pool2d_shape(ctx, node, "max_pool2d");
}

const ember_kernel ember_kernel_max_pool2d = {
    EMBER_OP_MAX_POOL2D, "max_pool2d", max_pool2d_check, max_pool2d_prepare, max_pool2d_eval,
};
