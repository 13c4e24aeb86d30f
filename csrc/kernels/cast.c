/* CAST: element values converted between any two element types (float32, float64, float16,
   bfloat16, the four float8 types, FLOAT4E2M1, the signed and unsigned integers of 2 to 64
   bits, bool);
   the tensors' types say from and to, and quantization parameters are ignored (an int8 value
   is its stored integer), as LiteRT's CAST, a C++ static_cast, does.
   Floats: to a narrower float rounds to nearest, ties to even, once (float_convert.h: NaN and
   infinity kept; a float8 output saturates to its largest value, as ONNX's default
   saturate=1, unless CastParams.saturate is false: then infinity or NaN, as ONNX's Cast).
   Integer to float rounds to nearest too (a 64-bit integer goes through a double rounded to
   odd, so a second rounding cannot err). Float to integer truncates toward zero; where C
   leaves it undefined (out of range, NaN) the value saturates to the int32 range (int64 for
   UINT32 and 64-bit outputs, [0, 2^64) for positive UINT64 ones) with NaN giving 0, then
   narrows like an integer, which is what numpy gives on x86-64. A wider integer narrows by
   wrapping (two's complement). To BOOL, anything but zero is true (NaN too, as in C, numpy
   and ONNX); from BOOL, any nonzero byte is 1 (format 7). Params: none or CastParams (format 9).
   The sub-byte types (format 9; one element per byte, its bits the byte's low ones) follow
   ml_dtypes, whose casts ONNX's reference and node cases are: a byte's other bits are ignored
   when read and written zero; a float to INT4, UINT4, INT2 or UINT2 truncates toward zero and
   gives 0 when the result is out of the type's range (NaN too); an integer wraps; FLOAT4E2M1
   rounds to nearest even and saturates (float_convert.h).
   FLOAT8E8M0 (a power of two, 2^(code - 127), 0xFF NaN) is written as ONNX's Cast with
   round_mode "up" (the only mode the format has) writes it: the value rounded to float32, its
   exponent field kept, plus one if any fraction bit is set (the sign ignored; infinity and
   NaN give 0xFF; beyond 2^127 saturates to 0xFE unless CastParams.saturate is false).
   Node data: cast_data. */
#include <math.h>
#include <string.h>

#include "ember_internal.h"
#include "kernels/float_convert.h"

struct cast_data {
    uint8_t from, to;
    bool saturate; /* float8 outputs: beyond the range gives the largest value, not NaN/inf */
};

/* A loaded element: a float (any float type, as an exact double) or an integer's bits. */
struct element {
    double f;
    uint64_t bits; /* two's complement for signed types */
    enum { FLOATING, SIGNED, UNSIGNED } kind;
};

static ember_status cast_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 1, 1, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_CAST_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    uint8_t saturate = 1;
    if (node->params_type != 0 &&
        !ember_fb_u8(&node->params, EMBER_SLOT_CAST_PARAMS_SATURATE, 1, &saturate))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (cast): CastParams.saturate is unreadable",
                          node->index);
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    /* Every type the format has is castable; the verifier refused unknown type numbers. */
    if ((st = ember_check_same_shape(ctx, node, "cast", in, out)))
        return st;
    return ember_check_inplace(ctx, node, "cast", in, 0, out);
}

/* The value bits of INT4, UINT4, INT2 and UINT2; 0 for the other types. */
static unsigned sub_byte_int_bits(uint8_t type) {
    switch (type) {
    case EMBER_TYPE_INT4:
    case EMBER_TYPE_UINT4: return 4;
    case EMBER_TYPE_INT2:
    case EMBER_TYPE_UINT2: return 2;
    default: return 0;
    }
}

static bool is_signed_sub_byte(uint8_t type) {
    return type == EMBER_TYPE_INT4 || type == EMBER_TYPE_INT2;
}

/* A sub-byte integer from its byte's low `bits` (the others ignored), sign-extended. */
static struct element load_sub_byte(uint8_t byte, uint8_t type) {
    const unsigned bits = sub_byte_int_bits(type);
    const uint32_t v = byte & ((1u << bits) - 1u), top = 1u << (bits - 1);
    struct element e = {0.0, v, UNSIGNED};
    if (is_signed_sub_byte(type)) {
        e.bits = (v & top) ? v - (UINT64_C(1) << bits) : v; /* wraps to two's complement */
        e.kind = SIGNED;
    }
    return e;
}

