/* DEQUANTIZE: int8 or int16 -> float32, x = scale * (q - zero_point) with one scale and zero
   point for the tensor or one per channel along its quantization axis; or float16 -> float32
   (exact).
   An output with no arena slot (a weight dequantized for a float op: the verifier lets only a
   DEQUANTIZE of a stored constant write one) is computed once, at prepare, into memory the
   interpreter owns; eval then has nothing left to do. Node data: dequantize_data. */
#include <string.h>

#include "ember_internal.h"
#include "kernels/broadcast.h"
#include "threadpool.h"
#include "ukernels/vcvt_qs8.h"

struct dequantize_data {
    /* int8 and int16: the input seen as [outer, channels, inner] elements, one scale and zero point
       per channel (channels = 1 per tensor). */
    size_t outer, channels, inner;
    float *scales;
    int32_t *zero_points;
    bool at_prepare; /* the output is a constant, already computed */
    /* int8: the vectorised conversion (NULL: the reference loop). */
    const ember_vcvt_qs8_config *cvt;
};

static ember_status check_int_quant(ember_context *ctx, const ember_node *node,
                                    const ember_tensor *in) {
    const bool is_int8 = in->type == EMBER_TYPE_INT8;
    const int64_t lo = is_int8 ? INT8_MIN : INT16_MIN, hi = is_int8 ? INT8_MAX : INT16_MAX;
    const char *type = is_int8 ? "int8" : "int16";
    /* The verifier already checked that a per-channel count equals the axis' dim, with the
       axis in range, and that every scale is finite and > 0: the loops below rely on it. */
    if (in->quant_count == 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (dequantize): %s input '%s' has no scale and zero "
                          "point",
                          node->index, type, in->name);
    for (uint32_t c = 0; c < in->quant_count; c++) {
        const int64_t zp = ember_fb_vector_i64(&in->quant_zero_points, c);
        if (zp < lo || zp > hi)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (dequantize): %s input '%s' zero point %" PRIu32
                              " must be in [%lld, %lld], got %lld",
                              node->index, type, in->name, c, (long long)lo, (long long)hi,
                              (long long)zp);
    }
    return EMBER_STATUS_OK;
}

static ember_status check_input(ember_context *ctx, const ember_node *node,
                                const ember_tensor *in) {
    if (in->type == EMBER_TYPE_INT8 || in->type == EMBER_TYPE_INT16)
        return check_int_quant(ctx, node, in);
    if (in->type != EMBER_TYPE_FLOAT16)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (dequantize): input 0 must be int8, int16 or float16, "
                          "got %s",
                          node->index, ember_type_str((ember_type)in->type));
    if (in->quant_count != 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (dequantize): float16 input '%s' must carry no "
                          "quantization parameters, got %" PRIu32 " scales",
                          node->index, in->name, in->quant_count);
    return EMBER_STATUS_OK;
}

static ember_status dequantize_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 1, 1, 1);
    if (st != EMBER_STATUS_OK || (st = ember_check_params(ctx, node, 0)) != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if ((st = check_input(ctx, node, in)) != EMBER_STATUS_OK ||
        (st = ember_check_type(ctx, node, out, EMBER_TYPE_FLOAT32, "output")) != EMBER_STATUS_OK)
        return st;
    if (out->rank != in->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (dequantize): output rank must equal the input rank "
                          "%u, got %u",
                          node->index, (unsigned)in->rank, (unsigned)out->rank);
    for (uint32_t d = 0; d < in->rank; d++) {
        if (out->dims[d] != in->dims[d])
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (dequantize): output dim %" PRIu32 " must equal "
                              "the input's %" PRId32 ", got %" PRId32,
                              node->index, d, in->dims[d], out->dims[d]);
    }
    return ember_check_inplace(ctx, node, "dequantize", in, 0, out);
}

/* Exact: every float16 value, subnormals, infinities and NaN payloads included, is a float32
   value. Built from the bits, so it needs no FPU support for half floats. */
