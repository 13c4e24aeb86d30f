/* Every 2-D transpose configuration this CPU runs (ember_transpose_u32_configs) gives
   out[i * cols + j] = in[i + j * ld] exactly, on random rows, cols in 1..37 (every edge of
   the 8 x 8 and 16 x 16 tiles) and ld >= rows. Buffers are allocated to their exact size, so
   ASan catches a read or write past them. */
#include "emberlite.h"
#include "test_util.h"
#include "ukernels/transpose.h"

static uint32_t rng_state = 0x85ebca6bu;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void check(const ember_transpose_u32_config *cfg) {
    const size_t rows = 1 + rng() % 37, cols = 1 + rng() % 37, ld = rows + rng() % 3;
    const size_t n = (cols - 1) * ld + rows;
    uint32_t *in = malloc(n * sizeof(uint32_t)), *out = malloc(rows * cols * sizeof(uint32_t));
    if (in == NULL || out == NULL) {
        CHECK_MSG(false, "out of memory");
    } else {
        for (size_t i = 0; i < n; i++)
            in[i] = rng();
        cfg->fn(in, out, rows, cols, ld);
        size_t bad = 0;
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++)
                bad += out[i * cols + j] != in[i + j * ld];
        CHECK_MSG(bad == 0, "%s: %zu of %zux%zu differ (ld %zu)", cfg->name, bad, rows, cols,
                  ld);
    }
    free(in), free(out);
}

int main(void) {
    const uint32_t features = ember_detect_cpu_features();
    size_t count = 0;
    const ember_transpose_u32_config *cfgs = ember_transpose_u32_configs(&count);
    size_t tested = 0;
    for (size_t i = 0; i < count; i++) {
        if ((cfgs[i].isa & features) != cfgs[i].isa) {
            printf("%s: skipped, this CPU lacks ISA 0x%x\n", cfgs[i].name, (unsigned)cfgs[i].isa);
            continue;
        }
        for (size_t rep = 0; rep < 300; rep++)
            check(&cfgs[i]);
        tested++;
    }
    CHECK_MSG(tested >= 1, "no configuration ran");
    return test_report("test_ukernel_transpose");
}
