/* The microkernel harness: every microkernel configuration this CPU runs (csrc/ukernels/) on the
   real layer shapes of MobileNetV2, MobileNetV3-Large, ResNet18, ResNet50 and EfficientNet-B0 at
   224x224, with median and min time over repeats, GFLOP/s and % of one core's peak; `--check`
   runs each configuration against a double-precision oracle on random shapes instead. The
   int8 GEMM family (gemm_qs8) reports GMAC/s beside the fastest float32 configuration.

   Usage: bench_ukernels [--check] [--family NAME] [--model NAME] [--config NAME] [--repeats N]
   Pin it to one core (`taskset -c 1`): the numbers are per core.

   Kernel families are rows of `families` (a name, a timing run, an oracle check): a new family
   (depthwise, element-wise) adds its shape table, its two functions and one row. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emberlite.h"
#include "ukernels/dwconv.h"
#include "ukernels/gemm.h"
#include "ukernels/gemm_qs8.h"
#include "ukernels/vbinary.h"
#include "ukernels/vunary.h"

typedef struct options {
    const char *model, *config;
    int repeats;
    double peak_gflops; /* one core: FLOP per cycle x measured clock */
} options;

/* ---- common: clock, CPU features, random data, timing ---- */

/* This thread's CPU time: on a shared machine, time spent preempted does not count. */
static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The core's clock in GHz, from a chain of dependent integer adds (one per cycle on every x86
   and Arm core of interest), so it is the clock this thread runs at, turbo included. */
static double measure_clock_ghz(void) {
#if defined(__x86_64__) || defined(__aarch64__)
    const long iters = 2000000;
    double best = 1e9;
    for (int rep = 0; rep < 20; rep++) {
        uint64_t x = 0;
        const double t0 = now_s();
        for (long i = 0; i < iters; i++) {
#if defined(__x86_64__)
            __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                             "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
                             : "+r"(x));
#else
            __asm__ volatile("add %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\t"
                             "add %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\t"
                             "add %0, %0, #1\n\tadd %0, %0, #1"
                             : "+r"(x));
#endif
        }
        const double dt = now_s() - t0;
        best = dt < best ? dt : best;
    }
    return 8.0 * (double)iters / best * 1e-9;
#else
    return 0.0;
#endif
}

/* The EMBER_ISA_* bits this CPU has (the harness asks the compiler's cpuid wrapper; the library
   does its own detection at interpreter creation). */
static uint32_t cpu_features(void) {
    uint32_t f = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        f |= EMBER_ISA_AVX2;
    if (f && __builtin_cpu_supports("avx512f"))
        f |= EMBER_ISA_AVX512F;
    if ((f & EMBER_ISA_AVX512F) && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
        f |= EMBER_ISA_AVX512VNNI;
#elif defined(__aarch64__) || defined(__ARM_NEON)
    f |= EMBER_ISA_NEON;
#endif
    return f;
}

static uint32_t rng_state = 0x2545f491u;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static float *random_floats(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; p != NULL && i < n; i++)
        p[i] = (float)(rng() % 2001) / 1000.0f - 1.0f;
    return p;
}

