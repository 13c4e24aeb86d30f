/* int8 depthwise convolution microkernels: the inner loops under int8 DEPTHWISE_CONV2D
 * (csrc/kernels/depthwise_conv2d.c) with channel multiplier 1; the int8 twin of
 * ukernels/dwconv.h (same row and unipass kernels, same row driver).
 *
 * Each output's int32 sum
 *     acc[c] = bias[c] + sum_taps w[t][c] * (x[t][c] - zp_in)                (modulo 2^32)
 * is requantized exactly as LiteRT's reference kernels do it (ukernels/requant_qs8.h). The sums
 * wrap modulo 2^32 in the reference too, so any order of the additions gives the same bytes.
 *
 * The input zero point is folded into the bias at pack time (bias' = bias - zp_in * sum_t w),
 * so a kernel multiplies the raw input bytes, and a tap in the padding reads a row filled with
 * zp_in, which contributes zp_in * w and cancels its part of the fold. Every product and every
 * sum of two products fits int16 x int16 -> int32 (|x| <= 128, |w| <= 128), so the taps go in
 * pairs through one multiply-add of pairs (vpmaddwd, smull + sadalp).
 *
 * Taps are taken in pairs in a fixed order (ember_dwconv_qs8 pair order): kernel rows two by
 * two, pairing (ky, kx) with (ky + 1, kx), so one interleave of two input rows feeds every
 * pixel of a row kernel; an odd last row pairs its columns (kx, kx + 1), a last odd column with
 * a zero weight. KxK takes (K / 2) * K + (K % 2) * (K + 1) / 2 pairs (3x3: 5, 5x5: 13).
 *
 * Weights are packed once, at prepare, by ember_pack_dwconv_qs8 in tiles of cfg->ct channels
 * (channels past the last are zero-filled). Within a tile a channel sits at a position given
 * by the layout; per tile:
 *   int32  bias'[ct]
 *   w      pairs x [ct][2]   (int16 in EMBER_DWQ_I16, int8 in EMBER_DWQ_I8), the two weights of
 *                            a pair side by side
 *   int32  mult[ct], lshift[ct], rshift[ct], mask[ct], half[ct]
 *          the requantization (requant_qs8.h) and its rounding constants (1 << rshift) - 1 and
 *          that >> 1, for the vector forms
 * EMBER_DWQ_I16 orders each tile as vpunpck[lh]wd leaves 128-bit lanes: position
 * v * ct/2 + i (v = 0 low words, 1 high words) holds channel (i / 4) * 8 + v * 4 + i % 4.
 * EMBER_DWQ_I8 keeps channels in order.
 * EMBER_DWQ_U8Q (vpdpbusd) groups taps by four (quad order, ember_dwconv_qs8_quad_tap) with
 * int8 weights [ct][4] per quad, channels in order, and folds (zp_in + 128) into the bias: the
 * kernel reads each input byte with its top bit flipped (x + 128, unsigned), as the int8 GEMM
 * kernels with a_offset 128 do.
 *
 * Two kinds of microkernel compute output pixels, every channel of each:
 * - unipass (`up`): any window; group j of output pixel p reads the input vectors
 *   ind[(p * pairs + j) * group + i], i < group (`channels` bytes), the zp row in the padding
 *   (`pairs` counts groups);
 * - row (`row`): one fixed KxK window, stride S, dilation 1, consecutive output pixels of one
 *   row whose taps all lie inside the image's width: tap (ky, kx) of pixel p is at
 *   rows[ky] + (p * S + kx) * channels, rows[ky] being an input row or the zp row.
 * Kernels read exactly `channels` bytes of each vector and write `channels` bytes per pixel. */
#ifndef EMBER_UKERNELS_DWCONV_QS8_H
#define EMBER_UKERNELS_DWCONV_QS8_H

#include "kernels/conv_window.h"
#include "kernels/kernels.h"
#include "ukernels/dwconv.h" /* ember_dwconv_shape, ember_dwconv_row_fits */
#include "ukernels/requant_qs8.h"

enum ember_dwq_layout { EMBER_DWQ_I16, EMBER_DWQ_I8, EMBER_DWQ_U8Q };

#define EMBER_DWCONV_QS8_MAX_CT 32 /* the widest tile of any configuration */

/* Tap j (ky * kw + kx) of pair order, j / 2 being the pair; -1 for a pair's missing second. */
static inline int32_t ember_dwconv_qs8_pair_tap(int32_t kh, int32_t kw, size_t j) {
    size_t pair = j / 2;
    const size_t second = j % 2, vertical = (size_t)(kh / 2) * (size_t)kw;
    if (pair < vertical)
        return (int32_t)((pair / (size_t)kw * 2 + second) * (size_t)kw + pair % (size_t)kw);
    pair -= vertical;
    const size_t kx = pair * 2 + second;
    return kx < (size_t)kw ? (kh - 1) * kw + (int32_t)kx : -1;
}

