/* float32 <-> IEEE binary16 on the host, for fp16 plans: weights at upload, partition inputs
   and outputs at invoke. Bit arithmetic only (no compiler half type needed). */
#include <string.h>

#include "runtime.h"

uint16_t cld_float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t a = x & 0x7fffffffu;
    if (a >= 0x7f800000u) /* inf, or NaN kept quiet */
        return (uint16_t)(sign | 0x7c00u | (a > 0x7f800000u ? 0x200u : 0u));
    if (a >= 0x477ff000u) /* 65520 and above round to infinity */
        return (uint16_t)(sign | 0x7c00u);
    uint32_t q, rem, half;
    if (a < 0x38800000u) { /* below 2^-14: a half subnormal, in units of 2^-24 */
        if (a <= 0x33000000u) /* up to 2^-25 (a tie with 0, which is even) */
            return sign;
        uint32_t e = a >> 23, mant = (a & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126u - e;
        q = mant >> shift;
        rem = mant & ((1u << shift) - 1u);
        half = 1u << (shift - 1u);
    } else {
        q = ((a >> 23) - 112u) << 10 | ((a >> 13) & 0x3ffu);
        rem = a & 0x1fffu;
        half = 0x1000u;
    }
    if (rem > half || (rem == half && (q & 1u)))
        q++; /* a carry into the exponent is the right result */
    return (uint16_t)(sign | q);
}

float cld_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu, mant = h & 0x3ffu, bits;
    if (e == 0 && mant == 0) {
        bits = sign;
    } else if (e == 0) { /* subnormal: normalise */
        uint32_t shifts = 0;
        while ((mant & 0x400u) == 0) {
            mant <<= 1;
            shifts++;
        }
        bits = sign | (113u - shifts) << 23 | (mant & 0x3ffu) << 13;
    } else if (e == 31) {
        bits = sign | 0x7f800000u | mant << 13;
    } else {
        bits = sign | (e + 112u) << 23 | mant << 13;
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}
