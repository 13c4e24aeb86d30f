/* Reduction walk shared by MEAN, SUM and the folds (see reduce.h). */
#include <string.h>

#include "kernels/reduce.h"
#include "kernels/shape_rules.h"

static ember_status read_axes(ember_context *ctx, const ember_node *node, const char *op,
                              ember_fb_vector *axes) {
    if (!ember_fb_vector_field(&node->params, EMBER_SLOT_REDUCE_PARAMS_AXES, 4, axes))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): axes out of bounds", node->index, op);
    return EMBER_STATUS_OK;
}

bool ember_reduce_runtime_axes(ember_context *ctx, const ember_node *node) {
    return ember_input(ctx, node, 1) != NULL;
}

/* The output keeps the `reduced` dims as 1 or drops them; a mismatch fails with `status`
   (INVALID_MODEL at check, EVAL_ERROR when run-time axes disagree with the stored shape). */
static ember_status check_output_shape(ember_context *ctx, const ember_node *node,
                                       const char *op, const bool *reduced, uint32_t naxes,
                                       ember_status status) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    const char *why = status == EMBER_STATUS_EVAL_ERROR ? " with the run-time axes" : "";
    const bool keep = out->rank == in->rank;
    if (!keep && out->rank != in->rank - naxes)
        return ember_fail(ctx, status,
                          "node %" PRIu32 " (%s): output rank must be %u or %" PRIu32 "%s, "
                          "got %u",
                          node->index, op, in->rank, in->rank - naxes, why, out->rank);
    uint32_t j = 0;
    for (uint32_t i = 0; i < in->rank; i++) {
        if (reduced[i] && !keep)
            continue;
        const int32_t want = reduced[i] ? 1 : in->dims[i];
        if (out->dims[j] != want)
            return ember_fail(ctx, status,
                              "node %" PRIu32 " (%s): output dim %" PRIu32 " must be "
                              "%" PRId32 "%s, got %" PRId32,
                              node->index, op, j, want, why, out->dims[j]);
        j++;
    }
    return EMBER_STATUS_OK;
}

/* Input 1 holds 1..rank INT32 or INT64 axes, the stored ones are absent, the data is
   float32 or (the folds) bool, not int8 (MEAN's and SUM's int8 forms fix their requantization
   at prepare), and the output rank fits the axes count; eval checks the values. */
static ember_status check_runtime_axes(ember_context *ctx, const ember_node *node,
                                       const char *op, uint32_t stored_axes) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *axes = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (stored_axes != 0 || (in->type != EMBER_TYPE_FLOAT32 && in->type != EMBER_TYPE_BOOL))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): run-time axes (input 1) need float32 or bool "
                          "data and no ReduceParams axes, got type %u and %" PRIu32 " axes",
                          node->index, op, in->type, stored_axes);
    if ((axes->type != EMBER_TYPE_INT32 && axes->type != EMBER_TYPE_INT64) || axes->rank != 1 ||
        axes->count < 1 || axes->count > in->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): input 1 (axes) must be INT32 or INT64 of "
                          "shape [1..%u], got type %u rank %u with %zu elements",
                          node->index, op, in->rank, axes->type, axes->rank, axes->count);
    if (out->rank != in->rank && out->rank != in->rank - axes->count)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): output rank must be %u or %zu, got %u",
                          node->index, op, in->rank, in->rank - axes->count, out->rank);
    return EMBER_STATUS_OK;
}

ember_status ember_reduce_check(ember_context *ctx, const ember_node *node, const char *op,
                                uint8_t type) {
    ember_status st = ember_check_arity(ctx, node, 1, 2, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_REDUCE_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if ((st = ember_check_type(ctx, node, in, type, "input")) ||
        (st = ember_check_type(ctx, node, out, type, "output")))
        return st;
    ember_fb_vector axes;
    if ((st = read_axes(ctx, node, op, &axes)))
        return st;
    if (ember_reduce_runtime_axes(ctx, node))
        return check_runtime_axes(ctx, node, op, axes.len);
    if (axes.len < 1 || axes.len > in->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): expected 1..%u axes, got %" PRIu32, node->index,
                          op, in->rank, axes.len);
    bool reduced[EMBER_MAX_RANK] = {false};
    int32_t prev = -1;
    for (uint32_t i = 0; i < axes.len; i++) {
        const int32_t a = ember_fb_vector_i32(&axes, i);
        if (a <= prev || a >= (int32_t)in->rank)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): axes must be ascending in [0,%u), got "
                              "%" PRId32 " at %" PRIu32,
                              node->index, op, in->rank, a, i);
        reduced[a] = true;
        prev = a;
    }
    return check_output_shape(ctx, node, op, reduced, axes.len, EMBER_STATUS_INVALID_MODEL);
}

/* Whether every input has the shape the file stores. */
static bool inputs_stored(ember_context *ctx, const ember_node *node) {
    for (uint32_t k = 0; k < node->input_count; k++) {
        const ember_tensor *t = ember_input(ctx, node, k);
        for (uint32_t d = 0; t != NULL && d < t->rank; d++) {
            if (t->dims[d] != ember_fb_vector_i32(&t->stored_shape, d))
                return false;
        }
    }
    return true;
}

