/* LOGICAL_AND, LOGICAL_OR, LOGICAL_XOR (two BOOL inputs, numpy broadcasting) and LOGICAL_NOT
   (one) (format 7): BOOL out, 1 or 0; any nonzero input byte is true. No params. Node data:
   logical_data (the binary ops) or none (LOGICAL_NOT). */
#include "ember_internal.h"
#include "kernels/broadcast.h"

typedef struct logical_data {
    ember_broadcast bc;
    uint16_t op;
} logical_data;

static const char *logical_name(uint16_t op) {
    switch (op) {
    case EMBER_OP_LOGICAL_AND: return "logical_and";
    case EMBER_OP_LOGICAL_OR: return "logical_or";
    case EMBER_OP_LOGICAL_XOR: return "logical_xor";
    default: return "logical_not";
    }
}

static ember_status logical_check(ember_context *ctx, const ember_node *node) {
    const char *op = logical_name(node->op);
    const uint32_t inputs = node->op == EMBER_OP_LOGICAL_NOT ? 1 : 2;
    ember_status st = ember_check_arity(ctx, node, inputs, inputs, 1);
    if (st != EMBER_STATUS_OK || (st = ember_check_params(ctx, node, 0)) != EMBER_STATUS_OK)
        return st;
    const ember_tensor *a = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if ((st = ember_check_type(ctx, node, a, EMBER_TYPE_BOOL, "input 0")) != EMBER_STATUS_OK ||
        (st = ember_check_type(ctx, node, out, EMBER_TYPE_BOOL, "output")) != EMBER_STATUS_OK ||
        (st = ember_check_inplace(ctx, node, op, a, 0, out)) != EMBER_STATUS_OK)
        return st;
    if (inputs == 1)
        return ember_check_same_shape(ctx, node, op, a, out);
    const ember_tensor *b = ember_input(ctx, node, 1);
    if ((st = ember_check_type(ctx, node, b, EMBER_TYPE_BOOL, "input 1")) != EMBER_STATUS_OK ||
        (st = ember_check_broadcast_shape(ctx, node, op, a, b, out)) != EMBER_STATUS_OK)
        return st;
    return ember_check_inplace(ctx, node, op, b, 1, out);
}

static void logical_row(void *out, const void *a, size_t a_step, const void *b, size_t b_step,
                        size_t n, const void *params) {
    const uint8_t *x = a, *y = b;
    const uint16_t op = *(const uint16_t *)params;
    uint8_t *o = out;
    for (size_t i = 0; i < n; i++) {
        const bool u = x[i * a_step] != 0, v = y[i * b_step] != 0;
        o[i] = op == EMBER_OP_LOGICAL_AND ? (u && v) : op == EMBER_OP_LOGICAL_OR ? (u || v)
                                                                                  : (u != v);
    }
}

static ember_status logical_prepare(ember_context *ctx, ember_node *node) {
    if (node->op == EMBER_OP_LOGICAL_NOT)
        return EMBER_STATUS_OK;
    logical_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    ember_broadcast_init(&d->bc, ember_input(ctx, node, 0), ember_input(ctx, node, 1),
                         ember_output(ctx, node, 0));
    d->op = node->op;
    node->data = d;
    return EMBER_STATUS_OK;
}

static ember_status logical_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *a = ember_input(ctx, node, 0);
    uint8_t *out = ember_output(ctx, node, 0)->data;
    if (node->op == EMBER_OP_LOGICAL_NOT) {
        const uint8_t *x = a->data;
        for (size_t i = 0; i < a->count; i++)
            out[i] = x[i] == 0;
        return EMBER_STATUS_OK;
    }
    const logical_data *d = node->data;
    ember_broadcast_bytes(&d->bc, a->data, 1, ember_input(ctx, node, 1)->data, 1, out, 1,
                          logical_row, &d->op);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_logical_not = {EMBER_OP_LOGICAL_NOT, "logical_not",
                                               logical_check, logical_prepare, logical_eval};
const ember_kernel ember_kernel_logical_and = {EMBER_OP_LOGICAL_AND, "logical_and",
                                               logical_check, logical_prepare, logical_eval};
const ember_kernel ember_kernel_logical_or = {EMBER_OP_LOGICAL_OR, "logical_or", logical_check,
                                              logical_prepare, logical_eval};
const ember_kernel ember_kernel_logical_xor = {EMBER_OP_LOGICAL_XOR, "logical_xor",
                                               logical_check, logical_prepare, logical_eval};