static struct element load(const void *p, size_t i, uint8_t type) {
    struct element e = {0.0, 0, FLOATING};
    int64_t s = 0;
    switch (type) {
    case EMBER_TYPE_FLOAT32: e.f = ((const float *)p)[i]; return e;
    case EMBER_TYPE_FLOAT64: e.f = ((const double *)p)[i]; return e;
    case EMBER_TYPE_FLOAT16:
    case EMBER_TYPE_BFLOAT16:
        e.f = ember_narrow_float_decode(type, ((const uint16_t *)p)[i]);
        return e;
    case EMBER_TYPE_INT8: s = ((const int8_t *)p)[i]; break;
    case EMBER_TYPE_INT16: s = ((const int16_t *)p)[i]; break;
    case EMBER_TYPE_INT32: s = ((const int32_t *)p)[i]; break;
    case EMBER_TYPE_INT64: s = ((const int64_t *)p)[i]; break;
    case EMBER_TYPE_BOOL: s = ((const uint8_t *)p)[i] != 0; break;
    case EMBER_TYPE_UINT8: e.bits = ((const uint8_t *)p)[i]; e.kind = UNSIGNED; return e;
    case EMBER_TYPE_UINT16: e.bits = ((const uint16_t *)p)[i]; e.kind = UNSIGNED; return e;
    case EMBER_TYPE_UINT32: e.bits = ((const uint32_t *)p)[i]; e.kind = UNSIGNED; return e;
    case EMBER_TYPE_UINT64: e.bits = ((const uint64_t *)p)[i]; e.kind = UNSIGNED; return e;
    case EMBER_TYPE_INT4:
    case EMBER_TYPE_UINT4:
    case EMBER_TYPE_INT2:
    case EMBER_TYPE_UINT2: return load_sub_byte(((const uint8_t *)p)[i], type);
    case EMBER_TYPE_FLOAT8E8M0: {
        const uint8_t c = ((const uint8_t *)p)[i];
        e.f = c == 0xFF ? NAN : ldexp(1.0, (int)c - 127);
        return e;
    }
    default: /* the float8 types and FLOAT4E2M1 */
        e.f = ember_narrow_float_decode(type, ((const uint8_t *)p)[i]);
        return e;
    }
    e.bits = (uint64_t)s;
    e.kind = SIGNED;
    return e;
}

/* An integer as a double rounded to odd at 53 bits: exact below 2^53, and above it the lowest
   bit records whether bits were dropped, so rounding it again to 24 bits or fewer rounds
   the integer correctly (53 >= 24 + 2). */
static double integer_to_double_odd(const struct element *e) {
    const bool negative = e->kind == SIGNED && (int64_t)e->bits < 0;
    uint64_t mag = negative ? 0u - e->bits : e->bits;
    int shift = 0;
    while ((mag >> shift) >= (UINT64_C(1) << 53))
        shift++;
    if (shift > 0) {
        const bool dropped = (mag & ((UINT64_C(1) << shift) - 1u)) != 0;
        mag = (mag >> shift) | (uint64_t)dropped;
    }
    const double v = ldexp((double)mag, shift);
    return negative ? -v : v;
}

/* Truncation toward zero, saturated as the header says, as two's-complement bits. */
static uint64_t float_to_bits(double f, uint8_t to) {
    if (isnan(f))
        return 0;
    const double t = trunc(f);
    if (to == EMBER_TYPE_UINT64 && t >= 0.0)
        return t >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)t;
    const bool wide = to == EMBER_TYPE_INT64 || to == EMBER_TYPE_UINT64 ||
                      to == EMBER_TYPE_UINT32;
    const double lo = wide ? -9223372036854775808.0 : -2147483648.0;
    const double hi = wide ? 9223372036854775807.0 : 2147483647.0; /* 2^63 as a double */
    if (t <= lo)
        return wide ? (uint64_t)INT64_MIN : (uint64_t)(int64_t)INT32_MIN;
    if (t >= hi)
        return wide ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX;
    return (uint64_t)(int64_t)t;
}

/* A float to a sub-byte integer as ml_dtypes casts it: truncated toward zero, and 0 where
   that is outside the type's range (NaN and infinities too). */
static uint64_t float_to_sub_byte(double f, uint8_t to) {
    const unsigned bits = sub_byte_int_bits(to);
    const double lo = is_signed_sub_byte(to) ? -ldexp(1.0, (int)bits - 1) : 0.0;
    const double hi = is_signed_sub_byte(to) ? ldexp(1.0, (int)bits - 1) - 1.0
                                             : ldexp(1.0, (int)bits) - 1.0;
    const double t = trunc(f);
    if (isnan(t) || t < lo || t > hi)
        return 0;
    return (uint64_t)(int64_t)t;
}

