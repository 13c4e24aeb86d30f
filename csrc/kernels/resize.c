/* RESIZE of NHWC float32 images: nearest neighbour or bilinear, with ONNX Resize's coordinate
   transforms and nearest roundings. Coordinates are computed in float32 the way ONNX Runtime
   does, so nearest picks the same cell on exact .5 ties. Prepare turns each axis into a table
   of source cells (and bilinear weights); eval only reads the tables.
   int8 (input and output quantized alike): nearest copies the stored values; bilinear is
   LiteRT's integer kernel (docs/int8-arithmetic.md, section 5), whose source positions
   come from the image sizes in 1/1024 steps (TFLite's align_corners, half_pixel_centers or
   neither: the ALIGN_CORNERS, HALF_PIXEL and ASYMMETRIC transforms). */
#include <math.h>
#include <string.h>

#include "ember_internal.h"
#include "kernels/quant.h"
#include "threadpool.h"
#include "ukernels/resize.h"
#include "kernels/shape_rules.h"

/* Per output coordinate along one axis: source cells lo <= hi, weight of hi (bilinear), and
   for int8 bilinear the position relative to lo in 1/1024 (may be negative at the border). */
struct resize_axis {
    int32_t *lo, *hi;
    float *w;
    int32_t *w10;
};

struct resize_data {
    uint8_t mode;
    bool is_i8;
    int32_t batch, channels, in_h, in_w, out_h, out_w;
    struct resize_axis y, x;
    /* float32 bilinear rows by a microkernel; NULL: the reference loop */
    const ember_resize_f32_config *uk;
};

struct resize_params {
    uint8_t mode, transform, rounding;
    float scale_h, scale_w;
};

static ember_status resize_params(ember_context *ctx, const ember_node *node,
                                  struct resize_params *p) {
    const ember_fb_table *t = &node->params;
    if (!ember_fb_u8(t, EMBER_SLOT_RESIZE_PARAMS_MODE, EMBER_RESIZE_MODE_NEAREST, &p->mode) ||
        !ember_fb_u8(t, EMBER_SLOT_RESIZE_PARAMS_COORDINATE_TRANSFORM,
                     EMBER_COORDINATE_TRANSFORM_HALF_PIXEL, &p->transform) ||
        !ember_fb_u8(t, EMBER_SLOT_RESIZE_PARAMS_NEAREST_ROUNDING,
                     EMBER_NEAREST_ROUNDING_ROUND_PREFER_FLOOR, &p->rounding) ||
        !ember_fb_f32(t, EMBER_SLOT_RESIZE_PARAMS_SCALE_H, 0.0f, &p->scale_h) ||
        !ember_fb_f32(t, EMBER_SLOT_RESIZE_PARAMS_SCALE_W, 0.0f, &p->scale_w))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (resize): params out of bounds", node->index);
    return EMBER_STATUS_OK;
}

/* in x scale rounded down as ONNX does, with slack for a scale the converter wrote as
   out / in in float32 (3 x (7 / 3.0f) is 6.9999995). */
static int32_t resized_extent(int32_t in, float scale) {
    const double out = floor((double)in * (double)scale + 1e-4);
    return out >= 0.0 && out <= (double)INT32_MAX ? (int32_t)out : -1;
}

ember_status ember_shape_resize(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in;
    struct resize_params p;
    ember_status st = ember_shape_input(ctx, node, 0, &in);
    if (st == EMBER_STATUS_OK)
        st = resize_params(ctx, node, &p);
    if (st == EMBER_STATUS_OK && in->rank != 4)
        st = ember_check_rank(ctx, node, in, 4, "input");
    if (st != EMBER_STATUS_OK)
        return st;
    const int32_t dims[4] = {in->dims[0], resized_extent(in->dims[1], p.scale_h),
                             resized_extent(in->dims[2], p.scale_w), in->dims[3]};
    return ember_set_shape(ctx, node, ember_output(ctx, node, 0), 4, dims);
}

