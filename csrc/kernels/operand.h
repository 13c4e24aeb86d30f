/* Run-time shape-like operands (ONNX inputs that models usually hold constant: a Reshape's
   shape, a Squeeze's axes, TopK's k, a Split's sizes, a Slice's starts, a Pad's pads). The
   converter stores the output shapes such a node gives; the kernel reads the operand at eval
   and fails with EMBER_STATUS_EVAL_ERROR, naming the node, when it gives other shapes. */
#ifndef EMBER_KERNELS_OPERAND_H
#define EMBER_KERNELS_OPERAND_H

#include "ember_internal.h"

/* `t` (absent: NULL, accepted) is an INT32 or INT64 scalar or vector of at most `max_len`
   elements (`max_len` 0: any length). */
static inline ember_status ember_check_operand(ember_context *ctx, const ember_node *node,
                                               const char *op, const ember_tensor *t,
                                               const char *what, size_t max_len) {
    if (t == NULL)
        return EMBER_STATUS_OK;
    if (t->type != EMBER_TYPE_INT32 && t->type != EMBER_TYPE_INT64)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): %s must be INT32 or INT64, got type %u",
                          node->index, op, what, t->type);
    if (t->rank > 1 || (max_len > 0 && t->count > max_len))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): %s must be a scalar or a vector of at most "
                          "%zu elements, got rank %u with %zu elements",
                          node->index, op, what, max_len, t->rank, t->count);
    return EMBER_STATUS_OK;
}

/* Element k of an INT32 or INT64 operand. */
static inline int64_t ember_operand_at(const ember_tensor *t, size_t k) {
    return t->type == EMBER_TYPE_INT64 ? ((const int64_t *)t->data)[k]
                                       : ((const int32_t *)t->data)[k];
}

/* An axis in [-rank, rank) as a dim index in *axis; false when out of range. */
static inline bool ember_operand_axis(int64_t v, uint32_t rank, uint32_t *axis) {
    if (v < -(int64_t)rank || v >= (int64_t)rank)
        return false;
    *axis = (uint32_t)(v < 0 ? v + (int64_t)rank : v);
    return true;
}

/* At eval: element k of run-time operand `t` (absent: NULL, nothing to check) must be `want`,
   the value the stored output shape was made for. */
static inline ember_status ember_operand_expect(ember_context *ctx, const ember_node *node,
                                                const char *op, const ember_tensor *t, size_t k,
                                                int64_t want, const char *what) {
    if (t == NULL)
        return EMBER_STATUS_OK;
    const int64_t got = k < t->count ? ember_operand_at(t, k) : INT64_MIN;
    if (got == want)
        return EMBER_STATUS_OK;
    return ember_fail(ctx, EMBER_STATUS_EVAL_ERROR,
                      "node %" PRIu32 " (%s): the run-time %s is %lld; the stored output shape "
                      "needs %lld",
                      node->index, op, what, (long long)got, (long long)want);
}

#endif /* EMBER_KERNELS_OPERAND_H */
