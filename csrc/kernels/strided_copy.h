/* Element copy with a source stride, for any element size, and the strided walk built on it;
   shared by the data movement kernels (transpose, slice, pad). Header-only so each op file
   stays self-contained. */
#ifndef EMBER_KERNELS_STRIDED_COPY_H
#define EMBER_KERNELS_STRIDED_COPY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ember_internal.h"

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

/* Checks a data movement node (transpose, slice): one input of a known element type (and up
   to max_inputs - 1 optional run-time operands, kernels/operand.h), one output of the same
   type and rank. */
static inline ember_status strided_check_io_n(ember_context *ctx, const ember_node *node,
                                              const char *op, uint8_t params_type,
                                              uint32_t max_inputs) {
    ember_status st = ember_check_arity(ctx, node, 1, max_inputs, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, params_type);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (ember_type_bytes(in->type) == 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): unknown input type %u", node->index, op,
                          in->type);
    if ((st = ember_check_type(ctx, node, out, in->type, "output")) ||
        (st = ember_check_rank(ctx, node, out, in->rank, "output")))
        return st;
    return EMBER_STATUS_OK;
}

static inline ember_status strided_check_io(ember_context *ctx, const ember_node *node,
                                            const char *op, uint8_t params_type) {
    return strided_check_io_n(ctx, node, op, params_type, 1);
}

/* Element strides of a dense row-major tensor. */
static inline void strided_dense_strides(const ember_tensor *t, ptrdiff_t *stride) {
    ptrdiff_t s = 1;
    for (uint32_t a = t->rank; a-- > 0;) {
        stride[a] = s;
        s *= (ptrdiff_t)t->dims[a];
    }
}

/* The output walked in row-major order while the input position moves by a fixed element
   stride along each axis. Built axis by axis: extent-1 axes only shift the start, and an axis
   whose stride continues the previous axis's joins it, so the copy makes few, long runs. */
struct strided_walk {
    uint32_t rank;                    /* merged axes, >= 1 once finished */
    size_t extent[EMBER_MAX_RANK];    /* output order */
    ptrdiff_t stride[EMBER_MAX_RANK]; /* input elements per step along the axis */
    ptrdiff_t base;                   /* input element offset of the first output element */
    size_t count;                     /* output elements */
    size_t elem_size;
};

static inline void strided_walk_init(struct strided_walk *w, size_t count, size_t elem_size) {
    w->rank = 0;
    w->base = 0;
    w->count = count;
    w->elem_size = elem_size;
}

/* Appends the next output axis: `n` elements, `stride` input elements apart. */
static inline void strided_walk_axis(struct strided_walk *w, size_t n, ptrdiff_t stride) {
    if (n == 1)
        return;
    if (w->rank > 0 && w->stride[w->rank - 1] == stride * (ptrdiff_t)n) {
        w->extent[w->rank - 1] *= n;
        w->stride[w->rank - 1] = stride;
    } else {
        w->extent[w->rank] = n;
        w->stride[w->rank] = stride;
        w->rank++;
    }
}

/* Gives a walk whose axes all had extent 1 its one axis. */
static inline void strided_walk_finish(struct strided_walk *w) {
    if (w->rank == 0) {
        w->extent[0] = 1;
        w->stride[0] = 1;
        w->rank = 1;
    }
}

/* Copies the walked input elements to the dense output, innermost axis a run at a time. */
static inline void strided_walk_copy(const struct strided_walk *w, const void *in, void *out) {
    if (w->count == 0)
        return;
    const uint32_t outer = w->rank - 1;
    const size_t inner = w->extent[outer];
    const size_t es = w->elem_size;
    const uint8_t *src = in;
    uint8_t *dst = out;
    size_t idx[EMBER_MAX_RANK] = {0};
    ptrdiff_t offset = w->base; /* input element offset of the current outer index */
    for (size_t done = 0; done < w->count; done += inner) {
        strided_copy(dst, src + offset * (ptrdiff_t)es, inner, w->stride[outer], es);
        dst += inner * es;
        for (uint32_t a = outer; a-- > 0;) {
            offset += w->stride[a];
            if (++idx[a] < w->extent[a])
                break;
            offset -= w->stride[a] * (ptrdiff_t)w->extent[a];
            idx[a] = 0;
        }
    }
}

#endif /* EMBER_KERNELS_STRIDED_COPY_H */
