/* What every op file and microkernel family uses to choose an optimised variant at prepare:
   whether the CPU and the options allow an ISA. Each family's select function walks its own
   configuration table with it (csrc/ukernels/<family>_select.c). */
#ifndef EMBER_KERNELS_KERNELS_H
#define EMBER_KERNELS_KERNELS_H

#include "ember_internal.h"

/* True when every bit of `isa` is on this CPU and allowed by the options. */
bool ember_isa_usable(const ember_context *ctx, uint32_t isa);

#endif /* EMBER_KERNELS_KERNELS_H */
