/* TOP_K (format 8): the k largest (TopKParams.largest) or smallest values along one axis and
   their indices, best first; k is the outputs' size along the axis. Values are FLOAT32, INT32,
   INT64 or INT8 (stored values compared and copied: the output shares the input's
   quantization); indices INT32 or INT64. Equal values keep the lower index first (as ONNX
   Runtime and LiteRT do); NaN ranks above every number (numpy's sort order), so it comes
   first when largest and last when smallest.

   Each run along the axis keeps its best k positions in a binary heap whose root is the worst
   of them (scratch of k positions), then pops the heap into the outputs from the back:
   O(n log k) per run. Node data: top_k_data. */
#include <math.h>
#include <string.h>

#include "ember_internal.h"
#include "kernels/operand.h"
#include "kernels/shape_rules.h"

/* -1, 0 or 1 as the element at a is below, equal to or above the element at b. */
typedef int (*compare_fn)(const uint8_t *a, const uint8_t *b);

typedef struct top_k_data {
    size_t outer, n, inner, k; /* the input as [outer, n, inner] elements; k kept of n */
    size_t size;               /* value element bytes */
    compare_fn compare;
    bool largest, int64_indices;
} top_k_data;

static int compare_f32(const uint8_t *a, const uint8_t *b) {
    float x, y;
    memcpy(&x, a, sizeof x);
    memcpy(&y, b, sizeof y);
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y);
    return (x > y) - (x < y);
}

static int compare_i32(const uint8_t *a, const uint8_t *b) {
    int32_t x, y;
    memcpy(&x, a, sizeof x);
    memcpy(&y, b, sizeof y);
    return (x > y) - (x < y);
}

static int compare_i64(const uint8_t *a, const uint8_t *b) {
    int64_t x, y;
    memcpy(&x, a, sizeof x);
    memcpy(&y, b, sizeof y);
    return (x > y) - (x < y);
}

static int compare_i8(const uint8_t *a, const uint8_t *b) {
    const int8_t x = (int8_t)*a, y = (int8_t)*b;
    return (x > y) - (x < y);
}

static compare_fn compare_for(uint8_t type) {
    switch (type) {
    case EMBER_TYPE_FLOAT32: return compare_f32;
    case EMBER_TYPE_INT32: return compare_i32;
    case EMBER_TYPE_INT64: return compare_i64;
    case EMBER_TYPE_INT8: return compare_i8;
    default: return NULL;
    }
}

/* One run along the axis: element j at run + j * step. */
typedef struct run_view {
    const top_k_data *d;
    const uint8_t *run;
    size_t step; /* bytes between neighbours along the axis */
} run_view;

/* Whether position i ranks before position j (ties: the lower index). */
static bool ranks_before(const run_view *v, size_t i, size_t j) {
    int c = v->d->compare(v->run + i * v->step, v->run + j * v->step);
    if (!v->d->largest)
        c = -c;
    return c > 0 || (c == 0 && i < j);
}

/* Restores the heap below slot `at`: every parent ranks after its children (the root is the
   worst kept position). */
static void sift_down(const run_view *v, size_t *heap, size_t count, size_t at) {
    for (;;) {
        size_t worst = at;
        const size_t l = 2 * at + 1, r = l + 1;
        if (l < count && ranks_before(v, heap[worst], heap[l]))
            worst = l;
        if (r < count && ranks_before(v, heap[worst], heap[r]))
            worst = r;
        if (worst == at)
            return;
        const size_t t = heap[at];
        heap[at] = heap[worst];
        heap[worst] = t;
        at = worst;
    }
}

static void sift_up(const run_view *v, size_t *heap, size_t at) {
    while (at > 0) {
        const size_t parent = (at - 1) / 2;
        if (!ranks_before(v, heap[parent], heap[at]))
            return;
        const size_t t = heap[at];
        heap[at] = heap[parent];
        heap[parent] = t;
        at = parent;
    }
}