static int cmp_double(const void *x, const void *y) {
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

typedef struct timing {
    double median_s, min_s;
} timing;

/* Runs fn(arg) once to warm caches, then `repeats` times (more while under 50 ms in all). */
static timing time_runs(void (*fn)(void *), void *arg, int repeats) {
    double t[256];
    int n = 0;
    fn(arg);
    const double start = now_s();
    while (n < 256 && (n < repeats || (now_s() - start < 0.05 && n < 64))) {
        const double t0 = now_s();
        fn(arg);
        t[n++] = now_s() - t0;
    }
    qsort(t, (size_t)n, sizeof t[0], cmp_double);
    return (timing){ t[n / 2], t[0] };
}

/* ---- GEMM / IGEMM ---- */

/* One convolution or FULLY_CONNECTED layer: out_hw x out_hw outputs (1 for FC) of cout channels
   from cin input channels through a kernel x kernel window at `stride`; `count` such layers in
   the model. A 1x1 convolution is a GEMM (M = out_hw^2, K = cin, N = cout; a strided 1x1 reads
   a subsampled input, the same GEMM); a KxK one an IGEMM (kc = cin per tap, ks = kernel^2).

   Derived from the architectures at 224x224 input (torchvision / Keras definitions):
   - MobileNetV2: stem 3x3 s2 3->32 @112; inverted residual blocks (t, c, n, s) = (1,16,1,1)
     (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1); each block an expand
     1x1 cin->6cin at the input size (absent for t = 1), a depthwise 3x3 (stride s on the first
     of a group; not a GEMM) and a project 1x1 6cin->c at the output size; head 1x1 320->1280
     @7, FC 1280->1000.
   - ResNet18: stem 7x7 s2 3->64 @112, max pool to 56; stages of 2 basic blocks (two 3x3) at
     64@56, 128@28, 256@14, 512@7, the first conv of stages 2-4 at stride 2 with a 1x1 s2
     downsample; FC 512->1000.
   - ResNet50 (v1.5, stride on the 3x3): stem as ResNet18; bottlenecks 1x1 -> 3x3 -> 1x1 (x4
     channels), 3/4/6/3 blocks of width 64/128/256/512 at 56/28/14/7; the first block of each
     stage has a 1x1 downsample (stride 2 from stage 2 on) and its first 1x1 runs at the input
     size; FC 2048->1000.
   - MobileNetV3-Large: the pointwise convs of the 15 bneck rows (kernel, expand, out, stride)
     = (3,16,16,1) (3,64,24,2) (3,72,24,1) (5,72,40,2) (5,120,40,1) x2 (3,240,80,2) (3,200,80,1)
     (3,184,80,1) x2 (3,480,112,1) (3,672,112,1) (5,672,160,2) (5,960,160,1) x2 from 16@112;
     last 1x1 160->960 @7 (the SE squeeze/excite FCs and the 960->1280 head are M = 1).
   - EfficientNet-B0: the pointwise convs of MBConv stages (expand, kernel, stride, out, n) =
     (1,3,1,16,1) (6,3,2,24,2) (6,5,2,40,2) (6,3,2,80,3) (6,5,1,112,3) (6,5,2,192,4)
     (6,3,1,320,1) from 32@112; head 1x1 320->1280 @7. */
typedef struct conv_shape {
    const char *model, *layer;
    unsigned out_hw, kernel, stride, cin, cout, count;
} conv_shape;

static const conv_shape conv_shapes[] = {
    { "mobilenet_v2", "stem 3x3 s2", 112, 3, 2, 3, 32, 1 },
    { "mobilenet_v2", "b1 project", 112, 1, 1, 32, 16, 1 },
    { "mobilenet_v2", "b2 expand", 112, 1, 1, 16, 96, 1 },
    { "mobilenet_v2", "b2 project", 56, 1, 1, 96, 24, 1 },
    { "mobilenet_v2", "b3 expand", 56, 1, 1, 24, 144, 2 },
    { "mobilenet_v2", "b3 project", 56, 1, 1, 144, 24, 1 },
    { "mobilenet_v2", "b4 project", 28, 1, 1, 144, 32, 1 },
    { "mobilenet_v2", "b5 expand", 28, 1, 1, 32, 192, 3 },
    { "mobilenet_v2", "b5 project", 28, 1, 1, 192, 32, 2 },
    { "mobilenet_v2", "b7 project", 14, 1, 1, 192, 64, 1 },
    { "mobilenet_v2", "b8 expand", 14, 1, 1, 64, 384, 4 },
    { "mobilenet_v2", "b8 project", 14, 1, 1, 384, 64, 3 },
    { "mobilenet_v2", "b11 project", 14, 1, 1, 384, 96, 1 },
    { "mobilenet_v2", "b12 expand", 14, 1, 1, 96, 576, 3 },
    { "mobilenet_v2", "b12 project", 14, 1, 1, 576, 96, 2 },
    { "mobilenet_v2", "b14 project", 7, 1, 1, 576, 160, 1 },
    { "mobilenet_v2", "b15 expand", 7, 1, 1, 160, 960, 3 },
    { "mobilenet_v2", "b15 project", 7, 1, 1, 960, 160, 2 },
    { "mobilenet_v2", "b17 project", 7, 1, 1, 960, 320, 1 },
    { "mobilenet_v2", "head 1x1", 7, 1, 1, 320, 1280, 1 },
    { "mobilenet_v2", "fc", 1, 1, 1, 1280, 1000, 1 },
    { "resnet18", "stem 7x7 s2", 112, 7, 2, 3, 64, 1 },
    { "resnet18", "l1 3x3", 56, 3, 1, 64, 64, 4 },
    { "resnet18", "l2 3x3 s2", 28, 3, 2, 64, 128, 1 },
    { "resnet18", "l2 3x3", 28, 3, 1, 128, 128, 3 },
    { "resnet18", "l2 down 1x1", 28, 1, 2, 64, 128, 1 },
    { "resnet18", "l3 3x3 s2", 14, 3, 2, 128, 256, 1 },
    { "resnet18", "l3 3x3", 14, 3, 1, 256, 256, 3 },
    { "resnet18", "l3 down 1x1", 14, 1, 2, 128, 256, 1 },
    { "resnet18", "l4 3x3 s2", 7, 3, 2, 256, 512, 1 },
    { "resnet18", "l4 3x3", 7, 3, 1, 512, 512, 3 },
    { "resnet18", "l4 down 1x1", 7, 1, 2, 256, 512, 1 },
    { "resnet18", "fc", 1, 1, 1, 512, 1000, 1 },
    { "resnet50", "stem 7x7 s2", 112, 7, 2, 3, 64, 1 },
    { "resnet50", "l1 reduce first", 56, 1, 1, 64, 64, 1 },
    { "resnet50", "l1 reduce", 56, 1, 1, 256, 64, 2 },
    { "resnet50", "l1 3x3", 56, 3, 1, 64, 64, 3 },
    { "resnet50", "l1 expand+down", 56, 1, 1, 64, 256, 4 },
    { "resnet50", "l2 reduce first", 56, 1, 1, 256, 128, 1 },
    { "resnet50", "l2 3x3 s2", 28, 3, 2, 128, 128, 1 },
    { "resnet50", "l2 reduce", 28, 1, 1, 512, 128, 3 },
    { "resnet50", "l2 3x3", 28, 3, 1, 128, 128, 3 },
    { "resnet50", "l2 expand", 28, 1, 1, 128, 512, 4 },
    { "resnet50", "l2 down 1x1", 28, 1, 2, 256, 512, 1 },
    { "resnet50", "l3 reduce first", 28, 1, 1, 512, 256, 1 },
    { "resnet50", "l3 3x3 s2", 14, 3, 2, 256, 256, 1 },
    { "resnet50", "l3 reduce", 14, 1, 1, 1024, 256, 5 },
    { "resnet50", "l3 3x3", 14, 3, 1, 256, 256, 5 },
    { "resnet50", "l3 expand", 14, 1, 1, 256, 1024, 6 },
    { "resnet50", "l3 down 1x1", 14, 1, 2, 512, 1024, 1 },
    { "resnet50", "l4 reduce first", 14, 1, 1, 1024, 512, 1 },
    { "resnet50", "l4 3x3 s2", 7, 3, 2, 512, 512, 1 },
    { "resnet50", "l4 reduce", 7, 1, 1, 2048, 512, 2 },
    { "resnet50", "l4 3x3", 7, 3, 1, 512, 512, 2 },
    { "resnet50", "l4 expand", 7, 1, 1, 512, 2048, 3 },
    { "resnet50", "l4 down 1x1", 7, 1, 2, 1024, 2048, 1 },
    { "resnet50", "fc", 1, 1, 1, 2048, 1000, 1 },
    { "mobilenet_v3_large", "b1 project", 112, 1, 1, 16, 16, 1 },
    { "mobilenet_v3_large", "b2 expand", 112, 1, 1, 16, 64, 1 },
    { "mobilenet_v3_large", "b2 project", 56, 1, 1, 64, 24, 1 },
    { "mobilenet_v3_large", "b3 expand", 56, 1, 1, 24, 72, 2 },
    { "mobilenet_v3_large", "b3 project", 56, 1, 1, 72, 24, 1 },
    { "mobilenet_v3_large", "b4 project", 28, 1, 1, 72, 40, 1 },
    { "mobilenet_v3_large", "b5 expand", 28, 1, 1, 40, 120, 2 },
    { "mobilenet_v3_large", "b5 project", 28, 1, 1, 120, 40, 2 },
    { "mobilenet_v3_large", "b7 expand", 28, 1, 1, 40, 240, 1 },
    { "mobilenet_v3_large", "b7 project", 14, 1, 1, 240, 80, 1 },
    { "mobilenet_v3_large", "b8 expand", 14, 1, 1, 80, 200, 1 },
    { "mobilenet_v3_large", "b8 project", 14, 1, 1, 200, 80, 1 },
    { "mobilenet_v3_large", "b9 expand", 14, 1, 1, 80, 184, 2 },
    { "mobilenet_v3_large", "b9 project", 14, 1, 1, 184, 80, 2 },
    { "mobilenet_v3_large", "b11 expand", 14, 1, 1, 80, 480, 1 },
    { "mobilenet_v3_large", "b11 project", 14, 1, 1, 480, 112, 1 },
    { "mobilenet_v3_large", "b12 expand", 14, 1, 1, 112, 672, 2 },
    { "mobilenet_v3_large", "b12 project", 14, 1, 1, 672, 112, 1 },
    { "mobilenet_v3_large", "b13 project", 7, 1, 1, 672, 160, 1 },
    { "mobilenet_v3_large", "b14 expand", 7, 1, 1, 160, 960, 3 },
    { "mobilenet_v3_large", "b14 project", 7, 1, 1, 960, 160, 2 },
    { "efficientnet_b0", "s1 project", 112, 1, 1, 32, 16, 1 },
    { "efficientnet_b0", "s2 expand", 112, 1, 1, 16, 96, 1 },
    { "efficientnet_b0", "s2 project", 56, 1, 1, 96, 24, 1 },
    { "efficientnet_b0", "s2 expand 2", 56, 1, 1, 24, 144, 2 },
    { "efficientnet_b0", "s2 project 2", 56, 1, 1, 144, 24, 1 },
    { "efficientnet_b0", "s3 project", 28, 1, 1, 144, 40, 1 },
    { "efficientnet_b0", "s3 expand", 28, 1, 1, 40, 240, 2 },
    { "efficientnet_b0", "s3 project 2", 28, 1, 1, 240, 40, 1 },
    { "efficientnet_b0", "s4 project", 14, 1, 1, 240, 80, 1 },
    { "efficientnet_b0", "s4 expand", 14, 1, 1, 80, 480, 3 },
    { "efficientnet_b0", "s4 project 2", 14, 1, 1, 480, 80, 2 },
    { "efficientnet_b0", "s5 project", 14, 1, 1, 480, 112, 1 },
    { "efficientnet_b0", "s5 expand", 14, 1, 1, 112, 672, 3 },
    { "efficientnet_b0", "s5 project 2", 14, 1, 1, 672, 112, 2 },
    { "efficientnet_b0", "s6 project", 7, 1, 1, 672, 192, 1 },
    { "efficientnet_b0", "s6 expand", 7, 1, 1, 192, 1152, 4 },
    { "efficientnet_b0", "s6 project 2", 7, 1, 1, 1152, 192, 3 },
    { "efficientnet_b0", "s7 project", 7, 1, 1, 1152, 320, 1 },
    { "efficientnet_b0", "head 1x1", 7, 1, 1, 320, 1280, 1 },
};

/* Packed weights per block of output columns: a block is sized so its panels (K x NB floats)
   stay in L2 while every row tile streams through them, as the ops' 2-D tiling does. */
#define L2_WEIGHT_BYTES (256u * 1024u)

typedef struct gemm_job {
    const ember_gemm_f32_config *cfg;
    size_t m, k, n, ks, block_n;
    const float *a, *zero, *packed;
    const size_t *ind;
    float *c;
    ember_minmax_f32 clamp;
} gemm_job;

static size_t weight_block(size_t n, size_t k) {
    size_t nb = L2_WEIGHT_BYTES / ((k + 1) * sizeof(float)) / EMBER_GEMM_NR * EMBER_GEMM_NR;
    nb = nb < EMBER_GEMM_NR ? EMBER_GEMM_NR : nb;
    return nb < n ? nb : n;
}

static void run_gemm_job(void *arg) {
    const gemm_job *j = arg;
    const size_t mr_max = j->cfg->mr, panel = (j->k * j->ks + 1) * EMBER_GEMM_NR;
    for (size_t n0 = 0; n0 < j->n; n0 += j->block_n) {
        const size_t nc = j->n - n0 < j->block_n ? j->n - n0 : j->block_n;
        const float *w = j->packed + n0 / EMBER_GEMM_NR * panel;
        for (size_t m0 = 0; m0 < j->m; m0 += mr_max) {
            const size_t mr = j->m - m0 < mr_max ? j->m - m0 : mr_max;
            float *c = j->c + m0 * j->n + n0;
            if (j->ks == 0)
                j->cfg->gemm(mr, nc, j->k, j->a + m0 * j->k, j->k, w, c, j->n, &j->clamp);
            else
                j->cfg->igemm(mr, nc, j->k, j->ks, j->ind + m0 * j->ks, j->a, j->zero, w, c,
                              j->n, &j->clamp);
        }
    }
}

/* Offsets of each output pixel's kernel x kernel taps in an NHWC input of in_hw x in_hw x cin,
   "same" padding; taps in the padding read the zero vector. */
static size_t *conv_indirection(const conv_shape *s, size_t in_hw) {
    const size_t ks = (size_t)s->kernel * s->kernel, m = (size_t)s->out_hw * s->out_hw;
    size_t *ind = malloc(m * ks * sizeof(size_t));
    const long pad = (long)(s->kernel - 1) / 2;
    for (size_t p = 0; ind != NULL && p < m; p++)
        for (size_t t = 0; t < ks; t++) {
            const long y = (long)(p / s->out_hw * s->stride) - pad + (long)(t / s->kernel);
            const long x = (long)(p % s->out_hw * s->stride) - pad + (long)(t % s->kernel);
            const bool inside = y >= 0 && x >= 0 && y < (long)in_hw && x < (long)in_hw;
            ind[p * ks + t] = inside ? ((size_t)y * in_hw + (size_t)x) * s->cin : EMBER_IND_ZERO;
        }
    return ind;
}

static bool selected(const char *want, const char *name) {
    return want == NULL || strcmp(want, name) == 0;
}

/* Times one layer with every selected configuration; adds count x median to model_s[cfg]. */
static void bench_conv(const conv_shape *s, const options *opt, double *model_s) {
    const bool direct = s->kernel == 1;
    const size_t m = (size_t)s->out_hw * s->out_hw, k = s->cin, n = s->cout;
    const size_t ks = direct ? 0 : (size_t)s->kernel * s->kernel;
    const size_t in_hw = direct ? s->out_hw : (size_t)s->out_hw * s->stride;
    const size_t k_all = direct ? k : k * ks;
    float *a = random_floats(direct ? m * k : in_hw * in_hw * k), *w = random_floats(n * k_all);
    float *bias = random_floats(n), *zero = calloc(k, sizeof(float));
    float *packed = malloc(ember_gemm_f32_packed_count(n, k_all) * sizeof(float));
    float *c = malloc(m * n * sizeof(float));
    size_t *ind = direct ? NULL : conv_indirection(s, in_hw);
    if (a == NULL || w == NULL || bias == NULL || zero == NULL || packed == NULL || c == NULL ||
        (!direct && ind == NULL)) {
        fprintf(stderr, "out of memory for %s %s\n", s->model, s->layer);
        exit(1);
    }
    ember_pack_gemm_f32_nk(n, k_all, w, bias, packed);
    const double flop = 2.0 * (double)m * (double)n * (double)k_all;
    printf("%-18s %-16s %5zu %5zu %5zu %2zu", s->model, s->layer, m, k, n, ks ? ks : 1);
    size_t count = 0;
    const ember_gemm_f32_config *cfgs = ember_gemm_f32_configs(&count);
    const uint32_t features = cpu_features();
    for (size_t i = 0; i < count; i++) {
        if (!selected(opt->config, cfgs[i].name) || (cfgs[i].isa & features) != cfgs[i].isa)
            continue;
        gemm_job job = { &cfgs[i], m, k, n, ks, weight_block(n, k_all), a, zero, packed, ind,
                         c, { 0.0f, 6.0f } };
        const timing t = time_runs(run_gemm_job, &job, opt->repeats);
        model_s[i] += s->count * t.median_s;
        printf(" | %7.1f %7.1f %5.1f%%", flop / t.median_s * 1e-9, flop / t.min_s * 1e-9,
               100.0 * flop / t.min_s * 1e-9 / opt->peak_gflops);
    }
    printf("\n");
    free(a), free(w), free(bias), free(zero), free(packed), free(c), free(ind);
}

static void print_model_total(const char *model, const double *model_s, const options *opt) {
    if (model == NULL)
        return;
    double flop = 0;
    for (size_t i = 0; i < sizeof conv_shapes / sizeof conv_shapes[0]; i++) {
        const conv_shape *s = &conv_shapes[i];
        if (strcmp(s->model, model) == 0)
            flop += 2.0 * s->count * s->out_hw * s->out_hw * s->cin * s->cout *
                    s->kernel * s->kernel;
    }
    printf("%-18s %-16s %23s", model, "total (x count)", "");
    size_t count = 0;
    const ember_gemm_f32_config *cfgs = ember_gemm_f32_configs(&count);
    const uint32_t features = cpu_features();
    for (size_t i = 0; i < count; i++)
        if (selected(opt->config, cfgs[i].name) && (cfgs[i].isa & features) == cfgs[i].isa)
            printf(" | %6.2f ms %5.1f%% pk", model_s[i] * 1e3,
                   100.0 * flop / model_s[i] * 1e-9 / opt->peak_gflops);
    printf("\n\n");
}

static void gemm_bench(const options *opt) {
    size_t count = 0;
    const ember_gemm_f32_config *cfgs = ember_gemm_f32_configs(&count);
    const uint32_t features = cpu_features();
    printf("GEMM/IGEMM: per configuration GFLOP/s median, min-time GFLOP/s, %% of peak (min)\n");
    printf("%-18s %-16s %5s %5s %5s %2s", "model", "layer", "M", "K", "N", "ks");
    for (size_t i = 0; i < count; i++)
        if (selected(opt->config, cfgs[i].name) && (cfgs[i].isa & features) == cfgs[i].isa)
            printf(" | %-21s", cfgs[i].name);
    printf("\n");
    double model_s[64] = { 0 };
    const char *model = NULL;
    for (size_t i = 0; i < sizeof conv_shapes / sizeof conv_shapes[0]; i++) {
        const conv_shape *s = &conv_shapes[i];
        if (!selected(opt->model, s->model))
            continue;
        if (model != NULL && strcmp(model, s->model) != 0) {
            print_model_total(model, model_s, opt);
            memset(model_s, 0, sizeof model_s);
        }
        model = s->model;
        bench_conv(s, opt, model_s);
    }
    print_model_total(model, model_s, opt);
}

/* The oracle: random shapes with every tail (mr 1..MR, nc 1..50, kc 1..70, 1..9 taps with
   padding), each output within 1e-5 x sum |a*b| (+1e-6) of a double-precision loop. */
static size_t gemm_check_one(const ember_gemm_f32_config *cfg, size_t mr, bool indirect) {
    const size_t nc = 1 + rng() % 50, kc = 1 + rng() % 70, ks = indirect ? 1 + rng() % 9 : 1;
    const size_t a_stride = kc + rng() % 4, c_stride = nc + rng() % 4, k_all = ks * kc;
    const size_t a_count = indirect ? kc + rng() % 64 : (mr - 1) * a_stride + kc;
    float *a = random_floats(a_count), *w = random_floats(nc * k_all), *bias = random_floats(nc);
    float *zero = calloc(kc, sizeof(float)), *c = calloc(mr * c_stride, sizeof(float));
    float *packed = malloc(ember_gemm_f32_packed_count(nc, k_all) * sizeof(float));
    size_t *ind = malloc(mr * ks * sizeof(size_t)), bad = 0;
    for (size_t i = 0; ind != NULL && i < mr * ks; i++)
        ind[i] = rng() % 5 == 0 ? EMBER_IND_ZERO : rng() % (a_count - kc + 1);
    if (!a || !w || !bias || !zero || !c || !packed || !ind) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    ember_pack_gemm_f32_nk(nc, k_all, w, bias, packed);
    const ember_minmax_f32 clamp = rng() % 2 ? (ember_minmax_f32){ -0.7f, 0.6f }
                                             : (ember_minmax_f32){ -INFINITY, INFINITY };
    if (indirect)
        cfg->igemm(mr, nc, kc, ks, ind, a, zero, packed, c, c_stride, &clamp);
    else
        cfg->gemm(mr, nc, kc, a, a_stride, packed, c, c_stride, &clamp);
    for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < nc; j++) {
            double sum = bias[j], mag = fabs(bias[j]);
            for (size_t kk = 0; kk < k_all; kk++) {
                const size_t at = indirect ? ind[i * ks + kk / kc] : i * a_stride;
                const double x = at == EMBER_IND_ZERO ? 0.0 : a[at + (indirect ? kk % kc : kk)];
                sum += x * w[j * k_all + kk];
                mag += fabs(x * w[j * k_all + kk]);
            }
            sum = fmin(fmax(sum, clamp.min), clamp.max);
            bad += !(fabs(c[i * c_stride + j] - sum) <= 1e-5 * mag + 1e-6);
        }
    free(a), free(w), free(bias), free(zero), free(c), free(packed), free(ind);
    return bad;
}

