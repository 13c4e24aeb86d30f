/* WHERE (format 7): out = x where cond else y, element by element, numpy broadcasting of the
   three inputs. cond is BOOL (any nonzero byte is true); x, y and the output share one type,
   any the format has (int8 and int16 ones also their quantization: values are copied, not
   requantized). No params. Node data: where_data. */
#include <string.h>

#include "ember_internal.h"
#include "kernels/broadcast.h"
#include "kernels/quant.h"

typedef struct where_data {
    uint32_t rank;
    size_t count, size; /* output elements, bytes per element */
    size_t dims[EMBER_MAX_RANK];
    size_t stride[3][EMBER_MAX_RANK]; /* element strides of cond, x, y; 0 where broadcast */
} where_data;

static ember_status check_shapes(ember_context *ctx, const ember_node *node,
                                 const ember_tensor *const in[3], const ember_tensor *out) {
    uint32_t rank = 0;
    for (int i = 0; i < 3; i++)
        rank = in[i]->rank > rank ? in[i]->rank : rank;
    if (out->rank != rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (where): output rank must be %" PRIu32 " (the largest "
                          "input rank), got %u",
                          node->index, rank, (unsigned)out->rank);
    for (uint32_t d = 0; d < rank; d++) {
        int32_t want = 1;
        for (int i = 0; i < 3; i++) {
            const int32_t dim = ember_aligned_dim(in[i], rank, d);
            if (dim != 1 && want != 1 && dim != want)
                return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                                  "node %" PRIu32 " (where): input %d dim %" PRId32 " does not "
                                  "broadcast with %" PRId32 " at output dim %" PRIu32,
                                  node->index, i, dim, want, d);
            want = dim != 1 ? dim : want;
        }
        if (out->dims[d] != want)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (where): output dim %" PRIu32 " must be %" PRId32
                              ", got %" PRId32,
                              node->index, d, want, out->dims[d]);
    }
    return EMBER_STATUS_OK;
}

static ember_status where_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 3, 3, 1);
    if (st != EMBER_STATUS_OK || (st = ember_check_params(ctx, node, 0)) != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in[3] = {ember_input(ctx, node, 0), ember_input(ctx, node, 1),
                                 ember_input(ctx, node, 2)};
    const ember_tensor *out = ember_output(ctx, node, 0);
    if ((st = ember_check_type(ctx, node, in[0], EMBER_TYPE_BOOL, "input 0 (condition)")) ||
        (st = ember_check_type(ctx, node, in[2], in[1]->type, "input 2")) ||
        (st = ember_check_type(ctx, node, out, in[1]->type, "output")) ||
        (st = check_shapes(ctx, node, in, out)))
        return st;
    if (in[1]->type == EMBER_TYPE_INT8 || in[1]->type == EMBER_TYPE_INT16) {
        if ((st = ember_check_same_quant(ctx, node, in[1], out)) ||
            (st = ember_check_same_quant(ctx, node, in[2], out)))
            return st;
    }
    for (uint32_t i = 0; i < 3; i++) {
        if ((st = ember_check_inplace(ctx, node, "where", in[i], i, out)) != EMBER_STATUS_OK)
            return st;
    }
    return EMBER_STATUS_OK;
}

static ember_status where_prepare(ember_context *ctx, ember_node *node) {
    where_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    const ember_tensor *out = ember_output(ctx, node, 0);
    d->rank = out->rank;
    d->count = out->count;
    d->size = ember_type_bytes(out->type);
    for (uint32_t i = 0; i < 3; i++) {
        const ember_tensor *t = ember_input(ctx, node, i);
        size_t run = 1;
        for (uint32_t k = out->rank; k-- > 0;) {
            const int32_t dim = ember_aligned_dim(t, out->rank, k);
            d->dims[k] = (size_t)out->dims[k];
            d->stride[i][k] = dim == 1 ? 0 : run;
            run *= (size_t)dim;
        }
    }
    node->data = d;
    return EMBER_STATUS_OK;
}

static ember_status where_eval(ember_context *ctx, const ember_node *node) {
    const where_data *d = node->data;
    const uint8_t *cond = ember_input(ctx, node, 0)->data;
    const uint8_t *x = ember_input(ctx, node, 1)->data;
    const uint8_t *y = ember_input(ctx, node, 2)->data;
    uint8_t *out = ember_output(ctx, node, 0)->data;
    size_t idx[EMBER_MAX_RANK] = {0}, at[3] = {0, 0, 0};
    for (size_t o = 0; o < d->count; o++) {
        const uint8_t *src = cond[at[0]] != 0 ? x + at[1] * d->size : y + at[2] * d->size;
        memcpy(out + o * d->size, src, d->size);
        /* The odometer: the innermost dim moves, a wrap rewinds it and carries. */
        for (uint32_t k = d->rank; k-- > 0;) {
            for (int i = 0; i < 3; i++)
                at[i] += d->stride[i][k];
            if (++idx[k] < d->dims[k])
                break;
            for (int i = 0; i < 3; i++)
                at[i] -= d->stride[i][k] * d->dims[k];
            idx[k] = 0;
        }
    }
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_where = {EMBER_OP_WHERE, "where", where_check, where_prepare,
                                         where_eval};
