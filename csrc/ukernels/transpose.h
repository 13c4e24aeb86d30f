/* 2-D transpose of 4-byte elements under TRANSPOSE (csrc/kernels/transpose.c), one layer below
 * the op: out[i * cols + j] = in[i + j * ld] for i < rows, j < cols, in square tiles so that
 * both sides stay in cache. A copy: every variant gives the same bytes. */
#ifndef EMBER_UKERNELS_TRANSPOSE_H
#define EMBER_UKERNELS_TRANSPOSE_H

#include "kernels/kernels.h"

typedef void (*ember_transpose_u32_fn)(const uint32_t *in, uint32_t *out, size_t rows,
                                       size_t cols, size_t ld);

typedef struct ember_transpose_u32_config {
    uint32_t isa; /* EMBER_ISA_* bits it needs */
    const char *name;
    ember_transpose_u32_fn fn;
} ember_transpose_u32_config;

void ember_transpose_u32_tiled(const uint32_t *in, uint32_t *out, size_t rows, size_t cols,
                               size_t ld);
#if EMBER_HAVE_AVX2
void ember_transpose_u32_avx2(const uint32_t *in, uint32_t *out, size_t rows, size_t cols,
                              size_t ld);
#endif

/* Every configuration, best first, the portable one last (for the tests). */
const ember_transpose_u32_config *ember_transpose_u32_configs(size_t *count);
/* The best usable configuration, or NULL under ember_reference_only (the reference). */
const ember_transpose_u32_config *ember_transpose_u32_select(const ember_context *ctx);

#endif /* EMBER_UKERNELS_TRANSPOSE_H */
