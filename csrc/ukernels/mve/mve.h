/* What the Cortex-M55 Helium microkernels share (csrc/ukernels/mve/): the int8 requantization of
 * four int32 sums, exact as requant_qs8.h, and the attribute of their hot loops.
 *
 * The high multiply: VQRDMULH computes (2 x m + 2^31) >> 32 = floor((x m + 2^30) / 2^31), the
 * form requant_qs8.h shows equal to gemmlowp's SRDHM for every product (it saturates only for
 * x = m = INT32_MIN, and the multipliers are never negative). The rounding shift: VRSHL by -r
 * rounds halves up, (h + 2^(r-1)) >> r computed without overflow, where LiteRT's RDBPOT rounds
 * them away from zero; subtracting 1 from a negative h first moves exactly its ties down and no
 * other value across a multiple of 2^r (h & -r has h's sign bit when r > 0 and is 0 when r = 0,
 * so the correction is -1 only where it is needed; the saturating add keeps INT32_MIN + (-1)
 * from wrapping). The zero point is added modulo 2^32 as LiteRT's int32 add, then the clamp. */
#ifndef EMBER_UKERNELS_MVE_MVE_H
#define EMBER_UKERNELS_MVE_MVE_H

#include <arm_mve.h>

#include "ukernels/requant_qs8.h"

#define MVE_INLINE static inline __attribute__((always_inline))
#if defined(__GNUC__) && !defined(__clang__)
#define MVE_HOT __attribute__((optimize("O2")))
#else
#define MVE_HOT
#endif

/* RDBPOT(x, r) per lane with neg_r = -r (0..-31). */
MVE_INLINE int32x4_t mve_rdbpot(int32x4_t x, int32x4_t neg_r) {
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(x, neg_r), 31);
    return vrshlq_s32(vqaddq_s32(x, fixup), neg_r);
}

/* clamp(MBQM(acc, m, shift) + out_zp) per lane, shift in [-31, 31]: lshift = max(shift, 0),
   neg_rshift = min(shift, 0). */
MVE_INLINE int32x4_t mve_requant(int32x4_t acc, int32x4_t m, int32x4_t shift,
                                 const ember_qs8_params *o) {
    const int32x4_t zero = vdupq_n_s32(0);
    const int32x4_t high = vqrdmulhq_s32(vshlq_s32(acc, vmaxq_s32(shift, zero)), m);
    const int32x4_t v = vaddq_n_s32(mve_rdbpot(high, vminq_s32(shift, zero)), o->out_zp);
    return vminq_s32(vmaxq_s32(v, vdupq_n_s32(o->qmin)), vdupq_n_s32(o->qmax));
}

#endif /* EMBER_UKERNELS_MVE_MVE_H */
