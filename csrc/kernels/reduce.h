/* The reduction walk shared by MEAN, SUM, REDUCE_MAX, REDUCE_MIN and REDUCE_PROD: axes checks,
   the input seen as runs of adjacent reduced or kept axes, and the accumulation of every input
   cell into its output cell. The axes are ReduceParams' or (format 9) an optional input 1 read
   at every eval, whose plan eval then makes on its stack. */
#ifndef EMBER_KERNELS_REDUCE_H
#define EMBER_KERNELS_REDUCE_H

#include "ember_internal.h"

/* The input viewed as runs of adjacent axes that are all reduced or all kept (size-1 axes
   dropped), walked in memory order. */
typedef struct ember_reduce_plan {
    uint32_t groups;                   /* 0: the axes are read at eval (input 1) */
    size_t extent[EMBER_MAX_RANK];
    size_t out_stride[EMBER_MAX_RANK]; /* 0 for reduced groups */
    bool inner_reduced;                /* the last group is reduced */
    size_t in_count, out_count;
    size_t reduce_count;               /* input cells per output cell */
} ember_reduce_plan;

/* Arity 1 -> 1, ReduceParams with 1..rank ascending axes, input and output of `type`, and an
   output shape that keeps the reduced dims as 1 or drops them. Or arity 2 -> 1 with no
   ReduceParams axes: input 1 holds 1..rank INT32 or INT64 axes read at eval, for float32 (or
   the folds' bool) only, and the output has the input's rank or that less the axes count. */
ember_status ember_reduce_check(ember_context *ctx, const ember_node *node, const char *op,
                                uint8_t type);
/* Whether the node reads its axes at eval (input 1). */
bool ember_reduce_runtime_axes(ember_context *ctx, const ember_node *node);
/* Fills `plan` from the node's (checked) axes; for run-time axes only the counts, with
   groups 0. */
ember_status ember_reduce_plan_init(ember_context *ctx, const ember_node *node, const char *op,
                                    ember_reduce_plan *plan);
/* The plan eval walks: `stored`, or with run-time axes one made in `runtime` from input 1,
   which fails (EMBER_STATUS_EVAL_ERROR, naming the node) on an axis out of range, a repeated
   axis or axes that do not give the stored output shape. */
ember_status ember_reduce_eval_plan(ember_context *ctx, const ember_node *node, const char *op,
                                    const ember_reduce_plan *stored, ember_reduce_plan *runtime,
                                    const ember_reduce_plan **plan);
/* acc[o] = sum of the input cells of output cell o, in double. */
void ember_reduce_sum_f32(const ember_reduce_plan *plan, const float *in, double *acc);
/* acc[o] = sum of the raw int8 values of output cell o, in int32 (wrapping as LiteRT's). */
void ember_reduce_sum_i8(const ember_reduce_plan *plan, const int8_t *in, int32_t *acc);

/* A fold of one input cell into its output cell's running value. */
typedef float (*ember_fold_f32)(float acc, float x);
typedef int8_t (*ember_fold_i8)(int8_t acc, int8_t x);
/* out[o] = fold over the input cells of output cell o, starting from `init` (REDUCE_MAX,
   REDUCE_MIN, REDUCE_PROD). */
void ember_reduce_fold_f32(const ember_reduce_plan *plan, const float *in, float *out,
                           float init, ember_fold_f32 fold);
void ember_reduce_fold_i8(const ember_reduce_plan *plan, const int8_t *in, int8_t *out,
                          int8_t init, ember_fold_i8 fold);

#endif /* EMBER_KERNELS_REDUCE_H */
