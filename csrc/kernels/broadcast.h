/* Numpy broadcasting of two operands for ADD, SUB, MUL and DIV, shared by their op files.

   prepare turns the two input shapes into a short list of collapsed dims with per-operand
   element strides (0 where the operand is broadcast), so eval is one odometer over the outer
   dims around a contiguous inner row. Equal shapes and scalar operands collapse to a single row;
   a per-last-dim operand ([N,H,W,C] op [C]) gives rows of C with both steps 1. */
#ifndef EMBER_KERNELS_BROADCAST_H
#define EMBER_KERNELS_BROADCAST_H

#include "ember_internal.h"
#include "kernels/fixed_point.h"
#include "ukernels/vbinary.h"

typedef struct ember_broadcast {
    size_t count;                    /* output elements; 0 means nothing to do */
    uint32_t rank;                   /* collapsed dims, >= 1 */
    size_t dims[EMBER_MAX_RANK];     /* collapsed output dims, outermost first */
    size_t a_stride[EMBER_MAX_RANK]; /* element stride of input 0 per dim, 0 = broadcast */
    size_t b_stride[EMBER_MAX_RANK]; /* the same for input 1 */
} ember_broadcast;

/* One output row: out[i] = clamp(a[i * a_step] OP b[i * b_step], lo, hi) for i < n, where each
   step is 0 or 1. out may be the same array as a or b (in place) but never partly overlap. */
typedef void (*ember_binary_row_f32)(float *out, const float *a, size_t a_step, const float *b,
                                     size_t b_step, size_t n, float lo, float hi);

/* What prepare derives for every binary op. */
typedef struct ember_binary_data {
    ember_broadcast bc;
    float lo, hi; /* fused activation range */
    /* float32 microkernels (ember_binary_select_f32), or NULL: the op's reference loop */
    const ember_vbinary_f32_ops *ops;
} ember_binary_data;

/* Rules shared by ADD, SUB, MUL and DIV: two float32 inputs, one float32 output whose shape
   is the broadcast of the inputs' shapes, a valid fused activation, and no unsafe aliasing. */
ember_status ember_binary_check(ember_context *ctx, const ember_node *node, const char *op);
/* The same rules with inputs and output of `type` (EMBER_TYPE_*), for the int8 variants. */
ember_status ember_binary_check_type(ember_context *ctx, const ember_node *node, const char *op,
                                     uint8_t type);
/* MAXIMUM and MINIMUM: float32, int8, int32 or int64 binary ops with no fused activation; int8
   compares stored values, so both inputs and the output must share one scale and zero point. */
ember_status ember_compare_check(ember_context *ctx, const ember_node *node, const char *op);
/* Fills node->data with an ember_binary_data. */
ember_status ember_binary_prepare(ember_context *ctx, ember_node *node);
/* For a float32 node prepared by ember_binary_prepare: picks `op`'s microkernels (none under
   isa_mask EMBER_ISA_NONE) and names them in node->variant. */
void ember_binary_select_f32(ember_context *ctx, ember_node *node, ember_vbinary_op op);
/* Runs a node whose data->ops is set: the broadcast's rows through the microkernels, split
   into tiles of whole rows (or of one long row) over the threads when the output is large. */
void ember_binary_run_f32(ember_context *ctx, const ember_binary_data *data, const float *a,
                          const float *b, float *out);
/* Whether an element-wise output of `count` elements is worth splitting over the threads, and
   the elements per tile then (shared by the binary and unary ops). */
bool ember_elementwise_parallel(const ember_context *ctx, size_t count);
size_t ember_elementwise_tile(const ember_context *ctx, size_t count);

void ember_broadcast_init(ember_broadcast *bc, const ember_tensor *a, const ember_tensor *b,
                          const ember_tensor *out);
/* Walks every output row of `bc`, calling `row` on it. */
void ember_broadcast_f32(const ember_broadcast *bc, const float *a, const float *b, float *out,
                         ember_binary_row_f32 row, float lo, float hi);

/* A row of an op whose element types differ (a comparison reads two FLOAT32 and writes BOOL):
   the pointers are at the row's first elements, the steps (0 or 1) count elements. */
typedef void (*ember_binary_row_bytes)(void *out, const void *a, size_t a_step, const void *b,
                                       size_t b_step, size_t n, const void *params);
/* Walks every output row of `bc` for elements of the given byte sizes; `params` is the op's. */
void ember_broadcast_bytes(const ember_broadcast *bc, const void *a, size_t a_size,
                           const void *b, size_t b_size, void *out, size_t out_size,
                           ember_binary_row_bytes row, const void *params);
