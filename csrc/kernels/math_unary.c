/* The float32 element-wise math ops of one input (format 7): ABS, NEG, SQRT, RSQRT, EXP, LOG,
   FLOOR, CEIL, ROUND, SIGN, SIN, COS, RECIPROCAL, ERF, SOFTPLUS, MISH, SQUARE, and ELU, SELU
   and GELU with their params. One family, one table: each op is a loop over a C99 <math.h>
   function. IEEE results where the function leaves its domain, as numpy and ONNX Runtime give
   them: sqrt and log of a negative are NaN, log 0 is -inf, 1 / 0 is inf. Node data:
   ember_unary_data (unary.h), the params in p.
   ABS, NEG and SIGN also take plain integers, int8 to uint64 (the output of the input's type),
   as ONNX Runtime computes them: -INT_MIN and |INT_MIN| wrap to INT_MIN (modulo 2^width), SIGN
   is -1, 0 or 1 (an unsigned x is its own |x|, and -x wraps). Node data then: math_int_data.
   ACOS, ASIN, ATAN (format 9): float32 only. */
#include <math.h>

#include "ember_internal.h"
#include "kernels/broadcast.h"
#include "kernels/unary.h"

/* The approximate GELU's constants: sqrt(2 / pi) and the cubic term's weight. */
#define GELU_TANH_SCALE 0.7978845608028654f
#define GELU_TANH_CUBIC 0.044715f
/* 1 / sqrt(2): erf takes x / sqrt 2. */
#define GELU_SQRT_HALF 0.70710678118654752f

static void abs_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = fabsf(in[i]);
}

static void neg_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = -in[i];
}

static void sqrt_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = sqrtf(in[i]);
}

static void rsqrt_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = 1.0f / sqrtf(in[i]);
}

static void exp_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = expf(in[i]);
}

static void log_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = logf(in[i]);
}

static void acos_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = acosf(in[i]);
}

static void asin_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = asinf(in[i]);
}

static void atan_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = atanf(in[i]);
}

static void floor_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = floorf(in[i]);
}

static void ceil_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = ceilf(in[i]);
}

/* Halves go to the even neighbour (ONNX's and TFLite's ROUND): nearbyintf in the default
   rounding mode, which the library never changes. */
static void round_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = nearbyintf(in[i]);
}

static void sign_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++) {
        const float x = in[i];
        /* Zeros of either sign give +0 and NaN stays NaN, as numpy's and ONNX Runtime's. */
        out[i] = x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x == 0.0f ? 0.0f : x;
    }
}

static void sin_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = sinf(in[i]);
}

static void cos_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = cosf(in[i]);
}

static void reciprocal_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = 1.0f / in[i];
}

static void erf_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = erff(in[i]);
}

/* log(1 + e^x) = max(x, 0) + log1p(e^-|x|): neither term overflows for large |x|. */
static float softplus(float x) {
    return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
}

static void softplus_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = softplus(in[i]);
}

static void mish_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] * tanhf(softplus(in[i]));
}

static void square_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] * in[i];
}

/* ELU with p->a = alpha, p->b = 1; SELU with p->a = alpha, p->b = gamma. expm1f keeps the
   precision of e^x - 1 near 0. */
static void elu_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    for (size_t i = 0; i < n; i++) {
        const float x = in[i];
        out[i] = p->b * (x > 0.0f ? x : p->a * expm1f(x));
    }
}

static void gelu_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++)
        out[i] = 0.5f * in[i] * (1.0f + erff(in[i] * GELU_SQRT_HALF));
}

static void gelu_tanh_loop(const float *in, float *out, size_t n, const ember_unary_params *p) {
    (void)p;
    for (size_t i = 0; i < n; i++) {
        const float x = in[i];
        out[i] = 0.5f * x * (1.0f + tanhf(GELU_TANH_SCALE * (x + GELU_TANH_CUBIC * x * x * x)));
    }
}

/* An integer loop: n elements of the type it names, from in to out. */
typedef void (*math_int_loop)(const void *in, void *out, size_t n);

typedef struct math_int_data {
    math_int_loop loop;
} math_int_data;

/* Defines `name`, a math_int_loop over elements of type ET: out[i] = expr of x = in[i], with
   T, W and S as EMBER_INT_TYPES (broadcast.h) gives them; the negations go through W, where
   wrapping is defined (-INT_MIN and |INT_MIN| wrap to INT_MIN). */
#define MATH_INT_LOOP(name, ET, EW, ES, expr)                                                  \
    static void name(const void *in, void *out, size_t n) {                                    \
        typedef ET T;                                                                          \
        typedef EW W;                                                                          \
        enum { S = ES };                                                                       \
        (void)sizeof(W);                                                                       \
        (void)S;                                                                               \
        const T *xs = in;                                                                      \
        T *o = out;                                                                            \
        for (size_t i = 0; i < n; i++) {                                                       \
            const T x = xs[i];                                                                 \
            o[i] = (T)(expr);                                                                  \
        }                                                                                      \
    }
