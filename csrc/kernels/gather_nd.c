/* GATHER_ND (ONNX GatherND, TFLite GATHER_ND; GatherNDParams): indices [..., k] (INT32 or
   INT64) whose last axis is a position in data dims [b, b + k), b = batch_dims, the first b
   dims of data and indices being shared batch dims; each position picks the slice
   data[batch, i0, ..., ik-1, ...]. Output: indices.shape[:-1] + data.shape[b + k:]. Eval
   range-checks every index ([-dim, dim), negative ones count from the end). */
#include <string.h>

#include "ember_internal.h"
#include "kernels/gather_scatter.h"
#include "kernels/shape_rules.h"

struct gather_nd_data {
    size_t batches;                /* product of the batch dims */
    size_t tuples;                 /* index tuples per batch */
    uint32_t depth;                /* k */
    int64_t dims[EMBER_MAX_RANK];  /* data dims b .. b + k - 1 */
    size_t strides[EMBER_MAX_RANK]; /* their strides in bytes */
    size_t slice;                  /* bytes of one gathered slice */
    size_t batch_bytes;            /* bytes of the data of one batch */
    bool wide;                     /* INT64 indices */
};

static ember_status nd_fail(ember_context *ctx, const ember_node *node, const char *what,
                            int64_t want, int64_t got) {
    return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                      "node %" PRIu32 " (gather_nd): %s must be %lld, got %lld", node->index,
                      what, (long long)want, (long long)got);
}

static ember_status read_batch_dims(ember_context *ctx, const ember_node *node,
                                    const ember_tensor *data, const ember_tensor *indices,
                                    uint32_t *batch_dims) {
    int32_t b;
    if (!ember_fb_i32(&node->params, EMBER_SLOT_GATHER_ND_PARAMS_BATCH_DIMS, 0, &b))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (gather_nd): params out of bounds", node->index);
    if (indices->rank < 1 || b < 0 || (uint32_t)b >= indices->rank ||
        (uint32_t)b >= data->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (gather_nd): batch_dims %" PRId32 " must lie in [0, "
                          "min(data rank %u, indices rank %u)), indices of rank >= 1",
                          node->index, b, data->rank, indices->rank);
    *batch_dims = (uint32_t)b;
    return EMBER_STATUS_OK;
}

/* The output's shape and the batch dims shared by data and indices. */
static ember_status check_shapes(ember_context *ctx, const ember_node *node,
                                 const ember_tensor *data, const ember_tensor *indices,
                                 const ember_tensor *out, uint32_t b) {
    const int32_t k = indices->dims[indices->rank - 1];
    if (k < 1 || (uint32_t)k > data->rank - b)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (gather_nd): the indices' last dim must lie in [1, "
                          "%" PRIu32 "] (data rank %u less batch_dims %" PRIu32 "), got %" PRId32,
                          node->index, data->rank - b, data->rank, b, k);
    for (uint32_t d = 0; d < b; d++) {
        if (indices->dims[d] != data->dims[d])
            return nd_fail(ctx, node, "an indices batch dim", data->dims[d], indices->dims[d]);
    }
    const uint32_t lead = indices->rank - 1, rank = lead + data->rank - b - (uint32_t)k;
    if (out->rank != rank)
        return nd_fail(ctx, node, "the output rank", rank, out->rank);
    for (uint32_t d = 0; d < rank; d++) {
        const int32_t want = d < lead ? indices->dims[d] : data->dims[d - lead + b + (uint32_t)k];
        if (out->dims[d] != want)
            return nd_fail(ctx, node, "an output dim", want, out->dims[d]);
    }
    return EMBER_STATUS_OK;
}

