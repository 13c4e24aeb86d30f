/* Element-wise ops of the OpenCL delegate: ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, PRELU and
   POW with numpy broadcasting (kernels/elementwise.cl's ew_binary_*), and the activations and
   math functions of one input (ew_unary_map), float32 only. Each op's arithmetic is its CPU
   kernel's (csrc/kernels/<op>.c); the encoders find which op they run from the node. */
#include <string.h>

#include "ops_misc.h"

/* kernels/elementwise.cl's EW_* binary codes */
enum { EW_ADD, EW_SUB, EW_MUL, EW_DIV, EW_MAXIMUM, EW_MINIMUM, EW_PRELU, EW_POW };

/* kernels/elementwise.cl's EW_* unary codes */
enum {
    EW_RELU, EW_CLAMP, EW_LEAKY_RELU, EW_SIGMOID, EW_TANH, EW_HARD_SIGMOID, EW_HARD_SWISH,
    EW_ABS, EW_NEG, EW_SQRT, EW_RSQRT, EW_EXP, EW_LOG, EW_FLOOR, EW_CEIL, EW_ROUND, EW_SIGN,
    EW_SIN, EW_COS, EW_RECIPROCAL, EW_ERF, EW_SOFTPLUS, EW_MISH, EW_SQUARE, EW_ELU, EW_GELU,
    EW_GELU_TANH, EW_ACOS, EW_ASIN, EW_ATAN
};

/* ---- binary ops ---- */

static const struct {
    const char *name;
    int code;
} binary_codes[] = {
    {"add", EW_ADD},         {"sub", EW_SUB},         {"mul", EW_MUL}, {"div", EW_DIV},
    {"maximum", EW_MAXIMUM}, {"minimum", EW_MINIMUM}, {"prelu", EW_PRELU}, {"pow", EW_POW},
};

static int binary_code(const char *name) {
    for (size_t i = 0; i < sizeof binary_codes / sizeof binary_codes[0]; i++)
        if (strcmp(binary_codes[i].name, name) == 0)
            return binary_codes[i].code;
    return -1;
}

static bool binary_supports(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                            char *why, size_t why_size) {
    if (api->node_io_count(ip, node, 0) != 2 || api->node_io_count(ip, node, 1) != 1)
        return cld_why(why, why_size, "expected 2 inputs and 1 output");
    return misc_supports_float(api, ip, node, why, why_size) &&
           misc_supports_act(api, ip, node, why, why_size);
}

/* The output's dims with each operand's element stride along them (0 where it repeats),
   size-1 dims dropped and neighbours merged where both operands run on across them. */
typedef struct broadcast {
    uint32_t rank;
    int32_t size[EMBER_MAX_RANK];
    int32_t a_stride[EMBER_MAX_RANK], b_stride[EMBER_MAX_RANK];
} broadcast;

/* Element strides of `t` along the output's dims, right-aligned (missing and size-1 dims
   repeat: stride 0). */
static void operand_strides(const ember_tensor_info *t, const ember_tensor_info *out,
                            int32_t *stride) {
    int32_t step = 1;
    for (uint32_t k = 0; k < out->rank; k++) {
        const uint32_t d = out->rank - 1 - k;
        if (k >= t->rank) {
            stride[d] = 0;
            continue;
        }
        const int32_t size = t->dims[t->rank - 1 - k];
        stride[d] = size == 1 ? 0 : step;
        step *= size;
    }
}

static void broadcast_init(broadcast *bc, const ember_tensor_info *a,
                           const ember_tensor_info *b, const ember_tensor_info *out) {
    int32_t as[EMBER_MAX_RANK], bs[EMBER_MAX_RANK];
    operand_strides(a, out, as);
    operand_strides(b, out, bs);
    bc->rank = 0;
    for (uint32_t d = 0; d < out->rank; d++) {
        const int32_t size = out->dims[d];
        if (size == 1)
            continue;
        const uint32_t r = bc->rank;
        /* the previous (outer) dim continues into this one for both operands */
        if (r > 0 && bc->a_stride[r - 1] == as[d] * size && bc->b_stride[r - 1] == bs[d] * size) {
            bc->size[r - 1] *= size;
            bc->a_stride[r - 1] = as[d];
            bc->b_stride[r - 1] = bs[d];
            continue;
        }
        bc->size[r] = size;
        bc->a_stride[r] = as[d];
        bc->b_stride[r] = bs[d];
        bc->rank++;
    }
}

