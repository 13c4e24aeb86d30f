/* SCATTER_ELEMENTS (ONNX ScatterElements and Scatter; ScatterParams): the output is a copy of
   data in which, for each element k of indices (INT32 or INT64, of the data's rank, no longer
   than it off `axis`), the cell at k's coordinates with the one along `axis` replaced by
   indices[k] takes updates[k] (updates has the indices' shape), combined by the reduction
   (NONE replaces; ADD, MUL, MAX, MIN fold into what is there) in the order of k. Eval
   range-checks every index ([-dim, dim), negative ones count from the end). */
#include <string.h>

#include "ember_internal.h"
#include "kernels/gather_scatter.h"

struct scatter_elements_data {
    ember_elements_plan plan;
    size_t elem; /* bytes of one element */
    uint8_t type, reduction;
};

static ember_status scatter_elements_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 3, 3, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_SCATTER_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    const char *op = "scatter_elements";
    const ember_tensor *data = ember_input(ctx, node, 0);
    const ember_tensor *indices = ember_input(ctx, node, 1);
    const ember_tensor *updates = ember_input(ctx, node, 2);
    const ember_tensor *out = ember_output(ctx, node, 0);
    int32_t axis;
    uint8_t reduction;
    if ((st = ember_check_moved(ctx, node, op, data, out)) ||
        (st = ember_check_moved(ctx, node, op, data, updates)) ||
        (st = ember_check_indices_type(ctx, node, op, indices)) ||
        (st = ember_read_reduction(ctx, node, op, data->type, &reduction)) ||
        (st = ember_read_axis(ctx, node, EMBER_SLOT_SCATTER_PARAMS_AXIS, data->rank, &axis)) ||
        (st = ember_elements_check(ctx, node, op, data, indices, (uint32_t)axis)) ||
        (st = ember_check_same_shape(ctx, node, op, indices, updates)) ||
        (st = ember_check_same_shape(ctx, node, op, data, out)))
        return st;
    return ember_check_inplace(ctx, node, op, data, 0, out);
}

static ember_status ember_scatter_elements_ref(const struct scatter_elements_data *d,
                                               const void *data, const void *indices,
                                               const void *updates, void *out, size_t bytes) {
    const ember_elements_plan *p = &d->plan;
    memmove(out, data, bytes);
    ember_elements_walk w = {{0}, 0};
    const size_t axis_stride = p->strides[p->axis];
    for (size_t k = 0; k < p->count; k++) {
        size_t pos;
        if (!ember_index_resolve(ember_index_at(indices, p->wide, k), p->axis_dim, &pos))
            return EMBER_STATUS_EVAL_ERROR;
        ember_scatter_reduce(d->type, d->reduction,
                             (uint8_t *)out + (w.base + pos * axis_stride) * d->elem,
                             (const uint8_t *)updates + k * d->elem, 1);
        ember_elements_next(p, &w);
    }
    return EMBER_STATUS_OK;
}

static ember_status scatter_elements_prepare(ember_context *ctx, ember_node *node) {
    struct scatter_elements_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    const ember_tensor *data = ember_input(ctx, node, 0);
    const ember_tensor *indices = ember_input(ctx, node, 1);
    int32_t axis;
    ember_status st;
    if ((st = ember_read_reduction(ctx, node, "scatter_elements", data->type, &d->reduction)) ||
        (st = ember_read_axis(ctx, node, EMBER_SLOT_SCATTER_PARAMS_AXIS, data->rank, &axis)))
        return st;
    d->type = data->type;
    d->elem = ember_type_bytes(data->type);
    ember_elements_plan_init(&d->plan, data, indices, (uint32_t)axis);
    return ember_check_constant_indices(ctx, node, "scatter_elements", indices,
                                        &d->plan.axis_dim, 1);
}

static ember_status scatter_elements_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *data = ember_input(ctx, node, 0);
    return ember_scatter_elements_ref(node->data, data->data, ember_input(ctx, node, 1)->data,
                                      ember_input(ctx, node, 2)->data,
                                      ember_output(ctx, node, 0)->data, data->bytes);
}

const ember_kernel ember_kernel_scatter_elements = {
    EMBER_OP_SCATTER_ELEMENTS, "scatter_elements", scatter_elements_check,
    scatter_elements_prepare, scatter_elements_eval,
};
