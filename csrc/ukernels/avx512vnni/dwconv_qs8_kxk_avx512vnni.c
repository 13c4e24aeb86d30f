/* int8 depthwise microkernels for AVX-512BW + VNNI (csrc/ukernels/dwconv_qs8.h): the AVX2
   kernels' scheme on tiles of 32 channels. Each input vector is sign-extended to 32 int16 once,
   two of them interleaved (vpunpck[lh]wd within 128-bit lanes) and vpdpwssd adds each pair of
   products to its channel's sum, 16 channels per instruction. The requantization runs on 16
   lanes at once with the rounding constants stored beside each tile; tails use masked byte
   loads and stores, which never touch a byte past the last channel. */
#include <immintrin.h>

#include "ukernels/dwconv_qs8.h"

#define CT 32
#define INLINE static inline __attribute__((always_inline))

/* Pixels per step of the row kernels (2 accumulators each, of 32 zmm). */
#define PB 6

typedef struct consts {
    __m512i zp;          /* output zero point, 16 x int32 */
    __m256i qmin, qmax;  /* clamp, 32 x int8 */
} consts;

static consts make_consts(const ember_qs8_params *p) {
    return (consts){_mm512_set1_epi32(p->out_zp), _mm256_set1_epi8((char)p->qmin),
                    _mm256_set1_epi8((char)p->qmax)};
}

static size_t tile_bytes(size_t pairs) {
    return CT * (6 * sizeof(int32_t) + 2 * pairs * sizeof(int16_t));
}

/* 32 channels from p as int16; only the channels in `mask` are read (the rest are 0). */
INLINE __m512i load32(const int8_t *p, bool full, __mmask32 mask) {
    return _mm512_cvtepi8_epi16(full ? _mm256_loadu_si256((const __m256i *)(const void *)p)
                                     : _mm256_maskz_loadu_epi8(mask, p));
}

INLINE __m512i ld(const void *p) {
    return _mm512_loadu_si512(p);
}

/* The requantization constants of 16 channels (requant_qs8.h), loaded once per block of
   pixels from the tile's mult, lshift and rshift (CT apart, at q). */
typedef struct rq {
    __m512i m, m_odd, lshift, rshift, mask, half;
} rq;

INLINE rq rq_load(const int32_t *q) {
    rq r;
    r.m = ld(q);
    r.m_odd = _mm512_srli_epi64(r.m, 32);
    r.lshift = ld(q + CT);
    r.rshift = ld(q + 2 * CT);
    r.mask = ld(q + 3 * CT);
    r.half = ld(q + 4 * CT);
    return r;
}

/* Sixteen sums times their multipliers. Bits 31..62 of x * m + 2^30 are the high half. */
INLINE __m512i requant16(__m512i acc, const rq *r) {
    const __m512i x = _mm512_sllv_epi32(acc, r->lshift);
    const __m512i nudge = _mm512_set1_epi64(INT64_C(1) << 30);
    const __m512i even = _mm512_add_epi64(_mm512_mul_epi32(x, r->m), nudge);
    const __m512i odd =
        _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), r->m_odd), nudge);
    const __m512i high = _mm512_mask_blend_epi32((__mmask16)0xAAAA, _mm512_srli_epi64(even, 31),
                                                 _mm512_slli_epi64(odd, 1));
    /* Round half away from zero: up when the remainder passes half (half + 1 if negative). */
    const __m512i threshold = _mm512_sub_epi32(r->half, _mm512_srai_epi32(high, 31));
    const __mmask16 up = _mm512_cmpgt_epi32_mask(_mm512_and_si512(high, r->mask), threshold);
    const __m512i shifted = _mm512_srav_epi32(high, r->rshift);
    return _mm512_mask_sub_epi32(shifted, up, shifted, _mm512_set1_epi32(-1));
}

/* Requantizes one pixel's tile (lo = positions 0-15: channels 0-3, 8-11, 16-19, 24-27; hi =
   the other four of each eight) and stores its 32 (or masked) channels. The zero point is
   added in int32, wrapping as LiteRT's does; packssdw within 128-bit lanes puts the channels
   back in order. */
