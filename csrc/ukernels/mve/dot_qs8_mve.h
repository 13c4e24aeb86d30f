/* The inner products of the mve int8 CONV2D and FULLY_CONNECTED kernels
 * (ukernels/conv_qs8_inplace.h). Header-only.
 *
 * x - zp does not fit int8, so per 16-byte step VMLADAVA adds sum x * w and VADDVA sum w of the
 * same lanes; the caller adds sum_xw - zp * sum_w, which is sum w * (x - zp) exactly (as
 * integers, so modulo 2^32 too). The loops are tail-predicated: the last step's inactive
 * lanes touch no memory and count in no sum, so no run is read past its end. */
#ifndef EMBER_UKERNELS_MVE_DOT_QS8_MVE_H
#define EMBER_UKERNELS_MVE_DOT_QS8_MVE_H

#include <arm_mve.h>
#include <stddef.h>
#include <stdint.h>

#include "ukernels/conv_qs8_inplace.h"

#define EMBER_MVE_INLINE static inline __attribute__((always_inline))

/* The loops below are written in assembly for GCC with optimisation; other builds (GCC -O0,
   Clang, which has no even-register constraint) run the same arithmetic as C intrinsics. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__)
#define EMBER_MVE_ASM 1
#else
#define EMBER_MVE_ASM 0
#endif

/* For `pairs` channel pairs, the first channel's weights at r->w and each next channel's ws
   bytes further: tot[c] += sum over the runs of r of w_c * (x - zp), modulo 2^32, for the
   2 * pairs channels c. Per pair and run a tail-predicated low-overhead loop (DLSTP.8 / LETP):
   each step loads 16 bytes of the input and of both channels' weights, the last step only the
   bytes left; VMLAVA adds x * w, VADDVA w, and the pair ends with tot += sum_xw - zp * sum_w
   (MLS). Written in assembly: GCC -Os spilled the sums and rebuilt the predicate on every
   step. VMLAVA and VADDVA need their sums in even registers (constraint Te), seven of which
   exist beside LR, hence two channels per pass. It keeps 11 values in core registers besides
   LR (free between runs, it carries the run and pair steps from the stack), so that a frame
   pointer and a spare remain at every optimisation level. */
static __attribute__((noinline)) void ember_dot_qs8_pairs_mve(const ember_conv_qs8_runs *r,
                                                              size_t ws, size_t pairs,
                                                              int32_t zp, int32_t *tot) {
    if (r->n == 0 || r->rows == 0 || pairs == 0)
        return;
#if EMBER_MVE_ASM
    /* The loop leaves each pointer 16 * ceil(n / 16) bytes on; dx and dw take it to the next
       run; after a pair's runs, dwp takes the weights to the next pair. */
    const size_t step = (r->n + 15) & ~(size_t)15;
    const size_t dx = r->x_stride - step, dw = r->w_stride - step;
    const size_t dwp = 2 * ws - r->rows * r->w_stride;
    const int8_t *const x0 = r->x;
    const size_t rows0 = r->rows;
    const int8_t *w0 = r->w, *w1 = r->w + ws, *x;
    size_t rows;
    int32_t a0, a1, b0, b1;
    int8x16_t vx, v0, v1;
    /* volatile: its results go to memory (tot), which GCC would not count as an output. */
    __asm__ volatile("3:\n\t"
            "ldrd %[a0], %[a1], [%[tot]]\n\t"
            "movs %[b0], #0\n\t"
            "movs %[b1], #0\n\t"
            "ldr %[x], %[x0]\n\t"
            "ldr %[rows], %[rows0]\n"
            "2:\n\t"
            "dlstp.8 lr, %[n]\n"
            "1:\n\t"
            "vldrb.8 %q[vx], [%[x]], #16\n\t"
            "vldrb.8 %q[v0], [%[w0]], #16\n\t"
            "vmlava.s8 %[a0], %q[vx], %q[v0]\n\t"
            "vldrb.8 %q[v1], [%[w1]], #16\n\t"
            "vaddva.s8 %[b0], %q[v0]\n\t"
            "vmlava.s8 %[a1], %q[vx], %q[v1]\n\t"
            "vaddva.s8 %[b1], %q[v1]\n\t"
            "letp lr, 1b\n\t"
            "ldr lr, %[dx]\n\t"
            "add %[x], %[x], lr\n\t"
            "ldr lr, %[dw]\n\t"
            "add %[w0], %[w0], lr\n\t"
            "add %[w1], %[w1], lr\n\t"
            "subs %[rows], %[rows], #1\n\t"
            "bne 2b\n\t"
            "ldr %[rows], %[zp]\n\t"
            "mls %[a0], %[b0], %[rows], %[a0]\n\t"
            "mls %[a1], %[b1], %[rows], %[a1]\n\t"
            "strd %[a0], %[a1], [%[tot]], #8\n\t"
            "ldr %[rows], %[dwp]\n\t"
            "add %[w0], %[w0], %[rows]\n\t"
            "add %[w1], %[w1], %[rows]\n\t"
            "subs %[pairs], %[pairs], #1\n\t"
            "bne 3b\n"
            : [tot] "+r"(tot), [pairs] "+r"(pairs), [w0] "+r"(w0), [w1] "+r"(w1),
              [x] "=&r"(x), [rows] "=&r"(rows), [a0] "=&Te"(a0), [a1] "=&Te"(a1),
              [b0] "=&Te"(b0), [b1] "=&Te"(b1), [vx] "=&w"(vx), [v0] "=&w"(v0),
              [v1] "=&w"(v1)
            : [n] "r"(r->n), [dx] "m"(dx), [dw] "m"(dw), [x0] "m"(x0), [rows0] "m"(rows0),
              [zp] "m"(zp), [dwp] "m"(dwp)
            : "lr", "cc", "memory");
#else
    for (size_t p = 0; p < pairs; p++, tot += 2) {
        int32_t a0 = tot[0], a1 = tot[1], b0 = 0, b1 = 0;
        for (size_t row = 0; row < r->rows; row++) {
            const int8_t *x = r->x + row * r->x_stride;
            const int8_t *w0 = r->w + 2 * p * ws + row * r->w_stride, *w1 = w0 + ws;
            for (size_t k = 0; k < r->n; k += 16) {
                const mve_pred16_t pr = vctp8q((uint32_t)(r->n - k));
                const int8x16_t vx = vldrbq_z_s8(x + k, pr);
                const int8x16_t v0 = vldrbq_z_s8(w0 + k, pr), v1 = vldrbq_z_s8(w1 + k, pr);
                a0 = vmladavaq_s8(a0, vx, v0);
                b0 = vaddvaq_s8(b0, v0);
                a1 = vmladavaq_s8(a1, vx, v1);
                b1 = vaddvaq_s8(b1, v1);
            }
        }
        tot[0] = (int32_t)((uint32_t)a0 - (uint32_t)b0 * (uint32_t)zp);
        tot[1] = (int32_t)((uint32_t)a1 - (uint32_t)b1 * (uint32_t)zp);
    }
#endif
}

