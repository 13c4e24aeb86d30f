/* The OpenCL delegate's convolution family (kernels/conv.cl): CONV2D, DEPTHWISE_CONV2D,
   TRANSPOSE_CONV2D and FULLY_CONNECTED in float32, each with its bias and fused activation
   (CONV2D with its residual input 3 too). A kernel's work item computes 4 output channels, so
   encode repacks each constant filter once, at prepare, into blocks of 4 channels whose
   weights for one input channel lie side by side (conv.cl's layout), pads the bias to those
   blocks and uploads both. FULLY_CONNECTED of at most GEMV_MAX_ROWS rows runs fc_gemv
   instead, one channel per work item, with weights packed in blocks of 4 inputs.
   The core verified the model before any of this runs; supports() still checks every shape
   relation the kernels index by, so that a node the verifier let through by mistake is left
   to the CPU with a reason instead of reading past a device buffer. */
#include <stdlib.h>
#include <string.h>

#include "cld.h"

/* FusedActivation's last value (HARD_SWISH); common.cl's cld_act runs NONE up to it. */
#define CONV_MAX_ACTIVATION 5
#define CONV_NONE UINT32_MAX /* an omitted optional input */
/* The most rows fc_gemv computes (its work item keeps one sum per row); more rows fill
   conv_gemm's tile of 4 well enough. */
#define GEMV_MAX_ROWS 3

/* One node as its kernel sees it. */
struct conv_node {
    uint32_t input, filter, bias, residual, output; /* bias, residual may be CONV_NONE */
    ember_tensor_info in, w, b, out; /* b: the bias's, when there is one */
    int32_t stride_h, stride_w, dilation_h, dilation_w;
    int32_t pad_top, pad_left, pad_bottom, pad_right;
    int32_t groups;     /* conv2d and transpose_conv2d; 1 elsewhere */
    int32_t multiplier; /* depthwise_conv2d; 1 elsewhere */
    int32_t act;
};

/* The product of the dims, SIZE_MAX when it overflows (or a dim is negative), so that no
   shape wraps around into a small count. */
static size_t element_count(const ember_tensor_info *info) {
    size_t n = 1;
    for (uint32_t d = 0; d < info->rank && d < EMBER_MAX_RANK; d++) {
        if (info->dims[d] < 0)
            return SIZE_MAX;
        if (info->dims[d] != 0 && n > SIZE_MAX / (size_t)info->dims[d])
            return SIZE_MAX;
        n *= (size_t)info->dims[d];
    }
    return n;
}

static size_t round4(size_t n) {
    return (n + 3) / 4 * 4;
}

/* Kernels index with int: every tensor (and packed filter) must have fewer than 2^31
   elements. */
static bool fits_int(size_t n) {
    return n <= (size_t)INT32_MAX;
}

/* Input at `position` that must be a constant of `rank` dims (filter, weights, bias). */
static bool read_constant(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                          uint32_t position, const char *what, uint32_t rank, uint32_t *tensor,
                          ember_tensor_info *info, char *why, size_t why_size) {
    if (!cld_io(api, ip, node, 0, position, tensor, info))
        return cld_why(why, why_size, "no %s (input %u)", what, position);
    if (info->rank != rank)
        return cld_why(why, why_size, "%s (input %u) has rank %u, the kernel takes %u", what,
                       position, info->rank, rank);
    if (!info->is_constant)
        return cld_why(why, why_size, "%s (input %u) is computed at run time: the OpenCL "
                       "delegate packs constant weights at prepare only", what, position);
    return true;
}

/* The tensors every op of the family has: input 0 (of rank in_rank, any when 0), a constant
   filter (input 1, rank w_rank), an optional constant 1-D bias (input 2), output 0; nothing
   past input max_inputs - 1; every tensor non-empty and indexable with int. */
