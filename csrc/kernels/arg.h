/* What ARG_MAX and ARG_MIN share: the checks (float32 or int8 input, INT32 or INT64 indices,
   the axis dropped or kept as 1 in the output) and the [outer, n, inner] view of the input
   around the axis. Each op file keeps its own comparison loops. */
#ifndef EMBER_KERNELS_ARG_H
#define EMBER_KERNELS_ARG_H

#include "ember_internal.h"

typedef struct ember_arg_data {
    size_t outer, n, inner;
    bool int64_out; /* INT64 indices, else INT32 */
} ember_arg_data;

ember_status ember_arg_check(ember_context *ctx, const ember_node *node, const char *op);
/* Fills node->data with an ember_arg_data. */
ember_status ember_arg_prepare(ember_context *ctx, ember_node *node, const char *op);

static inline void ember_arg_store(void *out, size_t i, size_t index, bool int64_out) {
    if (int64_out)
        ((int64_t *)out)[i] = (int64_t)index;
    else
        ((int32_t *)out)[i] = (int32_t)index;
}

#endif /* EMBER_KERNELS_ARG_H */
