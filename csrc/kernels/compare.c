/* EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL (format 7): out = a OP b as BOOL
   (1 or 0), numpy broadcasting of two inputs of one type: FLOAT32 (IEEE: NaN is unequal to
   everything, itself included, so only NOT_EQUAL holds for it), any plain integer type (int8
   to uint64, no quantization parameters) or BOOL (any nonzero byte is true). No params.
   Node data: compare_data. */
#include "ember_internal.h"
#include "kernels/broadcast.h"

/* The comparisons in op-code order: a node's kind is its op code minus EMBER_OP_EQUAL. */
typedef enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE } cmp_kind;
_Static_assert(EMBER_OP_NOT_EQUAL == EMBER_OP_EQUAL + CMP_NE &&
                   EMBER_OP_LESS == EMBER_OP_EQUAL + CMP_LT &&
                   EMBER_OP_LESS_EQUAL == EMBER_OP_EQUAL + CMP_LE &&
                   EMBER_OP_GREATER == EMBER_OP_EQUAL + CMP_GT &&
                   EMBER_OP_GREATER_EQUAL == EMBER_OP_EQUAL + CMP_GE,
               "compare.c numbers the comparisons by their op codes");

static const char *const compare_names[] = {"equal",   "not_equal", "less",
                                            "less_equal", "greater", "greater_equal"};

typedef struct compare_data {
    ember_broadcast bc;
    cmp_kind kind;
    size_t in_size;
    ember_binary_row_bytes row;
} compare_data;

/* The verdict from the three facts, each false for a NaN operand. */
static uint8_t verdict(cmp_kind kind, bool lt, bool eq, bool gt) {
    switch (kind) {
    case CMP_EQ: return eq;
    case CMP_NE: return !eq;
    case CMP_LT: return lt;
    case CMP_LE: return lt || eq;
    case CMP_GT: return gt;
    default: return gt || eq;
    }
}

static void row_f32(void *out, const void *a, size_t a_step, const void *b, size_t b_step,
                    size_t n, const void *params) {
    const float *x = a, *y = b;
    const cmp_kind kind = *(const cmp_kind *)params;
    uint8_t *o = out;
    for (size_t i = 0; i < n; i++) {
        const float u = x[i * a_step], v = y[i * b_step];
        o[i] = verdict(kind, u < v, u == v, u > v);
    }
}

/* The integer rows: row_i8 ... row_u64 (EMBER_INT_TYPES). */
#define COMPARE_ROW(unused_a, unused_b, sfx, T, W, S, TYPE)                                   \
    static void row_##sfx(void *out, const void *a, size_t a_step, const void *b,             \
                          size_t b_step, size_t n, const void *params) {                      \
        const T *x = a, *y = b;                                                               \
        const cmp_kind kind = *(const cmp_kind *)params;                                      \
        uint8_t *o = out;                                                                     \
        for (size_t i = 0; i < n; i++) {                                                      \
            const T u = x[i * a_step], v = y[i * b_step];                                     \
            o[i] = verdict(kind, u < v, u == v, u > v);                                       \
        }                                                                                     \
    }
EMBER_INT_TYPES(COMPARE_ROW, _, _)
#define COMPARE_ENTRY(unused_a, unused_b, sfx, T, W, S, TYPE) [TYPE] = row_##sfx,
static const ember_int_rows compare_rows_int = {{EMBER_INT_TYPES(COMPARE_ENTRY, _, _)}};

static void row_bool(void *out, const void *a, size_t a_step, const void *b, size_t b_step,
                     size_t n, const void *params) {
    const uint8_t *x = a, *y = b;
    const cmp_kind kind = *(const cmp_kind *)params;
    uint8_t *o = out;
    for (size_t i = 0; i < n; i++) {
        const bool u = x[i * a_step] != 0, v = y[i * b_step] != 0;
        o[i] = verdict(kind, u < v, u == v, u > v);
    }
}

static ember_binary_row_bytes row_for(const ember_tensor *a) {
    switch (a->type) {
    case EMBER_TYPE_FLOAT32: return row_f32;
    case EMBER_TYPE_BOOL: return row_bool;
    default: return ember_is_plain_int(a) ? compare_rows_int.of[a->type] : NULL;
    }
}

static ember_status compare_check(ember_context *ctx, const ember_node *node) {
    const char *op = compare_names[node->op - EMBER_OP_EQUAL];
    ember_status st = ember_check_arity(ctx, node, 2, 2, 1);
    if (st != EMBER_STATUS_OK || (st = ember_check_params(ctx, node, 0)) != EMBER_STATUS_OK)
        return st;
    const ember_tensor *a = ember_input(ctx, node, 0);
    const ember_tensor *b = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (row_for(a) == NULL)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): input 0 '%s' must be float32, bool or a "
                          "plain integer type, got %s%s",
                          node->index, op, a->name, ember_type_str((ember_type)a->type),
                          a->quant_count != 0 ? " (quantized)" : "");
    if ((st = ember_check_type(ctx, node, b, a->type, "input 1")) != EMBER_STATUS_OK ||
        (st = ember_check_type(ctx, node, out, EMBER_TYPE_BOOL, "output")) != EMBER_STATUS_OK ||
        (st = ember_check_broadcast_shape(ctx, node, op, a, b, out)) != EMBER_STATUS_OK ||
        (st = ember_check_inplace(ctx, node, op, a, 0, out)) != EMBER_STATUS_OK ||
        (st = ember_check_inplace(ctx, node, op, b, 1, out)) != EMBER_STATUS_OK)
        return st;
    return ember_check_plain_int(ctx, node, op);
}

static ember_status compare_prepare(ember_context *ctx, ember_node *node) {
    compare_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    const ember_tensor *a = ember_input(ctx, node, 0);
    ember_broadcast_init(&d->bc, a, ember_input(ctx, node, 1), ember_output(ctx, node, 0));
    d->kind = (cmp_kind)(node->op - EMBER_OP_EQUAL);
    d->in_size = ember_type_bytes(a->type);
    d->row = row_for(a);
    node->data = d;
    return EMBER_STATUS_OK;
}

static ember_status compare_eval(ember_context *ctx, const ember_node *node) {
    const compare_data *d = node->data;
    ember_broadcast_bytes(&d->bc, ember_input(ctx, node, 0)->data, d->in_size,
                          ember_input(ctx, node, 1)->data, d->in_size,
                          ember_output(ctx, node, 0)->data, 1, d->row, &d->kind);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_equal = {EMBER_OP_EQUAL, "equal", compare_check,
                                         compare_prepare, compare_eval};
const ember_kernel ember_kernel_not_equal = {EMBER_OP_NOT_EQUAL, "not_equal", compare_check,
                                             compare_prepare, compare_eval};
const ember_kernel ember_kernel_less = {EMBER_OP_LESS, "less", compare_check, compare_prepare,
                                        compare_eval};
const ember_kernel ember_kernel_less_equal = {EMBER_OP_LESS_EQUAL, "less_equal", compare_check,
                                              compare_prepare, compare_eval};
const ember_kernel ember_kernel_greater = {EMBER_OP_GREATER, "greater", compare_check,
                                           compare_prepare, compare_eval};
const ember_kernel ember_kernel_greater_equal = {EMBER_OP_GREATER_EQUAL, "greater_equal",
                                                 compare_check, compare_prepare, compare_eval};
