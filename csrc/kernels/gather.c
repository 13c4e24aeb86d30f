/* GATHER: slices of `data` along `axis` picked by INT32 or INT64 indices of any rank, any
   element size. Indices are data, so eval range-checks each one ([-dim, dim), negative ones
   count from the end); constant indices are checked once at prepare, where the message can
   name the bad one. */
#include <string.h>

#include "ember_internal.h"
#include "kernels/quant.h"
#include "kernels/shape_rules.h"

struct gather_data {
    size_t outer;      /* product of data dims before the axis */
    int64_t axis_dim;
    size_t inner;      /* bytes of one slice (dims after the axis) */
    size_t index_count;
    bool wide;         /* INT64 indices */
};

static int64_t gather_index(const struct gather_data *d, const void *indices, size_t k) {
    return d->wide ? ((const int64_t *)indices)[k] : ((const int32_t *)indices)[k];
}

ember_status ember_shape_gather(ember_context *ctx, const ember_node *node) {
    const ember_tensor *data, *indices;
    int32_t axis;
    ember_status st = ember_shape_input(ctx, node, 0, &data);
    if (st == EMBER_STATUS_OK)
        st = ember_shape_input(ctx, node, 1, &indices);
    if (st == EMBER_STATUS_OK)
        st = ember_read_axis(ctx, node, EMBER_SLOT_GATHER_PARAMS_AXIS, data->rank, &axis);
    if (st != EMBER_STATUS_OK)
        return st;
    const uint32_t a = (uint32_t)axis, rank = data->rank - 1 + indices->rank;
    if (rank > EMBER_MAX_RANK)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (gather): output rank %" PRIu32 " is too large",
                          node->index, rank);
    int32_t dims[EMBER_MAX_RANK];
    for (uint32_t i = 0; i < rank; i++)
        dims[i] = i < a                    ? data->dims[i]
                  : i < a + indices->rank ? indices->dims[i - a]
                                          : data->dims[i - indices->rank + 1];
    return ember_set_shape(ctx, node, ember_output(ctx, node, 0), rank, dims);
}

static ember_status gather_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 2, 2, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_GATHER_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *data = ember_input(ctx, node, 0);
    const ember_tensor *indices = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (ember_type_bytes(data->type) == 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (gather): unknown data type %u", node->index,
                          data->type);
    if (indices->type != EMBER_TYPE_INT32 && indices->type != EMBER_TYPE_INT64)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (gather): indices must be INT32 or INT64, got type %u",
                          node->index, indices->type);
    if ((st = ember_check_type(ctx, node, out, data->type, "output")) ||
        (st = ember_check_same_quant(ctx, node, data, out)))
        return st;
    int32_t axis;
    if ((st = ember_read_axis(ctx, node, EMBER_SLOT_GATHER_PARAMS_AXIS, data->rank, &axis)))
        return st;
    uint32_t rank = data->rank - 1 + indices->rank;
    if (out->rank != rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (gather): output rank must be %" PRIu32 ", got %u",
                          node->index, rank, out->rank);
    for (uint32_t i = 0; i < rank; i++) {
        uint32_t a = (uint32_t)axis;
        int32_t want = i < a                    ? data->dims[i]
                       : i < a + indices->rank ? indices->dims[i - a]
                                               : data->dims[i - indices->rank + 1];
        if (out->dims[i] != want)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (gather): output dim %" PRIu32 " must be "
                              "%" PRId32 ", got %" PRId32,
                              node->index, i, want, out->dims[i]);
    }
    return EMBER_STATUS_OK;
}

static ember_status ember_gather_ref(const struct gather_data *d, const void *data,
                                     const void *indices, void *out) {
    const uint8_t *src = data;
    uint8_t *dst = out;
    for (size_t o = 0; o < d->outer; o++) {
        const uint8_t *block = src + o * (size_t)d->axis_dim * d->inner;
        for (size_t k = 0; k < d->index_count; k++) {
            int64_t i = gather_index(d, indices, k);
            if (i < -d->axis_dim || i >= d->axis_dim)
                return EMBER_STATUS_EVAL_ERROR;
            if (i < 0)
                i += d->axis_dim;
            memmove(dst, block + (size_t)i * d->inner, d->inner);
            dst += d->inner;
        }
    }
    return EMBER_STATUS_OK;
}

/* Constant indices fail at allocate, naming the first one out of range, rather than every
   invoke with a bare evaluation error. */
static ember_status gather_check_constant_indices(ember_context *ctx, const ember_node *node,
                                                  const struct gather_data *d) {
    const ember_tensor *indices = ember_input(ctx, node, 1);
    if (!indices->is_constant || indices->data == NULL)
        return EMBER_STATUS_OK;
    for (size_t k = 0; k < d->index_count; k++) {
        const int64_t i = gather_index(d, indices->data, k);
        if (i < -d->axis_dim || i >= d->axis_dim)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (gather '%s'): constant index %lld at position "
                              "%zu of '%s' is out of range: the axis has %lld entries, so "
                              "indices must lie in [%lld,%lld)",
                              node->index, node->name, (long long)i, k, indices->name,
                              (long long)d->axis_dim, (long long)-d->axis_dim,
                              (long long)d->axis_dim);
    }
    return EMBER_STATUS_OK;
}

static ember_status gather_prepare(ember_context *ctx, ember_node *node) {
    struct gather_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    const ember_tensor *data = ember_input(ctx, node, 0);
    const ember_tensor *indices = ember_input(ctx, node, 1);
    int32_t axis;
    ember_status st =
        ember_read_axis(ctx, node, EMBER_SLOT_GATHER_PARAMS_AXIS, data->rank, &axis);
    if (st != EMBER_STATUS_OK)
        return st;
    ember_axis_extents(data, (uint32_t)axis, &d->outer, &d->inner);
    d->axis_dim = data->dims[axis];
    d->index_count = indices->count;
    d->wide = indices->type == EMBER_TYPE_INT64;
    return gather_check_constant_indices(ctx, node, d);
}

static ember_status gather_eval(ember_context *ctx, const ember_node *node) {
    const struct gather_data *d = node->data;
    if (ember_gather_ref(d, ember_input(ctx, node, 0)->data, ember_input(ctx, node, 1)->data,
                         ember_output(ctx, node, 0)->data) == EMBER_STATUS_OK)
        return EMBER_STATUS_OK;
    return ember_fail(ctx, EMBER_STATUS_EVAL_ERROR,
                      "node %" PRIu32 " (gather '%s'): an index is outside [-%lld, %lld)",
                      node->index, node->name, (long long)d->axis_dim, (long long)d->axis_dim);
}

const ember_kernel ember_kernel_gather = {
    EMBER_OP_GATHER, "gather", gather_check, gather_prepare, gather_eval,
};
