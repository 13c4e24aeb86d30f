/* CUM_PROD (format 9): running products along one axis of FLOAT32, FLOAT64, INT32 or INT64,
   with CUM_SUM's params (CumSumParams: axis, exclusive, reverse; an exclusive product starts
   at 1). Floats multiply in their own type in order along the axis, as ONNX Runtime does;
   integer products wrap on overflow (two's complement, computed unsigned). The output may be
   the input's own bytes: each element is read before it is written. An ONNX CumProd whose
   axis is a run-time tensor keeps it as optional input 1, read at eval (the params' axis is
   then unused). Node data: cum_prod_data. */
#include "ember_internal.h"
#include "kernels/operand.h"

typedef struct cum_prod_data {
    size_t outer, n, inner; /* the input as [outer, n, inner] elements around the axis */
    uint8_t type;
    bool exclusive, reverse;
} cum_prod_data;

/* Position j of a run of n along the axis, walked from the end when reversed. */
static size_t at(const cum_prod_data *d, size_t j) {
    return (d->reverse ? d->n - 1 - j : j) * d->inner;
}

/* One loop per type: T the element type, A the type products are computed in. */
#define CUM_PROD_REF(name, T, A)                                                          \
    static void name(const cum_prod_data *d, const T *in, T *out) {                        \
        for (size_t o = 0; o < d->outer; o++) {                                            \
            for (size_t k = 0; k < d->inner; k++) {                                        \
                const size_t base = o * d->n * d->inner + k;                               \
                A acc = 1;                                                                 \
                for (size_t j = 0; j < d->n; j++) {                                        \
                    const size_t i = base + at(d, j);                                      \
                    const A x = (A)in[i];                                                  \
                    out[i] = (T)(d->exclusive ? acc : acc * x);                            \
                    acc *= x;                                                              \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
    }

CUM_PROD_REF(ember_cum_prod_f32_ref, float, float)
CUM_PROD_REF(ember_cum_prod_f64_ref, double, double)
CUM_PROD_REF(ember_cum_prod_i32_ref, int32_t, uint32_t)
CUM_PROD_REF(ember_cum_prod_i64_ref, int64_t, uint64_t)

static ember_status read_params(ember_context *ctx, const ember_node *node, uint32_t rank,
                                int32_t *axis, uint8_t *exclusive, uint8_t *reverse) {
    ember_status st = ember_read_axis(ctx, node, EMBER_SLOT_CUM_SUM_PARAMS_AXIS, rank, axis);
    if (st != EMBER_STATUS_OK)
        return st;
    if (!ember_fb_u8(&node->params, EMBER_SLOT_CUM_SUM_PARAMS_EXCLUSIVE, 0, exclusive) ||
        !ember_fb_u8(&node->params, EMBER_SLOT_CUM_SUM_PARAMS_REVERSE, 0, reverse))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (cum_prod): params out of bounds", node->index);
    return EMBER_STATUS_OK;
}

static ember_status cum_prod_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 1, 2, 1);
    if (st != EMBER_STATUS_OK ||
        (st = ember_check_params(ctx, node, EMBER_OP_PARAMS_CUM_SUM_PARAMS)) != EMBER_STATUS_OK ||
        (st = ember_check_operand(ctx, node, "cum_prod", ember_input(ctx, node, 1), "axis", 1)))
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (in->type != EMBER_TYPE_FLOAT32 && in->type != EMBER_TYPE_FLOAT64 &&
        in->type != EMBER_TYPE_INT32 && in->type != EMBER_TYPE_INT64)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (cum_prod): input '%s' must be float32, float64, "
                          "int32 or int64, got %s",
                          node->index, in->name, ember_type_str((ember_type)in->type));
    if (in->rank == 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (cum_prod): input '%s' must have an axis, got a "
                          "scalar",
                          node->index, in->name);
    int32_t axis = 0;
    uint8_t exclusive = 0, reverse = 0;
    if ((st = read_params(ctx, node, in->rank, &axis, &exclusive, &reverse)) ||
        (st = ember_check_type(ctx, node, out, in->type, "output")) ||
        (st = ember_check_same_shape(ctx, node, "cum_prod", in, out)))
        return st;
    return ember_check_inplace(ctx, node, "cum_prod", in, 0, out);
}

static ember_status cum_prod_prepare(ember_context *ctx, ember_node *node) {
    cum_prod_data *d = ember_alloc(ctx, sizeof(*d));
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
static ember_status runtime_axis(ember_context *ctx, const ember_node *node,
                                 const ember_tensor *in, cum_prod_data *run) {
    const ember_tensor *t = ember_input(ctx, node, 1);
    uint32_t axis;
    const int64_t v = ember_operand_at(t, 0);
    if (t->count != 1 || !ember_operand_axis(v, in->rank, &axis))
        return ember_fail(ctx, EMBER_STATUS_EVAL_ERROR,
                          "node %" PRIu32 " (cum_prod): the run-time axis %" PRId64 " is out of "
                          "range for rank %u",
                          node->index, t->count == 1 ? v : INT64_MIN, in->rank);
    ember_axis_extents(in, axis, &run->outer, &run->inner);
    run->inner /= ember_type_bytes(in->type);
    run->n = (size_t)in->dims[axis];
    return EMBER_STATUS_OK;
}

static ember_status cum_prod_eval(ember_context *ctx, const ember_node *node) {
    cum_prod_data run = *(const cum_prod_data *)node->data;
    const cum_prod_data *d = &run;
    const ember_tensor *x = ember_input(ctx, node, 0);
    const void *in = x->data;
    void *out = ember_output(ctx, node, 0)->data;
    if (ember_input(ctx, node, 1) != NULL) {
        const ember_status st = runtime_axis(ctx, node, x, &run);
        if (st != EMBER_STATUS_OK)
            return st;
    }
    if (d->type == EMBER_TYPE_INT32)
        ember_cum_prod_i32_ref(d, in, out);
    else if (d->type == EMBER_TYPE_INT64)
        ember_cum_prod_i64_ref(d, in, out);
    else if (d->type == EMBER_TYPE_FLOAT64)
        ember_cum_prod_f64_ref(d, in, out);
    else
        ember_cum_prod_f32_ref(d, in, out);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_cum_prod = {EMBER_OP_CUM_PROD, "cum_prod", cum_prod_check,
                                            cum_prod_prepare, cum_prod_eval};
