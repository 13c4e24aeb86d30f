/* CONCATENATION along one axis, any element size; a fused activation (float32 only) is
   applied to the joined output. */
#include <string.h>

#include "ember_internal.h"
#include "kernels/quant.h"
#include "kernels/shape_rules.h"

struct concatenation_data {
    size_t outer;                   /* product of the dims before the axis */
    size_t chunk[EMBER_MAX_IO];     /* bytes input i contributes per outer index */
    bool clamp;
    float act_lo, act_hi;
};

static ember_status concatenation_params(ember_context *ctx, const ember_node *node,
                                         int32_t *axis, uint8_t *act) {
    if (!ember_fb_u8(&node->params, EMBER_SLOT_CONCATENATION_PARAMS_ACTIVATION, 0, act))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (concatenation): params out of bounds", node->index);
    return ember_read_axis(ctx, node, EMBER_SLOT_CONCATENATION_PARAMS_AXIS,
                           ember_output(ctx, node, 0)->rank, axis);
}

ember_status ember_shape_concatenation(ember_context *ctx, const ember_node *node) {
    const ember_tensor *first;
    int32_t axis;
    uint8_t act;
    ember_status st = ember_shape_input(ctx, node, 0, &first);
    if (st == EMBER_STATUS_OK)
        st = concatenation_params(ctx, node, &axis, &act);
    if (st != EMBER_STATUS_OK)
        return st;
    int32_t dims[EMBER_MAX_RANK];
    for (uint32_t d = 0; d < first->rank; d++)
        dims[d] = first->dims[d];
    int64_t along = 0;
    for (uint32_t i = 0; i < node->input_count; i++) {
        const ember_tensor *t = ember_input(ctx, node, i);
        if (t == NULL || t->rank != first->rank || axis >= (int32_t)t->rank)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (concatenation): inputs must share one rank",
                              node->index);
        along += t->dims[axis];
    }
    dims[axis] = along > INT32_MAX ? -1 : (int32_t)along;
    return ember_set_shape(ctx, node, ember_output(ctx, node, 0), first->rank, dims);
}

static ember_status concatenation_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 1, EMBER_MAX_IO, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_CONCATENATION_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (ember_type_bytes(out->type) == 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (concatenation): unknown output type %u", node->index,
                          out->type);
    int32_t axis;
    uint8_t act;
    if ((st = concatenation_params(ctx, node, &axis, &act)))
        return st;
    if (act != EMBER_FUSED_ACTIVATION_NONE) {
        float lo, hi;
        if ((st = ember_check_type(ctx, node, out, EMBER_TYPE_FLOAT32, "output")) ||
            (st = ember_activation_range(ctx, node, act, &lo, &hi)))
            return st;
    }
    int64_t total = 0;
    for (uint32_t i = 0; i < node->input_count; i++) {
        const ember_tensor *in = ember_input(ctx, node, i);
        if (in == NULL)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (concatenation): input %" PRIu32 " is missing",
                              node->index, i);
        if ((st = ember_check_type(ctx, node, in, out->type, "input")) ||
            (st = ember_check_same_quant(ctx, node, in, out)) ||
            (st = ember_check_rank(ctx, node, in, out->rank, "input")))
            return st;
        for (uint32_t a = 0; a < out->rank; a++) {
            if (a != (uint32_t)axis && in->dims[a] != out->dims[a])
                return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                                  "node %" PRIu32 " (concatenation): input %" PRIu32 " dim "
                                  "%" PRIu32 " must be %" PRId32 ", got %" PRId32,
                                  node->index, i, a, out->dims[a], in->dims[a]);
        }
        total += in->dims[axis];
    }
    if (total != out->dims[axis])
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (concatenation): inputs sum to %lld along axis "
                          "%" PRId32 ", output has %" PRId32,
                          node->index, (long long)total, axis, out->dims[axis]);
    return EMBER_STATUS_OK;
}

static void ember_concatenation_ref(const struct concatenation_data *d, uint32_t inputs,
                                    const void *const *in, void *out, size_t out_count) {
    uint8_t *dst = out;
    for (size_t o = 0; o < d->outer; o++) {
        for (uint32_t i = 0; i < inputs; i++) {
            memmove(dst, (const uint8_t *)in[i] + o * d->chunk[i], d->chunk[i]);
            dst += d->chunk[i];
        }
    }
    if (d->clamp) {
        float *v = out;
        for (size_t i = 0; i < out_count; i++)
            v[i] = v[i] < d->act_lo ? d->act_lo : (v[i] > d->act_hi ? d->act_hi : v[i]);
    }
}

static ember_status concatenation_prepare(ember_context *ctx, ember_node *node) {
    struct concatenation_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    int32_t axis;
    uint8_t act;
    ember_status st = concatenation_params(ctx, node, &axis, &act);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *out = ember_output(ctx, node, 0);
    size_t inner;
    ember_axis_extents(out, (uint32_t)axis, &d->outer, &inner);
    for (uint32_t i = 0; i < node->input_count; i++)
        d->chunk[i] = (size_t)ember_input(ctx, node, i)->dims[axis] * inner;
    d->clamp = act != EMBER_FUSED_ACTIVATION_NONE;
    if (d->clamp)
        return ember_activation_range(ctx, node, act, &d->act_lo, &d->act_hi);
    return EMBER_STATUS_OK;
}

static ember_status concatenation_eval(ember_context *ctx, const ember_node *node) {
    const void *in[EMBER_MAX_IO];
    for (uint32_t i = 0; i < node->input_count; i++)
        in[i] = ember_input(ctx, node, i)->data;
    const ember_tensor *out = ember_output(ctx, node, 0);
    ember_concatenation_ref(node->data, node->input_count, in, out->data, out->count);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_concatenation = {
    EMBER_OP_CONCATENATION, "concatenation", concatenation_check, concatenation_prepare,
    concatenation_eval,
};
