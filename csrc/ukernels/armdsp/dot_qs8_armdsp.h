/* The inner products of the armdsp int8 CONV2D and FULLY_CONNECTED kernels
 * (ukernels/conv_qs8_inplace.h): sum_k w[k] * (x[k] - zp) of input runs against one or four
 * channels' weight runs, added to int32 sums that wrap modulo 2^32 as the reference's uint32
 * sums do. Header-only.
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

#include "ukernels/armdsp/armdsp.h"
#include "ukernels/conv_qs8_inplace.h"

/* -zp in both halfwords, the second operand of SXTAB16. */
static inline int16x2_t ember_armdsp_neg_zp2(int32_t zp) {
    const uint32_t h = (uint32_t)(uint16_t)(int16_t)-zp;
    return (int16x2_t)(h | (h << 16));
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__)
/* One word of x (four bytes, less the zero point, as two int16 pairs) into the four channels'
   sums: the step both assembly loops below repeat. Operands: x, p0, p2, ws, nzp, s0..s3, and
   the scratch registers xv, t, xe and xo. */
#define ARMDSP_DOT4_WORD \
    "ldr %[xv], [%[x]], #4\n\t" \
    "ldr %[t], %[nzp]\n\t" \
    "sxtab16 %[xe], %[t], %[xv]\n\t" \
    "sxtab16 %[xo], %[t], %[xv], ror #8\n\t" \
    "ldr %[xv], [%[p0], %[ws]]\n\t" \
    "sxtb16 %[t], %[xv]\n\t" \
    "smlad %[s1], %[xe], %[t], %[s1]\n\t" \
    "sxtb16 %[t], %[xv], ror #8\n\t" \
    "smlad %[s1], %[xo], %[t], %[s1]\n\t" \
    "ldr %[xv], [%[p0]], #4\n\t" \
    "sxtb16 %[t], %[xv]\n\t" \
    "smlad %[s0], %[xe], %[t], %[s0]\n\t" \
    "sxtb16 %[t], %[xv], ror #8\n\t" \
    "smlad %[s0], %[xo], %[t], %[s0]\n\t" \
    "ldr %[xv], [%[p2], %[ws]]\n\t" \
    "sxtb16 %[t], %[xv]\n\t" \
    "smlad %[s3], %[xe], %[t], %[s3]\n\t" \
    "sxtb16 %[t], %[xv], ror #8\n\t" \
    "smlad %[s3], %[xo], %[t], %[s3]\n\t" \
    "ldr %[xv], [%[p2]], #4\n\t" \
    "sxtb16 %[t], %[xv]\n\t" \
    "smlad %[s2], %[xe], %[t], %[s2]\n\t" \
    "sxtb16 %[t], %[xv], ror #8\n\t" \
    "smlad %[s2], %[xo], %[t], %[s2]\n\t"
#endif

/* sums[c] += sum over n bytes of w_c * (x - zp), for the four weight runs w_c = w + c * ws.
   The word loop is written out in assembly (GCC spilled its sums and pointers on every step).
   It keeps 12 values in registers: the input, channel 0's and channel 2's weights (channels 1
   and 3 are ws further, a register offset), ws, the four sums, the input word's two pairs, a
   weight word and its pair; -zp and the input's end are reloaded from the stack each word.
   Inlined only into ember_dot_qs8_4_armdsp, a function of its own (the loop needs nearly every
   core register); unoptimised builds run the same arithmetic in C. */
