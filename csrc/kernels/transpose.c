/* TRANSPOSE: output axis i is input axis perm[i], any element size. Prepare merges output
   axes that stay adjacent in the input, so eval walks few, long runs. */
#include "ember_internal.h"
#include "kernels/quant.h"
#include "kernels/strided_copy.h"
#include "ukernels/transpose.h"
#include "kernels/shape_rules.h"

struct transpose_data {
    struct strided_walk walk;
    /* 4-byte elements whose last two walk axes are a 2-D transpose (the input's unit-stride
       axis moves out of last place, as NHWC <-> NCHW): copied in square tiles so both sides
       stay in cache. NULL: the reference walk. */
    const ember_transpose_u32_config *tiled;
};

ember_status ember_shape_transpose(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in;
    ember_fb_vector perm;
    ember_status st = ember_shape_input(ctx, node, 0, &in);
    if (st != EMBER_STATUS_OK)
        return st;
    if (!ember_fb_vector_field(&node->params, EMBER_SLOT_TRANSPOSE_PARAMS_PERM, 4, &perm) ||
        perm.len != in->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (transpose): perm must have %u entries", node->index,
                          in->rank);
    int32_t dims[EMBER_MAX_RANK];
    for (uint32_t i = 0; i < perm.len; i++) {
        const int32_t p = ember_fb_vector_i32(&perm, i);
        if (p < 0 || p >= (int32_t)in->rank)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (transpose): perm entry %" PRId32 " is out of "
                              "range", node->index, p);
        dims[i] = in->dims[p];
    }
    return ember_set_shape(ctx, node, ember_output(ctx, node, 0), in->rank, dims);
}

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

/* The walk's outer axes (batch) one 2-D block at a time. */
static void transpose_tiled(const struct strided_walk *w, ember_transpose_u32_fn fn,
                            const void *in, void *out) {
    if (w->count == 0)
        return;
    const uint32_t r = w->rank;
    const size_t rows = w->extent[r - 2], cols = w->extent[r - 1];
    const size_t ld = (size_t)w->stride[r - 1];
    const uint32_t *src = in;
    uint32_t *dst = out;
    size_t idx[EMBER_MAX_RANK] = {0};
    ptrdiff_t offset = w->base;
    for (size_t done = 0; done < w->count; done += rows * cols) {
        fn(src + offset, dst, rows, cols, ld);
        dst += rows * cols;
        for (uint32_t a = r - 2; a-- > 0;) {
            offset += w->stride[a];
            if (++idx[a] < w->extent[a])
                break;
            offset -= w->stride[a] * (ptrdiff_t)w->extent[a];
            idx[a] = 0;
        }
    }
}

/* A 2-D transpose: the second-to-last output axis walks the input's unit-stride axis, and
   the last steps over whole input rows of it (ld >= rows). */
static bool transpose_is_2d(const struct strided_walk *w) {
    const uint32_t r = w->rank;
    return w->elem_size == sizeof(uint32_t) && r >= 2 && w->stride[r - 2] == 1 &&
           w->stride[r - 1] >= (ptrdiff_t)w->extent[r - 2];
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
    d->tiled = transpose_is_2d(w) ? ember_transpose_u32_select(ctx) : NULL;
    node->variant = d->tiled != NULL ? d->tiled->name : NULL;
    return EMBER_STATUS_OK;
}

static ember_status transpose_eval(ember_context *ctx, const ember_node *node) {
    const struct transpose_data *d = node->data;
    if (d->tiled != NULL)
        transpose_tiled(&d->walk, d->tiled->fn, ember_input(ctx, node, 0)->data,
                        ember_output(ctx, node, 0)->data);
    else
        ember_transpose_ref(d, ember_input(ctx, node, 0)->data,
                            ember_output(ctx, node, 0)->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_transpose = {
    EMBER_OP_TRANSPOSE, "transpose", transpose_check, transpose_prepare, transpose_eval,
};
