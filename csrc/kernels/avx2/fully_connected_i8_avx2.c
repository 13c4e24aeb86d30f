/* FULLY_CONNECTED int8, AVX2 build of the reference's arithmetic
   (ember_fully_connected_i8_ref in kernels/fully_connected.c): each unit's sum is one
   vec_i8_dot, whose fixed-size blocks the compiler vectorizes with this directory's -mavx2.
   Byte-identical to the reference: both sums wrap modulo 2^32, whatever the order. */
#include "kernels/fully_connected.h"
#include "kernels/vec_i8.h"

void ember_fully_connected_i8_avx2(const struct fully_connected_data *d, const int8_t *input,
                                   const int8_t *weights, const int32_t *bias, int8_t *output) {
    for (size_t m = 0; m < d->rows; m++) {
        const int8_t *x = input + m * d->depth;
        int8_t *y = output + m * d->units;
        for (size_t n = 0; n < d->units; n++) {
            uint32_t acc = bias ? (uint32_t)bias[n] : 0u;
            acc += vec_i8_dot(x, d->in_zp, weights + n * d->depth, d->depth);
            y[n] = fully_connected_requantize_i8(d, acc, n);
        }
    }
}
