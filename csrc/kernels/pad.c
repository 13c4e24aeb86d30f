/* PAD with a constant, by reflection (edge cell not repeated) or by repeating the edge, any
   element size. For int8 the constant is a real value, quantized with the output's scale and
   zero point (TFLite's PADV2 pads with a stored int8 constant); for other integer types it
   must be 0. The converter lowers negative pads to SLICE.
   An ONNX Pad whose pads, constant or axes are run-time tensors keeps them as optional inputs
   1 (pads), 2 (the constant, of the input's type) and 3 (axes); the params' pads are then
   zeros. Eval reads them, negative pads cropping, and checks that they give the stored output
   shape (kernels/operand.h). */
#include <math.h>
#include <string.h>

#include "ember_internal.h"
#include "kernels/operand.h"
#include "kernels/quant.h"
#include "kernels/quantize.h"
#include "kernels/strided_copy.h"
#include "kernels/shape_rules.h"

struct pad_data {
    uint32_t rank; /* >= 1: a scalar is treated as one axis of size 1 */
    uint8_t mode;
    size_t in_dim[EMBER_MAX_RANK], before[EMBER_MAX_RANK], out_dim[EMBER_MAX_RANK];
    size_t in_stride[EMBER_MAX_RANK]; /* elements */
    size_t out_count, elem_size;
    uint8_t fill[8]; /* the constant's bytes */
};

static ember_status pad_params(ember_context *ctx, const ember_node *node, ember_fb_vector *pads,
                               uint8_t *mode, float *value) {
    if (!ember_fb_vector_field(&node->params, EMBER_SLOT_PAD_PARAMS_PADS, 4, pads) ||
        !ember_fb_u8(&node->params, EMBER_SLOT_PAD_PARAMS_MODE, EMBER_PAD_MODE_CONSTANT, mode) ||
        !ember_fb_f32(&node->params, EMBER_SLOT_PAD_PARAMS_VALUE, 0.0f, value))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (pad): params out of bounds", node->index);
    return EMBER_STATUS_OK;
}

ember_status ember_shape_pad(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in;
    ember_fb_vector pads;
    uint8_t mode;
    float value;
    ember_status st = ember_shape_input(ctx, node, 0, &in);
    if (st == EMBER_STATUS_OK)
        st = pad_params(ctx, node, &pads, &mode, &value);
    if (st != EMBER_STATUS_OK)
        return st;
    if (pads.len != 2u * in->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (pad): pads need %u entries, got %" PRIu32,
                          node->index, 2u * in->rank, pads.len);
    int32_t dims[EMBER_MAX_RANK];
    for (uint32_t a = 0; a < in->rank; a++) {
        const int64_t d = (int64_t)in->dims[a] + ember_fb_vector_i32(&pads, a) +
                          ember_fb_vector_i32(&pads, a + in->rank);
        dims[a] = d < 0 || d > INT32_MAX ? -1 : (int32_t)d;
    }
    return ember_set_shape(ctx, node, ember_output(ctx, node, 0), in->rank, dims);
}

/* A constant other than 0 needs a float32 tensor or a quantized int8 one (scale > 0). */
static ember_status constant_check(ember_context *ctx, const ember_node *node, uint8_t mode,
                                   float value, const ember_tensor *out) {
    if (mode != EMBER_PAD_MODE_CONSTANT || value == 0.0f || out->type == EMBER_TYPE_FLOAT32)
        return EMBER_STATUS_OK;
    bool quantized = out->type == EMBER_TYPE_INT8 && out->quant_count == 1 && out->scale > 0.0f;
    if (quantized && !isfinite(value))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (pad): constant for an int8 tensor must be finite, "
                          "got %g",
                          node->index, (double)value);
    if (!quantized)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (pad): constant for a tensor that is neither float32 "
                          "nor quantized int8 must be 0, got %g",
                          node->index, (double)value);
    return EMBER_STATUS_OK;
}

/* The run-time operands' types: pads and axes INT32 or INT64 vectors, the constant one
   element of the input's type. */
