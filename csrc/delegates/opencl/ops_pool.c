/* Pooling and reduction ops of the OpenCL delegate (kernels/pool.cl): MAX_POOL2D and
   AVERAGE_POOL2D on NHWC (Pool2DParams), MEAN, SUM, REDUCE_MAX, REDUCE_MIN and REDUCE_PROD
   over ReduceParams' axes, SOFTMAX and LOG_SOFTMAX along any axis, L2_NORMALIZATION along
   the last; float32 only. Long reductions with few outputs use pool.cl's *_group kernels. */
#include <string.h>

#include "ops_misc.h"

/* kernels/pool.cl's codes */
enum { POOL_MAX, POOL_AVERAGE };
enum { RED_MEAN, RED_SUM, RED_MAX, RED_MIN, RED_PROD };

/* ---- MAX_POOL2D, AVERAGE_POOL2D ---- */

static bool pool_supports(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                          char *why, size_t why_size) {
    if (!misc_supports_one_input(api, ip, node, why, why_size) ||
        !misc_supports_act(api, ip, node, why, why_size))
        return false;
    uint32_t t;
    ember_tensor_info in;
    if (!cld_io(api, ip, node, 0, 0, &t, &in) || in.rank != 4)
        return cld_why(why, why_size, "needs an NHWC (rank 4) input");
    return true;
}

static ember_status pool_encode(cld_plan *plan, uint32_t node) {
    const ember_core_api *api = cld_api(plan);
    ember_interp *ip = cld_interp(plan);
    misc_tensor in, out;
    if (!misc_io(plan, node, 0, 0, &in) || !misc_io(plan, node, 1, 0, &out))
        return cld_status(plan);
    float lo, hi;
    if (in.info.rank != 4 || out.info.rank != 4 ||
        !misc_act_range(cld_param_int(api, ip, node, "activation"), &lo, &hi))
        return cld_fail(plan, EMBER_STATUS_UNSUPPORTED,
                        "node %u: pooling needs NHWC tensors and a clamp activation",
                        (unsigned)node);
    static const char *const fields[] = {"filter_h",   "filter_w",   "stride_h",
                                         "stride_w",   "dilation_h", "dilation_w",
                                         "pad_top",    "pad_left"};
    cl_kernel k = cld_kernel(plan, "pool_2d");
    cld_args args = cld_args_begin(plan, k);
    cld_arg_ref(&args, cld_tensor(plan, in.index));
    cld_arg_ref(&args, cld_tensor(plan, out.index));
    cld_arg_int(&args, (int32_t)out.count);
    cld_arg_int(&args, in.info.dims[3]);
    cld_arg_int(&args, in.info.dims[1]);
    cld_arg_int(&args, in.info.dims[2]);
    cld_arg_int(&args, out.info.dims[1]);
    cld_arg_int(&args, out.info.dims[2]);
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
        cld_arg_int(&args, (int32_t)cld_param_int(api, ip, node, fields[f]));
    const bool average = strcmp(api->node_op(ip, node), "average_pool2d") == 0;
    cld_arg_int(&args, average ? POOL_AVERAGE : POOL_MAX);
    cld_arg_int(&args, cld_param_int(api, ip, node, "count_include_pad") != 0);
    cld_arg_float(&args, lo);
    cld_arg_float(&args, hi);
    misc_launch(plan, k, out.count);
    return cld_status(plan);
}

const cld_op misc_op_max_pool2d = {"max_pool2d", pool_supports, pool_encode};
const cld_op misc_op_average_pool2d = {"average_pool2d", pool_supports, pool_encode};

/* ---- the choice between serial and work-group reductions ---- */

/* pool.cl's RED_GROUP: the size of the *_group kernels' __local arrays, so their largest
   work-group. */
#define RED_GROUP 256
/* A reduction this long, into at most this many outputs (or fewer outputs than its length),
   runs one work-group per output: one work item each would leave a GPU mostly idle while
   each walks its whole length. Shorter ones, or ones with many outputs, run serially. */
#define GROUP_MIN_LENGTH 256
#define GROUP_MAX_OUTPUTS 4096

/* The kernel for `outputs` reductions of `length` elements each: `group_name` with *local
   (2 or more) work items per output when worth it and legal on the device, else
   `serial_name` with *local 0. Both take the same arguments. */
static cl_kernel reduction_kernel(cld_plan *plan, const char *serial_name,
                                  const char *group_name, size_t outputs, int64_t length,
                                  size_t *local) {
    *local = 0;
    if (length >= GROUP_MIN_LENGTH &&
        (outputs <= GROUP_MAX_OUTPUTS || (int64_t)outputs <= length)) {
        cl_kernel k = cld_kernel(plan, group_name);
        const size_t size = cld_group_size(plan, k, RED_GROUP);
        if (size >= 2) {
            *local = size;
            return k;
        }
    }
    return cld_kernel(plan, serial_name);
}

/* Launches a reduction_kernel: one work item per output, or one group of `local` per output.
   outputs x local fits: outputs x length is the input's count, an int. */
