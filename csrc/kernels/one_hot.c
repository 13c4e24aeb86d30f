/* ONE_HOT (format 8): inputs indices (INT32 or INT64) and values [off, on] (two elements of
   the output's type: FLOAT32, INT32, INT64 or BOOL). The output is the indices' shape with a
   dim of size depth inserted at OneHotParams.axis: on where the position along it equals the
   index, off elsewhere. An index outside [0, depth) gives off everywhere, except that with
   negative_from_end (ONNX) one in [-depth, 0) counts from the end (LiteRT leaves negatives
   off). Elements are copied as bytes, so one loop serves every type. Node data:
   one_hot_data. */
#include <string.h>

#include "ember_internal.h"
#include "kernels/operand.h"
#include "kernels/shape_rules.h"

typedef struct one_hot_data {
    size_t outer, depth, inner; /* the output as [outer, depth, inner] elements */
    size_t size;                /* output element bytes */
    bool int64_indices, negative_from_end;
} one_hot_data;

static int64_t index_at(const one_hot_data *d, const void *indices, size_t i) {
    return d->int64_indices ? ((const int64_t *)indices)[i] : ((const int32_t *)indices)[i];
}

static void ember_one_hot_ref(const one_hot_data *d, const void *indices, const uint8_t *values,
                              uint8_t *out) {
    const uint8_t *off = values, *on = values + d->size;
    const size_t count = d->outer * d->depth * d->inner;
    for (size_t i = 0; i < count; i++)
        memcpy(out + i * d->size, off, d->size);
    const int64_t depth = (int64_t)d->depth;
    for (size_t o = 0; o < d->outer; o++) {
        for (size_t k = 0; k < d->inner; k++) {
            int64_t index = index_at(d, indices, o * d->inner + k);
            if (index < 0 && d->negative_from_end)
                index += depth;
            if (index < 0 || index >= depth)
                continue;
            memcpy(out + ((o * d->depth + (size_t)index) * d->inner + k) * d->size, on, d->size);
        }
    }
}

static ember_status read_params(ember_context *ctx, const ember_node *node, uint32_t rank,
                                int32_t *axis, uint8_t *negative_from_end) {
    const ember_status st =
        ember_read_axis(ctx, node, EMBER_SLOT_ONE_HOT_PARAMS_AXIS, rank, axis);
    if (st != EMBER_STATUS_OK)
        return st;
    if (!ember_fb_u8(&node->params, EMBER_SLOT_ONE_HOT_PARAMS_NEGATIVE_FROM_END, 0,
                     negative_from_end))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (one_hot): params out of bounds", node->index);
    return EMBER_STATUS_OK;
}

static ember_status check_types(ember_context *ctx, const ember_node *node,
                                const ember_tensor *indices, const ember_tensor *values,
                                const ember_tensor *out) {
    if (indices->type != EMBER_TYPE_INT32 && indices->type != EMBER_TYPE_INT64)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (one_hot): indices '%s' must be int32 or int64, "
                          "got %s",
                          node->index, indices->name, ember_type_str((ember_type)indices->type));
    if (out->type != EMBER_TYPE_FLOAT32 && out->type != EMBER_TYPE_INT32 &&
        out->type != EMBER_TYPE_INT64 && out->type != EMBER_TYPE_BOOL)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (one_hot): output '%s' must be float32, int32, "
                          "int64 or bool, got %s",
                          node->index, out->name, ember_type_str((ember_type)out->type));
    if (values->count != 2)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (one_hot): values '%s' must hold 2 elements "
                          "[off, on], got %zu",
                          node->index, values->name, values->count);
    return ember_check_type(ctx, node, values, out->type, "values");
}

