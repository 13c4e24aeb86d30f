/* The portable 16x8 depthwise microkernel (ukernels/gemm_qs16x8.h): plain int64 sums, the
   oracle of the vector variants. */
#include "ukernels/gemm_qs16x8.h"

#include <string.h>

#define CT EMBER_DWCONV_QS16X8_CT

void ember_dwconv_qs16x8_c16_scalar(size_t channels, size_t ks, const int16_t *const *in,
                                    const void *w, int64_t *acc) {
    const char *group = w;
    for (size_t c0 = 0; c0 < channels; c0 += CT) {
        const size_t n = channels - c0 < CT ? channels - c0 : CT;
        int64_t sum[CT];
        memcpy(sum, group, sizeof sum);
        const int16_t *taps = (const int16_t *)(const void *)(group + sizeof sum);
        for (size_t t = 0; t < ks; t++)
            for (size_t c = 0; c < n; c++)
                sum[c] += (int64_t)in[t][c0 + c] * taps[t * CT + c];
        memcpy(acc + c0, sum, n * sizeof(int64_t));
        group += CT * sizeof(int64_t) + ks * CT * sizeof(int16_t);
    }
}