static int gemm_check(const options *opt) {
    size_t count = 0, failures = 0;
    const ember_gemm_f32_config *cfgs = ember_gemm_f32_configs(&count);
    const uint32_t features = cpu_features();
    for (size_t i = 0; i < count; i++) {
        if (!selected(opt->config, cfgs[i].name) || (cfgs[i].isa & features) != cfgs[i].isa)
            continue;
        size_t bad = 0, cases = 0;
        for (int rep = 0; rep < 50; rep++)
            for (size_t mr = 1; mr <= cfgs[i].mr; mr++, cases += 2)
                bad += gemm_check_one(&cfgs[i], mr, false) + gemm_check_one(&cfgs[i], mr, true);
        printf("%-24s %zu random GEMM/IGEMM cases: %zu wrong outputs\n", cfgs[i].name, cases,
               bad);
        failures += bad != 0;
    }
    return failures != 0;
}

/* ---- int8 GEMM / IGEMM (csrc/ukernels/gemm_qs8.h) ---- */

/* The same layers as the float32 family, on int8 data: per configuration GMAC/s (one
   multiply-add = one MAC), and beside them the fastest float32 configuration on the same
   shape, timed in the same pass, so the int8 / float32 ratio comes from one process. */
typedef struct qs8_job {
    const ember_gemm_qs8_config *cfg;
    size_t m, k, n, ks, block_n, panel_bytes;
    const int8_t *a, *zero;
    const void *packed;
    const size_t *ind;
    int8_t *c;
    ember_qs8_params params;
} qs8_job;

