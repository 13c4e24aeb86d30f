/* The pieces the AVX-512 VNNI int8 GEMM/IGEMM microkernels share (csrc/ukernels/avx512vnni/):
 * one zmm accumulator per row of a 16-column panel, two panels at a time where there are two
 * (a 12-row tile then holds 24 accumulators), vpdpbusd on 4 k at a time (kr 4): each
 * row's 4 bytes are broadcast to every lane with their top bits flipped (a + 128 as unsigned,
 * a_offset 128, which the packed bias takes back) and multiplied by the panel's 16 x 4 signed
 * weights. vpdpbusd (not the saturating vpdpbusds) wraps modulo 2^32, so the sums are exact
 * for any weight, -128 included. The K tail (kc % 4) is read with a masked byte load: no byte
 * past kc. Included only by files built with the avx512vnni flags; the row count is a constant
 * in each kernel, so the loops unroll and the accumulators stay in registers. */
#ifndef EMBER_UKERNELS_GEMM_QS8_AVX512VNNI_H
#define EMBER_UKERNELS_GEMM_QS8_AVX512VNNI_H

#include <immintrin.h>
#include <string.h>

#include "ukernels/avx512vnni/requant_qs8_avx512.h"
#include "ukernels/gemm_qs8.h"

#define EMBER_VNNI_INLINE static inline __attribute__((always_inline))
#define EMBER_VNNI_MAX_MR 12
#define EMBER_VNNI_NR EMBER_GEMM_QS8_NR

/* Bytes of one packed panel (ukernels/gemm_qs8.h) for ks taps of kc bytes. */
EMBER_VNNI_INLINE size_t ember_vnni_panel_bytes(size_t ks, size_t kc) {
    return 4 * EMBER_VNNI_NR * sizeof(int32_t) + ks * ((kc + 3) & ~(size_t)3) * EMBER_VNNI_NR;
}

/* acc += a (unsigned bytes) x b (signed bytes), 4 products per lane. In-place asm: with the
   intrinsic, GCC copies the tied accumulator around each vpdpbusd, and on Zen 5 (two vpdpbusd
   a cycle) those copies held ResNet18's one-panel GEMMs at 6.7 ms (asm: 5.6). (An earlier
   one-panel 7-row tile ran 20% slower in asm on Zen 4; this tile has not been timed there.) */
EMBER_VNNI_INLINE __m512i ember_vnni_dot(__m512i acc, __m512i a, __m512i b) {
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
    return acc;
}

EMBER_VNNI_INLINE __m512i ember_vnni_a4(const int8_t *p, __m512i flip) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm512_xor_si512(_mm512_set1_epi32(v), flip);
}

/* The last n < 4 bytes of a row; the weights past kc are 0, so the missing bytes add 0. */
EMBER_VNNI_INLINE __m512i ember_vnni_a_tail(const int8_t *p, __mmask16 n_mask, __m512i flip) {
    const __m128i v = _mm_maskz_loadu_epi8(n_mask, p);
    return _mm512_xor_si512(_mm512_broadcastd_epi32(v), flip);
}

/* Adds rows[i][0..kc) times the panel's weights at w (kc rounded up to 4, x 16 columns);
   returns w past them. */
EMBER_VNNI_INLINE const int8_t *ember_vnni_accumulate(__m512i *acc, size_t rows,
                                                      const int8_t *const *a, size_t kc,
                                                      const int8_t *w) {
    const __m512i flip = _mm512_set1_epi32((int32_t)0x80808080u);
    size_t k = 0;
    for (; k + 4 <= kc; k += 4, w += 64) {
        const __m512i b = _mm512_loadu_si512(w);
#pragma GCC unroll 16
        for (size_t i = 0; i < rows; i++)
            acc[i] = ember_vnni_dot(acc[i], ember_vnni_a4(a[i] + k, flip), b);
    }
    if (k < kc) {
        const __mmask16 n_mask = (__mmask16)((1u << (kc - k)) - 1);
        const __m512i b = _mm512_loadu_si512(w);
#pragma GCC unroll 16
        for (size_t i = 0; i < rows; i++)
            acc[i] = ember_vnni_dot(acc[i], ember_vnni_a_tail(a[i] + k, n_mask, flip), b);
        w += 64;
    }
    return w;
}

