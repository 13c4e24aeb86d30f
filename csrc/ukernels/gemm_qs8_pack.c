/* Weight packing of the int8 GEMM microkernels (layout in ukernels/gemm_qs8.h). */
#include <string.h>

#include "ukernels/gemm_qs8.h"

#define NR EMBER_GEMM_QS8_NR

static size_t round_up(size_t v, size_t to) {
    return (v + to - 1) / to * to;
}

static size_t panel_bytes(const ember_gemm_qs8_config *cfg, size_t ks, size_t kc) {
    return NR * sizeof(int32_t) + ks * round_up(kc, cfg->kr) * NR + 3 * NR * sizeof(int32_t);
}

size_t ember_gemm_qs8_packed_size(const ember_gemm_qs8_config *cfg, size_t n, size_t ks,
                                  size_t kc) {
    return round_up(n, NR) / NR * panel_bytes(cfg, ks, kc);
}

/* The int8 weights of columns [j0, j0 + NR) in groups of kr: tap by tap, kc rows padded. */
static int8_t *pack_panel_weights(const ember_gemm_qs8_config *cfg, size_t n, size_t ks,
                                  size_t kc, const int8_t *w, size_t j0, int8_t *out) {
    const size_t kr = cfg->kr, k = ks * kc;
    for (size_t t = 0; t < ks; t++) {
        for (size_t g = 0; g < round_up(kc, kr); g += kr) {
            for (size_t j = j0; j < j0 + NR; j++) {
                for (size_t r = 0; r < kr; r++, out++)
                    *out = j < n && g + r < kc ? w[j * k + t * kc + g + r] : 0;
            }
        }
    }
    return out;
}

bool ember_pack_gemm_qs8(const ember_gemm_qs8_config *cfg, size_t n, size_t ks, size_t kc,
                         const int8_t *w, const int32_t *bias, int32_t zp_in,
                         const int32_t *mult, const int32_t *shift, void *packed) {
    int32_t lshift[NR], rshift[NR];
    for (size_t j = 0; mult && shift && j < n; j++) {
        if (shift[j] > 31)
            return false;
    }
    const size_t k = ks * kc;
    const uint32_t fold = (uint32_t)(zp_in + cfg->a_offset);
    uint8_t *out = packed;
    for (size_t j0 = 0; j0 < n; j0 += NR) {
        int32_t head[NR], tail[3][NR];
        for (size_t j = j0; j < j0 + NR; j++) {
            uint32_t sum = 0;
            for (size_t i = 0; j < n && i < k; i++)
                sum += (uint32_t)w[j * k + i];
            const uint32_t b = j < n && bias ? (uint32_t)bias[j] : 0u;
            head[j - j0] = (int32_t)(b - fold * sum);
            const bool q = j < n && mult && shift;
            if (q)
                ember_qs8_split_shift(shift[j], &lshift[j - j0], &rshift[j - j0]);
            tail[0][j - j0] = q ? mult[j] : 0;
            tail[1][j - j0] = q ? lshift[j - j0] : 0;
            tail[2][j - j0] = q ? rshift[j - j0] : 0;
        }
        memcpy(out, head, sizeof head);
        out = (uint8_t *)pack_panel_weights(cfg, n, ks, kc, w, j0, (int8_t *)(out + sizeof head));
        memcpy(out, tail, sizeof tail);
        out += sizeof tail;
    }
    return true;
}
