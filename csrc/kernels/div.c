/* DIV: out = a / b with numpy broadcasting and an optional fused activation.
   Node data: ember_binary_data (broadcast.h), shared with the other binary ops, or for int8
   div_i8_data. LiteRT's reference int8 DIV divides the zero-point-corrected inputs in fixed
   point: the divisor's reciprocal in Q0.31, the dividend normalised to use all 31 bits, one
   requantization by f32(s_a / f32(s_b * s_out)) (a float32 ratio, as LiteRT computes it) and
   one rounding shift that also undoes both normalisations. A divisor equal to its zero point
   (real 0) fails the invoke, as in LiteRT.
   Plain integers (int8 to uint64, no activation) divide as ONNX's integer Div does in ONNX Runtime, by
   C's `/`: the quotient truncated toward zero (-7 / 2 = -3, 7 / -2 = -3; numpy's // floors to
   -4 and its / gives floats). ONNX Runtime traps on a zero divisor and on INT_MIN / -1; here
   x / 0 is 0 and INT_MIN / -1 wraps to INT_MIN (-x modulo 2^32 / 2^64), so the invoke never
   fails on data. */
#include "ember_internal.h"
#include "kernels/broadcast.h"
#include "kernels/fixed_point.h"
#include "kernels/quant.h"

struct div_i8_data {
    ember_broadcast bc;
    size_t b_count; /* elements of input 1, all checked for a zero divisor */
    ember_binary_i8_params q;
};

/* The final shift of an element is 23..38 - shift (see div_i8), so shift in [-25, 23] keeps
   it within [0, 63]; outside that the ratio is absurd and LiteRT's shifts are undefined. */
static ember_status div_i8_params_read(ember_context *ctx, const ember_node *node,
                                       ember_binary_i8_params *q) {
    const ember_status st = ember_binary_i8_params_read(ctx, node, "div", q);
    if (st != EMBER_STATUS_OK)
        return st;
    /* Each float32 operation rounds to float32 on its own, as in LiteRT's C++. */
    const float denominator = ember_input(ctx, node, 1)->scale * ember_output(ctx, node, 0)->scale;
    const float ratio = ember_input(ctx, node, 0)->scale / denominator;
    ember_quantize_multiplier((double)ratio, &q->mult, &q->shift);
    if (q->mult == 0 || q->shift < -25 || q->shift > 23)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (div): int8 needs input 0 scale / (input 1 scale x "
                          "output scale) in [2^-26, 2^23), got %g",
                          node->index, (double)ratio);
    return EMBER_STATUS_OK;
}

static ember_status div_check(ember_context *ctx, const ember_node *node) {
    if (ember_binary_is_int(ctx, node))
        return ember_binary_check_int(ctx, node, "div");
    const ember_tensor *a = ember_input(ctx, node, 0);
    if (a == NULL || a->type != EMBER_TYPE_INT8)
        return ember_binary_check(ctx, node, "div");
    ember_binary_i8_params q;
    ember_status st = ember_binary_check_type(ctx, node, "div", EMBER_TYPE_INT8);
    return st != EMBER_STATUS_OK ? st : div_i8_params_read(ctx, node, &q);
}

/* Steps are 0 or 1, and 0 on both sides only for a one-element row, so a zero step on one
   side means the other side runs contiguously; each case is a plain vectorisable loop. */
static void div_row(float *out, const float *a, size_t a_step, const float *b, size_t b_step,
                    size_t n, float lo, float hi) {
    if (a_step == 0) {
        const float x = a[0];
        for (size_t i = 0; i < n; i++)
            out[i] = ember_clamp_f32(x / b[i], lo, hi);
    } else if (b_step == 0) {
        const float y = b[0];
        for (size_t i = 0; i < n; i++)
            out[i] = ember_clamp_f32(a[i] / y, lo, hi);
    } else {
        for (size_t i = 0; i < n; i++)
            out[i] = ember_clamp_f32(a[i] / b[i], lo, hi);
    }
}

static void ember_div_f32_ref(const ember_broadcast *bc, const float *a, const float *b,
                              float *out, float lo, float hi) {
    ember_broadcast_f32(bc, a, b, out, div_row, lo, hi);
}

/* The integer quotient (see the top of the file): x / 0 is 0, and a signed x / -1 is the
   wrapping negation (INT_MIN / -1 overflows C's `/`). */
EMBER_INT_ROWS(div_rows_int,
               y == 0 ? (T)0 : (S && y == (T)-1) ? (T)(0 - (W)x) : (T)(x / y))

