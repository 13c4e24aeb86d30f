/* QUANTIZE: float32 -> int8 or int16, q = clamp(round(x / scale) + zero_point) with the
   output's per-tensor scale and zero point; or a requantization between integer types (int8
   <-> int16 in any direction, int8 -> uint8, uint8 -> int8), q_out = clamp(MBQM(q_in - zp_in,
   QM(s_in / s_out)) + zp_out) to the output type's range (LiteRT's reference kernels,
   docs/int8-arithmetic.md, section 5; int16 tensors have zero point 0). With equal
   scales the multiplier is exactly 1, so uint8 <-> int8 is then a zero point shift. uint8
   serves only at a graph's edges (quantize(io="uint8"), TFLite's uint8 inputs and outputs).
   Node data: quantize_data. */
#include "ember_internal.h"
#include "kernels/elementwise_qs8.h"
#include "kernels/fixed_point.h"
#include "kernels/quant.h"
#include "kernels/quantize.h"
#include "threadpool.h"
#include "ukernels/vcvt_qs8.h"

struct quantize_data {
    float scale;
    int32_t zero_point;
    /* Integer input only: its zero point, the multiplier of double(s_in) / double(s_out) and
       the output type's range. */
    int32_t in_zero_point, mult, shift, lo, hi;
    /* 8-bit to 8-bit: the vectorised lookup (NULL: the reference loop) in the table of the
       reference's result for every input byte, built at prepare (exact by construction). */
    const ember_vlut_qs8_config *lut;
    int8_t table[256];
    /* float32 -> int8: the vectorised conversion (NULL: the reference loop). */
    const ember_vcvt_qs8_config *cvt;
};

static bool is_integer(uint8_t type) {
    return type == EMBER_TYPE_INT8 || type == EMBER_TYPE_INT16 || type == EMBER_TYPE_UINT8;
}

/* The output type a requantization from `in` may have: the one asked for where a kernel
   exists, else int8 (so the type check names what is expected). */
static uint8_t requantized_type(uint8_t in, const ember_tensor *out) {
    const uint8_t want = out != NULL ? out->type : EMBER_TYPE_INT8;
    if (in == EMBER_TYPE_UINT8)
        return EMBER_TYPE_INT8;
    if (want == EMBER_TYPE_INT16 || (want == EMBER_TYPE_UINT8 && in == EMBER_TYPE_INT8))
        return want;
    return EMBER_TYPE_INT8;
}

/* The uint8 side of a requantization: one scale (the verifier keeps zero points in
   [0, 255]). */
static ember_status check_quant_u8(ember_context *ctx, const ember_node *n, const ember_tensor *t,
                                   const char *what) {
    if (t->type != EMBER_TYPE_UINT8 || t->quant_count == 1)
        return EMBER_STATUS_OK;
    return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                      "node %" PRIu32 " (quantize): uint8 %s '%s' needs one scale and zero "
                      "point, got %" PRIu32,
                      n->index, what, t->name, t->quant_count);
}

static const char *op_name(const ember_node *n) {
    return n->kernel != NULL ? n->kernel->name : "unknown op";
}

/* The quantization rule of one side of a conversion: int8 and int16 sides are activations
   of their type, a float side has none. */
static ember_status check_conversion_side(ember_context *ctx, const ember_node *node,
                                          const ember_tensor *t, const char *what) {
    if (t->type == EMBER_TYPE_INT8)
        return ember_check_quant_i8(ctx, node, t, what);
    if (t->type == EMBER_TYPE_INT16)
        return ember_check_quant_i16(ctx, node, t, what);
    return EMBER_STATUS_OK;
}

/* One input, one output, no params, types `from` -> `to`, equal shapes, each int8 side a
   per-tensor int8 activation and each int16 side a per-tensor int16 one (zero point 0),
   and input and output apart in the arena unless exactly aliased with equal types (for
   float <-> int8 the element sizes differ, so no alias is safe both ways). */
