/* Every int8 GEMM/IGEMM microkernel configuration this CPU runs (ember_gemm_qs8_configs), byte
   for byte against a plain triple loop over the unpacked weights requantized with
   ember_requantize_i8 (kernels/fixed_point.h, LiteRT's reference arithmetic) and against the
   portable 4x16c4 kernels, on random shapes covering every tail: each mr from 1 to the tile's
   MR, nc 1..40 (every partial panel), kc 1..70 (kc % kr != 0) and a few of 1025..1100 (9 taps
   of 114..130 for IGEMM: past the VNNI kernels' flipped-row buffer), IGEMM with 1..9 taps and
   padding taps that read a zero vector of zp_in; input and output zero points at -128, 127 or
   random; per-column multipliers of scales spanning 1e-6..1 and a few above 1 (left shifts);
   weights with -128 and 127, activations with -128; output strides past nc (guard bytes must
   survive). A rows start at odd addresses in buffers sized to the byte, so ASan catches a
   read past kc. gemm_i32 is checked against the loop's int32 sums. Also the scalar
   requantization (ember_qs8_requantize) and its AVX2 form (ember_qs8_mbqm_avx2,
   ember_qs8_pack16_avx2) and its AVX-512 form (ember_qs8_mbqm_avx512) against
   ember_requantize_i8 on random and edge values: INT32_MIN
   and INT32_MAX sums, every shift -31..31, rounding ties of both roundings. */
#include <math.h>

#include "ember_internal.h"
#include "emberlite.h"
#include "kernels/fixed_point.h"
#include "test_util.h"
#include "ukernels/gemm_qs8.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define TEST_AVX2 1
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif
#include "ukernels/avx2/requant_qs8_avx2.h"
#if defined(__clang__)
#pragma clang attribute pop
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl"))), \
                             apply_to = function)
#else
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl")
#endif
#include "ukernels/avx512vnni/requant_qs8_avx512.h"
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif

#define NR EMBER_GEMM_QS8_NR
#define MAX_MR 16
#define SCALAR_MR 4 /* rows per call of the portable kernels */

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

/* An int8 value, the extremes -128 and 127 one time in eight each. */
static int8_t rand_i8(void) {
    const uint32_t r = rng() % 8;
    return r == 0 ? -128 : r == 1 ? 127 : (int8_t)(rng() & 0xff);
}

/* A zero point: -128, 127 or random. */
static int32_t rand_zp(void) {
    const uint32_t r = rng() % 3;
    return r == 0 ? -128 : r == 1 ? 127 : (int32_t)(int8_t)(rng() & 0xff);
}

/* A real scale log-uniform in [1e-6, 1], one in eight in (1, 64] (a positive shift). */
static double rand_scale(void) {
    const double u = (double)(rng() % 100001) / 100000.0;
    if (rng() % 8 == 0)
        return 1.0 + 63.0 * u;
    return 1e-6 * pow(1e6, u);
}

/* A shape and its unpacked operands: w is [nc][ks * kc]. */
typedef struct qcase {
    size_t mr, nc, kc, ks, c_stride;
    int32_t zp_in;
    ember_qs8_params p;
    int8_t *w;
    int32_t *bias, *mult, *shift;
} qcase;

static void random_case(qcase *t, size_t mr, size_t ks, size_t min_kc, size_t max_kc) {
    t->mr = mr;
    t->ks = ks;
    t->nc = rand_in(1, 40);
    t->kc = rand_in(min_kc, max_kc);
    t->c_stride = t->nc + (rng() % 2 ? rand_in(1, 7) : 0);
    t->zp_in = rand_zp();
    t->p.out_zp = rand_zp();
    t->p.qmin = -128;
    t->p.qmax = 127;
    if (rng() % 2) {
        const int32_t lo = (int32_t)rand_in(0, 200) - 128;
        t->p.qmin = lo;
        t->p.qmax = lo + (int32_t)rand_in(0, (size_t)(127 - lo));
    }
    const size_t k = ks * t->kc;
    t->w = malloc(t->nc * k);
    t->bias = malloc(t->nc * sizeof(int32_t));
    t->mult = malloc(t->nc * sizeof(int32_t));
    t->shift = malloc(t->nc * sizeof(int32_t));
    if (!t->w || !t->bias || !t->mult || !t->shift)
        return;
    const bool extremes = rng() % 6 == 0; /* every weight -128 or 127 */
    for (size_t i = 0; i < t->nc * k; i++)
        t->w[i] = extremes ? (rng() % 2 ? -128 : 127) : rand_i8();
    for (size_t j = 0; j < t->nc; j++) {
        /* Small biases mostly; one in four anywhere in int32 (the sums then wrap). */
        t->bias[j] = rng() % 4 == 0 ? (int32_t)rng() : (int32_t)(rng() % 20001) - 10000;
        ember_quantize_multiplier(rand_scale(), &t->mult[j], &t->shift[j]);
    }
}

