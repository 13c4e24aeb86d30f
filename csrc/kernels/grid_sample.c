/* GRID_SAMPLE (format 9): samples a FLOAT32 image X (N, C, H, W) or volume (N, C, D, H, W) at
   the points of a FLOAT32 grid (N, H_out, W_out, 2) or (N, D_out, H_out, W_out, 3) whose last
   dim holds normalized coordinates in [-1, 1], x (along W) first. The output is (N, C, grid's
   middle dims). GridSampleParams: mode (LINEAR, NEAREST, CUBIC: Keys' cubic with a = -0.75),
   padding (ZEROS, BORDER, REFLECTION) and align_corners, as ONNX GridSample (opset 22) and
   PyTorch's grid_sample define them. Each dim is handled on its own: a coordinate is
   denormalized, rounded half to even for NEAREST, moved inside the image by the padding rule,
   then gives 1, 2 or 4 taps (index, weight); a tap outside the image reads 0 (ZEROS), the
   nearest edge (BORDER) or its mirror (REFLECTION). The taps of a point serve every channel.
   Node data: grid_sample_data. */
#include <math.h>

#include "ember_internal.h"
#include "kernels/shape_rules.h"

#define MAX_TAPS 4

typedef struct grid_sample_data {
    size_t n, c, points;  /* batch, channels, output points per image */
    uint32_t dims;        /* spatial dims: 2 or 3 */
    int32_t size[3];      /* the image's spatial dims, outermost (D or H) first */
    uint8_t mode, padding;
    bool align_corners;
} grid_sample_data;

/* The taps of one coordinate along one dim: element indices (-1 reads 0) and weights. */
typedef struct taps {
    int32_t count;
    int32_t index[MAX_TAPS];
    float weight[MAX_TAPS];
} taps;

/* Mirrors x into [lo, hi] as often as needed (PyTorch's reflect_coordinates). */
static float reflect(float x, float lo, float hi) {
    const double range = (double)hi - (double)lo;
    if (range <= 0.0)
        return lo;
    if (x >= lo && x <= hi)
        return x;
    const double dx = x < lo ? (double)lo - x : (double)x - hi;
    const double flips = floor(dx / range);
    const double rest = dx - flips * range;
    const bool even = fmod(flips, 2.0) == 0.0;
    if (x < lo)
        return (float)(even ? lo + rest : hi - rest);
    return (float)(even ? hi - rest : lo + rest);
}

/* The element a tap at integer position i reads, or -1 for a zero. */
static int32_t tap_index(const grid_sample_data *d, int64_t i, int32_t size) {
    if (size <= 0)
        return -1; /* an empty image has no edge to clamp to */
    if (d->padding == EMBER_GRID_SAMPLE_PADDING_BORDER)
        return i < 0 ? 0 : i >= size ? size - 1 : (int32_t)i;
    if (d->padding == EMBER_GRID_SAMPLE_PADDING_REFLECTION) {
        const float lo = d->align_corners ? 0.0f : -0.5f;
        const float hi = d->align_corners ? (float)size - 1.0f : (float)size - 0.5f;
        const int32_t r = (int32_t)reflect((float)i, lo, hi); /* truncates, as ONNX does */
        return r < 0 ? 0 : r >= size ? size - 1 : r;
    }
    return i >= 0 && i < size ? (int32_t)i : -1;
}

/* Keys' cubic convolution weights (a = -0.75) of the four taps around a fraction t. */
static void cubic_weights(float t, float w[4]) {
    const float a = -0.75f;
    const float t1 = t + 1.0f, u = 1.0f - t, u1 = 2.0f - t;
    w[0] = ((a * t1 - 5.0f * a) * t1 + 8.0f * a) * t1 - 4.0f * a;
    w[1] = ((a + 2.0f) * t - (a + 3.0f)) * t * t + 1.0f;
    w[2] = ((a + 2.0f) * u - (a + 3.0f)) * u * u + 1.0f;
    w[3] = ((a * u1 - 5.0f * a) * u1 + 8.0f * a) * u1 - 4.0f * a;
}

