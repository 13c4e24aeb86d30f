/* The NEON 16x8 depthwise microkernel (ukernels/gemm_qs16x8.h), aarch64 and armv7: 16
   channels at a time, vmlal_s16 into int32 sums over blocks of EMBER_QS16X8_BLOCK taps, then
   added into int64. */
#include <arm_neon.h>
#include <string.h>

#include "ukernels/gemm_qs16x8.h"

#define CT EMBER_DWCONV_QS16X8_CT

static void flush(int32x4_t p[4], int64_t sum[CT]) {
    int32_t part[CT];
    for (size_t q = 0; q < 4; q++) {
        vst1q_s32(part + 4 * q, p[q]);
        p[q] = vdupq_n_s32(0);
    }
    for (size_t c = 0; c < CT; c++)
        sum[c] += part[c];
}

void ember_dwconv_qs16x8_c16_neon(size_t channels, size_t ks, const int16_t *const *in,
                                  const void *w, int64_t *acc) {
    const char *group = w;
    for (size_t c0 = 0; c0 < channels; c0 += CT) {
        const size_t n = channels - c0 < CT ? channels - c0 : CT;
        int64_t sum[CT];
        memcpy(sum, group, sizeof sum);
        const int16_t *taps = (const int16_t *)(const void *)(group + sizeof sum);
        int32x4_t p[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
        size_t used = 0;
        for (size_t t = 0; t < ks; t++) {
            int16_t part[CT] = {0};
            const int16_t *x = in[t] + c0;
            if (n < CT) {
                memcpy(part, x, n * sizeof(int16_t));
                x = part;
            }
            const int16x8_t x0 = vld1q_s16(x), x1 = vld1q_s16(x + 8);
            const int16x8_t f0 = vld1q_s16(taps + t * CT), f1 = vld1q_s16(taps + t * CT + 8);
            p[0] = vmlal_s16(p[0], vget_low_s16(x0), vget_low_s16(f0));
            p[1] = vmlal_s16(p[1], vget_high_s16(x0), vget_high_s16(f0));
            p[2] = vmlal_s16(p[2], vget_low_s16(x1), vget_low_s16(f1));
            p[3] = vmlal_s16(p[3], vget_high_s16(x1), vget_high_s16(f1));
            if (++used == EMBER_QS16X8_BLOCK) {
                flush(p, sum);
                used = 0;
            }
        }
        flush(p, sum);
        memcpy(acc + c0, sum, n * sizeof(int64_t));
        group += CT * sizeof(int64_t) + ks * CT * sizeof(int16_t);
    }
}
