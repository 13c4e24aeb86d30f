/* The portable depthwise unipass microkernel and the weight packing (csrc/ukernels/dwconv.h).
   Fixed-size inner loops over a channel tile, which GCC and Clang turn into whatever SIMD the
   target has. */
#include "ukernels/dwconv.h"

#define CT EMBER_DWCONV_CT

size_t ember_dwconv_f32_packed_count(size_t channels, size_t ks) {
    return (channels + CT - 1) / CT * CT * (ks + 1);
}

void ember_pack_dwconv_f32(size_t channels, size_t ks, const float *filter, const float *bias,
                           float *packed) {
    for (size_t c0 = 0; c0 < channels; c0 += CT) {
        for (size_t j = 0; j < CT; j++)
            packed[j] = c0 + j < channels && bias ? bias[c0 + j] : 0.0f;
        packed += CT;
        for (size_t t = 0; t < ks; t++, packed += CT)
            for (size_t j = 0; j < CT; j++)
                packed[j] = c0 + j < channels ? filter[t * channels + c0 + j] : 0.0f;
    }
}

static float clamp(float v, const ember_minmax_f32 *m) {
    v = v < m->min ? m->min : v;
    return v > m->max ? m->max : v;
}

void ember_dwconv_f32_up_scalar(size_t pixels, size_t channels, size_t ks,
                                const float *const *ind, const float *w, float *out,
                                const ember_minmax_f32 *clamp_to) {
    for (size_t p = 0; p < pixels; p++, ind += ks) {
        const float *wt = w;
        for (size_t c0 = 0; c0 < channels; c0 += CT, wt += CT * (ks + 1)) {
            const size_t n = channels - c0 < CT ? channels - c0 : CT;
            float acc[CT];
            for (size_t j = 0; j < CT; j++)
                acc[j] = wt[j];
            for (size_t t = 0; t < ks; t++) {
                const float *x = ind[t] + c0;
                const float *k = wt + CT * (t + 1);
                if (n == CT) {
                    for (size_t j = 0; j < CT; j++)
                        acc[j] += x[j] * k[j];
                } else {
                    for (size_t j = 0; j < n; j++)
                        acc[j] += x[j] * k[j];
                }
            }
            for (size_t j = 0; j < n; j++)
                out[c0 + j] = clamp(acc[j], clamp_to);
        }
        out += channels;
    }
}
