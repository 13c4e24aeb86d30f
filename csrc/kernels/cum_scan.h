/* What CUM_SUM and CUM_PROD share: CumSumParams (axis, exclusive, reverse), the input seen as
   [outer, n, inner] elements around the axis, the optional run-time axis (input 1: an ONNX
   CumSum or CumProd whose axis is a tensor; the params' axis is then unused) read at eval,
   and their checks. Each op keeps its own loops (cum_sum.c, cum_prod.c). */
#ifndef EMBER_KERNELS_CUM_SCAN_H
#define EMBER_KERNELS_CUM_SCAN_H

#include "ember_internal.h"

typedef struct cum_scan {
    size_t outer, n, inner; /* the input as [outer, n, inner] elements around the axis */
    uint8_t type;
    bool exclusive, reverse;
} cum_scan;

/* Position j of a run of n along the axis, walked from the end when reversed. */
static inline size_t cum_scan_at(const cum_scan *d, size_t j) {
    return (d->reverse ? d->n - 1 - j : j) * d->inner;
}

/* The node's check for op `op`, whose input types are the bits (1u << type) of `types`,
   named `types_text` in the message. */
ember_status ember_cum_scan_check(ember_context *ctx, const ember_node *node, const char *op,
                                  uint32_t types, const char *types_text);

/* Node data: a cum_scan for the params' axis. */
ember_status ember_cum_scan_prepare(ember_context *ctx, ember_node *node, const char *op);

/* At eval: the node data in *run, the extents those of the run-time axis when input 1 is
   given (EVAL_ERROR naming the node when it is out of range). */
ember_status ember_cum_scan_at_eval(ember_context *ctx, const ember_node *node, const char *op,
                                    cum_scan *run);

#endif /* EMBER_KERNELS_CUM_SCAN_H */
