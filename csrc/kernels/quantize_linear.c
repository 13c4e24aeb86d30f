/* QUANTIZE_LINEAR and DEQUANTIZE_LINEAR (format 9): ONNX's QuantizeLinear and DequantizeLinear
   with the scale and zero point as run-time tensors, read at every invoke (the QUANTIZE and
   DEQUANTIZE op codes take them from the tensors' stored quantization parameters instead).
   Inputs: x, scale (float32), optional zero point (the integer type: QUANTIZE_LINEAR's output,
   DEQUANTIZE_LINEAR's x; absent means 0). The scale holds one value, or has x's rank with one
   dim equal to x's and every other 1 (per axis: the converter reshapes ONNX's 1-D scale); the
   zero point has the scale's shape. Integer tensors are plain (no stored quantization).
     QUANTIZE_LINEAR: y = saturate(round_half_even(x / scale) + zero_point), float32 x to int8,
       uint8, int16 or uint16. It divides, as ONNX's reference and ONNX Runtime do (x times
       1 / scale rounds differently at ties); a NaN quotient gives the zero point.
     DEQUANTIZE_LINEAR: y = float(x - zero_point) * scale, int8, uint8, int16, uint16 or int32 x
       to float32 (the difference taken in 64 bits, so an int32 x cannot overflow).
   Node data: qlinear_data. */
#include <math.h>
#include <string.h>

#include "ember_internal.h"

typedef struct qlinear_data {
    /* x seen as [outer, channels, inner]: channel c reads scale[c] and zero point [c]. */
    size_t outer, channels, inner;
} qlinear_data;

static bool is_quantize(const ember_node *node) {
    return node->op == EMBER_OP_QUANTIZE_LINEAR;
}

/* The integer types of QUANTIZE_LINEAR's output (and zero point), or DEQUANTIZE_LINEAR's x. */
static bool integer_side_type(uint8_t type, bool quantize) {
    switch (type) {
    case EMBER_TYPE_INT8: case EMBER_TYPE_UINT8: case EMBER_TYPE_INT16: case EMBER_TYPE_UINT16:
        return true;
    case EMBER_TYPE_INT32: return !quantize;
    default: return false;
    }
}

static ember_status check_plain(ember_context *ctx, const ember_node *node, const ember_tensor *t,
                                const char *what) {
    if (t->quant_count == 0)
        return EMBER_STATUS_OK;
    return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                      "node %" PRIu32 " (%s): %s '%s' must carry no stored quantization "
                      "parameters (the scale and zero point are inputs), got %" PRIu32 " scales",
                      node->index, node->kernel->name, what, t->name, t->quant_count);
}

/* The axis a per-axis scale runs along, -1 for one scale; -2 if the shape fits neither. */
static int32_t scale_axis(const ember_tensor *x, const ember_tensor *scale) {
    if (scale->count == 1)
        return -1;
    if (scale->rank != x->rank)
        return -2;
    int32_t axis = -1;
    for (uint32_t d = 0; d < x->rank; d++) {
        if (scale->dims[d] == 1)
            continue;
        if (axis >= 0 || scale->dims[d] != x->dims[d])
            return -2;
        axis = (int32_t)d;
    }
    return axis;
}

static ember_status check_scale(ember_context *ctx, const ember_node *node, const ember_tensor *x,
                                const ember_tensor *scale, const ember_tensor *zp) {
    ember_status st = ember_check_type(ctx, node, scale, EMBER_TYPE_FLOAT32, "input 1 (scale)");
    if (st != EMBER_STATUS_OK)
        return st;
    if (scale_axis(x, scale) == -2)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): scale '%s' must hold one value or have the "
                          "input's rank %u with one dim equal to the input's and the others 1",
                          node->index, node->kernel->name, scale->name, (unsigned)x->rank);
    if (zp == NULL)
        return EMBER_STATUS_OK;
    bool same = zp->rank == scale->rank;
    for (uint32_t d = 0; same && d < zp->rank; d++)
        same = zp->dims[d] == scale->dims[d];
    if (!same)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): zero point '%s' must have the shape of scale "
                          "'%s'",
                          node->index, node->kernel->name, zp->name, scale->name);
    return check_plain(ctx, node, zp, "zero point");
}

