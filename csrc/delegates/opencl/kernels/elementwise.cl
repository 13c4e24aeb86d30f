/* Element-wise kernels (ops_elementwise.c): binary ops with numpy broadcasting, and the
   activations and math functions of one input. One work item per output element; launches
   are rounded up, so each kernel first checks its index against n. The arithmetic repeats
   the CPU reference kernels' (csrc/kernels/) operation for operation, NaN cases included,
   which is why comparisons are written out instead of fmax/fmin/clamp (those drop NaNs, and
   clamp is undefined when lo > hi). The op codes match ops_elementwise.c's enums. */

#define EW_ADD 0
#define EW_SUB 1
#define EW_MUL 2
#define EW_DIV 3
#define EW_MAXIMUM 4
#define EW_MINIMUM 5
#define EW_PRELU 6
#define EW_POW 7

#define EW_RELU 0
#define EW_CLAMP 1
#define EW_LEAKY_RELU 2
#define EW_SIGMOID 3
#define EW_TANH 4
#define EW_HARD_SIGMOID 5
#define EW_HARD_SWISH 6
#define EW_ABS 7
#define EW_NEG 8
#define EW_SQRT 9
#define EW_RSQRT 10
#define EW_EXP 11
#define EW_LOG 12
#define EW_FLOOR 13
#define EW_CEIL 14
#define EW_ROUND 15
#define EW_SIGN 16
#define EW_SIN 17
#define EW_COS 18
#define EW_RECIPROCAL 19
#define EW_ERF 20
#define EW_SOFTPLUS 21
#define EW_MISH 22
#define EW_SQUARE 23
#define EW_ELU 24
#define EW_GELU 25
#define EW_GELU_TANH 26
#define EW_ACOS 27
#define EW_ASIN 28
#define EW_ATAN 29

/* The CPU's clamp: below lo gives lo, then above hi gives hi (so hi wins when lo > hi), and a
   NaN passes through. */
float ew_clamp(float v, float lo, float hi) {
    const float low_cut = v < lo ? lo : v;
    return low_cut > hi ? hi : low_cut;
}

float ew_binary(int op, float x, float y) {
    switch (op) {
    case EW_ADD:
        return x + y;
    case EW_SUB:
        return x - y;
    case EW_MUL:
        return x * y;
    case EW_DIV:
        return x / y;
    case EW_MAXIMUM:
        return y > x ? y : x; /* a NaN in x stays, as the CPU's */
    case EW_MINIMUM:
        return y < x ? y : x;
    case EW_PRELU: /* y is the slope */
        return x < 0.0f ? y * x : x;
    default: /* EW_POW: C's powf special cases (x ^ 0 is 1, a NaN x too) */
        return pow(x, y);
    }
}

/* Operands whose steps are 0 or 1 (equal shapes, a scalar, or one that broadcasts over a
   single run). */
__kernel void ew_binary_flat(__global REAL *a, int a_off, __global REAL *b, int b_off,
                             __global REAL *out, int out_off, int n, int a_step, int b_step,
                             int op, float lo, float hi) {
    const int i = get_global_id(0);
    if (i >= n)
        return;
    const float y = ew_binary(op, LOAD(a, a_off + i * a_step), LOAD(b, b_off + i * b_step));
    STORE(out, out_off + i, ew_clamp(y, lo, hi));
}

/* General broadcasting. tab: the rank r, then per output dim, outermost first, its size and
   the element strides of a and b along it (0 where that operand repeats). */
__kernel void ew_binary_strided(__global REAL *a, int a_off, __global REAL *b, int b_off,
                                __global REAL *out, int out_off, __global const int *tab,
                                int tab_off, int n, int op, float lo, float hi) {
    const int i = get_global_id(0);
    if (i >= n)
        return;
    int ai = a_off, bi = b_off;
    cld_broadcast_offsets(tab + tab_off, i, &ai, &bi);
    const float y = ew_binary(op, LOAD(a, ai), LOAD(b, bi));
    STORE(out, out_off + i, ew_clamp(y, lo, hi));
}

float ew_softplus(float x) {
    return fmax(x, 0.0f) + log1p(exp(-fabs(x)));
}

