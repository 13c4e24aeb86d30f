/* The int8 depthwise weight packing and the portable unipass microkernel
   (csrc/ukernels/dwconv_qs8.h). Plain C, the oracle of the optimised variants. */
#include <string.h>

#include "ukernels/dwconv_qs8.h"

#define CT 16

size_t ember_dwconv_qs8_pairs(int32_t kh, int32_t kw) {
    return (size_t)(kh / 2) * (size_t)kw + (size_t)(kh % 2) * (size_t)((kw + 1) / 2);
}

size_t ember_dwconv_qs8_groups(const ember_dwconv_qs8_config *cfg, int32_t kh, int32_t kw) {
    if (cfg->group == 4)
        return (size_t)((kh + 3) / 4) * (size_t)kw;
    return ember_dwconv_qs8_pairs(kh, kw);
}

int32_t ember_dwconv_qs8_group_tap(const ember_dwconv_qs8_config *cfg, int32_t kh, int32_t kw,
                                   size_t j) {
    return cfg->group == 4 ? ember_dwconv_qs8_quad_tap(kh, kw, j)
                           : ember_dwconv_qs8_pair_tap(kh, kw, j);
}

static size_t tile_bytes(const ember_dwconv_qs8_config *cfg, size_t groups) {
    const size_t wsize = cfg->layout == EMBER_DWQ_I16 ? sizeof(int16_t) : sizeof(int8_t);
    return cfg->ct * (6 * sizeof(int32_t) + cfg->group * groups * wsize);
}

size_t ember_dwconv_qs8_packed_size(const ember_dwconv_qs8_config *cfg, size_t channels,
                                    int32_t kh, int32_t kw) {
    return (channels + cfg->ct - 1) / cfg->ct *
           tile_bytes(cfg, ember_dwconv_qs8_groups(cfg, kh, kw));
}

/* The channel (from the tile's first) at position pos of a tile (the layouts' orders). */
static size_t tile_channel(const ember_dwconv_qs8_config *cfg, size_t pos) {
    if (cfg->layout != EMBER_DWQ_I16)
        return pos;
    const size_t half = cfg->ct / 2, v = pos / half, i = pos % half;
    return i / 4 * 8 + v * 4 + i % 4;
}

/* The groups of one tile: the weights of a group's taps side by side. */
static void pack_weights(const ember_dwconv_qs8_config *cfg, size_t channels, int32_t kh,
                         int32_t kw, const int8_t *filter, size_t c0, uint8_t *out) {
    const size_t g = cfg->group, groups = ember_dwconv_qs8_groups(cfg, kh, kw);
    for (size_t j = 0; j < groups * g; j++) {
        const int32_t tap = ember_dwconv_qs8_group_tap(cfg, kh, kw, j);
        for (size_t pos = 0; pos < cfg->ct; pos++) {
            const size_t c = c0 + tile_channel(cfg, pos);
            const int8_t v = c < channels && tap >= 0 ? filter[(size_t)tap * channels + c] : 0;
            const size_t at = (j / g * cfg->ct + pos) * g + j % g;
            if (cfg->layout == EMBER_DWQ_I16) {
                const int16_t v16 = v;
                memcpy(out + at * sizeof v16, &v16, sizeof v16);
            } else {
                out[at] = (uint8_t)v;
            }
        }
    }
}

bool ember_pack_dwconv_qs8(const ember_dwconv_qs8_config *cfg, size_t channels, int32_t kh,
                           int32_t kw, const int8_t *filter, const int32_t *bias, int32_t zp_in,
                           const int32_t *mult, const int32_t *shift, void *packed) {
    for (size_t c = 0; c < channels; c++) {
        if (shift[c] > 31)
            return false;
    }
    const size_t ks = (size_t)kh * (size_t)kw, groups = ember_dwconv_qs8_groups(cfg, kh, kw);
    const size_t ct = cfg->ct, wbytes = tile_bytes(cfg, groups) - 6 * ct * sizeof(int32_t);
    /* Unsigned-input kernels read x + 128: their bias takes 128 * sum w back too. */
    const uint32_t fold = (uint32_t)zp_in + (cfg->layout == EMBER_DWQ_U8Q ? 128u : 0u);
    uint8_t *out = packed;
    for (size_t c0 = 0; c0 < channels; c0 += ct) {
        int32_t head[EMBER_DWCONV_QS8_MAX_CT], tail[5][EMBER_DWCONV_QS8_MAX_CT];
        for (size_t pos = 0; pos < ct; pos++) {
            const size_t c = c0 + tile_channel(cfg, pos);
            uint32_t sum = 0;
            for (size_t t = 0; c < channels && t < ks; t++)
                sum += (uint32_t)filter[t * channels + c];
            const uint32_t b = c < channels && bias ? (uint32_t)bias[c] : 0u;
            head[pos] = (int32_t)(b - fold * sum);
            int32_t ls = 0, rs = 0;
            if (c < channels)
                ember_qs8_split_shift(shift[c], &ls, &rs);
            tail[0][pos] = c < channels ? mult[c] : 0;
            tail[1][pos] = ls;
            tail[2][pos] = rs;
            tail[3][pos] = (int32_t)((UINT32_C(1) << rs) - 1u);
            tail[4][pos] = tail[3][pos] >> 1;
        }
        memcpy(out, head, ct * sizeof(int32_t));
        out += ct * sizeof(int32_t);
        pack_weights(cfg, channels, kh, kw, filter, c0, out);
        out += wbytes;
        for (size_t k = 0; k < 5; k++, out += ct * sizeof(int32_t))
            memcpy(out, tail[k], ct * sizeof(int32_t));
    }
    return true;
}

void ember_dwconv_qs8_up_scalar(size_t pixels, size_t channels, size_t pairs,
                                const int8_t *const *ind, const void *w, int8_t *out,
                                const ember_qs8_params *p) {
    const size_t tile = CT * (6 * sizeof(int32_t) + 2 * pairs * sizeof(int16_t));
    for (size_t px = 0; px < pixels; px++, ind += 2 * pairs, out += channels) {
        const uint8_t *wt = w;
        for (size_t c0 = 0; c0 < channels; c0 += CT, wt += tile) {
            int32_t q[6][CT];
            int16_t k[2];
            memcpy(q[0], wt, sizeof q[0]);
            memcpy(q[1], wt + CT * sizeof(int32_t) + 2 * pairs * CT * sizeof(int16_t),
                   5 * sizeof q[0]);
            for (size_t pos = 0; pos < CT; pos++) {
                const size_t c = c0 + pos % 4 + pos / 4 % 2 * 8 + pos / 8 * 4;
                if (c >= channels)
                    continue;
                uint32_t acc = (uint32_t)q[0][pos];
                for (size_t j = 0; j < pairs; j++) {
                    memcpy(k, wt + CT * sizeof(int32_t) + (j * CT + pos) * sizeof k, sizeof k);
                    acc += (uint32_t)(ind[2 * j][c] * k[0]) + (uint32_t)(ind[2 * j + 1][c] * k[1]);
                }
                out[c] = ember_qs8_requantize((int32_t)acc, q[1][pos], q[2][pos], q[3][pos], p);
            }
        }
    }
}
