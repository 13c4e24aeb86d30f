/* SCATTER_ND (ONNX ScatterND; ScatterParams, axis 0): the output is a copy of data in which
   each index tuple of indices [..., k] (INT32 or INT64, a position in data dims [0, k)) takes
   its slice of updates (shape indices.shape[:-1] + data.shape[k:]), combined by the reduction
   (NONE replaces; ADD, MUL, MAX, MIN fold into what is there) in the order of the tuples.
   Eval range-checks every index ([-dim, dim), negative ones count from the end). */
#include <string.h>

#include "ember_internal.h"
#include "kernels/gather_scatter.h"

struct scatter_nd_data {
    size_t tuples;                  /* index tuples */
    uint32_t depth;                 /* k */
    int64_t dims[EMBER_MAX_RANK];   /* data dims 0 .. k - 1 */
    size_t strides[EMBER_MAX_RANK]; /* their strides in elements */
    size_t slice;                   /* elements of one slice */
    size_t elem;                    /* bytes of one element */
    uint8_t type, reduction;
    bool wide;                      /* INT64 indices */
};

static ember_status nd_fail(ember_context *ctx, const ember_node *node, const char *what,
                            int64_t want, int64_t got) {
    return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                      "node %" PRIu32 " (scatter_nd): %s must be %lld, got %lld", node->index,
                      what, (long long)want, (long long)got);
}

static ember_status check_shapes(ember_context *ctx, const ember_node *node,
                                 const ember_tensor *data, const ember_tensor *indices,
                                 const ember_tensor *updates) {
    if (indices->rank < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (scatter_nd): indices must have rank >= 1, got a "
                          "scalar", node->index);
    const int32_t k = indices->dims[indices->rank - 1];
    if (k < 1 || (uint32_t)k > data->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (scatter_nd): the indices' last dim must lie in "
                          "[1, %u] (the data's rank), got %" PRId32,
                          node->index, data->rank, k);
    const uint32_t lead = indices->rank - 1, rank = lead + data->rank - (uint32_t)k;
    if (updates->rank != rank)
        return nd_fail(ctx, node, "the updates' rank", rank, updates->rank);
    for (uint32_t d = 0; d < rank; d++) {
        const int32_t want = d < lead ? indices->dims[d] : data->dims[d - lead + (uint32_t)k];
        if (updates->dims[d] != want)
            return nd_fail(ctx, node, "an updates dim", want, updates->dims[d]);
    }
    return EMBER_STATUS_OK;
}

static ember_status scatter_nd_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 3, 3, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_SCATTER_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *data = ember_input(ctx, node, 0);
    const ember_tensor *indices = ember_input(ctx, node, 1);
    const ember_tensor *updates = ember_input(ctx, node, 2);
    const ember_tensor *out = ember_output(ctx, node, 0);
    int32_t axis;
    uint8_t reduction;
    if (!ember_fb_i32(&node->params, EMBER_SLOT_SCATTER_PARAMS_AXIS, 0, &axis))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (scatter_nd): params out of bounds", node->index);
    if (axis != 0)
        return nd_fail(ctx, node, "axis (scatter_nd takes none)", 0, axis);
    if ((st = ember_check_moved(ctx, node, "scatter_nd", data, out)) ||
        (st = ember_check_moved(ctx, node, "scatter_nd", data, updates)) ||
        (st = ember_check_indices_type(ctx, node, "scatter_nd", indices)) ||
        (st = ember_read_reduction(ctx, node, "scatter_nd", data->type, &reduction)) ||
        (st = check_shapes(ctx, node, data, indices, updates)) ||
        (st = ember_check_same_shape(ctx, node, "scatter_nd", data, out)))
        return st;
    return ember_check_inplace(ctx, node, "scatter_nd", data, 0, out);
}

static ember_status ember_scatter_nd_ref(const struct scatter_nd_data *d, const void *data,
                                         const void *indices, const void *updates, void *out,
                                         size_t bytes) {
    memmove(out, data, bytes);
    size_t k = 0;
    for (size_t t = 0; t < d->tuples; t++) {
        size_t offset = 0;
        for (uint32_t j = 0; j < d->depth; j++, k++) {
            size_t pos;
            if (!ember_index_resolve(ember_index_at(indices, d->wide, k), d->dims[j], &pos))
                return EMBER_STATUS_EVAL_ERROR;
            offset += pos * d->strides[j];
        }
        ember_scatter_reduce(d->type, d->reduction, (uint8_t *)out + offset * d->elem,
                             (const uint8_t *)updates + t * d->slice * d->elem, d->slice);
    }
    return EMBER_STATUS_OK;
}

static ember_status scatter_nd_prepare(ember_context *ctx, ember_node *node) {
    struct scatter_nd_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    const ember_tensor *data = ember_input(ctx, node, 0);
    const ember_tensor *indices = ember_input(ctx, node, 1);
    ember_status st = ember_read_reduction(ctx, node, "scatter_nd", data->type, &d->reduction);
    if (st != EMBER_STATUS_OK)
        return st;
    d->type = data->type;
    d->elem = ember_type_bytes(data->type);
    d->wide = indices->type == EMBER_TYPE_INT64;
    d->depth = (uint32_t)indices->dims[indices->rank - 1];
    d->tuples = indices->count / d->depth;
    size_t stride = 1;
    for (uint32_t i = data->rank; i-- > d->depth;)
        stride *= (size_t)data->dims[i];
    d->slice = stride;
    for (uint32_t i = d->depth; i-- > 0;) {
        d->dims[i] = data->dims[i];
        d->strides[i] = stride;
        stride *= (size_t)data->dims[i];
    }
    return ember_check_constant_indices(ctx, node, "scatter_nd", indices, d->dims, d->depth);
}

static ember_status scatter_nd_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *data = ember_input(ctx, node, 0);
    return ember_scatter_nd_ref(node->data, data->data, ember_input(ctx, node, 1)->data,
                                ember_input(ctx, node, 2)->data,
                                ember_output(ctx, node, 0)->data, data->bytes);
}

const ember_kernel ember_kernel_scatter_nd = {
    EMBER_OP_SCATTER_ND, "scatter_nd", scatter_nd_check, scatter_nd_prepare, scatter_nd_eval,
};
