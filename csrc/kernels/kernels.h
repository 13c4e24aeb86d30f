/* Kernel variants: the reference loop of an op and its ISA-specific versions share one
   signature, and the op file lists them in an ember_variant table, best first, the reference
   last with EMBER_ISA_NONE; prepare picks one with ember_pick_variant. Prototypes grouped by op. */
#ifndef EMBER_KERNELS_KERNELS_H
#define EMBER_KERNELS_KERNELS_H

#include "ember_internal.h"

/* A variant's function, stored as the generic function pointer type (which C lets every
   function pointer convert to and back); the op file converts it back to its own type. */
typedef void (*ember_variant_fn)(void);

typedef struct ember_variant {
    uint32_t isa; /* EMBER_ISA_* bits it needs; EMBER_ISA_NONE for the reference */
    ember_variant_fn fn;
    const char *name; /* what `ember inspect` and the profiler show, e.g. "conv2d_i8_avx2" */
} ember_variant;

/* The first entry whose ISA bits are all in ctx->cpu_features and in ctx->isa_mask; the
   table's last entry (EMBER_ISA_NONE) always qualifies. Records its name in node->variant. */
ember_variant_fn ember_pick_variant(const ember_context *ctx, ember_node *node,
                                    const ember_variant *table);
/* True when every bit of `isa` is on this CPU and allowed by the options. */
bool ember_isa_usable(const ember_context *ctx, uint32_t isa);

/* ---- DEPTHWISE_CONV2D (struct depthwise_conv2d_data in kernels/depthwise_conv2d.h) ---- */
struct depthwise_conv2d_data;
void ember_depthwise_conv2d_i8_ref(const struct depthwise_conv2d_data *d, const int8_t *input,
                                   const int8_t *filter, const int32_t *bias, int8_t *output);

#endif /* EMBER_KERNELS_KERNELS_H */
