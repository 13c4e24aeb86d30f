/* Reduction walk shared by MEAN and SUM (see reduce.h). */
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

static ember_status check_output_shape(ember_context *ctx, const ember_node *node,
                                       const char *op, const bool *reduced, uint32_t naxes) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    const bool keep = out->rank == in->rank;
    if (!keep && out->rank != in->rank - naxes)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): output rank must be %u or %" PRIu32 ", got %u",
                          node->index, op, in->rank, in->rank - naxes, out->rank);
    uint32_t j = 0;
    for (uint32_t i = 0; i < in->rank; i++) {
        if (reduced[i] && !keep)
            continue;
        const int32_t want = reduced[i] ? 1 : in->dims[i];
        if (out->dims[j] != want)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): output dim %" PRIu32 " must be "
                              "%" PRId32 ", got %" PRId32,
                              node->index, op, j, want, out->dims[j]);
        j++;
    }
    return EMBER_STATUS_OK;
}

ember_status ember_reduce_check(ember_context *ctx, const ember_node *node, const char *op,
                                uint8_t type) {
    ember_status st = ember_check_arity(ctx, node, 1, 1, 1);
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
    return check_output_shape(ctx, node, op, reduced, axes.len);
}

ember_status ember_shape_reduce(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
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

ember_status ember_reduce_plan_init(ember_context *ctx, const ember_node *node, const char *op,
                                    ember_reduce_plan *d) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    ember_fb_vector axes;
    const ember_status st = read_axes(ctx, node, op, &axes);
    if (st != EMBER_STATUS_OK)
        return st;
    bool reduced[EMBER_MAX_RANK] = {false};
    for (uint32_t i = 0; i < axes.len; i++)
        reduced[ember_fb_vector_i32(&axes, i)] = true;

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
    d->out_count = ember_output(ctx, node, 0)->count;
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