/* Run-time axes: the output shape is known only at the stored input shapes (the converter
   refuses such a node in a model with dynamic dims), and there it is the stored one. */
static ember_status shape_runtime_axes(ember_context *ctx, const ember_node *node) {
    ember_tensor *out = ember_output(ctx, node, 0);
    if (!inputs_stored(ctx, node))
        return ember_fail(ctx, EMBER_STATUS_UNSUPPORTED,
                          "node %" PRIu32 " (%s): its axes are read at run time, so its output "
                          "cannot follow resized inputs; convert the model with fixed shapes",
                          node->index, node->kernel->name);
    int32_t dims[EMBER_MAX_RANK];
    for (uint32_t d = 0; d < out->rank; d++)
        dims[d] = ember_fb_vector_i32(&out->stored_shape, d);
    return ember_set_shape(ctx, node, out, out->rank, dims);
}

ember_status ember_shape_reduce(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (in != NULL && node->output_count == 1 && ember_reduce_runtime_axes(ctx, node))
        return shape_runtime_axes(ctx, node);
    ember_fb_vector axes;
    ember_status st = read_axes(ctx, node, "reduce", &axes);
    if (st != EMBER_STATUS_OK)
        return st;
    bool reduced[EMBER_MAX_RANK] = {false};
    for (uint32_t i = 0; i < axes.len; i++) {
        const int32_t a = ember_fb_vector_i32(&axes, i);
        if (in == NULL || a < 0 || a >= (int32_t)in->rank)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (reduce): axis %" PRId32 " is out of range",
                              node->index, a);
        reduced[a] = true;
    }
    return ember_shape_reduced(ctx, node, reduced);
}

/* The plan of reducing `in` to `out` over the `reduced` dims. */
static void plan_fill(const ember_tensor *in, const ember_tensor *out, const bool *reduced,
                      ember_reduce_plan *d) {
    size_t extent[EMBER_MAX_RANK];
    bool group_reduced[EMBER_MAX_RANK];
    uint32_t groups = 0;
    d->reduce_count = 1;
    for (uint32_t i = 0; i < in->rank; i++) {
        const size_t n = (size_t)in->dims[i];
        if (reduced[i])
            d->reduce_count *= n;
        if (n == 1)
            continue;
        if (groups > 0 && group_reduced[groups - 1] == reduced[i]) {
            extent[groups - 1] *= n;
        } else {
            extent[groups] = n;
            group_reduced[groups] = reduced[i];
            groups++;
        }
    }
    if (groups == 0) {
        extent[0] = 1;
        group_reduced[0] = false;
        groups = 1;
    }
    size_t stride = 1;
    for (uint32_t g = groups; g-- > 0;) {
        d->extent[g] = extent[g];
        d->out_stride[g] = group_reduced[g] ? 0 : stride;
        if (!group_reduced[g])
            stride *= extent[g];
    }
    d->groups = groups;
    d->inner_reduced = group_reduced[groups - 1];
    d->in_count = in->count;
    d->out_count = out->count;
}

ember_status ember_reduce_plan_init(ember_context *ctx, const ember_node *node, const char *op,
                                    ember_reduce_plan *d) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (ember_reduce_runtime_axes(ctx, node)) {
        memset(d, 0, sizeof(*d));
        d->in_count = in->count;
        d->out_count = out->count;
        return EMBER_STATUS_OK;
    }
    ember_fb_vector axes;
    const ember_status st = read_axes(ctx, node, op, &axes);
    if (st != EMBER_STATUS_OK)
        return st;
    bool reduced[EMBER_MAX_RANK] = {false};
    for (uint32_t i = 0; i < axes.len; i++)
        reduced[ember_fb_vector_i32(&axes, i)] = true;
    plan_fill(in, out, reduced, d);
    return EMBER_STATUS_OK;
}

/* Input 1's axes as flags over the input's dims: negative axes count from the end, as ONNX's;
   an axis out of range or given twice fails. */
static ember_status runtime_reduced(ember_context *ctx, const ember_node *node, const char *op,
                                    bool *reduced) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *axes = ember_input(ctx, node, 1);
    const int64_t rank = in->rank;
    if (axes->count < 1 || axes->count > in->rank)
        return ember_fail(ctx, EMBER_STATUS_EVAL_ERROR,
                          "node %" PRIu32 " (%s): expected 1..%u run-time axes, got %zu",
                          node->index, op, in->rank, axes->count);
    for (uint32_t i = 0; i < EMBER_MAX_RANK; i++)
        reduced[i] = false;
    for (size_t k = 0; k < axes->count; k++) {
        const int64_t given = axes->type == EMBER_TYPE_INT64 ? ((const int64_t *)axes->data)[k]
                                                             : ((const int32_t *)axes->data)[k];
        if (given < -rank || given >= rank)
            return ember_fail(ctx, EMBER_STATUS_EVAL_ERROR,
                              "node %" PRIu32 " (%s): run-time axis %lld (entry %zu) is out of "
                              "range [-%u, %u)",
                              node->index, op, (long long)given, k, in->rank, in->rank);
        const int64_t a = given < 0 ? given + rank : given;
        if (reduced[a])
            return ember_fail(ctx, EMBER_STATUS_EVAL_ERROR,
                              "node %" PRIu32 " (%s): run-time axis %lld (entry %zu) repeats "
                              "dim %lld",
                              node->index, op, (long long)given, k, (long long)a);
        reduced[a] = true;
    }
    return EMBER_STATUS_OK;
}

