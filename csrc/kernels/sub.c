/* SUB: out = a - b with numpy broadcasting and an optional fused activation; plain integers
   (int8 to uint64, no quantization parameters) wrap modulo 2^width, as ONNX Runtime's (no
   activation).
   Node data: ember_binary_data (broadcast.h), shared with the other binary ops; int8 keeps
   ADD's requantization data (LiteRT subtracts on ADD's common scale). */
#include "ember_internal.h"
#include "kernels/broadcast.h"

struct sub_i8_data {
    ember_broadcast bc;
    ember_add_i8_params q;
};

static ember_status sub_check(ember_context *ctx, const ember_node *node) {
    if (ember_binary_is_int(ctx, node))
        return ember_binary_check_int(ctx, node, "sub");
    const ember_tensor *a = ember_input(ctx, node, 0);
    if (a == NULL || a->type != EMBER_TYPE_INT8)
        return ember_binary_check(ctx, node, "sub");
    ember_add_i8_params q;
    ember_status st = ember_binary_check_type(ctx, node, "sub", EMBER_TYPE_INT8);
    return st != EMBER_STATUS_OK ? st : ember_add_i8_params_read(ctx, node, "sub", &q);
}

/* Steps are 0 or 1, and 0 on both sides only for a one-element row, so a zero step on one
   side means the other side runs contiguously; each case is a plain vectorisable loop. */
static void sub_row(float *out, const float *a, size_t a_step, const float *b, size_t b_step,
                    size_t n, float lo, float hi) {
    if (a_step == 0) {
        const float x = a[0];
        for (size_t i = 0; i < n; i++)
            out[i] = ember_clamp_f32(x - b[i], lo, hi);
    } else if (b_step == 0) {
        const float y = b[0];
        for (size_t i = 0; i < n; i++)
            out[i] = ember_clamp_f32(a[i] - y, lo, hi);
    } else {
        for (size_t i = 0; i < n; i++)
            out[i] = ember_clamp_f32(a[i] - b[i], lo, hi);
    }
}

static void ember_sub_f32_ref(const ember_broadcast *bc, const float *a, const float *b,
                              float *out, float lo, float hi) {
    ember_broadcast_f32(bc, a, b, out, sub_row, lo, hi);
}

static void sub_row_i8(int8_t *out, const int8_t *a, size_t a_step, const int8_t *b,
                       size_t b_step, size_t n, const void *params) {
    const ember_add_i8_params *q = params;
    for (size_t i = 0; i < n; i++) {
        const int32_t diff = ember_add_i8_rescale(q->a_zp, q->a_mult, q->a_shift, a[i * a_step]) -
                             ember_add_i8_rescale(q->b_zp, q->b_mult, q->b_shift, b[i * b_step]);
        out[i] = ember_add_i8_output(q, diff);
    }
}

EMBER_INT_ROWS(sub_rows_int, (W)x - (W)y)

static void ember_sub_i8_ref(const struct sub_i8_data *d, const int8_t *a, const int8_t *b,
                             int8_t *out) {
    ember_broadcast_i8(&d->bc, a, b, out, sub_row_i8, &d->q);
}

static ember_status sub_prepare(ember_context *ctx, ember_node *node) {
    const ember_tensor *a = ember_input(ctx, node, 0);
    if (ember_binary_is_int(ctx, node))
        return ember_binary_prepare(ctx, node);
    if (a->type != EMBER_TYPE_INT8) {
        const ember_status st = ember_binary_prepare(ctx, node);
        if (st == EMBER_STATUS_OK)
            ember_binary_select_f32(ctx, node, EMBER_VBINARY_SUB);
        return st;
    }
    struct sub_i8_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    ember_broadcast_init(&d->bc, a, ember_input(ctx, node, 1), ember_output(ctx, node, 0));
    return ember_add_i8_params_read(ctx, node, "sub", &d->q);
}

static ember_status sub_eval(ember_context *ctx, const ember_node *node) {
    if (ember_binary_is_int(ctx, node)) {
        ember_binary_eval_int(ctx, node, &sub_rows_int);
        return EMBER_STATUS_OK;
    }
    if (ember_input(ctx, node, 0)->type == EMBER_TYPE_INT8) {
        ember_sub_i8_ref(node->data, ember_input(ctx, node, 0)->data,
                         ember_input(ctx, node, 1)->data, ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    const ember_binary_data *data = node->data;
    if (data->ops != NULL) {
        ember_binary_run_f32(ctx, data, ember_input(ctx, node, 0)->data,
                             ember_input(ctx, node, 1)->data, ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    ember_sub_f32_ref(&data->bc, ember_input(ctx, node, 0)->data, ember_input(ctx, node, 1)->data,
                      ember_output(ctx, node, 0)->data, data->lo, data->hi);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_sub = {
    EMBER_OP_SUB, "sub", sub_check, sub_prepare, sub_eval,
};