static void run_qs8_job(void *arg) {
    const qs8_job *j = arg;
    const size_t mr_max = j->cfg->mr;
    for (size_t n0 = 0; n0 < j->n; n0 += j->block_n) {
        const size_t nc = j->n - n0 < j->block_n ? j->n - n0 : j->block_n;
        const uint8_t *w = (const uint8_t *)j->packed + n0 / EMBER_GEMM_QS8_NR * j->panel_bytes;
        for (size_t m0 = 0; m0 < j->m; m0 += mr_max) {
            const size_t mr = j->m - m0 < mr_max ? j->m - m0 : mr_max;
            int8_t *c = j->c + m0 * j->n + n0;
            if (j->ks == 0)
                j->cfg->gemm(mr, nc, j->k, j->a + m0 * j->k, j->k, w, c, j->n, &j->params);
            else
                j->cfg->igemm(mr, nc, j->k, j->ks, j->ind + m0 * j->ks, j->a, j->zero, w, c,
                              j->n, &j->params);
        }
    }
}

static int8_t *random_bytes(size_t n) {
    int8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; p != NULL && i < n; i++)
        p[i] = (int8_t)(rng() & 0xff);
    return p;
}

/* The int8 operands of one layer, packed for one configuration. */
typedef struct qs8_layer {
    size_t m, k, n, ks, k_all, in_bytes;
    int8_t *a, *w, *zero, *c;
    int32_t *bias, *mult, *shift;
    size_t *ind;
} qs8_layer;

static void qs8_layer_init(qs8_layer *l, const conv_shape *s) {
    const bool direct = s->kernel == 1;
    const size_t in_hw = direct ? s->out_hw : (size_t)s->out_hw * s->stride;
    l->m = (size_t)s->out_hw * s->out_hw;
    l->k = s->cin;
    l->n = s->cout;
    l->ks = direct ? 0 : (size_t)s->kernel * s->kernel;
    l->k_all = direct ? l->k : l->k * l->ks;
    l->in_bytes = direct ? l->m * l->k : in_hw * in_hw * l->k;
    l->a = random_bytes(l->in_bytes);
    l->w = random_bytes(l->n * l->k_all);
    l->zero = calloc(l->k, 1);
    l->c = malloc(l->m * l->n);
    l->bias = malloc(l->n * sizeof(int32_t));
    l->mult = malloc(l->n * sizeof(int32_t));
    l->shift = malloc(l->n * sizeof(int32_t));
    l->ind = direct ? NULL : conv_indirection(s, in_hw);
    if (!l->a || !l->w || !l->zero || !l->c || !l->bias || !l->mult || !l->shift ||
        (!direct && !l->ind)) {
        fprintf(stderr, "out of memory for %s %s\n", s->model, s->layer);
        exit(1);
    }
    for (size_t j = 0; j < l->n; j++) {
        l->bias[j] = (int32_t)(rng() % 20001) - 10000;
        l->mult[j] = (int32_t)(0x40000000u + rng() % 0x40000000u);
        l->shift[j] = -(int32_t)(6 + rng() % 6);
    }
}

