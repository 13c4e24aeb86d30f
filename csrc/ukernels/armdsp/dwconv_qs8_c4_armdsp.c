/* In-place int8 depthwise convolution for the Cortex-M DSP extension
   (ukernels/dwconv_qs8_inplace.h): four output channels per step, the filter read where the
   model keeps it. One 32-bit load brings four channels of a tap; SXTAB16 sign-extends bytes 0
   and 2 (or, rotated, 1 and 3) to 16-bit halves while adding -zp_in to each, SXTB16 does the
   same for the weights, and SMLABB/SMLATT multiply-accumulate the bottom and top halves: one
   instruction per multiply-add, no repacking. (SMLAD would add two taps of one channel at
   once, but in NHWC two taps of a channel are a pixel apart, not side by side: pairing them
   costs a PKHBT or PKHTB per operand, more than it saves.) The sums wrap modulo 2^32 like the
   reference's.
   With channel multiplier 2 the four outputs read two input bytes: loaded once, placed at
   bytes 0 and 2, they serve both halves. The last channels (fewer than four) run one at a
   time. */
#include "ukernels/armdsp/armdsp.h"
#include "ukernels/dwconv_qs8_inplace.h"

/* Input bytes p[0] and p[1] at bytes 0 and 2 of a word (bytes 1 and 3 unused). */
ARMDSP_INLINE uint32_t load2_spread(const int8_t *p) {
    uint16_t h;
    memcpy(&h, p, sizeof h);
    return (uint32_t)h | ((uint32_t)h << 8);
}

/* clamp(MBQM(acc, m, shift) + zp) as requant_qs8.h, inlined into the hot function (the
   header's form, compiled with other optimisation flags, would stay a call): the high multiply
   floor((x m + 2^30) / 2^31) in 64 bits (SMULL and an add), then RDBPOT(h, r) for r >= 1 as
   floor(y / 2^r + 1/2) = (y >> r) + bit r - 1 of y with y = h - 1 for a negative h, which moves
   exactly the negative ties down (h >= -2^31 + 1 for m >= 0, so y never wraps). */
ARMDSP_INLINE int8_t requant(int32_t acc, int32_t m, int32_t shift, const ember_qs8_params *o) {
    const int32_t l = shift > 0 ? shift : 0, r = shift > 0 ? 0 : (shift < -31 ? 31 : -shift);
    const int32_t x = (int32_t)((uint32_t)acc << l);
    int32_t v = (int32_t)(((int64_t)x * m + (INT64_C(1) << 30)) >> 31);
    if (r > 0) {
        const int32_t y = v + (v >> 31);
        v = (y >> r) + ((y >> (r - 1)) & 1);
    }
    v = (int32_t)((uint32_t)v + (uint32_t)o->out_zp); /* modulo 2^32, as the reference */
    v = v < o->qmin ? o->qmin : v;
    return (int8_t)(v > o->qmax ? o->qmax : v);
}

/* Four channels from c of one pixel; m2: channel multiplier 2 (else 1). */
ARMDSP_INLINE void group4(const int8_t *x, const int8_t *w, size_t rows, size_t cols,
                       size_t x_row_step, size_t x_col_step, size_t w_row_step, size_t channels,
                       int16x2_t neg_zp2, bool m2, int32_t acc[4]) {
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (size_t i = 0; i < rows; i++, x += x_row_step, w += w_row_step) {
        const int8_t *wp = w;
        /* the end pointer, not a count: one register fewer keeps the sums in registers */
        for (const int8_t *xp = x, *end = x + cols * x_col_step; xp != end;
             xp += x_col_step, wp += channels) {
            const uint32_t wv = armdsp_load4(wp);
            const int16x2_t w02 = __sxtb16(wv), w13 = armdsp_sxtb16_ror8(wv);
            int16x2_t x02, x13;
            if (m2) {
                x02 = x13 = __sxtab16(neg_zp2, load2_spread(xp));
            } else {
                const uint32_t xv = armdsp_load4(xp);
                x02 = __sxtab16(neg_zp2, xv);
                x13 = armdsp_sxtab16_ror8(neg_zp2, xv);
            }
            a0 = __smlabb(x02, w02, a0);
            a2 = __smlatt(x02, w02, a2);
            a1 = __smlabb(x13, w13, a1);
            a3 = __smlatt(x13, w13, a3);
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

ARMDSP_HOT void ember_dwconv_qs8_c4_armdsp(const int8_t *x, const int8_t *w, const int32_t *bias,
                                size_t rows, size_t cols, size_t x_row_step, size_t x_col_step,
                                size_t w_row_step, const ember_dwconv_qs8_inplace_params *p,
                                int8_t *out) {
    const size_t channels = p->channels;
    const bool m2 = p->multiplier == 2;
    /* -zp_in in both 16-bit halves (|zp_in| <= 128) */
    const int16x2_t neg_zp2 = armdsp_dup16(-p->in_zp);
    size_t c = 0;
    for (; c + 4 <= channels; c += 4) {
        int32_t acc[4] = {0, 0, 0, 0};
        if (bias != NULL)
            memcpy(acc, bias + c, sizeof acc);
        const int8_t *xc = x + (m2 ? c / 2 : c);
        if (m2)
            group4(xc, w + c, rows, cols, x_row_step, x_col_step, w_row_step, channels, neg_zp2,
                   true, acc);
        else
            group4(xc, w + c, rows, cols, x_row_step, x_col_step, w_row_step, channels, neg_zp2,
                   false, acc);
        for (size_t k = 0; k < 4; k++)
            out[c + k] = requant(acc[k], p->mult[c + k], p->shift[c + k], &p->out);
    }
    for (; c < channels; c++) {
        uint32_t acc = bias != NULL ? (uint32_t)bias[c] : 0u;
        const int8_t *xr = x + (m2 ? c / 2 : c), *wr = w + c;
        for (size_t i = 0; i < rows; i++, xr += x_row_step, wr += w_row_step)
            for (size_t j = 0; j < cols; j++)
                acc += (uint32_t)(wr[j * channels] * (xr[j * x_col_step] - p->in_zp));
        out[c] = requant((int32_t)acc, p->mult[c], p->shift[c], &p->out);
    }
}
