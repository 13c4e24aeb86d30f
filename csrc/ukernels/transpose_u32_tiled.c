/* Portable tiled 2-D transpose of 4-byte elements (csrc/ukernels/transpose.h) and the variant
   table. */
#include "ukernels/transpose.h"

#define TILE 16

void ember_transpose_u32_tiled(const uint32_t *in, uint32_t *out, size_t rows, size_t cols,
                               size_t ld) {
    for (size_t i0 = 0; i0 < rows; i0 += TILE) {
        const size_t i1 = rows - i0 < TILE ? rows : i0 + TILE;
        for (size_t j0 = 0; j0 < cols; j0 += TILE) {
            const size_t j1 = cols - j0 < TILE ? cols : j0 + TILE;
            for (size_t i = i0; i < i1; i++)
                for (size_t j = j0; j < j1; j++)
                    out[i * cols + j] = in[i + j * ld];
        }
    }
}

static const ember_transpose_u32_config configs[] = {
#if EMBER_HAVE_AVX2
    { EMBER_ISA_AVX2, "transpose_u32_avx2", ember_transpose_u32_avx2 },
#endif
    { EMBER_ISA_NONE, "transpose_u32_tiled", ember_transpose_u32_tiled },
};

const ember_transpose_u32_config *ember_transpose_u32_configs(size_t *count) {
    *count = sizeof configs / sizeof configs[0];
    return configs;
}

const ember_transpose_u32_config *ember_transpose_u32_select(const ember_context *ctx) {
    if (ember_reference_only(ctx))
        return NULL;
    const ember_transpose_u32_config *c = configs;
    while (!ember_isa_usable(ctx, c->isa))
        c++;
    return c;
}
