/* The huge-page bump region of csrc/region.h. */
#if defined(__linux__)
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE, madvise */
#endif
#include "region.h"

/* AddressSanitizer (gcc says so with a macro, clang through __has_feature). */
#if defined(__SANITIZE_ADDRESS__)
#define REGION_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REGION_ASAN 1
#endif
#endif

#if defined(__linux__) && UINTPTR_MAX > 0xffffffffu && !defined(REGION_ASAN)
#include <sys/mman.h>

/* The transparent huge page size of x86-64 and of aarch64 with 4 KiB pages; with other page
   sizes the alignment is merely generous. */
#define REGION_HUGE ((size_t)2 << 20)
#define REGION_ALIGN 64

static size_t round_huge(size_t n) {
    return (n + REGION_HUGE - 1) & ~(REGION_HUGE - 1);
}

bool ember_region_reserve(ember_region *r, size_t cap, bool huge_pages) {
    if (r->base != NULL)
        return true;
    if (cap == 0 || cap > SIZE_MAX / 2)
        return false;
    cap = round_huge(cap);
    /* One huge page more than needed, so that an aligned start lies inside; the slop on
       either side is unmapped again. NORESERVE: only touched pages are committed. */
    const size_t span = cap + REGION_HUGE;
    void *raw = mmap(NULL, span, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED)
        return false;
    const uintptr_t start = ((uintptr_t)raw + REGION_HUGE - 1) & ~(uintptr_t)(REGION_HUGE - 1);
    const size_t head = start - (uintptr_t)raw, tail = span - head - cap;
    if (head > 0)
        munmap(raw, head);
    if (tail > 0)
        munmap((uint8_t *)start + cap, tail);
    /* Advice only: a kernel without transparent huge pages still maps 4 KiB pages. */
    if (huge_pages)
        (void)madvise((void *)start, cap, MADV_HUGEPAGE);
    *r = (ember_region){(uint8_t *)start, cap, 0};
    return true;
}

void *ember_region_take(ember_region *r, size_t size) {
    if (r->base == NULL)
        return NULL;
    const size_t at = (r->used + REGION_ALIGN - 1) & ~(size_t)(REGION_ALIGN - 1);
    if (at > r->cap || size > r->cap - at)
        return NULL;
    r->used = at + size;
    return r->base + at;
}

void ember_region_trim(ember_region *r) {
    if (r->base == NULL)
        return;
    const size_t keep = round_huge(r->used);
    if (keep == 0) {
        ember_region_release(r);
        return;
    }
    if (keep < r->cap)
        munmap(r->base + keep, r->cap - keep);
    r->cap = keep;
}

void ember_region_release(ember_region *r) {
    if (r->base != NULL)
        munmap(r->base, r->cap);
    *r = (ember_region){NULL, 0, 0};
}

#else

bool ember_region_reserve(ember_region *r, size_t cap, bool huge_pages) {
    (void)cap, (void)huge_pages;
    *r = (ember_region){NULL, 0, 0};
    return false;
}

void *ember_region_take(ember_region *r, size_t size) {
    (void)r, (void)size;
    return NULL;
}

void ember_region_trim(ember_region *r) {
    (void)r;
}

void ember_region_release(ember_region *r) {
    (void)r;
}

#endif