static ember_status check_types(ember_context *ctx, const ember_node *node, const ember_tensor *x,
                                const ember_tensor *zp, const ember_tensor *out) {
    const bool quantize = is_quantize(node);
    const ember_tensor *ints = quantize ? out : x, *floats = quantize ? x : out;
    const char *int_what = quantize ? "output" : "input 0";
    if (!integer_side_type(ints->type, quantize))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): %s must be int8, uint8, int16, uint16%s, got %s",
                          node->index, node->kernel->name, int_what, quantize ? "" : " or int32",
                          ember_type_str((ember_type)ints->type));
    ember_status st = ember_check_type(ctx, node, floats, EMBER_TYPE_FLOAT32,
                                       quantize ? "input 0" : "output");
    if (st == EMBER_STATUS_OK)
        st = check_plain(ctx, node, ints, int_what);
    if (st == EMBER_STATUS_OK && zp != NULL)
        st = ember_check_type(ctx, node, zp, ints->type, "input 2 (zero point)");
    return st;
}

static ember_status qlinear_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 2, 3, 1);
    if (st != EMBER_STATUS_OK || (st = ember_check_params(ctx, node, 0)) != EMBER_STATUS_OK)
        return st;
    const ember_tensor *x = ember_input(ctx, node, 0), *scale = ember_input(ctx, node, 1);
    const ember_tensor *zp = ember_input(ctx, node, 2), *out = ember_output(ctx, node, 0);
    if ((st = check_types(ctx, node, x, zp, out)) != EMBER_STATUS_OK ||
        (st = check_scale(ctx, node, x, scale, zp)) != EMBER_STATUS_OK ||
        (st = ember_check_same_shape(ctx, node, node->kernel->name, x, out)) != EMBER_STATUS_OK)
        return st;
    /* Element i is read before it is written only when the bytes per element agree. */
    if (ember_type_bytes(x->type) != ember_type_bytes(out->type))
        return EMBER_STATUS_OK;
    return ember_check_inplace(ctx, node, node->kernel->name, x, 0, out);
}

static ember_status qlinear_prepare(ember_context *ctx, ember_node *node) {
    qlinear_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    const ember_tensor *x = ember_input(ctx, node, 0);
    const int32_t axis = scale_axis(x, ember_input(ctx, node, 1));
    d->outer = 1;
    d->channels = 1;
    d->inner = x->count;
    if (axis >= 0) {
        d->channels = (size_t)x->dims[axis];
        d->inner = 1;
        for (uint32_t k = 0; k < x->rank; k++) {
            if ((int32_t)k < axis)
                d->outer *= (size_t)x->dims[k];
            else if ((int32_t)k > axis)
                d->inner *= (size_t)x->dims[k];
        }
    }
    node->data = d;
    return EMBER_STATUS_OK;
}

/* Zero point c of an integer tensor of `type` (0 when there is none). */
static int64_t zero_point_at(const ember_tensor *zp, size_t c) {
    if (zp == NULL)
        return 0;
    switch (zp->type) {
    case EMBER_TYPE_INT8: return ((const int8_t *)zp->data)[c];
    case EMBER_TYPE_UINT8: return ((const uint8_t *)zp->data)[c];
    case EMBER_TYPE_INT16: return ((const int16_t *)zp->data)[c];
    case EMBER_TYPE_UINT16: return ((const uint16_t *)zp->data)[c];
    default: return ((const int32_t *)zp->data)[c];
    }
}

/* One quantized value in float, saturated to [lo, hi]; a NaN gives the zero point. */
static float quantize_one(float x, float scale, float zp, float lo, float hi) {
    const float q = rintf(x / scale) + zp;
    if (q != q)
        return zp;
    return q < lo ? lo : q > hi ? hi : q;
}