/* Requantizes and stores the first `cols` columns (all 16 when cols >= 16) of each row at
   crows[i] (rows past mr alias the last real one); q: the panel's multipliers. */
EMBER_VNNI_INLINE void ember_vnni_store(const __m512i *acc, size_t rows, int8_t *const *crows,
                                        size_t cols, const int8_t *q,
                                        const ember_qs8_params *p) {
    const ember_qs8_cols_avx512 qc =
        ember_qs8_cols_load_avx512((const int32_t *)(const void *)q, p->out_zp);
    const __m128i lo = _mm_set1_epi8((char)p->qmin), hi = _mm_set1_epi8((char)p->qmax);
    const __mmask16 mask = cols >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << cols) - 1);
    if (!qc.shifts_left && qc.zp_folded) {
#pragma GCC unroll 16
        for (size_t i = rows; i-- > 0;) {
            const __m128i v =
                ember_qs8_narrow_avx512(ember_qs8_mbqm_folded_avx512(acc[i], &qc), lo, hi);
            _mm_mask_storeu_epi8(crows[i], mask, v);
        }
        return;
    }
#pragma GCC unroll 16
    for (size_t i = rows; i-- > 0;) {
        const __m128i v = ember_qs8_narrow_avx512(ember_qs8_mbqm_avx512(acc[i], &qc), lo, hi);
        _mm_mask_storeu_epi8(crows[i], mask, v);
    }
}

EMBER_VNNI_INLINE void ember_vnni_store_i32(const __m512i *acc, size_t rows,
                                            int32_t *const *crows, size_t cols) {
    const __mmask16 mask = cols >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << cols) - 1);
#pragma GCC unroll 16
    for (size_t i = rows; i-- > 0;)
        _mm512_mask_storeu_epi32(crows[i], mask, acc[i]);
}

EMBER_VNNI_INLINE void ember_vnni_start(__m512i *acc, size_t rows, const int8_t *w) {
    const __m512i b = _mm512_loadu_si512(w);
#pragma GCC unroll 16
    for (size_t i = 0; i < rows; i++)
        acc[i] = b;
}

/* Where tap t of each row starts: GEMM (taps NULL) reads the rows themselves. */
EMBER_VNNI_INLINE void ember_vnni_tap_rows(const int8_t **arows, size_t rows,
                                           const size_t *const *taps, size_t t,
                                           const int8_t *a, const int8_t *zero) {
#pragma GCC unroll 16
    for (size_t i = 0; i < rows; i++)
        arows[i] = taps[i][t] == EMBER_IND_ZERO ? zero : a + taps[i][t];
}

/* One row (mr == 1: a FULLY_CONNECTED on one vector, a last row tile) against four panels at
   a time: four independent vpdpbusd chains. Panels past the last alias it (read, never
   stored). `ind` NULL reads a itself (GEMM, ks = 1), else tap t at a + ind[t] or zero. c32
   non-NULL stores the int32 sums instead of requantized bytes. */
