/* Every 16x8 GEMM, IGEMM and depthwise microkernel configuration this CPU runs
   (ember_gemm_qs16x8_configs, ember_dwconv_qs16x8_configs), bit for bit against plain int64
   loops: random shapes covering every tail (each mr up to the tile's MR, nc 1..40 across the
   16-column panels, kc 1..40, IGEMM with 1..9 taps and padding taps, 1..40 channels), and sums
   longer than an int32 block (kc or taps past EMBER_QS16X8_BLOCK) of the extreme values
   (-32768 / 32767 times -128 / 127, mostly of one sign), which overflow unless each block is
   added into int64 in time. Buffers have their exact sizes (ASan catches a read past them);
   output rows carry guard values that must survive. Each configuration's requantization
   against ember_requantize_i16 (sums from rounding ties to the int64 extremes, multipliers 0 and
   near 2^31, shifts -40..14). The selection is NULL under isa_mask NONE. */
#include "emberlite.h"
#include "kernels/fixed_point.h"
#include "test_util.h"
#include "ukernels/gemm_qs16x8.h"

static uint32_t rng_state = 0x2545f491u;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static size_t rand_in(size_t lo, size_t hi) {
    return lo + rng() % (hi - lo + 1);
}

static const int64_t guard = INT64_C(0x5a5a5a5a5a5a5a5a);

/* Random int16 values, or extreme ones: 90% `sign` (-32768 or 32767), else its opposite. */
static int16_t *activations(size_t n, bool extreme, int sign) {
    int16_t *p = malloc((n ? n : 1) * sizeof(int16_t));
    for (size_t i = 0; i < n && p != NULL; i++) {
        const bool flip = rng() % 10 == 0;
        p[i] = extreme ? (int16_t)((sign < 0) != flip ? -32768 : 32767)
                       : (int16_t)(int32_t)(rng() % 65536 - 32768);
    }
    return p;
}

/* Random int8 values, or extreme ones: 90% of one sign (-128 or 127), else the other. */
static int8_t *weights(size_t n, bool extreme) {
    int8_t *p = malloc((n ? n : 1));
    const bool negative = rng() % 2;
    for (size_t i = 0; i < n && p != NULL; i++) {
        const bool flip = rng() % 10 == 0;
        p[i] = extreme ? (int8_t)(negative != flip ? -128 : 127)
                       : (int8_t)(int32_t)(rng() % 256 - 128);
    }
    return p;
}

static int64_t *biases(size_t n) {
    int64_t *p = malloc(n * sizeof(int64_t));
    for (size_t i = 0; i < n && p != NULL; i++)
        p[i] = (int64_t)((uint64_t)rng() << 4) - (INT64_C(1) << 35);
    return p;
}

