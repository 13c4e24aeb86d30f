/* BITWISE_AND, BITWISE_OR, BITWISE_XOR, BITWISE_NOT and BIT_SHIFT (format 9) on plain integers
   of one type, int8 to uint64 (no quantization parameters); the binary ops broadcast as ADD
   does. BIT_SHIFT (BitShiftParams.direction) follows ONNX's BitShift: a left shift drops the
   bits moved past the width (the sign bit included), a right shift of a signed type is
   arithmetic, and a shift count below 0 or not below the width gives what the sign fill alone
   gives (-1 for a right shift of a negative x, else 0). Node data: bitwise_data. */
#include "ember_internal.h"
#include "kernels/broadcast.h"

typedef struct bitwise_data {
    ember_broadcast bc;
    size_t size; /* element bytes */
    ember_binary_row_bytes row;
} bitwise_data;

EMBER_INT_ROWS(and_rows, x & y)
EMBER_INT_ROWS(or_rows, x | y)
EMBER_INT_ROWS(xor_rows, x ^ y)

/* Bits in T; a count y outside [0, BITS) reads as huge once converted to uint64_t. */
#define BITS (sizeof(T) * 8)
#define OUT_OF_RANGE ((uint64_t)y >= BITS)
/* Whether x is negative, written so an unsigned T compares nothing with 0 (-Wtype-limits). */
#define NEGATIVE (S && ((W)x >> (BITS - 1)) != 0)

EMBER_INT_ROWS(shift_left_rows, OUT_OF_RANGE ? (T)0 : (T)((W)x << y))
/* ~(~x >> y) shifts a negative x without C's implementation-defined signed right shift. */
EMBER_INT_ROWS(shift_right_rows, OUT_OF_RANGE ? (NEGATIVE ? (T)-1 : (T)0)
                                 : NEGATIVE   ? (T) ~(~x >> y)
                                              : (T)(x >> y))

#undef BITS
#undef OUT_OF_RANGE
#undef NEGATIVE

/* The rows of a node's op (BIT_SHIFT's by its direction), for element type `type`. */
static ember_binary_row_bytes bitwise_row(const ember_node *node, uint8_t type, bool left) {
    switch (node->op) {
    case EMBER_OP_BITWISE_AND: return and_rows.of[type];
    case EMBER_OP_BITWISE_OR: return or_rows.of[type];
    case EMBER_OP_BITWISE_XOR: return xor_rows.of[type];
    default: return left ? shift_left_rows.of[type] : shift_right_rows.of[type];
    }
}

/* BITWISE_NOT's rows: ember_broadcast_bytes walks it with input 0 as both operands. */
#define NOT_ROW(unused_a, unused_b, sfx, T, W, S, TYPE)                                       \
    static void not_##sfx(void *out, const void *a, size_t a_step, const void *b,             \
                          size_t b_step, size_t n, const void *params) {                      \
        (void)b;                                                                              \
        (void)b_step;                                                                         \
        (void)params;                                                                         \
        const T *x = a;                                                                       \
        T *o = out;                                                                           \
        for (size_t i = 0; i < n; i++)                                                        \
            o[i] = (T)~x[i * a_step];                                                         \
    }
EMBER_INT_TYPES(NOT_ROW, _, _)
#define NOT_ENTRY(unused_a, unused_b, sfx, T, W, S, TYPE) [TYPE] = not_##sfx,
static const ember_int_rows not_rows = {{EMBER_INT_TYPES(NOT_ENTRY, _, _)}};

/* The direction of a BIT_SHIFT node, after bitwise_check: true for LEFT. */
static bool shift_left(const ember_node *node) {
    uint8_t direction = EMBER_SHIFT_DIRECTION_LEFT;
    if (node->op == EMBER_OP_BIT_SHIFT)
        (void)ember_fb_u8(&node->params, EMBER_SLOT_BIT_SHIFT_PARAMS_DIRECTION,
                          EMBER_SHIFT_DIRECTION_LEFT, &direction);
    return direction == EMBER_SHIFT_DIRECTION_LEFT;
}