#define MATH_INT_DEF_(name, expr, sfx, T, W, S, TYPE) MATH_INT_LOOP(name##_##sfx, T, W, S, expr)
#define MATH_INT_ENTRY_(name, expr, sfx, T, W, S, TYPE) [TYPE] = name##_##sfx,
/* The loops of `expr` for every plain integer type, indexed by EMBER_TYPE_*. */
#define MATH_INT_LOOPS(name, expr)                                                             \
    EMBER_INT_TYPES(MATH_INT_DEF_, name, expr)                                                 \
    static const math_int_loop name[EMBER_TYPE_COUNT] = {                                      \
        EMBER_INT_TYPES(MATH_INT_ENTRY_, name, expr)};
/* Whether x is negative, written so an unsigned T compares nothing with 0 (-Wtype-limits). */
#define NEGATIVE (S && ((W)x >> (sizeof(T) * 8 - 1)) != 0)

MATH_INT_LOOPS(abs_ints, NEGATIVE ? 0 - (W)x : (W)x)
MATH_INT_LOOPS(neg_ints, 0 - (W)x)
MATH_INT_LOOPS(sign_ints, NEGATIVE ? (T)-1 : (T)(x != 0))

#undef NEGATIVE

typedef struct math_op {
    uint16_t op;
    const char *name;
    uint8_t params_type; /* EMBER_OP_PARAMS_*, 0: none */
    ember_unary_f32 loop;
    const math_int_loop *ints; /* the plain integer loops by type, or NULL: float32 only */
} math_op;

static const math_op math_ops[] = {
    {EMBER_OP_ABS, "abs", 0, abs_loop, abs_ints},
    {EMBER_OP_NEG, "neg", 0, neg_loop, neg_ints},
    {EMBER_OP_SQRT, "sqrt", 0, sqrt_loop, NULL},
    {EMBER_OP_RSQRT, "rsqrt", 0, rsqrt_loop, NULL},
    {EMBER_OP_EXP, "exp", 0, exp_loop, NULL},
    {EMBER_OP_LOG, "log", 0, log_loop, NULL},
    {EMBER_OP_FLOOR, "floor", 0, floor_loop, NULL},
    {EMBER_OP_CEIL, "ceil", 0, ceil_loop, NULL},
    {EMBER_OP_ROUND, "round", 0, round_loop, NULL},
    {EMBER_OP_SIGN, "sign", 0, sign_loop, sign_ints},
    {EMBER_OP_SIN, "sin", 0, sin_loop, NULL},
    {EMBER_OP_COS, "cos", 0, cos_loop, NULL},
    {EMBER_OP_ACOS, "acos", 0, acos_loop, NULL},
    {EMBER_OP_ASIN, "asin", 0, asin_loop, NULL},
    {EMBER_OP_ATAN, "atan", 0, atan_loop, NULL},
    {EMBER_OP_RECIPROCAL, "reciprocal", 0, reciprocal_loop, NULL},
    {EMBER_OP_ERF, "erf", 0, erf_loop, NULL},
    {EMBER_OP_SOFTPLUS, "softplus", 0, softplus_loop, NULL},
    {EMBER_OP_MISH, "mish", 0, mish_loop, NULL},
    {EMBER_OP_SQUARE, "square", 0, square_loop, NULL},
    {EMBER_OP_ELU, "elu", EMBER_OP_PARAMS_ELU_PARAMS, elu_loop, NULL},
    {EMBER_OP_SELU, "selu", EMBER_OP_PARAMS_SELU_PARAMS, elu_loop, NULL},
    {EMBER_OP_GELU, "gelu", EMBER_OP_PARAMS_GELU_PARAMS, gelu_loop, NULL},
};

/* The kernels below are all built from this table, so a node's op is always in it. */
static const math_op *math_op_of(const ember_node *node) {
    size_t i = 0;
    while (math_ops[i].op != node->op)
        i++;
    return &math_ops[i];
}

/* The loop and its params for the node, its params read and checked. */
static ember_status read_params(ember_context *ctx, const ember_node *node, const math_op *m,
                                ember_unary_f32 *loop, ember_unary_params *p) {
    *loop = m->loop;
    *p = (ember_unary_params){0.0f, 1.0f};
    switch (node->op) {
    case EMBER_OP_ELU:
        return ember_unary_param_f32(ctx, node, m->name, EMBER_SLOT_ELU_PARAMS_ALPHA, 1.0f,
                                     "alpha", false, &p->a);
    case EMBER_OP_SELU: {
        const ember_status st = ember_unary_param_f32(
            ctx, node, m->name, EMBER_SLOT_SELU_PARAMS_ALPHA, 1.67326319217681884765625f,
            "alpha", false, &p->a);
        if (st != EMBER_STATUS_OK)
            return st;
        return ember_unary_param_f32(ctx, node, m->name, EMBER_SLOT_SELU_PARAMS_GAMMA,
                                     1.05070102214813232421875f, "gamma", false, &p->b);
    }
    case EMBER_OP_GELU: {
        uint8_t approximate;
        if (!ember_fb_u8(&node->params, EMBER_SLOT_GELU_PARAMS_APPROXIMATE, 0, &approximate))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (gelu): approximate field is out of bounds",
                              node->index);
        if (approximate > 1)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (gelu): approximate must be a bool, got %u",
                              node->index, (unsigned)approximate);
        if (approximate)
            *loop = gelu_tanh_loop;
        return EMBER_STATUS_OK;
    }
    default:
        return EMBER_STATUS_OK;
    }
}

