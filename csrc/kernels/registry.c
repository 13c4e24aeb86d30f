/* Op code -> kernel. Every OpCode of the schema has exactly one entry here; the assert below
 * fails the build when the schema gains an op without a kernel. */
#include "ember_internal.h"

extern const ember_kernel ember_kernel_conv2d;
extern const ember_kernel ember_kernel_depthwise_conv2d;
extern const ember_kernel ember_kernel_transpose_conv2d;
extern const ember_kernel ember_kernel_fully_connected;
extern const ember_kernel ember_kernel_batch_matmul;
extern const ember_kernel ember_kernel_add;
extern const ember_kernel ember_kernel_sub;
extern const ember_kernel ember_kernel_mul;
extern const ember_kernel ember_kernel_div;
extern const ember_kernel ember_kernel_relu;
extern const ember_kernel ember_kernel_relu6;
extern const ember_kernel ember_kernel_clamp;
extern const ember_kernel ember_kernel_leaky_relu;
extern const ember_kernel ember_kernel_sigmoid;
extern const ember_kernel ember_kernel_tanh;
extern const ember_kernel ember_kernel_hard_sigmoid;
extern const ember_kernel ember_kernel_hard_swish;
extern const ember_kernel ember_kernel_max_pool2d;
extern const ember_kernel ember_kernel_average_pool2d;
extern const ember_kernel ember_kernel_mean;
extern const ember_kernel ember_kernel_reshape;
extern const ember_kernel ember_kernel_transpose;
extern const ember_kernel ember_kernel_concatenation;
extern const ember_kernel ember_kernel_split;
extern const ember_kernel ember_kernel_slice;
extern const ember_kernel ember_kernel_pad;
extern const ember_kernel ember_kernel_softmax;
extern const ember_kernel ember_kernel_gather;
extern const ember_kernel ember_kernel_resize;
extern const ember_kernel ember_kernel_quantize;
extern const ember_kernel ember_kernel_dequantize;
extern const ember_kernel ember_kernel_maximum;
extern const ember_kernel ember_kernel_minimum;
extern const ember_kernel ember_kernel_prelu;
extern const ember_kernel ember_kernel_sum;
extern const ember_kernel ember_kernel_arg_max;
extern const ember_kernel ember_kernel_arg_min;
extern const ember_kernel ember_kernel_cast;
extern const ember_kernel ember_kernel_l2_normalization;
extern const ember_kernel ember_kernel_log_softmax;
extern const ember_kernel ember_kernel_lookup_table;
extern const ember_kernel ember_kernel_abs;
extern const ember_kernel ember_kernel_neg;
extern const ember_kernel ember_kernel_sqrt;
extern const ember_kernel ember_kernel_rsqrt;
extern const ember_kernel ember_kernel_exp;
extern const ember_kernel ember_kernel_log;
extern const ember_kernel ember_kernel_floor;
extern const ember_kernel ember_kernel_ceil;
extern const ember_kernel ember_kernel_round;
extern const ember_kernel ember_kernel_sign;
extern const ember_kernel ember_kernel_sin;
extern const ember_kernel ember_kernel_cos;
extern const ember_kernel ember_kernel_reciprocal;
extern const ember_kernel ember_kernel_erf;
extern const ember_kernel ember_kernel_softplus;
extern const ember_kernel ember_kernel_mish;
extern const ember_kernel ember_kernel_square;
extern const ember_kernel ember_kernel_elu;
extern const ember_kernel ember_kernel_selu;
extern const ember_kernel ember_kernel_gelu;
extern const ember_kernel ember_kernel_pow;
extern const ember_kernel ember_kernel_equal;
extern const ember_kernel ember_kernel_not_equal;
extern const ember_kernel ember_kernel_less;
extern const ember_kernel ember_kernel_less_equal;
extern const ember_kernel ember_kernel_greater;
extern const ember_kernel ember_kernel_greater_equal;
extern const ember_kernel ember_kernel_logical_not;
extern const ember_kernel ember_kernel_logical_and;
extern const ember_kernel ember_kernel_logical_or;
extern const ember_kernel ember_kernel_logical_xor;
extern const ember_kernel ember_kernel_where;
extern const ember_kernel ember_kernel_reduce_max;
extern const ember_kernel ember_kernel_reduce_min;
extern const ember_kernel ember_kernel_reduce_prod;
extern const ember_kernel ember_kernel_gather_elements;
extern const ember_kernel ember_kernel_gather_nd;
extern const ember_kernel ember_kernel_scatter_nd;
extern const ember_kernel ember_kernel_scatter_elements;
extern const ember_kernel ember_kernel_top_k;
extern const ember_kernel ember_kernel_cum_sum;
extern const ember_kernel ember_kernel_one_hot;
extern const ember_kernel ember_kernel_mod;
extern const ember_kernel ember_kernel_bitwise_and;
extern const ember_kernel ember_kernel_bitwise_or;
extern const ember_kernel ember_kernel_bitwise_xor;
extern const ember_kernel ember_kernel_bitwise_not;
extern const ember_kernel ember_kernel_bit_shift;
extern const ember_kernel ember_kernel_grid_sample;
extern const ember_kernel ember_kernel_cum_prod;
extern const ember_kernel ember_kernel_acos;
extern const ember_kernel ember_kernel_asin;
extern const ember_kernel ember_kernel_atan;
extern const ember_kernel ember_kernel_quantize_linear;
extern const ember_kernel ember_kernel_dequantize_linear;

