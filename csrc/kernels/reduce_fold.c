/* REDUCE_MAX, REDUCE_MIN and REDUCE_PROD over a set of axes (format 7; ReduceParams, the axes
   walk shared with MEAN and SUM in reduce.h): each output cell folds its input cells, float32
   in float32 (a NaN propagates through MAX and MIN as numpy's; over no cells MAX gives -inf,
   MIN +inf, PROD 1). REDUCE_MAX and REDUCE_MIN also take int8 with the input and output
   quantized alike, comparing stored values as LiteRT's int8 reducers do, and (format 9) bool:
   MAX is any, MIN all (false and true over no cells), as ONNX's. Node data: the
   ember_reduce_plan (counts only when the axes come at eval, input 1). */
#include <math.h>

#include "ember_internal.h"
#include "kernels/quant.h"
#include "kernels/reduce.h"

static float max_f32(float acc, float x) {
    return x > acc || isnan(x) ? x : acc;
}

static float min_f32(float acc, float x) {
    return x < acc || isnan(x) ? x : acc;
}

static float prod_f32(float acc, float x) {
    return acc * x;
}

static int8_t max_i8(int8_t acc, int8_t x) {
    return x > acc ? x : acc;
}

static int8_t min_i8(int8_t acc, int8_t x) {
    return x < acc ? x : acc;
}

static const char *fold_name(uint16_t op) {
    return op == EMBER_OP_REDUCE_MAX ? "reduce_max"
           : op == EMBER_OP_REDUCE_MIN ? "reduce_min"
                                       : "reduce_prod";
}

static ember_status fold_check(ember_context *ctx, const ember_node *node) {
    const char *op = fold_name(node->op);
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (in != NULL && in->type == EMBER_TYPE_BOOL && node->op != EMBER_OP_REDUCE_PROD)
        return ember_reduce_check(ctx, node, op, EMBER_TYPE_BOOL);
    if (in == NULL || in->type != EMBER_TYPE_INT8 || node->op == EMBER_OP_REDUCE_PROD)
        return ember_reduce_check(ctx, node, op, EMBER_TYPE_FLOAT32);
    ember_status st = ember_reduce_check(ctx, node, op, EMBER_TYPE_INT8);
    if (st == EMBER_STATUS_OK)
        st = ember_check_quant_i8(ctx, node, in, "input");
    return st != EMBER_STATUS_OK ? st
                                 : ember_check_same_quant(ctx, node, in, ember_output(ctx, node, 0));
}

static ember_status fold_prepare(ember_context *ctx, ember_node *node) {
    ember_reduce_plan *plan = ember_alloc(ctx, sizeof(*plan));
    if (plan == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = plan;
    return ember_reduce_plan_init(ctx, node, fold_name(node->op), plan);
}

static ember_status fold_eval(ember_context *ctx, const ember_node *node) {
    ember_reduce_plan runtime;
    const ember_reduce_plan *plan;
    const ember_status st = ember_reduce_eval_plan(ctx, node, fold_name(node->op), node->data,
                                                   &runtime, &plan);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    void *out = ember_output(ctx, node, 0)->data;
    const bool is_max = node->op == EMBER_OP_REDUCE_MAX;
    if (in->type == EMBER_TYPE_BOOL) /* bytes 0 and 1: MAX is any, MIN all; false, true of none */
        ember_reduce_fold_i8(plan, in->data, out, is_max ? 0 : 1, is_max ? max_i8 : min_i8);
    else if (in->type == EMBER_TYPE_INT8)
        ember_reduce_fold_i8(plan, in->data, out, is_max ? INT8_MIN : INT8_MAX,
                             is_max ? max_i8 : min_i8);
    else if (node->op == EMBER_OP_REDUCE_PROD)
        ember_reduce_fold_f32(plan, in->data, out, 1.0f, prod_f32);
    else
        ember_reduce_fold_f32(plan, in->data, out, is_max ? -INFINITY : INFINITY,
                              is_max ? max_f32 : min_f32);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_reduce_max = {EMBER_OP_REDUCE_MAX, "reduce_max", fold_check,
                                              fold_prepare, fold_eval};
const ember_kernel ember_kernel_reduce_min = {EMBER_OP_REDUCE_MIN, "reduce_min", fold_check,
                                              fold_prepare, fold_eval};
const ember_kernel ember_kernel_reduce_prod = {EMBER_OP_REDUCE_PROD, "reduce_prod", fold_check,
                                               fold_prepare, fold_eval};
