/* Op code -> kernel. Every OpCode of the schema has exactly one entry here; the assert below
 * fails the build when the schema gains an op without a kernel. A build may leave ops out
 * (EMBER_OPS_HEADER, csrc/ember_config.h): their entries are NULL and the verifier refuses a
 * model that uses one. */
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

/* The op's kernel, or NULL when an ops header left the op out of the build: then nothing
   refers to the kernel, and the linker leaves its code out. */
#define KERNEL(op, kernel) [EMBER_OP_##op] = EMBER_USE_OP_##op ? &kernel : NULL

static const ember_kernel *const kernels[] = {
    KERNEL(CONV2D, ember_kernel_conv2d),
    KERNEL(DEPTHWISE_CONV2D, ember_kernel_depthwise_conv2d),
    KERNEL(TRANSPOSE_CONV2D, ember_kernel_transpose_conv2d),
    KERNEL(FULLY_CONNECTED, ember_kernel_fully_connected),
    KERNEL(BATCH_MATMUL, ember_kernel_batch_matmul),
    KERNEL(ADD, ember_kernel_add),
    KERNEL(SUB, ember_kernel_sub),
    KERNEL(MUL, ember_kernel_mul),
    KERNEL(DIV, ember_kernel_div),
    KERNEL(RELU, ember_kernel_relu),
    KERNEL(RELU6, ember_kernel_relu6),
    KERNEL(CLAMP, ember_kernel_clamp),
    KERNEL(LEAKY_RELU, ember_kernel_leaky_relu),
    KERNEL(SIGMOID, ember_kernel_sigmoid),
    KERNEL(TANH, ember_kernel_tanh),
    KERNEL(HARD_SIGMOID, ember_kernel_hard_sigmoid),
    KERNEL(HARD_SWISH, ember_kernel_hard_swish),
    KERNEL(MAX_POOL2D, ember_kernel_max_pool2d),
    KERNEL(AVERAGE_POOL2D, ember_kernel_average_pool2d),
    KERNEL(MEAN, ember_kernel_mean),
    KERNEL(RESHAPE, ember_kernel_reshape),
    KERNEL(TRANSPOSE, ember_kernel_transpose),
    KERNEL(CONCATENATION, ember_kernel_concatenation),
    KERNEL(SPLIT, ember_kernel_split),
    KERNEL(SLICE, ember_kernel_slice),
    KERNEL(PAD, ember_kernel_pad),
    KERNEL(SOFTMAX, ember_kernel_softmax),
    KERNEL(GATHER, ember_kernel_gather),
    KERNEL(RESIZE, ember_kernel_resize),
    KERNEL(QUANTIZE, ember_kernel_quantize),
    KERNEL(DEQUANTIZE, ember_kernel_dequantize),
    KERNEL(MAXIMUM, ember_kernel_maximum),
    KERNEL(MINIMUM, ember_kernel_minimum),
    KERNEL(PRELU, ember_kernel_prelu),
    KERNEL(SUM, ember_kernel_sum),
    KERNEL(ARG_MAX, ember_kernel_arg_max),
    KERNEL(ARG_MIN, ember_kernel_arg_min),
    KERNEL(CAST, ember_kernel_cast),
    KERNEL(L2_NORMALIZATION, ember_kernel_l2_normalization),
    KERNEL(LOG_SOFTMAX, ember_kernel_log_softmax),
    KERNEL(LOOKUP_TABLE, ember_kernel_lookup_table),
    KERNEL(ABS, ember_kernel_abs),
    KERNEL(NEG, ember_kernel_neg),
    KERNEL(SQRT, ember_kernel_sqrt),
    KERNEL(RSQRT, ember_kernel_rsqrt),
    KERNEL(EXP, ember_kernel_exp),
    KERNEL(LOG, ember_kernel_log),
    KERNEL(FLOOR, ember_kernel_floor),
    KERNEL(CEIL, ember_kernel_ceil),
    KERNEL(ROUND, ember_kernel_round),
    KERNEL(SIGN, ember_kernel_sign),
    KERNEL(SIN, ember_kernel_sin),
    KERNEL(COS, ember_kernel_cos),
    KERNEL(RECIPROCAL, ember_kernel_reciprocal),
    KERNEL(ERF, ember_kernel_erf),
    KERNEL(SOFTPLUS, ember_kernel_softplus),
    KERNEL(MISH, ember_kernel_mish),
    KERNEL(SQUARE, ember_kernel_square),
    KERNEL(ELU, ember_kernel_elu),
    KERNEL(SELU, ember_kernel_selu),
    KERNEL(GELU, ember_kernel_gelu),
    KERNEL(POW, ember_kernel_pow),
    KERNEL(EQUAL, ember_kernel_equal),
    KERNEL(NOT_EQUAL, ember_kernel_not_equal),
    KERNEL(LESS, ember_kernel_less),
    KERNEL(LESS_EQUAL, ember_kernel_less_equal),
    KERNEL(GREATER, ember_kernel_greater),
    KERNEL(GREATER_EQUAL, ember_kernel_greater_equal),
    KERNEL(LOGICAL_NOT, ember_kernel_logical_not),
    KERNEL(LOGICAL_AND, ember_kernel_logical_and),
    KERNEL(LOGICAL_OR, ember_kernel_logical_or),
    KERNEL(LOGICAL_XOR, ember_kernel_logical_xor),
    KERNEL(WHERE, ember_kernel_where),
    KERNEL(REDUCE_MAX, ember_kernel_reduce_max),
    KERNEL(REDUCE_MIN, ember_kernel_reduce_min),
    KERNEL(REDUCE_PROD, ember_kernel_reduce_prod),
    KERNEL(GATHER_ELEMENTS, ember_kernel_gather_elements),
    KERNEL(GATHER_ND, ember_kernel_gather_nd),
    KERNEL(SCATTER_ND, ember_kernel_scatter_nd),
    KERNEL(SCATTER_ELEMENTS, ember_kernel_scatter_elements),
    KERNEL(TOP_K, ember_kernel_top_k),
    KERNEL(CUM_SUM, ember_kernel_cum_sum),
    KERNEL(ONE_HOT, ember_kernel_one_hot),
    KERNEL(MOD, ember_kernel_mod),
    KERNEL(BITWISE_AND, ember_kernel_bitwise_and),
    KERNEL(BITWISE_OR, ember_kernel_bitwise_or),
    KERNEL(BITWISE_XOR, ember_kernel_bitwise_xor),
    KERNEL(BITWISE_NOT, ember_kernel_bitwise_not),
    KERNEL(BIT_SHIFT, ember_kernel_bit_shift),
    KERNEL(GRID_SAMPLE, ember_kernel_grid_sample),
    KERNEL(CUM_PROD, ember_kernel_cum_prod),
    KERNEL(ACOS, ember_kernel_acos),
    KERNEL(ASIN, ember_kernel_asin),
    KERNEL(ATAN, ember_kernel_atan),
    KERNEL(QUANTIZE_LINEAR, ember_kernel_quantize_linear),
    KERNEL(DEQUANTIZE_LINEAR, ember_kernel_dequantize_linear),
};

_Static_assert(sizeof kernels / sizeof kernels[0] == EMBER_OP_COUNT,
               "registry.c must list a kernel for every EMBER_OP_* code");

const ember_kernel *ember_kernel_for(uint32_t op) {
    return op < EMBER_OP_COUNT ? kernels[op] : NULL;
}
