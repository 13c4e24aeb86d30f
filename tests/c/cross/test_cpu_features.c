/* Checks the interpreter's CPU feature detection against an independent oracle: on aarch64 it
   executes one SDOT instruction under a SIGILL handler, so the answer comes from the CPU (or
   qemu's model of it) and not from the hwcaps the library reads. Run as
   `test_cpu_features MODEL_DIR`; EMBER_EXPECT_DOTPROD=0 or 1 in the environment also pins the
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

/* 1 when the CPU executes `sdot v0.4s, v0.16b, v0.16b` (ARMv8.2 dotprod), 0 when it traps. */
static int cpu_runs_sdot(void) {
    struct sigaction act = {0}, old;
    act.sa_handler = on_sigill;
    sigemptyset(&act.sa_mask);
    if (sigaction(SIGILL, &act, &old) != 0)
        return -1;
    volatile int ok = 0;
    if (sigsetjmp(probe_env, 1) == 0) {
        __asm__ volatile(".inst 0x4e809400" ::: "v0");
        ok = 1;
    }
    sigaction(SIGILL, &old, NULL);
    return ok;
}
#endif

static void check_features(uint32_t features) {
    CHECK_MSG((features & ~(EMBER_ISA_AVX2 | EMBER_ISA_NEON | EMBER_ISA_NEONDOT)) == 0,
              "unknown feature bits 0x%x", (unsigned)features);
#if defined(__aarch64__)
    CHECK_MSG(features & EMBER_ISA_NEON, "aarch64 always has NEON, got 0x%x", (unsigned)features);
    CHECK(!(features & EMBER_ISA_AVX2));
    int sdot = cpu_runs_sdot();
    CHECK(sdot >= 0);
    CHECK_MSG(!!(features & EMBER_ISA_NEONDOT) == sdot,
              "detected dotprod %d, but the CPU %s SDOT", !!(features & EMBER_ISA_NEONDOT),
              sdot ? "runs" : "traps on");
    const char *expect = getenv("EMBER_EXPECT_DOTPROD");
    if (expect != NULL)
        CHECK_MSG(sdot == atoi(expect), "EMBER_EXPECT_DOTPROD=%s but the CPU %s SDOT", expect,
                  sdot ? "runs" : "traps on");
#elif defined(__arm__)
    int neon = 0;
#if defined(__ARM_NEON)
    neon = 1;
#endif
    CHECK_MSG(!!(features & EMBER_ISA_NEON) == neon, "NEON built %d, detected 0x%x", neon,
              (unsigned)features);
    CHECK(!(features & (EMBER_ISA_NEONDOT | EMBER_ISA_AVX2)));
#else
    CHECK(!(features & (EMBER_ISA_NEON | EMBER_ISA_NEONDOT)));
#endif
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
