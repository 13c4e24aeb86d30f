/* RESIZE's per-axis arithmetic (ONNX Resize's formulas, in float32): the source coordinate of
   an output coordinate, nearest rounding, the cell a coordinate falls in and the cubic
   filter. Shared by the CPU kernel (resize.c) and the OpenCL delegate's table builder
   (delegates/opencl/ops_resize.c), which must pick the same cells and weights bit for bit
   (nearest on exact .5 ties); header-only because the plug-in links nothing of the core. */
#ifndef EMBER_KERNELS_RESIZE_COORDS_H
#define EMBER_KERNELS_RESIZE_COORDS_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "ember_schema.h"

/* Input coordinate of output coordinate x along an axis of `in` input and `out` output
   cells; roi: this axis' region for TF_CROP_AND_RESIZE. */
static inline float resize_source_coord(int64_t transform, int32_t x, float scale, int32_t in,
                                        int32_t out, const float roi[2]) {
    const float xf = (float)x;
    switch (transform) {
    case EMBER_COORDINATE_TRANSFORM_ALIGN_CORNERS:
        return out == 1 ? 0.0f : xf * (float)(in - 1) / (float)(out - 1);
    case EMBER_COORDINATE_TRANSFORM_ASYMMETRIC:
        return xf / scale;
    case EMBER_COORDINATE_TRANSFORM_PYTORCH_HALF_PIXEL:
        return out > 1 ? (xf + 0.5f) / scale - 0.5f : 0.0f;
    case EMBER_COORDINATE_TRANSFORM_TF_CROP_AND_RESIZE:
        return out > 1 ? roi[0] * (float)(in - 1) +
                             xf * (roi[1] - roi[0]) * (float)(in - 1) / (float)(out - 1)
                       : 0.5f * (roi[0] + roi[1]) * (float)(in - 1);
    case EMBER_COORDINATE_TRANSFORM_HALF_PIXEL_SYMMETRIC: {
        /* centres the output on the input when out differs from in x scale */
        const float adjustment = (float)out / (scale * (float)in);
        const float offset = (float)in / 2.0f * (1.0f - adjustment);
        return offset + (xf + 0.5f) / scale - 0.5f;
    }
    default:
        return (xf + 0.5f) / scale - 0.5f;
    }
}

/* Coordinate c rounded to a whole cell by the NearestRounding mode. */
static inline float resize_nearest(int64_t rounding, float c) {
    const float f = floorf(c);
    const float frac = c - f;
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
static inline int32_t resize_cell_index(float c, int32_t in) {
    if (!(c >= 0.0f))
        return 0;
    return (double)c >= (double)(in - 1) ? in - 1 : (int32_t)c;
}

/* The cubic convolution filter with coefficient a at distance x. */
static inline float resize_cubic_weight(float a, float x) {
    x = fabsf(x);
    if (x <= 1.0f)
        return ((a + 2.0f) * x - (a + 3.0f)) * x * x + 1.0f;
    if (x < 2.0f)
        return ((a * x - 5.0f * a) * x + 8.0f * a) * x - 4.0f * a;
    return 0.0f;
}

/* The k taps of the separable filter (LINEAR or CUBIC with coefficient cubic_a, widened by
   1 / fs) around source coordinate c on an axis of `in` cells: each tap's cell (edge cells
   repeat) and weight, taps off the image weighing 0 with exclude_outside, the weights divided
   by their sum when normalize. */
static inline void resize_filter_taps(uint8_t mode, float cubic_a, bool exclude_outside,
                                      bool normalize, int32_t k, float fs, float c, int32_t in,
                                      int32_t *cell, float *w) {
    /* far off the image every tap is an edge cell: bounding c keeps floor in range */
    const float bound = (float)k + 2.0f;
    c = !(c >= -bound) ? -bound : c > (float)in + bound ? (float)in + bound : c;
    const float f = floorf(c);
    const float ratio = c - f;
    const int64_t first = (int64_t)f - k / 2 + 1;
    float sum = 0.0f;
    for (int32_t j = 0; j < k; j++) {
        const float x = ((float)(j - k / 2 + 1) - ratio) * fs;
        const int64_t at = first + j;
        float wj = mode == EMBER_RESIZE_MODE_CUBIC ? resize_cubic_weight(cubic_a, x)
                                                   : fmaxf(0.0f, 1.0f - fabsf(x));
        if (exclude_outside && (at < 0 || at >= in))
            wj = 0.0f;
        cell[j] = at < 0 ? 0 : at >= in ? in - 1 : (int32_t)at;
        w[j] = wj;
        sum += wj;
    }
    if (normalize && sum != 0.0f)
        for (int32_t j = 0; j < k; j++)
            w[j] /= sum;
}

#endif /* EMBER_KERNELS_RESIZE_COORDS_H */
