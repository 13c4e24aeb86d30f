/* The inner products of the mve int8 CONV2D and FULLY_CONNECTED kernels (ukernels/conv_qs8.h),
 * and their requantization of four sums at once. Header-only.
 *
 * x - zp does not fit int8, so per 16-byte step VMLADAVA adds sum x * w and VADDVA sum w of the
 * same lanes; the caller adds sum_xw - zp * sum_w, which is sum w * (x - zp) exactly (as
 * integers, so modulo 2^32 too). The last step loads only the bytes left (VCTP8 predicate,
 * inactive lanes read as 0 and touch no memory), so no run is read past its end. */
#ifndef EMBER_UKERNELS_MVE_DOT_QS8_MVE_H
#define EMBER_UKERNELS_MVE_DOT_QS8_MVE_H

#include <arm_mve.h>
#include <stddef.h>
#include <stdint.h>

#include "ukernels/requant_qs8.h"

#define EMBER_MVE_INLINE static inline __attribute__((always_inline))

/* sum_xw[c] += sum x * w_c and sum_w[c] += sum w_c over n bytes, for the four runs
   w_c = w + c * ws. */
EMBER_MVE_INLINE void ember_dot_qs8_4_mve(const int8_t *x, const int8_t *w, size_t ws, size_t n,
                                          int32_t sum_xw[4], int32_t sum_w[4]) {
    const int8_t *w0 = w, *w1 = w + ws, *w2 = w + 2 * ws, *w3 = w + 3 * ws;
    int32_t a0 = sum_xw[0], a1 = sum_xw[1], a2 = sum_xw[2], a3 = sum_xw[3];
    int32_t b0 = sum_w[0], b1 = sum_w[1], b2 = sum_w[2], b3 = sum_w[3];
    for (size_t k = 0; k < n; k += 16) {
        const mve_pred16_t p = vctp8q((uint32_t)(n - k));
        const int8x16_t xv = vldrbq_z_s8(x + k, p);
        int8x16_t wv = vldrbq_z_s8(w0 + k, p);
        a0 = vmladavaq_s8(a0, xv, wv);
        b0 = vaddvaq_s8(b0, wv);
        wv = vldrbq_z_s8(w1 + k, p);
        a1 = vmladavaq_s8(a1, xv, wv);
        b1 = vaddvaq_s8(b1, wv);
        wv = vldrbq_z_s8(w2 + k, p);
        a2 = vmladavaq_s8(a2, xv, wv);
        b2 = vaddvaq_s8(b2, wv);
        wv = vldrbq_z_s8(w3 + k, p);
        a3 = vmladavaq_s8(a3, xv, wv);
        b3 = vaddvaq_s8(b3, wv);
    }
    sum_xw[0] = a0;
    sum_xw[1] = a1;
    sum_xw[2] = a2;
    sum_xw[3] = a3;
    sum_w[0] = b0;
    sum_w[1] = b1;
    sum_w[2] = b2;
    sum_w[3] = b3;
}

/* sum_xw[0] += sum x * w and sum_w[0] += sum w over n bytes, for the one run w. */
EMBER_MVE_INLINE void ember_dot_qs8_1_mve(const int8_t *x, const int8_t *w, size_t n,
                                          int32_t *sum_xw, int32_t *sum_w) {
    int32_t a = *sum_xw, b = *sum_w;
    for (size_t k = 0; k < n; k += 16) {
        const mve_pred16_t p = vctp8q((uint32_t)(n - k));
        const int8x16_t wv = vldrbq_z_s8(w + k, p);
        a = vmladavaq_s8(a, vldrbq_z_s8(x + k, p), wv);
        b = vaddvaq_s8(b, wv);
    }
    *sum_xw = a;
    *sum_w = b;
}

/* The four sums bias + sum_xw - zp * sum_w, modulo 2^32. */
EMBER_MVE_INLINE int32x4_t ember_dot_qs8_finish_mve(int32x4_t bias, const int32_t sum_xw[4],
                                                    const int32_t sum_w[4], int32_t zp) {
    const uint32x4_t xw = vreinterpretq_u32_s32(vldrwq_s32(sum_xw));
    const uint32x4_t sw = vreinterpretq_u32_s32(vldrwq_s32(sum_w));
    const uint32x4_t t = vsubq_u32(vaddq_u32(vreinterpretq_u32_s32(bias), xw),
                                   vmulq_n_u32(sw, (uint32_t)zp));
    return vreinterpretq_s32_u32(t);
}

/* Four sums requantized as ember_qs8_requantize does (per lane: MBQM by m and shift, shift in
   [-31, 31], then + out_zp modulo 2^32 and the clamp). VQRDMULH is SRDHM for m >= 0 (see
   requant_qs8.h); VRSHL by -r rounds ties up, so a negative value first loses 1 when r > 0,
   which moves exactly its ties down (as in neon/requant_qs8_neon.h). */
EMBER_MVE_INLINE int32x4_t ember_qs8_requant4_mve(int32x4_t acc, int32x4_t m, int32x4_t shift,
                                                  const ember_qs8_params *p) {
    const int32x4_t zero = vdupq_n_s32(0);
    const int32x4_t lshift = vmaxq_s32(shift, zero);
    const int32x4_t neg_rshift = vminq_s32(shift, zero);
    const int32x4_t high = vqrdmulhq_s32(vshlq_s32(acc, lshift), m);
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(high, neg_rshift), 31);
    int32x4_t v = vrshlq_s32(vqaddq_s32(high, fixup), neg_rshift);
    v = vreinterpretq_s32_u32(
        vaddq_u32(vreinterpretq_u32_s32(v), vdupq_n_u32((uint32_t)p->out_zp)));
    v = vmaxq_s32(v, vdupq_n_s32(p->qmin));
    return vminq_s32(v, vdupq_n_s32(p->qmax));
}

#endif /* EMBER_UKERNELS_MVE_DOT_QS8_MVE_H */