static void qs8_layer_free(qs8_layer *l) {
    free(l->a), free(l->w), free(l->zero), free(l->c), free(l->bias), free(l->mult);
    free(l->shift), free(l->ind);
}

static qs8_job qs8_job_for(const ember_gemm_qs8_config *cfg, const qs8_layer *l,
                           void *packed) {
    const size_t panel = ember_gemm_qs8_packed_size(cfg, EMBER_GEMM_QS8_NR, l->ks ? l->ks : 1,
                                                    l->k);
    size_t nb = L2_WEIGHT_BYTES / panel * EMBER_GEMM_QS8_NR;
    nb = nb < EMBER_GEMM_QS8_NR ? EMBER_GEMM_QS8_NR : nb;
    qs8_job job = { cfg, l->m, l->k, l->n, l->ks, nb < l->n ? nb : l->n, panel, l->a,
                    l->zero, packed, l->ind, l->c, { -3, -128, 127 } };
    return job;
}

static void *qs8_pack(const ember_gemm_qs8_config *cfg, const qs8_layer *l) {
    const size_t ks = l->ks ? l->ks : 1;
    void *packed = malloc(ember_gemm_qs8_packed_size(cfg, l->n, ks, l->k));
    if (packed == NULL || !ember_pack_gemm_qs8(cfg, l->n, ks, l->k, l->w, l->bias, 5, l->mult,
                                               l->shift, packed)) {
        fprintf(stderr, "cannot pack for %s\n", cfg->name);
        exit(1);
    }
    return packed;
}

/* The fastest float32 configuration this CPU runs on the same layer: median seconds. */
static double f32_layer_s(const conv_shape *s, const options *opt) {
    size_t count = 0;
    const ember_gemm_f32_config *cfgs = ember_gemm_f32_configs(&count), *cfg = cfgs;
    while ((cfg->isa & cpu_features()) != cfg->isa)
        cfg++;
    const bool direct = s->kernel == 1;
    const size_t m = (size_t)s->out_hw * s->out_hw, k = s->cin, n = s->cout;
    const size_t ks = direct ? 0 : (size_t)s->kernel * s->kernel;
    const size_t in_hw = direct ? s->out_hw : (size_t)s->out_hw * s->stride;
    const size_t k_all = direct ? k : k * ks;
    float *a = random_floats(direct ? m * k : in_hw * in_hw * k), *w = random_floats(n * k_all);
    float *zero = calloc(k, sizeof(float)), *c = malloc(m * n * sizeof(float));
    float *packed = malloc(ember_gemm_f32_packed_count(n, k_all) * sizeof(float));
    size_t *ind = direct ? NULL : conv_indirection(s, in_hw);
    if (!a || !w || !zero || !c || !packed || (!direct && !ind)) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    ember_pack_gemm_f32_nk(n, k_all, w, NULL, packed);
    gemm_job job = { cfg, m, k, n, ks, weight_block(n, k_all), a, zero, packed, ind, c,
                     { 0.0f, 6.0f } };
    const double t = time_runs(run_gemm_job, &job, opt->repeats).median_s;
    free(a), free(w), free(zero), free(c), free(packed), free(ind);
    return t;
}

/* The portable kernel is timed only when --config names it (it takes seconds per model). */
static bool qs8_runs(const ember_gemm_qs8_config *cfg, const options *opt) {
    if (cfg->isa == EMBER_ISA_NONE && opt->config == NULL)
        return false;
    return selected(opt->config, cfg->name) && (cfg->isa & cpu_features()) == cfg->isa;
}

/* One layer: the float32 rate, then each int8 configuration's median and min GMAC/s and its
   speed over float32 (median). Adds count x median to model_s (float32 in model_s[0]). */
static void bench_qs8_conv(const conv_shape *s, const options *opt, double *model_s) {
    qs8_layer l;
    qs8_layer_init(&l, s);
    const double mac = (double)l.m * (double)l.n * (double)l.k_all;
    const double f32_s = f32_layer_s(s, opt);
    model_s[0] += s->count * f32_s;
    printf("%-18s %-16s %5zu %5zu %5zu %2zu | %6.1f", s->model, s->layer, l.m, l.k, l.n,
           l.ks ? l.ks : 1, mac / f32_s * 1e-9);
    size_t count = 0;
    const ember_gemm_qs8_config *cfgs = ember_gemm_qs8_configs(&count);
    for (size_t i = 0; i < count; i++) {
        if (!qs8_runs(&cfgs[i], opt))
            continue;
        void *packed = qs8_pack(&cfgs[i], &l);
        qs8_job job = qs8_job_for(&cfgs[i], &l, packed);
        const timing t = time_runs(run_qs8_job, &job, opt->repeats);
        model_s[i + 1] += s->count * t.median_s;
        printf(" | %6.1f %6.1f %4.1fx", mac / t.median_s * 1e-9, mac / t.min_s * 1e-9,
               f32_s / t.median_s);
        free(packed);
    }
    printf("\n");
    qs8_layer_free(&l);
}

static void qs8_model_total(const char *model, const double *model_s, const options *opt) {
    if (model == NULL)
        return;
    printf("%-18s %-16s %23s | %6.2f ms", model, "total (x count)", "", model_s[0] * 1e3);
    size_t count = 0;
    const ember_gemm_qs8_config *cfgs = ember_gemm_qs8_configs(&count);
    for (size_t i = 0; i < count; i++)
        if (qs8_runs(&cfgs[i], opt))
            printf(" | %6.2f ms %5.1fx", model_s[i + 1] * 1e3, model_s[0] / model_s[i + 1]);
    printf("\n\n");
}

static void gemm_qs8_bench(const options *opt) {
    size_t count = 0;
    const ember_gemm_qs8_config *cfgs = ember_gemm_qs8_configs(&count);
    printf("int8 GEMM/IGEMM: float32 (fastest config) GMAC/s; per int8 configuration GMAC/s "
           "median, min-time GMAC/s, speed over float32 (medians)\n");
    printf("%-18s %-16s %5s %5s %5s %2s | %6s", "model", "layer", "M", "K", "N", "ks", "f32");
    for (size_t i = 0; i < count; i++)
        if (qs8_runs(&cfgs[i], opt))
            printf(" | %-19s", cfgs[i].name);
    printf("\n");
    double model_s[65] = { 0 };
    const char *model = NULL;
    for (size_t i = 0; i < sizeof conv_shapes / sizeof conv_shapes[0] && count < 64; i++) {
        const conv_shape *s = &conv_shapes[i];
        if (!selected(opt->model, s->model))
            continue;
        if (model != NULL && strcmp(model, s->model) != 0) {
            qs8_model_total(model, model_s, opt);
            memset(model_s, 0, sizeof model_s);
        }
        model = s->model;
        bench_qs8_conv(s, opt, model_s);
    }
    qs8_model_total(model, model_s, opt);
}

/* The oracle is tests/c/test_ukernel_gemm_qs8.c (random shapes with every tail); here each
   configuration's bytes on the real layer shapes are compared with the portable kernels'. */
