/* What GATHER_ELEMENTS, GATHER_ND, SCATTER_ND and SCATTER_ELEMENTS share: the element types they
   move, reading one INT32 or INT64 index and its range check, and the scatter reductions. */
#ifndef EMBER_KERNELS_GATHER_SCATTER_H
#define EMBER_KERNELS_GATHER_SCATTER_H

#include "ember_internal.h"

static inline int64_t ember_index_at(const void *indices, bool wide, size_t k) {
    return wide ? ((const int64_t *)indices)[k] : ((const int32_t *)indices)[k];
}

/* An index in [-dim, dim) (negative counts from the end, as ONNX's) as a position in *pos;
   false when out of range, which eval reports with a bare EMBER_STATUS_EVAL_ERROR. */
static inline bool ember_index_resolve(int64_t i, int64_t dim, size_t *pos) {
    if (i < -dim || i >= dim)
        return false;
    *pos = (size_t)(i < 0 ? i + dim : i);
    return true;
}

/* `indices` is INT32 or INT64; `what` names it in the message. */
ember_status ember_check_indices_type(ember_context *ctx, const ember_node *node, const char *op,
                                      const ember_tensor *indices);
/* `data` is FLOAT32, INT32, INT64, BOOL or int8, and `other` (the output, the updates) has its
   type and, for int8, its quantization: these ops move elements without requantizing. */
ember_status ember_check_moved(ember_context *ctx, const ember_node *node, const char *op,
                               const ember_tensor *data, const ember_tensor *other);
/* Constant indices fail at allocate, naming the first one out of range, rather than every
   invoke with a bare evaluation error: index k must lie in [-bounds[k % period],
   bounds[k % period]). Run-time indices pass. */
ember_status ember_check_constant_indices(ember_context *ctx, const ember_node *node,
                                          const char *op, const ember_tensor *indices,
                                          const int64_t *bounds, uint32_t period);
/* Reads ScatterParams.reduction and checks that `type` takes it: every reduction for FLOAT32,
   INT32 and INT64; NONE, MAX and MIN for int8 (on stored values, one quantization); NONE for
   BOOL. */
ember_status ember_read_reduction(ember_context *ctx, const ember_node *node, const char *op,
                                  uint8_t type, uint8_t *reduction);
/* dst[j] = reduce(dst[j], src[j]) for j < n elements of `type` (NONE: dst[j] = src[j]). */
void ember_scatter_reduce(uint8_t type, uint8_t reduction, void *dst, const void *src,
                          size_t n);

/* The walk GATHER_ELEMENTS and SCATTER_ELEMENTS share: indices of the data's rank, no longer
   than the data along the other axes, whose element k addresses the data at k's own
   coordinates with the one along `axis` replaced by indices[k]. */
typedef struct ember_elements_plan {
    uint32_t rank, axis;
    int32_t dims[EMBER_MAX_RANK];   /* of the indices */
    size_t strides[EMBER_MAX_RANK]; /* of the data, in elements */
    int64_t axis_dim;               /* the data's */
    size_t count;                   /* elements of the indices */
    bool wide;                      /* INT64 indices */
} ember_elements_plan;

/* Where the walk stands: element k's coordinates and its data offset without the axis term. */
typedef struct ember_elements_walk {
    int32_t coord[EMBER_MAX_RANK];
    size_t base;
} ember_elements_walk;

/* The indices have the data's rank and fit inside it off `axis` (int32 axis already in range). */
ember_status ember_elements_check(ember_context *ctx, const ember_node *node, const char *op,
                                  const ember_tensor *data, const ember_tensor *indices,
                                  uint32_t axis);
void ember_elements_plan_init(ember_elements_plan *p, const ember_tensor *data,
                              const ember_tensor *indices, uint32_t axis);

/* Moves the walk to the next element of the indices (row-major). */
static inline void ember_elements_next(const ember_elements_plan *p, ember_elements_walk *w) {
    for (uint32_t d = p->rank; d-- > 0;) {
        const size_t stride = d == p->axis ? 0 : p->strides[d];
        w->base += stride;
        if (++w->coord[d] < p->dims[d])
            return;
        w->base -= (size_t)w->coord[d] * stride;
        w->coord[d] = 0;
    }
}

#endif /* EMBER_KERNELS_GATHER_SCATTER_H */