static void launch_reduction(cld_plan *plan, cl_kernel kernel, size_t outputs, size_t local) {
    if (local == 0 || outputs == 0) {
        misc_launch(plan, kernel, outputs);
        return;
    }
    const size_t global = outputs * local;
    cld_launch_local(plan, kernel, 1, &global, &local);
}

/* ---- MEAN, SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD ---- */

#define REDUCE_GROUPS 4

/* The input as runs of adjacent axes all kept or all reduced (size-1 axes dropped: they
   move nothing), each run a size and the element stride of its innermost axis. Runs
   alternate, so a rank of at most 8 gives at most 4 of each. */
typedef struct reduce_plan {
    uint32_t kept_count, reduced_count;
    int32_t kept[REDUCE_GROUPS][2], reduced[REDUCE_GROUPS][2]; /* size, stride */
    int64_t reduce_count;                                       /* cells per output */
} reduce_plan;

static bool reduce_plan_init(reduce_plan *rp, const ember_tensor_info *in,
                             const ember_param *axes) {
    bool reduced[EMBER_MAX_RANK] = {false};
    for (uint32_t i = 0; i < axes->count; i++) {
        if (axes->ints[i] < 0 || (uint32_t)axes->ints[i] >= in->rank)
            return false;
        reduced[axes->ints[i]] = true;
    }
    memset(rp, 0, sizeof *rp);
    rp->reduce_count = 1;
    int32_t stride = 1;
    int last = -1; /* kind of the run being built, innermost first: 0 kept, 1 reduced */
    for (uint32_t k = 0; k < in->rank; k++) {
        const uint32_t d = in->rank - 1 - k;
        const int32_t size = in->dims[d];
        if (reduced[d])
            rp->reduce_count *= size;
        if (size == 1)
            continue;
        uint32_t *count = reduced[d] ? &rp->reduced_count : &rp->kept_count;
        int32_t(*runs)[2] = reduced[d] ? rp->reduced : rp->kept;
        if (last == (int)reduced[d])
            runs[*count - 1][0] *= size;
        else if (*count == REDUCE_GROUPS)
            return false;
        else {
            runs[*count][0] = size;
            runs[*count][1] = stride;
            ++*count;
        }
        last = reduced[d];
        stride *= size;
    }
    return true;
}

static const struct {
    const char *name;
    int code;
} reduce_codes[] = {
    {"mean", RED_MEAN},      {"sum", RED_SUM},           {"reduce_max", RED_MAX},
    {"reduce_min", RED_MIN}, {"reduce_prod", RED_PROD},
};

static bool reduce_supports(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                            char *why, size_t why_size) {
    if (!misc_supports_one_input(api, ip, node, why, why_size))
        return false;
    ember_param axes;
    if (!misc_param_ints(api, ip, node, "axes", &axes) || axes.count == 0)
        return cld_why(why, why_size, "no stored axes (axes read at run time)");
    uint32_t t;
    ember_tensor_info in;
    reduce_plan rp;
    if (!cld_io(api, ip, node, 0, 0, &t, &in) || !reduce_plan_init(&rp, &in, &axes))
        return cld_why(why, why_size, "axes outside the input's rank");
    return true;
}

/* Binds a plan's runs (innermost first in the plan) outermost first, padded with size 1. */
static void bind_runs(cld_args *args, uint32_t count, const int32_t (*runs)[2]) {
    for (uint32_t field = 0; field < 2; field++)
        for (uint32_t g = 0; g < REDUCE_GROUPS; g++) {
            const uint32_t pad = REDUCE_GROUPS - count;
            cld_arg_int(args, g < pad ? (field == 0 ? 1 : 0) : runs[count - 1 - (g - pad)][field]);
        }
}

static ember_status reduce_encode(cld_plan *plan, uint32_t node) {
    const ember_core_api *api = cld_api(plan);
    ember_interp *ip = cld_interp(plan);
    const char *name = api->node_op(ip, node);
    misc_tensor in, out;
    if (!misc_io(plan, node, 0, 0, &in) || !misc_io(plan, node, 1, 0, &out))
        return cld_status(plan);
    int code = -1;
    for (size_t i = 0; i < sizeof reduce_codes / sizeof reduce_codes[0]; i++)
        if (strcmp(reduce_codes[i].name, name) == 0)
            code = reduce_codes[i].code;
    ember_param axes;
    reduce_plan rp;
    if (code < 0 || !misc_param_ints(api, ip, node, "axes", &axes) ||
        !reduce_plan_init(&rp, &in.info, &axes) || rp.reduce_count > INT32_MAX)
        return cld_fail(plan, EMBER_STATUS_UNSUPPORTED, "node %u (%s): axes not reducible here",
                        (unsigned)node, name);
    size_t local;
    cl_kernel k = reduction_kernel(plan, "reduce_axes", "reduce_axes_group", out.count,
                                   rp.reduce_count, &local);
    cld_args args = cld_args_begin(plan, k);
    cld_arg_ref(&args, cld_tensor(plan, in.index));
    cld_arg_ref(&args, cld_tensor(plan, out.index));
    cld_arg_int(&args, (int32_t)out.count);
    cld_arg_int(&args, code);
    cld_arg_int(&args, (int32_t)rp.reduce_count);
    bind_runs(&args, rp.kept_count, rp.kept);
    bind_runs(&args, rp.reduced_count, rp.reduced);
    launch_reduction(plan, k, out.count, local);
    return cld_status(plan);
}

