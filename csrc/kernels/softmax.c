/* SOFTMAX: y = exp(beta * x - m) / sum(exp(beta * x - m)) along one axis, where m is the
   largest beta * x in the slice, so no exp overflows whatever the logits.
   int8 follows LiteRT's reference kernel in fixed point (docs/int8-arithmetic.md,
   section 6): differences to the slice's max, scaled by beta * s_in into Q5.26, exp in Q0.31,
   a Q12.19 sum, its reciprocal, and outputs of scale 1/256 and zero point -128. */
#include <math.h>

#include "ember_internal.h"
#include "kernels/fixed_point.h"
#include "kernels/quant.h"
#include "kernels/softmax.h"
#include "kernels/unary.h"
#include "threadpool.h"
#include "ukernels/softmax.h"

/* beta * s_in * 2^26 as (mult, left_shift); differences below diff_min give exp 0. */
struct softmax_i8_params {
    int32_t mult, left_shift, diff_min;
};

/* The tensor seen as [outer, n, inner] with the softmax axis in the middle. */
struct softmax_data {
    size_t outer, n, inner;
    float beta;
    struct softmax_i8_params q;
    /* float32 rows (inner == 1) by a microkernel; NULL: the reference loops */
    const ember_softmax_f32_config *uk;
    /* int8 (unless isa_mask is EMBER_ISA_NONE): the reference's exp of every difference
       d = x - max in [-255, 0] at index -d, and its Q12.19 term of the sum (0 where
       d < diff_min), filled at prepare with the reference's own functions */
    bool lut;
    int32_t exp_lut[256], sum_lut[256];
};

ember_status ember_softmax_read_params(ember_context *ctx, const ember_node *node,
                                       const char *op, int32_t *axis, float *beta) {
    if (!ember_fb_i32(&node->params, EMBER_SLOT_SOFTMAX_PARAMS_AXIS, 0, axis))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): axis field is out of bounds", node->index, op);
    return ember_unary_param_f32(ctx, node, op, EMBER_SLOT_SOFTMAX_PARAMS_BETA, 1.0f, "beta",
                                 false, beta);
}

ember_status ember_softmax_check_params(ember_context *ctx, const ember_node *node,
                                        const char *op, float *beta) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    ember_status st =
        in != NULL && in->type == EMBER_TYPE_INT8
            ? ember_unary_check_i8(ctx, node, op, EMBER_OP_PARAMS_SOFTMAX_PARAMS)
            : ember_unary_check(ctx, node, op, EMBER_OP_PARAMS_SOFTMAX_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    int32_t axis;
    if ((st = ember_softmax_read_params(ctx, node, op, &axis, beta)))
        return st;
    if (axis < 0 || (uint32_t)axis >= in->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): axis must be in [0, %u) for a rank-%u input, "
                          "got %" PRId32,
                          node->index, op, (unsigned)in->rank, (unsigned)in->rank, axis);
    return EMBER_STATUS_OK;
}

ember_status ember_softmax_input_scaling_read(ember_context *ctx, const ember_node *node,
                                              const char *op, float beta, int32_t *mult,
                                              int32_t *left_shift, int32_t *diff_min) {
    const float scale = ember_input(ctx, node, 0)->scale;
    if (!ember_softmax_input_scaling((double)beta * (double)scale, mult, left_shift, diff_min))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): int8 needs beta x input scale > 2^-26, got "
                          "beta %g and scale %.9g",
                          node->index, op, (double)beta, (double)scale);
    return EMBER_STATUS_OK;
}

/* LiteRT's int8 rules: per-tensor input and output, the output's scale 1/256 (within 0.1%,
   compared in float32 as LiteRT does) and zero point -128, and beta * s_in * 2^26 > 1 so that
   the multiplier has a non-negative left shift. */
static ember_status softmax_i8_params_read(ember_context *ctx, const ember_node *node,
                                           float beta, struct softmax_i8_params *q) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    ember_status st = EMBER_STATUS_OK;
    if ((st = ember_check_quant_i8(ctx, node, in, "input")) ||
        (st = ember_check_quant_i8(ctx, node, out, "output")))
        return st;
    const float want = 1.0f / 256.0f;
    const float delta = out->scale > want ? out->scale - want : want - out->scale;
    if (out->zero_point != -128 || !(delta <= 0.001f * want))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (softmax): int8 output '%s' must have scale 1/256 "
                          "and zero point -128, got %.9g and %" PRId32,
                          node->index, out->name, (double)out->scale, out->zero_point);
    return ember_softmax_input_scaling_read(ctx, node, "softmax", beta, &q->mult,
                                            &q->left_shift, &q->diff_min);
}

