/* What the example firmware gets from the platform layer (startup.c). */
#ifndef EMBER_EXAMPLE_PLATFORM_H
#define EMBER_EXAMPLE_PLATFORM_H

#include <stddef.h>

/* Bytes of stack used so far at the deepest point (the stack is painted at reset). */
size_t platform_stack_used(void);
size_t platform_stack_size(void);

#endif