static ember_status pad_check_operands(ember_context *ctx, const ember_node *node,
                                       const ember_tensor *in) {
    const ember_tensor *value = ember_input(ctx, node, 2);
    ember_status st = ember_check_operand(ctx, node, "pad", ember_input(ctx, node, 1), "pads",
                                          2 * EMBER_MAX_RANK);
    if (st == EMBER_STATUS_OK)
        st = ember_check_operand(ctx, node, "pad", ember_input(ctx, node, 3), "axes",
                                 EMBER_MAX_RANK);
    if (st == EMBER_STATUS_OK && value != NULL && (value->type != in->type || value->count != 1))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (pad): the constant must be one element of the "
                          "input's type %u, got type %u with %zu elements",
                          node->index, in->type, value->type, value->count);
    if (st == EMBER_STATUS_OK && ember_input(ctx, node, 1) == NULL && node->input_count > 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (pad): run-time operands need the pads (input 1)",
                          node->index);
    return st;
}

static ember_status pad_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 1, 4, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_PAD_PARAMS);
    if (st == EMBER_STATUS_OK)
        st = pad_check_operands(ctx, node, ember_input(ctx, node, 0));
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    size_t es = ember_type_bytes(in->type);
    if (es == 0 || es > 8)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (pad): unsupported input type %u", node->index,
                          in->type);
    if ((st = ember_check_type(ctx, node, out, in->type, "output")) ||
        (st = ember_check_same_quant(ctx, node, in, out)) ||
        (st = ember_check_rank(ctx, node, out, in->rank, "output")))
        return st;
    ember_fb_vector pads;
    uint8_t mode;
    float value;
    if ((st = pad_params(ctx, node, &pads, &mode, &value)))
        return st;
    if (mode >= EMBER_PAD_MODE_COUNT)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (pad): unknown mode %u", node->index, mode);
    if ((st = constant_check(ctx, node, mode, value, out)))
        return st;
    if (pads.len != 2 * in->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (pad): pads need %u entries, got %" PRIu32, node->index,
                          2u * in->rank, pads.len);
    for (uint32_t a = 0; node->input_count > 1 && a < 2 * in->rank; a++)
        if (ember_fb_vector_i32(&pads, a) != 0)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (pad): with run-time pads the params' pads must "
                              "be 0",
                              node->index);
    for (uint32_t a = 0; node->input_count == 1 && a < in->rank; a++) {
        int64_t b = ember_fb_vector_i32(&pads, a);
        int64_t e = ember_fb_vector_i32(&pads, a + in->rank);
        int64_t dim = in->dims[a];
        if (b < 0 || e < 0)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (pad): pads of axis %" PRIu32 " must be >= 0, got "
                              "%lld,%lld",
                              node->index, a, (long long)b, (long long)e);
        if (out->dims[a] != dim + b + e)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (pad): output dim %" PRIu32 " must be %lld, got "
                              "%" PRId32,
                              node->index, a, (long long)(dim + b + e), out->dims[a]);
        /* Reflection reads cells 1..pad from each end; edge mode needs an edge to repeat. */
        bool padded = b > 0 || e > 0;
        if (padded && mode == EMBER_PAD_MODE_REFLECT && (b >= dim || e >= dim))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (pad): reflect pads of axis %" PRIu32 " must be < "
                              "dim %lld, got %lld,%lld",
                              node->index, a, (long long)dim, (long long)b, (long long)e);
        if (padded && mode == EMBER_PAD_MODE_EDGE && dim == 0)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (pad): edge padding of empty axis %" PRIu32,
                              node->index, a);
    }
    return EMBER_STATUS_OK;
}

/* Source index along an axis for output index o, or -1 for a constant cell. */
static ptrdiff_t source_index(const struct pad_data *d, uint32_t a, size_t o) {
    ptrdiff_t i = (ptrdiff_t)o - (ptrdiff_t)d->before[a];
    ptrdiff_t dim = (ptrdiff_t)d->in_dim[a];
    if (i >= 0 && i < dim)
        return i;
    if (d->mode == EMBER_PAD_MODE_CONSTANT)
        return -1;
    if (d->mode == EMBER_PAD_MODE_EDGE)
        return i < 0 ? 0 : dim - 1;
    return i < 0 ? -i : 2 * (dim - 1) - i;
}

