/* RESHAPE: the same elements under the output's shape. When the memory planner places the
   output on the input's bytes there is nothing to do. */
#include <string.h>

#include "ember_internal.h"
#include "kernels/quant.h"
#include "kernels/shape_rules.h"

static ember_status reshape_spec(ember_context *ctx, const ember_node *node,
                                 ember_fb_vector *spec) {
    if (!ember_fb_vector_field(&node->params, EMBER_SLOT_RESHAPE_PARAMS_NEW_SHAPE, 4, spec))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (reshape): new_shape out of bounds", node->index);
    return EMBER_STATUS_OK;
}

/* The -1 entry of a new_shape: the dim that makes the counts agree. */
#define RESHAPE_OPEN INT32_MIN

/* Output dim d as new_shape entry v gives it for input `in`: a fixed size, the input's dim
   (which may be 0), or a symbol's value; RESHAPE_OPEN for -1 and -1 for an entry that names
   nothing. */
static int32_t reshape_dim(const ember_context *ctx, const ember_tensor *in, uint32_t d,
                           int32_t v) {
    if (v > 0)
        return v;
    if (v == 0)
        return d < in->rank ? in->dims[d] : -1;
    return v == -1 ? RESHAPE_OPEN : ember_symbol_dim(ctx, v);
}

/* A new_shape, where the file has one, must describe the output (format 8). */
static ember_status reshape_check_spec(ember_context *ctx, const ember_node *node,
                                       const ember_tensor *in, const ember_tensor *out) {
    ember_fb_vector spec;
    ember_status st = reshape_spec(ctx, node, &spec);
    if (st != EMBER_STATUS_OK || spec.len == 0)
        return st;
    uint32_t inferred = 0;
    for (uint32_t d = 0; d < spec.len && spec.len == out->rank; d++) {
        const int32_t want = reshape_dim(ctx, in, d, ember_fb_vector_i32(&spec, d));
        inferred += want == RESHAPE_OPEN;
        if ((want < 0 && want != RESHAPE_OPEN) || (want >= 0 && want != out->dims[d]))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (reshape): new_shape entry %" PRIu32 " (%" PRId32
                              ") does not give output dim %" PRId32,
                              node->index, d, ember_fb_vector_i32(&spec, d), out->dims[d]);
    }
    if (spec.len != out->rank || inferred > 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (reshape): new_shape must have %u entries with at "
                          "most one -1, got %" PRIu32 " entries and %" PRIu32,
                          node->index, out->rank, spec.len, inferred);
    return EMBER_STATUS_OK;
}

ember_status ember_shape_reshape(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in;
    ember_fb_vector spec;
    ember_status st = ember_shape_input(ctx, node, 0, &in);
    if (st == EMBER_STATUS_OK)
        st = reshape_spec(ctx, node, &spec);
    if (st != EMBER_STATUS_OK || spec.len == 0) /* no new_shape: the stored shape stays */
        return st;
    if (spec.len > EMBER_MAX_RANK)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (reshape): new_shape has %" PRIu32 " entries",
                          node->index, spec.len);
    int32_t dims[EMBER_MAX_RANK];
    size_t known = 1;
    uint32_t open = spec.len;
    for (uint32_t d = 0; d < spec.len; d++) {
        dims[d] = reshape_dim(ctx, in, d, ember_fb_vector_i32(&spec, d));
        if (dims[d] == RESHAPE_OPEN)
            open = d;
        else if (dims[d] >= 0 && known <= in->count)
            known *= (size_t)dims[d];
    }
    if (open < spec.len) /* no known product (a fixed 0 beside it) leaves it unknown */
        dims[open] = known > 0 && in->count % known == 0 && in->count / known <= INT32_MAX
                         ? (int32_t)(in->count / known)
                         : -1;
    return ember_set_shape(ctx, node, ember_output(ctx, node, 0), spec.len, dims);
}

/* A TFLite-style second input (the target shape, INT32 or INT64) is accepted and ignored:
   the output tensor's static shape is authoritative. */
static ember_status reshape_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 1, 2, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_RESHAPE_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *shape = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (shape != NULL && shape->type != EMBER_TYPE_INT32 && shape->type != EMBER_TYPE_INT64)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (reshape): shape input must be INT32 or INT64, got "
                          "type %u",
                          node->index, shape->type);
    if ((st = ember_check_type(ctx, node, out, in->type, "output")) ||
        (st = ember_check_same_quant(ctx, node, in, out)))
        return st;
    if (out->count != in->count)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (reshape): output has %zu elements, input has %zu",
                          node->index, out->count, in->count);
    return reshape_check_spec(ctx, node, in, out);
}

static void ember_reshape_ref(const void *in, void *out, size_t bytes) {
    if (out != in)
        memmove(out, in, bytes);
}

static ember_status reshape_prepare(ember_context *ctx, ember_node *node) {
    (void)ctx;
    (void)node;
    return EMBER_STATUS_OK;
}

static ember_status reshape_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    ember_reshape_ref(in->data, ember_output(ctx, node, 0)->data, in->bytes);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_reshape = {
    EMBER_OP_RESHAPE, "reshape", reshape_check, reshape_prepare, reshape_eval,
};
