/* The AVX2 16x8 GEMM and IGEMM microkernels (ukernels/gemm_qs16x8.h): kr 2, 4 rows x 16
   columns. Each step broadcasts a row's pair of int16 activations to all lanes and vpmaddwd
   multiplies it by the pairs of 8 columns, giving 8 int32 sums of two products; blocks of
   EMBER_QS16X8_BLOCK products are summed in int32 (no overflow, see the header) and then
   added, sign-extended, into int64 sums kept in memory. */
#include <immintrin.h>
#include <string.h>

#include "ukernels/gemm_qs16x8.h"

#define NR EMBER_GEMM_QS16X8_NR
#define MR 4

/* The int32 block sums: row i's 16 columns in v[i][0] (0..7) and v[i][1] (8..15). */
typedef struct sums32 {
    __m256i v[MR][2];
} sums32;

typedef struct tile {
    int64_t acc[MR][NR];
    sums32 s;
    size_t used; /* products per sum in the current int32 block */
} tile;

static void clear32(sums32 *s) {
    for (size_t i = 0; i < MR; i++)
        s->v[i][0] = s->v[i][1] = _mm256_setzero_si256();
}

static void add64(int64_t *acc, __m256i v) {
    const __m256i lo = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(v));
    const __m256i hi = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(v, 1));
    _mm256_storeu_si256((__m256i *)(void *)acc,
                        _mm256_add_epi64(_mm256_loadu_si256((const __m256i *)(void *)acc), lo));
    _mm256_storeu_si256(
        (__m256i *)(void *)(acc + 4),
        _mm256_add_epi64(_mm256_loadu_si256((const __m256i *)(void *)(acc + 4)), hi));
}

static void flush(tile *t) {
    for (size_t i = 0; i < MR; i++) {
        add64(t->acc[i], t->s.v[i][0]);
        add64(t->acc[i] + 8, t->s.v[i][1]);
    }
    clear32(&t->s);
    t->used = 0;
}

static __m256i pair_at(const int16_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

/* Adds n elements (n even, or the tap's last run) of each row at r[i]; returns the weights
   after them. The 4 rows' sums stay in registers for the whole run. */
static const int16_t *run(const int16_t *const r[MR], size_t n, const int16_t *w, sums32 *s) {
    __m256i c00 = s->v[0][0], c01 = s->v[0][1], c10 = s->v[1][0], c11 = s->v[1][1];
    __m256i c20 = s->v[2][0], c21 = s->v[2][1], c30 = s->v[3][0], c31 = s->v[3][1];
    const int16_t *r0 = r[0], *r1 = r[1], *r2 = r[2], *r3 = r[3];
    size_t k = 0;
    for (; k + 2 <= n; k += 2, w += 2 * NR) {
        const __m256i w0 = _mm256_loadu_si256((const __m256i *)(const void *)w);
        const __m256i w1 = _mm256_loadu_si256((const __m256i *)(const void *)(w + NR));
        const __m256i a0 = pair_at(r0 + k), a1 = pair_at(r1 + k);
        c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(a0, w0));
        c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(a0, w1));
        c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(a1, w0));
        c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(a1, w1));
        const __m256i a2 = pair_at(r2 + k), a3 = pair_at(r3 + k);
        c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(a2, w0));
        c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(a2, w1));
        c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(a3, w0));
        c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(a3, w1));
    }
    if (k < n) { /* the odd last element: its pair's second weight is zero */
        const __m256i w0 = _mm256_loadu_si256((const __m256i *)(const void *)w);
        const __m256i w1 = _mm256_loadu_si256((const __m256i *)(const void *)(w + NR));
        const __m256i a0 = _mm256_set1_epi32((uint16_t)r0[k]);
        const __m256i a1 = _mm256_set1_epi32((uint16_t)r1[k]);
        const __m256i a2 = _mm256_set1_epi32((uint16_t)r2[k]);
        const __m256i a3 = _mm256_set1_epi32((uint16_t)r3[k]);
        c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(a0, w0));
        c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(a0, w1));
        c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(a1, w0));
        c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(a1, w1));
        c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(a2, w0));
        c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(a2, w1));
        c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(a3, w0));
        c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(a3, w1));
        w += 2 * NR;
    }
    s->v[0][0] = c00, s->v[0][1] = c01, s->v[1][0] = c10, s->v[1][1] = c11;
    s->v[2][0] = c20, s->v[2][1] = c21, s->v[3][0] = c30, s->v[3][1] = c31;
    return w;
}

/* Adds one tap of kc elements per row, in runs that never pass a block's end; returns the
   weights of the next tap. */
static const int16_t *add_tap(tile *t, const int16_t *const rows[MR], size_t kc,
                              const int16_t *w) {
    for (size_t k = 0; k < kc;) {
        const size_t room = EMBER_QS16X8_BLOCK - t->used;
        const size_t n = kc - k < room ? kc - k : room;
        const int16_t *r[MR] = {rows[0] + k, rows[1] + k, rows[2] + k, rows[3] + k};
        w = run(r, n, w, &t->s);
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
    for (size_t i = 0; i < MR; i++)
        memcpy(t->acc[i], bias, sizeof bias);
    clear32(&t->s);
    t->used = 0;
    return (const int16_t *)(const void *)((const char *)panel + sizeof bias);
}

static void finish(tile *t, size_t mr, size_t nc, int64_t *c, size_t c_stride) {
    flush(t);
    for (size_t i = 0; i < mr; i++)
        memcpy(c + i * c_stride, t->acc[i], (nc < NR ? nc : NR) * sizeof(int64_t));
}

void ember_gemm_qs16x8_4x16c2_avx2(size_t mr, size_t nc, size_t kc, const int16_t *a,
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

void ember_igemm_qs16x8_4x16c2_avx2(size_t mr, size_t nc, size_t kc, size_t ks,
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
