/* ember_pool: the bump allocator of emberlite.h, for builds with no heap. */
#include <string.h>

#include "ember_internal.h"

/* Stored just below each block: the pool as it was before the block was taken. */
struct pool_mark {
    size_t used;
    void *top;
};

void ember_pool_init(ember_pool *pool, void *memory, size_t size) {
    if (pool == NULL)
        return;
    memset(pool, 0, sizeof *pool);
    pool->base = memory;
    pool->size = memory != NULL ? size : 0;
}

static void *pool_alloc(void *user, size_t size, size_t align) {
    ember_pool *pool = user;
    if (align == 0 || (align & (align - 1)) != 0)
        return NULL;
    if (align < sizeof(void *))
        align = sizeof(void *);
    const uintptr_t base = (uintptr_t)pool->base;
    size_t start = pool->used + sizeof(struct pool_mark);
    if (start < pool->used)
        return NULL;
    size_t misalign = (base + start) % align;
    if (misalign != 0 && start > SIZE_MAX - (align - misalign))
        return NULL;
    start += misalign != 0 ? align - misalign : 0;
    if (start > pool->size || size > pool->size - start)
        return NULL;
    uint8_t *block = pool->base + start;
    struct pool_mark mark = {pool->used, pool->top};
    memcpy(block - sizeof mark, &mark, sizeof mark);
    pool->used = start + size;
    pool->top = block;
    if (pool->used > pool->high_water)
        pool->high_water = pool->used;
    return block;
}

static void pool_free(void *user, void *ptr) {
    ember_pool *pool = user;
    if (ptr == NULL || ptr != pool->top)
        return;
    struct pool_mark mark;
    memcpy(&mark, (uint8_t *)ptr - sizeof mark, sizeof mark);
    pool->used = mark.used;
    pool->top = mark.top;
}

ember_allocator ember_pool_allocator(ember_pool *pool) {
    ember_allocator a = {pool_alloc, pool_free, pool};
    return a;
}
