/* A bump region for the interpreter's persistent memory (csrc/region.c). */
#ifndef EMBER_REGION_H
#define EMBER_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One anonymous mapping, aligned to 2 MiB, that ember_alloc carves blocks from in order. For a
   large model it is advised for transparent huge pages: packed weights, indirection buffers and
   the arena then fault in 2 MiB at a time instead of 4 KiB (MobileNetV2 touches about 20 MiB of
   such memory on its first run). A small model keeps 4 KiB pages, so that it is not charged a
   whole huge page. The memory is never reused, so every block is already zero. Hosted 64-bit
   Linux only, and not under AddressSanitizer (blocks carved from one mapping have no redzones);
   elsewhere every call below fails and ember_alloc goes to the allocator. */
typedef struct ember_region {
    uint8_t *base; /* NULL: none reserved */
    size_t cap;    /* bytes mapped from base */
    size_t used;   /* bytes handed out, alignment included */
} ember_region;

/* Reserves `cap` bytes of address space (rounded up to 2 MiB; nothing is committed until
   touched), advised for huge pages when `huge_pages`. False where regions are compiled out or
   the mapping failed. */
bool ember_region_reserve(ember_region *r, size_t cap, bool huge_pages);
/* `size` zeroed bytes at a 64-byte aligned address, or NULL when they do not fit. */
void *ember_region_take(ember_region *r, size_t size);
/* Unmaps the part no block reaches (past the used end rounded up to 2 MiB); later takes that
   do not fit in what is left fail. */
void ember_region_trim(ember_region *r);
/* Unmaps the whole region; r is empty again. */
void ember_region_release(ember_region *r);

#endif /* EMBER_REGION_H */