/* Whether a flat run of `count` elements goes four a work item (ew_*_map4, ew_*_flat4):
   float storage (half has no vload4 without cl_khr_fp16) and whole groups of four. */
static bool by_four(cld_plan *plan, size_t count) {
    return !cld_fp16(plan) && count % 4 == 0;
}

static void encode_flat(cld_plan *plan, const misc_tensor *t, const broadcast *bc, int code,
                        float lo, float hi) {
    const bool four = by_four(plan, t[2].count);
    const size_t items = four ? t[2].count / 4 : t[2].count;
    cl_kernel k = cld_kernel(plan, four ? "ew_binary_flat4" : "ew_binary_flat");
    cld_args args = cld_args_begin(plan, k);
    for (int i = 0; i < 3; i++)
        cld_arg_ref(&args, cld_tensor(plan, t[i].index));
    cld_arg_int(&args, (int32_t)items);
    cld_arg_int(&args, bc->rank == 1 ? bc->a_stride[0] : 0);
    cld_arg_int(&args, bc->rank == 1 ? bc->b_stride[0] : 0);
    cld_arg_int(&args, code);
    cld_arg_float(&args, lo);
    cld_arg_float(&args, hi);
    misc_launch(plan, k, items);
}

static void encode_strided(cld_plan *plan, const misc_tensor *t, const broadcast *bc, int code,
                           float lo, float hi) {
    int32_t tab[1 + 3 * EMBER_MAX_RANK];
    tab[0] = (int32_t)bc->rank;
    for (uint32_t d = 0; d < bc->rank; d++) {
        tab[1 + 3 * d] = bc->size[d];
        tab[2 + 3 * d] = bc->a_stride[d];
        tab[3 + 3 * d] = bc->b_stride[d];
    }
    cl_kernel k = cld_kernel(plan, "ew_binary_strided");
    cld_args args = cld_args_begin(plan, k);
    for (int i = 0; i < 3; i++)
        cld_arg_ref(&args, cld_tensor(plan, t[i].index));
    cld_arg_ref(&args, misc_table(plan, tab, 1 + 3 * (size_t)bc->rank));
    cld_arg_int(&args, (int32_t)t[2].count);
    cld_arg_int(&args, code);
    cld_arg_float(&args, lo);
    cld_arg_float(&args, hi);
    misc_launch(plan, k, t[2].count);
}

static ember_status binary_encode(cld_plan *plan, uint32_t node) {
    const ember_core_api *api = cld_api(plan);
    ember_interp *ip = cld_interp(plan);
    misc_tensor t[3]; /* a, b, out */
    if (!misc_io(plan, node, 0, 0, &t[0]) || !misc_io(plan, node, 0, 1, &t[1]) ||
        !misc_io(plan, node, 1, 0, &t[2]))
        return cld_status(plan);
    const char *name = api->node_op(ip, node);
    const int code = binary_code(name);
    float lo, hi;
    if (code < 0 || !misc_act_range(cld_param_int(api, ip, node, "activation"), &lo, &hi))
        return cld_fail(plan, EMBER_STATUS_UNSUPPORTED, "node %u (%s): not a binary op here",
                        (unsigned)node, name);
    broadcast bc;
    broadcast_init(&bc, &t[0].info, &t[1].info, &t[2].info);
    if (bc.rank <= 1)
        encode_flat(plan, t, &bc, code, lo, hi);
    else
        encode_strided(plan, t, &bc, code, lo, hi);
    return cld_status(plan);
}

const cld_op misc_op_add = {"add", binary_supports, binary_encode};
const cld_op misc_op_sub = {"sub", binary_supports, binary_encode};
const cld_op misc_op_mul = {"mul", binary_supports, binary_encode};
const cld_op misc_op_div = {"div", binary_supports, binary_encode};
const cld_op misc_op_maximum = {"maximum", binary_supports, binary_encode};
const cld_op misc_op_minimum = {"minimum", binary_supports, binary_encode};
const cld_op misc_op_prelu = {"prelu", binary_supports, binary_encode};
const cld_op misc_op_pow = {"pow", binary_supports, binary_encode};

