/* Quantization rules of the int8 and int16 kernels and what they derive from scales and
   zero points (see quant.h). */
#include <math.h>

#include "kernels/quant.h"

/* zero_point + round(f32(bound / scale)), saturated well outside the int8 range so the
   conversion to int stays defined for tiny scales. */
static int32_t quantize_bound(float bound, const ember_tensor *out) {
    float q = roundf(bound / out->scale);
    if (q > 65536.0f)
        q = 65536.0f;
    if (q < -65536.0f)
        q = -65536.0f;
    return out->zero_point + (int32_t)q;
}

/* [*qlo, *qhi] within [qmin, qmax]: each finite real bound quantized as quantize_bound. */
static void clamp_range(const ember_tensor *out, float lo, float hi, int32_t qmin, int32_t qmax,
                        int32_t *qlo, int32_t *qhi) {
    *qlo = qmin;
    *qhi = qmax;
    if (isfinite(lo) && quantize_bound(lo, out) > *qlo)
        *qlo = quantize_bound(lo, out);
    if (isfinite(hi) && quantize_bound(hi, out) < *qhi)
        *qhi = quantize_bound(hi, out);
}

void ember_clamp_range_i8(const ember_tensor *out, float lo, float hi, int32_t *qlo,
                          int32_t *qhi) {
    clamp_range(out, lo, hi, -128, 127, qlo, qhi);
}

/* The fused activation's real range on `out`'s stored values, within [qmin, qmax]. */
static ember_status activation_range_q(ember_context *ctx, const ember_node *n, uint8_t act,
                                       const ember_tensor *out, int32_t qmin, int32_t qmax,
                                       int32_t *lo, int32_t *hi) {
    float flo = 0.0f, fhi = 0.0f;
    ember_status st = ember_activation_range(ctx, n, act, &flo, &fhi);
    if (st != EMBER_STATUS_OK)
        return st;
    clamp_range(out, flo, fhi, qmin, qmax, lo, hi);
    return EMBER_STATUS_OK;
}

ember_status ember_activation_range_i8(ember_context *ctx, const ember_node *n, uint8_t act,
                                       const ember_tensor *out, int32_t *lo, int32_t *hi) {
    return activation_range_q(ctx, n, act, out, -128, 127, lo, hi);
}

ember_status ember_activation_range_i16(ember_context *ctx, const ember_node *n, uint8_t act,
                                        const ember_tensor *out, int32_t *lo, int32_t *hi) {
    return activation_range_q(ctx, n, act, out, INT16_MIN, INT16_MAX, lo, hi);
}

void ember_requant_i8_init(const ember_tensor *in, const ember_tensor *out, float real_lo,
                           float real_hi, ember_requant_i8 *p) {
    const float ratio = in->scale / out->scale; /* float32, as LiteRT computes it */
    ember_quantize_multiplier((double)ratio, &p->mult, &p->shift);
    p->in_zp = in->zero_point;
    p->out_zp = out->zero_point;
    ember_clamp_range_i8(out, real_lo, real_hi, &p->lo, &p->hi);
}

float ember_quant_scale(const ember_tensor *t, uint32_t channel) {
    return t->quant_count > 1 ? ember_fb_vector_f32(&t->quant_scales, channel) : t->scale;
}

static const char *op_name(const ember_node *n) {
    return n->kernel != NULL ? n->kernel->name : "unknown op";
}

/* Per-tensor quantization: exactly one scale and zero point. */
static ember_status one_scale(ember_context *ctx, const ember_node *n, const ember_tensor *t,
                              const char *type, const char *what) {
    if (t->quant_count != 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): %s %s '%s' needs one scale and zero point, "
                          "got %" PRIu32,
                          n->index, op_name(n), type, what, t->name, t->quant_count);
    return EMBER_STATUS_OK;
}

ember_status ember_check_quant_i8(ember_context *ctx, const ember_node *n, const ember_tensor *t,
                                  const char *what) {
    const ember_status st = one_scale(ctx, n, t, "int8", what);
    if (st != EMBER_STATUS_OK)
        return st;
    if (t->zero_point < -128 || t->zero_point > 127)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): int8 %s '%s' zero point must be in "
                          "[-128, 127], got %" PRId32,
                          n->index, op_name(n), what, t->name, t->zero_point);
    return EMBER_STATUS_OK;
}

ember_status ember_check_quant_i16(ember_context *ctx, const ember_node *n,
                                   const ember_tensor *t, const char *what) {
    const ember_status st = one_scale(ctx, n, t, "int16", what);
    if (st != EMBER_STATUS_OK)
        return st;
    if (t->zero_point != 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): int16 %s '%s' zero point must be 0 "
                          "(symmetric), got %" PRId32,
                          n->index, op_name(n), what, t->name, t->zero_point);
    return EMBER_STATUS_OK;
}

/* Symmetric tensors (weights, 16x8 bias): every zero point 0; `kind` names the tensor's role. */
static ember_status zero_points_zero(ember_context *ctx, const ember_node *n, const ember_tensor *t,
                                     const char *kind) {
    for (uint32_t c = 0; c < t->quant_count; c++) {
        const int64_t zp = ember_fb_vector_i64(&t->quant_zero_points, c);
        if (zp != 0)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): %s '%s' zero point %" PRIu32 " must be 0, "
                              "got %lld",
                              n->index, op_name(n), kind, t->name, c, (long long)zp);
    }
    return EMBER_STATUS_OK;
}