static float f16_to_f32(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu, bits;
    if (exponent == 0x1fu) {
        bits = sign | 0x7f800000u | (mantissa << 13); /* inf, or NaN with its payload */
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112u) << 23) | (mantissa << 13); /* rebias 15 -> 127 */
    } else if (mantissa == 0) {
        bits = sign; /* +-0 */
    } else {
        /* Subnormal mantissa * 2^-24: shift until the implicit bit (bit 10) is set; each shift
           lowers the float exponent, which starts at that of 2^-14 (113). */
        uint32_t e = 113;
        while ((mantissa & 0x400u) == 0) {
            mantissa <<= 1;
            e--;
        }
        bits = sign | (e << 23) | ((mantissa & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static void ember_dequantize_f16_f32_ref(const uint16_t *in, float *out, size_t n) {
    for (size_t i = 0; i < n; i++)
        out[i] = f16_to_f32(in[i]);
}

/* LiteRT multiplies in double and narrows; q - zero_point has at most 9 significant bits, so
   that product is exact and the one float32 rounding here gives the same result. */
static void ember_dequantize_i8_f32_ref(const int8_t *in, float *out,
                                        const struct dequantize_data *d) {
    for (size_t o = 0; o < d->outer; o++) {
        for (size_t c = 0; c < d->channels; c++) {
            const float scale = d->scales[c];
            const int32_t zero_point = d->zero_points[c];
            for (size_t i = 0; i < d->inner; i++, in++, out++)
                *out = scale * (float)((int32_t)*in - zero_point);
        }
    }
}

/* int16 (16x8): q - zero_point has at most 17 significant bits, so the double product is
   exact too and the same float32 multiply matches. */
static void ember_dequantize_i16_f32_ref(const int16_t *in, float *out,
                                         const struct dequantize_data *d) {
    for (size_t o = 0; o < d->outer; o++) {
        for (size_t c = 0; c < d->channels; c++) {
            const float scale = d->scales[c];
            const int32_t zero_point = d->zero_points[c];
            for (size_t i = 0; i < d->inner; i++, in++, out++)
                *out = scale * (float)((int32_t)*in - zero_point);
        }
    }
}

struct cvt_task {
    const struct dequantize_data *d;
    const int8_t *in;
    float *out;
};

static void run_cvt(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)thread;
    const struct cvt_task *t = arg;
    t->d->cvt->dequantize(end - begin, t->in + begin, t->out + begin, t->d->scales[0],
                          t->d->zero_points[0]);
}

/* One scale: tiles over the threads (each output alone, so any tiling gives the same bits);
   per channel: each channel's inner run through the microkernel. */
static void dequantize_i8_fast(ember_context *ctx, const int8_t *in, float *out,
                               const struct dequantize_data *d) {
    if (d->channels == 1 && d->outer == 1) {
        const struct cvt_task t = {d, in, out};
        if (ember_elementwise_parallel(ctx, d->inner))
            ember_parallel_1d(ctx, run_cvt, &t, d->inner, ember_elementwise_tile(ctx, d->inner));
        else
            run_cvt(&t, 0, 0, d->inner);
        return;
    }
    for (size_t o = 0; o < d->outer; o++) {
        for (size_t c = 0; c < d->channels; c++, in += d->inner, out += d->inner)
            d->cvt->dequantize(d->inner, in, out, d->scales[c], d->zero_points[c]);
    }
}

static void run(ember_context *ctx, const struct dequantize_data *d, const ember_tensor *in,
                ember_tensor *out) {
    /* An empty per-channel constant may still have huge outer dims to loop over. */
    if (in->count == 0)
        return;
    if (in->type == EMBER_TYPE_FLOAT16)
        ember_dequantize_f16_f32_ref(in->data, out->data, in->count);
    else if (in->type == EMBER_TYPE_INT16)
        ember_dequantize_i16_f32_ref(in->data, out->data, d);
    else if (d->cvt != NULL)
        dequantize_i8_fast(ctx, in->data, out->data, d);
    else
        ember_dequantize_i8_f32_ref(in->data, out->data, d);
}

static ember_status prepare_scales(ember_context *ctx, const ember_tensor *in,
                                 struct dequantize_data *d) {
    const uint32_t n = in->quant_count;
    d->scales = ember_alloc(ctx, n * sizeof *d->scales);
    d->zero_points = ember_alloc(ctx, n * sizeof *d->zero_points);
    if (d->scales == NULL || d->zero_points == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    for (uint32_t c = 0; c < n; c++) {
        d->scales[c] = ember_fb_vector_f32(&in->quant_scales, c);
        d->zero_points[c] = (int32_t)ember_fb_vector_i64(&in->quant_zero_points, c);
    }
    d->outer = 1;
    d->channels = 1;
    d->inner = in->count;
    if (n > 1) {
        ember_axis_extents(in, (uint32_t)in->quant_axis, &d->outer, &d->inner);
        d->inner /= ember_type_bytes(in->type); /* the extents count bytes; the loops elements */
        d->channels = n;
    }
    return EMBER_STATUS_OK;
}

static ember_status dequantize_prepare(ember_context *ctx, ember_node *node) {
    struct dequantize_data *data = ember_alloc(ctx, sizeof(*data));
    if (data == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    memset(data, 0, sizeof *data);
    const ember_tensor *in = ember_input(ctx, node, 0);
    ember_tensor *out = ember_output(ctx, node, 0);
    if (in->type == EMBER_TYPE_INT8 || in->type == EMBER_TYPE_INT16) {
        const ember_status st = prepare_scales(ctx, in, data);
        if (st != EMBER_STATUS_OK)
            return st;
    }
    if (in->type == EMBER_TYPE_INT8 && (data->cvt = ember_vcvt_qs8_select(ctx)) != NULL)
        node->variant = data->cvt->name;
    node->data = data;
    if (!out->is_prepared)
        return EMBER_STATUS_OK;
    /* The input is a stored constant (verifier), so its data is already bound. */
    out->data = ember_alloc(ctx, out->bytes > 0 ? out->bytes : 1);
    if (out->data == NULL)
        return EMBER_STATUS_NO_MEMORY;
    run(ctx, data, in, out);
    data->at_prepare = true;
    return EMBER_STATUS_OK;
}

static ember_status dequantize_eval(ember_context *ctx, const ember_node *node) {
    const struct dequantize_data *data = node->data;
    if (!data->at_prepare)
        run(ctx, data, ember_input(ctx, node, 0), ember_output(ctx, node, 0));
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_dequantize = {
    EMBER_OP_DEQUANTIZE, "dequantize", dequantize_check, dequantize_prepare, dequantize_eval,
};
