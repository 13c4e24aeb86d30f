/* int8 depthwise microkernels for AVX2 (csrc/ukernels/dwconv_qs8.h): tiles of 16 channels,
   each input vector sign-extended to 16 int16 once, two of them interleaved (vpunpck[lh]wd)
   into the pairs one vpmaddwd multiplies by a pair of taps' weights. The row kernels compute 4
   output pixels per step so each interleaved column feeds every pixel whose window covers it;
   the requantization is the exact one of requant_qs8.h with the rounding constants the
   packing stored beside each tile. */
#include <immintrin.h>
#include <string.h>

#include "ukernels/dwconv_qs8.h"

#define CT 16
#define INLINE static inline __attribute__((always_inline))

/* Pixels per step of the row kernels (2 accumulators each, of 16 ymm). */
#define PB 4

typedef struct consts {
    __m256i zp;            /* output zero point, 8 x int32 */
    __m128i qmin, qmax;    /* clamp, 16 x int8 */
} consts;

static consts make_consts(const ember_qs8_params *p) {
    return (consts){_mm256_set1_epi32(p->out_zp), _mm_set1_epi8((char)p->qmin),
                    _mm_set1_epi8((char)p->qmax)};
}

static size_t tile_bytes(size_t pairs) {
    return CT * (6 * sizeof(int32_t) + 2 * pairs * sizeof(int16_t));
}

/* The first n (< 16) bytes at p, the rest zero: a tail tile never reads past its channels.
   Eight (channel counts of 8 mod 16, common in MobileNetV3) take one 8-byte load. */
static __m128i load_part(const int8_t *p, size_t n) {
    if (n == 8)
        return _mm_loadl_epi64((const __m128i *)(const void *)p);
    int8_t b[16] = {0};
    memcpy(b, p, n);
    return _mm_loadu_si128((const __m128i *)(const void *)b);
}

/* 16 channels from p as int16 (n of them when !full). */
INLINE __m256i load16(const int8_t *p, bool full, size_t n) {
    return _mm256_cvtepi8_epi16(full ? _mm_loadu_si128((const __m128i *)(const void *)p)
                                     : load_part(p, n));
}

INLINE __m256i ld(const void *p) {
    return _mm256_loadu_si256((const __m256i *)p);
}

/* Eight sums times their multipliers (requant_qs8.h), q at the tile's first mult of them:
   mult, lshift, rshift, mask and half follow CT apart. Bits 31..62 of x * m + 2^30 are the
   high half; the odd lanes' multipliers are read one int32 further on. */
INLINE __m256i requant8(__m256i acc, const int32_t *q) {
    const __m256i x = _mm256_sllv_epi32(acc, ld(q + CT));
    const __m256i nudge = _mm256_set1_epi64x(INT64_C(1) << 30);
    const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, ld(q)), nudge);
    const __m256i odd =
        _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), ld(q + 1)), nudge);
    const __m256i high = _mm256_blend_epi32(_mm256_srli_epi64(even, 31),
                                            _mm256_slli_epi64(odd, 1), 0xAA);
    /* Round half away from zero: the threshold is half, half + 1 for a negative value. */
    const __m256i threshold = _mm256_sub_epi32(ld(q + 4 * CT), _mm256_srai_epi32(high, 31));
    const __m256i up = _mm256_cmpgt_epi32(_mm256_and_si256(high, ld(q + 3 * CT)), threshold);
    return _mm256_sub_epi32(_mm256_srav_epi32(high, ld(q + 2 * CT)), up);
}

/* Requantizes one pixel's tile (acc lo = positions 0-7: channels 0-3, 8-11; hi = 4-7, 12-15)
   and stores its 16 (or n) channels. The zero point is added in int32, wrapping as LiteRT's
   does; packssdw works within 128-bit lanes, which puts the channels back in order. */
