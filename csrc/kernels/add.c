/* ADD: out = a + b with numpy broadcasting and an optional fused activation; plain integers
   (int8 to uint64, no quantization parameters) wrap modulo 2^width, as ONNX Runtime's (no
   activation).
   Node data: ember_binary_data (broadcast.h), shared with the other binary ops. */
#include "ember_internal.h"
#include "kernels/broadcast.h"
#include "kernels/elementwise_qs8.h"

/* int8 and int16 node data; fast: the int8 microkernels (int8 only). */
struct add_i8_data {
    ember_broadcast bc;
    ember_add_i8_params q;
    ember_binary_qs8 fast;
};

/* The quantized type of the node (int8 or int16), or float32. */
static uint8_t add_type(ember_context *ctx, const ember_node *node) {
    const ember_tensor *a = ember_input(ctx, node, 0);
    return a != NULL && (a->type == EMBER_TYPE_INT8 || a->type == EMBER_TYPE_INT16)
               ? a->type
               : EMBER_TYPE_FLOAT32;
}

static ember_status add_params_read(ember_context *ctx, const ember_node *node,
                                    ember_add_i8_params *q) {
    return add_type(ctx, node) == EMBER_TYPE_INT16 ? ember_add_i16_params_read(ctx, node, "add", q)
                                                   : ember_add_i8_params_read(ctx, node, "add", q);
}

static ember_status add_check(ember_context *ctx, const ember_node *node) {
    if (ember_binary_is_int(ctx, node))
        return ember_binary_check_int(ctx, node, "add");
    const uint8_t type = add_type(ctx, node);
    if (type == EMBER_TYPE_FLOAT32)
        return ember_binary_check(ctx, node, "add");
    ember_add_i8_params q;
    ember_status st = ember_binary_check_type(ctx, node, "add", type);
    return st != EMBER_STATUS_OK ? st : add_params_read(ctx, node, &q);
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

static void add_row_i8(int8_t *out, const int8_t *a, size_t a_step, const int8_t *b,
                       size_t b_step, size_t n, const void *params) {
    const ember_add_i8_params *q = params;
    for (size_t i = 0; i < n; i++) {
        const int32_t sum = ember_add_i8_rescale(q->a_zp, q->a_mult, q->a_shift, a[i * a_step]) +
                            ember_add_i8_rescale(q->b_zp, q->b_mult, q->b_shift, b[i * b_step]);
        out[i] = ember_add_i8_output(q, sum);
    }
}

EMBER_INT_ROWS(add_rows_int, (W)x + (W)y)

static void ember_add_i8_ref(const struct add_i8_data *d, const int8_t *a, const int8_t *b,
                             int8_t *out) {
    ember_broadcast_i8(&d->bc, a, b, out, add_row_i8, &d->q);
}

/* LiteRT's int16 ADD with general scales (the only one TensorFlow's 16x8 converter emits;
   the power-of-two path is refused by the importer): int8's arithmetic with zero points 0. */
static void add_row_i16(int16_t *out, const int16_t *a, size_t a_step, const int16_t *b,
                        size_t b_step, size_t n, const void *params) {
    const ember_add_i8_params *q = params;
    for (size_t i = 0; i < n; i++) {
        const int32_t sum = ember_add_i16_rescale(q->a_mult, q->a_shift, a[i * a_step]) +
                            ember_add_i16_rescale(q->b_mult, q->b_shift, b[i * b_step]);
        out[i] = ember_add_i16_output(q, sum);
    }
}

static void ember_add_i16_ref(const struct add_i8_data *d, const int16_t *a, const int16_t *b,
                              int16_t *out) {
    ember_broadcast_i16(&d->bc, a, b, out, add_row_i16, &d->q);
}

static ember_status add_prepare(ember_context *ctx, ember_node *node) {
    const ember_tensor *a = ember_input(ctx, node, 0);
    if (ember_binary_is_int(ctx, node))
        return ember_binary_prepare(ctx, node);
    if (add_type(ctx, node) == EMBER_TYPE_FLOAT32) {
        const ember_status st = ember_binary_prepare(ctx, node);
        if (st == EMBER_STATUS_OK)
            ember_binary_select_f32(ctx, node, EMBER_VBINARY_ADD);
        return st;
    }
    struct add_i8_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    d->fast.ops = NULL;
    ember_broadcast_init(&d->bc, a, ember_input(ctx, node, 1), ember_output(ctx, node, 0));
    const ember_status st = add_params_read(ctx, node, &d->q);
    if (st != EMBER_STATUS_OK || a->type != EMBER_TYPE_INT8)
        return st;
    const ember_add_i8_params *q = &d->q;
    const ember_qs8_params out = {q->out_zp, q->q_min, q->q_max};
    const bool ok = ember_vbinary_qs8_add_params(q->a_zp, q->a_mult, q->a_shift, q->b_zp,
                                                 q->b_mult, q->b_shift, q->out_mult,
                                                 q->out_shift, &out, &d->fast.p);
    ember_binary_qs8_select(ctx, node, EMBER_VBINARY_ADD, ok, &d->fast);
    return EMBER_STATUS_OK;
}

static ember_status add_eval(ember_context *ctx, const ember_node *node) {
    if (ember_binary_is_int(ctx, node)) {
        ember_binary_eval_int(ctx, node, &add_rows_int);
        return EMBER_STATUS_OK;
    }
    if (ember_input(ctx, node, 0)->type == EMBER_TYPE_INT16) {
        ember_add_i16_ref(node->data, ember_input(ctx, node, 0)->data,
                          ember_input(ctx, node, 1)->data, ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    if (ember_input(ctx, node, 0)->type == EMBER_TYPE_INT8) {
        const struct add_i8_data *d = node->data;
        if (d->fast.ops != NULL) {
            ember_binary_qs8_run(ctx, &d->bc, &d->fast, ember_input(ctx, node, 0)->data,
                                 ember_input(ctx, node, 1)->data,
                                 ember_output(ctx, node, 0)->data);
            return EMBER_STATUS_OK;
        }
        ember_add_i8_ref(node->data, ember_input(ctx, node, 0)->data,
                         ember_input(ctx, node, 1)->data, ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    const ember_binary_data *data = node->data;
    if (data->ops != NULL) {
        ember_binary_run_f32(ctx, data, ember_input(ctx, node, 0)->data,
                             ember_input(ctx, node, 1)->data, ember_output(ctx, node, 0)->data);
        return EMBER_STATUS_OK;
    }
    ember_add_f32_ref(&data->bc, ember_input(ctx, node, 0)->data, ember_input(ctx, node, 1)->data,
                      ember_output(ctx, node, 0)->data, data->lo, data->hi);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_add = {
    EMBER_OP_ADD, "add", add_check, add_prepare, add_eval,
};
