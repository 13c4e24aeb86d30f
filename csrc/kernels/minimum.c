/* MINIMUM: out = min(a, b) with numpy broadcasting, float32, int8, int32 or int64. No
   params (a BinaryParams table with no activation is accepted too). int8 compares the stored
   values, so both inputs and the output must share one scale and zero point (TFLite's
   converter makes them equal; LiteRT's kernel compares raw values without looking).
   Node data: ember_binary_data. */
#include "ember_internal.h"
#include "kernels/broadcast.h"

static ember_status minimum_check(ember_context *ctx, const ember_node *node) {
    return ember_compare_check(ctx, node, "minimum");
}

/* Steps are 0 or 1 (see broadcast.h). Comparisons keep a NaN in a (C's a < b is false). */
static void minimum_row(float *out, const float *a, size_t a_step, const float *b, size_t b_step,
                        size_t n, float lo, float hi) {
    (void)lo;
    (void)hi;
    for (size_t i = 0; i < n; i++) {
        const float x = a[i * a_step], y = b[i * b_step];
        out[i] = y < x ? y : x;
    }
}

static void ember_minimum_f32_ref(const ember_broadcast *bc, const float *a, const float *b,
                                  float *out) {
    ember_broadcast_f32(bc, a, b, out, minimum_row, 0.0f, 0.0f);
}

static void minimum_row_i8(int8_t *out, const int8_t *a, size_t a_step, const int8_t *b,
                           size_t b_step, size_t n, const void *params) {
    (void)params;
    for (size_t i = 0; i < n; i++) {
        const int8_t x = a[i * a_step], y = b[i * b_step];
        out[i] = y < x ? y : x;
    }
}

EMBER_INT_ROWS(minimum_rows_int, y < x ? y : x)

static void ember_minimum_i8_ref(const ember_broadcast *bc, const int8_t *a, const int8_t *b,
                                 int8_t *out) {
    ember_broadcast_i8(bc, a, b, out, minimum_row_i8, NULL);
}

static ember_status minimum_prepare(ember_context *ctx, ember_node *node) {
    const ember_status st = ember_binary_prepare(ctx, node);
    if (st == EMBER_STATUS_OK && ember_input(ctx, node, 0)->type == EMBER_TYPE_FLOAT32)
        ember_binary_select_f32(ctx, node, EMBER_VBINARY_MINIMUM);
    return st;
}

static ember_status minimum_eval(ember_context *ctx, const ember_node *node) {
    const ember_binary_data *data = node->data;
    const ember_tensor *a = ember_input(ctx, node, 0);
    if (ember_binary_is_int(ctx, node))
        ember_binary_eval_int(ctx, node, &minimum_rows_int);
    else if (a->type == EMBER_TYPE_INT8)
        ember_minimum_i8_ref(&data->bc, a->data, ember_input(ctx, node, 1)->data,
                             ember_output(ctx, node, 0)->data);
    else if (data->ops != NULL)
        ember_binary_run_f32(ctx, data, a->data, ember_input(ctx, node, 1)->data,
                             ember_output(ctx, node, 0)->data);
    else
        ember_minimum_f32_ref(&data->bc, a->data, ember_input(ctx, node, 1)->data,
                              ember_output(ctx, node, 0)->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_minimum = {
    EMBER_OP_MINIMUM, "minimum", minimum_check, minimum_prepare, minimum_eval,
};
