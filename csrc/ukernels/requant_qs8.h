/* int8 requantization shared by the int8 microkernels (GEMM, depthwise, element-wise): an int32
 * sum becomes an int8 output exactly as LiteRT's reference kernels compute it
 * (kernels/fixed_point.h, ember_requantize_i8), so every variant stays byte-identical.
 *
 * A per-channel multiplier (m, shift) from ember_quantize_multiplier is stored for the vector
 * code as m, lshift = max(shift, 0) and rshift = max(-shift, 0) (each clamped to [0, 31]; a
 * left shift of 32 or more makes LiteRT's int32 product 0, which lshift 31 reproduces only
 * for x = 0, so ember_qs8_split_shift refuses such multipliers: the op keeps its reference).
 *
 * The rounding doubling high multiply of gemmlowp, (x * m + nudge) / 2^31 truncated toward
 * zero with nudge 2^30 for a non-negative product and 1 - 2^30 for a negative one, equals
 * floor((x * m + 2^30) / 2^31) for every product: for a negative product the truncating
 * division rounds up, which the one-short nudge plus 2^31 - 1 turns into the same floor. A
 * vector version therefore needs one 64-bit add and one shift, no sign test. */
#ifndef EMBER_UKERNELS_REQUANT_QS8_H
#define EMBER_UKERNELS_REQUANT_QS8_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ember_qs8_params {
    int32_t out_zp;     /* output zero point */
    int32_t qmin, qmax; /* clamp range of the output (fused activation), within [-128, 127] */
} ember_qs8_params;

/* lshift and rshift of a multiplier's shift; false when shift > 31 (see above). */
static inline bool ember_qs8_split_shift(int32_t shift, int32_t *lshift, int32_t *rshift) {
    if (shift > 31)
        return false;
    *lshift = shift > 0 ? shift : 0;
    *rshift = shift > 0 ? 0 : (-shift > 31 ? 31 : -shift);
    return true;
}

/* The scalar form, the model every vector form follows: clamp(MBQM(acc) + out_zp). */
static inline int8_t ember_qs8_requantize(int32_t acc, int32_t m, int32_t lshift,
                                          int32_t rshift, const ember_qs8_params *p) {
    const int32_t x = (int32_t)((uint32_t)acc << lshift);
    const int32_t high = (int32_t)(((int64_t)x * m + (INT64_C(1) << 30)) >> 31);
    const int32_t mask = (int32_t)((UINT32_C(1) << rshift) - 1u);
    const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    const int32_t r = (high >> rshift) + ((high & mask) > threshold ? 1 : 0);
    /* The zero point is added modulo 2^32, as LiteRT's int32 add and vpaddd do. */
    int32_t v = (int32_t)((uint32_t)r + (uint32_t)p->out_zp);
    v = v < p->qmin ? p->qmin : v;
    return (int8_t)(v > p->qmax ? p->qmax : v);
}

#endif /* EMBER_UKERNELS_REQUANT_QS8_H */
