/* Portable bilinear RESIZE row (csrc/ukernels/resize.h): channels in blocks of 8 independent
   lanes, which GCC and Clang vectorise at -O2, the rest one at a time; and the variant table. */
#include "ukernels/resize.h"

#define BLOCK 8

static inline float blend(float a0, float a1, float b0, float b1, float wx, float wy) {
    const float top = a0 + wx * (a1 - a0);
    const float bottom = b0 + wx * (b1 - b0);
    return top + wy * (bottom - top);
}

void ember_resize_bilinear_f32_c8(const float *r0, const float *r1, const int32_t *lo,
                                  const int32_t *hi, const float *wx, float wy, size_t out_w,
                                  size_t channels, float *out) {
    for (size_t ox = 0; ox < out_w; ox++, out += channels) {
        const size_t x0 = (size_t)lo[ox] * channels, x1 = (size_t)hi[ox] * channels;
        const float w = wx[ox];
        size_t c = 0;
        for (; c + BLOCK <= channels; c += BLOCK)
            for (size_t j = 0; j < BLOCK; j++)
                out[c + j] = blend(r0[x0 + c + j], r0[x1 + c + j], r1[x0 + c + j],
                                   r1[x1 + c + j], w, wy);
        for (; c < channels; c++)
            out[c] = blend(r0[x0 + c], r0[x1 + c], r1[x0 + c], r1[x1 + c], w, wy);
    }
}

static const ember_resize_f32_config configs[] = {
#if EMBER_HAVE_AVX2
    { EMBER_ISA_AVX2, "resize_bilinear_f32_avx2", ember_resize_bilinear_f32_avx2 },
#endif
    { EMBER_ISA_NONE, "resize_bilinear_f32_c8", ember_resize_bilinear_f32_c8 },
};

const ember_resize_f32_config *ember_resize_f32_configs(size_t *count) {
    *count = sizeof configs / sizeof configs[0];
    return configs;
}

const ember_resize_f32_config *ember_resize_f32_select(const ember_context *ctx) {
    if (ember_reference_only(ctx))
        return NULL;
    const ember_resize_f32_config *c = configs;
    while (!ember_isa_usable(ctx, c->isa))
        c++;
    return c;
}
