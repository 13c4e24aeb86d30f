/* NEON form of the int8 requantization (ukernels/requant_qs8.h) and the tile loads and stores
 * the Arm int8 GEMM microkernels share (neon, neondot, neoni8mm; aarch64 and armv7). Header-only.
 *
 * The high multiply: sqrdmulh computes (2 x m + 2^31) >> 32 = floor((x m + 2^30) / 2^31), with
 * x m the exact 64-bit product: the form requant_qs8.h shows equal to gemmlowp's SRDHM for
 * every product, negative ties included. It differs only where it saturates, x = m = INT32_MIN,
 * and the multipliers of ember_quantize_multiplier are never negative.
 *
 * The rounding shift: srshl by -r rounds halves up, (h + 2^(r-1)) >> r, while RDBPOT rounds
 * them away from zero. Subtracting 1 from a negative h first moves exactly its ties down and
 * no other value across a multiple of 2^r (h & -r has h's sign bit when r > 0 and is 0 when
 * r = 0, so the fix-up is -1 only where it is needed). h is never INT32_MIN for m >= 0 (it is
 * at least -2^31 + 1); the saturating add keeps even that one from wrapping. */
#ifndef EMBER_UKERNELS_NEON_REQUANT_QS8_NEON_H
#define EMBER_UKERNELS_NEON_REQUANT_QS8_NEON_H

#include <arm_neon.h>
#include <string.h>

#include "ukernels/gemm_qs8.h"

/* For the K loop and the store of a tile: inlined into each caller, so the accumulators stay
   in registers (GCC otherwise calls them and keeps the tile in memory). */
#define EMBER_NEON_INLINE static inline __attribute__((always_inline))

/* Four int32 sums times their multipliers, before the zero point: per lane
   RDBPOT(SRDHM(acc << lshift, m), rshift), with neg_rshift = -rshift. */
static inline int32x4_t ember_qs8_mbqm_neon(int32x4_t acc, int32x4_t m, int32x4_t lshift,
                                            int32x4_t neg_rshift) {
    const int32x4_t high = vqrdmulhq_s32(vshlq_s32(acc, lshift), m);
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(high, neg_rshift), 31);
    return vrshlq_s32(vqaddq_s32(high, fixup), neg_rshift);
}

/* Sixteen requantized lanes plus the zero point (a wrapping int32 add, as the scalar form's),
   saturated to int8 in order and clamped. */
static inline int8x16_t ember_qs8_pack16_neon(const int32x4_t v[4], const ember_qs8_params *p) {
    const int32x4_t zp = vdupq_n_s32(p->out_zp);
    const int16x8_t lo =
        vcombine_s16(vqmovn_s32(vaddq_s32(v[0], zp)), vqmovn_s32(vaddq_s32(v[1], zp)));
    const int16x8_t hi =
        vcombine_s16(vqmovn_s32(vaddq_s32(v[2], zp)), vqmovn_s32(vaddq_s32(v[3], zp)));
    const int8x16_t b = vcombine_s8(vqmovn_s16(lo), vqmovn_s16(hi));
    return vminq_s8(vmaxq_s8(b, vdupq_n_s8((int8_t)p->qmin)), vdupq_n_s8((int8_t)p->qmax));
}

/* The per-column multipliers of one panel (mult, lshift, rshift: 3 x NR int32 at q). */
typedef struct ember_qs8_neon_q {
    int32x4_t m[4], lshift[4], neg_rshift[4];
} ember_qs8_neon_q;

static inline void ember_qs8_load_q_neon(const int8_t *q8, ember_qs8_neon_q *q) {
    const int32_t *w = (const int32_t *)(const void *)q8;
    for (int j = 0; j < 4; j++) {
        q->m[j] = vld1q_s32(w + 4 * j);
        q->lshift[j] = vld1q_s32(w + EMBER_GEMM_QS8_NR + 4 * j);
        q->neg_rshift[j] = vnegq_s32(vld1q_s32(w + 2 * EMBER_GEMM_QS8_NR + 4 * j));
    }
}

/* One row of 16 sums requantized to 16 int8. */
static inline int8x16_t ember_qs8_requant16_neon(const int32x4_t acc[4], const ember_qs8_neon_q *q,
                                                 const ember_qs8_params *p) {
    int32x4_t v[4];
    for (int j = 0; j < 4; j++)
        v[j] = ember_qs8_mbqm_neon(acc[j], q->m[j], q->lshift[j], q->neg_rshift[j]);
    return ember_qs8_pack16_neon(v, p);
}

/* Stores the leading `cols` (1..16) bytes of v at c, which may be unaligned. */
static inline void ember_qs8_store_neon(int8_t *c, size_t cols, int8x16_t v) {
    if (cols == 16) {
        vst1q_s8(c, v);
        return;
    }
    int8x8_t part = vget_low_s8(v);
    if (cols & 8) {
        vst1_s8(c, part);
        part = vget_high_s8(v);
        c += 8;
    }
    uint64_t bytes = vget_lane_u64(vreinterpret_u64_s8(part), 0);
    if (cols & 4) {
        const uint32_t t = (uint32_t)bytes;
        memcpy(c, &t, 4);
        bytes >>= 32;
        c += 4;
    }
    if (cols & 2) {
        const uint16_t t = (uint16_t)bytes;
        memcpy(c, &t, 2);
        bytes >>= 16;
        c += 2;
    }
    if (cols & 1)
        *c = (int8_t)(uint8_t)bytes;
}

/* Stores the leading `cols` (1..16) int32 of v[0..3] at c. */
static inline void ember_qs8_store_i32_neon(int32_t *c, size_t cols, const int32x4_t v[4]) {
    size_t j = 0;
    for (; j + 4 <= cols; j += 4)
        vst1q_s32(c + j, v[j / 4]);
    if (j < cols) {
        int32_t t[4];
        vst1q_s32(t, v[j / 4]);
        memcpy(c + j, t, (cols - j) * sizeof(int32_t));
    }
}

/* The first n (1..7) bytes at p, the rest of the 8 zero: a K tail never reads past kc. */
static inline int8x8_t ember_qs8_load_tail_neon(const int8_t *p, size_t n) {
    uint64_t v = 0;
    size_t at = 0;
    if (n & 4) {
        uint32_t t;
        memcpy(&t, p, 4);
        v = t;
        at = 4;
    }
    if (n & 2) {
        uint16_t t;
        memcpy(&t, p + at, 2);
        v |= (uint64_t)t << (8 * at);
        at += 2;
    }
    if (n & 1)
        v |= (uint64_t)(uint8_t)p[at] << (8 * at);
    return vreinterpret_s8_u64(vcreate_u64(v));
}

/* The rows of one IGEMM tap: row i's kc bytes at a + ind[i * ks], or `zero` for a padding tap.
   Rows past mr alias the last real row (their sums are never stored). */
static inline void ember_qs8_tap_rows(size_t mr, size_t mr_max, const size_t *ind, size_t ks,
                                      const int8_t *a, const int8_t *zero, const int8_t **rows) {
    for (size_t i = 0; i < mr_max; i++) {
        const size_t off = ind[(i < mr ? i : mr - 1) * ks];
        rows[i] = off == EMBER_IND_ZERO ? zero : a + off;
    }
}

#endif /* EMBER_UKERNELS_NEON_REQUANT_QS8_NEON_H */