/* Fills heap[0..k) with the run's best k positions, best first. */
static void select_run(const run_view *v, size_t *heap) {
    const top_k_data *d = v->d;
    size_t count = 0;
    for (size_t j = 0; j < d->n; j++) {
        if (count < d->k) {
            heap[count] = j;
            sift_up(v, heap, count++);
        } else if (ranks_before(v, j, heap[0])) {
            heap[0] = j;
            sift_down(v, heap, count, 0);
        }
    }
    /* Popping the worst into the last free slot leaves the slots sorted best first. */
    while (count > 1) {
        const size_t worst = heap[0];
        heap[0] = heap[--count];
        sift_down(v, heap, count, 0);
        heap[count] = worst;
    }
}

static void ember_top_k_ref(const top_k_data *d, const uint8_t *in, uint8_t *values,
                            void *indices, size_t *heap) {
    const size_t step = d->inner * d->size;
    for (size_t o = 0; o < d->outer; o++) {
        for (size_t c = 0; c < d->inner; c++) {
            const run_view v = {d, in + (o * d->n * d->inner + c) * d->size, step};
            select_run(&v, heap);
            for (size_t r = 0; r < d->k; r++) {
                const size_t at = (o * d->k + r) * d->inner + c;
                memcpy(values + at * d->size, v.run + heap[r] * step, d->size);
                if (d->int64_indices)
                    ((int64_t *)indices)[at] = (int64_t)heap[r];
                else
                    ((int32_t *)indices)[at] = (int32_t)heap[r];
            }
        }
    }
}

static ember_status check_types(ember_context *ctx, const ember_node *node,
                                const ember_tensor *in, const ember_tensor *values,
                                const ember_tensor *indices) {
    if (compare_for(in->type) == NULL)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (top_k): input '%s' must be float32, int32, int64 "
                          "or int8, got %s",
                          node->index, in->name, ember_type_str((ember_type)in->type));
    if (indices->type != EMBER_TYPE_INT32 && indices->type != EMBER_TYPE_INT64)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (top_k): indices '%s' must be int32 or int64, "
                          "got %s",
                          node->index, indices->name, ember_type_str((ember_type)indices->type));
    const ember_status st = ember_check_type(ctx, node, values, in->type, "values");
    if (st != EMBER_STATUS_OK || in->type != EMBER_TYPE_INT8)
        return st;
    if (in->quant_count != 1 || values->quant_count != 1 || in->scale != values->scale ||
        in->zero_point != values->zero_point)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (top_k): int8 values '%s' must share the per-tensor "
                          "scale and zero point of input '%s'",
                          node->index, values->name, in->name);
    return EMBER_STATUS_OK;
}

/* Both outputs are the input's shape with k (0 <= k <= n; 0 leaves them empty) along the
   axis. */
static ember_status check_shapes(ember_context *ctx, const ember_node *node, uint32_t axis,
                                 const ember_tensor *in, const ember_tensor *values,
                                 const ember_tensor *indices) {
    const int32_t k = values->rank == in->rank ? values->dims[axis] : -1;
    bool ok = values->rank == in->rank && indices->rank == in->rank && k >= 0 &&
              k <= in->dims[axis];
    for (uint32_t i = 0; ok && i < in->rank; i++)
        ok = indices->dims[i] == values->dims[i] && (i == axis || values->dims[i] == in->dims[i]);
    if (!ok)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (top_k): outputs '%s' and '%s' must be the shape of "
                          "input '%s' with k in [0, %" PRId32 "] along axis %" PRIu32,
                          node->index, values->name, indices->name, in->name, in->dims[axis],
                          axis);
    return EMBER_STATUS_OK;
}

static ember_status read_params(ember_context *ctx, const ember_node *node, uint32_t rank,
                                int32_t *axis, uint8_t *largest) {
    const ember_status st = ember_read_axis(ctx, node, EMBER_SLOT_TOP_K_PARAMS_AXIS, rank, axis);
    if (st != EMBER_STATUS_OK)
        return st;
    if (!ember_fb_u8(&node->params, EMBER_SLOT_TOP_K_PARAMS_LARGEST, 1, largest))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (top_k): params out of bounds", node->index);
    return EMBER_STATUS_OK;
}

