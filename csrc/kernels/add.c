/* ADD: out = a + b with numpy broadcasting and an optional fused activation.
   Node data: ember_binary_data (broadcast.h), shared with the other binary ops. */
#include "ember_internal.h"
#include "kernels/broadcast.h"

static ember_status add_check(ember_context *ctx, const ember_node *node) {
    return ember_binary_check(ctx, node, "add");
}

/* Steps are 0 or 1, and 0 on both sides only for a one-element row, so a zero step on one
   side means the other side runs contiguously; each case is a plain vectorisable loop. */
static void add_row(float *out, const float *a, size_t a_step, const float *b, size_t b_step,
                    size_t n, float lo, float hi) {
    if (a_step == 0) {
        const float x = a[0];
        for (size_t i = 0; i < n; i++)
            out[i] = ember_clamp_f32(x + b[i], lo, hi);
    } else if (b_step == 0) {
        const float y = b[0];
        for (size_t i = 0; i < n; i++)
            out[i] = ember_clamp_f32(a[i] + y, lo, hi);
    } else {
        for (size_t i = 0; i < n; i++)
            out[i] = ember_clamp_f32(a[i] + b[i], lo, hi);
    }
}

static void ember_add_f32_ref(const ember_broadcast *bc, const float *a, const float *b,
                              float *out, float lo, float hi) {
    ember_broadcast_f32(bc, a, b, out, add_row, lo, hi);
}

static ember_status add_prepare(ember_context *ctx, ember_node *node) {
    return ember_binary_prepare(ctx, node);
}

static ember_status add_eval(ember_context *ctx, const ember_node *node) {
    const ember_binary_data *data = node->data;
    ember_add_f32_ref(&data->bc, ember_input(ctx, node, 0)->data, ember_input(ctx, node, 1)->data,
                      ember_output(ctx, node, 0)->data, data->lo, data->hi);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_add = {
    EMBER_OP_ADD, "add", add_check, add_prepare, add_eval,
};