static bool read_tensors(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                         uint32_t in_rank, uint32_t w_rank, uint32_t max_inputs,
                         struct conv_node *c, char *why, size_t why_size) {
    if (!cld_all_float32(api, ip, node, why, why_size))
        return false;
    const uint32_t inputs = api->node_io_count(ip, node, 0);
    if (inputs > max_inputs)
        return cld_why(why, why_size, "%u inputs, the kernel takes at most %u", inputs,
                       max_inputs);
    if (!cld_io(api, ip, node, 0, 0, &c->input, &c->in) ||
        !cld_io(api, ip, node, 1, 0, &c->output, &c->out))
        return cld_why(why, why_size, "no input 0 or no output 0");
    if (in_rank != 0 && c->in.rank != in_rank)
        return cld_why(why, why_size, "input has rank %u, the kernel takes %u", c->in.rank,
                       in_rank);
    if (!read_constant(api, ip, node, 1, "filter", w_rank, &c->filter, &c->w, why, why_size))
        return false;
    uint32_t tensor = CONV_NONE;
    c->bias = c->residual = CONV_NONE;
    if (cld_io(api, ip, node, 0, 2, &tensor, &c->b) &&
        !read_constant(api, ip, node, 2, "bias", 1, &c->bias, &c->b, why, why_size))
        return false;
    const size_t n_in = element_count(&c->in), n_w = element_count(&c->w);
    const size_t n_out = element_count(&c->out);
    if (n_in == 0 || n_w == 0 || n_out == 0)
        return cld_why(why, why_size, "an empty input, filter or output (a dim is 0)");
    if (!fits_int(n_in) || !fits_int(n_w) || !fits_int(n_out))
        return cld_why(why, why_size, "a tensor of 2^31 elements or more: the kernels index "
                       "with int");
    return true;
}

/* The bias, when there is one, has one element per output channel. */
static bool bias_fits(const struct conv_node *c, int32_t channels, char *why,
                      size_t why_size) {
    if (c->bias == CONV_NONE || c->b.dims[0] == channels)
        return true;
    return cld_why(why, why_size, "bias has %d elements for %d output channels", c->b.dims[0],
                   channels);
}

static bool read_activation(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                            struct conv_node *c, char *why, size_t why_size) {
    c->act = (int32_t)cld_param_int(api, ip, node, "activation");
    if (c->act < 0 || c->act > CONV_MAX_ACTIVATION)
        return cld_why(why, why_size, "fused activation %d is not one the kernels know",
                       c->act);
    return true;
}

/* The eight window fields the three convolutions' params share, and their activation. */
static bool read_window(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                        struct conv_node *c, char *why, size_t why_size) {
    c->stride_h = (int32_t)cld_param_int(api, ip, node, "stride_h");
    c->stride_w = (int32_t)cld_param_int(api, ip, node, "stride_w");
    c->dilation_h = (int32_t)cld_param_int(api, ip, node, "dilation_h");
    c->dilation_w = (int32_t)cld_param_int(api, ip, node, "dilation_w");
    c->pad_top = (int32_t)cld_param_int(api, ip, node, "pad_top");
    c->pad_left = (int32_t)cld_param_int(api, ip, node, "pad_left");
    c->pad_bottom = (int32_t)cld_param_int(api, ip, node, "pad_bottom");
    c->pad_right = (int32_t)cld_param_int(api, ip, node, "pad_right");
    if (c->stride_h < 1 || c->stride_w < 1 || c->dilation_h < 1 || c->dilation_w < 1)
        return cld_why(why, why_size, "strides %d,%d and dilations %d,%d must be >= 1",
                       c->stride_h, c->stride_w, c->dilation_h, c->dilation_w);
    if (c->pad_top < 0 || c->pad_left < 0 || c->pad_bottom < 0 || c->pad_right < 0)
        return cld_why(why, why_size, "negative pads");
    return read_activation(api, ip, node, c, why, why_size);
}

