/* Layout ops of the OpenCL delegate (kernels/layout.cl): RESHAPE (a copy), CONCATENATION
   along any axis with its fused activation, TRANSPOSE, SLICE and SPLIT (one strided gather),
   GATHER by constant indices, and PAD in its three modes; float32 only. RESIZE is in
   ops_resize.c. */
#include <stdlib.h>
#include <string.h>

#include "ops_misc.h"

static void dense_strides(const ember_tensor_info *t, int32_t *stride) {
    int32_t step = 1;
    for (uint32_t k = 0; k < t->rank; k++) {
        stride[t->rank - 1 - k] = step;
        step *= t->dims[t->rank - 1 - k];
    }
}

/* ---- RESHAPE ---- */

static ember_status reshape_encode(cld_plan *plan, uint32_t node) {
    misc_tensor in, out;
    if (!misc_io(plan, node, 0, 0, &in) || !misc_io(plan, node, 1, 0, &out))
        return cld_status(plan);
    if (in.count != out.count)
        return cld_fail(plan, EMBER_STATUS_INVALID_MODEL,
                        "node %u (reshape): %zu elements in, %zu out", (unsigned)node, in.count,
                        out.count);
    cl_kernel k = cld_kernel(plan, "layout_copy");
    cld_args args = cld_args_begin(plan, k);
    cld_arg_ref(&args, cld_tensor(plan, in.index));
    cld_arg_ref(&args, cld_tensor(plan, out.index));
    cld_arg_int(&args, (int32_t)out.count);
    misc_launch(plan, k, out.count);
    return cld_status(plan);
}

const cld_op misc_op_reshape = {"reshape", misc_supports_one_input, reshape_encode};

/* ---- CONCATENATION ---- */

/* The axis param (concatenation's, split's, gather's), made non-negative; -1 when out of
   [-rank, rank). */
static int32_t concat_axis(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                           uint32_t rank) {
    int64_t axis = cld_param_int(api, ip, node, "axis");
    axis = axis < 0 ? axis + (int64_t)rank : axis;
    return axis >= 0 && axis < (int64_t)rank ? (int32_t)axis : -1;
}

static bool concat_supports(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                            char *why, size_t why_size) {
    if (api->node_io_count(ip, node, 1) != 1)
        return cld_why(why, why_size, "expected 1 output");
    if (!misc_supports_float(api, ip, node, why, why_size) ||
        !misc_supports_act(api, ip, node, why, why_size))
        return false;
    uint32_t t;
    ember_tensor_info out;
    if (!cld_io(api, ip, node, 1, 0, &t, &out) || concat_axis(api, ip, node, out.rank) < 0)
        return cld_why(why, why_size, "axis outside the output's rank");
    return true;
}

static ember_status concat_encode(cld_plan *plan, uint32_t node) {
    const ember_core_api *api = cld_api(plan);
    ember_interp *ip = cld_interp(plan);
    misc_tensor out;
    if (!misc_io(plan, node, 1, 0, &out))
        return cld_status(plan);
    const int32_t axis = concat_axis(api, ip, node, out.info.rank);
    float lo, hi;
    if (axis < 0 || !misc_act_range(cld_param_int(api, ip, node, "activation"), &lo, &hi))
        return cld_fail(plan, EMBER_STATUS_UNSUPPORTED,
                        "node %u (concatenation): bad axis or activation", (unsigned)node);
    size_t inner = 1;
    for (uint32_t d = (uint32_t)axis + 1; d < out.info.rank; d++)
        inner *= (size_t)out.info.dims[d];
    const size_t out_chunk = (size_t)out.info.dims[axis] * inner;
    size_t start = 0;
    const uint32_t inputs = api->node_io_count(ip, node, 0);
    for (uint32_t i = 0; i < inputs; i++) {
        misc_tensor in;
        if (!misc_io(plan, node, 0, i, &in))
            return cld_status(plan);
        const size_t chunk = (size_t)in.info.dims[axis] * inner;
        if (chunk > 0) {
            cl_kernel k = cld_kernel(plan, "layout_concat");
            cld_args args = cld_args_begin(plan, k);
            cld_arg_ref(&args, cld_tensor(plan, in.index));
            cld_arg_ref(&args, cld_tensor(plan, out.index));
            cld_arg_int(&args, (int32_t)in.count);
            cld_arg_int(&args, (int32_t)chunk);
            cld_arg_int(&args, (int32_t)out_chunk);
            cld_arg_int(&args, (int32_t)start);
            cld_arg_float(&args, lo);
            cld_arg_float(&args, hi);
            misc_launch(plan, k, in.count);
        }
        start += chunk;
    }
    return cld_status(plan);
}