EMBER_VNNI_INLINE void ember_vnni_one_row(size_t nc, size_t kc, size_t ks, const size_t *ind,
                                          const int8_t *a, const int8_t *zero, const int8_t *w,
                                          int8_t *c, int32_t *c32, const ember_qs8_params *p) {
    const size_t ps = ember_vnni_panel_bytes(ks, kc);
    const __m512i flip = _mm512_set1_epi32((int32_t)0x80808080u);
    for (size_t j0 = 0; j0 < nc; j0 += 4 * EMBER_VNNI_NR) {
        const size_t last = (nc - j0 - 1) / EMBER_VNNI_NR;
        const int8_t *wp[4];
        __m512i acc[4];
#pragma GCC unroll 4
        for (size_t q = 0; q < 4; q++) {
            wp[q] = w + (last < q ? last : q) * ps;
            acc[q] = _mm512_loadu_si512(wp[q]);
        }
        size_t off = EMBER_VNNI_NR * sizeof(int32_t);
        for (size_t t = 0; t < ks; t++) {
            const int8_t *x = ind == NULL ? a : ind[t] == EMBER_IND_ZERO ? zero : a + ind[t];
            size_t k = 0;
            for (; k + 4 <= kc; k += 4, off += 64) {
                const __m512i v = ember_vnni_a4(x + k, flip);
#pragma GCC unroll 4
                for (size_t q = 0; q < 4; q++)
                    acc[q] = ember_vnni_dot(acc[q], v, _mm512_loadu_si512(wp[q] + off));
            }
            if (k < kc) {
                const __m512i v =
                    ember_vnni_a_tail(x + k, (__mmask16)((1u << (kc - k)) - 1), flip);
#pragma GCC unroll 4
                for (size_t q = 0; q < 4; q++)
                    acc[q] = ember_vnni_dot(acc[q], v, _mm512_loadu_si512(wp[q] + off));
                off += 64;
            }
        }
        for (size_t q = 0; q <= last && q < 4; q++) {
            const size_t cols = nc - j0 - q * EMBER_VNNI_NR;
            if (c32 != NULL) {
                int32_t *row = c32 + j0 + q * EMBER_VNNI_NR;
                ember_vnni_store_i32(&acc[q], 1, &row, cols);
            } else {
                int8_t *row = c + j0 + q * EMBER_VNNI_NR;
                ember_vnni_store(&acc[q], 1, &row, cols, wp[q] + off, p);
            }
        }
        w += (last < 3 ? last + 1 : 4) * ps;
    }
}

/* Small K (the expand convolutions): each row's bytes are copied once per call into a stack
   buffer with their top bits already flipped, tap after tap at kc rounded up to 4 (the bytes
   between meet zero weights), so the loop over the panels broadcasts without an xor per row
   and step and without a tail. Rows x taps x kc up to this many bytes. */
#define EMBER_VNNI_FLIP_BYTES 12288

/* Tap t of each row into the buffer at t * kr4 of its row (rows `stride` bytes apart). */
EMBER_VNNI_INLINE void ember_vnni_flip_tap(int8_t *buf, size_t stride, size_t rows,
                                           const int8_t *const *arows, size_t kc, size_t kr4) {
    const __m512i flip = _mm512_set1_epi32((int32_t)0x80808080u);
    if (kr4 <= 8) {
        /* A few bytes (a stem's 3 channels per tap): stored as 4-byte words, which the loads
           of the panel loop forward from (64-byte stores, masked or overlapping, ran the
           stems at 60% of this speed). */
        const __mmask16 in = (__mmask16)((1u << kc) - 1);
        for (size_t i = 0; i < rows; i++) {
            const uint64_t v = (uint64_t)_mm_cvtsi128_si64(_mm_maskz_loadu_epi8(in, arows[i]));
            const uint64_t flipped = v ^ UINT64_C(0x8080808080808080);
            memcpy(buf + i * stride, &flipped, 4);
            if (kr4 == 8)
                memcpy(buf + i * stride + 4, (const uint8_t *)&flipped + 4, 4);
        }
        return;
    }
    for (size_t i = 0; i < rows; i++) {
        for (size_t k0 = 0; k0 < kc; k0 += 64) {
            const size_t n = kc - k0, room = kr4 - k0;
            const __mmask64 in = n >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1;
            const __mmask64 out = room >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << room) - 1;
            const __m512i v = _mm512_maskz_loadu_epi8(in, arows[i] + k0);
            _mm512_mask_storeu_epi8(buf + i * stride + k0, out, _mm512_xor_si512(v, flip));
        }
    }
}