/* After a resize: indices.shape[:-1] + data.shape[b + k:]; check validates the rest. */
ember_status ember_shape_gather_nd(ember_context *ctx, const ember_node *node) {
    const ember_tensor *data, *indices;
    uint32_t b = 0;
    ember_status st = ember_shape_input(ctx, node, 0, &data);
    if (st == EMBER_STATUS_OK)
        st = ember_shape_input(ctx, node, 1, &indices);
    if (st == EMBER_STATUS_OK)
        st = read_batch_dims(ctx, node, data, indices, &b);
    if (st != EMBER_STATUS_OK)
        return st;
    const int32_t k = indices->dims[indices->rank - 1];
    const uint32_t lead = indices->rank - 1;
    const bool fits = k >= 1 && (uint32_t)k <= data->rank - b &&
                      lead + data->rank - b - (uint32_t)k <= EMBER_MAX_RANK;
    if (!fits) /* check_shapes names what is wrong */
        return check_shapes(ctx, node, data, indices, ember_output(ctx, node, 0), b);
    int32_t dims[EMBER_MAX_RANK];
    uint32_t rank = 0;
    for (uint32_t d = 0; d < lead; d++)
        dims[rank++] = indices->dims[d];
    for (uint32_t d = b + (uint32_t)k; d < data->rank; d++)
        dims[rank++] = data->dims[d];
    return ember_set_shape(ctx, node, ember_output(ctx, node, 0), rank, dims);
}

static ember_status gather_nd_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 2, 2, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_GATHER_ND_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *data = ember_input(ctx, node, 0);
    const ember_tensor *indices = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    uint32_t b = 0;
    if ((st = ember_check_moved(ctx, node, "gather_nd", data, out)) ||
        (st = ember_check_indices_type(ctx, node, "gather_nd", indices)) ||
        (st = read_batch_dims(ctx, node, data, indices, &b)))
        return st;
    return check_shapes(ctx, node, data, indices, out, b);
}

static ember_status ember_gather_nd_ref(const struct gather_nd_data *d, const void *data,
                                        const void *indices, void *out) {
    uint8_t *dst = out;
    size_t k = 0;
    for (size_t bt = 0; bt < d->batches; bt++) {
        for (size_t t = 0; t < d->tuples; t++) {
            /* Offsets stay integers until every index is in range, so a bad one never forms
               a pointer outside the data. */
            size_t offset = bt * d->batch_bytes;
            for (uint32_t j = 0; j < d->depth; j++, k++) {
                size_t pos;
                if (!ember_index_resolve(ember_index_at(indices, d->wide, k), d->dims[j], &pos))
                    return EMBER_STATUS_EVAL_ERROR;
                offset += pos * d->strides[j];
            }
            memcpy(dst, (const uint8_t *)data + offset, d->slice);
            dst += d->slice;
        }
    }
    return EMBER_STATUS_OK;
}

static ember_status gather_nd_prepare(ember_context *ctx, ember_node *node) {
    struct gather_nd_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    const ember_tensor *data = ember_input(ctx, node, 0);
    const ember_tensor *indices = ember_input(ctx, node, 1);
    uint32_t b = 0;
    ember_status st = read_batch_dims(ctx, node, data, indices, &b);
    if (st != EMBER_STATUS_OK)
        return st;
    d->depth = (uint32_t)indices->dims[indices->rank - 1];
    d->wide = indices->type == EMBER_TYPE_INT64;
    d->batches = 1;
    for (uint32_t i = 0; i < b; i++)
        d->batches *= (size_t)data->dims[i];
    d->tuples = 1;
    for (uint32_t i = b; i + 1 < indices->rank; i++)
        d->tuples *= (size_t)indices->dims[i];
    size_t stride = ember_type_bytes(data->type);
    for (uint32_t i = data->rank; i-- > b + d->depth;)
        stride *= (size_t)data->dims[i];
    d->slice = stride;
    for (uint32_t i = b + d->depth; i-- > b;) {
        d->dims[i - b] = data->dims[i];
        d->strides[i - b] = stride;
        stride *= (size_t)data->dims[i];
    }
    d->batch_bytes = stride;
    return ember_check_constant_indices(ctx, node, "gather_nd", indices, d->dims, d->depth);
}

static ember_status gather_nd_eval(ember_context *ctx, const ember_node *node) {
    return ember_gather_nd_ref(node->data, ember_input(ctx, node, 0)->data,
                               ember_input(ctx, node, 1)->data, ember_output(ctx, node, 0)->data);
}

const ember_kernel ember_kernel_gather_nd = {
    EMBER_OP_GATHER_ND, "gather_nd", gather_nd_check, gather_nd_prepare, gather_nd_eval,
};
