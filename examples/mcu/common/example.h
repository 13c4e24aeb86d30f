/* What the firmware examples (digits, kws) share: opening a model from flash with no heap (an
 * ember_pool for the interpreter's own memory, the caller's static arena for the tensors) after
 * checking that the arena size the header states is exact, and reporting which kernel each
 * node runs. Each helper prints what it found and returns 0 when all held, 1 otherwise. */
#ifndef EMBER_EXAMPLE_H
#define EMBER_EXAMPLE_H

#include <stddef.h>

#include "emberlite.h"

/* Checks the stated arena size against the library: with arena_size - 1 bytes,
 * ember_interp_allocate must refuse (EMBER_STATUS_ARENA_TOO_SMALL, with a message) and the
 * interpreter's destroy must give the pool back; with arena_size bytes, it must succeed and
 * ember_interp_arena_size must say arena_size. On success *out is the allocated interpreter,
 * its memory from `pool`. */
int example_open(const void *model, size_t model_size, void *arena, size_t arena_size,
                 ember_pool *pool, ember_interp **out);

/* Prints every node's op and the kernel variant it runs. With `fast_tag` (e.g. "armdsp",
 * "mve"; NULL: no check), each node of an op that has a Cortex-M kernel (convolution,
 * depthwise, fully connected, add, pooling) must run a variant whose name holds the tag. */
int example_report_variants(const ember_interp *interp, const char *fast_tag);

/* Prints the pool's high-water mark and the stack used so far; destroys the interpreter and
 * checks that the pool is empty again. */
int example_close(ember_interp *interp, const ember_pool *pool);

/* The kernel tag of the CPU the firmware was built for: "mve" with Helium, "armdsp" with the
 * DSP extension, NULL otherwise. */
const char *example_fast_tag(void);

#endif