static ember_status check_conversion(ember_context *ctx, const ember_node *node, uint8_t from,
                                     uint8_t to) {
    ember_status st = ember_check_arity(ctx, node, 1, 1, 1);
    if (st != EMBER_STATUS_OK || (st = ember_check_params(ctx, node, 0)) != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if ((st = ember_check_type(ctx, node, in, from, "input 0")) != EMBER_STATUS_OK ||
        (st = ember_check_type(ctx, node, out, to, "output")) != EMBER_STATUS_OK ||
        (st = check_conversion_side(ctx, node, in, "input")) != EMBER_STATUS_OK ||
        (st = check_conversion_side(ctx, node, out, "output")) != EMBER_STATUS_OK)
        return st;
    if (out->rank != in->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): output rank must equal the input rank %u, got %u",
                          node->index, op_name(node), (unsigned)in->rank, (unsigned)out->rank);
    for (uint32_t d = 0; d < in->rank; d++) {
        if (out->dims[d] != in->dims[d])
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): output dim %" PRIu32 " must equal the "
                              "input's %" PRId32 ", got %" PRId32,
                              node->index, op_name(node), d, in->dims[d], out->dims[d]);
    }
    return ember_check_inplace(ctx, node, op_name(node), in, 0, out);
}

static ember_status quantize_check(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    /* Between same-size integers an exact in-place alias is safe, as each output is written
       after its input is read; the conversion check allows it for equal types only. */
    const uint8_t from = in != NULL && is_integer(in->type) ? in->type : EMBER_TYPE_FLOAT32;
    const uint8_t to = from == EMBER_TYPE_FLOAT32
                           ? (out != NULL && out->type == EMBER_TYPE_INT16 ? EMBER_TYPE_INT16
                                                                           : EMBER_TYPE_INT8)
                           : requantized_type(from, out);
    ember_status st = check_conversion(ctx, node, from, to);
    if (st == EMBER_STATUS_OK && (st = check_quant_u8(ctx, node, in, "input")) == EMBER_STATUS_OK)
        st = check_quant_u8(ctx, node, out, "output");
    return st;
}

static void quantize_lut_prepare(ember_context *ctx, ember_node *node, uint8_t in_type,
                                 uint8_t out_type, struct quantize_data *d);