INLINE void store_tile(int8_t *out, __m256i lo, __m256i hi, const int32_t *q, const consts *k,
                       bool full, size_t n) {
    const __m256i v = _mm256_packs_epi32(_mm256_add_epi32(requant8(lo, q), k->zp),
                                         _mm256_add_epi32(requant8(hi, q + 8), k->zp));
    __m128i b = _mm_packs_epi16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    b = _mm_min_epi8(_mm_max_epi8(b, k->qmin), k->qmax);
    if (full) {
        _mm_storeu_si128((__m128i *)(void *)out, b);
    } else if (n == 8) {
        _mm_storel_epi64((__m128i *)(void *)out, b);
    } else {
        int8_t t[16];
        _mm_storeu_si128((__m128i *)(void *)t, b);
        memcpy(out, t, n);
    }
}

/* acc += the pairs (a[c], b[c]) times the weights of pair `pair`. */
INLINE void madd(__m256i acc[2], __m256i ea, __m256i eb, const __m256i *wp, int pair) {
    acc[0] = _mm256_add_epi32(acc[0], _mm256_madd_epi16(_mm256_unpacklo_epi16(ea, eb),
                                                        _mm256_loadu_si256(wp + 2 * pair)));
    acc[1] = _mm256_add_epi32(acc[1], _mm256_madd_epi16(_mm256_unpackhi_epi16(ea, eb),
                                                        _mm256_loadu_si256(wp + 2 * pair + 1)));
}

/* P pixels x one tile (channels c.., n of them) of a KxK stride-S window. Kernel rows go two
   by two: each column's interleave of rows ky, ky + 1 feeds the pixels covering it; an odd
   last row pairs columns (kx, kx + 1), its last column with a zero weight. */
INLINE void row_tile(int K, int S, int P, size_t channels, size_t c, const int8_t *const *rows,
                     size_t x, const uint8_t *tile, int8_t *out, const consts *k, bool full,
                     size_t n) {
    const int pairs = K / 2 * K + (K + 1) / 2, cols = (P - 1) * S + K;
    const int32_t *bias = (const int32_t *)(const void *)tile;
    const __m256i *wp = (const __m256i *)(const void *)(tile + CT * sizeof(int32_t));
    __m256i acc[8][2];
#pragma GCC unroll 8
    for (int p = 0; p < P; p++) {
        acc[p][0] = ld(bias);
        acc[p][1] = ld(bias + 8);
    }
#pragma GCC unroll 2
    for (int ky = 0; ky + 1 < K; ky += 2) {
        const int8_t *ra = rows[ky] + x + c, *rb = rows[ky + 1] + x + c;
#pragma GCC unroll 16
        for (int col = 0; col < cols; col++) {
            const __m256i ea = load16(ra + (size_t)col * channels, full, n);
            const __m256i eb = load16(rb + (size_t)col * channels, full, n);
#pragma GCC unroll 8
            for (int p = 0; p < P; p++) {
                const int kx = col - p * S;
                if (kx >= 0 && kx < K)
                    madd(acc[p], ea, eb, wp, ky / 2 * K + kx);
            }
        }
    }
    const int8_t *r = rows[K - 1] + x + c;
    __m256i e = load16(r, full, n);
#pragma GCC unroll 16
    for (int col = 0; col < cols; col++) {
        const __m256i next = col + 1 < cols ? load16(r + (size_t)(col + 1) * channels, full, n) : e;
#pragma GCC unroll 8
        for (int p = 0; p < P; p++) {
            const int kx = col - p * S;
            if (kx >= 0 && kx < K && kx % 2 == 0)
                madd(acc[p], e, next, wp, K / 2 * K + kx / 2);
        }
        e = next;
    }
    const int32_t *q = (const int32_t *)(const void *)(tile + CT * sizeof(int32_t) +
                                                       (size_t)pairs * 2 * sizeof(__m256i));
#pragma GCC unroll 8
    for (int p = 0; p < P; p++)
        store_tile(out + (size_t)p * channels + c, acc[p][0], acc[p][1], q, k, full, n);
}

