/* Which shape rule each op follows when graph inputs are resized (see ember_shape_rule), and
   the rules shared by whole families of ops. */
#include "kernels/shape_rules.h"

#include "kernels/broadcast.h"

ember_status ember_set_shape(ember_context *ctx, const ember_node *node, ember_tensor *t,
                             uint32_t rank, const int32_t *dims) {
    if (rank > EMBER_MAX_RANK)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): output '%s' would have rank %" PRIu32,
                          node->index, node->kernel->name, t->name, rank);
    const size_t elem = ember_type_bytes(t->type);
    if (elem == 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 ": output '%s' has an unknown type", node->index,
                          t->name);
    bool empty = false; /* then the other dims may be as large as int32 allows */
    for (uint32_t d = 0; d < rank; d++)
        empty = empty || dims[d] == 0;
    size_t count = 1;
    for (uint32_t d = 0; d < rank; d++) {
        if (dims[d] < 0 || (!empty && count > SIZE_MAX / elem / (size_t)dims[d]))
            return ember_fail(ctx, EMBER_STATUS_INVALID_ARGUMENT,
                              "node %" PRIu32 " (%s): output '%s' dim %" PRIu32 " would be %" PRId32
                              " at these input shapes",
                              node->index, node->kernel->name, t->name, d, dims[d]);
        count *= (size_t)dims[d];
    }
    t->rank = (uint8_t)rank;
    for (uint32_t d = 0; d < rank; d++)
        t->dims[d] = dims[d];
    t->count = count;
    t->bytes = count * elem;
    return EMBER_STATUS_OK;
}

int32_t ember_symbol_dim(const ember_context *ctx, int32_t v) {
    if (v > -2 || (uint32_t)(-(v + 2)) >= ctx->symbol_count)
        return -1;
    return ctx->symbols[-(v + 2)];
}

ember_status ember_shape_input(ember_context *ctx, const ember_node *node, uint32_t i,
                               const ember_tensor **out) {
    *out = ember_input(ctx, node, i);
    if (*out == NULL || node->output_count < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): input %" PRIu32 " or output 0 is missing",
                          node->index, node->kernel->name, i);
    return EMBER_STATUS_OK;
}

ember_status ember_shape_same(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in;
    ember_status st = ember_shape_input(ctx, node, 0, &in);
    for (uint32_t k = 0; st == EMBER_STATUS_OK && k < node->output_count; k++)
        st = ember_set_shape(ctx, node, ember_output(ctx, node, k), in->rank, in->dims);
    return st;
}

ember_status ember_shape_broadcast(ember_context *ctx, const ember_node *node) {
    const ember_tensor *first;
    ember_status st = ember_shape_input(ctx, node, 0, &first);
    if (st != EMBER_STATUS_OK)
        return st;
    uint32_t rank = 0;
    for (uint32_t i = 0; i < node->input_count; i++) {
        const ember_tensor *t = ember_input(ctx, node, i);
        if (t != NULL && t->rank > rank)
            rank = t->rank;
    }
    int32_t dims[EMBER_MAX_RANK];
    for (uint32_t d = 0; d < rank; d++) {
        dims[d] = 1;
        for (uint32_t i = 0; i < node->input_count; i++) {
            const ember_tensor *t = ember_input(ctx, node, i);
            const int32_t v = t != NULL ? ember_aligned_dim(t, rank, d) : 1;
            if (v != 1 && dims[d] != 1 && v != dims[d])
                return ember_fail(ctx, EMBER_STATUS_INVALID_ARGUMENT,
                                  "node %" PRIu32 " (%s): input dims %" PRId32 " and %" PRId32
                                  " at output dim %" PRIu32 " do not broadcast at these input "
                                  "shapes",
                                  node->index, node->kernel->name, dims[d], v, d);
            if (v != 1)
                dims[d] = v;
        }
    }
    return ember_set_shape(ctx, node, ember_output(ctx, node, 0), rank, dims);
}

/* GATHER_ELEMENTS: the output has the indices' shape. */
static ember_status shape_of_indices(ember_context *ctx, const ember_node *node) {
    const ember_tensor *indices;
    ember_status st = ember_shape_input(ctx, node, 1, &indices);
    return st ? st : ember_set_shape(ctx, node, ember_output(ctx, node, 0), indices->rank,
                                     indices->dims);
}

ember_status ember_shape_reduced(ember_context *ctx, const ember_node *node,
                                 const bool *reduced) {
    const ember_tensor *in;
    ember_status st = ember_shape_input(ctx, node, 0, &in);
    if (st != EMBER_STATUS_OK)
        return st;
    ember_tensor *out = ember_output(ctx, node, 0);
    const bool keep = out->rank == in->rank;
    int32_t dims[EMBER_MAX_RANK];
    uint32_t rank = 0;
    for (uint32_t d = 0; d < in->rank; d++) {
        if (!reduced[d] || keep)
            dims[rank++] = reduced[d] ? 1 : in->dims[d];
    }
    return ember_set_shape(ctx, node, out, rank, dims);
}

/* The op's rule, or NULL for an op an ops header left out of the build (csrc/ember_config.h):
   then nothing refers to the op's file. */
#define RULE(op, rule)                                                                        \
    case EMBER_OP_##op:                                                                       \
        return EMBER_USE_OP_##op ? rule : NULL