static void make_taps(const grid_sample_data *d, float g, int32_t size, taps *t) {
    const float n = (float)size;
    float x = d->align_corners ? (g + 1.0f) / 2.0f * (n - 1.0f) : ((g + 1.0f) * n - 1.0f) / 2.0f;
    if (d->mode == EMBER_GRID_SAMPLE_MODE_NEAREST)
        x = rintf(x); /* half to even, as PyTorch and ONNX */
    const float lo = d->align_corners ? 0.0f : -0.5f;
    const float hi = d->align_corners ? n - 1.0f : n - 0.5f;
    /* CUBIC clamps only its taps at a border, as ONNX Runtime and PyTorch do (ONNX's
       reference clamps the coordinate too). */
    if (d->padding == EMBER_GRID_SAMPLE_PADDING_BORDER && d->mode != EMBER_GRID_SAMPLE_MODE_CUBIC)
        x = x < lo || x > hi ? fminf(fmaxf(x, 0.0f), n - 1.0f) : x;
    else if (d->padding == EMBER_GRID_SAMPLE_PADDING_REFLECTION)
        x = reflect(x, lo, hi);
    /* Bounds beyond every tap that could read the image keep the integer conversions below
       defined (in 64 bits: for a size near 2^31 they pass int32's range); a NaN coordinate
       lands on the lower one. */
    x = fminf(fmaxf(x, -n - 8.0f), 2.0f * n + 8.0f);
    if (d->mode == EMBER_GRID_SAMPLE_MODE_NEAREST) {
        t->count = 1;
        t->index[0] = tap_index(d, (int64_t)x, size);
        t->weight[0] = 1.0f;
        return;
    }
    const float x0 = floorf(x), f = x - x0;
    const int64_t i0 = (int64_t)x0;
    if (d->mode == EMBER_GRID_SAMPLE_MODE_LINEAR) {
        t->count = 2;
        t->index[0] = tap_index(d, i0, size);
        t->index[1] = tap_index(d, i0 + 1, size);
        t->weight[0] = 1.0f - f;
        t->weight[1] = f;
        return;
    }
    t->count = 4;
    cubic_weights(f, t->weight);
    for (int64_t k = 0; k < 4; k++)
        t->index[k] = tap_index(d, i0 - 1 + k, size);
}

/* Sum over the taps of the three dims (the outermost of a 2-D image is one tap of weight 1),
   innermost first, as ONNX's reference interpolates. */
static float sample(const float *img, const taps t[3], int32_t h, int32_t w) {
    float acc = 0.0f;
    for (int32_t a = 0; a < t[0].count; a++) {
        float plane = 0.0f;
        for (int32_t b = 0; b < t[1].count; b++) {
            float row = 0.0f;
            for (int32_t k = 0; k < t[2].count; k++) {
                const int32_t ia = t[0].index[a], ib = t[1].index[b], ic = t[2].index[k];
                if (ia < 0 || ib < 0 || ic < 0)
                    continue;
                row += t[2].weight[k] * img[((size_t)ia * (size_t)h + (size_t)ib) * (size_t)w +
                                            (size_t)ic];
            }
            plane += t[1].weight[b] * row;
        }
        acc += t[0].weight[a] * plane;
    }
    return acc;
}

static void ember_grid_sample_f32_ref(const grid_sample_data *d, const float *x,
                                      const float *grid, float *out) {
    const size_t image = (size_t)d->size[0] * (size_t)d->size[1] * (size_t)d->size[2];
    taps t[3] = {{1, {0}, {1.0f}}, {1, {0}, {1.0f}}, {1, {0}, {1.0f}}};
    for (size_t n = 0; n < d->n; n++) {
        for (size_t p = 0; p < d->points; p++) {
            const float *g = grid + (n * d->points + p) * d->dims;
            /* g holds x (the innermost dim) first */
            for (uint32_t k = 0; k < d->dims; k++)
                make_taps(d, g[k], d->size[2 - k], &t[2 - k]);
            for (size_t c = 0; c < d->c; c++)
                out[(n * d->c + c) * d->points + p] =
                    sample(x + (n * d->c + c) * image, t, d->size[1], d->size[2]);
        }
    }
}

static ember_status read_params(ember_context *ctx, const ember_node *node, uint8_t *mode,
                                uint8_t *padding, uint8_t *align_corners) {
    const ember_fb_table *t = &node->params;
    if (!ember_fb_u8(t, EMBER_SLOT_GRID_SAMPLE_PARAMS_MODE, 0, mode) ||
        !ember_fb_u8(t, EMBER_SLOT_GRID_SAMPLE_PARAMS_PADDING, 0, padding) ||
        !ember_fb_u8(t, EMBER_SLOT_GRID_SAMPLE_PARAMS_ALIGN_CORNERS, 0, align_corners))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (grid_sample): params out of bounds", node->index);
    if (*mode > EMBER_GRID_SAMPLE_MODE_CUBIC || *padding > EMBER_GRID_SAMPLE_PADDING_REFLECTION)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (grid_sample): mode %u or padding %u is unknown",
                          node->index, (unsigned)*mode, (unsigned)*padding);
    return EMBER_STATUS_OK;
}