ember_status ember_reduce_eval_plan(ember_context *ctx, const ember_node *node, const char *op,
                                    const ember_reduce_plan *stored, ember_reduce_plan *runtime,
                                    const ember_reduce_plan **plan) {
    *plan = stored;
    if (stored->groups > 0)
        return EMBER_STATUS_OK;
    bool reduced[EMBER_MAX_RANK];
    ember_status st = runtime_reduced(ctx, node, op, reduced);
    if (st == EMBER_STATUS_OK)
        st = check_output_shape(ctx, node, op, reduced,
                                (uint32_t)ember_input(ctx, node, 1)->count,
                                EMBER_STATUS_EVAL_ERROR);
    if (st != EMBER_STATUS_OK)
        return st;
    plan_fill(ember_input(ctx, node, 0), ember_output(ctx, node, 0), reduced, runtime);
    *plan = runtime;
    return EMBER_STATUS_OK;
}

/* Advances the outer-group odometer by one inner run; returns the new output offset. */
static size_t next_run(const ember_reduce_plan *d, size_t *idx, size_t o) {
    for (uint32_t g = d->groups - 1; g-- > 0;) {
        o += d->out_stride[g];
        if (++idx[g] < d->extent[g])
            break;
        o -= d->out_stride[g] * d->extent[g];
        idx[g] = 0;
    }
    return o;
}

void ember_reduce_sum_f32(const ember_reduce_plan *d, const float *in, double *acc) {
    if (d->out_count == 0)
        return;
    memset(acc, 0, d->out_count * sizeof(*acc));
    const size_t inner = d->extent[d->groups - 1];
    size_t idx[EMBER_MAX_RANK] = {0};
    size_t o = 0; /* output offset of the current outer index */
    for (size_t done = 0; done < d->in_count; done += inner) {
        if (d->inner_reduced) {
            double s = 0.0;
            for (size_t i = 0; i < inner; i++)
                s += in[i];
            acc[o] += s;
        } else {
            for (size_t i = 0; i < inner; i++)
                acc[o + i] += in[i];
        }
        in += inner;
        o = next_run(d, idx, o);
    }
}

void ember_reduce_sum_i8(const ember_reduce_plan *d, const int8_t *in, int32_t *acc) {
    if (d->out_count == 0)
        return;
    memset(acc, 0, d->out_count * sizeof(*acc));
    const size_t inner = d->extent[d->groups - 1];
    size_t idx[EMBER_MAX_RANK] = {0};
    size_t o = 0;
    for (size_t done = 0; done < d->in_count; done += inner) {
        /* unsigned adds wrap without undefined behaviour, like LiteRT's int32 sum */
        if (d->inner_reduced) {
            uint32_t s = 0;
            for (size_t i = 0; i < inner; i++)
                s += (uint32_t)(int32_t)in[i];
            acc[o] = (int32_t)((uint32_t)acc[o] + s);
        } else {
            for (size_t i = 0; i < inner; i++)
                acc[o + i] = (int32_t)((uint32_t)acc[o + i] + (uint32_t)(int32_t)in[i]);
        }
        in += inner;
        o = next_run(d, idx, o);
    }
}

void ember_reduce_fold_f32(const ember_reduce_plan *d, const float *in, float *out, float init,
                           ember_fold_f32 fold) {
    for (size_t i = 0; i < d->out_count; i++)
        out[i] = init;
    if (d->out_count == 0)
        return;
    const size_t inner = d->extent[d->groups - 1];
    size_t idx[EMBER_MAX_RANK] = {0};
    size_t o = 0;
    for (size_t done = 0; done < d->in_count; done += inner) {
        for (size_t i = 0; i < inner; i++) {
            float *cell = &out[d->inner_reduced ? o : o + i];
            *cell = fold(*cell, in[i]);
        }
        in += inner;
        o = next_run(d, idx, o);
    }
}

void ember_reduce_fold_i8(const ember_reduce_plan *d, const int8_t *in, int8_t *out,
                          int8_t init, ember_fold_i8 fold) {
    for (size_t i = 0; i < d->out_count; i++)
        out[i] = init;
    if (d->out_count == 0)
        return;
    const size_t inner = d->extent[d->groups - 1];
    size_t idx[EMBER_MAX_RANK] = {0};
    size_t o = 0;
    for (size_t done = 0; done < d->in_count; done += inner) {
        for (size_t i = 0; i < inner; i++) {
            int8_t *cell = &out[d->inner_reduced ? o : o + i];
            *cell = fold(*cell, in[i]);
        }
        in += inner;
        o = next_run(d, idx, o);
    }
}