ARMDSP_INLINE void ember_run_qs8_4_armdsp(const int8_t *x, const int8_t *w, size_t ws,
                                                size_t n, int32_t zp, int16x2_t nzp2,
                                                uint32_t sums[4]) {
    const int8_t *p0 = w, *p2 = w + 2 * ws;
    const int8_t *const x_end = x + (n & ~(size_t)3);
    int32_t s0 = (int32_t)sums[0], s1 = (int32_t)sums[1];
    int32_t s2 = (int32_t)sums[2], s3 = (int32_t)sums[3];
#if defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__)
    int32_t xv, t, xe, xo;
    if (x != x_end)
        __asm__("1:\n\t"
                ARMDSP_DOT4_WORD
                "ldr %[t], %[end]\n\t"
                "cmp %[x], %[t]\n\t"
                "bne 1b\n"
                : [x] "+r"(x), [p0] "+r"(p0), [p2] "+r"(p2), [s0] "+r"(s0), [s1] "+r"(s1),
                  [s2] "+r"(s2), [s3] "+r"(s3), [xv] "=&r"(xv), [t] "=&r"(t), [xe] "=&r"(xe),
                  [xo] "=&r"(xo)
                : [ws] "r"(ws), [end] "m"(x_end), [nzp] "m"(nzp2)
                : "cc", "memory");
#else
    /* GCC -O0 keeps too few registers free for the loop above (and Clang builds take this
       path too): the same arithmetic in C. */
    for (; x != x_end; x += 4, p0 += 4, p2 += 4) {
        const uint32_t xv = armdsp_load4(x);
        const int16x2_t xe = __sxtab16(nzp2, xv), xo = armdsp_sxtab16_ror8(nzp2, xv);
        uint32_t wv = armdsp_load4(p0);
        s0 = __smlad(xo, armdsp_sxtb16_ror8(wv), __smlad(xe, __sxtb16(wv), s0));
        wv = armdsp_load4(p0 + ws);
        s1 = __smlad(xo, armdsp_sxtb16_ror8(wv), __smlad(xe, __sxtb16(wv), s1));
        wv = armdsp_load4(p2);
        s2 = __smlad(xo, armdsp_sxtb16_ror8(wv), __smlad(xe, __sxtb16(wv), s2));
        wv = armdsp_load4(p2 + ws);
        s3 = __smlad(xo, armdsp_sxtb16_ror8(wv), __smlad(xe, __sxtb16(wv), s3));
    }
#endif
    const int8_t *const w0 = p0, *const w1 = p0 + ws, *const w2 = p2, *const w3 = p2 + ws;
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

#if defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__)
/* ember_run_qs8_4_armdsp's word loop over all the runs of r, when n is a non-zero multiple of 4
   (no byte tails): at a run's end the pointers step to the next run and the loop goes on, so
   many short runs (a first layer's few input channels) cost a few instructions each. The
   run's end and the run count live on the stack and are updated there. */
ARMDSP_INLINE void ember_runs_qs8_4_armdsp(const ember_conv_qs8_runs *r, size_t ws,
                                                 int16x2_t nzp2, uint32_t sums[4]) {
    const int8_t *x = r->x, *p0 = r->w, *p2 = r->w + 2 * ws;
    const int8_t *x_end = r->x + r->n;
    const size_t x_step = r->x_stride, dx = r->x_stride - r->n, dw = r->w_stride - r->n;
    size_t rows = r->rows;
    int32_t s0 = (int32_t)sums[0], s1 = (int32_t)sums[1];
    int32_t s2 = (int32_t)sums[2], s3 = (int32_t)sums[3];
    int32_t xv, t, xe, xo;
    __asm__("1:\n\t"
            ARMDSP_DOT4_WORD
            "ldr %[t], %[end]\n\t"
            "cmp %[x], %[t]\n\t"
            "bne 1b\n\t"
            "ldr %[t], %[dx]\n\t"
            "add %[x], %[x], %[t]\n\t"
            "ldr %[t], %[dw]\n\t"
            "add %[p0], %[p0], %[t]\n\t"
            "add %[p2], %[p2], %[t]\n\t"
            "ldr %[t], %[end]\n\t"
            "ldr %[xv], %[xs]\n\t"
            "add %[t], %[t], %[xv]\n\t"
            "str %[t], %[end]\n\t"
            "ldr %[t], %[rows]\n\t"
            "subs %[t], %[t], #1\n\t"
            "str %[t], %[rows]\n\t"
            "bne 1b\n"
            : [x] "+r"(x), [p0] "+r"(p0), [p2] "+r"(p2), [s0] "+r"(s0), [s1] "+r"(s1),
              [s2] "+r"(s2), [s3] "+r"(s3), [xv] "=&r"(xv), [t] "=&r"(t), [xe] "=&r"(xe),
              [xo] "=&r"(xo), [end] "+m"(x_end), [rows] "+m"(rows)
            : [ws] "r"(ws), [nzp] "m"(nzp2), [dx] "m"(dx), [dw] "m"(dw), [xs] "m"(x_step)
            : "cc", "memory");
    sums[0] = (uint32_t)s0;
    sums[1] = (uint32_t)s1;
    sums[2] = (uint32_t)s2;
    sums[3] = (uint32_t)s3;
}
#endif

/* sums[c] += sum over the runs of r (ukernels/conv_qs8_inplace.h) of w_c * (x - zp), for the
   four channels c < 4 whose weight runs are ws bytes apart. */
static __attribute__((noinline)) void ember_dot_qs8_4_armdsp(const ember_conv_qs8_runs *r,
                                                             size_t ws, int32_t zp,
                                                             uint32_t sums[4]) {
    const int16x2_t nzp2 = ember_armdsp_neg_zp2(zp);
#if defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__)
    if (r->n != 0 && (r->n & 3) == 0 && r->rows != 0) {
        ember_runs_qs8_4_armdsp(r, ws, nzp2, sums);
        return;
    }
#endif
    for (size_t row = 0; row < r->rows; row++)
        ember_run_qs8_4_armdsp(r->x + row * r->x_stride, r->w + row * r->w_stride, ws, r->n, zp,
                               nzp2, sums);
}

/* sum + sum over the runs of r of w * (x - zp), for one channel. */
static __attribute__((noinline)) uint32_t ember_dot_qs8_1_armdsp(const ember_conv_qs8_runs *r,
                                                                 int32_t zp, uint32_t sum) {
    const int16x2_t nzp2 = ember_armdsp_neg_zp2(zp);
    int32_t s = (int32_t)sum;
    for (size_t row = 0; row < r->rows; row++) {
        const int8_t *x = r->x + row * r->x_stride, *w = r->w + row * r->w_stride;
        for (size_t k = r->n >> 2; k != 0; k--) {
            const uint32_t xv = armdsp_load4(x);
            const uint32_t wv = armdsp_load4(w);
            x += 4;
            w += 4;
            s = __smlad(__sxtab16(nzp2, xv), __sxtb16(wv), s);
            s = __smlad(armdsp_sxtab16_ror8(nzp2, xv), armdsp_sxtb16_ror8(wv), s);
        }
        uint32_t t = (uint32_t)s;
        for (size_t k = 0; k < (r->n & 3); k++)
            t += (uint32_t)(w[k] * (x[k] - zp));
        s = (int32_t)t;
    }
    return (uint32_t)s;
}

#endif /* EMBER_UKERNELS_ARMDSP_DOT_QS8_ARMDSP_H */
