/* FULLY_CONNECTED: input [..., K] (any rank >= 1, read as M rows of K), weights [N, K],
   optional bias [N], output [..., N] with the input's leading dims; y = x W^T + b, then the
   fused activation. */
#include <math.h>

#include "kernels/fully_connected.h"
#include "kernels/conv16x8.h"
#include "kernels/hybrid_gemm.h"
#include "kernels/quant.h"
#include "kernels/vec_f32.h"
#include "kernels/shape_rules.h"

/* The quantization rules of a 16x8 node: int16 input and output with zero point 0, int8
   weights with one scale or one per unit, an int64 bias with zero points 0. */
static ember_status fully_connected_quant_i16(ember_context *ctx, const ember_node *node,
                                              uint8_t act, struct fully_connected_data *d) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *bias = ember_input(ctx, node, 2);
    const ember_tensor *out = ember_output(ctx, node, 0);
    ember_status st = EMBER_STATUS_OK;
    if ((st = ember_check_quant_i16(ctx, node, in, "input")) ||
        (st = ember_check_quant_i16(ctx, node, out, "output")) ||
        (st = ember_check_quant_weights(ctx, node, ember_input(ctx, node, 1), 0,
                                        (int32_t)d->units)) ||
        (bias && (st = ember_check_quant_bias_i64(ctx, node, bias))) ||
        (st = ember_activation_range_i16(ctx, node, act, out, &d->q_min, &d->q_max)))
        return st;
    d->in_zp = d->out_zp = 0;
    return EMBER_STATUS_OK;
}

/* Reads and validates params and tensors into `d`; shared by check and prepare. */
static ember_status fully_connected_read(ember_context *ctx, const ember_node *node,
                                         struct fully_connected_data *d) {
    ember_status st = ember_check_arity(ctx, node, 2, 3, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_FULLY_CONNECTED_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    uint8_t act = 0;
    if (!ember_fb_u8(&node->params, EMBER_SLOT_FULLY_CONNECTED_PARAMS_ACTIVATION,
                     EMBER_FUSED_ACTIVATION_NONE, &act))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (fully_connected): params out of bounds", node->index);
    st = ember_epilogue_f32_read(ctx, node, act, &d->epilogue);
    if (st != EMBER_STATUS_OK)
        return st;
    d->act_lo = d->epilogue.lo;
    d->act_hi = d->epilogue.hi;

    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *weights = ember_input(ctx, node, 1);
    const ember_tensor *bias = ember_input(ctx, node, 2);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (in == NULL || weights == NULL)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (fully_connected): input and weights are required",
                          node->index);
    d->is_i8 = in->type == EMBER_TYPE_INT8;
    d->is_i16 = in->type == EMBER_TYPE_INT16;
    const uint8_t type = d->is_i8 || d->is_i16 ? in->type : EMBER_TYPE_FLOAT32;
    const bool hybrid = ember_hybrid_is(in, weights);
    const uint8_t weights_type = d->is_i16 || hybrid ? EMBER_TYPE_INT8 : type;
    const uint8_t bias_type = d->is_i8    ? EMBER_TYPE_INT32
                              : d->is_i16 ? EMBER_TYPE_INT64
                                          : EMBER_TYPE_FLOAT32;
    if ((st = ember_check_type(ctx, node, in, type, "input")) ||
        (st = ember_check_type(ctx, node, weights, weights_type, "weights")) ||
        (bias && (st = ember_check_type(ctx, node, bias, bias_type, "bias"))) ||
        (st = ember_check_type(ctx, node, out, type, "output")) ||
        (st = ember_check_rank(ctx, node, weights, 2, "weights")) ||
        (bias && (st = ember_check_rank(ctx, node, bias, 1, "bias"))))
        return st;
    if (in->rank < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (fully_connected): input must have rank >= 1, got 0",
                          node->index);

    const int32_t depth = in->dims[in->rank - 1];
    const int32_t units = weights->dims[0];
    if (depth < 1 || units < 1 || weights->dims[1] != depth)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (fully_connected): weights must be [N,%" PRId32 "] "
                          "with N >= 1 and K >= 1, got [%" PRId32 ",%" PRId32 "]",
                          node->index, depth, units, weights->dims[1]);
    if (bias && bias->dims[0] != units)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (fully_connected): bias must have %" PRId32 " "
                          "elements, got %" PRId32,
                          node->index, units, bias->dims[0]);
    bool same_lead = out->rank == in->rank && out->dims[out->rank - 1] == units;
    for (uint32_t i = 0; same_lead && i + 1 < in->rank; i++)
        same_lead = out->dims[i] == in->dims[i];
    if (!same_lead)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (fully_connected): output must be the input's shape "
                          "with the last dim %" PRId32 " replaced by %" PRId32 " (rank %u), got "
                          "rank %u, last dim %" PRId32,
                          node->index, depth, units, (unsigned)in->rank, (unsigned)out->rank,
                          out->rank > 0 ? out->dims[out->rank - 1] : 0);
    d->depth = (size_t)depth;
    d->units = (size_t)units;
    d->rows = in->count / d->depth;
    if (d->is_i16)
        return fully_connected_quant_i16(ctx, node, act, d);
    if (hybrid)
        return ember_hybrid_check_weights(ctx, node, "fully_connected", weights, 0, units);
    if (!d->is_i8)
        return EMBER_STATUS_OK;
    if ((st = ember_check_quant_i8(ctx, node, in, "input")) ||
        (st = ember_check_quant_i8(ctx, node, out, "output")) ||
        (st = ember_check_quant_weights(ctx, node, weights, 0, units)) ||
        (bias && (st = ember_check_quant_bias(ctx, node, bias, in, weights, units))) ||
        (st = ember_activation_range_i8(ctx, node, act, out, &d->q_min, &d->q_max)))
        return st;
    d->in_zp = in->zero_point;
    d->out_zp = out->zero_point;
    return EMBER_STATUS_OK;
}