ember_status ember_check_quant_weights(ember_context *ctx, const ember_node *n,
                                       const ember_tensor *w, uint32_t axis, int32_t channels) {
    const bool per_channel = w->quant_count > 1;
    if (w->quant_count == 0 ||
        (per_channel && ((int64_t)w->quant_count != channels || w->quant_axis != (int32_t)axis)))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): int8 weights '%s' need 1 scale or %" PRId32 " "
                          "scales on axis %" PRIu32 ", got %" PRIu32 " on axis %" PRId32,
                          n->index, op_name(n), w->name, channels, axis, w->quant_count,
                          w->quant_axis);
    return zero_points_zero(ctx, n, w, "int8 weights");
}

ember_status ember_check_quant_bias(ember_context *ctx, const ember_node *n,
                                    const ember_tensor *bias, const ember_tensor *in,
                                    const ember_tensor *w, int32_t channels) {
    if (bias->quant_count == 0)
        return EMBER_STATUS_OK;
    if (bias->quant_count != 1 && (int64_t)bias->quant_count != channels)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): int32 bias '%s' needs 1 or %" PRId32 " scales, "
                          "got %" PRIu32,
                          n->index, op_name(n), bias->name, channels, bias->quant_count);
    for (uint32_t c = 0; c < bias->quant_count; c++) {
        const int64_t zp = ember_fb_vector_i64(&bias->quant_zero_points, c);
        const double got = ember_quant_scale(bias, c);
        /* A single bias scale must fit every channel's weight scale. */
        for (uint32_t k = bias->quant_count > 1 ? c : 0;
             k < (bias->quant_count > 1 ? c + 1 : (uint32_t)channels); k++) {
            const double want = (double)in->scale * (double)ember_quant_scale(w, k);
            if (zp != 0 || fabs(got - want) > 1e-6 * fmin(got, want))
                return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                                  "node %" PRIu32 " (%s): int32 bias '%s' channel %" PRIu32 " "
                                  "must have zero point 0 and scale input x weight scale = "
                                  "%.9g, got zero point %lld, scale %.9g",
                                  n->index, op_name(n), bias->name, k, want, (long long)zp, got);
        }
    }
    return EMBER_STATUS_OK;
}

ember_status ember_check_quant_bias_i64(ember_context *ctx, const ember_node *n,
                                        const ember_tensor *bias) {
    return zero_points_zero(ctx, n, bias, "int64 bias");
}

ember_status ember_channel_multipliers(ember_context *ctx, const ember_node *n,
                                       const ember_tensor *in, const ember_tensor *w,
                                       const ember_tensor *out, int32_t channels, int32_t **m,
                                       int32_t **shift) {
    *m = ember_alloc(ctx, (size_t)channels * sizeof(int32_t));
    *shift = ember_alloc(ctx, (size_t)channels * sizeof(int32_t));
    if (*m == NULL || *shift == NULL)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY, "node %" PRIu32 " (%s): out of memory",
                          n->index, op_name(n));
    for (int32_t c = 0; c < channels; c++) {
        const double real = (double)in->scale * (double)ember_quant_scale(w, (uint32_t)c) /
                            (double)out->scale;
        ember_quantize_multiplier(real, &(*m)[c], &(*shift)[c]);
    }
    return EMBER_STATUS_OK;
}

ember_status ember_channel_multipliers_i16(ember_context *ctx, const ember_node *n,
                                           const ember_tensor *in, const ember_tensor *w,
                                           const ember_tensor *out, int32_t channels,
                                           int32_t **m, int32_t **shift) {
    ember_status st = ember_channel_multipliers(ctx, n, in, w, out, channels, m, shift);
    for (int32_t c = 0; st == EMBER_STATUS_OK && c < channels; c++) {
        if ((*shift)[c] > 14)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): channel %" PRId32 " requantization "
                              "multiplier input x weight / output scale = %.9g must be < 2^14",
                              n->index, op_name(n), c,
                              (double)in->scale * (double)ember_quant_scale(w, (uint32_t)c) /
                                  (double)out->scale);
    }
    return st;
}

ember_status ember_check_same_quant(ember_context *ctx, const ember_node *n,
                                    const ember_tensor *in, const ember_tensor *out) {
    const bool quantized = in->type == EMBER_TYPE_INT8 || in->type == EMBER_TYPE_INT16 ||
                           out->type == EMBER_TYPE_INT8 || out->type == EMBER_TYPE_INT16;
    if (!quantized)
        return EMBER_STATUS_OK;
    bool same = in->quant_count == out->quant_count && in->quant_axis == out->quant_axis;
    for (uint32_t q = 0; same && q < in->quant_count; q++)
        same = ember_fb_vector_f32(&in->quant_scales, q) ==
                   ember_fb_vector_f32(&out->quant_scales, q) &&
               ember_fb_vector_i64(&in->quant_zero_points, q) ==
                   ember_fb_vector_i64(&out->quant_zero_points, q);
    if (!same)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): quantized '%s' and '%s' must have the same "
                          "scale and "
                          "zero point (the op does not requantize), got %.9g/%" PRId32 " and "
                          "%.9g/%" PRId32,
                          n->index, op_name(n), in->name, out->name, (double)in->scale,
                          in->zero_point, (double)out->scale, out->zero_point);
    return EMBER_STATUS_OK;
}