/* sum_xw += sum x * w and sum_w += sum w over the runs of r, for one channel (r->w): the
   loop of ember_dot_qs8_pairs_mve. */
static __attribute__((noinline)) void ember_dot_qs8_1_mve(const ember_conv_qs8_runs *r,
                                                          int32_t *sum_xw, int32_t *sum_w) {
    if (r->n == 0 || r->rows == 0)
        return;
#if EMBER_MVE_ASM
    const int8_t *x = r->x, *w = r->w;
    const size_t step = (r->n + 15) & ~(size_t)15;
    const size_t dx = r->x_stride - step, dw = r->w_stride - step;
    size_t rows = r->rows;
    int32_t a = *sum_xw, b = *sum_w;
    int8x16_t vx, v;
    __asm__("2:\n\t"
            "dlstp.8 lr, %[n]\n"
            "1:\n\t"
            "vldrb.8 %q[vx], [%[x]], #16\n\t"
            "vldrb.8 %q[v], [%[w]], #16\n\t"
            "vmlava.s8 %[a], %q[vx], %q[v]\n\t"
            "vaddva.s8 %[b], %q[v]\n\t"
            "letp lr, 1b\n\t"
            "add %[x], %[x], %[dx]\n\t"
            "add %[w], %[w], %[dw]\n\t"
            "subs %[rows], %[rows], #1\n\t"
            "bne 2b\n"
            : [x] "+r"(x), [w] "+r"(w), [rows] "+r"(rows), [a] "+Te"(a), [b] "+Te"(b),
              [vx] "=&w"(vx), [v] "=&w"(v)
            : [n] "r"(r->n), [dx] "r"(dx), [dw] "r"(dw)
            : "lr", "cc", "memory");
#else
    int32_t a = *sum_xw, b = *sum_w;
    for (size_t row = 0; row < r->rows; row++) {
        const int8_t *x = r->x + row * r->x_stride, *w = r->w + row * r->w_stride;
        for (size_t k = 0; k < r->n; k += 16) {
            const mve_pred16_t pr = vctp8q((uint32_t)(r->n - k));
            const int8x16_t v = vldrbq_z_s8(w + k, pr);
            a = vmladavaq_s8(a, vldrbq_z_s8(x + k, pr), v);
            b = vaddvaq_s8(b, v);
        }
    }
#endif
    *sum_xw = a;
    *sum_w = b;
}

#endif /* EMBER_UKERNELS_MVE_DOT_QS8_MVE_H */