/* CONV2D and TRANSPOSE_CONV2D: filter [Cout,KH,KW,Cin/groups], output [N,OH,OW,Cout]. */
static bool read_grouped(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                         uint32_t max_inputs, struct conv_node *c, char *why, size_t why_size) {
    if (!read_tensors(api, ip, node, 4, 4, max_inputs, c, why, why_size) ||
        !read_window(api, ip, node, c, why, why_size))
        return false;
    c->groups = (int32_t)cld_param_int(api, ip, node, "groups");
    c->multiplier = 1;
    const int32_t *f = c->w.dims;
    if (c->groups < 1 || (int64_t)f[3] * c->groups != c->in.dims[3] || f[0] % c->groups != 0)
        return cld_why(why, why_size, "filter [%d,%d,%d,%d] with %d groups does not fit %d "
                       "input channels", f[0], f[1], f[2], f[3], c->groups, c->in.dims[3]);
    if (c->out.rank != 4 || c->out.dims[0] != c->in.dims[0] || c->out.dims[3] != f[0])
        return cld_why(why, why_size, "output is not [%d,OH,OW,%d]", c->in.dims[0], f[0]);
    const size_t packed = (size_t)c->groups * round4((size_t)(f[0] / c->groups)) *
                          (size_t)f[1] * (size_t)f[2] * (size_t)f[3];
    if (!fits_int(packed))
        return cld_why(why, why_size, "the packed filter has 2^31 elements or more");
    return bias_fits(c, f[0], why, why_size);
}

static bool read_conv2d(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                        struct conv_node *c, char *why, size_t why_size) {
    if (!read_grouped(api, ip, node, 4, c, why, why_size))
        return false;
    ember_tensor_info res;
    uint32_t tensor = CONV_NONE;
    if (!cld_io(api, ip, node, 0, 3, &tensor, &res))
        return true;
    if (res.rank != 4 || memcmp(res.dims, c->out.dims, sizeof(int32_t) * 4) != 0)
        return cld_why(why, why_size, "residual (input 3) is not of the output's shape");
    c->residual = tensor;
    return true;
}

static bool read_transpose(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                           struct conv_node *c, char *why, size_t why_size) {
    return read_grouped(api, ip, node, 3, c, why, why_size);
}

static bool read_depthwise(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                           struct conv_node *c, char *why, size_t why_size) {
    if (!read_tensors(api, ip, node, 4, 4, 3, c, why, why_size) ||
        !read_window(api, ip, node, c, why, why_size))
        return false;
    c->groups = 1;
    c->multiplier = (int32_t)cld_param_int(api, ip, node, "depth_multiplier");
    const int32_t *f = c->w.dims;
    if (c->multiplier < 1 || f[0] != 1 || (int64_t)c->in.dims[3] * c->multiplier != f[3])
        return cld_why(why, why_size, "filter [%d,%d,%d,%d] is not [1,KH,KW,%d x %d]", f[0],
                       f[1], f[2], f[3], c->in.dims[3], c->multiplier);
    if (c->out.rank != 4 || c->out.dims[0] != c->in.dims[0] || c->out.dims[3] != f[3])
        return cld_why(why, why_size, "output is not [%d,OH,OW,%d]", c->in.dims[0], f[3]);
    if (!fits_int(round4((size_t)f[3]) * (size_t)f[1] * (size_t)f[2]))
        return cld_why(why, why_size, "the packed filter has 2^31 elements or more");
    return bias_fits(c, f[3], why, why_size);
}

/* FULLY_CONNECTED: input [..., K] read as M rows, weights [N, K], output [..., N]. */
static bool read_fully_connected(const ember_core_api *api, const ember_interp *ip,
                                 uint32_t node, struct conv_node *c, char *why,
                                 size_t why_size) {
    if (!read_tensors(api, ip, node, 0, 2, 3, c, why, why_size) ||
        !read_activation(api, ip, node, c, why, why_size))
        return false;
    c->groups = c->multiplier = 1;
    const int32_t depth = c->in.rank ? c->in.dims[c->in.rank - 1] : 0;
    const int32_t units = c->w.dims[0];
    const size_t rows = depth > 0 ? element_count(&c->in) / (size_t)depth : 0;
    if (c->in.rank < 1 || c->w.dims[1] != depth)
        return cld_why(why, why_size, "weights [%d,%d] do not take inputs of %d features",
                       units, c->w.dims[1], depth);
    if (c->out.rank < 1 || c->out.dims[c->out.rank - 1] != units ||
        element_count(&c->out) != rows * (size_t)units)
        return cld_why(why, why_size, "output is not [..., %d] with %zu rows", units, rows);
    if (!fits_int(round4((size_t)units) * (size_t)depth) ||
        !fits_int((size_t)units * round4((size_t)depth)))
        return cld_why(why, why_size, "the packed weights have 2^31 elements or more");
    return bias_fits(c, units, why, why_size);
}

