/* SLICE: per axis, `count` (the output dim) elements from `begin` every `step` (negative
   steps walk backwards), any element size. */
#include "ember_internal.h"
#include "kernels/strided_copy.h"

/* Output axes merged where the input walk stays regular, with element strides. */
struct slice_data {
    uint32_t rank;                    /* >= 1 */
    size_t extent[EMBER_MAX_RANK];
    ptrdiff_t stride[EMBER_MAX_RANK]; /* step x input stride */
    ptrdiff_t base;                   /* element offset of the first output element */
    size_t count;
    size_t elem_size;
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
    ember_status st = ember_check_arity(ctx, node, 1, 1, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_SLICE_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (ember_type_bytes(in->type) == 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (slice): unknown input type %u", node->index, in->type);
    if ((st = ember_check_type(ctx, node, out, in->type, "output")) ||
        (st = ember_check_rank(ctx, node, out, in->rank, "output")))
        return st;
    ember_fb_vector begin, step;
    if ((st = slice_vectors(ctx, node, &begin, &step)))
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
    if (d->count == 0)
        return;
    const uint32_t outer = d->rank - 1;
    const size_t inner = d->extent[outer];
    const size_t es = d->elem_size;
    const uint8_t *src = in;
    uint8_t *dst = out;
    size_t idx[EMBER_MAX_RANK] = {0};
    ptrdiff_t offset = d->base;
    for (size_t done = 0; done < d->count; done += inner) {
        strided_copy(dst, src + offset * (ptrdiff_t)es, inner, d->stride[outer], es);
        dst += inner * es;
        for (uint32_t a = outer; a-- > 0;) {
            offset += d->stride[a];
            if (++idx[a] < d->extent[a])
                break;
            offset -= d->stride[a] * (ptrdiff_t)d->extent[a];
            idx[a] = 0;
        }
    }
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
    ptrdiff_t s = 1;
    for (uint32_t a = in->rank; a-- > 0;) {
        in_stride[a] = s;
        s *= (ptrdiff_t)in->dims[a];
    }
    /* Size-1 output axes only shift the start; an axis whose walk continues the previous
       axis's stride joins it. */
    d->base = 0;
    uint32_t rank = 0;
    for (uint32_t a = 0; a < in->rank; a++) {
        d->base += (ptrdiff_t)ember_fb_vector_i32(&begin, a) * in_stride[a];
        size_t n = (size_t)out->dims[a];
        ptrdiff_t stride = (ptrdiff_t)ember_fb_vector_i32(&step, a) * in_stride[a];
        if (n == 1)
            continue;
        if (rank > 0 && d->stride[rank - 1] == stride * (ptrdiff_t)n) {
            d->extent[rank - 1] *= n;
            d->stride[rank - 1] = stride;
        } else {
            d->extent[rank] = n;
            d->stride[rank] = stride;
            rank++;
        }
    }
    if (rank == 0) {
        d->extent[0] = 1;
        d->stride[0] = 1;
        rank = 1;
    }
    d->rank = rank;
    d->count = out->count;
    d->elem_size = ember_type_bytes(in->type);
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