ember_status ember_shape_fully_connected(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0), *weights = ember_input(ctx, node, 1);
    if (in == NULL || weights == NULL || in->rank < 1 || weights->rank != 2 ||
        node->output_count < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (fully_connected): needs an input and 2-D weights",
                          node->index);
    int32_t dims[EMBER_MAX_RANK];
    for (uint32_t d = 0; d + 1 < in->rank; d++)
        dims[d] = in->dims[d];
    dims[in->rank - 1] = weights->dims[0];
    return ember_set_shape(ctx, node, ember_output(ctx, node, 0), in->rank, dims);
}

static ember_status fully_connected_check(ember_context *ctx, const ember_node *node) {
    struct fully_connected_data d;
    return fully_connected_read(ctx, node, &d);
}

static void ember_fully_connected_f32_ref(const struct fully_connected_data *d,
                                          const float *input, const float *weights,
                                          const float *bias, float *output) {
    for (size_t m = 0; m < d->rows; m++) {
        const float *x = input + m * d->depth;
        float *y = output + m * d->units;
        for (size_t n = 0; n < d->units; n++) {
            float acc = bias ? bias[n] : 0.0f;
            acc += vec_f32_dot(x, weights + n * d->depth, d->depth);
            y[n] = ember_epilogue_f32_ref(&d->epilogue, acc);
        }
    }
}

/* LiteRT's reference int8 fully connected (since 2025): the int32 sum of weights x (input -
   zero point) plus bias is requantized in double, acc x real multiplier rounded half away from
   zero, not with the fixed-point multiplier the other int8 ops use. The sum wraps. */
static void ember_fully_connected_i8_ref(const struct fully_connected_data *d,
                                         const int8_t *input, const int8_t *weights,
                                         const int32_t *bias, int8_t *output) {
    for (size_t m = 0; m < d->rows; m++) {
        const int8_t *x = input + m * d->depth;
        int8_t *y = output + m * d->units;
        for (size_t n = 0; n < d->units; n++) {
            const int8_t *w = weights + n * d->depth;
            uint32_t acc = bias ? (uint32_t)bias[n] : 0u;
            for (size_t k = 0; k < d->depth; k++)
                acc += (uint32_t)(w[k] * (x[k] - d->in_zp));
            y[n] = fully_connected_requantize_i8(d, acc, n);
        }
    }
}

/* LiteRT's reference 16x8 fully connected: the int8 kernel's double requantization of an
   int64 sum of weights x int16 input (zero point 0) plus the int64 bias. The sum wraps; sums
   past 2^53 (never reached by real models) round in the conversion to double. */
static void ember_fully_connected_i16_ref(const struct fully_connected_data *d,
                                          const int16_t *input, const int8_t *weights,
                                          const int64_t *bias, int16_t *output) {
    for (size_t m = 0; m < d->rows; m++) {
        const int16_t *x = input + m * d->depth;
        int16_t *y = output + m * d->units;
        for (size_t n = 0; n < d->units; n++) {
            const int8_t *w = weights + n * d->depth;
            uint64_t acc = bias ? (uint64_t)bias[n] : 0u;
            for (size_t k = 0; k < d->depth; k++)
                acc += (uint64_t)(int64_t)(w[k] * x[k]);
            double v = round((double)(int64_t)acc * d->scale[n]);
            v = v < -65536.0 ? -65536.0 : v > 65536.0 ? 65536.0 : v;
            int32_t q = (int32_t)v;
            q = ember_clamp_i32(q, d->q_min, d->q_max);
            y[n] = (int16_t)q;
        }
    }
}