static void free_case(qcase *t) {
    free(t->w), free(t->bias), free(t->mult), free(t->shift);
}

/* Row i's element k (k < ks * kc) of A: through the rows (GEMM) or the taps (IGEMM). */
typedef struct a_view {
    const int8_t *a, *zero;
    const size_t *ind; /* NULL: GEMM rows a + i * a_stride */
    size_t a_stride, ks, kc;
} a_view;

static int32_t a_at(const a_view *v, size_t i, size_t k) {
    if (v->ind == NULL)
        return v->a[i * v->a_stride + k];
    const size_t at = v->ind[i * v->ks + k / v->kc];
    return at == EMBER_IND_ZERO ? v->zero[k % v->kc] : v->a[at + k % v->kc];
}

/* The reference int32 sum of output (i, j), wrapping modulo 2^32. */
static uint32_t ref_sum(const qcase *t, const a_view *v, size_t i, size_t j) {
    const size_t k_all = t->ks * t->kc;
    uint32_t acc = (uint32_t)t->bias[j];
    for (size_t k = 0; k < k_all; k++)
        acc += (uint32_t)((a_at(v, i, k) - t->zp_in) * t->w[j * k_all + k]);
    return acc;
}

static void *packed_for(const ember_gemm_qs8_config *cfg, const qcase *t) {
    void *p = malloc(ember_gemm_qs8_packed_size(cfg, t->nc, t->ks, t->kc));
    if (p != NULL && !ember_pack_gemm_qs8(cfg, t->nc, t->ks, t->kc, t->w, t->bias, t->zp_in,
                                          t->mult, t->shift, p)) {
        free(p);
        return NULL;
    }
    return p;
}

static const int8_t guard = 0x5a;

static int8_t *guarded_output(const qcase *t) {
    int8_t *c = malloc(t->mr * t->c_stride);
    if (c != NULL)
        memset(c, guard, t->mr * t->c_stride);
    return c;
}

/* Counts outputs that differ from the triple loop, or guard bytes overwritten. */
static size_t count_bad(const qcase *t, const a_view *v, const int8_t *c) {
    size_t bad = 0;
    for (size_t i = 0; i < t->mr; i++) {
        for (size_t j = 0; j < t->c_stride; j++) {
            const int8_t got = c[i * t->c_stride + j];
            if (j >= t->nc) {
                bad += got != guard;
                continue;
            }
            const int32_t want =
                ember_requantize_i8((int32_t)ref_sum(t, v, i, j), t->mult[j], t->shift[j],
                                    t->p.out_zp, t->p.qmin, t->p.qmax);
            bad += got != want;
        }
    }
    return bad;
}

static const ember_gemm_qs8_config *scalar_config(void) {
    size_t count = 0;
    const ember_gemm_qs8_config *cfgs = ember_gemm_qs8_configs(&count);
    for (size_t i = 0; i < count; i++) {
        if (cfgs[i].gemm == ember_gemm_qs8_4x16c4_scalar)
            return &cfgs[i];
    }
    return NULL;
}

static void report(const char *name, const char *kind, const qcase *t, size_t bad,
                   bool same_as_scalar) {
    CHECK_MSG(bad == 0 && same_as_scalar,
              "%s %s: mr %zu nc %zu kc %zu ks %zu zp_in %d out_zp %d clamp [%d, %d]: %zu wrong "
              "outputs, %s the portable kernel",
              name, kind, t->mr, t->nc, t->kc, t->ks, (int)t->zp_in, (int)t->p.out_zp,
              (int)t->p.qmin, (int)t->p.qmax, bad, same_as_scalar ? "same as" : "differs from");
}

/* big: kc past 1024 (kernels may take another path for long rows, e.g. the VNNI kernels'
   flipped copy of up to 12 KB of rows). */