#define QUANTIZE_ROWS(T, LO, HI)                                                              \
    static void quantize_##T(const qlinear_data *d, const float *x, const float *scale,      \
                             const ember_tensor *zp, T *y) {                                  \
        for (size_t o = 0; o < d->outer; o++) {                                               \
            for (size_t c = 0; c < d->channels; c++) {                                        \
                const float s = scale[c], z = (float)zero_point_at(zp, c);                    \
                for (size_t i = 0; i < d->inner; i++)                                         \
                    *y++ = (T)quantize_one(*x++, s, z, (float)(LO), (float)(HI));             \
            }                                                                                 \
        }                                                                                     \
    }
QUANTIZE_ROWS(int8_t, INT8_MIN, INT8_MAX)
QUANTIZE_ROWS(uint8_t, 0, UINT8_MAX)
QUANTIZE_ROWS(int16_t, INT16_MIN, INT16_MAX)
QUANTIZE_ROWS(uint16_t, 0, UINT16_MAX)

#define DEQUANTIZE_ROWS(T)                                                                    \
    static void dequantize_##T(const qlinear_data *d, const T *x, const float *scale,        \
                               const ember_tensor *zp, float *y) {                            \
        for (size_t o = 0; o < d->outer; o++) {                                               \
            for (size_t c = 0; c < d->channels; c++) {                                        \
                const float s = scale[c];                                                     \
                const int64_t z = zero_point_at(zp, c);                                       \
                for (size_t i = 0; i < d->inner; i++)                                         \
                    *y++ = (float)((int64_t)*x++ - z) * s;                                    \
            }                                                                                 \
        }                                                                                     \
    }
DEQUANTIZE_ROWS(int8_t)
DEQUANTIZE_ROWS(uint8_t)
DEQUANTIZE_ROWS(int16_t)
DEQUANTIZE_ROWS(uint16_t)
DEQUANTIZE_ROWS(int32_t)

static void run_quantize(const qlinear_data *d, const ember_tensor *x, const float *scale,
                         const ember_tensor *zp, ember_tensor *out) {
    switch (out->type) {
    case EMBER_TYPE_INT8: quantize_int8_t(d, x->data, scale, zp, out->data); break;
    case EMBER_TYPE_UINT8: quantize_uint8_t(d, x->data, scale, zp, out->data); break;
    case EMBER_TYPE_INT16: quantize_int16_t(d, x->data, scale, zp, out->data); break;
    default: quantize_uint16_t(d, x->data, scale, zp, out->data); break;
    }
}

static void run_dequantize(const qlinear_data *d, const ember_tensor *x, const float *scale,
                           const ember_tensor *zp, ember_tensor *out) {
    switch (x->type) {
    case EMBER_TYPE_INT8: dequantize_int8_t(d, x->data, scale, zp, out->data); break;
    case EMBER_TYPE_UINT8: dequantize_uint8_t(d, x->data, scale, zp, out->data); break;
    case EMBER_TYPE_INT16: dequantize_int16_t(d, x->data, scale, zp, out->data); break;
    case EMBER_TYPE_UINT16: dequantize_uint16_t(d, x->data, scale, zp, out->data); break;
    default: dequantize_int32_t(d, x->data, scale, zp, out->data); break;
    }
}

static ember_status qlinear_eval(ember_context *ctx, const ember_node *node) {
    const qlinear_data *d = node->data;
    const ember_tensor *x = ember_input(ctx, node, 0);
    if (x->count == 0)
        return EMBER_STATUS_OK;
    const float *scale = ember_input(ctx, node, 1)->data;
    const ember_tensor *zp = ember_input(ctx, node, 2);
    if (is_quantize(node))
        run_quantize(d, x, scale, zp, ember_output(ctx, node, 0));
    else
        run_dequantize(d, x, scale, zp, ember_output(ctx, node, 0));
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_quantize_linear = {
    EMBER_OP_QUANTIZE_LINEAR, "quantize_linear", qlinear_check, qlinear_prepare, qlinear_eval,
};
const ember_kernel ember_kernel_dequantize_linear = {
    EMBER_OP_DEQUANTIZE_LINEAR, "dequantize_linear", qlinear_check, qlinear_prepare, qlinear_eval,
};