static ember_status softmax_check(ember_context *ctx, const ember_node *node) {
    float beta;
    const ember_status st = ember_softmax_check_params(ctx, node, "softmax", &beta);
    if (st != EMBER_STATUS_OK || ember_input(ctx, node, 0)->type != EMBER_TYPE_INT8)
        return st;
    struct softmax_i8_params q;
    return softmax_i8_params_read(ctx, node, beta, &q);
}

/* Softmax of each contiguous row of n values (inner == 1). */
static void softmax_rows(const struct softmax_data *d, const float *in, float *out) {
    const size_t n = d->n;
    const float beta = d->beta;
    for (size_t o = 0; o < d->outer; o++) {
        const float *x = in + o * n;
        float *y = out + o * n;
        float m = -INFINITY;
        for (size_t j = 0; j < n; j++)
            m = beta * x[j] > m ? beta * x[j] : m;
        float sum = 0.0f;
        for (size_t j = 0; j < n; j++) {
            y[j] = expf(beta * x[j] - m);
            sum += y[j];
        }
        const float inv = 1.0f / sum;
        for (size_t j = 0; j < n; j++)
            y[j] *= inv;
    }
}

/* Softmax along a strided axis: the inner positions are processed side by side, keeping one
   running max and sum per position in scratch, so every pass reads memory in order. */
static void softmax_strided(const struct softmax_data *d, const float *in, float *out,
                            float *scratch) {
    const size_t n = d->n, inner = d->inner;
    const float beta = d->beta;
    float *m = scratch, *sum = scratch + inner;
    for (size_t o = 0; o < d->outer; o++) {
        const float *x = in + o * n * inner;
        float *y = out + o * n * inner;
        for (size_t k = 0; k < inner; k++) {
            m[k] = -INFINITY;
            sum[k] = 0.0f;
        }
        for (size_t j = 0; j < n; j++) {
            const float *xr = x + j * inner;
            for (size_t k = 0; k < inner; k++)
                m[k] = beta * xr[k] > m[k] ? beta * xr[k] : m[k];
        }
        for (size_t j = 0; j < n; j++) {
            const float *xr = x + j * inner;
            float *yr = y + j * inner;
            for (size_t k = 0; k < inner; k++) {
                yr[k] = expf(beta * xr[k] - m[k]);
                sum[k] += yr[k];
            }
        }
        for (size_t k = 0; k < inner; k++)
            sum[k] = 1.0f / sum[k];
        for (size_t j = 0; j < n; j++) {
            float *yr = y + j * inner;
            for (size_t k = 0; k < inner; k++)
                yr[k] *= sum[k];
        }
    }
}

/* In place (out == in) is safe: each pass reads an element before writing the same one. */
static void ember_softmax_f32_ref(const struct softmax_data *d, const float *in, float *out,
                                  float *scratch) {
    if (d->outer == 0 || d->n == 0 || d->inner == 0)
        return;
    if (d->inner == 1)
        softmax_rows(d, in, out);
    else
        softmax_strided(d, in, out, scratch);
}

struct softmax_task {
    ember_softmax_row_fn fn;
    const float *in;
    float *out;
    size_t n;
    float beta;
};

/* Rows [begin, end): each row is one microkernel call whatever thread runs it. */
static void softmax_f32_rows(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)thread;
    const struct softmax_task *t = arg;
    for (size_t r = begin; r < end; r++)
        t->fn(t->in + r * t->n, t->out + r * t->n, t->n, t->beta);
}

/* The rows of SOFTMAX or LOG_SOFTMAX by `fn`, about four tiles of rows per thread. */
void ember_softmax_f32_fast(ember_context *ctx, ember_softmax_row_fn fn, const float *in,
                            float *out, size_t rows, size_t n, float beta) {
    if (rows == 0 || n == 0)
        return;
    const struct softmax_task t = {fn, in, out, n, beta};
    const size_t parts = 4 * ember_thread_count(ctx);
    ember_parallel_1d(ctx, softmax_f32_rows, &t, rows, (rows + parts - 1) / parts);
}