static void check_gemm(const ember_gemm_qs8_config *cfg, size_t mr, bool big) {
    qcase t;
    random_case(&t, mr, 1, big ? 1025 : 1, big ? 1100 : 70);
    const size_t a_stride = t.kc + (rng() % 2 ? rand_in(1, 5) : 0);
    const size_t a_bytes = (mr - 1) * a_stride + t.kc;
    /* One extra byte in front: rows start at odd addresses; the buffer ends at the last row. */
    int8_t *buf = malloc(a_bytes + 1);
    void *packed = t.w ? packed_for(cfg, &t) : NULL;
    void *packed_ref = t.w ? packed_for(scalar_config(), &t) : NULL;
    int8_t *c = guarded_output(&t), *c_ref = guarded_output(&t);
    int32_t *c32 = malloc(mr * t.c_stride * sizeof(int32_t));
    if (buf && packed && packed_ref && c && c_ref && c32) {
        int8_t *a = buf + 1;
        for (size_t i = 0; i < a_bytes; i++)
            a[i] = rand_i8();
        const a_view v = { a, NULL, NULL, a_stride, 1, t.kc };
        cfg->gemm(mr, t.nc, t.kc, a, a_stride, packed, c, t.c_stride, &t.p);
        for (size_t i = 0; i < mr; i += SCALAR_MR) {
            ember_gemm_qs8_4x16c4_scalar(mr - i < SCALAR_MR ? mr - i : SCALAR_MR, t.nc, t.kc,
                                         a + i * a_stride, a_stride, packed_ref,
                                         c_ref + i * t.c_stride, t.c_stride, &t.p);
        }
        report(cfg->name, "gemm", &t, count_bad(&t, &v, c),
               memcmp(c, c_ref, mr * t.c_stride) == 0);
        cfg->gemm_i32(mr, t.nc, t.kc, a, a_stride, packed, c32, t.c_stride);
        size_t bad = 0;
        for (size_t i = 0; i < mr; i++) {
            for (size_t j = 0; j < t.nc; j++)
                bad += (uint32_t)c32[i * t.c_stride + j] != ref_sum(&t, &v, i, j);
        }
        report(cfg->name, "gemm_i32", &t, bad, true);
    } else {
        CHECK_MSG(false, "%s: out of memory or packing refused", cfg->name);
    }
    free(buf), free(packed), free(packed_ref), free(c), free(c_ref), free(c32);
    free_case(&t);
}

static void check_igemm(const ember_gemm_qs8_config *cfg, size_t mr, bool big) {
    qcase t;
    random_case(&t, mr, big ? 9 : rand_in(1, 9), big ? 114 : 1, big ? 130 : 40);
    /* Taps read kc bytes at any offset of a small input; about one in five is padding. */
    const size_t a_bytes = t.kc + rand_in(0, 50);
    int8_t *buf = malloc(a_bytes + 1), *zbuf = malloc(t.kc + 1);
    size_t *ind = malloc(mr * t.ks * sizeof(size_t));
    void *packed = t.w ? packed_for(cfg, &t) : NULL;
    void *packed_ref = t.w ? packed_for(scalar_config(), &t) : NULL;
    int8_t *c = guarded_output(&t), *c_ref = guarded_output(&t);
    if (buf && zbuf && ind && packed && packed_ref && c && c_ref) {
        int8_t *a = buf + 1, *zero = zbuf + 1;
        for (size_t i = 0; i < a_bytes; i++)
            a[i] = rand_i8();
        memset(zero, (int)(int8_t)t.zp_in, t.kc);
        for (size_t i = 0; i < mr * t.ks; i++)
            ind[i] = rng() % 5 == 0 ? EMBER_IND_ZERO : rand_in(0, a_bytes - t.kc);
        const a_view v = { a, zero, ind, 0, t.ks, t.kc };
        cfg->igemm(mr, t.nc, t.kc, t.ks, ind, a, zero, packed, c, t.c_stride, &t.p);
        for (size_t i = 0; i < mr; i += SCALAR_MR) {
            ember_igemm_qs8_4x16c4_scalar(mr - i < SCALAR_MR ? mr - i : SCALAR_MR, t.nc, t.kc,
                                          t.ks, ind + i * t.ks, a, zero, packed_ref,
                                          c_ref + i * t.c_stride, t.c_stride, &t.p);
        }
        report(cfg->name, "igemm", &t, count_bad(&t, &v, c),
               memcmp(c, c_ref, mr * t.c_stride) == 0);
    } else {
        CHECK_MSG(false, "%s: out of memory or packing refused", cfg->name);
    }
    free(buf), free(zbuf), free(ind), free(packed), free(packed_ref), free(c), free(c_ref);
    free_case(&t);
}

