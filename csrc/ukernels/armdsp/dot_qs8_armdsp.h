/* The inner products of the armdsp int8 CONV2D and FULLY_CONNECTED kernels (ukernels/conv_qs8.h):
 * sum_k w[k] * (x[k] - zp) of one input run against one or four weight runs, added to int32
 * sums that wrap modulo 2^32 as the reference's uint32 sums do. Header-only.
 *
 * Per 4 bytes: the input word becomes two int16 pairs x - zp (bytes 0, 2 and, after a rotate by
 * 8, bytes 1, 3) with SXTAB16, whose add of the packed -zp cannot overflow a halfword
 * (x - zp is in [-255, 255]); each weight word becomes the matching int16 pairs with SXTB16, and
 * SMLAD adds both products of a pair (at most 2 * 255 * 128 in size) to the sum. SMLAD's sum
 * wraps like the reference's. */
#ifndef EMBER_UKERNELS_ARMDSP_DOT_QS8_ARMDSP_H
#define EMBER_UKERNELS_ARMDSP_DOT_QS8_ARMDSP_H

#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define EMBER_ARMDSP_INLINE static inline __attribute__((always_inline))

/* -zp in both halfwords, the second operand of SXTAB16. */
static inline int16x2_t ember_armdsp_neg_zp2(int32_t zp) {
    const uint32_t h = (uint32_t)(uint16_t)(int16_t)-zp;
    return (int16x2_t)(h | (h << 16));
}

/* Four bytes at p, which need not be aligned (LDR allows it on Cortex-M3 and up). */
EMBER_ARMDSP_INLINE int8x4_t ember_armdsp_load4(const int8_t *p) {
    int8x4_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* SXTB16 and SXTAB16 of v rotated right by 8 (bytes 1 and 3), in one instruction: ACLE has
   no rotating form, and GCC does not merge a separate rotate into them. */
EMBER_ARMDSP_INLINE int16x2_t ember_armdsp_sxtb16_ror8(int8x4_t v) {
    int16x2_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}

EMBER_ARMDSP_INLINE int16x2_t ember_armdsp_sxtab16_ror8(int16x2_t a, int8x4_t v) {
    int16x2_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(v));
    return r;
}

/* sums[0..3] += the runs w, w + ws, w + 2 ws, w + 3 ws of n bytes against x - zp. */
EMBER_ARMDSP_INLINE void ember_dot_qs8_4_armdsp(const int8_t *x, const int8_t *w, size_t ws,
                                                size_t n, int32_t zp, int16x2_t nzp2,
                                                uint32_t sums[4]) {
    const int8_t *w0 = w, *w1 = w + ws, *w2 = w + 2 * ws, *w3 = w + 3 * ws;
    const int8_t *const x_end = x + (n & ~(size_t)3);
    int32_t s0 = (int32_t)sums[0], s1 = (int32_t)sums[1];
    int32_t s2 = (int32_t)sums[2], s3 = (int32_t)sums[3];
    while (x != x_end) {
        const int8x4_t xv = ember_armdsp_load4(x);
        x += 4;
        const int16x2_t xe = __sxtab16(nzp2, xv);
        const int16x2_t xo = ember_armdsp_sxtab16_ror8(nzp2, xv);
        int8x4_t wv = ember_armdsp_load4(w0);
        w0 += 4;
        s0 = __smlad(xe, __sxtb16(wv), s0);
        s0 = __smlad(xo, ember_armdsp_sxtb16_ror8(wv), s0);
        wv = ember_armdsp_load4(w1);
        w1 += 4;
        s1 = __smlad(xe, __sxtb16(wv), s1);
        s1 = __smlad(xo, ember_armdsp_sxtb16_ror8(wv), s1);
        wv = ember_armdsp_load4(w2);
        w2 += 4;
        s2 = __smlad(xe, __sxtb16(wv), s2);
        s2 = __smlad(xo, ember_armdsp_sxtb16_ror8(wv), s2);
        wv = ember_armdsp_load4(w3);
        w3 += 4;
        s3 = __smlad(xe, __sxtb16(wv), s3);
        s3 = __smlad(xo, ember_armdsp_sxtb16_ror8(wv), s3);
    }
    uint32_t t0 = (uint32_t)s0, t1 = (uint32_t)s1, t2 = (uint32_t)s2, t3 = (uint32_t)s3;
    for (size_t k = 0; k < (n & 3); k++) {
        const int32_t d = x[k] - zp;
        t0 += (uint32_t)(w0[k] * d);
        t1 += (uint32_t)(w1[k] * d);
        t2 += (uint32_t)(w2[k] * d);
        t3 += (uint32_t)(w3[k] * d);
    }
    sums[0] = t0;
    sums[1] = t1;
    sums[2] = t2;
    sums[3] = t3;
}

/* *sum += the run w of n bytes against x - zp. */
EMBER_ARMDSP_INLINE uint32_t ember_dot_qs8_1_armdsp(const int8_t *x, const int8_t *w, size_t n,
                                                    int32_t zp, int16x2_t nzp2, uint32_t sum) {
    int32_t s = (int32_t)sum;
    for (size_t k = n >> 2; k != 0; k--) {
        const int8x4_t xv = ember_armdsp_load4(x);
        const int8x4_t wv = ember_armdsp_load4(w);
        x += 4;
        w += 4;
        s = __smlad(__sxtab16(nzp2, xv), __sxtb16(wv), s);
        s = __smlad(ember_armdsp_sxtab16_ror8(nzp2, xv), ember_armdsp_sxtb16_ror8(wv), s);
    }
    uint32_t t = (uint32_t)s;
    for (size_t k = 0; k < (n & 3); k++)
        t += (uint32_t)(w[k] * (x[k] - zp));
    return t;
}

#endif /* EMBER_UKERNELS_ARMDSP_DOT_QS8_ARMDSP_H */
