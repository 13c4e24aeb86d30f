/* What the Cortex-M DSP-extension microkernels share (csrc/ukernels/armdsp/): unaligned word
 * loads, the byte extensions with a rotation folded in, and the attribute their hot loops use.
 *
 * The library builds with -Os for Cortex-M; at -Os GCC keeps the accumulators of these loops
 * on the stack, so the hot functions ask for -O2 (GCC only: other compilers keep their flags).
 * SXTB16 and SXTAB16 can rotate their byte operand by 8 for free, which GCC 12's ACLE does not
 * expose: the rotated forms are one instruction of inline assembly each. */
#ifndef EMBER_UKERNELS_ARMDSP_ARMDSP_H
#define EMBER_UKERNELS_ARMDSP_ARMDSP_H

#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

#define ARMDSP_INLINE static inline __attribute__((always_inline))
#if defined(__GNUC__) && !defined(__clang__)
#define ARMDSP_HOT __attribute__((optimize("O2")))
#else
#define ARMDSP_HOT
#endif

/* Four bytes from any address (LDR allows unaligned addresses on ARMv7E-M and ARMv8-M
   Mainline). */
ARMDSP_INLINE uint32_t armdsp_load4(const int8_t *p) {
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

ARMDSP_INLINE void armdsp_store4(int8_t *p, uint32_t v) {
    memcpy(p, &v, sizeof v);
}

/* Bytes 1 and 3 of v sign-extended to the bottom and top 16-bit halves. */
ARMDSP_INLINE int16x2_t armdsp_sxtb16_ror8(uint32_t v) {
    int16x2_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}

/* a plus bytes 1 and 3 of v sign-extended, half by half (each half wraps modulo 2^16). */
ARMDSP_INLINE int16x2_t armdsp_sxtab16_ror8(int16x2_t a, uint32_t v) {
    int16x2_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(v));
    return r;
}

/* v in both 16-bit halves. */
ARMDSP_INLINE int16x2_t armdsp_dup16(int32_t v) {
    return (int16x2_t)(((uint32_t)v & 0xFFFFu) * 0x10001u);
}

#endif /* EMBER_UKERNELS_ARMDSP_ARMDSP_H */
