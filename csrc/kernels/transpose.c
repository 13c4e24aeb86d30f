/* TRANSPOSE: output axis i is input axis perm[i], any element size. Prepare merges output
   axes that stay adjacent in the input, so eval walks few, long runs. */
#include "ember_internal.h"
#include "kernels/strided_copy.h"

struct transpose_data {
    uint32_t rank;                      /* merged axes, >= 1 */
    size_t extent[EMBER_MAX_RANK];      /* output order */
    ptrdiff_t in_stride[EMBER_MAX_RANK]; /* elements */
    size_t count;
    size_t elem_size;
};

static ember_status transpose_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 1, 1, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_TRANSPOSE_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (ember_type_bytes(in->type) == 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (transpose): unknown input type %u", node->index,
                          in->type);
    if ((st = ember_check_type(ctx, node, out, in->type, "output")) ||
        (st = ember_check_rank(ctx, node, out, in->rank, "output")))
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
    if (d->count == 0)
        return;
    const uint32_t outer = d->rank - 1;
    const size_t inner = d->extent[outer];
    const size_t es = d->elem_size;
    const uint8_t *src = in;
    uint8_t *dst = out;
    size_t idx[EMBER_MAX_RANK] = {0};
    ptrdiff_t offset = 0; /* input element offset of the current outer index */
    for (size_t done = 0; done < d->count; done += inner) {
        strided_copy(dst, src + offset * (ptrdiff_t)es, inner, d->in_stride[outer], es);
        dst += inner * es;
        for (uint32_t a = outer; a-- > 0;) {
            offset += d->in_stride[a];
            if (++idx[a] < d->extent[a])
                break;
            offset -= d->in_stride[a] * (ptrdiff_t)d->extent[a];
            idx[a] = 0;
        }
    }
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
    ptrdiff_t s = 1;
    for (uint32_t i = in->rank; i-- > 0;) {
        stride[i] = s;
        s *= (ptrdiff_t)in->dims[i];
    }
    /* Size-1 axes move nothing; an axis whose input stride continues the previous one's
       joins it. */
    uint32_t rank = 0;
    for (uint32_t i = 0; i < in->rank; i++) {
        int32_t p = ember_fb_vector_i32(&perm, i);
        size_t n = (size_t)in->dims[p];
        if (n == 1)
            continue;
        if (rank > 0 && d->in_stride[rank - 1] == stride[p] * (ptrdiff_t)n) {
            d->extent[rank - 1] *= n;
            d->in_stride[rank - 1] = stride[p];
        } else {
            d->extent[rank] = n;
            d->in_stride[rank] = stride[p];
            rank++;
        }
    }
    if (rank == 0) {
        d->extent[0] = 1;
        d->in_stride[0] = 1;
        rank = 1;
    }
    d->rank = rank;
    d->count = in->count;
    d->elem_size = ember_type_bytes(in->type);
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