/* float32 with constant weights and bias: the weights packed for the GEMM microkernels, which
   run on the input's rows as they are. Else the reference. */
static ember_status fully_connected_f32_prepare(ember_context *ctx, ember_node *node,
                                                struct fully_connected_data *d) {
    const ember_tensor *weights = ember_input(ctx, node, 1);
    const ember_tensor *bias = ember_input(ctx, node, 2);
    const ember_gemm_f32_config *cfg = ember_gemm_f32_select(ctx);
    if (cfg == NULL || !weights->is_constant || weights->data == NULL ||
        (bias && (!bias->is_constant || bias->data == NULL)))
        return EMBER_STATUS_OK;
    if (d->epilogue.fn != EMBER_FUSED_ACTIVATION_NONE) {
        if (!ember_epilogue_f32_select(ctx, &d->epilogue))
            return EMBER_STATUS_OK;
        d->gemm.epilogue = &d->epilogue; /* clamp is +-inf for SILU, HARD_SWISH */
    }
    d->gemm.cfg = cfg;
    ember_status st = conv_gemm_pack_nk(ctx, node, "fully_connected", &d->gemm, d->rows,
                                        d->units, d->depth, weights->data,
                                        bias ? bias->data : NULL, d->act_lo, d->act_hi);
    if (st == EMBER_STATUS_OK)
        conv_gemm_name(node, &d->gemm);
    return st;
}

/* The int8 GEMM's sums of one row, requantized as the reference does (in double). */
static void fully_connected_finish_i8(const void *arg, const int32_t *acc, size_t row,
                                      size_t j, size_t nc, int8_t *out) {
    (void)row;
    for (size_t n = 0; n < nc; n++)
        out[n] = fully_connected_requantize_i8(arg, (uint32_t)acc[n], j + n);
}

/* int8 with constant weights and bias: the weights packed for the int8 GEMM microkernels (the
   input zero point in the bias), which run on the input's rows as they are and give their
   int32 sums to fully_connected_finish_i8. Else the reference. */
static ember_status fully_connected_i8_prepare(ember_context *ctx, ember_node *node,
                                               struct fully_connected_data *d) {
    const ember_tensor *weights = ember_input(ctx, node, 1);
    const ember_tensor *bias = ember_input(ctx, node, 2);
    const ember_gemm_qs8_config *cfg =
        ember_reference_only(ctx) ? NULL : ember_gemm_qs8_select(ctx);
    if (cfg == NULL || !weights->is_constant || weights->data == NULL ||
        (bias && (!bias->is_constant || bias->data == NULL)))
        return EMBER_STATUS_OK;
    struct conv_gemm_qs8 *g = &d->qgemm;
    conv_gemm_qs8_init(g, cfg, d->rows, d->units, d->depth, d->in_zp, d->out_zp, d->q_min,
                       d->q_max);
    conv_gemm_qs8_finish(g, fully_connected_finish_i8, d);
    ember_status st = conv_gemm_qs8_pack(ctx, node, "fully_connected", g, weights->data,
                                         bias ? bias->data : NULL, NULL, NULL);
    if (st == EMBER_STATUS_OK)
        conv_gemm_qs8_name(node, g);
    return st;
}

/* The in-place microkernels' requantization of unit n's sum: the reference's. */
static int8_t fully_connected_requant_mcu(const void *arg, uint32_t sum, size_t n) {
    return fully_connected_requantize_i8(arg, sum, n);
}

#if EMBER_HAVE_MVE || EMBER_HAVE_ARMDSP
/* int8 on Cortex-M: the in-place kernel of the best ISA built in (ukernels/conv_qs8_inplace.h:
   the weights read where the model keeps them, no scratch), which hands its sums to
   fully_connected_requant_mcu. */
static void fully_connected_i8_mcu_select(ember_context *ctx, ember_node *node,
                                          struct fully_connected_data *d) {
    const ember_conv_qs8_inplace_config *cfg = ember_fc_qs8_inplace_select(ctx);
    if (cfg != NULL) {
        d->mcu = cfg->fc;
        node->variant = cfg->fc_name;
    }
}
#endif

/* float32 input, int8 weights: dynamic range computing in int8 (kernels/hybrid_gemm.c, on the
   microkernels of ember_hybrid_qs8_select() and the int8 GEMM's gemm_i32). */