/* ---- the requantization itself ---- */

static const int32_t edge_acc[] = { INT32_MIN, INT32_MIN + 1, -65536, -3, -2, -1, 0, 1, 2, 3,
                                    65535, INT32_MAX - 1, INT32_MAX };

/* A (sum, multiplier, shift) triple: random, an edge sum, or an exact tie of the high
   multiply (m = 2^30 halves an odd sum) or of the rounding shift (high = k 2^r + 2^(r-1)). */
static void rand_requant_case(int32_t *acc, int32_t *m, int32_t *shift) {
    ember_quantize_multiplier(rand_scale(), m, shift);
    if (rng() % 2)
        *shift = (int32_t)rand_in(0, 62) - 31; /* every shift the packing accepts */
    const uint32_t kind = rng() % 5;
    *acc = (int32_t)rng();
    if (kind == 0)
        *acc = edge_acc[rng() % (sizeof edge_acc / sizeof edge_acc[0])];
    if (kind == 1) {
        *m = INT32_C(1) << 30;
        *acc |= 1;
    }
    if (kind == 2 && *shift <= 0) {
        const int32_t r = -*shift;
        const int64_t k = (int64_t)(int32_t)rng() >> (r + 2);
        const int64_t high = k * ((int64_t)1 << r) + (r > 0 ? (int64_t)1 << (r - 1) : 0);
        *m = INT32_C(1) << 30;
        *acc = (int32_t)(2 * high); /* m = 2^30: SRDHM of an even sum is exactly half of it */
        *acc = rng() % 2 ? *acc : (int32_t)(0u - (uint32_t)*acc);
    }
    if (kind == 3)
        *m = rng() % 2 ? INT32_MAX : 0;
}

static void check_requant_scalar(void) {
    size_t bad = 0;
    for (int n = 0; n < 20000; n++) {
        int32_t acc, m, shift, ls = 0, rs = 0;
        rand_requant_case(&acc, &m, &shift);
        const ember_qs8_params p = { rand_zp(), -128, 127 };
        CHECK(ember_qs8_split_shift(shift, &ls, &rs));
        bad += ember_qs8_requantize(acc, m, ls, rs, &p) !=
               ember_requantize_i8(acc, m, shift, p.out_zp, p.qmin, p.qmax);
    }
    int32_t ls, rs;
    CHECK(!ember_qs8_split_shift(32, &ls, &rs));
    CHECK_MSG(bad == 0, "ember_qs8_requantize: %zu of 20000 differ from ember_requantize_i8",
              bad);
}

