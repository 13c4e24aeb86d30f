/* The AVX-512 VNNI 16x8 GEMM and IGEMM microkernels (ukernels/gemm_qs16x8.h): kr 2, 8 rows x 16
   columns. A panel's k pair for all 16 columns is one zmm of int16 pairs; vpdpwssd adds a
   row's broadcast pair times it into 16 int32 sums in one instruction (no saturation: blocks of
   EMBER_QS16X8_BLOCK products cannot overflow), and each block is then added into int64. */
#include <immintrin.h>
#include <string.h>

#include "ukernels/gemm_qs16x8.h"

#define NR EMBER_GEMM_QS16X8_NR
#define MR 8

typedef struct tile {
    int64_t acc[MR][NR];
    __m512i s[MR];
    size_t used; /* products per sum in the current int32 block */
} tile;

static void flush(tile *t) {
    for (size_t i = 0; i < MR; i++) {
        const __m512i lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(t->s[i]));
        const __m512i hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(t->s[i], 1));
        __m512i *a = (__m512i *)(void *)t->acc[i];
        _mm512_storeu_si512(a, _mm512_add_epi64(_mm512_loadu_si512(a), lo));
        _mm512_storeu_si512(a + 1, _mm512_add_epi64(_mm512_loadu_si512(a + 1), hi));
        t->s[i] = _mm512_setzero_si512();
    }
    t->used = 0;
}

static __m512i pair_at(const int16_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm512_set1_epi32(v);
}

/* Adds n elements (n even, or the tap's last run) of each row at r[i]; returns the weights
   after them. */
static const int16_t *run(const int16_t *const r[MR], size_t n, const int16_t *w, tile *t) {
    __m512i s0 = t->s[0], s1 = t->s[1], s2 = t->s[2], s3 = t->s[3];
    __m512i s4 = t->s[4], s5 = t->s[5], s6 = t->s[6], s7 = t->s[7];
    size_t k = 0;
    for (; k + 2 <= n; k += 2, w += 2 * NR) {
        const __m512i wv = _mm512_loadu_si512(w);
        s0 = _mm512_dpwssd_epi32(s0, pair_at(r[0] + k), wv);
        s1 = _mm512_dpwssd_epi32(s1, pair_at(r[1] + k), wv);
        s2 = _mm512_dpwssd_epi32(s2, pair_at(r[2] + k), wv);
        s3 = _mm512_dpwssd_epi32(s3, pair_at(r[3] + k), wv);
        s4 = _mm512_dpwssd_epi32(s4, pair_at(r[4] + k), wv);
        s5 = _mm512_dpwssd_epi32(s5, pair_at(r[5] + k), wv);
        s6 = _mm512_dpwssd_epi32(s6, pair_at(r[6] + k), wv);
        s7 = _mm512_dpwssd_epi32(s7, pair_at(r[7] + k), wv);
    }
    if (k < n) { /* the odd last element: its pair's second weight is zero */
        const __m512i wv = _mm512_loadu_si512(w);
        s0 = _mm512_dpwssd_epi32(s0, _mm512_set1_epi32((uint16_t)r[0][k]), wv);
        s1 = _mm512_dpwssd_epi32(s1, _mm512_set1_epi32((uint16_t)r[1][k]), wv);
        s2 = _mm512_dpwssd_epi32(s2, _mm512_set1_epi32((uint16_t)r[2][k]), wv);
        s3 = _mm512_dpwssd_epi32(s3, _mm512_set1_epi32((uint16_t)r[3][k]), wv);
        s4 = _mm512_dpwssd_epi32(s4, _mm512_set1_epi32((uint16_t)r[4][k]), wv);
        s5 = _mm512_dpwssd_epi32(s5, _mm512_set1_epi32((uint16_t)r[5][k]), wv);
        s6 = _mm512_dpwssd_epi32(s6, _mm512_set1_epi32((uint16_t)r[6][k]), wv);
        s7 = _mm512_dpwssd_epi32(s7, _mm512_set1_epi32((uint16_t)r[7][k]), wv);
        w += 2 * NR;
    }
    t->s[0] = s0, t->s[1] = s1, t->s[2] = s2, t->s[3] = s3;
    t->s[4] = s4, t->s[5] = s5, t->s[6] = s6, t->s[7] = s7;
    return w;
}

/* Adds one tap of kc elements per row, in runs that never pass a block's end. */
static const int16_t *add_tap(tile *t, const int16_t *const rows[MR], size_t kc,
                              const int16_t *w) {
    for (size_t k = 0; k < kc;) {
        const size_t room = EMBER_QS16X8_BLOCK - t->used;
        const size_t n = kc - k < room ? kc - k : room;
        const int16_t *r[MR];
        for (size_t i = 0; i < MR; i++)
            r[i] = rows[i] + k;
        w = run(r, n, w, t);
        t->used += n + (n & 1);
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
        t->s[i] = _mm512_setzero_si512();
    }
    t->used = 0;
    return (const int16_t *)(const void *)((const char *)panel + sizeof bias);
}

static void finish(tile *t, size_t mr, size_t nc, int64_t *c, size_t c_stride) {
    flush(t);
    for (size_t i = 0; i < mr; i++)
        memcpy(c + i * c_stride, t->acc[i], (nc < NR ? nc : NR) * sizeof(int64_t));
}

void ember_gemm_qs16x8_8x16c2_avx512vnni(size_t mr, size_t nc, size_t kc, const int16_t *a,
                                         size_t a_stride, const void *w, int64_t *c,
                                         size_t c_stride) {
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

void ember_igemm_qs16x8_8x16c2_avx512vnni(size_t mr, size_t nc, size_t kc, size_t ks,
                                          const size_t *ind, const int16_t *a,
                                          const int16_t *zero, const void *w, int64_t *c,
                                          size_t c_stride) {
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