/* The output is the indices' shape with one more dim at `axis`. */
static ember_status check_shape(ember_context *ctx, const ember_node *node, uint32_t axis,
                                const ember_tensor *indices, const ember_tensor *out) {
    bool ok = out->rank == indices->rank + 1;
    for (uint32_t i = 0, j = 0; ok && i < out->rank; i++) {
        if (i != axis)
            ok = out->dims[i] == indices->dims[j++];
    }
    if (!ok)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (one_hot): output '%s' must be the shape of "
                          "indices '%s' with the depth inserted at axis %" PRIu32,
                          node->index, out->name, indices->name, axis);
    return EMBER_STATUS_OK;
}

/* Shape rule (resized inputs): the indices' shape with the file's depth inserted at the
   axis. */
ember_status ember_shape_one_hot(ember_context *ctx, const ember_node *node) {
    const ember_tensor *indices;
    ember_status st = ember_shape_input(ctx, node, 0, &indices);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *out = ember_output(ctx, node, 0);
    const uint32_t rank = indices->rank + 1u;
    int32_t axis = 0;
    uint8_t negative_from_end = 0;
    if (rank > EMBER_MAX_RANK || out->stored_shape.len != rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (one_hot): output rank must be %" PRIu32,
                          node->index, rank);
    if ((st = read_params(ctx, node, rank, &axis, &negative_from_end)) != EMBER_STATUS_OK)
        return st;
    int32_t dims[EMBER_MAX_RANK];
    for (uint32_t d = 0, j = 0; d < rank; d++)
        dims[d] = (int32_t)d == axis ? ember_fb_vector_i32(&out->stored_shape, d)
                                     : indices->dims[j++];
    return ember_set_shape(ctx, node, ember_output(ctx, node, 0), rank, dims);
}

static ember_status one_hot_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 2, 3, 1);
    if (st != EMBER_STATUS_OK ||
        (st = ember_check_params(ctx, node, EMBER_OP_PARAMS_ONE_HOT_PARAMS)) != EMBER_STATUS_OK ||
        (st = ember_check_operand(ctx, node, "one_hot", ember_input(ctx, node, 2), "depth", 1)))
        return st;
    const ember_tensor *indices = ember_input(ctx, node, 0);
    const ember_tensor *values = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if ((st = check_types(ctx, node, indices, values, out)) != EMBER_STATUS_OK)
        return st;
    int32_t axis = 0;
    uint8_t negative_from_end = 0;
    if ((st = read_params(ctx, node, out->rank, &axis, &negative_from_end)) != EMBER_STATUS_OK)
        return st;
    return check_shape(ctx, node, (uint32_t)axis, indices, out);
}

static ember_status one_hot_prepare(ember_context *ctx, ember_node *node) {
    one_hot_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    const ember_tensor *out = ember_output(ctx, node, 0);
    int32_t axis = 0;
    uint8_t negative_from_end = 0;
    const ember_status st = read_params(ctx, node, out->rank, &axis, &negative_from_end);
    if (st != EMBER_STATUS_OK)
        return st;
    d->size = ember_type_bytes(out->type);
    ember_axis_extents(out, (uint32_t)axis, &d->outer, &d->inner);
    d->inner /= d->size; /* elements, not bytes */
    d->depth = (size_t)out->dims[axis];
    d->int64_indices = ember_input(ctx, node, 0)->type == EMBER_TYPE_INT64;
    d->negative_from_end = negative_from_end != 0;
    return EMBER_STATUS_OK;
}

/* A run-time depth (input 2) must be the stored one. */
static ember_status one_hot_eval(ember_context *ctx, const ember_node *node) {
    const one_hot_data *d = node->data;
    ember_status st = ember_operand_expect(ctx, node, "one_hot", ember_input(ctx, node, 2), 0,
                                           (int64_t)d->depth, "depth");
    if (st != EMBER_STATUS_OK)
        return st;
    ember_one_hot_ref(node->data, ember_input(ctx, node, 0)->data,
                      ember_input(ctx, node, 1)->data, ember_output(ctx, node, 0)->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_one_hot = {EMBER_OP_ONE_HOT, "one_hot", one_hot_check,
                                           one_hot_prepare, one_hot_eval};