INLINE void store_tile(int8_t *out, __m512i lo, __m512i hi, const rq r[2], const consts *k,
                       bool full, __mmask32 mask) {
    const __m512i v = _mm512_packs_epi32(_mm512_add_epi32(requant16(lo, &r[0]), k->zp),
                                         _mm512_add_epi32(requant16(hi, &r[1]), k->zp));
    __m256i b = _mm512_cvtsepi16_epi8(v);
    b = _mm256_min_epi8(_mm256_max_epi8(b, k->qmin), k->qmax);
    if (full)
        _mm256_storeu_si256((__m256i *)(void *)out, b);
    else
        _mm256_mask_storeu_epi8(out, mask, b);
}

/* acc += the pairs (a[c], b[c]) times the weights w (low and high positions). */
INLINE void madd(__m512i acc[2], __m512i ea, __m512i eb, const __m512i w[2]) {
    acc[0] = _mm512_dpwssd_epi32(acc[0], _mm512_unpacklo_epi16(ea, eb), w[0]);
    acc[1] = _mm512_dpwssd_epi32(acc[1], _mm512_unpackhi_epi16(ea, eb), w[1]);
}

/* The weights of n pairs from pair `first` on, held in registers for a block of pixels. */
INLINE void load_pairs(int n, const __m512i *wp, int first, __m512i w[5][2]) {
#pragma GCC unroll 5
    for (int i = 0; i < n; i++) {
        w[i][0] = _mm512_loadu_si512(wp + 2 * (first + i));
        w[i][1] = _mm512_loadu_si512(wp + 2 * (first + i) + 1);
    }
}

/* P pixels x one tile (channels c..) of a KxK stride-S window, kernel rows two by two (pair
   order), an odd last row's columns paired (kx, kx + 1). */
INLINE void row_tile(int K, int S, int P, size_t channels, size_t c, const int8_t *const *rows,
                     size_t x, const uint8_t *tile, int8_t *out, const consts *k, bool full,
                     __mmask32 mask) {
    const int pairs = K / 2 * K + (K + 1) / 2, cols = (P - 1) * S + K;
    const int32_t *bias = (const int32_t *)(const void *)tile;
    const __m512i *wp = (const __m512i *)(const void *)(tile + CT * sizeof(int32_t));
    __m512i acc[PB][2];
#pragma GCC unroll 8
    for (int p = 0; p < P; p++) {
        acc[p][0] = ld(bias);
        acc[p][1] = ld(bias + 16);
    }
    __m512i w[5][2];
#pragma GCC unroll 2
    for (int ky = 0; ky + 1 < K; ky += 2) {
        const int8_t *ra = rows[ky] + x + c, *rb = rows[ky + 1] + x + c;
        load_pairs(K, wp, ky / 2 * K, w);
#pragma GCC unroll 16
        for (int col = 0; col < cols; col++) {
            const __m512i ea = load32(ra + (size_t)col * channels, full, mask);
            const __m512i eb = load32(rb + (size_t)col * channels, full, mask);
#pragma GCC unroll 8
            for (int p = 0; p < P; p++) {
                const int kx = col - p * S;
                if (kx >= 0 && kx < K)
                    madd(acc[p], ea, eb, w[kx]);
            }
        }
    }
    const int8_t *r = rows[K - 1] + x + c;
    load_pairs((K + 1) / 2, wp, K / 2 * K, w);
    __m512i e = load32(r, full, mask);
#pragma GCC unroll 16
    for (int col = 0; col < cols; col++) {
        const __m512i next =
            col + 1 < cols ? load32(r + (size_t)(col + 1) * channels, full, mask) : e;
#pragma GCC unroll 8
        for (int p = 0; p < P; p++) {
            const int kx = col - p * S;
            if (kx >= 0 && kx < K && kx % 2 == 0)
                madd(acc[p], e, next, w[kx / 2]);
        }
        e = next;
    }
    const int32_t *q = (const int32_t *)(const void *)(wp + 2 * pairs);
    const rq rs[2] = {rq_load(q), rq_load(q + 16)};
#pragma GCC unroll 8
    for (int p = 0; p < P; p++)
        store_tile(out + (size_t)p * channels + c, acc[p][0], acc[p][1], rs, k, full, mask);
}