/* Whether `t` holds plain integers: INT32, INT64, UINT16, UINT32 or UINT64, or INT8, UINT8 or
   INT16 without quantization parameters (with them, those are the quantized types). */
bool ember_is_plain_int(const ember_tensor *t);
/* Plain integer arithmetic (ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM): whether input 0 of the
   node is a plain integer tensor. */
bool ember_binary_is_int(ember_context *ctx, const ember_node *node);
/* The rules of an integer binary op: both inputs and the output of input 0's type (types never
   mix), broadcast shapes, no unsafe aliasing, and no fused activation (a clamp range of floats
   means nothing to integers). */
ember_status ember_binary_check_int(ember_context *ctx, const ember_node *node, const char *op);
/* No input or output of the node (BOOL aside) has quantization parameters: a plain integer
   op reads stored values as the numbers themselves. */
ember_status ember_check_plain_int(ember_context *ctx, const ember_node *node, const char *op);

/* One row function per element type, indexed by EMBER_TYPE_* (NULL where the op has none). */
typedef struct ember_int_rows {
    ember_binary_row_bytes of[EMBER_TYPE_COUNT];
} ember_int_rows;

/* Runs an integer node prepared by ember_binary_prepare: the broadcast walk over the row of
   input 0's type. */
void ember_binary_eval_int(ember_context *ctx, const ember_node *node,
                           const ember_int_rows *rows);

/* Expands X(a, b, sfx, T, W, S, TYPE) once per plain integer type, passing a and b through:
   sfx names the type, T is its C type, W the unsigned type its arithmetic wraps in (at least as
   wide as unsigned int, so integer promotion never turns a product signed, where overflow is
   undefined), S is 1 for a signed type, TYPE its EMBER_TYPE_*. */
#define EMBER_INT_TYPES(X, a, b)                                                              \
    X(a, b, i8, int8_t, uint32_t, 1, EMBER_TYPE_INT8)                                        \
    X(a, b, u8, uint8_t, uint32_t, 0, EMBER_TYPE_UINT8)                                      \
    X(a, b, i16, int16_t, uint32_t, 1, EMBER_TYPE_INT16)                                     \
    X(a, b, u16, uint16_t, uint32_t, 0, EMBER_TYPE_UINT16)                                   \
    X(a, b, i32, int32_t, uint32_t, 1, EMBER_TYPE_INT32)                                     \
    X(a, b, u32, uint32_t, uint32_t, 0, EMBER_TYPE_UINT32)                                   \
    X(a, b, i64, int64_t, uint64_t, 1, EMBER_TYPE_INT64)                                     \
    X(a, b, u64, uint64_t, uint64_t, 0, EMBER_TYPE_UINT64)

/* Defines `name`, an ember_binary_row_bytes over elements of type ET: out[i] = expr, where
   expr reads the operands x and y, the op's `params`, and T, W and S: ET, EW and ES (as
   EMBER_INT_TYPES gives them) under names C sees, since a macro argument is not substituted
   into another argument. Arithmetic that may overflow goes through W, where wrapping is
   defined. */
#define EMBER_INT_ROW(name, ET, EW, ES, expr)                                                 \
    static void name(void *out, const void *a, size_t a_step, const void *b, size_t b_step,   \
                     size_t n, const void *params) {                                          \
        typedef ET T;                                                                         \
        typedef EW W;                                                                         \
        enum { S = ES };                                                                      \
        (void)params;                                                                         \
        (void)sizeof(W);                                                                      \
        (void)S;                                                                              \
        const T *xs = a, *ys = b;                                                             \
        T *o = out;                                                                           \
        for (size_t i = 0; i < n; i++) {                                                      \
            const T x = xs[i * a_step], y = ys[i * b_step];                                   \
            o[i] = (T)(expr);                                                                 \
        }                                                                                     \
    }
