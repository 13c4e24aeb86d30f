/* The firmware examples' shared steps (example.h). */
#include <stdio.h>
#include <string.h>

#include "example.h"
#include "platform.h"

/* The ops that have Cortex-M kernels (csrc/ukernels/armdsp, csrc/ukernels/mve). */
static const char *const fast_ops[] = {"conv2d", "depthwise_conv2d", "fully_connected", "add",
                                       "average_pool2d", "max_pool2d"};

const char *example_fast_tag(void) {
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
    return "mve";
#elif defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
    return "armdsp";
#else
    return NULL;
#endif
}

static ember_status open_with(const void *model, size_t model_size, void *arena,
                              size_t arena_size, ember_pool *pool, ember_interp **out) {
    /* Static: the interpreter keeps the options it was created with. */
    static ember_allocator allocator;
    allocator = ember_pool_allocator(pool);
    ember_options options;
    ember_options_init(&options);
    options.allocator = &allocator;
    options.arena = arena;
    options.arena_size = arena_size;
    ember_status st = ember_interp_create(model, model_size, &options, out);
    if (st == EMBER_STATUS_OK)
        st = ember_interp_allocate(*out);
    return st;
}

int example_open(const void *model, size_t model_size, void *arena, size_t arena_size,
                 ember_pool *pool, ember_interp **out) {
    ember_interp *ip = NULL;
    *out = NULL;
    /* One byte fewer than the header states: the library must refuse it, and say why. */
    ember_status st = open_with(model, model_size, arena, arena_size - 1, pool, &ip);
    const char *msg = ip ? ember_errmsg(ip) : "";
    printf("arena of %lu bytes (one fewer than stated): %s: %s\n",
           (unsigned long)(arena_size - 1), ember_status_str(st), msg);
    int failed = 0;
    if (st != EMBER_STATUS_ARENA_TOO_SMALL || msg[0] == '\0') {
        printf("FAIL: expected %s with a message\n",
               ember_status_str(EMBER_STATUS_ARENA_TOO_SMALL));
        failed = 1;
    }
    ember_interp_destroy(ip);
    if (pool->used != 0) {
        printf("FAIL: destroy left %lu bytes taken in the pool\n", (unsigned long)pool->used);
        return 1;
    }
    st = open_with(model, model_size, arena, arena_size, pool, &ip);
    if (st != EMBER_STATUS_OK) {
        printf("FAIL: arena of %lu bytes (as stated): %s: %s\n", (unsigned long)arena_size,
               ember_status_str(st), ip ? ember_errmsg(ip) : "");
        ember_interp_destroy(ip);
        return 1;
    }
    size_t needed = ember_interp_arena_size(ip);
    printf("arena of %lu bytes (as stated): ok, the library needs %lu\n",
           (unsigned long)arena_size, (unsigned long)needed);
    if (needed != arena_size) {
        printf("FAIL: the header states %lu bytes of arena, the library needs %lu\n",
               (unsigned long)arena_size, (unsigned long)needed);
        failed = 1;
    }
    *out = ip;
    return failed;
}

static int has_fast_kernel(const char *op) {
    for (size_t i = 0; i < sizeof fast_ops / sizeof fast_ops[0]; i++)
        if (strcmp(op, fast_ops[i]) == 0)
            return 1;
    return 0;
}

int example_report_variants(const ember_interp *interp, const char *fast_tag) {
    int failed = 0;
    printf("nodes:\n");
    for (uint32_t n = 0; n < ember_interp_node_count(interp); n++) {
        const char *op = ember_interp_node_op(interp, n);
        const char *variant = ember_interp_node_variant(interp, n);
        int slow = fast_tag != NULL && has_fast_kernel(op) && strstr(variant, fast_tag) == NULL;
        printf("  %2lu %-18s %s%s\n", (unsigned long)n, op, variant,
               slow ? "   <- FAIL: not a Cortex-M kernel" : "");
        failed |= slow;
    }
    return failed;
}

int example_close(ember_interp *interp, const ember_pool *pool) {
    printf("pool high-water: %lu of %lu bytes\n", (unsigned long)pool->high_water,
           (unsigned long)pool->size);
    printf("stack used: %lu of %lu bytes\n", (unsigned long)platform_stack_used(),
           (unsigned long)platform_stack_size());
    ember_interp_destroy(interp);
    if (pool->used != 0) {
        printf("FAIL: destroy left %lu bytes taken in the pool\n", (unsigned long)pool->used);
        return 1;
    }
    return 0;
}
