/* The bump region (csrc/region.h) that ember_alloc takes blocks from under the default
   allocator, with and without huge pages: blocks are 64-byte aligned, zero, disjoint, refused
   past the capacity, and survive trim; and every test model (small: 4 KiB pages) gives the same
   output bits with the region (default allocator) as without it (the caller's allocator), with
   no model memory left behind. Where
   regions are compiled out (32-bit, no Linux, AddressSanitizer) reserve fails and take gives
   NULL, and the model half still runs. */
#include "emberlite.h"
#include "region.h"
#include "test_util.h"

static bool all_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0)
            return false;
    }
    return true;
}

static void check_region(bool huge_pages) {
    ember_region r = {NULL, 0, 0};
    const size_t mib = (size_t)1 << 20;
    if (!ember_region_reserve(&r, 3 * mib, huge_pages)) {
        printf("test_region: regions compiled out or refused here\n");
        CHECK(ember_region_take(&r, 64) == NULL);
        ember_region_release(&r);
        return;
    }
    CHECK(r.cap >= 3 * mib && r.cap % (2 * mib) == 0 && (uintptr_t)r.base % (2 * mib) == 0);
    /* Odd sizes, so that every block after the first starts on a rounded-up offset. */
    const size_t sizes[] = {1, 63, 65, 4096 + 7, mib + 3, 100};
    uint8_t *blocks[6];
    for (int i = 0; i < 6; i++) {
        blocks[i] = ember_region_take(&r, sizes[i]);
        CHECK_MSG(blocks[i] != NULL && (uintptr_t)blocks[i] % 64 == 0, "block %d", i);
        if (blocks[i] == NULL)
            return;
        CHECK_MSG(all_zero(blocks[i], sizes[i]), "block %d not zero", i);
        CHECK_MSG(i == 0 || blocks[i] >= blocks[i - 1] + sizes[i - 1], "block %d overlaps", i);
        memset(blocks[i], 0xa0 + i, sizes[i]);
    }
    CHECK(ember_region_take(&r, r.cap) == NULL); /* past the end: the caller goes to malloc */
    CHECK(ember_region_take(&r, SIZE_MAX) == NULL);
    ember_region_trim(&r); /* used is just over 1 MiB: one huge page stays */
    CHECK(r.cap == 2 * mib);
    for (int i = 0; i < 6; i++) {
        bool same = true;
        for (size_t j = 0; j < sizes[i]; j++)
            same = same && blocks[i][j] == (uint8_t)(0xa0 + i);
        CHECK_MSG(same, "block %d changed by trim", i);
    }
    uint8_t *last = ember_region_take(&r, 1000); /* still inside the kept huge page */
    CHECK(last != NULL && all_zero(last, 1000));
    ember_region_release(&r);
    CHECK(r.base == NULL && r.cap == 0 && ember_region_take(&r, 1) == NULL);
}

static void *plain_alloc(void *user, size_t size, size_t align) {
    (*(long *)user)++;
    return aligned_alloc(align, size ? (size + align - 1) / align * align : align);
}

static void plain_free(void *user, void *ptr) {
    if (ptr != NULL)
        (*(long *)user)--;
    free(ptr);
}

/* Creates, allocates and invokes `model` on a fixed input; the output bytes go to `out`
   (up to cap); returns their count, 0 on failure. */
static size_t run_model(const uint8_t *model, size_t size, const ember_allocator *a,
                        uint8_t *out, size_t cap, const char *name) {
    ember_options o;
    ember_options_init(&o);
    o.allocator = a;
    ember_interp *ip = NULL;
    ember_status st = ember_interp_create(model, size, &o, &ip);
    if (st == EMBER_STATUS_OK)
        st = ember_interp_allocate(ip);
    size_t n = 0;
    if (st == EMBER_STATUS_OK) {
        for (uint32_t i = 0; i < ember_interp_input_count(ip); i++) {
            const uint32_t t = ember_interp_input_tensor(ip, i);
            ember_tensor_info info;
            ember_interp_tensor_info(ip, t, &info);
            uint8_t *p = ember_interp_tensor_data(ip, t);
            for (size_t j = 0; j < info.bytes; j++) /* small values: valid for every type */
                p[j] = (uint8_t)(j % 7 == 0 ? 0x3c : 0);
        }
        st = ember_interp_invoke(ip);
    }
    if (st == EMBER_STATUS_OK && ember_interp_output_count(ip) > 0) {
        const uint32_t t = ember_interp_output_tensor(ip, 0);
        ember_tensor_info info;
        ember_interp_tensor_info(ip, t, &info);
        n = info.bytes < cap ? info.bytes : cap;
        memcpy(out, ember_interp_tensor_data(ip, t), n);
    }
    CHECK_MSG(st == EMBER_STATUS_OK, "%s: %s", name, ip ? ember_errmsg(ip) : "no handle");
    ember_interp_destroy(ip);
    return n;
}

int main(int argc, char **argv) {
    check_region(true);
    check_region(false);
    const char *dir = argc > 1 ? argv[1] : "build/models";
    static char names[TEST_MAX_MODELS][64];
    const int count = test_model_names(dir, names, TEST_MAX_MODELS);
    CHECK(count > 0);
    static uint8_t with_region[1 << 16], without[1 << 16];
    for (int m = 0; m < count; m++) {
        size_t size;
        uint8_t *model = test_read_file(dir, names[m], &size);
        CHECK_MSG(model != NULL, "%s", names[m]);
        if (model == NULL)
            continue;
        long live = 0;
        const ember_allocator a = {plain_alloc, plain_free, &live};
        const size_t n1 = run_model(model, size, NULL, with_region, sizeof with_region, names[m]);
        const size_t n2 = run_model(model, size, &a, without, sizeof without, names[m]);
        CHECK_MSG(n1 == n2 && memcmp(with_region, without, n1) == 0,
                  "%s: outputs differ with and without the region", names[m]);
        CHECK_MSG(live == 0, "%s: %ld blocks leaked", names[m], live);
        free(model);
    }
    return test_report("test_region");
}
