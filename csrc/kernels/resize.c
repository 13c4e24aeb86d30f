/* RESIZE of NHWC float32 images: nearest neighbour or bilinear, with ONNX Resize's coordinate
   transforms and nearest roundings. Coordinates are computed in float32 the way ONNX Runtime
   does, so nearest picks the same cell on exact .5 ties. Prepare turns each axis into a table
   of source cells (and bilinear weights); eval only reads the tables.
   int8 (input and output quantized alike): nearest copies the stored values; bilinear is
   LiteRT's integer kernel (docs/int8-arithmetic.md, section 5), whose source positions
   come from the image sizes in 1/1024 steps (TFLite's align_corners, half_pixel_centers or
   neither: the ALIGN_CORNERS, HALF_PIXEL and ASYMMETRIC transforms).
   Format 9, float32 only: CUBIC, antialias and TF_CROP_AND_RESIZE run a general separable
   filter ("taps": per output coordinate k source cells and weights, the ONNX reference's
   formulas, edge cells repeated past the border). Scales, sizes and roi may come at run time
   (inputs 1 and last): eval then checks they give the stored output shape and rebuilds the
   tables with the given scales, which ONNX maps coordinates by (not output / input). */
#include <math.h>
#include <string.h>

#include "ember_internal.h"
#include "kernels/quant.h"
#include "kernels/resize_coords.h"
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

/* Per output coordinate of one axis: k taps (source cells, clamped into the image) and their
   weights, at cell[o * k]; a first cell of -1 marks an output whose source lies off the image
   (TF_CROP_AND_RESIZE writes the extrapolation value). cap: the taps allocated per output. */
struct resize_taps {
    int32_t k, cap;
    int32_t *cell;
    float *w;
};

struct resize_params {
    uint8_t mode, transform, rounding, operand, policy;
    bool exclude_outside, antialias, runtime_roi;
    float scale_h, scale_w, cubic_a, extrapolation;
    float roi[2][2]; /* H, W: start, end */
    ember_fb_vector axes;
};

struct resize_data {
    uint8_t mode;
    bool is_i8;
    bool general; /* the taps path */
    struct resize_params p;
    struct resize_taps ty, tx;
    int32_t batch, channels, in_h, in_w, out_h, out_w;
    struct resize_axis y, x;
    /* float32 bilinear rows by a microkernel; NULL: the reference loop */
    const ember_resize_f32_config *uk;
};

static bool resize_flag(const ember_fb_table *t, uint32_t slot, bool *out) {
    uint8_t v;
    const bool ok = ember_fb_u8(t, slot, 0, &v);
    *out = v != 0;
    return ok;
}