static ember_status check_direction(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_params(ctx, node, EMBER_OP_PARAMS_BIT_SHIFT_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    uint8_t direction = 0;
    if (!ember_fb_u8(&node->params, EMBER_SLOT_BIT_SHIFT_PARAMS_DIRECTION,
                     EMBER_SHIFT_DIRECTION_LEFT, &direction) ||
        direction >= EMBER_SHIFT_DIRECTION_COUNT)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (bit_shift): direction must be LEFT (0) or RIGHT "
                          "(1), got %u",
                          node->index, (unsigned)direction);
    return EMBER_STATUS_OK;
}

/* Input 0 of a plain integer type that every other input and the output share. */
static ember_status check_types(ember_context *ctx, const ember_node *node, const char *op) {
    const ember_tensor *a = ember_input(ctx, node, 0);
    if (!ember_is_plain_int(a))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): input 0 '%s' must be a plain integer type "
                          "(int8 to uint64), got %s%s",
                          node->index, op, a->name, ember_type_str((ember_type)a->type),
                          a->quant_count != 0 ? " (quantized)" : "");
    ember_status st = EMBER_STATUS_OK;
    if (node->input_count == 2 &&
        (st = ember_check_type(ctx, node, ember_input(ctx, node, 1), a->type, "input 1")))
        return st;
    if ((st = ember_check_type(ctx, node, ember_output(ctx, node, 0), a->type, "output")))
        return st;
    return ember_check_plain_int(ctx, node, op);
}

static ember_status bitwise_check(ember_context *ctx, const ember_node *node) {
    const char *op = node->kernel->name;
    const bool unary = node->op == EMBER_OP_BITWISE_NOT;
    ember_status st = ember_check_arity(ctx, node, unary ? 1 : 2, unary ? 1 : 2, 1);
    if (st != EMBER_STATUS_OK)
        return st;
    st = node->op == EMBER_OP_BIT_SHIFT ? check_direction(ctx, node)
                                        : ember_check_params(ctx, node, 0);
    if (st != EMBER_STATUS_OK || (st = check_types(ctx, node, op)) != EMBER_STATUS_OK)
        return st;
    const ember_tensor *a = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (unary)
        return ember_check_same_shape(ctx, node, op, a, out);
    const ember_tensor *b = ember_input(ctx, node, 1);
    if ((st = ember_check_broadcast_shape(ctx, node, op, a, b, out)) != EMBER_STATUS_OK ||
        (st = ember_check_inplace(ctx, node, op, a, 0, out)) != EMBER_STATUS_OK)
        return st;
    return ember_check_inplace(ctx, node, op, b, 1, out);
}

static ember_status bitwise_prepare(ember_context *ctx, ember_node *node) {
    bitwise_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    const ember_tensor *a = ember_input(ctx, node, 0);
    const bool unary = node->op == EMBER_OP_BITWISE_NOT;
    ember_broadcast_init(&d->bc, a, unary ? a : ember_input(ctx, node, 1),
                         ember_output(ctx, node, 0));
    d->size = ember_type_bytes(a->type);
    d->row = unary ? not_rows.of[a->type] : bitwise_row(node, a->type, shift_left(node));
    node->data = d;
    return EMBER_STATUS_OK;
}

static ember_status bitwise_eval(ember_context *ctx, const ember_node *node) {
    const bitwise_data *d = node->data;
    const ember_tensor *a = ember_input(ctx, node, 0);
    const ember_tensor *b = node->op == EMBER_OP_BITWISE_NOT ? a : ember_input(ctx, node, 1);
    ember_broadcast_bytes(&d->bc, a->data, d->size, b->data, d->size,
                          ember_output(ctx, node, 0)->data, d->size, d->row, NULL);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_bitwise_and = {EMBER_OP_BITWISE_AND, "bitwise_and", bitwise_check,
                                               bitwise_prepare, bitwise_eval};
const ember_kernel ember_kernel_bitwise_or = {EMBER_OP_BITWISE_OR, "bitwise_or", bitwise_check,
                                              bitwise_prepare, bitwise_eval};
const ember_kernel ember_kernel_bitwise_xor = {EMBER_OP_BITWISE_XOR, "bitwise_xor", bitwise_check,
                                               bitwise_prepare, bitwise_eval};
const ember_kernel ember_kernel_bitwise_not = {EMBER_OP_BITWISE_NOT, "bitwise_not", bitwise_check,
                                               bitwise_prepare, bitwise_eval};
const ember_kernel ember_kernel_bit_shift = {EMBER_OP_BIT_SHIFT, "bit_shift", bitwise_check,
                                             bitwise_prepare, bitwise_eval};
