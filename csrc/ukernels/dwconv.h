/* float32 depthwise convolution microkernels: the inner loops under DEPTHWISE_CONV2D
 * (csrc/kernels/depthwise_conv2d.c) with channel multiplier 1, one layer below the op,
 * vectorised over the channels of NHWC.
 *
 * Weights are packed once, at prepare, by ember_pack_dwconv_f32: for each tile of
 * EMBER_DWCONV_CT channels, CT bias values (the accumulators' starting values) and then the
 * ks taps of CT weights, tap t = ky * KW + kx; channels past the last are zero-filled. Every
 * variant (portable, AVX2, AVX-512F, NEON) reads this one layout.
 *
 * Two kinds of microkernel compute output pixels, every channel of each:
 * - unipass (`up`): any window; tap t of output pixel p is the input vector ind[p * ks + t]
 *   (`channels` floats), the shared zero vector where the tap falls in the padding;
 * - row (`row`): one fixed KxK window, stride S, dilation 1, for consecutive output pixels of
 *   one row whose taps all lie inside the image's width: tap (ky, kx) of pixel p is at
 *   rows[ky] + (p * S + kx) * channels, rows[ky] being an input row or the zero row. Several
 *   pixels are computed per step so the input columns they share are loaded once.
 * ember_dwconv_f32_row_run computes one output row with either: the row kernel on the
 * interior columns and the unipass kernel on the edges, or the unipass kernel throughout.
 *
 * Each output sums bias + taps in tap order (t = 0, 1, ...) in every variant; variants may
 * still differ in the last bits (FMA vs separate multiply and add). The clamp is max then
 * min, as the reference's. */
#ifndef EMBER_UKERNELS_DWCONV_H
#define EMBER_UKERNELS_DWCONV_H

#include "kernels/conv_window.h"
#include "ukernels/gemm.h"

#define EMBER_DWCONV_CT 16

typedef void (*ember_dwconv_f32_up_fn)(size_t pixels, size_t channels, size_t ks,
                                       const float *const *ind, const float *w, float *out,
                                       const ember_minmax_f32 *clamp);
typedef void (*ember_dwconv_f32_row_fn)(size_t pixels, size_t channels,
                                        const float *const *rows, const float *w, float *out,
                                        const ember_minmax_f32 *clamp);

typedef struct ember_dwconv_f32_config {
    const char *name;       /* e.g. "dwconv_f32_3x3s1_avx2", shown by `ember inspect` */
    uint32_t isa;           /* EMBER_ISA_* bits it needs */
    int32_t kernel, stride; /* the row kernel's KxK window and stride; 0: unipass only */
    ember_dwconv_f32_row_fn row; /* NULL for unipass-only configurations */
    ember_dwconv_f32_up_fn up;   /* the edges of `row`, or every pixel */
} ember_dwconv_f32_config;

/* One image's geometry (channel multiplier 1: channels in = channels out), float32 and int8. */
typedef struct ember_dwconv_shape {
    size_t channels;
    int32_t in_h, in_w, out_h, out_w, kh, kw;
    struct conv_window win;
} ember_dwconv_shape;

/* Whether a row kernel of one kernel x kernel window at one stride computes this shape: the
   same window and stride both ways, no dilation (every family's row kernels share the rule). */
static inline bool ember_dwconv_row_fits(int32_t kernel, int32_t stride,
                                         const ember_dwconv_shape *s) {
    const struct conv_window *w = &s->win;
    return s->kh == kernel && s->kw == kernel && w->stride_h == stride &&
           w->stride_w == stride && w->dilation_h == 1 && w->dilation_w == 1;
}

/* Floats of packed weights for `channels` channels and ks taps. */
size_t ember_dwconv_f32_packed_count(size_t channels, size_t ks);
/* Packs filter [ks][channels] (TFLite's [1,KH,KW,C]) and bias (may be NULL). */
void ember_pack_dwconv_f32(size_t channels, size_t ks, const float *filter, const float *bias,
                           float *packed);

/* Every configuration built into the library, best first; *count receives their number. */
const ember_dwconv_f32_config *ember_dwconv_f32_configs(size_t *count);
/* True when cfg computes this shape (unipass configurations compute every shape). */
bool ember_dwconv_f32_fits(const ember_dwconv_f32_config *cfg, const ember_dwconv_shape *s);
/* The best configuration usable on this CPU and options that fits; NULL under isa_mask
   EMBER_ISA_NONE (the op then runs its reference loop, the oracle). */
const ember_dwconv_f32_config *ember_dwconv_f32_select(const ember_context *ctx,
                                                       const ember_dwconv_shape *s);