static ember_status resize_params(ember_context *ctx, const ember_node *node,
                                  struct resize_params *p) {
    const ember_fb_table *t = &node->params;
    if (!ember_fb_u8(t, EMBER_SLOT_RESIZE_PARAMS_MODE, EMBER_RESIZE_MODE_NEAREST, &p->mode) ||
        !ember_fb_u8(t, EMBER_SLOT_RESIZE_PARAMS_COORDINATE_TRANSFORM,
                     EMBER_COORDINATE_TRANSFORM_HALF_PIXEL, &p->transform) ||
        !ember_fb_u8(t, EMBER_SLOT_RESIZE_PARAMS_NEAREST_ROUNDING,
                     EMBER_NEAREST_ROUNDING_ROUND_PREFER_FLOOR, &p->rounding) ||
        !ember_fb_f32(t, EMBER_SLOT_RESIZE_PARAMS_SCALE_H, 0.0f, &p->scale_h) ||
        !ember_fb_f32(t, EMBER_SLOT_RESIZE_PARAMS_SCALE_W, 0.0f, &p->scale_w) ||
        !ember_fb_f32(t, EMBER_SLOT_RESIZE_PARAMS_CUBIC_COEFF_A, -0.75f, &p->cubic_a) ||
        !resize_flag(t, EMBER_SLOT_RESIZE_PARAMS_EXCLUDE_OUTSIDE, &p->exclude_outside) ||
        !resize_flag(t, EMBER_SLOT_RESIZE_PARAMS_ANTIALIAS, &p->antialias) ||
        !ember_fb_f32(t, EMBER_SLOT_RESIZE_PARAMS_EXTRAPOLATION_VALUE, 0.0f,
                      &p->extrapolation) ||
        !ember_fb_f32(t, EMBER_SLOT_RESIZE_PARAMS_ROI_H_START, 0.0f, &p->roi[0][0]) ||
        !ember_fb_f32(t, EMBER_SLOT_RESIZE_PARAMS_ROI_H_END, 1.0f, &p->roi[0][1]) ||
        !ember_fb_f32(t, EMBER_SLOT_RESIZE_PARAMS_ROI_W_START, 0.0f, &p->roi[1][0]) ||
        !ember_fb_f32(t, EMBER_SLOT_RESIZE_PARAMS_ROI_W_END, 1.0f, &p->roi[1][1]) ||
        !ember_fb_u8(t, EMBER_SLOT_RESIZE_PARAMS_OPERAND, EMBER_RESIZE_OPERAND_NONE,
                     &p->operand) ||
        !ember_fb_vector_field(t, EMBER_SLOT_RESIZE_PARAMS_AXES, 4, &p->axes) ||
        !resize_flag(t, EMBER_SLOT_RESIZE_PARAMS_RUNTIME_ROI, &p->runtime_roi) ||
        !ember_fb_u8(t, EMBER_SLOT_RESIZE_PARAMS_ASPECT_POLICY, EMBER_ASPECT_POLICY_STRETCH,
                     &p->policy))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (resize): params out of bounds", node->index);
    return EMBER_STATUS_OK;
}

/* The float32 path that needs general filter tables rather than 1 or 2 taps. */
static bool resize_general(const struct resize_params *p) {
    return p->mode == EMBER_RESIZE_MODE_CUBIC || p->antialias ||
           p->transform == EMBER_COORDINATE_TRANSFORM_TF_CROP_AND_RESIZE;
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

/* The enums, scales and roi of the params. */
static ember_status check_params(ember_context *ctx, const ember_node *node,
                                 const struct resize_params *p) {
    if (p->mode >= EMBER_RESIZE_MODE_COUNT || p->transform >= EMBER_COORDINATE_TRANSFORM_COUNT ||
        p->rounding >= EMBER_NEAREST_ROUNDING_COUNT || p->operand >= EMBER_RESIZE_OPERAND_COUNT ||
        p->policy >= EMBER_ASPECT_POLICY_COUNT)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (resize): unknown mode %u, coordinate transform %u, "
                          "nearest rounding %u, operand %u or aspect policy %u",
                          node->index, p->mode, p->transform, p->rounding, p->operand,
                          p->policy);
    if (!(isfinite(p->scale_h) && p->scale_h > 0.0f && isfinite(p->scale_w) &&
          p->scale_w > 0.0f))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (resize): scales must be finite and > 0, got %g,%g",
                          node->index, (double)p->scale_h, (double)p->scale_w);
    if (!(isfinite(p->roi[0][0]) && isfinite(p->roi[0][1]) && isfinite(p->roi[1][0]) &&
          isfinite(p->roi[1][1]) && isfinite(p->cubic_a)))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (resize): roi and cubic coefficient must be finite",
                          node->index);
    if (p->mode == EMBER_RESIZE_MODE_NEAREST && p->antialias)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (resize): antialias needs linear or cubic mode",
                          node->index);
    return EMBER_STATUS_OK;
}

/* Inputs 1 (operand) and last (roi) against `axes`: distinct NHWC axes, one operand value and
   two roi values per axis, of the types ONNX gives them. */