/* ---- packing (at prepare) ------------------------------------------------------------- */

static const float *constant_data(cld_plan *plan, uint32_t tensor) {
    return cld_api(plan)->tensor_data(cld_interp(plan), tensor);
}

/* Packs an OHWI filter [groups x group_out][taps][group_in] into conv.cl's
   [groups][taps][group_in][blocks][4] and uploads it; the bias (or zeros) padded to
   [groups][blocks * 4] goes to *bias_ref. */
static cld_ref upload_blocks(cld_plan *plan, const struct conv_node *c, size_t group_out,
                             size_t taps, size_t group_in, cld_ref *bias_ref) {
    const size_t groups = (size_t)c->groups, blocks = round4(group_out) / 4;
    const size_t per_group = taps * group_in * blocks * 4;
    const float *filter = constant_data(plan, c->filter);
    const float *bias = c->bias == CONV_NONE ? NULL : constant_data(plan, c->bias);
    float *packed = calloc(groups * per_group, sizeof(float));
    float *padded = calloc(groups * blocks * 4, sizeof(float));
    cld_ref ref = {0};
    if (filter == NULL || (bias == NULL && c->bias != CONV_NONE))
        cld_fail(plan, EMBER_STATUS_INVALID_MODEL, "a constant filter or bias has no data");
    else if (packed == NULL || padded == NULL)
        cld_fail(plan, EMBER_STATUS_NO_MEMORY, "out of memory packing a filter");
    for (size_t g = 0; packed && padded && filter && g < groups; g++) {
        for (size_t oc = 0; oc < group_out; oc++) {
            const size_t channel = g * group_out + oc;
            float *dst = packed + g * per_group + oc;
            const float *src = filter + channel * taps * group_in;
            for (size_t i = 0; i < taps * group_in; i++)
                dst[i * blocks * 4] = src[i];
            padded[(g * blocks + oc / 4) * 4 + oc % 4] = bias ? bias[channel] : 0.0f;
        }
    }
    if (packed && padded && filter) {
        ref = cld_upload(plan, packed, groups * per_group);
        *bias_ref = cld_upload(plan, padded, groups * blocks * 4);
    }
    free(packed);
    free(padded);
    return ref;
}

/* upload_blocks for CONV2D and TRANSPOSE_CONV with a window: an OHWI filter's taps are its
   H x W cells, each across the I = group_in channels. */
static cld_ref upload_window_blocks(cld_plan *plan, const struct conv_node *c, size_t group_out,
                                    cld_ref *bias_ref) {
    return upload_blocks(plan, c, group_out, (size_t)c->w.dims[1] * (size_t)c->w.dims[2],
                         (size_t)c->w.dims[3], bias_ref);
}

/* Depthwise filter [1][taps][C] with rows padded to round4(C), bias padded alike. */
static cld_ref upload_depthwise(cld_plan *plan, const struct conv_node *c, cld_ref *bias_ref) {
    const size_t channels = (size_t)c->w.dims[3], padded = round4(channels);
    const size_t taps = (size_t)c->w.dims[1] * (size_t)c->w.dims[2];
    const float *filter = constant_data(plan, c->filter);
    const float *bias = c->bias == CONV_NONE ? NULL : constant_data(plan, c->bias);
    float *rows = calloc(taps * padded, sizeof(float));
    float *row = calloc(padded, sizeof(float));
    cld_ref ref = {0};
    if (filter == NULL || (bias == NULL && c->bias != CONV_NONE)) {
        cld_fail(plan, EMBER_STATUS_INVALID_MODEL, "a constant filter or bias has no data");
    } else if (rows == NULL || row == NULL) {
        cld_fail(plan, EMBER_STATUS_NO_MEMORY, "out of memory packing a filter");
    } else {
        for (size_t t = 0; t < taps; t++)
            memcpy(rows + t * padded, filter + t * channels, channels * sizeof(float));
        if (bias)
            memcpy(row, bias, channels * sizeof(float));
        ref = cld_upload(plan, rows, taps * padded);
        *bias_ref = cld_upload(plan, row, padded);
    }
    free(rows);
    free(row);
    return ref;
}