/* Tap pointers ember_dwconv_f32_row_run needs as scratch (per thread). */
size_t ember_dwconv_f32_ind_count(const ember_dwconv_f32_config *cfg,
                                  const ember_dwconv_shape *s);
/* Floats of the zero buffer (all 0.0f) ember_dwconv_f32_row_run reads for padding. */
size_t ember_dwconv_f32_zero_count(const ember_dwconv_shape *s);
/* Output row oy of one image (input at `image`, [in_h][in_w][channels]) into out_row. */
void ember_dwconv_f32_row_run(const ember_dwconv_f32_config *cfg, const ember_dwconv_shape *s,
                              const float *image, int32_t oy, const float *packed,
                              const float *zero, const float **ind, float *out_row,
                              const ember_minmax_f32 *clamp);

/* The portable unipass kernel (csrc/ukernels/dwconv_f32_up_scalar.c). */
void ember_dwconv_f32_up_scalar(size_t pixels, size_t channels, size_t ks,
                                const float *const *ind, const float *w, float *out,
                                const ember_minmax_f32 *clamp);

#if EMBER_HAVE_AVX512F
/* x86-64 AVX-512F (csrc/ukernels/avx512f/dwconv_f32_kxk_avx512f.c): one 16-channel tile per
   zmm, 8 pixels per step. */
void ember_dwconv_f32_up_avx512f(size_t pixels, size_t channels, size_t ks,
                                 const float *const *ind, const float *w, float *out,
                                 const ember_minmax_f32 *clamp);
void ember_dwconv_f32_3x3s1_avx512f(size_t pixels, size_t channels, const float *const *rows,
                                    const float *w, float *out, const ember_minmax_f32 *clamp);
void ember_dwconv_f32_3x3s2_avx512f(size_t pixels, size_t channels, const float *const *rows,
                                    const float *w, float *out, const ember_minmax_f32 *clamp);
void ember_dwconv_f32_5x5s1_avx512f(size_t pixels, size_t channels, const float *const *rows,
                                    const float *w, float *out, const ember_minmax_f32 *clamp);
void ember_dwconv_f32_5x5s2_avx512f(size_t pixels, size_t channels, const float *const *rows,
                                    const float *w, float *out, const ember_minmax_f32 *clamp);
#endif

#if EMBER_HAVE_AVX2
/* x86-64 AVX2 + FMA (csrc/ukernels/avx2/dwconv_f32_kxk_avx2.c): 8-channel groups, 4 pixels
   per step (8 at stride 1). */
void ember_dwconv_f32_up_avx2(size_t pixels, size_t channels, size_t ks,
                              const float *const *ind, const float *w, float *out,
                              const ember_minmax_f32 *clamp);
void ember_dwconv_f32_3x3s1_avx2(size_t pixels, size_t channels, const float *const *rows,
                                 const float *w, float *out, const ember_minmax_f32 *clamp);
void ember_dwconv_f32_3x3s2_avx2(size_t pixels, size_t channels, const float *const *rows,
                                 const float *w, float *out, const ember_minmax_f32 *clamp);
void ember_dwconv_f32_5x5s1_avx2(size_t pixels, size_t channels, const float *const *rows,
                                 const float *w, float *out, const ember_minmax_f32 *clamp);
void ember_dwconv_f32_5x5s2_avx2(size_t pixels, size_t channels, const float *const *rows,
                                 const float *w, float *out, const ember_minmax_f32 *clamp);
#endif

#if EMBER_HAVE_NEON
/* aarch64 (FMA) and armv7-a (multiply-accumulate) NEON
   (csrc/ukernels/neon/dwconv_f32_kxk_neon.c): 4-channel groups, 8 pixels per step on aarch64,
   4 on armv7. */
void ember_dwconv_f32_up_neon(size_t pixels, size_t channels, size_t ks,
                              const float *const *ind, const float *w, float *out,
                              const ember_minmax_f32 *clamp);
void ember_dwconv_f32_3x3s1_neon(size_t pixels, size_t channels, const float *const *rows,
                                 const float *w, float *out, const ember_minmax_f32 *clamp);
void ember_dwconv_f32_3x3s2_neon(size_t pixels, size_t channels, const float *const *rows,
                                 const float *w, float *out, const ember_minmax_f32 *clamp);
void ember_dwconv_f32_5x5s1_neon(size_t pixels, size_t channels, const float *const *rows,
                                 const float *w, float *out, const ember_minmax_f32 *clamp);
void ember_dwconv_f32_5x5s2_neon(size_t pixels, size_t channels, const float *const *rows,
                                 const float *w, float *out, const ember_minmax_f32 *clamp);
#endif

#endif /* EMBER_UKERNELS_DWCONV_H */