static ember_status check_operands(ember_context *ctx, const ember_node *node,
                                   const struct resize_params *p) {
    const uint32_t want = 1u + (p->operand != EMBER_RESIZE_OPERAND_NONE) + p->runtime_roi;
    const uint32_t k = p->axes.len;
    bool seen[4] = {false, false, false, false};
    for (uint32_t i = 0; i < k; i++) {
        const int32_t a = ember_fb_vector_i32(&p->axes, i);
        if (a < 0 || a > 3 || seen[a] || k > 4)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (resize): axes must be distinct in 0..3, got "
                              "%" PRId32 " at %" PRIu32, node->index, a, i);
        seen[a] = true;
    }
    if (node->input_count != want || (want > 1 && k == 0))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (resize): %" PRIu32 " inputs and %" PRIu32 " axes "
                          "given, the params ask for %" PRIu32 " inputs (and axes for each "
                          "run-time operand)", node->index, node->input_count, k, want);
    for (uint32_t i = 1; i < want; i++) {
        const ember_tensor *t = ember_input(ctx, node, i);
        const bool roi = i == want - 1 && p->runtime_roi;
        const bool sizes = !roi && p->operand == EMBER_RESIZE_OPERAND_SIZES;
        const bool type_ok = sizes ? t->type == EMBER_TYPE_INT64 || t->type == EMBER_TYPE_INT32
                                   : t->type == EMBER_TYPE_FLOAT32;
        if (!type_ok || t->rank != 1 || t->count != (size_t)k * (roi ? 2u : 1u))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (resize): input %" PRIu32 " (%s) must be a 1D "
                              "%s tensor of %" PRIu32 " elements, got type %s with %zu",
                              node->index, i, roi ? "roi" : sizes ? "sizes" : "scales",
                              sizes ? "int32 or int64" : "float32",
                              k * (roi ? 2u : 1u), ember_type_str((ember_type)t->type), t->count);
    }
    return EMBER_STATUS_OK;
}

static ember_status check_shapes(ember_context *ctx, const ember_node *node, uint8_t type,
                                 const struct resize_params *p) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    ember_status st;
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
    if (type == EMBER_TYPE_INT8 && (resize_general(p) || (p->mode != EMBER_RESIZE_MODE_NEAREST &&
        p->transform == EMBER_COORDINATE_TRANSFORM_PYTORCH_HALF_PIXEL)))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (resize): int8 runs nearest, or bilinear with the "
                          "align-corners, half-pixel or asymmetric transform (mode %u, "
                          "transform %u, antialias %d)",
                          node->index, p->mode, p->transform, (int)p->antialias);
    return EMBER_STATUS_OK;
}

static ember_status resize_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 1, 3, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_RESIZE_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    struct resize_params p;
    if ((st = resize_params(ctx, node, &p)) || (st = check_params(ctx, node, &p)) ||
        (st = check_operands(ctx, node, &p)))
        return st;
    const uint8_t type =
        ember_input(ctx, node, 0)->type == EMBER_TYPE_INT8 ? EMBER_TYPE_INT8 : EMBER_TYPE_FLOAT32;
    return check_shapes(ctx, node, type, &p);
}

static void fill_axis(const struct resize_params *p, const struct resize_axis *t, float scale,
                      int32_t in, int32_t out, const float roi[2]) {
    const float last = (float)(in - 1);
    for (int32_t x = 0; x < out; x++) {
        float c = resize_source_coord(p->transform, x, scale, in, out, roi);
        if (p->mode == EMBER_RESIZE_MODE_NEAREST) {
            t->lo[x] = t->hi[x] = resize_cell_index(resize_nearest(p->rounding, c), in);
            t->w[x] = 0.0f;
        } else {
            c = !(c >= 0.0f) ? 0.0f : (c > last ? last : c);
            int32_t lo = resize_cell_index(c, in);
            t->lo[x] = lo;
            t->hi[x] = lo < in - 1 ? lo + 1 : lo;
            t->w[x] = c - (float)lo;
        }
    }
}