static ember_status fully_connected_hybrid_prepare(ember_context *ctx, ember_node *node,
                                                   struct fully_connected_data *d) {
    const struct ember_hybrid_shape s = {
        NULL, 0, 0, 0, 0, 0, 0, 0, 0, d->rows, d->units, d->depth, d->epilogue.fn,
        d->epilogue.lo, d->epilogue.hi, false, 1};
    return ember_hybrid_prepare(ctx, node, "fully_connected", &s, ember_input(ctx, node, 1),
                                ember_input(ctx, node, 2), &d->hybrid);
}

static ember_status fully_connected_prepare(ember_context *ctx, ember_node *node) {
    struct fully_connected_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "node %" PRIu32 " (fully_connected): out of memory", node->index);
    node->data = d;
    ember_status st = fully_connected_read(ctx, node, d);
    if (st != EMBER_STATUS_OK)
        return st;
    if (EMBER_HAS_FLOAT_KERNELS &&
        ember_hybrid_is(ember_input(ctx, node, 0), ember_input(ctx, node, 1)))
        return fully_connected_hybrid_prepare(ctx, node, d);
    if (EMBER_HAS_FLOAT_KERNELS && !d->is_i8 && !d->is_i16)
        return fully_connected_f32_prepare(ctx, node, d);
    if (!d->is_i8 && !(EMBER_HAS_INT16_KERNELS && d->is_i16))
        return ember_unsupported_types(ctx, node);
    d->scale = ember_alloc(ctx, d->units * sizeof(double));
    if (d->scale == NULL)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "node %" PRIu32 " (fully_connected): out of memory", node->index);
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *weights = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    for (size_t n = 0; n < d->units; n++)
        d->scale[n] = (double)in->scale * (double)ember_quant_scale(weights, (uint32_t)n) /
                      (double)out->scale;
    if (EMBER_HAS_INT16_KERNELS && d->is_i16)
        return conv16x8_fully_connected_prepare(
            ctx, node, ember_gemm_qs16x8_select(ctx),
            &(struct conv16x8_fc){d->rows, d->depth, d->units, d->scale, d->q_min, d->q_max},
            &d->fast16);
#if EMBER_HAVE_MVE || EMBER_HAVE_ARMDSP
    fully_connected_i8_mcu_select(ctx, node, d);
    if (d->mcu != NULL)
        return EMBER_STATUS_OK;
#endif
    return fully_connected_i8_prepare(ctx, node, d);
}

static ember_status fully_connected_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *bias = ember_input(ctx, node, 2);
    const struct fully_connected_data *d = node->data;
    if (EMBER_HAS_INT16_KERNELS && d->is_i16 && d->fast16 != NULL) {
        conv16x8_run(ctx, d->fast16, ember_input(ctx, node, 0)->data,
                     ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    if (EMBER_HAS_INT16_KERNELS && d->is_i16) {
        ember_fully_connected_i16_ref(d, ember_input(ctx, node, 0)->data,
                                      ember_input(ctx, node, 1)->data, bias ? bias->data : NULL,
                                      ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    if (d->is_i8 && d->mcu != NULL) {
        const ember_fc_qs8_args a = {d->rows, d->depth, d->units, d->in_zp,
                                     fully_connected_requant_mcu, d};
        d->mcu(&a, ember_input(ctx, node, 0)->data, ember_input(ctx, node, 1)->data,
               bias ? bias->data : NULL, ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    if (d->is_i8 && EMBER_PACKED_KERNELS && d->qgemm.cfg != NULL) {
        conv_gemm_qs8_run(ctx, &d->qgemm, ember_input(ctx, node, 0)->data,
                          ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    if (d->is_i8 || !EMBER_HAS_FLOAT_KERNELS) {
        ember_fully_connected_i8_ref(d, ember_input(ctx, node, 0)->data,
                                     ember_input(ctx, node, 1)->data, bias ? bias->data : NULL,
                                     ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    if (EMBER_PACKED_KERNELS && d->hybrid != NULL) {
        ember_hybrid_run(ctx, d->hybrid, ember_input(ctx, node, 0)->data, NULL,
                         ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    if (EMBER_PACKED_KERNELS && d->gemm.cfg != NULL) {
        conv_gemm_run(ctx, &d->gemm, ember_input(ctx, node, 0)->data,
                      ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    ember_fully_connected_f32_ref(node->data, ember_input(ctx, node, 0)->data,
                                  ember_input(ctx, node, 1)->data, bias ? bias->data : NULL,
                                  ember_output(ctx, node, 0)->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_fully_connected = {
    EMBER_OP_FULLY_CONNECTED, "fully_connected", fully_connected_check,
    fully_connected_prepare, fully_connected_eval,
};