const cld_op misc_op_concatenation = {"concatenation", concat_supports, concat_encode};

/* ---- TRANSPOSE, SLICE, SPLIT: out[i] = in[first + sum index_d * stride_d] ---- */

typedef struct strided_view {
    int32_t first;
    uint32_t rank;
    int32_t size[EMBER_MAX_RANK], stride[EMBER_MAX_RANK];
} strided_view;

/* Appends an output dim (outermost first): size-1 dims are dropped, and a dim the previous
   one continues into (its stride that dim's whole extent) merges with it. */
static void view_push(strided_view *g, int32_t size, int32_t stride) {
    if (size == 1)
        return;
    if (g->rank > 0 && g->stride[g->rank - 1] == stride * size) {
        g->size[g->rank - 1] *= size;
        g->stride[g->rank - 1] = stride;
        return;
    }
    g->size[g->rank] = size;
    g->stride[g->rank] = stride;
    g->rank++;
}

static ember_status view_encode(cld_plan *plan, const misc_tensor *in, const misc_tensor *out,
                                const strided_view *g) {
    int32_t tab[1 + 2 * EMBER_MAX_RANK];
    tab[0] = (int32_t)g->rank;
    for (uint32_t d = 0; d < g->rank; d++) {
        tab[1 + 2 * d] = g->size[d];
        tab[2 + 2 * d] = g->stride[d];
    }
    cl_kernel k = cld_kernel(plan, "layout_strided");
    cld_args args = cld_args_begin(plan, k);
    cld_arg_ref(&args, cld_tensor(plan, in->index));
    cld_arg_ref(&args, cld_tensor(plan, out->index));
    cld_arg_ref(&args, misc_table(plan, tab, 1 + 2 * (size_t)g->rank));
    cld_arg_int(&args, (int32_t)out->count);
    cld_arg_int(&args, g->first);
    misc_launch(plan, k, out->count);
    return cld_status(plan);
}

static bool transpose_supports(const ember_core_api *api, const ember_interp *ip,
                               uint32_t node, char *why, size_t why_size) {
    if (!misc_supports_one_input(api, ip, node, why, why_size))
        return false;
    ember_param perm;
    uint32_t t;
    ember_tensor_info in;
    if (!misc_param_ints(api, ip, node, "perm", &perm) || !cld_io(api, ip, node, 0, 0, &t, &in) ||
        perm.count != in.rank)
        return cld_why(why, why_size, "perm does not match the input's rank");
    return true;
}

static ember_status transpose_encode(cld_plan *plan, uint32_t node) {
    misc_tensor in, out;
    ember_param perm;
    if (!misc_io(plan, node, 0, 0, &in) || !misc_io(plan, node, 1, 0, &out))
        return cld_status(plan);
    if (!misc_param_ints(cld_api(plan), cld_interp(plan), node, "perm", &perm) ||
        perm.count != in.info.rank)
        return cld_fail(plan, EMBER_STATUS_INVALID_MODEL, "node %u (transpose): bad perm",
                        (unsigned)node);
    int32_t stride[EMBER_MAX_RANK];
    dense_strides(&in.info, stride);
    strided_view g = {0, 0, {0}, {0}};
    for (uint32_t d = 0; d < perm.count; d++) {
        const int32_t p = perm.ints[d];
        if (p < 0 || (uint32_t)p >= in.info.rank)
            return cld_fail(plan, EMBER_STATUS_INVALID_MODEL,
                            "node %u (transpose): perm entry %d", (unsigned)node, (int)p);
        view_push(&g, in.info.dims[p], stride[p]);
    }
    return view_encode(plan, &in, &out, &g);
}

