/* Every int8 GEMM/IGEMM configuration this CPU runs (ember_gemm_qs8_configs) reads no byte of A
   past a row's or a tap's kc bytes: the rows, the taps and the zero vector end exactly where an
   inaccessible page begins, so a read past them kills the test with SIGSEGV. This is the check
   that holds under qemu, where the cross builds have no AddressSanitizer (natively,
   test_ukernel_gemm_qs8 under ASan checks the same with exact-size buffers). kc 1..40 (every
   K tail of kr 4 and 8 with and without a main loop), every mr, 1 and 3 taps; the outputs are
   compared with the portable kernels so the calls cannot be optimised away. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <sys/mman.h>
#include <unistd.h>

#include "ember_internal.h"
#include "emberlite.h"
#include "kernels/fixed_point.h"
#include "test_util.h"
#include "ukernels/gemm_qs8.h"

#define NC 20
#define MAX_K (3 * 40)
#define MAX_MR 16

static int8_t w[NC * MAX_K];
static int32_t mult[NC], shift[NC];
static int8_t out[MAX_MR * NC], out_ref[MAX_MR * NC];

static void *pack(const ember_gemm_qs8_config *cfg, size_t ks, size_t kc) {
    void *p = malloc(ember_gemm_qs8_packed_size(cfg, NC, ks, kc));
    if (p != NULL && !ember_pack_gemm_qs8(cfg, NC, ks, kc, w, NULL, 3, mult, shift, p)) {
        free(p);
        return NULL;
    }
    return p;
}

/* GEMM: mr rows of kc bytes (a_stride kc) ending at `end`; 1..4 rows at a time for the
   portable oracle. Returns the number of differing outputs. */
static size_t check_gemm(const ember_gemm_qs8_config *cfg, const ember_gemm_qs8_config *ref,
                         size_t mr, size_t kc, const int8_t *end, const ember_qs8_params *p) {
    void *pw = pack(cfg, 1, kc), *pr = pack(ref, 1, kc);
    size_t bad = pw == NULL || pr == NULL;
    if (!bad) {
        const int8_t *a = end - mr * kc;
        int32_t c32[MAX_MR * NC];
        cfg->gemm(mr, NC, kc, a, kc, pw, out, NC, p);
        cfg->gemm_i32(mr, NC, kc, a, kc, pw, c32, NC);
        for (size_t i = 0; i < mr; i += 4) {
            ref->gemm(mr - i < 4 ? mr - i : 4, NC, kc, a + i * kc, kc, pr, out_ref + i * NC, NC,
                      p);
        }
        bad += memcmp(out, out_ref, mr * NC) != 0;
    }
    free(pw), free(pr);
    return bad;
}

/* IGEMM: 3 taps per row, every other one the zero vector; taps and zero end at `end`. */
static size_t check_igemm(const ember_gemm_qs8_config *cfg, const ember_gemm_qs8_config *ref,
                          size_t mr, size_t kc, const int8_t *base, size_t base_to_end,
                          const ember_qs8_params *p) {
    void *pw = pack(cfg, 3, kc), *pr = pack(ref, 3, kc);
    size_t bad = pw == NULL || pr == NULL;
    if (!bad) {
        size_t ind[MAX_MR * 3];
        for (size_t i = 0; i < mr * 3; i++)
            ind[i] = (i + mr) % 2 ? EMBER_IND_ZERO : base_to_end - kc;
        const int8_t *zero = base + base_to_end - kc;
        cfg->igemm(mr, NC, kc, 3, ind, base, zero, pw, out, NC, p);
        for (size_t i = 0; i < mr; i += 4) {
            ref->igemm(mr - i < 4 ? mr - i : 4, NC, kc, 3, ind + i * 3, base, zero, pr,
                       out_ref + i * NC, NC, p);
        }
        bad += memcmp(out, out_ref, mr * NC) != 0;
    }
    free(pw), free(pr);
    return bad;
}

int main(void) {
    const uint32_t features = ember_detect_cpu_features();
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    int8_t *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(map != MAP_FAILED);
    if (map == MAP_FAILED || mprotect(map + page, page, PROT_NONE) != 0)
        return test_report("test_ukernel_gemm_qs8_bounds");
    for (size_t i = 0; i < page; i++)
        map[i] = (int8_t)(i * 37 + 11);
    for (size_t i = 0; i < sizeof w; i++)
        w[i] = (int8_t)(i * 13 + 5);
    for (size_t j = 0; j < NC; j++)
        ember_quantize_multiplier(0.001 * (double)(j + 1), &mult[j], &shift[j]);
    const ember_qs8_params p = {-5, -128, 127};
    size_t count = 0;
    const ember_gemm_qs8_config *cfgs = ember_gemm_qs8_configs(&count), *ref = NULL;
    for (size_t n = 0; n < count; n++)
        ref = cfgs[n].gemm == ember_gemm_qs8_4x16c4_scalar ? &cfgs[n] : ref;
    CHECK(ref != NULL);
    for (size_t n = 0; n < count && ref != NULL; n++) {
        const ember_gemm_qs8_config *cfg = &cfgs[n];
        if ((cfg->isa & features) != cfg->isa || cfg->mr > MAX_MR)
            continue;
        size_t bad = 0;
        for (size_t kc = 1; kc <= MAX_K / 3; kc++) {
            for (size_t mr = 1; mr <= cfg->mr; mr++) {
                bad += check_gemm(cfg, ref, mr, kc, map + page, &p);
                bad += check_igemm(cfg, ref, mr, kc, map, page, &p);
            }
        }
        CHECK_MSG(bad == 0, "%s: %zu calls differ from the portable kernel", cfg->name, bad);
        printf("%s: no read past kc (kc 1..40, mr 1..%zu)\n", cfg->name, cfg->mr);
    }
    munmap(map, 2 * page);
    return test_report("test_ukernel_gemm_qs8_bounds");
}
