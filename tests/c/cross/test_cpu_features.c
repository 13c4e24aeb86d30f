/* Checks the interpreter's CPU feature detection against an independent oracle: on aarch64 it
   executes one instruction of each optional extension (SDOT for dotprod, FADD .8h for asimdhp,
   SMMLA for i8mm, SHA256H for sha2) under a SIGILL handler, so the answer comes from the CPU
   (or qemu's model of it) and not from the hwcaps the library reads. Run as
   `test_cpu_features MODEL_DIR`; EMBER_EXPECT_DOTPROD=0 or 1 and
   EMBER_EXPECT_FEATURES=neon,neondot,... (the exact set) in the environment also pin the
   expected answer, so a cross run cannot pass on the wrong emulated CPU by accident. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <math.h>
#include <signal.h>

#include "emberlite.h"
#include "test_util.h"

#if defined(__aarch64__)
static sigjmp_buf probe_env;

static void on_sigill(int sig) {
    (void)sig;
    siglongjmp(probe_env, 1);
}

/* One function per probed instruction word; each instruction only touches v0. */
#define PROBE(name, word)                              \
    static void name(void) {                           \
        __asm__ volatile(".inst " #word ::: "v0");     \
    }
PROBE(run_sdot, 0x4e809400)  /* sdot v0.4s, v0.16b, v0.16b (ARMv8.2 dotprod) */
PROBE(run_fadd_h, 0x4e401400) /* fadd v0.8h, v0.8h, v0.8h (ARMv8.2 asimdhp) */
PROBE(run_smmla, 0x4e80a400) /* smmla v0.4s, v0.16b, v0.16b (ARMv8.6 i8mm) */
PROBE(run_sha256h, 0x5e024020) /* sha256h q0, q1, v2.4s (ARMv8 SHA2) */

/* 1 when the CPU executes insn's instruction, 0 when it traps, -1 when no handler was set. */
static int cpu_runs(void (*insn)(void)) {
    struct sigaction act = {0}, old;
    act.sa_handler = on_sigill;
    sigemptyset(&act.sa_mask);
    if (sigaction(SIGILL, &act, &old) != 0)
        return -1;
    volatile int ok = 0;
    if (sigsetjmp(probe_env, 1) == 0) {
        insn();
        ok = 1;
    }
    sigaction(SIGILL, &old, NULL);
    return ok;
}

/* Detected bit `bit` must match whether the CPU runs `insn`. */
static void check_probe(uint32_t features, uint32_t bit, void (*insn)(void), const char *what) {
    const int runs = cpu_runs(insn);
    CHECK(runs >= 0);
    CHECK_MSG(!!(features & bit) == runs, "detected %s %d, but the CPU %s it", what,
              !!(features & bit), runs ? "runs" : "traps on");
}
#endif

/* The EMBER_ISA_* bit of a name of EMBER_EXPECT_FEATURES, 0 for an unknown name. */
static uint32_t feature_bit(const char *name, size_t len) {
    static const struct { const char *name; uint32_t bit; } names[] = {
        {"avx2", EMBER_ISA_AVX2},         {"avx512f", EMBER_ISA_AVX512F},
        {"neon", EMBER_ISA_NEON},         {"neondot", EMBER_ISA_NEONDOT},
        {"neonfp16", EMBER_ISA_NEONFP16}, {"neoni8mm", EMBER_ISA_NEONI8MM},
        {"sha", EMBER_ISA_SHA},           {"avx512vnni", EMBER_ISA_AVX512VNNI},
        {"avx512vbmi", EMBER_ISA_AVX512VBMI},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == len && strncmp(names[i].name, name, len) == 0)
            return names[i].bit;
    return 0;
}

/* EMBER_EXPECT_FEATURES, a comma-separated list of names, must be exactly what was detected. */
static void check_expected(uint32_t features) {
    const char *list = getenv("EMBER_EXPECT_FEATURES");
    if (list == NULL)
        return;
    uint32_t want = 0;
    for (const char *p = list; *p != '\0';) {
        const size_t len = strcspn(p, ",");
        const uint32_t bit = feature_bit(p, len);
        CHECK_MSG(bit != 0, "EMBER_EXPECT_FEATURES=%s: unknown name '%.*s'", list, (int)len, p);
        want |= bit;
        p += len + (p[len] == ',');
    }
    CHECK_MSG(features == want, "EMBER_EXPECT_FEATURES=%s is 0x%x, detected 0x%x", list,
              (unsigned)want, (unsigned)features);
}

static void check_features(uint32_t features) {
    const uint32_t known = EMBER_ISA_AVX2 | EMBER_ISA_AVX512F | EMBER_ISA_AVX512VNNI |
                           EMBER_ISA_AVX512VBMI |
                           EMBER_ISA_NEON | EMBER_ISA_NEONDOT | EMBER_ISA_NEONFP16 |
                           EMBER_ISA_NEONI8MM | EMBER_ISA_SHA;
    CHECK_MSG((features & ~known) == 0, "unknown feature bits 0x%x", (unsigned)features);
    const uint32_t x86 = EMBER_ISA_AVX2 | EMBER_ISA_AVX512F | EMBER_ISA_AVX512VNNI |
                         EMBER_ISA_AVX512VBMI;
    const uint32_t arm64_only = EMBER_ISA_NEONDOT | EMBER_ISA_NEONFP16 | EMBER_ISA_NEONI8MM;
    (void)x86, (void)arm64_only; /* each architecture's branch uses some */
#if defined(__aarch64__)
    CHECK_MSG(features & EMBER_ISA_NEON, "aarch64 always has NEON, got 0x%x", (unsigned)features);
    CHECK(!(features & x86));
    check_probe(features, EMBER_ISA_NEONDOT, run_sdot, "dotprod (SDOT)");
    check_probe(features, EMBER_ISA_NEONFP16, run_fadd_h, "asimdhp (FADD .8h)");
    check_probe(features, EMBER_ISA_NEONI8MM, run_smmla, "i8mm (SMMLA)");
    check_probe(features, EMBER_ISA_SHA, run_sha256h, "sha2 (SHA256H)");
    const char *expect = getenv("EMBER_EXPECT_DOTPROD");
    if (expect != NULL)
        CHECK_MSG(cpu_runs(run_sdot) == atoi(expect), "EMBER_EXPECT_DOTPROD=%s but the CPU %s",
                  expect, cpu_runs(run_sdot) ? "runs SDOT" : "traps on SDOT");
#elif defined(__arm__)
    int neon = 0;
#if defined(__ARM_NEON)
    neon = 1;
#endif
    CHECK_MSG(!!(features & EMBER_ISA_NEON) == neon, "NEON built %d, detected 0x%x", neon,
              (unsigned)features);
    /* armv7's SHA-256 instructions (HWCAP2_SHA2) have no block function: never reported. */
    CHECK(!(features & (arm64_only | x86 | EMBER_ISA_SHA)));
#else
    CHECK(!(features & (EMBER_ISA_NEON | arm64_only)));
#endif
    check_expected(features);
}

/* Runs the model with isa_mask `mask` on a fixed input; copies output 0 into `out` (`cap`
   floats). Returns the status and sets *n to the output's element count. */
static ember_status run_masked(const uint8_t *file, size_t size, uint32_t mask, float *out,
                               size_t cap, size_t *n) {
    ember_options opt;
    ember_options_init(&opt);
    opt.isa_mask = mask;
    ember_interp *ip = NULL;
    ember_status st = ember_interp_create(file, size, &opt, &ip);
    if (st == EMBER_STATUS_OK)
        st = ember_interp_allocate(ip);
    ember_tensor_info in, res;
    if (st == EMBER_STATUS_OK)
        st = ember_interp_tensor_info(ip, ember_interp_input_tensor(ip, 0), &in);
    if (st == EMBER_STATUS_OK) {
        float *x = ember_interp_tensor_data(ip, ember_interp_input_tensor(ip, 0));
        for (size_t i = 0; i < in.bytes / sizeof(float); i++)
            x[i] = (float)((int)(i * 7 % 13) - 6) * 0.25f;
        st = ember_interp_invoke(ip);
    }
    if (st == EMBER_STATUS_OK)
        st = ember_interp_tensor_info(ip, ember_interp_output_tensor(ip, 0), &res);
    if (st == EMBER_STATUS_OK) {
        *n = res.bytes / sizeof(float);
        if (*n > cap)
            *n = cap;
        memcpy(out, ember_interp_tensor_data(ip, ember_interp_output_tensor(ip, 0)),
               *n * sizeof(float));
    } else {
        fprintf(stderr, "isa_mask 0x%x: %s\n", (unsigned)mask, ember_errmsg(ip));
    }
    ember_interp_destroy(ip);
    return st;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/models";
    size_t size = 0;
    uint8_t *file = test_read_file(dir, "conv_relu_add.ember", &size);
    if (file == NULL)
        return 1;
    ember_interp *ip = NULL;
    ember_status st = ember_interp_create(file, size, NULL, &ip);
    CHECK_MSG(st == EMBER_STATUS_OK, "create: %s", ember_errmsg(ip));
    if (st == EMBER_STATUS_OK) {
        uint32_t features = ember_interp_cpu_features(ip);
        printf("cpu features: 0x%x\n", (unsigned)features);
        check_features(features);
    }
    ember_interp_destroy(ip);

    /* Whatever variants this CPU selects must agree with the reference kernels alone. */
    float ref[256], best[256];
    size_t n_ref = 0, n_best = 0;
    CHECK(run_masked(file, size, EMBER_ISA_NONE, ref, 256, &n_ref) == EMBER_STATUS_OK);
    CHECK(run_masked(file, size, EMBER_ISA_ALL, best, 256, &n_best) == EMBER_STATUS_OK);
    CHECK(n_ref > 0 && n_ref == n_best);
    for (size_t i = 0; i < n_ref && i < n_best; i++)
        CHECK_MSG(fabsf(ref[i] - best[i]) <= 1e-4f * (1.0f + fabsf(ref[i])),
                  "output %zu: reference %g, optimised %g", i, ref[i], best[i]);
    free(file);
    return test_report("test_cpu_features");
}