EMBER_VNNI_INLINE const int8_t *ember_vnni_accumulate_flipped(__m512i *acc, size_t rows,
                                                              const int8_t *buf,
                                                              size_t row_bytes,
                                                              const int8_t *w) {
    for (size_t k = 0; k < row_bytes; k += 4, w += 64) {
        const __m512i b = _mm512_loadu_si512(w);
#pragma GCC unroll 16
        for (size_t i = 0; i < rows; i++) {
            int32_t v;
            memcpy(&v, buf + i * row_bytes + k, sizeof v);
            acc[i] = ember_vnni_dot(acc[i], _mm512_set1_epi32(v), b);
        }
    }
    return w;
}

/* Two panels at once (the second `ps` bytes after the first): each row's broadcast feeds both,
   so a step loads 2 + rows vectors for 2 x rows vpdpbusd, not 1 + rows for rows (ResNet18's
   GEMMs on Zen 5: 5.6 ms one panel at a time, 4.8 ms two). */
EMBER_VNNI_INLINE const int8_t *ember_vnni_accumulate2(__m512i *acc0, __m512i *acc1,
                                                       size_t rows, const int8_t *const *a,
                                                       size_t kc, const int8_t *w, size_t ps) {
    const __m512i flip = _mm512_set1_epi32((int32_t)0x80808080u);
    size_t k = 0;
    for (; k + 4 <= kc; k += 4, w += 64) {
        const __m512i b0 = _mm512_loadu_si512(w), b1 = _mm512_loadu_si512(w + ps);
#pragma GCC unroll 16
        for (size_t i = 0; i < rows; i++) {
            const __m512i v = ember_vnni_a4(a[i] + k, flip);
            acc0[i] = ember_vnni_dot(acc0[i], v, b0);
            acc1[i] = ember_vnni_dot(acc1[i], v, b1);
        }
    }
    if (k < kc) {
        const __mmask16 n_mask = (__mmask16)((1u << (kc - k)) - 1);
        const __m512i b0 = _mm512_loadu_si512(w), b1 = _mm512_loadu_si512(w + ps);
#pragma GCC unroll 16
        for (size_t i = 0; i < rows; i++) {
            const __m512i v = ember_vnni_a_tail(a[i] + k, n_mask, flip);
            acc0[i] = ember_vnni_dot(acc0[i], v, b0);
            acc1[i] = ember_vnni_dot(acc1[i], v, b1);
        }
        w += 64;
    }
    return w;
}

EMBER_VNNI_INLINE const int8_t *ember_vnni_accumulate2_flipped(__m512i *acc0, __m512i *acc1,
                                                               size_t rows, const int8_t *buf,
                                                               size_t row_bytes,
                                                               const int8_t *w, size_t ps) {
    for (size_t k = 0; k < row_bytes; k += 4, w += 64) {
        const __m512i b0 = _mm512_loadu_si512(w), b1 = _mm512_loadu_si512(w + ps);
#pragma GCC unroll 16
        for (size_t i = 0; i < rows; i++) {
            int32_t v;
            memcpy(&v, buf + i * row_bytes + k, sizeof v);
            const __m512i a = _mm512_set1_epi32(v);
            acc0[i] = ember_vnni_dot(acc0[i], a, b0);
            acc1[i] = ember_vnni_dot(acc1[i], a, b1);
        }
    }
    return w;
}