/* The node's integer loop: its op's for a plain integer input, else NULL (float32). */
static math_int_loop int_loop_of(ember_context *ctx, const ember_node *node, const math_op *m) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (in == NULL || m->ints == NULL || !ember_is_plain_int(in))
        return NULL;
    return m->ints[in->type];
}

/* A plain integer node: one input, the output of its type and shape, and no quantization
   params (ember_unary_check_type would take int8 for the quantized type). */
static ember_status check_int(ember_context *ctx, const ember_node *node, const math_op *m) {
    ember_status st = ember_check_arity(ctx, node, 1, 1, 1);
    if (st != EMBER_STATUS_OK ||
        (st = ember_check_params(ctx, node, m->params_type)) != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if ((st = ember_check_type(ctx, node, out, in->type, "output")) != EMBER_STATUS_OK ||
        (st = ember_check_same_shape(ctx, node, m->name, in, out)) != EMBER_STATUS_OK ||
        (st = ember_check_inplace(ctx, node, m->name, in, 0, out)) != EMBER_STATUS_OK)
        return st;
    return ember_check_plain_int(ctx, node, m->name);
}

static ember_status math_check(ember_context *ctx, const ember_node *node) {
    const math_op *m = math_op_of(node);
    if (int_loop_of(ctx, node, m) != NULL)
        return check_int(ctx, node, m);
    const ember_status st = ember_unary_check(ctx, node, m->name, m->params_type);
    if (st != EMBER_STATUS_OK)
        return st;
    ember_unary_f32 loop;
    ember_unary_params p;
    return read_params(ctx, node, m, &loop, &p);
}

/* The loops are plain scalar code, correct on any slice: large tensors are split over the
   threads like the microkernels' (the per-element libm calls make them worth it). */
static ember_status math_prepare(ember_context *ctx, ember_node *node) {
    const math_int_loop int_loop = int_loop_of(ctx, node, math_op_of(node));
    if (int_loop != NULL) {
        math_int_data *d = ember_alloc(ctx, sizeof(*d));
        if (d == NULL)
            return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
        d->loop = int_loop;
        node->data = d;
        return EMBER_STATUS_OK;
    }
    ember_unary_f32 loop;
    ember_unary_params p;
    ember_status st = read_params(ctx, node, math_op_of(node), &loop, &p);
    if (st == EMBER_STATUS_OK && (st = ember_unary_prepare(ctx, node, loop, p)) == EMBER_STATUS_OK)
        ((ember_unary_data *)node->data)->tiled = true;
    return st;
}

static ember_status math_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (in->type == EMBER_TYPE_FLOAT32)
        return ember_unary_eval(ctx, node);
    const math_int_data *d = node->data;
    d->loop(in->data, ember_output(ctx, node, 0)->data, in->count);
    return EMBER_STATUS_OK;
}

#define MATH_KERNEL(lower, upper)                                                              \
    const ember_kernel ember_kernel_##lower = {EMBER_OP_##upper, #lower, math_check,           \
                                               math_prepare, math_eval}

MATH_KERNEL(abs, ABS);
MATH_KERNEL(neg, NEG);
MATH_KERNEL(sqrt, SQRT);
MATH_KERNEL(rsqrt, RSQRT);
MATH_KERNEL(exp, EXP);
MATH_KERNEL(log, LOG);
MATH_KERNEL(floor, FLOOR);
MATH_KERNEL(ceil, CEIL);
MATH_KERNEL(round, ROUND);
MATH_KERNEL(sign, SIGN);
MATH_KERNEL(sin, SIN);
MATH_KERNEL(cos, COS);
MATH_KERNEL(acos, ACOS);
MATH_KERNEL(asin, ASIN);
MATH_KERNEL(atan, ATAN);
MATH_KERNEL(reciprocal, RECIPROCAL);
MATH_KERNEL(erf, ERF);
MATH_KERNEL(softplus, SOFTPLUS);
MATH_KERNEL(mish, MISH);
MATH_KERNEL(square, SQUARE);
MATH_KERNEL(elu, ELU);
MATH_KERNEL(selu, SELU);
MATH_KERNEL(gelu, GELU);
