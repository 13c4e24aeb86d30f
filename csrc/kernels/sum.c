/* SUM over a set of axes, float32 (accumulated in a double scratch buffer) or int8; the axes
   walk is shared with MEAN (reduce.h). int8 follows LiteRT's SUM kernel: with the input and
   output quantized alike it adds the stored values in int8 (wrapping, as its int8 reducer
   does); otherwise it rescales the int32 sum S of stored values in float32:
   out = clamp(round(S * r + b) + zp_out) with r = f32(s_in / s_out), b = f32(-zp_in * r) * n
   and round half away from zero. (LiteRT 2.3's BUILTIN_REF int8 SUM gives values unrelated to
   its input, seemingly from an unfilled buffer; this matches its builtin kernel without
   delegates bit for bit.) Node data: sum_data. */
#include <math.h>

#include "ember_internal.h"
#include "kernels/quant.h"
#include "kernels/reduce.h"

struct sum_data {
    ember_reduce_plan plan;
    bool same_quant; /* int8 with in and out quantized alike: a wrapping int8 sum */
    float scale;     /* int8: f32(s_in / s_out) */
    float bias;      /* int8: f32(f32(-zp_in * scale) * n) */
    int32_t out_zp;
};

static ember_status sum_check(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (in == NULL || in->type != EMBER_TYPE_INT8)
        return ember_reduce_check(ctx, node, "sum", EMBER_TYPE_FLOAT32);
    ember_status st = ember_reduce_check(ctx, node, "sum", EMBER_TYPE_INT8);
    if (st == EMBER_STATUS_OK)
        st = ember_check_quant_i8(ctx, node, in, "input");
    if (st == EMBER_STATUS_OK)
        st = ember_check_quant_i8(ctx, node, ember_output(ctx, node, 0), "output");
    return st;
}

static void ember_sum_f32_ref(const ember_reduce_plan *d, const float *in, float *out,
                              double *acc) {
    ember_reduce_sum_f32(d, in, acc);
    for (size_t i = 0; i < d->out_count; i++)
        out[i] = (float)acc[i];
}

static void ember_sum_i8_ref(const struct sum_data *d, const int8_t *in, int8_t *out,
                             int32_t *acc) {
    ember_reduce_sum_i8(&d->plan, in, acc);
    for (size_t i = 0; i < d->plan.out_count; i++) {
        if (d->same_quant) {
            out[i] = (int8_t)(uint8_t)(uint32_t)acc[i]; /* the int8 sum wraps mod 256 */
            continue;
        }
        /* float32 throughout, as LiteRT; bounded before the int conversion */
        float r = roundf((float)acc[i] * d->scale + d->bias);
        r = r > 512.0f ? 512.0f : r < -512.0f ? -512.0f : r;
        const int32_t v = (int32_t)r + d->out_zp;
        out[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
}

static bool same_quant(const ember_tensor *a, const ember_tensor *b) {
    return a->scale == b->scale && a->zero_point == b->zero_point;
}

static ember_status sum_prepare(ember_context *ctx, ember_node *node) {
    struct sum_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    const ember_status st = ember_reduce_plan_init(ctx, node, "sum", &d->plan);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (in->type == EMBER_TYPE_INT8) {
        d->same_quant = same_quant(in, out);
        d->scale = in->scale / out->scale;
        const float zp_scaled = (float)(-in->zero_point) * d->scale;
        d->bias = zp_scaled * (float)d->plan.reduce_count;
        d->out_zp = out->zero_point;
        /* A subnormal output scale makes the ratio infinite and the sums NaN, which no int8
           conversion can take. */
        if (!isfinite(d->scale) || !isfinite(d->bias))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (sum): int8 input scale %g / output scale %g "
                              "is not a finite number",
                              node->index, (double)in->scale, (double)out->scale);
    }
    if (d->plan.out_count > SIZE_MAX / sizeof(double))
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "node %" PRIu32 " (sum): %zu outputs need too much scratch", node->index,
                          d->plan.out_count);
    ember_request_scratch(ctx, d->plan.out_count * sizeof(double));
    return EMBER_STATUS_OK;
}

static ember_status sum_eval(ember_context *ctx, const ember_node *node) {
    const struct sum_data *d = node->data;
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (in->type == EMBER_TYPE_INT8) {
        ember_sum_i8_ref(d, in->data, ember_output(ctx, node, 0)->data, ctx->scratch);
        return EMBER_STATUS_OK;
    }
    ember_reduce_plan runtime; /* run-time axes (float32 only) */
    const ember_reduce_plan *plan;
    const ember_status st = ember_reduce_eval_plan(ctx, node, "sum", &d->plan, &runtime, &plan);
    if (st == EMBER_STATUS_OK)
        ember_sum_f32_ref(plan, in->data, ember_output(ctx, node, 0)->data, ctx->scratch);
    return st;
}

const ember_kernel ember_kernel_sum = {
    EMBER_OP_SUM, "sum", sum_check, sum_prepare, sum_eval,
};
