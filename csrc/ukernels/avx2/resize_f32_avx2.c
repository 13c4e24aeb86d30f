/* AVX2 bilinear RESIZE row (csrc/ukernels/resize.h): 16 channels per step, then 8, then the
   last 1..7 through a lane mask (fewer than 8 channels: the portable loop); multiplies and
   adds kept apart (no FMA) to equal the reference bit for bit. */
#include <immintrin.h>

#include "ukernels/resize.h"

static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

static inline __m256 blend8(__m256 a0, __m256 a1, __m256 b0, __m256 b1, __m256 wx,
                            __m256 wy) {
    const __m256 top = _mm256_add_ps(a0, _mm256_mul_ps(wx, _mm256_sub_ps(a1, a0)));
    const __m256 bottom = _mm256_add_ps(b0, _mm256_mul_ps(wx, _mm256_sub_ps(b1, b0)));
    return _mm256_add_ps(top, _mm256_mul_ps(wy, _mm256_sub_ps(bottom, top)));
}

static inline __m256 at(const float *p) {
    return _mm256_loadu_ps(p);
}

void ember_resize_bilinear_f32_avx2(const float *r0, const float *r1, const int32_t *lo,
                                    const int32_t *hi, const float *wx, float wy, size_t out_w,
                                    size_t channels, float *out) {
    if (channels < 8) {
        /* a masked load per tap costs more than the few scalar channels it would save */
        ember_resize_bilinear_f32_c8(r0, r1, lo, hi, wx, wy, out_w, channels, out);
        return;
    }
    const __m256 vy = _mm256_set1_ps(wy);
    const size_t rest = channels % 8;
    const __m256i m = _mm256_loadu_si256((const __m256i *)(const void *)(mask_table + 8 - rest));
    for (size_t ox = 0; ox < out_w; ox++, out += channels) {
        const float *a0 = r0 + (size_t)lo[ox] * channels, *a1 = r0 + (size_t)hi[ox] * channels;
        const float *b0 = r1 + (size_t)lo[ox] * channels, *b1 = r1 + (size_t)hi[ox] * channels;
        const __m256 vx = _mm256_set1_ps(wx[ox]);
        size_t c = 0;
        for (; c + 16 <= channels; c += 16) {
            _mm256_storeu_ps(out + c, blend8(at(a0 + c), at(a1 + c), at(b0 + c), at(b1 + c),
                                             vx, vy));
            _mm256_storeu_ps(out + c + 8, blend8(at(a0 + c + 8), at(a1 + c + 8), at(b0 + c + 8),
                                                 at(b1 + c + 8), vx, vy));
        }
        for (; c + 8 <= channels; c += 8)
            _mm256_storeu_ps(out + c, blend8(at(a0 + c), at(a1 + c), at(b0 + c), at(b1 + c),
                                             vx, vy));
        if (rest > 0)
            _mm256_maskstore_ps(out + c, m,
                                blend8(_mm256_maskload_ps(a0 + c, m),
                                       _mm256_maskload_ps(a1 + c, m),
                                       _mm256_maskload_ps(b0 + c, m),
                                       _mm256_maskload_ps(b1 + c, m), vx, vy));
    }
}