static const ember_kernel *const kernels[] = {
    [EMBER_OP_CONV2D] = &ember_kernel_conv2d,
    [EMBER_OP_DEPTHWISE_CONV2D] = &ember_kernel_depthwise_conv2d,
    [EMBER_OP_TRANSPOSE_CONV2D] = &ember_kernel_transpose_conv2d,
    [EMBER_OP_FULLY_CONNECTED] = &ember_kernel_fully_connected,
    [EMBER_OP_BATCH_MATMUL] = &ember_kernel_batch_matmul,
    [EMBER_OP_ADD] = &ember_kernel_add,
    [EMBER_OP_SUB] = &ember_kernel_sub,
    [EMBER_OP_MUL] = &ember_kernel_mul,
    [EMBER_OP_DIV] = &ember_kernel_div,
    [EMBER_OP_RELU] = &ember_kernel_relu,
    [EMBER_OP_RELU6] = &ember_kernel_relu6,
    [EMBER_OP_CLAMP] = &ember_kernel_clamp,
    [EMBER_OP_LEAKY_RELU] = &ember_kernel_leaky_relu,
    [EMBER_OP_SIGMOID] = &ember_kernel_sigmoid,
    [EMBER_OP_TANH] = &ember_kernel_tanh,
    [EMBER_OP_HARD_SIGMOID] = &ember_kernel_hard_sigmoid,
    [EMBER_OP_HARD_SWISH] = &ember_kernel_hard_swish,
    [EMBER_OP_MAX_POOL2D] = &ember_kernel_max_pool2d,
    [EMBER_OP_AVERAGE_POOL2D] = &ember_kernel_average_pool2d,
    [EMBER_OP_MEAN] = &ember_kernel_mean,
    [EMBER_OP_RESHAPE] = &ember_kernel_reshape,
    [EMBER_OP_TRANSPOSE] = &ember_kernel_transpose,
    [EMBER_OP_CONCATENATION] = &ember_kernel_concatenation,
    [EMBER_OP_SPLIT] = &ember_kernel_split,
    [EMBER_OP_SLICE] = &ember_kernel_slice,
    [EMBER_OP_PAD] = &ember_kernel_pad,
    [EMBER_OP_SOFTMAX] = &ember_kernel_softmax,
    [EMBER_OP_GATHER] = &ember_kernel_gather,
    [EMBER_OP_RESIZE] = &ember_kernel_resize,
    [EMBER_OP_QUANTIZE] = &ember_kernel_quantize,
    [EMBER_OP_DEQUANTIZE] = &ember_kernel_dequantize,
    [EMBER_OP_MAXIMUM] = &ember_kernel_maximum,
    [EMBER_OP_MINIMUM] = &ember_kernel_minimum,
    [EMBER_OP_PRELU] = &ember_kernel_prelu,
    [EMBER_OP_SUM] = &ember_kernel_sum,
    [EMBER_OP_ARG_MAX] = &ember_kernel_arg_max,
    [EMBER_OP_ARG_MIN] = &ember_kernel_arg_min,
    [EMBER_OP_CAST] = &ember_kernel_cast,
    [EMBER_OP_L2_NORMALIZATION] = &ember_kernel_l2_normalization,
    [EMBER_OP_LOG_SOFTMAX] = &ember_kernel_log_softmax,
    [EMBER_OP_LOOKUP_TABLE] = &ember_kernel_lookup_table,
    [EMBER_OP_ABS] = &ember_kernel_abs,
    [EMBER_OP_NEG] = &ember_kernel_neg,
    [EMBER_OP_SQRT] = &ember_kernel_sqrt,
    [EMBER_OP_RSQRT] = &ember_kernel_rsqrt,
    [EMBER_OP_EXP] = &ember_kernel_exp,
    [EMBER_OP_LOG] = &ember_kernel_log,
    [EMBER_OP_FLOOR] = &ember_kernel_floor,
    [EMBER_OP_CEIL] = &ember_kernel_ceil,
    [EMBER_OP_ROUND] = &ember_kernel_round,
    [EMBER_OP_SIGN] = &ember_kernel_sign,
    [EMBER_OP_SIN] = &ember_kernel_sin,
    [EMBER_OP_COS] = &ember_kernel_cos,
    [EMBER_OP_RECIPROCAL] = &ember_kernel_reciprocal,
    [EMBER_OP_ERF] = &ember_kernel_erf,
    [EMBER_OP_SOFTPLUS] = &ember_kernel_softplus,
    [EMBER_OP_MISH] = &ember_kernel_mish,
    [EMBER_OP_SQUARE] = &ember_kernel_square,
    [EMBER_OP_ELU] = &ember_kernel_elu,
    [EMBER_OP_SELU] = &ember_kernel_selu,
    [EMBER_OP_GELU] = &ember_kernel_gelu,
    [EMBER_OP_POW] = &ember_kernel_pow,
    [EMBER_OP_EQUAL] = &ember_kernel_equal,
    [EMBER_OP_NOT_EQUAL] = &ember_kernel_not_equal,
    [EMBER_OP_LESS] = &ember_kernel_less,
    [EMBER_OP_LESS_EQUAL] = &ember_kernel_less_equal,
    [EMBER_OP_GREATER] = &ember_kernel_greater,
    [EMBER_OP_GREATER_EQUAL] = &ember_kernel_greater_equal,
    [EMBER_OP_LOGICAL_NOT] = &ember_kernel_logical_not,
    [EMBER_OP_LOGICAL_AND] = &ember_kernel_logical_and,
    [EMBER_OP_LOGICAL_OR] = &ember_kernel_logical_or,
    [EMBER_OP_LOGICAL_XOR] = &ember_kernel_logical_xor,
    [EMBER_OP_WHERE] = &ember_kernel_where,
    [EMBER_OP_REDUCE_MAX] = &ember_kernel_reduce_max,
    [EMBER_OP_REDUCE_MIN] = &ember_kernel_reduce_min,
    [EMBER_OP_REDUCE_PROD] = &ember_kernel_reduce_prod,
    [EMBER_OP_GATHER_ELEMENTS] = &ember_kernel_gather_elements,
    [EMBER_OP_GATHER_ND] = &ember_kernel_gather_nd,
    [EMBER_OP_SCATTER_ND] = &ember_kernel_scatter_nd,
    [EMBER_OP_SCATTER_ELEMENTS] = &ember_kernel_scatter_elements,
    [EMBER_OP_TOP_K] = &ember_kernel_top_k,
    [EMBER_OP_CUM_SUM] = &ember_kernel_cum_sum,
    [EMBER_OP_ONE_HOT] = &ember_kernel_one_hot,
    [EMBER_OP_MOD] = &ember_kernel_mod,
    [EMBER_OP_BITWISE_AND] = &ember_kernel_bitwise_and,
    [EMBER_OP_BITWISE_OR] = &ember_kernel_bitwise_or,
    [EMBER_OP_BITWISE_XOR] = &ember_kernel_bitwise_xor,
    [EMBER_OP_BITWISE_NOT] = &ember_kernel_bitwise_not,
    [EMBER_OP_BIT_SHIFT] = &ember_kernel_bit_shift,
    [EMBER_OP_GRID_SAMPLE] = &ember_kernel_grid_sample,
    [EMBER_OP_CUM_PROD] = &ember_kernel_cum_prod,
    [EMBER_OP_ACOS] = &ember_kernel_acos,
    [EMBER_OP_ASIN] = &ember_kernel_asin,
    [EMBER_OP_ATAN] = &ember_kernel_atan,
    [EMBER_OP_QUANTIZE_LINEAR] = &ember_kernel_quantize_linear,
    [EMBER_OP_DEQUANTIZE_LINEAR] = &ember_kernel_dequantize_linear,
};

_Static_assert(sizeof kernels / sizeof kernels[0] == EMBER_OP_COUNT,
               "registry.c must list a kernel for every EMBER_OP_* code");

const ember_kernel *ember_kernel_for(uint32_t op) {
    return op < EMBER_OP_COUNT ? kernels[op] : NULL;
}
