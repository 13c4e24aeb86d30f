/* The 16x8 requantization of CONV2D's and DEPTHWISE_CONV2D's int64 sums
   (ukernels/gemm_qs16x8.h): ember_multiply_by_quantized_multiplier_i64 with its per-channel
   constants taken apart once, at prepare. Portable; the tail of the vector forms. */
#include "ukernels/gemm_qs16x8.h"

void ember_requant_qs16x8_params(size_t n, const int32_t *mult, const int32_t *shift,
                                 int64_t *reduced, int64_t *total) {
    for (size_t c = 0; c < n; c++) {
        reduced[c] = mult[c] < 0x7FFF0000 ? ((int64_t)mult[c] + (1 << 15)) >> 16 : 0x7FFF;
        total[c] = 15 - (shift[c] < -31 ? -31 : shift[c]);
    }
}

void ember_requant_qs16x8_scalar(size_t n, const int64_t *acc, const int64_t *reduced,
                                 const int64_t *total, int32_t q_min, int32_t q_max,
                                 int16_t *out) {
    const int64_t limit = INT64_C(1) << 47;
    for (size_t c = 0; c < n; c++) {
        const int64_t v = acc[c] < -limit ? -limit : acc[c] >= limit ? limit - 1 : acc[c];
        /* |v * reduced| < 2^62; the arithmetic shift floors, so ties go toward +infinity. */
        const int64_t r = (v * reduced[c] + (INT64_C(1) << (total[c] - 1))) >> total[c];
        out[c] = (int16_t)(r < q_min ? q_min : r > q_max ? q_max : r);
    }
}