/* FULLY_CONNECTED's weights [N][K] as fc_gemv's [ceil(K / 4)][N][4], zero past K, and the
   bias (or zeros) [N] to *bias_ref. */
static cld_ref upload_gemv(cld_plan *plan, const struct conv_node *c, cld_ref *bias_ref) {
    const size_t units = (size_t)c->w.dims[0], depth = (size_t)c->w.dims[1];
    const float *weights = constant_data(plan, c->filter);
    const float *bias = c->bias == CONV_NONE ? NULL : constant_data(plan, c->bias);
    float *packed = calloc(round4(depth) * units, sizeof(float));
    float *row = calloc(units, sizeof(float));
    cld_ref ref = {0};
    if (weights == NULL || (bias == NULL && c->bias != CONV_NONE)) {
        cld_fail(plan, EMBER_STATUS_INVALID_MODEL, "constant weights or bias have no data");
    } else if (packed == NULL || row == NULL) {
        cld_fail(plan, EMBER_STATUS_NO_MEMORY, "out of memory packing weights");
    } else {
        for (size_t n = 0; n < units; n++)
            for (size_t k = 0; k < depth; k++)
                packed[((k / 4) * units + n) * 4 + k % 4] = weights[n * depth + k];
        if (bias)
            memcpy(row, bias, units * sizeof(float));
        ref = cld_upload(plan, packed, round4(depth) * units);
        *bias_ref = cld_upload(plan, row, units);
    }
    free(packed);
    free(row);
    return ref;
}

/* ---- encoders -------------------------------------------------------------------------- */

/* Reads the node again at prepare (what supports accepted); false after a cld_fail. */
typedef bool (*conv_reader)(const ember_core_api *, const ember_interp *, uint32_t,
                            struct conv_node *, char *, size_t);

static bool reread(cld_plan *plan, uint32_t node, conv_reader read, struct conv_node *c) {
    char why[256];
    if (read(cld_api(plan), cld_interp(plan), node, c, why, sizeof(why)))
        return true;
    cld_fail(plan, EMBER_STATUS_UNSUPPORTED, "node %u (%s): %s", node,
             cld_api(plan)->node_op(cld_interp(plan), node), why);
    return false;
}

/* Binds in, weights, bias: the first six arguments of every kernel of conv.cl. */
static cld_args bind_inputs(cld_plan *plan, cl_kernel kernel, const struct conv_node *c,
                            cld_ref weights, cld_ref bias) {
    cld_args a = cld_args_begin(plan, kernel);
    cld_arg_ref(&a, cld_tensor(plan, c->input));
    cld_arg_ref(&a, weights);
    cld_arg_ref(&a, bias);
    return a;
}

/* in_h, in_w, in_c, out_h, out_w, out_c and the eight window ints, in conv.cl's order. */
static void bind_window(cld_args *a, const struct conv_node *c) {
    const int32_t values[] = {c->in.dims[1],  c->in.dims[2],  c->in.dims[3], c->out.dims[1],
                              c->out.dims[2], c->out.dims[3], c->stride_h,   c->stride_w,
                              c->dilation_h,  c->dilation_w,  c->pad_top,    c->pad_left,
                              c->w.dims[1],   c->w.dims[2]};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        cld_arg_int(a, values[i]);
}

/* The residual (or, without one, the output as a never-read stand-in), then the output. */
static void bind_residual_output(cld_plan *plan, cld_args *a, const struct conv_node *c) {
    const cld_ref out = cld_tensor(plan, c->output);
    cld_arg_ref(a, c->residual == CONV_NONE ? out : cld_tensor(plan, c->residual));
    cld_arg_ref(a, out);
}

