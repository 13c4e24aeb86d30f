/* SLICE: per axis, `count` (the output dim) elements from `begin` every `step` (negative
   steps walk backwards), any element size. */
#include "ember_internal.h"
#include "kernels/quant.h"
#include "kernels/strided_copy.h"

struct slice_data {
    struct strided_walk walk; /* axis strides: step x input stride */
};

static ember_status slice_vectors(ember_context *ctx, const ember_node *node,
                                  ember_fb_vector *begin, ember_fb_vector *step) {
    if (!ember_fb_vector_field(&node->params, EMBER_SLOT_SLICE_PARAMS_BEGIN, 4, begin) ||
        !ember_fb_vector_field(&node->params, EMBER_SLOT_SLICE_PARAMS_STEP, 4, step))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (slice): params out of bounds", node->index);
    return EMBER_STATUS_OK;
}

static ember_status slice_check(ember_context *ctx, const ember_node *node) {
    ember_status st = strided_check_io(ctx, node, "slice", EMBER_OP_PARAMS_SLICE_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    ember_fb_vector begin, step;
    if ((st = ember_check_same_quant(ctx, node, in, out)) ||
        (st = slice_vectors(ctx, node, &begin, &step)))
        return st;
    if (begin.len != in->rank || step.len != in->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (slice): begin and step need %u entries, got "
                          "%" PRIu32 " and %" PRIu32,
                          node->index, in->rank, begin.len, step.len);
    for (uint32_t a = 0; a < in->rank; a++) {
        int64_t b = ember_fb_vector_i32(&begin, a);
        int64_t s = ember_fb_vector_i32(&step, a);
        int64_t n = out->dims[a];
        int64_t dim = in->dims[a];
        if (s == 0)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (slice): step %" PRIu32 " must not be 0",
                              node->index, a);
        if (b < 0)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (slice): begin %" PRIu32 " must be >= 0, got %lld",
                              node->index, a, (long long)b);
        int64_t last = b + (n - 1) * s;
        if (n > 0 && (b >= dim || last < 0 || last >= dim))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (slice): axis %" PRIu32 " reads [%lld..%lld] step "
                              "%lld outside [0,%lld)",
                              node->index, a, (long long)b, (long long)last, (long long)s,
                              (long long)dim);
    }
    return EMBER_STATUS_OK;
}

static void ember_slice_ref(const struct slice_data *d, const void *in, void *out) {
    strided_walk_copy(&d->walk, in, out);
}

static ember_status slice_prepare(ember_context *ctx, ember_node *node) {
    struct slice_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    ember_fb_vector begin, step;
    ember_status st = slice_vectors(ctx, node, &begin, &step);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    ptrdiff_t in_stride[EMBER_MAX_RANK];
    strided_dense_strides(in, in_stride);
    struct strided_walk *w = &d->walk;
    strided_walk_init(w, out->count, ember_type_bytes(in->type));
    for (uint32_t a = 0; a < in->rank; a++) {
        w->base += (ptrdiff_t)ember_fb_vector_i32(&begin, a) * in_stride[a];
        strided_walk_axis(w, (size_t)out->dims[a],
                          (ptrdiff_t)ember_fb_vector_i32(&step, a) * in_stride[a]);
    }
    strided_walk_finish(w);
    return EMBER_STATUS_OK;
}

static ember_status slice_eval(ember_context *ctx, const ember_node *node) {
    ember_slice_ref(node->data, ember_input(ctx, node, 0)->data,
                    ember_output(ctx, node, 0)->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_slice = {
    EMBER_OP_SLICE, "slice", slice_check, slice_prepare, slice_eval,
};
