/* The NEON 16x8 GEMM and IGEMM microkernels (ukernels/gemm_qs16x8.h), aarch64 and armv7: kr 1,
   4 rows x 16 columns. Each k multiplies a row's activation (a lane of 4 loaded together) by
   the 16 columns' weights with vmlal_lane_s16 into int32 sums; blocks of EMBER_QS16X8_BLOCK
   products are summed in int32 (no overflow, see the header), then added into int64. */
#include <arm_neon.h>
#include <string.h>

#include "ukernels/gemm_qs16x8.h"

#define NR EMBER_GEMM_QS16X8_NR
#define MR 4

typedef struct tile {
    int64_t acc[MR][NR];
    int32x4_t s[MR][4]; /* row i, columns 4q..4q+3 */
    size_t used;
} tile;

static void flush(tile *t) {
    for (size_t i = 0; i < MR; i++) {
        int32_t part[NR];
        for (size_t q = 0; q < 4; q++) {
            vst1q_s32(part + 4 * q, t->s[i][q]);
            t->s[i][q] = vdupq_n_s32(0);
        }
        for (size_t j = 0; j < NR; j++)
            t->acc[i][j] += part[j];
    }
    t->used = 0;
}

/* acc[q] += w (16 columns) times lane `lane` of a. */
#define MLA_LANE(acc, w0, w1, a, lane)                                            \
    do {                                                                          \
        (acc)[0] = vmlal_lane_s16((acc)[0], vget_low_s16(w0), (a), (lane));      \
        (acc)[1] = vmlal_lane_s16((acc)[1], vget_high_s16(w0), (a), (lane));     \
        (acc)[2] = vmlal_lane_s16((acc)[2], vget_low_s16(w1), (a), (lane));      \
        (acc)[3] = vmlal_lane_s16((acc)[3], vget_high_s16(w1), (a), (lane));     \
    } while (0)

/* Adds n elements of each row at r[i]; returns the weights after them. */
static const int16_t *run(const int16_t *const r[MR], size_t n, const int16_t *w, tile *t) {
    size_t k = 0;
    for (; k + 4 <= n; k += 4) {
        int16x4_t a[MR];
        for (size_t i = 0; i < MR; i++)
            a[i] = vld1_s16(r[i] + k);
        for (size_t l = 0; l < 4; l++, w += NR) {
            const int16x8_t w0 = vld1q_s16(w), w1 = vld1q_s16(w + 8);
            switch (l) {
            case 0:
                for (size_t i = 0; i < MR; i++)
                    MLA_LANE(t->s[i], w0, w1, a[i], 0);
                break;
            case 1:
                for (size_t i = 0; i < MR; i++)
                    MLA_LANE(t->s[i], w0, w1, a[i], 1);
                break;
            case 2:
                for (size_t i = 0; i < MR; i++)
                    MLA_LANE(t->s[i], w0, w1, a[i], 2);
                break;
            default:
                for (size_t i = 0; i < MR; i++)
                    MLA_LANE(t->s[i], w0, w1, a[i], 3);
                break;
            }
        }
    }
    for (; k < n; k++, w += NR) {
        const int16x8_t w0 = vld1q_s16(w), w1 = vld1q_s16(w + 8);
        for (size_t i = 0; i < MR; i++) {
            const int16x4_t a = vdup_n_s16(r[i][k]);
            MLA_LANE(t->s[i], w0, w1, a, 0);
        }
    }
    return w;
}

/* Adds one tap of kc elements per row in runs that never pass a block's end. */
static const int16_t *add_tap(tile *t, const int16_t *const rows[MR], size_t kc,
                              const int16_t *w) {
    for (size_t k = 0; k < kc;) {
        const size_t room = EMBER_QS16X8_BLOCK - t->used;
        const size_t n = kc - k < room ? kc - k : room;
        const int16_t *r[MR] = {rows[0] + k, rows[1] + k, rows[2] + k, rows[3] + k};
        w = run(r, n, w, t);
        t->used += n;
        k += n;
        if (t->used == EMBER_QS16X8_BLOCK)
            flush(t);
    }
    return w;
}

static const int16_t *start(tile *t, const void *panel) {
    int64_t bias[NR];
    memcpy(bias, panel, sizeof bias);
    for (size_t i = 0; i < MR; i++) {
        memcpy(t->acc[i], bias, sizeof bias);
        for (size_t q = 0; q < 4; q++)
            t->s[i][q] = vdupq_n_s32(0);
    }
    t->used = 0;
    return (const int16_t *)(const void *)((const char *)panel + sizeof bias);
}

static void finish(tile *t, size_t mr, size_t nc, int64_t *c, size_t c_stride) {
    flush(t);
    for (size_t i = 0; i < mr; i++)
        memcpy(c + i * c_stride, t->acc[i], (nc < NR ? nc : NR) * sizeof(int64_t));
}

void ember_gemm_qs16x8_4x16_neon(size_t mr, size_t nc, size_t kc, const int16_t *a,
                                 size_t a_stride, const void *w, int64_t *c, size_t c_stride) {
    /* Rows past mr repeat row 0: computed, never stored. */
    const int16_t *rows[MR];
    for (size_t i = 0; i < MR; i++)
        rows[i] = a + (i < mr ? i : 0) * a_stride;
    const void *panel = w;
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        tile t;
        panel = add_tap(&t, rows, kc, start(&t, panel));
        finish(&t, mr, nc - j0, c + j0, c_stride);
    }
}

void ember_igemm_qs16x8_4x16_neon(size_t mr, size_t nc, size_t kc, size_t ks,
                                  const size_t *ind, const int16_t *a, const int16_t *zero,
                                  const void *w, int64_t *c, size_t c_stride) {
    const void *panel = w;
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        tile t;
        const int16_t *q = start(&t, panel);
        for (size_t tap = 0; tap < ks; tap++) {
            const int16_t *rows[MR];
            for (size_t i = 0; i < MR; i++) {
                const size_t off = ind[(i < mr ? i : 0) * ks + tap];
                rows[i] = off == EMBER_IND_ZERO ? zero : a + off;
            }
            q = add_tap(&t, rows, kc, q);
        }
        panel = q;
        finish(&t, mr, nc - j0, c + j0, c_stride);
    }
}