#define EMBER_INT_ROW_DEF_(name, expr, sfx, T, W, S, TYPE)                                   \
    EMBER_INT_ROW(name##_##sfx, T, W, S, expr)
#define EMBER_INT_ROW_ENTRY_(name, expr, sfx, T, W, S, TYPE) [TYPE] = name##_##sfx,
/* Defines the ember_int_rows `name`: an EMBER_INT_ROW of `expr` for every plain integer type. */
#define EMBER_INT_ROWS(name, expr)                                                            \
    EMBER_INT_TYPES(EMBER_INT_ROW_DEF_, name, expr)                                           \
    static const ember_int_rows name = {{EMBER_INT_TYPES(EMBER_INT_ROW_ENTRY_, name, expr)}};

/* Dim d of `t` seen right-aligned against an output of rank `rank` (leading dims are 1). */
int32_t ember_aligned_dim(const ember_tensor *t, uint32_t rank, uint32_t d);
/* The output of a binary op has the rank and dims of numpy's broadcast of a and b. */
ember_status ember_check_broadcast_shape(ember_context *ctx, const ember_node *node,
                                         const char *op, const ember_tensor *a,
                                         const ember_tensor *b, const ember_tensor *out);

/* The int8 twin of ember_binary_row_f32; `params` is the op's requantization data. */
typedef void (*ember_binary_row_i8)(int8_t *out, const int8_t *a, size_t a_step,
                                    const int8_t *b, size_t b_step, size_t n,
                                    const void *params);
void ember_broadcast_i8(const ember_broadcast *bc, const int8_t *a, const int8_t *b,
                        int8_t *out, ember_binary_row_i8 row, const void *params);

/* The int16 twin of ember_binary_row_i8 and ember_broadcast_i8. */
typedef void (*ember_binary_row_i16)(int16_t *out, const int16_t *a, size_t a_step,
                                     const int16_t *b, size_t b_step, size_t n,
                                     const void *params);
void ember_broadcast_i16(const ember_broadcast *bc, const int16_t *a, const int16_t *b,
                         int16_t *out, ember_binary_row_i16 row, const void *params);

/* int8 MUL and DIV: zero points, the one requantization multiplier each op derives from its
   scales, and the fused activation's clamp range. */
typedef struct ember_binary_i8_params {
    int32_t a_zp, b_zp, out_zp, mult, shift, q_min, q_max;
} ember_binary_i8_params;

/* Checks the quantization of an int8 MUL or DIV (`op` names it) and its fused activation, and
   fills every field of `q` but mult and shift, which the op derives from the scales. */
ember_status ember_binary_i8_params_read(ember_context *ctx, const ember_node *node,
                                         const char *op, ember_binary_i8_params *q);

/* int8 ADD and SUB, LiteRT's scheme (docs/int8-arithmetic.md, section 4): both inputs
   are moved to a common scale (2 x the larger input scale) with 20 bits of headroom, added or
   subtracted, and the result requantized to the output. */
#define EMBER_ADD_I8_LEFT_SHIFT 20

typedef struct ember_add_i8_params {
    int32_t a_zp, b_zp, out_zp;
    int32_t a_mult, a_shift, b_mult, b_shift, out_mult, out_shift;
    int32_t q_min, q_max;
} ember_add_i8_params;

/* Checks the quantization of an int8 ADD or SUB (`op` names it) and derives its multipliers;
   the output multiplier must be < 1 because LiteRT applies it with a right shift only. */
ember_status ember_add_i8_params_read(ember_context *ctx, const ember_node *node, const char *op,
                                      ember_add_i8_params *q);

/* int16 ADD (16x8), LiteRT's general-scale path: the same scheme with 15 bits of headroom
   (a 16-bit value times 2^15 still fits int32), zero points 0, clamps on the int16 range.
   The parameters are ember_add_i8_params' fields. */
#define EMBER_ADD_I16_LEFT_SHIFT 15

ember_status ember_add_i16_params_read(ember_context *ctx, const ember_node *node,
                                       const char *op, ember_add_i8_params *q);

static inline int32_t ember_add_i16_rescale(int32_t mult, int32_t shift, int16_t v) {
    return ember_multiply_by_quantized_multiplier(v * (1 << EMBER_ADD_I16_LEFT_SHIFT), mult,
                                                  shift);
}

static inline int16_t ember_add_i16_output(const ember_add_i8_params *q, int32_t acc) {
    int32_t v = ember_multiply_by_quantized_multiplier(acc, q->out_mult, q->out_shift);
    v = ember_clamp_i32(v, q->q_min, q->q_max);
    return (int16_t)v;
}

/* One input value on the common scale: MBQM((v - zp) * 2^20, mult, shift). */
static inline int32_t ember_add_i8_rescale(int32_t zp, int32_t mult, int32_t shift, int8_t v) {
    return ember_multiply_by_quantized_multiplier((v - zp) * (1 << EMBER_ADD_I8_LEFT_SHIFT), mult,
                                                  shift);
}

/* The sum or difference of two rescaled inputs, requantized to the output and clamped. */
static inline int8_t ember_add_i8_output(const ember_add_i8_params *q, int32_t acc) {
    int32_t v = ember_multiply_by_quantized_multiplier(acc, q->out_mult, q->out_shift) + q->out_zp;
    v = ember_clamp_i32(v, q->q_min, q->q_max);
    return (int8_t)v;
}

#endif /* EMBER_KERNELS_BROADCAST_H */
