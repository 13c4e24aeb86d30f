/* Plain NEON int8 GEMM/IGEMM microkernels (ukernels/gemm_qs8.h) for aarch64 CPUs without
 * dotprod and for armv7: 2 rows x 16 columns, K in groups of 8 (c8), a_offset 0; the c8 tile of
 * XNNPACK's NEON "mlal" kernels. smull multiplies a row's 8 k by a column's 8 k into 8 int16
 * products and sadalp adds them in pairs to the column's 4 int32 partial sums, which are
 * added across lanes once at the end.
 *
 * XNNPACK also adds a second group's products with smlal before the sadalp, which is exact only
 * for weights in [-127, 127] (two products of -128 x -128 make 32768); the contract allows any
 * int8 weight, so every group's products go through sadalp on their own.
 *
 * A 16-column panel runs as passes of COLS columns (their weights are COLS x 8 bytes of each
 * group's 128), so the accumulators fit the register file: 2 x 8 on aarch64 (16 of 32 q
 * registers), 2 x 4 on armv7 (8 of 16). */
#if defined(__ARM_NEON)
#include "ukernels/neon/requant_qs8_neon.h"

#define MR 2
#define NR EMBER_GEMM_QS8_NR
#define KR 8
#if defined(__aarch64__)
#define COLS 8
#else
#define COLS 4
#endif

#define ROWS_COLS(stmt)                                      \
    _Pragma("GCC unroll 2") for (int i = 0; i < MR; i++) \
        _Pragma("GCC unroll 8") for (int j = 0; j < COLS; j++) stmt

/* One group of 8 k (a[i] of row i) times the pass's columns' 8 weights each. */
#define MULL_PAIRS(acc, a, w)                                                        \
    do {                                                                           \
        _Pragma("GCC unroll 8") for (int j = 0; j < COLS; j++) {                   \
            const int8x8_t b = vld1_s8(w + KR * j);                                \
            _Pragma("GCC unroll 2") for (int i = 0; i < MR; i++) acc[i][j] =       \
                vpadalq_s16(acc[i][j], vmull_s8(a[i], b));                         \
        }                                                                          \
        w += KR * NR;                                                              \
    } while (0)

/* acc += rows' kc bytes times the pass's columns of one tap; w points at the tap's first
   group, offset to the pass's first column. */
EMBER_NEON_INLINE void accumulate(int32x4_t acc[MR][COLS], const int8_t *const rows[MR],
                                  size_t kc, const int8_t *w) {
    const int8_t *r[MR] = {rows[0], rows[1]};
    size_t k = kc;
    for (; k >= KR; k -= KR) {
        const int8x8_t a[MR] = {vld1_s8(r[0]), vld1_s8(r[1])};
        r[0] += KR;
        r[1] += KR;
        MULL_PAIRS(acc, a, w);
    }
    if (k > 0) {
        /* 1..7 bytes, zero-filled: the packed weights past kc are zero too. */
        const int8x8_t a[MR] = {ember_qs8_load_tail_neon(r[0], k),
                                ember_qs8_load_tail_neon(r[1], k)};
        MULL_PAIRS(acc, a, w);
    }
}

/* The lane sums of four columns' partial sums: {sum v0, sum v1, sum v2, sum v3}. */
static inline int32x4_t sum4(int32x4_t v0, int32x4_t v1, int32x4_t v2, int32x4_t v3) {
#if defined(__aarch64__)
    return vpaddq_s32(vpaddq_s32(v0, v1), vpaddq_s32(v2, v3));
#else
    const int32x2_t s0 = vpadd_s32(vget_low_s32(v0), vget_high_s32(v0));
    const int32x2_t s1 = vpadd_s32(vget_low_s32(v1), vget_high_s32(v1));
    const int32x2_t s2 = vpadd_s32(vget_low_s32(v2), vget_high_s32(v2));
    const int32x2_t s3 = vpadd_s32(vget_low_s32(v3), vget_high_s32(v3));
    return vcombine_s32(vpadd_s32(s0, s1), vpadd_s32(s2, s3));
#endif
}

/* One panel's int32 sums, bias included, into out[i][g] (row i, columns 4g..4g+3): each pass
   of COLS columns below `cols` runs over the ks taps, tap t's rows from rows_of(t). Columns
   past `cols` are left 0. Kept out of line: the passes share one copy of the K loop. */
typedef struct tap_source {
    const int8_t *a, *zero;
    const size_t *ind; /* NULL: GEMM rows a + i * a_stride */
    size_t mr, a_stride, ks;
} tap_source;

