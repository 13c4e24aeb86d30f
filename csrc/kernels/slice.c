/* SLICE: per axis, `count` (the output dim) elements from `begin` every `step` (negative
   steps walk backwards), any element size. An ONNX Slice whose starts, ends, axes or steps
   are run-time tensors keeps them as optional inputs 1..4 (ONNX's order; the params then
   hold begin 0, step 1): eval reads them with ONNX's clamping and checks that they give the
   stored output shape (kernels/operand.h). */
#include "ember_internal.h"
#include "kernels/operand.h"
#include "kernels/quant.h"
#include "kernels/shape_rules.h"
#include "kernels/strided_copy.h"

struct slice_data {
    struct strided_walk walk; /* axis strides: step x input stride */
};

static ember_status slice_vectors(ember_context *ctx, const ember_node *node,
                                  ember_fb_vector *begin, ember_fb_vector *step,
                                  ember_fb_vector *size) {
    if (!ember_fb_vector_field(&node->params, EMBER_SLOT_SLICE_PARAMS_BEGIN, 4, begin) ||
        !ember_fb_vector_field(&node->params, EMBER_SLOT_SLICE_PARAMS_STEP, 4, step) ||
        !ember_fb_vector_field(&node->params, EMBER_SLOT_SLICE_PARAMS_SIZE, 4, size))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (slice): params out of bounds", node->index);
    return EMBER_STATUS_OK;
}

/* Elements along one axis that SLICE's size entry v takes from begin b every s of a dim of
   `dim` elements; -1 when v names no symbol (ember_shape_rule). */
static int64_t slice_count(const ember_context *ctx, int32_t v, int64_t b, int64_t s,
                           int64_t dim) {
    if (v > 0)
        return v;
    if (v <= -2)
        return ember_symbol_dim(ctx, v);
    const int64_t room = s > 0 ? dim - b : b + 1;
    const int64_t stride = s > 0 ? s : -s;
    return room > 0 ? (room + stride - 1) / stride : 0;
}

ember_status ember_shape_slice(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in;
    ember_fb_vector begin, step, size;
    ember_status st = ember_shape_input(ctx, node, 0, &in);
    if (st == EMBER_STATUS_OK)
        st = slice_vectors(ctx, node, &begin, &step, &size);
    if (st != EMBER_STATUS_OK || size.len == 0) /* no size: the stored shape stays */
        return st;
    if (begin.len != in->rank || step.len != in->rank || size.len != in->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (slice): begin, step and size need %u entries",
                          node->index, in->rank);
    int32_t dims[EMBER_MAX_RANK];
    for (uint32_t a = 0; a < in->rank; a++) {
        const int64_t n = slice_count(ctx, ember_fb_vector_i32(&size, a),
                                      ember_fb_vector_i32(&begin, a),
                                      ember_fb_vector_i32(&step, a), in->dims[a]);
        dims[a] = n < 0 || n > INT32_MAX ? -1 : (int32_t)n;
    }
    return ember_set_shape(ctx, node, ember_output(ctx, node, 0), in->rank, dims);
}

static ember_status slice_check(ember_context *ctx, const ember_node *node) {
    ember_status st = strided_check_io_n(ctx, node, "slice", EMBER_OP_PARAMS_SLICE_PARAMS, 5);
    static const char *const names[] = {"", "starts", "ends", "axes", "steps"};
    for (uint32_t i = 1; st == EMBER_STATUS_OK && i < 5; i++)
        st = ember_check_operand(ctx, node, "slice", ember_input(ctx, node, i), names[i],
                                 EMBER_MAX_RANK);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    ember_fb_vector begin, step, size;
    if ((st = ember_check_same_quant(ctx, node, in, out)) ||
        (st = slice_vectors(ctx, node, &begin, &step, &size)))
        return st;
    if (begin.len != in->rank || step.len != in->rank ||
        (size.len != 0 && size.len != in->rank))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (slice): begin and step (and size, if any) need %u "
                          "entries, got %" PRIu32 ", %" PRIu32 " and %" PRIu32,
                          node->index, in->rank, begin.len, step.len, size.len);
    for (uint32_t a = 0; a < in->rank; a++) {
        int64_t b = ember_fb_vector_i32(&begin, a);
        int64_t s = ember_fb_vector_i32(&step, a);
        int64_t n = out->dims[a];
        int64_t dim = in->dims[a];
        if (s == 0)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (slice): step %" PRIu32 " must not be 0",
                              node->index, a);
        if (b < 0)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (slice): begin %" PRIu32 " must be >= 0, got %lld",
                              node->index, a, (long long)b);
        if (size.len != 0 && slice_count(ctx, ember_fb_vector_i32(&size, a), b, s, dim) != n)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (slice): size entry %" PRIu32 " (%" PRId32 ") "
                              "does not give output dim %lld",
                              node->index, a, ember_fb_vector_i32(&size, a), (long long)n);
        int64_t last = b + (n - 1) * s;
        if (n > 0 && (b >= dim || last < 0 || last >= dim))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (slice): axis %" PRIu32 " reads [%lld..%lld] step "
                              "%lld outside [0,%lld)",
                              node->index, a, (long long)b, (long long)last, (long long)s,
                              (long long)dim);
    }
    return EMBER_STATUS_OK;
}