INLINE void row_block(int K, int S, int P, size_t channels, const int8_t *const *rows, size_t x,
                      const uint8_t *w, int8_t *out, const consts *k) {
    const size_t tb = tile_bytes((size_t)(K / 2 * K + (K + 1) / 2));
    size_t c = 0;
    for (; c + CT <= channels; c += CT, w += tb)
        row_tile(K, S, P, channels, c, rows, x, w, out, k, true, 0);
    if (c < channels)
        row_tile(K, S, P, channels, c, rows, x, w, out, k, false,
                 (__mmask32)((UINT64_C(1) << (channels - c)) - 1u));
}

INLINE void row_kernel(int K, int S, int P, size_t pixels, size_t channels,
                       const int8_t *const *rows, const void *w, int8_t *out,
                       const ember_qs8_params *prm) {
    const consts k = make_consts(prm);
    size_t p = 0;
    for (; p + (size_t)P <= pixels; p += (size_t)P)
        row_block(K, S, P, channels, rows, p * (size_t)S * channels, w, out + p * channels, &k);
    for (; p < pixels; p++)
        row_block(K, S, 1, channels, rows, p * (size_t)S * channels, w, out + p * channels, &k);
}

void ember_dwconv_qs8_3x3s1_avx512vnni(size_t pixels, size_t channels, const int8_t *const *rows,
                                       const void *w, int8_t *out, const ember_qs8_params *p) {
    row_kernel(3, 1, PB, pixels, channels, rows, w, out, p);
}

void ember_dwconv_qs8_3x3s2_avx512vnni(size_t pixels, size_t channels, const int8_t *const *rows,
                                       const void *w, int8_t *out, const ember_qs8_params *p) {
    row_kernel(3, 2, 4, pixels, channels, rows, w, out, p);
}

void ember_dwconv_qs8_5x5s1_avx512vnni(size_t pixels, size_t channels, const int8_t *const *rows,
                                       const void *w, int8_t *out, const ember_qs8_params *p) {
    row_kernel(5, 1, 4, pixels, channels, rows, w, out, p);
}

void ember_dwconv_qs8_5x5s2_avx512vnni(size_t pixels, size_t channels, const int8_t *const *rows,
                                       const void *w, int8_t *out, const ember_qs8_params *p) {
    row_kernel(5, 2, 4, pixels, channels, rows, w, out, p);
}

/* One pixel, one tile, any number of pairs. */
INLINE void up_tile(size_t pairs, const int8_t *const *ind, size_t c, const uint8_t *tile,
                    int8_t *out, const consts *k, bool full, __mmask32 mask) {
    const int32_t *bias = (const int32_t *)(const void *)tile;
    const __m512i *wp = (const __m512i *)(const void *)(tile + CT * sizeof(int32_t));
    __m512i acc[2] = {ld(bias), ld(bias + 16)};
    for (size_t j = 0; j < pairs; j++) {
        const __m512i w[2] = {ld(wp + 2 * j), ld(wp + 2 * j + 1)};
        madd(acc, load32(ind[2 * j] + c, full, mask), load32(ind[2 * j + 1] + c, full, mask), w);
    }
    const int32_t *q = (const int32_t *)(const void *)(wp + 2 * pairs);
    const rq rs[2] = {rq_load(q), rq_load(q + 16)};
    store_tile(out + c, acc[0], acc[1], rs, k, full, mask);
}

void ember_dwconv_qs8_up_avx512vnni(size_t pixels, size_t channels, size_t pairs,
                                    const int8_t *const *ind, const void *w, int8_t *out,
                                    const ember_qs8_params *p) {
    const consts k = make_consts(p);
    const size_t tb = tile_bytes(pairs);
    for (size_t px = 0; px < pixels; px++, ind += 2 * pairs, out += channels) {
        const uint8_t *tile = w;
        size_t c = 0;
        for (; c + CT <= channels; c += CT, tile += tb)
            up_tile(pairs, ind, c, tile, out, &k, true, 0);
        if (c < channels)
            up_tile(pairs, ind, c, tile, out, &k, false,
                    (__mmask32)((UINT64_C(1) << (channels - c)) - 1u));
    }
}
