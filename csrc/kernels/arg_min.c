/* ARG_MIN: the index of the smallest value along one axis, float32 or int8 input (int8 compares
   stored values: the scale is positive, so the order is the real values' order), INT32 or
   INT64 indices. A tie keeps the first index, as LiteRT does (it replaces only on a strict
   <). Node data: ember_arg_data (arg.h). */
#include "ember_internal.h"
#include "kernels/arg.h"

static ember_status arg_min_check(ember_context *ctx, const ember_node *node) {
    return ember_arg_check(ctx, node, "arg_min");
}

static void ember_arg_min_f32_ref(const ember_arg_data *d, const float *in, void *out) {
    for (size_t o = 0; o < d->outer; o++) {
        const float *x = in + o * d->n * d->inner;
        for (size_t k = 0; k < d->inner; k++) {
            size_t best = 0;
            for (size_t j = 1; j < d->n; j++) {
                if (x[j * d->inner + k] < x[best * d->inner + k])
                    best = j;
            }
            ember_arg_store(out, o * d->inner + k, best, d->int64_out);
        }
    }
}

static void ember_arg_min_i8_ref(const ember_arg_data *d, const int8_t *in, void *out) {
    for (size_t o = 0; o < d->outer; o++) {
        const int8_t *x = in + o * d->n * d->inner;
        for (size_t k = 0; k < d->inner; k++) {
            size_t best = 0;
            for (size_t j = 1; j < d->n; j++) {
                if (x[j * d->inner + k] < x[best * d->inner + k])
                    best = j;
            }
            ember_arg_store(out, o * d->inner + k, best, d->int64_out);
        }
    }
}

static ember_status arg_min_prepare(ember_context *ctx, ember_node *node) {
    return ember_arg_prepare(ctx, node, "arg_min");
}

static ember_status arg_min_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    void *out = ember_output(ctx, node, 0)->data;
    if (in->type == EMBER_TYPE_INT8)
        ember_arg_min_i8_ref(node->data, in->data, out);
    else
        ember_arg_min_f32_ref(node->data, in->data, out);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_arg_min = {
    EMBER_OP_ARG_MIN, "arg_min", arg_min_check, arg_min_prepare, arg_min_eval,
};
