/* NEON int8 pooling microkernels (ukernels/pool_qs8.h), aarch64 and armv7: max over 16
   channels per step (vmaxq_s8); MEAN's channel sums over 8 channels per step in int32 lanes,
   requantized with vqrdmulh and a ties-away rounding shift (as vbinary_qs8_neon.c); the last
   channels go through the portable kernels. */
#include <arm_neon.h>

#include "ukernels/pool_qs8.h"

void ember_maxpool_qs8_neon(const int8_t *first, size_t rows, size_t cols, size_t row_step,
                            size_t col_step, size_t channels, int32_t qmin, int32_t qmax,
                            int8_t *out) {
    const int8x16_t lo = vdupq_n_s8((int8_t)qmin), hi = vdupq_n_s8((int8_t)qmax);
    size_t c = 0;
    for (; c + 16 <= channels; c += 16) {
        int8x16_t best = vdupq_n_s8(-128);
        for (size_t ky = 0; ky < rows; ky++) {
            const int8_t *tap = first + ky * row_step + c;
            for (size_t kx = 0; kx < cols; kx++, tap += col_step)
                best = vmaxq_s8(best, vld1q_s8(tap));
        }
        vst1q_s8(out + c, vminq_s8(vmaxq_s8(best, lo), hi));
    }
    if (c < channels)
        ember_maxpool_qs8_scalar(first + c, rows, cols, row_step, col_step, channels - c, qmin,
                                 qmax, out + c);
}

static inline int32x4_t requant4(int32x4_t acc, const ember_chansum_qs8_params *p) {
    const int32x4_t neg_shift = vdupq_n_s32(-p->rshift);
    const int32x4_t high =
        vqrdmulhq_s32(vshlq_s32(acc, vdupq_n_s32(p->lshift)), vdupq_n_s32(p->mult));
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(high, neg_shift), 31);
    const int32x4_t v = vrshlq_s32(vqaddq_s32(high, fixup), neg_shift);
    return vaddq_s32(v, vdupq_n_s32(p->out.out_zp));
}

void ember_chansum_qs8_neon(const int8_t *in, size_t rows, size_t channels, size_t row_stride,
                            const ember_chansum_qs8_params *p, int8_t *out) {
    const int32x4_t offset = vdupq_n_s32(p->offset);
    const int8x8_t lo = vdup_n_s8((int8_t)p->out.qmin), hi = vdup_n_s8((int8_t)p->out.qmax);
    size_t c = 0;
    for (; c + 8 <= channels; c += 8) {
        int32x4_t s0 = vdupq_n_s32(0), s1 = vdupq_n_s32(0);
        const int8_t *row = in + c;
        for (size_t r = 0; r < rows; r++, row += row_stride) {
            const int16x8_t x = vmovl_s8(vld1_s8(row));
            s0 = vaddw_s16(s0, vget_low_s16(x));
            s1 = vaddw_s16(s1, vget_high_s16(x));
        }
        const int16x8_t w = vcombine_s16(vqmovn_s32(requant4(vsubq_s32(s0, offset), p)),
                                         vqmovn_s32(requant4(vsubq_s32(s1, offset), p)));
        vst1_s8(out + c, vmin_s8(vmax_s8(vqmovn_s16(w), lo), hi));
    }
    if (c < channels)
        ember_chansum_qs8_scalar(in + c, rows, channels - c, row_stride, p, out + c);
}