/* Requantizes (or stores as int32) one panel's tile and moves the row pointers on. */
EMBER_VNNI_INLINE void ember_vnni_finish(const __m512i *acc, size_t rows, int8_t **crows,
                                         int32_t **crows32, size_t cols, const int8_t *q,
                                         const ember_qs8_params *p) {
    if (crows32[0] != NULL) {
        ember_vnni_store_i32(acc, rows, crows32, cols);
#pragma GCC unroll 16
        for (size_t i = 0; i < rows; i++)
            crows32[i] += EMBER_VNNI_NR;
    } else {
        ember_vnni_store(acc, rows, crows, cols, q, p);
#pragma GCC unroll 16
        for (size_t i = 0; i < rows; i++)
            crows[i] += EMBER_VNNI_NR;
    }
}

/* Where a tile's rows read and write: rows past mr alias the last one. */
typedef struct ember_vnni_rows_io {
    const size_t *taps[EMBER_VNNI_MAX_MR];
    const int8_t *a[EMBER_VNNI_MAX_MR];
    int8_t *c[EMBER_VNNI_MAX_MR];
    int32_t *c32[EMBER_VNNI_MAX_MR];
} ember_vnni_rows_io;

/* The panels of a tile whose rows were copied, flipped, into buf: two at a time, then the last
   odd one. w: the first panel; ps: the bytes of one. */
EMBER_VNNI_INLINE void ember_vnni_panels_flipped(ember_vnni_rows_io *io, size_t rows, size_t nc,
                                                 const int8_t *buf, size_t row_bytes,
                                                 const int8_t *w, size_t ps,
                                                 const ember_qs8_params *p) {
    const size_t bias = EMBER_VNNI_NR * sizeof(int32_t);
    size_t j0 = 0;
    for (; j0 + EMBER_VNNI_NR < nc; j0 += 2 * EMBER_VNNI_NR, w += 2 * ps) {
        __m512i acc0[EMBER_VNNI_MAX_MR], acc1[EMBER_VNNI_MAX_MR];
        ember_vnni_start(acc0, rows, w);
        ember_vnni_start(acc1, rows, w + ps);
        const int8_t *q =
            ember_vnni_accumulate2_flipped(acc0, acc1, rows, buf, row_bytes, w + bias, ps);
        ember_vnni_finish(acc0, rows, io->c, io->c32, EMBER_VNNI_NR, q, p);
        ember_vnni_finish(acc1, rows, io->c, io->c32, nc - j0 - EMBER_VNNI_NR, q + ps, p);
    }
    if (j0 < nc) {
        __m512i acc[EMBER_VNNI_MAX_MR];
        ember_vnni_start(acc, rows, w);
        const int8_t *q = ember_vnni_accumulate_flipped(acc, rows, buf, row_bytes, w + bias);
        ember_vnni_finish(acc, rows, io->c, io->c32, nc - j0, q, p);
    }
}

/* The same reading the rows in place, tap after tap (ind NULL: the rows themselves). */
EMBER_VNNI_INLINE void ember_vnni_panels(ember_vnni_rows_io *io, size_t rows, size_t nc,
                                         size_t kc, size_t ks, const size_t *ind,
                                         const int8_t *a, const int8_t *zero, const int8_t *w,
                                         size_t ps, const ember_qs8_params *p) {
    const size_t bias = EMBER_VNNI_NR * sizeof(int32_t);
    size_t j0 = 0;
    for (; j0 + EMBER_VNNI_NR < nc; j0 += 2 * EMBER_VNNI_NR, w += 2 * ps) {
        __m512i acc0[EMBER_VNNI_MAX_MR], acc1[EMBER_VNNI_MAX_MR];
        ember_vnni_start(acc0, rows, w);
        ember_vnni_start(acc1, rows, w + ps);
        const int8_t *q = w + bias;
        for (size_t t = 0; t < ks; t++) {
            if (ind != NULL)
                ember_vnni_tap_rows(io->a, rows, io->taps, t, a, zero);
            q = ember_vnni_accumulate2(acc0, acc1, rows, io->a, kc, q, ps);
        }
        ember_vnni_finish(acc0, rows, io->c, io->c32, EMBER_VNNI_NR, q, p);
        ember_vnni_finish(acc1, rows, io->c, io->c32, nc - j0 - EMBER_VNNI_NR, q + ps, p);
    }
    if (j0 < nc) {
        __m512i acc[EMBER_VNNI_MAX_MR];
        ember_vnni_start(acc, rows, w);
        const int8_t *q = w + bias;
        for (size_t t = 0; t < ks; t++) {
            if (ind != NULL)
                ember_vnni_tap_rows(io->a, rows, io->taps, t, a, zero);
            q = ember_vnni_accumulate(acc, rows, io->a, kc, q);
        }
        ember_vnni_finish(acc, rows, io->c, io->c32, nc - j0, q, p);
    }
}