static int gemm_qs8_check(const options *opt) {
    size_t count = 0, failures = 0;
    const ember_gemm_qs8_config *cfgs = ember_gemm_qs8_configs(&count), *ref = NULL;
    for (size_t i = 0; i < count; i++)
        ref = cfgs[i].gemm == ember_gemm_qs8_4x16c4_scalar ? &cfgs[i] : ref;
    for (size_t i = 0; ref != NULL && i < count; i++) {
        if (&cfgs[i] == ref || !selected(opt->config, cfgs[i].name) ||
            (cfgs[i].isa & cpu_features()) != cfgs[i].isa)
            continue;
        size_t bad = 0, cases = 0;
        for (size_t k = 0; k < sizeof conv_shapes / sizeof conv_shapes[0]; k++) {
            const conv_shape *s = &conv_shapes[k];
            if (!selected(opt->model, s->model) || (size_t)s->out_hw * s->out_hw > 3136)
                continue;
            qs8_layer l;
            qs8_layer_init(&l, s);
            int8_t *want = malloc(l.m * l.n);
            void *p_ref = qs8_pack(ref, &l), *p = qs8_pack(&cfgs[i], &l);
            if (want == NULL) {
                fprintf(stderr, "out of memory\n");
                exit(1);
            }
            qs8_job job = qs8_job_for(ref, &l, p_ref);
            run_qs8_job(&job);
            memcpy(want, l.c, l.m * l.n);
            job = qs8_job_for(&cfgs[i], &l, p);
            run_qs8_job(&job);
            for (size_t e = 0; e < l.m * l.n; e++)
                bad += want[e] != l.c[e];
            cases++;
            free(want), free(p_ref), free(p);
            qs8_layer_free(&l);
        }
        printf("%-28s %zu int8 layer shapes: %zu outputs differ from the portable kernel\n",
               cfgs[i].name, cases, bad);
        failures += bad != 0;
    }
    return failures != 0;
}

/* ---- depthwise ---- */

/* One depthwise layer (channel multiplier 1): out_hw x out_hw outputs of `channels` channels
   through a kernel x kernel window at `stride`, "same" padding (kernel - 1) / 2 on every side,
   input out_hw x stride square; `count` such layers in the model. From the architectures
   above: MobileNetV2's 3x3 depthwise of each inverted residual block (on 6 x its input
   channels, stride 2 on the first block of a group), MobileNetV3-Large's bneck rows (on the
   expand width) and EfficientNet-B0's MBConv blocks. */
typedef struct dw_shape {
    const char *model, *layer;
    unsigned out_hw, kernel, stride, channels, count;
} dw_shape;

static const dw_shape dw_shapes[] = {
    { "mobilenet_v2", "b1 dw", 112, 3, 1, 32, 1 },
    { "mobilenet_v2", "b2 dw s2", 56, 3, 2, 96, 1 },
    { "mobilenet_v2", "b3 dw", 56, 3, 1, 144, 1 },
    { "mobilenet_v2", "b4 dw s2", 28, 3, 2, 144, 1 },
    { "mobilenet_v2", "b5-6 dw", 28, 3, 1, 192, 2 },
    { "mobilenet_v2", "b7 dw s2", 14, 3, 2, 192, 1 },
    { "mobilenet_v2", "b8-11 dw", 14, 3, 1, 384, 4 },
    { "mobilenet_v2", "b12-13 dw", 14, 3, 1, 576, 2 },
    { "mobilenet_v2", "b14 dw s2", 7, 3, 2, 576, 1 },
    { "mobilenet_v2", "b15-17 dw", 7, 3, 1, 960, 3 },
    { "mobilenet_v3_large", "r1 dw", 112, 3, 1, 16, 1 },
    { "mobilenet_v3_large", "r2 dw s2", 56, 3, 2, 64, 1 },
    { "mobilenet_v3_large", "r3 dw", 56, 3, 1, 72, 1 },
    { "mobilenet_v3_large", "r4 dw5 s2", 28, 5, 2, 72, 1 },
    { "mobilenet_v3_large", "r5-6 dw5", 28, 5, 1, 120, 2 },
    { "mobilenet_v3_large", "r7 dw s2", 14, 3, 2, 240, 1 },
    { "mobilenet_v3_large", "r8 dw", 14, 3, 1, 200, 1 },
    { "mobilenet_v3_large", "r9-10 dw", 14, 3, 1, 184, 2 },
    { "mobilenet_v3_large", "r11 dw", 14, 3, 1, 480, 1 },
    { "mobilenet_v3_large", "r12 dw", 14, 3, 1, 672, 1 },
    { "mobilenet_v3_large", "r13 dw5 s2", 7, 5, 2, 672, 1 },
    { "mobilenet_v3_large", "r14-15 dw5", 7, 5, 1, 960, 2 },
    { "efficientnet_b0", "s1 dw", 112, 3, 1, 32, 1 },
    { "efficientnet_b0", "s2 dw s2", 56, 3, 2, 96, 1 },
    { "efficientnet_b0", "s2 dw", 56, 3, 1, 144, 1 },
    { "efficientnet_b0", "s3 dw5 s2", 28, 5, 2, 144, 1 },
    { "efficientnet_b0", "s3 dw5", 28, 5, 1, 240, 1 },
    { "efficientnet_b0", "s4 dw s2", 14, 3, 2, 240, 1 },
    { "efficientnet_b0", "s4 dw", 14, 3, 1, 480, 2 },
    { "efficientnet_b0", "s5 dw5 a", 14, 5, 1, 480, 1 },
    { "efficientnet_b0", "s5 dw5 b", 14, 5, 1, 672, 2 },
    { "efficientnet_b0", "s6 dw5 s2", 7, 5, 2, 672, 1 },
    { "efficientnet_b0", "s6 dw5", 7, 5, 1, 1152, 3 },
    { "efficientnet_b0", "s7 dw", 7, 3, 1, 1152, 1 },
};

typedef struct dw_job {
    const ember_dwconv_f32_config *cfg;
    const ember_dwconv_shape *shape;
    const float *in, *packed, *zero;
    const float **ind;
    float *out;
    ember_minmax_f32 clamp;
} dw_job;

static void run_dw_job(void *arg) {
    const dw_job *j = arg;
    const size_t row = (size_t)j->shape->out_w * j->shape->channels;
    for (int32_t oy = 0; oy < j->shape->out_h; oy++)
        ember_dwconv_f32_row_run(j->cfg, j->shape, j->in, oy, j->packed, j->zero, j->ind,
                                 j->out + (size_t)oy * row, &j->clamp);
}

static ember_dwconv_shape dw_geometry(const dw_shape *s) {
    const int32_t pad = (int32_t)(s->kernel - 1) / 2, in_hw = (int32_t)(s->out_hw * s->stride);
    const int32_t k = (int32_t)s->kernel, st = (int32_t)s->stride;
    return (ember_dwconv_shape){ .channels = s->channels, .in_h = in_hw, .in_w = in_hw,
                                     .out_h = (int32_t)s->out_hw, .out_w = (int32_t)s->out_hw,
                                     .kh = k, .kw = k,
                                     .win = { st, st, 1, 1, pad, pad, pad, pad } };
}

static bool dw_runs(const ember_dwconv_f32_config *cfg, const ember_dwconv_shape *g,
                    const options *opt) {
    return selected(opt->config, cfg->name) && (cfg->isa & cpu_features()) == cfg->isa &&
           ember_dwconv_f32_fits(cfg, g);
}

/* Times one layer with every selected configuration that computes it: GFLOP/s and GB/s (the
   input, output and packed weights each moved once) from the median time; adds count x
   median to model_s[cfg]. */
