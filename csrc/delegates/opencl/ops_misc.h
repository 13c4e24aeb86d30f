/* What the OpenCL delegate's element-wise, pooling and layout ops share (ops_misc.c): the
   ops themselves, listed in ops_misc.c's table, and helpers their supports() and encoders
   call. Kernels are in kernels/elementwise.cl, pool.cl, layout.cl and matmul.cl. */
#ifndef EMBER_CLD_OPS_MISC_H
#define EMBER_CLD_OPS_MISC_H

#include "cld.h"

/* One of a node's tensors as an encoder sees it. */
typedef struct misc_tensor {
    uint32_t index;
    ember_tensor_info info;
    size_t count; /* elements */
} misc_tensor;

/* Elements of a tensor of this info (1 for a scalar). */
size_t misc_count(const ember_tensor_info *info);

/* The node's input (is_output 0) or output at position; false (the plan failed, naming the
   node) when it is absent. */
bool misc_io(cld_plan *plan, uint32_t node, uint32_t is_output, uint32_t position,
             misc_tensor *t);

/* The checks every op here starts with: float32 only, and tensors whose elements an int
   index reaches (the kernels index with int). */
bool misc_supports_float(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                         char *why, size_t why_size);

/* supports() of an op with one input and one output, float32 (misc_supports_float): the
   optional run-time operands some ops take (run-time axes, shapes) are refused, as the
   delegate reads only what the model stores. */
bool misc_supports_one_input(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                             char *why, size_t why_size);

/* The clamp range of a fused activation (the schema's FusedActivation) as the CPU kernels
   apply it to element-wise, pooling and concatenation outputs; false for SILU, HARD_SWISH
   and unknown values, which those ops do not take. */
bool misc_act_range(int64_t act, float *lo, float *hi);

/* supports() for an op with an `activation` param: the reason when misc_act_range refuses. */
bool misc_supports_act(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                       char *why, size_t why_size);

/* A vector param (axes, perm, pads); false when absent or not a vector of ints. */
bool misc_param_ints(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                     const char *name, ember_param *out);

/* Launches `count` work items of a kernel taking one element each (nothing for 0), rounded
   up to a multiple of MISC_GROUP: a driver left to pick the work-group size of an odd count
   picks tiny groups. The kernels check their index against the count. */
#define MISC_GROUP 64
void misc_launch(cld_plan *plan, cl_kernel kernel, size_t count);

/* Uploads int32 values, failing the plan on a count above INT32_MAX. */
cld_ref misc_table(cld_plan *plan, const int32_t *values, size_t count);

/* The ops (ops_elementwise.c, ops_pool.c, ops_resize.c, ops_layout.c, ops_matmul.c). */
extern const cld_op misc_op_add, misc_op_sub, misc_op_mul, misc_op_div, misc_op_maximum,
    misc_op_minimum, misc_op_prelu, misc_op_pow;
extern const cld_op misc_op_relu, misc_op_relu6, misc_op_clamp, misc_op_leaky_relu,
    misc_op_sigmoid, misc_op_tanh, misc_op_hard_sigmoid, misc_op_hard_swish, misc_op_abs,
    misc_op_neg, misc_op_sqrt, misc_op_rsqrt, misc_op_exp, misc_op_log, misc_op_floor,
    misc_op_ceil, misc_op_round, misc_op_sign, misc_op_sin, misc_op_cos,
    misc_op_reciprocal, misc_op_erf, misc_op_softplus, misc_op_mish, misc_op_square,
    misc_op_elu, misc_op_selu, misc_op_gelu, misc_op_acos, misc_op_asin, misc_op_atan;
extern const cld_op misc_op_max_pool2d, misc_op_average_pool2d, misc_op_mean, misc_op_sum,
    misc_op_reduce_max, misc_op_reduce_min, misc_op_reduce_prod, misc_op_softmax,
    misc_op_log_softmax, misc_op_l2_normalization;
extern const cld_op misc_op_resize, misc_op_concatenation, misc_op_reshape,
    misc_op_transpose, misc_op_slice, misc_op_split, misc_op_gather, misc_op_pad;
extern const cld_op misc_op_batch_matmul;

#endif /* EMBER_CLD_OPS_MISC_H */