/* ---- unary ops ---- */

/* A unary op's code and how its two float params come from the node: a param's name, or
   NULL for the fixed value beside it. */
typedef struct unary_desc {
    const char *name;
    int code;
    const char *p0_name, *p1_name;
    float p0, p1;
} unary_desc;

static const unary_desc unary_descs[] = {
    {"relu", EW_RELU, NULL, NULL, 0.0f, 0.0f},
    {"relu6", EW_CLAMP, NULL, NULL, 0.0f, 6.0f},
    {"clamp", EW_CLAMP, "min", "max", 0.0f, 0.0f},
    {"leaky_relu", EW_LEAKY_RELU, "alpha", NULL, 0.0f, 0.0f},
    {"sigmoid", EW_SIGMOID, NULL, NULL, 0.0f, 0.0f},
    {"tanh", EW_TANH, NULL, NULL, 0.0f, 0.0f},
    {"hard_sigmoid", EW_HARD_SIGMOID, "alpha", "beta", 0.0f, 0.0f},
    {"hard_swish", EW_HARD_SWISH, NULL, NULL, 0.0f, 0.0f},
    {"abs", EW_ABS, NULL, NULL, 0.0f, 0.0f},
    {"neg", EW_NEG, NULL, NULL, 0.0f, 0.0f},
    {"sqrt", EW_SQRT, NULL, NULL, 0.0f, 0.0f},
    {"rsqrt", EW_RSQRT, NULL, NULL, 0.0f, 0.0f},
    {"exp", EW_EXP, NULL, NULL, 0.0f, 0.0f},
    {"log", EW_LOG, NULL, NULL, 0.0f, 0.0f},
    {"floor", EW_FLOOR, NULL, NULL, 0.0f, 0.0f},
    {"ceil", EW_CEIL, NULL, NULL, 0.0f, 0.0f},
    {"round", EW_ROUND, NULL, NULL, 0.0f, 0.0f},
    {"sign", EW_SIGN, NULL, NULL, 0.0f, 0.0f},
    {"sin", EW_SIN, NULL, NULL, 0.0f, 0.0f},
    {"cos", EW_COS, NULL, NULL, 0.0f, 0.0f},
    {"reciprocal", EW_RECIPROCAL, NULL, NULL, 0.0f, 0.0f},
    {"erf", EW_ERF, NULL, NULL, 0.0f, 0.0f},
    {"softplus", EW_SOFTPLUS, NULL, NULL, 0.0f, 0.0f},
    {"mish", EW_MISH, NULL, NULL, 0.0f, 0.0f},
    {"square", EW_SQUARE, NULL, NULL, 0.0f, 0.0f},
    {"elu", EW_ELU, "alpha", NULL, 0.0f, 1.0f},
    {"selu", EW_ELU, "alpha", "gamma", 0.0f, 0.0f},
    {"gelu", EW_GELU, NULL, NULL, 0.0f, 0.0f},
    {"acos", EW_ACOS, NULL, NULL, 0.0f, 0.0f},
    {"asin", EW_ASIN, NULL, NULL, 0.0f, 0.0f},
    {"atan", EW_ATAN, NULL, NULL, 0.0f, 0.0f},
};

static const unary_desc *unary_find(const char *name) {
    for (size_t i = 0; i < sizeof unary_descs / sizeof unary_descs[0]; i++)
        if (strcmp(unary_descs[i].name, name) == 0)
            return &unary_descs[i];
    return NULL;
}

static bool unary_supports(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                           char *why, size_t why_size) {
    if (api->node_io_count(ip, node, 0) != 1 || api->node_io_count(ip, node, 1) != 1)
        return cld_why(why, why_size, "expected 1 input and 1 output");
    return misc_supports_float(api, ip, node, why, why_size);
}