/* Fills one output row (the last axis) from input row `src`, or with the constant. */
static void pad_row(const struct pad_data *d, const uint8_t *src, uint8_t *dst) {
    const uint32_t a = d->rank - 1;
    const size_t es = d->elem_size;
    const size_t before = d->before[a], dim = d->in_dim[a];
    const size_t after = d->out_dim[a] - before - dim;
    if (src == NULL) {
        strided_copy(dst, d->fill, d->out_dim[a], 0, es);
        return;
    }
    if (d->mode == EMBER_PAD_MODE_CONSTANT) {
        strided_copy(dst, d->fill, before, 0, es);
        strided_copy(dst + (before + dim) * es, d->fill, after, 0, es);
    } else if (d->mode == EMBER_PAD_MODE_EDGE) {
        strided_copy(dst, src, before, 0, es);
        strided_copy(dst + (before + dim) * es, src + (dim - 1) * es, after, 0, es);
    } else {
        strided_copy(dst, src + before * es, before, -1, es);
        if (after > 0)
            strided_copy(dst + (before + dim) * es, src + (dim - 2) * es, after, -1, es);
    }
    if (dim > 0)
        memmove(dst + before * es, src, dim * es);
}

static void ember_pad_ref(const struct pad_data *d, const void *in, void *out) {
    if (d->out_count == 0)
        return;
    const uint32_t outer = d->rank - 1;
    const size_t row = d->out_dim[outer];
    const size_t es = d->elem_size;
    uint8_t *dst = out;
    size_t idx[EMBER_MAX_RANK] = {0};
    for (size_t done = 0; done < d->out_count; done += row) {
        const uint8_t *src = in;
        for (uint32_t a = 0; a < outer && src != NULL; a++) {
            ptrdiff_t i = source_index(d, a, idx[a]);
            src = i < 0 ? NULL : src + (size_t)i * d->in_stride[a] * es;
        }
        pad_row(d, src, dst);
        dst += row * es;
        for (uint32_t a = outer; a-- > 0;) {
            if (++idx[a] < d->out_dim[a])
                break;
            idx[a] = 0;
        }
    }
}

static ember_status pad_prepare(ember_context *ctx, ember_node *node) {
    struct pad_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    ember_fb_vector pads;
    float value;
    ember_status st = pad_params(ctx, node, &pads, &d->mode, &value);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    d->elem_size = ember_type_bytes(in->type);
    memset(d->fill, 0, sizeof(d->fill));
    if (in->type == EMBER_TYPE_FLOAT32)
        memcpy(d->fill, &value, sizeof(value));
    if (in->type == EMBER_TYPE_INT8) /* 0 (checked, if unquantized) is the zero point */
        d->fill[0] = (uint8_t)(value == 0.0f ? (int8_t)out->zero_point
                                             : ember_quantize_f32_i8(value, out->scale,
                                                                     out->zero_point));
    d->rank = in->rank > 0 ? in->rank : 1;
    for (uint32_t a = 0; a < d->rank; a++) {
        bool scalar = in->rank == 0;
        d->in_dim[a] = scalar ? 1 : (size_t)in->dims[a];
        d->out_dim[a] = scalar ? 1 : (size_t)out->dims[a];
        d->before[a] = scalar ? 0 : (size_t)ember_fb_vector_i32(&pads, a);
    }
    size_t s = 1;
    for (uint32_t a = d->rank; a-- > 0;) {
        d->in_stride[a] = s;
        s *= d->in_dim[a];
    }
    d->out_count = out->count;
    return EMBER_STATUS_OK;
}

/* Source index along an axis of `dim` for output index o shifted by `before` (negative:
   cropped), or -1 for a constant cell. */
static int64_t pad_runtime_source(uint8_t mode, int64_t o, int64_t before, int64_t dim) {
    const int64_t i = o - before;
    if (i >= 0 && i < dim)
        return i;
    if (mode == EMBER_PAD_MODE_CONSTANT)
        return -1;
    if (mode == EMBER_PAD_MODE_EDGE)
        return i < 0 ? 0 : dim - 1;
    return i < 0 ? -i : 2 * (dim - 1) - i;
}

/* Per axis `before` from the run-time pads and axes; false when they do not give the stored
   output shape, name an axis out of range or twice, or pad more than the mode can. */
