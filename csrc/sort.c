/* ember_sort: heapsort. In place, no recursion, O(n log n) at worst whatever the input (a
 * crafted model cannot make it quadratic), and a few hundred bytes of code where newlib's qsort
 * costs 1.5 KB on a Cortex-M. Not stable; the library only sorts to find equal keys. */
#include <string.h>

#include "ember_internal.h"

static void swap_bytes(uint8_t *a, uint8_t *b, size_t size) {
    for (size_t i = 0; i < size; i++) {
        uint8_t t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

/* Moves element `at` down until the max-heap of the first `count` elements holds again. */
static void sift_down(uint8_t *base, size_t count, size_t size, size_t at,
                      int (*compare)(const void *, const void *)) {
    for (;;) {
        size_t largest = at, left = 2 * at + 1, right = left + 1;
        if (left < count && compare(base + left * size, base + largest * size) > 0)
            largest = left;
        if (right < count && compare(base + right * size, base + largest * size) > 0)
            largest = right;
        if (largest == at)
            return;
        swap_bytes(base + at * size, base + largest * size, size);
        at = largest;
    }
}

void ember_sort(void *items, size_t count, size_t size,
                int (*compare)(const void *, const void *)) {
    uint8_t *base = items;
    for (size_t i = count / 2; i-- > 0;)
        sift_down(base, count, size, i, compare);
    for (size_t end = count; end-- > 1;) {
        swap_bytes(base, base + end * size, size);
        sift_down(base, end, size, 0, compare);
    }
}