const cld_op misc_op_transpose = {"transpose", transpose_supports, transpose_encode};

static bool slice_supports(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                           char *why, size_t why_size) {
    if (!misc_supports_one_input(api, ip, node, why, why_size))
        return false;
    ember_param begin, step;
    uint32_t t;
    ember_tensor_info in;
    if (!misc_param_ints(api, ip, node, "begin", &begin) ||
        !misc_param_ints(api, ip, node, "step", &step) || !cld_io(api, ip, node, 0, 0, &t, &in) ||
        begin.count != in.rank || step.count != in.rank)
        return cld_why(why, why_size, "begin and step must have one entry per input dim");
    return true;
}

static ember_status slice_encode(cld_plan *plan, uint32_t node) {
    const ember_core_api *api = cld_api(plan);
    ember_interp *ip = cld_interp(plan);
    misc_tensor in, out;
    ember_param begin, step;
    if (!misc_io(plan, node, 0, 0, &in) || !misc_io(plan, node, 1, 0, &out))
        return cld_status(plan);
    if (!misc_param_ints(api, ip, node, "begin", &begin) ||
        !misc_param_ints(api, ip, node, "step", &step) || begin.count != in.info.rank ||
        step.count != in.info.rank || out.info.rank != in.info.rank)
        return cld_fail(plan, EMBER_STATUS_INVALID_MODEL, "node %u (slice): bad begin or step",
                        (unsigned)node);
    int32_t stride[EMBER_MAX_RANK];
    dense_strides(&in.info, stride);
    strided_view g = {0, 0, {0}, {0}};
    for (uint32_t d = 0; d < in.info.rank; d++) {
        g.first += begin.ints[d] * stride[d];
        /* An axis of one output cell steps nowhere (its step may be any size); along longer
           ones a step stays within the input, so stride x step fits. */
        if (out.info.dims[d] > 1)
            view_push(&g, out.info.dims[d], stride[d] * step.ints[d]);
    }
    return view_encode(plan, &in, &out, &g);
}

const cld_op misc_op_slice = {"slice", slice_supports, slice_encode};

/* SPLIT: output k is the input's piece along the axis from the sum of the earlier
   outputs' sizes on. */
static bool split_supports(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                           char *why, size_t why_size) {
    const uint32_t inputs = api->node_io_count(ip, node, 0);
    if (inputs != 1)
        return cld_why(why, why_size, "piece sizes given at run time (%u inputs)",
                       (unsigned)inputs);
    if (!misc_supports_float(api, ip, node, why, why_size))
        return false;
    uint32_t t;
    ember_tensor_info in;
    if (!cld_io(api, ip, node, 0, 0, &t, &in) || concat_axis(api, ip, node, in.rank) < 0)
        return cld_why(why, why_size, "axis outside the input's rank");
    return true;
}

static ember_status split_encode(cld_plan *plan, uint32_t node) {
    const ember_core_api *api = cld_api(plan);
    ember_interp *ip = cld_interp(plan);
    misc_tensor in;
    if (!misc_io(plan, node, 0, 0, &in))
        return cld_status(plan);
    const int32_t axis = concat_axis(api, ip, node, in.info.rank);
    if (axis < 0)
        return cld_fail(plan, EMBER_STATUS_UNSUPPORTED, "node %u (split): bad axis",
                        (unsigned)node);
    int32_t stride[EMBER_MAX_RANK];
    dense_strides(&in.info, stride);
    int32_t start = 0;
    const uint32_t outputs = api->node_io_count(ip, node, 1);
    for (uint32_t k = 0; k < outputs && cld_status(plan) == EMBER_STATUS_OK; k++) {
        misc_tensor out;
        if (!misc_io(plan, node, 1, k, &out))
            break;
        strided_view g = {start * stride[axis], 0, {0}, {0}};
        for (uint32_t d = 0; d < in.info.rank; d++)
            view_push(&g, out.info.dims[d], stride[d]);
        view_encode(plan, &in, &out, &g);
        start += out.info.dims[axis];
    }
    return cld_status(plan);
}