static bool pad_runtime_before(ember_context *ctx, const ember_node *node, uint8_t mode,
                               const ember_tensor *in, const ember_tensor *out, int64_t *before) {
    const ember_tensor *pads = ember_input(ctx, node, 1), *axes = ember_input(ctx, node, 3);
    const size_t n = axes != NULL ? axes->count : in->rank;
    bool seen[EMBER_MAX_RANK] = {false};
    int64_t after[EMBER_MAX_RANK] = {0};
    for (uint32_t a = 0; a < in->rank; a++)
        before[a] = 0;
    if (pads->count != 2 * n || n > in->rank)
        return false;
    for (size_t k = 0; k < n; k++) {
        uint32_t a = (uint32_t)k;
        if ((axes != NULL && !ember_operand_axis(ember_operand_at(axes, k), in->rank, &a)) ||
            seen[a])
            return false;
        seen[a] = true;
        before[a] = ember_operand_at(pads, k);
        after[a] = ember_operand_at(pads, k + n);
    }
    for (uint32_t a = 0; a < in->rank; a++) {
        const int64_t dim = in->dims[a], b = before[a], e = after[a];
        if (b < -dim || e < -dim || b > INT32_MAX || e > INT32_MAX || dim + b + e != out->dims[a])
            return false;
        const int64_t kept = dim + (b < 0 ? b : 0) + (e < 0 ? e : 0);
        if ((b > 0 || e > 0) && mode != EMBER_PAD_MODE_CONSTANT &&
            (kept < 1 || (mode == EMBER_PAD_MODE_REFLECT && (b >= kept || e >= kept))))
            return false;
    }
    return true;
}

/* Run-time pads: each output row from its source row, element by element (a crop and a pad
   at once); the constant from input 2 when given. */
static ember_status pad_eval_runtime(ember_context *ctx, const ember_node *node) {
    const struct pad_data *d = node->data;
    const ember_tensor *in = ember_input(ctx, node, 0), *out = ember_output(ctx, node, 0);
    const ember_tensor *value = ember_input(ctx, node, 2);
    int64_t before[EMBER_MAX_RANK] = {0};
    if (in->rank > 0 && !pad_runtime_before(ctx, node, d->mode, in, out, before))
        return ember_fail(ctx, EMBER_STATUS_EVAL_ERROR,
                          "node %" PRIu32 " (pad): the run-time pads (and axes) do not give the "
                          "stored output shape, name an axis out of range or twice, or pad "
                          "beyond what the mode can",
                          node->index);
    const uint8_t *fill = value != NULL ? value->data : d->fill;
    const size_t es = d->elem_size, row = d->out_dim[d->rank - 1];
    const uint32_t last = d->rank - 1;
    uint8_t *dst = out->data;
    size_t idx[EMBER_MAX_RANK] = {0};
    for (size_t done = 0; done < d->out_count; done += row) {
        const uint8_t *src = in->data;
        for (uint32_t a = 0; a < last && src != NULL; a++) {
            const int64_t i = pad_runtime_source(d->mode, (int64_t)idx[a], before[a],
                                                 (int64_t)d->in_dim[a]);
            src = i < 0 ? NULL : src + (size_t)i * d->in_stride[a] * es;
        }
        for (size_t o = 0; o < row; o++) {
            const int64_t i = src == NULL ? -1
                                          : pad_runtime_source(d->mode, (int64_t)o, before[last],
                                                               (int64_t)d->in_dim[last]);
            memcpy(dst + o * es, i < 0 ? fill : src + (size_t)i * es, es);
        }
        dst += row * es;
        for (uint32_t a = last; a-- > 0;) {
            if (++idx[a] < d->out_dim[a])
                break;
            idx[a] = 0;
        }
    }
    return EMBER_STATUS_OK;
}

static ember_status pad_eval(ember_context *ctx, const ember_node *node) {
    if (node->input_count > 1)
        return pad_eval_runtime(ctx, node);
    ember_pad_ref(node->data, ember_input(ctx, node, 0)->data, ember_output(ctx, node, 0)->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_pad = {
    EMBER_OP_PAD, "pad", pad_check, pad_prepare, pad_eval,
};
