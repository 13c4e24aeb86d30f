/* int8 max and average pooling for the Cortex-M DSP extension (ukernels/pool_qs8.h), four
   channels per step, the last ones one at a time.
   max: SSUB8 sets a GE flag per byte where the tap is at least the best so far and SEL takes
   those bytes: a four-lane int8 max in two instructions; the clamp is two more such pairs.
   avg: SXTAB16 adds bytes 0 and 2 (or, rotated, 1 and 3) of each tap into two 16-bit sums,
   exact up to 256 taps (|sum| <= 128 x 256 = 2^15); the rounding division by the taps is a
   multiply by ember_avgpool_qs8_recip (UMULL). Larger windows run the portable kernel. */
#include "ukernels/armdsp/armdsp.h"
#include "ukernels/pool_qs8.h"

/* v in all four bytes */
ARMDSP_INLINE uint32_t dup8(int32_t v) {
    return ((uint32_t)v & 0xFFu) * 0x01010101u;
}

/* The larger of each byte pair. */
ARMDSP_INLINE uint32_t max8(uint32_t a, uint32_t b) {
    (void)__ssub8((int8x4_t)a, (int8x4_t)b);
    return (uint32_t)__sel((uint8x4_t)a, (uint8x4_t)b);
}

/* The smaller of each byte pair. */
ARMDSP_INLINE uint32_t min8(uint32_t a, uint32_t b) {
    (void)__ssub8((int8x4_t)a, (int8x4_t)b);
    return (uint32_t)__sel((uint8x4_t)b, (uint8x4_t)a);
}

ARMDSP_HOT void ember_maxpool_qs8_armdsp(const int8_t *first, size_t rows, size_t cols,
                                         size_t row_step, size_t col_step, size_t channels,
                                         int32_t qmin, int32_t qmax, int8_t *out) {
    const uint32_t lo = dup8(qmin), hi = dup8(qmax);
    size_t c = 0;
    for (; c + 4 <= channels; c += 4) {
        uint32_t best = 0x80808080u;
        const int8_t *row = first + c;
        for (size_t i = 0; i < rows; i++, row += row_step)
            for (const int8_t *tap = row, *end = row + cols * col_step; tap != end;
                 tap += col_step)
                best = max8(armdsp_load4(tap), best);
        armdsp_store4(out + c, min8(max8(best, lo), hi));
    }
    if (c < channels)
        ember_maxpool_qs8_scalar(first + c, rows, cols, row_step, col_step, channels - c, qmin,
                                 qmax, out + c);
}

/* sum / taps rounded half away from zero, then clamped; recip = ember_avgpool_qs8_recip(taps)
   for 2 <= taps <= EMBER_AVGPOOL_QS8_RECIP_TAPS. */
ARMDSP_INLINE int8_t average(int32_t sum, uint32_t taps, uint32_t recip, int32_t qmin,
                             int32_t qmax) {
    int32_t v = 0;
    if (taps == 1) {
        v = sum;
    } else if (taps > 1) {
        const uint32_t n = (uint32_t)(sum < 0 ? -sum : sum) + taps / 2;
        const int32_t q = (int32_t)(((uint64_t)n * recip) >> 32);
        v = sum < 0 ? -q : q;
    }
    v = v < qmin ? qmin : v;
    return (int8_t)(v > qmax ? qmax : v);
}

ARMDSP_HOT void ember_avgpool_qs8_armdsp(const int8_t *first, size_t rows, size_t cols,
                                         size_t row_step, size_t col_step, size_t channels,
                                         int32_t qmin, int32_t qmax, int8_t *out) {
    const size_t taps = rows * cols;
    if (taps > 256) {
        ember_avgpool_qs8_scalar(first, rows, cols, row_step, col_step, channels, qmin, qmax, out);
        return;
    }
    const uint32_t recip = taps > 1 ? ember_avgpool_qs8_recip((uint32_t)taps) : 0;
    size_t c = 0;
    for (; c + 4 <= channels; c += 4) {
        int16x2_t s02 = 0, s13 = 0;
        const int8_t *row = first + c;
        for (size_t i = 0; i < rows; i++, row += row_step)
            for (const int8_t *tap = row, *end = row + cols * col_step; tap != end;
                 tap += col_step) {
                const uint32_t v = armdsp_load4(tap);
                s02 = __sxtab16(s02, v);
                s13 = armdsp_sxtab16_ror8(s13, v);
            }
        out[c] = average((int16_t)s02, (uint32_t)taps, recip, qmin, qmax);
        out[c + 1] = average((int16_t)s13, (uint32_t)taps, recip, qmin, qmax);
        out[c + 2] = average(s02 >> 16, (uint32_t)taps, recip, qmin, qmax);
        out[c + 3] = average(s13 >> 16, (uint32_t)taps, recip, qmin, qmax);
    }
    for (; c < channels; c++) {
        int32_t sum = 0;
        const int8_t *row = first + c;
        for (size_t i = 0; i < rows; i++, row += row_step)
            for (size_t j = 0; j < cols; j++)
                sum += row[j * col_step];
        out[c] = average(sum, (uint32_t)taps, recip, qmin, qmax);
    }
}
