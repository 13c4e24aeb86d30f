/* In-place int8 depthwise convolution for Cortex-M55 Helium (ukernels/dwconv_qs8_inplace.h):
   eight output channels per step, the filter read where the model keeps it. VLDRB.S16 widens
   eight bytes of a tap to int16 lanes as it loads them, for the input and the weights alike;
   x - zp_in (within +-255) times a weight (within +-128) fits int16 x int16, and VMULLB/VMULLT
   give the int32 products of the even and the odd lanes, added into two int32 accumulators.
   VST2 interleaves the two back into channel order, then the bias is added (the sums wrap
   modulo 2^32 like the reference's, so the order of the additions does not matter) and each
   output is requantized (mve.h). With channel multiplier 2 the input lanes come from a gather
   at byte offsets 0, 0, 1, 1, 2, 2, 3, 3. The last channels (fewer than eight) run under a
   VCTP predicate: loads zero the lanes past the end and the stores skip them. */
#include "ukernels/dwconv_qs8_inplace.h"
#include "ukernels/mve/mve.h"

/* The byte offsets of the input lanes with channel multiplier 2. */
static const uint16_t m2_lanes[8] = {0, 0, 1, 1, 2, 2, 3, 3};

/* The sums of eight channels over the taps: even channels in acc[0], odd ones in acc[1].
   pred: the channels to load (all for a full step). */
MVE_INLINE void group8(const int8_t *x, const int8_t *w, size_t rows, size_t cols,
                       size_t x_row_step, size_t x_col_step, size_t w_row_step, size_t channels,
                       int16_t zp, bool m2, bool tail, mve_pred16_t pred, int32x4_t acc[2]) {
    const uint16x8_t offsets = vldrhq_u16(m2_lanes);
    int32x4_t even = vdupq_n_s32(0), odd = vdupq_n_s32(0);
    for (size_t i = 0; i < rows; i++, x += x_row_step, w += w_row_step) {
        const int8_t *wp = w;
        for (const int8_t *xp = x, *end = x + cols * x_col_step; xp != end;
             xp += x_col_step, wp += channels) {
            int16x8_t xv, wv;
            if (tail) {
                xv = m2 ? vldrbq_gather_offset_z_s16(xp, offsets, pred) : vldrbq_z_s16(xp, pred);
                wv = vldrbq_z_s16(wp, pred);
            } else {
                xv = m2 ? vldrbq_gather_offset_s16(xp, offsets) : vldrbq_s16(xp);
                wv = vldrbq_s16(wp);
            }
            xv = vsubq_n_s16(xv, zp); /* lanes past the end: -zp times a zero weight */
            even = vaddq_s32(even, vmullbq_int_s16(xv, wv));
            odd = vaddq_s32(odd, vmulltq_int_s16(xv, wv));
        }
    }
    acc[0] = even;
    acc[1] = odd;
}

/* Requantizes and stores channels c .. c + 7 (those under pred0, pred1) from the even and
   odd sums. */
MVE_INLINE void finish8(const int32x4_t acc[2], const int32_t *bias, size_t c,
                        const ember_dwconv_qs8_inplace_params *p, mve_pred16_t pred0,
                        mve_pred16_t pred1, int8_t *out) {
    int32_t sums[8];
    const int32x4x2_t pair = {{acc[0], acc[1]}};
    vst2q_s32(sums, pair); /* channel order: even 0, odd 0, even 1, ... */
    int32x4_t lo = vldrwq_s32(sums), hi = vldrwq_s32(sums + 4);
    if (bias != NULL) {
        lo = vaddq_s32(lo, vldrwq_z_s32(bias + c, pred0));
        hi = vaddq_s32(hi, vldrwq_z_s32(bias + c + 4, pred1));
    }
    vstrbq_p_s32(out + c, mve_requant(lo, vldrwq_z_s32(p->mult + c, pred0),
                                      vldrwq_z_s32(p->shift + c, pred0), &p->out), pred0);
    vstrbq_p_s32(out + c + 4, mve_requant(hi, vldrwq_z_s32(p->mult + c + 4, pred1),
                                          vldrwq_z_s32(p->shift + c + 4, pred1), &p->out),
                 pred1);
}

MVE_HOT void ember_dwconv_qs8_c8_mve(const int8_t *x, const int8_t *w, const int32_t *bias,
                                     size_t rows, size_t cols, size_t x_row_step,
                                     size_t x_col_step, size_t w_row_step,
                                     const ember_dwconv_qs8_inplace_params *p, int8_t *out) {
    const size_t channels = p->channels;
    const bool m2 = p->multiplier == 2;
    const int16_t zp = (int16_t)p->in_zp;
    const mve_pred16_t all = vctp32q(4);
    int32x4_t acc[2];
    size_t c = 0;
    for (; c + 8 <= channels; c += 8) {
        const int8_t *xc = x + (m2 ? c / 2 : c);
        if (m2)
            group8(xc, w + c, rows, cols, x_row_step, x_col_step, w_row_step, channels, zp, true,
                   false, all, acc);
        else
            group8(xc, w + c, rows, cols, x_row_step, x_col_step, w_row_step, channels, zp,
                   false, false, all, acc);
        finish8(acc, bias, c, p, all, all, out);
    }
    if (c < channels) {
        const uint32_t left = (uint32_t)(channels - c);
        const int8_t *xc = x + (m2 ? c / 2 : c);
        const mve_pred16_t pred = vctp16q(left);
        if (m2)
            group8(xc, w + c, rows, cols, x_row_step, x_col_step, w_row_step, channels, zp, true,
                   true, pred, acc);
        else
            group8(xc, w + c, rows, cols, x_row_step, x_col_step, w_row_step, channels, zp,
                   false, true, pred, acc);
        finish8(acc, bias, c, p, vctp32q(left), vctp32q(left > 4 ? left - 4 : 0), out);
    }
}
