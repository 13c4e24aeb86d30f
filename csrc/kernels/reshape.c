/* RESHAPE: the same elements under the output's shape. When the memory planner places the
   output on the input's bytes there is nothing to do.
   An ONNX Reshape, Squeeze or Unsqueeze whose shape or axes is a run-time tensor keeps it as
   an optional input that eval checks against the stored output shape (kernels/operand.h):
   input 1 an ONNX shape (0 copies the input's dim, one -1 takes the rest), input 2 Squeeze's
   axes, input 3 Unsqueeze's axes; at most one of them is present. */
#include <string.h>

#include "ember_internal.h"
#include "kernels/operand.h"
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

static const char *const reshape_operand_names[] = {"", "shape", "squeeze axes",
                                                     "unsqueeze axes"};

/* The run-time operand's input index (1..3), or 0 when there is none. */
static uint32_t reshape_operand(ember_context *ctx, const ember_node *node) {
    for (uint32_t i = 1; i < 4; i++)
        if (ember_input(ctx, node, i) != NULL)
            return i;
    return 0;
}

static ember_status reshape_check_operands(ember_context *ctx, const ember_node *node) {
    uint32_t given = 0;
    for (uint32_t i = 1; i < 4; i++) {
        const ember_tensor *t = ember_input(ctx, node, i);
        ember_status st = ember_check_operand(ctx, node, "reshape", t,
                                              reshape_operand_names[i], EMBER_MAX_RANK);
        if (st != EMBER_STATUS_OK)
            return st;
        given += t != NULL;
    }
    if (given > 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (reshape): %" PRIu32 " run-time operands (shape, "
                          "squeeze axes, unsqueeze axes) given, at most one may be",
                          node->index, given);
    return EMBER_STATUS_OK;
}

static ember_status reshape_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 1, 4, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_RESHAPE_PARAMS);
    if (st == EMBER_STATUS_OK)
        st = reshape_check_operands(ctx, node);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
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

/* The output dims an ONNX shape gives `in` in dims[]; false when it gives none. */
static bool reshape_onnx_shape(const ember_tensor *in, const ember_tensor *shape, int64_t *dims) {
    size_t known = 1;
    uint32_t open = (uint32_t)shape->count;
    for (uint32_t d = 0; d < shape->count; d++) {
        dims[d] = ember_operand_at(shape, d);
        if (dims[d] == 0 && d < in->rank)
            dims[d] = in->dims[d];
        if (dims[d] == -1 && open == shape->count)
            open = d;
        else if (dims[d] < 0 || (dims[d] > 0 && known > SIZE_MAX / (size_t)dims[d]))
            return false;
        else
            known *= (size_t)dims[d];
    }
    if (open < shape->count) {
        if (known == 0 || in->count % known != 0)
            return false;
        dims[open] = (int64_t)(in->count / known);
    }
    return true;
}

/* The output dims Squeeze (`squeeze`) or Unsqueeze of `axes` gives `in`; false when an axis
   is out of range, repeated, or (Squeeze) names a dim that is not 1. */
static bool reshape_axes(const ember_tensor *in, const ember_tensor *axes, bool squeeze,
                         int64_t *dims, uint32_t *rank) {
    const uint32_t r = squeeze ? in->rank : in->rank + (uint32_t)axes->count;
    bool picked[2 * EMBER_MAX_RANK] = {false};
    if (r > 2 * EMBER_MAX_RANK || (squeeze && axes->count > in->rank))
        return false;
    for (size_t k = 0; k < axes->count; k++) {
        uint32_t a;
        if (!ember_operand_axis(ember_operand_at(axes, k), r, &a) || picked[a] ||
            (squeeze && in->dims[a] != 1))
            return false;
        picked[a] = true;
    }
    *rank = 0;
    for (uint32_t d = 0, next = 0; d < r; d++) {
        if (squeeze && !picked[d])
            dims[(*rank)++] = in->dims[d];
        else if (!squeeze)
            dims[(*rank)++] = picked[d] ? 1 : in->dims[next++];
    }
    return true;
}

/* The run-time shape or axes must give the stored output shape. */
static ember_status reshape_check_runtime(ember_context *ctx, const ember_node *node,
                                          const ember_tensor *in, const ember_tensor *out) {
    const uint32_t which = reshape_operand(ctx, node);
    if (which == 0)
        return EMBER_STATUS_OK;
    const ember_tensor *t = ember_input(ctx, node, which);
    int64_t dims[2 * EMBER_MAX_RANK];
    uint32_t rank = (uint32_t)t->count;
    bool ok = which == 1 ? t->count <= EMBER_MAX_RANK && reshape_onnx_shape(in, t, dims)
                         : reshape_axes(in, t, which == 2, dims, &rank);
    for (uint32_t d = 0; ok && d < rank; d++)
        ok = rank == out->rank && dims[d] == out->dims[d];
    if (ok && rank == out->rank)
        return EMBER_STATUS_OK;
    return ember_fail(ctx, EMBER_STATUS_EVAL_ERROR,
                      "node %" PRIu32 " (reshape): the run-time %s (%zu values, first %lld"
                      ") does not give the stored output shape (rank %u) from an input of rank %u",
                      node->index, reshape_operand_names[which], t->count,
                      (long long)(t->count ? ember_operand_at(t, 0) : 0), out->rank, in->rank);
}

static ember_status reshape_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    ember_status st = reshape_check_runtime(ctx, node, in, ember_output(ctx, node, 0));
    if (st != EMBER_STATUS_OK)
        return st;
    ember_reshape_ref(in->data, ember_output(ctx, node, 0)->data, in->bytes);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_reshape = {
    EMBER_OP_RESHAPE, "reshape", reshape_check, reshape_prepare, reshape_eval,
};