/* x / 2^exponent for exponent in [0, 63] as pip LiteRT's RoundingDivideByPOT computes it
   (checked on x86-64): from 32 on, its 32-bit shift takes the count mod 32 (the C++ shift is
   undefined there) and its rounding mask is all ones, so the result is x / 2^(exponent - 32)
   plus 1 for x >= 0. This is what BUILTIN_REF outputs for small dividends (0, -1) over large
   divisors when the ratio's shift is small. */
static int32_t rounding_divide_wide(int32_t x, int32_t exponent) {
    if (exponent < 32)
        return ember_rdbpot(x, exponent);
    return ember_wrap_add((int32_t)((int64_t)x >> (exponent - 32)), x >= 0 ? 1 : 0);
}

/* a / b for b != 0, both in [-255, 255]: with |b| = 2^k (1 + f), f in [0, 1), the
   reciprocal 1 / (1 + f) in Q0.31, and a shifted left by its h redundant sign bits,
   a / b = (a 2^h) (1 / (1 + f)) 2^-(k + h); k <= 7 and 23 <= h <= 31 (h = 31 for a = 0, -1). */
static int8_t div_i8(const ember_binary_i8_params *q, int32_t a, int32_t b) {
    if (b < 0) {
        a = -a;
        b = -b;
    }
    const int32_t b_zeros = ember_leading_zeros((uint32_t)b);
    const int32_t recip =
        ember_one_over_one_plus_x((int32_t)(((uint32_t)b << b_zeros) - UINT32_C(0x80000000)));
    const int32_t headroom = ember_leading_sign_bits(a);
    /* a * 2^h wraps to INT32_MIN for a = -1, as LiteRT's int32 multiply does. */
    const int32_t quotient = ember_srdhm((int32_t)((uint32_t)a << headroom), recip);
    const int32_t exponent = (31 - b_zeros) + headroom - q->shift;
    int32_t v = ember_wrap_add(
        rounding_divide_wide(ember_srdhm(quotient, q->mult), exponent), q->out_zp);
    v = ember_clamp_i32(v, q->q_min, q->q_max);
    return (int8_t)v;
}

static void div_row_i8(int8_t *out, const int8_t *a, size_t a_step, const int8_t *b,
                       size_t b_step, size_t n, const void *params) {
    const ember_binary_i8_params *q = params;
    for (size_t i = 0; i < n; i++)
        out[i] = div_i8(q, a[i * a_step] - q->a_zp, b[i * b_step] - q->b_zp);
}

/* Any divisor equal to its zero point fails before anything is written. */
static ember_status ember_div_i8_ref(const struct div_i8_data *d, const int8_t *a,
                                     const int8_t *b, int8_t *out) {
    for (size_t i = 0; i < d->b_count; i++)
        if (b[i] == d->q.b_zp)
            return EMBER_STATUS_EVAL_ERROR;
    ember_broadcast_i8(&d->bc, a, b, out, div_row_i8, &d->q);
    return EMBER_STATUS_OK;
}

static ember_status div_prepare(ember_context *ctx, ember_node *node) {
    const ember_tensor *a = ember_input(ctx, node, 0);
    if (ember_binary_is_int(ctx, node))
        return ember_binary_prepare(ctx, node);
    if (a->type != EMBER_TYPE_INT8) {
        const ember_status st = ember_binary_prepare(ctx, node);
        if (st == EMBER_STATUS_OK)
            ember_binary_select_f32(ctx, node, EMBER_VBINARY_DIV);
        return st;
    }
    struct div_i8_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    const ember_tensor *b = ember_input(ctx, node, 1);
    ember_broadcast_init(&d->bc, a, b, ember_output(ctx, node, 0));
    d->b_count = 1;
    for (uint32_t i = 0; i < b->rank; i++)
        d->b_count *= (size_t)b->dims[i];
    return div_i8_params_read(ctx, node, &d->q);
}

static ember_status div_eval(ember_context *ctx, const ember_node *node) {
    if (ember_binary_is_int(ctx, node)) {
        ember_binary_eval_int(ctx, node, &div_rows_int);
        return EMBER_STATUS_OK;
    }
    if (ember_input(ctx, node, 0)->type == EMBER_TYPE_INT8)
        return ember_div_i8_ref(node->data, ember_input(ctx, node, 0)->data,
                                ember_input(ctx, node, 1)->data, ember_output(ctx, node, 0)->data);
    const ember_binary_data *data = node->data;
    if (data->ops != NULL) {
        ember_binary_run_f32(ctx, data, ember_input(ctx, node, 0)->data,
                             ember_input(ctx, node, 1)->data, ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    ember_div_f32_ref(&data->bc, ember_input(ctx, node, 0)->data, ember_input(ctx, node, 1)->data,
                      ember_output(ctx, node, 0)->data, data->lo, data->hi);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_div = {
    EMBER_OP_DIV, "div", div_check, div_prepare, div_eval,
};
