/* CUM_SUM (format 8): running sums along one axis of FLOAT32, INT32 or INT64 (CumSumParams:
   axis, exclusive, reverse). float32 sums in float32 in order along the axis, as ONNX Runtime
   and LiteRT do; integer sums wrap on overflow (two's complement, computed unsigned). The
   output may be the input's own bytes: each element is read before it is written. The params,
   checks and a run-time axis are CUM_PROD's too (cum_scan.h). Node data: cum_scan. */
#include "kernels/cum_scan.h"

/* One loop per type: T the element type, A the type sums are computed in. */
#define CUM_SUM_REF(name, T, A)                                                           \
    static void name(const cum_scan *d, const T *in, T *out) {                             \
        for (size_t o = 0; o < d->outer; o++) {                                            \
            for (size_t k = 0; k < d->inner; k++) {                                        \
                const size_t base = o * d->n * d->inner + k;                               \
                A acc = 0;                                                                 \
                for (size_t j = 0; j < d->n; j++) {                                        \
                    const size_t i = base + cum_scan_at(d, j);                             \
                    const A x = (A)in[i];                                                  \
                    out[i] = (T)(d->exclusive ? acc : acc + x);                            \
                    acc += x;                                                              \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
    }

CUM_SUM_REF(ember_cum_sum_f32_ref, float, float)
CUM_SUM_REF(ember_cum_sum_i32_ref, int32_t, uint32_t)
CUM_SUM_REF(ember_cum_sum_i64_ref, int64_t, uint64_t)

static ember_status cum_sum_check(ember_context *ctx, const ember_node *node) {
    const uint32_t types =
        (1u << EMBER_TYPE_FLOAT32) | (1u << EMBER_TYPE_INT32) | (1u << EMBER_TYPE_INT64);
    return ember_cum_scan_check(ctx, node, "cum_sum", types, "float32, int32 or int64");
}

static ember_status cum_sum_prepare(ember_context *ctx, ember_node *node) {
    return ember_cum_scan_prepare(ctx, node, "cum_sum");
}

static ember_status cum_sum_eval(ember_context *ctx, const ember_node *node) {
    cum_scan d;
    const ember_status st = ember_cum_scan_at_eval(ctx, node, "cum_sum", &d);
    if (st != EMBER_STATUS_OK)
        return st;
    const void *in = ember_input(ctx, node, 0)->data;
    void *out = ember_output(ctx, node, 0)->data;
    if (d.type == EMBER_TYPE_INT32)
        ember_cum_sum_i32_ref(&d, in, out);
    else if (d.type == EMBER_TYPE_INT64)
        ember_cum_sum_i64_ref(&d, in, out);
    else
        ember_cum_sum_f32_ref(&d, in, out);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_cum_sum = {EMBER_OP_CUM_SUM, "cum_sum", cum_sum_check,
                                           cum_sum_prepare, cum_sum_eval};
