/* CUM_SUM (format 8): running sums along one axis of FLOAT32, INT32 or INT64 (CumSumParams:
   axis, exclusive, reverse). float32 sums in float32 in order along the axis, as ONNX Runtime
   and LiteRT do; integer sums wrap on overflow (two's complement, computed unsigned). The
   output may be the input's own bytes: each element is read before it is written. An ONNX
   CumSum whose axis is a run-time tensor keeps it as optional input 1, read at eval (the
   params' axis is then unused). Node data: cum_sum_data. */
#include "ember_internal.h"
#include "kernels/operand.h"

typedef struct cum_sum_data {
    size_t outer, n, inner; /* the input as [outer, n, inner] elements around the axis */
    uint8_t type;
    bool exclusive, reverse;
} cum_sum_data;

/* Position j of a run of n along the axis, walked from the end when reversed. */
static size_t at(const cum_sum_data *d, size_t j) {
    return (d->reverse ? d->n - 1 - j : j) * d->inner;
}

static void ember_cum_sum_f32_ref(const cum_sum_data *d, const float *in, float *out) {
    for (size_t o = 0; o < d->outer; o++) {
        for (size_t k = 0; k < d->inner; k++) {
            const size_t base = o * d->n * d->inner + k;
            float acc = 0.0f;
            for (size_t j = 0; j < d->n; j++) {
                const size_t i = base + at(d, j);
                const float x = in[i];
                out[i] = d->exclusive ? acc : acc + x;
                acc += x;
            }
        }
    }
}

static void ember_cum_sum_i32_ref(const cum_sum_data *d, const int32_t *in, int32_t *out) {
    for (size_t o = 0; o < d->outer; o++) {
        for (size_t k = 0; k < d->inner; k++) {
            const size_t base = o * d->n * d->inner + k;
            uint32_t acc = 0;
            for (size_t j = 0; j < d->n; j++) {
                const size_t i = base + at(d, j);
                const uint32_t x = (uint32_t)in[i];
                out[i] = (int32_t)(d->exclusive ? acc : acc + x);
                acc += x;
            }
        }
    }
}

static void ember_cum_sum_i64_ref(const cum_sum_data *d, const int64_t *in, int64_t *out) {
    for (size_t o = 0; o < d->outer; o++) {
        for (size_t k = 0; k < d->inner; k++) {
            const size_t base = o * d->n * d->inner + k;
            uint64_t acc = 0;
            for (size_t j = 0; j < d->n; j++) {
                const size_t i = base + at(d, j);
                const uint64_t x = (uint64_t)in[i];
                out[i] = (int64_t)(d->exclusive ? acc : acc + x);
                acc += x;
            }
        }
    }
}

static ember_status read_params(ember_context *ctx, const ember_node *node, uint32_t rank,
                                int32_t *axis, uint8_t *exclusive, uint8_t *reverse) {
    ember_status st = ember_read_axis(ctx, node, EMBER_SLOT_CUM_SUM_PARAMS_AXIS, rank, axis);
    if (st != EMBER_STATUS_OK)
        return st;
    if (!ember_fb_u8(&node->params, EMBER_SLOT_CUM_SUM_PARAMS_EXCLUSIVE, 0, exclusive) ||
        !ember_fb_u8(&node->params, EMBER_SLOT_CUM_SUM_PARAMS_REVERSE, 0, reverse))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (cum_sum): params out of bounds", node->index);
    return EMBER_STATUS_OK;
}

static ember_status cum_sum_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 1, 2, 1);
    if (st != EMBER_STATUS_OK ||
        (st = ember_check_params(ctx, node, EMBER_OP_PARAMS_CUM_SUM_PARAMS)) != EMBER_STATUS_OK ||
        (st = ember_check_operand(ctx, node, "cum_sum", ember_input(ctx, node, 1), "axis", 1)))
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (in->type != EMBER_TYPE_FLOAT32 && in->type != EMBER_TYPE_INT32 &&
        in->type != EMBER_TYPE_INT64)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (cum_sum): input '%s' must be float32, int32 or "
                          "int64, got %s",
                          node->index, in->name, ember_type_str((ember_type)in->type));
    if (in->rank == 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (cum_sum): input '%s' must have an axis, got a "
                          "scalar",
                          node->index, in->name);
    int32_t axis = 0;
    uint8_t exclusive = 0, reverse = 0;
    if ((st = read_params(ctx, node, in->rank, &axis, &exclusive, &reverse)) ||
        (st = ember_check_type(ctx, node, out, in->type, "output")) ||
        (st = ember_check_same_shape(ctx, node, "cum_sum", in, out)))
        return st;
    return ember_check_inplace(ctx, node, "cum_sum", in, 0, out);
}

static ember_status cum_sum_prepare(ember_context *ctx, ember_node *node) {
    cum_sum_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    const ember_tensor *in = ember_input(ctx, node, 0);
    int32_t axis = 0;
    uint8_t exclusive = 0, reverse = 0;
    const ember_status st = read_params(ctx, node, in->rank, &axis, &exclusive, &reverse);
    if (st != EMBER_STATUS_OK)
        return st;
    ember_axis_extents(in, (uint32_t)axis, &d->outer, &d->inner);
    d->inner /= ember_type_bytes(in->type); /* elements, not bytes */
    d->n = (size_t)in->dims[axis];
    d->type = in->type;
    d->exclusive = exclusive != 0;
    d->reverse = reverse != 0;
    return EMBER_STATUS_OK;
}

/* The extents around a run-time axis (input 1), in `run` (a copy of the node data). */
static ember_status cum_sum_runtime_axis(ember_context *ctx, const ember_node *node,
                                         const ember_tensor *in, cum_sum_data *run) {
    const ember_tensor *t = ember_input(ctx, node, 1);
    uint32_t axis;
    const int64_t v = ember_operand_at(t, 0);
    if (t->count != 1 || !ember_operand_axis(v, in->rank, &axis))
        return ember_fail(ctx, EMBER_STATUS_EVAL_ERROR,
                          "node %" PRIu32 " (cum_sum): the run-time axis %" PRId64 " is out of "
                          "range for rank %u",
                          node->index, t->count == 1 ? v : INT64_MIN, in->rank);
    ember_axis_extents(in, axis, &run->outer, &run->inner);
    run->inner /= ember_type_bytes(in->type);
    run->n = (size_t)in->dims[axis];
    return EMBER_STATUS_OK;
}

static ember_status cum_sum_eval(ember_context *ctx, const ember_node *node) {
    cum_sum_data run = *(const cum_sum_data *)node->data;
    const cum_sum_data *d = &run;
    const ember_tensor *x = ember_input(ctx, node, 0);
    const void *in = x->data;
    void *out = ember_output(ctx, node, 0)->data;
    if (ember_input(ctx, node, 1) != NULL) {
        const ember_status st = cum_sum_runtime_axis(ctx, node, x, &run);
        if (st != EMBER_STATUS_OK)
            return st;
    }
    if (d->type == EMBER_TYPE_INT32)
        ember_cum_sum_i32_ref(d, in, out);
    else if (d->type == EMBER_TYPE_INT64)
        ember_cum_sum_i64_ref(d, in, out);
    else
        ember_cum_sum_f32_ref(d, in, out);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_cum_sum = {EMBER_OP_CUM_SUM, "cum_sum", cum_sum_check,
                                           cum_sum_prepare, cum_sum_eval};
