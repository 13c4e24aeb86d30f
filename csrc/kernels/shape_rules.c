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

ember_shape_fn ember_shape_rule(uint16_t op) {
    switch (op) {
    case EMBER_OP_CONV2D: return ember_shape_conv2d;
    case EMBER_OP_DEPTHWISE_CONV2D: return ember_shape_depthwise_conv2d;
    case EMBER_OP_TRANSPOSE_CONV2D: return ember_shape_transpose_conv2d;
    case EMBER_OP_MAX_POOL2D: return ember_shape_max_pool2d;
    case EMBER_OP_AVERAGE_POOL2D: return ember_shape_average_pool2d;
    case EMBER_OP_FULLY_CONNECTED: return ember_shape_fully_connected;
    case EMBER_OP_BATCH_MATMUL: return ember_shape_batch_matmul;
    case EMBER_OP_MEAN:
    case EMBER_OP_SUM:
    case EMBER_OP_REDUCE_MAX:
    case EMBER_OP_REDUCE_MIN:
    case EMBER_OP_REDUCE_PROD: return ember_shape_reduce;
    case EMBER_OP_RESHAPE: return ember_shape_reshape;
    case EMBER_OP_TRANSPOSE: return ember_shape_transpose;
    case EMBER_OP_CONCATENATION: return ember_shape_concatenation;
    case EMBER_OP_SPLIT: return ember_shape_split;
    case EMBER_OP_SLICE: return ember_shape_slice;
    case EMBER_OP_PAD: return ember_shape_pad;
    case EMBER_OP_GATHER: return ember_shape_gather;
    case EMBER_OP_GATHER_ND: return ember_shape_gather_nd;
    case EMBER_OP_RESIZE: return ember_shape_resize;
    case EMBER_OP_ARG_MAX:
    case EMBER_OP_ARG_MIN: return ember_shape_arg;
    case EMBER_OP_TOP_K: return ember_shape_top_k;
    case EMBER_OP_ONE_HOT: return ember_shape_one_hot;
    case EMBER_OP_GRID_SAMPLE: return ember_shape_grid_sample;
    case EMBER_OP_ADD: case EMBER_OP_SUB: case EMBER_OP_MUL: case EMBER_OP_DIV:
    case EMBER_OP_MAXIMUM: case EMBER_OP_MINIMUM: case EMBER_OP_POW:
    case EMBER_OP_EQUAL: case EMBER_OP_NOT_EQUAL: case EMBER_OP_LESS: case EMBER_OP_LESS_EQUAL:
    case EMBER_OP_GREATER: case EMBER_OP_GREATER_EQUAL: case EMBER_OP_LOGICAL_AND:
    case EMBER_OP_LOGICAL_OR: case EMBER_OP_LOGICAL_XOR: case EMBER_OP_WHERE:
    case EMBER_OP_MOD: case EMBER_OP_BITWISE_AND: case EMBER_OP_BITWISE_OR:
    case EMBER_OP_BITWISE_XOR: case EMBER_OP_BIT_SHIFT:
        return ember_shape_broadcast;
    case EMBER_OP_GATHER_ELEMENTS: return shape_of_indices;
    case EMBER_OP_RELU: case EMBER_OP_RELU6: case EMBER_OP_CLAMP: case EMBER_OP_LEAKY_RELU:
    case EMBER_OP_SIGMOID: case EMBER_OP_TANH: case EMBER_OP_HARD_SIGMOID:
    case EMBER_OP_HARD_SWISH: case EMBER_OP_SOFTMAX: case EMBER_OP_QUANTIZE:
    case EMBER_OP_DEQUANTIZE: case EMBER_OP_PRELU: case EMBER_OP_CAST:
    case EMBER_OP_L2_NORMALIZATION: case EMBER_OP_LOG_SOFTMAX: case EMBER_OP_LOOKUP_TABLE:
    case EMBER_OP_ABS: case EMBER_OP_NEG: case EMBER_OP_SQRT: case EMBER_OP_RSQRT:
    case EMBER_OP_EXP: case EMBER_OP_LOG: case EMBER_OP_FLOOR: case EMBER_OP_CEIL:
    case EMBER_OP_ROUND: case EMBER_OP_SIGN: case EMBER_OP_SIN: case EMBER_OP_COS:
    case EMBER_OP_RECIPROCAL: case EMBER_OP_ERF: case EMBER_OP_SOFTPLUS: case EMBER_OP_MISH:
    case EMBER_OP_SQUARE: case EMBER_OP_ELU: case EMBER_OP_SELU: case EMBER_OP_GELU:
    case EMBER_OP_LOGICAL_NOT: case EMBER_OP_CUM_SUM: case EMBER_OP_SCATTER_ND:
    case EMBER_OP_BITWISE_NOT:
    case EMBER_OP_CUM_PROD: case EMBER_OP_ACOS: case EMBER_OP_ASIN: case EMBER_OP_ATAN:
    case EMBER_OP_QUANTIZE_LINEAR: case EMBER_OP_DEQUANTIZE_LINEAR:
    case EMBER_OP_SCATTER_ELEMENTS:
        return ember_shape_same;
    default:
        return NULL; /* an op code the registry lacks: the verifier refuses it first */
    }
}