static void bench_dw(const dw_shape *s, const options *opt, double *model_s) {
    const ember_dwconv_shape g = dw_geometry(s);
    const size_t ks = (size_t)s->kernel * s->kernel, c = s->channels;
    const size_t in_n = (size_t)g.in_h * (size_t)g.in_w * c;
    const size_t out_n = (size_t)s->out_hw * s->out_hw * c;
    const size_t packed_n = ember_dwconv_f32_packed_count(c, ks);
    float *in = random_floats(in_n), *w = random_floats(ks * c), *bias = random_floats(c);
    float *packed = malloc(packed_n * sizeof(float)), *out = malloc(out_n * sizeof(float));
    float *zero = calloc(ember_dwconv_f32_zero_count(&g), sizeof(float));
    const float **ind = malloc(ks * s->out_hw * sizeof(float *));
    if (!in || !w || !bias || !packed || !out || !zero || !ind) {
        fprintf(stderr, "out of memory for %s %s\n", s->model, s->layer);
        exit(1);
    }
    ember_pack_dwconv_f32(c, ks, w, bias, packed);
    const double flop = 2.0 * (double)out_n * (double)ks;
    const double bytes = 4.0 * (double)(in_n + out_n + packed_n);
    printf("%-18s %-11s %4u %2ux%u s%u %5zu", s->model, s->layer, s->out_hw, s->kernel,
           s->kernel, s->stride, c);
    size_t count = 0;
    const ember_dwconv_f32_config *cfgs = ember_dwconv_f32_configs(&count);
    for (size_t i = 0; i < count; i++) {
        if (!dw_runs(&cfgs[i], &g, opt)) {
            if (selected(opt->config, cfgs[i].name) && (cfgs[i].isa & cpu_features()) ==
                cfgs[i].isa)
                printf(" | %21s", "-");
            continue;
        }
        dw_job job = { &cfgs[i], &g, in, packed, zero, ind, out, { 0.0f, 6.0f } };
        const timing t = time_runs(run_dw_job, &job, opt->repeats);
        model_s[i] += s->count * t.median_s;
        printf(" | %6.1f %5.1f %6.1f", flop / t.median_s * 1e-9,
               100.0 * flop / t.min_s * 1e-9 / opt->peak_gflops, bytes / t.median_s * 1e-9);
    }
    printf("\n");
    free(in), free(w), free(bias), free(packed), free(out), free(zero), free(ind);
}

/* Per model: each configuration's total over the layers it computes, and the best
   configuration per layer (what the op picks) over all of them. */
static void dw_model_total(const char *model, const double *model_s, double best_s,
                           const options *opt) {
    if (model == NULL)
        return;
    printf("%-18s total (x count), best per layer %.3f ms:", model, best_s * 1e3);
    size_t count = 0;
    const ember_dwconv_f32_config *cfgs = ember_dwconv_f32_configs(&count);
    for (size_t i = 0; i < count; i++)
        if (model_s[i] > 0)
            printf(" %s %.3f ms;", cfgs[i].name, model_s[i] * 1e3);
    printf("\n\n");
    (void)opt;
}

static void dwconv_bench(const options *opt) {
    size_t count = 0;
    const ember_dwconv_f32_config *cfgs = ember_dwconv_f32_configs(&count);
    printf("depthwise: per configuration that computes the layer: GFLOP/s (median), %% of "
           "peak (min time), GB/s (median)\n");
    printf("%-18s %-11s %4s %6s %5s", "model", "layer", "out", "window", "C");
    for (size_t i = 0; i < count; i++)
        if (selected(opt->config, cfgs[i].name) && (cfgs[i].isa & cpu_features()) == cfgs[i].isa)
            printf(" | %-21s", cfgs[i].name);
    printf("\n");
    double model_s[64] = { 0 }, best_s = 0;
    const char *model = NULL;
    for (size_t i = 0; i < sizeof dw_shapes / sizeof dw_shapes[0]; i++) {
        const dw_shape *s = &dw_shapes[i];
        if (!selected(opt->model, s->model))
            continue;
        if (model != NULL && strcmp(model, s->model) != 0) {
            dw_model_total(model, model_s, best_s, opt);
            memset(model_s, 0, sizeof model_s);
            best_s = 0;
        }
        model = s->model;
        double before[64];
        memcpy(before, model_s, sizeof before);
        bench_dw(s, opt, model_s);
        double best = 0;
        for (size_t k = 0; k < count && k < 64; k++) {
            const double d = model_s[k] - before[k];
            if (d > 0 && (best == 0 || d < best))
                best = d;
        }
        best_s += best;
    }
    dw_model_total(model, model_s, best_s, opt);
}

/* The oracle: tests/c/test_ukernel_dwconv.c checks every configuration on random shapes; the
   harness re-checks each one on its own layer shapes (scaled to at most 14x14) against a
   double-precision loop, each output within 1e-5 x sum |x*w| (+1e-6). */
static size_t dw_check_one(const ember_dwconv_f32_config *cfg, const dw_shape *s) {
    dw_shape small = *s;
    small.out_hw = s->out_hw < 14 ? s->out_hw : 14;
    const ember_dwconv_shape g = dw_geometry(&small);
    const size_t ks = (size_t)g.kh * (size_t)g.kw, c = g.channels;
    const size_t in_n = (size_t)g.in_h * (size_t)g.in_w * c;
    const size_t out_n = (size_t)g.out_h * (size_t)g.out_w * c;
    float *in = random_floats(in_n), *w = random_floats(ks * c), *bias = random_floats(c);
    float *packed = malloc(ember_dwconv_f32_packed_count(c, ks) * sizeof(float));
    float *out = malloc(out_n * sizeof(float));
    float *zero = calloc(ember_dwconv_f32_zero_count(&g), sizeof(float));
    const float **ind = malloc(ks * (size_t)g.out_w * sizeof(float *));
    if (!in || !w || !bias || !packed || !out || !zero || !ind) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    ember_pack_dwconv_f32(c, ks, w, bias, packed);
    dw_job job = { cfg, &g, in, packed, zero, ind, out, { -INFINITY, INFINITY } };
    run_dw_job(&job);
    size_t bad = 0;
    const int32_t pad = g.win.pad_top, st = g.win.stride_h;
    for (int32_t oy = 0; oy < g.out_h; oy++)
        for (int32_t ox = 0; ox < g.out_w; ox++)
            for (size_t ch = 0; ch < c; ch++) {
                double sum = bias[ch], mag = fabs(bias[ch]);
                for (int32_t t = 0; t < (int32_t)ks; t++) {
                    const int32_t y = oy * st - pad + t / g.kw, x = ox * st - pad + t % g.kw;
                    if (y < 0 || x < 0 || y >= g.in_h || x >= g.in_w)
                        continue;
                    const double p = (double)in[((size_t)y * (size_t)g.in_w + (size_t)x) * c + ch] *
                                     w[(size_t)t * c + ch];
                    sum += p;
                    mag += fabs(p);
                }
                const float got = out[((size_t)oy * (size_t)g.out_w + (size_t)ox) * c + ch];
                bad += !(fabs(got - sum) <= 1e-5 * mag + 1e-6);
            }
    free(in), free(w), free(bias), free(packed), free(out), free(zero), free(ind);
    return bad;
}

static int dwconv_check(const options *opt) {
    size_t count = 0, failures = 0;
    const ember_dwconv_f32_config *cfgs = ember_dwconv_f32_configs(&count);
    for (size_t i = 0; i < count; i++) {
        size_t bad = 0, cases = 0;
        for (size_t k = 0; k < sizeof dw_shapes / sizeof dw_shapes[0]; k++) {
            const ember_dwconv_shape g = dw_geometry(&dw_shapes[k]);
            if (!selected(opt->model, dw_shapes[k].model) || !dw_runs(&cfgs[i], &g, opt))
                continue;
            bad += dw_check_one(&cfgs[i], &dw_shapes[k]);
            cases++;
        }
        if (cases > 0)
            printf("%-24s %zu depthwise layer shapes: %zu wrong outputs\n", cfgs[i].name,
                   cases, bad);
        failures += bad != 0;
    }
    return failures != 0;
}