/* The filter's scale: antialias stretches it by 1 / scale when downsampling. */
static float filter_scale(const struct resize_params *p, float scale) {
    return p->antialias && scale < 1.0f ? scale : 1.0f;
}

/* Taps per output coordinate: 1 (nearest), else twice the filter's half-width (1 linear, 2
   cubic) in input cells; -1 when that many would not fit an int32. */
static int64_t taps_count(const struct resize_params *p, float scale) {
    if (p->mode == EMBER_RESIZE_MODE_NEAREST)
        return 1;
    const double support = p->mode == EMBER_RESIZE_MODE_CUBIC ? 2.0 : 1.0;
    const double k = 2.0 * ceil(support / (double)filter_scale(p, scale));
    return k <= (double)(1 << 20) ? (int64_t)k : -1;
}

/* Fills the taps of one axis; false when the scale needs more taps than were allocated. */
static bool fill_taps(const struct resize_params *p, struct resize_taps *t, float scale,
                      int32_t in, int32_t out, const float roi[2]) {
    const int64_t k = taps_count(p, scale);
    if (k < 1 || k > t->cap)
        return false;
    t->k = (int32_t)k;
    const float fs = filter_scale(p, scale);
    const bool crop = p->transform == EMBER_COORDINATE_TRANSFORM_TF_CROP_AND_RESIZE;
    for (int32_t o = 0; o < out; o++) {
        int32_t *cell = t->cell + (size_t)o * (size_t)k;
        float *w = t->w + (size_t)o * (size_t)k;
        const float c = resize_source_coord(p->transform, o, scale, in, out, roi);
        if (crop && !(c >= 0.0f && c <= (float)(in - 1)))
            cell[0] = -1;
        else if (p->mode == EMBER_RESIZE_MODE_NEAREST) {
            cell[0] = resize_cell_index(resize_nearest(p->rounding, c), in);
            w[0] = 1.0f;
        } else
            resize_filter_taps(p->mode, p->cubic_a, p->exclude_outside,
                               p->antialias || p->exclude_outside, t->k, fs, c, in, cell, w);
    }
    return true;
}