static ember_status quantize_prepare(ember_context *ctx, ember_node *node) {
    struct quantize_data *data = ember_alloc(ctx, sizeof(*data));
    if (data == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    data->scale = out->scale;
    data->zero_point = out->zero_point;
    data->in_zero_point = in->zero_point;
    data->mult = data->shift = 0;
    const bool wide = out->type == EMBER_TYPE_INT16, unsigned8 = out->type == EMBER_TYPE_UINT8;
    data->lo = wide ? INT16_MIN : unsigned8 ? 0 : INT8_MIN;
    data->hi = wide ? INT16_MAX : unsigned8 ? UINT8_MAX : INT8_MAX;
    if (is_integer(in->type))
        ember_quantize_multiplier((double)in->scale / (double)out->scale, &data->mult,
                                  &data->shift);
    node->data = data;
    data->lut = NULL;
    data->cvt = NULL;
    if (in->type == EMBER_TYPE_FLOAT32 && out->type == EMBER_TYPE_INT8 &&
        (data->cvt = ember_vcvt_qs8_select(ctx)) != NULL)
        node->variant = data->cvt->name;
    if (is_integer(in->type) && in->type != EMBER_TYPE_INT16 && !wide)
        quantize_lut_prepare(ctx, node, in->type, out->type, data);
    return EMBER_STATUS_OK;
}

static void ember_quantize_f32_i8_ref(const float *in, int8_t *out, size_t n, float scale,
                                      int32_t zero_point) {
    for (size_t i = 0; i < n; i++)
        out[i] = ember_quantize_f32_i8(in[i], scale, zero_point);
}

static void ember_quantize_f32_i16_ref(const float *in, int16_t *out, size_t n, float scale,
                                       int32_t zero_point) {
    for (size_t i = 0; i < n; i++)
        out[i] = ember_quantize_f32_i16(in[i], scale, zero_point);
}

static int32_t load_q(const void *p, size_t i, uint8_t type) {
    switch (type) {
    case EMBER_TYPE_INT16:
        return ((const int16_t *)p)[i];
    case EMBER_TYPE_UINT8:
        return ((const uint8_t *)p)[i];
    default:
        return ((const int8_t *)p)[i];
    }
}

static void store_q(void *p, size_t i, uint8_t type, int32_t q) {
    switch (type) {
    case EMBER_TYPE_INT16:
        ((int16_t *)p)[i] = (int16_t)q;
        break;
    case EMBER_TYPE_UINT8:
        ((uint8_t *)p)[i] = (uint8_t)q;
        break;
    default:
        ((int8_t *)p)[i] = (int8_t)q;
    }
}

/* One reference loop for every integer pair: LiteRT's Requantize is the same formula for
   each, only the clamp range is the output type's. */
static void ember_quantize_int_ref(const void *in, uint8_t in_type, void *out, uint8_t out_type,
                                   size_t n, const struct quantize_data *d) {
    for (size_t i = 0; i < n; i++) {
        int32_t q = ember_multiply_by_quantized_multiplier(load_q(in, i, in_type) -
                                                               d->in_zero_point,
                                                           d->mult, d->shift) +
                    d->zero_point;
        store_q(out, i, out_type, q < d->lo ? d->lo : (q > d->hi ? d->hi : q));
    }
}

/* Between 8-bit types every output is a function of the input byte: the table of the
   reference loop's result for each, through the vectorised lookup. */
static void quantize_lut_prepare(ember_context *ctx, ember_node *node, uint8_t in_type,
                                 uint8_t out_type, struct quantize_data *d) {
    d->lut = ember_vlut_qs8_select(ctx);
    if (d->lut == NULL)
        return;
    uint8_t bytes[256];
    for (int v = 0; v < 256; v++)
        bytes[v] = (uint8_t)v;
    ember_quantize_int_ref(bytes, in_type, d->table, out_type, 256, d);
    node->variant = d->lut->name;
}

struct cvt_task {
    const struct quantize_data *d;
    const float *in;
    int8_t *out;
};

static void run_cvt(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)thread;
    const struct cvt_task *t = arg;
    t->d->cvt->quantize(end - begin, t->in + begin, t->out + begin, t->d->scale,
                        t->d->zero_point);
}

/* Each output is computed alone, so the tiling never changes a byte. */
static void quantize_f32_i8_fast(ember_context *ctx, const struct quantize_data *d, size_t n,
                                 const float *in, int8_t *out) {
    const struct cvt_task t = {d, in, out};
    if (ember_elementwise_parallel(ctx, n))
        ember_parallel_1d(ctx, run_cvt, &t, n, ember_elementwise_tile(ctx, n));
    else
        run_cvt(&t, 0, 0, n);
}

static ember_status quantize_eval(ember_context *ctx, const ember_node *node) {
    const struct quantize_data *data = node->data;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (data->cvt != NULL)
        quantize_f32_i8_fast(ctx, data, in->count, in->data, out->data);
    else if (data->lut != NULL)
        ember_vlut_qs8_run(ctx, data->lut->fn, in->count, in->data, out->data, data->table);
    else if (is_integer(in->type))
        ember_quantize_int_ref(in->data, in->type, out->data, out->type, in->count, data);
    else if (out->type == EMBER_TYPE_INT16)
        ember_quantize_f32_i16_ref(in->data, out->data, in->count, data->scale,
                                   data->zero_point);
    else
        ember_quantize_f32_i8_ref(in->data, out->data, in->count, data->scale,
                                  data->zero_point);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_quantize = {
    EMBER_OP_QUANTIZE, "quantize", quantize_check, quantize_prepare, quantize_eval,
};
