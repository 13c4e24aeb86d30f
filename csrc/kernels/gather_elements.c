/* GATHER_ELEMENTS (ONNX GatherElements; GatherParams): out[k] = data at k's coordinates with
   the one along `axis` replaced by indices[k]; the output has the indices' shape. Indices are
   INT32 or INT64 data of the data's rank, range-checked by eval ([-dim, dim), negative ones
   count from the end); any element type the gather/scatter family moves. */
#include <string.h>

#include "ember_internal.h"
#include "kernels/gather_scatter.h"

static ember_status gather_elements_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 2, 2, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_GATHER_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *data = ember_input(ctx, node, 0);
    const ember_tensor *indices = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    int32_t axis;
    if ((st = ember_check_moved(ctx, node, "gather_elements", data, out)) ||
        (st = ember_check_indices_type(ctx, node, "gather_elements", indices)) ||
        (st = ember_read_axis(ctx, node, EMBER_SLOT_GATHER_PARAMS_AXIS, data->rank, &axis)) ||
        (st = ember_elements_check(ctx, node, "gather_elements", data, indices,
                                   (uint32_t)axis)))
        return st;
    return ember_check_same_shape(ctx, node, "gather_elements", indices, out);
}

static ember_status ember_gather_elements_ref(const ember_elements_plan *p, size_t elem,
                                              const void *data, const void *indices,
                                              void *out) {
    ember_elements_walk w = {{0}, 0};
    const size_t axis_stride = p->strides[p->axis];
    for (size_t k = 0; k < p->count; k++) {
        size_t pos;
        if (!ember_index_resolve(ember_index_at(indices, p->wide, k), p->axis_dim, &pos))
            return EMBER_STATUS_EVAL_ERROR;
        memcpy((uint8_t *)out + k * elem,
               (const uint8_t *)data + (w.base + pos * axis_stride) * elem, elem);
        ember_elements_next(p, &w);
    }
    return EMBER_STATUS_OK;
}

static ember_status gather_elements_prepare(ember_context *ctx, ember_node *node) {
    ember_elements_plan *p = ember_alloc(ctx, sizeof(*p));
    if (p == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = p;
    const ember_tensor *data = ember_input(ctx, node, 0);
    int32_t axis;
    ember_status st =
        ember_read_axis(ctx, node, EMBER_SLOT_GATHER_PARAMS_AXIS, data->rank, &axis);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *indices = ember_input(ctx, node, 1);
    ember_elements_plan_init(p, data, indices, (uint32_t)axis);
    return ember_check_constant_indices(ctx, node, "gather_elements", indices, &p->axis_dim, 1);
}

static ember_status gather_elements_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *data = ember_input(ctx, node, 0);
    return ember_gather_elements_ref(node->data, ember_type_bytes(data->type), data->data,
                                     ember_input(ctx, node, 1)->data,
                                     ember_output(ctx, node, 0)->data);
}

const ember_kernel ember_kernel_gather_elements = {
    EMBER_OP_GATHER_ELEMENTS, "gather_elements", gather_elements_check, gather_elements_prepare,
    gather_elements_eval,
};