static ember_status resize_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 1, 1, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_RESIZE_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    struct resize_params p;
    if ((st = resize_params(ctx, node, &p)))
        return st;
    if (p.mode >= EMBER_RESIZE_MODE_COUNT || p.transform >= EMBER_COORDINATE_TRANSFORM_COUNT ||
        p.rounding >= EMBER_NEAREST_ROUNDING_COUNT)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (resize): unknown mode %u, coordinate transform %u or "
                          "nearest rounding %u",
                          node->index, p.mode, p.transform, p.rounding);
    if (!(isfinite(p.scale_h) && p.scale_h > 0.0f && isfinite(p.scale_w) && p.scale_w > 0.0f))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (resize): scales must be finite and > 0, got %g,%g",
                          node->index, (double)p.scale_h, (double)p.scale_w);
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    const uint8_t type = in->type == EMBER_TYPE_INT8 ? EMBER_TYPE_INT8 : EMBER_TYPE_FLOAT32;
    if ((st = ember_check_type(ctx, node, in, type, "input")) ||
        (st = ember_check_type(ctx, node, out, type, "output")) ||
        (st = ember_check_same_quant(ctx, node, in, out)) ||
        (st = ember_check_rank(ctx, node, in, 4, "input")) ||
        (st = ember_check_rank(ctx, node, out, 4, "output")))
        return st;
    if (out->dims[0] != in->dims[0] || out->dims[3] != in->dims[3])
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (resize): output batch and channels must be "
                          "%" PRId32 ",%" PRId32 ", got %" PRId32 ",%" PRId32,
                          node->index, in->dims[0], in->dims[3], out->dims[0], out->dims[3]);
    if ((out->dims[1] > 0 && in->dims[1] == 0) || (out->dims[2] > 0 && in->dims[2] == 0))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (resize): cannot resize an empty "
                          "%" PRId32 "x%" PRId32 " image to %" PRId32 "x%" PRId32,
                          node->index, in->dims[1], in->dims[2], out->dims[1], out->dims[2]);
    if (type == EMBER_TYPE_INT8 && p.mode != EMBER_RESIZE_MODE_NEAREST &&
        p.transform == EMBER_COORDINATE_TRANSFORM_PYTORCH_HALF_PIXEL)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (resize): int8 bilinear supports the align-corners, "
                          "half-pixel and asymmetric transforms, got pytorch half-pixel",
                          node->index);
    return EMBER_STATUS_OK;
}

/* Input coordinate of output coordinate x (ONNX Resize's formulas, in float32). */
static float source_coord(uint8_t transform, int32_t x, float scale, int32_t in, int32_t out) {
    float xf = (float)x;
    switch (transform) {
    case EMBER_COORDINATE_TRANSFORM_ALIGN_CORNERS:
        return out == 1 ? 0.0f : xf * (float)(in - 1) / (float)(out - 1);
    case EMBER_COORDINATE_TRANSFORM_ASYMMETRIC:
        return xf / scale;
    case EMBER_COORDINATE_TRANSFORM_PYTORCH_HALF_PIXEL:
        return out > 1 ? (xf + 0.5f) / scale - 0.5f : 0.0f;
    default:
        return (xf + 0.5f) / scale - 0.5f;
    }
}

static float nearest(uint8_t rounding, float c) {
    float f = floorf(c);
    float frac = c - f;
    switch (rounding) {
    case EMBER_NEAREST_ROUNDING_FLOOR:
        return f;
    case EMBER_NEAREST_ROUNDING_CEIL:
        return ceilf(c);
    case EMBER_NEAREST_ROUNDING_ROUND_PREFER_CEIL:
        return frac < 0.5f ? f : f + 1.0f;
    default:
        return frac <= 0.5f ? f : f + 1.0f;
    }
}

/* The cell of coordinate c on an axis of `in` >= 1 cells: c truncated into [0, in - 1], NaN
   to 0. Compared in double: float(in - 1) may round up past INT32_MAX. */
static int32_t cell_index(float c, int32_t in) {
    if (!(c >= 0.0f))
        return 0;
    return (double)c >= (double)(in - 1) ? in - 1 : (int32_t)c;
}

static void fill_axis(const struct resize_params *p, const struct resize_axis *t, float scale,
                      int32_t in, int32_t out) {
    const float last = (float)(in - 1);
    for (int32_t x = 0; x < out; x++) {
        float c = source_coord(p->transform, x, scale, in, out);
        if (p->mode == EMBER_RESIZE_MODE_NEAREST) {
            t->lo[x] = t->hi[x] = cell_index(nearest(p->rounding, c), in);
            t->w[x] = 0.0f;
        } else {
            c = !(c >= 0.0f) ? 0.0f : (c > last ? last : c);
            int32_t lo = cell_index(c, in);
            t->lo[x] = lo;
            t->hi[x] = lo < in - 1 ? lo + 1 : lo;
            t->w[x] = c - (float)lo;
        }
    }
}

/* LiteRT's integer source positions: a step of in/out (or (in-1)/(out-1) aligning corners)
   in 1/1024, rounded to nearest; half-pixel centres shift by half a step less half a cell.
   64-bit where LiteRT is 32-bit: equal for images below 2^20 cells. The rounded step can put
   the last positions at or past cell `in` (199 -> 650 rows: 649 x 314 / 1024 = 199.0), where
   LiteRT reads past the image: both taps are clamped to the last cell, which makes the
   weight irrelevant (lo = hi). */
