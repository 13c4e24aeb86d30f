/* CAST: element values converted between FLOAT32, INT8, INT32, INT64 and BOOL; the tensors'
   types say from and to, and quantization parameters are ignored (an int8 value is its stored
   integer), as LiteRT's CAST, a C++ static_cast, does. Float to integer truncates toward
   zero; where C leaves it undefined (out of range, NaN) the value saturates to the int32
   range (int64 for INT64 outputs) with NaN giving 0, then narrows like an integer. A wider
   integer narrows by wrapping (two's complement). To BOOL, anything but zero is true (NaN
   too, as in C, numpy and ONNX); from BOOL, any nonzero byte is 1 (format 7). Node data:
   cast_data. */
#include <math.h>
#include <string.h>

#include "ember_internal.h"

struct cast_data {
    uint8_t from, to;
};

static bool castable(uint8_t type) {
    return type == EMBER_TYPE_FLOAT32 || type == EMBER_TYPE_INT8 || type == EMBER_TYPE_INT32 ||
           type == EMBER_TYPE_INT64 || type == EMBER_TYPE_BOOL;
}

static ember_status cast_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 1, 1, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, 0);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    const ember_tensor *bad = !castable(in->type) ? in : !castable(out->type) ? out : NULL;
    if (bad != NULL)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (cast): '%s' has type %s; CAST converts FLOAT32, "
                          "INT8, INT32, INT64 and BOOL",
                          node->index, bad->name, ember_type_str((ember_type)bad->type));
    if ((st = ember_check_same_shape(ctx, node, "cast", in, out)))
        return st;
    return ember_check_inplace(ctx, node, "cast", in, 0, out);
}

static int64_t load_int(const void *p, size_t i, uint8_t type) {
    switch (type) {
    case EMBER_TYPE_INT8:
        return ((const int8_t *)p)[i];
    case EMBER_TYPE_INT32:
        return ((const int32_t *)p)[i];
    case EMBER_TYPE_BOOL:
        return ((const uint8_t *)p)[i] != 0;
    default:
        return ((const int64_t *)p)[i];
    }
}

/* Two's-complement narrowing without implementation-defined conversions. */
static void store_int(void *p, size_t i, uint8_t type, int64_t v) {
    const uint64_t u = (uint64_t)v;
    if (type == EMBER_TYPE_BOOL) {
        ((uint8_t *)p)[i] = v != 0;
    } else if (type == EMBER_TYPE_INT8) {
        const uint8_t b = (uint8_t)u;
        memcpy((int8_t *)p + i, &b, 1);
    } else if (type == EMBER_TYPE_INT32) {
        const uint32_t w = (uint32_t)u;
        memcpy((int32_t *)p + i, &w, 4);
    } else {
        ((int64_t *)p)[i] = v;
    }
}

/* Truncation toward zero, saturated to [lo, hi]; NaN gives 0. */
static int64_t float_to_int(float f, double lo, double hi) {
    if (isnan(f))
        return 0;
    const double t = trunc((double)f);
    if (t <= lo)
        return (int64_t)lo;
    if (t >= hi)
        return hi >= 9.2e18 ? INT64_MAX : (int64_t)hi;
    return (int64_t)t;
}

static void ember_cast_ref(const struct cast_data *d, const void *in, void *out, size_t n) {
    if (d->from == EMBER_TYPE_FLOAT32 && d->to == EMBER_TYPE_FLOAT32) {
        memmove(out, in, n * sizeof(float));
    } else if (d->from == EMBER_TYPE_FLOAT32 && d->to == EMBER_TYPE_BOOL) {
        for (size_t i = 0; i < n; i++)
            ((uint8_t *)out)[i] = ((const float *)in)[i] != 0.0f;
    } else if (d->from == EMBER_TYPE_FLOAT32) {
        const bool wide = d->to == EMBER_TYPE_INT64;
        const double lo = wide ? -9223372036854775808.0 : -2147483648.0;
        const double hi = wide ? 9223372036854775807.0 : 2147483647.0;
        for (size_t i = 0; i < n; i++)
            store_int(out, i, d->to, float_to_int(((const float *)in)[i], lo, hi));
    } else if (d->to == EMBER_TYPE_FLOAT32) {
        for (size_t i = 0; i < n; i++)
            ((float *)out)[i] = (float)load_int(in, i, d->from);
    } else {
        for (size_t i = 0; i < n; i++)
            store_int(out, i, d->to, load_int(in, i, d->from));
    }
}

static ember_status cast_prepare(ember_context *ctx, ember_node *node) {
    struct cast_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    d->from = ember_input(ctx, node, 0)->type;
    d->to = ember_output(ctx, node, 0)->type;
    node->data = d;
    return EMBER_STATUS_OK;
}

static ember_status cast_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    ember_cast_ref(node->data, in->data, ember_output(ctx, node, 0)->data, in->count);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_cast = {
    EMBER_OP_CAST, "cast", cast_check, cast_prepare, cast_eval,
};