/* The GEMM of M rows by the [N][K] weights: FULLY_CONNECTED and the pointwise CONV2D. */
static void encode_gemm(cld_plan *plan, const struct conv_node *c, size_t rows, size_t depth,
                        size_t channels) {
    cld_ref bias = {0};
    const cld_ref weights = upload_blocks(plan, c, channels, 1, depth, &bias);
    const cl_kernel kernel = cld_kernel(plan, "conv_gemm");
    cld_args a = bind_inputs(plan, kernel, c, weights, bias);
    bind_residual_output(plan, &a, c);
    cld_arg_int(&a, (int32_t)rows);
    cld_arg_int(&a, (int32_t)depth);
    cld_arg_int(&a, (int32_t)channels);
    cld_arg_int(&a, c->residual != CONV_NONE);
    cld_arg_int(&a, c->act);
    const size_t global[2] = {round4(channels) / 4, round4(rows) / 4};
    cld_launch(plan, kernel, 2, global);
}

/* 1x1, stride 1, unpadded, one group: the input's pixels are the GEMM's rows. */
static bool is_pointwise(const struct conv_node *c) {
    return c->groups == 1 && c->w.dims[1] == 1 && c->w.dims[2] == 1 && c->stride_h == 1 &&
           c->stride_w == 1 && c->pad_top == 0 && c->pad_left == 0 && c->pad_bottom == 0 &&
           c->pad_right == 0;
}

static ember_status conv2d_encode(cld_plan *plan, uint32_t node) {
    struct conv_node c;
    if (!reread(plan, node, read_conv2d, &c))
        return cld_status(plan);
    const size_t pixels = (size_t)c.out.dims[0] * (size_t)c.out.dims[1] * (size_t)c.out.dims[2];
    if (is_pointwise(&c)) {
        encode_gemm(plan, &c, pixels, (size_t)c.in.dims[3], (size_t)c.out.dims[3]);
        return cld_status(plan);
    }
    const size_t group_out = (size_t)(c.out.dims[3] / c.groups);
    cld_ref bias = {0};
    const cld_ref weights = upload_window_blocks(plan, &c, group_out, &bias);
    const cl_kernel kernel = cld_kernel(plan, "conv2d_window");
    cld_args a = bind_inputs(plan, kernel, &c, weights, bias);
    bind_residual_output(plan, &a, &c);
    bind_window(&a, &c);
    cld_arg_int(&a, c.w.dims[3]);
    cld_arg_int(&a, (int32_t)group_out);
    cld_arg_int(&a, c.residual != CONV_NONE);
    cld_arg_int(&a, c.act);
    const size_t global[3] = {(size_t)c.groups * (round4(group_out) / 4),
                              round4((size_t)c.out.dims[2]) / 4,
                              (size_t)c.out.dims[0] * (size_t)c.out.dims[1]};
    cld_launch(plan, kernel, 3, global);
    return cld_status(plan);
}

static ember_status depthwise_conv2d_encode(cld_plan *plan, uint32_t node) {
    struct conv_node c;
    if (!reread(plan, node, read_depthwise, &c))
        return cld_status(plan);
    cld_ref bias = {0};
    const cld_ref weights = upload_depthwise(plan, &c, &bias);
    const cl_kernel kernel = cld_kernel(plan, "depthwise_conv2d");
    cld_args a = bind_inputs(plan, kernel, &c, weights, bias);
    cld_arg_ref(&a, cld_tensor(plan, c.output));
    bind_window(&a, &c);
    cld_arg_int(&a, c.multiplier);
    cld_arg_int(&a, c.act);
    const size_t global[3] = {round4((size_t)c.out.dims[3]) / 4, (size_t)c.out.dims[2],
                              (size_t)c.out.dims[0] * (size_t)c.out.dims[1]};
    cld_launch(plan, kernel, 3, global);
    return cld_status(plan);
}