static void ember_slice_ref(const struct slice_data *d, const void *in, void *out) {
    strided_walk_copy(&d->walk, in, out);
}

static ember_status slice_prepare(ember_context *ctx, ember_node *node) {
    struct slice_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    node->data = d;
    ember_fb_vector begin, step, size;
    ember_status st = slice_vectors(ctx, node, &begin, &step, &size);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    ptrdiff_t in_stride[EMBER_MAX_RANK];
    strided_dense_strides(in, in_stride);
    struct strided_walk *w = &d->walk;
    strided_walk_init(w, out->count, ember_type_bytes(in->type));
    for (uint32_t a = 0; a < in->rank; a++) {
        w->base += (ptrdiff_t)ember_fb_vector_i32(&begin, a) * in_stride[a];
        strided_walk_axis(w, (size_t)out->dims[a],
                          (ptrdiff_t)ember_fb_vector_i32(&step, a) * in_stride[a]);
    }
    strided_walk_finish(w);
    return EMBER_STATUS_OK;
}

/* One ONNX (start, end, step) on a dim of `dim`: the first element in *begin and the count,
   clamped as ONNX clamps; -1 for a step of 0. */
static int64_t slice_onnx_count(int64_t start, int64_t end, int64_t step, int64_t dim,
                                int64_t *begin) {
    if (step == 0)
        return -1;
    /* A negative index counts from the end; one before the start clamps below either way. */
    start = start < 0 ? (start < -dim ? -1 : start + dim) : start;
    end = end < 0 ? (end < -dim ? -1 : end + dim) : end;
    const int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? dim : dim - 1;
    start = start < 0 ? 0 : start > hi ? hi : start;
    end = end < lo ? lo : end > hi ? hi : end;
    *begin = start;
    const int64_t room = step > 0 ? end - start : start - end;
    const int64_t stride = step > 0 ? step : (step == INT64_MIN ? INT64_MAX : -step);
    return room > 0 ? (room - 1) / stride + 1 : 0;
}

/* Per axis begin and step from the run-time operands, each count checked against the stored
   output dim; false (with *bad the first offending entry) when they give another shape. */
static bool slice_runtime_axes(ember_context *ctx, const ember_node *node,
                               const ember_tensor *in, const ember_tensor *out, int64_t *begin,
                               int64_t *step, size_t *bad) {
    const ember_tensor *starts = ember_input(ctx, node, 1), *ends = ember_input(ctx, node, 2);
    const ember_tensor *axes = ember_input(ctx, node, 3), *steps = ember_input(ctx, node, 4);
    const size_t n = starts != NULL ? starts->count : 0;
    bool seen[EMBER_MAX_RANK] = {false};
    int64_t count[EMBER_MAX_RANK];
    for (uint32_t a = 0; a < in->rank; a++) {
        begin[a] = 0;
        step[a] = 1;
        count[a] = in->dims[a];
    }
    *bad = 0;
    if (starts == NULL || ends == NULL || ends->count != n || n > in->rank ||
        (axes != NULL && axes->count != n) || (steps != NULL && steps->count != n))
        return false;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = (uint32_t)i;
        *bad = i;
        if ((axes != NULL && !ember_operand_axis(ember_operand_at(axes, i), in->rank, &a)) ||
            seen[a])
            return false;
        seen[a] = true;
        step[a] = steps != NULL ? ember_operand_at(steps, i) : 1;
        count[a] = slice_onnx_count(ember_operand_at(starts, i), ember_operand_at(ends, i),
                                    step[a], in->dims[a], &begin[a]);
    }
    for (uint32_t a = 0; a < in->rank; a++)
        if (count[a] != out->dims[a])
            return false;
    return true;
}

static ember_status slice_eval_runtime(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    int64_t begin[EMBER_MAX_RANK], step[EMBER_MAX_RANK];
    size_t bad;
    if (!slice_runtime_axes(ctx, node, in, out, begin, step, &bad))
        return ember_fail(ctx, EMBER_STATUS_EVAL_ERROR,
                          "node %" PRIu32 " (slice): the run-time starts, ends, axes and steps "
                          "(entry %zu) do not give the stored output shape, or an axis is out "
                          "of range or repeated",
                          node->index, bad);
    ptrdiff_t in_stride[EMBER_MAX_RANK];
    strided_dense_strides(in, in_stride);
    struct strided_walk w;
    strided_walk_init(&w, out->count, ember_type_bytes(in->type));
    for (uint32_t a = 0; a < in->rank; a++) {
        w.base += (ptrdiff_t)begin[a] * in_stride[a];
        /* A step that takes one element may be huge: it moves nothing. */
        const ptrdiff_t stride = out->dims[a] > 1 ? (ptrdiff_t)step[a] * in_stride[a] : 0;
        strided_walk_axis(&w, (size_t)out->dims[a], stride);
    }
    strided_walk_finish(&w);
    strided_walk_copy(&w, in->data, out->data);
    return EMBER_STATUS_OK;
}

static ember_status slice_eval(ember_context *ctx, const ember_node *node) {
    if (node->input_count > 1)
        return slice_eval_runtime(ctx, node);
    ember_slice_ref(node->data, ember_input(ctx, node, 0)->data,
                    ember_output(ctx, node, 0)->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_slice = {
    EMBER_OP_SLICE, "slice", slice_check, slice_prepare, slice_eval,
};