float ew_unary(int op, float x, float p0, float p1) {
    switch (op) {
    case EW_RELU:
        return x < 0.0f ? 0.0f : x;
    case EW_CLAMP: /* relu6 too, with (0, 6) */
        return ew_clamp(x, p0, p1);
    case EW_LEAKY_RELU:
        return x < 0.0f ? p0 * x : x;
    case EW_SIGMOID:
        return 1.0f / (1.0f + exp(-x));
    case EW_TANH:
        return tanh(x);
    case EW_HARD_SIGMOID:
        return ew_clamp(p0 * x + p1, 0.0f, 1.0f);
    case EW_HARD_SWISH:
        return x * ew_clamp(x + 3.0f, 0.0f, 6.0f) * (1.0f / 6.0f);
    case EW_ABS:
        return fabs(x);
    case EW_NEG:
        return -x;
    case EW_SQRT:
        return sqrt(x);
    case EW_RSQRT:
        return 1.0f / sqrt(x);
    case EW_EXP:
        return exp(x);
    case EW_LOG:
        return log(x);
    case EW_FLOOR:
        return floor(x);
    case EW_CEIL:
        return ceil(x);
    case EW_ROUND:
        return rint(x); /* halves to even */
    case EW_SIGN:
        return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x == 0.0f ? 0.0f : x;
    case EW_SIN:
        return sin(x);
    case EW_COS:
        return cos(x);
    case EW_RECIPROCAL:
        return 1.0f / x;
    case EW_ERF:
        return erf(x);
    case EW_SOFTPLUS:
        return ew_softplus(x);
    case EW_MISH:
        return x * tanh(ew_softplus(x));
    case EW_SQUARE:
        return x * x;
    case EW_ELU: /* selu too: p0 alpha, p1 gamma (1 for elu) */
        return p1 * (x > 0.0f ? x : p0 * expm1(x));
    case EW_GELU:
        return 0.5f * x * (1.0f + erf(x * 0.70710678118654752f));
    case EW_GELU_TANH:
        return 0.5f * x * (1.0f + tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    case EW_ACOS:
        return acos(x);
    case EW_ASIN:
        return asin(x);
    default: /* EW_ATAN */
        return atan(x);
    }
}

__kernel void ew_unary_map(__global REAL *in, int in_off, __global REAL *out, int out_off,
                           int n, int op, float p0, float p1) {
    const int i = get_global_id(0);
    if (i >= n)
        return;
    STORE(out, out_off + i, ew_unary(op, LOAD(in, in_off + i), p0, p1));
}

#ifndef CLD_FP16
/* Four elements a work item where storage is float (n4 = elements / 4): one 16-byte access
   per operand. vload4 needs only float alignment, so any element offset works. */
__kernel void ew_unary_map4(__global REAL *in, int in_off, __global REAL *out, int out_off,
                            int n4, int op, float p0, float p1) {
    const int i = get_global_id(0);
    if (i >= n4)
        return;
    const float4 x = vload4(0, in + in_off + 4 * i);
    const float4 y = (float4)(ew_unary(op, x.s0, p0, p1), ew_unary(op, x.s1, p0, p1),
                              ew_unary(op, x.s2, p0, p1), ew_unary(op, x.s3, p0, p1));
    vstore4(y, 0, out + out_off + 4 * i);
}

float4 ew_operand4(__global REAL *p, int off, int step, int i) {
    return step != 0 ? vload4(0, p + off + 4 * i) : (float4)(p[off]);
}

/* ew_binary_flat four elements a work item where storage is float. */
__kernel void ew_binary_flat4(__global REAL *a, int a_off, __global REAL *b, int b_off,
                              __global REAL *out, int out_off, int n4, int a_step, int b_step,
                              int op, float lo, float hi) {
    const int i = get_global_id(0);
    if (i >= n4)
        return;
    const float4 x = ew_operand4(a, a_off, a_step, i), y = ew_operand4(b, b_off, b_step, i);
    const float4 z = (float4)(ew_clamp(ew_binary(op, x.s0, y.s0), lo, hi),
                              ew_clamp(ew_binary(op, x.s1, y.s1), lo, hi),
                              ew_clamp(ew_binary(op, x.s2, y.s2), lo, hi),
                              ew_clamp(ew_binary(op, x.s3, y.s3), lo, hi));
    vstore4(z, 0, out + out_off + 4 * i);
}
#endif
