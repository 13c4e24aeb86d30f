/* Checks and layout shared by ARG_MAX and ARG_MIN (see arg.h). */
#include "kernels/arg.h"
#include "kernels/shape_rules.h"

ember_status ember_shape_arg(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    int32_t axis = 0;
    if (in == NULL)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL, "node %" PRIu32 ": input 0 is missing",
                          node->index);
    ember_status st = ember_read_axis(ctx, node, EMBER_SLOT_ARG_PARAMS_AXIS, in->rank, &axis);
    bool reduced[EMBER_MAX_RANK] = {false};
    reduced[axis] = true;
    return st ? st : ember_shape_reduced(ctx, node, reduced);
}

ember_status ember_arg_check(ember_context *ctx, const ember_node *node, const char *op) {
    ember_status st = ember_check_arity(ctx, node, 1, 1, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_ARG_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (in->type != EMBER_TYPE_FLOAT32 && in->type != EMBER_TYPE_INT8)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): input '%s' must be FLOAT32 or INT8, got %s",
                          node->index, op, in->name, ember_type_str((ember_type)in->type));
    if (out->type != EMBER_TYPE_INT32 && out->type != EMBER_TYPE_INT64)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): output '%s' must be INT32 or INT64, got %s",
                          node->index, op, out->name, ember_type_str((ember_type)out->type));
    int32_t axis = 0;
    if ((st = ember_read_axis(ctx, node, EMBER_SLOT_ARG_PARAMS_AXIS, in->rank, &axis)))
        return st;
    if (in->dims[axis] < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): axis %" PRId32 " of input '%s' is empty",
                          node->index, op, axis, in->name);
    const bool keep = out->rank == in->rank;
    bool ok = keep || out->rank + 1 == in->rank;
    for (uint32_t i = 0, j = 0; ok && i < in->rank; i++) {
        if ((int32_t)i == axis && !keep)
            continue;
        ok = out->dims[j++] == ((int32_t)i == axis ? 1 : in->dims[i]);
    }
    if (!ok)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): output '%s' must be the input's shape with "
                          "axis %" PRId32 " dropped or kept as 1 (rank %u or %u), got rank %u",
                          node->index, op, out->name, axis, (unsigned)in->rank - 1,
                          (unsigned)in->rank, (unsigned)out->rank);
    return EMBER_STATUS_OK;
}

ember_status ember_arg_prepare(ember_context *ctx, ember_node *node, const char *op) {
    (void)op;
    ember_arg_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    const ember_tensor *in = ember_input(ctx, node, 0);
    int32_t axis = 0;
    const ember_status st =
        ember_read_axis(ctx, node, EMBER_SLOT_ARG_PARAMS_AXIS, in->rank, &axis);
    if (st != EMBER_STATUS_OK)
        return st;
    ember_axis_extents(in, (uint32_t)axis, &d->outer, &d->inner);
    d->inner /= ember_type_bytes(in->type); /* elements, not bytes */
    d->n = (size_t)in->dims[axis];
    d->int64_out = ember_output(ctx, node, 0)->type == EMBER_TYPE_INT64;
    return EMBER_STATUS_OK;
}