static void ember_resize_taps_f32_ref(const struct resize_data *d, const float *in,
                                      float *out) {
    const size_t c_count = (size_t)d->channels;
    const size_t row = (size_t)d->in_w * c_count;
    const size_t ky = (size_t)d->ty.k, kx = (size_t)d->tx.k;
    for (int32_t n = 0; n < d->batch; n++) {
        const float *image = in + (size_t)n * (size_t)d->in_h * row;
        for (int32_t oy = 0; oy < d->out_h; oy++) {
            const int32_t *cy = d->ty.cell + (size_t)oy * ky;
            const float *wy = d->ty.w + (size_t)oy * ky;
            for (int32_t ox = 0; ox < d->out_w; ox++, out += c_count) {
                const int32_t *cx = d->tx.cell + (size_t)ox * kx;
                const float *wx = d->tx.w + (size_t)ox * kx;
                for (size_t c = 0; c < c_count; c++) {
                    if (cy[0] < 0 || cx[0] < 0) {
                        out[c] = d->p.extrapolation;
                        continue;
                    }
                    float acc = 0.0f;
                    for (size_t a = 0; a < ky; a++) {
                        const float *r = image + (size_t)cy[a] * row + c;
                        float inner = 0.0f;
                        for (size_t b = 0; b < kx; b++)
                            inner += wx[b] * r[(size_t)cx[b] * c_count];
                        acc += wy[a] * inner;
                    }
                    out[c] = acc;
                }
            }
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

/* Taps to allocate per output of an axis: what the params' scale needs or, with a run-time
   operand, what any scale giving this output size needs (such a scale is >= (out - 0.5) / in,
   the 0.999 covering float rounding). */
static int64_t taps_cap(const struct resize_params *p, float scale, int32_t in, int32_t out) {
    if (p->operand != EMBER_RESIZE_OPERAND_NONE && in > 0 && out > 0)
        scale = (float)(((double)out - 0.5) / (double)in * 0.999);
    return taps_count(p, scale);
}

/* Builds the coordinate tables from the scales and roi (at prepare, or at eval when they are
   run-time inputs). */
static ember_status fill_tables(ember_context *ctx, const ember_node *node,
                                struct resize_data *d, float scale_h, float scale_w,
                                const float roi[2][2]) {
    const struct resize_params *p = &d->p;
    if (d->general) {
        if ((d->out_h > 0 && !fill_taps(p, &d->ty, scale_h, d->in_h, d->out_h, roi[0])) ||
            (d->out_w > 0 && !fill_taps(p, &d->tx, scale_w, d->in_w, d->out_w, roi[1])))
            return ember_fail(ctx, EMBER_STATUS_EVAL_ERROR,
                              "node %" PRIu32 " (resize): scales %g,%g need more filter taps "
                              "than the output size allows",
                              node->index, (double)scale_h, (double)scale_w);
    } else if (d->is_i8 && p->mode != EMBER_RESIZE_MODE_NEAREST) {
        fill_axis_i8(p->transform, &d->y, d->in_h, d->out_h);
        fill_axis_i8(p->transform, &d->x, d->in_w, d->out_w);
    } else {
        fill_axis(p, &d->y, scale_h, d->in_h, d->out_h, roi[0]);
        fill_axis(p, &d->x, scale_w, d->in_w, d->out_w, roi[1]);
    }
    return EMBER_STATUS_OK;
}

/* Bytes of the tables after the struct: per output row and column lo, hi, int8 weight, float
   weight; then for the taps path cap cells and weights per output. 0 on overflow. */
static size_t tables_size(const struct resize_data *d, size_t cells) {
    const size_t per_cell = 3 * sizeof(int32_t) + sizeof(float);
    const size_t taps = (size_t)d->ty.cap * (size_t)d->out_h + (size_t)d->tx.cap * (size_t)d->out_w;
    const size_t limit = (SIZE_MAX - sizeof(*d)) / 2;
    if (cells > limit / per_cell || taps > limit / (sizeof(int32_t) + sizeof(float)) ||
        (size_t)d->ty.cap > limit / ((size_t)d->out_h + 1) ||
        (size_t)d->tx.cap > limit / ((size_t)d->out_w + 1))
        return 0;
    return cells * per_cell + taps * (sizeof(int32_t) + sizeof(float));
}

static void place_tables(struct resize_data *d, size_t cells) {
    int32_t *lo = (int32_t *)(d + 1);
    int32_t *hi = lo + cells;
    int32_t *w10 = hi + cells;
    float *w = (float *)(w10 + cells);
    d->y = (struct resize_axis){lo, hi, w, w10};
    d->x = (struct resize_axis){lo + d->out_h, hi + d->out_h, w + d->out_h, w10 + d->out_h};
    const size_t taps_y = (size_t)d->ty.cap * (size_t)d->out_h;
    const size_t taps = taps_y + (size_t)d->tx.cap * (size_t)d->out_w;
    int32_t *cell = (int32_t *)(w + cells);
    float *tw = (float *)(cell + taps);
    d->ty.cell = cell;
    d->ty.w = tw;
    d->tx.cell = cell + taps_y;
    d->tx.w = tw + taps_y;
}

static ember_status resize_prepare(ember_context *ctx, ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    struct resize_data s = {0};
    ember_status st = resize_params(ctx, node, &s.p);
    if (st != EMBER_STATUS_OK)
        return st;
    s.mode = s.p.mode;
    s.is_i8 = in->type == EMBER_TYPE_INT8;
    s.general = !s.is_i8 && resize_general(&s.p);
    s.batch = in->dims[0];
    s.in_h = in->dims[1];
    s.in_w = in->dims[2];
    s.channels = in->dims[3];
    s.out_h = out->dims[1];
    s.out_w = out->dims[2];
    const int64_t cap_h = s.general ? taps_cap(&s.p, s.p.scale_h, s.in_h, s.out_h) : 0;
    const int64_t cap_w = s.general ? taps_cap(&s.p, s.p.scale_w, s.in_w, s.out_w) : 0;
    s.ty.cap = (int32_t)(cap_h > 0 ? cap_h : 0);
    s.tx.cap = (int32_t)(cap_w > 0 ? cap_w : 0);
    const size_t cells = (size_t)s.out_h + (size_t)s.out_w;
    const size_t bytes = tables_size(&s, cells);
    if (cap_h < 0 || cap_w < 0 || bytes == 0)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "node %" PRIu32 " (resize): %zu output rows and columns need too large "
                          "tables",
                          node->index, cells);
    struct resize_data *d = ember_alloc(ctx, sizeof(*d) + bytes);
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    *d = s;
    node->data = d;
    place_tables(d, cells);
    const bool runtime = s.p.operand != EMBER_RESIZE_OPERAND_NONE || s.p.runtime_roi;
    if (!runtime && (st = fill_tables(ctx, node, d, s.p.scale_h, s.p.scale_w, s.p.roi)))
        return st;
    if (!d->is_i8 && !d->general && s.p.mode == EMBER_RESIZE_MODE_LINEAR) {
        d->uk = ember_resize_f32_select(ctx);
        node->variant = d->uk != NULL ? d->uk->name : NULL;
    }
    return EMBER_STATUS_OK;
}

/* The roi of H and W from the run-time roi input ([starts, ends] along axes); N and C must
   keep 0..1 under TF_CROP_AND_RESIZE, where they would crop. */
static ember_status runtime_roi(ember_context *ctx, const ember_node *node,
                                const struct resize_params *p, float roi[2][2]) {
    const float *r = ember_input(ctx, node, node->input_count - 1)->data;
    const uint32_t k = p->axes.len;
    const bool crop = p->transform == EMBER_COORDINATE_TRANSFORM_TF_CROP_AND_RESIZE;
    for (uint32_t i = 0; i < k; i++) {
        const int32_t a = ember_fb_vector_i32(&p->axes, i);
        const bool spatial = a == 1 || a == 2;
        if (!crop)
            continue;
        if (!(isfinite(r[i]) && isfinite(r[k + i])) ||
            (!spatial && (r[i] != 0.0f || r[k + i] != 1.0f)))
            return ember_fail(ctx, EMBER_STATUS_EVAL_ERROR,
                              "node %" PRIu32 " (resize): roi along NHWC axis %" PRId32 " must "
                              "be finite (0..1 for batch and channels), got %g..%g",
                              node->index, a, (double)r[i], (double)r[k + i]);
        if (spatial) {
            roi[a - 1][0] = r[i];
            roi[a - 1][1] = r[k + i];
        }
    }
    return EMBER_STATUS_OK;
}

/* ONNX sizes to scales: each size over its input extent (stretch), or the smallest or largest
   such ratio for every listed axis, whose output is then that ratio x input rounded. */
static void sizes_to_scales(const struct resize_params *p, const ember_tensor *sizes,
                            const int32_t *in, float s[4], int64_t want[4]) {
    const uint32_t k = p->axes.len;
    const bool wide = sizes->type == EMBER_TYPE_INT64;
    float pick = 0.0f;
    for (uint32_t i = 0; i < k; i++) {
        const int32_t a = ember_fb_vector_i32(&p->axes, i);
        const int64_t v = wide ? ((const int64_t *)sizes->data)[i]
                               : ((const int32_t *)sizes->data)[i];
        want[a] = v;
        s[a] = in[a] > 0 ? (float)v / (float)in[a] : 1.0f;
        if (i == 0 || (p->policy == EMBER_ASPECT_POLICY_NOT_LARGER ? s[a] < pick : s[a] > pick))
            pick = s[a];
    }
    if (p->policy == EMBER_ASPECT_POLICY_STRETCH)
        return;
    for (uint32_t i = 0; i < k; i++) {
        const int32_t a = ember_fb_vector_i32(&p->axes, i);
        s[a] = pick;
        const double o = (double)pick * (double)in[a] + 0.5;
        want[a] = o < 9e18 ? (int64_t)o : INT64_MAX;
    }
}

/* The coordinate scales of H and W from the run-time operand; fails unless it gives the
   stored output shape and keeps batch and channels at scale 1. */
static ember_status runtime_scales(ember_context *ctx, const ember_node *node,
                                   const struct resize_params *p, float *scale_h,
                                   float *scale_w) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    const ember_tensor *v = ember_input(ctx, node, 1);
    float s[4] = {1.0f, 1.0f, 1.0f, 1.0f};
    int64_t want[4] = {in->dims[0], in->dims[1], in->dims[2], in->dims[3]};
    if (p->operand == EMBER_RESIZE_OPERAND_SIZES)
        sizes_to_scales(p, v, in->dims, s, want);
    for (uint32_t i = 0; p->operand == EMBER_RESIZE_OPERAND_SCALES && i < p->axes.len; i++) {
        const int32_t a = ember_fb_vector_i32(&p->axes, i);
        s[a] = ((const float *)v->data)[i];
        /* floor(in x scale) whatever the roi, as ONNX Runtime and ONNX's reference do */
        want[a] = isfinite(s[a]) && s[a] > 0.0f ? resized_extent(in->dims[a], s[a]) : -1;
    }
    for (int a = 0; a < 4; a++)
        if (want[a] != out->dims[a] || ((a == 0 || a == 3) && s[a] != 1.0f))
            return ember_fail(ctx, EMBER_STATUS_EVAL_ERROR,
                              "node %" PRIu32 " (resize): the run-time %s give NHWC axis %d "
                              "scale %g and size %lld; the model stores size %" PRId32
                              " (batch and channels keep scale 1)",
                              node->index,
                              p->operand == EMBER_RESIZE_OPERAND_SIZES ? "sizes" : "scales", a,
                              (double)s[a], (long long)want[a], out->dims[a]);
    *scale_h = s[1];
    *scale_w = s[2];
    return EMBER_STATUS_OK;
}

static ember_status resize_runtime(ember_context *ctx, const ember_node *node,
                                   struct resize_data *d) {
    float roi[2][2];
    memcpy(roi, d->p.roi, sizeof(roi));
    float scale_h = d->p.scale_h, scale_w = d->p.scale_w;
    ember_status st = EMBER_STATUS_OK;
    if (d->p.runtime_roi)
        st = runtime_roi(ctx, node, &d->p, roi);
    if (st == EMBER_STATUS_OK && d->p.operand != EMBER_RESIZE_OPERAND_NONE)
        st = runtime_scales(ctx, node, &d->p, &scale_h, &scale_w);
    if (st == EMBER_STATUS_OK)
        st = fill_tables(ctx, node, d, scale_h, scale_w, roi);
    return st;
}

static ember_status resize_eval(ember_context *ctx, const ember_node *node) {
    struct resize_data *d = node->data;
    if (d->p.operand != EMBER_RESIZE_OPERAND_NONE || d->p.runtime_roi) {
        const ember_status st = resize_runtime(ctx, node, d);
        if (st != EMBER_STATUS_OK)
            return st;
    }
    const void *in = ember_input(ctx, node, 0)->data;
    void *out = ember_output(ctx, node, 0)->data;
    if (d->general)
        ember_resize_taps_f32_ref(d, in, out);
    else if (d->mode == EMBER_RESIZE_MODE_NEAREST)
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
