/* Narrow floats from and to double (float_convert.h), FLOAT4E2M1 among them. Each type is
   described by its mantissa width, its smallest normal exponent and its special codes; one
   rounding routine serves all, so float16, bfloat16, float8 and float4 round the same way. */
#include "kernels/float_convert.h"

#include <math.h>
#include <string.h>

#include "ember_internal.h"

struct narrow_float {
    uint8_t mbits;     /* stored mantissa bits */
    int16_t emin;      /* exponent of the smallest normal value (1 - bias) */
    uint8_t sign_bit;  /* position of the sign bit */
    uint16_t max;      /* the largest finite magnitude's code */
    uint16_t inf;      /* infinity's magnitude code; 0: the type has none */
    uint16_t nan;      /* the NaN written (magnitude code, or the whole code for FNUZ) */
    bool fnuz;         /* no negative zero; the code "-0" is the only NaN */
};

static const struct narrow_float *narrow_float(uint8_t type) {
    static const struct narrow_float f16 = {10, -14, 15, 0x7bff, 0x7c00, 0x7e00, false};
    static const struct narrow_float bf16 = {7, -126, 15, 0x7f7f, 0x7f80, 0x7fc0, false};
    static const struct narrow_float e4m3fn = {3, -6, 7, 0x7e, 0, 0x7f, false};
    static const struct narrow_float e4m3fnuz = {3, -7, 7, 0x7f, 0, 0x80, true};
    static const struct narrow_float e5m2 = {2, -14, 7, 0x7b, 0x7c, 0x7e, false};
    static const struct narrow_float e5m2fnuz = {2, -15, 7, 0x7f, 0, 0x80, true};
    /* No infinity and no NaN: every magnitude code is finite, 0x7 (6.0) the largest. */
    static const struct narrow_float e2m1 = {1, 0, 3, 0x7, 0, 0, false};
    switch (type) {
    case EMBER_TYPE_FLOAT16: return &f16;
    case EMBER_TYPE_BFLOAT16: return &bf16;
    case EMBER_TYPE_FLOAT8E4M3FN: return &e4m3fn;
    case EMBER_TYPE_FLOAT8E4M3FNUZ: return &e4m3fnuz;
    case EMBER_TYPE_FLOAT8E5M2: return &e5m2;
    case EMBER_TYPE_FLOAT8E5M2FNUZ: return &e5m2fnuz;
    case EMBER_TYPE_FLOAT4E2M1: return &e2m1;
    default: return NULL;
    }
}

bool ember_is_narrow_float(uint8_t type) {
    return narrow_float(type) != NULL;
}

double ember_narrow_float_decode(uint8_t type, uint32_t code) {
    const struct narrow_float *f = narrow_float(type);
    const uint32_t sign = (code >> f->sign_bit) & 1u;
    const uint32_t mag = code & ((1u << f->sign_bit) - 1u);
    if (f->fnuz && sign && mag == 0)
        return NAN;
    double v;
    if (mag > f->max) {
        v = mag == f->inf ? INFINITY : NAN; /* for the types with an all-ones exponent */
    } else {
        const uint32_t e = mag >> f->mbits, m = mag & ((1u << f->mbits) - 1u);
        /* Subnormal: m * 2^(emin - mbits); normal: (2^mbits + m) * 2^(e - 1 + emin - mbits). */
        v = e == 0 ? ldexp((double)m, f->emin - f->mbits)
                   : ldexp((double)(m | (1u << f->mbits)), (int)e - 1 + f->emin - f->mbits);
    }
    return sign ? -v : v;
}

/* v / 2^shift rounded to nearest, ties to even. */
static uint64_t round_shift(uint64_t v, int shift) {
    if (shift <= 0)
        return v;
    if (shift >= 64)
        return 0; /* v < 2^53: below half of 2^64 */
    const uint64_t q = v >> shift, rem = v & ((UINT64_C(1) << shift) - 1u);
    const uint64_t half = UINT64_C(1) << (shift - 1);
    return q + (rem > half || (rem == half && (q & 1u)));
}

/* The magnitude code of finite a >= 0, without an upper bound: the exponent field grows past
   the type's when a is too large, which the caller compares with f->max. */
static uint64_t magnitude_code(const struct narrow_float *f, double a) {
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    int e = (int)(bits >> 52);
    uint64_t sig = bits & ((UINT64_C(1) << 52) - 1u);
    if (e == 0)
        e = 1; /* a subnormal double: no implicit bit */
    else
        sig |= UINT64_C(1) << 52;
    e -= 1023;
    if (e < f->emin) /* a subnormal of the narrow type (or the smallest normal, rounded up) */
        return round_shift(sig, 52 - f->mbits + (f->emin - e));
    /* round_shift gives 2^mbits + mantissa; a carry out of the mantissa raises the exponent. */
    return ((uint64_t)(e - f->emin) << f->mbits) + round_shift(sig, 52 - f->mbits);
}

uint32_t ember_narrow_float_encode(uint8_t type, double x, bool saturate) {
    const struct narrow_float *f = narrow_float(type);
    const bool float8 = f->sign_bit == 7, float4 = f->sign_bit == 3;
    const uint32_t sign = (uint32_t)(signbit(x) != 0) << f->sign_bit;
    /* FLOAT4E2M1 has no NaN: ml_dtypes (whose cast ONNX's reference is) writes the zero of the
       other sign, so ONNX's node cases do. */
    if (isnan(x) && float4)
        return sign ^ (1u << f->sign_bit);
    if (isnan(x))
        return f->fnuz ? f->nan : sign | f->nan;
    const uint64_t code = isinf(x) ? UINT64_MAX : magnitude_code(f, fabs(x));
    uint32_t mag;
    if (code <= f->max)
        mag = (uint32_t)code;
    else if ((float8 && saturate) || float4) /* FLOAT4E2M1 always saturates, as ml_dtypes */
        mag = f->max;
    else if (f->inf != 0)
        mag = f->inf;
    else
        return f->fnuz ? f->nan : sign | f->nan;
    if (f->fnuz && mag == 0)
        return 0;
    return sign | mag;
}