/* The tile body for `rows` rows (a constant at each use): GEMM when ind is NULL (ks 1, rows
   a_stride apart), IGEMM otherwise; int32 sums into c32 when it is non-NULL, else requantized
   bytes into c. Strides are in elements of the output. Rows past mr alias the last one. */
EMBER_VNNI_INLINE void ember_vnni_rows(size_t rows, size_t mr, size_t nc, size_t kc, size_t ks,
                                       const size_t *ind, const int8_t *a, size_t a_stride,
                                       const int8_t *zero, const int8_t *w, int8_t *c,
                                       int32_t *c32, size_t c_stride,
                                       const ember_qs8_params *p) {
    ember_vnni_rows_io io;
#pragma GCC unroll 16
    for (size_t i = 0; i < rows; i++) {
        const size_t r = i < mr ? i : mr - 1;
        io.taps[i] = ind != NULL ? ind + r * ks : NULL;
        io.a[i] = a + r * a_stride;
        io.c[i] = c != NULL ? c + r * c_stride : NULL;
        io.c32[i] = c32 != NULL ? c32 + r * c_stride : NULL;
    }
    const size_t kr4 = (kc + 3) & ~(size_t)3, row_bytes = ks * kr4;
    const size_t ps = ember_vnni_panel_bytes(ks, kc);
    /* One panel alone gains nothing from the copy (b1 project, K 32 N 16: 69 -> 78 GMAC/s). */
    if (nc > EMBER_VNNI_NR && rows * row_bytes <= EMBER_VNNI_FLIP_BYTES) {
        int8_t buf[EMBER_VNNI_FLIP_BYTES] __attribute__((aligned(64)));
        for (size_t t = 0; t < ks; t++) {
            if (ind != NULL)
                ember_vnni_tap_rows(io.a, rows, io.taps, t, a, zero);
            ember_vnni_flip_tap(buf + t * kr4, row_bytes, rows, io.a, kc, kr4);
        }
        ember_vnni_panels_flipped(&io, rows, nc, buf, row_bytes, w, ps, p);
    } else {
        ember_vnni_panels(&io, rows, nc, kc, ks, ind, a, zero, w, ps, p);
    }
}

/* The microkernel for MR = `rows`: one row alone runs four panels at a time; a partial row
   tile of at most 4 rows runs the 4-row body instead of aliasing the missing rows. */
EMBER_VNNI_INLINE void ember_vnni_tile(size_t rows, size_t mr, size_t nc, size_t kc, size_t ks,
                                       const size_t *ind, const int8_t *a, size_t a_stride,
                                       const int8_t *zero, const void *w, int8_t *c,
                                       int32_t *c32, size_t c_stride,
                                       const ember_qs8_params *p) {
    if (mr == 1)
        ember_vnni_one_row(nc, kc, ks, ind, a, zero, w, c, c32, p);
    else if (rows > 4 && mr <= 4)
        ember_vnni_rows(4, mr, nc, kc, ks, ind, a, a_stride, zero, w, c, c32, c_stride, p);
    else
        ember_vnni_rows(rows, mr, nc, kc, ks, ind, a, a_stride, zero, w, c, c32, c_stride, p);
}

#endif /* EMBER_UKERNELS_GEMM_QS8_AVX512VNNI_H */