/* The difference d = x - max (<= 0) in Q5.26: d * 2^left_shift fits int32 for every
   d >= diff_min, and the multiplier is < 1 (Q0.31). */
static int32_t scaled_diff(const struct softmax_i8_params *q, int32_t d) {
    return ember_srdhm((int32_t)((int64_t)d * (INT64_C(1) << q->left_shift)), q->mult);
}

/* One slice of n values `stride` apart. Exps are computed twice (for the sum, then for the
   outputs) as LiteRT does, so no scratch is needed; in place is safe since each output is
   written after its input was last read. */
static void softmax_i8_slice(const struct softmax_i8_params *q, const int8_t *x, int8_t *y,
                             size_t n, size_t stride) {
    int32_t max = INT8_MIN;
    for (size_t j = 0; j < n; j++)
        max = x[j * stride] > max ? x[j * stride] : max;
    uint32_t sum = 0; /* Q12.19; wraps like LiteRT's int32 only for depths beyond 4095 */
    for (size_t j = 0; j < n; j++) {
        const int32_t d = x[j * stride] - max;
        if (d >= q->diff_min)
            sum += (uint32_t)ember_rdbpot(
                ember_exp_on_negative_values(scaled_diff(q, d), EMBER_SOFTMAX_DIFF_BITS),
                EMBER_SOFTMAX_SUM_BITS); /* Q0.31 -> Q12.19 */
    }
    /* sum = 2^bits_over_unit * (1 + f) with f in [0, 1): the reciprocal is 1/(1 + f) scaled
       back by 2^-bits_over_unit in the final shift. The max alone gives sum >= 1. */
    int32_t headroom = 0;
    while (headroom < 32 && (sum & (UINT32_C(0x80000000) >> headroom)) == 0)
        headroom++;
    const int32_t bits_over_unit = EMBER_SOFTMAX_SUM_BITS - headroom;
    const uint32_t normalised = headroom < 32 ? sum << headroom : 0u;
    const int32_t recip =
        ember_one_over_one_plus_x((int32_t)(normalised - UINT32_C(0x80000000)));
    /* A Q0.31 probability to 8 fractional bits; clamped for the wrapped-sum case only. */
    int32_t shift = bits_over_unit + 31 - 8;
    shift = shift < 0 ? 0 : (shift > 31 ? 31 : shift);
    for (size_t j = 0; j < n; j++) {
        const int32_t d = x[j * stride] - max;
        int32_t v = INT8_MIN;
        if (d >= q->diff_min) {
            const int32_t e =
                ember_exp_on_negative_values(scaled_diff(q, d), EMBER_SOFTMAX_DIFF_BITS);
            v = ember_rdbpot(ember_srdhm(recip, e), shift) + INT8_MIN;
            v = v > INT8_MAX ? INT8_MAX : (v < INT8_MIN ? INT8_MIN : v);
        }
        y[j * stride] = (int8_t)v;
    }
}

/* softmax_i8_slice with the exps looked up in the tables prepare filled: the same integers,
   so the same bytes. */
static void softmax_i8_slice_lut(const struct softmax_data *d, const int8_t *x, int8_t *y,
                                 size_t n, size_t stride) {
    int32_t max = INT8_MIN;
    for (size_t j = 0; j < n; j++)
        max = x[j * stride] > max ? x[j * stride] : max;
    uint32_t sum = 0;
    for (size_t j = 0; j < n; j++)
        sum += (uint32_t)d->sum_lut[max - x[j * stride]];
    int32_t headroom = 0;
    while (headroom < 32 && (sum & (UINT32_C(0x80000000) >> headroom)) == 0)
        headroom++;
    const int32_t bits_over_unit = EMBER_SOFTMAX_SUM_BITS - headroom;
    const uint32_t normalised = headroom < 32 ? sum << headroom : 0u;
    const int32_t recip =
        ember_one_over_one_plus_x((int32_t)(normalised - UINT32_C(0x80000000)));
    int32_t shift = bits_over_unit + 31 - 8;
    shift = shift < 0 ? 0 : (shift > 31 ? 31 : shift);
    const int32_t last = -d->q.diff_min; /* the largest max - x with an exp */
    for (size_t j = 0; j < n; j++) {
        const int32_t diff = max - x[j * stride];
        int32_t v = INT8_MIN;
        if (diff <= last) {
            v = ember_rdbpot(ember_srdhm(recip, d->exp_lut[diff]), shift) + INT8_MIN;
            v = v > INT8_MAX ? INT8_MAX : (v < INT8_MIN ? INT8_MIN : v);
        }
        y[j * stride] = (int8_t)v;
    }
}

