/* What every op file and microkernel family uses to choose an optimised variant at prepare:
   whether the CPU and the options allow an ISA. Each family's select function walks its own
   configuration table with it (csrc/ukernels/<family>_select.c). */
#ifndef EMBER_KERNELS_KERNELS_H
#define EMBER_KERNELS_KERNELS_H

#include "ember_internal.h"

/* True when every bit of `isa` is on this CPU and allowed by the options. */
bool ember_isa_usable(const ember_context *ctx, uint32_t isa);

/* True when the ops must run their reference loops: under isa_mask EMBER_ISA_NONE, and always
   on bare-metal builds, where weights stay in flash (no packed copies in RAM) and the scratch
   every node asks for is the reference's, so the arena size the converter computes with the
   reference kernels is exact. The in-place Cortex-M kernels (csrc/ukernels/armdsp, mve) are
   checked before this. */
static inline bool ember_reference_only(const ember_context *ctx) {
    return EMBER_BARE_METAL || ctx->isa_mask == EMBER_ISA_NONE;
}

/* False on bare-metal builds: an op's eval tests it before a packed-weight path, which then
   compiles away with everything it calls. */
#define EMBER_PACKED_KERNELS (!EMBER_BARE_METAL)

#endif /* EMBER_KERNELS_KERNELS_H */