static ember_status transpose_conv2d_encode(cld_plan *plan, uint32_t node) {
    struct conv_node c;
    if (!reread(plan, node, read_transpose, &c))
        return cld_status(plan);
    const size_t group_out = (size_t)(c.out.dims[3] / c.groups);
    cld_ref bias = {0};
    const cld_ref weights = upload_window_blocks(plan, &c, group_out, &bias);
    const cl_kernel kernel = cld_kernel(plan, "transpose_conv2d");
    cld_args a = bind_inputs(plan, kernel, &c, weights, bias);
    cld_arg_ref(&a, cld_tensor(plan, c.output));
    bind_window(&a, &c);
    cld_arg_int(&a, c.w.dims[3]);
    cld_arg_int(&a, (int32_t)group_out);
    cld_arg_int(&a, c.act);
    const size_t global[3] = {(size_t)c.groups * (round4(group_out) / 4),
                              (size_t)c.out.dims[2],
                              (size_t)c.out.dims[0] * (size_t)c.out.dims[1]};
    cld_launch(plan, kernel, 3, global);
    return cld_status(plan);
}

/* FULLY_CONNECTED's few rows: one work item per output channel. */
static void encode_gemv(cld_plan *plan, const struct conv_node *c, size_t rows, size_t depth,
                        size_t units) {
    cld_ref bias = {0};
    const cld_ref weights = upload_gemv(plan, c, &bias);
    const cl_kernel kernel = cld_kernel(plan, "fc_gemv");
    cld_args a = bind_inputs(plan, kernel, c, weights, bias);
    cld_arg_ref(&a, cld_tensor(plan, c->output));
    cld_arg_int(&a, (int32_t)rows);
    cld_arg_int(&a, (int32_t)depth);
    cld_arg_int(&a, (int32_t)units);
    cld_arg_int(&a, c->act);
    const size_t global[1] = {units};
    cld_launch(plan, kernel, 1, global);
}

static ember_status fully_connected_encode(cld_plan *plan, uint32_t node) {
    struct conv_node c;
    if (!reread(plan, node, read_fully_connected, &c))
        return cld_status(plan);
    const size_t depth = (size_t)c.w.dims[1], units = (size_t)c.w.dims[0];
    const size_t rows = element_count(&c.in) / depth;
    if (rows <= GEMV_MAX_ROWS)
        encode_gemv(plan, &c, rows, depth, units);
    else
        encode_gemm(plan, &c, rows, depth, units);
    return cld_status(plan);
}

/* ---- the table ------------------------------------------------------------------------- */

static bool conv2d_supports(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                            char *why, size_t why_size) {
    struct conv_node c;
    return read_conv2d(api, ip, node, &c, why, why_size);
}

static bool depthwise_conv2d_supports(const ember_core_api *api, const ember_interp *ip,
                                      uint32_t node, char *why, size_t why_size) {
    struct conv_node c;
    return read_depthwise(api, ip, node, &c, why, why_size);
}

static bool transpose_conv2d_supports(const ember_core_api *api, const ember_interp *ip,
                                      uint32_t node, char *why, size_t why_size) {
    struct conv_node c;
    return read_transpose(api, ip, node, &c, why, why_size);
}

static bool fully_connected_supports(const ember_core_api *api, const ember_interp *ip,
                                     uint32_t node, char *why, size_t why_size) {
    struct conv_node c;
    return read_fully_connected(api, ip, node, &c, why, why_size);
}

static const cld_op conv2d_op = {"conv2d", conv2d_supports, conv2d_encode};
static const cld_op depthwise_conv2d_op = {"depthwise_conv2d", depthwise_conv2d_supports,
                                           depthwise_conv2d_encode};
static const cld_op transpose_conv2d_op = {"transpose_conv2d", transpose_conv2d_supports,
                                           transpose_conv2d_encode};
static const cld_op fully_connected_op = {"fully_connected", fully_connected_supports,
                                          fully_connected_encode};

const cld_op *const cld_conv_ops[] = {&conv2d_op, &depthwise_conv2d_op, &transpose_conv2d_op,
                                      &fully_connected_op, NULL};