/* P pixels, every channel. */
INLINE void row_block(int K, int S, int P, size_t channels, const int8_t *const *rows, size_t x,
                      const uint8_t *w, int8_t *out, const consts *k) {
    const size_t tb = tile_bytes((size_t)(K / 2 * K + (K + 1) / 2));
    size_t c = 0;
    for (; c + CT <= channels; c += CT, w += tb)
        row_tile(K, S, P, channels, c, rows, x, w, out, k, true, CT);
    if (c < channels)
        row_tile(K, S, P, channels, c, rows, x, w, out, k, false, channels - c);
}

INLINE void row_kernel(int K, int S, size_t pixels, size_t channels, const int8_t *const *rows,
                       const void *w, int8_t *out, const ember_qs8_params *prm) {
    const consts k = make_consts(prm);
    size_t p = 0;
    for (; p + PB <= pixels; p += PB)
        row_block(K, S, PB, channels, rows, p * (size_t)S * channels, w, out + p * channels, &k);
    for (; p < pixels; p++)
        row_block(K, S, 1, channels, rows, p * (size_t)S * channels, w, out + p * channels, &k);
}

void ember_dwconv_qs8_3x3s1_avx2(size_t pixels, size_t channels, const int8_t *const *rows,
                                 const void *w, int8_t *out, const ember_qs8_params *p) {
    row_kernel(3, 1, pixels, channels, rows, w, out, p);
}

void ember_dwconv_qs8_3x3s2_avx2(size_t pixels, size_t channels, const int8_t *const *rows,
                                 const void *w, int8_t *out, const ember_qs8_params *p) {
    row_kernel(3, 2, pixels, channels, rows, w, out, p);
}

void ember_dwconv_qs8_5x5s1_avx2(size_t pixels, size_t channels, const int8_t *const *rows,
                                 const void *w, int8_t *out, const ember_qs8_params *p) {
    row_kernel(5, 1, pixels, channels, rows, w, out, p);
}

void ember_dwconv_qs8_5x5s2_avx2(size_t pixels, size_t channels, const int8_t *const *rows,
                                 const void *w, int8_t *out, const ember_qs8_params *p) {
    row_kernel(5, 2, pixels, channels, rows, w, out, p);
}

/* One pixel, one tile, any number of pairs. */
INLINE void up_tile(size_t pairs, const int8_t *const *ind, size_t c, const uint8_t *tile,
                    int8_t *out, const consts *k, bool full, size_t n) {
    const int32_t *bias = (const int32_t *)(const void *)tile;
    const __m256i *wp = (const __m256i *)(const void *)(tile + CT * sizeof(int32_t));
    __m256i acc[2] = {ld(bias), ld(bias + 8)};
    for (size_t j = 0; j < pairs; j++)
        madd(acc, load16(ind[2 * j] + c, full, n), load16(ind[2 * j + 1] + c, full, n), wp,
             (int)j);
    store_tile(out + c, acc[0], acc[1], (const int32_t *)(const void *)(wp + 2 * pairs), k, full,
               n);
}

void ember_dwconv_qs8_up_avx2(size_t pixels, size_t channels, size_t pairs,
                              const int8_t *const *ind, const void *w, int8_t *out,
                              const ember_qs8_params *p) {
    const consts k = make_consts(p);
    const size_t tb = tile_bytes(pairs);
    for (size_t px = 0; px < pixels; px++, ind += 2 * pairs, out += channels) {
        const uint8_t *tile = w;
        size_t c = 0;
        for (; c + CT <= channels; c += CT, tile += tb)
            up_tile(pairs, ind, c, tile, out, &k, true, CT);
        if (c < channels)
            up_tile(pairs, ind, c, tile, out, &k, false, channels - c);
    }
}
