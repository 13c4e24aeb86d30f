/* POW (format 7): out = a ^ b with numpy broadcasting, float32, by C's powf, whose special
   cases numpy and ONNX Runtime share: x ^ 0 is 1 (a NaN x too), 1 ^ y is 1, a negative base
   with a non-integer exponent is NaN. No params (a BinaryParams table is accepted, its fused
   activation applied). Node data: ember_binary_data (broadcast.h). */
#include <math.h>

#include "ember_internal.h"
#include "kernels/broadcast.h"

static ember_status pow_check(ember_context *ctx, const ember_node *node) {
    return ember_binary_check(ctx, node, "pow");
}

/* Steps are 0 or 1 (see broadcast.h). */
static void pow_row(float *out, const float *a, size_t a_step, const float *b, size_t b_step,
                    size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++)
        out[i] = ember_clamp_f32(powf(a[i * a_step], b[i * b_step]), lo, hi);
}

static ember_status pow_eval(ember_context *ctx, const ember_node *node) {
    const ember_binary_data *data = node->data;
    ember_broadcast_f32(&data->bc, ember_input(ctx, node, 0)->data,
                        ember_input(ctx, node, 1)->data, ember_output(ctx, node, 0)->data, pow_row,
                        data->lo, data->hi);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_pow = {
    EMBER_OP_POW, "pow", pow_check, ember_binary_prepare, pow_eval,
};
