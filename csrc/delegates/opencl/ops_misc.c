/* The table of the OpenCL delegate's ops other than the convolutions, and the helpers those
   ops share (ops_misc.h). */
#include <math.h>

#include "ops_misc.h"

const cld_op *const cld_misc_ops[] = {
    /* ops_elementwise.c: binary */
    &misc_op_add, &misc_op_sub, &misc_op_mul, &misc_op_div, &misc_op_maximum, &misc_op_minimum,
    &misc_op_prelu, &misc_op_pow,
    /* ops_elementwise.c: unary */
    &misc_op_relu, &misc_op_relu6, &misc_op_clamp, &misc_op_leaky_relu, &misc_op_sigmoid,
    &misc_op_tanh, &misc_op_hard_sigmoid, &misc_op_hard_swish, &misc_op_abs, &misc_op_neg,
    &misc_op_sqrt, &misc_op_rsqrt, &misc_op_exp, &misc_op_log, &misc_op_floor, &misc_op_ceil,
    &misc_op_round, &misc_op_sign, &misc_op_sin, &misc_op_cos, &misc_op_reciprocal,
    &misc_op_erf, &misc_op_softplus, &misc_op_mish, &misc_op_square, &misc_op_elu,
    &misc_op_selu, &misc_op_gelu, &misc_op_acos, &misc_op_asin, &misc_op_atan,
    /* ops_pool.c */
    &misc_op_max_pool2d, &misc_op_average_pool2d, &misc_op_mean, &misc_op_sum,
    &misc_op_reduce_max, &misc_op_reduce_min, &misc_op_reduce_prod, &misc_op_softmax,
    &misc_op_log_softmax, &misc_op_l2_normalization,
    /* ops_resize.c, ops_layout.c */
    &misc_op_resize, &misc_op_concatenation, &misc_op_reshape, &misc_op_transpose,
    &misc_op_slice, &misc_op_split, &misc_op_gather, &misc_op_pad,
    /* ops_matmul.c */
    &misc_op_batch_matmul,
    NULL,
};

size_t misc_count(const ember_tensor_info *info) {
    size_t n = 1;
    for (uint32_t d = 0; d < info->rank; d++)
        n *= info->dims[d] > 0 ? (size_t)info->dims[d] : 0;
    return n;
}

bool misc_io(cld_plan *plan, uint32_t node, uint32_t is_output, uint32_t position,
             misc_tensor *t) {
    if (!cld_io(cld_api(plan), cld_interp(plan), node, is_output, position, &t->index,
                &t->info)) {
        cld_fail(plan, EMBER_STATUS_INVALID_MODEL, "node %u: %s %u is absent", (unsigned)node,
                 is_output ? "output" : "input", (unsigned)position);
        return false;
    }
    t->count = misc_count(&t->info);
    return true;
}

/* The kernels index with int, and misc_launch rounds a count up by up to MISC_GROUP. */
static bool int_indexed(const ember_tensor_info *info, const char *side, uint32_t position,
                        char *why, size_t why_size) {
    if (misc_count(info) > (size_t)INT32_MAX - MISC_GROUP)
        return cld_why(why, why_size, "%s %u has %zu elements; the delegate indexes with int32",
                       side, (unsigned)position, misc_count(info));
    return true;
}

bool misc_supports_float(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                         char *why, size_t why_size) {
    return cld_all_float32(api, ip, node, why, why_size) &&
           cld_check_tensors(api, ip, node, int_indexed, why, why_size);
}

bool misc_supports_one_input(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                             char *why, size_t why_size) {
    const uint32_t inputs = api->node_io_count(ip, node, 0);
    if (inputs != 1)
        return cld_why(why, why_size, "%u inputs: the delegate takes no run-time operands",
                       (unsigned)inputs);
    if (api->node_io_count(ip, node, 1) != 1)
        return cld_why(why, why_size, "expected 1 output");
    return misc_supports_float(api, ip, node, why, why_size);
}

bool misc_act_range(int64_t act, float *lo, float *hi) {
    switch (act) {
    case 0: /* NONE */
        *lo = -INFINITY;
        *hi = INFINITY;
        return true;
    case 1: /* RELU */
        *lo = 0.0f;
        *hi = INFINITY;
        return true;
    case 2: /* RELU6 */
        *lo = 0.0f;
        *hi = 6.0f;
        return true;
    case 3: /* RELU_N1_TO_1 */
        *lo = -1.0f;
        *hi = 1.0f;
        return true;
    default:
        return false;
    }
}

bool misc_supports_act(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                       char *why, size_t why_size) {
    const int64_t act = cld_param_int(api, ip, node, "activation");
    float lo, hi;
    if (!misc_act_range(act, &lo, &hi))
        return cld_why(why, why_size, "fused activation %lld is not a clamp range",
                       (long long)act);
    return true;
}

bool misc_param_ints(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                     const char *name, ember_param *out) {
    return cld_param_of_kind(api, ip, node, name, EMBER_PARAM_INTS, out);
}

void misc_launch(cld_plan *plan, cl_kernel kernel, size_t count) {
    if (count == 0)
        return;
    const size_t global = (count + MISC_GROUP - 1) / MISC_GROUP * MISC_GROUP;
    cld_launch(plan, kernel, 1, &global);
}

cld_ref misc_table(cld_plan *plan, const int32_t *values, size_t count) {
    if (count > (size_t)INT32_MAX) {
        cld_fail(plan, EMBER_STATUS_UNSUPPORTED, "an index table of %zu entries", count);
        const cld_ref none = {NULL, 0};
        return none;
    }
    return cld_upload_i32(plan, values, count);
}