static void softmax_i8_lut(const struct softmax_data *d, const int8_t *in, int8_t *out) {
    for (size_t o = 0; o < d->outer; o++) {
        for (size_t k = 0; k < d->inner; k++) {
            const size_t base = o * d->n * d->inner + k;
            softmax_i8_slice_lut(d, in + base, out + base, d->n, d->inner);
        }
    }
}

/* Fills the exp tables (see softmax_data) unless the reference loop is asked for. */
static void softmax_i8_lut_prepare(ember_context *ctx, ember_node *node, struct softmax_data *d) {
    d->lut = !ember_reference_only(ctx);
    if (!d->lut)
        return;
    for (int32_t diff = 0; diff < 256; diff++) {
        d->exp_lut[diff] = 0;
        d->sum_lut[diff] = 0;
        if (-diff >= d->q.diff_min) {
            d->exp_lut[diff] =
                ember_exp_on_negative_values(scaled_diff(&d->q, -diff), EMBER_SOFTMAX_DIFF_BITS);
            d->sum_lut[diff] = ember_rdbpot(d->exp_lut[diff], EMBER_SOFTMAX_SUM_BITS);
        }
    }
    node->variant = "softmax_qs8_lut";
}

static void ember_softmax_i8_ref(const struct softmax_data *d, const int8_t *in, int8_t *out) {
    for (size_t o = 0; o < d->outer; o++) {
        for (size_t k = 0; k < d->inner; k++) {
            const size_t base = o * d->n * d->inner + k;
            softmax_i8_slice(&d->q, in + base, out + base, d->n, d->inner);
        }
    }
}

static ember_status softmax_prepare(ember_context *ctx, ember_node *node) {
    int32_t axis;
    float beta;
    const ember_status st = ember_softmax_read_params(ctx, node, "softmax", &axis, &beta);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    struct softmax_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    d->outer = d->inner = 1;
    for (uint32_t i = 0; i < in->rank; i++) {
        if (i < (uint32_t)axis)
            d->outer *= (size_t)in->dims[i];
        else if (i > (uint32_t)axis)
            d->inner *= (size_t)in->dims[i];
    }
    d->n = (size_t)in->dims[axis];
    d->beta = beta;
    d->uk = NULL;
    d->lut = false;
    node->data = d;
    if (in->type == EMBER_TYPE_INT8) {
        const ember_status st_i8 = softmax_i8_params_read(ctx, node, beta, &d->q);
        if (st_i8 == EMBER_STATUS_OK)
            softmax_i8_lut_prepare(ctx, node, d);
        return st_i8;
    }
    if (d->inner == 1) {
        d->uk = ember_softmax_f32_select(ctx);
        node->variant = d->uk != NULL ? d->uk->softmax_name : NULL;
    }
    if (d->inner > 1) {
        if (d->inner > SIZE_MAX / (2 * sizeof(float)))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (softmax): %zu positions after the axis need too "
                              "much scratch",
                              node->index, d->inner);
        ember_request_scratch(ctx, 2 * d->inner * sizeof(float));
    }
    return EMBER_STATUS_OK;
}

static ember_status softmax_eval(ember_context *ctx, const ember_node *node) {
    const struct softmax_data *d = node->data;
    if (ember_input(ctx, node, 0)->type == EMBER_TYPE_INT8 && d->lut) {
        softmax_i8_lut(d, ember_input(ctx, node, 0)->data, ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    if (ember_input(ctx, node, 0)->type == EMBER_TYPE_INT8) {
        ember_softmax_i8_ref(node->data, ember_input(ctx, node, 0)->data,
                             ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    if (d->uk != NULL)
        ember_softmax_f32_fast(ctx, d->uk->softmax, ember_input(ctx, node, 0)->data,
                               ember_output(ctx, node, 0)->data, d->outer, d->n, d->beta);
    else
        ember_softmax_f32_ref(d, ember_input(ctx, node, 0)->data,
                              ember_output(ctx, node, 0)->data, ctx->scratch);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_softmax = {
    EMBER_OP_SOFTMAX, "softmax", softmax_check, softmax_prepare, softmax_eval,
};
