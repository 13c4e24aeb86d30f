/* In-place int8 depthwise convolution for Cortex-M55 Helium (ukernels/dwconv_qs8_inplace.h):
   sixteen output channels per step in four int32 vectors, the filter read where the model keeps
   it. VLDRB.S32 widens four bytes of a tap to int32 lanes as it loads them, for the input and
   the weights alike; (x - zp_in) * w is added lane by lane (MVE has no vector-by-vector
   multiply-accumulate that keeps lanes apart), so the sums wrap modulo 2^32 like the
   reference's. With channel multiplier 2 the input lanes come from a gather at byte offsets
   0, 0, 1, 1. The last channels (fewer than sixteen) run four at a time under a VCTP
   predicate: loads zero the lanes past the end and the stores skip them. Requantization:
   mve.h. */
#include "ukernels/dwconv_qs8_inplace.h"
#include "ukernels/mve/mve.h"

/* The byte offsets of the input lanes with channel multiplier 2. */
static const uint32_t m2_lanes[4] = {0, 0, 1, 1};

/* Input lanes k (output channels 4k .. 4k+3 of the group at x): bytes 4k .. 4k+3, or with
   multiplier 2 bytes 2k, 2k, 2k+1, 2k+1. */
MVE_INLINE int32x4_t load_x(const int8_t *x, size_t k, bool m2, uint32x4_t m2_offsets) {
    return m2 ? vldrbq_gather_offset_s32(x + 2 * k, m2_offsets) : vldrbq_s32(x + 4 * k);
}

MVE_INLINE void group16(const int8_t *x, const int8_t *w, size_t rows, size_t cols,
                        size_t x_row_step, size_t x_col_step, size_t w_row_step, size_t channels,
                        int32_t zp, bool m2, int32x4_t acc[4]) {
    const uint32x4_t offsets = vldrwq_u32(m2_lanes);
    int32x4_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (size_t i = 0; i < rows; i++, x += x_row_step, w += w_row_step) {
        const int8_t *wp = w;
        for (const int8_t *xp = x, *end = x + cols * x_col_step; xp != end;
             xp += x_col_step, wp += channels) {
            a0 = vaddq_s32(a0, vmulq_s32(vsubq_n_s32(load_x(xp, 0, m2, offsets), zp),
                                         vldrbq_s32(wp)));
            a1 = vaddq_s32(a1, vmulq_s32(vsubq_n_s32(load_x(xp, 1, m2, offsets), zp),
                                         vldrbq_s32(wp + 4)));
            a2 = vaddq_s32(a2, vmulq_s32(vsubq_n_s32(load_x(xp, 2, m2, offsets), zp),
                                         vldrbq_s32(wp + 8)));
            a3 = vaddq_s32(a3, vmulq_s32(vsubq_n_s32(load_x(xp, 3, m2, offsets), zp),
                                         vldrbq_s32(wp + 12)));
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* The last 1..3 groups of four channels (n of them left, n < 16 not 0), predicated. */
MVE_INLINE int32x4_t tail4(const int8_t *x, const int8_t *w, size_t rows, size_t cols,
                           size_t x_row_step, size_t x_col_step, size_t w_row_step,
                           size_t channels, int32_t zp, bool m2, mve_pred16_t pred,
                           int32x4_t a) {
    const uint32x4_t offsets = vldrwq_u32(m2_lanes);
    for (size_t i = 0; i < rows; i++, x += x_row_step, w += w_row_step) {
        const int8_t *wp = w;
        for (const int8_t *xp = x, *end = x + cols * x_col_step; xp != end;
             xp += x_col_step, wp += channels) {
            const int32x4_t xv = m2 ? vldrbq_gather_offset_z_s32(xp, offsets, pred)
                                    : vldrbq_z_s32(xp, pred);
            a = vaddq_s32(a, vmulq_s32(vsubq_n_s32(xv, zp), vldrbq_z_s32(wp, pred)));
        }
    }
    return a;
}

MVE_HOT void ember_dwconv_qs8_c16_mve(const int8_t *x, const int8_t *w, const int32_t *bias,
                                      size_t rows, size_t cols, size_t x_row_step,
                                      size_t x_col_step, size_t w_row_step,
                                      const ember_dwconv_qs8_inplace_params *p, int8_t *out) {
    const size_t channels = p->channels;
    const bool m2 = p->multiplier == 2;
    size_t c = 0;
    for (; c + 16 <= channels; c += 16) {
        int32x4_t acc[4];
        for (size_t k = 0; k < 4; k++)
            acc[k] = bias != NULL ? vldrwq_s32(bias + c + 4 * k) : vdupq_n_s32(0);
        const int8_t *xc = x + (m2 ? c / 2 : c);
        if (m2)
            group16(xc, w + c, rows, cols, x_row_step, x_col_step, w_row_step, channels,
                    p->in_zp, true, acc);
        else
            group16(xc, w + c, rows, cols, x_row_step, x_col_step, w_row_step, channels,
                    p->in_zp, false, acc);
        for (size_t k = 0; k < 4; k++) {
            const size_t at = c + 4 * k;
            vstrbq_s32(out + at, mve_requant(acc[k], vldrwq_s32(p->mult + at),
                                             vldrwq_s32(p->shift + at), &p->out));
        }
    }
    for (; c < channels; c += 4) {
        const mve_pred16_t pred = vctp32q((uint32_t)(channels - c));
        int32x4_t a = bias != NULL ? vldrwq_z_s32(bias + c, pred) : vdupq_n_s32(0);
        const int8_t *xc = x + (m2 ? c / 2 : c);
        if (m2)
            a = tail4(xc, w + c, rows, cols, x_row_step, x_col_step, w_row_step, channels,
                      p->in_zp, true, pred, a);
        else
            a = tail4(xc, w + c, rows, cols, x_row_step, x_col_step, w_row_step, channels,
                      p->in_zp, false, pred, a);
        const int32x4_t r = mve_requant(a, vldrwq_z_s32(p->mult + c, pred),
                                        vldrwq_z_s32(p->shift + c, pred), &p->out);
        vstrbq_p_s32(out + c, r, pred);
    }
}
