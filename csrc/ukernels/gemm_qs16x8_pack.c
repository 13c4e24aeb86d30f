/* Packing of the 16x8 GEMM and depthwise weights (csrc/ukernels/gemm_qs16x8.h). */
#include "ukernels/gemm_qs16x8.h"

#include <string.h>

#define NR EMBER_GEMM_QS16X8_NR
#define CT EMBER_DWCONV_QS16X8_CT

static size_t round_up(size_t x, size_t m) {
    return (x + m - 1) / m * m;
}

/* Bytes of one panel: NR int64 biases, then K' rows of NR int16 weights. */
static size_t panel_bytes(size_t kr, size_t ks, size_t kc) {
    return NR * sizeof(int64_t) + ks * round_up(kc, kr) * NR * sizeof(int16_t);
}

size_t ember_gemm_qs16x8_packed_size(const ember_gemm_qs16x8_config *cfg, size_t n, size_t ks,
                                     size_t kc) {
    return round_up(n, NR) / NR * panel_bytes(cfg->kr, ks, kc);
}

void ember_pack_gemm_qs16x8(const ember_gemm_qs16x8_config *cfg, size_t n, size_t ks, size_t kc,
                            const int8_t *w, const int64_t *bias, void *packed) {
    const size_t kr = cfg->kr, kcp = round_up(kc, kr), k_all = ks * kc;
    char *out = packed;
    for (size_t j0 = 0; j0 < n; j0 += NR) {
        int64_t b[NR] = {0};
        for (size_t j = 0; j < NR && j0 + j < n; j++)
            b[j] = bias ? bias[j0 + j] : 0;
        memcpy(out, b, sizeof b);
        int16_t *q = (int16_t *)(void *)(out + sizeof b);
        for (size_t t = 0; t < ks; t++) {
            for (size_t g = 0; g < kcp; g += kr) {
                for (size_t j = 0; j < NR; j++) {
                    for (size_t r = 0; r < kr; r++) {
                        const size_t k = g + r;
                        const bool real = j0 + j < n && k < kc;
                        *q++ = real ? w[(j0 + j) * k_all + t * kc + k] : 0;
                    }
                }
            }
        }
        out += panel_bytes(kr, ks, kc);
    }
}

size_t ember_dwconv_qs16x8_packed_size(size_t channels, size_t ks) {
    return round_up(channels, CT) / CT * (CT * sizeof(int64_t) + ks * CT * sizeof(int16_t));
}

void ember_pack_dwconv_qs16x8(size_t channels, size_t ks, const int8_t *filter,
                              const int64_t *bias, void *packed) {
    char *out = packed;
    for (size_t c0 = 0; c0 < channels; c0 += CT) {
        int64_t b[CT] = {0};
        for (size_t c = 0; c < CT && c0 + c < channels; c++)
            b[c] = bias ? bias[c0 + c] : 0;
        memcpy(out, b, sizeof b);
        int16_t *q = (int16_t *)(void *)(out + sizeof b);
        for (size_t t = 0; t < ks; t++)
            for (size_t c = 0; c < CT; c++)
                *q++ = c0 + c < channels ? filter[t * channels + c0 + c] : 0;
        out += CT * sizeof(int64_t) + ks * CT * sizeof(int16_t);
    }
}
