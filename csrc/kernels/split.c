/* SPLIT along one axis into consecutive pieces, any element size; each output's dim along
   the axis is its piece's size. An ONNX Split whose sizes are a run-time tensor keeps it as
   optional input 1, which eval checks against the stored pieces (kernels/operand.h). */
#include <string.h>

#include "ember_internal.h"
#include "kernels/operand.h"
#include "kernels/quant.h"
#include "kernels/shape_rules.h"

struct split_data {
    size_t outer;               /* product of the dims before the axis */
    uint32_t axis;
    size_t chunk[EMBER_MAX_IO]; /* bytes output i takes per outer index */
};

/* Outputs keep their sizes along the axis; the other dims follow the input. */
ember_status ember_shape_split(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in;
    int32_t axis;
    ember_status st = ember_shape_input(ctx, node, 0, &in);
    if (st == EMBER_STATUS_OK)
        st = ember_read_axis(ctx, node, EMBER_SLOT_SPLIT_PARAMS_AXIS, in->rank, &axis);
    for (uint32_t i = 0; st == EMBER_STATUS_OK && i < node->output_count; i++) {
        ember_tensor *out = ember_output(ctx, node, i);
        if (out->rank != in->rank)
            return ember_check_rank(ctx, node, out, in->rank, "output");
        int32_t dims[EMBER_MAX_RANK];
        for (uint32_t a = 0; a < in->rank; a++)
            dims[a] = a == (uint32_t)axis ? out->dims[a] : in->dims[a];
        st = ember_set_shape(ctx, node, out, in->rank, dims);
    }
    return st;
}

static ember_status split_check(ember_context *ctx, const ember_node *node) {
    if (node->output_count < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (split): expected at least 1 output, got 0",
                          node->index);
    ember_status st = ember_check_arity(ctx, node, 1, 2, node->output_count);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_SPLIT_PARAMS);
    if (st == EMBER_STATUS_OK)
        st = ember_check_operand(ctx, node, "split", ember_input(ctx, node, 1), "split sizes",
                                 node->output_count);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (ember_type_bytes(in->type) == 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (split): unknown input type %u", node->index, in->type);
    int32_t axis;
    if ((st = ember_read_axis(ctx, node, EMBER_SLOT_SPLIT_PARAMS_AXIS, in->rank, &axis)))
        return st;
    int64_t total = 0;
    for (uint32_t i = 0; i < node->output_count; i++) {
        const ember_tensor *out = ember_output(ctx, node, i);
        if ((st = ember_check_type(ctx, node, out, in->type, "output")) ||
            (st = ember_check_same_quant(ctx, node, in, out)) ||
            (st = ember_check_rank(ctx, node, out, in->rank, "output")))
            return st;
        for (uint32_t a = 0; a < in->rank; a++) {
            if (a != (uint32_t)axis && out->dims[a] != in->dims[a])
                return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                                  "node %" PRIu32 " (split): output %" PRIu32 " dim %" PRIu32 " "
                                  "must be %" PRId32 ", got %" PRId32,
                                  node->index, i, a, in->dims[a], out->dims[a]);
        }
        total += out->dims[axis];
    }
    if (total != in->dims[axis])
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (split): outputs sum to %lld along axis %" PRId32 ", "
                          "input has %" PRId32,
                          node->index, (long long)total, axis, in->dims[axis]);
    return EMBER_STATUS_OK;
}

static void ember_split_ref(const struct split_data *d, uint32_t outputs, const void *in,
                            void *const *out) {
    const uint8_t *src = in;
    for (size_t o = 0; o < d->outer; o++) {
        for (uint32_t i = 0; i < outputs; i++) {
            memmove((uint8_t *)out[i] + o * d->chunk[i], src, d->chunk[i]);
            src += d->chunk[i];
        }
    }
}

static ember_status split_prepare(ember_context *ctx, ember_node *node) {
    struct split_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    const ember_tensor *in = ember_input(ctx, node, 0);
    int32_t axis;
    ember_status st = ember_read_axis(ctx, node, EMBER_SLOT_SPLIT_PARAMS_AXIS, in->rank, &axis);
    if (st != EMBER_STATUS_OK)
        return st;
    size_t inner;
    d->axis = (uint32_t)axis;
    ember_axis_extents(in, (uint32_t)axis, &d->outer, &inner);
    for (uint32_t i = 0; i < node->output_count; i++)
        d->chunk[i] = (size_t)ember_output(ctx, node, i)->dims[axis] * inner;
    return EMBER_STATUS_OK;
}

/* Run-time split sizes (input 1) must be the stored pieces' sizes, one per output. */
static ember_status split_check_sizes(ember_context *ctx, const ember_node *node) {
    const struct split_data *d = node->data;
    const ember_tensor *sizes = ember_input(ctx, node, 1);
    if (sizes != NULL && sizes->count != node->output_count)
        return ember_fail(ctx, EMBER_STATUS_EVAL_ERROR,
                          "node %" PRIu32 " (split): the run-time split sizes have %zu entries "
                          "for %" PRIu32 " outputs",
                          node->index, sizes->count, node->output_count);
    for (uint32_t i = 0; sizes != NULL && i < node->output_count; i++) {
        ember_status st = ember_operand_expect(ctx, node, "split", sizes, i,
                                               ember_output(ctx, node, i)->dims[d->axis],
                                               "split size");
        if (st != EMBER_STATUS_OK)
            return st;
    }
    return EMBER_STATUS_OK;
}

static ember_status split_eval(ember_context *ctx, const ember_node *node) {
    ember_status st = split_check_sizes(ctx, node);
    if (st != EMBER_STATUS_OK)
        return st;
    void *out[EMBER_MAX_IO];
    for (uint32_t i = 0; i < node->output_count; i++)
        out[i] = ember_output(ctx, node, i)->data;
    ember_split_ref(node->data, node->output_count, ember_input(ctx, node, 0)->data, out);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_split = {
    EMBER_OP_SPLIT, "split", split_check, split_prepare, split_eval,
};
