/* AVX2 2-D transpose of 4-byte elements (csrc/ukernels/transpose.h): 8 x 8 blocks through
   registers (8 row loads, three shuffle stages, 8 row stores), two side by side where 16 rows
   remain; the ragged edges element by element. */
#include <immintrin.h>

#include "ukernels/transpose.h"

/* out rows k < 8 (cols apart) = column k of the 8 x 8 block whose row j is at in + j * ld. */
static inline void block8(const uint32_t *in, size_t ld, uint32_t *out, size_t cols) {
    __m256 r[8], t[8];
    for (size_t j = 0; j < 8; j++)
        r[j] = _mm256_loadu_ps((const float *)(const void *)(in + j * ld));
    for (size_t j = 0; j < 8; j += 2) {
        t[j] = _mm256_unpacklo_ps(r[j], r[j + 1]);
        t[j + 1] = _mm256_unpackhi_ps(r[j], r[j + 1]);
    }
    for (size_t j = 0; j < 8; j += 4) {
        r[j] = _mm256_shuffle_ps(t[j], t[j + 2], 0x44);
        r[j + 1] = _mm256_shuffle_ps(t[j], t[j + 2], 0xEE);
        r[j + 2] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0x44);
        r[j + 3] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0xEE);
    }
    for (size_t k = 0; k < 4; k++) {
        t[k] = _mm256_permute2f128_ps(r[k], r[k + 4], 0x20);
        t[k + 4] = _mm256_permute2f128_ps(r[k], r[k + 4], 0x31);
    }
    for (size_t k = 0; k < 8; k++)
        _mm256_storeu_ps((float *)(void *)(out + k * cols), t[k]);
}

void ember_transpose_u32_avx2(const uint32_t *in, uint32_t *out, size_t rows, size_t cols,
                              size_t ld) {
    const size_t rows8 = rows & ~(size_t)7, cols8 = cols & ~(size_t)7;
    size_t i = 0;
    /* 16 output rows per sweep: each input row's 64 bytes are read while in cache */
    for (; i + 16 <= rows8; i += 16) {
        for (size_t j = 0; j < cols8; j += 8) {
            block8(in + i + j * ld, ld, out + i * cols + j, cols);
            block8(in + i + 8 + j * ld, ld, out + (i + 8) * cols + j, cols);
        }
        for (size_t k = i; k < i + 16; k++)
            for (size_t j = cols8; j < cols; j++)
                out[k * cols + j] = in[k + j * ld];
    }
    for (; i < rows8; i += 8) {
        for (size_t j = 0; j < cols8; j += 8)
            block8(in + i + j * ld, ld, out + i * cols + j, cols);
        for (size_t k = i; k < i + 8; k++)
            for (size_t j = cols8; j < cols; j++)
                out[k * cols + j] = in[k + j * ld];
    }
    for (size_t k = rows8; k < rows; k++)
        for (size_t j = 0; j < cols; j++)
            out[k * cols + j] = in[k + j * ld];
}