const cld_op misc_op_mean = {"mean", reduce_supports, reduce_encode};
const cld_op misc_op_sum = {"sum", reduce_supports, reduce_encode};
const cld_op misc_op_reduce_max = {"reduce_max", reduce_supports, reduce_encode};
const cld_op misc_op_reduce_min = {"reduce_min", reduce_supports, reduce_encode};
const cld_op misc_op_reduce_prod = {"reduce_prod", reduce_supports, reduce_encode};

/* ---- SOFTMAX, LOG_SOFTMAX ---- */

static bool softmax_supports(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                             char *why, size_t why_size) {
    if (!misc_supports_one_input(api, ip, node, why, why_size))
        return false;
    uint32_t t;
    ember_tensor_info in;
    const int64_t axis = cld_param_int(api, ip, node, "axis");
    if (!cld_io(api, ip, node, 0, 0, &t, &in) || axis < 0 || axis >= (int64_t)in.rank)
        return cld_why(why, why_size, "axis %lld outside the input's rank", (long long)axis);
    return true;
}

static ember_status softmax_encode(cld_plan *plan, uint32_t node) {
    const ember_core_api *api = cld_api(plan);
    ember_interp *ip = cld_interp(plan);
    misc_tensor in, out;
    if (!misc_io(plan, node, 0, 0, &in) || !misc_io(plan, node, 1, 0, &out))
        return cld_status(plan);
    const int64_t axis = cld_param_int(api, ip, node, "axis");
    if (axis < 0 || axis >= (int64_t)in.info.rank)
        return cld_fail(plan, EMBER_STATUS_UNSUPPORTED, "node %u: softmax axis %lld",
                        (unsigned)node, (long long)axis);
    const int32_t n = in.info.dims[axis];
    size_t inner = 1;
    for (uint32_t d = (uint32_t)axis + 1; d < in.info.rank; d++)
        inner *= (size_t)in.info.dims[d];
    const size_t rows = n > 0 ? in.count / (size_t)n : 0;
    size_t local;
    cl_kernel k = reduction_kernel(plan, "softmax_rows", "softmax_rows_group", rows, n, &local);
    cld_args args = cld_args_begin(plan, k);
    cld_arg_ref(&args, cld_tensor(plan, in.index));
    cld_arg_ref(&args, cld_tensor(plan, out.index));
    cld_arg_int(&args, (int32_t)rows);
    cld_arg_int(&args, n);
    cld_arg_int(&args, (int32_t)inner);
    cld_arg_float(&args, cld_param_float(api, ip, node, "beta"));
    cld_arg_int(&args, strcmp(api->node_op(ip, node), "log_softmax") == 0);
    launch_reduction(plan, k, rows, local);
    return cld_status(plan);
}

const cld_op misc_op_softmax = {"softmax", softmax_supports, softmax_encode};
const cld_op misc_op_log_softmax = {"log_softmax", softmax_supports, softmax_encode};

/* ---- L2_NORMALIZATION ---- */

static bool l2_supports(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                        char *why, size_t why_size) {
    if (!misc_supports_one_input(api, ip, node, why, why_size))
        return false;
    uint32_t t;
    ember_tensor_info in;
    if (!cld_io(api, ip, node, 0, 0, &t, &in) || in.rank < 1)
        return cld_why(why, why_size, "needs an input of rank 1 or more");
    return true;
}

static ember_status l2_encode(cld_plan *plan, uint32_t node) {
    misc_tensor in, out;
    if (!misc_io(plan, node, 0, 0, &in) || !misc_io(plan, node, 1, 0, &out))
        return cld_status(plan);
    if (in.info.rank < 1)
        return cld_fail(plan, EMBER_STATUS_UNSUPPORTED, "node %u (l2_normalization): a scalar",
                        (unsigned)node);
    const int32_t n = in.info.dims[in.info.rank - 1];
    const size_t rows = n > 0 ? in.count / (size_t)n : 0;
    size_t local;
    cl_kernel k = reduction_kernel(plan, "l2_rows", "l2_rows_group", rows, n, &local);
    cld_args args = cld_args_begin(plan, k);
    cld_arg_ref(&args, cld_tensor(plan, in.index));
    cld_arg_ref(&args, cld_tensor(plan, out.index));
    cld_arg_int(&args, (int32_t)rows);
    cld_arg_int(&args, n);
    launch_reduction(plan, k, rows, local);
    return cld_status(plan);
}

const cld_op misc_op_l2_normalization = {"l2_normalization", l2_supports, l2_encode};