static void tap_rows(const tap_source *s, size_t t, const int8_t *rows[MR]) {
    if (s->ind == NULL) {
        for (size_t i = 0; i < MR; i++)
            rows[i] = s->a + (i < s->mr ? i : s->mr - 1) * s->a_stride;
    } else {
        ember_qs8_tap_rows(s->mr, MR, s->ind + t, s->ks, s->a, s->zero, rows);
    }
}

static __attribute__((noinline)) void panel_sums(const tap_source *s, size_t kc, size_t cols,
                                                 const int8_t *panel, int32x4_t out[MR][4]) {
    const int32_t *bias = (const int32_t *)(const void *)panel;
    const int8_t *w = panel + NR * sizeof(int32_t);
    const size_t tap_bytes = (kc + KR - 1) / KR * KR * NR;
    for (size_t i = 0; i < MR; i++) {
        for (size_t g = 0; g < 4; g++)
            out[i][g] = vdupq_n_s32(0);
    }
    for (size_t h = 0; h * COLS < cols; h++) {
        int32x4_t acc[MR][COLS];
        ROWS_COLS(acc[i][j] = vdupq_n_s32(0));
        for (size_t t = 0; t < s->ks; t++) {
            const int8_t *rows[MR];
            tap_rows(s, t, rows);
            accumulate(acc, rows, kc, w + t * tap_bytes + h * COLS * KR);
        }
        _Pragma("GCC unroll 2") for (int g = 0; g < COLS / 4; g++) {
            const int32x4_t b = vld1q_s32(bias + h * COLS + 4 * g);
            _Pragma("GCC unroll 2") for (int i = 0; i < MR; i++) out[i][h * COLS / 4 + g] =
                vaddq_s32(b, sum4(acc[i][4 * g], acc[i][4 * g + 1], acc[i][4 * g + 2],
                                  acc[i][4 * g + 3]));
        }
    }
}

static size_t panel_cols(size_t nc, size_t j0) {
    return nc - j0 < NR ? nc - j0 : NR;
}

/* Bytes of one panel: bias, ks taps of weights, multipliers. */
static size_t panel_bytes(size_t kc, size_t ks) {
    return NR * sizeof(int32_t) + ks * ((kc + KR - 1) / KR * KR * NR) + 3 * NR * sizeof(int32_t);
}

static void run(const tap_source *s, size_t nc, size_t kc, const int8_t *panel, int8_t *c,
                size_t c_stride, const ember_qs8_params *p) {
    const size_t q_at = panel_bytes(kc, s->ks) - 3 * NR * sizeof(int32_t);
    for (size_t j0 = 0; j0 < nc; j0 += NR, panel += panel_bytes(kc, s->ks)) {
        int32x4_t v[MR][4];
        panel_sums(s, kc, panel_cols(nc, j0), panel, v);
        ember_qs8_neon_q q;
        ember_qs8_load_q_neon(panel + q_at, &q);
        for (size_t i = 0; i < s->mr; i++) {
            ember_qs8_store_neon(c + i * c_stride + j0, panel_cols(nc, j0),
                                 ember_qs8_requant16_neon(v[i], &q, p));
        }
    }
}

void ember_gemm_qs8_2x16c8_neon(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                const ember_qs8_params *params) {
    const tap_source s = {a, NULL, NULL, mr, a_stride, 1};
    run(&s, nc, kc, w, c, c_stride, params);
}

void ember_igemm_qs8_2x16c8_neon(size_t mr, size_t nc, size_t kc, size_t ks, const size_t *ind,
                                 const int8_t *a, const int8_t *zero, const void *w, int8_t *c,
                                 size_t c_stride, const ember_qs8_params *params) {
    const tap_source s = {a, zero, ind, mr, 0, ks};
    run(&s, nc, kc, w, c, c_stride, params);
}

void ember_gemm_qs8_i32_2x16c8_neon(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                    size_t a_stride, const void *w, int32_t *c,
                                    size_t c_stride) {
    const tap_source s = {a, NULL, NULL, mr, a_stride, 1};
    const int8_t *panel = w;
    for (size_t j0 = 0; j0 < nc; j0 += NR, panel += panel_bytes(kc, 1)) {
        int32x4_t v[MR][4];
        panel_sums(&s, kc, panel_cols(nc, j0), panel, v);
        for (size_t i = 0; i < mr; i++)
            ember_qs8_store_i32_neon(c + i * c_stride + j0, panel_cols(nc, j0), v[i]);
    }
}
#endif