const cld_op misc_op_split = {"split", split_supports, split_encode};

/* ---- GATHER (constant indices) ---- */

/* Data and output float32, indices a constant of int32 or int64 (run-time indices would
   need a range check on the device, and a way to report one out of range). */
static bool gather_supports(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                            char *why, size_t why_size) {
    uint32_t t;
    ember_tensor_info data, indices, out;
    if (api->node_io_count(ip, node, 0) != 2 || api->node_io_count(ip, node, 1) != 1 ||
        !cld_io(api, ip, node, 0, 0, &t, &data) || !cld_io(api, ip, node, 0, 1, &t, &indices) ||
        !cld_io(api, ip, node, 1, 0, &t, &out))
        return cld_why(why, why_size, "expected data, indices and 1 output");
    if (data.type != EMBER_TYPE_FLOAT32 || out.type != EMBER_TYPE_FLOAT32)
        return cld_why(why, why_size, "data is %s, the delegate runs float32 only",
                       cld_type_name(data.type));
    if (indices.is_constant == 0)
        return cld_why(why, why_size, "indices computed at run time");
    if (indices.type != EMBER_TYPE_INT32 && indices.type != EMBER_TYPE_INT64)
        return cld_why(why, why_size, "indices are %s", cld_type_name(indices.type));
    if (misc_count(&out) > (size_t)INT32_MAX - MISC_GROUP ||
        misc_count(&data) > (size_t)INT32_MAX - MISC_GROUP)
        return cld_why(why, why_size, "tensors beyond int32 indexing");
    if (concat_axis(api, ip, node, data.rank) < 0)
        return cld_why(why, why_size, "axis outside the data's rank");
    return true;
}

/* The constant indices made non-negative into picks[]; false on one outside [-dim, dim). */
static bool read_indices(const void *data, bool wide, size_t count, int32_t dim,
                         int32_t *picks) {
    for (size_t k = 0; k < count; k++) {
        int64_t v;
        if (wide)
            memcpy(&v, (const char *)data + k * sizeof v, sizeof v);
        else {
            int32_t v32;
            memcpy(&v32, (const char *)data + k * sizeof v32, sizeof v32);
            v = v32;
        }
        if (v < -(int64_t)dim || v >= dim)
            return false;
        picks[k] = (int32_t)(v < 0 ? v + dim : v);
    }
    return true;
}

static ember_status gather_encode(cld_plan *plan, uint32_t node) {
    const ember_core_api *api = cld_api(plan);
    ember_interp *ip = cld_interp(plan);
    misc_tensor data, indices, out;
    if (!misc_io(plan, node, 0, 0, &data) || !misc_io(plan, node, 0, 1, &indices) ||
        !misc_io(plan, node, 1, 0, &out))
        return cld_status(plan);
    const int32_t axis = concat_axis(api, ip, node, data.info.rank);
    const void *values = api->tensor_data(ip, indices.index);
    if (axis < 0 || (values == NULL && indices.count > 0))
        return cld_fail(plan, EMBER_STATUS_UNSUPPORTED, "node %u (gather): no constant indices",
                        (unsigned)node);
    const int32_t dim = data.info.dims[axis];
    size_t inner = 1;
    for (uint32_t d = (uint32_t)axis + 1; d < data.info.rank; d++)
        inner *= (size_t)data.info.dims[d];
    int32_t *picks = malloc((indices.count > 0 ? indices.count : 1) * sizeof *picks);
    if (picks == NULL)
        return cld_fail(plan, EMBER_STATUS_NO_MEMORY, "node %u (gather): %zu indices",
                        (unsigned)node, indices.count);
    if (!read_indices(values, indices.info.type == EMBER_TYPE_INT64, indices.count, dim,
                      picks)) {
        free(picks);
        return cld_fail(plan, EMBER_STATUS_INVALID_MODEL,
                        "node %u (gather): an index outside [-%d, %d)", (unsigned)node,
                        (int)dim, (int)dim);
    }
    cl_kernel k = cld_kernel(plan, "layout_pick");
    cld_args args = cld_args_begin(plan, k);
    cld_arg_ref(&args, cld_tensor(plan, data.index));
    cld_arg_ref(&args, cld_tensor(plan, out.index));
    cld_arg_ref(&args, misc_table(plan, picks, indices.count));
    free(picks);
    cld_arg_int(&args, (int32_t)out.count);
    cld_arg_int(&args, (int32_t)indices.count);
    cld_arg_int(&args, dim);
    cld_arg_int(&args, (int32_t)inner);
    if (indices.count > 0 && inner > 0)
        misc_launch(plan, k, out.count);
    return cld_status(plan);
}

