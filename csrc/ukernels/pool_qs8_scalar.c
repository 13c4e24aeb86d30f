/* Portable int8 pooling microkernels and the configurations, best first
   (ukernels/pool_qs8.h). */
#include "ukernels/pool_qs8.h"

void ember_maxpool_qs8_scalar(const int8_t *first, size_t rows, size_t cols, size_t row_step,
                              size_t col_step, size_t channels, int32_t qmin, int32_t qmax,
                              int8_t *out) {
    for (size_t c = 0; c < channels; c++)
        out[c] = -128;
    for (size_t ky = 0; ky < rows; ky++)
        for (size_t kx = 0; kx < cols; kx++) {
            const int8_t *tap = first + ky * row_step + kx * col_step;
            for (size_t c = 0; c < channels; c++)
                out[c] = tap[c] > out[c] ? tap[c] : out[c];
        }
    for (size_t c = 0; c < channels; c++)
        out[c] = (int8_t)(out[c] < qmin ? qmin : out[c] > qmax ? qmax : out[c]);
}

void ember_avgpool_qs8_scalar(const int8_t *first, size_t rows, size_t cols, size_t row_step,
                              size_t col_step, size_t channels, int32_t qmin, int32_t qmax,
                              int8_t *out) {
    const int64_t taps = (int64_t)rows * (int64_t)cols;
    for (size_t c = 0; c < channels; c++) {
        int64_t sum = 0;
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++)
                sum += first[i * row_step + j * col_step + c];
        int64_t v = 0;
        if (taps > 0)
            v = sum > 0 ? (sum + taps / 2) / taps : (sum - taps / 2) / taps;
        v = v < qmin ? qmin : v;
        out[c] = (int8_t)(v > qmax ? qmax : v);
    }
}

void ember_chansum_qs8_scalar(const int8_t *in, size_t rows, size_t channels, size_t row_stride,
                              const ember_chansum_qs8_params *p, int8_t *out) {
    for (size_t c = 0; c < channels; c++) {
        uint32_t sum = 0;
        for (size_t r = 0; r < rows; r++)
            sum += (uint32_t)(int32_t)in[r * row_stride + c];
        out[c] = ember_qs8_requantize((int32_t)(sum - (uint32_t)p->offset), p->mult, p->lshift,
                                      p->rshift, &p->out);
    }
}

static const ember_pool_qs8_config configs[] = {
#if EMBER_HAVE_AVX2
    { EMBER_ISA_AVX2, "maxpool_qs8_avx2", "chansum_qs8_avx2", ember_maxpool_qs8_avx2,
      ember_chansum_qs8_avx2, NULL, NULL },
#endif
#if EMBER_HAVE_NEON
    { EMBER_ISA_NEON, "maxpool_qs8_neon", "chansum_qs8_neon", ember_maxpool_qs8_neon,
      ember_chansum_qs8_neon, NULL, NULL },
#endif
    { EMBER_ISA_NONE, "maxpool_qs8_scalar", "chansum_qs8_scalar", ember_maxpool_qs8_scalar,
      ember_chansum_qs8_scalar, NULL, NULL },
};

const ember_pool_qs8_config *ember_pool_qs8_configs(size_t *count) {
    *count = sizeof configs / sizeof configs[0];
    return configs;
}

const ember_pool_qs8_config *ember_pool_qs8_select(const ember_context *ctx) {
    if (ember_reference_only(ctx))
        return NULL;
    const ember_pool_qs8_config *c = configs;
    while (!ember_isa_usable(ctx, c->isa))
        c++;
    return c;
}
