/* Element copy with a source stride, for any element size; shared by the data movement
   kernels (transpose, slice). Header-only so each op file stays self-contained. */
#ifndef EMBER_KERNELS_STRIDED_COPY_H
#define EMBER_KERNELS_STRIDED_COPY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* dst[i] = src[i * stride] for i < count, elements of `size` bytes; stride may be negative.
   Tensor data is aligned to its element size, so the fixed-width paths are safe. Runs use
   memmove: a hostile file can place an output over its input, which must not be UB. */
static inline void strided_copy(void *dst, const void *src, size_t count, ptrdiff_t stride,
                                size_t size) {
    if (stride == 1) {
        memmove(dst, src, count * size);
        return;
    }
    switch (size) {
    case 1: {
        uint8_t *d = dst;
        const uint8_t *s = src;
        for (size_t i = 0; i < count; i++)
            d[i] = s[(ptrdiff_t)i * stride];
        break;
    }
    case 2: {
        uint16_t *d = dst;
        const uint16_t *s = src;
        for (size_t i = 0; i < count; i++)
            d[i] = s[(ptrdiff_t)i * stride];
        break;
    }
    case 4: {
        uint32_t *d = dst;
        const uint32_t *s = src;
        for (size_t i = 0; i < count; i++)
            d[i] = s[(ptrdiff_t)i * stride];
        break;
    }
    case 8: {
        uint64_t *d = dst;
        const uint64_t *s = src;
        for (size_t i = 0; i < count; i++)
            d[i] = s[(ptrdiff_t)i * stride];
        break;
    }
    default: {
        uint8_t *d = dst;
        const uint8_t *s = src;
        for (size_t i = 0; i < count; i++)
            memmove(d + i * size, s + (ptrdiff_t)i * stride * (ptrdiff_t)size, size);
        break;
    }
    }
}

#endif /* EMBER_KERNELS_STRIDED_COPY_H */