const cld_op misc_op_gather = {"gather", gather_supports, gather_encode};

/* ---- PAD ---- */

static bool pad_supports(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                         char *why, size_t why_size) {
    if (!misc_supports_one_input(api, ip, node, why, why_size))
        return false;
    ember_param pads;
    uint32_t t;
    ember_tensor_info in;
    if (!misc_param_ints(api, ip, node, "pads", &pads) || !cld_io(api, ip, node, 0, 0, &t, &in) ||
        pads.count != 2 * in.rank)
        return cld_why(why, why_size, "pads must have two entries per input dim");
    for (uint32_t i = 0; i < pads.count; i++)
        if (pads.ints[i] < 0)
            return cld_why(why, why_size, "negative pads");
    const int64_t mode = cld_param_int(api, ip, node, "mode");
    if (mode < 0 || mode > 2)
        return cld_why(why, why_size, "unknown pad mode %lld", (long long)mode);
    return true;
}

static ember_status pad_encode(cld_plan *plan, uint32_t node) {
    const ember_core_api *api = cld_api(plan);
    ember_interp *ip = cld_interp(plan);
    misc_tensor in, out;
    ember_param pads;
    if (!misc_io(plan, node, 0, 0, &in) || !misc_io(plan, node, 1, 0, &out))
        return cld_status(plan);
    const uint32_t rank = in.info.rank;
    if (!misc_param_ints(api, ip, node, "pads", &pads) || pads.count != 2 * rank ||
        out.info.rank != rank)
        return cld_fail(plan, EMBER_STATUS_INVALID_MODEL, "node %u (pad): bad pads",
                        (unsigned)node);
    int32_t stride[EMBER_MAX_RANK];
    dense_strides(&in.info, stride);
    int32_t tab[1 + 4 * EMBER_MAX_RANK];
    tab[0] = (int32_t)rank;
    for (uint32_t d = 0; d < rank; d++) {
        tab[1 + 4 * d] = out.info.dims[d];
        tab[2 + 4 * d] = in.info.dims[d];
        tab[3 + 4 * d] = pads.ints[d];
        tab[4 + 4 * d] = stride[d];
    }
    cl_kernel k = cld_kernel(plan, "layout_pad");
    cld_args args = cld_args_begin(plan, k);
    cld_arg_ref(&args, cld_tensor(plan, in.index));
    cld_arg_ref(&args, cld_tensor(plan, out.index));
    cld_arg_ref(&args, misc_table(plan, tab, 1 + 4 * (size_t)rank));
    cld_arg_int(&args, (int32_t)out.count);
    cld_arg_int(&args, (int32_t)cld_param_int(api, ip, node, "mode"));
    cld_arg_float(&args, cld_param_float(api, ip, node, "value"));
    misc_launch(plan, k, out.count);
    return cld_status(plan);
}

const cld_op misc_op_pad = {"pad", pad_supports, pad_encode};