ember_shape_fn ember_shape_rule(uint16_t op) {
    switch (op) {
    RULE(CONV2D, ember_shape_conv2d);
    RULE(DEPTHWISE_CONV2D, ember_shape_depthwise_conv2d);
    RULE(TRANSPOSE_CONV2D, ember_shape_transpose_conv2d);
    RULE(MAX_POOL2D, ember_shape_max_pool2d);
    RULE(AVERAGE_POOL2D, ember_shape_average_pool2d);
    RULE(FULLY_CONNECTED, ember_shape_fully_connected);
    RULE(BATCH_MATMUL, ember_shape_batch_matmul);
    RULE(MEAN, ember_shape_reduce);
    RULE(SUM, ember_shape_reduce);
    RULE(REDUCE_MAX, ember_shape_reduce);
    RULE(REDUCE_MIN, ember_shape_reduce);
    RULE(REDUCE_PROD, ember_shape_reduce);
    RULE(RESHAPE, ember_shape_reshape);
    RULE(TRANSPOSE, ember_shape_transpose);
    RULE(CONCATENATION, ember_shape_concatenation);
    RULE(SPLIT, ember_shape_split);
    RULE(SLICE, ember_shape_slice);
    RULE(PAD, ember_shape_pad);
    RULE(GATHER, ember_shape_gather);
    RULE(GATHER_ND, ember_shape_gather_nd);
    RULE(RESIZE, ember_shape_resize);
    RULE(ARG_MAX, ember_shape_arg);
    RULE(ARG_MIN, ember_shape_arg);
    RULE(TOP_K, ember_shape_top_k);
    RULE(ONE_HOT, ember_shape_one_hot);
    RULE(GRID_SAMPLE, ember_shape_grid_sample);
    RULE(ADD, ember_shape_broadcast);
    RULE(SUB, ember_shape_broadcast);
    RULE(MUL, ember_shape_broadcast);
    RULE(DIV, ember_shape_broadcast);
    RULE(MAXIMUM, ember_shape_broadcast);
    RULE(MINIMUM, ember_shape_broadcast);
    RULE(POW, ember_shape_broadcast);
    RULE(EQUAL, ember_shape_broadcast);
    RULE(NOT_EQUAL, ember_shape_broadcast);
    RULE(LESS, ember_shape_broadcast);
    RULE(LESS_EQUAL, ember_shape_broadcast);
    RULE(GREATER, ember_shape_broadcast);
    RULE(GREATER_EQUAL, ember_shape_broadcast);
    RULE(LOGICAL_AND, ember_shape_broadcast);
    RULE(LOGICAL_OR, ember_shape_broadcast);
    RULE(LOGICAL_XOR, ember_shape_broadcast);
    RULE(WHERE, ember_shape_broadcast);
    RULE(MOD, ember_shape_broadcast);
    RULE(BITWISE_AND, ember_shape_broadcast);
    RULE(BITWISE_OR, ember_shape_broadcast);
    RULE(BITWISE_XOR, ember_shape_broadcast);
    RULE(BIT_SHIFT, ember_shape_broadcast);
    RULE(GATHER_ELEMENTS, shape_of_indices);
    RULE(RELU, ember_shape_same);
    RULE(RELU6, ember_shape_same);
    RULE(CLAMP, ember_shape_same);
    RULE(LEAKY_RELU, ember_shape_same);
    RULE(SIGMOID, ember_shape_same);
    RULE(TANH, ember_shape_same);
    RULE(HARD_SIGMOID, ember_shape_same);
    RULE(HARD_SWISH, ember_shape_same);
    RULE(SOFTMAX, ember_shape_same);
    RULE(QUANTIZE, ember_shape_same);
    RULE(DEQUANTIZE, ember_shape_same);
    RULE(PRELU, ember_shape_same);
    RULE(CAST, ember_shape_same);
    RULE(L2_NORMALIZATION, ember_shape_same);
    RULE(LOG_SOFTMAX, ember_shape_same);
    RULE(LOOKUP_TABLE, ember_shape_same);
    RULE(ABS, ember_shape_same);
    RULE(NEG, ember_shape_same);
    RULE(SQRT, ember_shape_same);
    RULE(RSQRT, ember_shape_same);
    RULE(EXP, ember_shape_same);
    RULE(LOG, ember_shape_same);
    RULE(FLOOR, ember_shape_same);
    RULE(CEIL, ember_shape_same);
    RULE(ROUND, ember_shape_same);
    RULE(SIGN, ember_shape_same);
    RULE(SIN, ember_shape_same);
    RULE(COS, ember_shape_same);
    RULE(RECIPROCAL, ember_shape_same);
    RULE(ERF, ember_shape_same);
    RULE(SOFTPLUS, ember_shape_same);
    RULE(MISH, ember_shape_same);
    RULE(SQUARE, ember_shape_same);
    RULE(ELU, ember_shape_same);
    RULE(SELU, ember_shape_same);
    RULE(GELU, ember_shape_same);
    RULE(LOGICAL_NOT, ember_shape_same);
    RULE(CUM_SUM, ember_shape_same);
    RULE(SCATTER_ND, ember_shape_same);
    RULE(BITWISE_NOT, ember_shape_same);
    RULE(CUM_PROD, ember_shape_same);
    RULE(ACOS, ember_shape_same);
    RULE(ASIN, ember_shape_same);
    RULE(ATAN, ember_shape_same);
    RULE(QUANTIZE_LINEAR, ember_shape_same);
    RULE(DEQUANTIZE_LINEAR, ember_shape_same);
    RULE(SCATTER_ELEMENTS, ember_shape_same);
    default:
        return NULL; /* an op code the registry lacks: the verifier refuses it first */
    }
}