/* One GEMM (ks 0) or IGEMM (ks >= 1) case of config `cfg`. */
static int check_gemm(const ember_gemm_qs16x8_config *cfg, bool extreme, bool big) {
    const bool indirect = rng() % 2;
    const size_t mr = rand_in(1, cfg->mr), nc = rand_in(1, 40);
    /* Big: blocks end inside a tap, after several taps (IGEMM) or within one row (GEMM). */
    const size_t kc = !big     ? rand_in(1, 40)
                      : indirect ? rand_in(100, 300)
                                 : rand_in(EMBER_QS16X8_BLOCK - 3, 2 * EMBER_QS16X8_BLOCK + 7);
    const size_t ks = indirect ? rand_in(big ? 2 : 1, 9) : 1;
    const size_t a_stride = indirect ? kc : kc + rand_in(0, 3), c_stride = nc + rand_in(0, 3);
    const int sign = rng() % 2 ? 1 : -1;
    /* The activations: mr rows of a_stride (the last row exactly kc long), or the taps. */
    const size_t a_len = indirect ? ks * mr * kc : (mr - 1) * a_stride + kc;
    int16_t *a = activations(a_len, extreme, sign);
    int16_t *zero = calloc(kc, sizeof(int16_t));
    size_t *ind = malloc(mr * ks * sizeof(size_t));
    int8_t *w = weights(nc * ks * kc, extreme);
    int64_t *bias = biases(nc);
    void *packed = malloc(ember_gemm_qs16x8_packed_size(cfg, nc, ks, kc));
    int64_t *c = malloc(mr * c_stride * sizeof(int64_t));
    if (!a || !zero || !ind || !w || !bias || !packed || !c) {
        CHECK(false);
        return 1;
    }
    for (size_t i = 0; i < mr * ks; i++) /* a shuffled tap order, some padding */
        ind[i] = rng() % 5 == 0 ? EMBER_IND_ZERO : ((i * 7) % (mr * ks)) * kc;
    for (size_t i = 0; i < mr * c_stride; i++)
        c[i] = guard;
    ember_pack_gemm_qs16x8(cfg, nc, ks, kc, w, bias, packed);
    if (indirect)
        cfg->igemm(mr, nc, kc, ks, ind, a, zero, packed, c, c_stride);
    else
        cfg->gemm(mr, nc, kc, a, a_stride, packed, c, c_stride);
    size_t bad = 0;
    for (size_t i = 0; i < mr; i++) {
        for (size_t j = 0; j < c_stride; j++) {
            int64_t want = guard;
            if (j < nc) {
                want = bias[j];
                for (size_t t = 0; t < ks; t++) {
                    const size_t off = indirect ? ind[i * ks + t] : i * a_stride;
                    const int16_t *row = off == EMBER_IND_ZERO ? zero : a + off;
                    for (size_t k = 0; k < kc; k++)
                        want += (int64_t)row[k] * w[j * ks * kc + t * kc + k];
                }
            }
            bad += c[i * c_stride + j] != want;
        }
    }
    CHECK_MSG(bad == 0, "%s: %s mr %zu nc %zu kc %zu ks %zu extreme %d: %zu wrong", cfg->name,
              indirect ? "igemm" : "gemm", mr, nc, kc, ks, extreme, bad);
    free(a), free(zero), free(ind), free(w), free(bias), free(packed), free(c);
    return bad != 0;
}

static int check_dwconv(const ember_dwconv_qs16x8_config *cfg, bool extreme, bool big) {
    const size_t channels = rand_in(1, 40);
    const size_t ks = big ? rand_in(EMBER_QS16X8_BLOCK + 1, EMBER_QS16X8_BLOCK + 40)
                          : rand_in(1, 30);
    const int sign = rng() % 2 ? 1 : -1;
    int16_t *x = activations(ks * channels, extreme, sign);
    int16_t *zero = calloc(channels, sizeof(int16_t));
    const int16_t **in = malloc(ks * sizeof(*in));
    int8_t *w = weights(ks * channels, extreme);
    int64_t *bias = biases(channels);
    void *packed = malloc(ember_dwconv_qs16x8_packed_size(channels, ks));
    int64_t *acc = malloc((channels + 1) * sizeof(int64_t));
    if (!x || !zero || !in || !w || !bias || !packed || !acc) {
        CHECK(false);
        return 1;
    }
    for (size_t t = 0; t < ks; t++)
        in[t] = rng() % 6 == 0 ? zero : x + ((t * 5) % ks) * channels;
    acc[channels] = guard;
    ember_pack_dwconv_qs16x8(channels, ks, w, bias, packed);
    cfg->run(channels, ks, in, packed, acc);
    size_t bad = acc[channels] != guard;
    for (size_t ch = 0; ch < channels; ch++) {
        int64_t want = bias[ch];
        for (size_t t = 0; t < ks; t++)
            want += (int64_t)in[t][ch] * w[t * channels + ch];
        bad += acc[ch] != want;
    }
    CHECK_MSG(bad == 0, "%s: channels %zu ks %zu extreme %d: %zu wrong", cfg->name, channels, ks,
              extreme, bad);
    free(x), free(zero), free(in), free(w), free(bias), free(packed), free(acc);
    return bad != 0;
}

/* A sum of one of several magnitudes: small (frequent rounding ties), int32-sized, past 2^47
   (saturated by the multiply), or one of the int64 extremes. */
static int64_t random_sum(void) {
    const int64_t wide = (int64_t)(((uint64_t)rng() << 32) | rng());
    switch (rng() % 6) {
    case 0: return (int64_t)(rng() % 64) - 32;
    case 1: return (int32_t)rng();
    case 2: return wide >> 14;
    case 3: return wide >> (rng() % 40);
    case 4: return rng() % 2 ? INT64_MAX : INT64_MIN;
    default: return wide >> 20;
    }
}