static void fill_axis_i8(uint8_t transform, const struct resize_axis *t, int32_t in,
                         int32_t out) {
    if (out < 1)
        return;
    const bool align = transform == EMBER_COORDINATE_TRANSFORM_ALIGN_CORNERS && out > 1;
    const bool half = transform == EMBER_COORDINATE_TRANSFORM_HALF_PIXEL;
    const int64_t step = align ? (1024 * (int64_t)(in - 1) + (out - 1) / 2) / (out - 1)
                               : (1024 * (int64_t)in + out / 2) / out;
    for (int32_t o = 0; o < out; o++) {
        const int64_t pos = half ? o * step + step / 2 - 512 : o * step;
        int64_t lo = pos / 1024 > 0 ? pos / 1024 : 0; /* truncating, as LiteRT */
        lo = lo < in - 1 ? lo : in - 1;
        const int64_t hi = (pos + 1023) / 1024;
        t->lo[o] = (int32_t)lo;
        t->hi[o] = (int32_t)(hi < in - 1 ? hi : in - 1);
        t->w10[o] = (int32_t)(pos - 1024 * lo);
    }
}

/* The four taps weighted in Q20, rounded half away from zero. */
static void ember_resize_bilinear_i8_ref(const struct resize_data *d, const int8_t *in,
                                         int8_t *out) {
    const size_t c_count = (size_t)d->channels;
    const size_t row = (size_t)d->in_w * c_count;
    for (int32_t n = 0; n < d->batch; n++) {
        const int8_t *image = in + (size_t)n * (size_t)d->in_h * row;
        for (int32_t oy = 0; oy < d->out_h; oy++) {
            const int8_t *r0 = image + (size_t)d->y.lo[oy] * row;
            const int8_t *r1 = image + (size_t)d->y.hi[oy] * row;
            const int64_t dy = d->y.w10[oy];
            for (int32_t ox = 0; ox < d->out_w; ox++) {
                const size_t x0 = (size_t)d->x.lo[ox] * c_count;
                const size_t x1 = (size_t)d->x.hi[ox] * c_count;
                const int64_t dx = d->x.w10[ox];
                for (size_t c = 0; c < c_count; c++) {
                    const int64_t v = r0[x0 + c] * (1024 - dy) * (1024 - dx) +
                                      r1[x0 + c] * dy * (1024 - dx) +
                                      r0[x1 + c] * (1024 - dy) * dx + r1[x1 + c] * dy * dx;
                    out[c] = (int8_t)((v + (v > 0 ? 1 << 19 : -(1 << 19))) / (1 << 20));
                }
                out += c_count;
            }
        }
    }
}

/* Nearest neighbour, float32 and int8 alike (int8 on stored values): each output pixel is a
   copy of the channels of its cell, `elem_size` bytes each. */
static void ember_resize_nearest_ref(const struct resize_data *d, const void *in, void *out,
                                     size_t elem_size) {
    const size_t pixel = (size_t)d->channels * elem_size;
    const size_t row = (size_t)d->in_w * pixel;
    const unsigned char *src = in;
    unsigned char *dst = out;
    for (int32_t n = 0; n < d->batch; n++) {
        const unsigned char *image = src + (size_t)n * (size_t)d->in_h * row;
        for (int32_t oy = 0; oy < d->out_h; oy++) {
            const unsigned char *r0 = image + (size_t)d->y.lo[oy] * row;
            for (int32_t ox = 0; ox < d->out_w; ox++) {
                memmove(dst, r0 + (size_t)d->x.lo[ox] * pixel, pixel);
                dst += pixel;
            }
        }
    }
}

static void ember_resize_bilinear_f32_ref(const struct resize_data *d, const float *in,
                                          float *out) {
    const size_t c_count = (size_t)d->channels;
    const size_t row = (size_t)d->in_w * c_count;
    for (int32_t n = 0; n < d->batch; n++) {
        const float *image = in + (size_t)n * (size_t)d->in_h * row;
        for (int32_t oy = 0; oy < d->out_h; oy++) {
            const float *r0 = image + (size_t)d->y.lo[oy] * row;
            const float *r1 = image + (size_t)d->y.hi[oy] * row;
            const float wy = d->y.w[oy];
            for (int32_t ox = 0; ox < d->out_w; ox++) {
                const size_t x0 = (size_t)d->x.lo[ox] * c_count;
                const size_t x1 = (size_t)d->x.hi[ox] * c_count;
                const float wx = d->x.w[ox];
                for (size_t c = 0; c < c_count; c++) {
                    float top = r0[x0 + c] + wx * (r0[x1 + c] - r0[x0 + c]);
                    float bottom = r1[x0 + c] + wx * (r1[x1 + c] - r1[x0 + c]);
                    out[c] = top + wy * (bottom - top);
                }
                out += c_count;
            }
        }
    }
}

