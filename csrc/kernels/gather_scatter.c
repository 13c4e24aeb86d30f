/* Checks and the scatter reductions shared by GATHER_ELEMENTS, GATHER_ND, SCATTER_ND and
   SCATTER_ELEMENTS (gather_scatter.h). */
#include <math.h>
#include <string.h>

#include "ember_internal.h"
#include "kernels/gather_scatter.h"
#include "kernels/quant.h"

ember_status ember_check_indices_type(ember_context *ctx, const ember_node *node, const char *op,
                                      const ember_tensor *indices) {
    if (indices->type == EMBER_TYPE_INT32 || indices->type == EMBER_TYPE_INT64)
        return EMBER_STATUS_OK;
    return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                      "node %" PRIu32 " (%s): indices must be INT32 or INT64, got type %u",
                      node->index, op, indices->type);
}

ember_status ember_check_moved(ember_context *ctx, const ember_node *node, const char *op,
                               const ember_tensor *data, const ember_tensor *other) {
    const uint8_t t = data->type;
    if (t != EMBER_TYPE_FLOAT32 && t != EMBER_TYPE_INT32 && t != EMBER_TYPE_INT64 &&
        t != EMBER_TYPE_BOOL && t != EMBER_TYPE_INT8)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): data must be FLOAT32, INT32, INT64, BOOL or "
                          "INT8, got type %u",
                          node->index, op, t);
    if (other->type != t)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): '%s' must have the data's type %u, got %u",
                          node->index, op, other->name, t, other->type);
    ember_status st = EMBER_STATUS_OK;
    if (t == EMBER_TYPE_INT8 && (st = ember_check_quant_i8(ctx, node, data, "data")) == 0)
        st = ember_check_same_quant(ctx, node, data, other);
    return st;
}

ember_status ember_check_constant_indices(ember_context *ctx, const ember_node *node,
                                          const char *op, const ember_tensor *indices,
                                          const int64_t *bounds, uint32_t period) {
    if (!indices->is_constant || indices->data == NULL)
        return EMBER_STATUS_OK;
    const bool wide = indices->type == EMBER_TYPE_INT64;
    for (size_t k = 0; k < indices->count; k++) {
        const int64_t i = ember_index_at(indices->data, wide, k), dim = bounds[k % period];
        size_t pos;
        if (!ember_index_resolve(i, dim, &pos))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s '%s'): constant index %lld at position %zu "
                              "of '%s' is out of range [%lld,%lld)",
                              node->index, op, node->name, (long long)i, k, indices->name,
                              (long long)-dim, (long long)dim);
    }
    return EMBER_STATUS_OK;
}

ember_status ember_read_reduction(ember_context *ctx, const ember_node *node, const char *op,
                                  uint8_t type, uint8_t *reduction) {
    if (!ember_fb_u8(&node->params, EMBER_SLOT_SCATTER_PARAMS_REDUCTION,
                     EMBER_SCATTER_REDUCTION_NONE, reduction))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): params out of bounds", node->index, op);
    const uint8_t r = *reduction;
    if (r >= EMBER_SCATTER_REDUCTION_COUNT)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): unknown reduction %u", node->index, op, r);
    const bool ordered = r == EMBER_SCATTER_REDUCTION_MAX || r == EMBER_SCATTER_REDUCTION_MIN;
    if (r == EMBER_SCATTER_REDUCTION_NONE || type == EMBER_TYPE_FLOAT32 ||
        type == EMBER_TYPE_INT32 || type == EMBER_TYPE_INT64 ||
        (type == EMBER_TYPE_INT8 && ordered))
        return EMBER_STATUS_OK;
    return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                      "node %" PRIu32 " (%s): reduction %u takes FLOAT32, INT32 or INT64 data "
                      "(int8: max and min only), got type %u",
                      node->index, op, r, type);
}

/* Integer add and mul wrap as two's complement (ONNX Runtime's do too), computed unsigned so
   an overflow is defined. */
static int64_t reduce_i64(uint8_t r, int64_t a, int64_t b) {
    switch (r) {
    case EMBER_SCATTER_REDUCTION_ADD: return (int64_t)((uint64_t)a + (uint64_t)b);
    case EMBER_SCATTER_REDUCTION_MUL: return (int64_t)((uint64_t)a * (uint64_t)b);
    case EMBER_SCATTER_REDUCTION_MAX: return a > b ? a : b;
    case EMBER_SCATTER_REDUCTION_MIN: return a < b ? a : b;
    default: return b;
    }
}

/* A NaN on either side wins MAX and MIN, as numpy's maximum and minimum (the reference). */
static float reduce_f32(uint8_t r, float a, float b) {
    switch (r) {
    case EMBER_SCATTER_REDUCTION_ADD: return a + b;
    case EMBER_SCATTER_REDUCTION_MUL: return a * b;
    case EMBER_SCATTER_REDUCTION_MAX: return b > a || isnan(b) ? b : a;
    case EMBER_SCATTER_REDUCTION_MIN: return b < a || isnan(b) ? b : a;
    default: return b;
    }
}

void ember_scatter_reduce(uint8_t type, uint8_t reduction, void *dst, const void *src,
                          size_t n) {
    if (reduction == EMBER_SCATTER_REDUCTION_NONE) {
        memmove(dst, src, n * ember_type_bytes(type));
        return;
    }
    for (size_t j = 0; j < n; j++) {
        if (type == EMBER_TYPE_FLOAT32)
            ((float *)dst)[j] = reduce_f32(reduction, ((float *)dst)[j], ((const float *)src)[j]);
        else if (type == EMBER_TYPE_INT64)
            ((int64_t *)dst)[j] =
                reduce_i64(reduction, ((int64_t *)dst)[j], ((const int64_t *)src)[j]);
        else if (type == EMBER_TYPE_INT32)
            ((int32_t *)dst)[j] = (int32_t)(uint32_t)(uint64_t)reduce_i64(
                reduction, ((int32_t *)dst)[j], ((const int32_t *)src)[j]);
        else /* int8: max and min only (ember_read_reduction) */
            ((int8_t *)dst)[j] =
                (int8_t)reduce_i64(reduction, ((int8_t *)dst)[j], ((const int8_t *)src)[j]);
    }
}

ember_status ember_elements_check(ember_context *ctx, const ember_node *node, const char *op,
                                  const ember_tensor *data, const ember_tensor *indices,
                                  uint32_t axis) {
    if (indices->rank != data->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): indices must have the data's rank %u, got %u",
                          node->index, op, data->rank, indices->rank);
    for (uint32_t d = 0; d < data->rank; d++) {
        if (d != axis && indices->dims[d] > data->dims[d])
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): indices dim %" PRIu32 " (%" PRId32 ") "
                              "exceeds the data's (%" PRId32 ")",
                              node->index, op, d, indices->dims[d], data->dims[d]);
    }
    return EMBER_STATUS_OK;
}

void ember_elements_plan_init(ember_elements_plan *p, const ember_tensor *data,
                              const ember_tensor *indices, uint32_t axis) {
    p->rank = data->rank;
    p->axis = axis;
    size_t stride = 1;
    for (uint32_t d = data->rank; d-- > 0;) {
        p->dims[d] = indices->dims[d];
        p->strides[d] = stride;
        stride *= (size_t)data->dims[d];
    }
    p->axis_dim = data->dims[axis];
    p->count = indices->count;
    p->wide = indices->type == EMBER_TYPE_INT64;
}
