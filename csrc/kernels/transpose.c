/* TRANSPOSE: output axis i is input axis perm[i], any element size. Prepare merges output
   axes that stay adjacent in the input, so eval walks few, long runs. */
#include "ember_internal.h"
#include "kernels/quant.h"
#include "kernels/strided_copy.h"

struct transpose_data {
    struct strided_walk walk;
};

static ember_status transpose_check(ember_context *ctx, const ember_node *node) {
    ember_status st =
        strided_check_io(ctx, node, "transpose", EMBER_OP_PARAMS_TRANSPOSE_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if ((st = ember_check_same_quant(ctx, node, in, out)))
        return st;
    ember_fb_vector perm;
    if (!ember_fb_vector_field(&node->params, EMBER_SLOT_TRANSPOSE_PARAMS_PERM, 4, &perm))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (transpose): perm out of bounds", node->index);
    if (perm.len != in->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (transpose): perm must have %u entries, got %" PRIu32,
                          node->index, in->rank, perm.len);
    bool seen[EMBER_MAX_RANK] = {false};
    for (uint32_t i = 0; i < perm.len; i++) {
        int32_t p = ember_fb_vector_i32(&perm, i);
        if (p < 0 || p >= (int32_t)in->rank || seen[p])
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (transpose): perm is not a permutation of 0..%u "
                              "(entry %" PRIu32 " is %" PRId32 ")",
                              node->index, in->rank - 1u, i, p);
        seen[p] = true;
        if (out->dims[i] != in->dims[p])
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (transpose): output dim %" PRIu32 " must be "
                              "%" PRId32 ", got %" PRId32,
                              node->index, i, in->dims[p], out->dims[i]);
    }
    return EMBER_STATUS_OK;
}

static void ember_transpose_ref(const struct transpose_data *d, const void *in, void *out) {
    strided_walk_copy(&d->walk, in, out);
}

static ember_status transpose_prepare(ember_context *ctx, ember_node *node) {
    struct transpose_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    const ember_tensor *in = ember_input(ctx, node, 0);
    ember_fb_vector perm;
    if (!ember_fb_vector_field(&node->params, EMBER_SLOT_TRANSPOSE_PARAMS_PERM, 4, &perm))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (transpose): perm out of bounds", node->index);
    ptrdiff_t stride[EMBER_MAX_RANK];
    strided_dense_strides(in, stride);
    struct strided_walk *w = &d->walk;
    strided_walk_init(w, in->count, ember_type_bytes(in->type));
    for (uint32_t i = 0; i < in->rank; i++) {
        int32_t p = ember_fb_vector_i32(&perm, i);
        strided_walk_axis(w, (size_t)in->dims[p], stride[p]);
    }
    strided_walk_finish(w);
    return EMBER_STATUS_OK;
}

static ember_status transpose_eval(ember_context *ctx, const ember_node *node) {
    ember_transpose_ref(node->data, ember_input(ctx, node, 0)->data,
                        ember_output(ctx, node, 0)->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_transpose = {
    EMBER_OP_TRANSPOSE, "transpose", transpose_check, transpose_prepare, transpose_eval,
};