static ember_status unary_encode(cld_plan *plan, uint32_t node) {
    const ember_core_api *api = cld_api(plan);
    ember_interp *ip = cld_interp(plan);
    const char *name = api->node_op(ip, node);
    const unary_desc *u = unary_find(name);
    misc_tensor in, out;
    if (u == NULL)
        return cld_fail(plan, EMBER_STATUS_UNSUPPORTED, "node %u (%s): not a unary op here",
                        (unsigned)node, name);
    if (!misc_io(plan, node, 0, 0, &in) || !misc_io(plan, node, 1, 0, &out))
        return cld_status(plan);
    int code = u->code;
    if (code == EW_GELU && cld_param_int(api, ip, node, "approximate") != 0)
        code = EW_GELU_TANH;
    const float p0 = u->p0_name != NULL ? cld_param_float(api, ip, node, u->p0_name) : u->p0;
    const float p1 = u->p1_name != NULL ? cld_param_float(api, ip, node, u->p1_name) : u->p1;
    const bool four = by_four(plan, out.count);
    const size_t items = four ? out.count / 4 : out.count;
    cl_kernel k = cld_kernel(plan, four ? "ew_unary_map4" : "ew_unary_map");
    cld_args args = cld_args_begin(plan, k);
    cld_arg_ref(&args, cld_tensor(plan, in.index));
    cld_arg_ref(&args, cld_tensor(plan, out.index));
    cld_arg_int(&args, (int32_t)items);
    cld_arg_int(&args, code);
    cld_arg_float(&args, p0);
    cld_arg_float(&args, p1);
    misc_launch(plan, k, items);
    return cld_status(plan);
}

const cld_op misc_op_relu = {"relu", unary_supports, unary_encode};
const cld_op misc_op_relu6 = {"relu6", unary_supports, unary_encode};
const cld_op misc_op_clamp = {"clamp", unary_supports, unary_encode};
const cld_op misc_op_leaky_relu = {"leaky_relu", unary_supports, unary_encode};
const cld_op misc_op_sigmoid = {"sigmoid", unary_supports, unary_encode};
const cld_op misc_op_tanh = {"tanh", unary_supports, unary_encode};
const cld_op misc_op_hard_sigmoid = {"hard_sigmoid", unary_supports, unary_encode};
const cld_op misc_op_hard_swish = {"hard_swish", unary_supports, unary_encode};
const cld_op misc_op_abs = {"abs", unary_supports, unary_encode};
const cld_op misc_op_neg = {"neg", unary_supports, unary_encode};
const cld_op misc_op_sqrt = {"sqrt", unary_supports, unary_encode};
const cld_op misc_op_rsqrt = {"rsqrt", unary_supports, unary_encode};
const cld_op misc_op_exp = {"exp", unary_supports, unary_encode};
const cld_op misc_op_log = {"log", unary_supports, unary_encode};
const cld_op misc_op_floor = {"floor", unary_supports, unary_encode};
const cld_op misc_op_ceil = {"ceil", unary_supports, unary_encode};
const cld_op misc_op_round = {"round", unary_supports, unary_encode};
const cld_op misc_op_sign = {"sign", unary_supports, unary_encode};
const cld_op misc_op_sin = {"sin", unary_supports, unary_encode};
const cld_op misc_op_cos = {"cos", unary_supports, unary_encode};
const cld_op misc_op_reciprocal = {"reciprocal", unary_supports, unary_encode};
const cld_op misc_op_erf = {"erf", unary_supports, unary_encode};
const cld_op misc_op_softplus = {"softplus", unary_supports, unary_encode};
const cld_op misc_op_mish = {"mish", unary_supports, unary_encode};
const cld_op misc_op_square = {"square", unary_supports, unary_encode};
const cld_op misc_op_elu = {"elu", unary_supports, unary_encode};
const cld_op misc_op_selu = {"selu", unary_supports, unary_encode};
const cld_op misc_op_gelu = {"gelu", unary_supports, unary_encode};
const cld_op misc_op_acos = {"acos", unary_supports, unary_encode};
const cld_op misc_op_asin = {"asin", unary_supports, unary_encode};
const cld_op misc_op_atan = {"atan", unary_supports, unary_encode};