/* Shape rule (resized inputs): both outputs are the input's shape with the file's k along the
   axis; an axis resized below k is refused by the check that runs before prepare. */
ember_status ember_shape_top_k(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in;
    int32_t axis = 0;
    uint8_t largest = 1;
    ember_status st = ember_shape_input(ctx, node, 0, &in);
    if (st == EMBER_STATUS_OK)
        st = read_params(ctx, node, in->rank, &axis, &largest);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *values = ember_output(ctx, node, 0);
    if (node->output_count != 2 || values->stored_shape.len != in->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (top_k): expected 2 outputs of the input's rank",
                          node->index);
    int32_t dims[EMBER_MAX_RANK];
    for (uint32_t d = 0; d < in->rank; d++)
        dims[d] = (int32_t)d == axis ? ember_fb_vector_i32(&values->stored_shape, d) : in->dims[d];
    st = ember_set_shape(ctx, node, ember_output(ctx, node, 0), in->rank, dims);
    return st ? st : ember_set_shape(ctx, node, ember_output(ctx, node, 1), in->rank, dims);
}

static ember_status top_k_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 1, 2, 2);
    if (st != EMBER_STATUS_OK ||
        (st = ember_check_params(ctx, node, EMBER_OP_PARAMS_TOP_K_PARAMS)) != EMBER_STATUS_OK ||
        (st = ember_check_operand(ctx, node, "top_k", ember_input(ctx, node, 1), "k", 1)))
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *values = ember_output(ctx, node, 0);
    const ember_tensor *indices = ember_output(ctx, node, 1);
    if ((st = check_types(ctx, node, in, values, indices)) != EMBER_STATUS_OK)
        return st;
    if (in->rank == 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (top_k): input '%s' must have an axis, got a scalar",
                          node->index, in->name);
    int32_t axis = 0;
    uint8_t largest = 1;
    if ((st = read_params(ctx, node, in->rank, &axis, &largest)) != EMBER_STATUS_OK)
        return st;
    return check_shapes(ctx, node, (uint32_t)axis, in, values, indices);
}

static ember_status top_k_prepare(ember_context *ctx, ember_node *node) {
    top_k_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    const ember_tensor *in = ember_input(ctx, node, 0);
    int32_t axis = 0;
    uint8_t largest = 1;
    const ember_status st = read_params(ctx, node, in->rank, &axis, &largest);
    if (st != EMBER_STATUS_OK)
        return st;
    d->size = ember_type_bytes(in->type);
    ember_axis_extents(in, (uint32_t)axis, &d->outer, &d->inner);
    d->inner /= d->size; /* elements, not bytes */
    d->n = (size_t)in->dims[axis];
    d->k = (size_t)ember_output(ctx, node, 0)->dims[axis];
    d->compare = compare_for(in->type);
    d->largest = largest != 0;
    d->int64_indices = ember_output(ctx, node, 1)->type == EMBER_TYPE_INT64;
    /* Eight bytes a position whatever the pointer width: the arena size the converter computes
       on a 64-bit host then holds on 32-bit targets too. */
    ember_request_scratch(ctx, d->k * sizeof(uint64_t));
    return EMBER_STATUS_OK;
}

/* A run-time k (input 1) must be the stored k. */
static ember_status top_k_eval(ember_context *ctx, const ember_node *node) {
    const top_k_data *d = node->data;
    ember_status st = ember_operand_expect(ctx, node, "top_k", ember_input(ctx, node, 1), 0,
                                           (int64_t)d->k, "k");
    if (st != EMBER_STATUS_OK)
        return st;
    ember_top_k_ref(node->data, ember_input(ctx, node, 0)->data,
                    ember_output(ctx, node, 0)->data, ember_output(ctx, node, 1)->data,
                    ctx->scratch);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_top_k = {EMBER_OP_TOP_K, "top_k", top_k_check, top_k_prepare,
                                         top_k_eval};