/* `requant` against ember_requantize_i16, n 0..40 channels with random multipliers (0, the
   rounding-to-32767 region, shifts -40..14) and output ranges. */
static int check_requant(const char *name, ember_requant_qs16x8_fn requant) {
    const size_t n = rand_in(0, 40);
    int64_t acc[40], reduced[40], total[40];
    int32_t mult[40], shift[40];
    int16_t out[41];
    for (size_t c = 0; c < n; c++) {
        acc[c] = random_sum();
        const uint32_t kind = rng() % 8;
        mult[c] = kind == 0 ? 0 : kind == 1 ? 0x7FFF0000 + (int32_t)(rng() % 0xFFFF)
                                            : (int32_t)((1u << 30) | (rng() >> 2));
        shift[c] = (int32_t)rand_in(0, 54) - 40;
    }
    const int32_t q_min = rng() % 2 ? -32768 : -(int32_t)(rng() % 200);
    const int32_t q_max = rng() % 2 ? 32767 : (int32_t)(rng() % 200);
    out[n] = 0x5a5a;
    ember_requant_qs16x8_params(n, mult, shift, reduced, total);
    requant(n, acc, reduced, total, q_min, q_max, out);
    size_t bad = out[n] != 0x5a5a;
    for (size_t c = 0; c < n; c++)
        bad += out[c] != ember_requantize_i16(acc[c], mult[c], shift[c], q_min, q_max);
    CHECK_MSG(bad == 0, "%s: requant n %zu: %zu wrong", name, n, bad);
    return bad != 0;
}

static void check_selection(uint32_t isa) {
    ember_context ctx = {0};
    ctx.cpu_features = isa;
    ctx.isa_mask = EMBER_ISA_NONE;
    CHECK(ember_gemm_qs16x8_select(&ctx) == NULL && ember_dwconv_qs16x8_select(&ctx) == NULL);
    ctx.isa_mask = EMBER_ISA_ALL;
    const ember_gemm_qs16x8_config *g = ember_gemm_qs16x8_select(&ctx);
    const ember_dwconv_qs16x8_config *d = ember_dwconv_qs16x8_select(&ctx);
    CHECK(g != NULL && d != NULL && (g->isa & isa) == g->isa && (d->isa & isa) == d->isa);
}

int main(void) {
    const uint32_t isa = ember_detect_cpu_features();
    check_selection(isa);
    size_t count = 0;
    const ember_gemm_qs16x8_config *gemms = ember_gemm_qs16x8_configs(&count);
    for (size_t i = 0; i < count; i++) {
        if ((gemms[i].isa & isa) != gemms[i].isa) {
            printf("%s: skipped, this CPU lacks ISA 0x%x\n", gemms[i].name,
                   (unsigned)gemms[i].isa);
            continue;
        }
        printf("%s: tested\n", gemms[i].name); /* the cross runs show which kernels ran */
        int failed = 0;
        for (int n = 0; n < 120 && failed < 3; n++)
            failed += check_gemm(&gemms[i], n % 3 != 0, false);
        for (int n = 0; n < 8 && failed < 3; n++)
            failed += check_gemm(&gemms[i], n % 4 != 0, true);
        for (int n = 0; n < 200 && failed < 3; n++)
            failed += check_requant(gemms[i].name, gemms[i].requant);
    }
    const ember_dwconv_qs16x8_config *dws = ember_dwconv_qs16x8_configs(&count);
    for (size_t i = 0; i < count; i++) {
        if ((dws[i].isa & isa) != dws[i].isa) {
            printf("%s: skipped, this CPU lacks ISA 0x%x\n", dws[i].name, (unsigned)dws[i].isa);
            continue;
        }
        printf("%s: tested\n", dws[i].name);
        int failed = 0;
        for (int n = 0; n < 120 && failed < 3; n++)
            failed += check_dwconv(&dws[i], n % 3 != 0, false);
        for (int n = 0; n < 8 && failed < 3; n++)
            failed += check_dwconv(&dws[i], n % 4 != 0, true);
        for (int n = 0; n < 50 && failed < 3; n++)
            failed += check_requant(dws[i].name, dws[i].requant);
    }
    return test_report("test_ukernel_gemm_qs16x8");
}