/* Tap j of quad order (EMBER_DWQ_U8Q): kernel rows four by four, quad j / 4 taking rows
   4g .. 4g + 3 of column kx (g = quad / kw, kx = quad % kw); -1 for rows past the last. */
static inline int32_t ember_dwconv_qs8_quad_tap(int32_t kh, int32_t kw, size_t j) {
    const size_t quad = j / 4, ky = quad / (size_t)kw * 4 + j % 4;
    return ky < (size_t)kh ? (int32_t)(ky * (size_t)kw + quad % (size_t)kw) : -1;
}

typedef void (*ember_dwconv_qs8_up_fn)(size_t pixels, size_t channels, size_t pairs,
                                       const int8_t *const *ind, const void *w, int8_t *out,
                                       const ember_qs8_params *p);
typedef void (*ember_dwconv_qs8_row_fn)(size_t pixels, size_t channels,
                                        const int8_t *const *rows, const void *w, int8_t *out,
                                        const ember_qs8_params *p);

typedef struct ember_dwconv_qs8_config {
    const char *name;       /* e.g. "dwconv_qs8_3x3s1_avx2", shown by `ember inspect` */
    uint32_t isa;           /* EMBER_ISA_* bits it needs */
    int32_t kernel, stride; /* the row kernel's KxK window and stride; 0: unipass only */
    ember_dwconv_qs8_row_fn row; /* NULL for unipass-only configurations */
    ember_dwconv_qs8_up_fn up;   /* the edges of `row`, or every pixel */
    size_t ct;                   /* channels per packed tile */
    enum ember_dwq_layout layout;
    size_t group;                /* taps per group: 2 (pair order) or 4 (quad order) */
} ember_dwconv_qs8_config;

/* One image's geometry (channel multiplier 1: channels in = channels out). */
/* Tap pairs of a kh x kw window. */
size_t ember_dwconv_qs8_pairs(int32_t kh, int32_t kw);
/* Tap groups (pairs or quads, the `pairs` argument of cfg's kernels) of a kh x kw window. */
size_t ember_dwconv_qs8_groups(const ember_dwconv_qs8_config *cfg, int32_t kh, int32_t kw);
/* Tap j of cfg's group order; -1 for an empty slot (a zero weight). */
int32_t ember_dwconv_qs8_group_tap(const ember_dwconv_qs8_config *cfg, int32_t kh, int32_t kw,
                                   size_t j);
/* Bytes of packed weights for `channels` channels of a kh x kw window in cfg's layout. */
size_t ember_dwconv_qs8_packed_size(const ember_dwconv_qs8_config *cfg, size_t channels,
                                    int32_t kh, int32_t kw);
/* Packs filter [kh * kw][channels] (TFLite's [1,KH,KW,C]), bias (NULL: 0) and the per-channel
   multipliers (ember_quantize_multiplier's m, shift). False, nothing written, when a shift is
   above 31 (requant_qs8.h): the op then keeps its reference loop. */
bool ember_pack_dwconv_qs8(const ember_dwconv_qs8_config *cfg, size_t channels, int32_t kh,
                           int32_t kw, const int8_t *filter, const int32_t *bias, int32_t zp_in,
                           const int32_t *mult, const int32_t *shift, void *packed);

/* Every configuration built into the library, best first; *count receives their number. */
const ember_dwconv_qs8_config *ember_dwconv_qs8_configs(size_t *count);
/* True when cfg computes this shape (unipass configurations compute every shape). */
bool ember_dwconv_qs8_fits(const ember_dwconv_qs8_config *cfg, const ember_dwconv_shape *s);
/* The best configuration usable on this CPU and options that fits; NULL under isa_mask
   EMBER_ISA_NONE (the op then runs its reference loop, the oracle). */
const ember_dwconv_qs8_config *ember_dwconv_qs8_select(const ember_context *ctx,
                                                       const ember_dwconv_shape *s);

/* Tap pointers ember_dwconv_qs8_row_run needs as scratch (per thread). */
size_t ember_dwconv_qs8_ind_count(const ember_dwconv_qs8_config *cfg,
                                  const ember_dwconv_shape *s);