struct resize_task {
    const struct resize_data *d;
    const float *in;
    float *out;
};

/* Output rows [begin, end) of every image (row r is image r / out_h); each row is one
   microkernel call whatever thread runs it. */
static void resize_bilinear_f32_rows(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)thread;
    const struct resize_task *t = arg;
    const struct resize_data *d = t->d;
    const size_t c_count = (size_t)d->channels;
    const size_t row = (size_t)d->in_w * c_count;
    for (size_t r = begin; r < end; r++) {
        const float *image = t->in + r / (size_t)d->out_h * (size_t)d->in_h * row;
        const size_t oy = r % (size_t)d->out_h;
        d->uk->bilinear(image + (size_t)d->y.lo[oy] * row, image + (size_t)d->y.hi[oy] * row,
                        d->x.lo, d->x.hi, d->x.w, d->y.w[oy], (size_t)d->out_w, c_count,
                        t->out + r * (size_t)d->out_w * c_count);
    }
}

static void resize_bilinear_f32_fast(ember_context *ctx, const struct resize_data *d,
                                     const float *in, float *out) {
    const struct resize_task t = {d, in, out};
    ember_parallel_1d(ctx, resize_bilinear_f32_rows, &t, (size_t)d->batch * (size_t)d->out_h,
                      1);
}

static ember_status resize_prepare(ember_context *ctx, ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    const size_t cells = (size_t)out->dims[1] + (size_t)out->dims[2];
    const size_t per_cell = 3 * sizeof(int32_t) + sizeof(float);
    if (cells > (SIZE_MAX - sizeof(struct resize_data)) / per_cell)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "node %" PRIu32 " (resize): %zu output rows and columns need too large "
                          "tables",
                          node->index, cells);
    struct resize_data *d = ember_alloc(ctx, sizeof(*d) + cells * per_cell);
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    d->uk = NULL;
    struct resize_params p;
    ember_status st = resize_params(ctx, node, &p);
    if (st != EMBER_STATUS_OK)
        return st;
    d->mode = p.mode;
    d->is_i8 = in->type == EMBER_TYPE_INT8;
    d->batch = in->dims[0];
    d->in_h = in->dims[1];
    d->in_w = in->dims[2];
    d->channels = in->dims[3];
    d->out_h = out->dims[1];
    d->out_w = out->dims[2];
    /* Tables after the struct, y then x in each: lo, hi, int8 weights, float weights. */
    int32_t *lo = (int32_t *)(d + 1);
    int32_t *hi = lo + cells;
    int32_t *w10 = hi + cells;
    float *w = (float *)(w10 + cells);
    d->y = (struct resize_axis){lo, hi, w, w10};
    d->x = (struct resize_axis){lo + d->out_h, hi + d->out_h, w + d->out_h, w10 + d->out_h};
    if (d->is_i8 && p.mode != EMBER_RESIZE_MODE_NEAREST) {
        fill_axis_i8(p.transform, &d->y, d->in_h, d->out_h);
        fill_axis_i8(p.transform, &d->x, d->in_w, d->out_w);
        return EMBER_STATUS_OK;
    }
    fill_axis(&p, &d->y, p.scale_h, d->in_h, d->out_h);
    fill_axis(&p, &d->x, p.scale_w, d->in_w, d->out_w);
    if (!d->is_i8 && p.mode != EMBER_RESIZE_MODE_NEAREST) {
        d->uk = ember_resize_f32_select(ctx);
        node->variant = d->uk != NULL ? d->uk->name : NULL;
    }
    return EMBER_STATUS_OK;
}

static ember_status resize_eval(ember_context *ctx, const ember_node *node) {
    const struct resize_data *d = node->data;
    const void *in = ember_input(ctx, node, 0)->data;
    void *out = ember_output(ctx, node, 0)->data;
    if (d->mode == EMBER_RESIZE_MODE_NEAREST)
        ember_resize_nearest_ref(d, in, out, d->is_i8 ? sizeof(int8_t) : sizeof(float));
    else if (d->is_i8)
        ember_resize_bilinear_i8_ref(d, in, out);
    else if (d->uk != NULL)
        resize_bilinear_f32_fast(ctx, d, in, out);
    else
        ember_resize_bilinear_f32_ref(d, in, out);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_resize = {
    EMBER_OP_RESIZE, "resize", resize_check, resize_prepare, resize_eval,
};
