/* The checks, params and axis extents CUM_SUM and CUM_PROD share (cum_scan.h). */
#include "kernels/cum_scan.h"

#include "kernels/operand.h"

static ember_status read_params(ember_context *ctx, const ember_node *node, const char *op,
                                uint32_t rank, int32_t *axis, uint8_t *exclusive,
                                uint8_t *reverse) {
    ember_status st = ember_read_axis(ctx, node, EMBER_SLOT_CUM_SUM_PARAMS_AXIS, rank, axis);
    if (st != EMBER_STATUS_OK)
        return st;
    if (!ember_fb_u8(&node->params, EMBER_SLOT_CUM_SUM_PARAMS_EXCLUSIVE, 0, exclusive) ||
        !ember_fb_u8(&node->params, EMBER_SLOT_CUM_SUM_PARAMS_REVERSE, 0, reverse))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): params out of bounds", node->index, op);
    return EMBER_STATUS_OK;
}

ember_status ember_cum_scan_check(ember_context *ctx, const ember_node *node, const char *op,
                                  uint32_t types, const char *types_text) {
    ember_status st = ember_check_arity(ctx, node, 1, 2, 1);
    if (st != EMBER_STATUS_OK ||
        (st = ember_check_params(ctx, node, EMBER_OP_PARAMS_CUM_SUM_PARAMS)) != EMBER_STATUS_OK ||
        (st = ember_check_operand(ctx, node, op, ember_input(ctx, node, 1), "axis", 1)))
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (in->type >= 32 || !(types & (1u << in->type)))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): input '%s' must be %s, got %s", node->index,
                          op, in->name, types_text, ember_type_str((ember_type)in->type));
    if (in->rank == 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): input '%s' must have an axis, got a scalar",
                          node->index, op, in->name);
    int32_t axis = 0;
    uint8_t exclusive = 0, reverse = 0;
    if ((st = read_params(ctx, node, op, in->rank, &axis, &exclusive, &reverse)) ||
        (st = ember_check_type(ctx, node, out, in->type, "output")) ||
        (st = ember_check_same_shape(ctx, node, op, in, out)))
        return st;
    return ember_check_inplace(ctx, node, op, in, 0, out);
}

/* d's extents around `axis` of `in`, in elements. */
static void extents(cum_scan *d, const ember_tensor *in, uint32_t axis) {
    ember_axis_extents(in, axis, &d->outer, &d->inner);
    d->inner /= ember_type_bytes(in->type); /* elements, not bytes */
    d->n = (size_t)in->dims[axis];
}

ember_status ember_cum_scan_prepare(ember_context *ctx, ember_node *node, const char *op) {
    cum_scan *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    const ember_tensor *in = ember_input(ctx, node, 0);
    int32_t axis = 0;
    uint8_t exclusive = 0, reverse = 0;
    const ember_status st = read_params(ctx, node, op, in->rank, &axis, &exclusive, &reverse);
    if (st != EMBER_STATUS_OK)
        return st;
    extents(d, in, (uint32_t)axis);
    d->type = in->type;
    d->exclusive = exclusive != 0;
    d->reverse = reverse != 0;
    return EMBER_STATUS_OK;
}

ember_status ember_cum_scan_at_eval(ember_context *ctx, const ember_node *node, const char *op,
                                    cum_scan *run) {
    *run = *(const cum_scan *)node->data;
    const ember_tensor *t = ember_input(ctx, node, 1);
    if (t == NULL)
        return EMBER_STATUS_OK;
    const ember_tensor *in = ember_input(ctx, node, 0);
    uint32_t axis;
    const int64_t v = ember_operand_at(t, 0);
    if (t->count != 1 || !ember_operand_axis(v, in->rank, &axis))
        return ember_fail(ctx, EMBER_STATUS_EVAL_ERROR,
                          "node %" PRIu32 " (%s): the run-time axis %lld is out of range for "
                          "rank %u",
                          node->index, op, (long long)(t->count == 1 ? v : INT64_MIN), in->rank);
    extents(run, in, axis);
    return EMBER_STATUS_OK;
}