/* Narrowing by keeping the low bytes, without implementation-defined conversions. */
static void store_bits(void *p, size_t i, uint8_t type, uint64_t u) {
    switch (ember_type_bytes(type)) {
    case 1: {
        const uint8_t b = (uint8_t)u;
        memcpy((uint8_t *)p + i, &b, 1);
        break;
    }
    case 2: {
        const uint16_t h = (uint16_t)u;
        memcpy((uint16_t *)p + i, &h, 2);
        break;
    }
    case 4: {
        const uint32_t w = (uint32_t)u;
        memcpy((uint32_t *)p + i, &w, 4);
        break;
    }
    default:
        memcpy((uint64_t *)p + i, &u, 8);
        break;
    }
}

/* FLOAT8E8M0's code for f, round_mode "up" (the header). */
static uint8_t e8m0_up(double f, bool saturate) {
    const float x = (float)f; /* a double beyond float32's range becomes infinity: NaN code */
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    const uint32_t exponent = (b >> 23) & 0xFFu;
    if (exponent == 0xFFu)
        return 0xFF;
    const bool fraction = (b & 0x7FFFFFu) != 0;
    if (fraction && !(exponent == 0xFEu && saturate))
        return (uint8_t)(exponent + 1u);
    return (uint8_t)exponent;
}

static void store_float(void *p, size_t i, uint8_t to, double f, bool saturate) {
    if (to == EMBER_TYPE_FLOAT32)
        ((float *)p)[i] = (float)f;
    else if (to == EMBER_TYPE_FLOAT8E8M0)
        ((uint8_t *)p)[i] = e8m0_up(f, saturate);
    else if (to == EMBER_TYPE_FLOAT64)
        ((double *)p)[i] = f;
    else
        store_bits(p, i, to, ember_narrow_float_encode(to, f, saturate));
}

static bool is_float(uint8_t type) {
    return type == EMBER_TYPE_FLOAT32 || type == EMBER_TYPE_FLOAT64 ||
           type == EMBER_TYPE_FLOAT8E8M0 || ember_is_narrow_float(type);
}

static void store(const struct cast_data *d, void *p, size_t i, const struct element *e) {
    const uint8_t to = d->to;
    if (to == EMBER_TYPE_BOOL) {
        ((uint8_t *)p)[i] = e->kind == FLOATING ? e->f != 0.0 : e->bits != 0;
    } else if (is_float(to)) {
        double f = e->f;
        if (e->kind != FLOATING && to == EMBER_TYPE_FLOAT64)
            f = e->kind == SIGNED ? (double)(int64_t)e->bits : (double)e->bits;
        else if (e->kind != FLOATING)
            f = integer_to_double_odd(e);
        store_float(p, i, to, f, d->saturate);
    } else if (sub_byte_int_bits(to) != 0) {
        /* An integer wraps; only the value bits are written, the byte's others zero. */
        const uint64_t u = e->kind == FLOATING ? float_to_sub_byte(e->f, to) : e->bits;
        ((uint8_t *)p)[i] = (uint8_t)(u & ((1u << sub_byte_int_bits(to)) - 1u));
    } else {
        store_bits(p, i, to, e->kind == FLOATING ? float_to_bits(e->f, to) : e->bits);
    }
}

static void ember_cast_ref(const struct cast_data *d, const void *in, void *out, size_t n) {
    /* A sub-byte type to itself goes through load and store, which clear the other bits. */
    if (d->from == d->to && sub_byte_int_bits(d->from) == 0 &&
        d->from != EMBER_TYPE_FLOAT4E2M1) {
        memmove(out, in, n * ember_type_bytes(d->from));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const struct element e = load(in, i, d->from);
        store(d, out, i, &e);
    }
}

static ember_status cast_prepare(ember_context *ctx, ember_node *node) {
    struct cast_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    d->from = ember_input(ctx, node, 0)->type;
    d->to = ember_output(ctx, node, 0)->type;
    uint8_t saturate = 1; /* cast_check read it */
    if (node->params_type != 0)
        (void)ember_fb_u8(&node->params, EMBER_SLOT_CAST_PARAMS_SATURATE, 1, &saturate);
    d->saturate = saturate != 0;
    node->data = d;
    return EMBER_STATUS_OK;
}

static ember_status cast_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    ember_cast_ref(node->data, in->data, ember_output(ctx, node, 0)->data, in->count);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_cast = {
    EMBER_OP_CAST, "cast", cast_check, cast_prepare, cast_eval,
};
