/* MOD (format 8): out = a mod b, numpy broadcasting of two inputs of one type (FLOAT32 or any
   plain integer type, int8 to uint64). ModParams.fmod picks C's fmod (the remainder has the
   dividend's sign) over the floor remainder (the divisor's sign, Python's % and numpy's mod: a zero result takes the
   divisor's sign, x mod +-inf is x or +-inf). An integer divisor of 0 gives 0 rather than a
   trap (the result is data, and eval cannot fail); a divisor of -1 gives 0 without computing
   INT_MIN % -1, which overflows. Node data: mod_data. */
#include <math.h>

#include "ember_internal.h"
#include "kernels/broadcast.h"

typedef struct mod_data {
    ember_broadcast bc;
    size_t size; /* element bytes */
    ember_binary_row_bytes row;
    bool fmod;
} mod_data;

/* The floor remainder from the truncated one r = a % b (b != 0): moved by b where the signs
   of r and b differ. */
static int64_t floor_mod_i64(int64_t a, int64_t b) {
    if (b == 0 || b == -1)
        return 0;
    const int64_t r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

static int64_t trunc_mod_i64(int64_t a, int64_t b) {
    return (b == 0 || b == -1) ? 0 : a % b;
}

static float floor_mod_f32(float a, float b) {
    float r = fmodf(a, b);
    if (b == 0.0f)
        return r; /* NaN */
    if (r != 0.0f)
        return ((r < 0.0f) != (b < 0.0f)) ? r + b : r;
    return copysignf(0.0f, b);
}

/* A signed remainder, any width (the operands come in widened to int64). */
static int64_t mod_signed(int64_t a, int64_t b, bool fmod) {
    return fmod ? trunc_mod_i64(a, b) : floor_mod_i64(a, b);
}

/* Unsigned operands have one remainder: C's %, with x mod 0 = 0. */
EMBER_INT_ROWS(mod_rows_int, S ? (T)mod_signed((int64_t)x, (int64_t)y, *(const bool *)params)
                               : (y == 0 ? (T)0 : (T)(x % y)))

static void row_f32(void *out, const void *a, size_t a_step, const void *b, size_t b_step,
                    size_t n, const void *params) {
    const float *x = a, *y = b;
    float *o = out;
    const bool fmod = *(const bool *)params;
    for (size_t i = 0; i < n; i++) {
        const float u = x[i * a_step], v = y[i * b_step];
        o[i] = fmod ? fmodf(u, v) : floor_mod_f32(u, v);
    }
}

static ember_binary_row_bytes row_for(const ember_tensor *a) {
    if (a->type == EMBER_TYPE_FLOAT32)
        return row_f32;
    return ember_is_plain_int(a) ? mod_rows_int.of[a->type] : NULL;
}

static ember_status mod_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 2, 2, 1);
    if (st != EMBER_STATUS_OK ||
        (st = ember_check_params(ctx, node, EMBER_OP_PARAMS_MOD_PARAMS)) != EMBER_STATUS_OK)
        return st;
    const ember_tensor *a = ember_input(ctx, node, 0);
    const ember_tensor *b = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (row_for(a) == NULL)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (mod): input 0 '%s' must be float32 or a plain "
                          "integer type, got %s%s",
                          node->index, a->name, ember_type_str((ember_type)a->type),
                          a->quant_count != 0 ? " (quantized)" : "");
    uint8_t fmod = 0;
    if (!ember_fb_u8(&node->params, EMBER_SLOT_MOD_PARAMS_FMOD, 0, &fmod))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (mod): params out of bounds", node->index);
    if ((st = ember_check_type(ctx, node, b, a->type, "input 1")) != EMBER_STATUS_OK ||
        (st = ember_check_type(ctx, node, out, a->type, "output")) != EMBER_STATUS_OK ||
        (st = ember_check_broadcast_shape(ctx, node, "mod", a, b, out)) != EMBER_STATUS_OK ||
        (st = ember_check_inplace(ctx, node, "mod", a, 0, out)) != EMBER_STATUS_OK ||
        (st = ember_check_inplace(ctx, node, "mod", b, 1, out)) != EMBER_STATUS_OK)
        return st;
    return a->type == EMBER_TYPE_FLOAT32 ? EMBER_STATUS_OK
                                         : ember_check_plain_int(ctx, node, "mod");
}

static ember_status mod_prepare(ember_context *ctx, ember_node *node) {
    mod_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    const ember_tensor *a = ember_input(ctx, node, 0);
    ember_broadcast_init(&d->bc, a, ember_input(ctx, node, 1), ember_output(ctx, node, 0));
    uint8_t fmod = 0;
    (void)ember_fb_u8(&node->params, EMBER_SLOT_MOD_PARAMS_FMOD, 0, &fmod); /* checked */
    d->fmod = fmod != 0;
    d->size = ember_type_bytes(a->type);
    d->row = row_for(a);
    node->data = d;
    return EMBER_STATUS_OK;
}

static ember_status mod_eval(ember_context *ctx, const ember_node *node) {
    const mod_data *d = node->data;
    ember_broadcast_bytes(&d->bc, ember_input(ctx, node, 0)->data, d->size,
                          ember_input(ctx, node, 1)->data, d->size,
                          ember_output(ctx, node, 0)->data, d->size, d->row, &d->fmod);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_mod = {EMBER_OP_MOD, "mod", mod_check, mod_prepare, mod_eval};