/* Bytes of the zp row ember_dwconv_qs8_row_run reads for padding (every byte zp_in). */
size_t ember_dwconv_qs8_zp_row_size(const ember_dwconv_shape *s);
/* Output row oy of one image (input at `image`, [in_h][in_w][channels]) into out_row. */
void ember_dwconv_qs8_row_run(const ember_dwconv_qs8_config *cfg, const ember_dwconv_shape *s,
                              const int8_t *image, int32_t oy, const void *packed,
                              const int8_t *zp_row, const int8_t **ind, int8_t *out_row,
                              const ember_qs8_params *p);

/* The portable unipass kernel (csrc/ukernels/dwconv_qs8_up_scalar.c; layout EMBER_DWQ_I16,
   ct 16): the last resort of the selection and the oracle of the microkernel tests. */
void ember_dwconv_qs8_up_scalar(size_t pixels, size_t channels, size_t pairs,
                                const int8_t *const *ind, const void *w, int8_t *out,
                                const ember_qs8_params *p);

#if EMBER_HAVE_AVX512VNNI
/* x86-64 AVX-512BW + VNNI (csrc/ukernels/avx512vnni/dwconv_qs8_kxk_avx512vnni.c): tiles of 32
   channels (EMBER_DWQ_I16), vpdpwssd on the interleaved pairs, 16 outputs per requantization
   step. */
void ember_dwconv_qs8_up_avx512vnni(size_t pixels, size_t channels, size_t pairs,
                                    const int8_t *const *ind, const void *w, int8_t *out,
                                    const ember_qs8_params *p);
void ember_dwconv_qs8_3x3s1_avx512vnni(size_t pixels, size_t channels, const int8_t *const *rows,
                                       const void *w, int8_t *out, const ember_qs8_params *p);
void ember_dwconv_qs8_3x3s2_avx512vnni(size_t pixels, size_t channels, const int8_t *const *rows,
                                       const void *w, int8_t *out, const ember_qs8_params *p);
void ember_dwconv_qs8_5x5s1_avx512vnni(size_t pixels, size_t channels, const int8_t *const *rows,
                                       const void *w, int8_t *out, const ember_qs8_params *p);
void ember_dwconv_qs8_5x5s2_avx512vnni(size_t pixels, size_t channels, const int8_t *const *rows,
                                       const void *w, int8_t *out, const ember_qs8_params *p);
#endif

#if EMBER_HAVE_AVX2
/* x86-64 AVX2 (csrc/ukernels/avx2/dwconv_qs8_kxk_avx2.c): tiles of 16 channels
   (EMBER_DWQ_I16), vpmaddwd on the interleaved pairs. */
void ember_dwconv_qs8_up_avx2(size_t pixels, size_t channels, size_t pairs,
                              const int8_t *const *ind, const void *w, int8_t *out,
                              const ember_qs8_params *p);
void ember_dwconv_qs8_3x3s1_avx2(size_t pixels, size_t channels, const int8_t *const *rows,
                                 const void *w, int8_t *out, const ember_qs8_params *p);
void ember_dwconv_qs8_3x3s2_avx2(size_t pixels, size_t channels, const int8_t *const *rows,
                                 const void *w, int8_t *out, const ember_qs8_params *p);
void ember_dwconv_qs8_5x5s1_avx2(size_t pixels, size_t channels, const int8_t *const *rows,
                                 const void *w, int8_t *out, const ember_qs8_params *p);
void ember_dwconv_qs8_5x5s2_avx2(size_t pixels, size_t channels, const int8_t *const *rows,
                                 const void *w, int8_t *out, const ember_qs8_params *p);
#endif

#if EMBER_HAVE_NEON
/* aarch64 and armv7-a NEON (csrc/ukernels/neon/dwconv_qs8_kxk_neon.c): tiles of 16 channels
   (EMBER_DWQ_I8), smull of the interleaved pairs + sadalp. */
void ember_dwconv_qs8_up_neon(size_t pixels, size_t channels, size_t pairs,
                              const int8_t *const *ind, const void *w, int8_t *out,
                              const ember_qs8_params *p);
void ember_dwconv_qs8_3x3s1_neon(size_t pixels, size_t channels, const int8_t *const *rows,
                                 const void *w, int8_t *out, const ember_qs8_params *p);
void ember_dwconv_qs8_3x3s2_neon(size_t pixels, size_t channels, const int8_t *const *rows,
                                 const void *w, int8_t *out, const ember_qs8_params *p);
void ember_dwconv_qs8_5x5s1_neon(size_t pixels, size_t channels, const int8_t *const *rows,
                                 const void *w, int8_t *out, const ember_qs8_params *p);
void ember_dwconv_qs8_5x5s2_neon(size_t pixels, size_t channels, const int8_t *const *rows,
                                 const void *w, int8_t *out, const ember_qs8_params *p);
#endif

#endif /* EMBER_UKERNELS_DWCONV_QS8_H */