#ifdef TEST_AVX2
__attribute__((target("avx2"))) static size_t avx2_requant_round(void) {
    int32_t acc[16], m[16], ls[16] = { 0 }, rs[16] = { 0 }, shift[16];
    for (int l = 0; l < 16; l++) {
        rand_requant_case(&acc[l], &m[l], &shift[l]);
        ember_qs8_split_shift(shift[l], &ls[l], &rs[l]);
    }
    const ember_qs8_params p = { rand_zp(), (int32_t)rand_in(0, 60) - 128,
                                 (int32_t)rand_in(60, 255) - 128 };
    __m256i r[2];
    for (int h = 0; h < 2; h++) {
        r[h] = ember_qs8_mbqm_avx2(_mm256_loadu_si256((const __m256i *)(acc + 8 * h)),
                                   _mm256_loadu_si256((const __m256i *)(m + 8 * h)),
                                   _mm256_loadu_si256((const __m256i *)(ls + 8 * h)),
                                   _mm256_loadu_si256((const __m256i *)(rs + 8 * h)));
    }
    int32_t lanes[16];
    int8_t bytes[16];
    _mm256_storeu_si256((__m256i *)lanes, r[0]);
    _mm256_storeu_si256((__m256i *)(lanes + 8), r[1]);
    _mm_storeu_si128((__m128i *)bytes, ember_qs8_pack16_avx2(r[0], r[1], &p));
    size_t bad = 0;
    for (int l = 0; l < 16; l++) {
        bad += lanes[l] != ember_multiply_by_quantized_multiplier(acc[l], m[l], shift[l]);
        bad += bytes[l] != ember_requantize_i8(acc[l], m[l], shift[l], p.out_zp, p.qmin, p.qmax);
    }
    return bad;
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) static size_t avx512_requant_round(void) {
    int32_t acc[16], q[48], shift[16];
    /* Half the rounds keep every right shift <= 22 (the zero point folded into the addend),
       half allow any (added per row); a third have no left shift at all. */
    const bool small_r = rng() % 2, no_left = rng() % 3 == 0;
    for (int l = 0; l < 16; l++) {
        rand_requant_case(&acc[l], &q[l], &shift[l]);
        shift[l] = small_r && shift[l] < -22 ? -22 : shift[l];
        shift[l] = no_left && shift[l] > 0 ? 0 : shift[l];
        ember_qs8_split_shift(shift[l], &q[16 + l], &q[32 + l]);
    }
    const ember_qs8_params p = { rand_zp(), (int32_t)rand_in(0, 60) - 128,
                                 (int32_t)rand_in(60, 255) - 128 };
    const ember_qs8_cols_avx512 cols = ember_qs8_cols_load_avx512(q, p.out_zp);
    const __m512i r = ember_qs8_mbqm_avx512(_mm512_loadu_si512(acc), &cols);
    int32_t lanes[16];
    int8_t bytes[16];
    _mm512_storeu_si512(lanes, r);
    _mm_storeu_si128((__m128i *)bytes, ember_qs8_narrow_avx512(r, _mm_set1_epi8((char)p.qmin),
                                                               _mm_set1_epi8((char)p.qmax)));
    size_t bad = 0;
    for (int l = 0; l < 16; l++) {
        const int32_t want = ember_multiply_by_quantized_multiplier(acc[l], q[l], shift[l]);
        bad += (uint32_t)lanes[l] != (uint32_t)want + (uint32_t)p.out_zp;
        bad += bytes[l] != ember_requantize_i8(acc[l], q[l], shift[l], p.out_zp, p.qmin, p.qmax);
    }
    return bad;
}

static void check_requant_avx2(uint32_t features) {
    if (!(features & EMBER_ISA_AVX2))
        return;
    size_t bad = 0;
    for (int n = 0; n < 2000; n++)
        bad += avx2_requant_round();
    CHECK_MSG(bad == 0, "ember_qs8_mbqm_avx2 / pack16: %zu lanes of 32000 differ", bad);
    if (!(features & EMBER_ISA_AVX512VNNI))
        return;
    bad = 0;
    for (int n = 0; n < 2000; n++)
        bad += avx512_requant_round();
    CHECK_MSG(bad == 0, "ember_qs8_mbqm_avx512 / narrow: %zu lanes of 32000 differ", bad);
}
#endif

int main(void) {
    const uint32_t features = ember_detect_cpu_features();
    check_requant_scalar();
#ifdef TEST_AVX2
    check_requant_avx2(features);
#endif
    CHECK(scalar_config() != NULL);
    size_t count = 0, tested = 0;
    const ember_gemm_qs8_config *cfgs = ember_gemm_qs8_configs(&count);
    for (size_t n = 0; n < count && scalar_config() != NULL; n++) {
        const ember_gemm_qs8_config *cfg = &cfgs[n];
        if ((cfg->isa & features) != cfg->isa) {
            printf("%s: skipped, this CPU lacks ISA 0x%x\n", cfg->name, (unsigned)cfg->isa);
            continue;
        }
        CHECK(cfg->mr >= 1 && cfg->mr <= MAX_MR);
        const size_t reps = cfg->mr > 4 ? 4 : 8; /* ~30-60 cases of each kind per config */
        for (size_t rep = 0; rep < reps; rep++) {
            for (size_t mr = 1; mr <= cfg->mr; mr++) {
                check_gemm(cfg, mr, false);
                check_igemm(cfg, mr, false);
            }
        }
        const size_t big_mr[] = { 1, 2, cfg->mr };
        for (size_t i = 0; i < 3; i++) {
            check_gemm(cfg, big_mr[i], true);
            check_igemm(cfg, big_mr[i], true);
        }
        tested++;
        printf("%s: tested\n", cfg->name); /* the cross runs show which kernels ran where */
    }
    CHECK_MSG(tested >= 1, "no configuration ran");
    return test_report("test_ukernel_gemm_qs8");
}