/* The output's shape: (N, C) of X, then the grid's middle dims. */
static void output_dims(const ember_tensor *x, const ember_tensor *grid, int32_t *dims) {
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    for (uint32_t k = 1; k + 1 < grid->rank; k++)
        dims[k + 1] = grid->dims[k];
}

ember_status ember_shape_grid_sample(ember_context *ctx, const ember_node *node) {
    const ember_tensor *x, *grid;
    ember_status st = ember_shape_input(ctx, node, 0, &x);
    if (st != EMBER_STATUS_OK || (st = ember_shape_input(ctx, node, 1, &grid)))
        return st;
    if ((x->rank != 4 && x->rank != 5) || grid->rank != x->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (grid_sample): X and grid must both be of rank 4 "
                          "or 5, got %u and %u",
                          node->index, (unsigned)x->rank, (unsigned)grid->rank);
    int32_t dims[EMBER_MAX_RANK];
    output_dims(x, grid, dims);
    return ember_set_shape(ctx, node, ember_output(ctx, node, 0), x->rank, dims);
}

static ember_status check_shapes(ember_context *ctx, const ember_node *node,
                                 const ember_tensor *x, const ember_tensor *grid,
                                 const ember_tensor *out) {
    if (x->rank != 4 && x->rank != 5)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (grid_sample): X '%s' must be of rank 4 or 5, "
                          "got %u",
                          node->index, x->name, (unsigned)x->rank);
    if (grid->rank != x->rank || grid->dims[0] != x->dims[0] ||
        grid->dims[grid->rank - 1] != (int32_t)x->rank - 2)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (grid_sample): grid '%s' must be (N, ..., %u) "
                          "with X's rank and batch",
                          node->index, grid->name, (unsigned)x->rank - 2u);
    int32_t dims[EMBER_MAX_RANK];
    output_dims(x, grid, dims);
    bool same = out->rank == x->rank;
    for (uint32_t k = 0; same && k < x->rank; k++)
        same = out->dims[k] == dims[k];
    if (!same)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (grid_sample): output '%s' must be (N, C) of X "
                          "then the grid's middle dims",
                          node->index, out->name);
    return EMBER_STATUS_OK;
}

static ember_status grid_sample_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 2, 2, 1);
    if (st != EMBER_STATUS_OK || (st = ember_check_params(ctx, node,
                                                          EMBER_OP_PARAMS_GRID_SAMPLE_PARAMS)))
        return st;
    const ember_tensor *x = ember_input(ctx, node, 0), *grid = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    uint8_t mode = 0, padding = 0, align_corners = 0;
    if ((st = read_params(ctx, node, &mode, &padding, &align_corners)) ||
        (st = ember_check_type(ctx, node, x, EMBER_TYPE_FLOAT32, "X")) ||
        (st = ember_check_type(ctx, node, grid, EMBER_TYPE_FLOAT32, "grid")) ||
        (st = ember_check_type(ctx, node, out, EMBER_TYPE_FLOAT32, "output")))
        return st;
    return check_shapes(ctx, node, x, grid, out);
}

static ember_status grid_sample_prepare(ember_context *ctx, ember_node *node) {
    grid_sample_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    uint8_t align_corners = 0;
    const ember_status st = read_params(ctx, node, &d->mode, &d->padding, &align_corners);
    if (st != EMBER_STATUS_OK)
        return st;
    d->align_corners = align_corners != 0;
    d->n = (size_t)x->dims[0];
    d->c = (size_t)x->dims[1];
    d->dims = x->rank - 2u;
    d->points = out->count / (d->n * d->c);
    d->size[0] = d->dims == 3 ? x->dims[2] : 1;
    d->size[1] = x->dims[x->rank - 2];
    d->size[2] = x->dims[x->rank - 1];
    return EMBER_STATUS_OK;
}

static ember_status grid_sample_eval(ember_context *ctx, const ember_node *node) {
    const grid_sample_data *d = node->data;
    ember_grid_sample_f32_ref(d, ember_input(ctx, node, 0)->data,
                              ember_input(ctx, node, 1)->data, ember_output(ctx, node, 0)->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_grid_sample = {EMBER_OP_GRID_SAMPLE, "grid_sample",
                                               grid_sample_check, grid_sample_prepare,
                                               grid_sample_eval};
