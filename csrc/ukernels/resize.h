/* float32 bilinear RESIZE microkernels (csrc/kernels/resize.c), one layer below the op: one
 * output row of NHWC pixels, vectorised over the channels.
 *
 * Output pixel ox blends input columns lo[ox] and hi[ox] (cell indices) of the input rows r0
 * and r1 with weights wx[ox] and wy, as the reference loop does and in its order, with
 * separate multiplies and adds (no FMA):
 *   top = r0[lo] + wx * (r0[hi] - r0[lo]), bottom likewise from r1,
 *   out = top + wy * (bottom - top),
 * so every variant equals the reference bit for bit. */
#ifndef EMBER_UKERNELS_RESIZE_H
#define EMBER_UKERNELS_RESIZE_H

#include "kernels/kernels.h"

typedef void (*ember_resize_bilinear_f32_fn)(const float *r0, const float *r1,
                                             const int32_t *lo, const int32_t *hi,
                                             const float *wx, float wy, size_t out_w,
                                             size_t channels, float *out);

typedef struct ember_resize_f32_config {
    uint32_t isa; /* EMBER_ISA_* bits it needs */
    const char *name;
    ember_resize_bilinear_f32_fn bilinear;
} ember_resize_f32_config;

void ember_resize_bilinear_f32_c8(const float *r0, const float *r1, const int32_t *lo,
                                  const int32_t *hi, const float *wx, float wy, size_t out_w,
                                  size_t channels, float *out);
#if EMBER_HAVE_AVX2
void ember_resize_bilinear_f32_avx2(const float *r0, const float *r1, const int32_t *lo,
                                    const int32_t *hi, const float *wx, float wy, size_t out_w,
                                    size_t channels, float *out);
#endif

/* Every configuration, best first, the portable one last (for the tests). */
const ember_resize_f32_config *ember_resize_f32_configs(size_t *count);
/* The best usable configuration, or NULL under ember_reference_only (the reference). */
const ember_resize_f32_config *ember_resize_f32_select(const ember_context *ctx);

#endif /* EMBER_UKERNELS_RESIZE_H */
