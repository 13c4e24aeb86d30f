/* POW (format 7): out = a ^ b with numpy broadcasting. float32 by C's powf, whose special
   cases numpy and ONNX Runtime share: x ^ 0 is 1 (a NaN x too), 1 ^ y is 1, a negative base
   with a non-integer exponent is NaN. No params (a BinaryParams table is accepted, its fused
   activation applied to float32).
   ONNX's mixed types: a base of FLOAT32, INT32 or INT64 with an exponent of any of the three
   or any other plain integer type (int8 to uint64);
   the output has the base's type (no activation). These compute as ONNX Runtime does, by
   C++'s std::pow in double: a float32 base's power is rounded to float32; an integer base's is
   truncated toward zero (2 ^ -1 = 0.5 gives 0), and one outside the type's range, or not a
   number (0 ^ -1 is inf, (-2) ^ 0.5 NaN), is the type's minimum, which is what x86's
   conversion gives ONNX Runtime there (C++ leaves it undefined). int64 powers beyond 2^53 are
   the double's, as ONNX Runtime's. Node data: ember_binary_data (broadcast.h). */
#include <math.h>

#include "ember_internal.h"
#include "kernels/broadcast.h"

/* ONNX's base is FLOAT32, INT32 or INT64; its exponent FLOAT32 or any plain integer. */
static bool pow_numeric(const ember_tensor *t, bool exponent) {
    if (t->type == EMBER_TYPE_FLOAT32 || t->type == EMBER_TYPE_INT32 ||
        t->type == EMBER_TYPE_INT64)
        return true;
    return exponent && ember_is_plain_int(t);
}

/* Whether the node is float32 ^ float32, the path with a fused activation. */
static bool pow_is_f32(ember_context *ctx, const ember_node *node) {
    const ember_tensor *a = ember_input(ctx, node, 0);
    const ember_tensor *b = ember_input(ctx, node, 1);
    return a == NULL || b == NULL ||
           (a->type == EMBER_TYPE_FLOAT32 && b->type == EMBER_TYPE_FLOAT32);
}

/* The mixed or integer node: ADD's rules with the exponent's own type and no activation. */
static ember_status pow_check_mixed(ember_context *ctx, const ember_node *node) {
    const ember_tensor *a = ember_input(ctx, node, 0);
    const ember_tensor *b = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    ember_status st = ember_check_arity(ctx, node, 2, 2, 1);
    if (st != EMBER_STATUS_OK ||
        (st = ember_check_params(ctx, node, EMBER_OP_PARAMS_BINARY_PARAMS)) != EMBER_STATUS_OK)
        return st;
    uint8_t act = 0;
    if (!ember_fb_u8(&node->params, EMBER_SLOT_BINARY_PARAMS_ACTIVATION, 0, &act) || act != 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (pow): fused activation must be NONE for %s ^ %s, "
                          "got %u",
                          node->index, ember_type_str((ember_type)a->type),
                          ember_type_str((ember_type)b->type), (unsigned)act);
    const ember_tensor *t[2] = {a, b};
    for (int i = 0; i < 2; i++)
        if (!pow_numeric(t[i], i == 1))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (pow): input %d '%s' must be float32, int32 or "
                              "int64%s, got %s",
                              node->index, i, t[i]->name, i == 1 ? " or a plain integer" : "",
                              ember_type_str((ember_type)t[i]->type));
    if ((st = ember_check_type(ctx, node, out, a->type, "output")) != EMBER_STATUS_OK ||
        (st = ember_check_broadcast_shape(ctx, node, "pow", a, b, out)) != EMBER_STATUS_OK ||
        (st = ember_check_inplace(ctx, node, "pow", a, 0, out)) != EMBER_STATUS_OK)
        return st;
    return ember_check_inplace(ctx, node, "pow", b, 1, out); /* refuses mixed types' overlap */
}

static ember_status pow_check(ember_context *ctx, const ember_node *node) {
    return pow_is_f32(ctx, node) ? ember_binary_check(ctx, node, "pow")
                                 : pow_check_mixed(ctx, node);
}

/* Steps are 0 or 1 (see broadcast.h). */
static void pow_row(float *out, const float *a, size_t a_step, const float *b, size_t b_step,
                    size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++)
        out[i] = ember_clamp_f32(powf(a[i * a_step], b[i * b_step]), lo, hi);
}

/* Element i of an exponent of `type` (params of the mixed rows) as a double. */
#define EXPONENT_CASE(b, i, sfx, T, W, S, TYPE)                                               \
    case TYPE: return (double)((const T *)b)[i];

static double exponent_at(const void *b, size_t i, uint8_t type) {
    switch (type) {
        EMBER_INT_TYPES(EXPONENT_CASE, b, i)
    default: return ((const float *)b)[i];
    }
}

/* The power truncated toward zero, or `min` where it is not in [-limit, limit). */
static int64_t power_to_int(double p, double limit, int64_t min) {
    return p >= -limit && p < limit ? (int64_t)p : min;
}

static void pow_row_f32_mixed(void *out, const void *a, size_t a_step, const void *b,
                              size_t b_step, size_t n, const void *params) {
    const float *x = a;
    float *o = out;
    const uint8_t type = *(const uint8_t *)params;
    for (size_t i = 0; i < n; i++)
        o[i] = (float)pow((double)x[i * a_step], exponent_at(b, i * b_step, type));
}

static void pow_row_i32(void *out, const void *a, size_t a_step, const void *b, size_t b_step,
                        size_t n, const void *params) {
    const int32_t *x = a;
    int32_t *o = out;
    const uint8_t type = *(const uint8_t *)params;
    for (size_t i = 0; i < n; i++)
        o[i] = (int32_t)power_to_int(pow(x[i * a_step], exponent_at(b, i * b_step, type)),
                                     2147483648.0, INT32_MIN);
}

static void pow_row_i64(void *out, const void *a, size_t a_step, const void *b, size_t b_step,
                        size_t n, const void *params) {
    const int64_t *x = a;
    int64_t *o = out;
    const uint8_t type = *(const uint8_t *)params;
    for (size_t i = 0; i < n; i++)
        o[i] = power_to_int(pow((double)x[i * a_step], exponent_at(b, i * b_step, type)),
                            9223372036854775808.0, INT64_MIN);
}

static ember_status pow_eval(ember_context *ctx, const ember_node *node) {
    const ember_binary_data *data = node->data;
    const ember_tensor *a = ember_input(ctx, node, 0);
    const ember_tensor *b = ember_input(ctx, node, 1);
    void *out = ember_output(ctx, node, 0)->data;
    if (pow_is_f32(ctx, node)) {
        ember_broadcast_f32(&data->bc, a->data, b->data, out, pow_row, data->lo, data->hi);
        return EMBER_STATUS_OK;
    }
    const ember_binary_row_bytes row = a->type == EMBER_TYPE_INT32   ? pow_row_i32
                                       : a->type == EMBER_TYPE_INT64 ? pow_row_i64
                                                                     : pow_row_f32_mixed;
    const uint8_t b_type = b->type;
    ember_broadcast_bytes(&data->bc, a->data, ember_type_bytes(a->type), b->data,
                          ember_type_bytes(b->type), out, ember_type_bytes(a->type), row,
                          &b_type);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_pow = {
    EMBER_OP_POW, "pow", pow_check, ember_binary_prepare, pow_eval,
};
