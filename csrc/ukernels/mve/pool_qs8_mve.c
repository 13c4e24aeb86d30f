/* int8 max and average pooling for Cortex-M55 Helium (ukernels/pool_qs8.h).
   max: sixteen channels per step with VMAX.S8, the last ones under a VCTP8 predicate.
   avg: eight channels per step, each tap widened to int16 as it loads (VLDRB.S16) and added in
   int16, exact up to 256 taps (|sum| <= 128 x 256 = 2^15); the even and odd lanes widen to
   int32 (VMOVLB, VMOVLT), the rounding division by the taps is a multiply-high by
   ember_avgpool_qs8_recip on |sum| + taps / 2 with the sign put back, and VMOVNB/VMOVNT
   interleave the results back into channel order. The last channels run under a VCTP16
   predicate; windows past 256 taps run the portable kernel. */
#include "ukernels/mve/mve.h"
#include "ukernels/pool_qs8.h"

MVE_HOT void ember_maxpool_qs8_mve(const int8_t *first, size_t rows, size_t cols,
                                   size_t row_step, size_t col_step, size_t channels,
                                   int32_t qmin, int32_t qmax, int8_t *out) {
    const int8x16_t lo = vdupq_n_s8((int8_t)qmin), hi = vdupq_n_s8((int8_t)qmax);
    for (size_t c = 0; c < channels; c += 16) {
        const mve_pred16_t pred = vctp8q((uint32_t)(channels - c));
        int8x16_t best = vdupq_n_s8(-128);
        const int8_t *row = first + c;
        for (size_t i = 0; i < rows; i++, row += row_step)
            for (const int8_t *tap = row, *end = row + cols * col_step; tap != end;
                 tap += col_step)
                best = vmaxq_s8(best, vldrbq_z_s8(tap, pred));
        vstrbq_p_s8(out + c, vminq_s8(vmaxq_s8(best, lo), hi), pred);
    }
}

/* sum / taps rounded half away from zero, taps >= 2 (recip: ember_avgpool_qs8_recip). */
MVE_INLINE int32x4_t divide(int32x4_t sum, uint32_t half, uint32x4_t recip) {
    const uint32x4_t n = vaddq_n_u32(vreinterpretq_u32_s32(vabsq_s32(sum)), half);
    const int32x4_t q = vreinterpretq_s32_u32(vmulhq_u32(n, recip));
    return vpselq_s32(vnegq_s32(q), q, vcmpltq_n_s32(sum, 0));
}

MVE_HOT void ember_avgpool_qs8_mve(const int8_t *first, size_t rows, size_t cols,
                                   size_t row_step, size_t col_step, size_t channels,
                                   int32_t qmin, int32_t qmax, int8_t *out) {
    const size_t taps = rows * cols;
    if (taps > 256) {
        ember_avgpool_qs8_scalar(first, rows, cols, row_step, col_step, channels, qmin, qmax,
                                 out);
        return;
    }
    const uint32x4_t recip = vdupq_n_u32(taps > 1 ? ember_avgpool_qs8_recip((uint32_t)taps) : 0);
    const uint32_t half = (uint32_t)taps / 2;
    const int16x8_t lo = vdupq_n_s16((int16_t)qmin), hi = vdupq_n_s16((int16_t)qmax);
    for (size_t c = 0; c < channels; c += 8) {
        const mve_pred16_t pred = vctp16q((uint32_t)(channels - c));
        int16x8_t sum = vdupq_n_s16(0);
        const int8_t *row = first + c;
        for (size_t i = 0; i < rows; i++, row += row_step)
            for (const int8_t *tap = row, *end = row + cols * col_step; tap != end;
                 tap += col_step)
                sum = vaddq_s16(sum, vldrbq_z_s16(tap, pred));
        int16x8_t avg = sum; /* one tap: the sum; none: 0 */
        if (taps > 1) {
            const int32x4_t even = divide(vmovlbq_s16(sum), half, recip);
            const int32x4_t odd = divide(vmovltq_s16(sum), half, recip);
            avg = vmovntq_s32(vmovnbq_s32(vdupq_n_s16(0), even), odd);
        }
        vstrbq_p_s16(out + c, vminq_s16(vmaxq_s16(avg, lo), hi), pred);
    }
}