/* ---- element-wise (csrc/ukernels/vbinary.h, vunary.h) ---- */

/* Element counts of the element-wise layers of MobileNetV3-Large (HardSwish) and
   EfficientNet-B0 (SiLU's sigmoid and product) at 224x224. */
typedef struct elt_shape {
    const char *model, *layer;
    size_t count;
} elt_shape;

static const elt_shape elt_shapes[] = {
    { "mobilenet_v3_large", "112x112x16", 112 * 112 * 16 },
    { "mobilenet_v3_large", "28x28x240", 28 * 28 * 240 },
    { "mobilenet_v3_large", "7x7x960", 7 * 7 * 960 },
    { "efficientnet_b0", "112x112x32", 112 * 112 * 32 },
    { "efficientnet_b0", "56x56x144", 56 * 56 * 144 },
    { "efficientnet_b0", "14x14x672", 14 * 14 * 672 },
};

typedef struct elt_job {
    ember_vbinary_f32_fn binary;
    ember_unary_f32 unary;
    size_t n;
    const float *a, *b;
    float *out;
} elt_job;

static void run_elt_job(void *arg) {
    const elt_job *j = arg;
    const ember_minmax_f32 clamp = { -INFINITY, INFINITY };
    const ember_unary_params p = { 0.0f, 6.0f };
    if (j->binary != NULL)
        j->binary(j->n, j->a, j->b, j->out, &clamp);
    else
        j->unary(j->a, j->out, j->n, &p);
}

/* One line per kernel and layer: ns per element and GB/s (median) of each configuration. */
static void elt_line(const char *kernel, const elt_shape *s, const options *opt,
                     const float *a, const float *b, float *out, ember_vbinary_op bop,
                     int uop) {
    printf("%-18s %-11s %-12s", s->model, s->layer, kernel);
    size_t count = 0;
    const ember_vbinary_f32_ops *bc = uop < 0 ? ember_vbinary_f32_configs(bop, &count) : NULL;
    const ember_vunary_f32_config *uc =
        uop >= 0 ? ember_vunary_f32_configs((ember_vunary_op)uop, &count) : NULL;
    for (size_t i = 0; i < count; i++) {
        const char *name = bc ? bc[i].name : uc[i].name;
        const uint32_t isa = bc ? bc[i].isa : uc[i].isa;
        if (!selected(opt->config, name) || (isa & cpu_features()) != isa)
            continue;
        elt_job job = { bc ? bc[i].vv : NULL, uc ? uc[i].fn : NULL, s->count, a, b, out };
        const timing t = time_runs(run_elt_job, &job, opt->repeats);
        const double bytes = (double)s->count * sizeof(float) * (bc ? 3.0 : 2.0);
        printf(" | %-28s %6.3f ns %6.1f GB/s", name, t.median_s / (double)s->count * 1e9,
               bytes / t.median_s * 1e-9);
    }
    printf("\n");
}

static void elementwise_bench(const options *opt) {
    printf("element-wise: per configuration: ns per element and GB/s (median)\n");
    for (size_t i = 0; i < sizeof elt_shapes / sizeof elt_shapes[0]; i++) {
        const elt_shape *s = &elt_shapes[i];
        if (!selected(opt->model, s->model))
            continue;
        float *a = random_floats(s->count), *b = random_floats(s->count);
        float *out = malloc(s->count * sizeof(float));
        if (!a || !b || !out) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
        elt_line("add", s, opt, a, b, out, EMBER_VBINARY_ADD, -1);
        elt_line("mul", s, opt, a, b, out, EMBER_VBINARY_MUL, -1);
        elt_line("relu6", s, opt, a, b, out, EMBER_VBINARY_ADD, EMBER_VUNARY_CLAMP);
        elt_line("hard_swish", s, opt, a, b, out, EMBER_VBINARY_ADD, EMBER_VUNARY_HARD_SWISH);
        elt_line("sigmoid", s, opt, a, b, out, EMBER_VBINARY_ADD, EMBER_VUNARY_SIGMOID);
        elt_line("tanh", s, opt, a, b, out, EMBER_VBINARY_ADD, EMBER_VUNARY_TANH);
        free(a), free(b), free(out);
    }
}

/* The oracle is tests/c/test_ukernel_elementwise.c (bit for bit, and sigmoid/tanh against
   double-precision libm over a fine sweep); here each configuration's sigmoid and tanh are
   re-checked on the layer sizes against vunary.h's stated bounds. */
static int elementwise_check(const options *opt) {
    const int ops[] = { EMBER_VUNARY_SIGMOID, EMBER_VUNARY_TANH };
    const double bounds[] = { EMBER_VSIGMOID_MAX_REL_ERR, EMBER_VTANH_MAX_REL_ERR };
    size_t failures = 0;
    for (size_t o = 0; o < 2; o++) {
        size_t count = 0;
        const ember_vunary_f32_config *cfgs =
            ember_vunary_f32_configs((ember_vunary_op)ops[o], &count);
        for (size_t i = 0; i < count; i++) {
            if ((cfgs[i].isa & cpu_features()) != cfgs[i].isa)
                continue;
            const size_t n = elt_shapes[0].count;
            float *x = random_floats(n), *y = malloc(n * sizeof(float));
            if (!x || !y) {
                fprintf(stderr, "out of memory\n");
                exit(1);
            }
            const ember_unary_params p = { 0.0f, 0.0f };
            for (size_t k = 0; k < n; k++)
                x[k] *= 20.0f;
            cfgs[i].fn(x, y, n, &p);
            size_t bad = 0;
            for (size_t k = 0; k < n; k++) {
                const double w = ops[o] == EMBER_VUNARY_SIGMOID ? 1.0 / (1.0 + exp(-(double)x[k]))
                                                                : tanh((double)x[k]);
                bad += !(fabs(y[k] - w) <= bounds[o] * fabs(w) + 0x1p-126);
            }
            printf("%-28s %zu values in [-20, 20]: %zu beyond the bound\n", cfgs[i].name, n,
                   bad);
            failures += bad != 0;
            free(x), free(y);
        }
    }
    (void)opt;
    return failures != 0;
}

/* ---- families ---- */

typedef struct family {
    const char *name;
    void (*bench)(const options *opt);
    int (*check)(const options *opt); /* nonzero on a mismatch */
} family;

static const family families[] = {
    { "gemm", gemm_bench, gemm_check },
    { "gemm_qs8", gemm_qs8_bench, gemm_qs8_check },
    { "dwconv", dwconv_bench, dwconv_check },
    { "elementwise", elementwise_bench, elementwise_check },
};

int main(int argc, char **argv) {
    options opt = { NULL, NULL, 7, 0.0 };
    const char *only = NULL;
    bool check = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--check") == 0)
            check = true;
        else if (strcmp(argv[i], "--family") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
            opt.model = argv[++i];
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            opt.config = argv[++i];
        else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc)
            opt.repeats = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--check] [--family NAME] [--model NAME] "
                            "[--config NAME] [--repeats N]\n", argv[0]);
            return 2;
        }
    }
    int status = 0;
    if (!check) {
        const double ghz = measure_clock_ghz();
        /* 2 FMA pipes x 8 float lanes x 2 FLOP (Zen 3/4, AVX-512 double-pumped on Zen 4). */
        opt.peak_gflops = 32.0 * ghz;
        printf("clock %.3f GHz (dependent-add loop), peak %.1f GFLOP/s per core "
               "(32 FLOP/cycle)\n\n", ghz, opt.peak_gflops);
    }
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        if (!selected(only, families[i].name))
            continue;
        if (check)
            status |= families[i].check(&opt);
        else
            families[i].bench(&opt);
    }
    return status;
}
